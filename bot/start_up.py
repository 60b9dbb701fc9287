"""Python's cycle collector paused while `serve` or the shell starts.

Starting imports SQLAlchemy, pydantic, the core and (for `serve`) the door SDKs: a few hundred
thousand objects that live as long as the process. Every few hundred new objects the cycle
collector runs, and now and then it walks all of them, freeing nothing: 0.2–0.3 s of the CPU
`serve` spends before both doors are ready. So the command line pauses it from its first line
(`pause`) until the command is up (`resume`: `serve` once every door is ready, the shell before
its first line); then what start-up made is set aside for good (`gc.freeze`, so later
collections skip it) and the collector runs as before. Only the process's own command line
pauses it: `resume` does nothing if `pause` did not (tests call `run_serve` directly).
(`handlers/documents_render.py` pauses it around one document, inside one call.)
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterable

UP_WITHIN_SECONDS = 60.0  # however slow the start, the collector runs again by then

_paused = False
_lock = threading.Lock()


def pause() -> None:
    global _paused
    with _lock:
        if gc.isenabled():
            gc.disable()
            _paused = True


def resume() -> None:
    """The collector on again (once), start-up's objects frozen; nothing if `pause` did not pause it."""
    global _paused
    with _lock:
        if _paused:
            _paused = False
            gc.freeze()
            gc.enable()


def resume_when_set(events: Iterable[threading.Event], within: float = UP_WITHIN_SECONDS) -> None:
    """`resume` in a thread of its own once every event is set (each service up), or after `within`."""
    if not _paused:
        return
    waiting = list(events)

    def wait() -> None:
        deadline = time.monotonic() + within
        for event in waiting:
            event.wait(max(0.0, deadline - time.monotonic()))
        resume()

    threading.Thread(target=wait, name="start-up", daemon=True).start()
