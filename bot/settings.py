"""Deployment settings from app.yaml; the environment overrides, and holds every secret."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_DATABASE = "sqlite:///var/partnerbot.sqlite3"


class SettingsError(Exception):
    pass


@dataclass
class Settings:
    root: Path  # the folder of app.yaml: relative paths in it start here
    database_url: str = DEFAULT_DATABASE
    partnership_files: list[Path] = field(default_factory=list)
    partnership: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)

    def section(self, *keys: str) -> dict[str, Any]:
        node: Any = self.raw
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}


def _sqlite_path(url: str, root: Path) -> str:
    """Relative SQLite paths are relative to app.yaml; their folder is created."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/") or url == "sqlite://" or ":memory:" in url:
        return url
    path = (root / url[len(prefix) :]).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return prefix + str(path)


def load_settings(path: str | Path | None = None, database_url: str | None = None) -> Settings:
    config = Path(path or os.environ.get("PARTNERBOT_CONFIG") or "app.yaml")
    raw: dict[str, Any] = {}
    if config.exists():
        try:
            loaded = yaml.safe_load(config.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise SettingsError(f"{config}: not valid YAML: {e}") from e
        if loaded is not None and not isinstance(loaded, dict):
            raise SettingsError(f"{config}: expected a mapping of settings")
        raw = loaded or {}
    elif path is not None:
        raise SettingsError(f"{config}: no such settings file")
    root = config.resolve().parent
    url = (
        database_url
        or os.environ.get("PARTNERBOT_DATABASE_URL")
        or (raw.get("database") or {}).get("url")
        or DEFAULT_DATABASE
    )
    files = [root / p for p in raw.get("partnerships") or []]
    return Settings(
        root=root,
        database_url=_sqlite_path(url, root),
        partnership_files=files,
        partnership=raw.get("partnership"),
        raw=raw,
    )
