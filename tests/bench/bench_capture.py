"""Time action capture per message: the example cases repeated 100 times, owner resolution included.

Run: python tests/bench/bench_capture.py   (prints median and p99 beside the budgets; always exits 0)
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from handlers.capture import capture_action  # noqa: E402
from handlers.parse_jsonl import load_roster  # noqa: E402

BUDGET_MEDIAN_MS = 1.0
BUDGET_P99_MS = 5.0
REPEATS = 100


def main() -> int:
    roster = load_roster(str(ROOT / "examples" / "westshire.yaml"))
    cases = []
    for line in (ROOT / "tests" / "fixtures" / "capture-examples.jsonl").read_text().splitlines():
        if line.strip():
            item = json.loads(line)["input"]
            nxt = date.fromisoformat(item["next_meeting"]) if item.get("next_meeting") else None
            cases.append((item["text"], item.get("series"), datetime.fromisoformat(item["sent_at"]), nxt))
    for text, series, sent_at, nxt in cases:  # warm up: holiday tables, regex caches
        capture_action(text, roster, series=series, sent_at=sent_at, next_meeting=nxt)
    times: list[float] = []
    for _ in range(REPEATS):
        for text, series, sent_at, nxt in cases:
            start = time.perf_counter()
            capture_action(text, roster, series=series, sent_at=sent_at, next_meeting=nxt)
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    median = statistics.median(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    print(f"capture: {len(times)} messages ({len(cases)} cases x {REPEATS})")
    for label, value, budget in (("median", median, BUDGET_MEDIAN_MS), ("p99", p99, BUDGET_P99_MS)):
        verdict = "ok" if value < budget else "OVER"
        print(f"  {label:<6} {value:.3f} ms  (budget < {budget:.0f} ms)  {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
