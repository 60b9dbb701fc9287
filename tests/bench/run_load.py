"""Load: 20 chairs and 200 owners on loopback, Slack and Teams mixed, two `serve` processes, PostgreSQL.

Run: python tests/bench/run_load.py [--seconds 60] [--rate 100] [--connections 16]
(`make load`; prints each figure beside its budget; always exits 0; not part of `make test`)

Budget: 100 commands/s sustained, p99 under 250 ms, zero errors, zero lost or duplicated writes.

Set-up: a partnership of 20 series (ten met in Slack channels, ten in Teams meeting chats), each
with its chair and ten owners (20 chairs, 200 owners), in a fresh database `partnerbot_load` on
the PostgreSQL server at 127.0.0.1:5432 (created, then dropped; `--database URL` names another
server). Two `partnerbot serve` processes, each on its own port, both doors enabled: Slack in HTTP
mode against a local fake of the Web API, Teams against a local fake Bot Connector (the Bot
Framework token check off: its cost is not measured here). Each serve sweeps reminders every 5 s
on the real clock; a third sweeper, in this process, sweeps every 2 s as of the next working
Monday, so reminders really are composed and sent while the load runs.

The load, from a second process at a steady `--rate` (open loop, spread over `--connections`
keep-alive connections, each sticking to one of the two servers): chairs record actions
(`Action: OWNER to … by DATE`, 40 %) and notes (15 %) and ask for the tracker (15 %); owners ask
for `actions mine` in their direct messages (30 %). A chair in a Slack series sends a signed slash
command; one in a Teams series sends a message activity mentioning the bot.

A write is confirmed when its answer names it (Slack: the ack, the response URL, or the channel
post made when the answer missed the ack; Teams: the activity sent to the Connector); notes, all
answered alike, are counted per conversation. Afterwards the database is compared with the
confirmed answers: lost = confirmed but not stored; duplicated = stored more than once.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import http.client
import json
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
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import yaml  # noqa: E402

BUDGET_RPS = 100.0
BUDGET_P99_MS = 250.0
SECRET = "load-signing-secret"
BOT_ID = "00000000-0000-4000-8000-00000000b0a7"
SERIES = 20
OWNERS_EACH = 10
SWEEP_EVERY = 2.0
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/partnerbot_load"
LONDON = ZoneInfo("Europe/London")


def letters(n: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[n // 26] + "abcdefghijklmnopqrstuvwxyz"[n % 26]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def next_monday() -> date:
    today = datetime.now(LONDON).date()
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


# --- the partnership: 20 series, 20 chairs, 200 owners ---------------------------------------------------


def plan() -> list[dict[str, Any]]:
    """Each series: its key, door, conversation, chair and owners (initials, Slack id, Teams id)."""
    out = []
    for s in range(SERIES):
        door = "slack" if s % 2 == 0 else "teams"
        chair = "C" + letters(s)
        owners = ["O" + letters(s * OWNERS_EACH + k) for k in range(OWNERS_EACH)]
        out.append(
            {
                "key": f"group{s + 1:02d}",
                "door": door,
                "channel": f"C0LOAD{s:03d}" if door == "slack" else f"19:load-{s:02d}@thread.v2",
                "chair": chair,
                "owners": owners,
            }
        )
    return out


def slack_id(initials: str) -> str:
    return "U0" + hashlib.sha1(initials.encode()).hexdigest()[:8].upper()


def teams_id(initials: str) -> str:
    h = hashlib.sha1(initials.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def partnership_file(folder: Path, series: list[dict[str, Any]]) -> Path:
    people = []
    for s in series:
        for ini in [s["chair"], *s["owners"]]:
            person = {
                "name": f"{'Chair' if ini == s['chair'] else 'Owner'} {ini}",
                "initials": ini,
                "agency": "council",
                "slack_id": slack_id(ini),
            }
            if s["door"] == "teams":
                person["teams_id"] = teams_id(ini)
            people.append(person)
    data = {
        "id": "loadshire-scp",
        "name": "Loadshire Safeguarding Children Partnership",
        "timezone": "Europe/London",
        "agencies": [{"id": "council", "name": "Loadshire Council", "statutory": True}],
        "people": people,
        "series": [
            {
                "id": s["key"],
                "name": f"Working Group {s['key'][-2:]}",
                "chair": s["chair"],
                "members": [s["chair"], *s["owners"]],
                "quorum": {"min_members": 3},
            }
            for s in series
        ],
    }
    path = folder / "loadshire.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# --- the database, the servers, the fakes -----------------------------------------------------------------


def database(url: str, create: bool) -> None:
    """Create (after dropping any left by an earlier run) or drop the load's database."""
    from sqlalchemy import create_engine, text

    from storage.db import normalise_url

    base, _, name = normalise_url(url).rpartition("/")
    engine = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def write_config(folder: Path, url: str, port: int, slack_api: str, n: int) -> Path:
    config = {
        "database": {"url": url},
        "partnerships": ["loadshire.yaml"],
        "slack": {"enabled": True, "mode": "http", "api_base_url": slack_api},
        "teams": {
            "enabled": True,
            "allow_unauthenticated": True,
            "app_id": BOT_ID,
            "files_dir": str(folder / "files"),
        },
        "web": {"host": "127.0.0.1", "port": port},
    }
    path = folder / f"app-{n}.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def seed(config: Path, series: list[dict[str, Any]]) -> None:
    """Bind each series' conversation and open its meeting, as its chair."""
    from bot.app import open_app
    from bot.settings import load_settings
    from handlers.context import Request

    app = open_app(load_settings(config))
    router = app.router()
    now = datetime.now(UTC)
    for s in series:
        user = slack_id(s["chair"]) if s["door"] == "slack" else teams_id(s["chair"])
        for line in (f"bind {s['key']}", "meeting start"):
            said = router.handle(Request(s["door"], s["channel"], user, line, now)).plain
            if "✗" in said:
                raise SystemExit(f"seeding {s['key']}: {line}: {said}")
    app.engine.dispose()


def start_server(config: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-load",
        "SLACK_SIGNING_SECRET": SECRET,
        "PARTNERBOT_TEST_HARNESS": "1",  # teams.allow_unauthenticated is a test-only key
    }
    env.pop("SLACK_APP_TOKEN", None)
    log = config.with_suffix(".log")  # a file, not a pipe: the access log must never fill a pipe
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(config)],
            cwd=config.parent,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("a server did not start:\n" + log.read_text()[-3000:])


class Recorder:
    """The in-process sweeper's courier: keeps each reminder."""

    door = "slack"

    def __init__(self) -> None:
        self.sent: list[int] = []

    def reach(self, person: Any) -> bool:
        return bool(person.slack_id)

    def send(self, out: Any) -> str:
        self.sent.append(out.digest_id)
        return f"rec-{len(self.sent)}"


def sweeping(config: Path, monday: date, stop: threading.Event, report: dict[str, Any]) -> None:
    """Sweep every SWEEP_EVERY s as of the next working Monday 09:30, moving with the real clock."""
    from bot.app import open_app
    from bot.settings import load_settings
    from scheduler.policy import load_nudge_settings
    from scheduler.sweep import Sweeper

    app = open_app(load_settings(config), load=False)
    courier = Recorder()
    sweeper = Sweeper(app.sessions, {"slack": courier}, load_nudge_settings({}), rosters=app.setup.rosters)
    began = time.monotonic()
    start = datetime(monday.year, monday.month, monday.day, 9, 30, tzinfo=LONDON)
    took: list[float] = []
    failures = 0
    while not stop.is_set():
        t = time.perf_counter()
        try:
            sweeper.run((start + timedelta(seconds=time.monotonic() - began)).astimezone(UTC))
        except Exception as e:
            failures += 1
            report["error"] = f"{type(e).__name__}: {str(e)[:200]}"
        took.append(time.perf_counter() - t)
        stop.wait(SWEEP_EVERY)
    report.update(sweeps=len(took), reminders=len(courier.sent), failures=failures, took=took)
    app.engine.dispose()


# --- the load generator (its own process) ----------------------------------------------------------------


def slack_request(
    channel: str, user: str, text: str, n: int, response_url: str
) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "token": "legacy",
            "team_id": "T0LOAD",
            "team_domain": "loadshire-scp",
            "channel_id": channel,
            "channel_name": "directmessage" if channel.startswith("D") else "group-meeting",
            "user_id": user,
            "user_name": user.lower(),
            "command": "/pb",
            "text": text,
            "api_app_id": "A0PB",
            "response_url": response_url,
            "trigger_id": f"{n}.{time.time_ns()}",
        }
    )
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return body.encode(), {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sig,
    }


def teams_request(chat: str, aad: str, text: str, n: int, service_url: str) -> tuple[bytes, dict[str, str]]:
    body = {
        "type": "message",
        "id": f"load-{os.getpid()}-{n}",
        "timestamp": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": f"29:{aad}", "name": "Chair", "aadObjectId": aad},
        "conversation": {"isGroup": True, "conversationType": "groupChat", "id": chat, "tenantId": "t"},
        "recipient": {"id": f"28:{BOT_ID}", "name": "partnerbot"},
        "text": f"<at>partnerbot</at> {text}",
        "entities": [
            {
                "type": "mention",
                "text": "<at>partnerbot</at>",
                "mentioned": {"id": f"28:{BOT_ID}", "name": "x"},
            }
        ],
        "channelData": {"tenant": {"id": "t"}},
    }
    return json.dumps(body).encode(), {"Content-Type": "application/json"}


def command(n: int, series: list[dict[str, Any]], due: str, run: str) -> dict[str, Any]:
    """The n-th command of the mix: who sends what, where, and the key that identifies a write."""
    h = int(hashlib.sha1(f"{run}{n}".encode()).hexdigest(), 16)
    s = series[h % len(series)]
    pick = (h // len(series)) % 100
    owner = s["owners"][(h // 2000) % len(s["owners"])]
    if pick < 40:
        key = f"check figure {run}{n:06d}"
        return {
            "who": "chair",
            "s": s,
            "kind": "action",
            "key": key,
            "text": f"Action: {owner} to {key} by {due}",
        }
    if pick < 55:
        key = f"heard item {run}{n:06d}"
        return {"who": "chair", "s": s, "kind": "note", "key": key, "text": f"note: {key}"}
    if pick < 70:
        return {"who": "chair", "s": s, "kind": "read", "key": None, "text": "actions"}
    return {"who": owner, "s": s, "kind": "read", "key": None, "text": "actions mine"}


def generate(
    ports: list[int],
    seconds: float,
    connections: int,
    rate: float,
    series: list[dict[str, Any]],
    due: str,
    run: str,
    service_url: str,
    response_base: str,
    out: Any,
) -> None:
    """Send at `rate` for `seconds` after a 3 s warm-up (same rate); latencies count after the warm-up."""
    warm_until = time.monotonic() + 3.0
    stop_at = warm_until + seconds
    rows: list[dict[str, Any]] = []
    lock = threading.Lock()

    def worker(k: int) -> None:
        port = ports[k % len(ports)]
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        interval = connections / rate
        next_at = time.monotonic() + k * interval / connections
        n = k
        while next_at < stop_at:
            now = time.monotonic()
            if now < next_at:
                time.sleep(next_at - now)
            started_at = next_at
            next_at += interval
            c = command(n, series, due, run)
            n += connections
            s = c["s"]
            if c["who"] == "chair" and s["door"] == "teams":
                door = "teams"
                body, headers = teams_request(s["channel"], teams_id(s["chair"]), c["text"], n, service_url)
                path = "/api/messages"
            else:
                door = "slack"
                who = s["chair"] if c["who"] == "chair" else c["who"]
                channel = s["channel"] if c["who"] == "chair" else "D0" + slack_id(who)[2:]
                body, headers = slack_request(channel, slack_id(who), c["text"], n, f"{response_base}r{n}")
                path = "/slack/events"
            problem = ""
            try:
                conn.request("POST", path, body, headers)
                resp = conn.getresponse()
                answer = resp.read().decode("utf-8", "replace")
                ok = resp.status == 200
                problem = "" if ok else f"HTTP {resp.status} {answer[:80]}"
            except OSError as e:
                ok, answer, problem = False, "", f"{type(e).__name__}: {e}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            # From when it should have been sent: a server falling behind shows in the latency.
            took = time.monotonic() - started_at
            row = {
                "door": door,
                "kind": c["kind"],
                "key": c["key"],
                "n": n,
                "chat": s["channel"],
                "took": took,
                "start": started_at,
                "end": time.monotonic(),
                "ok": ok,
                "answer": problem or answer[:2000],
                "measured": started_at >= warm_until,
            }
            with lock:
                rows.append(row)
        conn.close()

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out.send({"rows": rows, "seconds": seconds})


# --- the run ---------------------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def serve(config: str) -> int:
    """`partnerbot serve`, with one change: the Teams SDK's outbound token is a local one, since there
    is no Entra ID to ask for one here (the replies go to the fake Connector, which does not check it)."""
    from bot.cli import main as cli
    from bot.teams import app as teams_app

    def token(*args: Any, **kwargs: Any) -> str:
        import jwt

        return jwt.encode({"aud": "load", "exp": int(time.time()) + 3600}, "x" * 32)

    made = teams_app.TeamsDoor.__init__

    def with_token(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["token"] = kwargs.get("token") or token
        made(self, *args, **kwargs)

    setattr(teams_app.TeamsDoor, "__init__", with_token)  # noqa: B010 (a method, replaced for this process)
    return cli(["--config", config, "serve", "--interval", "5"])


def main() -> int:
    if sys.argv[1:2] == ["--serve"]:
        return serve(sys.argv[2])
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--rate", type=float, default=BUDGET_RPS, help="commands per second (default 100)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="a PostgreSQL URL; created and dropped")
    args = parser.parse_args()

    from slack_fake import FakeSlack
    from teams_fakes import Connector

    os.environ["PARTNERBOT_TEST_HARNESS"] = "1"  # teams.allow_unauthenticated is a test-only key
    series = plan()
    monday = next_monday()
    due = f"{monday.day} {monday:%B %Y}"
    run = f"{int(time.time()) % 100000:05d}-"
    print(
        f"Load: {SERIES} chairs and {SERIES * OWNERS_EACH} owners, {args.rate:.0f} commands/s for "
        f"{args.seconds:.0f} s over {args.connections} connections, two `serve` processes, PostgreSQL; "
        f"{os.cpu_count()} cores (load average before: {os.getloadavg()[0]:.2f})"
    )
    slack = FakeSlack()
    connector = Connector()
    procs: list[subprocess.Popen[bytes]] = []
    stop = threading.Event()
    sweep_report: dict[str, Any] = {}
    folder = Path(tempfile.mkdtemp(prefix="partnerbot-load-"))
    try:
        database(args.database, create=True)
        partnership_file(folder, series)
        ports = [free_port(), free_port()]
        configs = [write_config(folder, args.database, p, slack.api_url, i) for i, p in enumerate(ports)]
        t = time.perf_counter()
        seed(configs[0], series)
        print(f"  loaded and seeded in {time.perf_counter() - t:.1f} s")
        procs = [start_server(c, p) for c, p in zip(configs, ports, strict=True)]
        sweeper = threading.Thread(target=sweeping, args=(configs[0], monday, stop, sweep_report))
        sweeper.start()
        cpu_before = [cpu_seconds(p.pid) for p in procs]
        parent, child = mp.Pipe()
        gen = mp.Process(
            target=generate,
            args=(
                ports,
                args.seconds,
                args.connections,
                args.rate,
                series,
                due,
                run,
                connector.url,
                slack.url + "/response/",
                child,
            ),
        )
        gen.start()
        result = parent.recv()
        gen.join()
        cpu_used = [cpu_seconds(p.pid) - b for p, b in zip(procs, cpu_before, strict=True)]
        stop.set()
        sweeper.join(timeout=60)
        # The last Teams replies and late Slack answers land: wait until nothing new arrives for 3 s.
        seen, quiet_since, give_up = -1, time.monotonic(), time.monotonic() + 120
        while time.monotonic() - quiet_since < 3 and time.monotonic() < give_up:
            now_seen = len(slack.responses()) + len(connector.sent)
            if now_seen != seen:
                seen, quiet_since = now_seen, time.monotonic()
            time.sleep(0.5)
        report(args, result, connector, slack, sweep_report, cpu_used, folder)
        core_alone(configs[0], series, due, run)
    except SystemExit as e:
        print(f"  could not run: {e}")
    except Exception as e:  # a benchmark reports; it never fails the build
        print(f"  could not run: {type(e).__name__}: {e}")
    finally:
        stop.set()
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        slack.close()
        connector.close()
        with contextlib.suppress(Exception):
            database(args.database, create=False)
        import shutil

        if not os.environ.get("LOAD_KEEP"):
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def report(
    args: argparse.Namespace,
    result: dict[str, Any],
    connector: Any,
    slack: Any,
    sweep: dict[str, Any],
    cpu_used: list[float],
    folder: Path,
) -> None:
    from sqlalchemy import create_engine, select

    from storage.db import normalise_url
    from storage.models import Action, Note

    rows = result["rows"]
    measured = [r for r in rows if r["measured"]]
    ok = [r for r in measured if r["ok"]]
    errors = [r for r in measured if not r["ok"]]
    lat = sorted(r["took"] for r in ok)
    # Answered per second: from the first measured send to the last answer, so a backlog counts.
    span = max((r["end"] for r in measured), default=0.0) - min((r["start"] for r in measured), default=0.0)
    rps = len(ok) / max(span, result["seconds"])
    p50 = statistics.median(lat) * 1000 if lat else float("nan")
    p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else float("nan")

    # Whether each write was confirmed. Slack: its ack, or its own response URL when the answer came
    # late. Teams: the activity sent to the Connector naming the action; notes all get the same
    # answer, so a chat's notes count as confirmed as many times as "Noted" was sent there.
    noted = "Noted for the minutes"
    late = {str(r.get("url", "")).rsplit("/", 1)[-1]: json.dumps(r) for r in slack.responses()}
    # An answer for the channel that missed the ack is posted there through the Web API instead.
    posted: dict[str, list[str]] = {}
    for call in slack.calls("chat.postMessage"):
        posted.setdefault(str(call.get("channel")), []).append(json.dumps(call))
    to_teams = [(conv, json.dumps(body)) for conv, body in connector.sent]
    teams_text = "\n".join(t for _, t in to_teams)
    writes = [r for r in rows if r["key"]]
    confirmed: set[str] = set()
    pooled: dict[tuple[str, str], list[str]] = {}  # notes answered only by a channel's "Noted"
    for r in writes:
        if r["door"] == "slack":
            said = r["answer"] + late.get(f"r{r['n']}", "")
            if r["kind"] == "action":
                said += "".join(posted.get(r["chat"], []))
            if r["key"] in said or (r["kind"] == "note" and noted in said):
                confirmed.add(r["key"])
            elif r["kind"] == "note":
                pooled.setdefault(("slack", r["chat"]), []).append(r["key"])
        elif r["kind"] == "action":
            if r["key"] in teams_text:
                confirmed.add(r["key"])
        else:
            pooled.setdefault(("teams", r["chat"]), []).append(r["key"])

    engine = create_engine(normalise_url(args.database))
    with engine.connect() as conn:
        stored = Counter(conn.scalars(select(Action.title)))
        stored.update(conn.scalars(select(Note.text)))
    engine.dispose()
    lost = [k for k in confirmed if stored[k] == 0]
    for (door, chat), keys in pooled.items():
        sent = [t for conv, t in to_teams if conv == chat] if door == "teams" else posted.get(chat, [])
        answered = min(len(keys), sum(noted in t for t in sent))
        kept = [k for k in keys if stored[k]]
        confirmed.update(kept[:answered])
        lost.extend([f"(a note in {chat})"] * max(0, answered - len(kept)))
    run_keys = {r["key"] for r in writes}
    failed_writes = [r for r in writes if r["key"] not in confirmed]
    doubled = [k for k in run_keys if stored[k] > 1]
    unconfirmed_stored = [k for k in run_keys - confirmed if stored[k] > 0]

    by_door = Counter(r["door"] for r in measured)
    lat_door = {d: sorted(r["took"] for r in ok if r["door"] == d) for d in ("slack", "teams")}
    print(
        f"  sent {len(measured)} commands in {result['seconds']:.0f} s after a 3 s warm-up "
        f"({by_door['slack']} Slack, {by_door['teams']} Teams); the last answered after {span:.1f} s"
    )
    verdict = "OK" if rps >= BUDGET_RPS * 0.98 and p99 < BUDGET_P99_MS and not errors else "OVER BUDGET"
    print(
        f"  throughput {rps:6.1f} commands/s (budget ≥{BUDGET_RPS:.0f})   p50 {p50:6.1f} ms   "
        f"p99 {p99:6.1f} ms (budget <{BUDGET_P99_MS:.0f})   errors {len(errors)} (budget 0)   {verdict}"
    )
    for d, values in lat_door.items():
        if values:
            print(
                f"    {d}: p50 {statistics.median(values) * 1000:6.1f} ms   "
                f"p99 {values[min(len(values) - 1, int(len(values) * 0.99))] * 1000:6.1f} ms   "
                f"max {values[-1] * 1000:6.1f} ms"
            )
    for r in errors[:3]:
        print(f"    error: {r['door']} {r['kind']}: {r['answer'][:160]}")
    print(
        f"  writes {len(writes)}: confirmed {len(confirmed)}, not confirmed {len(failed_writes)}; "
        f"lost {len(lost)}, duplicated {len(doubled)}, stored though not confirmed "
        f"{len(unconfirmed_stored)} (budget: 0 lost, 0 duplicated)"
    )
    for r in failed_writes[:3]:
        later = late.get(f"r{r['n']}", "nothing")
        print(
            f"    not confirmed: {r['door']} {r['kind']} {r['key']!r}: {r['answer'][:160]!r}; "
            f"at the response URL: {later[:200]}"
        )
    if sweep:
        took = sorted(sweep.get("took") or [0.0])
        print(
            f"  reminder sweeps: {sweep.get('sweeps', 0)} in this process as of {next_monday():%a %d %b} "
            f"(every {SWEEP_EVERY:.0f} s; median {statistics.median(took) * 1000:.0f} ms, "
            f"max {took[-1] * 1000:.0f} ms), {sweep.get('reminders', 0)} reminders sent, "
            f"{sweep.get('failures', 0)} failed{': ' + sweep['error'] if sweep.get('error') else ''}; "
            "each serve sweeps every 5 s too"
        )
    per = [c / max(1, len(rows) / 2) * 1000 for c in cpu_used]
    print(
        f"  serve CPU: {', '.join(f'{c:.1f} s' for c in cpu_used)} "
        f"(about {', '.join(f'{p:.1f}' for p in per)} ms per command each, sweeps every 5 s included); "
        f"at that cost {os.cpu_count()} cores given wholly to `serve` answer at most "
        f"{(os.cpu_count() or 1) * 1000 / max(0.1, sum(per) / len(per)):.0f} commands/s"
    )
    by_kind: dict[str, list[float]] = {}
    for r in ok:
        by_kind.setdefault(f"{r['door']} {r['kind']}", []).append(r["took"] * 1000)
    print(
        "  p50 by command: "
        + ", ".join(f"{k} {statistics.median(v):.0f} ms" for k, v in sorted(by_kind.items()))
    )
    print(f"  load average after: {os.getloadavg()[0]:.2f}")
    print(f"  Teams: {len(connector.sent)} activities sent to the Connector ({len(connector.calls)} calls)")
    for path in sorted(folder.glob("app-*.log")):
        problems = [
            x for x in path.read_text(errors="replace").splitlines() if " ERROR " in x or "Traceback" in x
        ]
        if problems:
            print(f"  {path.name}: {len(problems)} error lines, first: {problems[0][:300]}")


def core_alone(config: Path, series: list[dict[str, Any]], due: str, run: str) -> None:
    """Where the time goes: the same commands through the router in this process, one at a time,
    with the servers stopped: CPU and wall time of the core and the database alone, per kind."""
    from bot.app import open_app
    from bot.settings import load_settings
    from handlers.context import Request

    app = open_app(load_settings(config), load=False)
    router = app.router()
    cpu: dict[str, list[float]] = {}
    wall: dict[str, list[float]] = {}
    for n in range(10**6, 10**6 + 200):
        c = command(n, series, due, "alone-" + run)
        s = c["s"]
        who = s["chair"] if c["who"] == "chair" else c["who"]
        user = teams_id(who) if s["door"] == "teams" and c["who"] == "chair" else slack_id(who)
        door = s["door"] if c["who"] == "chair" else "slack"
        channel = s["channel"] if c["who"] == "chair" else "D0" + slack_id(who)[2:]
        kind = c["kind"] if c["kind"] != "read" else c["text"]
        t, w = time.process_time(), time.perf_counter()
        router.handle(Request(door, channel, user, c["text"], datetime.now(UTC)))
        cpu.setdefault(kind, []).append((time.process_time() - t) * 1000)
        wall.setdefault(kind, []).append((time.perf_counter() - w) * 1000)
    app.engine.dispose()
    print(
        "  the core alone (router → core → PostgreSQL, one command at a time, in this process), "
        "median CPU / wall: "
        + ", ".join(
            f"{k} {statistics.median(cpu[k]):.1f} / {statistics.median(wall[k]):.1f} ms" for k in sorted(cpu)
        )
    )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:
        sys.exit(serve(sys.argv[2]))
    try:
        main()
    except Exception as e:
        print(f"run_load: {e}")
    sys.exit(0)
