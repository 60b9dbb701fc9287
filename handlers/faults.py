"""Logging an unexpected fault without the message that caused it.

Messages speak of children and families: their text never goes to the log at the default level.
Nor does the exception's own text, which may quote it (a database error shows the values it was
given). The log line carries what an operator needs to find the fault: its class, where it was
raised, a short reference the person was shown, and the door's ids of the conversation and message.
The traceback and the text go to DEBUG only, for someone debugging on their own machine.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from pathlib import Path

from handlers.context import Request


def fault_reference() -> str:
    return uuid.uuid4().hex[:8]


def where_raised(exc: BaseException) -> str:
    """The innermost frame of the exception: `module.py:123 in function`, no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown place"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} in {last.name}"


def log_fault(log: logging.Logger, what: str, req: Request, exc: BaseException) -> str:
    """Log an unexpected fault in handling `req` safely; return the reference to show the person."""
    ref = fault_reference()
    log.error(
        "%s (ref %s): %s at %s; door %s, channel %s, user %s, message %s, event %s, %d characters",
        what,
        ref,
        type(exc).__name__,
        where_raised(exc),
        req.door,
        req.channel,
        req.user,
        req.message_id or "-",
        req.event_id or "-",
        len(req.text),
    )
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s (ref %s): text %r", what, ref, req.text, exc_info=exc)
    return ref


def log_error(log: logging.Logger, what: str, exc: BaseException) -> None:
    """Log a fault outside a message (a sweep, a delivery) by its class and place; the text at DEBUG.

    `what` says what failed, with ids only: an exception's own text may quote a reminder's words.
    """
    log.error("%s: %s at %s", what, type(exc).__name__, where_raised(exc))
    if log.isEnabledFor(logging.DEBUG):
        log.debug("%s", what, exc_info=exc)
