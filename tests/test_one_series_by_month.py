"""A partnership of one series needs no series named, in a direct message or an unbound channel;
and the business unit names meetings by their month: "the minutes of the January meeting", "the
agenda pack for the March meeting" (the next meeting's only: another month is refused, saying which
is next). Run on the seed-replay partnership (tests/fixtures/seed-replay), which has one series."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from conftest import FIXTURES, Chat, make_app
from sqlalchemy import select

from storage.models import AgendaItem, Meeting

REPLAY = FIXTURES / "seed-replay" / "partnership.yaml"


@pytest.fixture
def practice(database_url: str) -> Iterator[Chat]:
    app = make_app(database_url, REPLAY)
    chat = Chat(app)
    for start, end in (
        ("2023-11-20T14:00:00+00:00", "2023-11-20T15:30:00+00:00"),
        ("2024-01-19T10:00:00+00:00", "2024-01-19T11:40:00+00:00"),
    ):
        chat.at(start)
        chat.say("TM", "meeting start")  # the channel is bound to nothing: the one series
        chat.say("TM", "present TM EL DL TT")
        chat.at(end)
        chat.say("TM", "meeting end")
    chat.at("2024-02-01T09:00:00+00:00")
    chat.say("TM", "next meeting Friday 15 March 2024 10:00-12:00")
    yield chat
    app.engine.dispose()


def test_one_series_needs_no_naming(practice: Chat) -> None:
    held = {str(m.starts_at)[:10] for m in _meetings(practice) if m.status == "closed"}
    assert held == {"2024-01-19", "2023-11-20"}
    said = practice.dm("BL", 'agenda add "Neglect strategy refresh" presenter SMo')
    assert "Added “Neglect strategy refresh”" in said and "Which series?" not in said
    with practice.app.sessions() as s:
        assert list(s.scalars(select(AgendaItem.title).where(AgendaItem.title == "Neglect strategy refresh")))


def test_minutes_of_a_meeting_by_its_month(practice: Chat) -> None:
    said = practice.dm("BL", "minutes of the January meeting")
    assert "Practice Oversight Group, Friday 19 January 2024" in said
    assert "Monday 20 November 2023" in practice.dm("BL", "can I have the minutes of the November meeting?")
    assert "Monday 20 November 2023" in practice.dm("BL", "minutes draft nov 2023")
    said = practice.dm("BL", "minutes of the June meeting")
    assert "has no closed meeting in June" in said


def test_the_agenda_by_its_meetings_date(practice: Chat) -> None:
    said = practice.dm("BL", "can you send me the agenda pack for the March meeting?")
    assert "Agenda pack: Children's Safeguarding and Protection Practice Oversight Group" in said
    assert "Friday 15 March 2024" in said
    assert "Agenda pack" in practice.dm("BL", "agenda for 15 March")
    said = practice.dm("BL", "agenda for the April meeting")
    assert "which is on Friday 15 March 2024, not “April”" in said and "Agenda pack" not in said


def _meetings(chat: Chat) -> list[Meeting]:
    with chat.app.sessions() as s:
        return list(s.scalars(select(Meeting).order_by(Meeting.id)))
