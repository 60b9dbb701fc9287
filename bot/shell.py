"""The terminal door: a meeting channel in the terminal, and scripted runs.

Lines are messages. In a script (and when piped), these forms are understood:

    @ 2024-01-19T10:00:00+00:00   set the clock
    MT: meeting start board        a message from MT in the channel
    SMa> done board 2              a direct message from SMa to the bot
    ! sweep                        run the reminder sweep as of the clock
    # a comment

Interactively, a plain line is a message from the current person (`--as XX`,
or `/as XX` to switch). The bot's direct messages print as `→ XX: …`.
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from handlers.context import Request
from handlers.core import Core
from handlers.format import printable, table_lines
from handlers.reply import PERSON, Buttons, File, Reply, Table, Text
from handlers.router import Router

SPEAKER = re.compile(r"^(?P<who>[A-Za-z][A-Za-z.'-]{0,7})\s*(?P<mark>:|>)\s+(?P<text>.*)$")
TONE_MARK = {"warning": "⚠ ", "error": "✗ ", "question": "? ", "ok": "", "info": ""}


def render_buttons(buttons: Buttons) -> list[str]:
    if not buttons.buttons:
        return []
    forms = [b.typed.replace("{text}", "…") for b in buttons.buttons]
    return ["Reply with: " + " · ".join(f"`{f}`" for f in forms)]


class ShellDoor:
    def __init__(
        self,
        core: Router | Core,
        out: TextIO,
        *,
        user: str,
        channel: str = "shell",
        files_dir: Path | None = None,
        echo: bool = False,
    ) -> None:
        self.core, self.out, self.user, self.channel = core, out, user, channel
        self.files_dir = files_dir or Path("out")
        self.echo = echo
        self.clock: datetime | None = None
        # "! NAME" lines: the scheduler plugs its sweep in here.
        self.bang: dict[str, Callable[[ShellDoor, str], None]] = {}

    def now(self) -> datetime:
        return self.clock or datetime.now(UTC)

    # --- input -----------------------------------------------------------------------------------------
    def run(self, lines: Iterable[str]) -> None:
        for line in lines:
            if not self.line(line.rstrip("\n")):
                break

    def line(self, raw: str) -> bool:
        """Handle one line; False means stop."""
        line = raw.strip()
        if not line or line.startswith("#"):
            return True
        if self.echo:
            self.out.write(printable(f"{line}\n"))
        if line.startswith("@"):
            try:
                stamp = datetime.fromisoformat(line[1:].strip())
            except ValueError:
                self.say_local(
                    f"✗ I can't read “{line[1:].strip()}” as a time: use @ 2024-01-19T10:00:00+00:00"
                )
                return True
            self.clock = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
            return True
        if line.startswith("!"):
            name, _, rest = line[1:].strip().partition(" ")
            action = self.bang.get(name)
            if action is None:
                self.say_local(f"✗ Unknown “! {name}”. Known: {', '.join(sorted(self.bang)) or 'none'}.")
            else:
                action(self, rest)
            return True
        if line in ("/quit", "/exit"):
            return False
        if line.startswith("/as"):
            who = line[3:].strip()
            if not who:
                self.say_local(f"You are {self.user}. `/as XX` switches to the person with initials XX.")
            else:
                self.user = who
                self.say_local(f"You are now {who}.")
            return True
        user, direct, text = self.user, False, line
        m = SPEAKER.match(line)
        if m and self._is_person(m.group("who")):
            user, direct, text = m.group("who"), m.group("mark") == ">", m.group("text")
        self.send(user, text, direct=direct)
        return True

    def _is_person(self, who: str) -> bool:
        """A known person's initials, or something shaped like initials that is no command word ("Note:")."""
        if who in self.core.roster().people:
            return True
        from handlers.registry import all_commands

        words = {w for spec in all_commands() for w in spec.words} | {"aob", "fyi", "re", "fwd", "ps"}
        return bool(re.fullmatch(r"[A-Z][A-Za-z]{0,3}", who)) and who.lower() not in words

    def send(self, user: str, text: str, *, direct: bool = False) -> Reply:
        channel = f"dm:{user}" if direct else self.channel
        reply = self.core.handle(
            Request(door="shell", channel=channel, user=user, text=text, at=self.now(), direct=direct)
        )
        self.render(reply, user, direct)
        return reply

    # --- output ----------------------------------------------------------------------------------------
    def say_local(self, text: str) -> None:
        self.out.write(printable(text + "\n"))

    def render(self, reply: Reply, user: str, direct: bool) -> None:
        for msg in reply.messages:
            to = msg.person if msg.audience == PERSON else (user if direct else None)
            lines: list[str] = []
            for block in msg.blocks:
                if isinstance(block, Text):
                    lines.extend((TONE_MARK.get(block.tone, "") + block.text).split("\n"))
                elif isinstance(block, Table):
                    lines.extend(table_lines(block))
                elif isinstance(block, Buttons):
                    lines.extend(render_buttons(block))
                elif isinstance(block, File):
                    lines.append(self.save(block))
            if not lines:
                continue
            head = f"→ {to}: " if to else "bot: "
            # Never a terminal escape or control character from stored text (handlers.format.printable).
            self.out.write(printable(head + lines[0] + "\n"))
            for extra in lines[1:]:
                self.out.write(printable(" " * len(head) + extra + "\n"))
        self.out.flush()

    def save(self, block: File) -> str:
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / block.filename
        path.write_bytes(block.data)
        return f"{block.title}: {path}"


def interactive(door: ShellDoor, stdin: TextIO = sys.stdin) -> None:
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - line editing and history at the prompt
    while True:
        try:
            line = input(f"[{door.user}] ")
        except (EOFError, KeyboardInterrupt):
            door.out.write("\n")
            return
        if not door.line(line):
            return
