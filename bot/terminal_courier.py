"""Reminders on the terminal: the shell door's courier (`nudge`, `serve` with the shell on, `! sweep`)."""

from __future__ import annotations

import itertools

from bot.shell import ShellDoor
from handlers.reply import Reply
from scheduler.couriers import Outgoing
from storage.roster import PersonRef


class TerminalCourier:
    """A reminder prints as the bot's direct message, `→ XX: …`, with its typed answers."""

    door = "shell"

    def __init__(self, shell: ShellDoor) -> None:
        self.shell = shell
        self._ids = itertools.count(1)

    def reach(self, person: PersonRef) -> bool:
        return True

    def send(self, out: Outgoing) -> str:
        self.shell.render(Reply([out.message]), out.person.initials, True)
        return f"shell-{out.digest_id}-{next(self._ids)}"
