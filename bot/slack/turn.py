"""One HTTP request's race between its listener's work and Slack's ack budget.

In HTTP mode the door runs Bolt's `dispatch` on a core thread (bot/slack/http_mode.py), so a
listener's `SlackDoor.in_time` runs the core right there instead of handing it to another
thread and blocking on it; the event loop keeps the budget instead. Whichever comes first wins,
under one lock: the core finishing (its answer goes in the ack) or the budget running out (the
event loop acks "Working on it…" and the answer is delivered later, as Socket Mode's `in_time`
does).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

_here = threading.local()


class Turn:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.late = False  # the budget ran out first: the ack has gone without the answer
        self.finished = False  # the core finished first: the ack waits for the listener

    def finish(self) -> bool:
        """The core is done: whether its answer may still go in the ack."""
        with self._lock:
            self.finished = True
            return not self.late

    def give_up(self) -> bool:
        """The budget ran out: whether to ack now, without the answer (False: the core just finished)."""
        with self._lock:
            if self.finished:
                return False
            self.late = True
            return True


def current() -> Turn | None:
    """The turn of the request this thread is dispatching, if the HTTP door started one."""
    turn: Turn | None = getattr(_here, "turn", None)
    return turn


def run_in(turn: Turn, fn: Callable[[], T]) -> T:
    """`fn` on this (core) thread, with `turn` as the current request's."""
    _here.turn = turn
    try:
        return fn()
    finally:
        _here.turn = None
