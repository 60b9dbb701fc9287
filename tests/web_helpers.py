"""`serve`'s services in test threads, the one web server on a free loopback port, and both doors on it."""

from __future__ import annotations

import io
import threading
from typing import Any

import httpx
from slack_fake import BOARD, FORM, FakeSlack, signature_headers, slash_body, uid
from teams_fakes import Harness

from bot.app import App
from bot.slack.app import SlackDoor
from bot.slack.config import SlackConfig
from bot.slack.service import SlackService
from bot.web import WebServer
from bot.web_settings import WebSection


class Running:
    """A service in its own thread, as `serve` runs it; `ready` is set once it serves."""

    def __init__(self, service: Any, ready: threading.Event) -> None:
        self.service, self.stop = service, threading.Event()
        self.error: list[BaseException] = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        while not ready.wait(0.05):
            assert self.thread.is_alive(), self.error

    def _run(self) -> None:
        try:
            self.service.run(self.stop)
        except BaseException as e:  # surfaced by the test
            self.error.append(e)

    def close(self) -> None:
        self.stop.set()
        self.thread.join(15)
        assert not self.thread.is_alive()


def web_server(**limits: Any) -> WebServer:
    """The web server on a port the system picks; `limits` as WebServer takes them."""
    return WebServer(WebSection(port=0), io.StringIO(), **limits)


SMALL = 4096  # a body limit the tests can exceed cheaply


class Both:
    """Slack (HTTP mode) and Teams as `serve` runs them: each door's part on one web server."""

    def __init__(self, app: App, fake: FakeSlack, **limits: Any) -> None:
        self.web: WebServer = web_server(**limits)
        cfg = SlackConfig(
            enabled=True,
            mode="http",
            bot_token="xoxb-test",
            signing_secret="test-signing-secret",
            api_base_url=fake.api_url,
        )
        self.slack_door = SlackDoor(app, cfg)
        slack = SlackService(app, cfg, io.StringIO(), self.web, door_factory=lambda: self.slack_door)
        self.slack = Running(slack, slack.ready)
        self.teams = Harness(app, graph=False, web=self.web)
        self.teams.know("MT", "RB")
        self.server = Running(self.web, self.web.ready)
        self.http = httpx.Client(base_url=self.web.url, timeout=10)

    def slack_post(self, text: str, user: str = "MT", **headers: str) -> httpx.Response:
        body = slash_body(uid(user), BOARD, text, "http://127.0.0.1:9/response")
        signed = {"Content-Type": FORM, **signature_headers(body), **headers}
        return self.http.post("/slack/events", content=body, headers=signed)

    def close(self) -> None:
        self.http.close()
        self.server.close()
        self.slack.close()
        self.teams.close()
        assert not self.server.error and not self.slack.error
