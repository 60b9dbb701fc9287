"""`partnerbot nudge` (one sweep, as of a time) and `partnerbot serve` (the long-running process).

`serve` runs a list of services, each in its own thread: the reminder sweep every minute
first; the doors add theirs through bot/plugs.py, and the one web server (bot/web.py) runs
when a door has taken a place on it. A service that dies stops the process (exit code 1), so
a supervisor restarts it — never a silently dead thread. Several `serve` processes may share
one PostgreSQL database.
"""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.plugs import SERVICE_FACTORIES, Service, build_couriers, plug_doors
from bot.start_up import resume_when_set
from handlers.faults import log_error
from handlers.format import printable, when
from scheduler.policy import NudgeSettings
from scheduler.retention import RetentionRunner, RetentionService
from scheduler.sweep import Sweeper, SweepReport
from storage.models import Partnership

if TYPE_CHECKING:
    from bot.app import App
    from bot.terminal_courier import TerminalCourier
    from scheduler.couriers import Courier

log = logging.getLogger("partnerbot.serve")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    n = sub.add_parser("nudge", help="run one reminder sweep and print what it sent")
    n.add_argument(
        "--at", help="the sweep's clock, ISO time (default: now; no offset: the partnership's time)"
    )
    n.add_argument("--partnership", help="only this partnership (default: every one loaded)")
    s = sub.add_parser("serve", help="run the doors and the reminder sweep (every minute) until stopped")
    s.add_argument(
        "--partnership",
        help="sweep only this partnership's reminders, and make it the doors' home one "
        "(the doors serve every partnership loaded; default: sweep every one)",
    )
    s.add_argument("--interval", type=float, default=60.0, help="seconds between sweeps (default: 60)")
    s.add_argument("--sweeps", type=int, help=argparse.SUPPRESS)  # tests: stop after N sweeps


def _settings(app: App) -> NudgeSettings:
    return app.settings.nudges.resolve()  # app.yaml was checked whole when it was loaded


def _sweeper(app: App, couriers: dict[str, Courier], settings: NudgeSettings, pid: str | None) -> Sweeper:
    """The one sweep of `nudge` and `serve`: every partnership, or the one named."""
    return Sweeper(
        app.sessions,
        couriers,
        settings,
        partnerships=[pid] if pid else None,
        rosters=app.setup.rosters,
        retention=app.settings.retention.resolve(),
    )


def _terminal(app: App, out: TextIO) -> TerminalCourier:
    from bot.shell import ShellDoor
    from bot.terminal_courier import TerminalCourier

    return TerminalCourier(ShellDoor(app.router(), out, user=""))


def report_zone(app: App, partnership: str | None) -> ZoneInfo:
    """The time zone a sweep report is written in: the partnership's (UTC if those swept differ)."""
    with app.sessions() as session:
        query = select(Partnership.timezone).distinct()
        if partnership:
            query = query.where(Partnership.id == partnership)
        zones = list(session.scalars(query))
    return ZoneInfo(zones[0] if len(zones) == 1 else "UTC")


def _report_lines(report: SweepReport, tz: ZoneInfo) -> list[str]:
    zone = " UTC" if tz.key == "UTC" else ""
    lines = [f"Sweep as of {when(report.at, tz)}{zone}: {report.summary()}."]
    lines.extend(
        f"  sent to {m.initials} by {m.door}: {m.nudges} nudge(s), {', '.join(m.kinds)}"
        + (" — possible duplicate" if m.possible_duplicate else "")
        for m in report.sent
    )
    lines.extend(
        f"  to {f.initials} failed: {f.error}; "
        + (f"retry after {when(f.retry_at, tz)}{zone}" if f.retry_at else "given up")
        for f in report.failed
    )
    if report.claimed or report.new_claims:
        lines.append(f"  found and claimed in {report.find_claim_seconds:.3f} s")
    if report.retention:  # app.yaml's `retention:`: what passed its time
        done = ", ".join(f"{cls.replace('_', ' ')} {n}" for cls, n in sorted(report.retention.items()))
        lines.append(f"  retention: rows deleted or blanked: {done}")
    return lines


def run_nudge(app: App, args: argparse.Namespace, out: TextIO) -> int:
    settings = _settings(app)
    pid = app.partnership_id(args.partnership) if args.partnership else None
    tz = report_zone(app, pid)
    if args.at:
        try:
            at = datetime.fromisoformat(args.at)
        except ValueError:
            out.write(f"--at: cannot read {args.at!r}; use e.g. 2024-03-08T09:00:00+00:00\n")
            return 2
        at = at if at.tzinfo else at.replace(tzinfo=tz)
    else:
        at = datetime.now(UTC)
    plug_doors()
    couriers = build_couriers(app, _terminal(app, out))
    report = _sweeper(app, couriers, settings, pid).run(at)
    out.write(printable("\n".join(_report_lines(report, tz)) + "\n"))
    return 0


# --- serve ------------------------------------------------------------------------------------------------


class SweepService:
    """The reminder sweep, on the minute. A failed sweep is logged and the next one tries again."""

    name = "sweep"

    def __init__(
        self,
        sweeper: Sweeper,
        out: TextIO,
        interval: float = 60.0,
        max_sweeps: int | None = None,
        tz: ZoneInfo | None = None,
    ) -> None:
        self.sweeper, self.out, self.interval, self.max_sweeps = sweeper, out, interval, max_sweeps
        self.tz = tz or ZoneInfo("UTC")
        self.done = 0

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                report = self.sweeper.run(datetime.now(UTC))
                if report.sent or report.failed:
                    self.out.write(printable("\n".join(_report_lines(report, self.tz)) + "\n"))
                    self.out.flush()
            except Exception as e:  # the database may be away for a moment; the next sweep finds everything
                log_error(log, "reminder sweep failed; trying again at the next one", e)
            self.done += 1
            if self.max_sweeps is not None and self.done >= self.max_sweeps:
                return
            # Sweep on the interval's boundary, so processes and restarts keep one rhythm.
            stop.wait(self.interval - (time.time() % self.interval))


def _log_to_stderr() -> None:
    """`serve` logs warnings and errors, and the web server's access log, to standard error."""
    if not logging.getLogger().handlers:  # an embedding program's own logging is left alone
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("partnerbot.web.access").setLevel(logging.INFO)


def run_serve(app: App, args: argparse.Namespace, out: TextIO) -> int:
    from bot.answer_page import mount as mount_answer_page
    from bot.database_wait import wait_for_database
    from bot.web import WebServer

    _log_to_stderr()
    if not wait_for_database(app, out):  # retried, /health unhealthy meanwhile; stopped before it answered
        return 1
    settings = _settings(app)
    web = WebServer(app.settings.web, out)
    for loaded in app.load_files():  # the partnership files of app.yaml; an unchanged file changes nothing
        for warning in loaded.warnings:  # an invisible character in a name: loaded, but said
            log.warning("partnership %s: %s", loaded.partnership_id, warning)
    plug_doors()
    pid = app.partnership_id(args.partnership) if args.partnership else None
    extra = [_terminal(app, out)] if app.settings.doors.shell.enabled else []
    couriers = build_couriers(app, *extra)
    sweeper = _sweeper(app, couriers, settings, pid)
    services: list[Service] = []
    if app.settings.nudges.enabled:
        services.append(SweepService(sweeper, out, args.interval, args.sweeps, report_zone(app, pid)))
    for factory in SERVICE_FACTORIES:
        service = factory(app, args, out, web)
        if service is not None:
            services.append(service)
    mount_answer_page(app, web, out, couriers)  # /answer/…, when app.yaml gives web.public_url
    if web.parts:  # a door has routes or a health check: the one web server serves them
        services.append(web)
    if not services:
        out.write("Nothing to serve: reminders are off (nudges: enabled: false) and no door is configured.\n")
        return 1
    if not app.settings.nudges.enabled:  # no sweep to run retention: it runs on its own
        services.append(RetentionService(RetentionRunner(app.sessions, app.settings.retention.resolve())))
    # The cycle collector runs again once every service says it is up (bot/start_up.py).
    up = [e for s in services for e in (getattr(s, "ready", None), getattr(s, "loaded", None))]
    resume_when_set(e for e in up if isinstance(e, threading.Event))
    return supervise(services, out, until_first_returns=args.sweeps is not None)


def supervise(services: list[Service], out: TextIO, *, until_first_returns: bool = False) -> int:
    """Run each service in a thread until SIGINT/SIGTERM; if one dies, stop them all and fail."""
    stop = threading.Event()
    failed: list[str] = []

    def guard(service: Service) -> None:
        try:
            service.run(stop)
        except Exception:
            log.exception("service %s stopped with an error", service.name)
            failed.append(service.name)
        finally:
            if until_first_returns and not failed:
                # A bounded run (`--sweeps`, for tests) ends only once every service has come up,
                # so what each says on starting is there to read, however slow the machine.
                for other in services:
                    ready = getattr(other, "ready", None)
                    if isinstance(ready, threading.Event):
                        ready.wait(timeout=60)
            if failed or until_first_returns:
                stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    threads = [threading.Thread(target=guard, args=(s,), name=s.name, daemon=True) for s in services]
    out.write(f"partnerbot serving: {', '.join(s.name for s in services)}. Ctrl-C stops.\n")
    out.flush()
    for t in threads:
        t.start()
    while not stop.is_set():
        stop.wait(0.5)
    for t in threads:
        t.join(timeout=10)
    for sig, handler in previous.items():
        signal.signal(sig, handler)
    if failed:
        out.write(f"Stopped: {', '.join(failed)} failed (see the log).\n")
        return 1
    return 0


COMMANDS = {"nudge": run_nudge, "serve": run_serve}
