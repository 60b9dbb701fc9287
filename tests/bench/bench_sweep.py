"""Time the reminder sweep: 100,000 open actions of which 2,000 have a reminder due now.

The rest is what a long-lived tracker looks like: 50,000 overdue actions whose current
reminder went out already (with older history behind it) and 48,000 due later. Measured:
the time one process takes to find and claim the 2,000 (budget: under 1 s on PostgreSQL),
then the claims per second when three processes sweep the same database at once.

Run: python tests/bench/bench_sweep.py   (SQLite in a temporary folder; PostgreSQL when
PARTNERBOT_TEST_POSTGRES_URL is set, in a schema of its own; always exits 0)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from sqlalchemy import create_engine, delete, insert, select, text  # noqa: E402

from bot.app import App  # noqa: E402
from scheduler.couriers import Outgoing  # noqa: E402
from scheduler.policy import NudgeSettings, Policy, current_nudge  # noqa: E402
from scheduler.sweep import Sweeper  # noqa: E402
from storage.db import normalise_url  # noqa: E402
from storage.models import Action, ActionOwner  # noqa: E402
from storage.nudge_models import Digest, NudgeClaim, RecipientLease  # noqa: E402

OPEN_ACTIONS = 100_000
DUE_NOW = 2_000
OVERDUE = 50_000
PEOPLE = 500
BUDGET_FIND_CLAIM_PG_S = 1.0


class NullDoor:
    """Takes every message and does nothing: the bench times the sweep, not a platform."""

    door = "shell"

    def reach(self, person: object) -> bool:
        return True

    def send(self, out: Outgoing) -> str:
        return f"null-{out.digest_id}"


def build(url: str, folder: Path) -> App:
    from conftest import make_app
    from test_nudge_delivery import AT, add_actions, analyse, synthetic_partnership

    app = make_app(url, synthetic_partnership(folder, PEOPLE))
    today = AT.date()
    later = [today + timedelta(days=30 + i % 370) for i in range(OPEN_ACTIONS - DUE_NOW - OVERDUE)]
    overdue = [today - timedelta(days=1 + i % 700) for i in range(OVERDUE)]
    due_now = [today + timedelta(days=7)] * DUE_NOW  # "7 days before" falls today
    ids = add_actions(app, later + overdue + due_now)
    overdue_ids = ids[len(later) : len(later) + OVERDUE]
    # History: each overdue action's current reminder (and the one before it) already sent.
    with app.sessions() as s, s.begin():
        rows: list[dict[str, Any]] = []
        owners = dict(s.execute(select(ActionOwner.action_id, ActionOwner.person_id)).all())
        series_id = s.scalar(select(Action.series_id).limit(1))
        for action_id, due in zip(overdue_ids, overdue, strict=True):
            nudge = current_nudge(due, today, Policy())
            if nudge is None:
                continue
            for kind in {nudge.kind, "due"}:
                rows.append(
                    {
                        "partnership_id": "loadtest",
                        "series_id": series_id,
                        "kind": kind,
                        "subject_id": action_id,
                        "action_id": action_id,
                        "due_on": due,
                        "scheduled_on": nudge.scheduled_on,
                        "recipient_id": owners[action_id],
                        "state": "sent",
                        "created_at": AT - timedelta(days=1),
                        "attempts": 1,
                        "possible_duplicate": False,
                        "sent_at": AT - timedelta(days=1),
                        "door": "shell",
                    }
                )
        for start in range(0, len(rows), 10_000):
            s.execute(insert(NudgeClaim), rows[start : start + 10_000])
    analyse(app)
    return app


def reset(app: App, at: datetime) -> None:
    """Forget the sweep just measured, keep the history."""
    with app.sessions() as s, s.begin():
        s.execute(delete(NudgeClaim).where(NudgeClaim.created_at == at))
        s.execute(delete(Digest))
        s.execute(delete(RecipientLease))


def three_processes(url: str, folder: Path) -> tuple[float, list[dict[str, Any]]]:
    from test_nudge_delivery import AT, WORKER

    script = folder / "worker.py"
    script.write_text(WORKER)
    go = folder / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    settings = json.dumps({"batch_recipients": 100})
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                url,
                AT.isoformat(),
                str(folder / "received.jsonl"),
                settings,
                str(go),
                f"w{i}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for i in range(3)
    ]
    while not all((folder / f"go.w{i}").exists() for i in range(3)):
        if any(p.poll() is not None for p in procs):
            raise RuntimeError([p.communicate() for p in procs])
        time.sleep(0.01)
    start = time.perf_counter()
    go.touch()
    outs = [p.communicate(timeout=300) for p in procs]
    wall = time.perf_counter() - start
    return wall, [json.loads(o) for o, _ in outs]


def bench(label: str, url: str, folder: Path) -> None:
    from test_nudge_delivery import AT

    t0 = time.perf_counter()
    app = build(url, folder)
    print(
        f"{label}: {OPEN_ACTIONS:,} open actions, {DUE_NOW:,} reminders due to {PEOPLE} people "
        f"(built in {time.perf_counter() - t0:.1f} s)"
    )
    sweeper = Sweeper(app.sessions, {"shell": NullDoor()}, NudgeSettings())
    t0 = time.perf_counter()
    report = sweeper.run(AT)
    total = time.perf_counter() - t0
    on_pg = label == "PostgreSQL"
    budget = f"(budget < {BUDGET_FIND_CLAIM_PG_S:.0f} s)" if on_pg else "(no budget)"
    verdict = ("ok" if report.find_claim_seconds < BUDGET_FIND_CLAIM_PG_S else "OVER") if on_pg else ""
    found = f"{report.claimed:,} in {report.find_claim_seconds:.3f} s"
    print(f"  one process: found and claimed {found} {budget} {verdict}".rstrip())
    print(f"               whole sweep with {len(report.sent)} messages to a null door: {total:.3f} s")
    again = Sweeper(app.sessions, {"shell": NullDoor()}, NudgeSettings())
    t0 = time.perf_counter()
    quiet = again.run(AT + timedelta(minutes=1))
    took = time.perf_counter() - t0
    print(f"  the next minute's sweep (nothing new due): {took:.3f} s, {len(quiet.sent)} sent")
    reset(app, AT)
    wall, outs = three_processes(url, folder)
    claimed = sum(o["claimed"] for o in outs)
    per = ", ".join(f"{o['claimed']} in {o['find_claim_seconds']:.2f} s" for o in outs)
    rate = claimed / wall
    print(
        f"  three processes: {claimed:,} claimed and sent in {wall:.2f} s wall, {rate:,.0f} claims/s ({per})"
    )
    if claimed != DUE_NOW:
        print(f"  !! expected {DUE_NOW} claims in all, got {claimed}")
    app.engine.dispose()


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "sqlite"
        folder.mkdir()
        bench("SQLite", f"sqlite:///{folder}/bench.sqlite3", folder)
    pg = os.environ.get("PARTNERBOT_TEST_POSTGRES_URL")
    if not pg:
        print("PostgreSQL: skipped (set PARTNERBOT_TEST_POSTGRES_URL to run it)")
        return 0
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalise_url(pg), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in pg else "?"
        with tempfile.TemporaryDirectory() as tmp:
            bench("PostgreSQL", f"{normalise_url(pg)}{sep}options=-csearch_path%3D{schema}", Path(tmp))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as e:  # a bench reports, it never fails the build
        print(f"bench_sweep failed: {type(e).__name__}: {e}")
        sys.exit(0)
