"""The command line as a user runs it: shell (piped and scripted), run, export, audit, parse."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from conftest import EXAMPLE, FIXTURES, ROOT, Chat

from bot.app import App
from bot.cli import main

SCRIPT = (FIXTURES / "board-meeting.script").read_text().split("RB: minutes draft")[0]


def cli(database_url: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--database", database_url, *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def run_partnerbot(
    args: list[str], stdin: str = "", cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_export_actions_as_csv_and_json(app: App, database_url: str) -> None:
    chat = Chat(app)
    chat.script(SCRIPT)
    code, out, _ = cli(database_url, "export", "actions", "--series", "board", "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["number"] for r in rows] == ["1", "2", "3"]
    assert set(rows[0]) == {
        "number",
        "title",
        "owners",
        "guest_owners",
        "due",
        "due_kind",
        "status",
        "closed_on",
        "latest_update",
        "latest_update_date",
        "raised_in",
        "stale",
        "overdue",
        "rag",
    }
    assert rows[0]["owners"] == "SMa/PMw" and rows[0]["due_kind"] == "next_meeting"
    assert rows[0]["status"] == "ongoing" and rows[0]["closed_on"] == ""
    assert (
        rows[1]["latest_update"].startswith("HN has written")
        and rows[1]["latest_update_date"] == "2024-01-19"
    )
    assert rows[2]["raised_in"] == "2024-01-19" and rows[2]["overdue"] == "yes"
    code, out, _ = cli(database_url, "export", "actions", "--series", "board", "--format", "json")
    data = json.loads(out)
    assert (
        data[2]["owners"] == "Business Unit" and data[2]["due"] == "2024-02-09" and data[2]["overdue"] is True
    )
    code, _, err = cli(database_url, "export", "actions", "--series", "nope")
    assert code == 1 and "No series 'nope'" in err
    # Several series: which one is asked for, and nothing is written.
    code, out, err = cli(database_url, "export", "actions")
    assert code == 1 and "Name the series: --series board | " in err and out == ""


def test_export_of_a_partnership_of_one_series_needs_no_series(database_url: str) -> None:
    from conftest import FIXTURES, make_app

    app = make_app(database_url, FIXTURES / "seed-replay" / "partnership.yaml")
    chat = Chat(app)
    chat.at("2024-03-04T10:00:00+00:00")
    chat.say("TM", "meeting start")
    chat.say("PMcL", "Action: EL to share the audit findings by 12/4/24")
    code, out, _ = cli(database_url, "export", "actions", "--partnership", "northmoor-scp")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["number"], r["title"], r["due"]) for r in rows] == [
        ("1", "share the audit findings", "2024-04-12")
    ]
    app.engine.dispose()


def test_audit_lists_changes_with_who_door_and_before_after(app: App, database_url: str) -> None:
    chat = Chat(app)
    chat.script(SCRIPT)
    chat.say("HN", "2 new date 2/2/24")
    code, out, _ = cli(database_url, "audit", "--series", "board")
    assert code == 0
    assert "MT via shell: opened meeting" in out
    assert (
        "HN via shell: due changed action board:2" in out and '"2024-01-29"' in out and '"2024-02-02"' in out
    )
    code, out, _ = cli(database_url, "audit", "--series", "board", "--json", "--limit", "1")
    (event,) = [json.loads(line) for line in out.splitlines()]
    assert event["verb"] == "due changed" and event["before"]["due"] == "2024-01-29"


def test_shell_script_and_piped_lines(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    assert run_partnerbot(["--database", db, "load", str(EXAMPLE)]).returncode == 0
    script = tmp_path / "meeting.script"
    script.write_text(SCRIPT)
    done = run_partnerbot(["--database", db, "shell", "--script", str(script)])
    assert done.returncode == 0, done.stderr
    assert "Action 1 — Samir Malik, Paul Mawer" in done.stdout and "is closed" in done.stdout
    # Piped plain lines are messages from --as; `/as` switches person.
    piped = run_partnerbot(
        ["--database", db, "shell", "--as", "KB"], stdin="actions mine\n/as HN\nactions mine\n"
    )
    assert piped.returncode == 0
    assert "You have no open actions." in piped.stdout and "tell MT why education colleagues" in piped.stdout


def test_run_starts_the_terminal_door_with_the_demo_partnership(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(
        f"database:\n  url: sqlite:///var/test.sqlite3\npartnerships:\n  - {EXAMPLE}\n"
    )
    done = run_partnerbot(["--config", str(tmp_path / "app.yaml"), "run"], stdin="help\n")
    assert done.returncode == 0, done.stderr
    assert "`meeting start [SERIES]`" in done.stdout
    assert (tmp_path / "var" / "test.sqlite3").exists()


def test_parse_command(tmp_path: Path) -> None:
    lines = tmp_path / "in.jsonl"
    lines.write_text(
        json.dumps(
            {
                "input": {
                    "series": "board",
                    "text": "Action: SMa/PMw to invite the lead to the next meeting",
                    "sent_at": "2024-01-19T10:05:00+00:00",
                    "next_meeting": "2024-03-15",
                }
            }
        )
        + "\n"
    )
    done = run_partnerbot(["parse", "--partnership", str(EXAMPLE), "--jsonl", str(lines)])
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["is_action"] and answer["due"] == "2024-03-15" and answer["due_kind"] == "next_meeting"
    assert answer["owners"] == [{"kind": "person", "id": "SMa"}, {"kind": "person", "id": "PMw"}]


def test_bad_settings_and_missing_partnership_say_how_to_fix(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text("database: [\n")
    done = run_partnerbot(["--config", str(tmp_path / "app.yaml"), "shell"])
    assert done.returncode == 1 and "not valid YAML" in done.stderr and "Traceback" not in done.stderr
    done = run_partnerbot(["--database", f"sqlite:///{tmp_path / 'empty.sqlite3'}", "shell"])
    assert done.returncode == 1 and "partnerbot load FILE.yaml" in done.stderr
    # An app.yaml naming no partnership, and none loaded yet: the same one line, no traceback.
    (tmp_path / "bare.yaml").write_text(f"database: sqlite:///{tmp_path / 'bare.sqlite3'}\n")
    done = run_partnerbot(["--config", str(tmp_path / "bare.yaml"), "shell", "--as", "TM"])
    assert done.returncode == 1 and "partnerbot load FILE.yaml" in done.stderr
    assert "Traceback" not in done.stderr


def test_stale_follows_the_series_reminder_policy(tmp_path: Path) -> None:
    """One answer to "is it stale?": the series' policy in app.yaml, for the export as for the digest."""
    from conftest import make_app

    from handlers.reports import tracker_rows

    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    app = make_app(db)
    chat = Chat(app)
    chat.script(SCRIPT)
    for day in ("2024-03-15", "2024-05-17"):  # two more meetings with no update on action 1
        chat.at(f"{day}T10:00:00+00:00")
        chat.say("MT", "meeting start board")
        chat.say("MT", "meeting end")
    today = datetime(2024, 5, 20, 12, tzinfo=UTC)
    with app.sessions() as s:
        assert tracker_rows(app.core(), s, "board", today)[0]["stale"] is True
    app.engine.dispose()
    app = make_app(db, nudges={"series": {"board": {"stale_after_meetings": 3}}})
    with app.sessions() as s:
        assert tracker_rows(app.core(), s, "board", today)[0]["stale"] is False
    app.engine.dispose()


def test_each_subcommand_is_where_the_command_line_looks_for_it() -> None:
    import importlib

    from bot.cli import EXTENSIONS

    for name, commands in EXTENSIONS.items():
        assert set(importlib.import_module(name).COMMANDS) == set(commands), name


def test_a_subcommand_imports_only_its_own_module(tmp_path: Path) -> None:
    """`partnerbot slack manifest` builds its parser without the documents, doors or reminders."""
    from bot.cli import EXTENSIONS

    probe = (
        "import sys\nfrom bot.cli import main, EXTENSIONS\n"
        "try:\n    main(sys.argv[1:])\n"
        "finally:\n    print(sorted(m for m in EXTENSIONS if m in sys.modules), file=sys.stderr)"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    db = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    for argv, expected in (
        (["slack", "manifest"], ["bot.slack.cli"]),
        (["--database", db, "export", "actions", "--series", "board"], []),
        (["--help"], sorted(EXTENSIONS)),
    ):
        done = subprocess.run(
            [sys.executable, "-c", probe, *argv],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
        assert done.stderr.strip().splitlines()[-1] == str(expected), (argv, done.stderr)


COLLECTOR_PROBE = """
import gc, sys
import bot.app, bot.shell
from bot.cli import main

seen = {"opening": [], "lines": []}
open_app, line = bot.app.open_app, bot.shell.ShellDoor.line

def opening(*args, **kwargs):
    seen["opening"].append(gc.isenabled())
    return open_app(*args, **kwargs)

def answering(self, raw):
    seen["lines"].append(gc.isenabled())
    return line(self, raw)

bot.app.open_app, bot.shell.ShellDoor.line = opening, answering
own, sys.argv = sys.argv[1] == "own", ["partnerbot", *sys.argv[2:]]
code = main() if own else main(sys.argv[1:])
seen.update(code=code, after=gc.isenabled(), frozen=gc.get_freeze_count() > 0)
print(repr(seen), file=sys.stderr)
"""


def test_the_shell_starts_with_the_cycle_collector_paused_and_answers_with_it_running(
    tmp_path: Path,
) -> None:
    """bot/start_up.py: the command line's own shell pauses the collector until its first line,
    then freezes what start-up made; it runs again however the command ends, and a program calling
    `main` with its own arguments keeps the collector as it was."""
    import ast

    db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert run_partnerbot(["--database", db, "load", str(EXAMPLE)]).returncode == 0
    env = {**os.environ, "PYTHONPATH": str(ROOT)}

    def probe(*argv: str) -> dict[str, object]:
        done = subprocess.run(
            [sys.executable, "-c", COLLECTOR_PROBE, *argv],
            input="MT: help\nquorum\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
            timeout=120,
        )
        return dict(ast.literal_eval(done.stderr.strip().splitlines()[-1]))

    assert probe("own", "--database", db, "shell") == {
        "opening": [False],
        "lines": [True, True],
        "code": 0,
        "after": True,
        "frozen": True,
    }
    # No partnership loaded: the shell stops before its first line; the collector runs again.
    assert probe("own", "--database", empty, "shell") == {
        "opening": [False],
        "lines": [],
        "code": 1,
        "after": True,
        "frozen": True,
    }
    assert probe("given", "--database", db, "shell") == {
        "opening": [True],
        "lines": [True, True],
        "code": 0,
        "after": True,
        "frozen": False,
    }


SERVE_PROBE = """
import gc, sys
import scheduler.sweep
from bot.cli import main

seen = []
run = scheduler.sweep.Sweeper.run

def sweeping(self, at):
    seen.append(gc.isenabled())
    return run(self, at)

scheduler.sweep.Sweeper.run = sweeping
sys.argv = ["partnerbot", *sys.argv[1:]]
code = main()
print(repr({"sweeps": seen, "code": code, "frozen": gc.get_freeze_count() > 0}), file=sys.stderr)
"""


def test_serve_runs_the_cycle_collector_again_once_it_is_up(tmp_path: Path) -> None:
    """bot/start_up.py: `serve` (here the reminder sweep alone, which has nothing to wait for)
    starts the collector again by itself, not only when it stops."""
    import ast

    config = tmp_path / "app.yaml"
    config.write_text(
        f"database:\n  url: sqlite:///{tmp_path / 'db.sqlite3'}\npartnerships:\n  - {EXAMPLE}\n"
    )
    assert run_partnerbot(["--config", str(config), "load", str(EXAMPLE)]).returncode == 0
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SERVE_PROBE,
            "--config",
            str(config),
            "serve",
            "--sweeps",
            "2",
            "--interval",
            "1",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    seen = ast.literal_eval(done.stderr.strip().splitlines()[-1])
    assert seen["code"] == 0 and seen["frozen"], done.stderr
    assert seen["sweeps"][-1] is True  # the second sweep, a second later, with the collector running
