"""Benchmark: the Teams door over loopback, against the same SDK app whose handler does nothing.

1. Throughput. Message activities POSTed to /api/messages (authentication off) from a second
   process, 32 connections: the server pinned to one core, the load generator (and the fake
   Bot Connector that replies go to) to the other. Four servers, each measured the same way:
   the bare SDK app with a no-op handler (the chat floor), the bare SDK app whose handler sends
   one reply with `ctx.send` (the reply floor), our door with ordinary chat in a bound meeting
   chat (its guard checks the token and the activity, and whether the writer has a question open
   there, and answers it without the SDK; no reply; budget 0.5x the chat floor), and our door
   with a command that replies (`quorum`; budget 0.8x the reply floor). Printed: requests per
   second, p50/p99, and our figures as a ratio of their floor's beside the budget.
2. `partnerbot serve` with Slack (HTTP mode) and Teams both enabled: start-up to ready (both
   doors answering; budget 2 s) and resident memory (budget 200 MB), idle and after load.
3. `--activities N`: our door's resident memory over N activities (chat and `quorum` in turn,
   each with a new id, so the delivery records grow as in production), sampled every tenth.
   Budget: flat (the last sample within 10 % of the one after warm-up).

Prints figures beside budgets; never fails (exit 0).

    python tests/bench/bench_teams.py [--seconds 8] [--concurrency 32] [--rows floor,reply,chat,quorum]
    python tests/bench/bench_teams.py --activities 100000 --rows none --no-serve
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

BUDGET_RSS_MB = 200.0
BUDGET_START_S = 2.0
BUDGET_CHAT = 0.5  # of the no-op SDK app
BUDGET_REPLY = 0.8  # of the no-op SDK app that replies once
BUDGET_GROWTH = 0.10  # memory over many activities: the last sample within this of the first
BOT_ID = "00000000-0000-4000-8000-0000000b0701"
CHAT = "19:meeting_bench@thread.v2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pin(cpu: int) -> None:
    try:
        if len(os.sched_getaffinity(0)) > 1:
            os.sched_setaffinity(0, {cpu})
    except (AttributeError, OSError):
        pass


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (a figure the machine's other load moves
    less than requests per second)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def write_config(
    folder: Path,
    *,
    teams: dict[str, Any],
    slack: dict[str, Any] | None = None,
    web: dict[str, Any] | None = None,
) -> Path:
    import yaml

    config = {
        "database": {"url": f"sqlite:///{folder / 'bench.sqlite3'}"},
        "partnerships": [str(ROOT / "examples" / "westshire.yaml")],
        "partnership": "westshire-scp",
        "teams": teams,
    }
    if slack:
        config["slack"] = slack
    if web:
        config["web"] = web
    path = folder / "app.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


# --- the servers (run in a child process pinned to core 0) --------------------------------------------


def serve(kind: str, config: Path, port: int) -> None:
    pin(0)
    from bot import runtime

    runtime.loop(8)
    stop = serve_ours(config, port) if kind == "ours" else serve_noop(port, reply=kind == "noop-reply")
    print("READY", flush=True)
    sys.stdin.readline()  # the parent closes stdin to stop us
    print(f"RSS {rss_mb(os.getpid()):.1f}", flush=True)
    stop()


def serve_noop(port: int, *, reply: bool = False) -> Any:
    """The bare SDK app on plain uvicorn: the floor (with `reply`, one `ctx.send` per message)."""
    import uvicorn
    from fastapi import FastAPI
    from microsoft_teams.apps import App as SdkApp
    from microsoft_teams.apps import FastAPIAdapter

    from bot import runtime

    web = FastAPI()
    sdk = SdkApp(
        http_server_adapter=FastAPIAdapter(app=web),
        dangerously_allow_unauthenticated_requests=True,
        client_id=BOT_ID,
        token=_token,  # the credentials our door has: replies carry the same bearer token
    )

    @sdk.on_message
    async def nothing(ctx: Any) -> None:
        if reply:
            await ctx.send("ok")

    runtime.run(sdk.initialize())
    config = uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning", access_log=False)
    config.lifespan = "off"
    server = uvicorn.Server(config)
    future = runtime.submit(server.serve())
    while not server.started:
        time.sleep(0.01)

    def stop() -> None:
        server.should_exit = True
        future.result(timeout=10)

    return stop


def serve_ours(config: Path, port: int) -> Any:
    """Our door as `serve` runs it: on the one web server, with its limits and access log."""
    import io
    from datetime import UTC, datetime

    from bot import runtime
    from bot.app import open_app
    from bot.settings import load_settings
    from bot.teams.app import TeamsDoor
    from bot.teams.plug import mount
    from bot.web import WebServer
    from bot.web_settings import WebSection
    from handlers.context import Request

    settings = load_settings(config)
    app = open_app(settings)
    ts = settings.teams.resolve(settings.root)
    door = TeamsDoor(app, ts, token=_token)
    core = app.core()
    now = datetime.now(UTC)
    _know_chair(app)
    for text in ("bind board", "meeting start", "present MT LE SMa"):
        # The chair's: a refusal here would leave every measured command answering an error.
        said = [
            b for m in core.handle(Request("teams", CHAT, "chair-aad", text, now)).messages for b in m.blocks
        ]
        if any(getattr(b, "tone", "") == "error" for b in said):
            raise RuntimeError(f"bench set-up: `{text}` was refused: {said}")
    runtime.run(door.initialize())
    web = WebServer(WebSection(port=port), io.StringIO())
    mount(door, web.part("teams"))
    halt = threading.Event()
    thread = threading.Thread(target=web.run, args=(halt,), daemon=True)
    thread.start()
    web.ready.wait(30)

    def stop() -> None:
        halt.set()
        thread.join(timeout=15)

    return stop


@functools.cache
def _token(*args: Any, **kwargs: Any) -> str:
    """A bot token for replies, made once: a real token provider caches its token for an hour too."""
    import jwt

    return jwt.encode({"aud": "bench", "exp": int(time.time()) + 3600}, "x" * 32)


def _know_chair(app: Any) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from storage.doors import remember_identity
    from storage.models import Person

    with app.sessions() as s, s.begin():
        pid = s.scalars(select(Person.id).where(Person.initials == "MT")).one()
        remember_identity(s, "teams", "chair-aad", pid, "admin", datetime.now(UTC))


# --- the load generator (this process, core 1) ----------------------------------------------------------


def activity(n: int, text: str, service_url: str, mention: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": "message",
        "id": f"bench-{os.getpid()}-{n}",
        "timestamp": "2024-01-19T10:05:00Z",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": "29:chair", "name": "Miriam Tolley", "aadObjectId": "chair-aad"},
        "conversation": {"isGroup": True, "conversationType": "groupChat", "id": CHAT, "tenantId": "t"},
        "recipient": {"id": f"28:{BOT_ID}", "name": "partnerbot"},
        "text": text,
        "channelData": {"tenant": {"id": "t"}, "meeting": {"id": "bench-meeting"}},
    }
    if mention:
        body["text"] = f"<at>partnerbot</at> {text}"
        body["entities"] = [
            {
                "type": "mention",
                "text": "<at>partnerbot</at>",
                "mentioned": {"id": f"28:{BOT_ID}", "name": "x"},
            }
        ]
    return body


async def load(
    url: str, text: str, mention: bool, seconds: float, concurrency: int, pid: int = 0
) -> dict[str, float]:
    import aiohttp
    import aiohttp.web

    latencies: list[float] = []
    errors = 0
    counter = iter(range(10**9))
    replies = {"n": 0}

    async def connector(request: aiohttp.web.Request) -> aiohttp.web.Response:
        replies["n"] += 1
        return aiohttp.web.json_response({"id": f"r{replies['n']}"})

    web_app = aiohttp.web.Application()
    web_app.router.add_post("/v3/conversations/{conv}/activities", connector)
    runner = aiohttp.web.AppRunner(web_app, access_log=None)
    await runner.setup()
    port = free_port()
    site = aiohttp.web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    service_url = f"http://127.0.0.1:{port}"

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker(until: float, record: bool) -> None:
            nonlocal errors
            while time.perf_counter() < until:
                body = activity(next(counter), text, service_url, mention)
                start = time.perf_counter()
                try:
                    async with session.post(url, json=body) as response:
                        await response.read()
                        ok = response.status == 200
                except aiohttp.ClientError:
                    ok = False
                if record:
                    latencies.append(time.perf_counter() - start)
                    errors += 0 if ok else 1

        warm = time.perf_counter() + min(2.0, seconds / 4)
        await asyncio.gather(*(worker(warm, False) for _ in range(concurrency)))
        began, cpu = time.perf_counter(), cpu_seconds(pid)
        await asyncio.gather(*(worker(began + seconds, True) for _ in range(concurrency)))
        took, cpu = time.perf_counter() - began, cpu_seconds(pid) - cpu
    await runner.cleanup()
    latencies.sort()
    return {
        "rps": len(latencies) / took,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan"),
        "errors": errors,
        "replies": replies["n"],
        "cpu_ms": cpu * 1000 / len(latencies) if latencies else float("nan"),
    }


def start(kind: str, folder: Path) -> tuple[subprocess.Popen[str], int]:
    """A server child process (pinned to core 0), ready; this process pins itself to core 1."""
    config = write_config(
        folder,
        teams={
            "enabled": True,
            "allow_unauthenticated": True,
            "app_id": BOT_ID,
            "files_dir": str(folder / "files"),
        },
    )
    db = folder / "bench.sqlite3"
    if db.exists():
        db.unlink()
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, "--config", str(config), "--port", str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PARTNERBOT_TEST_HARNESS": "1"},  # the test-only setting, on purpose
    )
    assert child.stdout is not None and child.stdin is not None
    line = child.stdout.readline()
    if "READY" not in line:
        child.kill()
        raise RuntimeError(f"{kind} server did not start: {line!r}")
    pin(1)
    return child, port


def stop(child: subprocess.Popen[str]) -> float:
    """Stop a server child; its resident memory (MB) as it stopped."""
    assert child.stdout is not None and child.stdin is not None
    child.stdin.close()
    out = child.stdout.read()
    child.wait(timeout=20)
    rss = [float(x.split()[1]) for x in out.splitlines() if x.startswith("RSS ")]
    return rss[0] if rss else float("nan")


def measure(
    kind: str, folder: Path, text: str, mention: bool, seconds: float, concurrency: int
) -> dict[str, float]:
    child, port = start(kind, folder)
    try:
        result = asyncio.run(
            load(f"http://127.0.0.1:{port}/api/messages", text, mention, seconds, concurrency, child.pid)
        )
    finally:
        result_rss = stop(child)
    result["rss"] = result_rss
    return result


async def send_many(url: str, count: int, concurrency: int, first: int) -> int:
    """`count` activities, chat and `@partnerbot quorum` in turn, each with a new id; errors."""
    import aiohttp
    import aiohttp.web

    async def connector(request: aiohttp.web.Request) -> aiohttp.web.Response:
        return aiohttp.web.json_response({"id": "r"})

    web_app = aiohttp.web.Application()
    web_app.router.add_post("/v3/conversations/{conv}/activities", connector)
    runner = aiohttp.web.AppRunner(web_app, access_log=None)
    await runner.setup()
    port = free_port()
    await aiohttp.web.TCPSite(runner, "127.0.0.1", port).start()
    service_url = f"http://127.0.0.1:{port}"
    numbers = iter(range(first, first + count))
    errors = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:

        async def worker() -> None:
            nonlocal errors
            for n in numbers:
                body = (
                    activity(n, "quorum", service_url, True)
                    if n % 2
                    else activity(n, "Thanks all, see you soon", service_url, False)
                )
                try:
                    async with session.post(url, json=body) as response:
                        await response.read()
                        errors += response.status != 200
                except aiohttp.ClientError:
                    errors += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    await runner.cleanup()
    return errors


def memory(folder: Path, activities: int, concurrency: int) -> None:
    """Our door's resident memory over many activities: flat, or something is kept per activity."""
    print(f"our door's resident memory over {activities:,} activities (chat and `quorum` in turn):")
    child, port = start("ours", folder)
    url = f"http://127.0.0.1:{port}/api/messages"
    try:
        warm = min(2000, max(activities // 20, 100))
        errors = asyncio.run(send_many(url, warm, concurrency, 0))
        samples = [(warm, rss_mb(child.pid))]
        step = max(activities // 10, 1)
        sent = warm
        began = time.perf_counter()
        while sent < warm + activities:
            n = min(step, warm + activities - sent)
            errors += asyncio.run(send_many(url, n, concurrency, sent))
            sent += n
            samples.append((sent, rss_mb(child.pid)))
        took = time.perf_counter() - began
    finally:
        stop(child)
    print("  " + ", ".join(f"{n:,}: {mb:.1f} MB" for n, mb in samples))
    growth = samples[-1][1] / samples[0][1] - 1
    print(
        f"  after warm-up {samples[0][1]:.1f} MB, at the end {samples[-1][1]:.1f} MB: "
        f"{growth:+.1%} (budget flat, within {BUDGET_GROWTH:.0%}); {activities / took:.0f} activities/s, "
        f"errors {errors}"
    )


# --- `partnerbot serve` with Slack and Teams ------------------------------------------------------------


class _SlackApi(BaseHTTPRequestHandler):
    """Answers every Slack Web API call with ok (auth.test at start-up), so no network is needed."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(
            {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "url": "x"}
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args: Any) -> None:
        pass


def both_doors(
    folder: Path, base_env: dict[str, str]
) -> tuple[ThreadingHTTPServer, int, list[str], dict[str, str]]:
    """What `serve` with Slack (HTTP mode) and Teams needs: a fake Slack Web API (running; shut it
    down after), a free port, the command line with its config, and its environment."""
    slack_api = ThreadingHTTPServer(("127.0.0.1", 0), _SlackApi)
    threading.Thread(target=slack_api.serve_forever, daemon=True).start()
    port = free_port()  # the one web server: Slack's events, Teams' messages, /health
    folder.mkdir(exist_ok=True)
    config = write_config(
        folder,
        teams={"enabled": True, "files_dir": str(folder / "files")},
        slack={
            "enabled": True,
            "mode": "http",
            "api_base_url": f"http://127.0.0.1:{slack_api.server_address[1]}/api/",
        },
        web={"port": port},
    )
    env = {
        **base_env,
        "TEAMS_APP_ID": BOT_ID,
        "TEAMS_APP_PASSWORD": "bench-secret",
        "TEAMS_TENANT_ID": "t",
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": "bench-signing",
    }
    env.pop("PARTNERBOT_TEST_HARNESS", None)
    return slack_api, port, [sys.executable, "-m", "bot.cli", "--config", str(config)], env


def serve_process(folder: Path, requests: int) -> dict[str, float]:
    import httpx

    slack_api, port, cli, env = both_doors(folder, dict(os.environ))
    subprocess.run([*cli, "migrate"], env=env, cwd=ROOT, check=True, capture_output=True)
    subprocess.run(
        [*cli, "load", str(ROOT / "examples" / "westshire.yaml")],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    log = folder / "serve.log"  # a file, not a pipe: the access log must never fill a pipe nobody reads
    started = time.perf_counter()
    with log.open("w") as sink:
        child = subprocess.Popen(
            [*cli, "serve", "--interval", "3600"], env=env, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
    ready = {"teams": None, "slack": None}
    try:
        with httpx.Client(timeout=1) as client:
            while None in ready.values() and time.perf_counter() - started < 20 and child.poll() is None:
                for name, url in (
                    ("teams", f"http://127.0.0.1:{port}/healthz"),
                    ("slack", f"http://127.0.0.1:{port}/health"),
                ):
                    if ready[name] is None:
                        try:
                            if client.get(url).status_code == 200:
                                ready[name] = time.perf_counter() - started
                        except httpx.HTTPError:
                            pass
                time.sleep(0.01)
            idle = rss_mb(child.pid)
            # Unsigned requests: each is refused by token validation (401), as an attack would be.
            refused = 0
            for n in range(requests):
                body = activity(n, "quorum", "https://smba.trafficmanager.net/uk/", True)
                if client.post(f"http://127.0.0.1:{port}/api/messages", json=body).status_code == 401:
                    refused += 1
            loaded = rss_mb(child.pid)
    finally:
        child.terminate()
        try:
            child.wait(timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        slack_api.shutdown()
        out = log.read_text()
    if None in ready.values():
        print("   serve output:\n" + "\n".join("     " + line for line in (out or "").splitlines()[-15:]))
    return {
        "teams_ready": ready["teams"] or float("nan"),
        "slack_ready": ready["slack"] or float("nan"),
        "idle": idle,
        "loaded": loaded,
        "refused": refused,
        "requests": requests,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rows", default="floor,reply,chat,quorum", help="which servers, or none")
    parser.add_argument("--no-serve", action="store_true", help="skip `partnerbot serve`")
    parser.add_argument("--activities", type=int, default=0, help="memory over this many activities")
    parser.add_argument("--serve", choices=["noop", "noop-reply", "ours"])
    parser.add_argument("--config")
    parser.add_argument("--port", type=int)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, Path(args.config), args.port)
        return 0
    folder = Path(tempfile.mkdtemp(prefix="bench-teams-"))
    try:
        print(
            f"Teams door over loopback: {args.concurrency} connections, {args.seconds:.0f} s each, "
            f"{os.cpu_count()} cores (server on one, load on the other)"
        )
        chat = "Thanks all, see you soon"
        rows = {
            "floor": ("bare SDK app, handler does nothing", "noop", chat, False, None, 0.0),
            "reply": ("bare SDK app, handler sends one reply", "noop-reply", "quorum", True, None, 0.0),
            "chat": (
                "our door: chat in a bound meeting chat (no reply)",
                "ours",
                chat,
                False,
                "noop",
                BUDGET_CHAT,
            ),
            "quorum": (
                "our door: `@partnerbot quorum` (core + reply)",
                "ours",
                "quorum",
                True,
                "noop-reply",
                BUDGET_REPLY,
            ),
        }
        wanted = [r for r in args.rows.split(",") if r in rows]
        floors: dict[str, dict[str, float]] = {}
        for label, kind, text, mention, against, budget in (rows[r] for r in wanted):
            try:
                r = measure(kind, folder, text, mention, args.seconds, args.concurrency)
            except Exception as e:
                print(f"  {label}: failed: {e}")
                continue
            if kind != "ours":
                floors[kind] = r
            base = floors.get(against or "")
            ratio = (
                f"  -> {r['rps'] / base['rps']:.2f}x its floor's req/s (budget >= {budget:.2f}x), "
                f"{base['cpu_ms'] / r['cpu_ms']:.2f}x by CPU per request"
                if base
                else ("  (floor not measured in this run)" if against else "")
            )
            print(
                f"  {label}: {r['rps']:.0f} req/s, {r['cpu_ms']:.2f} ms CPU/req, "
                f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms, "
                f"errors {r['errors']:.0f}, replies {r['replies']:.0f}, "
                f"server RSS {r['rss']:.0f} MB{ratio}"
            )
        if args.activities:
            memory(folder, args.activities, args.concurrency)
        if args.no_serve:
            return 0
        print("`partnerbot serve` with Slack (HTTP mode) and Teams enabled:")
        try:
            s = serve_process(folder, 2000)
            print(
                f"  start-up to ready: Teams {s['teams_ready']:.2f} s, Slack {s['slack_ready']:.2f} s "
                f"(budget {BUDGET_START_S:.0f} s)"
            )
            print(
                f"  resident memory: {s['idle']:.0f} MB idle, {s['loaded']:.0f} MB after "
                f"{s['requests']:.0f} unsigned requests ({s['refused']:.0f} refused with 401) "
                f"(budget {BUDGET_RSS_MB:.0f} MB)"
            )
        except Exception as e:
            print(f"  failed: {e}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # a benchmark reports; it never fails the build
        print(f"bench_teams: {e}")
    sys.exit(0)
