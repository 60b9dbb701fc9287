"""Back off and retry outbound calls to Teams and Graph: neither SDK does it for us.

Retried: 429 (throttled), 412 (Teams' "precondition failed" under load), 502, 503, 504 and
network errors. The wait is exponential with full jitter, never shorter than the server's
Retry-After, and the whole call has a time budget: past it the caller gets `RetryLater`
(the reminder sweep then retries the digest later instead of blocking a thread for minutes).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

log = logging.getLogger("partnerbot.teams.retry")

RETRY_STATUSES = frozenset({412, 429, 502, 503, 504})
T = TypeVar("T")


class RetryLater(Exception):
    """Still throttled or failing when the budget ran out."""

    def __init__(self, message: str, status: int | None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def status_of(error: BaseException) -> int | None:
    """The HTTP status of an httpx (Teams SDK) or Kiota (Graph SDK) error; None for other errors."""
    response = getattr(error, "response", None)
    code = getattr(response, "status_code", None)
    if isinstance(code, int):
        return code
    code = getattr(error, "response_status_code", None)
    return code if isinstance(code, int) else None


def headers_of(error: BaseException) -> Mapping[str, str]:
    response = getattr(error, "response", None)
    headers = getattr(response, "headers", None)
    if headers is not None:
        return headers
    return getattr(error, "response_headers", None) or {}


def retry_after(error: BaseException) -> float | None:
    """Seconds the server asked us to wait (Retry-After as seconds or an HTTP date)."""
    headers = headers_of(error)
    value = None
    for key in ("Retry-After", "retry-after"):
        value = headers.get(key) if hasattr(headers, "get") else None
        if value:
            break
    if not value:
        return None
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def is_network_error(error: BaseException) -> bool:
    try:
        import httpx
    except ImportError:  # pragma: no cover - httpx comes with both SDKs
        return isinstance(error, (ConnectionError, TimeoutError))
    return isinstance(error, (httpx.TransportError, ConnectionError, TimeoutError))


def retryable(error: BaseException) -> bool:
    status = status_of(error)
    return status in RETRY_STATUSES if status is not None else is_network_error(error)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    what: str,
    budget: float = 20.0,
    attempts: int = 6,
    base: float = 0.5,
    cap: float = 15.0,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    rng: random.Random | None = None,
) -> T:
    """Run `call` until it succeeds, a non-retryable error is raised, or attempts/budget run out."""
    rng = rng or random.Random()
    deadline = time.monotonic() + budget
    for attempt in range(attempts):
        try:
            return await call()
        except Exception as e:
            if not retryable(e):
                raise
            status = status_of(e)
            asked = retry_after(e)
            # Full jitter: spreads the retries of many sends that were throttled together.
            wait = rng.uniform(0, min(cap, base * 2**attempt))
            if asked is not None:
                wait = max(wait, asked)
            left = deadline - time.monotonic()
            if attempt == attempts - 1 or wait > left:
                raise RetryLater(
                    f"{what}: {status or type(e).__name__} after {attempt + 1} attempt(s)", status, asked
                ) from e
            log.info("%s: %s, retrying in %.2f s", what, status or type(e).__name__, wait)
            await sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
