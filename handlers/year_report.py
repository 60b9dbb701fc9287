"""The partnership's year in figures: engagement per agency, quorum, actions and reminders.

Pure reading: every figure is computed from stored records (attendance, quorum changes,
decisions, actions and their logs, reminder claims) as of one time, for each series and for the
partnership as a whole, in the shapes of handlers/year_figures.py. Nothing here draws or writes
documents (handlers/year_report_render.py).

The period is a span of local dates in the partnership's time zone, both days included; by
default the last complete financial year (1 April to 31 March). Records after the "as of" time
are left out, so a report made mid-year shows the year so far.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.actions import NO_UPDATE
from handlers.collector import cycle_collection_paused
from handlers.quorum import normalise_rule
from handlers.year_figures import (
    ALL_PARTNERS,
    CARRIED_MEETINGS,
    GROUP,
    NO_OWNER,
    NOT_IN_FILE,
    STATES,
    ActionFigures,
    AgencyEngagement,
    MeetingFigures,
    MonthFigures,
    QuorumFigures,
    ReminderFigures,
    Scope,
    YearReport,
)
from storage.models import (
    Action,
    ActionOwner,
    ActionUpdate,
    Agency,
    Attendance,
    Decision,
    Group,
    Meeting,
    Partnership,
    Person,
    QuorumChange,
    Series,
)
from storage.nudge_models import NudgeClaim

# What an owner answering a reminder does to the action's log (the reminder's buttons).
ANSWER_KINDS = frozenset({"update", "done", "due", "not_mine", "snooze"})
# A real update, as the tracker reads one (handlers/tracker.py): not "no further update".
_CHANGE_KINDS = frozenset({"due", "owner", "reopened", "done"})


def last_financial_year(today: date) -> tuple[date, date]:
    """The last complete financial year (1 April to 31 March) before today."""
    end_year = today.year if today.month >= 4 else today.year - 1
    return date(end_year - 1, 4, 1), date(end_year, 3, 31)


# --- reading the records ------------------------------------------------------------------------------


@dataclass
class _Directory:
    """Who and what the records name: agencies (with those no longer in the file), people, groups."""

    agencies: dict[str, Agency]
    people: dict[int, Person]
    groups: dict[str, Group]

    def agency_of(self, person_id: int | None) -> str:
        """The agency a person counts under: their agency on record (kept when they leave the file);
        a guest's where it is known, else NOT_IN_FILE."""
        person = self.people.get(person_id) if person_id is not None else None
        if person is None or person.agency_key not in self.agencies:
            return NOT_IN_FILE
        return person.agency_key

    def agency_name(self, key: str) -> str:
        agency = self.agencies.get(key)
        return agency.name if agency is not None else key

    def statutory(self, key: str) -> bool:
        agency = self.agencies.get(key)
        return bool(agency is not None and agency.statutory)


def _bounds(start: date, end: date, as_of: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[period start, the earlier of the period's end and as_of) as aware times."""
    begin = datetime.combine(start, time(), tz)
    finish = datetime.combine(end + timedelta(days=1), time(), tz)
    return begin, min(finish, as_of)


def year_report(session: Session, partnership_id: str, start: date, end: date, as_of: datetime) -> YearReport:
    # A year's records are a few hundred thousand objects, all live until the figures are made: the
    # cycle collector's full passes over them free nothing (about a quarter of a second).
    with cycle_collection_paused():
        return _read(session, partnership_id, start, end, as_of)


def _read(session: Session, partnership_id: str, start: date, end: date, as_of: datetime) -> YearReport:
    part = session.get(Partnership, partnership_id)
    if part is None:
        raise ValueError(f"no partnership {partnership_id!r}")
    tz = ZoneInfo(part.timezone)
    begin, until = _bounds(start, end, as_of, tz)
    directory = _Directory(
        agencies={a.key: a for a in session.scalars(select(Agency).where(Agency.partnership_id == part.id))},
        people={p.id: p for p in session.scalars(select(Person).where(Person.partnership_id == part.id))},
        groups={g.key: g for g in session.scalars(select(Group).where(Group.partnership_id == part.id))},
    )
    series = list(session.scalars(select(Series).where(Series.partnership_id == part.id).order_by(Series.id)))
    series_ids = [s.id for s in series]
    meetings = list(
        session.scalars(
            select(Meeting)
            .where(Meeting.series_id.in_(series_ids), Meeting.status == "closed")
            .order_by(Meeting.starts_at, Meeting.id)
        )
    )
    # Meetings held by the as-of time: the carried-actions count needs those before the period too.
    held_all = [m for m in meetings if m.starts_at is not None and m.starts_at < until]
    held = [m for m in held_all if m.starts_at is not None and m.starts_at >= begin]
    held_ids = [m.id for m in held]
    attendance: dict[int, list[Attendance]] = defaultdict(list)
    changes: dict[int, list[QuorumChange]] = defaultdict(list)
    for chunk in _chunks(held_ids):
        for row in session.scalars(select(Attendance).where(Attendance.meeting_id.in_(chunk))):
            attendance[row.meeting_id].append(row)
        for change in session.scalars(
            select(QuorumChange).where(QuorumChange.meeting_id.in_(chunk)).order_by(QuorumChange.id)
        ):
            changes[change.meeting_id].append(change)
    starts = {m.id: m.starts_at for m in meetings}
    held_set = set(held_ids)
    decisions = [
        d
        for d in session.scalars(select(Decision).where(Decision.series_id.in_(series_ids)))
        if d.meeting_id in held_set
    ]
    actions = _read_actions(session, series_ids, until)
    claims = [
        _Claim(*row)
        for row in session.execute(
            select(
                NudgeClaim.id,
                NudgeClaim.series_id,
                NudgeClaim.action_id,
                NudgeClaim.recipient_id,
                NudgeClaim.sent_at,
                NudgeClaim.digest_id,
            ).where(
                NudgeClaim.partnership_id == part.id,
                NudgeClaim.action_id.is_not(None),
                NudgeClaim.state == "sent",
                NudgeClaim.sent_at < until,
            )
        )
    ]
    reader = _Reader(directory, tz, begin, until, end, as_of, starts)
    of_series = _by_series(held, held_all, decisions, actions, claims)
    scopes = []
    for s in series:
        mine = of_series[s.id]
        if not s.active and not mine[0] and not mine[3]:
            continue  # a series no longer in the file, with nothing in the period
        scope = Scope(s.key, s.name)
        reader.fill(
            scope, mine[0], mine[1], changes, attendance, mine[2], mine[3], mine[4], _quorum_ruled(s.quorum)
        )
        scopes.append(scope)
    whole = Scope("partnership", part.name)
    reader.fill(whole, held, held_all, changes, attendance, decisions, actions, claims, None, scopes=scopes)
    return YearReport(part.id, part.name, start, end, as_of, part.timezone, scopes, whole)


def _by_series(*records: list[Any]) -> dict[int, list[list[Any]]]:
    """Each list of records split by series, in one pass each: {series id: [list, list, …]}."""
    out: dict[int, list[list[Any]]] = defaultdict(lambda: [[] for _ in records])
    for i, rows in enumerate(records):
        for row in rows:
            out[row.series_id][i].append(row)
    return out


class _Claim(NamedTuple):
    """A sent reminder, as the figures read it (a year holds thousands: rows, not ORM objects)."""

    id: int
    series_id: int
    action_id: int | None
    recipient_id: int
    sent_at: datetime | None
    digest_id: int | None


@dataclass
class _Owner:
    kind: str
    person_id: int | None
    key: str | None
    added_at: datetime
    removed_at: datetime | None


@dataclass
class _Update:
    at: datetime
    person_id: int | None
    kind: str
    text: str | None
    route: str | None


@dataclass
class _Action:
    """What the figures read of an action: plain rows, not ORM objects (thousands are read at once)."""

    id: int
    series_id: int
    status: str
    due_date: date | None
    created_at: datetime
    closed_at: datetime | None
    owners: list[_Owner] = field(default_factory=list)
    updates: list[_Update] = field(default_factory=list)


@dataclass
class _Facts:
    owners: list[tuple[str, str, str]]
    raised: bool
    done: bool
    open_at_end: bool
    overdue: bool
    carried: bool
    days: int | None  # days to close, for an action closed in the period
    by_due: bool
    dated: bool
    raised_month: int | None
    closed_month: int | None
    open_months: list[int]


def _month_index(first: date, day: date) -> int:
    return (day.year - first.year) * 12 + day.month - first.month


def _read_actions(session: Session, series_ids: list[int], until: datetime) -> list[_Action]:
    actions = {
        row.id: _Action(row.id, row.series_id, row.status, row.due_date, row.created_at, row.closed_at)
        for row in session.execute(
            select(
                Action.id,
                Action.series_id,
                Action.status,
                Action.due_date,
                Action.created_at,
                Action.closed_at,
            ).where(Action.series_id.in_(series_ids), Action.created_at < until)
        )
    }
    for o in session.execute(
        select(
            ActionOwner.action_id,
            ActionOwner.kind,
            ActionOwner.person_id,
            ActionOwner.key,
            ActionOwner.added_at,
            ActionOwner.removed_at,
        )
        .join(Action, Action.id == ActionOwner.action_id)
        .where(Action.series_id.in_(series_ids), Action.created_at < until)
        .order_by(ActionOwner.action_id, ActionOwner.position)
    ):
        actions[o.action_id].owners.append(_Owner(o.kind, o.person_id, o.key, o.added_at, o.removed_at))
    for u in session.execute(
        select(
            ActionUpdate.action_id,
            ActionUpdate.at,
            ActionUpdate.person_id,
            ActionUpdate.kind,
            ActionUpdate.text,
            ActionUpdate.route,
        )
        .join(Action, Action.id == ActionUpdate.action_id)
        .where(Action.series_id.in_(series_ids), Action.created_at < until)
        .order_by(ActionUpdate.action_id, ActionUpdate.id)
    ):
        actions[u.action_id].updates.append(_Update(u.at, u.person_id, u.kind, u.text, u.route))
    return list(actions.values())


def _chunks(ids: list[int], size: int = 900) -> list[list[int]]:
    """Lists short enough for an IN clause (SQLite allows some thousands of parameters)."""
    return [ids[i : i + size] for i in range(0, len(ids), size)] or [[]]


def _quorum_ruled(rule: Any) -> bool:
    r = normalise_rule(rule)
    return r["agencies"] is not None or r["min_members"] is not None or bool(r["roles"] or r["labels"])


class _Reader:
    def __init__(
        self,
        directory: _Directory,
        tz: ZoneInfo,
        begin: datetime,
        until: datetime,
        end: date,
        as_of: datetime,
        starts: dict[int, datetime | None],
    ) -> None:
        self.d, self.tz, self.begin, self.until, self.as_of = directory, tz, begin, until, as_of
        self.starts = starts
        # The day overdue is judged on: the period's last day, or the as-of day when earlier.
        self.day = min(end, as_of.astimezone(tz).date())
        self._facts_of: dict[int, _Facts] = {}

    def local(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()

    def fill(
        self,
        scope: Scope,
        held: list[Meeting],
        held_all: list[Meeting],
        changes: dict[int, list[QuorumChange]],
        attendance: dict[int, list[Attendance]],
        decisions: list[Decision],
        actions: list[_Action],
        claims: list[_Claim],
        ruled: bool | None,
        scopes: list[Scope] | None = None,
    ) -> None:
        scope.held = len(held)
        if scopes is None:
            self._engagement(scope, held, attendance)
            self._quorum(scope, held, changes, ruled)
        else:  # the partnership: the sum of its series
            self._sum(scope, scopes)
        self._decisions(scope.quorum, decisions)
        self._actions(scope, actions, held_all)
        self._reminders(scope.reminders, claims, actions)

    # --- engagement --------------------------------------------------------------------------------
    def _row(self, rows: dict[str, AgencyEngagement], key: str) -> AgencyEngagement:
        if key not in rows:
            rows[key] = AgencyEngagement(key, self.d.agency_name(key), self.d.statutory(key))
        return rows[key]

    def _engagement(self, scope: Scope, held: list[Meeting], attendance: dict[int, list[Attendance]]) -> None:
        rows: dict[str, AgencyEngagement] = {}
        for meeting in held:
            states: dict[str, str] = {}
            visiting: set[str] = set()
            for row in attendance.get(meeting.id, []):
                if row.status == "deputy":
                    # A deputy stands in for their member's agency.
                    who = row.deputy_for_id if row.deputy_for_id is not None else row.person_id
                    key, state = self.d.agency_of(who), "deputy"
                elif row.status == "present" and row.role_note != "observer":
                    key, state = self.d.agency_of(row.person_id), "member"
                elif row.status in ("apologies", "absent"):
                    key, state = self.d.agency_of(row.person_id), row.status
                else:  # in attendance, observers, guests
                    visiting.add(self.d.agency_of(row.person_id))
                    continue
                if key not in states or STATES.index(state) < STATES.index(states[key]):
                    states[key] = state
            for key, state in states.items():
                row_ = self._row(rows, key)
                setattr(row_, state, row_.count(state) + 1)
            for key in visiting:
                self._row(rows, key).in_attendance += 1
            assert meeting.starts_at is not None
            scope.meetings.append(MeetingFigures(meeting.id, self.local(meeting.starts_at), states, ""))
        scope.agencies = sorted(rows.values(), key=_agency_order)

    def _sum(self, scope: Scope, scopes: list[Scope]) -> None:
        rows: dict[str, AgencyEngagement] = {}
        for s in scopes:
            for a in s.agencies:
                row = self._row(rows, a.key)
                for state in (*STATES, "in_attendance"):
                    setattr(row, state, row.count(state) + a.count(state))
            q, w = s.quorum, scope.quorum
            w.held += q.held
            w.throughout += q.throughout
            w.lost += q.lost
            w.never += q.never
            w.no_rule += q.no_rule
            w.lost_at.extend(q.lost_at)
        scope.quorum.lost_at.sort(key=lambda t: t[0])
        scope.agencies = sorted(rows.values(), key=_agency_order)

    # --- quorum ------------------------------------------------------------------------------------
    def _quorum(
        self, scope: Scope, held: list[Meeting], changes: dict[int, list[QuorumChange]], ruled: bool | None
    ) -> None:
        q = scope.quorum
        q.held = len(held)
        for figures in scope.meetings:
            rows = [c for c in changes.get(figures.id, []) if c.at < self.until]
            if not ruled:
                figures.quorum = "no rule"
                q.no_rule += 1
                continue
            first = next((i for i, c in enumerate(rows) if c.quorate), None)
            lost = [c for c in rows[first:] if not c.quorate] if first is not None else []
            if first is None:
                figures.quorum = "never"
                q.never += 1
            elif lost:
                figures.quorum = "lost"
                figures.missing = sorted({name for c in lost for name in (c.missing or [])})
                q.lost += 1
                q.lost_at.append((figures.day, figures.missing))
            else:
                figures.quorum = "throughout"
                q.throughout += 1

    def _decisions(self, q: QuorumFigures, decisions: list[Decision]) -> None:
        for d in decisions:
            if d.created_at >= self.until:
                continue
            q.decisions += 1
            if d.inquorate or d.decision_quorum_missing:
                q.for_ratification += 1
                ratified_at = self.starts.get(d.ratified_meeting_id) if d.ratified_meeting_id else None
                if ratified_at is not None and ratified_at < self.as_of:
                    q.ratified += 1

    # --- actions -----------------------------------------------------------------------------------
    def _owners(self, action: _Action) -> list[tuple[str, str, str]]:
        """(key, name, kind) of each agency, group or "all partners" the action belongs to, once each."""
        out: dict[tuple[str, str], tuple[str, str, str]] = {}
        for o in action.owners:
            if o.added_at > self.until or (o.removed_at is not None and o.removed_at <= self.until):
                continue
            if o.kind == "person":
                key = self.d.agency_of(o.person_id)
                out[("agency", key)] = (key, self.d.agency_name(key), "agency")
            elif o.kind == "agency" and o.key:
                out[("agency", o.key)] = (o.key, self.d.agency_name(o.key), "agency")
            elif o.kind == "group" and o.key:
                group = self.d.groups.get(o.key)
                out[("group", o.key)] = (o.key, group.name if group else o.key, GROUP)
            elif o.kind == "all":
                out[("all", "all")] = ("all", "All partners", ALL_PARTNERS)
        return list(out.values()) or [("none", "No owner", NO_OWNER)]

    def _last_real_update(self, action: _Action) -> datetime:
        last = action.created_at
        for u in action.updates:
            if u.at > self.until:
                continue
            real = u.kind in _CHANGE_KINDS or (u.kind == "update" and not NO_UPDATE.match(u.text or ""))
            if real and u.at > last:
                last = u.at
        return last

    def _facts(
        self, action: _Action, meetings: list[datetime], months: list[tuple[date, datetime | None]]
    ) -> _Facts:
        """What one action adds to the figures, worked out once (a series and the partnership share it)."""
        if action.id in self._facts_of:
            return self._facts_of[action.id]
        closed_at = action.closed_at if action.status in ("done", "dropped") else None
        raised = self.begin <= action.created_at < self.until
        done = action.status == "done" and closed_at is not None and self.begin <= closed_at < self.until
        open_at_end = closed_at is None or closed_at > self.until
        created_day = self.local(action.created_at)
        closed_day = self.local(closed_at) if closed_at is not None else None
        first = months[0][0] if months else created_day
        since = self._last_real_update(action) if open_at_end else action.created_at
        facts = _Facts(
            owners=self._owners(action),
            raised=raised,
            done=done,
            open_at_end=open_at_end,
            overdue=open_at_end and action.due_date is not None and action.due_date < self.day,
            carried=open_at_end and sum(1 for m in meetings if since < m < self.until) > CARRIED_MEETINGS,
            days=(closed_day - created_day).days if done and closed_day is not None else None,
            by_due=done
            and action.due_date is not None
            and closed_day is not None
            and closed_day <= action.due_date,
            dated=action.due_date is not None,
            raised_month=_month_index(first, created_day) if raised else None,
            closed_month=_month_index(first, closed_day) if done and closed_day is not None else None,
            open_months=[
                i
                for i, (_, month_end) in enumerate(months)
                if month_end is not None
                and action.created_at < month_end
                and (closed_at is None or closed_at > month_end)
            ],
        )
        self._facts_of[action.id] = facts
        return facts

    def _actions(self, scope: Scope, actions: list[_Action], held_all: list[Meeting]) -> None:
        rows: dict[tuple[str, str], ActionFigures] = {}
        total = scope.total
        meetings_of: dict[int, list[datetime]] = defaultdict(list)
        for m in held_all:
            if m.starts_at is not None:
                meetings_of[m.series_id].append(m.starts_at)
        months = _months(self.begin.astimezone(self.tz).date(), self.until, self.tz)
        scope.months = [
            MonthFigures(first, open_at_end=0 if end is not None else None) for first, end in months
        ]
        for action in actions:
            facts = self._facts(action, meetings_of[action.series_id], months)
            figures = [total]
            for key, name, kind in facts.owners:
                if (kind, key) not in rows:
                    rows[(kind, key)] = ActionFigures(key, name, kind, statutory=self.d.statutory(key))
                figures.append(rows[(kind, key)])
            for f in figures:
                f.raised += facts.raised
                f.open_at_end += facts.open_at_end
                f.overdue += facts.overdue
                f.carried += facts.carried
                if facts.days is not None:
                    f.closed += 1
                    f.days_to_close.append(facts.days)
                    f.closed_dated += facts.dated
                    f.closed_by_due += facts.by_due
            if facts.raised_month is not None and 0 <= facts.raised_month < len(scope.months):
                scope.months[facts.raised_month].raised += 1
            if facts.closed_month is not None and 0 <= facts.closed_month < len(scope.months):
                scope.months[facts.closed_month].closed += 1
            for i in facts.open_months:
                scope.months[i].open_at_end = (scope.months[i].open_at_end or 0) + 1
        scope.actions = sorted(rows.values(), key=_action_order)

    # --- reminders ---------------------------------------------------------------------------------
    def _reminders(self, r: ReminderFigures, claims: list[_Claim], actions: list[_Action]) -> None:
        by_id = {a.id: a for a in actions}
        sent = sorted(
            (c for c in claims if c.sent_at is not None and c.sent_at >= self.begin),
            key=lambda c: (c.sent_at, c.id),
        )
        digests: set[int] = set()
        # The next reminder of the same action to the same person ends the time this one is answered in.
        later: dict[tuple[int | None, int], datetime] = {}
        nexts: dict[int, datetime] = {}
        for c in reversed(sent):
            key = (c.action_id, c.recipient_id)
            nexts[c.id] = later.get(key, self.until)
            assert c.sent_at is not None
            later[key] = c.sent_at
        for c in sent:
            r.sent += 1
            if c.digest_id is not None:
                digests.add(c.digest_id)
            action = by_id.get(c.action_id or -1)
            if action is None:
                continue
            answer = next(
                (
                    u
                    for u in action.updates
                    if u.person_id == c.recipient_id
                    and u.kind in ANSWER_KINDS
                    and c.sent_at is not None
                    and c.sent_at <= u.at < nexts[c.id]
                ),
                None,
            )
            if answer is None:
                continue
            if answer.route == "chat":
                r.answered += 1
                r.by_chat += 1
            elif answer.route == "email":
                r.answered += 1
                r.by_email += 1
            else:
                r.answered_elsewhere += 1
        r.messages = len(digests)


def _months(first_day: date, until: datetime, tz: ZoneInfo) -> list[tuple[date, datetime | None]]:
    """Each month the period touches: (its first day, when it ended; None if not by `until`)."""
    out = []
    month = first_day.replace(day=1)
    while datetime.combine(month, time(), tz) < until:
        nxt = (month + timedelta(days=32)).replace(day=1)
        month_end = datetime.combine(nxt, time(), tz)
        out.append((month, month_end if month_end <= until else None))
        month = nxt
    return out


def _agency_order(a: AgencyEngagement) -> tuple[int, str]:
    """The statutory agencies first, then the others, then people not in the file."""
    return (0 if a.statutory else 2 if a.key == NOT_IN_FILE else 1, a.name.lower())


_KIND_ORDER = {"agency": 1, GROUP: 3, ALL_PARTNERS: 4, NO_OWNER: 5}


def _action_order(a: ActionFigures) -> tuple[int, str]:
    if a.kind == "agency":
        rank = 0 if a.statutory else 2 if a.key == NOT_IN_FILE else 1
    else:
        rank = _KIND_ORDER[a.kind]
    return (rank, a.name.lower())
