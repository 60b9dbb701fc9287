"""The core reads a command's context in one statement and keeps rosters in memory per process:
a file loaded by another process (`partnerbot load`) is seen by a running core at its next command."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conftest import EXAMPLE, Chat
from sqlalchemy import event, select

from bot.app import App
from bot.cli import main
from handlers.context import Request
from storage.models import Action, Person

AT = datetime(2024, 1, 19, 10, tzinfo=UTC)


def _load(database_url: str, path: Path) -> str:
    """`partnerbot load FILE` as another process runs it: its own engine, its own caches."""
    out, err = io.StringIO(), io.StringIO()
    assert main(["--database", database_url, "load", str(path)], stdout=out, stderr=err) == 0, err.getvalue()
    return out.getvalue()


@contextmanager
def _statements(app: App) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(app.engine, "before_cursor_execute", count)


def test_a_file_loaded_by_another_process_is_seen_by_a_running_core(
    app: App, database_url: str, tmp_path: Path
) -> None:
    core = app.core()

    def say(user: str, text: str, channel: str = "C-BOARD") -> str:
        return core.handle(Request("shell", channel, user, text, AT)).plain

    say("MT", "bind board")
    say("MT", "meeting start")
    assert "You have no open actions" in say("NF", "actions mine", "dm:NF")  # the roster is cached now
    assert "not in the Westshire" in say("RE", "actions mine", "dm:RE")
    # Nadia Frost leaves; Ruth Ellis joins and takes her seat on the board.
    text = EXAMPLE.read_text().replace(
        "  - {name: Nadia Frost, initials: NF, agency: probation, title: Head of Service}\n",
        "  - {name: Ruth Ellis, initials: RE, agency: probation}\n",
    )
    members = "members: [MT, LE, SMa, SMi, HN, GP, BLl, DA, TR, KB, TT, SC, JK, WB, RB, OK, NF]"
    assert members in text
    changed = tmp_path / "westshire.yaml"
    changed.write_text(text.replace(members, members.replace("NF]", "RE]")))
    assert "added person RE" in _load(database_url, changed)
    # The same running core, at its next command: Ruth is known and a member (she may capture an
    # action in the meeting); Nadia is not known any more.
    assert "Action 1" in say("RE", "Action: HN to ring the school by Friday")
    with app.sessions() as s:
        ruth = s.scalars(select(Person.id).where(Person.initials == "RE")).one()
        assert s.scalars(select(Action.created_by)).one() == ruth
    assert "not in the Westshire" in say("NF", "actions mine", "dm:NF")
    assert "Ruth Ellis" in say("MT", "present RE")


def test_a_command_reads_its_context_in_one_statement(app: App) -> None:
    core = app.core()
    for text in ("bind board", "meeting start", "present MT LE SMa"):
        core.handle(Request("shell", "C-BOARD", "MT", text, AT))
    with _statements(app) as seen:
        reply = core.handle(Request("shell", "C-BOARD", "MT", "quorum", AT))
    assert "quorate" in reply.plain.lower()
    # Who is asking, their open questions, the binding, the series, its open meeting and the
    # partnership's version: one statement; then the meeting's attendance, which quorum counts.
    assert len(seen) == 2, seen
    assert "pending_questions" in seen[0] and "bindings" in seen[0] and "attendance" in seen[1]


def test_actions_mine_finds_open_actions_by_every_way_of_owning(app: App) -> None:
    chat = Chat(app).at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "bind board")
    chat.say("MT", "meeting start")
    chat.say("MT", "Action: TR to send the custody figures by 9/2/24")  # 1: TR by name
    chat.say("MT", "Action: Marcia Police to review the joint protocol by 9/2/24")  # 2: TR's agency
    chat.say("MT", "Action: all partners to check their training records by 9/2/24")  # 3: every member
    chat.say("MT", "Action: Education colleagues to survey the schools by 9/2/24")  # 4: not TR's group
    chat.say("MT", "Action: TR to close the old referral route by 9/2/24")  # 5: closed below
    assert "Board 5 is done" in chat.dm("TR", "done 5")
    mine = chat.dm("TR", "actions mine")
    for title in ("send the custody figures", "review the joint protocol", "check their training records"):
        assert title in mine, mine
    assert "survey the schools" not in mine and "close the old referral route" not in mine
    # HN owns 4 through the education group, and 3 as a member; 1 and 2 are not hers.
    theirs = chat.dm("HN", "actions mine")
    assert "survey the schools" in theirs and "check their training records" in theirs
    assert "send the custody figures" not in theirs and "review the joint protocol" not in theirs
