"""Slack's HTTP mode on the one web server: the events path, dispatched by the door's sync Bolt app.

Each POST is read whole by the web server (size and time limits), checked here on the event
loop, then handed to the same `slack_bolt.App` that Socket Mode uses, on one of the door's core
threads (`slack.threads`, a small bounded pool): Bolt checks the signature again, and the
listener of bot/slack/listeners.py runs the core in that same thread (bot/slack/turn.py), so a
command crosses from the event loop to a core thread and back once. The event loop keeps
Slack's ack budget: a request whose listener is not done in time is acked "Working on it…"
(a command) or empty (anything else), and the listener delivers its answer when the core is done.

What is checked here, so nothing malformed reaches Bolt (which would answer 500 and log a
traceback): the signature first — a missing or non-numeric `X-Slack-Request-Timestamp`, one
more than five minutes away, or a wrong `X-Slack-Signature` gets 401; then the signed body —
not UTF-8, or JSON (an event, or an interaction's `payload=`) that does not parse to an object,
gets 400.

Replays: Slack's retries carry the event id of the first delivery, and the core records each
event id once, so a retry changes nothing — in either mode. A retry (`X-Slack-Retry-Num`) of an
event already recorded is acked at once with `X-Slack-No-Retry: 1` and runs nothing; one whose
first delivery never got through runs as usual. A slash command carries no event id: its
`trigger_id` stands for one (bot/slack/listeners.py), so a replayed command changes nothing.

Why not Bolt's AsyncApp: an AsyncApp accepts only coroutine listeners and hands them async
`ack`, `respond` and `client` objects, while the listeners are synchronous and shared with
Socket Mode (the core is synchronous). It would need a second registration of every listener
and an aiohttp Web API client beside the door's own, and it would save nothing measurable:
with the core's answers cached, `serve` answers as many signed commands per second as a no-op
AsyncApp on the same core (the bench's `--door-only`), and a command through an AsyncApp would
make the same one crossing to a core thread and back (docs/performance.md, "Slack"). Bolt's sync Starlette
adapter, for its part, calls `dispatch` on the event loop itself, which would stall every other
route for as long as the core takes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import BoltRequest
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.request.internals import parse_body
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import Receive, Scope, Send

from bot.slack.app import WORKING
from bot.slack.turn import Turn

if TYPE_CHECKING:
    from bot.slack.app import SlackDoor

log = logging.getLogger("partnerbot.slack")

MAX_AGE = 300  # seconds: Slack's own rule for a request's timestamp, as Bolt applies it


def signed(secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float) -> bool:
    """Whether Slack signed this body, within MAX_AGE of now (Slack's v0 signing scheme)."""
    if not timestamp or not signature or not timestamp.isascii() or not timestamp.isdigit():
        return False
    if abs(now - int(timestamp)) > MAX_AGE:
        return False
    mac = hmac.new(secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    # As bytes: a header may carry any Latin-1 character, which a str comparison refuses.
    return hmac.compare_digest(b"v0=" + mac.hexdigest().encode(), signature.encode("latin-1"))


class SlackEvents:
    """The ASGI route for Slack's events, commands and interactions (one URL for all)."""

    def __init__(
        self, door: SlackDoor, signing_secret: str, handled: Callable[[str], bool] | None = None
    ) -> None:
        """`handled(event_id)`: whether the core has recorded that event already."""
        self.door, self.signing_secret = door, signing_secret
        self.handled = handled or (lambda event_id: False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method != "POST":
            await JSONResponse({"error": "Slack POSTs here"}, status_code=405)(scope, receive, send)
            return
        body = await request.body()
        checked = self.check(request, body)
        if isinstance(checked, Response):
            await checked(scope, receive, send)
            return
        retry = request.headers.get("x-slack-retry-num")
        event_id = checked.get("event_id")
        if retry is not None and isinstance(event_id, str) and await self._handled(event_id):
            log.info("Slack retry %s of %s: handled already", retry[:4], event_id[:40])
            await Response(status_code=200, headers={"x-slack-no-retry": "1"})(scope, receive, send)
            return
        response = await self._dispatch(to_bolt_request(request, body), checked)
        await response(scope, receive, send)

    async def _dispatch(self, request: BoltRequest, checked: dict[str, Any]) -> Response:
        """Bolt on a core thread, the listener's core work with it; the ack budget kept here."""
        if not self.door.config.process_before_response:
            # Bolt then runs the listener in a thread of its own while `dispatch` waits for the ack:
            # on a core thread, that wait would hold a thread the listener's core work needs.
            return to_starlette_response(await run_in_threadpool(self.door.bolt.dispatch, request))
        turn = Turn()
        work = asyncio.wrap_future(self.door.dispatch_in_turn(turn, request))
        done, _ = await asyncio.wait((work,), timeout=self.door.ack_budget)
        if done or not turn.give_up():  # in time, or the core finished just as the budget ran out
            return to_starlette_response(await work)
        # Acked now; the listener delivers the answer when the core is done (SlackDoor.in_time).
        work.add_done_callback(lambda f: f.cancelled() or f.exception())  # its failures are logged by Bolt
        if "command" in checked:
            return PlainTextResponse(WORKING)  # as the listener's ack(text=…): shown only to the person
        return Response(status_code=200)

    async def _handled(self, event_id: str) -> bool:
        return bool(await run_in_threadpool(self.handled, event_id))

    def check(self, request: Request, body: bytes) -> dict[str, Any] | Response:
        """The body as Bolt reads it, or the answer to a request not signed or not well formed."""
        headers = request.headers
        stamp, signature = headers.get("x-slack-request-timestamp"), headers.get("x-slack-signature")
        if not signed(self.signing_secret, stamp, signature, body, time.time()):
            log.warning("Slack request refused (401): missing, stale or wrong signature")
            return JSONResponse({"error": "invalid request signature"}, status_code=401)
        try:
            parsed = parse_body(body.decode("utf-8"), headers.get("content-type"))
        except UnicodeDecodeError:
            log.warning("Slack request refused (400): the body is not UTF-8")
            return JSONResponse({"error": "the body must be UTF-8"}, status_code=400)
        except ValueError:  # JSON that does not parse (json.JSONDecodeError is a ValueError)
            log.warning("Slack request refused (400): its JSON does not parse")
            return JSONResponse({"error": "the body's JSON does not parse"}, status_code=400)
        if not isinstance(parsed, dict):
            log.warning("Slack request refused (400): its JSON is not an object")
            return JSONResponse({"error": "the body's JSON must be an object"}, status_code=400)
        return parsed
