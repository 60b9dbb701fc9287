"""`serve` when the database does not answer at start: retry, and say so on `/health` meanwhile.

Every other command says in one line which database it could not reach and stops; `serve` is
run by a supervisor and usually starts beside its database, so it tries again, 1 s after the
first attempt and twice as long after each, at most `MAX_DELAY` apart, one log line per attempt.
Meanwhile, when a door or the answer pages would have the web server listen, a stand-in listens on
the same address: `GET /health` answers 503 with the reason, any other path 503. Once the database
answers, the stand-in closes and `serve` starts as usual (its own `/health` is then healthy).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TextIO

from storage.db import DatabaseUnreachable

if TYPE_CHECKING:
    from starlette.types import Receive, Scope, Send

    from bot.app import App

log = logging.getLogger("partnerbot.serve")

FIRST_DELAY = 1.0  # seconds
MAX_DELAY = 30.0


class DatabaseWait:
    """Tries the database until it answers; `check` is its part of `/health`."""

    def __init__(
        self,
        ready: Callable[[], None],
        *,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
    ) -> None:
        self._ready = ready  # connects and migrates, or raises DatabaseUnreachable
        self.first_delay, self.max_delay = first_delay, max_delay
        self.attempts = 0
        self.error: DatabaseUnreachable | None = None  # why the last attempt failed
        self.reached = threading.Event()

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1, 2, 4 … capped)."""
        return float(min(self.max_delay, self.first_delay * 2 ** min(attempt - 1, 32)))

    def attempt(self) -> bool:
        self.attempts += 1
        try:
            self._ready()
        except DatabaseUnreachable as exc:
            self.error = exc
            return False
        self.error = None
        self.reached.set()
        return True

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            if self.attempt():
                log.warning("database answered at attempt %d: starting", self.attempts)
                return
            wait = self.delay(self.attempts)
            self.log_failure(wait)
            stop.wait(wait)

    def log_failure(self, wait: float) -> None:
        """One line per attempt: the whole story first, then what changed."""
        error = self.error
        assert error is not None
        if self.attempts == 1:
            log.warning("attempt 1: %s Trying again in %.0f s.", error, wait)
        else:
            log.warning(
                "attempt %d: the database %s still does not answer (%s); trying again in %.0f s.",
                self.attempts,
                error.url,
                error.reason,
                wait,
            )

    def check(self) -> dict[str, Any]:
        if self.reached.is_set():
            return {"ok": True}
        reason = f" ({self.error.reason})" if self.error else ""
        return {"ok": False, "reason": f"the database does not answer{reason}", "attempts": self.attempts}

    async def starting(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Every path but /health while the database does not answer: 503, try again later."""
        body = json.dumps({"error": "starting: the database does not answer yet; try again later"}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(int(self.max_delay)).encode()),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def serves_web(app: App) -> bool:
    """Whether `serve` will have its web server listen: a door is on, or the answer pages are."""
    settings = app.settings
    return bool(settings.slack.enabled or settings.teams.enabled or settings.web.public_url)


def wait_for_database(app: App, out: TextIO, **delays: float) -> bool:
    """Until the database answers (True), or `serve` is stopped (or its stand-in fails) before (False)."""
    from bot.app import ready_database

    wait = DatabaseWait(lambda: ready_database(app.engine), **delays)
    if wait.attempt():
        return True
    wait.log_failure(wait.delay(1))
    services: list[Any] = [_AfterFirst(wait)]
    if serves_web(app):
        from bot.web import WebServer

        web = WebServer(app.settings.web, out)
        part = web.part("database")
        part.check(wait.check)
        part.route("/", wait.starting, prefix=True)
        part.ready()
        services.append(web)
    from bot.serve import supervise

    supervise(services, out, until_first_returns=True)
    return wait.reached.is_set()


class _AfterFirst:
    """The wait as a service of `supervise`, its first attempt already made (and logged)."""

    name = "waiting for the database"

    def __init__(self, wait: DatabaseWait) -> None:
        self.wait = wait

    def run(self, stop: threading.Event) -> None:
        if not stop.wait(self.wait.delay(self.wait.attempts)):
            self.wait.run(stop)
