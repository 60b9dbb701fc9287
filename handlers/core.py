"""The domain core's front door: one Request in, one Reply out, in one unit of work.

Every door (shell, Slack, Teams, e-mail) calls `Core.handle`. The core finds who
is asking, which series the conversation is bound to, answers any open question,
matches the command in the registry, checks the person's role, and runs the
handler in a transaction. Bad input rolls back and says how to fix it; an
unexpected fault rolls back and says nothing was changed.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from handlers import registry
from handlers.context import Ask, Ctx, Refused, Request, UserError
from handlers.names import Resolved, resolve_name, split_names
from handlers.registry import CommandSpec, Perm
from handlers.reply import ACTOR, ERROR, QUESTION, Reply, error
from handlers.setup import CoreSetup
from storage.doors import first_delivery, identity
from storage.models import Binding, PendingQuestion, Person, Series
from storage.roster import PersonRef, Roster

log = logging.getLogger("partnerbot.core")

QUESTION_TTL = timedelta(minutes=15)


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
                if not self._has_question(session, req):
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

    # --- questions -----------------------------------------------------------------------------------
    @staticmethod
    def _has_question(session: Session, req: Request) -> bool:
        return (
            session.scalar(
                select(PendingQuestion.id)
                .where(
                    PendingQuestion.door == req.door,
                    PendingQuestion.channel == req.channel,
                    PendingQuestion.asker == req.user,
                )
                .limit(1)
            )
            is not None
        )

    def _answer_question(self, req: Request) -> tuple[Request, Reply | None]:
        """If this person has an open question here, read the message as its answer (or drop the question)."""
        with self.sessions() as session, session.begin():
            q = session.scalars(
                select(PendingQuestion).where(
                    PendingQuestion.door == req.door,
                    PendingQuestion.channel == req.channel,
                    PendingQuestion.asker == req.user,
                )
            ).first()
            if q is None:
                return req, None
            text = req.text.strip()
            if q.expires_at < req.at:
                session.delete(q)
                return req, None
            if text.lower() in ("cancel", "never mind", "nevermind", "stop"):
                session.delete(q)
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
            session.delete(q)
            if answer is None:
                return req, None  # another command: the question is dropped
            return replace(req, text=q.before + answer + q.after, at=q.sent_at, message_id=q.message_id), None

    def _read_answer(self, session: Session, q: PendingQuestion, text: str) -> str | None:
        roster = self._roster(session)
        if text.isdigit() and 1 <= int(text) <= len(q.choices):
            return str(q.choices[int(text) - 1])
        if q.kind == "series":
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
            session.execute(
                delete(PendingQuestion).where(
                    PendingQuestion.door == req.door,
                    PendingQuestion.channel == req.channel,
                    PendingQuestion.asker == req.user,
                )
            )
            session.add(
                PendingQuestion(
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
            )
            prompt = q.prompt
            if q.choices:
                prompt += " " + self._choices_text(session, q.choices) + "."
        return Reply().say(prompt + " Nothing is stored until you answer (or `cancel`).", QUESTION)

    # --- one command -------------------------------------------------------------------------------
    def _handle(self, session: Session, req: Request) -> Reply:
        if req.event_id and not first_delivery(session, req.door, req.event_id, req.at):
            return Reply(recognised=False)  # already handled: a retry, or another process got it too
        actor, actor_id = self._identify(session, self._roster(session), req)
        ctx = self.context(session, req, actor=actor, actor_id=actor_id)

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
        return spec.handler(ctx, args)

    def _identify(
        self, session: Session, roster: Roster, req: Request
    ) -> tuple[PersonRef | None, int | None]:
        column = {
            "shell": Person.initials,
            "slack": Person.slack_id,
            "teams": Person.teams_id,
            "email": func.lower(Person.email),
        }.get(req.door, Person.initials)
        key = req.user.lower() if req.door == "email" else req.user
        learnt = identity(session, req.door, key)
        if learnt is not None:
            row = session.get(Person, learnt)
            if row is not None and row.active and row.partnership_id == self.partnership_id:
                return roster.people[row.initials], row.id
        person = session.scalars(
            select(Person).where(Person.partnership_id == self.partnership_id, column == key, Person.active)
        ).first()
        if person is None and req.door == "shell":
            person = session.scalars(
                select(Person).where(
                    Person.partnership_id == self.partnership_id,
                    func.lower(Person.initials) == key.lower(),
                    Person.active,
                )
            ).first()
        if person is None:
            return None, None
        return roster.people[person.initials], person.id

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
        binding = session.scalars(
            select(Binding).where(Binding.door == ctx.req.door, Binding.channel == ctx.req.channel)
        ).first()
        if binding is not None:
            return session.get(Series, binding.series_id)
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
                return reply
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
