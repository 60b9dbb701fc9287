"""The `slack:` section of app.yaml, and the tokens, which come only from the environment.

Nothing here imports a Slack SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal

from pydantic import Field

from bot.web_settings import moved_to_web
from scheduler.sections import Section, SettingsError, secret


@dataclass(frozen=True)
class SlackConfig:
    enabled: bool = False
    mode: str = "socket"  # socket (no public URL) | http
    command: str = "/pb"
    capture_emoji: str = "memo"
    name: str = "partnerbot"  # the app's and bot user's display name (manifest, "/invite @…")
    http_path: str = "/slack/events"  # HTTP mode: Slack's URL on the web server (`web:` in app.yaml)
    api_base_url: str | None = None  # tests point the Web API at a local fake
    proxy: str | None = None
    process_before_response: bool = True
    # Commands one process works on at once (in HTTP mode, Bolt's dispatch with them). Python runs one
    # thread at a time, so more threads only help while they wait on the database (PostgreSQL over a
    # network); too many fight over the GIL, and on SQLite each pooled connection's page cache goes
    # stale whenever another writes. One would do for speed; two keep a slow command (a PDF) from
    # holding up the rest.
    threads: int = 2
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
    """HTTP mode: the path Slack posts to on the one web server."""

    moved: ClassVar[dict[str, str]] = {"host": moved_to_web("host"), "port": moved_to_web("port")}

    path: Annotated[str, Field(pattern=r"^/", description="a path such as /slack/events")] = "/slack/events"


class SlackSection(Section):
    """app.yaml's `slack:` section (docs/slack.md)."""

    moved: ClassVar[dict[str, str]] = {"health": moved_to_web("host", "port")}

    enabled: bool = False
    mode: Literal["socket", "http"] = "socket"
    command: str = "/pb"
    capture_emoji: str = "memo"
    name: str = "partnerbot"
    http: SlackHttpSection = SlackHttpSection()
    api_base_url: str | None = None  # SLACK_API_BASE_URL overrides it
    proxy: str | None = None  # slack_sdk also honours HTTPS_PROXY itself
    process_before_response: bool = True
    threads: Annotated[int, Field(ge=1)] = 2
    partnership: str | None = None

    def resolve(self, environ: Mapping[str, str] | None = None) -> SlackConfig:
        """The door's settings, with its tokens from the environment."""
        return SlackConfig(
            enabled=self.enabled,
            mode=self.mode,
            command=self.command if self.command.startswith("/") else "/" + self.command,
            capture_emoji=self.capture_emoji.strip(":"),
            name=self.name,
            http_path=self.http.path,
            api_base_url=self.api_base_url,
            proxy=self.proxy,
            process_before_response=self.process_before_response,
            threads=self.threads,
            partnership=self.partnership,
            bot_token=secret("SLACK_BOT_TOKEN", environ),
            app_token=secret("SLACK_APP_TOKEN", environ),
            signing_secret=secret("SLACK_SIGNING_SECRET", environ),
        )
