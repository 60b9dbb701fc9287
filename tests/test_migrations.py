"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import create_engine

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


ROOT = Path(__file__).resolve().parents[1]


def _alembic(*argv: str) -> None:
    from alembic.config import main

    main(argv=["-c", str(ROOT / "alembic.ini"), *argv], prog="alembic")


def test_alembic_by_hand_works_on_the_database_it_is_given(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    db = tmp_path / "by-hand.sqlite3"
    _alembic("-x", f"url=sqlite:///{db}", "upgrade", "head")
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        stored = {row[0] for row in conn.exec_driver_sql("SELECT version_num FROM alembic_version")}
    engine.dispose()
    assert stored == head_revisions()


def test_alembic_by_hand_without_a_database_says_how_to_name_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("PARTNERBOT_DATABASE_URL", f"sqlite:///{tmp_path}/from-the-environment.sqlite3")
    with pytest.raises(CommandError, match=r"alembic -x url="):
        _alembic("--raiseerr", "upgrade", "head")
    assert list(tmp_path.iterdir()) == []  # the bot's environment variable is not read here
