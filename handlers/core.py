"""The domain core's front door: one Request in, one Reply out, in one unit of work.

Every door (shell, Slack, Teams) calls `Core.handle`. The core finds who
is asking, which series the conversation is bound to, answers any open question,
matches the command in the registry, checks the person's role, and runs the
handler in a transaction. Bad input rolls back and says how to fix it; an
unexpected fault rolls back and says nothing was changed.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from handlers import identity, people, registry, unnumbered_answers
from handlers.asking import (
    CANCEL_WORDS,
    QUESTION_TTL,
    SKIP_WORDS,
    Fits,
    Waiting,
    answer_words,
    dropped_text,
    prompt_with_options,
    read_answer,
    waiting_note,
)
from handlers.context import BOUND, Ask, Ctx, Refused, Request, UserError
from handlers.faults import log_fault
from handlers.format import person_name, printable
from handlers.identity import Who, who_of
from handlers.registry import CommandSpec, Perm
from handlers.reply import ACTOR, ERROR, OK, QUESTION, WARNING, Reply, error
from handlers.setup import CoreSetup
from storage import bindings, command_context
from storage import questions as stored
from storage.command_context import CommandContext
from storage.doors import first_delivery, forget_delivery
from storage.models import Meeting, Person, Series
from storage.roster import PersonRef, Roster

if TYPE_CHECKING:
    from handlers.calendar_events import CalendarEvent
    from handlers.capture_preview import CapturePreview
    from handlers.my_actions import ActionState, MyAction
    from handlers.platform_meetings import PlatformMeeting

log = logging.getLogger("partnerbot.core")


# The answer while the database cannot be reached (stopped, restarting, network): the transaction
# rolled back, so the person is told plainly that nothing was kept and to send it again.
NOT_SAVED = "Not saved: the database is not answering. Try again in a minute."


def database_away(exc: BaseException) -> bool:
    """Whether a fault is the database being unreachable (or dropping the connection), not a bug."""
    return isinstance(exc, (OperationalError, InterfaceError, DisconnectionError))


def not_saved(exc: BaseException) -> Reply:
    # One line, no traceback and no message text: the cause is outside the bot.
    log.warning(
        "database unreachable, command not saved: %s", type(getattr(exc, "orig", None) or exc).__name__
    )
    return error(NOT_SAVED)


# The longest message the core reads: Slack's own limit for a message. A longer one is refused whole.
MAX_MESSAGE = 40_000


def admit(req: Request) -> Request | Reply:
    """A message as the core reads it, or the refusal of one it will not read.

    Longer than MAX_MESSAGE: refused before anything reads it, nothing stored (not even its
    delivery). Otherwise its text and the door's ids lose terminal escapes and control characters
    (NUL, ESC, BEL, C1; `handlers.format.printable`), so none is stored, shown or sent to the
    database; newlines and tabs stay."""
    if len(req.text) > MAX_MESSAGE:
        return error(
            f"That message is {len(req.text):,} characters long: the most I read is {MAX_MESSAGE:,}. "
            "Nothing was stored. Send it in shorter parts, or attach long text as a document."
        )
    text, channel, user = printable(req.text), printable(req.channel), printable(req.user)
    message_id = printable(req.message_id) if req.message_id is not None else None
    event_id = printable(req.event_id) if req.event_id is not None else None
    if (text, channel, user, message_id, event_id) == (
        req.text,
        req.channel,
        req.user,
        req.message_id,
        req.event_id,
    ):
        return req
    return replace(req, text=text, channel=channel, user=user, message_id=message_id, event_id=event_id)


def may_capture(text: str) -> bool:
    """Could this message be an action as minutes mark one ("Action:", "Agreed: …")? Doors read
    a message nobody addressed to the bot only when this holds (handlers.capture has the rule)."""
    from handlers.capture import may_capture as capturable

    # Chat over the message limit is not read unasked (the core would refuse it whole anyway).
    return len(text) <= MAX_MESSAGE and capturable(printable(text))


@dataclass(frozen=True)
class BoundSeries:
    """The series a conversation is bound to, as a door needs it."""

    id: int
    key: str
    name: str
    meeting_open: bool
    partnership_id: str = ""


class Core:
    def __init__(
        self, sessions: sessionmaker[Session], partnership_id: str, setup: CoreSetup | None = None
    ) -> None:
        self.sessions = sessions
        self.partnership_id = partnership_id
        self.setup = setup or CoreSetup()

    # --- entry point ---------------------------------------------------------------------------------
    def handle(self, req: Request) -> Reply:
        admitted = admit(req)
        if isinstance(admitted, Reply):
            return admitted
        req = admitted
        try:
            return self._handle(req)
        except Exception as e:
            if database_away(e):
                return not_saved(e)
            ref = log_fault(log, "command failed", req, e)  # never the message's text (handlers/faults.py)
            return error(f"Sorry, something went wrong and nothing was changed. (reference {ref})")

    def _handle(self, req: Request) -> Reply:
        slot = _Slot(batch=req.event_id or uuid.uuid4().hex, command=req.text.strip(), now=req.at)
        if req.event_id:
            # Its own short transaction: on SQLite the command's would otherwise hold the write
            # lock from this INSERT to its end, and every other delivery would queue behind it.
            with self.sessions() as session, session.begin():
                if not first_delivery(session, req.door, req.event_id, req.at):
                    return Reply(recognised=False)  # already handled: a retry, or another process got it
        try:
            with self.sessions() as session, session.begin():
                facts = self._facts(session, req)
                # The common case, no open question, stays in one transaction.
                if facts is None or not facts.has_question:
                    return self._run(session, req, slot, facts)
        except Ask as q:
            return self._asked(req, slot, q)
        except UserError as e:
            # Refused or bad input: nothing was stored, so a retry of the event is answered again.
            if req.event_id:
                self._forget(req)
            return error(str(e))
        except Exception:
            if req.event_id:
                self._forget(req)  # nothing was stored: a redelivery of this event may run it again
            raise
        return self._with_questions(req, slot)

    def _forget(self, req: Request) -> None:
        try:
            with self.sessions() as session, session.begin():
                forget_delivery(session, req.door, req.event_id or "")
        except Exception:  # the database still away: the retry then counts as handled, as before
            log.warning("could not forget a failed delivery (%s)", req.door)

    def roster(self) -> Roster:
        with self.sessions() as session:
            return self._roster(session)

    def _roster(self, session: Session, version: int | None = None) -> Roster:
        return self.setup.rosters.roster(session, self.partnership_id, version)

    def _facts(self, session: Session, req: Request) -> CommandContext | None:
        """What the command starts from, in one statement (storage.command_context)."""
        key = identity.user_key(req.door, req.user)
        return command_context.read(session, self.partnership_id, req.door, req.channel, key)

    def context(
        self,
        session: Session,
        req: Request,
        *,
        series: Series | None = None,
        actor: PersonRef | None = None,
        actor_id: int | None = None,
        facts: CommandContext | None = None,
    ) -> Ctx:
        """A handler's context in this partnership; without an actor for the CLI and reports."""
        version = facts.version if facts is not None else None
        roster = self._roster(session, version)
        ctx = Ctx(
            session=session,
            req=req,
            roster=roster,
            partnership_id=self.partnership_id,
            tz=ZoneInfo(roster.timezone),
            actor=actor,
            actor_id=actor_id,
            setup=self.setup,
            series=series,
            version=version,
        )
        if facts is not None:
            ctx.memo[BOUND] = facts.bound
            if facts.bound is not None:
                ctx.opened_as_read(facts.bound.id, facts.open_meeting)
        return ctx

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

    def person(self, initials: str) -> Who | None:
        """Someone of this partnership still in the file, by initials (a reply's direct message)."""
        with self.sessions() as session:
            found = session.scalars(
                select(Person).where(
                    Person.partnership_id == self.partnership_id, Person.initials == initials, Person.active
                )
            ).first()
            return who_of(found)

    def bound_series(self, door: str, channel: str) -> BoundSeries | None:
        with self.sessions() as session:
            series = bindings.bound_series(session, door, channel)
            if series is None:
                return None
            meeting = session.scalar(
                select(Meeting.id).where(Meeting.series_id == series.id, Meeting.status == "open").limit(1)
            )
            return BoundSeries(
                series.id,
                series.key,
                series.name,
                meeting_open=meeting is not None,
                partnership_id=series.partnership_id,
            )

    def has_question(self, door: str, channel: str, user: str) -> bool:
        """Whether this person has an open question in this conversation (their next message answers it)."""
        with self.sessions() as session:
            return stored.has_question(session, door, channel, user)

    def cancel_question(self, door: str, channel: str, user: str, event_id: str | None = None) -> None:
        """Drop the question a message just asked, e.g. behind a form that shows the problem instead.

        With the message's `event_id`, only what that message asked; without, the newest question's.
        """
        with self.sessions() as session, session.begin():
            if event_id is not None:
                stored.drop_batch(session, door, channel, user, event_id)
            else:
                stored.drop_newest_batch(session, door, channel, user)

    def captured_as(self, door: str, channel: str, message_id: str) -> int | None:
        """The number of the action already captured from a message, by any route."""
        from handlers.capture_preview import captured_as

        with self.sessions() as session:
            return captured_as(session, door, channel, message_id)

    def may_capture(self, text: str) -> bool:
        return may_capture(text)

    def preview_capture(self, door: str, channel: str, text: str, at: datetime) -> CapturePreview | None:
        """How `text`, sent at `at`, would be captured in this bound conversation; None if it is not bound."""
        from handlers.capture_preview import preview_capture

        with self.sessions() as session:
            series = bindings.bound_series(session, door, channel)
            if series is None or len(text) > MAX_MESSAGE:
                return None
            text = printable(text)
            ctx = self.context(session, Request(door, channel, "", text, at), series=series)
            return preview_capture(ctx, series, text)

    def my_actions(
        self, door: str, user: str, at: datetime, qualifier: str | None = None
    ) -> list[MyAction] | None:
        """A person's open actions, soonest due first; None if the door's user is not in the file.

        `qualifier` as in `Request`: when the list is one of several partnerships'."""
        from handlers.my_actions import my_actions

        with self.sessions() as session:
            ctx = self._asking(session, Request(door, f"home:{user}", user, "", at, qualifier=qualifier))
            return my_actions(ctx) if ctx.actor is not None else None

    def action_states(
        self, door: str, user: str, refs: list[str], at: datetime, qualifier: str | None = None
    ) -> list[ActionState]:
        """How each action of an answered reminder stands now ("board 3"), with the answers the door's
        user may still give (the same owner rule the answer meets); `qualifier` as in `Request`."""
        from handlers.my_actions import action_states

        with self.sessions() as session:
            ctx = self._asking(session, Request(door, f"home:{user}", user, "", at, qualifier=qualifier))
            return action_states(ctx, refs)

    def record_calendar_event(self, event: CalendarEvent, at: datetime) -> None:
        """A meeting put in an organiser's calendar by a door: its join link on the meeting (for the
        next pack) and the event in the audit trail, in one transaction."""
        from handlers.calendar_events import record

        with self.sessions() as session, session.begin():
            record(session, self.partnership_id, event, at)

    def calendar_event(self, door: str, uid: str) -> CalendarEvent | None:
        """The calendar event a door last recorded for an invitation's UID, if any."""
        from handlers.calendar_events import latest

        with self.sessions() as session:
            return latest(session, self.partnership_id, door, uid)

    def record_platform_event(
        self,
        door: str,
        *,
        event_id: str,
        verb: str,
        chat: str,
        series_id: int | None,
        platform_id: str,
        at: datetime,
        details: dict[str, Any],
    ) -> bool:
        """A platform meeting started or ended, or someone joined or left it, kept once in the audit
        trail (handlers/platform_meetings.py); False for a repeated delivery."""
        from handlers import platform_meetings

        with self.sessions() as session, session.begin():
            return platform_meetings.record(
                session,
                self.partnership_id,
                door,
                event_id=event_id,
                verb=verb,
                chat=chat,
                series_id=series_id,
                platform_id=platform_id,
                at=at,
                details=details,
            )

    def platform_meetings(
        self, door: str, *, chat: str | None = None, series_key: str | None = None
    ) -> list[PlatformMeeting]:
        """Platform meetings seen, newest first, in one chat or for one series."""
        from handlers import platform_meetings

        with self.sessions() as session:
            return platform_meetings.meetings(
                session, self.partnership_id, door, chat=chat, series_key=series_key
            )

    def participant_events(self, door: str, platform_id: str) -> list[tuple[str, datetime, dict[str, Any]]]:
        """Who joined and left one platform meeting, oldest first."""
        from handlers import platform_meetings

        with self.sessions() as session:
            return platform_meetings.participant_events(session, self.partnership_id, door, platform_id)

    # --- questions -----------------------------------------------------------------------------------
    def _with_questions(self, req: Request, slot: _Slot) -> Reply:
        """This person has open questions here: read the message as the first one's answer, or run it."""
        reply = Reply()
        words = answer_words(req.text)
        named: str | None = None
        with self.sessions() as session, session.begin():
            for q in map(Waiting.of, stored.drop_expired(session, req.door, req.channel, req.user, req.at)):
                reply.say(
                    f"My question about {q.about} waited more than {int(QUESTION_TTL.total_seconds() // 60)} "
                    f"minutes without an answer and is dropped. Not recorded: {q.what}.",
                    WARNING,
                    ACTOR,
                )
            stored.keep_until(session, req.door, req.channel, req.user, req.at + QUESTION_TTL)
            rows = stored.queue(session, req.door, req.channel, req.user)
            roster = self._roster(session)
            bound = bindings.bound_series(session, req.door, req.channel)
            if rows and words not in CANCEL_WORDS | SKIP_WORDS:
                # Guests and names close to someone's first (`guest` records the guest now).
                named = people.read_answer(session, self.partnership_id, roster, rows[0], req.text)
            waiting = [Waiting.of(q) for q in rows]
        if not waiting:
            return reply.extend(self._attempt(req, slot))
        first = waiting[0]
        if words in CANCEL_WORDS:
            with self.sessions() as session, session.begin():
                dropped = [
                    Waiting.of(q)
                    for q in stored.drop_batch(session, req.door, req.channel, req.user, first.batch)
                ]
            stays = (
                " What was recorded from it before stays recorded." if any(q.holds for q in dropped) else ""
            )
            reply.say(f"Cancelled. Not recorded: {dropped_text(dropped)}.{stays}", OK, ACTOR)
            return self._next_question(req, reply, slot)
        if words in SKIP_WORDS:
            if first.skip is None:
                with self.sessions() as session, session.begin():
                    stored.drop_one(session, first.id)
                reply.say(f"Skipped {first.about}. Not recorded: {first.what}.", OK, ACTOR)
            else:
                done = (
                    f"Left out {first.about}." if first.part else f"Skipped my question about {first.about}."
                )
                reply.extend(self._replay(req, first, first.skip, slot, done=done))
            return self._next_question(req, reply, slot)
        answer = (
            Fits(named)
            if named is not None
            else read_answer(first, req.text, roster, bound.key if bound is not None else None)
        )
        if isinstance(answer, Fits):
            reply.extend(self._replay(req, first, first.before + answer.fill + first.after, slot))
            return self._next_question(req, reply, slot)
        if self._is_command(req):
            # Not an answer but a command of its own: it runs, and the question goes on waiting.
            reply.extend(self._attempt(req, slot))
            return self._still_waiting(req, reply, slot)
        return reply.say(
            f"“{req.text.strip()[:60]}” doesn't answer my question: {answer.why}. "
            f"My question about {first.about}: {first.shown()}",
            QUESTION,
            ACTOR,
        )

    def _replay(self, req: Request, q: Waiting, text: str, slot: _Slot, done: str = "") -> Reply:
        """Run the question's message completed by the answer, at the original message's time.

        `done` is said first when it runs (a question it asks in turn counts: nothing was refused).
        """
        again = replace(req, text=text, at=q.sent_at, message_id=q.message_id, event_id=None)
        follow = _Slot(q.batch, q.command, slot.now, position=q.position, answered=q.id, shown=slot.shown)
        lead = Reply().say(done, OK, ACTOR) if done else Reply()
        try:
            with self.sessions() as session, session.begin():
                stored.drop_one(session, q.id)
                return lead.extend(self._run(session, again, follow))
        except Ask as asked:
            return lead.extend(self._asked(again, follow, asked))
        except UserError as e:
            # The completed message was refused: the question stays (nothing changed) and is put again.
            return Reply().say(
                f"Your answer made `{_short(text)}`, and that was refused: {e} "
                f"My question about {q.about} is still open: {q.shown()}",
                QUESTION,
                ACTOR,
            )

    def _attempt(self, req: Request, slot: _Slot) -> Reply:
        try:
            with self.sessions() as session, session.begin():
                return self._run(session, req, slot)
        except Ask as q:
            return self._asked(req, slot, q)
        except UserError as e:
            return error(str(e))

    def _asked(self, req: Request, slot: _Slot, q: Ask) -> Reply:
        """A command raised a question: nothing of it was stored; store the question (the delivery was
        recorded in a transaction of its own before the command ran)."""
        with self.sessions() as session, session.begin():
            if slot.answered is not None:
                stored.drop_one(session, slot.answered)  # the question this one follows up
            return self._store(session, req, slot, [q])

    def _store(self, session: Session, req: Request, slot: _Slot, asks: list[Ask]) -> Reply:
        roster = self._roster(session)
        new: list[Waiting] = []
        others: list[tuple[str, Waiting]] = []  # questions put to someone else (the chair), by initials
        for i, asked in enumerate(asks):
            to = self._addressee(session, req, asked)
            row = stored.ask(
                session,
                door=req.door,
                channel=req.channel,
                asker=to[1] if to else req.user,
                batch=slot.batch,
                command=slot.command,
                part=asked.part,
                holds=asked.holds,
                prompt=prompt_with_options(roster, asked.prompt, asked.choices, asked.kind),
                before=asked.before,
                after=asked.after,
                kind=asked.kind,
                choices=asked.choices,
                multiple=asked.multiple,
                skip=asked.skip,
                sent_at=req.at,
                message_id=req.message_id,
                expires_at=slot.now + QUESTION_TTL,
                # Someone else's question joins the back of their queue.
                position=None if slot.position is None or to else slot.position + i,
                partnership_id=self.partnership_id,
            )
            if to:
                others.append((to[0], Waiting.of(row)))
            else:
                new.append(Waiting.of(row))
        slot.shown.update(w.id for w in new)
        reply = Reply()
        for initials, w in others:
            name = person_name(roster, initials)
            reply.say(f"Question for {name}: {w.shown()} Waiting on {name}'s answer: {w.holds}.", QUESTION)
        if not new:
            return reply
        first = Waiting.of(stored.queue(session, req.door, req.channel, req.user)[0])
        if first.id == new[0].id:
            reply.say(f"{first.shown()} {waiting_note(first)}", QUESTION)
            later = new[1:]
        else:
            later = new
        after = "that one" if first.id == new[0].id else f"your question about {first.about}"
        for w in later:
            reply.say(
                f"Also waiting for your answer: {w.prompt} {waiting_note(w)} I'll come to it after {after}.",
                QUESTION,
            )
        return reply

    def _addressee(self, session: Session, req: Request, asked: Ask) -> tuple[str, str] | None:
        """(initials, key on this door) of the person a question is for, when it is not whoever typed.
        Someone this door cannot reach is not asked: the question goes to whoever typed, as before."""
        if asked.to is None:
            return None
        me = identity.person_for(session, self.partnership_id, req.door, req.user)
        if me is not None and me.initials == asked.to:
            return None
        key = identity.door_key_of(session, req.door, asked.to, self.partnership_id)
        return (asked.to, key) if key is not None else None

    def _next_question(self, req: Request, reply: Reply, slot: _Slot) -> Reply:
        """After an answer: put the next open question, unless this step has just asked it."""
        with self.sessions() as session:
            first = stored.open_question(session, req.door, req.channel, req.user)
            nxt = Waiting.of(first) if first is not None else None
        if nxt is not None and nxt.id not in slot.shown:
            source = f" (from `{_short(nxt.command)}`)" if nxt.part else ""
            reply.say(f"Next question, about {nxt.about}{source}: {nxt.shown()}", QUESTION)
        return reply

    def _still_waiting(self, req: Request, reply: Reply, slot: _Slot) -> Reply:
        """After another command: repeat the waiting question in one line."""
        with self.sessions() as session:
            first = stored.open_question(session, req.door, req.channel, req.user)
            nxt = Waiting.of(first) if first is not None else None
        if nxt is not None:
            reply.say(nxt.repeated(), audience=ACTOR)  # not a problem with the command itself
        return reply

    def _is_command(self, req: Request) -> bool:
        """Is a message that does not answer the question plainly something else to do?"""
        if registry.match(req.text) is not None:
            return True
        preview = self.preview_capture(req.door, req.channel, req.text, req.at)
        if preview is not None and preview.is_action:
            return True  # an action line in minutes English
        if not req.addressed:
            return False
        # A line the chair team types as minutes ("TM advised …", "Matters arising"): tried in a
        # session that is never committed, so whether it is one is decided by the one rule.
        with self.sessions() as session:
            facts = self._facts(session, req)
            ctx = self._asking(session, req, facts)
            ctx.series = self._series(session, ctx, None, registry.find("help"), facts)
            try:
                return _as_minutes(ctx) is not None
            except UserError:
                return True  # one, refused: run, it says why

    # --- one command -------------------------------------------------------------------------------
    def _run(self, session: Session, req: Request, slot: _Slot, facts: CommandContext | None = None) -> Reply:
        """Run one message as a command; store the questions it asks about what it could not store."""
        facts = facts or self._facts(session, req)
        ctx = self._asking(session, req, facts)
        reply = self._command(ctx, facts)
        if ctx.asked:
            reply.extend(self._store(session, req, slot, ctx.asked))
        return reply

    def _command(self, ctx: Ctx, facts: CommandContext | None = None) -> Reply:
        found = registry.match(ctx.req.text)
        if found is None:
            return self._not_a_command(ctx, facts)
        spec, args = found
        ctx.series = self._series(ctx.session, ctx, args.get("series"), spec, facts)
        if spec.applies is not None and not spec.applies(ctx, args):
            return self._not_a_command(ctx, facts)  # a loose pattern caught ordinary chat ("Thanks for that")
        self._check(ctx, spec)
        if spec.needs_meeting:
            ctx.require_meeting()
        return people.announce(ctx, spec.handler(ctx, args))

    def _asking(self, session: Session, req: Request, facts: CommandContext | None = None) -> Ctx:
        """A handler's context with who is asking (handlers.identity has the rule)."""
        facts = facts or self._facts(session, req)
        if facts is None:
            raise LookupError(f"no partnership {self.partnership_id!r} is loaded")  # as the roster says
        ctx = self.context(session, req, facts=facts)
        by_id = self.setup.rosters.people_by_id(session, self.partnership_id, facts.version)
        person_id = identity.person_id_for(session, self.partnership_id, req.door, req.user, facts, by_id)
        actor = by_id.get(person_id) if person_id is not None else None
        if actor is not None:
            ctx.actor, ctx.actor_id = actor, person_id
        return ctx

    def _series(
        self,
        session: Session,
        ctx: Ctx,
        named: str | None,
        spec: CommandSpec,
        facts: CommandContext | None = None,
    ) -> Series | None:
        if named:
            row = session.execute(_NAMED_SERIES, {"pid": self.partnership_id, "key": named.lower()}).first()
            if row is None:
                raise UserError(
                    f"I don't know a series called “{named}”. Series: {', '.join(ctx.roster.series)}."
                )
            series, meeting = row
            ctx.opened_as_read(series.id, meeting)
            return series
        bound = (
            facts.bound
            if facts is not None
            else bindings.bound_series(session, ctx.req.door, ctx.req.channel)
        )
        if bound is not None:
            return bound
        if ctx.req.series_hint:
            return session.scalars(
                _HINTED_SERIES, {"pid": self.partnership_id, "key": ctx.req.series_hint}
            ).first()
        if len(ctx.roster.series) == 1 and ctx.is_member(next(iter(ctx.roster.series.values()))):
            # A partnership of one series, asked by someone in it: there is nothing to ask (a direct
            # message, an unbound channel). Anyone else is still asked which series, as before.
            (only,) = ctx.roster.series
            row = session.execute(_NAMED_SERIES, {"pid": self.partnership_id, "key": only.lower()}).first()
            if row is not None:
                series, meeting = row
                ctx.opened_as_read(series.id, meeting)
                return series
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
        if spec.changes_series and ctx.series is not None:
            ctx.require_open()  # an ended series is read-only (a command on an action checks its own)
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

    def _not_a_command(self, ctx: Ctx, facts: CommandContext | None = None) -> Reply:
        from handlers.actions import action_if_labelled, capture_from_chat

        ctx.series = self._series(ctx.session, ctx, None, registry.find("help"), facts)
        if ctx.series is not None and ctx.actor is not None and ctx.is_member():
            reply = capture_from_chat(ctx)
            if reply is not None:
                return people.announce(ctx, reply)
        tracker_line = unnumbered_answers.tracker_line_in_a_direct_message(ctx)
        if tracker_line is not None:
            return people.announce(ctx, tracker_line)
        text = ctx.req.text.strip()
        reply = Reply(recognised=False)
        if not ctx.req.addressed:
            return reply  # overheard chat: suggestions would only be thrown away
        minuted = _as_minutes(ctx)
        if minuted is not None:
            return minuted
        near = registry.suggest(text)
        head = f"I didn't understand “{text[:60]}”."
        if (
            ctx.series is not None
            and ctx.actor is not None
            and ctx.is_member()
            and action_if_labelled(ctx, text)
        ):
            line = _short(text, 60)
            as_minutes = re.sub(r"\s+will\s+", " to ", line, count=1, flags=re.I)
            reply.say(
                f"{head} If it is an action, start it with `Action:` (`Action: {line}`)"
                + (f" or write it as minutes do (`{as_minutes}`)." if as_minutes != line else "."),
                ERROR,
                ACTOR,
            )
        elif near:
            lines = "\n".join(f"  `{s.usage}` — {s.summary}" for s in near)
            reply.say(f"{head} Did you mean:\n{lines}\nType `help` for every command.", ERROR, ACTOR)
        else:
            reply.say(f"{head} Type `help` for the commands.", ERROR, ACTOR)
        return reply


# The series a command names (any case), with its open meeting as the context reads the bound
# one's, and the one a door's button names: built once.
_NAMED_SERIES = (
    select(Series, Meeting)
    .outerjoin(Meeting, Meeting.id == command_context.newest_open(Series.id, Series))
    .where(
        Series.partnership_id == bindparam("pid"), func.lower(Series.key) == bindparam("key"), Series.active
    )
)
_HINTED_SERIES = select(Series).where(
    Series.partnership_id == bindparam("pid"), Series.key == bindparam("key")
)


@dataclass
class _Slot:
    """Where the questions a run asks go: the message that asked them, and their place in the queue."""

    batch: str
    command: str  # the message as the person typed it
    now: datetime  # when the person wrote: questions wait QUESTION_TTL from here
    position: int | None = None  # None: the back of the queue; a follow-up takes its question's place
    answered: int | None = None  # the question this run answers (dropped with the run)
    shown: set[int] = field(default_factory=set)  # questions already put in this reply


def _as_minutes(ctx: Ctx) -> Reply | None:
    """A line said to the bot by the chair team the way minutes are typed: "TM advised that …" is a
    note, "Matters arising" takes that item, and "None." under an item says there was nothing."""
    from handlers.agenda import heading
    from handlers.records import minute_line, nothing_under_item

    return minute_line(ctx) or heading(ctx) or nothing_under_item(ctx)


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
