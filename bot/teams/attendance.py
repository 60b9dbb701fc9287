"""The Teams door's attendance reports, for the core's `attendance import` (handlers/attendance_import.py).

After a meeting, Teams' attendance report (Graph) says who joined and left when. The door (or
the CLI) fetches it before the core runs, so no network wait ever happens inside a database
transaction, and attaches it to the Request. When Graph is not configured, the join and leave
events the bot saw in the meeting chat are the source instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from handlers.attendance_report import AttendanceReport, Attendee, Interval, NoReport

if TYPE_CHECKING:
    from bot.teams.graph import Graph

DOOR = "teams"  # a report's people are keyed by their Entra object id, as on the Teams door
REPORT = "the Teams attendance report"  # how answers name each source
EVENTS = "the join and leave events I saw"


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
        Attendee(name=names[aad][0], email=None, user=aad, role=names[aad][1], intervals=tuple(iv))
        for aad, iv in spans.items()
    ]
    return AttendanceReport(DOOR, EVENTS, attendees=attendees)


async def fetch_report(graph: Graph, organiser: str, graph_meeting_id: str) -> AttendanceReport | NoReport:
    """The meeting's attendance report from Graph, or why there is none (the refusal says what to grant)."""
    from bot.teams.graph import GraphError

    try:
        report = await graph.attendance(organiser, graph_meeting_id)
    except GraphError as e:
        return NoReport(str(e))
    if not report.attendees:
        return NoReport(report.note or "Teams has no attendance report for this meeting yet.")
    return report


__all__ = ["DOOR", "EVENTS", "REPORT", "fetch_report", "report_from_events"]
