"""`! sweep` in the shell: one reminder sweep as of the script's clock, delivered to the terminal.

Reminders print as the bot's direct messages (`→ HN: …`) with their typed answers; people
with only an e-mail address get e-mail instead when app.yaml configures SMTP, as they would
in production. One Sweeper serves the whole shell session, so its fault-injection count and
identity carry across `! sweep` lines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.plugs import build_couriers
from bot.shell import ShellDoor
from bot.terminal_courier import TerminalCourier
from handlers.format import when
from scheduler.sweep import Sweeper, SweepReport

if TYPE_CHECKING:
    from bot.app import App


def plug(app: App, door: ShellDoor) -> None:
    settings = app.settings.nudges.resolve()  # app.yaml was checked whole when it was loaded
    try:
        couriers = build_couriers(app, TerminalCourier(door))
    except ValueError as e:  # a door that cannot deliver: say so, keep the shell usable
        problem = str(e)
        door.bang["sweep"] = lambda shell, rest: shell.say_local(f"✗ No reminders: {problem}")
        return
    sweeper = Sweeper(
        app.sessions,
        couriers,
        settings,
        partnerships=None,  # every partnership loaded, as `serve` does
        shuffle=False,  # one process: a stable order keeps scripts readable
        rosters=app.setup.rosters,
    )

    def sweep(shell: ShellDoor, rest: str) -> None:
        report = sweeper.run(shell.now())
        tz = ZoneInfo(shell.core.roster().timezone)
        shell.say_local(f"(sweep {when(report.at, tz)}: {_summary(report)})")

    door.bang["sweep"] = sweep


def _summary(report: SweepReport) -> str:
    text = report.summary()
    by_mail = [m.initials for m in report.sent if m.door == "email"]
    if by_mail:
        text += f"; by e-mail to {', '.join(by_mail)}"
    for f in report.failed:
        text += f"; to {f.initials} failed ({f.error})"
    return text
