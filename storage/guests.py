"""Guests: people a meeting names who are not in the partnership file.

A guest is a `Person` row with `guest` set (see storage.models.Person), so every fact that
references people (owners, attendance, presenters) holds guests the same way. This module is
the one place that adds them, changes them and merges them into a person of the file.
"""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, Table, select, update
from sqlalchemy.orm import Session

from storage.models import ActionOwner, Attendance, Base, Partnership, Person

GUEST_KEY = "guest-"

# Facts that stay with whom they were about: the audit trail, reminders already claimed or sent,
# and how doors reached someone. Everything else that references a person moves on a merge.
_KEPT_ON_MERGE = frozenset(
    {"audit_events", "nudge_claims", "digests", "recipient_leases", "door_identities", "conversation_refs"}
)


def guest_key(person_id: int) -> str:
    """A guest's key in `initials`: file initials are letters only, so no file person can have it."""
    return f"{GUEST_KEY}{person_id}"


def touch(session: Session, partnership_id: str) -> None:
    """Bump the partnership's version, so every process rebuilds its roster with the change."""
    session.execute(
        update(Partnership)
        .where(Partnership.id == partnership_id)
        .values(version=Partnership.version + 1)
        .execution_options(synchronize_session=False)
    )
    part = session.get(Partnership, partnership_id)
    if part is not None:
        session.expire(part, ["version"])


def add_guest(
    session: Session, partnership_id: str, name: str, *, agency_key: str = "", email: str | None = None
) -> Person:
    row = Person(
        partnership_id=partnership_id,
        initials=f"{GUEST_KEY}new-{uuid.uuid4().hex[:6]}",  # until the row has its id
        name=name,
        agency_key=agency_key,
        email=email,
        active=True,
        guest=True,
    )
    session.add(row)
    session.flush()
    row.initials = guest_key(row.id)
    session.flush()
    touch(session, partnership_id)
    return row


def guests(session: Session, partnership_id: str, *, merged: bool = False) -> list[Person]:
    query = select(Person).where(Person.partnership_id == partnership_id, Person.guest.is_(True))
    if not merged:
        query = query.where(Person.merged_into_id.is_(None))
    return list(session.scalars(query.order_by(Person.name, Person.id)))


def _person_columns() -> list[tuple[Table, str]]:
    """(table, column) for every reference to a person, outside the facts a merge keeps."""
    out: list[tuple[Table, str]] = []
    for table in Base.metadata.sorted_tables:
        if table.name in _KEPT_ON_MERGE or table.name == "people":
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "people":
                out.append((table, fk.parent.name))
    return out


DUPLICATE_ATTENDANCE = "attendance.duplicate"


def merge_guest(
    session: Session, guest: Person, into: Person, at: Any
) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """Move everything that references the guest to `into`; mark the guest merged.

    Returns how many rows moved ("table.column": count) and the guest's attendance rows removed:
    one person is recorded once per meeting, so where both were, the person's own row stays (the
    removed rows are returned for the audit trail). Where both own one action, the guest's
    ownership stays in the log as removed ("merged").
    """
    moved: dict[str, int] = {}
    both = select(Attendance.meeting_id).where(Attendance.person_id == into.id)
    duplicates = list(
        session.scalars(
            select(Attendance).where(Attendance.person_id == guest.id, Attendance.meeting_id.in_(both))
        )
    )
    removed = [
        {"meeting": r.meeting_id, "status": r.status, "role": r.role_note, "deputy_for": r.deputy_for_id}
        for r in duplicates
    ]
    for row in duplicates:
        session.delete(row)
    if duplicates:
        moved[DUPLICATE_ATTENDANCE] = len(duplicates)
    owning = select(ActionOwner.action_id).where(
        ActionOwner.person_id == into.id, ActionOwner.removed_at.is_(None)
    )
    session.execute(
        update(ActionOwner)
        .where(
            ActionOwner.person_id == guest.id,
            ActionOwner.removed_at.is_(None),
            ActionOwner.action_id.in_(owning),
        )
        .values(removed_at=at, removed_reason="merged")
        .execution_options(synchronize_session=False)
    )
    session.flush()
    for table, column in _person_columns():
        col = table.c[column]
        result = session.execute(update(table).where(col == guest.id).values({column: into.id}))
        count = cast(CursorResult[Any], result).rowcount or 0  # an UPDATE's result is a CursorResult
        if count:
            moved[f"{table.name}.{column}"] = count
    guest.merged_into_id = into.id
    guest.active = False
    session.flush()
    session.expire_all()  # the rows moved under the ORM: read them again
    touch(session, guest.partnership_id)
    return moved, removed
