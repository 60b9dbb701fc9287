"""PostgreSQL's connections (storage/db.py, storage/pg_driver.py): what they keep between commands."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, bindparam, select, update

from bot.app import App
from storage.models import Partnership

# Runs of the statements psycopg prepared on this connection.
USES = "SELECT sum(generic_plans + custom_plans) FROM pg_prepared_statements WHERE NOT from_sql"


def _uses(conn: Connection) -> int | None:
    return conn.exec_driver_sql(USES).scalar()


def test_prepared_statements_outlive_a_rolled_back_transaction(app: App) -> None:
    """A refused command rolls back; the statements psycopg had prepared stay prepared (and planned),
    and the rollback still undoes the transaction's writes."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    name = select(Partnership.name).where(Partnership.id == bindparam("pid"))
    with app.engine.connect() as conn:
        pid = conn.scalars(select(Partnership.id)).one()
        before = conn.scalar(name, {"pid": pid})
        for _ in range(6):  # psycopg prepares a statement on its sixth run (prepare_threshold 5)
            conn.scalar(name, {"pid": pid})
        conn.commit()
        conn.execute(update(Partnership).values(name="Renamed in a transaction that fails"))
        conn.rollback()
        assert conn.scalar(name, {"pid": pid}) == before  # the rollback undid the write
        uses = _uses(conn)
        conn.scalar(name, {"pid": pid})
        assert uses is not None and _uses(conn) == uses + 1  # run as the statement prepared before
        conn.rollback()
