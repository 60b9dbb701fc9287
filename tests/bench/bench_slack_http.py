"""Signed slash commands POSTed to `partnerbot serve` in Slack's HTTP mode, from a second process.

Run: python tests/bench/bench_slack_http.py [--seconds 10] [--connections 8] [--rate 300]
(prints the figures beside the budgets; always exits 0)

Budget: 300 requests/s with p99 under 100 ms and no errors, on 2 cores. The server runs as
`partnerbot serve` (SQLite, the example partnership, a bound channel with an open meeting)
against a local fake of Slack's Web API (answers travel in the acks; the fake sees any other call).
Two set-ups: one server process pinned to one core with the load generator (and the fake) on
the other; then two `serve` processes sharing the port, unpinned
(what a 2-core host would run). Each gets two runs: as fast as 8 keep-alive connections go
(closed loop), then a steady 300 requests/s (open loop), which is what the budget is about.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import multiprocessing as mp
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import yaml  # noqa: E402

BUDGET_RPS = 300.0
BUDGET_P99_MS = 100.0
SECRET = "bench-signing-secret"
CHANNEL = "C0BENCH001"
THREADS = 4  # slack.threads: commands a server process works on at once
COMMANDS = ("quorum", "attendance", "actions", "action 1", "help")  # a chair's questions mid-meeting


def uid(initials: str) -> str:
    return "U0" + initials.upper().ljust(7, "0") + "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def prepare(work: Path, fake_url: str, port: int) -> Path:
    """app.yaml, a partnership file with Slack ids, and a database with a meeting under way."""
    from bot.app import open_app
    from bot.settings import load_settings
    from handlers.context import Request

    data = yaml.safe_load((ROOT / "examples" / "westshire.yaml").read_text(encoding="utf-8"))
    for person in data["people"]:
        person["slack_id"] = uid(person["initials"])
    (work / "westshire.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    config = work / "app.yaml"
    settings: dict[str, Any] = {
        "database": {"url": "sqlite:///bench.sqlite3"},
        "partnerships": ["westshire.yaml"],
        "slack": {"enabled": True, "mode": "http", "api_base_url": fake_url, "threads": THREADS},
        "web": {"host": "127.0.0.1", "port": port},
    }
    config.write_text(yaml.safe_dump(settings), encoding="utf-8")
    app = open_app(load_settings(config))
    core = app.core()
    now = datetime.now(UTC)
    for line in (
        "meeting start board",
        "present MT LE SMa PMw HN RB",
        "CG for TR",
        "Action: HN to write to the three schools by Friday",
        "Action: RB to resend the neglect survey by 9 February",
    ):
        core.handle(Request("slack", CHANNEL, uid("MT"), line, now))
    app.engine.dispose()
    return config


def start_server(config: Path, port: int, cpu: int | None) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET}
    env.pop("SLACK_APP_TOKEN", None)
    # Output to a file, not a pipe: the access log must never fill a pipe nobody reads.
    log = config.parent / f"serve-{len(list(config.parent.glob('serve-*.log')))}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "--config", str(config), "serve", "--interval", "3600"],
            cwd=config.parent,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    if cpu is not None:
        os.sched_setaffinity(proc.pid, {cpu})
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("the server did not start:\n" + log.read_text())


# --- the load generator (its own process) ---------------------------------------------------------------


def signed(text: str, n: int) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "T0WEST",
            "team_domain": "westshire-scp",
            "channel_id": CHANNEL,
            "channel_name": "board-meeting",
            "user_id": uid("MT"),
            "user_name": "miriam.tolley",
            "command": "/pb",
            "text": text,
            "api_app_id": "A0PB",
            "response_url": "http://127.0.0.1:9/response",
            "trigger_id": f"{n}.{time.time_ns()}",
        }
    )
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig,
    }
    return body.encode(), headers


def generate(
    port: int, seconds: float, connections: int, rate: float | None, out: Any, cpu: int | None
) -> None:
    """Send for `seconds` after a 2 s warm-up; closed loop, or `rate` requests/s spread over the threads."""
    if cpu is not None:
        os.sched_setaffinity(0, {cpu})
    warm_until = time.monotonic() + 2.0
    stop_at = warm_until + seconds
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    counted = [0]  # every request, warm-up included (for CPU per request)

    def worker(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        n = k  # each connection sticks to one server process, as Slack's would
        interval = connections / rate if rate else 0.0
        next_at = time.monotonic() + k * (interval / connections if rate else 0)
        while True:
            now = time.monotonic()
            if now >= stop_at:
                break
            if rate:
                if now < next_at:
                    time.sleep(next_at - now)
                next_at += interval
            body, headers = signed(COMMANDS[n % len(COMMANDS)], n)
            n += connections
            start = time.perf_counter()
            try:
                conn.request("POST", "/slack/events", body, headers)
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
                problem = f"HTTP {resp.status}"
            except OSError as e:
                ok, problem = False, f"{type(e).__name__}: {e}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            took = time.perf_counter() - start
            with lock:
                counted[0] += 1
            if time.monotonic() >= warm_until:
                with lock:
                    if ok:
                        latencies.append(took)
                    else:
                        errors.append(problem)
        conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.send(
        {
            "latencies": latencies,
            "errors": errors[:5],
            "error_count": len(errors),
            "seconds": seconds,
            "all": counted[0],
        }
    )


def run_load(
    port: int, seconds: float, connections: int, rate: float | None, cpu: int | None
) -> dict[str, Any]:
    parent, child = mp.Pipe()
    proc = mp.Process(target=generate, args=(port, seconds, connections, rate, child, cpu))
    proc.start()
    result: dict[str, Any] = parent.recv()
    proc.join()
    return result


def report(name: str, result: dict[str, Any]) -> None:
    lat = sorted(result["latencies"])
    if not lat:
        print(f"{name}: no successful requests; errors: {result['errors']}")
        return
    rps = len(lat) / result["seconds"]
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    ok = rps >= BUDGET_RPS and p99 < BUDGET_P99_MS and result["error_count"] == 0
    print(
        f"{name}: {rps:7.1f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   max {lat[-1] * 1000:6.1f} ms   "
        f"errors {result['error_count']}   (budget: ≥{BUDGET_RPS:.0f} req/s, p99 <{BUDGET_P99_MS:.0f} ms, "
        f"no errors) {'OK' if ok else 'OVER BUDGET'}"
    )
    if result["errors"]:
        print(f"  first errors: {result['errors']}")


def run_config(config: Path, port: int, servers: int, args: argparse.Namespace, fake: Any) -> None:
    cpus = sorted(_all_cpus())
    pinned = servers == 1 and len(cpus) >= 2
    server_cpu, load_cpu = (cpus[0], cpus[1]) if pinned else (None, None)
    # The fake Web API runs in this process: with the load generator, on the other core.
    os.sched_setaffinity(0, {load_cpu} if load_cpu is not None else set(cpus))
    procs = [start_server(config, port, server_cpu) for _ in range(servers)]
    try:
        where = (
            f"server pinned to core {server_cpu}, load generator and fake Web API on core {load_cpu}"
            if pinned
            else f"{servers} `serve` processes sharing the port (SO_REUSEPORT), nothing pinned"
        )
        print(f"\n{servers} server process{'es' if servers > 1 else ''}: {where}")
        cpu_before = sum(_cpu_seconds(p.pid) for p in procs)
        closed = run_load(port, args.seconds, args.connections, None, load_cpu)
        cpu_used = sum(_cpu_seconds(p.pid) for p in procs) - cpu_before
        report(f"  closed loop, {args.connections} connections", closed)
        if closed["all"]:
            # CPU time, not wall time: what a request costs the server whatever else runs here.
            print(f"  server CPU per request: {cpu_used / closed['all'] * 1000:.2f} ms")
        fake.clear()
        steady = run_load(port, args.seconds, args.connections, args.rate, load_cpu)
        report(f"  steady {args.rate:.0f} req/s       ", steady)
        time.sleep(0.5)  # let the last channel posts land
        # Answers travel in the acks (ephemeral, or in_channel for meeting changes): no Web API calls.
        print(f"  Web API calls during the steady run: {len(fake.calls())}")
        rss = [r for r in (_rss_mib(p.pid) for p in procs) if r]
        if rss:
            print(f"  server RSS: {', '.join(f'{r:.0f} MiB' for r in rss)}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


_CPUS = set(os.sched_getaffinity(0))


def _all_cpus() -> set[int]:
    return _CPUS


def main() -> int:
    global COMMANDS, THREADS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rate", type=float, default=BUDGET_RPS)
    parser.add_argument("--servers", default="1,2", help="server process counts to try (default: 1,2)")
    parser.add_argument("--threads", type=int, default=THREADS, help="slack.threads of each server")
    parser.add_argument("--commands", help="comma-separated commands to send instead of the default mix")
    args = parser.parse_args()
    THREADS = args.threads
    if args.commands:
        COMMANDS = tuple(c.strip() for c in args.commands.split(",") if c.strip())

    from slack_fake import FakeSlack

    fake = FakeSlack()
    port = free_port()
    load = os.getloadavg()[0]
    print(
        f"partnerbot serve, Slack HTTP mode, SQLite, {os.cpu_count()} cores "
        f"(load average before: {load:.2f}); "
        f"signed slash commands: {', '.join(COMMANDS)}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        config = prepare(Path(tmp), fake.api_url, port)
        for servers in (int(n) for n in args.servers.split(",")):
            run_config(config, port, servers, args, fake)
    fake.close()
    return 0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


if __name__ == "__main__":
    try:
        main()
    except SystemExit as e:
        print(e)
    sys.exit(0)
