"""Derived facts about actions: overdue and stale are computed, never stored."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers.actions import NO_UPDATE
from storage.models import Action, Meeting


def held_meetings(session: Session, series_id: int) -> list[datetime]:
    """Start times of the series' held meetings, oldest first."""
    return [
        m
        for m in session.scalars(
            select(Meeting.starts_at)
            .where(Meeting.series_id == series_id, Meeting.status == "closed")
            .order_by(Meeting.starts_at)
        )
        if m
    ]


def is_overdue(action: Action, today: date) -> bool:
    return action.status == "open" and action.due_date is not None and action.due_date < today


def is_stale(action: Action, meetings: list[datetime], n: int) -> bool:
    """Open, and in the last n meetings held since it was raised, no real update ("no further update")."""
    if action.status != "open":
        return False
    since = [m for m in meetings if m > action.created_at]
    if len(since) < n:
        return False
    window_start = since[-n]
    for u in action.updates:
        real = u.kind in ("due", "owner", "reopened") or (
            u.kind == "update" and not NO_UPDATE.match(u.text or "")
        )
        if u.at >= window_start and real:
            return False
    return True
