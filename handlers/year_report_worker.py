"""The year report's second process: it draws the charts and writes the Word file while this one
lays out and writes the PDF, so a report takes about half the time on a machine of two CPUs.

One worker per process, started by `start()` when a report begins (its imports of matplotlib and
python-docx overlap with the figures read from the database) and kept for the next report; shut
down at exit. It is started with `spawn`, never `fork`: the bot server is threaded, and a forked
copy of a threaded process may hold another thread's locks. Only plain data crosses: the report's
figures (dataclasses, about 90 KB pickled for a year of 20 series, a few milliseconds) one way,
the PNG charts and the Word file the other.

Nothing here is needed for a report to be made: with one CPU, the setting off
(`documents: {report_worker: false}`), a worker that cannot start or that fails, the report is
made in this process (handlers/year_report_render.py), the failure logged.
"""

from __future__ import annotations

import atexit
import itertools
import logging
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.year_figures import YearReport
    from handlers.year_report_charts import Chart

log = logging.getLogger("partnerbot.year_report")

# Longer than any report takes: a worker that has not answered by then is taken for stuck.
WAIT_S = 300.0

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_stopping_registered = False
_tokens = itertools.count(1)


class WorkerFailed(Exception):
    """The worker could not do its part: the caller does it in this process."""


def cpus() -> int:
    """The CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def start() -> ProcessPoolExecutor | None:
    """The worker, started now if it is not running (it imports what it draws with meanwhile).
    None with one CPU, or if it cannot be started (logged)."""
    global _pool, _stopping_registered
    with _lock:
        if _pool is not None:
            return _pool
        if cpus() < 2:
            return None
        import multiprocessing

        try:
            pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            pool.submit(_warm)  # starts the process
        except Exception as e:  # no processes allowed, no memory: the report is made here
            log.warning("year report: no second process (%s: %s); made in one", type(e).__name__, e)
            return None
        _pool = pool
        if not _stopping_registered:
            atexit.register(stop)
            _stopping_registered = True
        return pool


def stop() -> None:
    """Shut the worker down (at exit; a later report starts another)."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def _forget(pool: ProcessPoolExecutor) -> None:
    """A worker that failed or hangs is ended; the next report starts a new one."""
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    processes = dict(getattr(pool, "_processes", None) or {})
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        if process.is_alive():
            process.kill()


class Split:
    """One report's charts and Word file, being made by the worker."""

    def __init__(self, pool: ProcessPoolExecutor, report: YearReport) -> None:
        token = next(_tokens)
        self._pool = pool
        self._charts: Future[list[Chart]] = pool.submit(_draw, token, report)
        self._word: Future[bytes] = pool.submit(_word, token)

    @classmethod
    def begin(cls, report: YearReport) -> Split | None:
        pool = start()
        if pool is None:
            return None
        try:
            return cls(pool, report)
        except Exception as e:  # a worker that died since the last report
            log.warning("year report: the second process is gone (%s: %s); made in one", type(e).__name__, e)
            _forget(pool)
            return None

    def charts(self) -> list[Chart]:
        return self._result(self._charts)

    def word(self) -> bytes:
        return self._result(self._word)

    def _result(self, future: Future[Any]) -> Any:
        try:
            return future.result(timeout=WAIT_S)
        except Exception as e:
            _forget(self._pool)
            raise WorkerFailed(f"{type(e).__name__}: {e}") from e


# --- in the worker -----------------------------------------------------------------------------------

# Each report's figures and charts, between drawing them and writing its Word file.
_kept: dict[int, tuple[YearReport, list[Chart]]] = {}


def _warm() -> int:
    """Import what the worker draws and writes with, before the first report reaches it."""
    import docx  # noqa: F401

    from handlers import year_report_word  # noqa: F401
    from handlers.year_report_charts import _canvas_class

    _canvas_class()
    return os.getpid()


def _draw(token: int, report: YearReport) -> list[Chart]:
    from handlers.collector import cycle_collection_paused
    from handlers.year_report_charts import charts

    with cycle_collection_paused():
        drawn = charts(report.scopes)
    _kept[token] = (report, drawn)
    return drawn


def _word(token: int) -> bytes:
    from handlers.collector import cycle_collection_paused
    from handlers.year_report_sections import sections
    from handlers.year_report_word import render_docx

    report, drawn = _kept.pop(token)
    with cycle_collection_paused():
        return render_docx(report, sections(report, drawn), drawn)
