"""What a series' terms may say: terms of reference, an end date, members by office; and the chair
answering for a deputy chosen on the day, and "chair" named as an owner on the meeting's date."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import EXAMPLE, Chat, chat_over
from sqlalchemy import func, select
from test_deputies_on_the_day import LEE

from storage.models import (
    Action,
    ActionOwner,
    ActionUpdate,
    Attendance,
    AuditEvent,
    Meeting,
    PendingQuestion,
    Person,
    Series,
)
from storage.nudge_models import NudgeClaim
from storage.partnership_file import PartnershipFileError, parse_partnership

# The Tackling Exploitation Group was set up until the end of March 2024, reporting to the Board.
TEG_ENDS = (
    "    standing_items: [Welcome and apologies, Action tracker, Any other business]\n"
    "    ends: 2024-03-31\n"
    "    escalates_to: board\n"
    "    terms_of_reference: https://westshire.example/teg/terms-of-reference.pdf\n"
)
TEG = "    standing_items: [Welcome and apologies, Action tracker, Any other business]\n"
# The Board's chair passes from Miriam Tolley to Samir Malik every 18 months from April 2024.
ROTATION = "    chair_rotation: {chairs: [MT, SMa], months: 18, from: 2024-04-01}\n"


def _board_rotates(text: str) -> str:
    board = text.index("  - id: board")
    return text[:board] + text[board:].replace("    chair: MT\n", ROTATION, 1)


@pytest.fixture
def ended(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    yield from chat_over(database_url, tmp_path, EXAMPLE.read_text().replace(TEG, TEG_ENDS, 1))


@pytest.fixture
def by_office(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    # The Executive seats whoever chairs the Board.
    text = _board_rotates(EXAMPLE.read_text()).replace(
        "members: [DA, LE, TR, RB]", "members: [DA, LE, TR, RB, {chair_of: board}]", 1
    )
    yield from chat_over(database_url, tmp_path, text)


@pytest.fixture
def rotating_on_the_day(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    text = _board_rotates(EXAMPLE.read_text().replace("series:\n", LEE + "series:\n", 1)).replace(
        "    deputies: {TR: [CG], DA: [BLl]}\n",
        "    deputies: {TR: [CG], DA: [BLl]}\n    deputies_on_the_day: true\n",
        1,
    )
    yield from chat_over(database_url, tmp_path, text)


def _count(chat: Chat, model: type, *where: object) -> int:
    with chat.app.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _teg_action(chat: Chat, number: int) -> Action:
    with chat.app.sessions() as s:
        return s.scalars(
            select(Action)
            .join(Series, Series.id == Action.series_id)
            .where(Series.key == "exploitation", Action.number == number)
        ).one()


def _owner(chat: Chat, series: str, number: int) -> str:
    with chat.app.sessions() as s:
        return s.scalars(
            select(Person.initials)
            .join(ActionOwner, ActionOwner.person_id == Person.id)
            .join(Action, Action.id == ActionOwner.action_id)
            .join(Series, Series.id == Action.series_id)
            .where(Series.key == series, Action.number == number)
        ).one()


# --- the file -----------------------------------------------------------------------------------------


def test_the_file_refuses_bad_terms_with_the_line() -> None:
    text = EXAMPLE.read_text().replace(TEG, TEG_ENDS, 1)
    bad = (
        text.replace("https://westshire.example/teg/terms-of-reference.pdf", "http://westshire.example/tor")
        .replace("ends: 2024-03-31", "ends: 31/03/2024")
        .replace(
            "members: [DA, LE, TR, RB]", "members: [DA, LE, TR, RB, {chair_of: bored}, {chair_of: executive}]"
        )
    )
    with pytest.raises(PartnershipFileError) as err:
        parse_partnership(bad)
    said = [str(p) for p in err.value.problems]
    assert len(said) == 4, said
    assert any(re.match(r"line \d+: terms_of_reference of series exploitation .* https://", p) for p in said)
    assert any(
        re.match(r"line \d+: ends of series exploitation '31/03/2024' must be a date", p) for p in said
    )
    assert any("unknown series 'bored' for chair_of in members of series executive" in p for p in said)
    assert any(
        "{chair_of: executive} in members of series executive names the series' own chair" in p for p in said
    )
    # An end needs somewhere for the group's open actions to go.
    with pytest.raises(PartnershipFileError) as err:
        parse_partnership(text.replace("    escalates_to: board\n    terms", "    terms", 1))
    assert "ends on 2024-03-31 but has no escalates_to" in str(err.value.problems[0])
    spec = {s.id: s for s in parse_partnership(text).series}
    assert spec["exploitation"].ends == date(2024, 3, 31)
    assert spec["exploitation"].terms_of_reference == "https://westshire.example/teg/terms-of-reference.pdf"


# --- a group that has ended ------------------------------------------------------------------------------


def test_an_ended_group_is_read_only_and_its_actions_go_to_the_parent_chair(ended: Chat) -> None:
    chat = ended
    chat.at("2024-03-01T10:00:00+00:00")
    chat.say("TR", "meeting start exploitation")
    assert "Action 1" in chat.say("TR", "Action: KB to review the referral pathway by 12/04/24")
    chat.say("TR", "meeting end")
    meetings, updates = _count(chat, Meeting), _count(chat, ActionUpdate)
    # Before the end the Board's chair sees nothing of it.
    before_end = chat.dm("MT", "digest board")
    assert "Exploitation 1" not in before_end and "Exploitation Group 1" not in before_end

    chat.at("2024-04-02T10:00:00+01:00")  # the group ended on Sunday 31 March
    after = chat.now
    out = chat.say("TR", "meeting start exploitation")
    assert "Tackling Exploitation Group ended on Sunday 31 March 2024" in out
    assert "listed to the chair of Children's Safeguarding Partnership Board (Miriam Tolley)" in out
    assert _count(chat, Meeting) == meetings
    assert "ended on" in chat.say("TR", "Action: KB to write to the schools by Friday")
    assert "ended on" in chat.say("TR", "present TR KB")
    assert "ended on" in chat.say("TR", "action 1 update: pathway drafted")
    assert "ended on" in chat.dm("KB", "exploitation 1 done")
    assert "ended on" in chat.dm("KB", "done 1")  # found among their own actions, by number
    assert _teg_action(chat, 1).status == "open"
    assert _count(chat, Action) == 1 and _count(chat, ActionUpdate) == updates
    assert (
        _count(chat, Meeting) == meetings and _count(chat, Attendance, Attendance.meeting_id > meetings) == 0
    )
    # Nothing changed, so nothing was audited.
    with chat.app.sessions() as s:
        verbs = list(
            s.scalars(
                select(AuditEvent.verb).where(AuditEvent.at >= after, AuditEvent.actor != "partnership file")
            )
        )
    assert verbs == []
    # Reading still works, and `help` says why nothing else does.
    assert "ended on Sunday 31 March 2024: its record can be read, not changed" in chat.say("TR", "help")
    assert "review the referral pathway" in chat.say("TR", "actions")
    assert "review the referral pathway" in chat.dm("KB", "action exploitation 1")
    # The Board's chair sees the open action in their digest.
    digest = chat.dm("MT", "digest board")
    assert "Open actions of groups that have ended and report to Children's Safeguarding" in digest
    assert "• Exploitation 1 “review the referral pathway” (Kieran Blake)" in digest
    assert "Tackling Exploitation Group ended on Sun 31 Mar 2024" in digest


def test_no_reminders_for_an_ended_group(ended: Chat) -> None:
    chat = ended
    chat.at("2024-03-01T10:00:00+00:00")
    chat.say("TR", "meeting start exploitation")
    chat.say("TR", "Action: KB to review the referral pathway by 12/04/24")
    chat.say("TR", "meeting end")
    # The Board meets in its own channel (this one is the exploitation group's).
    board = Chat(chat.app, channel="board-channel")
    board.door.files_dir = chat.door.files_dir
    board.at("2024-03-01T11:00:00+00:00")
    assert "now bound" in board.say("MT", "bind board")
    board.say("MT", "meeting start board")
    assert "Action 1" in board.say("MT", "Action: HN to circulate the audit report by 12/04/24")
    board.say("MT", "meeting end")
    # Friday 5 April, 7 days before both are due: the Board's owner hears, the ended group's does not.
    chat.at("2024-04-05T11:00:00+01:00")
    out = chat.script("! sweep")
    assert "→ HN:" in out and "→ KB:" not in out
    teg = _teg_action(chat, 1)
    assert _count(chat, NudgeClaim, NudgeClaim.action_id == teg.id) == 0
    assert _count(chat, NudgeClaim, NudgeClaim.action_id != teg.id) == 1


# --- members by office ------------------------------------------------------------------------------------


def _absent(chat: Chat, meeting_id: int) -> list[str]:
    with chat.app.sessions() as s:
        return sorted(
            s.scalars(
                select(Person.initials)
                .join(Attendance, Attendance.person_id == Person.id)
                .where(Attendance.meeting_id == meeting_id, Attendance.status == "absent")
            )
        )


def test_a_member_by_office_follows_the_chair_of_the_day(by_office: Chat) -> None:
    chat = by_office
    # May 2024: Miriam Tolley chairs the Board, so sits on the Executive; Samir Malik does not.
    chat.at("2024-05-17T10:00:00+01:00")
    assert "Only members" in chat.say("SMa", "actions executive")
    assert "Only members" not in chat.say("MT", "actions executive")
    chat.say("DA", "meeting start executive")
    chat.say("DA", "present DA LE TR RB")
    chat.say("DA", "meeting end")
    # November 2025: the rotation has turned; Samir Malik chairs the Board and sits on the Executive.
    chat.at("2025-11-21T10:00:00+00:00")
    assert "Only members" in chat.say("MT", "actions executive")
    assert "Only members" not in chat.say("SMa", "actions executive")
    chat.say("DA", "meeting start executive")
    chat.say("DA", "present DA LE TR RB")
    chat.say("DA", "meeting end")
    with chat.app.sessions() as s:
        first, second = s.scalars(select(Meeting.id).order_by(Meeting.id))
    # The members not recorded are stored as not in attendance: the office holder of each date.
    assert _absent(chat, first) == ["MT"]
    assert _absent(chat, second) == ["SMa"]


# --- the chair answers about a deputy chosen on the day ------------------------------------------------


def test_the_deputy_question_goes_to_the_meetings_chair(rotating_on_the_day: Chat) -> None:
    chat = rotating_on_the_day
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("RB", "meeting start board")
    chat.say("RB", "present MT LE")
    out = chat.say("RB", "LMa for TR")
    assert "Question for Miriam Tolley: Is Lee Marsh authorised to act for Tom Rees?" in out
    with chat.app.sessions() as s:
        asked = list(s.scalars(select(PendingQuestion.asker)))
    assert asked == ["MT"]  # the chair's queue, not the business manager's
    assert "not one of the options" not in chat.say("RB", "yes")  # RB has no question: not an answer
    assert _authorised(chat) is None
    assert "authorised by the chair" in chat.say("MT", "yes")
    assert _authorised(chat) is True
    assert _count(chat, PendingQuestion) == 0


def test_the_chair_typing_the_deputy_is_asked_as_before(rotating_on_the_day: Chat) -> None:
    chat = rotating_on_the_day
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    out = chat.say("MT", "LMa for TR")
    assert "Is Lee Marsh authorised" in out and "Question for" not in out
    with chat.app.sessions() as s:
        assert list(s.scalars(select(PendingQuestion.asker))) == ["MT"]


def _authorised(chat: Chat) -> bool | None:
    with chat.app.sessions() as s:
        return s.scalars(
            select(Attendance.authorised)
            .join(Person, Person.id == Attendance.person_id)
            .where(Person.initials == "LMa")
        ).one()


# --- "chair" named as an owner: the chair of the meeting's date -----------------------------------------


def test_chair_as_an_owner_is_the_chair_of_the_meetings_date(rotating_on_the_day: Chat) -> None:
    chat = rotating_on_the_day
    chat.at("2024-05-17T10:00:00+01:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "Action: chair to write to the ICB by 31/05/24")
    chat.say("MT", "meeting end")
    chat.at("2025-11-21T10:00:00+00:00")
    chat.say("SMa", "meeting start board")
    chat.say("SMa", "Action: chair to write to the police by 28/11/25")
    assert _owner(chat, "board", 1) == "MT"
    assert _owner(chat, "board", 2) == "SMa"


# --- terms of reference ------------------------------------------------------------------------------


def test_terms_of_reference_in_the_agenda_pack_and_help(ended: Chat, tmp_path: Path) -> None:
    chat = ended
    url = "https://westshire.example/teg/terms-of-reference.pdf"
    chat.at("2024-02-01T10:00:00+00:00")
    pack = chat.say("TR", "agenda next exploitation")
    assert f"Terms of reference: {url}" in pack
    from docx import Document

    word = next(tmp_path.glob("*.docx"))
    assert any(p.text == f"Terms of reference: {url}" for p in Document(str(word)).paragraphs)
    from pypdf import PdfReader

    pdf = PdfReader(str(next(tmp_path.glob("*.pdf"))))
    assert url in "".join((page.extract_text() or "") for page in pdf.pages).replace("\n", "")
    # `help` shows it to the group's members, in its channel and in a direct message; not to others.
    chat.say("TR", "bind exploitation")
    assert f"Terms of reference of Tackling Exploitation Group: {url}" in chat.say("KB", "help")
    assert f"Terms of reference of Tackling Exploitation Group: {url}" in chat.dm("KB", "help")
    assert "Terms of reference" not in chat.dm("DA", "help")
    # The Board's pack lists the group's open actions once it has ended; not before.
    chat.say("TR", "meeting start exploitation")
    chat.say("TR", "Action: KB to review the referral pathway by 12/04/24")
    chat.say("TR", "meeting end")
    assert "Open actions of Tackling Exploitation Group" not in chat.say("MT", "agenda next board")
    chat.at("2024-04-02T10:00:00+01:00")
    pack = chat.say("MT", "agenda next board")
    assert "Open actions of Tackling Exploitation Group, which ended on Sunday 31 March 2024 (1)" in pack
    assert "• 1. review the referral pathway · Kieran Blake · due Fri 12 Apr 2024" in pack


def test_the_group_closes_after_its_last_day_in_the_partnerships_time_zone(ended: Chat) -> None:
    chat = ended
    # 22:30 UTC on 31 March 2024 is 23:30 in London (summer time began that morning): still its last day.
    chat.at("2024-03-31T22:30:00+00:00")
    assert "is open" in chat.say("TR", "meeting start exploitation")
    chat.say("TR", "meeting end")
    # An hour later it is 1 April in London: the group has ended, though it is still 31 March in UTC.
    chat.at("2024-03-31T23:30:00+00:00")
    assert "ended on Sunday 31 March 2024" in chat.say("TR", "meeting start exploitation")
    assert _count(chat, Meeting) == 1


def test_a_meeting_left_open_past_the_end_can_still_be_closed(ended: Chat) -> None:
    chat = ended
    chat.at("2024-03-31T15:00:00+01:00")
    chat.say("TR", "meeting start exploitation")
    chat.say("TR", "present TR KB")
    chat.at("2024-04-01T09:00:00+01:00")  # the next morning, the group has ended
    assert "ended on" in chat.say("TR", "present SMa")
    chat.say("TR", "meeting end")
    with chat.app.sessions() as s:
        meeting = s.scalars(select(Meeting).order_by(Meeting.id.desc())).first()
        assert meeting is not None and meeting.status == "closed"
