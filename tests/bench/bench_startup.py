"""Benchmark: how long `partnerbot shell` and `parse` take to answer one line, and `serve` to be ready.

Each is started afresh N times (the best and the median are printed beside the 0.3 s budget),
and so is the floor in the same run: a bare interpreter, and one importing the libraries the
shell cannot do without (SQLAlchemy's ORM; and pydantic, which checks app.yaml), with the cycle
collector running and paused (the shell starts with it paused, bot/start_up.py). The shell's
figure over the floor's is the ratio to watch on a noisy machine. Every command runs as deployed:
compiled modules cached (outside the tree; an untimed first run fills the cache), so best-of-N
is not compiling source. It also lists the heavy packages each imports that it should not (door
SDKs, Jinja, the holidays calendar). Never fails: it reports.

`serve` with Slack (HTTP mode) and Teams both on is started afresh `--serve-runs` times: seconds
to the first answer of `/health`, to Slack's door ready, to both doors ready (`/health` 200),
each beside the 1.5 s budget; the CPU time the process used until both were ready (the figure a
loaded machine distorts least); and its resident memory once ready (budget 200 MB). Its floor, in
the same run: an interpreter that only imports the libraries `serve` cannot be ready without
(the ORM, the web server, FastAPI, Bolt, the Teams SDK…), with the collector paused as `serve`
pauses it; `serve`'s figure over that floor is the ratio to watch.

    python tests/bench/bench_startup.py [--runs 7] [--serve-runs 5]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "westshire.yaml"
BUDGET_S = 0.3
SERVE_BUDGET_S = 1.5
SERVE_BUDGET_MB = 200.0
POLL_S = 0.02  # between /health polls: each is a request the starting server answers, on its one GIL
# Packages neither command should import (the shell renders no document and runs no door).
NOT_NEEDED = ("slack_bolt", "slack_sdk", "microsoft_teams", "msgraph", "fastapi", "uvicorn", "jinja2")
NOT_NEEDED += ("weasyprint", "docxtpl", "matplotlib", "holidays", "httpx")
# What `serve` with both doors imports before it is ready and cannot do without (`-X importtime`).
SERVE_LIBRARIES = "sqlalchemy.orm, pydantic, yaml, jwt, httpx, uvicorn, uvloop, httptools, fastapi"
SERVE_LIBRARIES += ", slack_bolt, slack_sdk, microsoft_teams.api, microsoft_teams.apps"


def deployed_env(cache: Path) -> dict[str, str]:
    """As deployed: compiled modules cached (outside the tree), so best-of-N is not source compiling."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONPYCACHEPREFIX": str(cache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def timed(argv: list[str], stdin: str = "", env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds, and CPU seconds (user + system) of the child: the one a loaded machine distorts less."""
    env = env or {**os.environ, "PYTHONPATH": str(ROOT)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(argv, input=stdin, text=True, capture_output=True, env=env, cwd=ROOT, check=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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


def cpu_seconds(pid: int) -> float:
    """CPU time a process has used (user + system): on a loaded machine, less distorted than wall time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return float("nan")


def serve_ready(folder: Path) -> dict[str, float]:
    """One `serve` with both doors: seconds to /health's first answer, Slack ready, both ready; MB."""
    import httpx

    sys.path.insert(0, str(Path(__file__).parent))
    from bench_teams import both_doors, rss_mb

    slack_api, port, cli, env = both_doors(folder, deployed_env(folder / "pycache"))
    if not (folder / "loaded").exists():
        subprocess.run([*cli, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
        subprocess.run([*cli, "load", str(EXAMPLE)], env=env, cwd=ROOT, check=True, capture_output=True)
        (folder / "loaded").touch()
    nan = float("nan")
    figures = {"first": nan, "slack": nan, "both": nan, "mb": nan, "cpu": nan}
    started = time.perf_counter()
    child = subprocess.Popen(
        [*cli, "serve", "--interval", "3600"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with httpx.Client(timeout=1) as client:
            while math.isnan(figures["both"]) and time.perf_counter() - started < 20 and child.poll() is None:
                try:
                    health = client.get(f"http://127.0.0.1:{port}/health")
                except httpx.HTTPError:
                    time.sleep(POLL_S)
                    continue
                now = time.perf_counter() - started
                if math.isnan(figures["first"]):
                    figures["first"] = now
                if math.isnan(figures["slack"]) and health.json().get("slack", {}).get("ok"):
                    figures["slack"] = now
                if health.status_code == 200:
                    figures["both"] = now
                    figures["cpu"] = cpu_seconds(child.pid)
                else:
                    time.sleep(POLL_S)
        figures["mb"] = rss_mb(child.pid)
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        slack_api.shutdown()
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--serve-runs", type=int, default=5)
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
        "floor: sqlalchemy.orm": ([py, "-c", "import sqlalchemy.orm"], ""),
        "floor: sqlalchemy+pydantic": (
            [py, "-c", "import sqlalchemy.orm; from pydantic import BaseModel"],
            "",
        ),
        # The shell and `serve` start with the cycle collector paused (bot/start_up.py): so does this.
        "floor: same, gc paused": (
            [py, "-c", "import gc; gc.disable(); import sqlalchemy.orm; from pydantic import BaseModel"],
            "",
        ),
        "shell, one line": ([py, "-m", "bot.cli", "--database", db, "shell"], "MT: help\n"),
        "parse, one line": (
            [py, "-m", "bot.cli", "parse", "--partnership", str(EXAMPLE), "--jsonl", str(lines)],
            "",
        ),
    }
    env = deployed_env(tmp / "pycache")
    for argv, stdin in cases.values():  # once, to cache the compiled modules
        timed(argv, stdin, env)
    times: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):  # interleaved, so a burst of load hits every case alike
        for name, (argv, stdin) in cases.items():
            wall, used = timed(argv, stdin, env)
            times[name].append(wall)
            cpu[name].append(used)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"load average {load} on {os.cpu_count()} CPUs")
    head = f"{'start-up':<28} {'best s':>7} {'median s':>9} {'CPU s':>6}"
    print(f"{head}   budget {BUDGET_S} s (best of {args.runs}; CPU: the least used)")
    for name, xs in times.items():
        verdict = "" if name.startswith("floor") else ("ok" if min(xs) <= BUDGET_S else "OVER")
        print(f"{name:<28} {min(xs):>7.3f} {statistics.median(xs):>9.3f} {min(cpu[name]):>6.3f}   {verdict}")
    floor = min(times["floor: sqlalchemy+pydantic"])
    cpu_floor = min(cpu["floor: sqlalchemy+pydantic"])
    paused = "floor: same, gc paused"
    print(
        f"shell / library floor: {min(times['shell, one line']) / floor:.1f}x "
        f"(CPU {min(cpu['shell, one line']) / cpu_floor:.1f}x); "
        f"over the floor with the collector paused: {min(times['shell, one line']) / min(times[paused]):.1f}x"
    )
    for name in ("shell, one line", "parse, one line"):
        argv, stdin = cases[name]
        extra = sorted(imported(argv, stdin) & set(NOT_NEEDED))
        print(f"{name}: imports {', '.join(extra) if extra else 'none'} of {', '.join(NOT_NEEDED)}")
    if args.serve_runs:
        libraries = [py, "-c", f"import gc; gc.disable(); import {SERVE_LIBRARIES}"]
        timed(libraries, "", env)  # once, to cache the compiled modules
        runs, floors = [], []
        for _ in range(args.serve_runs):  # interleaved, as above
            runs.append(serve_ready(tmp / "serve"))
            floors.append(timed(libraries, "", env)[0])
        print(f"\n{'serve, Slack and Teams':<28} {'best s':>7} {'median s':>9}   budget {SERVE_BUDGET_S} s")
        print(f"  {'floor: its libraries':<26} {min(floors):>7.3f} {statistics.median(floors):>9.3f}")
        steps = (("first", "/health answers"), ("slack", "Slack ready"), ("both", "both doors ready"))
        for key, label in steps:
            xs = [r[key] for r in runs]
            verdict = "ok" if min(xs) <= SERVE_BUDGET_S else "OVER"
            print(f"  {label:<26} {min(xs):>7.3f} {statistics.median(xs):>9.3f}   {verdict}")
        both = [r["both"] for r in runs]
        print(
            f"  both ready / floor: {min(both) / min(floors):.2f}x best, "
            f"{statistics.median(both) / statistics.median(floors):.2f}x median"
        )
        cpu = [r["cpu"] for r in runs]
        print(f"  {'CPU used until both ready':<26} {min(cpu):>7.3f} {statistics.median(cpu):>9.3f}")
        mb = max(r["mb"] for r in runs)
        verdict = "ok" if mb <= SERVE_BUDGET_MB else "OVER"
        budget = f"budget {SERVE_BUDGET_MB:.0f} MB {verdict}"
        print(f"  {'resident memory, ready':<26} {mb:>6.0f} MB (most)   {budget}")


if __name__ == "__main__":
    main()
