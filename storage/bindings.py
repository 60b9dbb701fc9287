"""Which series a conversation is bound to: the one place that reads and writes `bindings`.

A conversation is a door's channel or chat; it is bound to at most one series, so meeting
commands there need no series name. The core binds and unbinds (with its audit entry);
doors ask the core, never this table.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from storage.models import Binding, Partnership, Series


def _row(session: Session, door: str, channel: str) -> Binding | None:
    return session.scalars(select(Binding).where(Binding.door == door, Binding.channel == channel)).first()


# Every loaded partnership, each row with the partnership whose series this conversation is
# bound to (if any): what routing a message needs, in one statement built once.
_ROUTING = select(
    Partnership.id,
    select(Series.partnership_id)
    .join(Binding, Binding.series_id == Series.id)
    .where(Binding.door == bindparam("door"), Binding.channel == bindparam("channel"))
    .scalar_subquery(),
).order_by(Partnership.id)


def routing(session: Session, door: str, channel: str) -> tuple[list[str], str | None]:
    """(the loaded partnerships' ids, the partnership this conversation's series belongs to)."""
    rows = session.execute(_ROUTING, {"door": door, "channel": channel}).all()
    return [pid for pid, _ in rows], (rows[0][1] if rows else None)


def bound_series(session: Session, door: str, channel: str) -> Series | None:
    """The series this conversation is bound to, if any."""
    row = _row(session, door, channel)
    return session.get(Series, row.series_id) if row is not None else None


def bind(
    session: Session,
    door: str,
    channel: str,
    series_id: int,
    by: int | None,
    at: datetime,
    *,
    new: bool = False,
) -> None:
    """Bind a conversation to a series, replacing the binding it had; `new`: the caller read in this
    transaction that it had none."""
    row = None if new else _row(session, door, channel)
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
