"""The psycopg connection PostgreSQL engines use: a transaction's BEGIN in one round trip with its
first statement, and prepared statements kept across a ROLLBACK.

Imported only for a PostgreSQL URL (storage.db), so SQLite never loads psycopg."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.pq import TransactionStatus

IDLE = TransactionStatus.IDLE


class Connection(psycopg.Connection[Any]):
    """psycopg itself sends `BEGIN` and waits for its answer before a transaction's first
    statement: a round trip per command for nothing. Here psycopg runs in autocommit mode, so it
    never does, and the connection says to its users (SQLAlchemy) that it does not, with
    `autocommit` false as before; the cursor (`Cursor`) sends the `BEGIN` itself, in one pipeline
    with the first statement. So a transaction is as it was, all or nothing: it begins before its
    first statement, ends with SQLAlchemy's COMMIT or ROLLBACK, and an error in either statement
    is raised by that execute. (psycopg's `copy()`, `stream()` and named cursors would not begin
    one: nothing here uses them.)

    psycopg prepares a statement once it has run `prepare_threshold` (5) times on a connection,
    and the server then plans it once for all its parameters instead of on every run: the command
    context's statement took 0.36 ms prepared against 1.25 ms, most of it planning. But psycopg
    forgets every prepared statement, and sends `DEALLOCATE ALL`, on each ROLLBACK, in case the
    transaction created something a statement names; and a refused command, a question, or a read
    outside `session.begin()` ends in one. So most statements ran unprepared (on the benchmark,
    1,409 runs of 2,267). Nothing this app rolls back creates what a statement names (schema
    changes are migrations, and psycopg still forgets everything after a DROP or an ALTER), so a
    ROLLBACK here keeps them: a prepared statement outlives a rolled-back transaction on the
    server too."""

    transactions = True  # what `autocommit` says: SQLAlchemy turns it off for AUTOCOMMIT only

    @property
    def autocommit(self) -> bool:
        return not self.transactions

    @autocommit.setter
    def autocommit(self, value: bool) -> None:
        self.transactions = not value

    def set_autocommit(self, value: bool) -> None:
        self.transactions = not value

    def begin_statement(self) -> bytes:
        """psycopg's `BEGIN`, with the isolation level and access mode set on the connection."""
        parts = ["BEGIN"]
        if self.isolation_level is not None:
            parts.append("ISOLATION LEVEL " + self.isolation_level.name.replace("_", " "))
        if self.read_only is not None:
            parts.append("READ ONLY" if self.read_only else "READ WRITE")
        if self.deferrable is not None:
            parts.append("DEFERRABLE" if self.deferrable else "NOT DEFERRABLE")
        return " ".join(parts).encode()

    def starts_transaction(self) -> bool:
        return self.transactions and self.pgconn.transaction_status == IDLE

    def rollback(self) -> None:
        kept = getattr(self, "_prepared", None)
        if kept is None:  # a psycopg without it: its own behaviour
            super().rollback()
            return
        self._prepared = type(kept)()  # what psycopg's rollback clears: an empty one
        try:
            super().rollback()
        finally:
            self._prepared = kept


class Cursor(psycopg.Cursor[Any]):
    """Begins the connection's transaction, when it has none, with the statement it sends."""

    connection: Connection

    def execute(
        self, query: Any, params: Any = None, *, prepare: bool | None = None, binary: bool | None = None
    ) -> Cursor:
        conn = self.connection
        if not conn.starts_transaction():
            super().execute(query, params, prepare=prepare, binary=binary)
            return self
        with conn.pipeline():  # one round trip: BEGIN, the statement, then Sync
            super().execute(conn.begin_statement(), prepare=False)
            super().execute(query, params, prepare=prepare, binary=binary)
        return self

    def executemany(self, query: Any, params_seq: Any, *, returning: bool = False) -> None:
        conn = self.connection
        if conn.starts_transaction():
            super().execute(conn.begin_statement(), prepare=False)
        super().executemany(query, params_seq, returning=returning)


def connect(cargs: Any, cparams: dict[str, Any]) -> psycopg.Connection[Any]:
    """SQLAlchemy's `do_connect`: its arguments, these classes."""
    return Connection.connect(*cargs, autocommit=True, cursor_factory=Cursor, **cparams)
