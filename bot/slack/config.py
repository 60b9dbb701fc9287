"""The `slack:` section of app.yaml, and the tokens, which come only from the environment.

Nothing here imports a Slack SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from scheduler.sections import Port, Section, SettingsError, secret


@dataclass(frozen=True)
class SlackConfig:
    enabled: bool = False
    mode: str = "socket"  # socket (no public URL) | http
    command: str = "/pb"
    capture_emoji: str = "memo"
    name: str = "partnerbot"  # the app's and bot user's display name (manifest, "/invite @…")
    http_host: str = "127.0.0.1"
    http_port: int = 3000
    http_path: str = "/slack/events"
    health_enabled: bool = True
    health_host: str = "127.0.0.1"
    health_port: int = 3001
    api_base_url: str | None = None  # tests point the Web API at a local fake
    proxy: str | None = None
    process_before_response: bool = True
    # Commands one process works on at once. Python runs one thread at a time, so more threads only
    # help while they wait on the database (PostgreSQL over a network); too many fight over the GIL.
    threads: int = 4
    partnership: str | None = None
    bot_token: str | None = None
    app_token: str | None = None
    signing_secret: str | None = None

    def require_tokens(self) -> None:
        """Fail at start-up, not on the first message, when a token the mode needs is missing."""
        missing = [] if self.bot_token else ["SLACK_BOT_TOKEN (xoxb-…)"]
        if self.mode == "socket" and not self.app_token:
            missing.append("SLACK_APP_TOKEN (xapp-…, with connections:write)")
        if self.mode == "http" and not self.signing_secret:
            missing.append("SLACK_SIGNING_SECRET (HTTP mode verifies every request with it)")
        if missing:
            raise SettingsError(
                "Slack is enabled in app.yaml but the environment lacks " + ", ".join(missing) + "."
            )


class SlackHttpSection(Section):
    host: str = "127.0.0.1"
    port: Port = 3000
    path: str = "/slack/events"


class SlackHealthSection(Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: Port = 3001


class SlackSection(Section):
    """app.yaml's `slack:` section (docs/slack.md)."""

    enabled: bool = False
    mode: Literal["socket", "http"] = "socket"
    command: str = "/pb"
    capture_emoji: str = "memo"
    name: str = "partnerbot"
    http: SlackHttpSection = SlackHttpSection()
    health: SlackHealthSection = SlackHealthSection()
    api_base_url: str | None = None  # SLACK_API_BASE_URL overrides it
    proxy: str | None = None  # slack_sdk also honours HTTPS_PROXY itself
    process_before_response: bool = True
    threads: Annotated[int, Field(ge=1)] = 4
    partnership: str | None = None

    def resolve(self, environ: Mapping[str, str] | None = None) -> SlackConfig:
        """The door's settings, with its tokens from the environment."""
        return SlackConfig(
            enabled=self.enabled,
            mode=self.mode,
            command=self.command if self.command.startswith("/") else "/" + self.command,
            capture_emoji=self.capture_emoji.strip(":"),
            name=self.name,
            http_host=self.http.host,
            http_port=self.http.port,
            http_path=self.http.path,
            health_enabled=self.health.enabled,
            health_host=self.health.host,
            health_port=self.health.port,
            api_base_url=self.api_base_url,
            proxy=self.proxy,
            process_before_response=self.process_before_response,
            threads=self.threads,
            partnership=self.partnership,
            bot_token=secret("SLACK_BOT_TOKEN", environ),
            app_token=secret("SLACK_APP_TOKEN", environ),
            signing_secret=secret("SLACK_SIGNING_SECRET", environ),
        )
