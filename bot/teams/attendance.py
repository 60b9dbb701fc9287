"""Attendance from Teams: a proposal the chair confirms, never a silent overwrite.

After a meeting, Teams' attendance report (Graph) says who joined and left when. People are
matched to the partnership file by their Teams id or e-mail; each becomes "present" (or "in
attendance" if not a member), joined late or left early by more than five minutes. Anyone the
chair already recorded — apologies, a deputy, present — is kept as recorded, and people not in
the file are listed for the chair (guests). The proposal comes back as a card with a Confirm
button whose typed form, `attendance confirm board #12: LE 10:00-12:00; SMa 10:07-11:20`,
the chair may also edit and type.

The Graph call is made by the door (or the CLI) before the core runs the command, so no
network wait ever happens inside a database transaction; it reaches the handler through
`PREFETCHED` (a context variable: it follows the call into the core's worker thread).
When Graph is not configured, the join and leave events the bot saw in the meeting chat
are the source instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.teams.graph import AttendanceReport, Attendee, Interval
from handlers.context import Ctx, UserError
from handlers.format import clock, long_date
from handlers.reply import OK, WARNING, Button, Buttons, Reply, Table
from storage.models import Attendance, DoorIdentity, Meeting, Person

GRACE = timedelta(minutes=5)


@dataclass(frozen=True)
class Fetched:
    """What the door fetched for `attendance import`: a report, or why there is none."""

    report: AttendanceReport | None = None
    error: str | None = None


PREFETCHED: ContextVar[Fetched | None] = ContextVar("partnerbot_teams_attendance", default=None)


@contextmanager
def prefetched(value: Fetched | None) -> Iterator[None]:
    token = PREFETCHED.set(value)
    try:
        yield
    finally:
        PREFETCHED.reset(token)


@dataclass(frozen=True)
class Entry:
    initials: str
    arrived: datetime
    left: datetime
    late: bool
    early: bool


@dataclass
class Proposal:
    meeting: Meeting
    entries: list[Entry]
    kept: list[str]  # "Tom Rees: apologies (kept as recorded)"
    unknown: list[str]  # attendees not in the file
    source: str


def report_from_events(events: list[tuple[str, datetime, dict[str, object]]]) -> AttendanceReport:
    """An attendance report built from the participant join/leave events seen in the meeting chat."""
    open_at: dict[str, datetime] = {}
    spans: dict[str, list[Interval]] = {}
    names: dict[str, tuple[str, str | None]] = {}
    last = max((at for _, at, _ in events), default=None)
    for verb, at, details in events:
        aad = str(details.get("aad_id") or "")
        if not aad:
            continue
        names[aad] = (str(details.get("name") or "someone"), str(details.get("role") or "") or None)
        if verb == "joined":
            open_at.setdefault(aad, at)
        elif verb == "left" and aad in open_at:
            spans.setdefault(aad, []).append(Interval(open_at.pop(aad), at))
    for aad, since in open_at.items():  # still in when the last event came: count them to it
        spans.setdefault(aad, []).append(Interval(since, max(last or since, since)))
    attendees = [
        Attendee(name=names[aad][0], email=None, aad_id=aad, role=names[aad][1], intervals=tuple(iv))
        for aad, iv in spans.items()
    ]
    return AttendanceReport("events", attendees=attendees)


def _who(ctx: Ctx, attendee: Attendee, by_aad: dict[str, str]) -> str | None:
    from bot.teams.store import addresses

    if attendee.aad_id and attendee.aad_id in by_aad:
        return by_aad[attendee.aad_id]
    wanted = addresses(attendee.email, None)
    for p in ctx.roster.people.values():
        if p.active and p.email and p.email.lower() in wanted:
            return p.initials
    return None


def _teams_ids(session: Session, partnership_id: str) -> dict[str, str]:
    """AAD object id → initials, from the file and from identities learnt on the Teams door."""
    out = {
        str(t): i
        for t, i in session.execute(
            select(Person.teams_id, Person.initials).where(
                Person.partnership_id == partnership_id, Person.teams_id.is_not(None)
            )
        )
    }
    for key, initials in session.execute(
        select(DoorIdentity.user_key, Person.initials)
        .join(Person, Person.id == DoorIdentity.person_id)
        .where(DoorIdentity.door == "teams", Person.partnership_id == partnership_id)
    ):
        out[key] = initials
    return out


def propose(ctx: Ctx, meeting: Meeting, report: AttendanceReport) -> Proposal:
    by_aad = _teams_ids(ctx.session, ctx.partnership_id)
    merged: dict[str, list[Interval]] = {}
    unknown: list[str] = []
    for attendee in report.attendees:
        initials = _who(ctx, attendee, by_aad)
        if initials is None:
            label = attendee.name + (f" <{attendee.email}>" if attendee.email else "")
            if label not in unknown:
                unknown.append(label)
            continue
        merged.setdefault(initials, []).extend(attendee.intervals)

    rows = list(ctx.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)))
    # "absent" is what `meeting end` writes for members nobody recorded: the report may correct it.
    recorded = {r.person_id: r for r in rows if r.person_id is not None and r.status != "absent"}
    represented = {r.deputy_for_id for r in rows if r.status == "deputy" and r.deputy_for_id}
    start = meeting.starts_at or report.started
    end = meeting.ends_at or report.ended
    entries: list[Entry] = []
    kept: list[str] = []
    for initials in sorted(merged, key=lambda i: min(iv.joined for iv in merged[i]) if merged[i] else start):
        intervals = merged[initials]
        if not intervals:
            continue
        pid = ctx.person_id(initials)
        row = recorded.get(pid)
        if row is not None:
            status = {"deputy": "deputising", "in_attendance": "in attendance"}.get(row.status, row.status)
            kept.append(f"{ctx.name(initials)}: {status} (kept as recorded)")
            continue
        if pid in represented:
            kept.append(f"{ctx.name(initials)}: a deputy attended for them (kept as recorded)")
            continue
        arrived = min(i.joined for i in intervals)
        left = max(i.left for i in intervals)
        late = start is not None and arrived > start + GRACE
        early = end is not None and left < end - GRACE
        entries.append(Entry(initials, arrived, left, late, early))
    return Proposal(meeting, entries, kept, unknown, report.source)


def confirm_line(series_key: str, meeting_id: int, entries: list[Entry], ctx: Ctx) -> str:
    parts = [f"{e.initials} {clock(e.arrived, ctx.tz)}-{clock(e.left, ctx.tz)}" for e in entries]
    return f"attendance confirm {series_key} #{meeting_id}: " + "; ".join(parts)


def proposal_reply(ctx: Ctx, proposal: Proposal) -> Reply:
    series = ctx.require_series()
    meeting = proposal.meeting
    day = long_date(meeting.starts_at.astimezone(ctx.tz).date()) if meeting.starts_at else f"#{meeting.id}"
    source = (
        "the Teams attendance report" if proposal.source == "graph" else "the join and leave events I saw"
    )
    reply = Reply()
    if not proposal.entries:
        reply.say(f"Nothing to add to the attendance of {series.name}, {day}, from {source}.")
    else:
        reply.say(f"Proposed attendance for {series.name}, {day}, from {source}:")
        rows = []
        for e in proposal.entries:
            notes = [n for n, on in (("joined late", e.late), ("left early", e.early)) if on]
            agency = ctx.roster.agencies.get(ctx.roster.people[e.initials].agency)
            rows.append(
                (
                    ctx.name(e.initials),
                    agency.name if agency else "",
                    clock(e.arrived, ctx.tz),
                    clock(e.left, ctx.tz),
                    ", ".join(notes) or "present",
                )
            )
        reply.add(Table(("Name", "Organisation", "Joined", "Left", "Proposed"), tuple(rows)))
    for line in proposal.kept:
        reply.say(line)
    if proposal.unknown:
        reply.say(
            "Not in the partnership file (add them with `in attendance Name (role)` if they should be "
            "minuted): " + "; ".join(proposal.unknown),
            WARNING,
        )
    if proposal.entries:
        line = confirm_line(series.key, meeting.id, proposal.entries, ctx)
        reply.say(f"Nothing is recorded until you confirm. To change it, edit and type: `{line}`")
        reply.add(
            Buttons(
                (
                    Button(
                        "Confirm", "attendance_confirm", {"series": series.key, "meeting": meeting.id}, line
                    ),
                )
            )
        )
    return reply


_ENTRY = re.compile(
    r"(?P<who>[A-Za-z][\w.'’-]*)\s+(?P<a>\d{1,2}[:.]\d{2})\s*(?:-|–|to)\s*(?P<b>\d{1,2}[:.]\d{2})"
)


def parse_entries(text: str) -> list[tuple[str, str, str]]:
    out = []
    for part in re.split(r"[;,\n]+", text):
        part = part.strip()
        if not part:
            continue
        m = _ENTRY.fullmatch(part)
        if m is None:
            raise UserError(
                f"I can't read “{part}”: write each person as `LE 10:00-12:00`, separated by `;`."
            )
        out.append((m.group("who"), m.group("a"), m.group("b")))
    if not out:
        raise UserError("Name at least one person, as `LE 10:00-12:00`.")
    return out


def apply(ctx: Ctx, meeting: Meeting, entries: list[tuple[str, str, str]]) -> Reply:
    """Record confirmed attendance; anyone already recorded (apologies, deputy, present) stays as is."""
    from handlers.attendance import describe_quorum, quorum_now, true_members
    from handlers.meetings import parse_clock

    assert meeting.starts_at is not None or meeting.opened_at is not None
    base = (meeting.starts_at or meeting.opened_at).astimezone(ctx.tz)  # type: ignore[union-attr]
    start = meeting.starts_at
    end = meeting.ends_at
    members = true_members(ctx)
    s = ctx.sref
    rows = list(ctx.session.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)))
    absent = {r.person_id: r for r in rows if r.person_id is not None and r.status == "absent"}
    recorded = {r.person_id for r in rows if r.person_id is not None and r.status != "absent"}
    represented = {r.deputy_for_id for r in rows if r.status == "deputy" and r.deputy_for_id}
    added, kept = [], []
    for who, a, b in entries:
        if who not in ctx.roster.people:
            raise UserError(f"{who} is not in the partnership file: use initials, e.g. LE.")
        pid = ctx.person_id(who)
        if pid in recorded or pid in represented:
            kept.append(ctx.name(who))
            continue

        def at(text: str) -> datetime:
            t = parse_clock(text)
            return base.replace(hour=t.hour, minute=t.minute, second=0, microsecond=0)

        arrived, left = at(a), at(b)
        late = start is not None and arrived > start + GRACE
        early = end is not None and left < end - GRACE
        movements = []
        if late:
            movements.append({"event": "joined", "at": arrived.isoformat()})
        if early:
            movements.append({"event": "left", "at": left.isoformat()})
        note = next(
            (
                n
                for r, n in (("minute_taker", "minute taker"), ("business_manager", "business manager"))
                if getattr(s, r) == who
            ),
            None,
        )
        status = "present" if who in members else "in_attendance"
        row = absent.pop(pid, None)
        if row is None:
            row = Attendance(meeting_id=meeting.id, person_id=pid, movements=[])
            ctx.session.add(row)
        row.status = status
        row.role_note = None if status == "present" else note
        row.arrived_at = arrived
        row.left_at = left if early else None
        row.movements = movements
        row.updated_at = ctx.now
        recorded.add(pid)
        ctx.audit(
            "attendance",
            f"{meeting.id}:{who}",
            "imported",
            {"status": "absent"} if row.id is not None else None,
            {"status": status, "arrived_at": arrived, "left_at": left if early else None, "source": "teams"},
        )
        detail = [x for x, on in (("joined late", late), ("left early", early)) if on]
        added.append(ctx.name(who) + (f" ({', '.join(detail)})" if detail else ""))
    ctx.session.flush()
    reply = Reply()
    if added:
        reply.say(f"Attendance recorded: {', '.join(added)}.", OK)
    if kept:
        reply.say(f"Kept as the chair recorded them: {', '.join(kept)}.")
    if meeting.status == "open":
        reply.say(describe_quorum(ctx, quorum_now(ctx, meeting)))
    return reply


def find(sessions: sessionmaker[Session], meeting_id: int) -> Meeting | None:
    with sessions() as session:
        row = session.get(Meeting, meeting_id)
        if row is not None:
            session.expunge(row)
        return row


__all__ = [
    "PREFETCHED",
    "Fetched",
    "Proposal",
    "apply",
    "parse_entries",
    "prefetched",
    "proposal_reply",
    "propose",
    "report_from_events",
]
