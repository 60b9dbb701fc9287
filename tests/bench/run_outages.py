"""Outages: the database stopped mid-meeting, and Slack, Graph and SMTP failing, with figures.

Run: python tests/bench/run_outages.py [--down 30] [--fail 60] [--only database|couriers]
(`make outages`; prints each figure beside its budget; always exits 0; not part of `make test`)

1. The database. A private PostgreSQL cluster (initdb and pg_ctl, in a temporary folder, on a free
   port; run as the `postgres` user when started as root) holds a partnership. A chair runs a
   scripted meeting through the router (the core every door calls), a command every 0.3 s, while
   the reminder sweep runs every second in the thread `serve` runs it in (`SweepService`).
   Partway through, the cluster is stopped (`pg_ctl stop -m fast`) for `--down` seconds and
   started again. Budget: every command in that window is answered "Not saved … try again" (no
   other error); afterwards every confirmed action, update and note is in the database exactly
   once; the not-saved ones, sent again, are stored once; the sweep resumes by itself and each
   action's reminder is delivered exactly once.
2. The couriers. Slack's Web API, Graph's sendMail and an SMTP server answer 500 / 429 / 451 for
   `--fail` seconds while the sweep runs every second. Budget: every reminder is delivered after
   the outage, none is given up, none is delivered twice.

The sweep's clock is a working Monday morning advancing with the real clock, so reminders fall
due whatever day the script runs. The retry backoff is scaled down to 5, 10, 20, 40, 80 s (from
the default 1, 5, 15, 60, 240 minutes) so that a minute's outage is seen through in a short run;
what is measured is that retries happen and that nothing is lost or doubled, not how long they wait.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from glob import glob
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import yaml  # noqa: E402

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2025, 3, 3, 9, 30, tzinfo=LONDON)  # a working Monday, no bank holiday near
DUE = "3 March 2025"
CHANNEL = "C0OUTAGE01"
RETRY = tuple(timedelta(seconds=s) for s in (5, 10, 20, 40, 80))
OWNERS = ("HN", "SMa", "PMw", "GP", "BLl", "DA", "CG", "KB", "JK", "WB")


def uid(initials: str) -> str:
    return "U0" + initials.upper().ljust(7, "0") + "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Clock:
    """The sweep's and the meeting's clock: a working Monday morning, moving with real time."""

    def __init__(self) -> None:
        self.began = time.monotonic()

    def __call__(self) -> datetime:
        return (MONDAY + timedelta(seconds=time.monotonic() - self.began)).astimezone(UTC)


# --- a private PostgreSQL cluster -------------------------------------------------------------------------


class PrivatePostgres:
    """initdb + pg_ctl in a temporary folder, on a free port: never the machine's shared server."""

    def __init__(self, folder: Path) -> None:
        found = sorted(glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found and not shutil.which("pg_ctl"):
            raise SystemExit("no PostgreSQL server binaries (pg_ctl, initdb) found; install postgresql")
        self.bin = Path(found[-1]).parent if found else Path(str(shutil.which("pg_ctl"))).parent
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.data = folder / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.as_user = ["runuser", "-u", "postgres", "--"]
            shutil.chown(folder, "postgres")
            os.chmod(folder.parent, 0o755)  # the cluster's user must reach its folder
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_user, str(self.bin / tool), *args], check=True, capture_output=True, cwd=self.folder
        )

    def start(self) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.folder / "pg.log"), "-w", "start"
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


# --- a record of what the bot said ------------------------------------------------------------------------


@dataclass
class Said:
    kind: str  # action, update, note
    key: str  # the text that identifies it in the database
    at: float
    answer: str  # confirmed, not saved, error
    reply: str
    took: float = 0.0  # seconds to the answer


@dataclass
class Log:
    said: list[Said] = field(default_factory=list)
    sweep_failures: list[float] = field(default_factory=list)
    other: list[str] = field(default_factory=list)


class Watch(logging.Handler):
    """Counts the sweep's failures (and anything else logged) instead of printing tracebacks."""

    def __init__(self, log: Log) -> None:
        super().__init__(logging.WARNING)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == "partnerbot.serve" and "sweep failed" in record.getMessage():
            self.log.sweep_failures.append(time.monotonic())
        elif "database unreachable" not in record.getMessage():
            self.log.other.append(f"{record.name}: {record.getMessage()[:160]}")


class Recorder:
    """A courier that keeps what it is given: the reminders, by digest."""

    door = "slack"

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, str]] = []  # digest id, initials, text
        self.lock = threading.Lock()

    def reach(self, person: Any) -> bool:
        return bool(person.slack_id)

    def send(self, out: Any) -> str:
        with self.lock:
            self.sent.append((out.digest_id, out.person.initials, out.text))
            return f"rec-{len(self.sent)}"


def partnership_file(folder: Path, *, email_only: tuple[str, ...] = ()) -> Path:
    data = yaml.safe_load((ROOT / "examples" / "westshire.yaml").read_text(encoding="utf-8"))
    for person in data["people"]:
        ini = person["initials"]
        if ini in email_only:
            person.pop("slack_id", None)
            person.pop("teams_id", None)
            person["email"] = f"{ini.lower()}@westshire.example"
        else:
            person["slack_id"] = uid(ini)
            person.pop("teams_id", None)  # reminders to Slack only: the Teams door is not run here
    path = folder / "westshire.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def open_app(folder: Path, url: str, **sections: Any) -> Any:
    from bot.app import open_app as open_bot
    from bot.settings import load_settings

    config = folder / "app.yaml"
    settings = {"database": {"url": url}, "partnerships": [partnership_file(folder, **sections)]}
    config.write_text(yaml.safe_dump({**settings, "partnerships": ["westshire.yaml"]}), encoding="utf-8")
    return open_bot(load_settings(config))


def nudge_settings() -> Any:
    from dataclasses import replace

    from scheduler.policy import load_nudge_settings

    settings = load_nudge_settings({})
    return replace(settings, retry=RETRY)


def start_sweeping(
    app: Any, couriers: dict[str, Any], clock: Clock
) -> tuple[threading.Event, threading.Thread]:
    import io

    from bot.serve import SweepService
    from scheduler.sweep import Sweeper

    class Clocked(Sweeper):
        """The real sweep, as of the script's clock instead of the wall's."""

        def run(self, at: datetime) -> Any:
            return super().run(clock())

    sweeper = Clocked(app.sessions, couriers, nudge_settings(), rosters=app.setup.rosters)
    service = SweepService(sweeper, io.StringIO(), interval=1.0)
    stop = threading.Event()
    thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
    thread.start()
    return stop, thread


# --- 1. the database stopped mid-meeting ------------------------------------------------------------------


def database_outage(down: float, before: float, after: float) -> None:
    from sqlalchemy import func, select

    from handlers.context import Request
    from handlers.core import NOT_SAVED
    from handlers.reply import ERROR
    from storage.models import Action, ActionUpdate, Note

    print(f"\n1. PostgreSQL stopped for {down:.0f} s in the middle of a meeting")
    folder = Path(tempfile.mkdtemp(prefix="partnerbot-outage-"))
    pg = PrivatePostgres(folder / "pg")
    record = Log()
    watch = Watch(record)
    logging.getLogger().addHandler(watch)
    logging.getLogger().setLevel(logging.WARNING)
    stop: threading.Event | None = None
    try:
        pg.start()
        app = open_app(folder, pg.url)
        router = app.router()
        clock = Clock()
        courier = Recorder()

        def say(text: str) -> tuple[str, str]:
            # Dated a week before the sweep's clock: no reminder goes on the day an action is raised.
            reply = router.handle(Request("slack", CHANNEL, uid("MT"), text, clock() - timedelta(days=7)))
            plain = reply.plain.strip()
            errors = [b for m in reply.messages for b in m.blocks if getattr(b, "tone", None) == ERROR]
            if plain == NOT_SAVED:
                return "not saved", plain
            return ("error" if errors else "confirmed"), plain

        for line in ("bind board", "meeting start", "present MT LE SMa PMw HN RB"):
            assert say(line)[0] == "confirmed", say(line)
        stop, sweeping = start_sweeping(app, {"slack": courier}, clock)

        n = 0
        sent_again: list[Said] = []

        def one(now: float) -> None:
            nonlocal n
            n += 1
            k = n % 3
            if k == 1 or n < 3:
                owner = OWNERS[n % len(OWNERS)]
                key = f"check return {n:04d}"
                kind, text = "action", f"Action: {owner} to {key} by {DUE}"
            elif k == 2:
                key = f"progress {n:04d}"
                kind, text = "update", f"action 1 update: {key}"
            else:
                key = f"discussed item {n:04d}"
                kind, text = "note", f"note: {key}"
            answer, plain = say(text)
            record.said.append(Said(kind, key, now, answer, plain, time.monotonic() - now))

        began = time.monotonic()
        down_at = began + before
        while time.monotonic() < down_at:
            one(time.monotonic())
            time.sleep(0.3)
        t0 = time.monotonic()
        pg.stop()
        stopped = time.monotonic()
        print(f"   cluster stopped after {stopped - began:.1f} s ({stopped - t0:.1f} s to stop)")
        while time.monotonic() < stopped + down:
            one(time.monotonic())
            time.sleep(0.3)
        t1 = time.monotonic()
        pg.start()
        started = time.monotonic()
        print(
            f"   cluster started again after {started - stopped:.1f} s down ({started - t1:.1f} s to start)"
        )
        # The chair sends again what was not saved, once the bot answers again.
        for s in [s for s in record.said if s.answer == "not saved"]:
            text = {
                "action": f"Action: HN to {s.key} by {DUE}",
                "update": f"action 1 update: {s.key}",
                "note": f"note: {s.key}",
            }[s.kind]
            answer, plain = say(text)
            sent_again.append(Said(s.kind, s.key, time.monotonic(), answer, plain))
        until = time.monotonic() + after
        while time.monotonic() < until:
            one(time.monotonic())
            time.sleep(0.3)

        # Reminders: wait (up to 60 s) for the sweep to nudge every stored action once.
        with app.sessions() as s:
            titles = list(s.scalars(select(Action.title).where(Action.status == "open")))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with courier.lock:
                texts = [t for _, _, t in courier.sent]
            if all(any(title in t for t in texts) for title in titles):
                break
            time.sleep(1)
        stop.set()
        sweeping.join(timeout=15)

        with app.sessions() as s:
            stored = {
                "action": Counter(s.scalars(select(Action.title))),
                "update": Counter(s.scalars(select(ActionUpdate.text).where(ActionUpdate.kind == "update"))),
                "note": Counter(s.scalars(select(Note.text))),
            }
            total = s.scalar(select(func.count()).select_from(Action))
        app.engine.dispose()

        window = [s for s in record.said if stopped <= s.at < started]
        outside = [s for s in record.said if not stopped <= s.at < started]
        in_window = Counter(s.answer for s in window)
        print(
            f"   commands: {len(record.said)} ({len(window)} while it was down); "
            f"answers while down: {dict(in_window)} (budget: every one 'not saved'), "
            f"the slowest in {max((s.took for s in window), default=0) * 1000:.0f} ms"
        )
        bad = [s for s in window if s.answer != "not saved"] + [s for s in outside if s.answer != "confirmed"]
        bad += [s for s in sent_again if s.answer != "confirmed"]
        for s in bad[:5]:
            print(f"     unexpected: {s.kind} {s.key!r} → {s.answer}: {s.reply[:120]!r}")

        confirmed = [s for s in record.said + sent_again if s.answer == "confirmed"]
        missing = [s for s in confirmed if stored[s.kind][s.key] == 0]
        doubled = [(k, t, c) for k, counter in stored.items() for t, c in counter.items() if c > 1]
        unconfirmed = [
            s
            for s in record.said
            if s.answer != "confirmed"
            and stored[s.kind][s.key] > 0
            and not any(a.key == s.key and a.answer == "confirmed" for a in sent_again)
        ]
        print(
            f"   confirmed: {len(confirmed)} ({len(sent_again)} sent again after the restart); "
            f"missing {len(missing)}, duplicated {len(doubled)}, stored though not confirmed "
            f"{len(unconfirmed)} (budget: 0, 0, 0); actions in the tracker: {total}"
        )
        for s in missing[:5]:
            print(f"     missing: {s.kind} {s.key!r}")
        for d in doubled[:5]:
            print(f"     duplicated: {d}")

        after_start = [t for t in record.sweep_failures if t >= started + 1.0]
        print(
            f"   sweep: {len(record.sweep_failures)} failed sweeps while down, "
            f"{len(after_start)} failing more than 1 s after the restart (budget: 0, it resumes by itself)"
        )
        per_action = Counter(title for title in titles for _, _, t in courier.sent if title in t)
        unnudged = [t for t in titles if per_action[t] == 0]
        twice = [t for t in titles if per_action[t] > 1]
        print(
            f"   reminders: {len(courier.sent)} digests for {len(titles)} open actions; actions never "
            f"reminded {len(unnudged)}, reminded twice {len(twice)} (budget: 0, 0)"
        )
        if record.other:
            print(f"   other log lines: {len(record.other)}, first: {record.other[:3]}")
    finally:
        if stop is not None:
            stop.set()
        logging.getLogger().removeHandler(watch)
        with contextlib.suppress(subprocess.CalledProcessError):
            pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--down", type=float, default=30.0, help="seconds the database is stopped")
    parser.add_argument("--fail", type=float, default=60.0, help="seconds Slack, Graph and SMTP fail")
    parser.add_argument("--only", choices=["database", "couriers"])
    args = parser.parse_args()
    # The fakes listen on plain http: graph.base_url allows that only under the test harness.
    os.environ.setdefault("PARTNERBOT_TEST_HARNESS", "1")
    print(f"Outages ({os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f})")
    if args.only in (None, "database"):
        try:
            database_outage(args.down, before=6.0, after=6.0)
        except Exception as e:  # a run that cannot finish reports why; it never fails the build
            print(f"   could not run: {type(e).__name__}: {e}")
    if args.only in (None, "couriers"):
        try:
            courier_outage(args.fail)
        except Exception as e:
            print(f"   could not run: {type(e).__name__}: {e}")
    return 0


class Outage:
    """A window of real time during which a fake answers with failures."""

    def __init__(self) -> None:
        self.until = 0.0
        self.failed = Counter[str]()
        self.lock = threading.Lock()

    def start(self, seconds: float) -> None:
        self.until = time.monotonic() + seconds

    def on(self, what: str) -> bool:
        if time.monotonic() >= self.until:
            return False
        with self.lock:
            self.failed[what] += 1
            return True

    def turn(self, what: str) -> int:
        """Alternates the failure: odd calls 500, even ones 429."""
        return 500 if self.failed[what] % 2 else 429


def failing_slack(outage: Outage) -> Any:
    from slack_fake import FakeSlack

    class FailingSlack(FakeSlack):
        def answer(self, method: str, p: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
            if method == "chat.postMessage" and outage.on("slack"):
                if outage.turn("slack") == 429:
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
                return 500, {"ok": False, "error": "internal_error"}, {}
            return super().answer(method, p)

    return FailingSlack()


def failing_graph(outage: Outage) -> Any:
    from teams_fakes import FakeGraph

    class FailingGraph(FakeGraph):
        def dispatch(self, call: Any) -> tuple[int, Any, dict[str, str]]:
            if call.path.endswith("/sendMail") and outage.on("graph"):
                error = {"error": {"code": "ServiceUnavailable", "message": "outage"}}
                if outage.turn("graph") == 429:
                    return 429, error, {"Retry-After": "1"}
                return 500, error, {}
            return super().dispatch(call)

    return FailingGraph()


class Mailbox:
    """An SMTP server's handler (aiosmtpd): 451 or 452 during the outage, else kept."""

    def __init__(self, outage: Outage) -> None:
        self.outage = outage
        self.messages: list[tuple[str, str]] = []  # recipient, X-Partnerbot-Digest
        self.text: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        from email import message_from_bytes

        if self.outage.on("smtp"):
            return (
                "451 4.3.0 Mailbox busy, try again later"
                if self.outage.failed["smtp"] % 2
                else ("452 4.3.1 Insufficient system storage")
            )
        msg = message_from_bytes(envelope.content)
        self.messages.append((envelope.rcpt_tos[0], str(msg["X-Partnerbot-Digest"])))
        self.text.append(
            msg.get_payload(decode=True).decode("utf-8", "replace") if not msg.is_multipart() else str(msg)
        )
        return "250 Message accepted for delivery"


SETUP = threading.Lock()


def courier_round(name: str, fail: float, results: dict[str, list[str]]) -> None:
    """One database and one sweep whose couriers meet fakes failing for `fail` seconds."""
    from sqlalchemy import select

    from handlers.context import Request
    from scheduler.email import EmailCourier, SmtpSettings
    from storage.nudge_models import Digest, NudgeClaim

    lines: list[str] = []
    results[name] = lines
    folder = Path(tempfile.mkdtemp(prefix="partnerbot-couriers-"))
    outage = Outage()
    email_only = OWNERS[5:]
    closers: list[Callable[[], None]] = []
    try:
        with SETUP:  # Alembic's migration context is global to the process: one at a time
            app = open_app(folder, f"sqlite:///{folder / 'outage.sqlite3'}", email_only=email_only)
        clock = Clock()
        core = app.core()
        week_ago = clock() - timedelta(days=7)
        for text in ("bind board", "meeting start"):
            core.handle(Request("slack", CHANNEL, uid("MT"), text, week_ago))
        titles = []
        for k, owner in enumerate(OWNERS * 2):
            titles.append(f"send return {k:03d}")
            core.handle(
                Request("slack", CHANNEL, uid("MT"), f"Action: {owner} to {titles[-1]} by {DUE}", week_ago)
            )

        from slack_sdk import WebClient
        from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

        from bot.slack.courier import SlackCourier

        slack = failing_slack(outage)
        closers.append(slack.close)
        client = WebClient(token="xoxb-outage", base_url=slack.api_url.rstrip("/") + "/", timeout=10)
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))  # as make_client does
        couriers: dict[str, Any] = {"slack": SlackCourier(app.sessions, client)}
        box: Mailbox | None = None
        graph_fake: Any = None
        if name == "SMTP":
            from aiosmtpd.controller import Controller

            box = Mailbox(outage)
            smtp = Controller(box, hostname="127.0.0.1", port=free_port())
            smtp.start()
            closers.append(smtp.stop)
            couriers["email"] = EmailCourier(
                SmtpSettings(host="127.0.0.1", sender="bot@westshire.example", port=smtp.port, starttls=False)
            )
        else:
            from teams_fakes import FakeCredential

            from bot.settings import settings_from
            from bot.teams.courier import GraphMailCourier
            from bot.teams.graph import Graph

            graph_fake = failing_graph(outage)
            closers.append(graph_fake.close)
            section = {
                "enabled": True,
                "tenant_id": "t",
                "client_id": "c",
                "mailbox": "partnership@westshire.example",
                "base_url": graph_fake.base_url,
                "retry_seconds": 3,
            }
            settings = settings_from({"graph": section}, folder).graph.resolve()
            couriers["email"] = GraphMailCourier(Graph(settings, credential=FakeCredential()))

        outage.start(fail)
        began = time.monotonic()
        stop, sweeping = start_sweeping(app, couriers, clock)
        closers.insert(0, stop.set)
        # Sweep until every reminder is settled (sent or given up) after the outage, or 4 minutes pass.
        while time.monotonic() < began + fail + 240:
            time.sleep(1)
            with app.sessions() as s:
                claims = Counter(s.scalars(select(NudgeClaim.state)))
            if time.monotonic() > outage.until and claims and set(claims) <= {"sent", "gave_up"}:
                break
        settled = time.monotonic() - began
        stop.set()
        sweeping.join(timeout=15)

        delivered: list[str] = []  # each successful delivery's text
        for call, status in zip(
            slack.calls("chat.postMessage"), slack.statuses("chat.postMessage"), strict=True
        ):
            if status == 200:
                delivered.append(str(call.get("text")) + str(call.get("blocks")))
        if box is not None:
            delivered.extend(box.text)
        if graph_fake is not None:
            delivered.extend(str(m) for m in graph_fake.mail)
        per_title = Counter(t for t in titles for d in delivered if t in d)
        lost = [t for t in titles if per_title[t] == 0]
        doubled = [t for t in titles if per_title[t] > 1]
        with app.sessions() as s:
            claims = Counter(s.scalars(select(NudgeClaim.state)))
            digests = Counter(s.scalars(select(Digest.state)))
        failures = ", ".join(f"{n} {k}" for k, n in sorted(outage.failed.items()))
        lines.append(
            f"   Slack and {name}: {failures} requests failed in {fail:.0f} s; digests {dict(digests)}; "
            f"every reminder settled {settled:.0f} s after the outage began; reminders {dict(claims)}; "
            f"of {len(titles)} actions: lost {len(lost)}, doubled {len(doubled)} "
            "(budget: retried later, 0 lost, 0 doubled, none given up)"
        )
        app.engine.dispose()
    except Exception as e:
        lines.append(f"   Slack and {name}: could not run: {type(e).__name__}: {e}")
    finally:
        for close in closers:
            with contextlib.suppress(Exception):
                close()
        shutil.rmtree(folder, ignore_errors=True)


def courier_outage(fail: float) -> None:
    print(f"\n2. Slack, Graph and SMTP answering 500 / 429 (SMTP 451 / 452) for {fail:.0f} s")
    print(f"   retry backoff {', '.join(f'{r.total_seconds():.0f}' for r in RETRY)} s; a sweep every second")
    record = Log()
    watch = Watch(record)
    logging.getLogger().addHandler(watch)
    results: dict[str, list[str]] = {}
    rounds = [threading.Thread(target=courier_round, args=(n, fail, results)) for n in ("SMTP", "Graph")]
    for r in rounds:
        r.start()
    for r in rounds:
        r.join()
    logging.getLogger().removeHandler(watch)
    for lines in results.values():
        print("\n".join(lines))
    retried = [line for line in record.other if "failed" in line and "retry at" in line]
    gave_up = [line for line in record.other if "gave up" in line]
    others = [line for line in record.other if line not in retried and line not in gave_up]
    print(f"   log: {len(retried)} 'failed; retry at …', {len(gave_up)} 'gave up' (budget: 0 given up)")
    for line in others[:3]:
        print(f"   other log line: {line}")


if __name__ == "__main__":
    main()
    sys.exit(0)
