"""Time `partnerbot import tracker` on a 2,000-row Excel tracker: preview and import, on SQLite.

Run: python tests/bench/bench_import.py   (prints the time beside its budget; always exits 0)
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from openpyxl import Workbook  # noqa: E402

from bot.cli import main  # noqa: E402

BUDGET_S = 5.0
ROWS = 2000
PARTNERSHIP = ROOT / "tests" / "fixtures" / "import" / "partnership.yaml"
OWNERS = [
    "BL",
    "SMo/SH",
    "Business Unit",
    "All partners",
    "Health colleagues",
    "EH",
    "TM and PMcL",
    "Corinne Chadwick",
]
TASKS = [
    "send the revised protocol to all partners",
    "report back on the audit of strategy meetings",
    "circulate the neglect screening tool survey",
    "share the performance figures with the group",
]


def tracker(path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Ref", "Action", "Lead", "Target date", "Progress update", "RAG", "Date raised"])
    start = date(2022, 1, 10)
    for n in range(1, ROWS + 1):
        raised = start + timedelta(days=n % 600)
        sheet.append(
            [
                n,
                f"{TASKS[n % len(TASKS)]} (item {n})",
                OWNERS[n % len(OWNERS)],
                raised + timedelta(days=42),
                f"{raised + timedelta(days=30):%d/%m/%Y}: Progress on item {n}.",
                ("Green", "Amber", "Red", "Blue")[n % 4],
                raised,
            ]
        )
    book.save(path)


def main_() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = f"sqlite:///{folder / 'bench.sqlite3'}"
        file = folder / "tracker.xlsx"
        tracker(file)
        out = io.StringIO()
        assert main(["--database", db, "load", str(PARTNERSHIP)], stdout=out) == 0
        args = [
            "--database",
            db,
            "import",
            "tracker",
            str(file),
            "--series",
            "cpog",
            "--partnership",
            "northmoor-scp",
        ]
        timings = []
        for label, extra in (("preview (--dry-run)", ["--dry-run"]), ("import", []), ("import again", [])):
            out = io.StringIO()
            begin = time.perf_counter()
            code = main([*args, *extra], stdout=out, stderr=out)
            timings.append((label, time.perf_counter() - begin))
            if code != 0:
                print(out.getvalue()[-2000:])
                print(f"{label}: exit {code}")
                return 0
    print(f"import tracker: {ROWS}-row .xlsx")
    for label, seconds in timings:
        verdict = "ok" if seconds < BUDGET_S else "OVER"
        print(f"  {label:<20} {seconds:.2f} s  (budget < {BUDGET_S:.0f} s)  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main_())
