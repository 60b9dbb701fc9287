"""A database that does not answer at start: every command says so in one line, naming the database
without its password and what to check; `serve` tries again with a capped backoff, answering
`/health` with 503 meanwhile, and starts once the database answers.

The unreachable server is PostgreSQL on port 1 of loopback (nothing listens there), or an SQLite
file in a folder that does not exist yet. No test measures time.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import POSTGRES_URL, ROOT, make_settings
from sqlalchemy import inspect

from bot.app import open_app
from bot.cli import main
from bot.database_wait import DatabaseWait
from bot.web import WebApp
from storage.db import DatabaseUnreachable, make_engine, normalise_url, reach

PASSWORD = "s3cret-Pa55"
UNREACHABLE = f"postgresql://partnerbot:{PASSWORD}@127.0.0.1:1/partnerbot"
SHOWN = "postgresql+psycopg://partnerbot:***@127.0.0.1:1/partnerbot"


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def one_line_naming_the_database(err: str, shown: str = SHOWN) -> str:
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err and PASSWORD not in err
    assert err.startswith(f"Cannot reach the database {shown} (")
    return err


COMMANDS = [
    ["load", str(ROOT / "examples" / "westshire.yaml")],
    ["nudge"],
    ["shell", "--as", "MT"],
    ["run"],
    ["migrate"],
    ["export", "actions", "--series", "board"],
    ["audit"],
    ["agenda", "--series", "board", "--meeting", "next", "--out", "out"],
    ["import", "tracker", "tracker.csv", "--series", "board"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=[c[0] for c in COMMANDS])
def test_every_command_says_in_one_line_which_database_and_what_to_check(
    command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli("--database", UNREACHABLE, *command)
    assert code == 1
    assert out == ""
    line = one_line_naming_the_database(err)
    assert "(Connection refused)" in line
    assert "check that the database server is running, its host and port, the user name and password" in line
    captured = capsys.readouterr()  # nothing went round the command's own streams (a logged traceback)
    assert captured.out == "" and captured.err == ""


def test_the_real_process_prints_one_line_and_exits_non_zero() -> None:
    for command in (["load", "examples/westshire.yaml"], ["nudge"]):
        done = subprocess.run(
            [sys.executable, "-m", "bot.cli", "--database", UNREACHABLE, *command],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PARTNERBOT_DATABASE_URL": ""},
            timeout=120,
        )
        assert done.returncode == 1
        assert done.stdout == ""
        one_line_naming_the_database(done.stderr)


def test_an_sqlite_file_in_a_missing_folder_says_to_check_the_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/missing/partnerbot.sqlite3"
    code, _, err = cli("--database", url, "nudge")
    assert code == 1
    one_line_naming_the_database(err, shown=url)
    assert "(unable to open database file): check that its folder exists" in err
    assert not (tmp_path / "missing").exists()


@pytest.mark.skipif(not POSTGRES_URL, reason="needs PARTNERBOT_TEST_POSTGRES_URL: a server that answers")
def test_a_server_that_answers_but_lacks_the_database_is_said_in_its_words() -> None:
    assert POSTGRES_URL
    engine = make_engine(POSTGRES_URL)
    url = engine.url.set(password=PASSWORD, database="no_such_partnerbot_db")
    engine.dispose()
    with pytest.raises(DatabaseUnreachable) as caught:
        reach(make_engine(url.render_as_string(hide_password=False)))
    message = str(caught.value)
    assert PASSWORD not in message and "***" in message
    assert '(database "no_such_partnerbot_db" does not exist)' in message


# --- serve ---------------------------------------------------------------------------------------------


def get(app: WebApp, path: str) -> tuple[int, dict[str, Any]]:
    """One request through the ASGI application, in-process."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "client": ("127.0.0.1", 1)}
    asyncio.run(app(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body)


class Outage:
    """A database that does not answer until `restore()`; each attempt connects for real."""

    def __init__(self, reachable: str) -> None:
        self.reachable, self.up = reachable, False

    def ready(self) -> None:
        engine = make_engine(self.reachable if self.up else UNREACHABLE)
        try:
            reach(engine)
        finally:
            engine.dispose()

    def restore(self) -> None:
        self.up = True


def test_health_is_unhealthy_while_the_database_does_not_answer_and_healthy_once_it_does(
    tmp_path: Path,
) -> None:
    outage = Outage(f"sqlite:///{tmp_path}/partnerbot.sqlite3")
    wait = DatabaseWait(outage.ready)
    web = WebApp()
    web.checks["database"] = wait.check
    web.routes.clear()
    status, body = get(web, "/health")
    assert (status, body["database"]) == (
        503,
        {"ok": False, "reason": "the database does not answer", "attempts": 0},
    )
    assert not wait.attempt()
    status, body = get(web, "/health")
    assert status == 503
    assert body["database"] == {
        "ok": False,
        "reason": "the database does not answer (Connection refused)",
        "attempts": 1,
    }
    assert PASSWORD not in json.dumps(body)
    outage.restore()
    assert wait.attempt()
    status, body = get(web, "/health")
    assert (status, body["ok"], body["database"]) == (200, True, {"ok": True})


class CountingStop(threading.Event):
    """A stop event whose waits return at once, recording how long `serve` would have waited."""

    def __init__(self, outage: Outage, restore_after: int) -> None:
        super().__init__()
        self.outage, self.restore_after = outage, restore_after
        self.waited: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waited.append(timeout)
        if len(self.waited) == self.restore_after:
            self.outage.restore()
        return False


def test_serve_retries_with_a_capped_backoff_logging_one_line_per_attempt(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    outage = Outage(f"sqlite:///{tmp_path}/partnerbot.sqlite3")
    wait = DatabaseWait(outage.ready)
    stop = CountingStop(outage, restore_after=8)
    with caplog.at_level(logging.WARNING, logger="partnerbot.serve"):
        wait.run(stop)
    assert stop.waited == [1, 2, 4, 8, 16, 30, 30, 30]
    assert wait.attempts == 9 and wait.reached.is_set()
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 9  # eight failed attempts and the one that answered
    assert all("\n" not in line and PASSWORD not in line for line in lines)
    assert lines[0].startswith(f"attempt 1: Cannot reach the database {SHOWN} (Connection refused)")
    assert lines[1] == (
        f"attempt 2: the database {SHOWN} still does not answer (Connection refused); trying again in 2 s."
    )
    assert lines[-1] == "database answered at attempt 9: starting"
    assert check_ok(wait)


def check_ok(wait: DatabaseWait) -> bool:
    return bool(wait.check()["ok"])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_answers_503_while_waiting_then_migrates_and_starts(tmp_path: Path) -> None:
    """`serve` as run, in a thread: its database is an SQLite file whose folder appears later."""
    folder = tmp_path / "later"
    url = f"sqlite:///{folder}/partnerbot.sqlite3"
    port = free_port()
    config = tmp_path / "app.yaml"
    config.write_text(
        f"database: {url}\npartnerships: []\n"
        f"web: {{host: 127.0.0.1, port: {port}, public_url: https://partnerbot.westshire.example}}\n",
        encoding="utf-8",
    )
    result: list[tuple[int, str, str]] = []
    thread = threading.Thread(
        target=lambda: result.append(cli("--config", str(config), "serve", "--sweeps", "1")), daemon=True
    )
    thread.start()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        health = None
        while health is None:  # until the stand-in listens
            assert thread.is_alive(), result
            try:
                health = client.get("/health")
            except httpx.TransportError:
                threading.Event().wait(0.05)
        assert health.status_code == 503
        assert (
            health.json()["database"]["reason"]
            == "the database does not answer (unable to open database file)"
        )
        other = client.get("/slack/events")
        assert other.status_code == 503 and "starting" in other.json()["error"]
    folder.mkdir()  # the database is back
    thread.join(timeout=120)
    assert not thread.is_alive()
    ((code, out, _),) = result
    assert code == 0, out
    assert "partnerbot serving: waiting for the database, web." in out  # the stand-in
    assert "partnerbot serving: sweep" in out  # the real start, after it
    engine = make_engine(normalise_url(url))
    assert "actions" in inspect(engine).get_table_names()  # migrated once it answered
    engine.dispose()


def test_serve_with_an_answering_database_starts_at_once(database_url: str) -> None:
    from bot.database_wait import wait_for_database

    app = open_app(make_settings(database_url), wait=True)
    out = io.StringIO()
    assert wait_for_database(app, out)
    assert out.getvalue() == ""  # no stand-in, no retry
    app.engine.dispose()
