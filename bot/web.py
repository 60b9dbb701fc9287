"""The one web server of `partnerbot serve`: every HTTP route, one ASGI application, one uvicorn.

Doors add their routes as parts: Slack's HTTP mode its events path; Teams `/api/messages`,
`/files/` and `/healthz`. Every part may add a check to `GET /health`, which answers 200
when every check is ok and 503 when one is not. The port opens once every part that asked
for a place is ready, so no request reaches a door that is still starting.

The same limits hold for every route:
- a request body over `max_body` bytes gets 413 and reaches no handler (by its
  Content-Length before anything is read; a chunked body as soon as it grows too big);
- the request head must arrive within `head_seconds` of the connection opening (or of the
  previous response) and the body within `body_seconds` (408), so a slow or silent client
  cannot hold a connection open; an idle kept-alive connection is closed after
  `keep_alive_seconds` (uvicorn's keep-alive timeout). What a handler does with a request
  is bounded by its door (Slack is answered within its 3 seconds);
- one access-log line per request, logger `partnerbot.web.access`: client, method, path,
  status, bytes sent, milliseconds — never the query string (file links carry signatures);
- a fault in a handler answers 500 and logs one line (the traceback only at debug level):
  never a traceback at the default level, never a dropped connection. Malformed requests are
  the doors' to refuse with 400/401 before that (bot/slack/http_mode.py, bot/teams/guard.py).

The server runs on the process's one event loop (bot/runtime.py), where the Teams SDK's
clients live. Several `serve` processes may listen on one port (SO_REUSEPORT): the kernel
spreads connections among them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.web_settings import WebSection

log = logging.getLogger("partnerbot.web")
access_log = logging.getLogger("partnerbot.web.access")

MAX_BODY = 1_000_000  # bytes; Slack's and Teams' payloads are far smaller
HEAD_SECONDS = 10.0
BODY_SECONDS = 10.0
KEEP_ALIVE_SECONDS = 5  # uvicorn's own default, made explicit

Check = Callable[[], dict[str, Any]]

# --- the ASGI application ---------------------------------------------------------------------------------


class _TooLarge(Exception):
    pass


@dataclass
class _Route:
    path: str
    prefix: bool
    app: ASGIApp
    part: str

    def matches(self, path: str) -> bool:
        return path.startswith(self.path) if self.prefix else path == self.path


async def _json(send: Send, status: int, body: dict[str, Any], *, close: bool = False) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


class WebApp:
    """The ASGI application: the parts' routes and /health, behind the size and time limits."""

    def __init__(self, *, max_body: int = MAX_BODY, body_seconds: float = BODY_SECONDS) -> None:
        self.max_body, self.body_seconds = max_body, body_seconds
        self.routes: list[_Route] = []
        self.checks: dict[str, Check] = {}
        self.started = time.monotonic()

    def health(self) -> tuple[bool, dict[str, Any]]:
        parts = {name: check() for name, check in self.checks.items()}
        ok = all(p.get("ok") for p in parts.values())
        return ok, {"ok": ok, "up_seconds": round(time.monotonic() - self.started), **parts}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # no lifespan (uvicorn runs with it off), no websockets
            return
        began = time.perf_counter()
        sent = {"status": 0, "bytes": 0}
        logged = False

        def access() -> None:
            nonlocal logged
            if logged:
                return
            logged = True
            client = scope.get("client")
            access_log.info(
                '%s "%s %s" %d %d %.0f ms',
                client[0] if client else "-",
                scope["method"],
                scope["path"],
                sent["status"],
                sent["bytes"],
                (time.perf_counter() - began) * 1000,
            )

        async def logged_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent["status"] = message["status"]
            elif message["type"] == "http.response.body":
                sent["bytes"] += len(message.get("body", b""))
                if not message.get("more_body", False):
                    # Written before the last byte goes out, so a client that has its answer
                    # can rely on the line being there.
                    access()
            await send(message)

        try:
            await self._limited(scope, receive, logged_send)
        except Exception as e:
            # A fault, not the client's: one line naming where (its message may quote the request,
            # so it and the traceback are for debug level only), and 500 if nothing was sent yet.
            where = e.__traceback__
            while where is not None and where.tb_next is not None:
                where = where.tb_next
            name = where.tb_frame.f_code.co_filename.rsplit("/", 1)[-1] if where else ""
            spot = f" at {name}:{where.tb_lineno}" if where else ""
            log.error("%s %s failed: %s%s", scope["method"], scope["path"], type(e).__name__, spot)
            log.debug("the fault's traceback", exc_info=True)
            if not sent["status"]:
                await _json(logged_send, 500, {"error": "internal error"}, close=True)
            sent["status"] = sent["status"] or 500
        finally:
            access()  # a request that ended without a whole response still gets its line

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and not length.isdigit():
            await _json(send, 400, {"error": "bad Content-Length"}, close=True)
            return
        if length is not None and int(length) > self.max_body:
            await _json(send, 413, {"error": f"request body over {self.max_body} bytes"}, close=True)
            return
        # The whole body is read here, within the limits, before any handler sees the request.
        try:
            async with asyncio.timeout(self.body_seconds):
                body = await self._body(receive)
        except _TooLarge:
            await _json(send, 413, {"error": f"request body over {self.max_body} bytes"}, close=True)
            return
        except TimeoutError:
            await _json(send, 408, {"error": "the request body took too long"}, close=True)
            return
        if body is None:  # the client went away
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body: only a disconnect
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self._dispatch(scope, replay, send)

    async def _body(self, receive: Receive) -> bytes | None:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    async def _dispatch(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if path == "/health":
            if scope["method"] not in ("GET", "HEAD"):
                await _json(send, 405, {"error": "GET /health"})
                return
            ok, body = self.health()
            await _json(send, 200 if ok else 503, body)
            return
        for route in self.routes:
            if route.matches(path):
                await route.app(scope, receive, send)
                return
        await _json(send, 404, {"error": "not found"})


# --- the server -----------------------------------------------------------------------------------------


class Part:
    """A door's place on the web server: its routes and health check, then `ready()`."""

    def __init__(self, name: str, web: WebServer) -> None:
        self.name, self.web = name, web
        self.opened = threading.Event()

    def route(self, path: str, app: ASGIApp, *, prefix: bool = False) -> None:
        if self.opened.is_set():
            raise RuntimeError(f"{self.name}: routes are added before the part is ready")
        self.web.app.routes.append(_Route(path, prefix, app, self.name))

    def check(self, check: Check) -> None:
        self.web.app.checks[self.name] = check

    def ready(self) -> None:
        self.opened.set()


def _protocol(head_seconds: float) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, closing a connection whose request head is late.

    uvicorn closes a connection idle after a response (keep-alive timeout), but not one that
    opens and sends nothing, or sends its head a byte at a time."""
    base: Any
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    except ImportError:
        from uvicorn.protocols.http.h11_impl import H11Protocol as base

    class Protocol(base):
        _head_timer: asyncio.TimerHandle | None = None
        _waiting_after: Any = None  # the request cycle before the head we are waiting for

        def _wait_for_head(self) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
            self._waiting_after = self.cycle
            self._head_timer = self.loop.call_later(head_seconds, self._head_late)

        def _head_late(self) -> None:
            self._head_timer = None
            if self.cycle is self._waiting_after:  # no new request began in time
                self.timeout_keep_alive_handler()  # closes the connection the way uvicorn does

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._wait_for_head()

        def on_response_complete(self) -> None:
            self._wait_for_head()  # first: a pipelined request may begin inside the call below
            super().on_response_complete()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None
            super().connection_lost(exc)

    return Protocol


class WebServer:
    """`serve`'s web service: one uvicorn server for every door's routes, until `stop`."""

    name = "web"

    def __init__(
        self,
        settings: WebSection,
        out: TextIO,
        *,
        max_body: int = MAX_BODY,
        head_seconds: float = HEAD_SECONDS,
        body_seconds: float = BODY_SECONDS,
        keep_alive_seconds: int = KEEP_ALIVE_SECONDS,
    ) -> None:
        self.settings, self.out = settings, out
        self.app = WebApp(max_body=max_body, body_seconds=body_seconds)
        self.head_seconds, self.keep_alive_seconds = head_seconds, keep_alive_seconds
        self.parts: list[Part] = []
        self.ready = threading.Event()
        self.port: int | None = None

    def part(self, name: str) -> Part:
        """A place for a door: the server opens once every part is ready."""
        part = Part(name, self)
        self.parts.append(part)
        return part

    @property
    def url(self) -> str:
        return f"http://{self.settings.host}:{self.port}"

    def _socket(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.settings.host else socket.AF_INET
        # IPPROTO_TCP, so asyncio sets TCP_NODELAY on each connection: a response's head and body go
        # out in two writes, and without it the body waits for the client's delayed ACK (~40 ms).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hasattr(socket, "SO_REUSEPORT"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        try:
            sock.bind((self.settings.host, self.settings.port))
        except OSError as e:
            sock.close()
            raise RuntimeError(
                f"the web server cannot listen on {self.settings.host}:{self.settings.port}: {e}"
            ) from e
        sock.listen(256)  # bursts of requests queue rather than being refused
        sock.setblocking(False)
        return sock

    def run(self, stop: threading.Event) -> None:
        import uvicorn

        from bot import runtime

        for part in self.parts:
            while not part.opened.wait(0.1):
                if stop.is_set():
                    return
        sock = self._socket()
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,  # the app writes one line per request itself
            http=_protocol(self.head_seconds),
            lifespan="off",
            timeout_keep_alive=self.keep_alive_seconds,
            server_header=False,
        )
        server = uvicorn.Server(config)
        future = runtime.submit(server.serve(sockets=[sock]))
        try:
            while not server.started:
                if future.done():
                    future.result()  # raises why it could not start
                    raise RuntimeError("the web server stopped at once")
                if stop.wait(0.02):
                    return
            self.out.write(self._opened())
            self.out.flush()
            self.ready.set()
            while not stop.wait(0.5):
                if future.done():
                    future.result()
                    raise RuntimeError("the web server stopped")
        finally:
            server.should_exit = True
            try:
                future.result(timeout=10)
            finally:
                sock.close()

    def _opened(self) -> str:
        lines = [f"Web server listening on {self.url}"]
        lines.extend(f"  {self.url}{r.path}{'…' if r.prefix else ''} ({r.part})" for r in self.app.routes)
        lines.append(f"  {self.url}/health")
        return "\n".join(lines) + "\n"
