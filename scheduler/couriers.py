"""The courier port: how the sweep hands a reminder to a door, and the order doors are tried in.

The scheduler defines this port and the doors implement it (Slack, Teams, the terminal in
`bot/`; SMTP e-mail in scheduler/email.py). A person is reached on the chat door their
series lives in (Slack or Teams, by their id there), by e-mail when they have only an
address (owners outside the host's tenant), and on the terminal in the shell. The sweep
is given a mapping of door name → courier; every door tried is recorded on the digest,
so "why did this go by e-mail?" has an answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from handlers.format import table_lines
from handlers.reply import Buttons, File, Message, Table, Text
from storage.roster import PersonRef

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


def has_chat_identity(person: PersonRef) -> bool:
    return bool(person.slack_id or person.teams_id)


def route(person: PersonRef, series_doors: Iterable[str], couriers: Mapping[str, Courier]) -> list[Courier]:
    """Couriers to try, best first: e-mail-only people by e-mail; others on their series' chat door,
    then e-mail, then any other door that reaches them (the terminal last). An agency's mailbox
    is an address, not anyone's chat account: e-mail (or the terminal) only."""
    if person.mailbox:
        doors = sorted((d for d in couriers if d not in CHAT_DOORS), key=lambda d: (d != "email", d))
        return [couriers[d] for d in doors if couriers[d].reach(person)]
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


# --- plain text, for e-mail and logs ------------------------------------------------------------------


def plain_text(message: Message, *, answers_hint: bool = True) -> str:
    lines: list[str] = []
    for block in message.blocks:
        if isinstance(block, Text):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.extend(table_lines(block))
        elif isinstance(block, Buttons) and block.buttons and answers_hint:
            forms = " · ".join(f"{b.label}: {b.typed.replace('{text}', '…')}" for b in block.buttons)
            lines.append(f"    In chat: {forms}")
        elif isinstance(block, File):
            lines.append(f"[{block.title}: {block.filename}]")
    return "\n".join(lines)
