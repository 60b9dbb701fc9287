"""Deputies chosen on the day (`deputies_on_the_day`) and the chair's yes or no, through the chat."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import EXAMPLE, Chat, make_app
from sqlalchemy import select
from test_quorum import _attendance, _changes

from bot.app import App
from storage.models import Attendance, AuditEvent, Person

# Lee Marsh: a police officer the file does not list as Tom Rees's deputy.
LEE = "  - {name: Lee Marsh, initials: LMa, agency: police, title: Detective Inspector}\n"


def _file(tmp_path: Path, *, on_the_day: bool) -> Path:
    text = EXAMPLE.read_text().replace("series:\n", LEE + "series:\n", 1)
    if on_the_day:
        text = text.replace(
            "    deputies: {TR: [CG], DA: [BLl]}\n",
            "    deputies: {TR: [CG], DA: [BLl]}\n    deputies_on_the_day: true\n",
            1,
        )
    path = tmp_path / "westshire.yaml"
    path.write_text(text)
    return path


def _chat(database_url: str, tmp_path: Path, *, on_the_day: bool) -> Iterator[Chat]:
    application: App = make_app(database_url, _file(tmp_path, on_the_day=on_the_day))
    chat = Chat(application)
    chat.door.files_dir = tmp_path
    yield chat
    application.engine.dispose()


@pytest.fixture
def on_the_day(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    yield from _chat(database_url, tmp_path, on_the_day=True)


@pytest.fixture
def listed_only(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    yield from _chat(database_url, tmp_path, on_the_day=False)


def _authorised(chat: Chat, initials: str) -> bool | None:
    with chat.app.sessions() as s:
        return s.scalars(
            select(Attendance.authorised)
            .join(Person, Person.id == Attendance.person_id)
            .where(Person.initials == initials)
        ).one()


def _audit(chat: Chat, verb: str) -> list[dict[str, object] | None]:
    with chat.app.sessions() as s:
        return [e.after for e in s.scalars(select(AuditEvent).where(AuditEvent.verb == verb))]


def _start(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE")


def test_the_chair_says_yes_and_the_meeting_becomes_quorate(on_the_day: Chat) -> None:
    chat = on_the_day
    _start(chat)
    out = chat.say("MT", "LMa for TR")
    assert "Is Lee Marsh authorised to act for Tom Rees?" in out and "The meeting is quorate" not in out
    # Recorded at once, on Tom Rees's behalf, not counted until the chair answers.
    assert _attendance(chat)["LMa"] == ("deputy", "TR") and _authorised(chat, "LMa") is None
    assert _changes(chat) == []
    chat.at("2024-01-19T10:05:00+00:00")
    out = chat.say("MT", "yes, he is")
    assert "authorised by the chair" in out and "The meeting is quorate" in out
    assert _authorised(chat, "LMa") is True
    assert _changes(chat) == [("10:00", True, [])]  # the answer runs as of the original message
    assert _audit(chat, "authorised") == [{"authorised": True, "deputy_for": "TR"}]
    chat.say("MT", "meeting end")
    minutes = chat.say("RB", "minutes draft")
    assert "for Tom Rees, authorised by the chair on the day" in minutes


def test_the_chair_says_no_and_the_deputy_never_counts(on_the_day: Chat) -> None:
    chat = on_the_day
    _start(chat)
    chat.say("MT", "LMa for TR")
    assert "is not one of the options" in chat.say("MT", "perhaps")
    out = chat.say("MT", "nope")
    assert "not authorised" in out and "quorate" not in out.lower()
    assert _authorised(chat, "LMa") is False
    assert _attendance(chat)["LMa"] == ("deputy", "TR") and _attendance(chat)["TR"] == ("apologies", None)
    assert "Not quorate" in chat.say("MT", "quorum")
    assert "Lee Marsh (for Tom Rees, not authorised by the chair)" in chat.say("MT", "attendance")
    assert _changes(chat) == []
    assert _audit(chat, "not authorised") == [{"authorised": False, "deputy_for": "TR"}]
    # Recording the deputy again does not ask again.
    assert "Is Lee Marsh authorised" not in chat.say("MT", "LMa for TR")
    # The chair may change their mind: the quorum follows.
    assert "The meeting is quorate" in chat.say("MT", "authorise LMa for TR: yes")
    assert _changes(chat) == [("10:00", True, [])]


def test_a_listed_deputy_is_not_asked_about(on_the_day: Chat) -> None:
    chat = on_the_day
    _start(chat)
    out = chat.say("MT", "CG for TR")
    assert "authorised to act" not in out and "The meeting is quorate" in out
    assert _authorised(chat, "CG") is None
    assert "nothing for the chair to authorise" in chat.say("MT", "authorise CG for TR")


def test_without_the_setting_an_unlisted_deputy_does_not_count(listed_only: Chat) -> None:
    chat = listed_only
    _start(chat)
    out = chat.say("MT", "LMa for TR")
    assert "does not count for Marcia Police" in out and "deputies_on_the_day: true" in out
    assert "{TR: [LMa]}" in out and "authorised to act" not in out
    assert _attendance(chat)["LMa"] == ("deputy", "TR")
    assert _changes(chat) == []
    out = chat.say("MT", "authorise LMa for TR: yes")
    assert "does not allow deputies chosen on the day" in out
    assert _authorised(chat, "LMa") is None and "Not quorate" in chat.say("MT", "quorum")
    assert "The meeting is quorate" in chat.say("MT", "CG for TR")
    assert _changes(chat) == [("10:00", True, [])]
