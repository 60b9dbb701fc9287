"""Shared fixtures: every test that uses `app` runs on SQLite and on PostgreSQL.

PostgreSQL runs when PARTNERBOT_TEST_POSTGRES_URL is set (CI sets it); each test
gets a schema of its own, dropped afterwards. Elsewhere those tests skip, saying why.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
import uuid
import weakref
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from slack_fake import FakeSlack
from sqlalchemy import create_engine, text

from bot.app import App, open_app
from bot.settings import Settings, settings_from
from bot.shell import ShellDoor
from scheduler.sections import TEST_HARNESS
from storage.db import make_engine, migrate, normalise_url

# The test harness: app.yaml's test-only keys (nudges.fault, teams.allow_unauthenticated …) are
# allowed here and in every process the tests start; anywhere else they are refused.
os.environ[TEST_HARNESS] = "1"

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "westshire.yaml"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
POSTGRES_URL = os.environ.get("PARTNERBOT_TEST_POSTGRES_URL")


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("CI") == "true" and not POSTGRES_URL:
        raise pytest.UsageError("CI runs the suite on PostgreSQL too: set PARTNERBOT_TEST_POSTGRES_URL.")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One migrated SQLite file, copied for each test (migrating takes longer than copying)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


def postgres_schema_url(schema: str) -> str:
    assert POSTGRES_URL
    url = normalise_url(POSTGRES_URL)
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    if request.param == "sqlite":
        path = tmp_path / "partnerbot.sqlite3"
        shutil.copy(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL run skipped: set PARTNERBOT_TEST_POSTGRES_URL to a server (CI does)")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield postgres_schema_url(schema)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def make_settings(database_url: str, *files: Path, **sections: Any) -> Settings:
    """Settings as app.yaml would give them (checked the same way), on this test's database."""
    data = {"partnerships": [str(f) for f in files or [EXAMPLE]], **sections}
    return settings_from(data, ROOT, database_url=database_url)


def make_app(database_url: str, *files: Path, **sections: Any) -> App:
    return open_app(make_settings(database_url, *files, **sections))


def reconfigure(app: App, **sections: Any) -> None:
    """Give a running app other sections of app.yaml, checked as load_settings checks them."""
    app.settings = settings_from(
        {"partnerships": app.settings.partnerships, **sections}, ROOT, database_url=app.settings.database_url
    )


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    application = make_app(database_url)
    yield application
    application.engine.dispose()


class Chat:
    """A fake chat door over the real core: one channel plus direct messages, a settable clock."""

    def __init__(self, app: App, channel: str = "shell", *, home: str | None = None) -> None:
        """`home`: the door serves every loaded partnership, as `serve` does, initials being
        that partnership's; else the one partnership of app.yaml."""
        self.app = app
        self.core = app.core()
        self.out = io.StringIO()
        # Files the bot makes go to a folder of this chat's own, never into the working tree (and
        # never shared with a test running beside it).
        files = Path(tempfile.mkdtemp(prefix="partnerbot-chat-files-"))
        door_core = app.router(home) if home else self.core
        self.door = ShellDoor(door_core, self.out, user="MT", channel=channel, files_dir=files)
        weakref.finalize(self, shutil.rmtree, files, True)
        app.plug_shell(self.door)

    def at(self, iso: str) -> Chat:
        self.door.line(f"@ {iso}")
        return self

    def _run(self, line: str) -> str:
        start = self.out.tell()
        self.door.line(line)
        self.out.seek(start)
        said = self.out.read()
        self.out.seek(0, io.SEEK_END)
        return said

    def say(self, user: str, text_: str) -> str:
        """A message in the channel; returns what the bot printed in answer."""
        return self._run(f"{user}: {text_}")

    def dm(self, user: str, text_: str) -> str:
        return self._run(f"{user}> {text_}")

    def script(self, lines: str) -> str:
        """Run script lines; the output echoes each line before the bot's answer, as `shell --script` does."""
        start = self.out.tell()
        self.door.echo = True
        try:
            self.door.run(lines.splitlines())
        finally:
            self.door.echo = False
        self.out.seek(start)
        said = self.out.read()
        self.out.seek(0, io.SEEK_END)
        return said

    @property
    def now(self) -> datetime:
        return self.door.now()


def chat_over(database_url: str, tmp_path: Path, text: str) -> Iterator[Chat]:
    """A chat over a variant of a partnership file (its whole text), its files in tmp_path."""
    path = tmp_path / "westshire.yaml"
    path.write_text(text)
    application = make_app(database_url, path)
    chat = Chat(application)
    chat.door.files_dir = tmp_path
    yield chat
    application.engine.dispose()


@pytest.fixture
def chat(app: App) -> Chat:
    return Chat(app)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    """A local fake of Slack's Web API (tests/slack_fake.py), for the Slack door's tests."""
    f = FakeSlack()
    yield f
    f.close()
