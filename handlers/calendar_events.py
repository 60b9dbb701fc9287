"""Meetings a door put in an organiser's calendar (Teams, through Graph), kept in the audit trail.

The agenda pack's invitation has a stable UID and a SEQUENCE bumped on every change. A door that
creates the calendar event records it here once per sequence (entity `<door>_event`), so a changed
meeting updates the same event; the event's join link goes on the meeting, for the next pack.
Doors reach this through `Core.record_calendar_event` and `Core.calendar_event`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import AuditEvent, Meeting


@dataclass(frozen=True)
class CalendarEvent:
    door: str  # "teams"
    uid: str  # the invitation's UID
    sequence: int
    event_id: str  # the calendar's id for the event
    join_url: str | None = None
    meeting_id: int | None = None  # the meeting the invitation is for, when its UID names one


def _key(uid: str) -> str:
    return hashlib.sha256(uid.encode()).hexdigest()[:32]


def record(session: Session, partnership_id: str, event: CalendarEvent, at: datetime) -> None:
    """The join link on the meeting (if it changed) and the event in the audit trail."""
    meeting = session.get(Meeting, event.meeting_id) if event.meeting_id else None
    if meeting is not None and meeting.series.partnership_id != partnership_id:
        meeting = None  # another partnership's meeting: not this one's to change
    if meeting is not None and event.join_url and meeting.online_link != event.join_url:
        meeting.online_link = event.join_url
    session.add(
        AuditEvent(
            at=at,
            partnership_id=partnership_id,
            series_id=meeting.series_id if meeting else None,
            actor_id=None,
            actor=event.door,
            door=event.door,
            entity=f"{event.door}_event",
            entity_id=_key(event.uid),
            verb="calendar",
            before=None,
            after={
                "uid": event.uid,
                "sequence": event.sequence,
                "event_id": event.event_id,
                "join_url": event.join_url,
                "meeting_id": event.meeting_id,
            },
        )
    )


def latest(session: Session, partnership_id: str, door: str, uid: str) -> CalendarEvent | None:
    """The event last recorded for an invitation, if any."""
    row = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.partnership_id == partnership_id,
            AuditEvent.entity == f"{door}_event",
            AuditEvent.entity_id == _key(uid),
        )
        .order_by(AuditEvent.id.desc())
    ).first()
    if row is None:
        return None
    after = dict(row.after or {})
    meeting_id = after.get("meeting_id")
    return CalendarEvent(
        door=door,
        uid=str(after.get("uid") or uid),
        sequence=int(after.get("sequence") or 0),
        event_id=str(after.get("event_id") or ""),
        join_url=after.get("join_url"),
        meeting_id=int(meeting_id) if meeting_id is not None else None,
    )
