"""When two partnerships' people are the same person: one rule, for identity, the sweep and the loader.

The same person when their e-mail address (any case), `slack_id` or `teams_id` matches.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Person


class Ids(Protocol):
    @property
    def email(self) -> str | None: ...
    @property
    def slack_id(self) -> str | None: ...
    @property
    def teams_id(self) -> str | None: ...


def matches(a: Ids, b: Ids) -> bool:
    """Whether two people (rows or file entries) are the same person."""
    return bool(
        (a.email and b.email and a.email.lower() == b.email.lower())
        or (a.slack_id and a.slack_id == b.slack_id)
        or (a.teams_id and a.teams_id == b.teams_id)
    )


def same_person(session: Session, person: Person, partnership_id: str) -> Person | None:
    """The same person in another partnership: an active person there (not a guest) that `matches`."""
    if person.partnership_id == partnership_id:
        return person if person.active and not person.guest else None
    ids: list[ColumnElement[bool]] = []
    if person.email:
        ids.append(func.lower(Person.email) == person.email.lower())
    if person.slack_id:
        ids.append(Person.slack_id == person.slack_id)
    if person.teams_id:
        ids.append(Person.teams_id == person.teams_id)
    if not ids:
        return None
    return session.scalars(
        select(Person)
        .where(Person.partnership_id == partnership_id, or_(*ids), Person.active, Person.guest.is_(False))
        .order_by(Person.id)
    ).first()
