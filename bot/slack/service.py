"""`partnerbot serve` with Slack on: Socket Mode (default) or HTTP, and a health endpoint.

Socket Mode opens an outbound WebSocket, so no public URL is needed. `/health` answers 200
while the socket is connected and 503 when it is not, for a supervisor or load balancer; a
connection that stays lost past RECONNECT_GIVE_UP stops the service (and so the process),
so a supervisor restarts it rather than a bot that looks alive and hears nothing. In HTTP
mode Bolt checks each request's signature itself; a bad or stale one gets 401.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlparse

from bot.slack.config import SlackConfig

if TYPE_CHECKING:
    from slack_bolt import App as BoltApp

    from bot.app import App
    from bot.slack.app import SlackDoor

log = logging.getLogger("partnerbot.slack")

RECONNECT_GIVE_UP = 300.0  # seconds without a socket before the service gives up
MAX_BODY = 1_000_000  # Slack's payloads are far smaller; refuse anything bigger unread


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: Slack and load generators reuse connections
    # Headers and body go out in two writes: without TCP_NODELAY the body waits for the client's
    # delayed ACK (about 40 ms on Linux) on every kept-alive request.
    disable_nagle_algorithm = True
    server: SlackHTTPServer

    def do_GET(self) -> None:
        if urlparse(self.path).path != "/health":
            self._send(404, b'{"error": "not found"}')
            return
        status = self.server.health()
        self._send(200 if status.get("ok") else 503, json.dumps(status).encode())

    def do_POST(self) -> None:
        from slack_bolt.request import BoltRequest

        parsed = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if self.server.bolt is None or parsed.path != self.server.path or length > MAX_BODY:
            self.close_connection = True
            self._send(404, b'{"error": "not found"}')
            return
        body = self.rfile.read(length).decode("utf-8")
        headers: dict[str, str | list[str]] = {}
        for key, value in self.headers.items():
            headers.setdefault(key.lower(), []).append(value)  # type: ignore[union-attr]
        resp = self.server.bolt.dispatch(BoltRequest(body=body, query=parsed.query, headers=headers))
        data = (resp.body or "").encode("utf-8")
        self.send_response(resp.status)
        for key, values in resp.headers.items():
            if key.lower() != "content-length":
                for value in values:
                    self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("http: " + format, *args)


class SlackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # bursts of commands queue rather than being refused

    def __init__(
        self,
        address: tuple[str, int],
        health: Callable[[], dict[str, Any]],
        bolt: BoltApp | None = None,
        path: str = "/slack/events",
        *,
        reuse_port: bool = False,
    ) -> None:
        # Several `serve` processes may listen on one port; the kernel spreads requests among them.
        self.allow_reuse_port = reuse_port
        super().__init__(address, _Handler)
        self.health, self.bolt, self.path = health, bolt, path

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.serve_forever, args=(0.1,), name="slack-http", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()


class SlackService:
    name = "slack"

    def __init__(
        self,
        app: App,
        config: SlackConfig,
        out: TextIO,
        *,
        door_factory: Callable[[], SlackDoor] | None = None,
    ) -> None:
        self.app, self.config, self.out = app, config, out
        self.door_factory = door_factory
        self.connected_since: float | None = None
        self.server: SlackHTTPServer | None = None  # HTTP mode, or the health endpoint
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
        cfg = self.config
        started = time.time()
        self.server = SlackHTTPServer(
            (cfg.http_host, cfg.http_port),
            lambda: {"ok": True, "mode": "http", "up_seconds": round(time.time() - started)},
            door.bolt,
            cfg.http_path,
            reuse_port=True,
        )
        self.server.start()
        self.out.write(f"Slack: HTTP mode, listening on {self.server.url}{cfg.http_path} (health: /health)\n")
        self.out.flush()
        self.ready.set()
        try:
            stop.wait()
        finally:
            self.server.stop()

    # --- Socket Mode --------------------------------------------------------------------------------------
    def _run_socket(self, door: SlackDoor, stop: threading.Event) -> None:
        from slack_bolt.adapter.socket_mode import SocketModeHandler

        cfg = self.config
        handler = SocketModeHandler(door.bolt, cfg.app_token, web_client=door.client, proxy=cfg.proxy)

        def status() -> dict[str, Any]:
            connected = handler.client.is_connected()
            return {"ok": connected, "mode": "socket", "connected": connected}

        if cfg.health_enabled:
            self.server = SlackHTTPServer((cfg.health_host, cfg.health_port), status)
            self.server.start()
        handler.connect()
        where = f" (health: {self.server.url}/health)" if self.server else ""
        self.out.write(f"Slack: Socket Mode{where}\n")
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
            if self.server is not None:
                self.server.stop()
