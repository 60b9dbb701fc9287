"""Time the year in figures of a busy partnership: 20 series × 12 meetings, 5,000 actions.

Run: python tests/bench/bench_year_report.py   (prints each timing beside its budget; always exits 0)

Budget: the whole report (figures from the database, every chart, Word, PDF and CSV) under 5 s.
Each part is printed too. matplotlib's and WeasyPrint's imports (once per process) are shown apart.
The figures measured, before and after the charts were reworked, are in docs/year-report.md.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from bot.app import App, open_app  # noqa: E402
from bot.settings import settings_from  # noqa: E402
from handlers.documents_render import BUILT_IN as T  # noqa: E402
from handlers.documents_render import cycle_collection_paused  # noqa: E402
from handlers.year_report import year_report  # noqa: E402
from handlers.year_report_charts import charts  # noqa: E402
from handlers.year_report_render import csv_text, render_docx, sections, year_pdf  # noqa: E402
from storage.models import (  # noqa: E402
    Action,
    ActionOwner,
    ActionUpdate,
    Attendance,
    Decision,
    Meeting,
    Person,
    QuorumChange,
    Series,
)
from storage.nudge_models import NudgeClaim  # noqa: E402

BUDGET_S = 5.0
SERIES, MEETINGS, ACTIONS = 20, 12, 5_000
START, END = date(2024, 4, 1), date(2025, 3, 31)
AS_OF = datetime(2025, 4, 10, 12, tzinfo=UTC)


def partnership_file(folder: Path) -> Path:
    data = yaml.safe_load((ROOT / "examples" / "westshire.yaml").read_text())
    board = next(s for s in data["series"] if s["id"] == "board")
    for n in range(1, SERIES - len(data["series"]) + 1):
        data["series"].append(
            {**board, "id": f"group{n:02d}", "name": f"Sub-group {n}", "escalates_to": "board"}
        )
    path = folder / "westshire.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def seed(app: App) -> None:
    with app.sessions() as session, session.begin():
        people = {p.initials: p.id for p in session.scalars(select(Person))}
        series = list(session.scalars(select(Series)))
        owners = ["SMa", "HN", "LE", "TR", "GP", "KB", "TT", "SC", "NF", "RB"]
        number = dict.fromkeys((s.id for s in series), 0)
        made = 0
        for s in series:
            members = [m for m in s.members if m in people]
            for k in range(MEETINGS):
                at = datetime(2024, 4, 12, 9, tzinfo=UTC) + timedelta(days=30 * k, hours=s.id % 5)
                meeting = Meeting(
                    series_id=s.id,
                    status="closed",
                    starts_at=at,
                    ends_at=at + timedelta(hours=2),
                    closed_at=at + timedelta(hours=2),
                    sequence=0,
                )
                session.add(meeting)
                session.flush()
                for i, m in enumerate(members):
                    status = ("present", "present", "apologies", "absent", "present")[(i + k) % 5]
                    session.add(
                        Attendance(
                            meeting_id=meeting.id,
                            person_id=people[m],
                            status=status,
                            updated_at=at,
                            movements=[],
                        )
                    )
                session.add(QuorumChange(meeting_id=meeting.id, at=at, quorate=True, missing=[]))
                if k % 4 == 1:
                    session.add(
                        QuorumChange(
                            meeting_id=meeting.id,
                            at=at + timedelta(minutes=40),
                            quorate=False,
                            missing=["Marcia Police"],
                        )
                    )
                    session.add(
                        Decision(
                            series_id=s.id,
                            meeting_id=meeting.id,
                            text="agreed",
                            inquorate=True,
                            created_at=at + timedelta(minutes=45),
                        )
                    )
                per_meeting = ACTIONS // (len(series) * MEETINGS) + 1
                for j in range(per_meeting):
                    if made >= ACTIONS:
                        break
                    made += 1
                    number[s.id] += 1
                    done = j % 3 != 0
                    action = Action(
                        series_id=s.id,
                        number=number[s.id],
                        title=f"action {made}",
                        text=f"Action: {made}",
                        status="done" if done else "open",
                        due_date=(at + timedelta(days=20 + j)).date(),
                        due_kind="date",
                        created_meeting_id=meeting.id,
                        created_at=at,
                        closed_at=at + timedelta(days=10 + 3 * j) if done else None,
                    )
                    owner = owners[(made + j) % len(owners)]
                    action.owners.append(
                        ActionOwner(kind="person", person_id=people[owner], position=0, added_at=at)
                    )
                    if j % 7 == 0:
                        action.owners.append(
                            ActionOwner(kind="group", key="business-unit", position=1, added_at=at)
                        )
                    action.updates.append(ActionUpdate(at=at, person_id=None, door="shell", kind="created"))
                    action.updates.append(
                        ActionUpdate(
                            at=at + timedelta(days=5),
                            person_id=people[owner],
                            door="shell",
                            kind="update",
                            text="progress",
                            route="chat",
                        )
                    )
                    session.add(action)
                    session.flush()
                    session.add(
                        NudgeClaim(
                            partnership_id=s.partnership_id,
                            series_id=s.id,
                            kind="before:7d",
                            subject_id=action.id,
                            action_id=action.id,
                            due_on=action.due_date or at.date(),
                            scheduled_on=at.date(),
                            recipient_id=people[owner],
                            state="sent",
                            created_at=at,
                            sent_at=at + timedelta(days=3),
                        )
                    )
        assert made == ACTIONS, made


def clock(label: str, seconds: float, budget: float | None = None, cpu: float | None = None) -> None:
    used = f"  cpu {cpu:6.2f} s" if cpu is not None else ""
    beside = f"   (budget {budget:.1f} s)" if budget is not None else ""
    print(f"{label:<40} {seconds:7.2f} s{used}{beside}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = settings_from(
            {"partnerships": [str(partnership_file(folder))]},
            ROOT,
            database_url=f"sqlite:///{folder / 'bench.sqlite3'}",
        )
        app = open_app(settings)
        seed(app)
        t = time.perf_counter()
        import matplotlib  # noqa: F401
        import weasyprint  # noqa: F401

        clock("imports (matplotlib, WeasyPrint; once)", time.perf_counter() - t)
        pid = app.core().partnership_id
        c0 = time.process_time()
        t0 = time.perf_counter()
        with app.sessions() as session:
            report = year_report(session, pid, START, END, AS_OF)
        t1 = time.perf_counter()
        c1 = time.process_time()
        # The parts one by one, each timed, with the cycle collector paused as `year_files` does.
        with cycle_collection_paused():
            drawn = charts(report.scopes)
            t2 = time.perf_counter()
            c2 = time.process_time()
            parts = sections(report, drawn)
            docx = render_docx(report, parts, drawn)
            t3 = time.perf_counter()
            c3 = time.process_time()
            pdf = year_pdf(T, report, parts, drawn)
            t4 = time.perf_counter()
            c4 = time.process_time()
            text = csv_text(report)
            t5 = time.perf_counter()
            c5 = time.process_time()
        print(
            f"{len(report.series)} series, {report.whole.held} meetings, {report.whole.total.open_at_end} "
            f"open at the end, {len(drawn)} charts, docx {len(docx) // 1024} KB, pdf {len(pdf) // 1024} KB, "
            f"csv {len(text.splitlines())} rows"
        )
        clock("figures from the database", t1 - t0, cpu=c1 - c0)
        clock(f"charts ({len(drawn)} PNG)", t2 - t1, cpu=c2 - c1)
        clock("Word", t3 - t2, cpu=c3 - c2)
        clock("PDF", t4 - t3, cpu=c4 - c3)
        clock("CSV", t5 - t4, cpu=c5 - c4)
        # On a busy machine wall time grows with the other processes; the CPU time is this report's own.
        clock("the whole report", t5 - t0, BUDGET_S, cpu=c5 - c0)
        app.engine.dispose()


if __name__ == "__main__":
    main()
