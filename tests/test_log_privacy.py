"""Message text never reaches the log at the default level, even when handling it fails unexpectedly."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import Chat
from sqlalchemy import func, select

from bot.app import App
from handlers.context import Request
from handlers.core import Core
from handlers.router import Router
from storage.models import Action

SECRET = "Action: HN to visit the Fairbrook family about the referral by Friday"


def _explode(self: Any, *args: Any, **kwargs: Any) -> Any:
    # The exception's own text quotes the message, as a database error quoting its values would.
    raise RuntimeError(f"could not store {SECRET!r}")


def _request() -> Request:
    return Request(
        door="slack",
        channel="C0BOARD",
        user="U07SAMIRM1",
        text=SECRET,
        at=datetime(2024, 3, 8, 10, 0, tzinfo=UTC),
        message_id="1709892000.000100",
        event_id="Ev0001",
    )


def _assert_safe(caplog: pytest.LogCaptureFixture, what: str, reply_text: str) -> None:
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert records, "the fault was not logged at all"
    logged = "\n".join(r.getMessage() for r in records)
    assert what in logged
    assert "RuntimeError" in logged  # the error class
    assert "C0BOARD" in logged and "1709892000.000100" in logged and "Ev0001" in logged  # door ids
    for record in records:
        assert record.exc_info is None, "a traceback carries the exception's text, which quotes the message"
        text = record.getMessage()
        assert "Fairbrook" not in text and "referral" not in text and "HN to visit" not in text
    ref = reply_text.rsplit("reference ", 1)[1].rstrip(")")
    assert f"ref {ref}" in logged  # the reference the person was shown finds the log line


def test_core_logs_no_message_text_on_an_unexpected_error(
    app: App, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Core, "_run", _explode)
    caplog.set_level(logging.INFO)
    reply = app.core().handle(_request())
    text = reply.plain
    assert "nothing was changed" in text
    _assert_safe(caplog, "command failed", text)
    with app.sessions() as s:  # and nothing was stored
        assert s.scalar(select(func.count()).select_from(Action)) == 0


def test_router_logs_no_message_text_on_an_unexpected_error(
    app: App, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Router, "_route", _explode)
    caplog.set_level(logging.INFO)
    reply = app.router().handle(_request())
    text = reply.plain
    assert "nothing was changed" in text
    _assert_safe(caplog, "routing failed", text)


def test_the_text_is_logged_at_debug_only(
    app: App, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Core, "_run", _explode)
    caplog.set_level(logging.DEBUG, logger="partnerbot.core")
    app.core().handle(_request())
    debug = [r for r in caplog.records if r.levelno == logging.DEBUG and "Fairbrook" in r.getMessage()]
    assert debug and debug[0].exc_info is not None  # someone debugging locally still gets the traceback


def test_a_database_error_does_not_quote_the_values_it_was_given(app: App) -> None:
    from sqlalchemy.exc import IntegrityError

    from storage.models import ProcessedEvent

    at = datetime(2024, 3, 8, 10, 0, tzinfo=UTC)
    with app.sessions() as s, s.begin():
        s.add(ProcessedEvent(door="slack", event_id="Fairbrook referral", at=at))
    with pytest.raises(IntegrityError) as e, app.sessions() as s, s.begin():
        s.add(ProcessedEvent(door="slack", event_id="Fairbrook referral", at=at))
    # SQLAlchemy quotes no values; PostgreSQL's own detail may still name a key's value, which is why
    # a fault is logged by its class and place only (handlers/faults.py).
    assert "SQL parameters hidden" in str(e.value)
    if app.engine.dialect.name == "sqlite":
        assert "Fairbrook" not in str(e.value)


def test_a_failing_reminder_door_logs_no_reminder_text(chat: Chat, caplog: pytest.LogCaptureFixture) -> None:
    from scheduler.sweep import Sweeper

    class Broken:
        door = "shell"

        def reach(self, person: object) -> bool:
            return True

        def send(self, out: Any) -> str:
            raise ValueError(f"cannot send {out.text!r}")  # a door's bug quoting what it was given

    chat.script(
        "@ 2024-01-19T10:00:00+00:00\nMT: meeting start board\n"
        "MT: Action: HN to visit the Fairbrook family by Friday 26 January 2024\n"
    )
    caplog.set_level(logging.INFO)
    report = Sweeper(chat.app.sessions, {"shell": Broken()}).run(datetime(2024, 1, 25, 10, 0, tzinfo=UTC))
    assert report.failed  # the fault was met, and logged
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "courier shell failed" in logged and "ValueError" in logged
    assert "Fairbrook" not in logged and all(r.exc_info is None for r in caplog.records)
