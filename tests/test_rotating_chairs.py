"""Rotating chairs (`chair_rotation`) and `chair today`, through the chat."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import EXAMPLE, Chat, chat_over
from sqlalchemy import select
from test_quorum import _changes

from storage.models import AuditEvent, Meeting
from storage.roster import ChairRotation, SeriesRef

# The board's chair passes from Miriam Tolley to Lowri Evans to Samir Malik every 18 months.
ROTATION = "    chair_rotation: {chairs: [MT, LE, SMa], months: 18, from: 2024-04-01}\n"


@pytest.fixture
def rotating(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    text = EXAMPLE.read_text()
    board = text.index("  - id: board")
    text = text[:board] + text[board:].replace("    chair: MT\n", ROTATION, 1)
    yield from chat_over(database_url, tmp_path, text)


def _meeting_chairs(chat: Chat) -> list[str | None]:
    with chat.app.sessions() as s:
        return list(s.scalars(select(Meeting.chair).order_by(Meeting.id)))


def test_the_chair_follows_the_rotation_on_two_dates(rotating: Chat) -> None:
    chat = rotating
    # May 2024: the first chair's term. Lowri Evans is a member only, so cannot open the meeting.
    chat.at("2024-05-17T10:00:00+01:00")
    assert "Only the chair (Miriam Tolley)" in chat.say("LE", "meeting start board")
    assert "chaired by Miriam Tolley" in chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE TR")
    assert _changes(chat) == [("09:00", True, [])]
    chat.say("MT", "meeting end")
    assert "Present: Miriam Tolley (Chair), Tom Rees (Vice-chair), Lowri Evans" in chat.say(
        "RB", "minutes draft"
    )
    # In September 2025 the pack for November names November's chair: the rotation turns in October.
    chat.at("2025-09-20T10:00:00+01:00")
    pack = chat.say("RB", "agenda next board")
    assert "Friday 21 November 2025" in pack and "Chair: Lowri Evans" in pack
    # November 2025: 19 months on, Lowri Evans chairs; Miriam Tolley no longer runs the meeting.
    chat.at("2025-11-21T10:00:00+00:00")
    assert "Only the chair (Lowri Evans)" in chat.say("MT", "meeting start board")
    assert "meeting start" not in chat.say("MT", "help")
    assert "chaired by Lowri Evans" in chat.say("LE", "meeting start board")
    assert "meeting start" in chat.say("LE", "help")
    chat.say("LE", "present MT LE TR")
    chat.say("LE", "meeting end")
    minutes = chat.say("RB", "minutes draft")
    assert "Present: Lowri Evans (Chair), Tom Rees (Vice-chair), Miriam Tolley" in minutes
    assert _changes(chat) == [("09:00", True, []), ("10:00", True, [])]
    assert _meeting_chairs(chat) == [None, None]


def test_chair_today_lets_the_vice_chair_chair_one_meeting(rotating: Chat) -> None:
    chat = rotating
    chat.at("2024-05-17T10:00:00+01:00")
    chat.say("RB", "meeting start board")
    assert "not a member" in chat.say("RB", "chair today PMw")
    out = chat.say("MT", "chair today TR")
    assert "Tom Rees chairs this meeting in place of Miriam Tolley" in out
    assert _meeting_chairs(chat) == ["TR"]
    with chat.app.sessions() as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.verb == "chair today")).one()
        assert (audit.before, audit.after) == ({"chair": "MT"}, {"chair": "TR"})
    chat.say("TR", "present MT LE TR")
    chat.say("TR", "meeting end")
    minutes = chat.say("RB", "minutes draft")
    assert "Present: Tom Rees (Chair for this meeting), Miriam Tolley, Lowri Evans" in minutes
    # The next meeting is the rotation's chair's again.
    chat.at("2024-07-19T10:00:00+01:00")
    assert "chaired by Miriam Tolley" in chat.say("MT", "meeting start board")
    assert _meeting_chairs(chat) == ["TR", None]


def test_a_rotation_is_checked_when_the_file_is_read() -> None:
    from storage.partnership_file import PartnershipFileError, parse_partnership

    text = EXAMPLE.read_text()
    board = text.index("  - id: board")
    bad = text[:board] + text[board:].replace(
        "    chair: MT\n", "    chair_rotation: {chairs: [MT], months: 0, from: April 2024}\n", 1
    )
    with pytest.raises(PartnershipFileError) as info:
        parse_partnership(bad)
    said = str(info.value)
    assert "must name at least two people" in said and "at least 1" in said and "2024-04-01" in said
    good = text[:board] + text[board:].replace("    chair: MT\n", ROTATION, 1)
    spec = parse_partnership(good)
    board_spec = next(s for s in spec.series if s.id == "board")
    assert board_spec.chair == "" and board_spec.chair_rotation is not None


@pytest.mark.parametrize(
    ("day", "chair"),
    [
        ("2024-03-31", "DA"),  # before the rotation: the file's `chair`
        ("2024-04-01", "MT"),
        ("2025-09-30", "MT"),
        ("2025-10-01", "LE"),
        ("2027-04-01", "SMa"),
        ("2028-10-01", "MT"),  # and round again
    ],
)
def test_the_chair_on_a_date(day: str, chair: str) -> None:
    rotation = ChairRotation(chairs=("MT", "LE", "SMa"), months=18, start=date(2024, 4, 1))
    series = SeriesRef(id="board", name="Board", chair="DA", chair_rotation=rotation)
    assert series.chair_on(date.fromisoformat(day)) == chair
    assert SeriesRef(id="b", name="B", chair="", chair_rotation=rotation).chair_on(date(2024, 1, 1)) == "MT"


def test_deputies_on_the_day_must_be_true_or_false() -> None:
    from storage.partnership_file import PartnershipFileError, parse_partnership

    text = EXAMPLE.read_text().replace(
        "    deputies: {TR: [CG], DA: [BLl]}\n",
        "    deputies: {TR: [CG], DA: [BLl]}\n    deputies_on_the_day: maybe\n",
    )
    with pytest.raises(PartnershipFileError) as info:
        parse_partnership(text)
    assert "deputies_on_the_day of series board must be true or false" in str(info.value)
