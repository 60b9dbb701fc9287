"""What the Teams door reads and remembers in the database (synchronous: run in a worker thread).

- The addresses on a Teams profile that may match the partnership file (who someone is,
  and learning it, is the core's: `Core.who`, `Core.learn_identity`).
- Where a person's 1:1 chat with the bot is (conversation id, service URL, tenant), for
  proactive reminders.
- Teams meetings seen in a chat (start, end, who joined and left), kept in the audit trail:
  `attendance import … last` finds the meeting there, and the join/leave events are the
  fallback attendance source when Graph is not configured.

Nothing here imports a Teams SDK.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.doors import conversation, first_delivery, remember_conversation
from storage.models import AuditEvent, Person, Series
from storage.nudge_models import Digest

DOOR = "teams"


@dataclass(frozen=True)
class Conversation:
    conversation_id: str
    service_url: str | None
    tenant_id: str | None


@dataclass(frozen=True)
class TeamsMeeting:
    teams_meeting_id: str
    chat: str
    series_key: str | None
    graph_id: str | None
    organiser: str | None
    join_url: str | None
    title: str | None
    at: datetime


def addresses(email: str | None, upn: str | None) -> list[str]:
    """The addresses a Teams profile may match in the file; a guest's UPN is `name_domain#EXT#@host`."""
    out: list[str] = []
    for value in (email, upn):
        if not value:
            continue
        value = value.strip().lower()
        if "#ext#" in value:
            local = value.split("#ext#", 1)[0]
            if "_" in local:
                name, _, domain = local.rpartition("_")
                value = f"{name}@{domain}"
        if value and value not in out:
            out.append(value)
    return out


def save_conversation(
    sessions: sessionmaker[Session],
    person_id: int,
    conversation_id: str,
    service_url: str | None,
    tenant_id: str | None,
    at: datetime,
) -> None:
    with sessions() as session, session.begin():
        remember_conversation(
            session, DOOR, person_id, conversation_id, service_url=service_url, tenant_id=tenant_id, at=at
        )


def conversation_of(sessions: sessionmaker[Session], person_id: int) -> Conversation | None:
    with sessions() as session:
        ref = conversation(session, DOOR, person_id)
        return Conversation(ref.conversation_id, ref.service_url, ref.tenant_id) if ref else None


def person_by_initials(sessions: sessionmaker[Session], partnership_id: str, initials: str) -> Person | None:
    with sessions() as session:
        row = session.scalars(
            select(Person).where(Person.partnership_id == partnership_id, Person.initials == initials)
        ).first()
        if row is not None:
            session.expunge(row)
        return row


def reachable(sessions: sessionmaker[Session], initials: str, partnership_id: str | None) -> bool:
    """Whether someone has a 1:1 chat with the bot, or a Teams id in the file to open one.

    Initials are each partnership's own (`PersonRef.partnership_id` says whose); only without one
    (a roster built by hand) are they looked for in every partnership.
    An identity learnt in a meeting chat is not enough: guests from other tenants are seen there
    but cannot be written to 1:1, so they are reached by e-mail.
    """
    from storage.models import ConversationRef

    query = select(Person.id, Person.teams_id).where(Person.initials == initials, Person.active.is_(True))
    if partnership_id:
        query = query.where(Person.partnership_id == partnership_id)
    with sessions() as session:
        return any(
            teams_id
            or session.scalar(
                select(func.count())
                .select_from(ConversationRef)
                .where(ConversationRef.door == DOOR, ConversationRef.person_id == pid)
            )
            for pid, teams_id in session.execute(query)
        )


def digest_recipient(sessions: sessionmaker[Session], digest_id: int) -> tuple[int, str] | None:
    with sessions() as session:
        row = session.get(Digest, digest_id)
        return (row.recipient_id, row.partnership_id) if row else None


# --- Teams meetings, in the audit trail ---------------------------------------------------------------


def _key(teams_meeting_id: str) -> str:
    return hashlib.sha256(teams_meeting_id.encode()).hexdigest()[:32]


def record_meeting_event(
    sessions: sessionmaker[Session],
    partnership_id: str,
    *,
    event_id: str,
    verb: str,
    chat: str,
    series_id: int | None,
    teams_meeting_id: str,
    at: datetime,
    details: dict[str, Any],
) -> bool:
    """Note a meeting start/end or a participant joining/leaving once; False for a repeated delivery.

    `series_id` is the series the chat is bound to (the core's `bound_series`), if any.
    """
    with sessions() as session, session.begin():
        if not first_delivery(session, DOOR, event_id, at):
            return False
        session.add(
            AuditEvent(
                at=at,
                partnership_id=partnership_id,
                series_id=series_id,
                actor_id=None,
                actor="teams",
                door=DOOR,
                entity="teams_meeting" if verb in ("started", "ended") else "teams_participant",
                entity_id=_key(teams_meeting_id),
                verb=verb,
                before=None,
                after={"chat": chat, "teams_meeting_id": teams_meeting_id, **details},
            )
        )
        return True


def teams_meetings(
    sessions: sessionmaker[Session],
    partnership_id: str,
    *,
    chat: str | None = None,
    series_key: str | None = None,
) -> list[TeamsMeeting]:
    """Teams meetings seen, newest first, in one chat or for one series."""
    with sessions() as session:
        query = (
            select(AuditEvent, Series.key)
            .outerjoin(Series, Series.id == AuditEvent.series_id)
            .where(
                AuditEvent.partnership_id == partnership_id,
                AuditEvent.door == DOOR,
                AuditEvent.entity == "teams_meeting",
            )
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
        if series_key:
            query = query.where(Series.key == series_key)
        seen: dict[str, TeamsMeeting] = {}
        for event, key in session.execute(query):
            after = event.after or {}
            if chat and after.get("chat") != chat:
                continue
            mid = str(after.get("teams_meeting_id", ""))
            if not mid:
                continue
            old = seen.get(mid)
            seen[mid] = TeamsMeeting(
                teams_meeting_id=mid,
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
    sessions: sessionmaker[Session], partnership_id: str, teams_meeting_id: str
) -> list[tuple[str, datetime, dict[str, Any]]]:
    """(joined|left, when, details) for one Teams meeting, oldest first."""
    with sessions() as session:
        rows = session.scalars(
            select(AuditEvent)
            .where(
                AuditEvent.partnership_id == partnership_id,
                AuditEvent.entity == "teams_participant",
                AuditEvent.entity_id == _key(teams_meeting_id),
            )
            .order_by(AuditEvent.at, AuditEvent.id)
        )
        return [(r.verb, r.at, dict(r.after or {})) for r in rows]
