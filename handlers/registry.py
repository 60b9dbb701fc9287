"""The one command registry: every command's name, grammar, help, who may run it and where.

Doors, `help` and the unknown-command answer all read it. Patterns are regular
expressions matched against the whole message (case-insensitive); `{ref}` stands
for an action reference ("3", "board 3") and `{series}` for a series id.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from handlers.context import Ctx
    from handlers.reply import Reply


class Perm(IntEnum):
    """Who may run a command; each level includes the ones above it in power."""

    ANYONE = 0  # even someone not in the partnership file
    PERSON = 1  # anyone in the partnership file
    MEMBER = 2  # a member of the series (or an authorised deputy)
    CHAIR_TEAM = 3  # chair, vice-chair, minute taker, business manager, business unit


SECTIONS = ("Meetings", "Attendance", "Records", "Actions", "Documents", "Other")

_PLACEHOLDERS = {
    "{ref}": r"(?:(?P<series>[A-Za-z][\w-]*)\s+)?(?P<num>\d+)",
    "{series}": r"(?P<series>[A-Za-z][\w-]*)",
}


@dataclass(frozen=True)
class CommandSpec:
    name: str
    usage: str
    summary: str
    section: str
    perm: Perm
    patterns: tuple[re.Pattern[str], ...]
    handler: Callable[[Ctx, dict[str, Any]], Reply]
    needs_series: bool = True  # needs a series: named in the command or bound to the channel
    needs_meeting: bool = False  # needs an open meeting of that series
    aliases: tuple[str, ...] = ()  # other ways to type it, shown in help
    words: tuple[str, ...] = ()  # leading words people type, for "did you mean"
    # For loose patterns ("X for Y"): does this message really mean the command?
    applies: Callable[[Ctx, dict[str, Any]], bool] | None = None
    # The door fetches the meeting's attendance report first, if it has a source of them, and
    # attaches it to the Request (`Request.attendance_report`).
    needs_attendance_report: bool = False
    # Changes the series' record (meetings, attendance, actions, minutes): refused once the series
    # has ended (`Ctx.require_open`). False for commands that only read, or change no series.
    changes_series: bool = True


_REGISTRY: list[CommandSpec] = []


def _compile(pattern: str) -> re.Pattern[str]:
    for key, value in _PLACEHOLDERS.items():
        pattern = pattern.replace(key, value)
    return re.compile(r"\s*" + pattern + r"\s*[.!]?\s*", re.IGNORECASE | re.DOTALL)


def command(
    name: str,
    *,
    usage: str,
    summary: str,
    section: str,
    perm: Perm,
    patterns: list[str],
    needs_series: bool = True,
    needs_meeting: bool = False,
    aliases: tuple[str, ...] = (),
    applies: Callable[[Ctx, dict[str, Any]], bool] | None = None,
    needs_attendance_report: bool = False,
    changes_series: bool = True,
) -> Callable[[Callable[[Ctx, dict[str, Any]], Reply]], Callable[[Ctx, dict[str, Any]], Reply]]:
    """Register a handler. Registration order is match order: put specific patterns first."""

    def register(fn: Callable[[Ctx, dict[str, Any]], Reply]) -> Callable[[Ctx, dict[str, Any]], Reply]:
        words = {usage.split()[0].lower(), *(a.split()[0].lower() for a in aliases)}
        _REGISTRY.append(
            CommandSpec(
                name=name,
                usage=usage,
                summary=summary,
                section=section,
                perm=perm,
                patterns=tuple(_compile(p) for p in patterns),
                handler=fn,
                needs_series=needs_series,
                needs_meeting=needs_meeting,
                aliases=aliases,
                words=tuple(sorted(words)),
                applies=applies,
                needs_attendance_report=needs_attendance_report,
                changes_series=changes_series,
            )
        )
        return fn

    return register


def all_commands() -> list[CommandSpec]:
    import handlers.commands  # noqa: F401 - registers every handler module

    return _REGISTRY


# A courtesy at the end of a message ("47 done, thanks"): no part of the command when it is one
# only without it. Tried only after the whole text matched nothing, so a note keeps its thanks.
_COURTESY = re.compile(
    r"[\s,.;:!\-–]+(?:many\s+thanks|thanks(?:\s+(?:a\s+lot|very\s+much|all|everyone))?"
    r"|thank\s+you(?:\s+(?:very\s+much|all|everyone))?|cheers|ta)[\s.!]*$",
    re.IGNORECASE,
)


def match(text: str) -> tuple[CommandSpec, dict[str, Any]] | None:
    found = _match(text)
    if found is None:
        plain = _COURTESY.sub("", text)
        if plain != text and plain.strip():
            found = _match(plain)
    return found


def _match(text: str) -> tuple[CommandSpec, dict[str, Any]] | None:
    for spec in all_commands():
        for pattern in spec.patterns:
            m = pattern.fullmatch(text)
            if m:
                return spec, {k: v for k, v in m.groupdict().items() if v is not None}
    return None


def find(name: str) -> CommandSpec:
    for spec in all_commands():
        if spec.name == name:
            return spec
    raise KeyError(name)


SUGGEST_CHARS = 100  # how much of a message "did you mean" compares


def suggest(text: str, limit: int = 3) -> list[CommandSpec]:
    """The commands nearest to what was typed, by their leading words and usage."""
    # Only the start of a message is compared, so the cost does not grow with its length.
    typed = text.lstrip()[:SUGGEST_CHARS].strip().lower()
    first = typed.split()[0] if typed else ""
    scored: list[tuple[float, int, CommandSpec]] = []
    for i, spec in enumerate(all_commands()):
        best = 0.0
        for form in (spec.usage, *spec.aliases):
            head = " ".join(form.lower().split()[:2])
            best = max(best, difflib.SequenceMatcher(None, typed[: len(head) + 4], head).ratio())
        for word in spec.words:
            best = max(best, difflib.SequenceMatcher(None, first, word).ratio())
        if best >= 0.6:
            scored.append((best, -i, spec))
    scored.sort(key=lambda t: (t[0], t[1]), reverse=True)
    out: list[CommandSpec] = []
    for _, _, spec in scored:
        if spec not in out:
            out.append(spec)
    return out[:limit]
