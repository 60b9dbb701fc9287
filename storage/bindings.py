"""Which series a conversation is bound to: the one place that reads and writes `bindings`.

A conversation is a door's channel or chat; it is bound to at most one series, so meeting
commands there need no series name. The core binds and unbinds (with its audit entry);
doors ask the core, never this table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Binding, Series


def _row(session: Session, door: str, channel: str) -> Binding | None:
    return session.scalars(select(Binding).where(Binding.door == door, Binding.channel == channel)).first()


def bound_series(session: Session, door: str, channel: str) -> Series | None:
    """The series this conversation is bound to, if any."""
    row = _row(session, door, channel)
    return session.get(Series, row.series_id) if row is not None else None


def bind(session: Session, door: str, channel: str, series_id: int, by: int | None, at: datetime) -> None:
    """Bind a conversation to a series, replacing the binding it had."""
    row = _row(session, door, channel)
    if row is None:
        session.add(Binding(door=door, channel=channel, series_id=series_id, bound_by=by, bound_at=at))
    else:
        row.series_id, row.bound_by, row.bound_at = series_id, by, at
    session.flush()


def unbind(session: Session, door: str, channel: str) -> bool:
    """Forget a conversation's binding; False if it had none."""
    row = _row(session, door, channel)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def doors_of(session: Session, series_ids: Iterable[int]) -> dict[int, list[str]]:
    """The doors each series has a bound conversation on, in the order they were first bound."""
    doors: dict[int, list[str]] = defaultdict(list)
    query = (
        select(Binding.series_id, Binding.door)
        .where(Binding.series_id.in_(list(series_ids)))
        .order_by(Binding.id)
    )
    for series_id, door in session.execute(query):
        if door not in doors[series_id]:
            doors[series_id].append(door)
    return dict(doors)
