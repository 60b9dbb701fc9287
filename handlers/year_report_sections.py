"""What the year report's documents show of each scope, as plain strings: the Word file
(handlers/year_report_word.py) and the PDF's template (handlers/year_report_render.py) print the
same sections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from handlers.year_figures import ActionFigures, Scope, YearReport, percent
from handlers.year_report_charts import Chart, Plan


def _days(value: float | None) -> str:
    if value is None:
        return "none closed"
    return f"{value:g}"


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
