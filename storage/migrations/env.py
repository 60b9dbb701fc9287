"""Alembic environment: runs on the connection that storage.db.migrate hands over,
or on PARTNERBOT_DATABASE_URL when called from the alembic command line."""

from __future__ import annotations

import os
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
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


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = make_engine(os.environ.get("PARTNERBOT_DATABASE_URL", "sqlite:///var/partnerbot.sqlite3"))
    with engine.begin() as conn:
        _run(conn)
