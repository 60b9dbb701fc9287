"""What the chat doors remember, in the database so every process shares it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from storage.models import ConversationRef, DoorIdentity, ProcessedEvent


def _insert(session: Session, model: type[Any]) -> Any:
    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(model)


def _first_delivery_statement(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(ProcessedEvent).values(
        door=bindparam("door"), event_id=bindparam("event_id"), at=bindparam("at")
    )
    # RETURNING, not rowcount: psycopg reports -1 for a skipped INSERT … ON CONFLICT DO NOTHING.
    return stmt.on_conflict_do_nothing(index_elements=["door", "event_id"]).returning(ProcessedEvent.id)


# Built once per dialect: a door records every activity it handles, and building the statement
# cost more than running it.
_FIRST_DELIVERY = {dialect: _first_delivery_statement(dialect) for dialect in ("postgresql", "sqlite")}


def first_delivery(session: Session, door: str, event_id: str, at: datetime) -> bool:
    """Record an event as handled; False if some process already did (a retry or a second delivery)."""
    connection = session.connection()
    stmt = _FIRST_DELIVERY.get(connection.dialect.name, _FIRST_DELIVERY["sqlite"])
    return connection.execute(stmt, {"door": door, "event_id": event_id, "at": at}).first() is not None


def forget_delivery(session: Session, door: str, event_id: str) -> None:
    """Undo `first_delivery` for an event whose handling failed, so a redelivery runs it again."""
    event = (ProcessedEvent.door == door) & (ProcessedEvent.event_id == event_id)
    session.execute(delete(ProcessedEvent).where(event))


def delivered(session: Session, door: str, event_id: str) -> bool:
    """Whether an event was recorded as handled (a cheap look before handling a retry again)."""
    return (
        session.scalar(
            select(ProcessedEvent.id).where(ProcessedEvent.door == door, ProcessedEvent.event_id == event_id)
        )
        is not None
    )


def learnt_person(session: Session, door: str, user_key: str) -> int | None:
    """The person a door learnt this user to be (who they are now is `handlers.identity`'s answer)."""
    return session.scalar(
        select(DoorIdentity.person_id).where(DoorIdentity.door == door, DoorIdentity.user_key == user_key)
    )


def learnt_keys(session: Session, door: str, person_ids: Iterable[int]) -> list[tuple[str, int]]:
    """(user key, person id) of the identities learnt on a door for these people, newest first."""
    return [
        (key, pid)
        for key, pid in session.execute(
            select(DoorIdentity.user_key, DoorIdentity.person_id)
            .where(DoorIdentity.door == door, DoorIdentity.person_id.in_(list(person_ids)))
            .order_by(DoorIdentity.at.desc(), DoorIdentity.id.desc())
        )
    ]


def remember_identity(
    session: Session, door: str, user_key: str, person_id: int, matched_by: str, at: datetime
) -> None:
    stmt = _insert(session, DoorIdentity).values(
        door=door, user_key=user_key, person_id=person_id, matched_by=matched_by, at=at
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["door", "user_key"],
            set_={"person_id": person_id, "matched_by": matched_by, "at": at},
        )
    )


def remember_conversation(
    session: Session,
    door: str,
    person_id: int,
    conversation_id: str,
    *,
    service_url: str | None,
    tenant_id: str | None,
    at: datetime,
    extra: dict[str, Any] | None = None,
) -> None:
    values = {
        "conversation_id": conversation_id,
        "service_url": service_url,
        "tenant_id": tenant_id,
        "extra": extra or {},
        "updated_at": at,
    }
    stmt = _insert(session, ConversationRef).values(door=door, person_id=person_id, **values)
    session.execute(stmt.on_conflict_do_update(index_elements=["door", "person_id"], set_=values))


def conversation(session: Session, door: str, person_id: int) -> ConversationRef | None:
    return session.scalars(
        select(ConversationRef).where(ConversationRef.door == door, ConversationRef.person_id == person_id)
    ).first()
