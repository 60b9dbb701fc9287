"""The `slack:` section of app.yaml, and the tokens, which come only from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from bot.settings import Settings


class SlackConfigError(Exception):
    """A setting is missing or wrong: the message says which and how to fix it."""


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
            raise SlackConfigError(
                "Slack is enabled in app.yaml but the environment lacks " + ", ".join(missing) + "."
            )


def _int(value: Any, key: str, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as e:
        raise SlackConfigError(f"slack.{key} in app.yaml must be a number, not {value!r}.") from e


def load_config(settings: Settings, env: dict[str, str] | None = None) -> SlackConfig:
    raw = settings.section("slack")
    environ = os.environ if env is None else env
    mode = str(raw.get("mode") or "socket").lower()
    if mode not in ("socket", "http"):
        raise SlackConfigError(f"slack.mode in app.yaml is {mode!r}: use socket or http.")
    command = str(raw.get("command") or "/pb")
    if not command.startswith("/"):
        command = "/" + command
    http: dict[str, Any] = raw["http"] if isinstance(raw.get("http"), dict) else {}
    path = str(http.get("path") or "/slack/events")
    if not path.startswith("/"):
        raise SlackConfigError(f"slack.http.path in app.yaml is {path!r}: use a path such as /slack/events.")
    return SlackConfig(
        enabled=bool(raw.get("enabled")),
        mode=mode,
        command=command,
        capture_emoji=str(raw.get("capture_emoji") or "memo").strip(":"),
        name=str(raw.get("name") or "partnerbot"),
        http_path=path,
        api_base_url=raw.get("api_base_url") or environ.get("SLACK_API_BASE_URL") or None,
        proxy=raw.get("proxy") or None,  # slack_sdk also honours HTTPS_PROXY itself
        process_before_response=bool(raw.get("process_before_response", True)),
        threads=max(1, _int(raw.get("threads"), "threads", 4)),
        partnership=raw.get("partnership"),
        bot_token=environ.get("SLACK_BOT_TOKEN") or None,
        app_token=environ.get("SLACK_APP_TOKEN") or None,
        signing_secret=environ.get("SLACK_SIGNING_SECRET") or None,
    )
