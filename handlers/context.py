"""What a handler is given: the request, the unit of work, who is asking, in which series and meeting."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from handlers.attendance_report import AttendanceReport, NoReport
from handlers.format import long_date, person_name
from storage.models import AuditEvent, Meeting, Series
from storage.roster import PersonRef, Roster, SeriesRef

if TYPE_CHECKING:
    from handlers.setup import CoreSetup, TrackerPolicy


def meeting_day(meeting: Meeting, tz: ZoneInfo) -> date | None:
    """The local date a meeting is (or was) held: its start, else when it was opened."""
    at = meeting.starts_at or meeting.opened_at
    return at.astimezone(tz).date() if at is not None else None


# `Ctx.memo` key: the series this conversation is bound to (or None), as the core read it with the
# command's context; a command that binds or unbinds sets it. Absent: not read yet.
BOUND = "bound series"


@dataclass(frozen=True)
class Request:
    """One message from a door."""

    door: str  # shell | slack | teams
    channel: str  # the conversation; a direct message has its own
    user: str  # the person's key on that door: initials (shell), Slack user id, Teams AAD id
    text: str
    at: datetime  # aware: the message's own time
    direct: bool = False
    message_id: str | None = None
    series_hint: str | None = None  # a door may know the series (e.g. a button's payload)
    # The platform's id of this delivery: a retry or a second delivery of it changes nothing.
    event_id: str | None = None
    # The door vouches that the sender organises the platform meeting of this conversation (Teams).
    meeting_organiser: bool = False
    # False for ordinary chat the bot overheard: actions are still captured, but no "did you mean".
    addressed: bool = True
    # For a command that needs one (`attendance import`): the attendance report the door fetched,
    # or why it has none. None: this door reads no attendance reports.
    attendance_report: AttendanceReport | NoReport | None = None
    # Set when one answer covers several partnerships (`actions mine` in a direct message): what
    # goes before a series id so it names one series ("westmere/" where two partnerships have a
    # `board`; "" where the ids differ). None: one partnership answers.
    qualifier: str | None = None


class UserError(Exception):
    """Bad input: the message says what was wrong and how to fix it; nothing is stored."""


# The longest text the core stores of each kind, in characters (docs/reliability.md). A message is
# at most handlers.core.MAX_MESSAGE long; these are what one record of it may hold.
MAX_LENGTH = {"action title": 500, "update": 2_000, "note": 4_000, "decision": 4_000, "declaration": 2_000}


def require_length(text: str, what: str) -> str:
    """`text` if it is no longer than the most kept for `what`; else UserError saying how long it may be."""
    limit = MAX_LENGTH[what]
    if len(text) > limit:
        article = "An" if what[0] in "aeiou" else "A"
        raise UserError(
            f"{article} {what} can be at most {limit:,} characters and this one is {len(text):,}: shorten it "
            "(attach long text as a document and give its title). Nothing was stored."
        )
    return text


class Refused(UserError):
    """The person may not do this here; the message says who can."""


class Ask(Exception):
    """A question back about one part of a message; the answer fills the hole `before + answer + after`,
    which then runs as the original message (at its time).

    Raised, nothing of the command is stored (`holds` "" says so: the whole message waits). Given to
    `Ctx.ask` instead, the command stores what is clear and the question waits for the rest only:
    `holds` says in words what waits ("SM as present"). `part` is the words asked about; `multiple`
    lets one answer name several (`both`, `1 2`); `skip` is the message to run when the person
    answers `skip` (None: leaving the part out leaves nothing to run). `to` addresses the question
    to someone else (initials: the chair, about a deputy), whose answer runs as their own message;
    None asks whoever typed.
    """

    def __init__(
        self,
        prompt: str,
        *,
        before: str,
        after: str,
        kind: str,
        choices: list[str] | None = None,
        part: str = "",
        holds: str = "",
        multiple: bool = False,
        skip: str | None = None,
        to: str | None = None,
    ):
        super().__init__(prompt)
        self.prompt, self.before, self.after, self.kind = prompt, before, after, kind
        self.choices = choices or []
        self.part, self.holds, self.multiple, self.skip = part, holds, multiple, skip
        self.to = to


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str)) if value is not None else None


# A series' newest open meeting; built once (building a select costs more than running it).
_OPEN_MEETING = (
    select(Meeting)
    .where(Meeting.series_id == bindparam("series_id"), Meeting.status == "open")
    .order_by(Meeting.id.desc())
)


@dataclass
class Ctx:
    session: Session
    req: Request
    roster: Roster
    partnership_id: str
    tz: ZoneInfo
    actor: PersonRef | None
    actor_id: int | None
    setup: CoreSetup
    series: Series | None = None
    _people_ids: dict[str, int] = field(default_factory=dict)
    # What a handler has already read in this command (e.g. a meeting's attendance), to read it once.
    memo: dict[Any, Any] = field(default_factory=dict)
    _initials: dict[int, str] = field(default_factory=dict)
    # Questions about the parts of the message the command could not store (see `Ask`).
    asked: list[Ask] = field(default_factory=list)
    # The partnership's version read with the command's context: cached person ids of it are good.
    version: int | None = None
    # Each series' open meeting as read in this command (series id -> meeting or None), read once.
    _open: dict[int, Meeting | None] = field(default_factory=dict)

    # --- time -------------------------------------------------------------------------------------
    @property
    def now(self) -> datetime:
        return self.req.at

    @cached_property
    def today(self) -> date:
        # Worked out once: a listing asks for it several times a row, and the request's time is fixed.
        return self.req.at.astimezone(self.tz).date()

    # --- settings -----------------------------------------------------------------------------------
    def tracker_policy(self, series_key: str | None = None) -> TrackerPolicy:
        """The reminder policy of a series (this one by default): when an action is stale, long overdue."""
        key = series_key or self.require_series().key
        return self.setup.policy(self.partnership_id, key)

    # --- series and roles ----------------------------------------------------------------------------
    @property
    def sref(self) -> SeriesRef:
        assert self.series is not None
        return self.roster.series[self.series.key]

    def require_series(self) -> Series:
        if self.series is None:
            keys = ", ".join(self.roster.series)
            raise UserError(
                f"Which series? Name it in the command (series: {keys}), or `bind SERIES` here first."
            )
        return self.series

    def require_open(self, series: SeriesRef | None = None) -> None:
        """May this series be changed? The one rule: not after its `ends` date (the partnership's
        local date): it is closed, read-only, and its open actions are its parent's chair's to see."""
        s = series or self.sref
        if not s.closed_on(self.today):
            return
        assert s.ends is not None
        parent = self.roster.series.get(s.parent or "")
        parent_chair = self.chair(parent) if parent is not None else None
        went = (
            f"Its open actions are listed to the chair of {parent.name} "
            f"({self.name(parent_chair)}), in the chair's digest and {parent.name}'s agenda pack."
            if parent is not None and parent_chair
            else f"Its open actions are listed in the chair's digest of {parent.name} (it names no chair: "
            "the digest goes to its vice-chair, else its business manager, else the business unit) and "
            f"in {parent.name}'s agenda pack."
            if parent is not None
            else "Its open actions stay on its tracker."
        )
        raise Refused(
            f"{s.name} ended on {long_date(s.ends)}: the group is closed and its record can no longer "
            f"change. {went} Its tracker, actions and minutes can still be read (`actions {s.id}`, "
            "`action N`, `minutes draft`). Nothing changed."
        )

    def chair(self, series: SeriesRef | None = None, meeting: Meeting | None = None) -> str | None:
        """Who chairs: the one rule. A meeting's own chair (`chair today`), else the series' chair on
        the meeting's date; without a meeting, this series' open meeting, else today. None: a series
        with no standing chair, and nobody said `chair today`."""
        return self._chairs(series, meeting)[0]

    def _chairs(self, series: SeriesRef | None, meeting: Meeting | None) -> tuple[str | None, str | None]:
        """(who chairs, the series' chair of that date): the same person unless `chair today` said."""
        s = series or self.sref
        meeting = meeting or self._meeting_of(s)
        of_the_day = s.chair_on(self._day(meeting))
        return (meeting.chair if meeting is not None else None) or of_the_day, of_the_day

    def _meeting_of(self, s: SeriesRef) -> Meeting | None:
        """This series' open meeting, when the command is in this series."""
        return self.open_meeting() if self.series is not None and s.id == self.series.key else None

    def _day(self, meeting: Meeting | None) -> date:
        return (meeting_day(meeting, self.tz) if meeting is not None else None) or self.today

    def day(self, series: SeriesRef | None = None) -> date:
        """The date the series' offices are read on: its open meeting's date here, else today."""
        if series is None and self.series is None:
            return self.today
        return self._day(self._meeting_of(series or self.sref))

    def seats(self, series: SeriesRef | None = None, meeting: Meeting | None = None) -> tuple[str, ...]:
        """The members the file names, and whoever holds a seat by office on the meeting's date
        (`{chair_of: …}`, `Roster.members_on`)."""
        s = series or self.sref
        meeting = meeting or self._meeting_of(s)
        return self.roster.members_on(s, self._day(meeting))

    def chair_team(self, series: SeriesRef | None = None) -> set[str]:
        s = series or self.sref
        # The series' chair of the day stays in the team when someone else chairs one meeting.
        chairs = self._chairs(s, None)
        team = {i for i in (*chairs, s.vice_chair, s.minute_taker, s.business_manager) if i}
        if self.roster.business_unit and self.roster.business_unit in self.roster.groups:
            team.update(self.group_members(self.roster.business_unit))
        team.update(s.partner_units)  # a joint series: the other partnership's business unit too
        return team

    def group_members(self, group_id: str) -> list[str]:
        """`Roster.group_members`, worked out once per command: it walks every person, and a
        command asks it for each series' chair team (its business unit) and each group owner."""
        key = ("group members", group_id)
        if key not in self.memo:
            self.memo[key] = self.roster.group_members(group_id)
        members: list[str] = self.memo[key]
        return members

    def members(self, series: SeriesRef | None = None) -> set[str]:
        """Members of a series: its member list, chair and vice-chair, and their authorised deputies."""
        s = series or self.sref
        out = set(self.seats(s)) | set(s.chairs()) | {i for i in (self.chair(s), s.vice_chair) if i}
        for deputies in s.deputies.values():
            out.update(deputies)
        return out

    def is_chair_team(self, series: SeriesRef | None = None) -> bool:
        return self.actor is not None and self.actor.initials in self.chair_team(series)

    def is_member(self, series: SeriesRef | None = None) -> bool:
        return self.actor is not None and (
            self.actor.initials in self.members(series) or self.is_chair_team(series)
        )

    def who_can_run_meeting(self, series: SeriesRef | None = None) -> str:
        s = series or self.sref
        chair = self.chair(s)
        # A series with no chair named: whoever chairs this meeting (`chair today`), if anyone.
        parts = [f"the chair ({person_name(self.roster, chair)})"] if chair else []
        if s.vice_chair:
            parts.append(f"vice-chair ({person_name(self.roster, s.vice_chair)})")
        if s.minute_taker:
            parts.append(f"minute taker ({person_name(self.roster, s.minute_taker)})")
        if s.business_manager:
            parts.append(f"business manager ({person_name(self.roster, s.business_manager)})")
        bu = self.roster.business_unit
        if bu and bu in self.roster.groups:
            parts.append(f"the {self.roster.groups[bu].name}")
        if not parts:  # the file's checks prevent it: a series with no chair names someone to run it
            return "nobody the partnership file names (give the series a chair or a business manager)"
        if not chair and not parts[0].startswith("the "):
            parts[0] = "the " + parts[0]
        return ", ".join(parts[:-1]) + " or " + parts[-1] if len(parts) > 1 else parts[0]

    # --- meeting -------------------------------------------------------------------------------------
    def open_meeting(self) -> Meeting | None:
        """This series' open meeting, read once per command (`meeting start` and `meeting end` say
        when it changes: `opened`); a meeting closed since it was read is read again."""
        if self.series is None:
            return None
        sid = self.series.id
        if sid in self._open:
            known = self._open[sid]
            if known is None or known.status == "open":
                return known
        meeting = self.session.scalars(_OPEN_MEETING, {"series_id": sid}).first()
        self._open[sid] = meeting
        return meeting

    def opened_as_read(self, series_id: int, meeting: Meeting | None) -> None:
        """A series' open meeting (or None) as read with the command's context, so not read again."""
        self._open.setdefault(series_id, meeting)

    def opened(self, meeting: Meeting) -> None:
        """A meeting of this command's series was just opened: it is the open meeting from now on."""
        self._open[meeting.series_id] = meeting

    def require_meeting(self) -> Meeting:
        meeting = self.open_meeting()
        if meeting is None:
            name = self.series.name if self.series else "this series"
            raise UserError(f"No meeting of {name} is open here. Start one with `meeting start`.")
        return meeting

    # --- people --------------------------------------------------------------------------------------
    def _ids(self) -> dict[str, int]:
        if not self._people_ids:
            # The cache's own maps, never changed here (`add_person` copies them): copying 300 people
            # per command cost more than the rest of a `quorum`'s Python.
            rosters = self.setup.rosters
            self._people_ids = rosters.person_ids(self.session, self.partnership_id, self.version)
            self._initials = rosters.initials_by_id(self.partnership_id, self._people_ids)
        return self._people_ids

    def person_id(self, initials: str) -> int:
        ids = self._ids()
        if initials not in ids:
            raise UserError(f"{initials} is not in the partnership file.")
        return ids[initials]

    def initials_of(self, person_id: int | None) -> str | None:
        if person_id is None:
            return None
        self._ids()
        return self._initials.get(person_id)

    def name(self, initials: str | None) -> str:
        return person_name(self.roster, initials)

    def add_person(self, person: PersonRef, person_id: int) -> None:
        """Someone recorded during this command (a guest): known by key and id from now on."""
        self._ids()
        self._people_ids = {**self._people_ids, person.initials: person_id}
        self._initials = {**self._initials, person_id: person.initials}
        self.roster = self.roster.with_person(person)

    # --- questions -----------------------------------------------------------------------------------
    def ask(self, question: Ask) -> None:
        """Ask about one part and carry on: what the command stores stays, the question waits for the rest."""
        self.asked.append(question)

    def _token(self, token: str, start: int) -> tuple[int, int]:
        text = self.req.text
        m = re.compile(r"(?<![\w@])" + re.escape(token) + r"(?!\w)").search(text, start)
        if m is not None:
            return m.start(), m.end()
        i = text.find(token, start)
        if i < 0:
            raise ValueError(f"{token!r} not in message")
        return i, i + len(token)

    def hole(self, token: str, start: int = 0) -> tuple[str, str]:
        """Split the message around the first whole-word `token` (at or after `start`) for a question."""
        i, j = self._token(token, start)
        return self.req.text[:i], self.req.text[j:]

    def without(self, token: str, start: int = 0) -> str:
        """The message with `token` and the separator beside it left out ("SM and HN to …" -> "HN to …")."""
        before, after = self.hole(token, start)
        sep = re.compile(r"\s*(?:/|,|&|\+|\band\b)\s*$", re.I)
        if sep.search(before):
            before = sep.sub("", before)
        else:
            after = re.sub(r"^\s*(?:/|,|&|\+|\band\b)\s*", "", after, flags=re.I)
        return (before.rstrip() + " " + after.lstrip()).strip()

    # --- audit ---------------------------------------------------------------------------------------
    def audit(
        self,
        entity: str,
        entity_id: Any,
        verb: str,
        before: Any = None,
        after: Any = None,
        series_id: int | None = None,
    ) -> None:
        self.session.add(
            AuditEvent(
                at=self.now,
                partnership_id=self.partnership_id,
                series_id=series_id if series_id is not None else (self.series.id if self.series else None),
                actor_id=self.actor_id,
                actor=self.actor.initials if self.actor else self.req.user,
                door=self.req.door,
                entity=entity,
                entity_id=str(entity_id) if entity_id is not None else None,
                verb=verb,
                before=_jsonable(before),
                after=_jsonable(after),
            )
        )
