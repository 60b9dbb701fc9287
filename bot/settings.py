"""Deployment settings: app.yaml as one typed model; the environment overrides it, and holds every secret.

Each section's model lives beside what it configures (scheduler/policy.py `nudges:`,
scheduler/email.py `email:`, bot/slack/config.py `slack:`, bot/teams/config.py `teams:` and
`graph:`, bot/web_settings.py `web:`, scheduler/retention.py `retention:`); this module composes
them, applies the environment overrides (the one table below), and reports every problem of the
file in one SettingsError (scheduler/sections.py says how keys and values are checked).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError, field_validator

from bot.slack.config import SlackSection
from bot.teams.config import GraphSection, TeamsSection
from bot.web_settings import WebSection
from scheduler.email import EmailSection
from scheduler.policy import NudgesSection
from scheduler.retention import RetentionSection
from scheduler.sections import Section, SettingsError, settings_error, unknown_key

__all__ = ["ENVIRONMENT_OVERRIDES", "Settings", "SettingsError", "load_settings", "settings_from"]

DEFAULT_DATABASE = "sqlite:///var/partnerbot.sqlite3"

# Every environment variable that overrides a setting of app.yaml, and the setting; where two
# variables override one setting, the first one set wins. `--database` beats them all. The file
# itself comes from `--config` or PARTNERBOT_CONFIG. Secrets have no key in app.yaml: each door's
# config module reads its own from the environment (docs/configuration.md lists them).
ENVIRONMENT_OVERRIDES: tuple[tuple[str, str], ...] = (
    ("PARTNERBOT_DATABASE_URL", "database.url"),
    ("TEAMS_APP_ID", "teams.app_id"),
    ("TEAMS_TENANT_ID", "teams.tenant_id"),
    ("GRAPH_TENANT_ID", "graph.tenant_id"),
    ("TEAMS_TENANT_ID", "graph.tenant_id"),
    ("GRAPH_CLIENT_ID", "graph.client_id"),
    ("TEAMS_APP_ID", "graph.client_id"),
    ("SLACK_API_BASE_URL", "slack.api_base_url"),
)


class DatabaseSection(Section):
    url: str = DEFAULT_DATABASE  # PARTNERBOT_DATABASE_URL or --database overrides it


class ShellDoorSection(Section):
    enabled: bool = False  # `serve` also prints reminders on its terminal


class DoorsSection(Section):
    shell: ShellDoorSection = ShellDoorSection()


class DocumentsSection(Section):
    templates: str | None = None  # a folder of the business unit's own templates, relative to app.yaml
    # The year report's charts and Word file drawn in a second process beside its PDF (on 2+ CPUs).
    report_worker: bool = True


def environment_overrides() -> dict[str, Any]:
    """The variables of ENVIRONMENT_OVERRIDES that are set, as app.yaml's nested keys."""
    found: dict[str, Any] = {}
    for variable, path in ENVIRONMENT_OVERRIDES:
        value = (os.environ.get(variable) or "").strip()
        *sections, key = path.split(".")
        node = found
        for section in sections:
            node = node.setdefault(section, {})
        if value and key not in node:
            node[key] = value
    return found


def _overridden(data: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """app.yaml's contents with the overrides laid over them, section by section."""
    merged = dict(data)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _overridden(merged[key], value)
        else:
            merged[key] = value
    return merged


class Settings(BaseModel):
    """The whole of app.yaml. Build it with load_settings (a file) or settings_from (its contents).

    A plain pydantic model (the environment's overrides are laid over the file by settings_from):
    pydantic-settings cost every command a twentieth of a second to import, for one source."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, validate_default=True)

    database: DatabaseSection = DatabaseSection()
    partnerships: list[str] = []  # partnership files loaded at start-up, relative to app.yaml
    partnership: str | None = None  # the one the doors serve when several are loaded
    doors: DoorsSection = DoorsSection()
    nudges: NudgesSection = NudgesSection()
    email: EmailSection = EmailSection()
    documents: DocumentsSection = DocumentsSection()
    teams: TeamsSection = TeamsSection()
    graph: GraphSection = GraphSection()
    slack: SlackSection = SlackSection()
    web: WebSection = WebSection()  # the one web server of `serve`: Slack's HTTP mode, Teams, /health
    retention: RetentionSection = RetentionSection()  # days each class of record is kept (the sweep)

    _root: Path = PrivateAttr(default_factory=Path.cwd)

    @field_validator("partnerships", mode="before")
    @classmethod
    def _none_is_no_files(cls, value: Any) -> Any:
        return [] if value is None else value  # `partnerships:` with every file commented out

    @property
    def root(self) -> Path:
        """The folder of app.yaml: relative paths in it start here."""
        return self._root

    @property
    def database_url(self) -> str:
        return self.database.url

    @property
    def partnership_files(self) -> list[Path]:
        return [self._root / p for p in self.partnerships]

    @property
    def templates_folder(self) -> Path | None:
        return self._root / self.documents.templates if self.documents.templates else None


def _sqlite_path(url: str, root: Path) -> str:
    """Relative SQLite paths are relative to app.yaml; their folder is created."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.startswith(prefix + "/") or url == "sqlite://" or ":memory:" in url:
        return url
    path = (root / url[len(prefix) :]).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return prefix + str(path)


def settings_from(
    data: dict[str, Any], root: Path, *, source: str = "app.yaml", database_url: str | None = None
) -> Settings:
    """app.yaml's contents, checked whole: the environment overrides them, `database_url` beats both."""
    # Keys that cannot be settings (and, starting with "_", pydantic would take for private attributes).
    odd = [k for k in data if not isinstance(k, str) or k.startswith("_")]
    problems = [f"{k}: {unknown_key(str(k), Settings)}" for k in odd]
    data = dict(data)
    if isinstance(data.get("database"), str):
        data["database"] = {"url": data["database"]}  # `database: sqlite:///…`, the URL alone
    # Laying the environment's overrides over the file would quietly replace a value that is no mapping.
    for key, field in Settings.model_fields.items():
        value = data.get(key)
        kind = field.annotation
        if (
            value is not None
            and isinstance(kind, type)
            and issubclass(kind, Section)
            and not isinstance(value, dict)
        ):
            problems.append(
                f"{key}: expected its settings as a mapping (`{key}:` then indented `name: value` lines)"
            )
            odd.append(key)
    try:
        given = {k: v for k, v in data.items() if k not in odd}
        settings = Settings(**_overridden(given, environment_overrides()))
    except ValidationError as e:
        problems = settings_error(e, Settings, source).problems + problems
    if problems:
        raise SettingsError(problems, source)
    url = _sqlite_path(database_url or settings.database.url, root)
    if url != settings.database.url:
        settings = settings.model_copy(update={"database": DatabaseSection(url=url)})
    settings._root = root
    return settings


def load_settings(path: str | Path | None = None, database_url: str | None = None) -> Settings:
    """The settings file (`--config`, else PARTNERBOT_CONFIG, else ./app.yaml, which may be absent)."""
    config = Path(path or os.environ.get("PARTNERBOT_CONFIG") or "app.yaml")
    data: Any = {}
    if config.exists():
        try:
            data = yaml.safe_load(config.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise SettingsError(f"{config}: not valid YAML: {e}") from e
        if data is not None and not isinstance(data, dict):
            raise SettingsError(f"{config}: expected a mapping of settings")
    elif path is not None:
        raise SettingsError(f"{config}: no such settings file")
    return settings_from(data or {}, config.resolve().parent, source=str(config), database_url=database_url)
