"""Settings of the Teams door and of Microsoft Graph, from app.yaml; secrets only from the environment.

    teams:
      enabled: true              # served by the one web server (`web: {host, port}`, bot/web.py)
      public_url: https://partnerbot.westshire.example   # how Teams and people reach us (file links)
      # app id and tenant id may be written here; TEAMS_APP_ID / TEAMS_TENANT_ID override them.
      # The secret is never here: TEAMS_APP_PASSWORD (or the variable named by password_env).

    graph:
      enabled: true
      mailbox: partnership@westshire.example     # reminders by e-mail are sent from this mailbox
      organiser: rhian.bowen@westshire.example   # owns the meetings: calendar events, attendance
      create_events: false                       # a Teams meeting in the organiser's calendar per agenda pack

Nothing here imports a Teams or Graph SDK.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.settings import SettingsError

DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/teams"
CLOUDS = ("Public", "USGov", "USGovDoD", "China")


class TeamsSettingsError(SettingsError, ValueError):
    """A wrong `teams:` or `graph:` section: `partnerbot` prints it and stops."""


def in_test_run() -> bool:
    """True inside pytest (and processes it starts): the only place authentication may be off."""
    return "pytest" in sys.modules or bool(os.environ.get("PYTEST_CURRENT_TEST"))


def _env(name: str | None) -> str | None:
    value = os.environ.get(name) if name else None
    return value.strip() if value and value.strip() else None


def _no_secrets(section: str, raw: dict[str, Any], keys: tuple[str, ...]) -> None:
    for key in keys:
        if key in raw:
            raise TeamsSettingsError(
                f"{section}: no secrets in app.yaml ({key}); put it in the environment variable "
                "named by password_env"
            )


@dataclass(frozen=True)
class TeamsSettings:
    enabled: bool = False
    app_id: str | None = None
    tenant_id: str | None = None
    password: str | None = field(default=None, repr=False)
    endpoint: str = "/api/messages"
    public_url: str | None = None
    service_url: str = DEFAULT_SERVICE_URL  # where 1:1 chats are opened when none is stored yet
    cloud: str = "Public"
    bot_name: str = "partnerbot"
    files_dir: Path = Path("var/teams-files")
    file_link_days: int = 14
    retry_seconds: float = 20.0  # how long one send may spend backing off before the sweep retries later
    workers: int = 8  # threads that run the (synchronous) core
    # Tests only: accept requests without a token, and a local key set and issuer for the token test.
    allow_unauthenticated: bool = False
    openid_metadata_url: str | None = None
    token_issuer: str | None = None

    def check_for_serve(self) -> None:
        """`serve` refuses test-only settings outside a test run, and a door without credentials."""
        test_only = [
            k for k in ("allow_unauthenticated", "openid_metadata_url", "token_issuer") if getattr(self, k)
        ]
        if test_only and not in_test_run():
            raise TeamsSettingsError(
                f"teams: {', '.join(test_only)} is for tests only; remove it from app.yaml "
                "(every request to the bot must carry a valid Bot Framework token)"
            )
        if not self.allow_unauthenticated and not (self.app_id and self.password):
            raise TeamsSettingsError(
                "teams: the door needs its app id and secret: set TEAMS_APP_ID and TEAMS_APP_PASSWORD "
                "(and TEAMS_TENANT_ID for a single-tenant bot)"
            )


def load_teams_settings(section: dict[str, Any] | None, root: Path | None = None) -> TeamsSettings:
    raw = section or {}
    _no_secrets("teams", raw, ("password", "app_password", "secret", "client_secret"))
    cloud = str(raw.get("cloud", "Public"))
    if cloud not in CLOUDS:
        raise TeamsSettingsError(f"teams: cloud must be one of {', '.join(CLOUDS)}, not {cloud!r}")
    files_dir = Path(str(raw.get("files_dir", "var/teams-files")))
    if root is not None and not files_dir.is_absolute():
        files_dir = root / files_dir
    endpoint = str(raw.get("endpoint", "/api/messages"))
    if not endpoint.startswith("/"):
        raise TeamsSettingsError("teams: endpoint must be a path such as /api/messages")
    public_url = raw.get("public_url")
    return TeamsSettings(
        enabled=bool(raw.get("enabled", False)),
        app_id=_env("TEAMS_APP_ID") or raw.get("app_id"),
        tenant_id=_env("TEAMS_TENANT_ID") or raw.get("tenant_id"),
        password=_env(str(raw.get("password_env", "TEAMS_APP_PASSWORD"))),
        endpoint=endpoint,
        public_url=str(public_url).rstrip("/") if public_url else None,
        service_url=str(raw.get("service_url", DEFAULT_SERVICE_URL)).rstrip("/"),
        cloud=cloud,
        bot_name=str(raw.get("bot_name", "partnerbot")),
        files_dir=files_dir,
        file_link_days=int(raw.get("file_link_days", 14)),
        retry_seconds=float(raw.get("retry_seconds", 20)),
        workers=max(1, int(raw.get("workers", 8))),
        allow_unauthenticated=bool(raw.get("allow_unauthenticated", False)),
        openid_metadata_url=raw.get("openid_metadata_url"),
        token_issuer=raw.get("token_issuer"),
    )


@dataclass(frozen=True)
class GraphSettings:
    enabled: bool = False
    tenant_id: str | None = None
    client_id: str | None = None
    secret: str | None = field(default=None, repr=False)
    mailbox: str | None = None  # the partnership mailbox reminders are sent from
    send_mail: bool = True
    organiser: str | None = None  # UPN or object id of the account that organises the meetings
    create_events: bool = False
    base_url: str | None = None  # tests (a local fake) and national clouds
    retry_seconds: float = 30.0

    @property
    def mail_ready(self) -> bool:
        return self.enabled and self.send_mail and bool(self.mailbox)


def load_graph_settings(section: dict[str, Any] | None) -> GraphSettings:
    raw = section or {}
    _no_secrets("graph", raw, ("password", "secret", "client_secret"))
    enabled = bool(raw.get("enabled", False))
    settings = GraphSettings(
        enabled=enabled,
        tenant_id=_env("GRAPH_TENANT_ID") or _env("TEAMS_TENANT_ID") or raw.get("tenant_id"),
        client_id=_env("GRAPH_CLIENT_ID") or _env("TEAMS_APP_ID") or raw.get("client_id"),
        secret=_env(str(raw.get("password_env", "GRAPH_CLIENT_SECRET"))) or _env("TEAMS_APP_PASSWORD"),
        mailbox=raw.get("mailbox"),
        send_mail=bool(raw.get("send_mail", True)),
        organiser=raw.get("organiser"),
        create_events=bool(raw.get("create_events", False)),
        base_url=str(raw["base_url"]).rstrip("/") if raw.get("base_url") else None,
        retry_seconds=float(raw.get("retry_seconds", 30)),
    )
    if enabled and not settings.tenant_id:
        raise TeamsSettingsError("graph: a tenant id is needed (GRAPH_TENANT_ID or TEAMS_TENANT_ID)")
    if settings.base_url and not settings.base_url.startswith("https://") and not in_test_run():
        raise TeamsSettingsError("graph: base_url must be https (a plain-http fake is for tests only)")
    return settings
