"""`partnerbot serve` with Slack on: Socket Mode (default) or HTTP, with its part in `/health`.

Socket Mode opens an outbound WebSocket, so no public URL is needed. The web server's
`/health` (bot/web.py) answers 200 while the socket is connected and 503 when it is not, for a
supervisor or load balancer; a connection that stays lost past RECONNECT_GIVE_UP stops the
service (and so the process), so a supervisor restarts it rather than a bot that looks alive
and hears nothing. In HTTP mode Slack's requests arrive on the web server at `slack.http.path`
(bot/slack/http_mode.py); Bolt checks each request's signature itself, a bad or stale one
gets 401.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from bot.slack.config import SlackConfig

if TYPE_CHECKING:
    from bot.app import App
    from bot.slack.app import SlackDoor
    from bot.web import WebServer

log = logging.getLogger("partnerbot.slack")

RECONNECT_GIVE_UP = 300.0  # seconds without a socket before the service gives up


class SlackService:
    name = "slack"

    def __init__(
        self,
        app: App,
        config: SlackConfig,
        out: TextIO,
        web: WebServer,
        *,
        door_factory: Callable[[], SlackDoor] | None = None,
    ) -> None:
        self.app, self.config, self.out = app, config, out
        self.door_factory = door_factory
        self.part = web.part("slack")  # HTTP mode's events path, and the socket's state in /health
        self.ready = threading.Event()

    def _door(self) -> SlackDoor:
        if self.door_factory is not None:
            return self.door_factory()
        from bot.slack.app import build_door

        return build_door(self.app, self.config)

    def run(self, stop: threading.Event) -> None:
        self.config.require_tokens()
        door = self._door()
        try:
            if self.config.mode == "http":
                self._run_http(door, stop)
            else:
                self._run_socket(door, stop)
        finally:
            door.close()

    # --- HTTP mode ----------------------------------------------------------------------------------------
    def _run_http(self, door: SlackDoor, stop: threading.Event) -> None:
        from bot.slack.http_mode import SlackEvents
        from bot.slack.identity import DOOR
        from storage.doors import delivered

        def handled(event_id: str) -> bool:
            with self.app.sessions() as session:
                return delivered(session, DOOR, event_id)

        events = SlackEvents(door, self.config.signing_secret or "", handled)
        self.part.route(self.config.http_path, events)
        self.part.check(lambda: {"ok": True, "mode": "http"})
        self.part.ready()
        self.out.write(f"Slack: HTTP mode, events at {self.config.http_path} on the web server\n")
        self.out.flush()
        self.ready.set()
        stop.wait()

    # --- Socket Mode --------------------------------------------------------------------------------------
    def _run_socket(self, door: SlackDoor, stop: threading.Event) -> None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        cfg = self.config
        handler = SocketModeHandler(door.bolt, cfg.app_token, web_client=door.client, proxy=cfg.proxy)

        def status() -> dict[str, Any]:
            connected = handler.client.is_connected()
            return {"ok": connected, "mode": "socket", "connected": connected}

        self.part.check(status)
        self.part.ready()
        handler.connect()
        self.out.write("Slack: Socket Mode (its state in the web server's /health)\n")
        self.out.flush()
        self.ready.set()
        lost_at: float | None = None
        try:
            while not stop.wait(1.0):
                if handler.client.is_connected():
                    lost_at = None
                    continue
                lost_at = lost_at or time.monotonic()
                if time.monotonic() - lost_at > RECONNECT_GIVE_UP:
                    raise RuntimeError(
                        f"the Slack socket has been down for {RECONNECT_GIVE_UP:.0f} s; stopping so a "
                        "supervisor can restart the bot"
                    )
        finally:
            handler.close()
