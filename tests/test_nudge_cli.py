"""`partnerbot nudge --at` and `partnerbot serve`, through the real command line entry."""

from __future__ import annotations

import io
import threading
from datetime import UTC, datetime, tzinfo
from pathlib import Path

import pytest
import yaml
from conftest import EXAMPLE, FIXTURES, Chat
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from bot import serve
from bot.app import App
from bot.cli import main
from bot.serve import SweepService, supervise
from scheduler.sweep import Sweeper, SweepReport
from storage.models import Action, Person
from storage.nudge_models import Digest, NudgeClaim

BOARD = [
    line
    for line in (FIXTURES / "board-meeting.script").read_text().splitlines()
    if line not in ("RB: minutes draft", "RB: agenda next board")
]


def config(tmp_path: Path, database_url: str, **extra: object) -> str:
    path = tmp_path / "app.yaml"
    raw = {"database": {"url": database_url}, "partnerships": [str(EXAMPLE)], **extra}
    path.write_text(yaml.safe_dump(raw))
    return str(path)


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue() + err.getvalue()


def test_nudge_at_a_time_prints_what_it_sent_once(app: App, database_url: str, tmp_path: Path) -> None:
    Chat(app).script("\n".join(BOARD))
    cfg = config(tmp_path, database_url)
    code, out = run("--config", cfg, "nudge", "--at", "2024-01-22T09:05:00+00:00")
    assert code == 0, out
    assert (
        "→ HN: Reminder: Children's Safeguarding Partnership Board 2 is due Mon 29 Jan 2024 (in 7 days)"
        in out
    )
    assert "Sweep as of Mon 22 Jan 2024 09:05: 1 message (1 nudge)." in out
    assert "sent to HN by shell: 1 nudge(s), before:7d" in out
    code, out = run("--config", cfg, "nudge", "--at", "2024-01-22T09:06:00", "--partnership", "westshire-scp")
    assert code == 0 and "nothing due" in out and "→" not in out
    code, out = run("--config", cfg, "nudge", "--at", "2024-02-03T10:00:00+00:00")
    assert "outside working days and hours" in out
    code, out = run("--config", cfg, "nudge", "--at", "next tuesday")
    assert code == 2 and "--at" in out


def test_a_bad_policy_in_app_yaml_is_reported(app: App, database_url: str, tmp_path: Path) -> None:
    cfg = config(tmp_path, database_url, nudges={"before": ["soonish"]})
    code, out = run("--config", cfg, "nudge")
    assert code == 1 and "nudges.before: cannot read 'soonish'" in out and "7 days" in out


class MondayMorning(datetime):
    """`serve` sweeps as of now: here, a working Monday morning a week before Board 2 is due."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> MondayMorning:
        at = cls(2024, 1, 22, 9, 5, tzinfo=UTC)
        return at.astimezone(tz) if tz else at


def test_serve_runs_the_sweep_and_stops(
    app: App, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Chat(app).script("\n".join(BOARD))
    monkeypatch.setattr(serve, "datetime", MondayMorning)
    cfg = config(tmp_path, database_url, doors={"shell": {"enabled": True}})
    code, out = run("--config", cfg, "serve", "--sweeps", "1", "--interval", "0.05")
    assert code == 0, out
    assert "partnerbot serving: sweep." in out
    # The sweep ran: HN's reminder was claimed, composed into a digest and sent on the terminal.
    with app.sessions() as s:
        claims = s.execute(
            select(NudgeClaim.kind, NudgeClaim.state, NudgeClaim.door, Person.initials, Action.number)
            .join(Person, Person.id == NudgeClaim.recipient_id)
            .join(Action, Action.id == NudgeClaim.action_id)
        ).all()
        assert [tuple(c) for c in claims] == [("before:7d", "sent", "shell", "HN", 2)]
        digests = s.execute(select(Digest.state, Digest.door, Digest.nudges)).all()
        assert [tuple(d) for d in digests] == [("sent", "shell", 1)]
    # Its report is written in the partnership's time zone.
    assert "Sweep as of Mon 22 Jan 2024 09:05: 1 message (1 nudge)." in out
    assert (
        "→ HN: Reminder: Children's Safeguarding Partnership Board 2 is due Mon 29 Jan 2024 (in 7 days)"
        in out
    )


def test_a_service_that_dies_stops_the_process() -> None:
    class Broken:
        name = "teams"

        def run(self, stop: threading.Event) -> None:
            raise RuntimeError("bad token")

    class Idle:
        name = "sweep"

        def run(self, stop: threading.Event) -> None:
            stop.wait(5)

    out = io.StringIO()
    assert supervise([Idle(), Broken()], out) == 1
    assert "teams failed" in out.getvalue()


def test_the_sweep_service_survives_a_failing_sweep() -> None:
    class Flaky(Sweeper):
        calls = 0

        def run(self, at: datetime) -> SweepReport:
            Flaky.calls += 1
            raise ConnectionError("database restarting")

    service = SweepService(Flaky(sessionmaker(), {}), io.StringIO(), interval=0.01, max_sweeps=3)
    service.run(threading.Event())
    assert Flaky.calls == 3


def test_serve_with_nothing_to_do_says_so(app: App, database_url: str, tmp_path: Path) -> None:
    cfg = config(tmp_path, database_url, nudges={"enabled": False})
    code, out = run("--config", cfg, "serve", "--sweeps", "1")
    assert code == 1 and "Nothing to serve" in out


def test_a_bad_policy_stops_the_shell_before_it_starts(database_url: str, tmp_path: Path) -> None:
    cfg = config(tmp_path, database_url, nudges={"overdue_every": "whenever"})
    code, out = run("--config", cfg, "shell", "--script", str(FIXTURES / "board-meeting.script"))
    assert code == 1 and f"{cfg}: nudges.overdue_every: cannot read 'whenever'" in out
    assert "meeting start" not in out  # not one line of the script ran
