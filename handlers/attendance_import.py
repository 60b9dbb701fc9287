"""`attendance import` proposes attendance from an attendance report; `attendance confirm` records it.

After a meeting, the report (Teams' attendance report from Microsoft Graph, or the join and
leave events the Teams door saw) says who joined and left when. The door that has one attaches
it to the Request (handlers/attendance_report.py); a door without one gets a clear answer.
People are matched to the partnership file by their key on that door or their e-mail; each
becomes "present" (or "in attendance" if not a member), joined late or left early by more than
five minutes. Anyone the chair already recorded — apologies, a deputy, present — is kept as
recorded, and people not in the file are listed for the chair (guests). The proposal comes
back with a Confirm button whose typed form, `attendance confirm board #12: LE 10:00-12:00;
SMa 10:07-11:20`, the chair may also edit and type. Nothing is recorded until then.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from handlers.attendance import describe_quorum, quorum_now, true_members
from handlers.attendance_report import AttendanceReport, Attendee, Interval, NoReport
from handlers.context import Ctx, UserError
from handlers.documents_data import find_meeting
from handlers.format import clock, long_date
from handlers.identity import person_for
from handlers.meetings import parse_clock
from handlers.registry import Perm, command
from handlers.reply import OK, WARNING, Button, Buttons, Reply, Table
from storage.models import Attendance, Meeting

GRACE = timedelta(minutes=5)
# Where confirmed attendance came from, in its audit events: Teams is the one report source.
AUDIT_SOURCE = "teams"

_MEETING = r"(?P<meeting>last|#\d{1,9}|\d{1,2}/\d{1,2}/\d{2,4})"


def _meeting(ctx: Ctx, text: str | None) -> Meeting:
    return find_meeting(ctx, ctx.require_series(), text or "last", closed_only=False)


@command(
    "attendance import",
    changes_series=False,
    usage="attendance import [SERIES] [last | #N | DATE]",
    summary="Propose attendance from the Teams attendance report, for the chair to confirm",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    needs_attendance_report=True,
    patterns=[
        r"attendance\s+import(?:\s+(?!last\b)(?P<series>[A-Za-z][\w-]*))?(?:\s+" + _MEETING + r")?",
        r"import\s+attendance(?:\s+(?!last\b)(?P<series>[A-Za-z][\w-]*))?(?:\s+" + _MEETING + r")?",
    ],
)
def attendance_import(ctx: Ctx, args: dict[str, Any]) -> Reply:
    report = ctx.req.attendance_report
    if report is None:  # this door reads no attendance reports
        raise UserError(
            "There is no attendance report to import here: the Teams attendance report is read in the "
            "meeting's Teams chat (or with `partnerbot attendance import` on the server), with "
            "Microsoft Graph set up in app.yaml. Nothing changed."
        )
    meeting = _meeting(ctx, args.get("meeting"))
    if isinstance(report, NoReport):
        raise UserError(report.reason)
    if not report.attendees:
        raise UserError(report.note or "The attendance report lists nobody yet.")
    return proposal_reply(ctx, propose(ctx, meeting, report))


@command(
    "attendance confirm",
    usage="attendance confirm SERIES #N: LE 10:00-12:00; SMa 10:07-11:20",
    summary="Record attendance proposed from Teams (people already recorded stay as they are)",
    section="Attendance",
    perm=Perm.CHAIR_TEAM,
    patterns=[
        r"attendance\s+confirm(?:\s+(?P<series>[A-Za-z][\w-]*))?\s+" + _MEETING + r"\s*:\s*(?P<entries>.+)"
    ],
)
def attendance_confirm(ctx: Ctx, args: dict[str, Any]) -> Reply:
    meeting = _meeting(ctx, args.get("meeting"))
    return apply(ctx, meeting, parse_entries(args["entries"]))


# --- the proposal ----------------------------------------------------------------------------------------


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


def _who(ctx: Ctx, attendee: Attendee, door: str) -> str | None:
    """The attendee's initials: by their key on the report's door (the one identity rule), else by e-mail."""
    if attendee.user:
        person = person_for(ctx.session, ctx.partnership_id, door, attendee.user)
        if person is not None:
            return person.initials
    email = (attendee.email or "").strip().lower()
    if not email:
        return None
    for p in ctx.roster.people.values():
        if p.active and p.email and p.email.lower() == email:
            return p.initials
    return None


def propose(ctx: Ctx, meeting: Meeting, report: AttendanceReport) -> Proposal:
    merged: dict[str, list[Interval]] = {}
    unknown: list[str] = []
    for attendee in report.attendees:
        initials = _who(ctx, attendee, report.door)
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
    spans = {initials: intervals for initials, intervals in merged.items() if intervals}
    for initials in sorted(spans, key=lambda i: min(iv.joined for iv in spans[i])):  # in order of joining
        intervals = spans[initials]
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
    source = proposal.source
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
    when = meeting.starts_at or meeting.opened_at
    if when is None:
        raise ValueError(f"meeting {meeting.id} has neither a start nor an opening time")
    base = when.astimezone(ctx.tz)
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
            {
                "status": status,
                "arrived_at": arrived,
                "left_at": left if early else None,
                "source": AUDIT_SOURCE,
            },
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
