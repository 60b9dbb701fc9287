"""The minutes draft, and approving and correcting minutes at the next meeting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import FIXTURES, Chat, make_app
from docx import Document
from sqlalchemy import select

import handlers.documents  # noqa: F401 - registers the document commands
from storage.models import AuditEvent, Meeting, MinutesCorrection

SCRIPT = (FIXTURES / "board-meeting.script").read_text(encoding="utf-8")


@pytest.fixture
def board(chat: Chat, tmp_path: Path) -> Chat:
    chat.door.files_dir = tmp_path
    chat.script(SCRIPT)
    return chat


def _minutes_docx(chat: Chat, day: str) -> Document:
    # The newest: a draft and, once approved, the approved minutes may both be there.
    path = max(chat.door.files_dir.glob(f"board-minutes-{day}*.docx"), key=lambda p: p.stat().st_mtime_ns)
    return Document(str(path))


def _headings(doc: Document) -> list[tuple[str, str]]:
    return [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]


def _item_text(doc: Document, heading: str) -> list[str]:
    """The paragraphs under a Heading 2, up to the next Heading 2."""
    out: list[str] = []
    inside = False
    for p in doc.paragraphs:
        if p.style.name == "Heading 2":
            inside = p.text == heading
            continue
        if inside and p.text.strip():
            out.append(p.text)
    return out


def _second_meeting(chat: Chat) -> None:
    """The next board meeting, 15 March 2024: quorate, the tracker reviewed, the minutes approved."""
    chat.at("2024-03-15T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE SMa TR HN RB")


def test_minutes_draft_in_chat(board: Chat) -> None:
    said = board.say("RB", "minutes draft")
    assert "Minutes: Children's Safeguarding Partnership Board, Friday 19 January 2024" in said
    assert "Draft: not yet approved." in said
    assert "Chloe Grant (for Tom Rees)" in said and "Bethan Lloyd (for Dev Anand)" in said
    assert "Notes were taken by Paul Mawer, Executive Support Officer (PMw)." in said
    assert "board-minutes-2024-01-19-draft.docx" in said and "board-minutes-2024-01-19-draft.pdf" in said


def test_minutes_docx_follows_the_shape_of_partnership_minutes(board: Chat) -> None:
    board.say("RB", "minutes draft")
    doc = _minutes_docx(board, "2024-01-19")
    assert doc.core_properties.title == (
        "Minutes: Children's Safeguarding Partnership Board, Friday 19 January 2024"
    )
    headings = _headings(doc)
    assert headings[0] == ("Heading 1", "Minutes: Children's Safeguarding Partnership Board")
    items = [text for style, text in headings if style == "Heading 2"]
    # One section per agenda item, numbered as the agenda numbered them, standing items included.
    assert items == [
        "Attendance",
        "1. Welcome and apologies",
        "2. Declarations of interest",
        "3. Minutes and matters arising",
        "4. Action tracker",
        "5. Risk register",
        "6. Matters to escalate to the Executive",
        "7. What difference did today make for children?",
        "8. Any other business",
        "9. Date of next meeting",
    ]
    present = doc.tables[0]
    assert [c.text for c in present.rows[0].cells] == ["Name", "Initials", "Organisation", "Job title"]
    rows = [[c.text for c in r.cells] for r in present.rows[1:]]
    assert rows[0] == ["Miriam Tolley (Chair)", "MT", "Westshire Council", "Executive Director of People"]
    assert [
        "Chloe Grant (for Tom Rees)",
        "CG",
        "Marcia Police",
        "Inspector, Safer Neighbourhood Team",
    ] in rows
    assert not any(r[0].startswith("Rhian Bowen") for r in rows)  # the business unit has its own line
    text = [p.text for p in doc.paragraphs]
    assert "Attending from the Business Unit: Rhian Bowen, Business Manager (RB)." in text
    assert "Lowri Evans left at 10:40 and rejoined at 10:46." in text
    quorum = next(t for t in text if t.startswith("The meeting was quorate from"))
    assert (
        "Quorum was lost at 10:40 (not represented: Westshire and Eastbury Integrated Care Board)" in quorum
    )
    assert "regained at 10:46" in quorum
    assert "1 decision was taken while the meeting was not quorate" in quorum
    absent = [r.cells[0].text for r in doc.tables[1].rows[1:]]
    assert "Gareth Pryce" in absent and "Owen Kaye" in absent
    welcome = _item_text(doc, "1. Welcome and apologies")
    assert "Tom Rees, Detective Superintendent, Marcia Police (Chloe Grant attending)" in welcome
    # Apologies once: under the welcome item, not again with the attendance.
    assert text.count("Tom Rees, Detective Superintendent, Marcia Police (Chloe Grant attending)") == 1
    assert ("Heading 3", "Apologies") not in headings
    assert _item_text(doc, "2. Declarations of interest") == [
        "Hannah Noor: HN has an interest in item 5 (school governor)"
    ]
    # No item was taken during the meeting: what it recorded is any other business, as typed.
    business = _item_text(doc, "8. Any other business")
    assert business[0] == (
        "Decision: the neglect strategy refresh is approved "
        "(taken while the meeting was not quorate: for ratification)"
    )
    assert (
        "Action 1: SMa/PMw to invite the performance lead to the next meeting to present "
        "the Power BI dashboard. Due Fri 15 Mar 2024 (next meeting)." in business
    )
    assert "Update on Action 2: HN has written to the three schools; reply expected next week" in business
    assert _item_text(doc, "5. Risk register") == ["No items were raised."]
    nxt = _item_text(doc, "9. Date of next meeting")
    assert nxt[0] == "Date of the next meeting: Friday 15 March 2024, 10:00–12:00, Westshire House."
    assert "Voice of the Child (Samir Malik)" in nxt


def test_minutes_draft_by_date_and_unknown_dates(board: Chat) -> None:
    assert "Friday 19 January 2024" in board.say("RB", "minutes draft 19/01/24")
    assert "has no closed meeting on Saturday 20 January 2024" in board.say("RB", "minutes draft 20/01/24")
    assert "can't read" in board.say("RB", "minutes draft 45/99/24")


def test_no_minutes_before_a_meeting_closes(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    assert "has no closed meeting yet" in chat.say("MT", "minutes draft")


def test_approve_with_a_correction_at_the_next_meeting(board: Chat) -> None:
    _second_meeting(board)
    said = board.say("SMa", "minutes approve")
    assert "Only the chair" in said
    said = board.say("MT", "minutes correct: Action 3 is owned by the Business Unit and Gareth Pryce")
    assert "Correction to the minutes of Friday 19 January 2024 recorded" in said
    said = board.say("MT", "minutes approve")
    assert "approved as an accurate record, with 1 correction" in said
    assert "already approved" in board.say("MT", "minutes approve")

    with board.app.sessions() as session:
        first, second = session.scalars(
            select(Meeting).where(Meeting.status != "planned").order_by(Meeting.id)
        )
        assert first.minutes_approved_in == second.id
        assert first.minutes_approved_at is not None and first.minutes_approved_by is not None
        (correction,) = session.scalars(select(MinutesCorrection))
        assert (correction.meeting_id, correction.made_in_meeting_id) == (first.id, second.id)
        verbs = [e.verb for e in session.scalars(select(AuditEvent).where(AuditEvent.entity == "minutes"))]
        assert verbs == ["corrected", "approved"]

    board.say("MT", "meeting end")
    board.say("RB", "minutes draft")
    second_doc = _minutes_docx(board, "2024-03-15")
    assert _item_text(second_doc, "3. Minutes and matters arising") == [
        "A correction was made to the minutes: Action 3 is owned by the Business Unit and Gareth Pryce",
        "The minutes of the meeting of Friday 19 January 2024 were then agreed as an accurate record.",
    ]
    said = board.say("RB", "minutes draft 19/01/24")
    assert "Approved at the meeting of Friday 15 March 2024." in said
    first_doc = _minutes_docx(board, "2024-01-19")
    text = [p.text for p in first_doc.paragraphs]
    assert (
        "Correction made at the meeting of Friday 15 March 2024: "
        "Action 3 is owned by the Business Unit and Gareth Pryce" in text
    )


def test_approving_needs_an_open_meeting(board: Chat) -> None:
    assert "No meeting of Children's Safeguarding Partnership Board is open" in board.say(
        "MT", "minutes approve"
    )


def test_tracker_review_and_notes_routed_to_their_items(board: Chat) -> None:
    _second_meeting(board)
    board.say("MT", "action 2 update: all three schools replied; attendance agreed from April")
    board.say("MT", "action 3 done")
    board.say("MT", "note: Voice of the Child: SMa presented the young people's survey")
    board.say("MT", "note: risk register: staffing in the front door team added as a new risk")
    board.say("MT", "note: aob: the summit follow-up is on 26 March")
    board.say("MT", "note: the chair thanked partners for their updates")
    board.say("MT", "meeting end")
    board.say("RB", "minutes draft")
    doc = _minutes_docx(board, "2024-03-15")
    headings = [t for s, t in _headings(doc) if s == "Heading 2"]
    assert headings[1:] == [
        "1. Welcome and apologies",
        "2. Declarations of interest",
        "3. Minutes and matters arising",
        "4. Decisions taken while the meeting was not quorate, for ratification",
        "5. Action tracker",
        "6. Voice of the Child",
        "7. Risk register",
        "8. Matters to escalate to the Executive",
        "9. What difference did today make for children?",
        "10. Any other business",
        "11. Date of next meeting",
    ]
    # The tracker review as minutes print it: the action as captured, its update, its status.
    assert _item_text(doc, "5. Action tracker") == [
        "The action tracker was reviewed; updates given at the meeting are recorded below.",
        "Action 1. SMa/PMw to invite the performance lead to the next meeting to present the Power BI "
        "dashboard.",
        "No update was recorded at the meeting. Action ongoing.",
        "Action 2. HN to tell MT by Monday the 29th of January 2024 why education colleagues are not "
        "attending strategy meetings.",
        "all three schools replied; attendance agreed from April. Action ongoing.",
        "Action 3. Business Unit to resend the neglect survey with a deadline of 9th February 2024.",
        "No update was recorded at the meeting. Action closed (Fri 15 Mar 2024).",
    ]
    assert _item_text(doc, "6. Voice of the Child") == [
        "Presented by Samir Malik.",
        "SMa presented the young people's survey",
    ]
    assert _item_text(doc, "7. Risk register") == ["staffing in the front door team added as a new risk"]
    assert _item_text(doc, "10. Any other business") == [
        "the summit follow-up is on 26 March",
        "the chair thanked partners for their updates",
    ]


# --- a meeting run through its agenda, as the real minutes were written --------------------------------

PRACTICE_SCRIPT = """
@ 2023-07-21T09:00:00+01:00
TM: meeting start practice
TM: present TM EL SM EH DL
PMcL: Action: SM to investigate whether concerns around online harm are coming to Children's Services.
PMcL: Action: EH to look at actions recorded on both the tracker and the Strategic Action Plan.
TM: meeting end
@ 2023-09-22T09:00:00+01:00
TM: meeting start practice
TM: present TM EL SM DL
TM: apologies EH
TM: item 1
TM: next item
TM: minutes correct: Action 2 is owned by Education colleagues
TM: minutes approve
PMcL: Action 1. SM to investigate whether concerns around online harm are coming to Children's Services. No further update. Action ongoing.
PMcL: Action 2: EH has merged the two lists. Action closed.
TM: item 5
PMcL: note: SM shared the CHAT data update
PMcL: Action: SM/PMcL to invite the performance lead to the next meeting to give a PowerBI presentation.
TM: item Strategic Action Plan Review
TM: decision: the plan will be shared for all members to update
TM: item 11
PMcL: note: aob: WB raised the new domestic abuse legislation
TM: meeting end
"""  # noqa: E501 - tracker lines are typed as the minutes have them


@pytest.fixture
def practice(database_url: str, tmp_path: Path) -> Iterator[Chat]:
    application = make_app(database_url, FIXTURES / "agenda-practice.yaml")
    chat = Chat(application)
    chat.door.files_dir = tmp_path
    yield chat
    application.engine.dispose()


def test_minutes_sections_are_the_meetings_agenda_items(practice: Chat) -> None:
    practice.script(PRACTICE_SCRIPT)
    said = practice.say("RB", "minutes draft")
    doc = Document(str(max(practice.door.files_dir.glob("practice-minutes-2023-09-22*.docx"))))
    headings = [text for style, text in _headings(doc) if style == "Heading 2"]
    assert headings == [
        "Attendance",
        "1. Welcome & Introductions",
        "2. Relevant Actions from previous Children's Safeguarding & Protection Practice Oversight Group",
        "3. Children's Safeguarding Summit Update",
        "4. Update from Strategic Governance Group",
        "5. Performance Review",
        "6. Strategic Action Plan Review",
        "7. Children's Statutory Case Review Group Update",
        "8. Risk Register",
        "9. Matters to be Raised to Strategic Governing Group",
        "10. What was discussed today that makes a difference to people's lives?",
        "11. Next Meeting",
        "12. Any other business",  # the agenda has none: what was recorded outside an item goes last
    ]
    text = [p.text for p in doc.paragraphs]
    # The standing text comes after the title and date, before the attendance.
    preamble = text.index(
        "The partnership's minutes take note of discussion, challenge and actions; they are not a full "
        "record of the meeting."
    )
    assert (
        text[preamble + 1] == "Please note that meetings are recorded to support the minuting of the meeting."
    )
    when = next(i for i, t in enumerate(text) if t.startswith("Friday 22 September 2023, 09:00"))
    assert when < preamble < text.index("Attendance")
    assert said.index("they are not a full record") < said.index("Present: Tara Milner (Chair)")
    # The notes are the minute taker's, though nobody marked her present; apologies are listed once.
    assert "Notes were taken by Pippa McLeod, Executive Support Officer to Tara Milner (PMcL)." in text
    apology = "Erin Hardy, Safeguarding Officer, Education, Marchshire Council"
    assert sum(t.count(apology) for t in text) == 1
    assert _item_text(doc, "1. Welcome & Introductions") == [
        "Apologies were received from:",
        apology,
        "No declarations of interest were made.",
    ]
    # The tracker item holds the previous minutes and the review, each action as the minutes print it.
    assert _item_text(
        doc, "2. Relevant Actions from previous Children's Safeguarding & Protection Practice Oversight Group"
    ) == [
        "A correction was made to the minutes: Action 2 is owned by Education colleagues",
        "The minutes of the meeting of Friday 21 July 2023 were then agreed as an accurate record.",
        "The action tracker was reviewed; updates given at the meeting are recorded below.",
        "Action 1. SM to investigate whether concerns around online harm are coming to Children's Services.",
        "No further update. Action ongoing.",
        "Action 2. EH to look at actions recorded on both the tracker and the Strategic Action Plan.",
        "EH has merged the two lists. Action closed (Fri 22 Sep 2023).",
    ]
    assert _item_text(doc, "5. Performance Review") == [
        "SM shared the CHAT data update",
        "Action 3: SM/PMcL to invite the performance lead to the next meeting to give a PowerBI "
        "presentation. Due Wed 22 Nov 2023 (next meeting).",
    ]
    # An item merely titled with "Action" holds only what was recorded under it: no tracker.
    assert _item_text(doc, "6. Strategic Action Plan Review") == [
        "Decision: the plan will be shared for all members to update"
    ]
    assert _item_text(doc, "8. Risk Register") == ["No items were raised."]
    assert _item_text(doc, "12. Any other business")[0] == "WB raised the new domestic abuse legislation"


def test_agenda_pack_lists_the_previous_minutes_and_the_tracker_only_under_its_item(practice: Chat) -> None:
    practice.script(PRACTICE_SCRIPT.split("@ 2023-09-22")[0])
    practice.at("2023-09-01T09:00:00+01:00")
    said = practice.say("RB", "agenda next practice")
    assert "Item 2: Minutes of the previous meeting, Friday 21 July 2023 (draft, for approval)" in said
    doc = Document(str(max(practice.door.files_dir.glob("practice-agenda-*.docx"))))
    rows = {r.cells[0].text: r.cells[1].text for r in doc.tables[0].rows[1:]}
    tracker = rows["2"]
    assert "Minutes of the meeting of Friday 21 July 2023 (draft, for approval)" in tracker
    assert "2 open actions" in tracker
    assert rows["6"] == "Strategic Action Plan Review"  # no tracker summary under it
    assert "open action" not in "".join(v for k, v in rows.items() if k != "2")
    papers = [p.text for p in doc.paragraphs if p.style.name == "List Bullet"]
    assert "Item 2: Minutes of the previous meeting, Friday 21 July 2023 (draft, for approval)" in papers


def test_a_declaration_under_the_welcome_says_what_it_is(practice: Chat) -> None:
    """With no declarations item on the agenda, a declaration goes under the welcome, after its
    apologies: it must read as a declaration, not as one more name of those who sent apologies."""
    practice.script(
        """
@ 2023-09-22T09:00:00+01:00
TM: meeting start practice
TM: present TM EL SM DL
TM: apologies EH
TM: declaration of interest: DL - chairs the police review panel
TM: meeting end
"""
    )
    practice.say("RB", "minutes draft")
    doc = Document(str(max(practice.door.files_dir.glob("practice-minutes-2023-09-22*.docx"))))
    welcome = _item_text(doc, "1. Welcome & Introductions")
    assert welcome[0] == "Apologies were received from:"
    declared = [t for t in welcome if "police review panel" in t]
    assert len(declared) == 1 and declared[0].endswith(
        " declared an interest: DL - chairs the police review panel"
    )
    assert "No declarations of interest were made." not in welcome


def test_a_declaration_typed_as_minutes_put_it_reads_as_they_do(practice: Chat) -> None:
    practice.script(
        """
@ 2023-09-22T09:00:00+01:00
TM: meeting start practice
TM: present TM EL SM DL
TM: DL declared an interest in the police review panel
TM: meeting end
"""
    )
    practice.say("RB", "minutes draft")
    doc = Document(str(max(practice.door.files_dir.glob("practice-minutes-2023-09-22*.docx"))))
    welcome = _item_text(doc, "1. Welcome & Introductions")
    declared = [t for t in welcome if "police review panel" in t]
    name = practice.app.core().roster().people["DL"].name
    assert declared == [f"{name} declared an interest in the police review panel."]
