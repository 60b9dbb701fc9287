"""The agenda pack of the next meeting: chat, Word and the calendar invitation, from the example meeting."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, Chat
from docx import Document
from icalendar import Calendar
from sqlalchemy import select

import handlers.documents  # noqa: F401 - registers the document commands
from storage.models import Attendance, Meeting, Person, Series

SCRIPT = (FIXTURES / "board-meeting.script").read_text(encoding="utf-8")


@pytest.fixture
def board(chat: Chat, tmp_path: Path) -> Chat:
    """The example board meeting, run to its end (the clock is then 8 March 2024, 09:30)."""
    chat.door.files_dir = tmp_path
    chat.script(SCRIPT)
    return chat


def _files(chat: Chat, suffix: str, kind: str = "agenda") -> list[Path]:
    return sorted(chat.door.files_dir.glob(f"*-{kind}-*{suffix}"))


def _ics(chat: Chat) -> Calendar:
    (path,) = _files(chat, ".ics")
    return Calendar.from_ical(path.read_bytes())


def _attendees(cal: Calendar) -> dict[str, object]:
    (event,) = cal.walk("VEVENT")
    return {str(a.params["CN"]): a for a in event.get("ATTENDEE")}


def test_agenda_pack_in_chat(board: Chat) -> None:
    for path in _files(board, ""):  # the script's own pack: these must be written again
        path.unlink()
    said = board.say("RB", "agenda next board")
    assert "Agenda pack: Children's Safeguarding Partnership Board" in said
    assert "Friday 15 March 2024, 10:00–12:00, Westshire House" in said
    assert "Chair: Miriam Tolley · Papers due by Friday 8 March 2024" in said
    assert "Voice of the Child (Samir Malik)" in said
    assert "the neglect strategy refresh is approved" in said  # for ratification
    assert "Overdue (2)" in said and "Due by the meeting (1)" in said
    assert "HN has written to the three schools" in said
    for suffix in (".docx", ".pdf", ".ics"):
        assert f"board-agenda-2024-03-15{suffix}" in said
    # The files named were written, and the invitation is a calendar event for that meeting.
    assert [p.name for p in _files(board, "")] == [
        "board-agenda-2024-03-15.docx",
        "board-agenda-2024-03-15.ics",
        "board-agenda-2024-03-15.pdf",
    ]
    (event,) = _ics(board).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2024, 3, 15, 10, 0, tzinfo=UTC)


def test_agenda_order_puts_items_before_the_closing_standing_items(board: Chat) -> None:
    board.say("RB", "agenda next board")
    (docx,) = _files(board, ".docx")
    doc = Document(str(docx))
    agenda = doc.tables[0]
    assert [c.text for c in agenda.rows[0].cells] == ["No.", "Item", "Lead", "Time or paper"]
    titles = [row.cells[1].text.split("\n")[0] for row in agenda.rows[1:]]
    assert titles == [
        "Welcome and apologies",
        "Declarations of interest",
        "Minutes and matters arising",
        "Decisions for ratification",
        "Action tracker",
        "Voice of the Child",
        "Risk register",
        "Matters to escalate to the Executive",
        "What difference did today make for children?",
        "Any other business",
        "Date of next meeting",
    ]
    numbers = [row.cells[0].text for row in agenda.rows[1:]]
    assert numbers == [str(n) for n in range(1, 12)]
    voice = agenda.rows[6].cells
    assert voice[2].text == "Samir Malik"
    minutes_note = agenda.rows[3].cells[1].text
    assert "Minutes of the meeting of Friday 19 January 2024 (draft, for approval)" in minutes_note


def test_agenda_docx_holds_the_tracker_grouped_for_the_chair(board: Chat) -> None:
    board.say("RB", "agenda next board")
    (docx,) = _files(board, ".docx")
    doc = Document(str(docx))
    headings = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert headings[0] == ("Heading 1", "Agenda: Children's Safeguarding Partnership Board")
    assert ("Heading 2", "Action tracker") in headings
    assert ("Heading 3", "Overdue (2, Red)") in headings
    assert ("Heading 3", "Due by the meeting (1, Amber)") in headings
    ratify = doc.tables[1]
    assert ratify.rows[1].cells[1].text == "the neglect strategy refresh is approved"
    overdue = doc.tables[2]
    assert [c.text for c in overdue.rows[0].cells] == [
        "No.",
        "Action",
        "Owners",
        "Due",
        "Status",
        "Latest update",
    ]
    rows = [[c.text for c in r.cells] for r in overdue.rows[1:]]
    assert rows[0][:4] == [
        "2",
        "tell MT why education colleagues are not attending strategy meetings",
        "Hannah Noor",
        "Mon 29 Jan 2024",
    ]
    assert rows[0][4] == "Ongoing, Red"  # overdue
    assert rows[0][5] == "HN has written to the three schools; reply expected next week (Fri 19 Jan 2024)"
    assert rows[1][:3] == ["3", "resend the neglect survey", "Business Unit"]
    assert rows[1][4:] == ["Ongoing, Red", "No update yet"]
    due = doc.tables[3]
    assert due.rows[1].cells[3].text == "Fri 15 Mar 2024 (next meeting)"


def test_closed_actions_are_listed_briefly(board: Chat) -> None:
    board.say("HN", "action 2 done")
    said = board.say("RB", "agenda next board")
    assert "Closed since the last meeting: 2" in said
    assert "2 open actions: 1 overdue, 1 due by the meeting. 1 closed since the last meeting." in said
    doc = Document(str(_files(board, ".docx")[0]))
    closed = doc.tables[-1]
    assert [c.text for c in closed.rows[1].cells][:3] == [
        "2",
        "tell MT why education colleagues are not attending strategy meetings",
        "Hannah Noor",
    ]
    assert closed.rows[1].cells[3].text == "Closed Fri 8 Mar 2024"


def test_invitation_has_a_stable_uid_and_a_sequence_that_grows(board: Chat) -> None:
    board.say("RB", "agenda next board")
    first = _ics(board)
    assert str(first["METHOD"]) == "REQUEST"
    (event,) = first.walk("VEVENT")
    uid = str(event["UID"])
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == datetime(2024, 3, 15, 10, 0, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2024, 3, 15, 12, 0, tzinfo=UTC)
    assert str(event["LOCATION"]) == "Westshire House"
    assert "6. Voice of the Child (Samir Malik)" in str(event["DESCRIPTION"])
    people = _attendees(first)
    assert people["Miriam Tolley"].params["ROLE"] == "CHAIR"
    assert people["Lowri Evans"].params["ROLE"] == "REQ-PARTICIPANT"
    assert str(people["Lowri Evans"]) == "mailto:lowri.evans@icb.example"
    assert people["Paul Mawer"].params["ROLE"] == "REQ-PARTICIPANT"  # the minute taker
    assert str(event["ORGANIZER"]) == "mailto:rhian.bowen@westshire.example"

    board.say("RB", "agenda next board")  # the same meeting, unchanged: same UID, same SEQUENCE
    (again,) = _ics(board).walk("VEVENT")
    assert str(again["UID"]) == uid and int(again["SEQUENCE"]) == 0

    said = board.say("MT", "next meeting Friday 15 March 2024 14:00-16:00 at Westshire House")
    assert "14:00–16:00" in said
    board.say("RB", "agenda next board")
    (moved,) = _ics(board).walk("VEVENT")
    assert str(moved["UID"]) == uid
    assert int(moved["SEQUENCE"]) == 1
    assert moved.decoded("DTSTART") == datetime(2024, 3, 15, 14, 0, tzinfo=UTC)


def test_apologies_sent_ahead_show_in_the_pack_and_as_delegations(board: Chat) -> None:
    # Apologies for a coming meeting are attendance rows of the planned meeting (`apologies next` to come).
    with board.app.sessions() as session, session.begin():
        series = session.scalars(select(Series).where(Series.key == "board")).one()
        planned = session.scalars(
            select(Meeting).where(Meeting.series_id == series.id, Meeting.status == "planned")
        ).one()
        ids = {p.initials: p.id for p in session.scalars(select(Person))}
        now = datetime(2024, 3, 7, 12, 0, tzinfo=UTC)
        for initials, status, deputy_for in (
            ("TR", "apologies", None),
            ("CG", "deputy", "TR"),
            ("NF", "apologies", None),
        ):
            session.add(
                Attendance(
                    meeting_id=planned.id,
                    person_id=ids[initials],
                    status=status,
                    deputy_for_id=ids[deputy_for] if deputy_for else None,
                    updated_at=now,
                    movements=[],
                )
            )
    said = board.say("RB", "agenda next board")
    assert "Apologies received" in said
    assert "Tom Rees, Detective Superintendent, Marcia Police (Chloe Grant attending)" in said
    assert "Nadia Frost, Head of Service, Probation Service" in said
    people = _attendees(_ics(board))
    tom, chloe, nadia = people["Tom Rees"], people["Chloe Grant"], people["Nadia Frost"]
    assert tom.params["PARTSTAT"] == "DELEGATED"
    assert tom.params["DELEGATED-TO"] == str(chloe)
    assert chloe.params["DELEGATED-FROM"] == "mailto:tom.rees@marcia-police.example"
    assert chloe.params["ROLE"] == "REQ-PARTICIPANT"
    assert nadia.params["PARTSTAT"] == "DECLINED"


def test_carried_forward_item_and_withdrawn_item(board: Chat) -> None:
    board.say("SMa", 'agenda add "Neglect audit findings" presenter LE')
    board.at("2024-03-15T10:00:00+00:00")
    board.say("MT", "meeting start board")
    said = board.say("MT", 'agenda carry "Voice of the Child"')
    assert "carried forward" in said
    said = board.say("MT", "agenda withdraw Neglect audit")
    assert "“Neglect audit findings” is off the agenda" in said
    board.say("MT", "meeting end")
    said = board.say("RB", "agenda next board")
    assert "Friday 17 May 2024" in said and "date proposed by the cadence" in said
    assert "Voice of the Child (Samir Malik), carried forward" in said
    assert "Neglect audit findings" not in said
    # Only proposed by the cadence: no invitation; the one written before is the March meeting's.
    assert "calendar invitation" not in said
    assert [p.name for p in _files(board, ".docx")][-1] == "board-agenda-2024-05-17.docx"
    assert [p.name for p in _files(board, ".ics")] == ["board-agenda-2024-03-15.ics"]
    minutes = board.say("RB", "minutes draft")
    assert "Voice of the Child" in minutes
    assert "Not taken at this meeting: carried forward to the next meeting." in minutes


def test_agenda_of_a_series_with_no_date_set(board: Chat) -> None:
    said = board.say("TR", "agenda next exploitation")
    assert "Agenda pack: Tackling Exploitation Group" in said
    assert "date proposed by the cadence" in said
    assert "calendar invitation" not in said  # no date set: nothing to invite to
    assert "Wednesday 8 May 2024" in said
    assert [p.name for p in _files(board, "") if p.name.startswith("exploitation")] == [
        "exploitation-agenda-2024-05-08.docx",
        "exploitation-agenda-2024-05-08.pdf",
    ]
    assert "1. Welcome and apologies" in said and "3. Any other business" in said


def test_agenda_needs_a_member(board: Chat) -> None:
    said = board.say("NF", "agenda next exploitation")
    assert "Only members of Tackling Exploitation Group" in said


def _tables_by_heading(doc: Document) -> dict[str, list[list[str]]]:
    """Each Heading 3 of the pack with the rows of the table that follows it."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    out: dict[str, list[list[str]]] = {}
    heading = ""
    for child in doc.element.body.iterchildren():
        if child.tag.endswith("}p"):
            para = Paragraph(child, doc)
            if para.style is not None and para.style.name == "Heading 3":
                heading = para.text
        elif child.tag.endswith("}tbl") and heading:
            out[heading] = [[c.text for c in r.cells] for r in Table(child, doc).rows[1:]]
            heading = ""
    return out


def test_an_undated_action_with_no_real_update_is_not_listed_as_on_track(board: Chat) -> None:
    board.say("PMw", "Action: RB to map the early help offer")
    with board.app.sessions() as s:
        number = s.scalars(select(Series.last_action_number).where(Series.key == "board")).one()
    board.say("RB", f"action {number} update: No further update.")
    board.say("RB", "agenda next board")
    (docx,) = _files(board, ".docx")
    groups = _tables_by_heading(Document(str(docx)))
    attention = groups["Needs a date or a real update (1, Amber)"]
    assert [r[:5] for r in attention] == [
        [str(number), "map the early help offer", "Rhian Bowen", "No date", "Ongoing, Amber"]
    ]
    on_track = next((rows for h, rows in groups.items() if h.startswith("On track")), [])
    assert str(number) not in [r[0] for r in on_track]


def test_the_invitation_alone(board: Chat) -> None:
    for path in _files(board, ""):
        path.unlink()
    said = board.dm("RB", "send the invite for the next board meeting")
    assert "The calendar invitation for the next meeting of Children's Safeguarding Partnership Board" in said
    assert "Friday 15 March 2024 10:00" in said
    # The invitation only: no Word or PDF written.
    assert [p.name for p in _files(board, "")] == ["board-agenda-2024-03-15.ics"]
    (event,) = _ics(board).walk("VEVENT")
    assert event.decoded("DTSTART") == datetime(2024, 3, 15, 10, tzinfo=UTC)
    assert "Miriam Tolley" in _attendees(_ics(board))
    assert board.dm("RB", "calendar invite for board please") == said


def test_no_invitation_without_a_next_meeting(chat: Chat) -> None:
    said = chat.dm("RB", "invite board")
    assert "has no date and time set" in said and "next meeting DATE TIME" in said
    assert not list(chat.door.files_dir.glob("*.ics"))
