"""`partnerbot import meeting FILE --series ID`: the previous meeting, read from its minutes.

Minutes (the text form of docs/import.md, Word or PDF) give the meeting's date and time, its
attendance table (name, initials, organisation; "(for X)" after a deputy, "(Chair)"), its apologies
("X (Y attending)" for a deputy), who was not in attendance, who took the notes, and the action
tracker. Each name is read as live attendance reads it (handlers/attendance.py: the name, else the
initials beside it; a member named by a rank and surname); a full name nobody in the file has is a
guest, and anything unclear is a problem that `--assume NAME=WHO` settles, as `import tracker` does.

The import stores a closed meeting at the document's date with its attendance rows, so the next
live meeting approves and corrects its minutes (`minutes approve`, `minutes correct:`), and its
tracker through handlers/import_tracker.py, the updates given at the meeting dated and filed at it.
All or nothing; the same file again changes nothing; every change is audited as imported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select, update

from handlers.attendance import (
    _INITIALS_NOTE,
    OBSERVER,
    _agency_of,
    _deputy_in,
    _member_in,
    _named,
    _non_member_note,
    _person,
    _role_note,
    _split_notes,
    add_row,
    sheet,
    true_members,
)
from handlers.context import Ctx, UserError
from handlers.format import long_date
from handlers.import_read import READERS, Source, document_date, read_source
from handlers.import_tracker import DOOR, Plan, Problem, _assume, _series, apply_import, plan_import
from handlers.import_tracker import report as tracker_report
from handlers.names import Ambiguous, close_people, full_name_like, split_names
from handlers.people import record_guest, typed_name
from storage.models import Action, ActionUpdate, Attendance, Meeting, Series

_KINDS = ("text", "docx", "pdf")  # minutes come as text, Word or PDF
_STATUS_SHOWN = {
    "present": "present",
    "deputy": "deputy",
    "in_attendance": "in attendance",
    "apologies": "apologies",
    "absent": "not in attendance",
}


# --- reading the document ---------------------------------------------------------------------------


@dataclass
class Named:
    """One person as the minutes write them, and where."""

    where: str  # "line 12"
    section: str  # table | apologies | absent | notes
    typed: str  # the name without its brackets
    notes: list[str] = field(default_factory=list)  # what the brackets say: initials, "for X", "Chair"
    initials: str = ""  # an Initials column
    organisation: str = ""
    open: bool = False  # its name cell wraps onto the next line (a bracket left open)

    @property
    def for_member(self) -> str | None:  # "(for Tessa Turner)" after a deputy in the table
        return next((m for m in map(_member_in, self.notes) if m), None)

    @property
    def deputy(self) -> str | None:  # "(Paula Mason attending)" after apologies
        return next((d for d in map(_deputy_in, self.notes) if d), None)

    @property
    def chairs(self) -> bool:
        return any(n.strip().lower() in ("chair", "chairing", "chairman", "chairperson") for n in self.notes)


@dataclass
class Minutes:
    name: str
    kind: str
    day: date | None
    start: time | None
    end: time | None
    place: str | None
    people: list[Named]
    tracker: Source | None
    notes: list[str] = field(default_factory=list)


_CELLS = re.compile(r"\t|\s{2,}")
_HEADING = re.compile(r"^[#*\s]*(?P<text>.*?)[#*\s:]*$")
_ITEM = re.compile(r"^\s*\d{1,2}\.(?:\s|$)")
_ACTION = re.compile(r"^\s*actions?\s+\d{1,5}\s*[.:]", re.I)
_TIME = re.compile(
    r"\b(?P<h>\d{1,2})(?:[:.](?P<m>\d{2}))?\s*(?P<ap>am|pm)?\s*(?:[-–—]|to)\s*"
    r"(?P<h2>\d{1,2})(?:[:.](?P<m2>\d{2}))?\s*(?P<ap2>am|pm)?\b"
    r"|\b(?P<h1>\d{1,2})[:.](?P<m1>\d{2})\s*(?P<ap1>am|pm)?\b|\b(?P<h3>\d{1,2})\s*(?P<ap3>am|pm)\b",
    re.I,
)
_RUN_ON = re.compile(r"^(.*?\([A-Z][A-Za-z]{1,4}\s*\))\s+([^()\s].*)$")
_NAME_HEADERS = {"name", "names", "attendee", "attendees", "member", "members"}
_OTHER_HEADERS = {
    "initials": "initials",
    "organisation": "organisation",
    "organization": "organisation",
    "agency": "organisation",
    "job title": "title",
    "title": "title",
    "role": "title",
}
_NOTES_BY = re.compile(
    r"(?:notes|minutes)\s+(?:were\s+|was\s+)?taken\s+by\s+(?P<who>[^,(]+?)\s*(?:,|\(|$)|"
    r"^\s*minute\s+taker\s*[:\-–]\s*(?P<who2>[^,(]+?)\s*(?:,|\(|$)",
    re.I,
)


_ABSENT_LIST = re.compile(r"^(?:not\s+in\s+attendance|absent)\s*[:\-–]\s*(?P<rest>.+)$", re.I)
_APOLOGIES = re.compile(r"^[-•*·\s]*apologies(?:\s+(?:received|from))?\s*(?:[:\-–]\s*(?P<rest>.*))?$", re.I)


def _unmarked(line: str) -> str:
    """A line without its heading marks ("# **Not in Attendance**") and tags."""
    return re.sub(r"<[^>]+>", "", line).strip().strip("#*").strip().replace("**", "")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in _CELLS.split(line.rstrip())]


def _heading(line: str) -> str:
    m = _HEADING.match(line.strip())
    return re.sub(r"<[^>]+>", "", m.group("text") if m else line).strip().lower()


def _clock(h: str | None, m: str | None, ap: str | None) -> time | None:
    if h is None:
        return None
    hour, minute = int(h), int(m or 0)
    if ap and ap.lower() == "pm" and hour < 12:
        hour += 12
    if ap and ap.lower() == "am" and hour == 12:
        hour = 0
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _when(lines: list[str]) -> tuple[time | None, time | None, str | None]:
    """The time (and end) written on the line with the document's date, and the place after it."""
    for line in lines[:20]:
        if document_date([line]) is None:
            continue
        m = _TIME.search(line)
        if m is None:
            return None, None, None
        if m.group("h2"):
            end_ap = m.group("ap2")
            start = _clock(m.group("h"), m.group("m"), m.group("ap") or end_ap)
            end = _clock(m.group("h2"), m.group("m2"), end_ap)
        elif m.group("h1"):
            start, end = _clock(m.group("h1"), m.group("m1"), m.group("ap1")), None
        else:
            start, end = _clock(m.group("h3"), None, m.group("ap3")), None
        place = line[m.end() :].strip(" ,–—-\t")
        place = re.sub(r"^(?:at|in)\s+", "", place, flags=re.I)
        return start, end, place or None
    return None, None, None


def _table(lines: list[str], start: int, section: str, people: list[Named]) -> int:
    """Rows of an attendance table from `start` (its header row, or its first row): returns the line after
    it. A cell that wraps onto the next line (its brackets open) goes on; a line of one cell ends it."""
    columns: dict[str, int] = {"name": 0}
    i = start
    header = _cells(lines[i])
    low = [h.lower() for h in header]
    if any(h in _NAME_HEADERS for h in low):
        columns = {"name": next(k for k, h in enumerate(low) if h in _NAME_HEADERS)}
        for k, h in enumerate(low):
            if h in _OTHER_HEADERS:
                columns.setdefault(_OTHER_HEADERS[h], k)
        i += 1
    width = len(header) if len(columns) > 1 else 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        cells = _cells(line)
        last = people[-1] if people and people[-1].section == section else None
        raw = cells[0] if cells else ""
        if last is not None and last.open and raw:
            # "(for" … "Tessa Turner)": the name cell wrapped ("Anne-" … "Marie Speed)" joined whole)
            last.typed = f"{last.typed}{'' if last.typed.endswith('-') else ' '}{raw}"
            last.open = last.typed.count("(") > last.typed.count(")")
            _settle(last)
            if not last.initials and "initials" in columns and len(cells) > columns["initials"]:
                last.initials = cells[columns["initials"]].strip("() ")
            i += 1
            continue
        if not raw:  # a wrapped organisation or title
            i += 1
            continue
        opens = raw.count("(") > raw.count(")")
        if (
            len([c for c in cells if c]) < 2
            and not opens
            and not (len(cells) == 1 and _looks_like_person(raw))
        ):
            break
        if _ITEM.match(line) or _ACTION.match(line):
            break

        def cell(name: str, cells: list[str] = cells) -> str:
            k = columns.get(name)
            return cells[k] if k is not None and k < len(cells) else ""

        name, initials, organisation = cell("name"), cell("initials"), cell("organisation")
        if len(cells) != width or "organisation" not in columns:
            # The cells do not line up with the header (a PDF's gaps): initials by their shape, and the
            # organisation the first other cell.
            others = [c for k, c in enumerate(cells) if k != columns["name"] and c]
            initials = next((c for c in others if _INITIALS_NOTE.fullmatch(c.strip("() "))), "")
            organisation = next((c for c in others if c != initials), "")
        if m := _RUN_ON.match(name):  # "Nina Thorpe (NT) Safe Home Missing Service": one gap too narrow
            name, organisation = m.group(1), organisation or m.group(2)
        one = Named(f"line {i + 1}", section, name)
        one.open = opens
        one.initials = initials.strip("() ")
        one.organisation = organisation
        _settle(one)
        if not one.typed and last is not None:  # "(Chair)" wrapped under the name it belongs to
            last.notes.extend(one.notes)
            last.initials = last.initials or one.initials
            last.organisation = last.organisation or one.organisation
            i += 1
            continue
        people.append(one)
        i += 1
    return i


def _settle(one: Named) -> None:
    """Split the brackets off a name: "Clare Green (CG) (for Tracey Ryland)"."""
    raw = " ".join(one.typed.replace("( ", "(").replace(" )", ")").split())
    typed, notes = _split_notes(raw)
    one.typed, one.notes = typed.strip(" ,"), notes


def _looks_like_person(text: str) -> bool:
    typed, notes = _split_notes(text.split(",")[0])
    return full_name_like(typed) or any(_INITIALS_NOTE.fullmatch(n) for n in notes)


def _apologies(lines: list[str], start: int, rest: str | None, people: list[Named]) -> int:
    """The apologies: a list on the heading's line, or one person a line after it
    ("Gordon Birch, Head of Probation Service", "Tracey Ryland (Clare Green attending)")."""
    if rest and rest.strip():
        for part in split_names(rest):
            one = Named(f"line {start + 1}", "apologies", part)
            _settle(one)
            people.append(one)
        return start + 1
    i = start + 1
    while i < len(lines):
        line = lines[i].strip().lstrip("-•*· ").strip()
        if not line:  # a gap between paragraphs (Word, PDF): the list ends at what is no name
            i += 1
            continue
        if _ITEM.match(lines[i]) or _ACTION.match(line) or line.startswith("#"):
            break
        name, _, organisation = line.partition(",")
        if "(" in organisation and "(" not in name:  # "Tracey Ryland, Western Marches Police (CG attending)"
            name += " " + " ".join(f"({n})" for n in _split_notes(organisation)[1])
        one = Named(f"line {i + 1}", "apologies", name)
        _settle(one)
        if not (full_name_like(one.typed) or one.deputy or _INITIALS_NOTE.fullmatch(one.typed)):
            break  # the next heading of the item ("Conflict of Interests")
        one.organisation = _split_notes(organisation)[0].strip()
        people.append(one)
        i += 1
    return i


def read_minutes(lines: list[str]) -> list[Named]:
    """Everyone the minutes name as attending, sending apologies, absent or taking the notes."""
    people: list[Named] = []
    end = next((k for k, line in enumerate(lines) if _ACTION.match(line)), len(lines))
    i = 0
    table_done = False
    while i < end:
        line = lines[i]
        head = _heading(line)
        cells = [c.lower() for c in _cells(line)]
        if (
            not table_done
            and any(c in _NAME_HEADERS for c in cells)
            and any(c in _OTHER_HEADERS for c in cells)
        ):
            i = _table(lines, i, "table", people)
            table_done = True
            continue
        if re.fullmatch(r"(?:not\s+in\s+attendance|absent|absentees)", head):
            i = _table(lines, i + 1, "absent", people)
            continue
        if m := _ABSENT_LIST.match(_unmarked(line)):
            for part in split_names(m.group("rest")):
                one = Named(f"line {i + 1}", "absent", part)
                _settle(one)
                people.append(one)
            i += 1
            continue
        if m := _APOLOGIES.match(_unmarked(line)):
            i = _apologies(lines, i, m.group("rest"), people)
            continue
        if m := _NOTES_BY.search(line):
            who = (m.group("who") or m.group("who2") or "").strip()
            initials = re.findall(r"\(([A-Z][a-z]?[A-Z][A-Za-z]{0,3})\)", line)
            one = Named(f"line {i + 1}", "notes", who, notes=initials[-1:])
            people.append(one)
        i += 1
    return people


def _docx_lines(path: Path) -> list[str]:
    """A Word document as the text form: paragraphs as lines, a table's rows as tab-separated cells."""
    from docx import Document
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc = Document(str(path))
    except Exception as e:  # python-docx raises several kinds for a file that is not a Word document
        raise UserError(f"{path.name}: cannot read it as a Word document ({e}). Nothing was imported.") from e
    lines: list[str] = []

    def walk(table: Table) -> None:
        for row in table.rows:
            cells, seen = [], set()
            for c in row.cells:
                if id(c._tc) not in seen:
                    seen.add(id(c._tc))
                    cells.append(c)
            if all(len(c.paragraphs) <= 1 and not c.tables for c in cells):
                lines.append("\t".join(c.text.strip() for c in cells))
                continue
            for k, c in enumerate(cells):  # an "Item" table: each paragraph of a cell is a line
                for block in c.iter_inner_content():
                    if isinstance(block, Paragraph):
                        lines.append(("\t" if k else "") + block.text)
                    else:
                        walk(block)
            lines.append("")

    for block in doc.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text.replace("\n", " "))
        else:
            walk(block)
            lines.append("")
    return lines


def _pdf_lines(path: Path) -> list[str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        text = "\n".join(page.extract_text(extraction_mode="layout") or "" for page in reader.pages)
    except (PdfReadError, OSError, ValueError) as e:
        raise UserError(f"{path.name}: cannot read it as a PDF ({e}). Nothing was imported.") from e
    # The page's margin aside, a line that opens with a gap continues the cells above it.
    lines = [line.rstrip() for line in text.split("\n")]
    margin = min((len(line) - len(line.lstrip(" ")) for line in lines if line.strip()), default=0)
    return [line[margin:] for line in lines]


def read_minutes_file(path: Path) -> Minutes:
    """Minutes from a file: text, Word or PDF (by its extension)."""
    if not path.is_file():
        raise UserError(f"No file {path}. Nothing was imported.")
    kind = READERS.get(path.suffix.lower())
    if kind not in _KINDS:
        raise UserError(
            f"{path.name}: minutes are read from .txt, .docx or .pdf files (a tracker in a workbook comes "
            "in with `partnerbot import tracker`). Nothing was imported."
        )
    if kind == "docx":
        lines = _docx_lines(path)
    elif kind == "pdf":
        lines = _pdf_lines(path)
    else:
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            text = path.read_text(encoding="cp1252")
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    notes: list[str] = []
    try:
        tracker: Source | None = read_source(path)
    except UserError:
        tracker = None
        notes.append("No action tracker found (no “Action N.” lines): the meeting is imported without one.")
    start, end, place = _when(lines)
    people = read_minutes(lines)
    return Minutes(path.name, kind, document_date(lines), start, end, place, people, tracker, notes)


# --- reading the people against the partnership ---------------------------------------------------------


@dataclass
class Row:
    """One attendance row to store: who (initials, or "guest:Name" for a guest to record)."""

    key: str
    status: str
    where: str
    typed: str
    deputy_for: str | None = None
    role_note: str | None = None
    agency: str = ""  # a new guest's agency, from the organisation column


@dataclass
class MeetingPlan:
    minutes: Minutes
    series: Series
    day: date | None
    starts_at: datetime | None
    ends_at: datetime | None
    chair: str | None  # "(Chair)" beside someone who is not the file's chair that day
    rows: list[Row]
    unlisted: list[str]  # members the minutes do not mention: not in attendance, as `meeting end` records
    guests: dict[str, str]  # new guests: name -> agency
    problems: list[Problem]
    notes: list[str]
    tracker: Plan | None
    existing: Meeting | None = None  # the meeting an earlier import of this file stored
    changes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and (self.tracker is None or self.tracker.ok)


class _People:
    def __init__(self, ctx: Ctx, assume: dict[str, str]) -> None:
        self.ctx, self.assume = ctx, assume
        self.used: set[str] = set()
        self.problems: list[Problem] = []
        self.guests: dict[str, str] = {}

    def _assumed(self, typed: str) -> str | None:
        key = typed_name(typed)
        for k in self.assume:
            if k.lower() == key.lower():
                self.used.add(k)
                return self.assume[k]
        return None

    def who(
        self,
        one: Named,
        typed: str | None = None,
        *,
        member: bool = False,
        outsiders: list[str] | None = None,
    ) -> str | None:
        """Initials (or "guest:Name") for a name as written; None with a problem added. With `outsiders`, a
        full name nobody in the file has (nor close to anyone's) is listed there instead: not a member."""
        typed = typed_name(typed if typed is not None else one.typed)
        where = one.where
        meant = self._assumed(typed)
        notes = [*one.notes, one.initials] if typed == one.typed and one.initials else list(one.notes)
        if meant is not None:
            if meant.lower() == "guest" and not member:
                return self._guest(typed, one)
            found = _person(self.ctx, meant, member=member)
            if isinstance(found, str):
                return found
            self.problems.append(
                Problem(
                    where,
                    f"--assume {typed}={meant}: “{meant}” is not one person of the file.",
                    "Give their initials or full name, or `guest`.",
                )
            )
            return None
        found = _named(self.ctx, typed, notes if typed == one.typed else [], member=member)
        if isinstance(found, str):
            return found
        if isinstance(found, Ambiguous):
            options = " or ".join(f"{c} ({self.ctx.name(c)})" for c in found.candidates)
            self.problems.append(
                Problem(
                    where,
                    f"“{typed}” could be {options}.",
                    f"Settle it with {_assume(typed, found.candidates[0])} (or whoever it is), "
                    "or fix the file.",
                )
            )
            return None
        if (not member or outsiders is not None) and full_name_like(typed):
            close = close_people(typed, self.ctx.roster)
            if not close and outsiders is not None:
                outsiders.append(typed)
                return None
            if not close:
                return self._guest(typed, one)
            options = " or ".join(
                f"{self.ctx.name(c)} ({c})" if c in self.ctx.roster.people else c for c in close
            )
            self.problems.append(
                Problem(
                    where,
                    f"“{typed}” is not in the partnership file, but is close to {options}.",
                    f"Settle it with {_assume(typed, close[0])}, or {_assume(typed, 'guest')} to record "
                    f"{typed} as a guest.",
                )
            )
            return None
        hint = f" (did you mean {', '.join(found.suggestions)}?)" if found.suggestions else ""
        what = "a member of the series" if member else "anyone in the partnership file"
        self.problems.append(
            Problem(
                where,
                f"“{typed}” is not {what}{hint}.",
                f"Settle it with {_assume(typed, 'NAME')} (initials or a full name), or fix the file.",
            )
        )
        return None

    def _guest(self, typed: str, one: Named) -> str:
        found = _person(self.ctx, typed)
        if isinstance(found, str):  # a guest recorded before (an earlier import, a meeting)
            return found
        self.guests.setdefault(typed, _agency_of(self.ctx, one.organisation))
        return f"guest:{typed}"


def _label(ctx: Ctx, key: str) -> str:
    return key.removeprefix("guest:") + " (new guest)" if key.startswith("guest:") else ctx.name(key)


def _at(ctx: Ctx, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=ctx.tz)


def plan_meeting(
    ctx: Ctx, minutes: Minutes, series_key: str, assume: dict[str, str], day: date | None
) -> MeetingPlan:
    """Read the minutes against the partnership and what is stored; stores nothing."""
    series = _series(ctx, series_key)
    ctx.series = series
    sref = ctx.sref
    day = day or minutes.day
    problems: list[Problem] = []
    notes = list(minutes.notes)
    starts_at = ends_at = None
    if day is None:
        problems.append(
            Problem(
                "the top of the minutes",
                "no date found (“Friday 22 September 2023”).",
                "Give it with --date 22/09/2023.",
            )
        )
    elif day >= ctx.today:
        problems.append(
            Problem(
                "the date",
                f"{long_date(day)} is not in the past: only a meeting already held is imported.",
                "Check the date at the top of the minutes, or give --date.",
            )
        )
    else:
        start = minutes.start or time(9, 0)
        if minutes.start is None:
            notes.append("No time found beside the date: the meeting is stored at 09:00.")
        starts_at = _at(ctx, day, start)
        ends_at = _at(ctx, day, minutes.end) if minutes.end and minutes.end > start else None
    people = _People(ctx, assume)
    members = true_members(ctx)
    rows: dict[str, Row] = {}
    chair: str | None = None

    def put(row: Row) -> None:
        had = rows.get(row.key)
        if had is None:
            rows[row.key] = row
            return
        if had.status == row.status or {had.status, row.status} <= {"apologies", "absent"}:
            if row.status == "apologies":  # apologies sent is more than not in attendance
                had.status = "apologies"
            return
        if {had.status, row.status} == {"deputy", "present"} or {had.status, row.status} == {
            "deputy",
            "in_attendance",
        }:
            if row.status == "deputy":
                had.status, had.deputy_for = "deputy", row.deputy_for
            return
        if had.status == "apologies" and row.status in ("present", "in_attendance") and had.deputy_for:
            return
        problems.append(
            Problem(
                row.where,
                f"{_label(ctx, row.key)} is {_STATUS_SHOWN[row.status]} here and "
                f"{_STATUS_SHOWN[had.status]} at {had.where}.",
                "Correct the minutes, or leave one of them out.",
            )
        )

    def deputise(one: Named, deputy: str, member_typed: str) -> None:
        member = people.who(one, member_typed, member=True)
        if member is None:
            return
        if member not in members:
            problems.append(
                Problem(
                    one.where,
                    f"{ctx.name(member)} is not a member of {series.name}: a deputy stands in for a member.",
                    "Correct the minutes.",
                )
            )
            return
        if deputy == member:
            problems.append(
                Problem(one.where, "someone cannot deputise for themselves.", "Correct the minutes.")
            )
            return
        put(Row(member, "apologies", one.where, member_typed))
        put(Row(deputy, "deputy", one.where, one.typed, deputy_for=member))

    for one in minutes.people:
        if one.section == "table":
            key = people.who(one)
            if key is None:
                continue
            if one.chairs and day is not None and key != sref.chair_on(day):
                chair = key
            if one.for_member:
                deputise(one, key, one.for_member)
            elif key in members:
                put(Row(key, "present", one.where, one.typed))
            elif key in sref.observers:
                put(Row(key, "present", one.where, one.typed, role_note=OBSERVER))
            else:
                note = _role_note([n for n in one.notes if not one.chairs or n.lower() != "chair"])
                put(
                    Row(
                        key,
                        "in_attendance",
                        one.where,
                        one.typed,
                        role_note=note or (None if key.startswith("guest:") else _non_member_note(ctx, key)),
                    )
                )
        elif one.section == "apologies":
            outsiders: list[str] = []
            key = people.who(one, member=True, outsiders=outsiders)
            if outsiders:
                notes.append(
                    f"{one.where}: {outsiders[0]} is not in the partnership file: apologies are for members, "
                    "so theirs are not recorded."
                )
            if key is None:
                continue
            if key not in members:
                notes.append(
                    f"{one.where}: {ctx.name(key)} is not a member of {series.name}: apologies are "
                    "for members, so theirs are not recorded."
                )
                continue
            put(Row(key, "apologies", one.where, one.typed))
            if one.deputy:
                deputy_named = Named(one.where, "apologies", one.deputy)
                _settle(deputy_named)
                deputy = people.who(deputy_named)
                if deputy is not None:
                    deputise(one, deputy, one.typed)
        elif one.section == "absent":
            key = people.who(one)
            if key is not None:
                put(Row(key, "absent", one.where, one.typed))
        elif one.section == "notes":
            key = people.who(one) if one.typed else None
            if key is not None and key not in rows:
                if key in members:
                    put(Row(key, "present", one.where, one.typed))
                else:
                    put(Row(key, "in_attendance", one.where, one.typed, role_note="minute taker"))
    if not rows and not people.problems:
        problems.append(
            Problem(
                minutes.name,
                "no attendance found: no table with a Name column, no apologies.",
                "Minutes list who attended in a table headed Name, Initials, Organisation (docs/import.md).",
            )
        )
    # Members the minutes do not mention were not in attendance, as `meeting end` records it.
    listed = {d for ds in sref.deputies.values() for d in ds}
    unlisted = [
        i
        for i in sorted(ctx.seats(sref) if day is None else ctx.roster.members_on(sref, day))
        if i not in rows and i not in listed and i != sref.minute_taker and ctx.roster.people[i].active
    ]
    problems.extend(people.problems)
    problems.sort(key=lambda p: int(m.group()) if (m := re.search(r"\d+", p.where)) else 0)
    existing = None
    if starts_at is not None and day is not None:
        lo = _at(ctx, day, time(0))
        same_day = list(
            ctx.session.scalars(
                select(Meeting).where(
                    Meeting.series_id == series.id,
                    Meeting.status != "cancelled",
                    Meeting.starts_at >= lo,
                    Meeting.starts_at < lo + timedelta(days=1),
                )
            )
        )
        for m in same_day:
            if m.door == DOOR:
                existing = m
            else:
                problems.append(
                    Problem(
                        "the date",
                        f"{series.name} already has a meeting on {long_date(day)} in the bot "
                        f"(meeting {m.id}, {m.status}).",
                        "Its record is the bot's own: there is nothing to import for that day.",
                    )
                )
    tracker = None
    if minutes.tracker is not None:
        tracker = plan_import(ctx, minutes.tracker, series.key, assume, day)
        # An --assume the attendance used is not one the tracker did not need.
        tracker.notes = [
            n for n in tracker.notes if not any(n.startswith(f"--assume {k}=") for k in people.used)
        ]
        people.used |= set(tracker.assumed)
    for unused in sorted(set(assume) - people.used):
        notes.append(
            f"--assume {unused}={assume[unused]} was not needed: nobody in the minutes is “{unused}”."
        )
    plan = MeetingPlan(
        minutes,
        series,
        day,
        starts_at,
        ends_at,
        chair,
        list(rows.values()),
        unlisted,
        people.guests,
        problems,
        notes,
        tracker,
        existing,
    )
    if plan.existing is not None:
        plan.changes = _changes(ctx, plan, plan.existing)
    return plan


def _changes(ctx: Ctx, plan: MeetingPlan, meeting: Meeting) -> list[str]:
    """What an import again would change of the meeting it stored before."""
    stored = {ctx.initials_of(r.person_id): r for r in sheet(ctx, meeting) if r.person_id is not None}
    out = []
    for row in [*plan.rows, *(Row(i, "absent", "", "") for i in plan.unlisted)]:
        had = stored.get(row.key)
        deputy_for = ctx.person_id(row.deputy_for) if row.deputy_for else None
        if had is None:
            out.append(f"{_label(ctx, row.key)}: {_STATUS_SHOWN[row.status]}")
        elif (had.status, had.deputy_for_id) != (row.status, deputy_for):
            out.append(f"{_label(ctx, row.key)}: {_STATUS_SHOWN[had.status]} → {_STATUS_SHOWN[row.status]}")
    return out


# --- storing ---------------------------------------------------------------------------------------------


@dataclass
class MeetingCounts:
    meeting: str  # "imported" | "updated" | "unchanged"
    rows: int = 0
    guests: int = 0


def apply_meeting(ctx: Ctx, plan: MeetingPlan, assume: dict[str, str]) -> tuple[MeetingCounts, str]:
    """Store the plan in the caller's transaction; refused whole while any problem is left. Returns the
    counts and the tracker import's own line."""
    if not plan.ok:
        raise UserError("Problems are left: nothing was imported.")
    assert plan.starts_at is not None and plan.day is not None
    series, file = plan.series, plan.minutes.name
    counts = MeetingCounts("unchanged")
    keys: dict[str, str] = {}
    for name, agency in plan.guests.items():
        keys[f"guest:{name}"] = record_guest(ctx, name, agency=agency)
        counts.guests += 1
    meeting = plan.existing
    if meeting is None:
        end = plan.ends_at or plan.starts_at
        meeting = Meeting(
            series_id=series.id,
            status="closed",
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            place=plan.minutes.place,
            door=DOOR,
            channel=file[:200],
            opened_at=plan.starts_at,
            closed_at=end,
            sequence=0,
            chair=plan.chair,
        )
        ctx.session.add(meeting)
        ctx.session.flush()
        counts.meeting = "imported"
    stored = {r.person_id: r for r in sheet(ctx, meeting)}
    for row in [
        *plan.rows,
        *(Row(i, "absent", "the minutes do not mention them", "") for i in plan.unlisted),
    ]:
        key = keys.get(row.key, row.key)
        pid = ctx.person_id(key)
        deputy_for = ctx.person_id(row.deputy_for) if row.deputy_for else None
        had = stored.get(pid)
        if had is not None and (had.status, had.deputy_for_id) == (row.status, deputy_for):
            continue
        before = {"status": had.status} if had is not None else None
        if had is None:
            had = add_row(
                ctx,
                meeting,
                Attendance(
                    meeting_id=meeting.id, person_id=pid, status=row.status, updated_at=ctx.now, movements=[]
                ),
            )
        had.status, had.deputy_for_id, had.role_note = row.status, deputy_for, row.role_note
        had.updated_at = ctx.now
        if row.status in ("present", "deputy", "in_attendance"):
            had.arrived_at = plan.starts_at
        counts.rows += 1
        ctx.audit(
            "attendance",
            f"{meeting.id}:{key}",
            "recorded",
            before,
            {
                "status": row.status,
                "deputy_for": row.deputy_for,
                "role_note": row.role_note,
                "import": file,
                "row": row.where,
            },
        )
    if counts.rows and counts.meeting == "unchanged":
        counts.meeting = "updated"
    if counts.meeting != "unchanged" or counts.guests:
        ctx.audit(
            "meeting",
            meeting.id,
            "imported" if counts.meeting == "imported" else "updated",
            None,
            {
                "series": series.key,
                "at": plan.starts_at,
                "import": file,
                "kind": plan.minutes.kind,
                "attendance": counts.rows,
                "guests": counts.guests,
                "assumed": assume or None,
            },
        )
    ctx.session.flush()
    line = ""
    if plan.tracker is not None:
        # Read again now the guests of the attendance are recorded, so a name in both is one guest.
        tracker = plan_import(ctx, plan.tracker.source, series.key, assume, plan.day)
        tracker.meeting = meeting
        line = str(apply_import(ctx, tracker))
        _file_at_meeting(ctx, series, meeting, plan.day)
    return counts, line


def _file_at_meeting(ctx: Ctx, series: Series, meeting: Meeting, day: date) -> None:
    """The tracker's updates of the meeting's date were given at it: filed there, at its time."""
    assert meeting.starts_at is not None
    lo = _at(ctx, day, time(0))
    ids = select(Action.id).where(Action.series_id == series.id)
    ctx.session.execute(
        update(ActionUpdate)
        .where(
            ActionUpdate.action_id.in_(ids),
            ActionUpdate.door == DOOR,
            ActionUpdate.meeting_id.is_(None),
            ActionUpdate.kind != "created",
            ActionUpdate.at >= lo,
            ActionUpdate.at < lo + timedelta(days=1),
        )
        .values(meeting_id=meeting.id)
        .execution_options(synchronize_session=False)
    )


# --- the preview ---------------------------------------------------------------------------------------


def report(ctx: Ctx, plan: MeetingPlan, *, dry_run: bool) -> str:
    m = plan.minutes
    lines = [f"{m.name}: a meeting of {plan.series.name}"]
    if plan.starts_at is not None:
        local = plan.starts_at.astimezone(ctx.tz)
        when = f"{long_date(local.date())}, {local:%H:%M}"
        if plan.ends_at is not None:
            when += f"–{plan.ends_at.astimezone(ctx.tz):%H:%M}"
        lines[0] += f" on {when}" + (f", {m.place}" if m.place else "")
    lines[0] += "."
    if plan.existing is not None:
        lines.append(
            f"  Already imported (meeting {plan.existing.id}, from {plan.existing.channel}): only what "
            "differs is changed."
        )
    if plan.chair:
        lines.append(f"  Chaired by {ctx.name(plan.chair)}, not the file's chair of that day.")
    lines.extend(f"  note: {n}" for n in plan.notes)
    lines.append("")
    by_status: dict[str, list[str]] = {}
    for row in plan.rows:
        shown = _label(ctx, row.key)
        if row.typed and typed_name(row.typed) not in (shown, row.key):
            shown = f"{row.typed} → {shown}"
        if row.deputy_for:
            shown += f" (for {ctx.name(row.deputy_for)})"
        if row.role_note:
            shown += f" ({row.role_note})"
        by_status.setdefault(row.status, []).append(shown)
    for status in ("present", "deputy", "in_attendance", "apologies", "absent"):
        if by_status.get(status):
            lines.append(f"{_STATUS_SHOWN[status].capitalize()}: {', '.join(by_status[status])}.")
    if plan.unlisted:
        lines.append(
            "Not mentioned, so recorded as not in attendance (as `meeting end` does): "
            + ", ".join(ctx.name(i) for i in plan.unlisted)
            + "."
        )
    if plan.guests:
        lines.append("New guests (full names nobody in the file has): " + ", ".join(plan.guests) + ".")
    if plan.existing is not None:
        lines.append("Changes to the stored meeting: " + ("; ".join(plan.changes) or "none") + ".")
    if plan.problems:
        lines.append("")
        lines.append(
            f"{len(plan.problems)} problem{'s' if len(plan.problems) != 1 else ''} in the attendance:"
        )
        lines.extend(f"  {p}" for p in plan.problems)
    text = "\n".join(lines) + "\n"
    if plan.tracker is not None:
        text += "\nThe action tracker:\n" + tracker_report(ctx, plan.tracker, dry_run=dry_run)
    if plan.ok and dry_run and plan.tracker is None:
        text += "\nNo problems: nothing was stored (--dry-run): run it again without --dry-run to import.\n"
    elif plan.problems:
        text += (
            "Settle these before importing (nothing was stored).\n" if dry_run else "Nothing was imported.\n"
        )
    return text
