"""The database going away mid-meeting: a command gets "not saved, try again" and nothing half-done.

The outage itself (PostgreSQL stopped for 30 s and started again) is `make outages`
(tests/outage/run_outages.py); here the unreachable database is simulated cheaply: the core and
the router are given sessions on an engine whose server port has nothing listening.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from slack_fake import FakeSlack
from slack_fake import Harness as SlackHarness
from sqlalchemy import Engine, func, select
from teams_fakes import Harness as TeamsHarness

from bot.app import App
from handlers.context import Request
from handlers.core import NOT_SAVED, Core
from handlers.router import Router
from storage.db import make_engine, make_sessionmaker
from storage.models import Action, AuditEvent

AT = datetime(2024, 1, 19, 10, 5, tzinfo=UTC)


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # closed again on leaving: nothing listens there


def _away() -> Engine:
    return make_engine(
        f"postgresql://partnerbot@127.0.0.1:{_closed_port()}/partnerbot", connect_args={"connect_timeout": 2}
    )


@contextmanager
def _database_away(router: Router) -> Iterator[None]:
    """A door's router (and the cores it made) on the unreachable engine for a while."""
    away, kept = _away(), router.sessions
    router.sessions, router._cores = make_sessionmaker(away), {}
    try:
        yield
    finally:
        router.sessions, router._cores = kept, {}
        away.dispose()


def _counts(app: App) -> tuple[int, int]:
    with app.sessions() as s:
        actions = s.scalar(select(func.count()).select_from(Action)) or 0
        audit = s.scalar(select(func.count()).select_from(AuditEvent)) or 0
        return actions, audit


def test_a_command_while_the_database_is_away_is_not_saved_and_says_try_again(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    core = app.core()
    core.handle(Request("shell", "C-BOARD", "MT", "bind board", AT))
    core.handle(Request("shell", "C-BOARD", "MT", "meeting start", AT))
    before = _counts(app)

    away = _away()
    sessions = make_sessionmaker(away)
    doors = (Core(sessions, core.partnership_id, app.setup), Router(sessions, app.setup))
    caplog.set_level(logging.WARNING)
    try:
        for door in doors:
            for text in ("Action: HN to write to the three schools by Friday", "actions", "done 1"):
                reply = door.handle(Request("shell", "C-BOARD", "MT", text, AT, event_id=f"e-{text}"))
                assert reply.plain.strip() == NOT_SAVED, reply.plain
    finally:
        away.dispose()
    # One line each, no traceback, and never the message's text.
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
    assert not [r for r in caplog.records if "schools" in r.getMessage()]
    assert _counts(app) == before

    # Sent again once the database answers: stored once, under the next number.
    said = core.handle(
        Request("shell", "C-BOARD", "MT", "Action: HN to write to the three schools by Friday", AT)
    ).plain
    assert NOT_SAVED not in said
    with app.sessions() as s:
        assert list(s.scalars(select(Action.title))) == ["write to the three schools"]


ACTION = "Action: HN to write to the three schools by Friday"


def test_the_chat_doors_answer_not_saved_too(app: App, caplog: pytest.LogCaptureFixture) -> None:
    """Each door asks who is writing before the core runs: that lookup failing is no failed request."""
    fake = FakeSlack()
    slack = SlackHarness(app, fake)
    teams = TeamsHarness(app)
    try:
        slack.know("MT")
        teams.know("MT")
        assert "Not saved" not in slack.slash("MT", "meeting start board").body
        before = _counts(app)
        caplog.set_level(logging.WARNING)
        with _database_away(slack.door.core):
            resp = slack.slash("MT", ACTION)
        assert resp.status == 200
        assert NOT_SAVED in resp.body
        with _database_away(teams.door.core):
            assert teams.say("MT", ACTION).status_code == 200
        assert any(NOT_SAVED in t for t in teams.connector.texts())
        assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records]
        assert _counts(app) == before
        # Sent again once the database answers: stored once.
        assert slack.slash("MT", ACTION).status == 200
        with app.sessions() as s:
            assert list(s.scalars(select(Action.title))) == ["write to the three schools"]
    finally:
        slack.door.close()
        teams.close()
        fake.close()


def test_a_delivery_whose_command_failed_runs_again_when_redelivered(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The delivery is recorded in its own transaction before the command; when the command then
    fails, the record is taken back, so the platform's redelivery of the same event is not lost."""
    from sqlalchemy.exc import OperationalError

    from storage.models import ProcessedEvent

    core = app.core()
    core.handle(Request("shell", "C-BOARD", "MT", "bind board", AT))
    run = Core._run

    def drop_connection(*args: object, **kwargs: object) -> object:
        raise OperationalError("INSERT", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(Core, "_run", drop_connection)
    first = core.handle(Request("shell", "C-BOARD", "MT", ACTION, AT, event_id="ev-7"))
    assert first.plain.strip() == NOT_SAVED
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Action)) == 0
        assert s.scalar(select(func.count()).where(ProcessedEvent.event_id == "ev-7")) == 0

    monkeypatch.setattr(Core, "_run", run)
    again = core.handle(Request("shell", "C-BOARD", "MT", ACTION, AT, event_id="ev-7"))
    assert NOT_SAVED not in again.plain
    twice = core.handle(Request("shell", "C-BOARD", "MT", ACTION, AT, event_id="ev-7"))
    assert not twice.recognised  # the redelivery that worked is remembered: a third changes nothing
    with app.sessions() as s:
        assert list(s.scalars(select(Action.title))) == ["write to the three schools"]


def test_the_first_command_after_the_server_dropped_its_connections_works(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restarted server has closed every pooled connection: a connection idle since is checked
    before a command uses it and replaced, so the command is saved (docs/reliability.md)."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("a server restart drops connections on PostgreSQL; SQLite has no server")
    from storage import db

    core = app.core()
    core.handle(Request("shell", "C-BOARD", "MT", "bind board", AT))
    core.handle(Request("shell", "C-BOARD", "MT", "meeting start", AT))
    with app.engine.connect() as conn:
        pooled = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    # As a restart does: the server ends the pooled connection while it sits idle.
    outside = make_engine(app.engine.url.render_as_string(hide_password=False))
    try:
        with outside.connect() as other:
            assert other.exec_driver_sql(f"SELECT pg_terminate_backend({int(pooled or 0)})").scalar()
    finally:
        outside.dispose()
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # idle long enough to be checked
    said = core.handle(Request("shell", "C-BOARD", "MT", ACTION, AT)).plain
    assert NOT_SAVED not in said
    with app.sessions() as s:
        assert list(s.scalars(select(Action.title))) == ["write to the three schools"]
