"""Benchmark: what a hostile partnership file costs now that files are bounded.

Reads (in-process, no database) a 50 MB file, the densest file the size limit lets through
(a standing-items list just under 1 MB), a "billion laughs" and a file whose 5,000 aliases
stand for 1.5 million characters. Prints seconds and peak memory of each beside its budget.
Never fails: it reports.

    python tests/bench/bench_partnership_limits.py
"""

from __future__ import annotations

import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from storage.partnership_file import PartnershipFileError, read_partnership  # noqa: E402
from storage.partnership_limits import MAX_FILE_BYTES  # noqa: E402

WESTSHIRE = (ROOT / "examples" / "westshire.yaml").read_text(encoding="utf-8")
ITEM = "      - Risk register\n"


def items(count: int) -> str:
    return WESTSHIRE.replace(ITEM, "".join(f"      - Risk register item {i}\n" for i in range(count)), 1)


def densest() -> str:
    per_item = len("      - Risk register item 00000\n")
    count = (MAX_FILE_BYTES - len(WESTSHIRE)) // per_item
    while len(items(count).encode()) > MAX_FILE_BYTES:
        count -= 100
    return items(count)


def laughs() -> str:
    levels = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]\n" for i in range(1, 10))
    return 'l0: &l0 "lol"\n' + levels + WESTSHIRE.split("\n", 2)[2]


def aliases() -> str:
    many = ", ".join(["*item"] * 5000)
    return WESTSHIRE.replace(
        "    standing_items: [Welcome and apologies, Action tracker, Any other business]",
        f"    standing_items: [&item Risk {'r' * 290}, {many}]",
        1,
    )


def attempt(path: Path) -> str:
    try:
        read_partnership(path)
    except PartnershipFileError as e:
        return "refused: " + str(e.problems[0])[:70]
    return "read"


def measure(name: str, path: Path, budget_s: float, budget_mb: float) -> None:
    """Time first, then memory (tracing allocations slows the reading down several times)."""
    began = time.perf_counter()
    outcome = attempt(path)
    seconds = time.perf_counter() - began
    tracemalloc.start()
    attempt(path)
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    print(
        f"{name:<30} {seconds:6.2f} s (budget {budget_s:g} s) "
        f"{peak:6.1f} MB (budget {budget_mb:g} MB)  {outcome}"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        huge = folder / "huge.yaml"
        huge.write_text(items(1_600_000)[:50_000_000], encoding="utf-8")
        cases = [
            ("50 MB file", huge, 0.1, 1),
            ("densest file under 1 MB", densest(), 2, 400),
            ("billion laughs", laughs(), 1, 20),
            ("5,000 aliases of a long item", aliases(), 1, 20),
        ]
        for name, content, budget_s, budget_mb in cases:
            path = content if isinstance(content, Path) else folder / "case.yaml"
            if not isinstance(content, Path):
                path.write_text(content, encoding="utf-8")
            measure(name, path, budget_s, budget_mb)


if __name__ == "__main__":
    main()
