"""Derived facts about actions: overdue, stale and RAG are computed, never stored."""

from __future__ import annotations

from datetime import date, datetime, timedelta

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


AMBER_WITHIN_DAYS = 14  # due this soon reads amber


def _real_update_since(action: Action, start: datetime, at: datetime | None) -> bool:
    """A real update (not "no further update") between start and at (now when None)."""
    for u in action.updates:
        real = u.kind in ("due", "owner", "reopened") or (
            u.kind == "update" and not NO_UPDATE.match(u.text or "")
        )
        if real and u.at >= start and (at is None or u.at <= at):
            return True
    return False


def _meetings_since_raised(action: Action, meetings: list[datetime], at: datetime | None) -> list[datetime]:
    return [m for m in meetings if m > action.created_at and (at is None or m <= at)]


def is_stale(action: Action, meetings: list[datetime], n: int, at: datetime | None = None) -> bool:
    """Open, and in the last n meetings held since it was raised (up to at), no real update."""
    if action.status != "open":
        return False
    since = _meetings_since_raised(action, meetings, at)
    if len(since) < n:
        return False
    return not _real_update_since(action, since[-n], at)


def rag(action: Action, meetings: list[datetime], stale_n: int, at: datetime, today: date) -> str | None:
    """Red, amber or green for an open action as of at (today is at's date in the partnership's zone).

    Red: overdue, or stale. Amber: due within AMBER_WITHIN_DAYS, or undated with no real update at
    the last meeting held since it was raised. An undated action whose latest update is "no further
    update" is never green. Closed and dropped actions have none.
    """
    if action.status != "open":
        return None
    if is_overdue(action, today) or is_stale(action, meetings, stale_n, at):
        return "red"
    if action.due_date is not None:
        return "amber" if action.due_date <= today + timedelta(days=AMBER_WITHIN_DAYS) else "green"
    since = _meetings_since_raised(action, meetings, at)
    if since and not _real_update_since(action, since[-1], at):
        return "amber"
    said = [u for u in action.updates if u.kind == "update" and u.at <= at]
    if said and NO_UPDATE.match(said[-1].text or ""):
        return "amber"
    return "green"
