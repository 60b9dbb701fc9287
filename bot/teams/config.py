"""Settings of the Teams door and of Microsoft Graph, from app.yaml; secrets only from the environment.

    teams:
      enabled: true              # served by the one web server (`web: {host, port}`, bot/web.py)
      public_url: https://partnerbot.westshire.example   # how Teams and people reach us (file links)
      # app id and tenant id may be written here; TEAMS_APP_ID / TEAMS_TENANT_ID override them.
      # The secret is never here: TEAMS_APP_PASSWORD (or the variable named by password_env).
      package:                   # who publishes the app, for `partnerbot teams package`
        developer_name: Westshire SCP          # at most 32 characters (the manifest's limit)
        website_url: https://partnerbot.westshire.example
        privacy_url: https://partnerbot.westshire.example/privacy
        terms_url: https://partnerbot.westshire.example/terms

    graph:
      enabled: true
      mailbox: partnership@westshire.example     # reminders by e-mail are sent from this mailbox
      organiser: rhian.bowen@westshire.example   # owns the meetings: calendar events, attendance
      create_events: false                       # a Teams meeting in the organiser's calendar per agenda pack

Nothing here imports a Teams or Graph SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, model_validator

from bot.web_settings import moved_to_web
from scheduler.sections import Section, SettingsError, TestOnly, in_test_harness, secret

DEFAULT_SERVICE_URL = "https://smba.trafficmanager.net/teams"


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
    # Tests only (refused in app.yaml outside the test harness): accept requests without a token,
    # and a local key set and issuer for the token test.
    allow_unauthenticated: bool = False
    openid_metadata_url: str | None = None
    token_issuer: str | None = None

    def check_for_serve(self) -> None:
        """`serve` refuses a door without credentials."""
        if not self.allow_unauthenticated and not (self.app_id and self.password):
            raise SettingsError(
                "teams: the door needs its app id and secret: set TEAMS_APP_ID and TEAMS_APP_PASSWORD "
                "(and TEAMS_TENANT_ID for a single-tenant bot)"
            )


def _https(value: str) -> str:
    if not value.lower().startswith("https://"):
        raise ValueError(f"must be an https:// address, not {value!r}")
    return value


HttpsUrl = Annotated[str, Field(max_length=2048), AfterValidator(_https)]


class TeamsPackageSection(Section):
    """Who publishes the app, as the Teams app package shows it (the manifest's `developer`)."""

    developer_name: Annotated[
        str | None, Field(min_length=1, max_length=32, description="the Teams manifest's limit")
    ] = None
    website_url: HttpsUrl | None = None
    privacy_url: HttpsUrl | None = None
    terms_url: HttpsUrl | None = None

    def missing(self) -> list[str]:
        return [f"teams.package.{key}" for key in type(self).model_fields if not getattr(self, key)]


class TeamsSection(Section):
    """app.yaml's `teams:` section (docs/teams.md)."""

    moved: ClassVar[dict[str, str]] = {"host": moved_to_web("host"), "port": moved_to_web("port")}

    enabled: bool = False
    app_id: str | None = None  # TEAMS_APP_ID overrides it
    tenant_id: str | None = None  # TEAMS_TENANT_ID overrides it
    password_env: str = "TEAMS_APP_PASSWORD"  # the variable that holds the secret
    endpoint: Annotated[str, Field(pattern=r"^/", description="a path such as /api/messages")] = (
        "/api/messages"
    )
    public_url: str | None = None
    service_url: str = DEFAULT_SERVICE_URL
    cloud: Literal["Public", "USGov", "USGovDoD", "China"] = "Public"
    bot_name: str = "partnerbot"
    files_dir: str = "var/teams-files"  # relative to app.yaml
    file_link_days: Annotated[int, Field(ge=1)] = 14
    retry_seconds: Annotated[float, Field(ge=0)] = 20.0
    workers: Annotated[int, Field(ge=1)] = 8
    allow_unauthenticated: Annotated[
        bool, TestOnly("it accepts requests without a Bot Framework token: anyone could act as anyone")
    ] = False
    openid_metadata_url: Annotated[str | None, TestOnly("it trusts a key set other than Microsoft's")] = None
    token_issuer: Annotated[str | None, TestOnly("it trusts tokens from an issuer other than Microsoft")] = (
        None
    )
    package: TeamsPackageSection = TeamsPackageSection()

    def resolve(self, root: Path | None = None) -> TeamsSettings:
        """The door's settings, with its secret from the environment; files_dir relative to `root`."""
        files_dir = Path(self.files_dir)
        if root is not None and not files_dir.is_absolute():
            files_dir = root / files_dir
        return TeamsSettings(
            enabled=self.enabled,
            app_id=self.app_id,
            tenant_id=self.tenant_id,
            password=secret(self.password_env),
            endpoint=self.endpoint,
            public_url=self.public_url.rstrip("/") if self.public_url else None,
            service_url=self.service_url.rstrip("/"),
            cloud=self.cloud,
            bot_name=self.bot_name,
            files_dir=files_dir,
            file_link_days=self.file_link_days,
            retry_seconds=self.retry_seconds,
            workers=self.workers,
            allow_unauthenticated=self.allow_unauthenticated,
            openid_metadata_url=self.openid_metadata_url,
            token_issuer=self.token_issuer,
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


def _https_outside_tests(value: str | None) -> str | None:
    if value and not value.lower().startswith("https://") and not in_test_harness():
        raise ValueError("must be https (a plain-http fake is for tests only)")
    return value


class GraphSection(Section):
    """app.yaml's `graph:` section (docs/teams.md)."""

    enabled: bool = False
    tenant_id: str | None = None  # GRAPH_TENANT_ID, else TEAMS_TENANT_ID, overrides it
    client_id: str | None = None  # GRAPH_CLIENT_ID, else TEAMS_APP_ID, overrides it
    password_env: str = "GRAPH_CLIENT_SECRET"  # the variable that holds the secret (else TEAMS_APP_PASSWORD)
    mailbox: str | None = None
    send_mail: bool = True
    organiser: str | None = None
    create_events: bool = False
    base_url: Annotated[str | None, AfterValidator(_https_outside_tests)] = None
    retry_seconds: Annotated[float, Field(ge=0)] = 30.0

    @model_validator(mode="after")
    def _needs_a_tenant(self) -> GraphSection:
        if self.enabled and not self.tenant_id:
            raise ValueError("a tenant id is needed: set GRAPH_TENANT_ID or TEAMS_TENANT_ID")
        return self

    def resolve(self) -> GraphSettings:
        """Graph's settings, with its secret from the environment."""
        return GraphSettings(
            enabled=self.enabled,
            tenant_id=self.tenant_id,
            client_id=self.client_id,
            secret=secret(self.password_env) or secret("TEAMS_APP_PASSWORD"),
            mailbox=self.mailbox,
            send_mail=self.send_mail,
            organiser=self.organiser,
            create_events=self.create_events,
            base_url=self.base_url.rstrip("/") if self.base_url else None,
            retry_seconds=self.retry_seconds,
        )
