"""Alembic environment: runs on the connection that storage.db.migrate hands over, or, when the
alembic command line is run by hand (to write a migration), on the database it is given:

    alembic -x url=sqlite:///var/partnerbot.sqlite3 revision --autogenerate -m "..."

(or `sqlalchemy.url` in an alembic.ini of your own). It reads no environment variable:
PARTNERBOT_DATABASE_URL and app.yaml are the bot's settings, read in one place
(bot/settings.py), which storage does not import; pass `-x url="$PARTNERBOT_DATABASE_URL"`.
"""

from __future__ import annotations

from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from alembic.util import CommandError
from sqlalchemy import Connection

import storage.answer_link_models
import storage.nudge_models  # noqa: F401 - the reminder tables on Base.metadata
from storage.db import make_engine
from storage.models import Base

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: object, autogen_context: AutogenContext) -> str | Literal[False]:
    # Migrations must not import model code: render our column types as plain SQLAlchemy ones.
    if type_ == "type" and type(obj).__name__ == "UTCDateTime":
        return "sa.DateTime(timezone=True)"
    return False


def _run(conn: Connection) -> None:
    sqlite = conn.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a table (copy, drop, rename); with foreign keys enforced, the drop
        # fails once other tables' rows reference it. Off for the migration, checked after it.
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        _migrate(conn)
    finally:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
    if sqlite:
        broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"the migration left rows whose references are broken: {broken[:5]}")


def _migrate(conn: Connection) -> None:
    context.configure(
        render_item=_render_item,
        connection=conn,
        target_metadata=target_metadata,
        render_as_batch=conn.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _given_url() -> str:
    """The database of an alembic command run by hand: `-x url=...`, else `sqlalchemy.url`."""
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise CommandError(
            "Which database? Give its URL: alembic -x url=sqlite:///var/partnerbot.sqlite3 "
            '(or -x url="$PARTNERBOT_DATABASE_URL") revision --autogenerate -m "..."'
        )
    return url


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)  # the bot migrating itself on start-up (storage.db.migrate)
else:
    with make_engine(_given_url()).begin() as conn:
        _run(conn)
