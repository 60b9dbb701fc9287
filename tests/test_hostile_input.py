"""Findings of a hostile probe, each kept as a regression test (docs/reliability.md).

Every test drives the real core (or the CLI) and checks what was stored, not only the answer.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import App
from handlers.context import Request
from handlers.reply import Reply
from storage.models import Action, ActionUpdate, AuditEvent, Binding, Series

AT = datetime(2024, 1, 19, 10, 5, tzinfo=UTC)


def _binding(app: App, channel: str) -> tuple[str, int | None, datetime] | None:
    with app.sessions() as s:
        row = s.execute(
            select(Series.key, Binding.bound_by, Binding.bound_at)
            .join(Series, Series.id == Binding.series_id)
            .where(Binding.channel == channel)
        ).first()
        return (row[0], row[1], row[2]) if row is not None else None


def _actions(app: App) -> list[tuple[str, int, str, str]]:
    with app.sessions() as s:
        return [
            (key, number, title, status)
            for key, number, title, status in s.execute(
                select(Series.key, Action.number, Action.title, Action.status)
                .join(Series, Series.id == Action.series_id)
                .order_by(Action.id)
            )
        ]


def _updates(app: App) -> list[tuple[int, str, str | None]]:
    with app.sessions() as s:
        return [
            (a, k, t)
            for a, k, t in s.execute(select(ActionUpdate.action_id, ActionUpdate.kind, ActionUpdate.text))
        ]


def _audit_count(app: App) -> int:
    with app.sessions() as s:
        return len(s.scalars(select(AuditEvent.id)).all())


def _text(reply: Reply) -> str:
    return reply.plain


# --- 1. channel takeover across series ------------------------------------------------------------------


def test_binding_a_channel_of_another_series_needs_rights_in_that_series(app: App) -> None:
    core = app.core()
    core.handle(Request("shell", "C-EXP", "TR", "bind exploitation", AT))  # TR chairs exploitation
    before = _binding(app, "C-EXP")
    assert before is not None and before[0] == "exploitation"
    audits = _audit_count(app)

    # MT chairs the board but has no rights in exploitation: refused, saying who can.
    said = _text(core.handle(Request("shell", "C-EXP", "MT", "bind board", AT + timedelta(minutes=1))))
    assert "bound to Tackling Exploitation Group" in said and "Nothing changed" in said
    assert "the chair (Tom Rees)" in said
    assert _binding(app, "C-EXP") == before  # the row itself is untouched
    assert _audit_count(app) == audits

    # The next action typed there lands in exploitation's tracker, not the board's.
    core.handle(Request("shell", "C-EXP", "TR", "Action: CG to brief the night-time economy leads", AT))
    assert _actions(app) == [("exploitation", 1, "brief the night-time economy leads", "open")]

    # The business unit (or the series' own chair team) may rebind.
    core.handle(Request("shell", "C-EXP", "RB", "bind board", AT + timedelta(minutes=2)))
    after = _binding(app, "C-EXP")
    assert after is not None and after[0] == "board"
