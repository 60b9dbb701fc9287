"""The platform-neutral reply every handler returns; each door renders it its own way.

A Reply is a list of Messages. Each Message goes to an audience: everyone in the
conversation, only the person who typed (ephemeral where the platform allows), or
one named person as a direct message (reminders, "not mine" to the chair).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CHANNEL = "channel"
ACTOR = "actor"
PERSON = "person"

INFO, OK, WARNING, QUESTION, ERROR = "info", "ok", "warning", "question", "error"


@dataclass(frozen=True)
class Text:
    text: str
    tone: str = INFO


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    caption: str | None = None


@dataclass(frozen=True)
class Button:
    """An answer a door can show as a button: `verb` and `payload` go back to the core unchanged."""

    label: str
    verb: str
    payload: dict[str, Any]
    # What the person would type instead; "{text}" marks where a modal's text goes.
    typed: str
    needs_text: str | None = None  # the prompt of the modal for buttons that take text


@dataclass(frozen=True)
class Buttons:
    buttons: tuple[Button, ...]


@dataclass(frozen=True)
class File:
    filename: str
    media_type: str
    data: bytes
    title: str


Block = Text | Table | Buttons | File


@dataclass
class Message:
    blocks: list[Block] = field(default_factory=list)
    audience: str = CHANNEL
    person: str | None = None  # initials, for audience PERSON

    @property
    def plain(self) -> str:
        return "\n".join(b.text for b in self.blocks if isinstance(b, Text))


@dataclass
class Reply:
    messages: list[Message] = field(default_factory=list)
    # False when the text was not a command: chat doors stay quiet unless the bot was addressed.
    recognised: bool = True
    # The partnership that answered: people named in PERSON messages are its people (set by the router).
    partnership_id: str | None = None

    def say(self, text: str, tone: str = INFO, audience: str = CHANNEL) -> Reply:
        self._message(audience, None).blocks.append(Text(text, tone))
        return self

    def add(self, block: Block, audience: str = CHANNEL) -> Reply:
        self._message(audience, None).blocks.append(block)
        return self

    def tell(self, person: str, *blocks: Block) -> Reply:
        """A direct message to one person (by initials)."""
        self.messages.append(Message(list(blocks), PERSON, person))
        return self

    def extend(self, other: Reply) -> Reply:
        for msg in other.messages:
            if msg.audience == PERSON:
                self.messages.append(msg)
            else:
                self._message(msg.audience, None).blocks.extend(msg.blocks)
        return self

    def _message(self, audience: str, person: str | None) -> Message:
        for msg in self.messages:
            if msg.audience == audience and msg.person == person:
                return msg
        msg = Message([], audience, person)
        self.messages.append(msg)
        return msg

    @property
    def plain(self) -> str:
        """All text of the reply, for logs and tests."""
        return "\n".join(m.plain for m in self.messages)


def error(text: str) -> Reply:
    return Reply().say(text, ERROR, ACTOR)
