"""The example scripts replayed through the Teams door give what the shell gives.

The board meeting is typed in a Teams meeting chat (each line @mentioning the bot), direct
messages are 1:1 chats, and `! sweep` runs the reminder sweep with the Teams courier, which
sends Adaptive Cards to the 1:1 chats stored when each person installed the app. The tracker,
the attendance and the reminders (who, when, what) must equal a shell run of the same scripts.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conftest import FIXTURES, Chat, make_app
from sqlalchemy import select
from teams_fakes import Harness, aad

import handlers.digest  # noqa: F401 - registers `digest` until handlers.commands lists it
from bot.app import App
from handlers.reports import export_actions
from storage.models import Attendance, Decision, Meeting, Person
from storage.nudge_models import Digest

SCRIPT = (FIXTURES / "board-meeting.script").read_text().splitlines() + (
    FIXTURES / "reminders.script"
).read_text().splitlines()
EVERYONE = [
    "MT",
    "LE",
    "SMa",
    "SMi",
    "PMw",
    "HN",
    "GP",
    "BLl",
    "DA",
    "CG",
    "TR",
    "KB",
    "TT",
    "SC",
    "JK",
    "WB",
    "RB",
    "OK",
    "NF",
]


def outcome(app: App) -> dict[str, Any]:
    """What the scripts leave behind: tracker, attendance, decisions, and every reminder sent."""
    with app.sessions() as s:
        pid = app.partnership_id()
        initials = dict(s.execute(select(Person.id, Person.initials)).all())
        tracker = json.loads(
            export_actions(app.core(pid), s, "board", "json", datetime(2024, 3, 8, 12, tzinfo=UTC))
        )
        for row in tracker:  # the door an update came through is the one thing that differs
            row.pop("door", None)
            for key in [k for k in row if "door" in k]:
                row.pop(key)
        attendance = sorted(
            (initials.get(a.person_id), a.status, initials.get(a.deputy_for_id), a.left_at is not None)
            for a in s.scalars(select(Attendance))
        )
        decisions = [(d.text, d.inquorate) for d in s.scalars(select(Decision).order_by(Decision.id))]
        meetings = [(m.status, m.starts_at) for m in s.scalars(select(Meeting).order_by(Meeting.id))]
        reminders = [
            (initials[d.recipient_id], d.composed_at, d.subject, d.body, d.nudges, d.state)
            for d in s.scalars(select(Digest).order_by(Digest.composed_at, Digest.recipient_id))
        ]
    return {
        "tracker": tracker,
        "attendance": attendance,
        "decisions": decisions,
        "meetings": meetings,
        "reminders": reminders,
    }


def shell_run(tmp_path: Path, sqlite_template: Path) -> dict[str, Any]:
    path = tmp_path / "shell.sqlite3"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}")
    try:
        chat = Chat(app)
        chat.door.files_dir = tmp_path / "shell-out"
        chat.script("\n".join(SCRIPT))
        return outcome(app)
    finally:
        app.engine.dispose()


def teams_run(app: App) -> tuple[dict[str, Any], Harness]:
    from bot.teams.courier import TeamsCourier
    from scheduler.policy import load_nudge_settings
    from scheduler.sweep import Sweeper

    h = Harness(app, graph=False)
    h.know(*EVERYONE)
    for person in EVERYONE:  # each has the app in their personal scope: their 1:1 chat is stored
        assert h.install(person).status_code == 200
    settings = load_nudge_settings({})
    sweeper = Sweeper(
        app.sessions,
        {"teams": TeamsCourier(h.door)},
        settings,
        partnerships=[app.partnership_id()],
        shuffle=False,
    )
    for raw in SCRIPT:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            h.clock = line[1:].strip()
        elif line == "! sweep":
            sweeper.run(datetime.fromisoformat(h.clock))
        else:
            who, mark, text = line.partition(">") if ">" in line.split(" ", 1)[0] else line.partition(":")
            response = h.dm(who.strip(), text.strip()) if mark == ">" else h.say(who.strip(), text.strip())
            assert response.status_code == 200, (line, response.text)
    return outcome(app), h


def test_scripts_through_teams_match_the_shell(app: App, tmp_path: Path, sqlite_template: Path) -> None:
    expected = shell_run(tmp_path, sqlite_template)
    got, h = teams_run(app)
    try:
        assert got["tracker"] == expected["tracker"]
        assert got["attendance"] == expected["attendance"]
        assert got["decisions"] == expected["decisions"]
        assert got["meetings"] == expected["meetings"]
        # An agency's contact address ("all partners", no lead) is reached by e-mail only, not set up here:
        # the shell prints its reminders, Teams has none to send (test_nudge_mailbox e-mails them).
        shell_people = [r for r in expected["reminders"] if not r[0].startswith("mailbox-")]
        assert len(shell_people) < len(expected["reminders"])
        assert [r[:5] for r in got["reminders"]] == [r[:5] for r in shell_people]
        assert {r[5] for r in got["reminders"]} == {"sent"}
        # Every reminder arrived in its owner's 1:1 chat; action reminders as cards with the five answers.
        for who, _at, _subject, _body, _n, _state in got["reminders"]:
            assert h.connector.texts(f"a:1-{aad(who)}"), f"nothing sent to {who}"
        hn = h.connector.cards(f"a:1-{aad('HN')}")
        titles = {a.get("title") for c in hn for a in _actions(c)}
        assert {"Done", "Add update", "New date", "Not mine", "Snooze"} <= titles
        # "SMa> not mine 1" told the chair in her 1:1 chat.
        assert any("Samir Malik" in t for t in h.connector.texts(f"a:1-{aad('MT')}"))
        # The agenda pack and minutes draft came as a short card with a link per file.
        files = [
            a["url"] for c in h.connector.cards("19:meeting_Y2hhaXJz-board@thread.v2") for a in _open_urls(c)
        ]
        assert any(".docx?" in u for u in files) and any(".pdf?" in u for u in files)
        assert any(".ics?" in u for u in files)
    finally:
        h.close()


def _actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for block in card.get("body") or []:
        out.extend(block.get("actions") or [])
    return out


def _open_urls(card: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in _actions(card) if a.get("type") == "Action.OpenUrl"]
