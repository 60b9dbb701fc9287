"""Message text never reaches the log at the default level, even when handling it fails unexpectedly."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
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
