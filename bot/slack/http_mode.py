"""Slack's HTTP mode on the one web server: the events path, dispatched by the door's sync Bolt app.

Each POST is read whole by the web server (size and time limits), then handed to the same
`slack_bolt.App` that Socket Mode uses, in a worker thread: Bolt checks the signature and its
age (401 when bad or stale), acks, and runs the listeners of bot/slack/listeners.py. Slack's
retries carry the event id of the first delivery, and the core records each event id once,
so a retry changes nothing — in either mode.

Why not Bolt's AsyncApp and its Starlette adapter: an AsyncApp accepts only coroutine
listeners and hands them async `ack`, `respond` and `client` objects. The listeners are
synchronous and shared with Socket Mode (the core is synchronous), so an AsyncApp would need
a second registration of every listener, each wrapped to run in a thread with a bridge that
blocks the thread on the loop's `ack` — and an aiohttp Web API client beside the door's own.
Bolt's sync Starlette adapter, for its part, calls `dispatch` on the event loop itself,
which would stall every other route for up to Slack's 3 seconds. Running the one sync app's
`dispatch` in a worker thread keeps one set of listeners, Bolt's own request checks, and a
free event loop.
"""

from __future__ import annotations

from slack_bolt import App as BoltApp
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send


class SlackEvents:
    """The ASGI route for Slack's events, commands and interactions (one URL for all)."""

    def __init__(self, bolt: BoltApp) -> None:
        self.bolt = bolt

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if request.method != "POST":
            await JSONResponse({"error": "Slack POSTs here"}, status_code=405)(scope, receive, send)
            return
        body = await request.body()
        # Thread pool: a listener may wait up to Slack's ack budget for the core.
        response = await run_in_threadpool(self.bolt.dispatch, to_bolt_request(request, body))
        await to_starlette_response(response)(scope, receive, send)
