"""Time the year in figures of a busy partnership: 20 series × 12 meetings, 5,000 actions.

Run: python tests/bench/bench_year_report.py   (prints each timing beside its budget; always exits 0)

Budget: the whole report as the business manager gets it in chat (`report year`: figures from the
database, every chart, Word, PDF and CSV) under 5 s. Timed three ways: the first report of a process
(which starts the second process and imports matplotlib, WeasyPrint and python-docx), a second one in
the same process, and the same made in one process; with the CPU time of this process and of the
worker. Then each part on its own, one after the other, in this process.
The figures measured are in docs/year-report.md ("Speed").
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

# The report's worker is started with `spawn`, which imports this file again in the new process:
# the project is imported only when this file runs as the benchmark, as `partnerbot` itself keeps its
# imports to the subcommand run, so the worker starts as it does under `partnerbot`.
if __name__ == "__main__":
    from sqlalchemy import select

    from bot.app import App, open_app
    from bot.settings import settings_from
    from handlers import year_report_worker
    from handlers.collector import cycle_collection_paused
    from handlers.context import Request
    from handlers.core import Core
    from handlers.documents_render import BUILT_IN as T
    from handlers.reply import File
    from handlers.year_report import year_report
    from handlers.year_report_charts import charts
    from handlers.year_report_render import csv_text, year_pdf
    from handlers.year_report_sections import sections
    from handlers.year_report_word import render_docx
    from storage.models import (
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
    from storage.nudge_models import NudgeClaim

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


def clock(label: str, seconds: float, budget: float | None = None, cpu: str | float | None = None) -> None:
    used = f"  cpu {cpu:6.2f} s" if isinstance(cpu, float) else f"  cpu {cpu}" if cpu else ""
    beside = f"   (budget {budget:.1f} s)" if budget is not None else ""
    print(f"{label:<44} {seconds:7.2f} s{used}{beside}")


def worker_cpu() -> float | None:
    """The year report worker's CPU time so far (Linux), None without a worker."""
    from handlers import year_report_worker

    pool = year_report_worker._pool
    pids = list(getattr(pool, "_processes", None) or {})
    try:
        fields = Path(f"/proc/{pids[0]}/stat").read_text().rsplit(")", 1)[1].split()
    except (IndexError, OSError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report_in_chat(core: Core) -> tuple[float, float, float | None, int]:
    """`report year` as the business manager asks for it in chat: wall time, this process' CPU
    time, the worker's, and the files attached."""
    request = Request(
        door="shell", channel="dm-RB", user="RB", text=f"report year {START} to {END}", at=AS_OF, direct=True
    )
    before = worker_cpu() or 0.0
    c0, t0 = time.process_time(), time.perf_counter()
    reply = core.handle(request)
    t1, c1 = time.perf_counter(), time.process_time()
    after = worker_cpu()
    attached = sum(1 for m in reply.messages for b in m.blocks if isinstance(b, File))
    return t1 - t0, c1 - c0, None if after is None else after - before, attached


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
        pid = app.core().partnership_id
        # The whole report as a user gets it: `report year` in chat, the figures read, every file
        # made and attached. The first one in a process starts the worker and imports matplotlib,
        # WeasyPrint and python-docx; the second finds them ready, as in a server.
        cpus = f"{year_report_worker.cpus()} CPUs"
        for label in ("first report (starts the worker)", "second report, same process"):
            wall, cpu, other, attached = report_in_chat(app.core())
            both = f"{cpu:5.2f} s + worker {other:5.2f} s" if other is not None else f"{cpu:5.2f} s"
            clock(f"{label}, {attached} files", wall, BUDGET_S, both)
        one = Core(app.sessions, pid, replace(app.setup, report_worker=False))
        wall, cpu, _, _ = report_in_chat(one)
        clock("the same in one process (report_worker off)", wall, BUDGET_S, cpu)
        print(f"({cpus}; on a busy machine wall time grows with the other processes, CPU time does not)")

        # The parts one by one, in this process, with the cycle collector paused as `year_files` does.
        c0 = time.process_time()
        t0 = time.perf_counter()
        with app.sessions() as session:
            report = year_report(session, pid, START, END, AS_OF)
        t1 = time.perf_counter()
        c1 = time.process_time()
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
        pickled = pickle.dumps(report)
        t6 = time.perf_counter()
        pickle.loads(pickle.dumps(report))
        t7 = time.perf_counter()
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
        clock("the parts, one after the other", t5 - t0, BUDGET_S, cpu=c5 - c0)
        clock(f"the figures pickled and back ({len(pickled) // 1024} KB)", t7 - t6)
        app.engine.dispose()


if __name__ == "__main__":
    main()
