"""Where a reminder goes: one courier per door, and the order in which they are tried for a person.

A person is reached on the chat door their series lives in (Slack or Teams, by their id
there), by e-mail when they have only an address (owners outside the host's tenant), and
on the terminal in the shell. Doors plug in with `register_courier`; every door tried is
recorded on the digest, so "why did this go by e-mail?" has an answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from handlers.format import table_lines
from handlers.reply import Buttons, File, Message, Reply, Table, Text
from storage.roster import PersonRef

if TYPE_CHECKING:
    from bot.app import App
    from bot.shell import ShellDoor

CHAT_DOORS = ("slack", "teams")


class Unreachable(Exception):
    """This door cannot reach this person at all (no id or address there): try the next door."""


class DeliveryFailed(Exception):
    """The door could not take the message now (network, rate limit, server down): retry later."""


@dataclass(frozen=True)
class Outgoing:
    person: PersonRef
    subject: str  # e-mail subject; chat doors may ignore it
    message: Message  # neutral blocks: text, tables, answer buttons
    text: str  # the same as plain text (e-mail body, logs)
    digest_id: int


class Courier(Protocol):
    door: str

    def reach(self, person: PersonRef) -> bool:
        """Whether this door has a way to reach the person (an id or address)."""
        ...

    def send(self, out: Outgoing) -> str:
        """Deliver and return the platform's message id; raise Unreachable or DeliveryFailed."""
        ...


# Doors that can deliver reminders register a factory here (Slack and Teams in their own modules);
# a factory returns None when its door is not configured.
COURIER_FACTORIES: dict[str, Callable[[App], Courier | None]] = {}


def register_courier(door: str, factory: Callable[[App], Courier | None]) -> None:
    COURIER_FACTORIES[door] = factory


def build_couriers(app: App, *extra: Courier) -> dict[str, Courier]:
    """Couriers of every configured door, e-mail when SMTP is set up, plus any given (the terminal)."""
    from scheduler.email import EmailCourier, load_email_settings

    found: dict[str, Courier] = {}
    for door, factory in COURIER_FACTORIES.items():
        courier = factory(app)
        if courier is not None:
            found[door] = courier
    smtp = load_email_settings(app.settings.section("email"))
    if smtp is not None and "email" not in found:
        found["email"] = EmailCourier(smtp)
    for courier in extra:
        found.setdefault(courier.door, courier)
    return found


def has_chat_identity(person: PersonRef) -> bool:
    return bool(person.slack_id or person.teams_id)


def route(person: PersonRef, series_doors: Iterable[str], couriers: Mapping[str, Courier]) -> list[Courier]:
    """Couriers to try, best first: e-mail-only people by e-mail; others on their series' chat door,
    then e-mail, then any other door that reaches them (the terminal last)."""
    order: list[str] = []
    # A chat door may know people the file gives no chat id (learnt from their profile e-mail).
    on_chat = has_chat_identity(person) or any(couriers[d].reach(person) for d in CHAT_DOORS if d in couriers)
    if person.email and not on_chat and "email" in couriers:
        order.append("email")
    order.extend(d for d in series_doors if d != "email")
    order.extend(d for d in CHAT_DOORS)
    order.append("email")
    order.extend(sorted(couriers))
    out: list[Courier] = []
    for door in order:
        courier = couriers.get(door)
        if courier is not None and courier not in out and courier.reach(person):
            out.append(courier)
    return out


# --- plain text, for e-mail and the terminal ----------------------------------------------------------


def plain_text(message: Message, *, answers_hint: bool = True) -> str:
    lines: list[str] = []
    for block in message.blocks:
        if isinstance(block, Text):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.extend(table_lines(block))
        elif isinstance(block, Buttons) and block.buttons and answers_hint:
            forms = " · ".join(f"{b.label}: {b.typed.replace('{text}', '…')}" for b in block.buttons)
            lines.append(f"    Answer with one line — {forms}")
        elif isinstance(block, File):
            lines.append(f"[{block.title}: {block.filename}]")
    return "\n".join(lines)


# --- the terminal --------------------------------------------------------------------------------------


class TerminalCourier:
    """The shell door: a reminder prints as a direct message, `→ XX: …`, with its typed answers."""

    door = "shell"

    def __init__(self, shell: ShellDoor) -> None:
        self.shell = shell
        self._ids = itertools.count(1)

    def reach(self, person: PersonRef) -> bool:
        return True

    def send(self, out: Outgoing) -> str:
        self.shell.render(Reply([out.message]), out.person.initials, True)
        return f"shell-{out.digest_id}-{next(self._ids)}"
