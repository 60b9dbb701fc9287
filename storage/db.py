"""Engines, sessions and migrations for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InvalidatePoolError
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_url(url: str) -> str:
    """Accept plain postgres URLs and point them at psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    # A database error never quotes the values it was given: they are what people typed
    # (docs/data-protection.md).
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            # WAL lets the sweep and the doors read while one writes; FKs are off by default in SQLite.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    if "connect_timeout" not in url and "connect_args" not in kwargs:
        # A server that never answers (a firewall dropping packets) is an error after this
        # long, not a wait without end: `serve` retries, every other command says so.
        kwargs["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT}
    engine = create_engine(url, **kwargs)
    _keep_prepared(engine)
    _ping_when_idle(engine)
    return engine


def _keep_prepared(engine: Engine) -> None:
    """Connect with storage.pg_driver's connection class (psycopg only: another driver as it is)."""
    if engine.dialect.driver != "psycopg":
        return

    @event.listens_for(engine, "do_connect")
    def _connect(_dialect: Any, _record: Any, cargs: Any, cparams: dict[str, Any]) -> Any:
        from storage.pg_driver import connect

        return connect(cargs, cparams)


CONNECT_TIMEOUT = 10  # seconds

# A pooled connection unused for longer than this is pinged before a command uses it.
IDLE_PING_SECONDS = 1.0


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it has sat idle (SQLAlchemy's pessimistic
    recipe, with a threshold): `pool_pre_ping` pinged on every checkout, a round trip per command.

    A server restarted since the connection was last used (anything longer than the threshold)
    is found here and every pooled connection is replaced, so the first command after a restart
    works (docs/reliability.md). A connection that died within the threshold fails its command's
    first statement instead: "not saved", and the pool is replaced for the next one."""

    @event.listens_for(engine, "checkin")
    def _used(_dbapi_conn: Any, record: Any) -> None:
        record.info["pb_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("pb_idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return  # just connected, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            # As pool_pre_ping: after a restart every pooled connection is stale; the pool
            # connects afresh (an error then if the server is still away).
            raise InvalidatePoolError(str(exc)) from exc


def shown_url(url: str) -> str:
    """The database URL as it may be printed: never its password."""
    try:
        return make_url(normalise_url(url)).render_as_string(hide_password=True)
    except ArgumentError:
        return "(a database URL that cannot be read)"


class DatabaseUnreachable(Exception):
    """The database did not answer: one line naming it (without its password) and what to check."""

    def __init__(self, url: str, reason: str) -> None:
        self.url, self.reason = shown_url(url), reason
        if normalise_url(url).startswith("sqlite"):
            check = "check that its folder exists and that this user may write there"
        else:
            check = (
                "check that the database server is running, its host and port, "
                "the user name and password, and the database's name"
            )
        super().__init__(
            f"Cannot reach the database {self.url} ({reason}): {check} "
            "(the database URL comes from --database, PARTNERBOT_DATABASE_URL or app.yaml's database.url)."
        )


def _reason(exc: DBAPIError, password: str | None) -> str:
    """What the driver said, in a few words: the end of its first line ('Connection refused')."""
    said = str(exc.orig) if exc.orig is not None else str(exc)
    first = said.strip().splitlines()[0] if said.strip() else type(exc.orig).__name__
    reason = first.rsplit(": ", 1)[-1].strip() or first
    if password:
        reason = reason.replace(password, "***")
    return reason[:200]


def reach(engine: Engine) -> None:
    """Connect once; DatabaseUnreachable, saying which database and what to check, if it does not answer."""
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
    except DBAPIError as exc:  # OperationalError, InterfaceError: no connection was made
        url = engine.url.render_as_string(hide_password=False)
        raise DatabaseUnreachable(url, _reason(exc, engine.url.password)) from None


def head_revisions() -> set[str]:
    """The newest revision ids, read from the migration files (importing Alembic is slow)."""
    revisions: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        rev = re.search(r"^revision(?:: str)? = [\"']([^\"']+)[\"']", text, re.M)
        down = re.search(r"^down_revision(?:: [^=]+)? = (?:[\"']([^\"']+)[\"']|None)", text, re.M)
        if rev:
            revisions[rev.group(1)] = down.group(1) if down else None
    parents = {d for d in revisions.values() if d}
    return {r for r in revisions if r not in parents}


def is_current(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            stored = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    except Exception:  # no version table yet: a new database
        return False
    return stored == head_revisions()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (a no-op, quickly, when it is already there)."""
    if is_current(engine):
        return
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
