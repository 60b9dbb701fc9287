"""Meetings a chat platform reported (Teams: started, ended, who joined and left), in the audit trail.

A door hands each event to the core once (`Core.record_platform_event`); `attendance import … last`
and the attendance from join and leave events read them back (`Core.platform_meetings`,
`Core.participant_events`). The rows are audit events of entity `<door>_meeting` and
`<door>_participant`, keyed by a hash of the platform's meeting id.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.doors import first_delivery
from storage.models import AuditEvent, Series

STARTS_AND_ENDS = ("started", "ended")


@dataclass(frozen=True)
class PlatformMeeting:
    platform_id: str  # the platform's meeting id (Teams: the meeting's id in its chat's events)
    chat: str
    series_key: str | None
    graph_id: str | None
    organiser: str | None
    join_url: str | None
    title: str | None
    at: datetime


def _key(platform_id: str) -> str:
    return hashlib.sha256(platform_id.encode()).hexdigest()[:32]


def record(
    session: Session,
    partnership_id: str,
    door: str,
    *,
    event_id: str,
    verb: str,
    chat: str,
    series_id: int | None,
    platform_id: str,
    at: datetime,
    details: dict[str, Any],
) -> bool:
    """Note a meeting start/end or a participant joining/leaving once; False for a repeated delivery."""
    if not first_delivery(session, door, event_id, at):
        return False
    session.add(
        AuditEvent(
            at=at,
            partnership_id=partnership_id,
            series_id=series_id,
            actor_id=None,
            actor=door,
            door=door,
            entity=f"{door}_meeting" if verb in STARTS_AND_ENDS else f"{door}_participant",
            entity_id=_key(platform_id),
            verb=verb,
            before=None,
            after={"chat": chat, f"{door}_meeting_id": platform_id, **details},
        )
    )
    return True


def meetings(
    session: Session,
    partnership_id: str,
    door: str,
    *,
    chat: str | None = None,
    series_key: str | None = None,
) -> list[PlatformMeeting]:
    """Meetings seen, newest first, in one chat or for one series."""
    query = (
        select(AuditEvent, Series.key)
        .outerjoin(Series, Series.id == AuditEvent.series_id)
        .where(
            AuditEvent.partnership_id == partnership_id,
            AuditEvent.door == door,
            AuditEvent.entity == f"{door}_meeting",
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
    if series_key:
        query = query.where(Series.key == series_key)
    seen: dict[str, PlatformMeeting] = {}
    for event, key in session.execute(query):
        after = event.after or {}
        if chat and after.get("chat") != chat:
            continue
        mid = str(after.get(f"{door}_meeting_id", ""))
        if not mid:
            continue
        old = seen.get(mid)
        seen[mid] = PlatformMeeting(
            platform_id=mid,
            chat=str(after.get("chat", "")),
            series_key=key,
            graph_id=after.get("graph_id") or (old.graph_id if old else None),
            organiser=after.get("organiser") or (old.organiser if old else None),
            join_url=after.get("join_url") or (old.join_url if old else None),
            title=after.get("title") or (old.title if old else None),
            at=old.at if old else event.at,
        )
    return list(seen.values())


def participant_events(
    session: Session, partnership_id: str, door: str, platform_id: str
) -> list[tuple[str, datetime, dict[str, Any]]]:
    """(joined|left, when, details) for one meeting, oldest first."""
    rows = session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.partnership_id == partnership_id,
            AuditEvent.entity == f"{door}_participant",
            AuditEvent.entity_id == _key(platform_id),
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [(r.verb, r.at, dict(r.after or {})) for r in rows]
