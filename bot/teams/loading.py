"""The Teams door's routes while the door is still being built: held a moment, else 503.

`serve` opens its web server before it imports the Teams SDK (bot/teams/plug.py), so `/health`
and the Slack door answer at once. Until the door is ready, `/health` says
`"teams": {"ok": false, "state": "starting"}` (503, as for any door not ready), and a request to
the door's routes waits up to `HOLD_SECONDS` for it; if the door is still not ready then, it is
answered 503 with Retry-After, which Bot Framework retries. Importing this module loads no SDK;
`door_class` does, as cheaply as the SDK allows.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Receive, Scope, Send

    from bot.teams.app import TeamsDoor
    from bot.web import Part

HOLD_SECONDS = 5.0  # well inside Bot Framework's 15 s for an answer
RETRY_AFTER_SECONDS = 2

_import_lock = threading.Lock()


def door_class() -> type[TeamsDoor]:
    """bot/teams/app.py's TeamsDoor, importing the Teams SDK with its pydantic models built on first use.

    The SDK defines several hundred pydantic models (every activity, entity and card type), and
    pydantic builds each one's validator and serializer as the class is defined: about a third of
    the SDK's import, mostly for models this bot never meets. With `defer_build` a model is built
    when it is first used instead (a few ms for the handful a reply uses); the parser of incoming
    activities (the SDK's one TypeAdapter) is still built whole at import. Only classes defined
    during this import are deferred: the setting is taken back at once, and it changes when a
    model is built, never what it accepts.
    """
    with _import_lock:
        if "bot.teams.app" not in sys.modules:
            from pydantic import BaseModel

            config = BaseModel.model_config  # every model's config starts from its bases'
            deferred = "defer_build" not in config
            if deferred:
                config["defer_build"] = True
            # httpx imports its command-line client (rich, pygments; 30-40 ms) when they are
            # installed; told it is missing, httpx carries on without it, as it is written to.
            no_cli = "httpx" not in sys.modules and "httpx._main" not in sys.modules
            if no_cli:
                sys.modules["httpx._main"] = None  # type: ignore[assignment]
            try:
                import bot.teams.app  # noqa: F401
            finally:
                if deferred:
                    config.pop("defer_build", None)
                if no_cli:
                    del sys.modules["httpx._main"]  # later, `import httpx._main` works as ever
    from bot.teams.app import TeamsDoor

    return TeamsDoor


class LoadingDoor:
    """Stands for the door on the web server from the start; `open` hands it the built door."""

    def __init__(self, endpoint: str, *, hold_seconds: float = HOLD_SECONDS) -> None:
        self.endpoint, self.hold_seconds = endpoint, hold_seconds
        self.door: TeamsDoor | None = None
        self.held = 0  # requests waiting for the door now
        self._opened = asyncio.Event()  # bound to the server's loop on first use

    def mount(self, part: Part) -> None:
        """The door's routes and health check, before the door exists (as bot/teams/plug.py `mount`)."""
        part.route(self.endpoint, self)
        part.route("/files/", self, prefix=True)
        part.route("/healthz", self)
        part.check(self.check)
        part.ready()

    def check(self) -> dict[str, Any]:
        if self.door is None:
            return {"ok": False, "state": "starting"}
        return {"ok": self.door.ready}

    async def open(self, door: TeamsDoor) -> None:
        """Run on the server's loop: initialise the door, then let held requests through."""
        await door.initialize()
        self.door = door
        self._opened.set()

    def _app(self, door: TeamsDoor, path: str) -> ASGIApp:
        return door.endpoint if path == self.endpoint else door.web

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        door = self.door
        if door is None:
            self.held += 1
            try:
                async with asyncio.timeout(self.hold_seconds):
                    await self._opened.wait()
            except TimeoutError:
                await _starting(send)
                return
            finally:
                self.held -= 1
            door = self.door
            assert door is not None
        await self._app(door, scope["path"])(scope, receive, send)


async def _starting(send: Send) -> None:
    body = json.dumps({"error": "starting: the Teams door is not ready yet; try again shortly"}).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(RETRY_AFTER_SECONDS).encode()),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})
