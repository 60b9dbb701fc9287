"""The psycopg connection PostgreSQL engines use: prepared statements kept across a ROLLBACK.

Imported only for a PostgreSQL URL (storage.db), so SQLite never loads psycopg."""

from __future__ import annotations

from typing import Any

import psycopg


class KeepPreparedConnection(psycopg.Connection[Any]):
    """psycopg prepares a statement once it has run `prepare_threshold` (5) times on a connection,
    and the server then plans it once for all its parameters instead of on every run: the command
    context's statement took 0.36 ms prepared against 1.25 ms, most of it planning. But psycopg
    forgets every prepared statement, and sends `DEALLOCATE ALL`, on each ROLLBACK, in case the
    transaction created something a statement names; and a refused command, a question, or a read
    outside `session.begin()` ends in one. So most statements ran unprepared (on the benchmark,
    1,409 runs of 2,267).

    Nothing this app rolls back creates what a statement names (schema changes are migrations,
    and psycopg still forgets everything after a DROP or an ALTER), so a ROLLBACK here keeps
    them: a prepared statement outlives a rolled-back transaction on the server too."""

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


def connect(cargs: Any, cparams: dict[str, Any]) -> psycopg.Connection[Any]:
    """SQLAlchemy's `do_connect`: its arguments, our connection class."""
    return KeepPreparedConnection.connect(*cargs, **cparams)
