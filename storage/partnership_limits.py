"""What a partnership file may hold, checked before and around its parsing (docs/partnership-file.md).

A partnership's file is a few kilobytes; a file of tens of megabytes is a mistake or an attack,
and parsing it costs minutes and gigabytes. So the size is checked before the file is read, the
characters YAML refuses (NUL among them) are reported by line before YAML sees them, aliases may
not make the file larger than it may be written out (a "billion laughs"), and every value has a
maximum length, refused with its line.

Names may hold invisible characters (zero-width and bidirectional controls) that make two names
look alike while they never match; they are warned about, and two names that differ only by
them are refused.
"""

from __future__ import annotations

import re
import unicodedata

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

MAX_FILE_BYTES = 1_000_000  # the examples are 5 to 13 kB
# The document with every alias written out in full: nodes plus the characters of its values.
MAX_EXPANDED = MAX_FILE_BYTES
MAX_PROBLEMS_SHOWN = 100  # a file of nothing but mistakes is not printed whole

# Longest value, in characters, by kind.
MAX_ID = 64  # partnership, agency, group and series ids, initials, role labels
MAX_NAME = 200  # names of the partnership, agencies, groups, people and series; aliases; titles
MAX_ITEM = 300  # a standing item's title, a place, a cadence, when papers are due
MAX_EMAIL = 254  # the longest address SMTP carries (RFC 5321)
MAX_URL = 2048  # what browsers and proxies reliably accept
MAX_PLATFORM_ID = 256  # slack_id, teams_id
MAX_PREAMBLE = 4000  # minutes_preamble: as long as a note may be

# Zero-width and bidirectional controls: invisible, they make two names look alike.
INVISIBLE = frozenset(
    [
        *map(chr, range(0x200B, 0x2010)),  # zero-width space … right-to-left mark
        *map(chr, range(0x202A, 0x202F)),  # embeddings and overrides
        *map(chr, range(0x2066, 0x206A)),  # isolates
        "\ufeff",  # zero-width no-break space (byte order mark)
    ]
)
_INVISIBLE = re.compile("[" + "".join(sorted(INVISIBLE)) + "]")

# What YAML refuses to read (PyYAML's own rule), NUL first among them.
_NOT_YAML = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def too_large(size: int) -> str:
    return (
        f"the file is {size:,} bytes: a partnership file may be at most {MAX_FILE_BYTES:,} bytes "
        "(a partnership's file is a few kilobytes); is this the right file?"
    )


def too_long(what: str, length: int, limit: int) -> str:
    return f"{what} is {length:,} characters long: the most is {limit:,}; shorten it"


def character_name(char: str) -> str:
    """'U+200B ZERO WIDTH SPACE'."""
    return f"U+{ord(char):04X} {unicodedata.name(char, 'control character')}"


def unreadable_characters(text: str, most: int = 20) -> list[tuple[int, str]]:
    """(line, message) for each line holding characters YAML will not read, NUL among them."""
    out: list[tuple[int, str]] = []
    lines: set[int] = set()
    for match in _NOT_YAML.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if line in lines:
            continue
        lines.add(line)
        char = match.group()
        kind = "a NUL character (U+0000)" if char == "\0" else f"the character {character_name(char)}"
        out.append((line, f"{kind} cannot be in a partnership file: remove it"))
        if len(out) >= most:
            break
    return out


def invisible(value: str) -> list[str]:
    """The invisible characters in a value, each once, in order."""
    return list(dict.fromkeys(_INVISIBLE.findall(value)))


def visible_key(name: str) -> str:
    """A name as people see and the bot compares it: without invisible characters, any case."""
    return _INVISIBLE.sub("", name).lower()


def expansion_problem(root: Node) -> tuple[int, str] | None:
    """(line, message) if aliases make the document too large written out, or refer to themselves.

    Walked without recursion, each node's written-out size computed once, so a file of nested
    aliases costs time in its number of nodes, not in the size it stands for."""
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            on_path.discard(key)
            if isinstance(node, ScalarNode):
                total = 1 + len(node.value)
            elif isinstance(node, SequenceNode):
                total = 1 + sum(size[id(child)] for child in node.value)
            else:
                total = 1 + sum(size[id(k)] + size[id(v)] for k, v in node.value)
            if total > MAX_EXPANDED:
                return (
                    node.start_mark.line + 1,
                    f"aliases (*name) here make the file more than {MAX_EXPANDED:,} characters when "
                    "written out in full: write the values out, or use fewer aliases",
                )
            size[key] = total
            continue
        if key in size:
            continue
        if key in on_path:
            return (
                node.start_mark.line + 1,
                "an alias (*name) refers to the anchor (&name) it is inside of: "
                "a value cannot contain itself",
            )
        on_path.add(key)
        stack.append((node, True))
        if isinstance(node, SequenceNode):
            stack.extend((child, False) for child in node.value)
        elif isinstance(node, MappingNode):
            for k, v in node.value:
                stack.extend(((k, False), (v, False)))
    return None
