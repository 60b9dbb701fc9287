"""The example meeting and its six weeks of reminders, through the Slack door and through the shell.

The same script gives the same tracker and the same attendance either way. In Slack the chair
types slash commands, "Action:" lines arrive as thread messages, reminders go out as direct
messages with buttons, and the owners answer by pressing them (modals for dates and updates).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import EXAMPLE, FIXTURES, make_app
from slack_fake import FakeSlack, Harness, dm_channel, text_value, uid
from sqlalchemy import select

from bot.app import App
from bot.shell import ShellDoor
from bot.slack.courier import SlackCourier
from bot.terminal_courier import TerminalCourier
from handlers.reports import tracker_rows
from scheduler.couriers import Courier
from scheduler.sweep import Sweeper
from storage.models import Attendance, Person

LINE = re.compile(r"^(?P<who>[A-Za-z]{1,4})(?P<mark>[:>])\s+(?P<text>.*)$")
SCRIPTS = ("board-meeting.script", "reminders.script")


@pytest.fixture
def partnership_file(tmp_path: Path) -> Path:
    """The example partnership with a Slack id for everyone, so reminders can reach them all."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for person in data["people"]:
        person.setdefault("slack_id", uid(person["initials"]))
    path = tmp_path / "westshire-slack.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def script_lines() -> Iterator[str]:
    for name in SCRIPTS:
        for raw in (FIXTURES / name).read_text(encoding="utf-8").splitlines():
            line = raw.strip()
            if line and not line.startswith("#"):
                yield line


def _sweeper(app: App, courier: Courier) -> Sweeper:
    settings = app.settings.nudges.resolve()
    return Sweeper(
        app.sessions, {courier.door: courier}, settings, partnerships=[app.partnership_id()], shuffle=False
    )


def run_in_shell(app: App, tmp_path: Path) -> list[list[str]]:
    door = ShellDoor(
        app.core(), io.StringIO(), user="MT", channel="board-meeting", files_dir=tmp_path / "out"
    )
    sweeper = _sweeper(app, TerminalCourier(door))
    sent = []
    for line in script_lines():
        if line == "! sweep":
            sent.append(sorted(m.initials for m in sweeper.run(door.now()).sent))
        else:
            door.line(line)
    return sent


# Typed reminder answers the Slack run gives with the reminder's own buttons instead.
ANSWERS = [
    (re.compile(r"update (\d+): (.+)"), "Add update", lambda m: {"answer": text_value(m.group(2))}),
    (re.compile(r"done (\d+)"), "Done", None),
    (re.compile(r"(\d+) new date (.+)"), "New date", lambda m: {"answer": text_value(m.group(2))}),
    (re.compile(r"not mine (\d+)"), "Not mine", None),
]


def answer_by_button(h: Harness, fake: FakeSlack, who: str, text: str) -> bool:
    for pattern, label, values in ANSWERS:
        m = pattern.fullmatch(text)
        if not m:
            continue
        block_id = f"ans:board:{m.group(1)}"
        try:
            fake.last_message_to(dm_channel(who), block_id)
        except AssertionError:
            return False  # no reminder of that action: the person types instead
        opened = len(fake.calls("views.open"))
        h.press(who, label, block_id=block_id)
        if values is not None:
            assert len(fake.calls("views.open")) == opened + 1
            h.submit(who, fake.calls("views.open")[-1]["view"], values(m))
        return True
    return False


def run_in_slack(h: Harness, fake: FakeSlack) -> tuple[list[list[str]], int]:
    courier = SlackCourier(h.app.sessions, h.door.client, h.door.partnership_id)
    sweeper = _sweeper(h.app, courier)
    sent, pressed = [], 0
    for line in script_lines():
        if line.startswith("@"):
            h.at(line[1:].strip())
        elif line == "! sweep":
            sent.append(sorted(m.initials for m in sweeper.run(h.now).sent))
        else:
            m = LINE.match(line)
            assert m, line
            who, text = m.group("who"), m.group("text")
            if m.group("mark") == ">":
                if answer_by_button(h, fake, who, text):
                    pressed += 1
                else:
                    h.dm(who, text)
            elif text.lower().startswith("action:"):
                h.message(who, text)  # in the meeting's thread
            else:
                h.slash(who, text)
    return sent, pressed


def tracker(app: App) -> list[dict[str, Any]]:
    with app.sessions() as s:
        return tracker_rows(app.core(), s, "board", datetime(2024, 3, 8, 12, tzinfo=UTC))


def attendance(app: App) -> list[tuple[str, str, str | None]]:  # (who, status, deputy for)
    with app.sessions() as s:
        people = {p.id: p.initials for p in s.scalars(select(Person))}
        rows = s.scalars(select(Attendance).order_by(Attendance.id)).all()
        return sorted(
            (people.get(r.person_id or 0, "?"), r.status, people.get(r.deputy_for_id or 0)) for r in rows
        )


def test_the_example_meeting_gives_the_same_tracker_through_slack(
    database_url: str, partnership_file: Path, tmp_path: Path, sqlite_template: Path
) -> None:
    import shutil

    shell_db = tmp_path / "shell.sqlite3"
    shutil.copy(sqlite_template, shell_db)
    shell_app = make_app(f"sqlite:///{shell_db}", partnership_file)
    slack_app = make_app(database_url, partnership_file)
    fake = FakeSlack()
    h = Harness(slack_app, fake)
    try:
        shell_sent = run_in_shell(shell_app, tmp_path)
        slack_sent, pressed = run_in_slack(h, fake)
        h.door.wait_idle()

        assert tracker(slack_app) == tracker(shell_app)
        assert attendance(slack_app) == attendance(shell_app)
        # The same people reminded at each sweep. An agency's contact address (an "all partners" action,
        # "mailbox-1") is reached by e-mail only: the shell prints it, Slack alone has nothing to send it
        # (test_nudge_mailbox).
        assert slack_sent == [[w for w in sent if not w.startswith("mailbox-")] for sent in shell_sent]
        assert any(w.startswith("mailbox-") for sent in shell_sent for w in sent)
        assert any(slack_sent) and pressed >= 4  # the owners answered with buttons
        rows = {r["number"]: r for r in tracker(slack_app)}
        assert rows[2]["status"] == "closed" and rows[3]["due"] == "2024-02-23"
        # What Slack saw: reminders as direct messages with buttons, the chair's "not mine" notice,
        # the minutes and the agenda pack as files, updated reminder messages.
        reminders = [c for c in fake.calls("chat.postMessage") if c["channel"].startswith("U")]
        assert {c["channel"] for c in reminders} >= {uid("HN"), uid("RB"), uid("OK"), uid("MT")}
        assert any("returned Board 1" in (c.get("text") or "") for c in reminders)
        assert len(fake.calls("files.completeUploadExternal")) == 2
        assert len(fake.calls("chat.update")) >= 4
    finally:
        h.door.close()
        fake.close()
        shell_app.engine.dispose()
        slack_app.engine.dispose()
