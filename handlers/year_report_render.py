"""The year report as files: Word with its charts, tagged PDF, CSV of every figure, PNG charts; and
its chat summary.

The PDF goes through the documents' own template machinery (handlers/documents_render.py:
`year_report.html.j2` on the shared page shell and stylesheet, WeasyPrint's PDF/UA). The Word file
is built with python-docx, because its charts are pictures whose text alternative Word keeps in the
picture's description; the core properties are set as the other documents set them.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from handlers.documents_render import (
    DOCX,
    PDF,
    Later,
    Templates,
    cycle_collection_paused,
    render_pdf,
    render_text,
)
from handlers.format import printable, spreadsheet_cell
from handlers.reply import File
from handlers.year_report import (
    CARRIED_MEETINGS,
    STATE_WORDS,
    STATES,
    ActionFigures,
    Scope,
    YearReport,
    percent,
)
from handlers.year_report_charts import Chart, Plan, chart_plans, charts
from handlers.year_report_worker import Split, WorkerFailed

log = logging.getLogger("partnerbot.year_report")

CSV = "text/csv"
PNG = "image/png"
CSV_COLUMNS = ("scope", "section", "subject", "measure", "value")


def _days(value: float | None) -> str:
    if value is None:
        return "none closed"
    return f"{value:g}"


# --- CSV: every figure, one row each --------------------------------------------------------------------


def figure_rows(report: YearReport) -> list[tuple[str, str, str, str, Any]]:
    """(scope, section, subject, measure, value): the numbers behind every table and chart."""
    rows: list[tuple[str, str, str, str, Any]] = [
        ("partnership", "report", report.partnership, "from", report.start.isoformat()),
        ("partnership", "report", report.partnership, "to", report.end.isoformat()),
        ("partnership", "report", report.partnership, "as of", report.as_of.isoformat(timespec="seconds")),
    ]
    for scope in report.scopes:
        k = scope.key
        rows.append((k, "meetings", scope.name, "meetings held", scope.held))
        for a in scope.agencies:
            for state in STATES:
                rows.append((k, "engagement", a.name, STATE_WORDS[state], a.count(state)))
            rows.append((k, "engagement", a.name, "meetings with a seat", a.expected))
            rows.append((k, "engagement", a.name, "in attendance without a seat", a.in_attendance))
            rows.append(
                (k, "engagement", a.name, "attendance rate", "" if a.rate is None else round(a.rate * 100, 1))
            )
            rows.append((k, "engagement", a.name, "statutory", "yes" if a.statutory else "no"))
        for m in scope.meetings:
            for a in scope.agencies:
                rows.append((k, "meeting", a.name, m.day.isoformat(), m.states.get(a.key, "no seat")))
            rows.append((k, "meeting quorum", m.day.isoformat(), "quorum", m.quorum))
            if m.missing:
                rows.append((k, "meeting quorum", m.day.isoformat(), "missing", "; ".join(m.missing)))
        q = scope.quorum
        for measure, value in (
            ("meetings held", q.held),
            ("quorate throughout", q.throughout),
            ("quorum lost during the meeting", q.lost),
            ("never quorate", q.never),
            ("no quorum rule", q.no_rule),
            ("decisions", q.decisions),
            ("decisions taken inquorate", q.for_ratification),
            ("decisions ratified", q.ratified),
            ("decisions awaiting ratification", q.awaiting),
        ):
            rows.append((k, "quorum", scope.name, measure, value))
        for owner in [scope.total, *scope.actions]:
            rows.extend(
                (k, "actions", owner.name, measure, value) for measure, value in _action_measures(owner)
            )
        for month in scope.months:
            label = f"{month.month:%Y-%m}"
            rows.append((k, "actions per month", label, "raised", month.raised))
            rows.append((k, "actions per month", label, "closed", month.closed))
            rows.append(
                (
                    k,
                    "actions per month",
                    label,
                    "open at month end",
                    "" if month.open_at_end is None else month.open_at_end,
                )
            )
        r = scope.reminders
        for measure, value in (
            ("reminders sent", r.sent),
            ("messages sent", r.messages),
            ("answered from the reminder", r.answered),
            ("answered in chat", r.by_chat),
            ("answered by e-mail link", r.by_email),
            ("answered elsewhere", r.answered_elsewhere),
        ):
            rows.append((k, "reminders", scope.name, measure, value))
    return rows


def _action_measures(a: ActionFigures) -> list[tuple[str, Any]]:
    return [
        ("kind", a.kind),
        ("raised", a.raised),
        ("closed", a.closed),
        ("closed with a due date", a.closed_dated),
        ("closed by the due date", a.closed_by_due),
        ("open at the end", a.open_at_end),
        ("overdue at the end", a.overdue),
        ("median days to close", "" if a.median_days is None else a.median_days),
        (f"carried over {CARRIED_MEETINGS} meetings with no update", a.carried),
    ]


def csv_text(report: YearReport) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in figure_rows(report):
        writer.writerow([spreadsheet_cell(printable(v)) if isinstance(v, str) else v for v in row])
    return buf.getvalue()


# --- what the documents show ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One scope as the documents print it: plain strings only (templates see nothing else)."""

    key: str
    title: str
    summary: list[str]
    engagement: list[list[str]]
    quorum: list[str]
    actions: list[list[str]]
    reminders: list[str]
    charts: list[dict[str, str]]  # {name, title, alt, src}


ENGAGEMENT_HEAD = ["Agency", "Member", "Deputy", "Apologies", "Absent", "Attended"]
ACTIONS_HEAD = [
    "Owner",
    "Raised",
    "Closed",
    "Closed by due date",
    "Overdue at end",
    "Median days to close",
    "Carried >3 meetings",
]


def _summary(scope: Scope) -> list[str]:
    if not scope.held:
        return ["No meetings were held in this period, so there are no attendance or quorum figures."]
    return [f"{scope.held} meeting{'s' if scope.held != 1 else ''} held."]


def _quorum_lines(scope: Scope) -> list[str]:
    q = scope.quorum
    if not q.held:
        return ["No meetings were held in this period."]
    lines = [
        f"Quorate throughout: {q.throughout} of {q.held}.",
        f"Quorum lost during the meeting: {q.lost}.",
    ]
    if q.never:
        lines.append(f"Never quorate: {q.never}.")
    if q.no_rule:
        lines.append(f"Meetings of a series with no quorum rule: {q.no_rule}.")
    lines += _losses(q.lost_at, dated=scope.key != "partnership")
    lines.append(
        f"Decisions: {q.decisions}; taken inquorate (for ratification): {q.for_ratification}; "
        f"ratified: {q.ratified}; awaiting ratification: {q.awaiting}."
    )
    return lines


def _losses(lost_at: list[tuple[date, list[str]]], *, dated: bool) -> list[str]:
    """One line per agency (or set of agencies) whose absence lost quorum: how often and, for a
    series, on which days. The partnership's section counts them; each series' section dates them."""
    by_missing: dict[str, list[date]] = {}
    for day, missing in lost_at:
        by_missing.setdefault(", ".join(missing) or "not recorded", []).append(day)
    lines = []
    for names, days in by_missing.items():
        line = f"Quorum lost, missing {names}: {len(days)} meeting{'s' if len(days) != 1 else ''}"
        if dated:
            line += " (" + ", ".join(f"{d.day} {d:%B %Y}" for d in days) + ")"
        lines.append(line + ".")
    return lines


def _reminder_lines(scope: Scope) -> list[str]:
    r = scope.reminders
    if not r.sent:
        return ["No reminders were sent in this period."]
    return [
        f"Reminders sent: {r.sent} (in {r.messages} messages).",
        f"Answered from the reminder: {r.answered} (in chat {r.by_chat}, by the e-mail link {r.by_email}).",
        f"Answered in a meeting or channel instead: {r.answered_elsewhere}.",
    ]


def _action_row(a: ActionFigures) -> list[str]:
    by_due = f"{a.closed_by_due} of {a.closed_dated}" if a.closed_dated else "—"
    return [
        a.name if a.kind in ("agency", "total") else f"{a.name} (group)" if a.kind == "group" else a.name,
        str(a.raised),
        str(a.closed),
        by_due,
        str(a.overdue),
        _days(a.median_days),
        str(a.carried),
    ]


def chart_url(chart: Chart | Plan) -> str:
    """How the PDF's HTML names a chart: its PNG is handed to the PDF apart (`chart_images`)."""
    return f"chart:{chart.name}"


def chart_images(drawn: list[Chart]) -> dict[str, bytes]:
    return {chart_url(c): c.png for c in drawn}


def sections(report: YearReport, drawn: Sequence[Chart | Plan]) -> list[Section]:
    """What the documents print of each scope; of each chart, its name, title and text alternative
    (the same drawn or planned)."""
    out = []
    for scope in report.scopes:
        mine = [c for c in drawn if c.name.startswith(f"{scope.key}-")]
        out.append(
            Section(
                key=scope.key,
                title=("The partnership as a whole" if scope.key == "partnership" else scope.name),
                summary=_summary(scope),
                engagement=[
                    [
                        a.name + (" (statutory)" if a.statutory else ""),
                        str(a.member),
                        str(a.deputy),
                        str(a.apologies),
                        str(a.absent),
                        percent(a.rate) if a.expected else "no seat",
                    ]
                    for a in scope.agencies
                ],
                quorum=_quorum_lines(scope),
                actions=[_action_row(a) for a in [scope.total, *scope.actions]],
                reminders=_reminder_lines(scope),
                charts=[
                    {
                        "name": c.name,
                        "title": c.title,
                        "alt": c.alt,
                        "src": chart_url(c),
                    }
                    for c in mine
                ],
            )
        )
    return out


def title_of(report: YearReport) -> str:
    return f"{report.partnership}: the year in figures, {report.period}"


def as_of_text(report: YearReport) -> str:
    return f"Figures as of {report.as_of:%d %B %Y %H:%M} UTC, from the records the bot holds."


# --- Word ------------------------------------------------------------------------------------------------


class _Styled:
    """Paragraphs and tables given their style by its id, looked up once. python-docx looks a style
    named in `add_heading` or `add_paragraph(style=…)` up by searching all the document's styles,
    twice, for every paragraph: a third of the Word file's time. The XML is the same."""

    def __init__(self, doc: Any) -> None:
        from docx.enum.style import WD_STYLE_TYPE

        self.doc = doc
        names = ["Caption", *(f"Heading {n}" for n in (1, 2, 3))]
        self.ids = {name: doc.styles[name].style_id for name in names}
        self.ids["Table Grid"] = doc.styles.get_style_id("Table Grid", WD_STYLE_TYPE.TABLE)

    def paragraph(self, text: str, style: str) -> Any:
        paragraph = self.doc.add_paragraph(text)
        paragraph._p.style = self.ids[style]
        return paragraph

    def heading(self, text: str, level: int) -> Any:
        return self.paragraph(text, f"Heading {level}")


def _table(styled: _Styled, head: list[str], rows: list[list[str]]) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    # The whole table at once, filled through its flat list of cells: adding rows one by one and
    # asking each for its cells searches the table's XML again every time.
    table = styled.doc.add_table(rows=1 + len(rows), cols=len(head))
    table._tbl.tblStyle_val = styled.ids["Table Grid"]
    cells = table._cells
    for cell, text in zip(cells, [*head, *(c for row in rows for c in row)], strict=True):
        cell.text = text
    for cell in cells[: len(head)]:
        cell.paragraphs[0].runs[0].bold = True
    # The header row repeats on every page, as the other documents' tables do.
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def render_docx(report: YearReport, parts: list[Section], drawn: list[Chart]) -> bytes:
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    styled = _Styled(doc)
    styled.heading(title_of(report), level=1)
    doc.add_paragraph(as_of_text(report))
    pngs = {c.name: c for c in drawn}
    for part in parts:
        styled.heading(part.title, level=2)
        for line in part.summary:
            doc.add_paragraph(line)
        styled.heading("Engagement per agency", level=3)
        if part.engagement:
            _table(styled, ENGAGEMENT_HEAD, part.engagement)
        else:
            doc.add_paragraph("No attendance was recorded in this period.")
        styled.heading("Quorum", level=3)
        for line in part.quorum:
            doc.add_paragraph(line)
        styled.heading("Actions", level=3)
        _table(styled, ACTIONS_HEAD, part.actions)
        styled.heading("Reminders", level=3)
        for line in part.reminders:
            doc.add_paragraph(line)
        for c in part.charts:
            chart = pngs[c["name"]]
            styled.paragraph(chart.title, "Caption")
            shape = doc.add_picture(io.BytesIO(chart.png), width=Cm(16))
            # Word's "alt text": the picture's description (and its title), read by screen readers.
            doc_pr = shape._inline.docPr
            doc_pr.set("descr", chart.alt)
            doc_pr.set("title", chart.title)
            doc.add_paragraph(f"Text alternative: {chart.alt}")
    doc.core_properties.title = title_of(report)
    doc.core_properties.language = "en-GB"
    doc.core_properties.author = "partnerbot"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


# --- the files, and the chat summary -------------------------------------------------------------------


def year_pdf(
    templates: Templates,
    report: YearReport,
    parts: list[Section],
    drawn: list[Chart],
    later: Mapping[str, Later] | None = None,
) -> bytes:
    """The tagged PDF: the report's template, its charts given to WeasyPrint by name (`later`:
    those still being drawn, by name, their PNG's head and what returns it)."""
    html = render_text(
        templates,
        "year_report.html.j2",
        None,
        report={"title": title_of(report), "as_of": as_of_text(report), "partnership": report.partnership},
        sections=parts,
    )
    return render_pdf(templates, html, chart_images(drawn), later)


def year_files(
    templates: Templates, report: YearReport, *, pdf: bool = True, worker: bool = True
) -> list[File]:
    """The report's files. With `worker` and a PDF to make, the charts and the Word file are made
    in a second process while this one makes the PDF (handlers/year_report_worker.py): the same
    files, in about half the time on two CPUs. Without a worker, or if it fails, all here."""
    with cycle_collection_paused():
        split = Split.begin(report) if worker and pdf else None
        if split is not None:
            return _year_files_split(templates, report, split)
        return _year_files(templates, report, pdf=pdf)


def _year_files(templates: Templates, report: YearReport, *, pdf: bool) -> list[File]:
    drawn = charts(report.scopes)
    parts = sections(report, drawn)
    docx = render_docx(report, parts, drawn)
    return _files(report, docx, year_pdf(templates, report, parts, drawn) if pdf else None, drawn)


def _files(report: YearReport, docx: bytes, pdf: bytes | None, drawn: list[Chart]) -> list[File]:
    stem = f"{report.partnership_id}-year-{report.start.isoformat()}-to-{report.end.isoformat()}"
    files = [File(f"{stem}.docx", DOCX, docx, "Year in figures (Word)")]
    if pdf is not None:
        files.append(File(f"{stem}.pdf", PDF, pdf, "Year in figures (PDF)"))
    files.append(File(f"{stem}.csv", CSV, csv_text(report).encode(), "Every figure (CSV)"))
    for c in drawn:
        files.append(File(f"{stem}-{c.name}.png", PNG, c.png, c.title))
    return files


class _FromWorker:
    """The charts and the Word file from the worker; made here instead if it fails (logged)."""

    def __init__(self, report: YearReport, split: Split, plans: list[Plan]) -> None:
        self.report, self.split, self.plans = report, split, plans
        self.failed = False
        self._drawn: list[Chart] | None = None

    def _failing(self, e: WorkerFailed) -> None:
        log.warning("year report: the second process failed (%s); made in this one", e)
        self.failed = True

    def charts(self) -> list[Chart]:
        if self._drawn is None:
            try:
                drawn = self.split.charts()
                if [(c.name, c.title, c.alt) for c in drawn] != [
                    (p.name, p.title, p.alt) for p in self.plans
                ]:
                    raise WorkerFailed("its charts are not the ones planned")
                self._drawn = drawn
            except WorkerFailed as e:
                self._failing(e)
                self._drawn = charts(self.report.scopes)
        return self._drawn

    def png(self, name: str) -> bytes:
        return next(c.png for c in self.charts() if c.name == name)

    def word(self, parts: list[Section]) -> bytes:
        if not self.failed:
            try:
                return self.split.word()
            except WorkerFailed as e:
                self._failing(e)
        return render_docx(self.report, parts, self.charts())


def _year_files_split(templates: Templates, report: YearReport, split: Split) -> list[File]:
    # The PDF is laid out from the charts' plans (names, text alternatives and sizes) while the
    # worker draws them; their pixels are needed only when the PDF is written, at its very end.
    plans = chart_plans(report.scopes)
    parts = sections(report, plans)
    worker = _FromWorker(report, split, plans)
    later = {chart_url(p): (p.head, lambda name=p.name: worker.png(name)) for p in plans}
    pdf = year_pdf(templates, report, parts, [], later)
    drawn = worker.charts()
    return _files(report, worker.word(parts), pdf, drawn)


def chat_summary(report: YearReport) -> str:
    whole = report.whole
    lines = [title_of(report), as_of_text(report), ""]
    if not whole.held:
        lines.append("No meetings were held in this period, so there are no attendance or quorum figures.")
    else:
        lines.append(f"Meetings held: {whole.held} across {sum(1 for s in report.series if s.held)} series.")
        q = whole.quorum
        lines.append(
            f"Quorate throughout: {q.throughout}; quorum lost during a meeting: {q.lost}; "
            f"decisions for ratification: {q.for_ratification} (ratified {q.ratified})."
        )
        lines.append("Attendance per agency (represented by a member or deputy):")
        for a in whole.agencies:
            if a.expected:
                lines.append(f"  {a.name}: {percent(a.rate)} of {a.expected} meetings")
    t = whole.total
    lines.append(
        f"Actions: {t.raised} raised, {t.closed} closed, {t.overdue} overdue and {t.carried} carried "
        f"more than 3 meetings with no update at the end."
    )
    r = whole.reminders
    lines.append(
        f"Reminders: {r.sent} sent, {r.answered} answered from the reminder "
        f"(chat {r.by_chat}, e-mail link {r.by_email})."
    )
    lines.append("The Word and PDF report, the CSV of every figure and the charts are attached.")
    return "\n".join(lines)
