"""Reading an action tracker from a file into rows: the minutes' own text, CSV, Excel, Word and PDF.

Every reader gives the same `Source`: one `SourceRow` per action, its cells as written (nothing
resolved yet), each with where it was read (`line 114`, `row 5, column “Owner”`) so a problem can
name it. `handlers/import_tracker.py` reads the rows against the partnership (owners, dates,
numbers) and stores them.

Tables (CSV, Excel, Word tables) find their columns by meaning ("No", "Ref", "Action", "Owner",
"Lead", "Responsible", "Due", "Deadline", "Target date", "Update", "Progress", "Status", "RAG",
"Date raised", "Meeting"); `--map Column=field` names any other. The minutes' text form is

    Action 7. NSCP Business Unit to raise the issue … Disabled Children's Triage.

    EL updated that a meeting has been arranged in October. Action ongoing.

its first paragraph the action, the paragraphs after it the update, the closing words its status.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from handlers.context import UserError

# The fields a row may give, and the headers that mean each (compared without case or punctuation).
FIELDS = ("number", "action", "owner", "due", "update", "status", "raised", "meeting")
_HEADERS: dict[str, tuple[str, ...]] = {
    "number": (
        "no",
        "number",
        "ref",
        "reference",
        "action no",
        "action number",
        "action ref",
        "ref no",
        "id",
        "item",
        "item no",
    ),
    "action": ("action", "actions", "action description", "description", "task", "action required", "detail"),
    "owner": (
        "owner",
        "owners",
        "lead",
        "leads",
        "responsible",
        "action owner",
        "lead officer",
        "responsible officer",
        "who",
        "by whom",
        "lead agency",
        "responsibility",
    ),
    "due": (
        "due",
        "due date",
        "deadline",
        "target date",
        "target",
        "by when",
        "timescale",
        "completion date",
    ),
    "update": (
        "update",
        "updates",
        "progress",
        "latest update",
        "progress update",
        "comments",
        "comment",
        "notes",
        "update progress",
    ),
    "status": ("status", "rag", "rag status", "brag", "open closed", "state"),
    "raised": ("date raised", "raised", "date opened", "date added", "opened", "date"),
    "meeting": ("meeting", "meeting raised", "raised at", "raised in", "meeting date", "source"),
}
# Words that give a header its meaning when it is not one of the above ("Action owner (agency)").
_HEADER_WORDS: tuple[tuple[str, str], ...] = (
    ("owner", "owner"),
    ("lead", "owner"),
    ("responsib", "owner"),
    ("raised", "raised"),
    ("deadline", "due"),
    ("due", "due"),
    ("target", "due"),
    ("update", "update"),
    ("progress", "update"),
    ("comment", "update"),
    ("status", "status"),
    ("rag", "status"),
    ("meeting", "meeting"),
    ("ref", "number"),
    ("number", "number"),
    ("action", "action"),
    ("description", "action"),
)


@dataclass
class SourceRow:
    """One action as written in the file: its cells as text (or dates, from a spreadsheet)."""

    where: str  # "line 114" or "row 5"
    number: str | None = None
    action: str = ""
    owner: str | None = None
    due: str | date | None = None
    status: str | None = None
    # Updates as written: (the date written beside it, the text). The text form gives one, undated.
    updates: list[tuple[date | None, str]] = field(default_factory=list)
    raised: str | date | None = None
    meeting: str | date | None = None
    columns: dict[str, str] = field(default_factory=dict)  # field -> the column's header, for messages
    minutes_form: bool = False  # the minutes' text: owners and due date are read from the action itself

    def at(self, name: str) -> str:
        """Where a field was read: "row 5, column “Owner”", or the line of a tracker in text form."""
        column = self.columns.get(name)
        return f"{self.where}, column “{column}”" if column else self.where


@dataclass
class Source:
    name: str  # the file's name, for the audit trail
    kind: str  # text | csv | xlsx | docx | pdf
    rows: list[SourceRow]
    date: date | None = None  # the document's own date (minutes), for updates written without one
    notes: list[str] = field(default_factory=list)  # columns not read, and the like


# --- tables -------------------------------------------------------------------------------------------


def _norm_header(text: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9 ]+", " ", text.lower())).strip()


def parse_map(pairs: Sequence[str]) -> dict[str, str]:
    """--map Column=field, each: the column's header (normalised) -> the field it gives."""
    out: dict[str, str] = {}
    for pair in pairs:
        column, sep, name = pair.rpartition("=")
        name = name.strip().lower()
        if not sep or not column.strip():
            raise UserError(f"--map {pair!r}: write it as COLUMN=FIELD, e.g. --map 'Lead officer=owner'.")
        if name not in (*FIELDS, "ignore"):
            raise UserError(
                f"--map {pair!r}: {name!r} is no field; use one of {', '.join(FIELDS)} (or ignore). "
                "Nothing was imported."
            )
        out[_norm_header(column)] = name
    return out


def header_field(header: str, mapping: dict[str, str]) -> str | None:
    """The field a column gives, by its header's meaning (or --map); None: not read."""
    low = _norm_header(header)
    if low in mapping:
        return None if mapping[low] == "ignore" else mapping[low]
    if not low:
        return None
    for name, headers in _HEADERS.items():
        if low in headers:
            return name
    words = low.split()
    if words and words[-1] in ("no", "ref", "number", "id") and len(words) <= 3:
        return "number"
    for word, name in _HEADER_WORDS:
        if word in low:
            return name
    return None


def _cell_text(value: object) -> str | date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


_HEADER_SCAN = 15  # rows above the table (a title, a date) are skipped until its header row


def read_table(
    name: str, kind: str, table: Iterable[Sequence[object]], mapping: dict[str, str], *, first_row: int = 1
) -> Source:
    """A tracker laid out as a table: the first row whose cells name an action and a number or owner is the
    header; every row under it with an action or a number is an action."""
    rows = [list(r) for r in table]
    header_at = None
    fields: list[str | None] = []
    for i, row in enumerate(rows[:_HEADER_SCAN]):
        found = [header_field(str(c), mapping) if c is not None else None for c in row]
        if "action" in found and ("number" in found or "owner" in found):
            header_at, fields = i, found
            break
    if header_at is None:
        raise UserError(
            f"{name}: no header row naming the action and its number or owner in the first "
            f"{_HEADER_SCAN} rows. Name the columns with --map, e.g. --map 'Ref=number' --map "
            "'Description=action'. Nothing was imported."
        )
    headers = [str(c).strip() if c is not None else "" for c in rows[header_at]]
    seen: dict[str, int] = {}
    notes = []
    for i, f in enumerate(fields):
        if f is None:
            if headers[i]:
                notes.append(
                    f"Column “{headers[i]}” was not read: name it with --map '{headers[i]}=FIELD' "
                    f"({', '.join(FIELDS)})."
                )
            continue
        if f in seen and f != "update":
            notes.append(
                f"Column “{headers[i]}” also reads as {f} (after “{headers[seen[f]]}”): "
                "only the first is read."
            )
            fields[i] = None
            continue
        seen.setdefault(f, i)
    out: list[SourceRow] = []
    for offset, row in enumerate(rows[header_at + 1 :], start=header_at + 1):
        cells = {f: _cell_text(row[i]) for i, f in enumerate(fields) if f and i < len(row)}
        if not any(cells.get(f) for f in ("number", "action")):
            continue
        filled = [c for c in row if _cell_text(c) is not None]
        number = cells.get("number")
        if len(filled) == 1 and not re.search(r"\d", str(number or "")):
            # A section heading across the table ("Governance"), not an action.
            notes.append(f"Row {offset + first_row} skipped: “{filled[0]}” reads as a heading.")
            continue
        src = SourceRow(
            where=f"row {offset + first_row}",
            columns={f: headers[i] for i, f in enumerate(fields) if f},
        )
        src.number = str(number) if number is not None else None
        src.action = str(cells.get("action") or "")
        owner = cells.get("owner")
        src.owner = str(owner) if owner is not None else None
        src.due = cells.get("due")
        status = cells.get("status")
        src.status = str(status) if status is not None else None
        src.raised = cells.get("raised")
        src.meeting = cells.get("meeting")
        for i, f in enumerate(fields):
            if f == "update" and i < len(row):
                value = _cell_text(row[i])
                if isinstance(value, str):
                    src.updates.extend(split_updates(value))
        out.append(src)
    return Source(name, kind, out, notes=notes)


_UPDATE_DATE = re.compile(
    r"^\s*(?P<date>\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}\.?\s+\d{4})\s*[:\-–—)]?\s*(?=\S)"
)


def split_updates(text: str) -> list[tuple[date | None, str]]:
    """An update cell: one update, or several each opening with its date ("12/09/23: …")."""
    lines = [line.strip() for line in text.replace("\r", "").split("\n") if line.strip()]
    out: list[tuple[date | None, str]] = []
    for line in lines:
        m = _UPDATE_DATE.match(line)
        day = absolute_date(m.group("date")) if m else None
        if day is not None and m is not None:
            out.append((day, line[m.end() :].strip()))
        elif out:
            out[-1] = (out[-1][0], f"{out[-1][1]} {line}")
        else:
            out.append((None, line))
    return [(d, t) for d, t in out if t]


_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}
_NUMERIC = re.compile(r"^\s*(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\s*$")
_ISO = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ][\d:.]+)?\s*$")
_WORDS = re.compile(
    r"^\s*(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)[a-z]*,?\s+)?(?:the\s+)?"
    r"(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?([A-Za-z]{3,9})\.?,?\s+(\d{4})\s*$",
    re.I,
)


def absolute_date(text: str) -> date | None:
    """A date written in full (22/09/2023, 22/09/23, 2023-09-22, 22 September 2023); None otherwise."""
    try:
        if m := _NUMERIC.match(text):
            year = int(m.group(3))
            return date(year + 2000 if year < 100 else year, int(m.group(2)), int(m.group(1)))
        if m := _ISO.match(text):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if (m := _WORDS.match(text)) and m.group(2).lower() in _MONTHS:
            return date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    except ValueError:
        return None
    return None


def read_csv(path: Path, mapping: dict[str, str]) -> Source:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # cp1252 decodes most bytes; this is a file of another kind
        raise UserError(f"{path.name}: cannot read it as text (CSV). Nothing was imported.")
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return read_table(path.name, "csv", csv.reader(io.StringIO(text), dialect), mapping)


def read_xlsx(path: Path, mapping: dict[str, str], sheet: str | None = None) -> Source:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as e:  # openpyxl raises several kinds for a file that is not a workbook
        raise UserError(
            f"{path.name}: cannot read it as an Excel workbook ({e}). Nothing was imported."
        ) from e
    try:
        names = book.sheetnames
        if sheet is not None and sheet not in names:
            raise UserError(f"{path.name} has no sheet {sheet!r} (sheets: {', '.join(names)}).")
        sheets = [sheet] if sheet else names
        problem: UserError | None = None
        for name in sheets:
            try:
                source = read_table(path.name, "xlsx", book[name].iter_rows(values_only=True), mapping)
            except UserError as e:
                problem = problem or e
                continue
            if len(names) > 1:
                source.notes.insert(0, f"Read sheet “{name}”.")
            return source
        assert problem is not None
        raise problem
    finally:
        book.close()


# --- the minutes' own text ----------------------------------------------------------------------------

_ACTION_LINE = re.compile(
    r"^\s*actions?\s+(?:no\.?\s*)?(?P<num>\d{1,5})(?:\s*[.:;)\-–—]+\s*|\s+(?=[A-Z]))(?P<body>.*)$", re.I
)
# What ends a tracker: an agenda item ("3.\tSummit update"), a heading, a new unnumbered action.
_SECTION = re.compile(r"^\s*(?:#|\d{1,2}\.(?:\s|$)|actions?\s*[:\-–—]|\*\*)", re.I)
END_STATUS = re.compile(
    r"(?:^|(?<=[.;,!?])\s*|\s[-–—]+\s*)(?:(?:the\s+)?(?:action|status)\s*[:\-–—]?\s*)?"
    r"(?P<word>ongoing|open|remains\s+open|closed|complete[d]?|done|dropped|withdrawn|superseded"
    r"|carried\s+forward|on\s+hold)\s*[.!]?\s*$",
    re.I,
)
_DOC_DATE = re.compile(
    r"\b(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day\s+)?(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\s+(\d{4})\b",
    re.I,
)


def cut_status(text: str) -> tuple[str, str | None]:
    """A paragraph's closing status ("… Action ongoing."), and the paragraph without it."""
    m = END_STATUS.search(text)
    if m is None:
        return text, None
    return text[: m.start()].rstrip(), re.sub(r"\s+", " ", m.group("word").lower())


def document_date(lines: Sequence[str], limit: int = 20) -> date | None:
    """The date at the top of minutes ("Friday 22 September 2023 – 9:00 am")."""
    for line in lines[:limit]:
        for m in _DOC_DATE.finditer(line):
            if m.group(2).lower() in _MONTHS:
                try:
                    return date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
                except ValueError:
                    continue
    return None


_NUMERIC_IN = re.compile(r"\b\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b")


def date_in(text: str) -> date | None:
    """A date written inside other words ("CPOG 12/07/2023", "Board, 12 July 2023")."""
    found = document_date([text])
    if found is None and (m := _NUMERIC_IN.search(text)):
        found = absolute_date(m.group())
    return found


def read_text(name: str, text: str, kind: str = "text") -> Source:
    """The tracker as minutes print it: `Action N.` opens each action, its update paragraphs follow, and
    "Action ongoing." / "Action closed." closes it."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    rows: list[SourceRow] = []
    row: SourceRow | None = None
    paragraphs: list[str] = []
    closed = False

    def finish() -> None:
        nonlocal row
        if row is None:
            return
        first, *rest = paragraphs or [""]
        row.action = first
        status = None
        if rest:
            last, status = cut_status(rest[-1])
            rest[-1] = last
        update = " ".join(p for p in rest if p)
        if update:
            row.updates.append((None, update))
        row.status = status
        rows.append(row)
        row = None

    blank = True
    for i, line in enumerate(lines, start=1):
        m = _ACTION_LINE.match(line)
        if m:
            finish()
            row = SourceRow(where=f"line {i}", number=m.group("num"), minutes_form=True)
            paragraphs = [m.group("body").strip()]
            closed = cut_status(paragraphs[0])[1] is not None
            blank = False
            continue
        if row is None:
            continue
        if not line.strip():
            blank = True
            continue
        if closed or _SECTION.match(line):
            finish()
            continue
        if blank:
            paragraphs.append(line.strip())
        else:
            paragraphs[-1] = f"{paragraphs[-1]} {line.strip()}".strip()
        blank = False
        closed = cut_status(paragraphs[-1])[1] is not None
    finish()
    if not rows:
        raise UserError(
            f"{name}: no numbered actions found. A tracker in text opens each action with its number, "
            "“Action 7. …”, as the minutes print it. Nothing was imported."
        )
    return Source(name, kind, rows, date=document_date(lines))


# --- Word and PDF ----------------------------------------------------------------------------------------


def _docx_blocks(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    """A Word document's paragraphs in reading order (those inside table cells too, as minutes laid out
    in an "Item" table have them), and its tables as rows of cell texts."""
    from docx import Document
    from docx.document import Document as DocumentType
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        doc: DocumentType = Document(str(path))
    except Exception as e:  # python-docx raises several kinds for a file that is not a Word document
        raise UserError(f"{path.name}: cannot read it as a Word document ({e}). Nothing was imported.") from e
    paragraphs: list[str] = []
    tables: list[list[list[str]]] = []

    def walk_table(table: Table) -> None:
        rows: list[list[str]] = []
        for row in table.rows:
            cells, seen = [], set()
            for cell in row.cells:
                cells.append(cell.text.strip())
                if id(cell._tc) in seen:  # a merged cell repeats in every column it spans
                    continue
                seen.add(id(cell._tc))
                for block in cell.iter_inner_content():
                    if isinstance(block, Paragraph):
                        paragraphs.append(block.text)
                    else:
                        walk_table(block)
            rows.append(cells)
        tables.append(rows)

    for block in doc.iter_inner_content():
        if isinstance(block, Paragraph):
            paragraphs.append(block.text)
        else:
            walk_table(block)
    return paragraphs, tables


def read_docx(path: Path, mapping: dict[str, str]) -> Source:
    """A tracker table in a Word document, or else the minutes' text form in its paragraphs."""
    paragraphs, tables = _docx_blocks(path)
    day = document_date(paragraphs)
    for rows in tables:
        try:
            source = read_table(path.name, "docx", rows, mapping)
        except UserError:
            continue
        if source.rows:
            source.date = day
            return source
    # Each Word paragraph is a paragraph of the text form (a line break inside one is not a new one).
    source = read_text(path.name, "\n\n".join(p.replace("\n", " ") for p in paragraphs), "docx")
    return source


def read_pdf(path: Path) -> Source:
    """The text of published minutes: the tracker in its text form. Where the page shows no gap
    between an action and its update, they run on as one paragraph, which the text form reads too."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        # The layout mode keeps the gap between paragraphs as a blank line, as the text form has it.
        text = "\n".join(page.extract_text(extraction_mode="layout") or "" for page in reader.pages)
    except (PdfReadError, OSError, ValueError) as e:
        raise UserError(f"{path.name}: cannot read it as a PDF ({e}). Nothing was imported.") from e
    if not text.strip():
        raise UserError(
            f"{path.name}: the PDF has no text to read (a scan?). Import the Word or text version. "
            "Nothing was imported."
        )
    return read_text(path.name, text, "pdf")


# --- choosing the reader ------------------------------------------------------------------------------

READERS = {
    ".txt": "text",
    ".text": "text",
    ".md": "text",
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".docx": "docx",
    ".pdf": "pdf",
}


def read_source(path: Path, mapping: dict[str, str] | None = None) -> Source:
    """Read a tracker file by its kind (its extension)."""
    mapping = mapping or {}
    if not path.is_file():
        raise UserError(f"No file {path}. Nothing was imported.")
    kind = READERS.get(path.suffix.lower())
    if kind == "text":
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            text = path.read_text(encoding="cp1252")
        return read_text(path.name, text)
    if kind == "csv":
        return read_csv(path, mapping)
    if kind == "xlsx":
        return read_xlsx(path, mapping)
    if kind == "docx":
        return read_docx(path, mapping)
    if kind == "pdf":
        return read_pdf(path)
    known = ", ".join(sorted(READERS))
    raise UserError(f"{path.name}: cannot read {path.suffix or 'a file without extension'} files ({known}).")
