"""`serve`'s services in test threads, and the one web server on a free loopback port."""

from __future__ import annotations

import io
import threading
from typing import Any

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
