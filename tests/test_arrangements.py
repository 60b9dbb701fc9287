"""What a series' arrangements may say beyond the basics: observers, no quorum rule and a default one,
several escalation routes, terms of reference, time-limited groups."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
from conftest import EXAMPLE, Chat, make_app
from sqlalchemy import select

from bot.app import App
from storage.models import Attendance, Decision, Person, QuorumChange

# A police officer observing the board: if an observer counted, the police would be represented.
OBSERVER = "  - {name: Pat Dunmore, initials: PD, agency: police, title: Lead Member}\n"


def arrangements(tmp_path: Path, *edits: tuple[str, str]) -> Path:
    """The example partnership with some of its lines changed."""
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("series:\n", OBSERVER + "series:\n", 1)
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "westshire.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BOARD_DEPUTIES = "    deputies: {TR: [CG], DA: [BLl]}\n"
BOARD_OBSERVED = (BOARD_DEPUTIES, BOARD_DEPUTIES + "    observers: [PD]\n")


@pytest.fixture
def observed(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    application: App = make_app(database_url, arrangements(tmp_path, BOARD_OBSERVED))
    yield Chat(application)
    application.engine.dispose()


def _changes(chat: Chat) -> list[tuple[str, bool, list[str]]]:
    with chat.app.sessions() as s:
        return [
            (c.at.astimezone(UTC).strftime("%H:%M"), c.quorate, list(c.missing))
            for c in s.scalars(select(QuorumChange).order_by(QuorumChange.id))
        ]


def _rows(chat: Chat) -> dict[str, tuple[str, str | None, bool]]:
    """initials -> (status, role note, has left)"""
    with chat.app.sessions() as s:
        return {
            p.initials: (a.status, a.role_note, a.left_at is not None)
            for a, p in s.execute(select(Attendance, Person).join(Person, Person.id == Attendance.person_id))
        }


def test_an_observer_is_present_and_minuted_but_never_counts(observed: Chat) -> None:
    chat = observed
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    out = chat.say("MT", "present MT LE PD")
    assert "Pat Dunmore (observer)" in out and "The meeting is quorate" not in out
    assert _rows(chat)["PD"] == ("present", "observer", False)
    out = chat.say("MT", "quorum")
    assert "Not quorate" in out and "Marcia Police" in out
    assert _changes(chat) == []
    assert "The meeting is quorate" in chat.say("MT", "CG for TR")
    assert "Pat Dunmore" not in chat.say("MT", "quorum")  # never shown as representing the police
    chat.at("2024-01-19T10:30:00+00:00")
    out = chat.say("MT", "PD left")
    assert "left at 10:30" in out and "quorate" not in out.lower()
    assert _rows(chat)["PD"] == ("present", "observer", True)
    assert _changes(chat) == [("10:00", True, [])]
    assert "Pat Dunmore (observer)" in chat.say("MT", "attendance")


def test_an_observer_cannot_stand_in_for_a_member(observed: Chat) -> None:
    chat = observed
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE")
    out = chat.say("MT", "PD for TR")
    assert "an observer never represents their agency" in out and "The meeting is quorate" not in out
    assert _rows(chat)["PD"] == ("deputy", None, False)
    assert _changes(chat) == []


def test_a_series_without_a_quorum_rule_is_never_inquorate(database_url: str, tmp_path: Path) -> None:
    edit = ("    quorum: {agencies: all-statutory, min_members: 4}\n", "    quorum: none\n")
    application = make_app(database_url, arrangements(tmp_path, edit))
    try:
        chat = Chat(application)
        chat.at("2024-01-22T14:00:00+00:00")
        chat.say("TR", "meeting start exploitation")
        chat.say("TR", "present TR")
        assert "no quorum rule" in chat.say("TR", "quorum")
        out = chat.say("TR", "decision: the group adopts the new screening tool")
        assert "ratification" not in out
        chat.say("TR", "TR left")
        assert "Quorum at the close" not in chat.say("TR", "meeting end")
        with application.sessions() as s:
            assert [d.inquorate for d in s.scalars(select(Decision))] == [False]
        assert _changes(chat) == []
    finally:
        application.engine.dispose()
