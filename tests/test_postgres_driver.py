"""PostgreSQL's connections (storage/db.py, storage/pg_driver.py): what they keep between commands."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.exc import DBAPIError

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


def _round_trips(trace: str) -> list[str]:
    """What the client sent and then waited on (libpq's trace): each Sync or simple Query ends one."""
    sent = [line.split("\t") for line in trace.splitlines() if line.startswith("F\t")]
    return [
        fields[3].strip() if fields[2] == "Query" else "Sync"
        for fields in sent
        if fields[2] in ("Sync", "Query")
    ]


def test_a_transaction_begins_in_one_round_trip_with_its_first_statement(app: App, tmp_path: Path) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's protocol")
    from psycopg import pq

    trace = tmp_path / "trace"
    with app.engine.connect() as conn, trace.open("w") as out:
        pgconn = conn.connection.driver_connection.pgconn  # type: ignore[union-attr]
        pgconn.trace(out.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
        conn.exec_driver_sql("SELECT 'first'")
        conn.exec_driver_sql("SELECT 'second'")
        conn.commit()
        pgconn.untrace()
    said = trace.read_text()
    trips = _round_trips(said)
    assert len(trips) == 3 and trips[-1] == '"COMMIT"'  # psycopg's own way: 4, "BEGIN" on its own
    assert said.index('"BEGIN"') < said.index("'first'")


def test_a_failed_statement_rolls_the_whole_transaction_back(app: App) -> None:
    """The first statement, many rows at once, and one that fails: none of it is kept."""
    if app.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connections")
    with app.engine.connect() as conn:
        before = conn.scalars(select(Partnership.name)).all()
    with pytest.raises(DBAPIError), app.engine.begin() as conn:
        conn.execute(update(Partnership).values(name="Renamed"))
        conn.execute(
            insert(Partnership),
            [{"id": "p1", "name": "One", "timezone": "UTC"}, {"id": "p2", "name": "Two", "timezone": "UTC"}],
        )
        conn.exec_driver_sql("SELECT 1 / 0")
    with app.engine.connect() as conn:
        assert conn.scalars(select(Partnership.name)).all() == before
    with pytest.raises(DBAPIError), app.engine.begin() as conn:  # many rows as the first statement
        conn.execute(
            insert(Partnership),
            [{"id": "p1", "name": "One", "timezone": "UTC"}, {"id": "p2", "name": "Two", "timezone": "UTC"}],
        )
        conn.exec_driver_sql("SELECT 1 / 0")
    with app.engine.connect() as conn:
        assert conn.scalars(select(Partnership.name)).all() == before


def test_autocommit_still_commits_each_statement(app: App) -> None:
    if app.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's connections")
    with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(update(Partnership).values(name="Kept"))
        conn.rollback()  # nothing to undo: the UPDATE was committed on its own
    with app.engine.connect() as conn:
        assert set(conn.scalars(select(Partnership.name))) == {"Kept"}
        assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == "read committed"
