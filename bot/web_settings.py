"""The `web:` section of app.yaml: where the one web server of `partnerbot serve` listens, and
where people reach it from outside (the answer links of e-mailed reminders).

The server itself is bot/web.py; this model sits apart so that reading app.yaml imports no
web framework (`partnerbot shell` and `parse` load the settings too).

    web:
      host: 127.0.0.1     # put an HTTPS reverse proxy in front
      port: 3000
      public_url: https://partnerbot.westshire.example   # e-mailed reminders link to /answer/… here
      answer_link_days: 30
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from handlers.answer_links import DEFAULT_DAYS, SECRET_VARIABLE, AnswerLinks, LinkKeys
from scheduler.sections import Port, Section, secret

ONE_SERVER = "one web server serves Slack, Teams and GET /health"


def _web_address(value: str) -> str:
    if not value.lower().startswith(("https://", "http://")):
        raise ValueError(f"must be an https:// address, not {value!r}")
    return value.rstrip("/")


class WebSection(Section):
    """app.yaml's `web:` section (docs/configuration.md)."""

    host: str = "127.0.0.1"
    port: Port = 3000
    # The address people reach the server at: e-mailed reminders link to {public_url}/answer/….
    public_url: Annotated[str, Field(max_length=2048), AfterValidator(_web_address)] | None = None
    answer_link_days: Annotated[int, Field(ge=1, le=365)] = DEFAULT_DAYS

    def answer_keys(self) -> LinkKeys | None:
        """The keys that sign answer links, from the environment; None when the secret is not set."""
        value = secret(SECRET_VARIABLE)
        return LinkKeys(value) if value else None

    def answer_links(self, clock: Callable[[], datetime] | None = None) -> AnswerLinks | None:
        """Links for e-mailed reminders: None unless `public_url` and the secret are both set."""
        keys = self.answer_keys()
        if keys is None or not self.public_url:
            return None
        return AnswerLinks(keys, self.public_url, self.answer_link_days, clock)


def moved_to_web(*keys: str) -> str:
    """Where a key of a door's own former server went: the `web:` key(s) that took its place."""
    return f"{' and '.join('web.' + k for k in keys)} ({ONE_SERVER})"
