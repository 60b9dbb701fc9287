"""Time the agenda pack of a busy meeting: 200 open actions (each with owners and two updates), 20 items.

Run: python tests/bench/bench_documents.py   (prints the timings beside the budgets; always exits 0)

Budgets: chat + .docx under 300 ms (data from the database included), the PDF under 1.5 s.
WeasyPrint's import (about a second, once per process) is shown apart: the bot imports it on the
first PDF, not at start-up.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.app import App, open_app  # noqa: E402
from bot.settings import settings_from  # noqa: E402
from handlers.context import Ctx, Request  # noqa: E402
from handlers.documents_data import agenda_pack, find_meeting, minutes_draft  # noqa: E402
from handlers.documents_render import BUILT_IN as T  # noqa: E402
from handlers.documents_render import (  # noqa: E402
    render_chat,
    render_docx,
    render_ics,
    render_pdf,
    render_text,
)
from storage.models import Action, ActionOwner, ActionUpdate, AgendaItem, Meeting, Person, Series  # noqa: E402

BUDGET_CHAT_DOCX_MS = 300.0
BUDGET_PDF_MS = 1500.0
ACTIONS, ITEMS, REPEATS = 200, 20, 5
TZ = ZoneInfo("Europe/London")
NOW = datetime(2024, 3, 8, 9, 30, tzinfo=UTC)


def seed(app: App) -> None:
    """A held meeting on 19 Jan, the next one set for 15 Mar, and the busy tracker between them."""
    with app.sessions() as session, session.begin():
        series = session.scalars(select(Series).where(Series.key == "board")).one()
        people = {p.initials: p.id for p in session.scalars(select(Person))}
        held = Meeting(
            series_id=series.id,
            status="closed",
            starts_at=datetime(2024, 1, 19, 10, tzinfo=UTC),
            ends_at=datetime(2024, 1, 19, 12, tzinfo=UTC),
            closed_at=datetime(2024, 1, 19, 12, tzinfo=UTC),
            place=series.place,
            sequence=0,
        )
        nxt = Meeting(
            series_id=series.id,
            status="planned",
            starts_at=datetime(2024, 3, 15, 10, tzinfo=UTC),
            ends_at=datetime(2024, 3, 15, 12, tzinfo=UTC),
            place=series.place,
            sequence=0,
        )
        session.add_all([held, nxt])
        session.flush()
        owners = ["SMa", "PMw", "HN", "LE", "TR", "GP", "BLl", "KB"]
        for n in range(1, ACTIONS + 1):
            created = datetime(2023, 6, 1, 10, tzinfo=UTC) + timedelta(days=n % 200)
            action = Action(
                series_id=series.id,
                number=n,
                title=f"Review the multi-agency response to referrals in locality {n}; report to the board",
                text="…",
                status="open",
                due_date=date(2024, 2, 1) + timedelta(days=n % 90),
                due_kind="next_meeting" if n % 7 == 0 else "date",
                created_at=created,
                created_meeting_id=held.id,
            )
            for i in range(1 + n % 2):
                action.owners.append(
                    ActionOwner(
                        kind="person", person_id=people[owners[(n + i) % len(owners)]], added_at=created
                    )
                )
            for k, text in enumerate(
                (
                    "No further update. Action ongoing.",
                    f"Met the locality {n} leads; draft report due next month.",
                )
            ):
                action.updates.append(
                    ActionUpdate(
                        at=created + timedelta(days=20 * (k + 1)), door="shell", kind="update", text=text
                    )
                )
            session.add(action)
        for i in range(ITEMS):
            session.add(
                AgendaItem(
                    series_id=series.id,
                    title=f"Item {i + 1}: the partnership's response to theme {i + 1}",
                    presenter_id=people[owners[i % len(owners)]],
                    paper_url=f"https://westshire.example/papers/{i + 1}",
                    minutes=15,
                    status="proposed",
                    requested_in_meeting_id=held.id,
                    created_at=datetime(2024, 1, 19, 11, tzinfo=UTC),
                )
            )
        series.last_action_number = ACTIONS


def context(app: App, session: Session) -> Ctx:
    series = session.scalars(select(Series).where(Series.key == "board")).one()
    return app.core().context(session, Request("bench", "bench", "RB", "agenda next", NOW), series=series)


def page_count(pdf: bytes) -> int:
    try:
        import io

        from pypdf import PdfReader
    except ImportError:  # pypdf is a development dependency
        return 0
    return len(PdfReader(io.BytesIO(pdf)).pages)


R = TypeVar("R")


def timed(fn: Callable[[], R]) -> tuple[float, R]:
    start = time.perf_counter()
    result = fn()
    return (time.perf_counter() - start) * 1000, result


def report(label: str, values: list[float], budget: float | None = None) -> None:
    median = statistics.median(values)
    line = f"  {label:<34} median {median:8.1f} ms   max {max(values):8.1f} ms"
    if budget is not None:
        line += f"   (budget < {budget:.0f} ms)  {'ok' if median < budget else 'OVER'}"
    print(line)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        settings = settings_from(
            {"partnerships": ["examples/westshire.yaml"]}, ROOT, database_url=f"sqlite:///{tmp}/bench.sqlite3"
        )
        app = open_app(settings)
        seed(app)
        data, chat, docx, pdf, html, ics, total, minutes = [], [], [], [], [], [], [], []
        pdf_cpu: list[float] = []  # CPU time of WeasyPrint alone: moves least on a loaded machine
        import_ms, _ = timed(lambda: __import__("weasyprint"))
        pages = 0
        for _ in range(REPEATS + 1):  # the first round warms caches and is not counted
            with app.sessions() as session:
                ctx = context(app, session)
                series = ctx.series
                assert series is not None  # context() binds the board
                t_data, pack = timed(partial(agenda_pack, ctx, series))
                t_chat, _ = timed(partial(render_chat, T, "agenda.chat.j2", "board", pack=pack))
                t_docx, _ = timed(partial(render_docx, T, "agenda.docx", "board", pack.title, pack=pack))
                t_html, page = timed(partial(render_text, T, "agenda.html.j2", "board", pack=pack))
                cpu_start = time.process_time()
                t_pdf, blob = timed(partial(render_pdf, T, page))
                pdf_cpu.append((time.process_time() - cpu_start) * 1000)
                assert pack.invite is not None  # seed() set the next meeting
                t_ics, _ = timed(partial(render_ics, pack.invite, NOW))
                held = find_meeting(ctx, series, "last")
                t_min, _ = timed(partial(minutes_draft, ctx, series, held))
            data.append(t_data)
            chat.append(t_chat)
            docx.append(t_docx)
            html.append(t_html)
            pdf.append(t_html + t_pdf)
            ics.append(t_ics)
            total.append(t_data + t_chat + t_docx)
            minutes.append(t_min)
            pages = page_count(blob)
        data, chat, docx, html, pdf, ics, total, minutes = (
            x[1:] for x in (data, chat, docx, html, pdf, ics, total, minutes)
        )
        app.engine.dispose()
    try:
        from weasyprint.pdf import fonts

        # Only WeasyPrint builds that subset fonts with HarfBuzz have `harfbuzz_subset`.
        subsetter = "HarfBuzz" if getattr(fonts, "harfbuzz_subset", None) else "fontTools"
    except ImportError:
        subsetter = "fontTools"
    print(f"documents: agenda pack with {ACTIONS} open actions and {ITEMS} items ({REPEATS} runs, warm)")
    report("data from the database", data)
    report("chat message", chat)
    report("Word (.docx)", docx)
    report("chat + .docx (with the data)", total, BUDGET_CHAT_DOCX_MS)
    report(f"PDF/UA (HTML + WeasyPrint, ~{pages} pages)", pdf, BUDGET_PDF_MS)
    if pages:
        print(f"  {'':<34} {statistics.median(pdf) / pages:6.1f} ms a page (min {min(pdf) / pages:.1f})")
    report("PDF: WeasyPrint's CPU time", pdf_cpu[1:])
    report("calendar invitation (.ics)", ics)
    report("minutes draft data (200 reviewed)", minutes)
    print(f"  WeasyPrint import (once per process): {import_ms:.0f} ms; font subsetting by {subsetter}")
    if subsetter == "fontTools":
        print("  note: install the system library libharfbuzz-subset0 for faster PDFs (fontTools is slower)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
