"""Benchmark: how long `partnerbot shell` and `partnerbot parse` take to answer one line.

Each is started afresh N times (the best and the median are printed beside the 0.3 s budget),
and so is the floor in the same run: a bare interpreter, and one importing the libraries the
shell cannot do without (SQLAlchemy, pydantic). The shell's figure over the floor's is the ratio
to watch on a noisy machine. It also lists the heavy packages each imports that it should not
(door SDKs, Jinja, the holidays calendar). Never fails: it reports.

    python tests/bench/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "westshire.yaml"
BUDGET_S = 0.3
# Packages neither command should import (the shell renders no document and runs no door).
NOT_NEEDED = ("slack_bolt", "slack_sdk", "microsoft_teams", "msgraph", "fastapi", "uvicorn", "jinja2")
NOT_NEEDED += ("weasyprint", "docxtpl", "matplotlib", "holidays", "httpx")


def timed(argv: list[str], stdin: str = "") -> float:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    subprocess.run(argv, input=stdin, text=True, capture_output=True, env=env, cwd=ROOT, check=True)
    return time.perf_counter() - t


def imported(argv: list[str], stdin: str = "") -> set[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [argv[0], "-X", "importtime", *argv[1:]],
        input=stdin,
        text=True,
        capture_output=True,
        env=env,
        cwd=ROOT,
    )
    return {line.rsplit("|", 1)[1].strip().split(".")[0] for line in run.stderr.splitlines() if "|" in line}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    py = sys.executable
    tmp = Path(tempfile.mkdtemp(prefix="pb-bench-"))
    db = f"sqlite:///{tmp}/bench.sqlite3"
    subprocess.run(
        [py, "-m", "bot.cli", "--database", db, "load", str(EXAMPLE)],
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    lines = tmp / "parse.jsonl"
    line = {
        "series": "board",
        "text": "Action: MT to send the figures by 29/03/24",
        "sent_at": "2024-01-19T10:00",
    }
    lines.write_text(json.dumps({"input": line}) + "\n")
    cases = {
        "floor: bare python": ([py, "-c", "pass"], ""),
        "floor: sqlalchemy+pydantic": ([py, "-c", "import sqlalchemy.orm, pydantic_settings"], ""),
        "shell, one line": ([py, "-m", "bot.cli", "--database", db, "shell"], "MT: help\n"),
        "parse, one line": (
            [py, "-m", "bot.cli", "parse", "--partnership", str(EXAMPLE), "--jsonl", str(lines)],
            "",
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):  # interleaved, so a burst of load hits every case alike
        for name, (argv, stdin) in cases.items():
            times[name].append(timed(argv, stdin))
    print(f"{'start-up':<28} {'best s':>7} {'median s':>9}   budget {BUDGET_S} s (best of {args.runs})")
    for name, xs in times.items():
        verdict = "" if name.startswith("floor") else ("ok" if min(xs) <= BUDGET_S else "OVER")
        print(f"{name:<28} {min(xs):>7.3f} {statistics.median(xs):>9.3f}   {verdict}")
    floor = min(times["floor: sqlalchemy+pydantic"])
    print(f"shell / library floor: {min(times['shell, one line']) / floor:.1f}x")
    for name in ("shell, one line", "parse, one line"):
        argv, stdin = cases[name]
        extra = sorted(imported(argv, stdin) & set(NOT_NEEDED))
        print(f"{name}: imports {', '.join(extra) if extra else 'none'} of {', '.join(NOT_NEEDED)}")


if __name__ == "__main__":
    main()
