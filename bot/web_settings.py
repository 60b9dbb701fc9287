"""The `web:` section of app.yaml: where the one web server of `partnerbot serve` listens.

The server itself is bot/web.py; this model sits apart so that reading app.yaml imports no
web framework (`partnerbot shell` and `parse` load the settings too).

    web:
      host: 127.0.0.1     # put an HTTPS reverse proxy in front
      port: 3000
"""

from __future__ import annotations

from scheduler.sections import Port, Section

ONE_SERVER = "one web server serves Slack, Teams and GET /health"


class WebSection(Section):
    """app.yaml's `web:` section (docs/configuration.md)."""

    host: str = "127.0.0.1"
    port: Port = 3000


def moved_to_web(*keys: str) -> str:
    """Where a key of a door's own former server went: the `web:` key(s) that took its place."""
    return f"{' and '.join('web.' + k for k in keys)} ({ONE_SERVER})"
