"""Exactly once: claims, leases, retries and a process killed on purpose in the middle of a sweep.

A fake door appends one line per message it receives to a file (a single `os.write`, so a
SIGKILL right after it loses nothing). The tests count every nudge twice: in the delivery
table and in what the door received. The only nudges allowed to arrive twice are those of
a process killed after the door took its message but before it recorded "sent" — made to
happen with the fault-injection setting, not by luck — and each of them must be recorded
as a possible duplicate.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from string import ascii_lowercase
from typing import Any

import pytest
import yaml
from conftest import POSTGRES_URL, ROOT, Chat, make_app
from sqlalchemy import func, insert, select

from bot.app import App
from scheduler.couriers import DeliveryFailed, Outgoing
from scheduler.policy import NudgeSettings, load_nudge_settings
from scheduler.sweep import Sweeper
from storage.models import Action, ActionOwner, Binding, Person, Series
from storage.nudge_models import Digest, NudgeClaim

# Wed 12 Jun 2024, 11:00 in London: a working day, inside working hours.
AT = datetime(2024, 6, 12, 10, 0, tzinfo=UTC)
REF = re.compile(r"(?:Reminder: |• )Loadtest Board (\d+) ")


# --- a partnership with many people and actions ---------------------------------------------------------


def synthetic_partnership(folder: Path, people: int) -> Path:
    """A fictional partnership: one board with `people` members (initials Qaa, Qab, …)."""
    initials = [f"Q{a}{b}" for a in ascii_lowercase for b in ascii_lowercase][:people]
    spec = {
        "id": "loadtest",
        "name": "Loadtest Safeguarding Partnership",
        "timezone": "Europe/London",
        "agencies": [
            {"id": "council", "name": "Loadtest Council", "statutory": True},
            {"id": "icb", "name": "Loadtest ICB", "statutory": True},
            {"id": "police", "name": "Loadtest Police", "statutory": True},
        ],
        "groups": [{"id": "everyone", "name": "Everyone", "agencies": ["council"]}],
        "people": [
            {"name": f"Member {ini}", "initials": ini, "agency": ("council", "icb", "police")[i % 3]}
            for i, ini in enumerate(initials)
        ],
        "series": [
            {
                "id": "board",
                "name": "Loadtest Board",
                "chair": initials[0],
                "members": initials,
                "quorum": "all-statutory-agencies",
                "cadence": "monthly",
                "standing_items": ["Welcome and apologies"],
            }
        ],
    }
    path = folder / "loadtest.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def add_actions(app: App, dues: list[date], *, created: datetime | None = None, first: int = 1) -> list[int]:
    """Open actions of the board, one person owner each (round robin), due on the given days."""
    created = created or datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    with app.sessions() as s, s.begin():
        series_id = s.scalars(select(Series.id).where(Series.key == "board")).one()
        people = list(
            s.scalars(select(Person.id).where(Person.partnership_id == "loadtest").order_by(Person.id))
        )
        rows = [
            {
                "series_id": series_id,
                "number": first + i,
                "title": f"load action {first + i}",
                "text": f"Action: load action {first + i}",
                "status": "open",
                "due_date": due,
                "due_kind": "date",
                "created_at": created,
            }
            for i, due in enumerate(dues)
        ]
        for chunk in range(0, len(rows), 5000):
            s.execute(insert(Action), rows[chunk : chunk + 5000])
        ids = dict(
            s.execute(
                select(Action.number, Action.id).where(Action.series_id == series_id, Action.number >= first)
            ).all()
        )
        owners = [
            {
                "action_id": ids[first + i],
                "position": 0,
                "kind": "person",
                "person_id": people[i % len(people)],
                "added_at": created,
            }
            for i in range(len(dues))
        ]
        for chunk in range(0, len(owners), 5000):
            s.execute(insert(ActionOwner), owners[chunk : chunk + 5000])
        s.execute(
            Series.__table__.update()
            .where(Series.id == series_id)
            .values(last_action_number=first + len(dues))
        )
    return [ids[first + i] for i in range(len(dues))]


def loaded(database_url: str, tmp_path: Path, people: int, nudges: int) -> App:
    app = make_app(database_url, synthetic_partnership(tmp_path, people))
    add_actions(app, [AT.date() + timedelta(days=7)] * nudges)  # "7 days before" falls today
    analyse(app)
    return app


def analyse(app: App) -> None:
    """Statistics and visibility maps after a bulk load, as autovacuum keeps them in a live database."""
    if app.engine.dialect.name == "postgresql":
        with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            # Only this test's tables: other schemas of the same database are other tests' business.
            conn.exec_driver_sql("VACUUM ANALYZE actions, action_owners, people, nudge_claims")


# --- a worker process with a fake door ----------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import json, os, re, sys, time
    from datetime import datetime
    from scheduler.policy import load_nudge_settings
    from scheduler.sweep import Sweeper
    from storage.db import make_engine, make_sessionmaker

    url, at, received, settings, go, name = sys.argv[1:]
    REF = re.compile(r"(?:Reminder: |• )Loadtest Board (\\d+) ")

    class FileDoor:
        door = "shell"

        def __init__(self, path):
            self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

        def reach(self, person):
            return True

        def send(self, out):
            line = {"to": out.person.initials, "digest": out.digest_id, "actions": REF.findall(out.text),
                    "by": name}
            os.write(self.fd, (json.dumps(line) + "\\n").encode())  # one write: survives SIGKILL after it
            return f"file-{out.digest_id}"

    engine = make_engine(url)
    sweeper = Sweeper(make_sessionmaker(engine), {"shell": FileDoor(received)},
                      load_nudge_settings(json.loads(settings)), holder=name)
    open(go + "." + name, "w").close()  # ready
    while not os.path.exists(go):  # start together
        time.sleep(0.01)
    report = sweeper.run(datetime.fromisoformat(at))
    print(json.dumps({"sent": len(report.sent), "nudges": report.nudges_sent, "claimed": report.claimed,
                      "find_claim_seconds": report.find_claim_seconds}))
    """
)


def start_workers(
    tmp_path: Path, url: str, received: Path, settings: list[dict[str, Any]], at: datetime = AT
) -> list[subprocess.Popen[str]]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                url,
                at.isoformat(),
                str(received),
                json.dumps(s),
                str(go),
                f"w{i}",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for i, s in enumerate(settings)
    ]
    deadline = time.monotonic() + 30
    while not all((tmp_path / f"go.w{i}").exists() for i in range(len(procs))):
        assert time.monotonic() < deadline, "workers did not start"
        assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.02)
    go.touch()
    for p in procs:
        p.wait(timeout=60)
    return procs


class FileDoor:
    """The same fake door, in this process (the recovery sweep)."""

    door = "shell"

    def __init__(self, path: Path) -> None:
        self.path = path

    def reach(self, person: object) -> bool:
        return True

    def send(self, out: Outgoing) -> str:
        line = {
            "to": out.person.initials,
            "digest": out.digest_id,
            "actions": REF.findall(out.text),
            "by": "recovery",
        }
        with self.path.open("a") as fh:
            fh.write(json.dumps(line) + "\n")
        return f"file-{out.digest_id}"


def door_counts(received: Path) -> Counter[tuple[str, str]]:
    counts: Counter[tuple[str, str]] = Counter()
    for line in received.read_text().splitlines():
        entry = json.loads(line)
        for number in entry["actions"]:
            counts[(entry["to"], number)] += 1
    return counts


def table_state(app: App) -> tuple[Counter[str], set[tuple[str, str]], int]:
    """(claims by state, (recipient, action number) of possible duplicates, number of claim rows)."""
    with app.sessions() as s:
        rows = s.execute(
            select(NudgeClaim.state, NudgeClaim.possible_duplicate, Person.initials, Action.number)
            .join(Person, Person.id == NudgeClaim.recipient_id)
            .join(Action, Action.id == NudgeClaim.action_id)
        ).all()
    return (
        Counter(r.state for r in rows),
        {(r.initials, str(r.number)) for r in rows if r.possible_duplicate},
        len(rows),
    )


def assert_exactly_once(app: App, received: Path, nudges: int) -> set[tuple[str, str]]:
    states, dups, rows = table_state(app)
    assert rows == nudges and states == Counter({"sent": nudges}), states
    counts = door_counts(received)
    assert len(counts) == nudges  # every nudge reached its person
    twice = {k for k, n in counts.items() if n > 1}
    assert all(n <= 2 for n in counts.values())
    assert twice == dups  # the only duplicates are the recorded possible duplicates
    return dups


# --- tests -------------------------------------------------------------------------------------------


def test_a_failed_send_is_retried_with_backoff_then_given_up(app: App) -> None:
    class Flaky:
        door = "shell"

        def __init__(self, failures: int) -> None:
            self.failures, self.sent = failures, []

        def reach(self, person: object) -> bool:
            return True

        def send(self, out: Outgoing) -> str:
            if self.failures:
                self.failures -= 1
                raise DeliveryFailed("rate limited")
            self.sent.append(out.person.initials)
            return "ok"

    chat = Chat(app)
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("PMw", "Action: HN to tell MT why by Monday the 29th of January 2024")
    chat.say("PMw", "Action: SMa to draft the protocol by Monday the 29th of January 2024")
    settings = load_nudge_settings({"retry_minutes": [1, 5]})
    door = Flaky(failures=1)
    t0 = datetime(2024, 1, 22, 9, 5, tzinfo=UTC)
    first = Sweeper(app.sessions, {"shell": door}, settings, shuffle=False).run(t0)
    assert len(first.failed) == 1 and len(first.sent) == 1  # one of the two failed, the other went
    failed = first.failed[0]
    assert failed.retry_at == t0 + timedelta(minutes=1) and "rate limited" in failed.error
    with app.sessions() as s:
        claim = s.scalars(select(NudgeClaim).where(NudgeClaim.state == "failed")).one()
        digest = s.get(Digest, claim.digest_id)
    assert claim.attempts == 1 and claim.next_attempt_at == t0 + timedelta(minutes=1)
    assert digest is not None and digest.state == "failed"
    assert digest.route == [{"door": "shell", "result": "failed: rate limited"}]
    # Not before its time; then sent, and never again.
    assert Sweeper(app.sessions, {"shell": door}, settings).run(t0 + timedelta(seconds=30)).sent == []
    again = Sweeper(app.sessions, {"shell": door}, settings).run(t0 + timedelta(minutes=1))
    assert [m.initials for m in again.sent] == [failed.initials]
    assert Sweeper(app.sessions, {"shell": door}, settings).run(t0 + timedelta(minutes=30)).sent == []
    with app.sessions() as s:
        done = s.get(NudgeClaim, claim.id)
        assert done is not None and (done.state, done.attempts) == ("sent", 2)
    # A door that never works: retried after 1 and 5 minutes, then given up (and the log says so).
    chat.at("2024-01-26T09:00:00+00:00")
    dead = Flaky(failures=99)
    t1 = datetime(2024, 1, 26, 9, 0, tzinfo=UTC)
    for minutes in (0, 1, 6):
        Sweeper(app.sessions, {"shell": dead}, settings).run(t1 + timedelta(minutes=minutes))
    with app.sessions() as s:
        states = Counter(s.scalars(select(NudgeClaim.state).where(NudgeClaim.kind == "before:1wd")))
    assert states == Counter({"gave_up": 2})


def test_no_door_reaches_the_person_is_a_recorded_failure(app: App) -> None:
    chat = Chat(app)
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("PMw", "Action: HN to tell MT why by Monday the 29th of January 2024")
    report = Sweeper(app.sessions, {}, NudgeSettings()).run(datetime(2024, 1, 22, 9, 5, tzinfo=UTC))
    assert report.failed and "no door reaches HN" in report.failed[0].error
    with app.sessions() as s:
        digest = s.scalars(select(Digest)).one()
    assert digest.route == [{"door": "shell", "result": "no door running"}]


@pytest.mark.parametrize("point", ["after_send", "before_send"])
def test_a_process_killed_mid_sweep_loses_nothing(database_url: str, tmp_path: Path, point: str) -> None:
    """One process at a time (SQLite, and PostgreSQL too): killed at its 4th send, then a recovery sweep."""
    nudges = 600
    app = loaded(database_url, tmp_path, people=60, nudges=nudges)
    received = tmp_path / "received.jsonl"
    settings = {"batch_recipients": 10, "fault": {"kill_after_sends": 4, "point": point}}
    (proc,) = start_workers(tmp_path, database_url, received, [settings])
    assert proc.returncode == -9, proc.communicate()
    states, dups, _ = table_state(app)
    assert states["sent"] == 30  # three messages of ten nudges each were recorded as sent
    if point == "after_send":
        assert states["sending"] == 10  # the fourth: the door took it, "sent" never recorded
    else:
        assert states["sending"] == 0
    # Too early: the dead process's leases still hold, so nobody steals its claims.
    early = Sweeper(app.sessions, {"shell": FileDoor(received)}).run(AT + timedelta(minutes=2))
    assert early.claimed == nudges - 30 - (states["claimed"] + states["sending"])
    late = Sweeper(app.sessions, {"shell": FileDoor(received)}).run(AT + timedelta(minutes=6))
    assert late.claimed == states["claimed"] + states["sending"]
    dups = assert_exactly_once(app, received, nudges)
    assert len(dups) == (10 if point == "after_send" else 0)
    assert sum(m.possible_duplicate for m in late.sent) == (1 if point == "after_send" else 0)
    with app.sessions() as s:
        digest_states = Counter(s.scalars(select(Digest.state)))
    assert digest_states["possibly_sent"] == (1 if point == "after_send" else 0)
    assert digest_states["abandoned"] >= 1
    app.engine.dispose()


@pytest.mark.postgres
def test_three_processes_5000_nudges_one_killed(tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Three processes sweep the same 5,000 due nudges at once; one dies (SIGKILL) after its 3rd send."""
    if not POSTGRES_URL:
        pytest.skip("needs PostgreSQL: set PARTNERBOT_TEST_POSTGRES_URL (concurrency is PostgreSQL's job)")
    url = _pg_schema(request)
    nudges = 5000
    app = loaded(url, tmp_path, people=250, nudges=nudges)
    received = tmp_path / "received.jsonl"
    plain = {"batch_recipients": 20}
    killed = {"batch_recipients": 20, "fault": {"kill_after_sends": 3, "point": "after_send"}}
    procs = start_workers(tmp_path, url, received, [killed, plain, plain])
    codes = [p.returncode for p in procs]
    assert codes == [-9, 0, 0], [p.communicate() for p in procs]
    outs = [json.loads(p.communicate()[0]) for p in procs[1:]]
    assert all(o["sent"] > 0 for o in outs), outs  # both survivors did real work
    by = Counter(json.loads(line)["by"] for line in received.read_text().splitlines())
    assert by["w0"] == 3 and by["w1"] and by["w2"]
    late = Sweeper(app.sessions, {"shell": FileDoor(received)}).run(AT + timedelta(minutes=6))
    assert late.claimed > 0
    dups = assert_exactly_once(app, received, nudges)
    assert len(dups) == 20  # the message in flight when w0 died: 20 nudges for one person
    with app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Digest).where(Digest.state == "possibly_sent")) == 1
        per_person = Counter(
            s.scalars(select(Digest.recipient_id).where(Digest.state.in_(("sent", "possibly_sent"))))
        )
    # One message per person, plus the possible duplicate's resend.
    assert sorted(Counter(per_person.values()).items()) == [(1, 249), (2, 1)]
    app.engine.dispose()


def _pg_schema(request: pytest.FixtureRequest) -> str:
    """A PostgreSQL schema of its own (the shared fixture is parametrised over both databases)."""
    import uuid

    from sqlalchemy import create_engine, text

    from storage.db import normalise_url

    assert POSTGRES_URL
    from conftest import postgres_schema_url

    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(normalise_url(POSTGRES_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    request.addfinalizer(drop)
    return postgres_schema_url(schema)


def test_an_unreachable_door_falls_back_to_the_next_and_the_route_is_recorded(app: App) -> None:
    from scheduler.couriers import Unreachable

    class NoSuchUser:
        door = "teams"

        def reach(self, person: object) -> bool:
            return True

        def send(self, out: Outgoing) -> str:
            raise Unreachable("the user left the tenant")

    class Log:
        door = "shell"

        def __init__(self) -> None:
            self.sent: list[str] = []

        def reach(self, person: object) -> bool:
            return True

        def send(self, out: Outgoing) -> str:
            self.sent.append(out.person.initials)
            return "log-1"

    chat = Chat(app)
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("PMw", "Action: LE to tell MT why by Monday the 29th of January 2024")  # LE has a Teams id
    with app.sessions() as s, s.begin():  # the board lives in Teams (as the Teams door will bind it)
        s.execute(Binding.__table__.update().values(door="teams", channel="19:board@thread.tacv2"))
    log = Log()
    report = Sweeper(app.sessions, {"teams": NoSuchUser(), "shell": log}).run(
        datetime(2024, 1, 22, 9, 5, tzinfo=UTC)
    )
    assert [(m.initials, m.door) for m in report.sent] == [("LE", "shell")] and log.sent == ["LE"]
    with app.sessions() as s:
        digest = s.scalars(select(Digest)).one()
    assert digest.route == [
        {"door": "teams", "result": "unreachable: the user left the tenant"},
        {"door": "shell", "result": "sent"},
    ]


def test_a_process_whose_lease_ran_out_does_not_send(database_url: str, tmp_path: Path) -> None:
    """A stalled (not dead) process wakes after its lease ran out and others took its claims: no send."""
    from scheduler.sweep import SweepReport

    app = loaded(database_url, tmp_path, people=5, nudges=10)
    received = tmp_path / "received.jsonl"
    slow = Sweeper(app.sessions, {"shell": FileDoor(received)}, holder="slow")
    with app.sessions() as s:
        scope = slow._scope(s, "loadtest", AT)
        assert scope is not None
        meeting_keys = slow._derive(s, scope, SweepReport(AT, "slow"))
    work, previous = slow._work(scope, meeting_keys, SweepReport(AT, "slow"))
    scopes = {"loadtest": scope}
    people = slow._people(scopes, sorted(work))
    digests, _ = slow._claim(scopes, people, sorted(work), work, previous)
    assert len(digests) == 5
    # ... it stalls; the lease runs out and another process takes everything over.
    other = Sweeper(app.sessions, {"shell": FileDoor(received)}, holder="other").run(
        AT + timedelta(minutes=6)
    )
    assert other.claimed == 10 and not any(m.possible_duplicate for m in other.sent)
    report = SweepReport(AT, "slow")
    slow._send_all(scopes, people, digests, report)
    assert report.sent == [] and report.failed == []
    assert_exactly_once(app, received, 10)
    app.engine.dispose()
