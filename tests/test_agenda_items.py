"""Agenda items during the meeting: `item 3`, `item TITLE`, `next item`, records filed under the
current item, which item reviews the tracker, and tracker lines read as updates of their action."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from conftest import FIXTURES, Chat, make_app
from sqlalchemy import select

from bot.app import App
from handlers.agenda import tracker_position
from handlers.context import Request
from handlers.tracker_review import read_line
from storage.models import (
    Action,
    ActionUpdate,
    AgendaItem,
    Attendance,
    AuditEvent,
    Decision,
    Declaration,
    Meeting,
    Note,
    PendingQuestion,
    Person,
)
from storage.partnership_file import PartnershipFileError, parse_partnership

PRACTICE = FIXTURES / "agenda-practice.yaml"

# The July meeting raises three actions; the September one reviews them, as the minutes have it.
JULY = """
@ 2023-07-21T09:00:00+01:00
TM: meeting start practice
TM: present TM EL SM EH DL
PMcL: Action: Health colleagues to inform TM by Monday the 24th of July 2023 the reasons why Health colleagues are not being represented at Safeguarding meetings with Compass.
PMcL: Action: SM to investigate whether concerns around online harm are coming to Children's Services or whether this is being dealt with within schools.
PMcL: Action: EH to look at actions that are recorded on both the tracker and the Strategic Action Plan to see whether they can be amalgamated.
TM: meeting end
@ 2023-09-22T09:00:00+01:00
TM: meeting start practice
TM: present TM EL SM EH DL
"""  # noqa: E501 - action lines are typed as the minutes have them


@pytest.fixture
def practice_app(database_url: str) -> Iterator[App]:
    application = make_app(database_url, PRACTICE)
    yield application
    application.engine.dispose()


@pytest.fixture
def practice(practice_app: App) -> Chat:
    """The September meeting of the practice group, open, after the July one raised actions 1–3."""
    chat = Chat(practice_app)
    chat.script(JULY)
    return chat


def _item_ids(chat: Chat) -> dict[str, int]:
    """The open meeting's agenda rows by title."""
    with chat.app.sessions() as s:
        meeting = s.scalars(select(Meeting).where(Meeting.status == "open")).one()
        return {
            r.title: r.id for r in s.scalars(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id))
        }


def _current(chat: Chat) -> int | None:
    with chat.app.sessions() as s:
        return s.scalars(select(Meeting.current_item_id).where(Meeting.status == "open")).one()


# --- making an item current ----------------------------------------------------------------------------


def test_item_by_number_title_prefix_and_next(practice: Chat) -> None:
    ids = _item_ids(practice)
    assert len(ids) == 11  # the standing items became the meeting's own rows when it opened
    said = practice.say("TM", "item 3")
    assert "Item 3: Children's Safeguarding Summit Update." in said
    assert _current(practice) == ids["Children's Safeguarding Summit Update"]

    assert "Item 5: Performance Review." in practice.say("TM", "item performance review")
    assert _current(practice) == ids["Performance Review"]
    assert "Item 4: Update from Strategic Governance Group." in practice.say("TM", "item update from")
    said = practice.say("TM", "next item")
    assert "Item 5: Performance Review." in said
    assert "Item 6: Strategic Action Plan Review." in practice.say("TM", "next item")
    assert _current(practice) == ids["Strategic Action Plan Review"]
    assert "Now: Item 6: Strategic Action Plan Review." in practice.say("TM", "item")

    said = practice.say("TM", "item children's")
    assert "could be item 3 (Children's Safeguarding Summit Update) or item 7" in said
    assert "No agenda item is called “Voice of the Child”" in practice.say("TM", "item Voice of the Child")
    assert "The agenda has items 1 to 11" in practice.say("TM", "item 12")
    assert _current(practice) == ids["Strategic Action Plan Review"]  # nothing changed

    practice.say("TM", "item 11")
    assert "is the last item on the agenda" in practice.say("TM", "next item")
    with practice.app.sessions() as s:
        taken = [
            e.after["item"] for e in s.scalars(select(AuditEvent).where(AuditEvent.verb == "item taken"))
        ]
    assert taken == [3, 5, 4, 5, 6, 11]


def test_item_by_number_with_the_title_as_the_chair_recalls_it(practice: Chat) -> None:
    ids = _item_ids(practice)
    said = practice.say("TM", "item 5 the performance review")
    assert "Item 5: Performance Review." in said
    assert _current(practice) == ids["Performance Review"]
    said = practice.say("TM", "item 6: action plan review")
    assert "Item 6: Strategic Action Plan Review." in said
    assert _current(practice) == ids["Strategic Action Plan Review"]
    # A title that is not the numbered item's changes nothing and says which item it sounds like.
    said = practice.say("TM", "item 4 performance review")
    assert "Item 4 is “Update from Strategic Governance Group”, not “performance review”" in said
    assert "sounds like item 5 (Performance Review)" in said and "Nothing changed" in said
    assert _current(practice) == ids["Strategic Action Plan Review"]
    with practice.app.sessions() as s:
        taken = [
            e.after["item"] for e in s.scalars(select(AuditEvent).where(AuditEvent.verb == "item taken"))
        ]
    assert taken == [5, 6]


def test_declarations_in_the_minutes_english_and_none(practice: Chat) -> None:
    said = practice.say("TM", "Declarations of interest: none")
    assert "No declarations of interest" in said
    with practice.app.sessions() as s:
        assert s.scalars(select(Declaration)).all() == []  # "none" is nobody's declaration
    said = practice.say("PMcL", "EH declared an interest in item 5 as a school governor")
    assert "Declaration of interest recorded for" in said
    said = practice.say("TM", "declarations: nil")
    assert "1 declaration of interest is already recorded for this meeting. Nothing changed." in said
    with practice.app.sessions() as s:
        rows = s.scalars(select(Declaration)).all()
        assert [r.text for r in rows] == ["EH declared an interest in item 5 as a school governor"]
        people = {p.id: p.initials for p in s.scalars(select(Person))}
        assert people[rows[0].person_id] == "EH"


def test_items_asked_for_the_meeting_are_numbered_as_the_pack_numbers_them(practice_app: App) -> None:
    chat = Chat(practice_app)
    chat.script(JULY.split("@ 2023-09-22")[0])
    chat.say("SM", 'agenda add "Voice of the Child" presenter EH')
    chat.at("2023-09-22T08:00:00+01:00")
    pack = chat.say("TM", "agenda next practice")
    assert "8. Voice of the Child (Erin Hardy)" in pack and "9. Risk Register" in pack
    chat.say("TM", "meeting start practice")
    assert "Item 8: Voice of the Child, presented by Erin Hardy." in chat.say("TM", "item 8")
    assert "Item 9: Risk Register." in chat.say("TM", "next item")


def test_only_the_chair_team_takes_items_and_only_in_a_meeting(practice: Chat) -> None:
    assert "Only the chair" in practice.say("EL", "item 2")
    practice.say("TM", "meeting end")
    assert "No meeting of" in practice.say("TM", "item 2")


# --- what is recorded under an item ------------------------------------------------------------------


def test_records_are_filed_under_the_current_item(practice: Chat) -> None:
    ids = _item_ids(practice)
    practice.say("PMcL", "note: before any item is taken")
    practice.say("TM", "item Performance Review")
    assert "under item 5, Performance Review" in practice.say("PMcL", "note: SM shared the CHAT data update")
    practice.say("TM", "decision: the group will agree the data it wants to see")
    practice.say("EH", "declaration: EH is a governor of a school in the data")
    practice.say("PMcL", "Action: SM/PMcL to invite the performance lead to the next meeting")
    practice.say("TM", "action 2 update: schools are reporting online harm to the front door")
    practice.say("TM", "item 3")
    said = practice.say("PMcL", "note: Performance Review: TM thanked SM for the data")
    assert "under item 5, Performance Review" in said
    practice.say("PMcL", "note: item 4: the governance group has not met")

    review = ids["Performance Review"]
    with practice.app.sessions() as s:
        notes = {n.text: n.agenda_item_id for n in s.scalars(select(Note))}
        assert notes == {
            "before any item is taken": None,
            "SM shared the CHAT data update": review,
            "TM thanked SM for the data": review,  # the label names the item; it is not kept in the text
            "the governance group has not met": ids["Update from Strategic Governance Group"],
        }
        assert s.scalars(select(Decision.agenda_item_id)).one() == review
        assert s.scalars(select(Declaration.agenda_item_id)).one() == review
        action = s.scalars(select(Action).where(Action.number == 4)).one()
        assert action.agenda_item_id == review
        created = s.scalars(select(ActionUpdate).where(ActionUpdate.kind == "created")).all()
        assert [u.agenda_item_id for u in created] == [None, None, None, review]
        update = s.scalars(select(ActionUpdate).where(ActionUpdate.kind == "update")).one()
        assert update.agenda_item_id == review and update.text.startswith("schools are reporting")


# --- which item reviews the tracker --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("titles", "configured", "expected"),
    [
        (["Welcome", "Action tracker", "Any other business"], None, 1),
        (["Welcome", "Relevant Actions from previous Children's Practice Group", "AOB"], None, 1),
        (["Welcome", "Action log", "AOB"], None, 1),
        (["Welcome", "Matters arising", "AOB"], None, 1),
        # the tracker's own name wins over "matters arising", wherever it is
        (["Welcome", "Minutes and matters arising", "Action tracker"], None, 2),
        # a title merely containing "action" is no tracker
        (["Welcome", "Strategic Action Plan Review", "Any other business"], None, None),
        (["Welcome", "Strategic Action Plan Review", "Actions from the last meeting"], None, 2),
        (["Welcome", "Action plan", "Performance"], None, None),
        # the partnership file's choice wins
        (["Welcome", "Action tracker", "Performance Review"], "performance review", 2),
        ([], None, None),
    ],
)
def test_which_item_is_the_tracker(titles: list[str], configured: str | None, expected: int | None) -> None:
    assert tracker_position(titles, configured) == expected


def _file(series_extra: str) -> str:
    return (PRACTICE.read_text(encoding="utf-8") + series_extra).replace("\t", "    ")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("3", "Children's Safeguarding Summit Update"), ("performance review", "Performance Review")],
)
def test_tracker_item_in_the_partnership_file(value: str, expected: str) -> None:
    spec = parse_partnership(_file(f"    tracker_item: {value}\n"))
    assert spec.series[0].tracker_item == expected
    assert spec.series[0].minutes_preamble is not None
    assert spec.series[0].minutes_preamble.startswith("The partnership's minutes take note")


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("12", "tracker_item of series practice is 12, but the series has 11 standing items: give 1 to 11"),
        ("Perfomance Review", "is not one of its standing_items (did you mean 'Performance Review'?)"),
        ("[1, 2]", "must be a standing item's title or position"),
    ],
)
def test_a_wrong_tracker_item_is_reported_with_its_line(value: str, problem: str) -> None:
    with pytest.raises(PartnershipFileError) as caught:
        parse_partnership(_file(f"    tracker_item: {value}\n"))
    assert problem in str(caught.value)
    assert "line 49" in str(caught.value)


def test_the_file_can_name_the_tracker_item(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "practice.yaml"
    path.write_text(_file("    tracker_item: Performance Review\n"), encoding="utf-8")
    application = make_app(database_url, path)
    try:
        chat = Chat(application)
        chat.script(JULY)
        assert "action tracker review" not in chat.say("TM", "item 2")
        assert "This is the action tracker review" in chat.say("TM", "item 5")
    finally:
        application.engine.dispose()


# --- the tracker review as typed ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "number", "body", "status"),
    [
        ("Action 28. EH to inform TM — No further update. Action ongoing.", 28,
         "EH to inform TM — No further update.", "ongoing"),
        ("Action 3: update text. Action closed.", 3, "update text.", "closed"),
        ("ACTION 4 - shared with agencies. Action complete", 4, "shared with agencies.", "closed"),
        ("Action 5. Action ongoing.", 5, "", "ongoing"),
        ("Action 6: the report is drafted", 6, "the report is drafted", None),
        ("Action: SM to invite the performance lead", None, None, None),
        ("Actions were discussed", None, None, None),
    ],
)  # fmt: skip
def test_reading_a_tracker_line(line: str, number: int | None, body: str | None, status: str | None) -> None:
    read = read_line(line)
    if number is None:
        assert read is None
        return
    assert read is not None
    assert (read.number, read.body, read.status) == (number, body, status)


def _updates(chat: Chat, number: int) -> list[tuple[str, str | None, int | None]]:
    with chat.app.sessions() as s:
        action = s.scalars(select(Action).where(Action.number == number)).one()
        return [
            (u.kind, u.text, u.agenda_item_id)
            for u in s.scalars(select(ActionUpdate).where(ActionUpdate.action_id == action.id))
            if u.kind != "created"
        ]


def _status(chat: Chat, number: int) -> str:
    with chat.app.sessions() as s:
        return s.scalars(select(Action.status).where(Action.number == number)).one()


def _count(chat: Chat) -> int:
    with chat.app.sessions() as s:
        return len(s.scalars(select(Action.id)).all())


def test_tracker_lines_update_the_existing_action(practice: Chat) -> None:
    tracker = _item_ids(practice)[
        "Relevant Actions from previous Children's Safeguarding & Protection Practice Oversight Group"
    ]
    said = practice.say("TM", "item 2")
    assert "This is the action tracker review" in said
    # The tracker repeats the action, then gives the update and the status.
    said = practice.say(
        "PMcL",
        "Action 1. Health colleagues to inform TM by Monday the 24th of July 2023 the reasons why Health "
        "colleagues are not being represented at Safeguarding meetings with Compass. Ella will meet the "
        "commissioner in October to look at the service spec. There is a plan in place. Action ongoing.",
    )
    assert "Action 1 updated: “Ella will meet the commissioner in October" in said
    said = practice.say(
        "PMcL",
        "Action 2. SM to investigate whether concerns around online harm are coming to Children's "
        "Services — No further update. Action ongoing.",
    )
    assert "Action 2 updated: “No further update.” Action ongoing." in said
    said = practice.say("PMcL", "Action 3: EH has amalgamated the two lists. Action closed.")
    assert "Action 3 closed: “EH has amalgamated the two lists.” No more reminders for it." in said

    assert _count(practice) == 3  # no new action
    assert _updates(practice, 1) == [
        (
            "update",
            "Ella will meet the commissioner in October to look at the service spec. "
            "There is a plan in place.",
            tracker,
        )
    ]
    assert _updates(practice, 2) == [("update", "No further update.", tracker)]
    assert _updates(practice, 3) == [("done", "EH has amalgamated the two lists.", tracker)]
    assert [_status(practice, n) for n in (1, 2, 3)] == ["open", "open", "done"]
    with practice.app.sessions() as s:  # the one change path: each change is audited as any other
        verbs = [
            (e.entity_id, e.verb)
            for e in s.scalars(select(AuditEvent).where(AuditEvent.entity == "action"))
            if e.verb != "created"
        ]
    assert verbs == [("practice:1", "updated"), ("practice:2", "updated"), ("practice:3", "done")]

    # The same line again (a re-sent message) is recorded once.
    again = practice.say("PMcL", "Action 2. No further update. Action ongoing.")
    assert "already recorded" in again
    assert _updates(practice, 2) == [("update", "No further update.", tracker)]


def test_an_update_in_the_actions_own_words_is_kept_after_the_action_repeated(practice: Chat) -> None:
    # Every word of this update is in the action too: only the repeated action itself is left out.
    tracker = _item_ids(practice)[
        "Relevant Actions from previous Children's Safeguarding & Protection Practice Oversight Group"
    ]
    practice.say("TM", "item 2")
    said = practice.say(
        "PMcL",
        "Action 2. SM to investigate whether concerns around online harm are coming to Children's Services "
        "or whether this is being dealt with within schools. Concerns are being dealt with within schools. "
        "Action ongoing.",
    )
    assert "Action 2 updated: “Concerns are being dealt with within schools.”" in said
    assert _updates(practice, 2) == [("update", "Concerns are being dealt with within schools.", tracker)]


def test_a_numbered_line_outside_the_tracker_item_is_not_an_update(practice: Chat) -> None:
    practice.say("TM", "item Strategic Action Plan Review")  # its title has "Action" in it: no tracker
    said = practice.say(
        "PMcL", "Action 1. Health colleagues to inform TM why they are not at the meetings. Action ongoing."
    )
    assert "Action 1 of Children's Safeguarding & Protection Practice Oversight Group already exists" in said
    assert _updates(practice, 1) == []


def test_a_line_that_reads_as_another_action_is_asked_about(practice: Chat) -> None:
    practice.say("TM", "item 2")
    line = (
        "Action 2. Voice of the Child resources to be delayed until the next meeting of the group. "
        "To be added to the agenda for the next meeting. Action ongoing."
    )
    said = practice.say("PMcL", line)
    assert "Action 2 is “investigate whether concerns around online harm" in said
    assert "1. update; 2. new" in said
    assert _updates(practice, 2) == [] and _count(practice) == 3  # nothing stored yet
    said = practice.say("PMcL", "new")
    assert "Who owns this action?" in said  # the new action names no owner: asked, never guessed
    said = practice.say("PMcL", "TM")
    assert "Action 4 — Tara Milner" in said
    with practice.app.sessions() as s:
        new = s.scalars(select(Action).where(Action.number == 4)).one()
        # Its first sentence is the action, numbered next; the rest of the line is its first update.
        assert new.text == (
            "Action 4. Voice of the Child resources to be delayed until the next meeting of the group "
            "(owner: TM)."
        )
        assert s.scalars(select(PendingQuestion)).all() == []
    assert _updates(practice, 4)[0][:2] == ("update", "To be added to the agenda for the next meeting.")
    assert _updates(practice, 2) == []

    # Answered `update`, the whole line is the update of action 2.
    practice.say("PMcL", "Action 2. SM to speak to the schools' safeguarding leads. Action ongoing.")
    said = practice.say("PMcL", "1")
    assert "Action 2 updated: “SM to speak to the schools' safeguarding leads.” Action ongoing." in said
    assert _updates(practice, 2)[0][:2] == ("update", "SM to speak to the schools' safeguarding leads.")


def test_a_number_no_action_has_is_asked_about(practice: Chat) -> None:
    practice.say("TM", "item 2")
    said = practice.say(
        "PMcL", "Action 29. SM/PMcL to follow up with the Business Unit. Chased twice. Action ongoing."
    )
    assert "There is no Action 29" in said and "new action numbered 4" in said
    said = practice.say("PMcL", "keep")
    assert "Action 29 — Sian Mellor, Pippa McLeod" in said
    assert _updates(practice, 29)[0][:2] == ("update", "Chased twice.")
    practice.say("PMcL", "Action 31. EH to share the slide with GPs. Action ongoing.")
    said = practice.say("PMcL", "next")
    assert "Action 30 — Erin Hardy" in said
    with practice.app.sessions() as s:
        assert s.scalars(select(Action.number).order_by(Action.number)).all() == [1, 2, 3, 29, 30]


def test_a_kept_number_with_no_owner_asks_and_keeps_the_rest_of_the_line(practice: Chat) -> None:
    practice.say("TM", "item 2")
    practice.say(
        "PMcL",
        "Action 32. Voice of the Child resources to be delayed. To be added to the agenda. Action closed.",
    )
    assert "Who owns this action?" in practice.say("PMcL", "keep")
    said = practice.say("PMcL", "TM")
    assert "Action 32 — Tara Milner" in said and "Action 32 closed" in said
    assert _updates(practice, 32)[0][:2] == ("done", "To be added to the agenda.")
    assert _status(practice, 32) == "done"


def test_the_minute_taker_is_never_recorded_as_not_in_attendance(database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "practice.yaml"
    path.write_text(
        PRACTICE.read_text(encoding="utf-8").replace(
            "members: [TM, EL, SM, EH, DL]", "members: [TM, EL, SM, EH, DL, PMcL]"
        ),
        encoding="utf-8",
    )
    application = make_app(database_url, path)
    try:
        chat = Chat(application)
        chat.script(JULY)  # PMcL, a member here, takes the notes without being marked present
        chat.say("TM", "meeting end")
        with application.sessions() as s:
            statuses = [a.status for a in s.scalars(select(Attendance))]
        assert "absent" not in statuses
        assert "Notes were taken by Pippa McLeod" in chat.say("TM", "minutes draft")
    finally:
        application.engine.dispose()


def test_overheard_chat_naming_no_item_is_left_alone(practice: Chat) -> None:
    reply = practice.core.handle(
        Request(
            "shell",
            "shell",
            "TM",
            "item of interest: the summit",
            datetime.now().astimezone(),
            addressed=False,
        )
    )
    assert not reply.recognised and _current(practice) is None
