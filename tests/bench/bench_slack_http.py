"""Signed slash commands POSTed to `partnerbot serve` in Slack's HTTP mode, from a second process.

Run: python tests/bench/bench_slack_http.py [--seconds 10] [--connections 8] [--rate 300] [--rounds 2]
                                            [--door-only] [--commands quorum] [--threads 2]
(prints the figures beside the budgets; always exits 0)

Budget (issue 18), one server core: at least 25 % of the requests per second of a no-op Bolt
`AsyncApp` (its command listener only acks) on uvicorn with uvloop and httptools, measured in
the same run on the same core; and p99 at most 25 ms at a steady 300 requests/s, no errors.

The server runs as `partnerbot serve` (SQLite, the example partnership, a bound channel with an
open meeting) against a local fake of Slack's Web API (answers travel in the acks; the fake sees
any other call). The server process, and the floor's, is pinned to one core with the load
generator (and the fake) on the other. Each round runs the floor as fast as 8 keep-alive
connections go (closed loop), then partnerbot the same way, then partnerbot at a steady 300
requests/s (open loop). `--door-only` adds, after the floor, `serve` with each command's answer
computed once and then reused: the door's own cost beside the library's. `--servers 2` adds two
`serve` processes sharing the port, unpinned (what a 2-core host would run).
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

BUDGET_RPS = 300.0  # the steady rate
BUDGET_P99_MS = 25.0  # p99 at that rate
BUDGET_RATIO = 0.25  # closed-loop requests/s as a share of the no-op AsyncApp's
SECRET = "bench-signing-secret"
CHANNEL = "C0BENCH001"
THREADS = 2  # slack.threads (its default): commands a server process works on at once
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
    command = ["-m", "bot.cli", "--config", str(config), "serve", "--interval", "3600"]
    return _start(command, config.parent, port, cpu, "serve")


def start_floor(work: Path, fake_url: str, port: int, cpu: int | None) -> subprocess.Popen[bytes]:
    """The library's floor: a no-op `AsyncApp` on uvicorn, uvloop and httptools (`--floor`)."""
    command = [str(Path(__file__).resolve()), "--floor", str(port), "--fake", fake_url]
    return _start(command, work, port, cpu, "floor")


def _start(command: list[str], work: Path, port: int, cpu: int | None, name: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_SIGNING_SECRET": SECRET}
    env.pop("SLACK_APP_TOKEN", None)
    # Output to a file, not a pipe: the access log must never fill a pipe nobody reads.
    log = work / f"{name}-{len(list(work.glob(f'{name}-*.log')))}.log"
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, *command], cwd=work, env=env, stdout=sink, stderr=subprocess.STDOUT
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
    raise SystemExit(f"the {name} server did not start:\n" + log.read_text())


def start_door_only(config: Path, port: int, cpu: int | None) -> subprocess.Popen[bytes]:
    """`serve` with each command's answer computed once and then reused (`--serve-cached-core`)."""
    command = [str(Path(__file__).resolve()), "--serve-cached-core", str(config)]
    return _start(command, config.parent, port, cpu, "door")


def serve_cached_core(config: str) -> int:
    """`partnerbot serve`, the door whole, but `SlackDoor.handle` answers each text from a cache:
    what the door itself costs (HTTP, checks, Bolt, the listener, rendering, the thread hop)."""
    from bot.cli import main as cli
    from bot.slack import app as slack_app

    real = slack_app.SlackDoor.handle
    answers: dict[str, Any] = {}

    def cached(door: Any, req: Any) -> Any:
        if req.text not in answers:
            answers[req.text] = real(door, req)
        return answers[req.text]

    slack_app.SlackDoor.handle = cached  # type: ignore[method-assign]
    return cli(["--config", config, "serve", "--interval", "3600"])


def run_door_only(config: Path, port: int, cpu: int | None, args: argparse.Namespace, floor: float) -> None:
    proc = start_door_only(config, port, cpu)
    try:
        cpu_before = _cpu_seconds(proc.pid)
        result = run_load(port, args.seconds, args.connections, None, _other(cpu))
        used = _cpu_seconds(proc.pid) - cpu_before
        rps = report(f"  the door alone (core answers cached), {args.connections} connections", result)
        if result["all"]:
            print(f"    server CPU per request: {used / result['all'] * 1000:.2f} ms")
        if floor:
            print(f"    {rps / floor:.2f}× the floor of this round")
    finally:
        _stop([proc])


def run_floor(port: int, fake_url: str) -> None:
    """The floor server: Bolt's own async stack, a command listener that only acks."""
    import uvicorn
    from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient
    from starlette.requests import Request as StarletteRequest
    from starlette.responses import JSONResponse

    bolt = AsyncApp(
        client=AsyncWebClient(token="xoxb-bench", base_url=fake_url),
        signing_secret=SECRET,
        process_before_response=True,
    )

    @bolt.command("/pb")
    async def noop(ack: Any) -> None:
        await ack()

    handler = AsyncSlackRequestHandler(bolt)

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/health":
            await JSONResponse({"ok": True})(scope, receive, send)
            return
        response = await handler.handle(StarletteRequest(scope, receive))
        await response(scope, receive, send)

    uvicorn.run(
        asgi,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        log_level="warning",
        access_log=False,
    )


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


def report(name: str, result: dict[str, Any], *, steady: bool = False) -> float:
    """Print one run's figures; returns its requests/s."""
    lat = sorted(result["latencies"])
    if not lat:
        print(f"{name}: no successful requests; errors: {result['errors']}")
        return 0.0
    rps = len(lat) / result["seconds"]
    p50 = statistics.median(lat) * 1000
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    line = (
        f"{name}: {rps:7.1f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   max {lat[-1] * 1000:6.1f} ms   "
        f"errors {result['error_count']}"
    )
    if steady:
        ok = p99 <= BUDGET_P99_MS and result["error_count"] == 0 and rps >= 0.97 * BUDGET_RPS
        line += f"   (budget: p99 ≤{BUDGET_P99_MS:.0f} ms, no errors) {'OK' if ok else 'OVER BUDGET'}"
    print(line)
    if result["errors"]:
        print(f"  first errors: {result['errors']}")
    return rps


def run_floor_once(work: Path, fake_url: str, port: int, cpu: int | None, args: argparse.Namespace) -> float:
    proc = start_floor(work, fake_url, port, cpu)
    try:
        cpu_before = _cpu_seconds(proc.pid)
        result = run_load(port, args.seconds, args.connections, None, _other(cpu))
        used = _cpu_seconds(proc.pid) - cpu_before
        rps = report(f"  floor: no-op AsyncApp, {args.connections} connections", result)
        if result["all"]:
            print(f"    server CPU per request: {used / result['all'] * 1000:.2f} ms")
        return rps
    finally:
        _stop([proc])


def run_config(
    config: Path, port: int, servers: int, args: argparse.Namespace, fake: Any, floor: float | None
) -> None:
    cpus = sorted(_all_cpus())
    pinned = servers == 1 and len(cpus) >= 2
    server_cpu, load_cpu = (cpus[0], cpus[1]) if pinned else (None, None)
    # The fake Web API runs in this process: with the load generator, on the other core.
    os.sched_setaffinity(0, {load_cpu} if load_cpu is not None else set(cpus))
    procs = [start_server(config, port, server_cpu) for _ in range(servers)]
    try:
        cpu_before = sum(_cpu_seconds(p.pid) for p in procs)
        closed = run_load(port, args.seconds, args.connections, None, load_cpu)
        cpu_used = sum(_cpu_seconds(p.pid) for p in procs) - cpu_before
        label = "partnerbot" if servers == 1 else f"partnerbot × {servers}"
        rps = report(f"  {label}, {args.connections} connections", closed)
        if closed["all"]:
            # CPU time, not wall time: what a request costs the server whatever else runs here.
            print(f"    server CPU per request: {cpu_used / closed['all'] * 1000:.2f} ms")
        if floor:
            ratio = rps / floor
            verdict = "OK" if ratio >= BUDGET_RATIO else "OVER BUDGET"
            print(f"    {ratio:.2f}× the floor of this round (budget: ≥{BUDGET_RATIO:.2f}×) {verdict}")
        fake.clear()
        steady = run_load(port, args.seconds, args.connections, args.rate, load_cpu)
        report(f"  {label}, steady {args.rate:.0f} req/s", steady, steady=True)
        time.sleep(0.5)  # let the last channel posts land
        # Answers travel in the acks (ephemeral, or in_channel for meeting changes): no Web API calls.
        print(f"    Web API calls during the steady run: {len(fake.calls())}")
        rss = [r for r in (_rss_mib(p.pid) for p in procs) if r]
        if rss:
            print(f"    server RSS: {', '.join(f'{r:.0f} MiB' for r in rss)}")
    finally:
        _stop(procs)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
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


def _other(cpu: int | None) -> int | None:
    return None if cpu is None else next((c for c in sorted(_CPUS) if c != cpu), None)


def main() -> int:
    global COMMANDS, THREADS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rate", type=float, default=BUDGET_RPS)
    parser.add_argument("--rounds", type=int, default=2, help="floor and partnerbot pairs (default: 2)")
    parser.add_argument("--servers", default="1", help="server process counts to try (default: 1; e.g. 1,2)")
    parser.add_argument("--threads", type=int, default=THREADS, help="slack.threads of each server")
    parser.add_argument("--commands", help="comma-separated commands to send instead of the default mix")
    parser.add_argument("--floor", type=int, help=argparse.SUPPRESS)  # run the floor server on this port
    parser.add_argument("--fake", help=argparse.SUPPRESS)
    parser.add_argument("--serve-cached-core", help=argparse.SUPPRESS)  # run serve with this app.yaml
    parser.add_argument(
        "--door-only", action="store_true", help="also run `serve` with the core's answers cached"
    )
    args = parser.parse_args()
    if args.floor:
        run_floor(args.floor, args.fake)
        return 0
    if args.serve_cached_core:
        return serve_cached_core(args.serve_cached_core)
    THREADS = args.threads
    if args.commands:
        COMMANDS = tuple(c.strip() for c in args.commands.split(",") if c.strip())

    from slack_fake import FakeSlack

    fake = FakeSlack()
    port = free_port()
    load = os.getloadavg()[0]
    print(
        f"partnerbot serve, Slack HTTP mode, SQLite, {os.cpu_count()} cores "
        f"(load average before: {load:.2f}); slack.threads {THREADS}; "
        f"signed slash commands: {', '.join(COMMANDS)}"
    )
    cpus = sorted(_all_cpus())
    server_cpu = cpus[0] if len(cpus) >= 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        config = prepare(Path(tmp), fake.api_url, port)
        for n in range(1, args.rounds + 1):
            print(
                f"\nround {n}: server pinned to core {server_cpu}, load generator and fake Web API on "
                f"core {_other(server_cpu)}"
            )
            os.sched_setaffinity(0, {_other(server_cpu)} if server_cpu is not None else set(cpus))
            floor = run_floor_once(Path(tmp), fake.api_url, port, server_cpu, args)
            if args.door_only:
                run_door_only(config, port, server_cpu, args, floor)
            for servers in (int(s) for s in args.servers.split(",")):
                if servers > 1:
                    print(f"  {servers} `serve` processes sharing the port (SO_REUSEPORT), nothing pinned:")
                run_config(config, port, servers, args, fake, floor if servers == 1 else None)
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
