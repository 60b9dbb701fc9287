"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import pkgutil

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import storage
from bot.app import App
from storage.db import head_revisions
from storage.models import Base


def _all_models() -> None:
    for mod in pkgutil.iter_modules(storage.__path__):
        if mod.name.endswith("models"):
            importlib.import_module(f"storage.{mod.name}")


def test_migrated_schema_matches_the_models(app: App) -> None:
    _all_models()
    with app.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)
        stored = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    assert diffs == []
    assert stored == head_revisions() and len(stored) == 1
