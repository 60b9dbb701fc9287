"""The next meeting as a Teams meeting in the organiser's calendar, made from the agenda pack's invitation.

The agenda pack carries an .ics invitation (stable UID, SEQUENCE bumped on every change of
date, time or place). Its event is created once per sequence: the door hands the Graph event id
and join link to the core (`Core.record_calendar_event`, handlers/calendar_events.py), which keeps
them in the audit trail (entity `teams_event`), so a changed meeting updates the same event, and
stores the join link on the meeting for the next pack. This module only reads the invitation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from handlers.reply import File, Reply

_MEETING_UID = re.compile(r"-meeting-(\d+)@")


@dataclass(frozen=True)
class Invite:
    uid: str
    sequence: int
    summary: str
    start: datetime
    end: datetime
    location: str | None
    description: str
    attendees: list[tuple[str, str]] = field(default_factory=list)  # (name, address)

    @property
    def meeting_id(self) -> int | None:
        m = _MEETING_UID.search(self.uid)
        return int(m.group(1)) if m else None


def _aware(value: Any) -> datetime:
    value = getattr(value, "dt", value)
    if not isinstance(value, datetime):
        raise ValueError("an all-day invitation has no time for a Teams meeting")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def parse_ics(data: bytes) -> Invite | None:
    from icalendar import Calendar

    cal = Calendar.from_ical(data)
    for event in cal.walk("VEVENT"):
        attendees = []
        raw = event.get("attendee") or []
        for a in raw if isinstance(raw, list) else [raw]:
            address = str(a).removeprefix("mailto:").removeprefix("MAILTO:")
            name = str(getattr(a, "params", {}).get("CN", address))
            if "@" in address:
                attendees.append((name, address))
        try:
            start, end = _aware(event.get("dtstart")), _aware(event.get("dtend"))
        except ValueError:
            return None
        return Invite(
            uid=str(event.get("uid")),
            sequence=int(event.get("sequence", 0)),
            summary=str(event.get("summary", "Meeting")),
            start=start,
            end=end,
            location=str(event.get("location")) if event.get("location") else None,
            description=str(event.get("description", "")),
            attendees=attendees,
        )
    return None


def _invitation(reply: Reply) -> File | None:
    files = (b for m in reply.messages for b in m.blocks if isinstance(b, File))
    return next((f for f in files if f.filename.endswith(".ics")), None)


def has_invite(reply: Reply) -> bool:
    """Whether a reply carries a calendar invitation (an agenda pack does)."""
    return _invitation(reply) is not None


def event_from_reply(reply: Reply) -> Invite | None:
    found = _invitation(reply)
    return parse_ics(found.data) if found is not None else None


__all__ = ["Invite", "event_from_reply", "has_invite", "parse_ics"]
