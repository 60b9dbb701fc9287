"""The Slack door: a sync Bolt `App` around the core, with the helpers its listeners share.

Each listener first lets the core do its work (one short transaction: what came in is
stored before anything slow), answers Slack inside its 3 seconds, and leaves the Web API
calls to a small pool. A command that is not ready in time (a PDF being rendered) is acked
with "Working on it…" and answered when done.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime
from typing import Any, TypeVar

from slack_bolt import App as BoltApp
from slack_bolt import BoltRequest, BoltResponse
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.app import App
from bot.slack.config import SlackConfig
from bot.slack.deliver import Poster, Where
from bot.slack.identity import DOOR, Identities
from bot.slack.render import from_slack
from bot.slack.turn import Turn, run_in
from bot.slack.turn import current as current_turn
from handlers.context import Request
from handlers.core import database_away, not_saved
from handlers.faults import log_error
from handlers.reply import Reply

log = logging.getLogger("partnerbot.slack")

T = TypeVar("T")

ACK_BUDGET = 2.0  # seconds of Slack's 3 spent waiting for the core before acking "working on it"
WORKING = "Working on it…"


def make_client(config: SlackConfig) -> WebClient:
    """The Web API client: honours Retry-After on 429 (twice), and a local base URL in tests."""
    kwargs: dict[str, Any] = {"token": config.bot_token, "timeout": 30}
    if config.api_base_url:
        kwargs["base_url"] = config.api_base_url.rstrip("/") + "/"
    if config.proxy:
        kwargs["proxy"] = config.proxy
    client = WebClient(**kwargs)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


def ts_time(ts: str) -> datetime:
    """A Slack message timestamp as the message's own time (dates like "Friday" count from it).

    One that is no time ("abc", "nan", "1e400": never from Slack, but a payload is input) is
    taken as now, the time it arrived, rather than failing the request."""
    try:
        return datetime.fromtimestamp(float(ts), UTC)
    except (ValueError, OverflowError, OSError, TypeError):
        return datetime.now(UTC)


class SlackDoor:
    def __init__(
        self,
        app: App,
        config: SlackConfig,
        *,
        client: WebClient | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.app, self.config = app, config
        self.ack_budget = ACK_BUDGET
        # Every loaded partnership: a channel's binding decides which answers (handlers/router.py).
        self.core = app.router(config.partnership)
        self.partnership_id = self.core.partnership_id  # the home one, when nothing else decides
        self.client = client or make_client(config)
        self.clock = clock or (lambda: datetime.now(UTC))
        self.identities = Identities(self.core, self.client, self.clock)
        self.poster = Poster(self.client, self.identities, config.name)
        self._work = ThreadPoolExecutor(config.threads, thread_name_prefix="slack-core")
        self._out = ThreadPoolExecutor(4, thread_name_prefix="slack-out")
        self._pending: set[Future[Any]] = set()
        self._lock = threading.Lock()
        self.bolt = BoltApp(
            name=config.name,
            client=self.client,
            signing_secret=config.signing_secret or "",
            process_before_response=config.process_before_response,
            logger=logging.getLogger("partnerbot.slack.bolt"),
        )
        from bot.slack.listeners import register

        register(self.bolt, self)

    # --- running work ------------------------------------------------------------------------------------
    def in_time(self, job: Callable[[], T], then: Callable[[T], None] | None = None) -> T | None:
        """Run `job` (the core) within the ack budget; if it is late, `then` gets its result later."""
        turn = current_turn()
        if turn is not None:  # HTTP mode: already on a core thread, and the event loop keeps the budget
            result = job()
            if turn.finish():
                return result
            if then is not None:
                self.later(then, result)
            return None
        lock = threading.Lock()
        state = {"late": False, "finished": False}

        def run() -> T:
            result = job()
            with lock:
                state["finished"] = True
                if state["late"] and then is not None:
                    self.later(then, result)  # queued before this job counts as done: wait_idle sees it
            return result

        fut = self._track(self._work.submit(run))
        try:
            return fut.result(timeout=self.ack_budget)
        except FutureTimeout:
            with lock:
                if not state["finished"]:
                    state["late"] = True
                    return None
            return fut.result()  # it finished just as the budget ran out

    def dispatch_in_turn(self, turn: Turn, request: BoltRequest) -> Future[BoltResponse]:
        """Bolt's `dispatch` of one HTTP request on a core thread (bot/slack/turn.py)."""
        return self._track(self._work.submit(run_in, turn, lambda: self.bolt.dispatch(request)))

    def later(self, fn: Callable[..., Any], *args: Any) -> None:
        """Slow work after the ack: Web API calls. Failures are logged, never raised to Slack."""

        def run() -> None:
            try:
                fn(*args)
            except Exception as e:
                log_error(log, "Slack delivery failed", e)  # never the message's words

        self._track(self._out.submit(run))

    def _track(self, fut: Future[T]) -> Future[T]:
        with self._lock:
            self._pending.add(fut)
        fut.add_done_callback(self._done)
        return fut

    def _done(self, fut: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(fut)

    def wait_idle(self, timeout: float = 30.0) -> None:
        """Until every background job has finished (tests; and a clean stop)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                pending = list(self._pending)
            if not pending:
                return
            for fut in pending:
                with contextlib.suppress(Exception):  # failures are logged where they happen
                    fut.result(timeout=max(0.0, deadline - time.monotonic()))
        raise TimeoutError("Slack background work did not finish")

    def close(self) -> None:
        try:
            self.wait_idle(10)
        except TimeoutError:
            log.warning("stopping with Slack deliveries still running")
        self._work.shutdown(wait=False)
        self._out.shutdown(wait=False)

    # --- the core ------------------------------------------------------------------------------------------
    def request(
        self,
        where: Where,
        text: str,
        *,
        at: datetime | None = None,
        message_id: str | None = None,
        event_id: str | None = None,
        series_hint: str | None = None,
    ) -> Request:
        return Request(
            door=DOOR,
            channel=where.channel or f"home:{where.user}",
            user=where.user,
            text=text,
            at=at or self.clock(),
            direct=where.direct or where.channel is None,
            message_id=message_id,
            series_hint=series_hint,
            event_id=event_id,
        )

    def handle(self, req: Request) -> Reply:
        try:
            self.identities.learn_if_new(req.user)  # someone new: match their profile e-mail first
        except Exception as e:  # the database away: the core's own answer, not a failed request
            if not database_away(e):
                raise
            return not_saved(e)
        return self.core.handle(req)

    def inbound(self, text: str, channel: str | None = None) -> str:
        """What a person wrote, as the core reads it: mentions as initials in the channel's partnership."""
        return from_slack(text, lambda user: self.identities.mention(user, channel)).strip()


def message_key(channel: str, ts: str) -> str:
    """One message, whichever way it is captured (thread line, shortcut, emoji): channel + ts."""
    return f"{channel}:{ts}"


def build_door(app: App, config: SlackConfig, **kwargs: Any) -> SlackDoor:
    config.require_tokens()
    return SlackDoor(app, config, **kwargs)
