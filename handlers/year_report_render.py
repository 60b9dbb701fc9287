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
from collections.abc import Mapping
from typing import Any

from handlers.collector import cycle_collection_paused
from handlers.documents_render import (
    DOCX,
    PDF,
    Later,
    Templates,
    render_pdf,
    render_text,
)
from handlers.format import printable, spreadsheet_cell
from handlers.reply import File
from handlers.year_figures import (
    CARRIED_MEETINGS,
    STATE_WORDS,
    STATES,
    ActionFigures,
    YearReport,
    percent,
)
from handlers.year_report_charts import Chart, Plan, chart_plans, charts
from handlers.year_report_sections import Section, as_of_text, chart_images, chart_url, sections, title_of
from handlers.year_report_word import render_docx
from handlers.year_report_worker import Split, WorkerFailed

log = logging.getLogger("partnerbot.year_report")

CSV = "text/csv"
PNG = "image/png"
CSV_COLUMNS = ("scope", "section", "subject", "measure", "value")


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
