"""One event loop per process for the Teams SDK and Graph, in a thread of its own.

The SDKs are asynchronous and their HTTP clients belong to the loop that first used them;
the core, the reminder sweep and the CLI are synchronous. So every coroutine of the door,
the couriers and Graph runs on this one loop, and synchronous callers wait for it with
`run`. The core runs on the loop's executor threads, never on the loop itself.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

log = logging.getLogger("partnerbot.teams")

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def quiet_telemetry() -> None:
    """Set a no-op OpenTelemetry meter provider unless the operator configured one.

    The Teams SDK asks for a meter on every activity; with no provider set, OpenTelemetry's
    proxy keeps every one of them (about 2.6 KB a request, and p99 latency climbs).
    """
    from opentelemetry import metrics

    if os.environ.get("OTEL_PYTHON_METER_PROVIDER"):
        return
    if type(metrics.get_meter_provider()).__name__ == "_ProxyMeterProvider":
        metrics.set_meter_provider(metrics.NoOpMeterProvider())


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop  # optional: faster when installed
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()  # type: ignore[no-any-return]


def loop(workers: int = 8) -> asyncio.AbstractEventLoop:
    """The process's loop, started on first use."""
    global _loop, _thread
    with _lock:
        if _loop is not None and _thread is not None and _thread.is_alive():
            return _loop
        quiet_telemetry()
        new = _new_loop()
        new.set_default_executor(
            concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="teams-core")
        )
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(new)
            new.call_soon(ready.set)
            new.run_forever()

        thread = threading.Thread(target=main, name="teams-loop", daemon=True)
        thread.start()
        ready.wait(10)
        _loop, _thread = new, thread
        return new


def submit(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    return asyncio.run_coroutine_threadsafe(coro, loop())


def run(coro: Coroutine[Any, Any, T], timeout: float | None = 120.0) -> T:
    """Run a coroutine on the loop and wait for it (from any thread but the loop's own)."""
    if _thread is not None and threading.current_thread() is _thread:
        coro.close()
        raise RuntimeError("runtime.run called on the Teams loop itself: await the coroutine instead")
    future = submit(coro)
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise TimeoutError(f"the Teams loop did not finish within {timeout} s") from None
