"""`partnerbot import tracker FILE --series ID`: a partnership's action tracker brought into the bot.

The rows a reader gives (handlers/import_read.py) are read against the partnership first, all of
them, storing nothing: numbers (kept as the tracker has them; one used twice is a problem), owners
(the name rules of live capture, handlers/names.py: initials, names, groups, roles, "all
partners"; a full name nobody has becomes a guest, unknown or shared initials are problems that
`--assume XX=NAME` settles), due dates, statuses, updates with their dates, and the meeting each
action was raised in. That is the preview (`--dry-run`). The import stores the same plan in one
transaction, or nothing if any problem is left.

An action already in the tracker with the row's number is the same action when an import made it
(or it has the same title): the import adds only what is new (updates it has not got, a change of
status, due date or owners), so the same file again changes nothing. A status, due date or owner
set since in the bot is not undone by an import: it is kept, and the preview says so.

Every change is logged on the action (`action_updates`, door `import`, at the date the file gives)
and audited like a change in chat (the kinds of handlers/actions.py), marked with the file's name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import selectinload

from handlers.actions import (
    DONE,
    DROP,
    DUE,
    OWNER,
    REOPEN,
    UPDATE,
    Change,
    _set_owners,
    current_owners,
    load_owner_initials,
    snapshot,
)
from handlers.capture import Capture, capture_action
from handlers.context import Ctx, UserError
from handlers.dates import parse_date
from handlers.format import owners_short, short_date
from handlers.import_read import Source, SourceRow, absolute_date, cut_status, date_in
from handlers.meetings import next_meeting_date
from handlers.names import (
    Ambiguous,
    NameResult,
    Owner,
    Resolved,
    Unknown,
    close_people,
    full_name_like,
    resolve_name,
    split_names,
)
from handlers.people import record_guest, typed_name
from storage.models import Action, ActionOwner, ActionUpdate, Meeting, Series

DOOR = "import"  # the door of every log entry and audit event an import writes

_OPEN = {
    "ongoing",
    "open",
    "remains open",
    "carried forward",
    "c/f",
    "on hold",
    "in progress",
    "not started",
    "deferred",
    "overdue",
    "red",
    "amber",
    "green",
    "r",
    "a",
    "g",
}
_DONE = {"closed", "complete", "completed", "done", "blue", "b", "achieved", "finished"}
_DROPPED = {"dropped", "withdrawn", "superseded", "cancelled", "canceled", "no longer required"}
_STATUS_SHOWN = {"open": "ongoing", "done": "closed", "dropped": "dropped"}  # as trackers write them
_NO_DATE = {"", "-", "–", "—", "n/a", "na", "tbc", "tba", "none", "ongoing", "various", "asap"}


def status_of(word: str | None) -> str | None:
    """open | done | dropped for a status as trackers write it; "" when there is none; None: unreadable."""
    if word is None:
        return ""
    low = re.sub(r"\s+", " ", word.strip().lower().strip(".!"))
    low = re.sub(r"^(?:action|status)\s*[:\-–—]?\s*", "", low)
    if not low:
        return ""
    if low in _OPEN:
        return "open"
    if low in _DONE:
        return "done"
    if low in _DROPPED:
        return "dropped"
    return None


@dataclass(frozen=True)
class Problem:
    where: str  # "line 114", "row 5, column “Owner”"
    text: str
    fix: str

    def __str__(self) -> str:
        return f"{self.where}: {self.text} {self.fix}"


@dataclass(frozen=True)
class OwnerPlan:
    """An owner read: someone (or a group, agency, "all") known, or a guest to record by name."""

    owner: Owner | None = None
    guest: str | None = None


@dataclass
class RowPlan:
    row: SourceRow
    number: int | None = None
    text: str = ""
    title: str = ""
    owners_read: str = ""  # as the file writes them
    owners: list[OwnerPlan] = field(default_factory=list)
    due: date | None = None
    due_kind: str | None = None
    status: str = "open"
    status_said: bool = False  # the file says a status (else an existing action keeps its own)
    updates: list[tuple[date, str]] = field(default_factory=list)
    raised: date | None = None
    raised_in: str = ""  # the meeting it was raised in, as written
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    existing: Action | None = None
    changes: list[str] = field(default_factory=list)  # what the import would do, in words

    @property
    def new(self) -> bool:
        return self.existing is None


@dataclass
class Plan:
    source: Source
    series: Series
    rows: list[RowPlan]
    notes: list[str]
    guests: list[str]  # full names to record as guests
    problems: list[Problem]
    assumed: dict[str, str]
    undated: date | None  # the day given to updates the file writes without a date (None: it dates them)
    # The meeting the file is the minutes of (`import meeting`): what is dated its day was said at it.
    meeting: Meeting | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class Counts:
    imported: int = 0
    updated: int = 0
    skipped: int = 0
    guests: int = 0

    def __str__(self) -> str:
        return (
            f"{self.imported} imported, {self.updated} updated, {self.skipped} skipped (nothing new), "
            f"{self.guests} guest{'s' if self.guests != 1 else ''} created"
        )


def parse_assume(pairs: list[str]) -> dict[str, str]:
    """--assume XX=NAME, each: the name as the file writes it -> who it means."""
    out: dict[str, str] = {}
    for pair in pairs:
        typed, sep, meant = pair.partition("=")
        if not sep or not typed.strip() or not meant.strip():
            raise UserError(
                f"--assume {pair!r}: write it as NAME=WHO, e.g. --assume SM=SMo or "
                "--assume 'Jo Bloggs=guest'. Nothing was imported."
            )
        out[typed_name(typed)] = typed_name(meant)
    return out


def _assume(name: str, meant: str) -> str:
    """The option that settles a name, quoted for the shell when it needs to be."""
    pair = f"{name}={meant}"
    return f"--assume {pair}" if re.fullmatch(r"[\w.-]+=[\w.-]+", pair) else f"--assume '{pair}'"


def _series(ctx: Ctx, key: str) -> Series:
    row = ctx.session.scalars(
        select(Series).where(
            Series.partnership_id == ctx.partnership_id, func.lower(Series.key) == key.lower()
        )
    ).first()
    if row is None:
        keys = ", ".join(ctx.roster.series)
        raise UserError(f"No series {key!r} (series: {keys}). Nothing was imported.")
    return row


def _noon(day: date, ctx: Ctx) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=ctx.tz)


def _said(ctx: Ctx, plan: Plan, day: date) -> datetime:
    """When a change dated `day` was made: at the meeting the file minutes, on its day; else noon."""
    m = plan.meeting
    if m is not None and m.starts_at is not None and m.starts_at.astimezone(ctx.tz).date() == day:
        return m.starts_at
    return _noon(day, ctx)


# --- reading the rows against the partnership -----------------------------------------------------------


class _Reader:
    def __init__(self, ctx: Ctx, source: Source, series: Series, assume: dict[str, str], day: date | None):
        self.ctx, self.source, self.series, self.assume = ctx, source, series, assume
        self.used: set[str] = set()
        self.read: dict[str, OwnerPlan | tuple[str, str]] = {}
        self.guests: list[str] = []
        # Updates written without a date are of the document's date (minutes), else the one given, else today.
        self.day = day or source.date or ctx.today
        self.undated = None if (day or source.date) else ctx.today
        self.next_meeting, _ = next_meeting_date(ctx, series)

    # owners ------------------------------------------------------------------------------------------
    def _assumed(self, typed: str) -> str | None:
        key = typed_name(typed)
        for k in (key, *(k for k in self.assume if k.lower() == key.lower())):
            if k in self.assume:
                self.used.add(k)
                return self.assume[k]
        return None

    def owner(self, typed: str, plan: RowPlan, found: NameResult | None = None) -> OwnerPlan | None:
        """One owner as written: who it is, or None with the row's problem added. A name is read once per
        file (trackers repeat their owners on every row)."""
        name = typed_name(typed)
        if name not in self.read:
            if found is None:
                found = resolve_name(name, self.ctx.roster, self.series.key)
            self.read[name] = self._decide(name, found)
        decided = self.read[name]
        if isinstance(decided, OwnerPlan):
            return decided
        plan.problems.append(Problem(plan.row.at("owner"), *decided))
        return None

    def _decide(self, name: str, found: NameResult) -> OwnerPlan | tuple[str, str]:
        """Who a name is, or the problem it is: (what is wrong, how to settle it)."""
        roster = self.ctx.roster
        meant = self._assumed(name)
        if meant is not None:
            if meant.lower() == "guest":
                return self._guest(name)
            again = resolve_name(meant, roster, self.series.key)
            if isinstance(again, Resolved):
                return OwnerPlan(owner=again.owner)
            if isinstance(again, Unknown) and full_name_like(meant):
                return self._guest(meant)
            return (
                f"--assume {name}={meant}: “{meant}” is not exactly one person, group or agency of the file.",
                "Give initials, a full name, a group, `all` or `guest`.",
            )
        if isinstance(found, Resolved):
            return OwnerPlan(owner=found.owner)
        if isinstance(found, Ambiguous):
            options = " or ".join(f"{c} ({self.ctx.name(c)})" for c in found.candidates)
            return (
                f"owner “{name}” could be {options}.",
                f"Settle it with {_assume(name, found.candidates[0])} (or whoever it is), or fix the file.",
            )
        if full_name_like(name):
            close = close_people(name, roster)
            if not close:
                return self._guest(name)
            options = " or ".join(f"{self.ctx.name(c)} ({c})" if c in roster.people else c for c in close)
            return (
                f"owner “{name}” is not in the partnership file, but is close to {options}.",
                f"Settle it with {_assume(name, close[0])}, or {_assume(name, 'guest')} to record "
                f"{name} as a guest.",
            )
        hint = f" (did you mean {', '.join(found.suggestions)}?)" if found.suggestions else ""
        return (
            f"owner “{name}” not recognised{hint}.",
            f"Settle it with {_assume(name, 'NAME')} (initials, a full name, a group or `all`), "
            "or fix the file.",
        )

    def _guest(self, name: str) -> OwnerPlan:
        found = resolve_name(name, self.ctx.roster, self.series.key, people_only=True)
        if isinstance(found, Resolved):  # a guest an earlier import or meeting recorded
            return OwnerPlan(owner=found.owner)
        if name not in self.guests:
            self.guests.append(name)
        return OwnerPlan(guest=name)

    def owners_in(self, text: str, plan: RowPlan) -> None:
        for name in split_names(text):
            one = self.owner(name, plan)
            if one is not None and one not in plan.owners:
                plan.owners.append(one)

    def owners_captured(self, c: Capture, plan: RowPlan) -> None:
        for o in c.owners:
            plan.owners.append(OwnerPlan(owner=o))
        for q in c.questions:
            one = self.owner(q.text, plan, q)
            if one is not None and one not in plan.owners:
                plan.owners.append(one)

    # dates -------------------------------------------------------------------------------------------
    def a_date(self, value: str | date | None, plan: RowPlan) -> tuple[date | None, str | None, bool]:
        """(date, kind, read): a cell as a date; read False when something is written that is no date."""
        if value is None:
            return None, None, True
        if isinstance(value, date):
            return value, "date", True
        text = value.strip()
        if text.lower().strip(".") in _NO_DATE:
            return None, None, True
        day = absolute_date(text)
        if day is not None:
            return day, "date", True
        base = _noon(plan.raised or self.day, self.ctx)
        due = parse_date(text, sent_at=base, tz=self.ctx.roster.timezone, next_meeting=self.next_meeting)
        if due is not None and due.kind == "next_meeting":
            return self.next_meeting, "next_meeting", True
        if due is not None and due.date is not None:
            return due.date, "date", True
        return None, None, False

    # one row ------------------------------------------------------------------------------------------
    def row(self, row: SourceRow) -> RowPlan:
        plan = RowPlan(row)
        number = re.search(r"\d+", row.number or "")
        if number is None:
            plan.problems.append(
                Problem(row.at("number"), "no action number.", "Give the row its number in the file.")
            )
        else:
            plan.number = int(number.group())
        self._raised(plan)
        # The action's own words give its owners and due date where no column does, as in live capture.
        c = None
        if row.minutes_form or "owner" not in row.columns or "due" not in row.columns:
            c = capture_action(
                f"Action {plan.number or ''}. {row.action}",
                self.ctx.roster,
                series=self.series.key,
                sent_at=_noon(plan.raised or self.day, self.ctx),
                next_meeting=self.next_meeting,
            )
        status_word = self._text_and_updates(plan, c)
        before = len(plan.problems)
        if row.owner is not None or (not row.minutes_form and "owner" in row.columns):
            plan.owners_read = row.owner or ""
            if row.owner:
                self.owners_in(row.owner, plan)
        elif c is not None:
            read = [owners_short(self.ctx.roster, [o]) for o in c.owners]
            plan.owners_read = "/".join([*read, *(q.text for q in c.questions)])
            self.owners_captured(c, plan)
        if not plan.owners and len(plan.problems) == before:
            plan.notes.append("no owner read: imported without one (the chair's digest lists it)")
        self._due(plan, c)
        status = status_of(status_word)
        if status is None:
            plan.problems.append(
                Problem(
                    row.at("status"),
                    f"status “{status_word}” unreadable.",
                    "Write ongoing, open, closed, complete, dropped, or a RAG colour (blue: complete).",
                )
            )
        elif status:
            plan.status, plan.status_said = status, True
        return plan

    def _raised(self, plan: RowPlan) -> None:
        """When and where the action was raised: its date raised, else a date in its meeting's name."""
        row = plan.row
        if row.raised is not None:
            plan.raised, _, ok = self.a_date(row.raised, plan)
            if not ok:
                plan.problems.append(
                    Problem(
                        row.at("raised"),
                        f"date raised “{row.raised}” unreadable.",
                        "Write it as 12/07/2023, or leave the cell empty.",
                    )
                )
        if row.meeting is not None:
            plan.raised_in = row.meeting.isoformat() if isinstance(row.meeting, date) else row.meeting
            if plan.raised is None:
                plan.raised = row.meeting if isinstance(row.meeting, date) else date_in(str(row.meeting))
        elif plan.raised:
            plan.raised_in = plan.raised.isoformat()

    def _text_and_updates(self, plan: RowPlan, c: Capture | None) -> str | None:
        """The action's text and title, its dated updates; returns the status word written."""
        row = plan.row
        updates = list(row.updates)
        status_word = row.status
        if row.minutes_form and c is not None:
            # "Action 1. … SCR. No further update. Action ongoing.": update and status on the action's line.
            plan.text = (c.action_text or row.action).strip()
            if c.update:
                joined = f"{c.update} {updates[0][1]}" if updates else c.update
                updates = [(None, joined), *updates[1:]]
            status_word = status_word or c.status
            if not c.is_action:
                plan.text = _without_update(row.action, c)
        else:
            plan.text = row.action.strip()
            if status_word is None and updates:  # "… Action ongoing." closing the update cell
                last, word = cut_status(updates[-1][1])
                if word:
                    updates[-1], status_word = (updates[-1][0], last), word
        plan.title = (c.title if c is not None and c.is_action and c.title else plan.text).strip()
        if not plan.text:
            plan.problems.append(
                Problem(row.at("action"), "no action text.", "Write the action in the file.")
            )
        plan.updates = [(d or self.day, t.strip()) for d, t in updates if t.strip()]
        return status_word

    def _due(self, plan: RowPlan, c: Capture | None) -> None:
        row = plan.row
        if c is not None and (row.minutes_form or "due" not in row.columns):
            plan.due, plan.due_kind = c.due, c.due_kind
            if c.due_kind == "next_meeting":
                plan.due = self.next_meeting
            return
        plan.due, plan.due_kind, ok = self.a_date(row.due, plan)
        if not ok:
            plan.problems.append(
                Problem(
                    row.at("due"),
                    f"due date “{row.due}” unreadable.",
                    "Write it as 29/09/2023 (or next meeting), or leave the cell empty.",
                )
            )


def _without_update(action: str, c: Capture) -> str:
    text = action
    if c.update and c.update in text:
        text = text[: text.index(c.update)]
    return cut_status(text)[0].strip() or action.strip()


def _same_title(a: str, b: str) -> bool:
    def words(s: str) -> list[str]:
        return re.findall(r"[a-z0-9]+", s.lower())

    return words(a) == words(b)


def plan_import(ctx: Ctx, source: Source, series_key: str, assume: dict[str, str], day: date | None) -> Plan:
    """Read every row against the partnership and the tracker as stored; stores nothing."""
    series = _series(ctx, series_key)
    ctx.series = series
    reader = _Reader(ctx, source, series, assume, day)
    rows = [reader.row(r) for r in source.rows]
    problems: list[Problem] = []
    by_number: dict[int, list[RowPlan]] = {}
    for p in rows:
        if p.number is not None:
            by_number.setdefault(p.number, []).append(p)
    highest = max([series.last_action_number, *by_number])
    for number, same in by_number.items():
        if len(same) > 1:
            places = " and ".join(p.row.where for p in same)
            for p in same:
                p.problems.append(
                    Problem(
                        p.row.at("number"),
                        f"number {number} is used twice ({places}).",
                        f"Renumber one of them in the file (the next free number is {highest + 1}).",
                    )
                )
    existing = {
        a.number: a
        for a in ctx.session.scalars(
            select(Action)
            .where(Action.series_id == series.id, Action.number.in_(list(by_number)))
            .options(selectinload(Action.owners), selectinload(Action.updates))
        )
    }
    load_owner_initials(ctx, list(existing.values()))
    for p in rows:
        action = existing.get(p.number) if p.number is not None else None
        if action is not None:
            imported = any(u.kind == "created" and u.door == DOOR for u in action.updates)
            if (
                not imported
                and not _same_title(action.title, p.title)
                and not _same_title(action.text, p.text)
            ):
                p.problems.append(
                    Problem(
                        p.row.at("number"),
                        f"Action {p.number} is already in the tracker, raised in the bot: “{action.title}”.",
                        "Renumber the row in the file if it is another action, or leave it out.",
                    )
                )
            p.existing = action
        if not p.problems:
            _changes(ctx, p, reader.undated)
        problems.extend(p.problems)
    notes = list(source.notes)
    for unused in sorted(set(assume) - reader.used):
        notes.append(
            f"--assume {unused}={assume[unused]} was not needed: no owner in the file is “{unused}”."
        )
    assumed = {k: assume[k] for k in reader.used}
    return Plan(source, series, rows, notes, reader.guests, problems, assumed, reader.undated)


# --- what would change -----------------------------------------------------------------------------------


def _kept(action: Action, kinds: tuple[str, ...], day: date | None, tz: Any) -> str | None:
    """Why the file does not change this field: it was set since in the bot (a person's change), or the
    file is older than its last change by an import. None: the file may change it."""
    for u in reversed(action.updates):
        if u.kind in kinds:
            if u.door != DOOR:
                return "in the bot since"
            if day is not None and day < u.at.astimezone(tz).date():
                return f"by a newer import ({short_date(u.at.astimezone(tz).date())})"
            return None
    return None


def _owner_keys(plan: RowPlan) -> list[Owner]:
    return [o.owner if o.owner else Owner("person", f"guest:{o.guest}") for o in plan.owners]


def _changes(ctx: Ctx, p: RowPlan, undated: date | None) -> None:
    action = p.existing
    if action is None:
        p.changes.append("new")
        if p.status != "open":
            p.changes.append("closed" if p.status == "done" else "dropped")
        return
    day = max((d for d, _ in p.updates), default=None)  # how recent the row is
    if p.status_said and p.status != action.status:
        if why := _kept(action, ("done", "dropped", "reopened"), day, ctx.tz):
            p.notes.append(f"{_STATUS_SHOWN[action.status]} {why}: kept")
        else:
            p.changes.append({"done": "closed", "dropped": "dropped", "open": "reopened"}[p.status])
    # "At the next meeting" is the same due date whichever meeting is next now.
    same_meeting = p.due_kind == action.due_kind == "next_meeting"
    if p.due_kind and not same_meeting and (p.due, p.due_kind) != (action.due_date, action.due_kind):
        if why := _kept(action, ("due",), day, ctx.tz):
            p.notes.append(f"due date changed {why}: kept")
        else:
            p.changes.append("new due date")
    if p.owners and _owner_keys(p) != current_owners(action):
        if why := _kept(action, ("owner", "not_mine"), day, ctx.tz):
            p.notes.append(f"owners changed {why}: kept")
        else:
            p.changes.append("new owners")
    p.changes.extend("update added" for _ in _new_updates(ctx, action, p.updates, undated))


def _new_updates(
    ctx: Ctx, action: Action, updates: list[tuple[date, str]], undated: date | None
) -> list[tuple[date, str]]:
    """The updates the action has not got: not the same text on the same day, nor, for an update the file
    gives no date (`undated`: the day it was given instead), its latest update given again by an import."""
    have = {
        (u.at.astimezone(ctx.tz).date(), _norm_text(u.text)) for u in action.updates if u.kind == "update"
    }
    latest = next((u for u in reversed(action.updates) if u.kind == "update"), None)
    out = []
    for day, text in updates:
        if (day, _norm_text(text)) in have:
            continue
        again = latest is not None and latest.door == DOOR and _norm_text(latest.text) == _norm_text(text)
        if day == undated and again:
            continue
        out.append((day, text))
        have.add((day, _norm_text(text)))
    return out


def _norm_text(text: str | None) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", (text or "").lower()))


# --- storing -------------------------------------------------------------------------------------------


def _log_and_audit(
    ctx: Ctx,
    action: Action,
    series: Series,
    change: Change,
    before: dict[str, Any] | None,
    text: str | None,
    at: datetime,
    file: str,
) -> None:
    """The log entry and audit event of one imported change, as `change_action` writes them, at the date the
    file gives and marked with the file's name."""
    action.updates.append(ActionUpdate(at=at, person_id=None, door=DOOR, kind=change.log, text=text))
    ref = f"{series.key}:{action.number}"
    if change.fields:
        ctx.audit("action", ref, change.audit, before, {**snapshot(action), "import": file})
    else:
        ctx.audit("action", ref, change.audit, None, {"update": text, "import": file})


def _meetings_on(ctx: Ctx, series: Series) -> dict[date, int]:
    out: dict[date, int] = {}
    for m in ctx.session.scalars(select(Meeting).where(Meeting.series_id == series.id).order_by(Meeting.id)):
        if m.starts_at is not None:
            out.setdefault(m.starts_at.astimezone(ctx.tz).date(), m.id)
    return out


def _insert_new(
    ctx: Ctx, plan: Plan, new: list[tuple[RowPlan, list[Owner], datetime]], meetings: dict[date, int]
) -> None:
    """The new actions, with their owners, log and audit events, inserted in bulk: a tracker has
    thousands of rows, and one unit of work per action would take most of a minute."""
    if not new:
        return
    series, file = plan.series, plan.source.name
    raised: dict[int, datetime] = {}
    values = []
    for p, _, closed_on in new:
        assert p.number is not None
        first = p.raised or min([d for d, _ in p.updates] or [ctx.today])
        raised[p.number] = min(_noon(first, ctx), ctx.now)
        if plan.meeting is not None and plan.meeting.starts_at is not None and p.raised is None:
            # Carried to the meeting the file minutes: raised before it (at an earlier meeting).
            raised[p.number] = min(raised[p.number], plan.meeting.starts_at - timedelta(minutes=1))
        values.append(
            {
                "series_id": series.id,
                "number": p.number,
                "title": p.title,
                "text": p.text,
                "status": p.status,
                "due_date": p.due,
                "due_kind": p.due_kind,
                "created_meeting_id": meetings.get(p.raised) if p.raised else None,
                "created_by": None,
                "created_at": raised[p.number],
                "closed_at": closed_on if p.status != "open" else None,
            }
        )
    inserted = ctx.session.execute(insert(Action).returning(Action.number, Action.id), values)
    ids = {number: action_id for number, action_id in inserted}
    owner_rows: list[dict[str, Any]] = []
    log: list[dict[str, Any]] = []
    for p, owners, closed_on in new:
        assert p.number is not None
        action_id = ids[p.number]
        for i, owner in enumerate(owners):
            owner_rows.append(
                {
                    "action_id": action_id,
                    "position": i,
                    "kind": owner.kind,
                    "person_id": ctx.person_id(owner.id) if owner.kind == "person" and owner.id else None,
                    "key": None if owner.kind in ("person", "all") else owner.id,
                    "added_at": ctx.now,
                }
            )
        entries: list[tuple[str, str | None, datetime]] = [("created", p.text, raised[p.number])]
        entries += [("update", text, _said(ctx, plan, day)) for day, text in p.updates]
        if p.status != "open":
            entries.append(((DONE if p.status == "done" else DROP).log, None, closed_on))
        log.extend(
            {"action_id": action_id, "at": at, "person_id": None, "door": DOOR, "kind": kind, "text": text}
            for kind, text, at in entries
        )
        # What `snapshot` gives of an action (handlers/actions.py), the audit's "after" of every change.
        after = {
            "number": p.number,
            "title": p.title,
            "status": p.status,
            "due": p.due,
            "due_kind": p.due_kind,
            "owners": [o.as_json() for o in owners],
            "snoozed_until": None,
        }
        updates = [t for _, t in p.updates]
        after |= {"updates": updates, "import": file, "row": p.row.where}
        ctx.audit("action", f"{series.key}:{p.number}", "imported", None, after)
    if owner_rows:
        ctx.session.execute(insert(ActionOwner), owner_rows)
    ctx.session.execute(insert(ActionUpdate), log)


def apply_import(ctx: Ctx, plan: Plan) -> Counts:
    """Store the plan (in the caller's transaction). Refused whole while any problem is left."""
    if not plan.ok:
        raise UserError(f"{len(plan.problems)} problem(s) left: nothing was imported.")
    series, file = plan.series, plan.source.name
    counts = Counts()
    keys: dict[str, str] = {}
    for name in plan.guests:
        keys[name] = record_guest(ctx, name)
        counts.guests += 1
    meetings = _meetings_on(ctx, series)
    new: list[tuple[RowPlan, list[Owner], datetime]] = []
    for p in plan.rows:
        assert p.number is not None
        owners = [o.owner if o.owner else Owner("person", keys[o.guest or ""]) for o in p.owners]
        if not p.changes:
            counts.skipped += 1
            continue
        last_update = max((d for d, _ in p.updates), default=None)
        closed_on = _said(ctx, plan, last_update or p.raised or ctx.today)
        action = p.existing
        if action is None:
            counts.imported += 1
            new.append((p, owners, closed_on))
            continue
        counts.updated += 1
        for change in p.changes:
            before = snapshot(action)
            if change in ("closed", "dropped", "reopened"):
                kind = {"closed": DONE, "dropped": DROP, "reopened": REOPEN}[change]
                action.status = p.status
                action.closed_at = closed_on if p.status != "open" else None
                _log_and_audit(ctx, action, series, kind, before, None, closed_on, file)
            elif change == "new due date":
                action.due_date, action.due_kind = p.due, p.due_kind
                _log_and_audit(ctx, action, series, DUE, before, None, ctx.now, file)
            elif change == "new owners":
                _set_owners(ctx, action, owners, "reassigned")
                _log_and_audit(
                    ctx, action, series, OWNER, before, owners_short(ctx.roster, owners), ctx.now, file
                )
        for day, text in _new_updates(ctx, action, p.updates, plan.undated):
            _log_and_audit(ctx, action, series, UPDATE, None, text, _said(ctx, plan, day), file)
    _insert_new(ctx, plan, new, meetings)
    highest = max((p.number for p in plan.rows if p.number is not None), default=0)
    if highest > series.last_action_number:
        ctx.session.execute(
            update(Series)
            .where(Series.id == series.id, Series.last_action_number < highest)
            .values(last_action_number=highest)
        )
    if not (counts.imported or counts.updated or counts.guests):
        return counts  # the same file again: nothing changes, not even the audit trail
    ctx.audit(
        "import",
        file,
        "imported",
        None,
        {
            "file": file,
            "kind": plan.source.kind,
            "rows": len(plan.rows),
            "imported": counts.imported,
            "updated": counts.updated,
            "skipped": counts.skipped,
            "guests": counts.guests,
            "assumed": plan.assumed or None,
        },
    )
    ctx.session.flush()
    return counts


# --- the preview --------------------------------------------------------------------------------------


def _owners_shown(ctx: Ctx, p: RowPlan) -> str:
    shown = []
    for o in p.owners:
        if o.guest:
            shown.append(f"{o.guest} (new guest)")
        elif o.owner is not None:
            shown.append(owners_short(ctx.roster, [o.owner]))
    read = p.owners_read or "—"
    resolved = "/".join(shown) or "no owner"
    return read if resolved == read else f"{read} → {resolved}"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def report(ctx: Ctx, plan: Plan, *, dry_run: bool) -> str:
    """The table of what the file holds and what the import does with each row, then the problems."""
    lines = [
        f"{plan.source.name}: {len(plan.rows)} action{'s' if len(plan.rows) != 1 else ''} for "
        f"{plan.series.name}"
        + (
            f" (updates dated {short_date(plan.source.date)}, the document's date)"
            if plan.source.date
            else ""
        )
        + "."
    ]
    lines.extend(f"  note: {n}" for n in plan.notes)
    lines.append("")
    for p in plan.rows:
        due = "—"
        if p.due_kind == "next_meeting":
            due = "next meeting" + (f" ({short_date(p.due)})" if p.due else "")
        elif p.due:
            due = short_date(p.due)
        what = "; ".join(p.changes) if p.changes else ("problem" if p.problems else "unchanged")
        raised = p.raised_in or (p.raised.isoformat() if p.raised else "—")
        lines.append(f"{p.number if p.number is not None else '?':>4}  {_clip(p.title, 70)}  [{p.row.where}]")
        lines.append(
            f"      owners: {_owners_shown(ctx, p)} | due: {due} | status: {_STATUS_SHOWN[p.status]} "
            f"| raised in: {raised} | {what}"
        )
        for day, text in p.updates:
            lines.append(f"      update {short_date(day)}: {_clip(text, 90)}")
        for note in p.notes:
            lines.append(f"      note: {note}")
    if plan.guests:
        lines.append("")
        lines.append("New guests (full names nobody in the file has): " + ", ".join(plan.guests) + ".")
    lines.append("")
    if plan.problems:
        lines.append(f"{len(plan.problems)} problem{'s' if len(plan.problems) != 1 else ''}:")
        lines.extend(f"  {problem}" for problem in plan.problems)
        lines.append(
            "Nothing was imported." if not dry_run else "Settle these before importing (nothing was stored)."
        )
    elif dry_run:
        new = sum(1 for p in plan.rows if p.new)
        changed = sum(1 for p in plan.rows if p.changes and not p.new)
        skipped = len(plan.rows) - new - changed
        lines.append(
            f"No problems: the import would add {new}, update {changed}, skip {skipped} "
            f"and create {len(plan.guests)} guest{'s' if len(plan.guests) != 1 else ''}. Nothing was stored "
            "(--dry-run): run it again without --dry-run to import."
        )
    return "\n".join(lines) + "\n"
