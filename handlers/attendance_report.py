"""The attendance-report port: what a door hands the core for `attendance import`.

A door that can read a platform's attendance report (Teams, through Microsoft Graph) fetches it
before the core runs, so no network wait happens inside a database transaction, and attaches it
to the Request. The core proposes attendance from it (handlers/attendance_import.py); a door with
no report source attaches nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Interval:
    joined: datetime
    left: datetime


@dataclass(frozen=True)
class Attendee:
    """One person in the report, as the platform knows them."""

    name: str  # as the report shows it
    email: str | None  # lower case
    user: str | None  # their key on the report's door (for Teams, the Entra object id)
    role: str | None
    intervals: tuple[Interval, ...]


@dataclass
class AttendanceReport:
    door: str  # the door whose keys `Attendee.user` holds
    source: str  # how an answer names it: "the Teams attendance report"
    started: datetime | None = None
    ended: datetime | None = None
    attendees: list[Attendee] = field(default_factory=list)
    note: str | None = None  # why it lists nobody, when it does


@dataclass(frozen=True)
class NoReport:
    """Why a door that reads reports has none for this meeting (not set up, none yet, refused)."""

    reason: str


__all__ = ["AttendanceReport", "Attendee", "Interval", "NoReport"]
