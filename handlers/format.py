"""How the bot writes dates, times, names and owners: UK style, in the partnership's timezone."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from handlers.names import Owner
from handlers.reply import Table
from storage.roster import Roster

# C0 control characters other than tab and newline are not allowed in XML (Word, PDF tags) nor useful.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
# A terminal's escape sequences (colours, cursor moves, window titles) and the C1 controls.
_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]?|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[0-~])?")
_CONTROL_C1 = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Half of a UTF-16 pair on its own (JSON's "\ud800" escape gives one): no encoding can store it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """Text without terminal escape sequences or control characters (ESC, BEL, NUL, C1 …): line
    ends become newlines; tabs and newlines stay; a lone surrogate becomes U+FFFD. What the core
    stores, and what a terminal shows."""
    text = _ESCAPE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _SURROGATE.sub("\ufffd", _CONTROL_C1.sub("", text))


def clean(text: str | None) -> str:
    """User text made safe to place in any format; it stays data, whatever it looks like."""
    return _CONTROL.sub("", text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


# A cell a spreadsheet would read as a formula (OWASP, "CSV Injection"): =, +, -, @, tab or CR first.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A value for a CSV or spreadsheet cell: text a spreadsheet would run as a formula gets a single
    quote before it, so it is shown as typed. Numbers and booleans pass as they are."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


# English names, as strftime gives them in the C locale: a listing formats dozens of dates, and
# strftime costs several times a lookup.
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def short_date(d: date) -> str:
    """Fri 15 Mar 2024"""
    return f"{_DAYS[d.weekday()][:3]} {d.day} {_MONTHS[d.month - 1][:3]} {d.year}"


def long_date(d: date) -> str:
    """Friday 15 March 2024"""
    return f"{_DAYS[d.weekday()]} {d.day} {_MONTHS[d.month - 1]} {d.year}"


def clock(dt: datetime, tz: ZoneInfo) -> str:
    return dt.astimezone(tz).strftime("%H:%M")


def when(dt: datetime, tz: ZoneInfo) -> str:
    """Fri 15 Mar 2024 10:00"""
    local = dt.astimezone(tz)
    return f"{short_date(local.date())} {local:%H:%M}"


def person_name(roster: Roster, initials: str | None) -> str:
    if not initials:
        return "nobody"
    p = roster.people.get(initials)
    if p is None:
        return initials
    if p.merged_into:
        return person_name(roster, p.merged_into)
    return p.name if p.active or p.guest else f"{p.name} (left the partnership)"


def is_guest(roster: Roster, initials: str | None) -> bool:
    p = roster.people.get(initials or "")
    return p is not None and p.guest and not p.merged_into


def short_name(roster: Roster, initials: str | None) -> str:
    """How the minutes and the tracker write someone: initials, or a guest's name (guests have none)."""
    p = roster.people.get(initials or "")
    if p is not None and p.merged_into:
        return short_name(roster, p.merged_into)
    if p is not None and p.guest:
        return p.name
    return initials or "nobody"


def owner_name(roster: Roster, owner: Owner, *, with_members: bool = False) -> str:
    if owner.kind == "person":
        return person_name(roster, owner.id)
    if owner.kind == "all":
        return "All members"
    if owner.kind == "group" and owner.id in roster.groups:
        name = roster.groups[owner.id].name
        if with_members:
            members = ", ".join(person_name(roster, i) for i in roster.group_members(owner.id))
            return f"{name} ({members})" if members else name
        return name
    if owner.kind == "agency" and owner.id in roster.agencies:
        return roster.agencies[owner.id].name
    return owner.id or owner.kind


def owners_text(
    roster: Roster, owners: list[Owner] | tuple[Owner, ...], *, with_members: bool = False
) -> str:
    if not owners:
        return "no owner"
    return ", ".join(owner_name(roster, o, with_members=with_members) for o in owners)


def owners_short(
    roster: Roster, owners: list[Owner] | tuple[Owner, ...], *, mark_guests: bool = False
) -> str:
    """Owners as the minutes write them, "SM/PMcL": people by initials, guests by name (marked
    "(guest)" if asked), groups and the like by name."""

    def one(o: Owner) -> str:
        if o.kind != "person" or not o.id:
            return owner_name(roster, o)
        return short_name(roster, o.id) + (" (guest)" if mark_guests and is_guest(roster, o.id) else "")

    return "/".join(one(o) for o in owners)


def due_text(due: date | None, kind: str | None, *, proposed: bool = False) -> str:
    if kind == "next_meeting":
        if due is None:
            return "due at the next meeting (no date set yet)"
        note = ", date proposed by the cadence" if proposed else ""
        return f"due at the next meeting ({short_date(due)}{note})"
    if due is None:
        return "no due date"
    return f"due {short_date(due)}"


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def table_lines(table: Table, max_width: int = 48) -> list[str]:
    """A table as plain-text lines in aligned columns (terminal, e-mail, Slack code blocks)."""
    rows = [table.columns, *table.rows]
    widths = [min(max(len(str(r[i])) for r in rows), max_width) for i in range(len(table.columns))]

    def cell(value: str, width: int) -> str:
        value = str(value).replace("\n", " ")
        return (value[: width - 1] + "…") if len(value) > width else value.ljust(width)

    out = [table.caption] if table.caption else []
    out.append("  ".join(cell(c, w) for c, w in zip(table.columns, widths, strict=True)).rstrip())
    out.append("  ".join("-" * w for w in widths))
    out.extend("  ".join(cell(v, w) for v, w in zip(r, widths, strict=True)).rstrip() for r in table.rows)
    return out
