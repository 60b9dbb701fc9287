"""The process's one event loop, in a thread of its own.

The web server (bot/web.py), the Teams SDK and Graph are asynchronous, and their HTTP clients
belong to the loop that first used them; the core, the reminder sweep and the CLI are
synchronous. So every coroutine of the web server, the doors and their couriers runs on this
one loop, and synchronous callers wait for it with `run`. The core runs on the loop's
executor threads (or the web server's thread pool), never on the loop itself.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None
_workers = 0


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        uvloop = importlib.import_module("uvloop")  # a dependency (pyproject), but none on Windows
    except ImportError:
        return asyncio.new_event_loop()
    loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
    return loop


def _executor(workers: int) -> concurrent.futures.ThreadPoolExecutor:
    return concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="core")


def loop(workers: int = 8) -> asyncio.AbstractEventLoop:
    """The process's loop, started on first use; its executor has at least `workers` threads."""
    global _loop, _thread, _workers
    with _lock:
        if _loop is not None and _thread is not None and _thread.is_alive():
            if workers > _workers:  # a door asks for more threads than whoever started the loop
                _loop.call_soon_threadsafe(_loop.set_default_executor, _executor(workers))
                _workers = workers
            return _loop
        new = _new_loop()
        new.set_default_executor(_executor(workers))
        ready = threading.Event()

        def main() -> None:
            asyncio.set_event_loop(new)
            new.call_soon(ready.set)
            new.run_forever()

        thread = threading.Thread(target=main, name="event-loop", daemon=True)
        thread.start()
        ready.wait(10)
        _loop, _thread, _workers = new, thread, workers
        return new


def submit(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    return asyncio.run_coroutine_threadsafe(coro, loop())


def run(coro: Coroutine[Any, Any, T], timeout: float | None = 120.0) -> T:
    """Run a coroutine on the loop and wait for it (from any thread but the loop's own)."""
    if _thread is not None and threading.current_thread() is _thread:
        coro.close()
        raise RuntimeError("runtime.run called on the event loop itself: await the coroutine instead")
    future = submit(coro)
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise TimeoutError(f"the event loop did not finish within {timeout} s") from None
