"""Reports for the business unit: the action tracker as CSV or JSON, and the audit trail."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from handlers.actions import current_owners, latest_update, load_owner_initials
from handlers.context import Request, UserError
from handlers.format import is_guest, owners_short, printable, short_name, spreadsheet_cell
from handlers.tracker import held_meetings, is_overdue, is_stale, rag
from storage.models import Action, AuditEvent, Meeting, Series

if TYPE_CHECKING:
    from handlers.core import Core

EXPORT_COLUMNS = (
    "number",
    "title",
    "owners",
    "guest_owners",
    "due",
    "due_kind",
    "status",
    "closed_on",
    "latest_update",
    "latest_update_date",
    "raised_in",
    "stale",
    "overdue",
    "rag",
)

# How the business unit reads an action's status.
STATUS_WORDS = {"open": "ongoing", "done": "closed", "dropped": "dropped"}


def _series(session: Session, partnership_id: str, key: str) -> Series:
    row = session.scalars(
        select(Series).where(Series.partnership_id == partnership_id, func.lower(Series.key) == key.lower())
    ).first()
    if row is None:
        keys = ", ".join(session.scalars(select(Series.key).where(Series.partnership_id == partnership_id)))
        raise UserError(f"No series {key!r} (series: {keys}).")
    return row


def tracker_rows(core: Core, session: Session, series_key: str, at: datetime) -> list[dict[str, Any]]:
    """The series' actions, with overdue, stale and RAG as of at (an aware time)."""
    series = _series(session, core.partnership_id, series_key)
    # A context without a person: enough to read initials for owners.
    ctx = core.context(session, Request("cli", "export", "export", "", at), series=series)
    roster, tz = ctx.roster, ctx.tz
    today = at.astimezone(tz).date()
    actions = list(
        session.scalars(
            select(Action)
            .where(Action.series_id == series.id)
            .order_by(Action.number)
            .options(selectinload(Action.owners), selectinload(Action.updates))
        )
    )
    load_owner_initials(ctx, actions)
    meetings = held_meetings(session, series.id)
    stale_n = ctx.tracker_policy().stale_after_meetings
    starts = {
        m.id: m.starts_at for m in session.scalars(select(Meeting).where(Meeting.series_id == series.id))
    }
    rows = []
    for a in actions:
        latest = latest_update(a)
        created_in = starts.get(a.created_meeting_id) if a.created_meeting_id else None
        rows.append(
            {
                "number": a.number,
                "title": a.title,
                # Initials as the minutes write them (SM/PMcL), guests by name; groups and the like by name.
                "owners": owners_short(roster, current_owners(a)),
                "guest_owners": "/".join(
                    short_name(roster, o.id)
                    for o in current_owners(a)
                    if o.kind == "person" and is_guest(roster, o.id)
                )
                or None,
                "due": a.due_date.isoformat() if a.due_date else None,
                "due_kind": a.due_kind,
                "status": STATUS_WORDS.get(a.status, a.status),
                "closed_on": closed.astimezone(tz).date().isoformat() if (closed := a.closed_at) else None,
                "latest_update": latest.text if latest else None,
                "latest_update_date": latest.at.astimezone(tz).date().isoformat() if latest else None,
                "raised_in": created_in.astimezone(tz).date().isoformat() if created_in else None,
                "stale": is_stale(a, meetings, stale_n, at),
                "overdue": is_overdue(a, today),
                "rag": rag(a, meetings, stale_n, at, today),
            }
        )
    return rows


def _cell(value: Any) -> Any:
    """A CSV cell: no control characters (older or imported text), no formula a spreadsheet would run."""
    return spreadsheet_cell(printable(value) if isinstance(value, str) else value)


def export_actions(core: Core, session: Session, series_key: str, fmt: str, at: datetime) -> str:
    rows = tracker_rows(core, session, series_key, at)
    if fmt == "json":
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    if fmt != "csv":
        raise UserError(f"Unknown format {fmt!r}: use csv or json.")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {
                k: ("yes" if v is True else "no" if v is False else ("" if v is None else _cell(v)))
                for k, v in row.items()
            }
        )
    return buf.getvalue()


def audit_events(
    session: Session, partnership_id: str, series_key: str | None, limit: int | None = None
) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.partnership_id == partnership_id)
    if series_key:
        query = query.where(AuditEvent.series_id == _series(session, partnership_id, series_key).id)
    query = query.order_by(AuditEvent.id.desc())
    if limit:
        query = query.limit(limit)
    return list(reversed(list(session.scalars(query))))


def audit_text(events: list[AuditEvent], tz_name: str) -> str:
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(tz_name)
    lines = []
    for e in events:
        change = ""
        if e.before or e.after:
            change = (
                f" {json.dumps(e.before, ensure_ascii=False) if e.before else '—'} → "
                f"{json.dumps(e.after, ensure_ascii=False) if e.after else '—'}"
            )
        lines.append(
            f"{e.at.astimezone(tz):%Y-%m-%d %H:%M:%S} {e.actor} via {e.door}: {e.verb} {e.entity}"
            f"{' ' + e.entity_id if e.entity_id else ''}{change}"
        )
    return "\n".join(lines) + ("\n" if lines else "")
