"""`! sweep` in the shell: one reminder sweep as of the script's clock, delivered to the terminal.

Reminders print as the bot's direct messages (`→ HN: …`) with their typed answers; people
with only an e-mail address get e-mail instead when app.yaml configures SMTP, as they would
in production. One Sweeper serves the whole shell session, so its fault-injection count and
identity carry across `! sweep` lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.shell import ShellDoor
from handlers.format import when

if TYPE_CHECKING:
    from bot.app import App
    from scheduler.sweep import SweepReport


def plug(app: App, door: ShellDoor) -> None:
    """The sweep (and the couriers it delivers by) is built at the first `! sweep`, not at start:
    most shell sessions never sweep, and the scheduler's imports would slow every start."""
    built: list[Any] = []

    def sweep(shell: ShellDoor, rest: str) -> None:
        if not built:
            built.append(_sweeper(app, door))
        sweeper = built[0]
        if isinstance(sweeper, str):
            shell.say_local(f"✗ No reminders: {sweeper}")
            return
        report = sweeper.run(shell.now())
        tz = ZoneInfo(shell.core.roster().timezone)
        shell.say_local(f"(sweep {when(report.at, tz)}: {_summary(report)})")

    door.bang["sweep"] = sweep


def _sweeper(app: App, door: ShellDoor) -> Any:
    """The one Sweeper of this shell session, or why there is none (a door that cannot deliver)."""
    from bot.plugs import build_couriers
    from bot.terminal_courier import TerminalCourier
    from scheduler.sweep import Sweeper

    settings = app.settings.nudges.resolve()  # app.yaml was checked whole when it was loaded
    try:
        couriers = build_couriers(app, TerminalCourier(door))
    except ValueError as e:  # a door that cannot deliver: say so, keep the shell usable
        return str(e)
    return Sweeper(
        app.sessions,
        couriers,
        settings,
        partnerships=None,  # every partnership loaded, as `serve` does
        shuffle=False,  # one process: a stable order keeps scripts readable
        rosters=app.setup.rosters,
    )


def _summary(report: SweepReport) -> str:
    text = report.summary()
    by_mail = [m.initials for m in report.sent if m.door == "email"]
    if by_mail:
        text += f"; by e-mail to {', '.join(by_mail)}"
    for f in report.failed:
        text += f"; to {f.initials} failed ({f.error})"
    return text
