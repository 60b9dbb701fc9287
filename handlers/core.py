"""The domain core's front door: one Request in, one Reply out, in one unit of work.

Every door (shell, Slack, Teams) calls `Core.handle`. The core finds who
is asking, which series the conversation is bound to, answers any open question,
matches the command in the registry, checks the person's role, and runs the
handler in a transaction. Bad input rolls back and says how to fix it; an
unexpected fault rolls back and says nothing was changed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from handlers import identity, people, registry
from handlers.context import Ask, Ctx, Refused, Request, UserError
from handlers.identity import Who, who_of
from handlers.names import Resolved, resolve_name, split_names
from handlers.registry import CommandSpec, Perm
from handlers.reply import ACTOR, ERROR, QUESTION, Reply, error
from handlers.setup import CoreSetup
from storage import bindings, questions
from storage.doors import first_delivery
from storage.models import Meeting, PendingQuestion, Person, Series
from storage.roster import PersonRef, Roster

if TYPE_CHECKING:
    from handlers.capture_preview import CapturePreview
    from handlers.my_actions import MyAction

log = logging.getLogger("partnerbot.core")

QUESTION_TTL = timedelta(minutes=15)


@dataclass(frozen=True)
class BoundSeries:
    """The series a conversation is bound to, as a door needs it."""

    id: int
    key: str
    name: str
    meeting_open: bool


class Core:
    def __init__(
        self, sessions: sessionmaker[Session], partnership_id: str, setup: CoreSetup | None = None
    ) -> None:
        self.sessions = sessions
        self.partnership_id = partnership_id
        self.setup = setup or CoreSetup()

    # --- entry point ---------------------------------------------------------------------------------
    def handle(self, req: Request) -> Reply:
        try:
            with self.sessions() as session, session.begin():
                # The common case, no open question, stays in one transaction.
                if not questions.has_question(session, req.door, req.channel, req.user):
                    return self._handle(session, req)
            req, early = self._answer_question(req)
            if early is not None:
                return early
            with self.sessions() as session, session.begin():
                return self._handle(session, req)
        except Ask as q:
            return self._ask(req, q)
        except UserError as e:
            return error(str(e))
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception("command failed (ref %s): %r", ref, req.text)
            return error(f"Sorry, something went wrong and nothing was changed. (reference {ref})")

    def roster(self) -> Roster:
        with self.sessions() as session:
            return self._roster(session)

    def _roster(self, session: Session) -> Roster:
        return self.setup.rosters.roster(session, self.partnership_id)

    def context(
        self,
        session: Session,
        req: Request,
        *,
        series: Series | None = None,
        actor: PersonRef | None = None,
        actor_id: int | None = None,
    ) -> Ctx:
        """A handler's context in this partnership; without an actor for the CLI and reports."""
        roster = self._roster(session)
        return Ctx(
            session=session,
            req=req,
            roster=roster,
            partnership_id=self.partnership_id,
            tz=ZoneInfo(roster.timezone),
            actor=actor,
            actor_id=actor_id,
            setup=self.setup,
            series=series,
        )

    # --- what doors ask the core (they never read these tables themselves) ----------------------------
    def who(self, door: str, user_key: str) -> Who | None:
        """Who a door's user is (handlers.identity has the rule)."""
        with self.sessions() as session:
            return who_of(identity.person_for(session, self.partnership_id, door, user_key))

    def learn_identity(self, door: str, user_key: str, emails: Iterable[str], at: datetime) -> Who | None:
        """Who a door's user is, matching the e-mail on their chat profile to the file the first time."""
        with self.sessions() as session, session.begin():
            found = identity.learn_by_email(session, self.partnership_id, door, user_key, emails, at)
            return who_of(found)

    def door_keys(self, door: str, person_id: int) -> list[str]:
        """A person's ids on a door, to reach them directly: the file's first."""
        with self.sessions() as session:
            person = session.get(Person, person_id)
            return identity.door_keys(session, door, person) if person is not None else []

    def door_key(self, door: str, initials: str) -> str | None:
        """Where to reach someone of this partnership on a door, by their initials."""
        with self.sessions() as session:
            return identity.door_key_of(session, door, initials, self.partnership_id)

    def bound_series(self, door: str, channel: str) -> BoundSeries | None:
        with self.sessions() as session:
            series = bindings.bound_series(session, door, channel)
            if series is None:
                return None
            meeting = session.scalar(
                select(Meeting.id).where(Meeting.series_id == series.id, Meeting.status == "open").limit(1)
            )
            return BoundSeries(series.id, series.key, series.name, meeting_open=meeting is not None)

    def has_question(self, door: str, channel: str, user: str) -> bool:
        """Whether this person has an open question in this conversation (their next message answers it)."""
        with self.sessions() as session:
            return questions.has_question(session, door, channel, user)

    def cancel_question(self, door: str, channel: str, user: str) -> None:
        """Drop an open question, e.g. one asked behind a form that shows the problem instead."""
        with self.sessions() as session, session.begin():
            questions.drop(session, door, channel, user)

    def captured_as(self, door: str, channel: str, message_id: str) -> int | None:
        """The number of the action already captured from a message, by any route."""
        from handlers.capture_preview import captured_as

        with self.sessions() as session:
            return captured_as(session, door, channel, message_id)

    def preview_capture(self, door: str, channel: str, text: str, at: datetime) -> CapturePreview | None:
        """How `text`, sent at `at`, would be captured in this bound conversation; None if it is not bound."""
        from handlers.capture_preview import preview_capture

        with self.sessions() as session:
            series = bindings.bound_series(session, door, channel)
            if series is None:
                return None
            ctx = self.context(session, Request(door, channel, "", text, at), series=series)
            return preview_capture(ctx, series, text)

    def my_actions(self, door: str, user: str, at: datetime) -> list[MyAction] | None:
        """A person's open actions, soonest due first; None if the door's user is not in the file."""
        from handlers.my_actions import my_actions

        with self.sessions() as session:
            ctx = self._asking(session, Request(door, f"home:{user}", user, "", at))
            return my_actions(ctx) if ctx.actor is not None else None

    # --- questions -----------------------------------------------------------------------------------
    def _answer_question(self, req: Request) -> tuple[Request, Reply | None]:
        """If this person has an open question here, read the message as its answer (or drop the question)."""
        with self.sessions() as session, session.begin():
            q = questions.open_question(session, req.door, req.channel, req.user)
            if q is None:
                return req, None
            text = req.text.strip()
            if q.expires_at < req.at:
                questions.drop(session, req.door, req.channel, req.user)
                return req, None
            if text.lower() in ("cancel", "never mind", "nevermind", "stop"):
                questions.drop(session, req.door, req.channel, req.user)
                return req, Reply().say("Cancelled: nothing was stored.", audience=ACTOR)
            answer = self._read_answer(session, q, text)
            if answer is None and registry.match(text) is None:
                # Neither an answer nor a command: keep the question and ask again.
                choices = self._choices_text(session, q.choices)
                return req, Reply().say(
                    f"I still need an answer to my question{': ' + choices if choices else ''}. "
                    "Reply with one of those, or `cancel`.",
                    QUESTION,
                    ACTOR,
                )
            questions.drop(session, req.door, req.channel, req.user)
            if answer is None:
                return req, None  # another command: the question is dropped
            return replace(req, text=q.before + answer + q.after, at=q.sent_at, message_id=q.message_id), None

    def _read_answer(self, session: Session, q: PendingQuestion, text: str) -> str | None:
        roster = self._roster(session)
        named = people.read_answer(session, self.partnership_id, roster, q, text)  # guests, close names
        if named is not None:
            return named
        if text.isdigit() and 1 <= int(text) <= len(q.choices):
            return str(q.choices[int(text) - 1])
        if q.kind in ("series", "choice"):  # one of the words offered
            wanted = text.lower().split()[0] if text.split() else ""
            return next((str(c) for c in q.choices if str(c).lower() == wanted), None)
        names = split_names(text) if q.kind == "owner" else [text]
        if not names:
            return None
        for name in names:
            found = resolve_name(name, roster, None, people_only=q.kind == "person")
            if not isinstance(found, Resolved):
                return None
        if len(names) == 1:
            found = resolve_name(names[0], roster, None, people_only=q.kind == "person")
            assert isinstance(found, Resolved)
            owner = found.owner
            if owner.kind == "person" and owner.id:
                return owner.id
        return text

    def _choices_text(self, session: Session, choices: list[str]) -> str:
        roster = self._roster(session)
        return "; ".join(
            f"{i}. {c} ({roster.people[c].name})" if c in roster.people else f"{i}. {c}"
            for i, c in enumerate(choices, 1)
        )

    def _ask(self, req: Request, q: Ask) -> Reply:
        with self.sessions() as session, session.begin():
            questions.ask(
                session,
                door=req.door,
                channel=req.channel,
                asker=req.user,
                before=q.before,
                after=q.after,
                kind=q.kind,
                choices=q.choices,
                sent_at=req.at,
                message_id=req.message_id,
                expires_at=req.at + QUESTION_TTL,
            )
            prompt = q.prompt
            if q.choices:
                prompt += " " + self._choices_text(session, q.choices) + "."
        return Reply().say(prompt + " Nothing is stored until you answer (or `cancel`).", QUESTION)

    # --- one command -------------------------------------------------------------------------------
    def _handle(self, session: Session, req: Request) -> Reply:
        if req.event_id and not first_delivery(session, req.door, req.event_id, req.at):
            return Reply(recognised=False)  # already handled: a retry, or another process got it too
        ctx = self._asking(session, req)

        found = registry.match(req.text)
        if found is None:
            return self._not_a_command(ctx)
        spec, args = found
        ctx.series = self._series(session, ctx, args.get("series"), spec)
        if spec.applies is not None and not spec.applies(ctx, args):
            return self._not_a_command(ctx)  # a loose pattern caught ordinary chat ("Thanks for that")
        self._check(ctx, spec)
        if spec.needs_meeting:
            ctx.require_meeting()
        return people.announce(ctx, spec.handler(ctx, args))

    def _asking(self, session: Session, req: Request) -> Ctx:
        """A handler's context with who is asking (handlers.identity has the rule)."""
        person = identity.person_for(session, self.partnership_id, req.door, req.user)
        if person is None:
            return self.context(session, req)
        return self.context(
            session, req, actor=self._roster(session).people[person.initials], actor_id=person.id
        )

    def _series(self, session: Session, ctx: Ctx, named: str | None, spec: CommandSpec) -> Series | None:
        if named:
            row = session.scalars(
                select(Series).where(
                    Series.partnership_id == self.partnership_id,
                    func.lower(Series.key) == named.lower(),
                    Series.active,
                )
            ).first()
            if row is None:
                raise UserError(
                    f"I don't know a series called “{named}”. Series: {', '.join(ctx.roster.series)}."
                )
            return row
        bound = bindings.bound_series(session, ctx.req.door, ctx.req.channel)
        if bound is not None:
            return bound
        if ctx.req.series_hint:
            return session.scalars(
                select(Series).where(
                    Series.partnership_id == self.partnership_id, Series.key == ctx.req.series_hint
                )
            ).first()
        return None

    def _check(self, ctx: Ctx, spec: CommandSpec) -> None:
        if spec.perm == Perm.ANYONE:
            return
        if ctx.actor is None:
            bm = next((s.business_manager for s in ctx.roster.series.values() if s.business_manager), None)
            who = f"the business manager ({ctx.name(bm)})" if bm else "the business unit"
            raise Refused(
                f"I don't know you: you are not in the {ctx.roster.name} file. "
                f"Ask {who} to add you. Until then you can only use `help`."
            )
        if spec.perm == Perm.PERSON:
            return
        if spec.needs_series:
            ctx.require_series()
        if ctx.series is None:
            return  # commands on actions from a direct message check the action's series themselves
        # The platform meeting's organiser runs it too, but only if they belong to the series.
        organiser = ctx.req.meeting_organiser and ctx.is_member()
        if spec.perm == Perm.CHAIR_TEAM and not (ctx.is_chair_team() or organiser):
            raise Refused(
                f"Only {ctx.who_can_run_meeting()} can {spec.summary[0].lower()}{spec.summary[1:]}"
                f" in {ctx.series.name}.".replace("..", ".")
            )
        if spec.perm == Perm.MEMBER and not ctx.is_member():
            raise Refused(
                f"Only members of {ctx.series.name} can do that. "
                f"Ask {ctx.who_can_run_meeting()} if you should be one."
            )

    def _not_a_command(self, ctx: Ctx) -> Reply:
        from handlers.actions import capture_from_chat

        ctx.series = self._series(ctx.session, ctx, None, registry.find("help"))
        if ctx.series is not None and ctx.actor is not None and ctx.is_member():
            reply = capture_from_chat(ctx)
            if reply is not None:
                return people.announce(ctx, reply)
        text = ctx.req.text.strip()
        reply = Reply(recognised=False)
        if not ctx.req.addressed:
            return reply  # overheard chat: suggestions would only be thrown away
        near = registry.suggest(text)
        head = f"I didn't understand “{text[:60]}”."
        if near:
            lines = "\n".join(f"  `{s.usage}` — {s.summary}" for s in near)
            reply.say(f"{head} Did you mean:\n{lines}\nType `help` for every command.", ERROR, ACTOR)
        else:
            reply.say(f"{head} Type `help` for the commands.", ERROR, ACTOR)
        return reply
