"""A series whose file names no chair (neither `chair` nor `chair_rotation`), through the chat.

Many published arrangements name no chair for a group. Such a series loads; its chair team runs
its meetings; whoever starts one may say who chairs it (`chair today XX`), and that person has the
chair's part for that meeting only. What goes to "the chair" goes to them, or says nobody is named.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import EXAMPLE, Chat, chat_over
from sqlalchemy import select
from test_nudge_scenarios import sweep

import handlers.digest  # noqa: F401 - registers `digest` until handlers.commands lists it
from storage.models import (
    Action,
    ActionOwner,
    Attendance,
    AuditEvent,
    Decision,
    Meeting,
    PendingQuestion,
    Person,
    Series,
)
from storage.nudge_models import NudgeClaim
from storage.partnership_file import PartnershipFileError, parse_partnership
from storage.roster import Roster

BOARD_CHAIR = "    chair: MT\n"  # the board: vice-chair TR, business manager RB
TEG_CHAIR = "    chair: TR\n"  # the Tackling Exploitation Group: no vice-chair, no business manager
EXEC_CHAIR = "    chair: DA\n"  # the Executive, whose quorum needs the chair


def _without(text: str, series: str, line: str, instead: str = "") -> str:
    at = text.index(f"  - id: {series}\n")
    assert line in text[at:]
    return text[:at] + text[at:].replace(line, instead, 1)


def chairless_text() -> str:
    """Westshire with no chair named for the board (whose members choose deputies on the day) nor
    for the Tackling Exploitation Group."""
    text = _without(EXAMPLE.read_text(), "board", BOARD_CHAIR, "    deputies_on_the_day: true\n")
    return _without(text, "exploitation", TEG_CHAIR)


@pytest.fixture
def nochair(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    yield from chat_over(database_url, tmp_path, chairless_text())


def _meeting(chat: Chat) -> Meeting:
    with chat.app.sessions() as s:
        meeting = s.scalars(select(Meeting).order_by(Meeting.id.desc())).first()
        assert meeting is not None
        return meeting


def _owners(chat: Chat, number: int) -> list[str]:
    with chat.app.sessions() as s:
        return list(
            s.scalars(
                select(Person.initials)
                .join(ActionOwner, ActionOwner.person_id == Person.id)
                .join(Action, Action.id == ActionOwner.action_id)
                .where(Action.number == number, ActionOwner.removed_at.is_(None))
            )
        )


def _askers(chat: Chat) -> list[str]:
    with chat.app.sessions() as s:
        return list(s.scalars(select(PendingQuestion.asker).order_by(PendingQuestion.id)))


def _deputy_row(chat: Chat, deputy: str) -> tuple[str, bool | None]:
    with chat.app.sessions() as s:
        row = s.execute(
            select(Attendance.status, Attendance.authorised)
            .join(Person, Person.id == Attendance.person_id)
            .where(Person.initials == deputy)
        ).one()
        return row[0], row[1]


# --- the file --------------------------------------------------------------------------------------------


def test_a_series_with_no_chair_loads_and_has_none(nochair: Chat) -> None:
    spec = parse_partnership(chairless_text())
    board = next(s for s in spec.series if s.id == "board")
    assert board.chair == "" and board.chair_rotation is None
    roster = Roster.from_spec(spec)
    assert roster.series["board"].chair_on(date(2024, 5, 17)) is None
    assert roster.series["board"].chairs() == ()
    # What takes the chair's part: the vice-chair; without one (and no business manager) the business unit.
    assert roster.chair_or_stand_ins(roster.series["board"], date(2024, 5, 17)) == ("TR",)
    assert roster.chair_or_stand_ins(roster.series["exploitation"], date(2024, 5, 17)) == ("RB", "OK")
    with nochair.app.sessions() as s:
        stored = dict(s.execute(select(Series.key, Series.chair)).all())
    assert stored == {"board": "", "exploitation": "", "executive": "DA"}


def test_what_a_series_without_a_chair_cannot_have_is_refused_with_its_line() -> None:
    text = _without(EXAMPLE.read_text(), "executive", EXEC_CHAIR)
    with pytest.raises(PartnershipFileError) as info:
        parse_partnership(text)
    line = text[: text.index("    quorum: {agencies: all-statutory, roles: [chair]}")].count("\n") + 1
    assert (
        f"line {line}: quorum of series executive needs the chair, but the series names no chair "
        "(neither chair nor chair_rotation)"
    ) in str(info.value)
    # `chair:` written with nothing after it is a mistake, not "no chair".
    with pytest.raises(PartnershipFileError) as info:
        parse_partnership(_without(EXAMPLE.read_text(), "board", BOARD_CHAIR, "    chair:\n"))
    assert "chair of series board is empty" in str(info.value)
    # No chair and nobody else to run the meetings: no vice-chair, business manager, minute taker or unit.
    assert "\nbusiness_unit: business-unit\n" in chairless_text()
    alone = chairless_text().replace("\nbusiness_unit: business-unit\n", "\n", 1)
    with pytest.raises(PartnershipFileError) as info:
        parse_partnership(alone)
    said = str(info.value)
    assert "series exploitation names no chair and nobody else to run its meetings" in said
    assert "series board names no chair" not in said  # it has a vice-chair and a business manager


# --- running a meeting -----------------------------------------------------------------------------------


def test_the_business_manager_runs_the_meeting_and_names_who_chairs_it(nochair: Chat) -> None:
    chat = nochair
    chat.at("2024-05-17T10:00:00+01:00")
    refused = chat.say("SMa", "meeting start board")
    runners = "the vice-chair (Tom Rees), minute taker (Paul Mawer), business manager (Rhian Bowen)"
    assert f"Only {runners}" in refused
    assert "the chair (" not in refused
    opened = chat.say("RB", "meeting start board")
    assert "with no chair" in opened and "`chair today XX`" in opened
    assert _meeting(chat).chair is None and _meeting(chat).status == "open"

    # A member may not name the chair; the business manager may.
    assert "Only the vice-chair" in chat.say("SMa", "chair today LE")
    assert _meeting(chat).chair is None
    said = chat.say("RB", "chair today LE")
    assert "Lowri Evans chairs this meeting" in said and "names no chair" in said
    assert _meeting(chat).chair == "LE"
    with chat.app.sessions() as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.verb == "chair today")).one()
    assert (audit.before, audit.after) == ({"chair": None}, {"chair": "LE"})

    # Lowri Evans, a member, now runs the meeting's chair-team commands; another member cannot.
    chat.say("LE", "present LE SMa TR RB")
    assert "Decision recorded" in chat.say("LE", "decision: the neglect strategy is approved")
    refused = chat.say("SMa", "decision: the budget is approved")
    assert "Only the chair (Lowri Evans), vice-chair (Tom Rees)" in refused
    with chat.app.sessions() as s:
        assert list(s.scalars(select(Decision.text))) == ["the neglect strategy is approved"]
    chat.say("LE", "meeting end")
    minutes = chat.say("RB", "minutes draft")
    assert "Present: Lowri Evans (Chair for this meeting), Tom Rees (Vice-chair), Samir Malik" in minutes
    assert "Chair: not named" not in minutes

    # The next meeting has no chair again: it was Lowri Evans's for that meeting only.
    chat.at("2024-07-19T10:00:00+01:00")
    assert "Only the vice-chair" in chat.say("LE", "meeting start board")
    assert "with no chair" in chat.say("RB", "meeting start board")
    assert _meeting(chat).chair is None
    assert "Only the vice-chair" in chat.say("LE", "decision: anything")


def test_the_minutes_and_the_pack_say_the_chair_is_not_named(nochair: Chat) -> None:
    chat = nochair
    chat.at("2024-05-17T10:00:00+01:00")
    chat.say("RB", "meeting start board")
    chat.say("RB", "present SMa TR LE")
    chat.say("RB", "meeting end")
    minutes = chat.say("RB", "minutes draft")
    assert "Chair: not named." in minutes
    assert "Present: Tom Rees (Vice-chair), Samir Malik, Lowri Evans" in minutes
    assert _meeting(chat).chair is None
    chat.say("RB", "next meeting 19/7/24 10:00")
    pack = chat.say("RB", "agenda next board")
    assert "Chair: not named" in pack and "Friday 19 July 2024" in pack


# --- what goes to "the chair" ----------------------------------------------------------------------------


def test_a_deputy_on_the_day_is_asked_of_the_meetings_chair_else_of_whoever_typed(nochair: Chat) -> None:
    chat = nochair
    chat.at("2024-05-17T10:00:00+01:00")
    chat.say("RB", "meeting start board")
    chat.say("RB", "present SMa TR LE")
    # Nobody chairs yet: the business manager, who typed the deputy in, answers.
    asked = chat.say("RB", "JK for SMa")
    assert "no chair is named for this meeting: your answer" in asked
    assert _askers(chat) == ["RB"]
    chat.say("RB", "yes")
    assert _deputy_row(chat, "JK") == ("deputy", True)
    # Lowri Evans chairs: the question about the next deputy is hers, whoever typed it.
    chat.say("RB", "chair today LE")
    asked = chat.say("RB", "BLl for GP")
    assert "Question for Lowri Evans" in asked and "(the chair's answer)" in asked
    assert _askers(chat) == ["LE"]
    assert _deputy_row(chat, "BLl") == ("deputy", None)
    chat.say("LE", "no")
    assert _deputy_row(chat, "BLl") == ("deputy", False)
    assert _askers(chat) == []


def test_the_chair_as_an_owner_is_the_meetings_chair_or_a_question(nochair: Chat) -> None:
    chat = nochair
    chat.at("2024-05-17T10:00:00+01:00")
    chat.say("RB", "meeting start board")
    asked = chat.say("RB", "Action: Chair to write to the DfE by 1/7/24")
    assert "has no chair named" in asked and "who owns it" in asked
    with chat.app.sessions() as s:
        assert list(s.scalars(select(Action.id))) == []  # nothing stored until the answer
    chat.say("RB", "TR")
    assert _owners(chat, 1) == ["TR"]
    chat.say("RB", "chair today LE")
    chat.say("RB", "Action: the Chair to write to Ofsted by 1/7/24")
    assert _owners(chat, 2) == ["LE"]


def test_an_action_returned_as_not_mine_goes_to_the_vice_chair(nochair: Chat) -> None:
    chat = nochair
    chat.at("2024-05-17T10:00:00+01:00")
    chat.say("RB", "meeting start board")
    chat.say("RB", "Action: SMa to circulate the audit by 1/7/24")
    chat.say("RB", "meeting end")
    returned = chat.dm("SMa", "not mine 1")
    assert "goes back to Tom Rees (Children's Safeguarding Partnership Board names no chair)" in returned
    assert "→ TR: Samir Malik returned Board 1" in returned
    assert _owners(chat, 1) == []


def test_the_chairs_digest_goes_to_the_vice_chair_else_the_business_unit(nochair: Chat) -> None:
    chat = nochair
    chat.at("2024-05-10T10:00:00+01:00")
    for series, at in (("board", "10:00"), ("exploitation", "14:00")):
        chat.say("RB", f"bind {series}")
        assert "Friday 24 May 2024" in chat.say("RB", f"next meeting 24/5/24 {at}")
        chat.say("RB", "unbind")
    got = sweep(chat, "2024-05-17T09:05:00+01:00")  # five working days before
    assert "Chair's digest — Children's Safeguarding Partnership Board" in got["TR"]
    assert "The group names no chair" in got["TR"]
    for who in ("RB", "OK"):
        assert "Chair's digest — Tackling Exploitation Group" in got[who]
    with chat.app.sessions() as s:
        claims = sorted(
            s.execute(
                select(Series.key, Person.initials)
                .select_from(NudgeClaim)
                .join(Series, Series.id == NudgeClaim.series_id)
                .join(Person, Person.id == NudgeClaim.recipient_id)
                .where(NudgeClaim.kind == "chair")
            ).all()
        )
    assert claims == [("board", "TR"), ("exploitation", "OK"), ("exploitation", "RB")]


def test_a_seat_by_office_needs_a_series_that_names_its_chair() -> None:
    text = chairless_text().replace(
        "    members: [DA, LE, TR, RB]\n", "    members: [DA, LE, TR, RB, {chair_of: exploitation}]\n", 1
    )
    with pytest.raises(PartnershipFileError) as info:
        parse_partnership(text)
    line = text[: text.index("    members: [DA, LE, TR, RB, {chair_of")].count("\n") + 1
    assert (
        f"line {line}: {{chair_of: exploitation}} in members of series executive: series exploitation "
        "names no chair"
    ) in str(info.value)
