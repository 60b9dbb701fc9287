"""The reminder sweep: derive what is due, claim it once, send one message per person, record it.

Stateless: every run works out what is due from the actions, meetings and policy as of
its clock; only claims are stored. One run, per partnership:

1. Derive. For each series and due date, the policy names the most recent reminder
   that applies today (earlier ones it supersedes are never sent late). One
   `INSERT … SELECT … ON CONFLICT DO NOTHING` then keys a pending claim for every
   (subject, kind, due date, recipient) due now and not yet claimed: open, unsnoozed
   actions, their owners expanded to people in SQL (groups, agencies and "all" through a
   small table of members built from the roster). One statement per action, so all the
   people of an action are keyed together and "no claim for this reminder" is exact.
2. Compose. The unsettled claims (pending; failed and due for retry; claimed or sending
   by a process whose lease ran out) are grouped by person. In batches, a process takes
   a lease on each person (an upsert that only succeeds on a free or expired lease) and,
   in the same transaction, takes that person's claims into one digest with a
   compare-and-set update. Only the lease holder composes a person's digest, so nobody
   gets partial digests from two processes.
3. Send. Each digest is marked "sending", handed to the first door that reaches the
   person, then marked sent (or failed, retried with backoff). A process that dies in
   between leaves claims whose lease runs out; the next sweep takes them over, and those
   that were already "sending" are recorded as possible duplicates — the only duplicate
   there can be.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import time as clock
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    CursorResult,
    Date,
    DateTime,
    Integer,
    String,
    Table,
    and_,
    case,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    update,
    values,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy import column as sql_column
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from handlers.actions import DECLINED, agency_reminded, group_reminded
from handlers.chair_digest import ChairDigest, chair_digest
from handlers.faults import log_error
from handlers.format import plural
from handlers.identity import same_person
from scheduler.couriers import CHAT_DOORS, Courier, DeliveryFailed, Outgoing, Unreachable, plain_text, route
from scheduler.messages import ActionNudge, DigestPart, PapersNudge, compose_across
from scheduler.policy import (
    CHAIR,
    PAPERS,
    UNDATED,
    NudgeSettings,
    Policy,
    chair_digest_day,
    current_nudge,
    is_working_time,
    papers_reminder_day,
    undated_nudge,
)
from scheduler.retention import RetentionRunner, RetentionSettings
from storage import bindings
from storage.cadence import CadenceError, parse_papers_due
from storage.models import (
    Action,
    ActionOwner,
    Agency,
    AgendaItem,
    Meeting,
    Partnership,
    Person,
    Series,
    UTCDateTime,
)
from storage.nudge_models import OPEN_STATES, Digest, NudgeClaim, RecipientLease
from storage.roster import PersonRef, Roster
from storage.roster_repo import RosterCache

log = logging.getLogger("partnerbot.sweep")

# Core tables: the sweep works in set-based statements. (A declarative model's __table__ is typed
# as a FromClause; these are Tables.)
CL = cast(Table, NudgeClaim.__table__)
C = CL.c
DG = cast(Table, Digest.__table__)
LS = cast(Table, RecipientLease.__table__)
T = TypeVar("T")
Key = tuple[str, int, date, int]  # kind, subject, due date, recipient
CLAIM_COLUMNS = (
    "partnership_id",
    "series_id",
    "kind",
    "subject_id",
    "action_id",
    "due_on",
    "scheduled_on",
    "recipient_id",
    "state",
    "created_at",
    "attempts",
    "possible_duplicate",
)


def default_holder() -> str:
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _insert(session: Session) -> Callable[..., Any]:
    """The dialect's INSERT, which knows ON CONFLICT."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def _rows(pg: bool, name: str, columns: list[tuple[str, Any]], rows: Sequence[tuple[Any, ...]]) -> Any:
    """A small table of Python rows to join in SQL, as a CTE. PostgreSQL gets one array per column
    (a handful of parameters, however many rows); SQLite a VALUES list."""
    if pg:
        from sqlalchemy.dialects.postgresql import ARRAY

        cols = []
        for i, (col, type_) in enumerate(columns):
            array_type = ARRAY(DateTime(timezone=True) if isinstance(type_, UTCDateTime) else type_)
            data = [r[i] for r in rows]
            cols.append(func.unnest(literal(data, array_type)).label(col))
        return select(*cols).cte(name)
    return values(*(sql_column(col, type_) for col, type_ in columns), name=name).data(list(rows)).cte(name)


def _claimable(at: datetime) -> Any:
    """Claims a process may take: new, failed and due for retry, or held under a lease that ran out."""
    return or_(
        C.state == "pending",
        and_(C.state == "failed", C.next_attempt_at <= at),
        and_(C.state.in_(("claimed", "sending")), C.lease_until <= at),
    )


@dataclass
class SentMessage:
    digest_id: int
    initials: str
    door: str
    nudges: int
    kinds: list[str]
    message_id: str
    possible_duplicate: bool = False


@dataclass
class FailedMessage:
    digest_id: int
    initials: str
    error: str
    retry_at: datetime | None  # None: given up


@dataclass
class SweepReport:
    at: datetime
    holder: str
    outside_hours: list[str] = field(default_factory=list)
    new_claims: int = 0  # nudges newly derived and keyed
    claimed: int = 0  # nudges this process took into its digests
    dropped: int = 0  # claims that no longer apply (done, superseded, snoozed, owner changed)
    sent: list[SentMessage] = field(default_factory=list)
    failed: list[FailedMessage] = field(default_factory=list)
    find_claim_seconds: float = 0.0
    send_seconds: float = 0.0
    retention: dict[str, int] = field(default_factory=dict)  # rows deleted or blanked, by record class

    @property
    def nudges_sent(self) -> int:
        return sum(m.nudges for m in self.sent)

    def summary(self) -> str:
        if not self.sent and not self.failed:
            if self.outside_hours and not self.claimed:
                return "nothing sent: outside working days and hours"
            return "nothing due"
        parts = [f"{plural(len(self.sent), 'message')} ({plural(self.nudges_sent, 'nudge')})"]
        if self.failed:
            parts.append(f"{len(self.failed)} failed (retried later)")
        dups = sum(1 for m in self.sent if m.possible_duplicate)
        if dups:
            parts.append(plural(dups, "possible duplicate"))
        return ", ".join(parts)


@dataclass
class _Scope:
    """One partnership as of the sweep's clock."""

    pid: str
    tz: ZoneInfo
    at: datetime
    today: date
    roster: Roster
    series: dict[int, Series]  # active series inside their working hours now
    policies: dict[int, Policy]
    initials: dict[int, str]  # person id → initials (everyone, for display)
    ids: dict[str, int]  # initials → person id (active people only)
    # The contact addresses "all partners" actions go to (agencies with no lead): person row → who.
    mailboxes: dict[int, PersonRef] = field(default_factory=dict)
    mailbox_ids: dict[str, int] = field(default_factory=dict)  # agency id → its mailbox's person row

    def day_start(self, day: date) -> datetime:
        return datetime.combine(day, time(0), self.tz)

    def closed(self, series_id: int) -> bool:
        """Has this series ended (`ends`)? Its owners get no reminders: its open actions are listed in
        its parent's chair's digest instead (handlers/chair_digest)."""
        sref = self.roster.series.get(self.series[series_id].key)
        return sref is not None and sref.closed_on(self.today)


@dataclass(frozen=True)
class _Recipient:
    """A person with claims, and the person (maybe theirs in another partnership) their digest goes to."""

    person: int
    partnership: str
    recipient: int
    recipient_partnership: str = ""


class Sweeper:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        couriers: Mapping[str, Courier],
        settings: NudgeSettings | None = None,
        *,
        holder: str | None = None,
        partnerships: Iterable[str] | None = None,
        shuffle: bool = True,
        rosters: RosterCache | None = None,
        retention: RetentionSettings | None = None,
    ) -> None:
        self.sessions = sessions
        # app.yaml's `retention:` (scheduler/retention.py); None: this sweep keeps everything.
        self.retention = RetentionRunner(sessions, retention) if retention is not None else None
        self.rosters = rosters or RosterCache()  # the app's, when it has one
        self.couriers = dict(couriers)
        self.settings = settings or NudgeSettings()
        self.holder = holder or default_holder()
        self.partnerships = list(partnerships) if partnerships is not None else None
        self.sends = 0  # for fault injection: sends made by this process
        self._rng = random.Random()
        self.shuffle = shuffle

    # --- one sweep ---------------------------------------------------------------------------------
    def run(self, at: datetime) -> SweepReport:
        if at.tzinfo is None:
            raise ValueError("the sweep's clock must be timezone-aware")
        report = SweepReport(at=at, holder=self.holder)
        if self.retention is not None:
            try:
                report.retention = self.retention.maybe_run(at) or {}
            except Exception as e:  # reminders matter more: retention tries again at its next turn
                log.warning("retention failed (%s); reminders go on", type(e).__name__)
        with self.sessions() as s:
            pids = self.partnerships or list(s.scalars(select(Partnership.id).order_by(Partnership.id)))
        started = clock.perf_counter()
        scopes: dict[str, _Scope] = {}
        work: dict[int, list[int]] = defaultdict(list)
        previous: dict[int, int] = {}
        for pid in pids:
            with self.sessions() as s:
                scope = self._scope(s, pid, at)
            if scope is None:
                report.outside_hours.append(pid)
                continue
            self._mailboxes(scope)
            with self.sessions() as s:
                meeting_keys = self._derive(s, scope, report)
            scopes[pid] = scope
            mine, before = self._work(scope, meeting_keys, report)
            for person, claim_ids in mine.items():
                work[person].extend(claim_ids)
            previous.update(before)
        if not scopes:
            return report
        # One digest per person across the partnerships swept: the same person's claims go together.
        people = self._people(scopes, sorted(work))
        merged: dict[int, list[int]] = defaultdict(list)
        for person, claim_ids in work.items():
            merged[people[person].recipient].extend(claim_ids)
        report.find_claim_seconds += clock.perf_counter() - started
        recipients = sorted(merged)
        if self.shuffle:
            self._rng.shuffle(recipients)  # processes sharing a database start on different people
        for batch in _chunks(recipients, self.settings.batch_recipients):
            started = clock.perf_counter()
            digests, leased = self._retry(
                partial(self._claim, scopes, people, sorted(batch), merged, previous)
            )
            report.find_claim_seconds += clock.perf_counter() - started
            started = clock.perf_counter()
            try:
                if digests:
                    self._send_all(scopes, people, digests, report)
            finally:
                # Free the people now: a retry or another process need not wait for the lease to run out.
                self._release(at, leased)
                report.send_seconds += clock.perf_counter() - started
        return report

    def _people(self, scopes: dict[str, _Scope], person_ids: list[int]) -> dict[int, _Recipient]:
        """Each person with claims → who receives their digest: the same person in several partnerships
        (handlers.identity.same_person) is one recipient, their row that a chat door knows first."""
        out: dict[int, _Recipient] = {}
        with self.sessions() as s:
            rows = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_(person_ids)))}
            for pid in person_ids:
                if pid in out:
                    continue
                person = rows.get(pid)
                if person is None:
                    out[pid] = _Recipient(pid, "", pid)
                    continue
                same = [person]
                for other in scopes:
                    if other != person.partnership_id:
                        found = same_person(s, person, other)
                        if found is not None and found.id in rows:
                            same.append(found)
                same.sort(key=lambda p: (not (p.slack_id or p.teams_id), p.partnership_id, p.id))
                head = same[0]
                for p in same:
                    out[p.id] = _Recipient(p.id, p.partnership_id, head.id, head.partnership_id)
        return out

    def _scope(self, s: Session, pid: str, at: datetime) -> _Scope | None:
        part = s.get(Partnership, pid)
        if part is None:
            return None
        tz = ZoneInfo(part.timezone)
        local = at.astimezone(tz)
        series_rows = list(s.scalars(select(Series).where(Series.partnership_id == pid, Series.active)))
        policies = {r.id: self.settings.policy_for(pid, r.key) for r in series_rows}
        live = {r.id: r for r in series_rows if is_working_time(local, policies[r.id])}
        if not live:
            return None
        people = s.execute(
            select(Person.id, Person.initials, Person.active).where(Person.partnership_id == pid)
        )
        initials, ids = {}, {}
        for person_id, ini, active in people:
            initials[person_id] = ini
            if active:
                ids[ini] = person_id
        return _Scope(
            pid=pid,
            tz=tz,
            at=at,
            today=local.date(),
            roster=self.rosters.roster(s, pid),
            series=live,
            policies={k: v for k, v in policies.items() if k in live},
            initials=initials,
            ids=ids,
        )

    def _mailboxes(self, sc: _Scope) -> None:
        """The recipient rows of the agencies whose contact address takes their "all partners"
        reminders (no lead in the file), made by the first sweep that finds one. A mailbox is a row of
        `people` marked `mailbox_of`, so claims, leases and digests keep one kind of recipient; the
        address itself is read from the file each time, so a changed address is used at once."""
        wanted = {
            key: reached[1]
            for key in sc.roster.agencies
            if (reached := agency_reminded(sc.roster, key)) is not None and reached[0] == "contact"
        }
        # Only e-mail (or the terminal) reaches an address. Without one those agencies are nobody's to
        # remind: their mailboxes are stood down, and the chair's digest names the agencies again.
        if not any(door not in CHAT_DOORS for door in self.couriers):
            wanted = {}

        def stand_down() -> None:
            with self.sessions() as s, s.begin():
                s.execute(
                    update(Person)
                    .where(
                        Person.partnership_id == sc.pid,
                        Person.mailbox_of.is_not(None),
                        Person.active,
                        ~Person.mailbox_of.in_(list(wanted) or [""]),
                    )
                    .values(active=False)
                )

        self._retry(stand_down)
        if not wanted:
            return

        def found() -> list[tuple[int, str, str, bool]]:
            with self.sessions() as s:
                rows = s.execute(
                    select(Person.id, Person.initials, Person.mailbox_of, Person.active).where(
                        Person.partnership_id == sc.pid, Person.mailbox_of.in_(list(wanted))
                    )
                ).all()
                return [(i, ini, key, active) for i, ini, key, active in rows if key is not None]

        rows = found()
        missing = sorted(set(wanted) - {key for _, _, key, active in rows if active})
        if missing:

            def write() -> None:
                with self.sessions() as s, s.begin():
                    agencies = s.execute(
                        select(Agency.id, Agency.key, Agency.name).where(
                            Agency.partnership_id == sc.pid, Agency.key.in_(missing)
                        )
                    ).all()
                    new = [
                        {
                            "partnership_id": sc.pid,
                            # A key no file can give (file initials are letters only), like a guest's.
                            "initials": f"mailbox-{agency_id}",
                            "name": name,
                            "agency_key": key,
                            "mailbox_of": key,
                            "active": True,
                            "guest": False,
                            "roles": [],
                        }
                        for agency_id, key, name in agencies
                    ]
                    if new:  # two sweeps at once: the unique initials keep one row each
                        s.execute(_insert(s)(Person.__table__).on_conflict_do_nothing(), new)
                    # One stood down before (no e-mail then, or a lead named): back in service.
                    s.execute(
                        update(Person)
                        .where(Person.partnership_id == sc.pid, Person.mailbox_of.in_(missing))
                        .values(active=True)
                    )

            self._retry(write)
            rows = found()
        for person_id, ini, key, _ in rows:
            agency = sc.roster.agencies[key]
            sc.initials[person_id] = ini
            sc.ids[ini] = person_id
            sc.mailbox_ids[key] = person_id
            sc.mailboxes[person_id] = PersonRef(
                initials=ini,
                name=agency.name,
                agency=key,
                email=wanted[key],
                partnership_id=sc.pid,
                mailbox=True,
            )

    # --- 1. derive ---------------------------------------------------------------------------------
    def _derive(self, s: Session, sc: _Scope, report: SweepReport) -> set[Key]:
        """Key every reminder due now that has no claim yet; return the meeting reminders due now."""
        sched = self._schedules(s, sc)
        undated = self._undated(s, sc)
        expansion = self._expansion(sc)
        meeting_rows = self._meeting_rows(s, sc)
        insert = _insert(s)
        pg = s.get_bind().dialect.name == "postgresql"

        def write() -> int:
            made = 0
            with self.sessions() as w, w.begin():
                for chunk in _chunks(sched, 1000):
                    made += len(w.execute(self._action_claims(insert, pg, sc, list(chunk), expansion)).all())
                for chunk in _chunks(undated, 1000):
                    q = self._action_claims(insert, pg, sc, list(chunk), expansion, undated=True)
                    made += len(w.execute(q).all())
                if meeting_rows:
                    made += len(
                        w.execute(insert(CL).on_conflict_do_nothing().returning(C.id), meeting_rows).all()
                    )
            return made

        if sched or undated or meeting_rows:
            report.new_claims += self._retry(write)
        return {(r["kind"], r["subject_id"], r["due_on"], r["recipient_id"]) for r in meeting_rows}

    def _schedules(self, s: Session, sc: _Scope) -> list[tuple[int, date, str, date, datetime]]:
        """For each series and due date of open actions: the reminder that applies today, if any."""
        horizon = max(p.horizon_days for p in sc.policies.values())
        dues = s.execute(
            select(Action.series_id, Action.due_date)
            .where(
                Action.series_id.in_(list(sc.series)),
                Action.status == "open",
                Action.due_date.is_not(None),
                Action.due_date <= sc.today + timedelta(days=horizon),
            )
            .group_by(Action.series_id, Action.due_date)
        ).all()
        out: list[tuple[int, date, str, date, datetime]] = []
        for series_id, due in dues:
            assert due is not None  # the query keeps dated actions only
            if sc.closed(series_id):
                continue
            nudge = current_nudge(due, sc.today, sc.policies[series_id])
            if nudge is not None:
                out.append((series_id, due, nudge.kind, nudge.scheduled_on, sc.day_start(nudge.scheduled_on)))
        return out

    def _undated(self, s: Session, sc: _Scope) -> list[tuple[int, date, str, date, datetime]]:
        """For each open action with no due date: the chase that applies today (`undated_every` from
        the day it was raised), if any — (action, chase day, kind, scheduled on, start of that day)."""
        rows = s.execute(
            select(Action.id, Action.series_id, Action.created_at).where(
                Action.series_id.in_(list(sc.series)),
                Action.status == "open",
                Action.due_date.is_(None),
            )
        ).all()
        out: list[tuple[int, date, str, date, datetime]] = []
        for action_id, series_id, created in rows:
            if sc.closed(series_id):
                continue
            n = undated_nudge(created.astimezone(sc.tz).date(), sc.today, sc.policies[series_id])
            if n is not None:
                out.append((action_id, n.due_on, n.kind, n.scheduled_on, sc.day_start(n.scheduled_on)))
        return out

    def _expansion(self, sc: _Scope) -> list[tuple[str, str, int, int]]:
        """(owner kind, key, series or 0 for any, person) for owners that are not one person: each member
        of a group (its leads, if it names any); the series' members of an agency; each agency's lead for
        "all" (`_all_partners`); and for a guest with no e-mail (kind person, key their id), whoever
        takes their reminders. Members who declined an action are left out per action, in SQL."""
        roster = sc.roster
        rows: list[tuple[str, str, int, int]] = []
        for gid in roster.groups:
            rows.extend(("group", gid, 0, sc.ids[i]) for i in group_reminded(roster, gid) if i in sc.ids)
        for series_id, series in sc.series.items():
            sref = roster.series.get(series.key)
            if sref is None:
                continue
            members = self._series_members(sc, series)
            for ini in members:
                if ini in sc.ids and ini in roster.people:
                    rows.append(("agency", roster.people[ini].agency, series_id, sc.ids[ini]))
            rows.extend(("all", "", series_id, p) for p in self._all_partners(sc, series))
        for guest_id in self._unreachable_guests(sc):
            for series_id, series in sc.series.items():
                rows.extend(
                    ("person", str(guest_id), series_id, p) for p in self._guest_stand_ins(sc, series)
                )
        return rows

    def _series_members(self, sc: _Scope, series: Series) -> list[str]:
        """A series' members today, its chairs and vice-chair (initials); deputies are not members."""
        sref = sc.roster.series.get(series.key)
        if sref is None:
            return []
        return list(
            dict.fromkeys(
                [*sc.roster.members_on(sref, sc.today), *sref.chairs(), *(i for i in (sref.vice_chair,) if i)]
            )
        )

    def _all_partners(self, sc: _Scope, series: Series) -> list[int]:
        """Who an "all partners" action of `series` reminds: for each agency the series' members come
        from, its lead, else its contact address (its mailbox row); never every member. An agency with
        neither is left to the chair's digest (`handlers.actions.agency_reminded`, the one rule)."""
        roster = sc.roster
        out: list[int] = []
        for agency in dict.fromkeys(
            roster.people[i].agency for i in self._series_members(sc, series) if i in roster.people
        ):
            reached = agency_reminded(roster, agency)
            if reached is None:
                continue
            how, who = reached
            found = sc.ids.get(who) if how == "lead" else sc.mailbox_ids.get(agency)
            if found is not None and found not in out:
                out.append(found)
        return out

    def _unreachable_guests(self, sc: _Scope) -> list[int]:
        """Guests with no e-mail: no door reaches them, so their reminders go to the business unit."""
        return [
            sc.ids[p.initials]
            for p in sc.roster.people.values()
            if p.guest and not p.email and p.initials in sc.ids
        ]

    def _guest_stand_ins(self, sc: _Scope, series: Series) -> list[int]:
        """Who takes the reminders of a guest with no e-mail: the business unit, else the series' chair."""
        bu = sc.roster.business_unit
        people = (
            [sc.ids[i] for i in sc.roster.group_members(bu) if i in sc.ids] if bu in sc.roster.groups else []
        )
        return people or self._chair_ids(sc, series)

    def _action_claims(
        self,
        insert: Callable[..., Any],
        pg: bool,
        sc: _Scope,
        sched: list[tuple[int, date, str, date, datetime]],
        expansion: list[tuple[str, str, int, int]],
        *,
        undated: bool = False,
    ) -> Any:
        """INSERT … SELECT … ON CONFLICT DO NOTHING: one pending claim per action reminder due now and
        per person it reaches, for actions with no claim for that reminder yet. One statement, so all the
        people of one action are keyed together and "no claim yet" stays exact."""
        a, o, p = Action.__table__.c, ActionOwner.__table__.c, Person.__table__.c
        v = _rows(
            pg,
            "sched",
            [
                # Undated actions are chased one by one (their rows name the action, not a series).
                ("action_id" if undated else "series_id", Integer()),
                ("due_on", Date()),
                ("kind", String()),
                ("sched_on", Date()),
                ("sched_start", UTCDateTime()),
            ],
            sched,
        )
        due_now = and_(
            a.status == "open",
            or_(a.snoozed_until.is_(None), a.snoozed_until <= sc.today),
            # No reminder on the day an action was raised: its owners have just heard it.
            a.created_at < v.c.sched_start,
            ~exists().where(
                C.subject_id == a.id, C.kind == v.c.kind, C.due_on == (v.c.due_on if undated else a.due_date)
            ),
            *((a.due_date.is_(None),) if undated else ()),
        )
        # The expansion of group, agency and "all" owners; never empty, so the query keeps one shape.
        x = _rows(
            pg,
            "reach",
            [("kind", String()), ("key", String()), ("series_id", Integer()), ("person_id", Integer())],
            expansion or [("none", "", -1, -1)],
        )
        # Driven from the due dates, through each action's index to its owners; the LEFT JOINs keep that
        # order on SQLite too, which has no statistics to choose by and would otherwise scan the owners.
        source = (
            Action.__table__.join(
                v,
                a.id == v.c.action_id
                if undated
                else and_(a.series_id == v.c.series_id, a.due_date == v.c.due_on),
            )
            .join(ActionOwner.__table__, and_(o.action_id == a.id, o.removed_at.is_(None)))
            # A guest with no e-mail is reached through the expansion (the business unit), not directly.
            .outerjoin(
                Person.__table__, and_(p.id == o.person_id, p.active, or_(~p.guest, p.email.is_not(None)))
            )
            .outerjoin(
                x,
                and_(
                    x.c.kind == func.coalesce(o.kind, ""),
                    x.c.key == func.coalesce(o.key, sql_cast(o.person_id, String()), ""),
                    or_(x.c.series_id == a.series_id, x.c.series_id == 0),
                ),
            )
        )
        recipient = func.coalesce(p.id, x.c.person_id)
        # A member who answered "not mine" to a group's (or agency's, or all partners') action is off it.
        d = ActionOwner.__table__.alias("declined")
        declined = exists().where(
            d.c.action_id == a.id,
            d.c.kind == DECLINED,
            d.c.removed_reason == DECLINED,
            d.c.person_id == recipient,
        )
        rows = (
            select(
                literal(sc.pid, String()),
                a.series_id,
                v.c.kind,
                a.id,
                a.id,
                v.c.due_on if undated else a.due_date,
                v.c.sched_on,
                recipient,
                literal("pending", String()),
                literal(sc.at, UTCDateTime()),
                literal(0, Integer()),
                literal(False, Boolean()),
            )
            .select_from(source)
            .where(due_now, recipient.is_not(None), ~declined)
            # A fixed order: processes inserting the same keys at once lock them in one order (no deadlock).
            .order_by(a.id, recipient)
        )
        return (
            insert(CL)
            .from_select([getattr(C, n) for n in CLAIM_COLUMNS], rows)
            .on_conflict_do_nothing()
            .returning(C.id)
        )

    def _owners(
        self, s: Session, action_ids: list[int]
    ) -> dict[int, list[tuple[str, int | None, str | None]]]:
        out: dict[int, list[tuple[str, int | None, str | None]]] = defaultdict(list)
        for chunk in _chunks(action_ids, 1000):
            q = select(ActionOwner.action_id, ActionOwner.kind, ActionOwner.person_id, ActionOwner.key).where(
                ActionOwner.action_id.in_(list(chunk)),
                or_(
                    ActionOwner.removed_at.is_(None),
                    and_(ActionOwner.kind == DECLINED, ActionOwner.removed_reason == DECLINED),
                ),
            )
            for action_id, kind, person_id, key in s.execute(q):
                out[action_id].append((kind, person_id, key))
        return out

    def _recipients(
        self, sc: _Scope, series: Series, owners: Iterable[tuple[str, int | None, str | None]]
    ) -> list[int]:
        """People an action's reminder reaches (the same rule as `_expansion`, for checking old claims)."""
        roster = sc.roster
        members = self._series_members(sc, series)
        out: list[int] = []
        unreachable = set(self._unreachable_guests(sc))
        declined = {person_id for kind, person_id, _ in owners if kind == DECLINED}
        for kind, person_id, key in owners:
            if kind == DECLINED:
                continue
            if kind == "person" and person_id in unreachable:
                found = [sc.initials.get(i, "") for i in self._guest_stand_ins(sc, series)]
            elif kind == "person":
                found = [sc.initials.get(person_id or -1, "")]
            elif kind == "group" and key in roster.groups:
                found = group_reminded(roster, key)
            elif kind == "agency":
                found = [i for i in members if i in roster.people and roster.people[i].agency == key]
            elif kind == "all":
                found = [sc.initials.get(p, "") for p in self._all_partners(sc, series)]
            else:
                found = []
            for ini in found:
                pid = sc.ids.get(ini)
                if pid is not None and pid not in out and pid not in declined:
                    out.append(pid)
        return out

    def _claim_row(
        self,
        sc: _Scope,
        series_id: int,
        kind: str,
        subject: int,
        due: date,
        sched: date,
        recipient: int,
        meeting: int,
    ) -> dict[str, Any]:
        return {
            "partnership_id": sc.pid,
            "series_id": series_id,
            "kind": kind,
            "subject_id": subject,
            "action_id": None,
            "meeting_id": meeting,
            "due_on": due,
            "scheduled_on": sched,
            "recipient_id": recipient,
            "state": "pending",
            "created_at": sc.at,
            "attempts": 0,
            "possible_duplicate": False,
        }

    def _meeting_rows(self, s: Session, sc: _Scope) -> list[dict[str, Any]]:
        """The chair's digest before each meeting, and the papers reminder before its deadline."""
        rows: list[dict[str, Any]] = []
        meetings = s.execute(
            select(Meeting.id, Meeting.series_id, Meeting.starts_at)
            .where(
                Meeting.series_id.in_(list(sc.series)),
                Meeting.status == "planned",
                Meeting.starts_at >= sc.day_start(sc.today),
            )
            .order_by(Meeting.starts_at)
        ).all()
        seen: set[int] = set()
        for meeting_id, series_id, starts_at in meetings:
            if series_id in seen or starts_at is None or sc.closed(series_id):
                continue
            seen.add(series_id)
            series, policy = sc.series[series_id], sc.policies[series_id]
            day = starts_at.astimezone(sc.tz).date()
            digest_day = chair_digest_day(day, policy)
            if digest_day is not None and digest_day <= sc.today < day:
                for chair in self._chair_ids(sc, series):
                    rows.append(
                        self._claim_row(
                            sc, series_id, CHAIR, meeting_id, day, digest_day, chair, meeting=meeting_id
                        )
                    )
            if not series.papers_due:
                continue
            try:
                deadline = parse_papers_due(series.papers_due).deadline(day)
            except CadenceError:
                continue
            remind = papers_reminder_day(deadline, policy)
            if remind is None or not (remind <= sc.today <= deadline):
                continue
            for person_id in self._papers_people(s, sc, series, meeting_id):
                rows.append(
                    self._claim_row(
                        sc, series_id, PAPERS, meeting_id, deadline, remind, person_id, meeting=meeting_id
                    )
                )
        return rows

    def _chair_ids(self, sc: _Scope, series: Series) -> list[int]:
        """Who takes the chair's digest: the chair; a series with no chair named (or whose chair has
        left) hands over to the vice-chair, then the business manager, then the business unit
        (`Roster.chair_or_stand_ins`, the one rule)."""
        sref = sc.roster.series.get(series.key)
        if sref is not None:
            found = sc.roster.chair_or_stand_ins(sref, sc.today)
        else:
            found = tuple(i for i in (series.chair, series.vice_chair, series.business_manager) if i)[:1]
        return [sc.ids[i] for i in found if i in sc.ids]

    def _papers_people(self, s: Session, sc: _Scope, series: Series, meeting_id: int) -> list[int]:
        out: list[int] = []
        bu = sc.roster.business_unit
        if bu and bu in sc.roster.groups:
            out.extend(sc.ids[i] for i in sc.roster.group_members(bu) if i in sc.ids)
        presenters = s.scalars(
            select(AgendaItem.presenter_id).where(
                AgendaItem.series_id == series.id,
                AgendaItem.status == "proposed",
                or_(AgendaItem.meeting_id.is_(None), AgendaItem.meeting_id == meeting_id),
                AgendaItem.presenter_id.is_not(None),
            )
        )
        for person_id in presenters:
            if person_id in sc.initials and sc.initials[person_id] in sc.ids and person_id not in out:
                out.append(person_id)
        return out

    # --- 2. the work list, checked against the policy ------------------------------------------------
    def _work(
        self, sc: _Scope, meeting_keys: set[Key], report: SweepReport
    ) -> tuple[dict[int, list[int]], dict[int, int]]:
        """Unsettled claims by recipient, and the digest each was last in (if any). Claims that no longer
        apply are dropped, never sent late."""
        a = Action.__table__.c
        with self.sessions() as s:
            rows = s.execute(
                select(
                    C.id,
                    C.recipient_id,
                    C.kind,
                    C.subject_id,
                    C.action_id,
                    C.due_on,
                    C.created_at,
                    C.digest_id,
                    a.status,
                    a.due_date,
                    a.snoozed_until,
                    a.series_id,
                    C.series_id.label("claim_series"),
                )
                .select_from(CL.outerjoin(Action.__table__, a.id == C.action_id))
                .where(
                    C.partnership_id == sc.pid,
                    C.state.in_(OPEN_STATES),
                    C.series_id.in_(list(sc.series)),
                    _claimable(sc.at),
                )
            ).all()
            verdicts = self._check(s, sc, rows, meeting_keys)
        drop: dict[str, list[int]] = defaultdict(list)
        work: dict[int, list[int]] = defaultdict(list)
        previous: dict[int, int] = {}
        for r in rows:
            reason = verdicts.get(r.id)
            if reason:
                drop[reason].append(r.id)
            else:
                work[r.recipient_id].append(r.id)
                if r.digest_id is not None:
                    previous[r.id] = r.digest_id
        for reason, ids in drop.items():

            def write(ids: list[int] = ids, reason: str = reason) -> int:
                with self.sessions() as w, w.begin():
                    result = w.execute(
                        update(CL)
                        .where(C.id.in_(ids), _claimable(sc.at))
                        .values(state="dropped", error=reason, lease_until=None)
                    )
                    return int(cast(CursorResult[Any], result).rowcount or 0)

            report.dropped += self._retry(write)
        return work, previous

    def _check(self, s: Session, sc: _Scope, rows: Sequence[Any], meeting_keys: set[Key]) -> dict[int, str]:
        """Why each claim no longer applies (absent: it still does)."""
        out: dict[int, str] = {}
        # Claims keyed by an earlier sweep may have lost their person since (reassigned, left).
        older = [r.action_id for r in rows if r.action_id is not None and r.created_at < sc.at]
        owners = self._owners(s, list(set(older)))
        for r in rows:
            if sc.closed(r.claim_series):
                out[r.id] = "the group has ended: its actions go to its parent's chair's digest"
                continue
            if r.action_id is None:
                if (r.kind, r.subject_id, r.due_on, r.recipient_id) not in meeting_keys:
                    out[r.id] = "the meeting moved or its reminder window passed"
                continue
            if r.status != "open":
                out[r.id] = f"the action is {r.status or 'gone'}"
            elif r.snoozed_until is not None and r.snoozed_until > sc.today:
                out[r.id] = "snoozed"
            elif r.kind.startswith(UNDATED):
                if r.due_date is not None:
                    out[r.id] = "a due date was given"
                elif r.created_at < sc.at and r.recipient_id not in self._recipients(
                    sc, sc.series[r.series_id], owners.get(r.action_id, [])
                ):
                    out[r.id] = "no longer an owner"
            elif r.due_date != r.due_on:
                out[r.id] = "the due date changed"
            elif (
                n := current_nudge(r.due_date, sc.today, sc.policies[r.series_id])
            ) is None or n.kind != r.kind:
                out[r.id] = "superseded by a later reminder"
            elif r.created_at < sc.at and r.recipient_id not in self._recipients(
                sc, sc.series[r.series_id], owners.get(r.action_id, [])
            ):
                out[r.id] = "no longer an owner"
        return out

    # --- 2b. lease people and take their claims into digests -------------------------------------------
    def _claim(
        self,
        scopes: dict[str, _Scope],
        people: dict[int, _Recipient],
        batch: list[int],
        work: dict[int, list[int]],
        previous: dict[int, int],
    ) -> tuple[dict[int, int], list[int]]:
        """Lease each recipient in the batch and claim their nudges (in every partnership) into one
        digest each. Returns ({digest id: recipient}, the recipients leased)."""
        at = next(iter(scopes.values())).at
        until = at + self.settings.lease
        with self.sessions() as s, s.begin():
            insert = _insert(s)
            stmt = insert(LS)
            stmt = stmt.on_conflict_do_update(
                index_elements=[LS.c.person_id],
                set_={
                    "holder": stmt.excluded.holder,
                    "until": stmt.excluded.until,
                    "taken_at": stmt.excluded.taken_at,
                },
                where=or_(LS.c.until <= at, LS.c.holder == self.holder),
            ).returning(LS.c.person_id)
            rows = [{"person_id": p, "holder": self.holder, "until": until, "taken_at": at} for p in batch]
            leased = sorted(r[0] for r in s.execute(stmt, rows))
            if not leased:
                return {}, []
            made = s.execute(
                insert(DG).returning(DG.c.id, DG.c.recipient_id),
                [
                    {
                        "partnership_id": people[p].recipient_partnership,
                        "recipient_id": p,
                        "holder": self.holder,
                        "composed_at": at,
                        "state": "composed",
                        "nudges": len(work[p]),
                        "route": [],
                    }
                    for p in leased
                ],
            ).all()
            digest_of = {person: digest for digest, person in made}
            # The claims of the same person in the other partnerships go into their one digest too.
            digest_by_row = {
                r.person: digest_of[r.recipient] for r in people.values() if r.recipient in digest_of
            }
            ids = [cid for p in leased for cid in work[p]]
            taken: list[tuple[int, int, int]] = []
            for chunk in _chunks(ids, 1000):
                taken.extend(
                    s.execute(
                        update(CL)
                        .where(C.id.in_(list(chunk)), _claimable(at))
                        .values(
                            state="claimed",
                            digest_id=case(digest_by_row, value=C.recipient_id),
                            claimed_by=self.holder,
                            claimed_at=at,
                            lease_until=until,
                            # Taken over from a process that died while sending: it may have arrived.
                            possible_duplicate=or_(C.possible_duplicate, C.state == "sending"),
                        )
                        .returning(C.id, C.recipient_id, C.digest_id)
                    ).all()
                )
            counts: dict[int, int] = defaultdict(int)
            for _, _, digest in taken:
                counts[digest] += 1
            empty = [d for d in digest_of.values() if not counts.get(d)]
            if empty:
                s.execute(DG.delete().where(DG.c.id.in_(empty)))
            for digest, n in counts.items():
                if n != len(work[next(p for p, d in digest_of.items() if d == digest)]):
                    s.execute(update(DG).where(DG.c.id == digest).values(nudges=n))
            # Digests whose claims were taken over say what became of them.
            old = {previous[c] for c, _, _ in taken if c in previous}
            if old:
                s.execute(
                    update(DG)
                    .where(DG.c.id.in_(list(old)), DG.c.state.in_(("composed", "sending")))
                    .values(state=case((DG.c.state == "sending", "possibly_sent"), else_="abandoned"))
                )
            return {d: p for p, d in digest_of.items() if counts.get(d)}, leased

    def _release(self, at: datetime, people: list[int]) -> None:
        def write() -> None:
            with self.sessions() as s, s.begin():
                s.execute(
                    update(LS).where(LS.c.holder == self.holder, LS.c.person_id.in_(people)).values(until=at)
                )

        if people:
            self._retry(write)

    # --- 3. send -----------------------------------------------------------------------------------------
    def _send_all(
        self,
        scopes: dict[str, _Scope],
        people: dict[int, _Recipient],
        digests: dict[int, int],
        report: SweepReport,
    ) -> None:
        with self.sessions() as s:
            claims = list(s.scalars(select(NudgeClaim).where(NudgeClaim.digest_id.in_(list(digests)))))
            by_digest: dict[int, list[NudgeClaim]] = defaultdict(list)
            by_partnership: dict[str, list[NudgeClaim]] = defaultdict(list)
            for c in claims:
                by_digest[c.digest_id or 0].append(c)
                by_partnership[c.partnership_id].append(c)
            content: dict[tuple[str, int], Any] = {}
            doors: dict[int, list[str]] = {}
            for pid, theirs in by_partnership.items():
                content.update(self._content(s, scopes[pid], theirs))
                doors.update(self._series_doors(s, scopes[pid]))
        for digest_id, person_id in digests.items():
            mine = by_digest.get(digest_id, [])
            if mine:
                sc = scopes[people[person_id].recipient_partnership]
                self._send_one(sc, scopes, digest_id, person_id, mine, content, doors, report)

    def _content(self, s: Session, sc: _Scope, claims: list[NudgeClaim]) -> dict[tuple[str, int], Any]:
        """What each claim will say, loaded once per batch: actions, chair's digests, papers reminders."""
        out: dict[tuple[str, int], Any] = {}
        action_ids = [c.action_id for c in claims if c.action_id is not None]
        for chunk in _chunks(action_ids, 1000):
            for a in s.scalars(
                select(Action)
                .where(Action.id.in_(list(chunk)))
                .options(selectinload(Action.owners), selectinload(Action.updates))
            ):
                for o in a.owners:
                    if o.kind in ("person", DECLINED):
                        o.__dict__["_initials"] = sc.initials.get(o.person_id or -1)
                out[("action", a.id)] = a
        for c in claims:
            if c.kind == CHAIR and ("chair", c.subject_id) not in out:
                series = sc.series[c.series_id]
                out[("chair", c.subject_id)] = chair_digest(
                    s, sc.roster, series, sc.today, sc.policies[c.series_id], meeting_day=c.due_on
                )
            elif c.kind == PAPERS and ("papers", c.subject_id) not in out:
                meeting = s.get(Meeting, c.subject_id)
                items = s.execute(
                    select(AgendaItem.title, AgendaItem.presenter_id)
                    .where(
                        AgendaItem.series_id == c.series_id,
                        AgendaItem.status == "proposed",
                        or_(AgendaItem.meeting_id.is_(None), AgendaItem.meeting_id == c.subject_id),
                    )
                    .order_by(AgendaItem.id)
                ).all()
                day = (
                    meeting.starts_at.astimezone(sc.tz).date() if meeting and meeting.starts_at else c.due_on
                )
                out[("papers", c.subject_id)] = (day, [(t, p) for t, p in items])
        return out

    def _series_doors(self, s: Session, sc: _Scope) -> dict[int, list[str]]:
        return bindings.doors_of(s, sc.series)

    def _compose(
        self,
        sc: _Scope,
        scopes: dict[str, _Scope],
        person_id: int,
        claims: list[NudgeClaim],
        content: dict[tuple[str, int], Any],
    ) -> Outgoing | None:
        """The digest to `person_id` (of `sc`): a part per partnership its claims are in, that
        partnership's own first."""
        person = sc.roster.people.get(sc.initials.get(person_id, "")) or sc.mailboxes.get(person_id)
        if person is None:
            return None
        by_partnership: dict[str, list[NudgeClaim]] = defaultdict(list)
        for c in claims:
            by_partnership[c.partnership_id].append(c)
        order = sorted(by_partnership, key=lambda pid: (pid != sc.pid, pid))
        keys = defaultdict(set)
        for pid in order:
            for c in by_partnership[pid]:
                keys[scopes[pid].series[c.series_id].key].add(pid)
        parts: list[DigestPart] = []
        for pid in order:
            psc = scopes[pid]
            theirs = by_partnership[pid]
            me = psc.roster.people.get(psc.initials.get(theirs[0].recipient_id, "")) or psc.mailboxes.get(
                theirs[0].recipient_id
            )
            if me is None:
                continue
            actions: list[ActionNudge] = []
            papers: list[PapersNudge] = []
            chairs: list[ChairDigest] = []
            for c in theirs:
                series = psc.series[c.series_id]
                qualifier = f"{pid}/" if len(keys[series.key]) > 1 else ""
                if c.action_id is not None and ("action", c.action_id) in content:
                    actions.append(ActionNudge(series, content[("action", c.action_id)], c.kind, qualifier))
                elif c.kind == CHAIR:
                    chairs.append(content[("chair", c.subject_id)])
                elif c.kind == PAPERS:
                    day, items = content[("papers", c.subject_id)]
                    titles = [(t, psc.initials.get(p) if p else None) for t, p in items]
                    presenting = [t for t, p in items if p == c.recipient_id]
                    papers.append(PapersNudge(series, day, c.due_on, titles, presenting))
            parts.append(DigestPart(me, psc.roster, actions, papers, chairs))
        if not parts:
            return None
        subject, message = compose_across(person, parts, sc.today, sc.tz)
        return Outgoing(person, subject, message, plain_text(message), claims[0].digest_id or 0)

    def _send_one(
        self,
        sc: _Scope,
        scopes: dict[str, _Scope],
        digest_id: int,
        person_id: int,
        claims: list[NudgeClaim],
        content: dict[tuple[str, int], Any],
        doors: dict[int, list[str]],
        report: SweepReport,
    ) -> None:
        out = self._compose(sc, scopes, person_id, claims, content)
        ini = sc.initials.get(person_id, str(person_id))
        fault = self.settings.fault
        if (
            fault.kill_after_sends
            and fault.point == "before_send"
            and self.sends + 1 >= fault.kill_after_sends
        ):
            os.kill(os.getpid(), signal.SIGKILL)  # test only: dies holding claims it never sent
        if out is None:
            self._record_failure(
                sc, digest_id, claims, ini, "the person is not in the partnership file", [], report
            )
            return

        def mark_sending() -> bool:
            with self.sessions() as s, s.begin():
                moved = s.execute(
                    update(CL)
                    .where(C.digest_id == digest_id, C.state == "claimed", C.claimed_by == self.holder)
                    .values(state="sending")
                )
                if cast(CursorResult[Any], moved).rowcount != len(claims):
                    s.rollback()  # our lease ran out and someone else has them now: leave them alone
                    return False
                s.execute(
                    update(DG)
                    .where(DG.c.id == digest_id)
                    .values(state="sending", subject=out.subject, body=out.text)
                )
                return True

        if not self._retry(mark_sending):
            return
        series_doors: list[str] = []
        for c in claims:
            series_doors.extend(d for d in doors.get(c.series_id, []) if d not in series_doors)
        tried: list[dict[str, str]] = []
        sent_by: tuple[str, str] | None = None
        error = ""
        chain = route(out.person, series_doors, self.couriers)
        for door in series_doors:
            courier = self.couriers.get(door)
            if courier is None or not courier.reach(out.person):
                tried.append(
                    {"door": door, "result": "no door running" if courier is None else "no id there"}
                )
        for courier in chain:
            try:
                message_id = courier.send(out)
            except Unreachable as e:
                tried.append({"door": courier.door, "result": f"unreachable: {e}"})
                continue
            except DeliveryFailed as e:
                error = str(e)
                tried.append({"door": courier.door, "result": f"failed: {e}"})
                break
            except Exception as e:  # a door's bug must not stop the sweep; retried like any failure
                log_error(log, f"courier {courier.door} failed for digest {digest_id}", e)
                # Its class only: a door's exception may quote the reminder it was given.
                error = f"{type(e).__name__} in the {courier.door} door (the log says where)"
                tried.append({"door": courier.door, "result": f"error: {error}"})
                break
            sent_by = (courier.door, message_id)
            tried.append({"door": courier.door, "result": "sent"})
            break
        if sent_by is not None:
            self.sends += 1
            if (
                fault.kill_after_sends
                and fault.point == "after_send"
                and self.sends >= fault.kill_after_sends
            ):
                os.kill(os.getpid(), signal.SIGKILL)  # test only: the door took it, "sent" is not recorded
            self._record_sent(sc, digest_id, claims, ini, sent_by, tried, report)
        else:
            self._record_failure(sc, digest_id, claims, ini, error or f"no door reaches {ini}", tried, report)

    def _record_sent(
        self,
        sc: _Scope,
        digest_id: int,
        claims: list[NudgeClaim],
        ini: str,
        sent_by: tuple[str, str],
        tried: list[dict[str, str]],
        report: SweepReport,
    ) -> None:
        door, message_id = sent_by

        def write() -> None:
            with self.sessions() as s, s.begin():
                if s.get_bind().dialect.name == "postgresql":
                    # Safe to skip the flush to disk here: if a server crash lost this commit, the claims
                    # stay "sending" and are taken over as possible duplicates — as if this process died.
                    s.execute(text("SET LOCAL synchronous_commit TO OFF"))
                s.execute(
                    update(CL)
                    .where(C.digest_id == digest_id, C.state == "sending")
                    .values(
                        state="sent",
                        sent_at=sc.at,
                        door=door,
                        message_id=message_id,
                        attempts=C.attempts + 1,
                        lease_until=None,
                        error=None,
                    )
                )
                s.execute(
                    update(DG)
                    .where(DG.c.id == digest_id)
                    .values(state="sent", sent_at=sc.at, door=door, message_id=message_id, route=tried)
                )

        self._retry(write)
        report.claimed += len(claims)
        report.sent.append(
            SentMessage(
                digest_id,
                ini,
                door,
                len(claims),
                sorted({c.kind for c in claims}),
                message_id,
                any(c.possible_duplicate for c in claims),
            )
        )

    def _record_failure(
        self,
        sc: _Scope,
        digest_id: int,
        claims: list[NudgeClaim],
        ini: str,
        error: str,
        tried: list[dict[str, str]],
        report: SweepReport,
    ) -> None:
        attempts = max(c.attempts for c in claims) + 1
        backoff = self.settings.retry
        retry_at = sc.at + backoff[attempts - 1] if attempts <= len(backoff) else None

        def write() -> None:
            with self.sessions() as s, s.begin():
                s.execute(
                    update(CL)
                    .where(C.digest_id == digest_id, C.state.in_(("claimed", "sending")))
                    .values(
                        state="failed" if retry_at else "gave_up",
                        attempts=C.attempts + 1,
                        next_attempt_at=retry_at,
                        error=error[:2000],
                        lease_until=None,
                    )
                )
                s.execute(
                    update(DG)
                    .where(DG.c.id == digest_id)
                    .values(state="failed", error=error[:2000], route=tried)
                )

        self._retry(write)
        report.claimed += len(claims)
        report.failed.append(FailedMessage(digest_id, ini, error, retry_at))
        log.warning(
            "reminder to %s failed (%s); %s", ini, error, f"retry at {retry_at}" if retry_at else "gave up"
        )

    # --- helpers -------------------------------------------------------------------------------------
    def _retry(self, fn: Callable[[], T], attempts: int = 5) -> T:
        """Run a transaction again when PostgreSQL picks it as a deadlock victim or SQLite is busy."""
        for i in range(attempts):
            try:
                return fn()
            except OperationalError as e:
                text = str(e.orig).lower()
                if i == attempts - 1 or not ("deadlock" in text or "locked" in text or "serializ" in text):
                    raise
                clock.sleep(0.05 * (i + 1) + self._rng.random() * 0.05)
        raise AssertionError("unreachable")
