"""Python's cycle collector, paused while a document is made (PDF, Word, charts): shared by the
documents and the year report's second process, which imports nothing else of the documents."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Python's cycle collector paused while a document is made. WeasyPrint and matplotlib create
    millions of short-lived objects, and each full collection they set off walks every object of the
    process (the ORM, the doors): about a tenth of a PDF's time, for nothing. What they leave is
    collected as usual afterwards. Nested or in two threads at once, the outermost turns it back on."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()
