"""One bot for several partnerships: which partnership's core answers a message.

Every door talks to a `Router`, which has the door-facing methods of `Core` and keeps one
`Core` per loaded partnership. The rule, in this order:

1. A series written with its partnership before it (`westmere/board 3 done`) names that
   partnership (and is read as `board 3 done` there).
2. A conversation bound to a series is that series' partnership's (bindings are the truth).
3. An answer to an open question goes to the partnership whose command asked it.
4. Otherwise (a direct message, an unbound channel) the partnerships of the person who wrote
   (`handlers.identity.people_for`: the same person by e-mail or platform id):
   - in one of them (or none): that one answers, as when only one is loaded;
   - in several: `actions mine` answers from each; a command naming a series goes to the
     partnership that has it; a bare action number goes to the partnership where it is one of
     the person's own actions; anything else that needs a series says how to name it. Other
     commands are answered by the home partnership (app.yaml's `partnership:`), else the first.

A person only in one partnership never reaches another's core, so nothing of a partnership
shows to someone outside it: each core keeps its own roles and visibility.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from handlers import identity, registry
from handlers.actions import action_number
from handlers.context import Request
from handlers.core import BoundSeries, Core, admit, database_away, may_capture, not_saved
from handlers.faults import log_fault
from handlers.identity import AmbiguousUser, Who, who_of
from handlers.reply import ACTOR, ERROR, Reply, error
from handlers.setup import CoreSetup
from storage import bindings
from storage import questions as stored
from storage.models import Partnership, Series
from storage.roster import Roster

if TYPE_CHECKING:
    from handlers.calendar_events import CalendarEvent
    from handlers.capture_preview import CapturePreview
    from handlers.my_actions import ActionState, MyAction
    from handlers.platform_meetings import PlatformMeeting

log = logging.getLogger("partnerbot.router")

QUALIFIED = re.compile(r"(?<![\w/])(?P<partnership>[A-Za-z][\w-]*)/(?P<series>[A-Za-z][\w-]*)\b")
FAN_OUT = frozenset({"actions mine"})  # answered from each of the person's partnerships
KNOWN_SECONDS = 60.0  # someone found known is not looked up again before their messages for a minute


def unqualify(text: str, partnership_ids: Iterable[str]) -> tuple[str, str | None]:
    """`westmere/board 3 done` → (`board 3 done`, "westmere") when westmere is loaded."""
    known = {p.lower(): p for p in partnership_ids}
    for m in QUALIFIED.finditer(text):
        pid = known.get(m.group("partnership").lower())
        if pid is not None:
            return text[: m.start()] + m.group("series") + text[m.end() :], pid
    return text, None


class Router:
    def __init__(self, sessions: sessionmaker[Session], setup: CoreSetup, home: str | None = None) -> None:
        self.sessions = sessions
        self.setup = setup
        self.home = home  # the shell's partnership, and the answer when nothing else decides
        self._cores: dict[str, Core] = {}
        self._known: dict[tuple[str, str], float] = {}  # (door, user) → when last found known

    # --- partnerships ---------------------------------------------------------------------------------
    def partnerships(self) -> list[str]:
        """The loaded partnerships, asked each time: a file loaded while serving counts at once."""
        with self.sessions() as session:
            return list(session.scalars(select(Partnership.id).order_by(Partnership.id)))

    def core(self, partnership_id: str) -> Core:
        core = self._cores.get(partnership_id)
        if core is None:
            core = self._cores[partnership_id] = Core(self.sessions, partnership_id, self.setup)
        return core

    def _default(self, among: Iterable[str]) -> str:
        ids = list(among)
        return self.home if self.home in ids else ids[0]

    @property
    def partnership_id(self) -> str:
        """The home partnership: app.yaml's `partnership:`, else the first loaded."""
        return self._default(self.partnerships())

    def roster(self) -> Roster:
        return self.core(self.partnership_id).roster()

    # --- one message ------------------------------------------------------------------------------------
    def handle(self, req: Request) -> Reply:
        admitted = admit(req)  # before anything reads it: a message too long is refused here
        if isinstance(admitted, Reply):
            return admitted
        req = admitted
        try:
            reply = self._route(req)
        except AmbiguousUser as e:
            reply = error(
                f"{e.key} names different people in {' and '.join(e.partnerships)}: start the shell "
                "with `--partnership ID` (or set `partnership:` in app.yaml) to say which you are."
            )
        except Exception as e:
            if database_away(e):
                return not_saved(e)
            ref = log_fault(log, "routing failed", req, e)  # never the message's text (handlers/faults.py)
            return error(f"Sorry, something went wrong and nothing was changed. (reference {ref})")
        return reply

    def _route(self, req: Request) -> Reply:
        with self.sessions() as session:
            ids, bound = bindings.routing(session, req.door, req.channel)  # one read
        if not ids:
            return error("No partnership is loaded: `partnerbot load FILE.yaml` first.")
        text, named = unqualify(req.text, ids)
        if named is not None:
            return self._one(named, replace(req, text=text))
        if bound is not None:
            return self._one(bound, req)
        with self.sessions() as session:
            asked = stored.asked_by(session, req.door, req.channel, req.user)
            if asked in ids:
                return self._one(asked, req)
            mine = list(identity.people_for(session, ids, req.door, req.user, self.home))
        if len(mine) <= 1:
            return self._one(mine[0] if mine else self._default(ids), req)
        return self._across(mine, req)

    def _one(self, partnership_id: str, req: Request) -> Reply:
        reply = self.core(partnership_id).handle(req)
        reply.partnership_id = partnership_id
        return reply

    def _across(self, mine: list[str], req: Request) -> Reply:
        """A person of several partnerships, in a direct message or an unbound conversation."""
        found = registry.match(req.text)
        if found is None:
            return self._one(self._default(mine), req)  # chat, or not a command: one answer
        spec, args = found
        if spec.name in FAN_OUT:
            reply = Reply()
            prefixes = self._qualifiers(mine)
            for i, pid in enumerate(mine):
                # The delivery is recorded once, by the first: a retry changes nothing anywhere.
                part = self.core(pid).handle(
                    replace(req, qualifier=prefixes[pid], event_id=req.event_id if i == 0 else None)
                )
                if i == 0 and not part.recognised and not part.messages:
                    return part  # already handled
                reply.extend(part)
            return reply
        series = args.get("series")
        if series:
            having = self._having(mine, series)
            if len(having) == 1:
                return self._one(having[0], req)
            if len(having) > 1:
                return self._say_which(req, spec, having, series, args.get("num"))
            return self._one(self._default(mine), req)  # the core says which series there are
        if "num" in args and (number := action_number(str(args["num"]))) is not None:
            holders = [
                (pid, a.series)
                for pid in mine
                for a in self.core(pid).my_actions(req.door, req.user, req.at) or []
                if a.number == number
            ]
            pids = sorted({pid for pid, _ in holders})
            if len(pids) == 1:
                return self._one(pids[0], req)
            if pids:
                forms = " or ".join(f"`{pid}/{key} {number}`" for pid, key in holders)
                return Reply().say(
                    f"You have an action {number} in {' and '.join(pids)}: say which, e.g. {forms}.",
                    ERROR,
                    ACTOR,
                )
            return self._one(self._default(mine), req)  # the core says it is not yours
        if spec.needs_series:
            return self._say_which(req, spec, mine, None, None)
        return self._one(self._default(mine), req)

    def _having(self, partnerships: list[str], series: str) -> list[str]:
        with self.sessions() as session:
            found = session.scalars(
                select(Series.partnership_id).where(
                    Series.partnership_id.in_(partnerships),
                    func.lower(Series.key) == series.lower(),
                    Series.active,
                )
            )
            return sorted(set(found))

    def _qualifiers(self, partnerships: list[str]) -> dict[str, str]:
        """What goes before each partnership's series ids: its id where another has the same key."""
        with self.sessions() as session:
            rows = list(
                session.execute(
                    select(Series.partnership_id, Series.key).where(
                        Series.partnership_id.in_(partnerships), Series.active
                    )
                )
            )
        keys: dict[str, set[str]] = {}
        for pid, key in rows:
            keys.setdefault(key.lower(), set()).add(pid)
        collide = {pid for owners in keys.values() if len(owners) > 1 for pid in owners}
        return {pid: f"{pid}/" if pid in collide else "" for pid in partnerships}

    def _say_which(
        self, req: Request, spec: registry.CommandSpec, pids: list[str], series: str | None, num: str | None
    ) -> Reply:
        if series:
            example = req.text.strip().replace(series, f"{pids[0]}/{series}", 1)
            head = f"{' and '.join(pids)} both have a series “{series}”"
        elif "SERIES" in spec.usage:
            example = spec.usage.replace("[SERIES]", "SERIES").replace("SERIES", f"{pids[0]}/SERIES", 1)
            head = f"You are in {' and '.join(pids)}"
        else:  # a meeting command: it runs where a series is bound
            return Reply().say(
                f"You are in {' and '.join(pids)}: `{spec.usage}` works in a conversation bound to a series "
                f"(`bind {pids[0]}/SERIES` there first). Nothing changed.",
                ERROR,
                ACTOR,
            )
        return Reply().say(
            f"{head}: say which, with the partnership before the series, e.g. `{example}`. Nothing changed.",
            ERROR,
            ACTOR,
        )

    # --- what doors ask (Core's questions, for every partnership) -----------------------------------------
    def _partnership_of(self, door: str, channel: str | None) -> str | None:
        if channel is None:
            return None
        with self.sessions() as session:
            series = bindings.bound_series(session, door, channel)
            return series.partnership_id if series is not None else None

    def _people(self, door: str, user_key: str) -> list[str]:
        ids = self.partnerships()
        with self.sessions() as session:
            try:
                return list(identity.people_for(session, ids, door, user_key, self.home))
            except AmbiguousUser:
                return [self.home] if self.home in ids else []

    def _found(self, door: str, user_key: str) -> dict[str, Who]:
        """Who a door's user is in each partnership they belong to (a shell's initials naming
        different people: in the home partnership only, as `_people` answers)."""
        ids = self.partnerships()
        with self.sessions() as session:
            try:
                found = identity.people_for(session, ids, door, user_key, self.home)
            except AmbiguousUser:
                home = identity.person_for(session, self.home, door, user_key) if self.home in ids else None
                found = {self.home: home} if home is not None and self.home else {}
            return {pid: who for pid, person in found.items() if (who := who_of(person)) is not None}

    def who(self, door: str, user_key: str, channel: str | None = None) -> Who | None:
        """Who a door's user is: in the partnership of the channel's binding, else their home one."""
        pid = self._partnership_of(door, channel)
        if pid is not None:
            return self.core(pid).who(door, user_key)
        found = self._found(door, user_key)  # already the answer: not asked again of the core
        return found[self._default(found)] if found else None

    def known(self, door: str, user_key: str) -> bool:
        """Whether `who` would find this user, asked before a message to learn someone new first;
        False is no answer (`handlers.identity.surely_known`): ask `who`. Someone found known is
        not asked about again for KNOWN_SECONDS: the core identifies the writer itself in each
        command's one read, so a person dropped from the file meanwhile is still refused by it."""
        seen = self._known.get((door, user_key))
        if seen is not None and time.monotonic() - seen < KNOWN_SECONDS:
            return True
        with self.sessions() as session:
            found = identity.surely_known(session, door, user_key)
        if found:
            self._known[(door, user_key)] = time.monotonic()
        return found

    def learn_identity(self, door: str, user_key: str, emails: Iterable[str], at: datetime) -> Who | None:
        """Match a chat profile's e-mail in every partnership: who they are in the home one, else the
        first."""
        wanted = list(emails)
        found = {
            pid: who
            for pid in self.partnerships()
            if (who := self.core(pid).learn_identity(door, user_key, wanted, at)) is not None
        }
        return found[self._default(found)] if found else None

    def door_keys(self, door: str, person_id: int) -> list[str]:
        return self.core(self.partnership_id).door_keys(door, person_id)

    def door_key(self, door: str, initials: str, partnership_id: str | None = None) -> str | None:
        """Where to reach someone on a door by initials: initials are each partnership's own."""
        return self.core(partnership_id or self.partnership_id).door_key(door, initials)

    def person(self, initials: str, partnership_id: str | None = None) -> Who | None:
        """Someone by initials, in the partnership named (a reply's), else the home one."""
        return self.core(partnership_id or self.partnership_id).person(initials)

    def bound_series(self, door: str, channel: str) -> BoundSeries | None:
        return self.core(self.partnership_id).bound_series(door, channel)

    def has_question(self, door: str, channel: str, user: str) -> bool:
        # Questions are kept per conversation and person, whichever partnership asked: one read.
        with self.sessions() as session:
            return stored.has_question(session, door, channel, user)

    def cancel_question(self, door: str, channel: str, user: str, event_id: str | None = None) -> None:
        self.core(self.partnership_id).cancel_question(door, channel, user, event_id)

    def captured_as(self, door: str, channel: str, message_id: str) -> int | None:
        return self.core(self.partnership_id).captured_as(door, channel, message_id)

    def may_capture(self, text: str) -> bool:
        return may_capture(text)  # the text alone decides: no partnership is read

    def preview_capture(self, door: str, channel: str, text: str, at: datetime) -> CapturePreview | None:
        pid = self._partnership_of(door, channel)
        return self.core(pid).preview_capture(door, channel, text, at) if pid is not None else None

    def series_keys(self, door: str, channel: str, user: str) -> list[str]:
        """The series a person could name here (for a door's hint): qualified where ids collide."""
        pid = self._partnership_of(door, channel)
        mine = [pid] if pid is not None else self._people(door, user) or [self.partnership_id]
        prefixes = self._qualifiers(mine)
        return [f"{prefixes[p]}{key}" for p in mine for key in self.core(p).roster().series]

    def my_actions(self, door: str, user: str, at: datetime) -> list[MyAction] | None:
        """A person's open actions in every partnership they are in, soonest due first."""
        mine = self._people(door, user)
        if not mine:
            return None
        prefixes = self._qualifiers(mine) if len(mine) > 1 else {mine[0]: None}
        out: list[MyAction] = []
        for pid in mine:
            out.extend(self.core(pid).my_actions(door, user, at, prefixes[pid]) or [])
        return out

    def action_states(
        self, door: str, user: str, refs: list[str], at: datetime, partnership_id: str | None = None
    ) -> list[ActionState]:
        """How each action of an answered reminder stands now, in the partnership that answered (or
        the one a ref names: `westmere/board 3`), with the answers the person may still give."""
        ids = self.partnerships()
        home = partnership_id if partnership_id in ids else self.partnership_id
        out: list[ActionState] = []
        for ref in refs:
            plain, named = unqualify(ref, ids)
            pid = named or home
            out.extend(self.core(pid).action_states(door, user, [plain], at, f"{named}/" if named else None))
        return out

    def record_calendar_event(self, partnership_id: str | None, event: CalendarEvent, at: datetime) -> None:
        self.core(partnership_id or self.partnership_id).record_calendar_event(event, at)

    def calendar_event(self, partnership_id: str | None, door: str, uid: str) -> CalendarEvent | None:
        return self.core(partnership_id or self.partnership_id).calendar_event(door, uid)

    def record_platform_event(self, partnership_id: str | None, door: str, **event: Any) -> bool:
        """A platform meeting's event, in the partnership of the chat's binding (else the home one)."""
        return self.core(partnership_id or self.partnership_id).record_platform_event(door, **event)

    def platform_meetings(
        self, partnership_id: str | None, door: str, *, chat: str | None = None
    ) -> list[PlatformMeeting]:
        return self.core(partnership_id or self.partnership_id).platform_meetings(door, chat=chat)

    def participant_events(
        self, partnership_id: str | None, door: str, platform_id: str
    ) -> list[tuple[str, datetime, dict[str, Any]]]:
        return self.core(partnership_id or self.partnership_id).participant_events(door, platform_id)
