"""Real minutes replayed as a minute taker types them live, asserting what was stored.

The script (tests/fixtures/seed-replay/meeting.script) follows the shape of real partnership
minutes with fictional people: a July meeting raises a tracker, and the September meeting
records attendance copied from the minutes' table, reviews that tracker in its own form under
the tracker item, raises actions under the items they belong to, and closes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from conftest import FIXTURES, Chat, make_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import App
from storage.models import Action, ActionUpdate, AgendaItem, Attendance, Meeting, Note, Person

REPLAY = FIXTURES / "seed-replay"
SCRIPT = (REPLAY / "meeting.script").read_text()
SEPTEMBER = "@ 2023-09-22T09:00:00+01:00"


JULY, SEPTEMBER = datetime(2023, 7, 21, 8, 0), datetime(2023, 9, 22, 8, 0)


@pytest.fixture
def replayed(database_url: str) -> Iterator[tuple[App, str]]:
    app = make_app(database_url, REPLAY / "partnership.yaml")
    out = Chat(app).script(SCRIPT)
    yield app, out
    app.engine.dispose()


def _who(session: Session, person_id: int | None) -> str:
    """A file person by initials, a guest by name."""
    person = session.get(Person, person_id) if person_id else None
    assert person is not None
    return person.name if person.guest else person.initials


def _owners(session: Session, action: Action) -> list[str]:
    shown = []
    for owner in sorted(action.owners, key=lambda o: o.position):
        if owner.removed_at is not None:
            continue
        if owner.kind == "person":
            shown.append(_who(session, owner.person_id))
        else:
            shown.append(owner.kind if owner.kind == "all" else f"{owner.kind}:{owner.key}")
    return shown


def _meeting(session: Session, opened: datetime) -> Meeting:
    """The meeting opened on that day."""
    return next(
        m
        for m in session.scalars(select(Meeting).where(Meeting.opened_at.is_not(None)))
        if m.opened_at is not None and m.opened_at.date() == opened.date()
    )


def test_every_attendee_apology_and_deputy_is_recorded(replayed: tuple[App, str]) -> None:
    app, _ = replayed
    with app.sessions() as s:
        september = _meeting(s, SEPTEMBER)
        rows = s.scalars(select(Attendance).where(Attendance.meeting_id == september.id)).all()
        by_status: dict[str, set[str]] = {}
        deputies: dict[str, str] = {}
        for row in rows:
            who = _who(s, row.person_id)
            by_status.setdefault(row.status, set()).add(who)
            if row.deputy_for_id is not None:
                deputies[who] = _who(s, row.deputy_for_id)
    # As the minutes' attendance table has it: SM answered as Sandra Moss, the misspelt
    # Dannielle Lowe confirmed as Danielle Lowe.
    assert by_status["present"] == {
        "TM", "EL", "DS", "SMo", "TT", "EH", "CP", "JK", "KB", "TW", "TWa", "WB", "SMa", "DL",
    }  # fmt: skip
    # A member whose deputy came is recorded as having sent apologies, as Inspector Kaye is here.
    assert by_status["apologies"] == {"GB", "SA", "SK", "SCa", "JM", "AMS", "TR", "SR", "KKa"}
    assert deputies == {"PM": "AMS", "CG": "TR", "AE": "SR", "Neil Whyte": "KKa"}
    assert by_status["deputy"] == set(deputies)
    # Members who neither came nor sent apologies are recorded as not in attendance; the minute
    # taker, who took the notes, is not among them.
    assert by_status["absent"] == {"NT", "TJ", "SG", "SC", "BJ", "CK", "SH", "BL", "FD"}


# What the minutes give for each of the 27 action lines: its owners and due date. The tracker
# lines were raised in July (this replay types them there); the September meeting reviews them.
# "At the next meeting" is 22 September when raised; still open after it, such an action falls
# due at the meeting after (20 November), as the tracker carries it.
NEXT = date(2023, 11, 20)
TRACKER = {
    1: (["Corinne Chadwick"], None),
    2: (["Jane Randle", "John Forster"], None),
    3: (["SHB"], None),
    4: (["FD"], None),
    7: (["group:business-unit"], None),
    8: (["SH"], None),
    9: (["all"], None),
    11: (["group:business-unit"], None),
    14: (["BL"], None),
    16: (["SMo"], None),
    18: (["LC"], None),
    22: (["all"], NEXT),
    23: (["SMo", "SH", "AS"], NEXT),
    24: (["all"], None),
    25: (["EH"], None),
    26: ([], None),  # "The Board are not clear who is to lead on this"
    27: (["all"], NEXT),
    28: (["group:education"], None),
    29: (["group:health"], date(2023, 7, 24)),
    30: (["AS"], None),
    31: ([], NEXT),
    32: (["BL"], None),
}
RAISED_IN_SEPTEMBER = {
    33: ([], NEXT, "Relevant Actions from the previous meeting"),  # the second "Action 32"
    34: (["SMo", "PMcL"], date(2023, 11, 20), "Performance Review"),
    35: (["SMo", "TM"], None, "Performance Review"),
    36: (["TM"], date(2023, 11, 20), "Performance Review"),
    37: (["all"], None, "Any Other Business"),
}


def test_each_action_line_is_stored_with_its_owners_and_due_date(replayed: tuple[App, str]) -> None:
    app, _ = replayed
    with app.sessions() as s:
        actions = {a.number: a for a in s.scalars(select(Action)).all()}
        july, september = _meeting(s, JULY), _meeting(s, SEPTEMBER)
        assert sorted(actions) == sorted([*TRACKER, *RAISED_IN_SEPTEMBER])
        for number, (owners, due) in TRACKER.items():
            action = actions[number]
            assert (_owners(s, action), action.due_date) == (owners, due), number
            assert action.created_meeting_id == july.id, number
        for number, (owners, due, item) in RAISED_IN_SEPTEMBER.items():
            action = actions[number]
            assert (_owners(s, action), action.due_date) == (owners, due), number
            assert action.created_meeting_id == september.id, number
            under = s.get(AgendaItem, action.agenda_item_id) if action.agenda_item_id else None
            assert under is not None and under.title == item, number
        assert actions[36].text.startswith("ACTION: TM to invite Donna Chaplin")


def test_the_tracker_review_updates_the_right_actions(replayed: tuple[App, str]) -> None:
    app, _ = replayed
    with app.sessions() as s:
        september = _meeting(s, SEPTEMBER)
        tracker_item = s.scalars(
            select(AgendaItem).where(
                AgendaItem.meeting_id == september.id,
                AgendaItem.title == "Relevant Actions from the previous meeting",
            )
        ).one()
        updates = s.scalars(
            select(ActionUpdate).where(ActionUpdate.meeting_id == september.id).order_by(ActionUpdate.id)
        ).all()
        reviewed = {
            s.get(Action, u.action_id).number: u for u in updates if u.agenda_item_id == tracker_item.id
        }
        # Each tracker line, and the second "Action 32" recorded as a new action with its update.
        assert sorted(reviewed) == sorted([*TRACKER, 33])
        text = {n: (u.text or "") for n, u in reviewed.items()}
        assert text[1] == text[16] == "No further update."
        assert text[24] == "Most have been received, some still awaited, Corinne Chadwick to follow up."
        assert text[29].startswith("EL will meet the commissioner in October")
        statuses = {a.number: a.status for a in s.scalars(select(Action)).all()}
        assert statuses[3] == "done" and [n for n, st in statuses.items() if st != "open"] == [3]


def test_the_minutes_draft_has_the_meetings_agenda_items_as_its_sections(replayed: tuple[App, str]) -> None:
    app, out = replayed
    minutes = out.split("PMcL: minutes draft", 1)[1]
    headings = [
        "Welcome and Introductions",
        "Relevant Actions from the previous meeting",
        "Children's Safeguarding Summit Update",
        "Update from Strategic Governance Group",
        "Performance Review",
        "Strategic Action Plan Review",
        "Children's Statutory Case Review Group Update",
        "Risk Register",
        "Matters to be Raised to the Strategic Governing Group",
        "What was discussed today that makes a difference to people's lives?",
        "Any Other Business",
        "Next Meeting",
    ]
    at = [minutes.find(f"{n}. {h}") for n, h in enumerate(headings, 1)]
    assert -1 not in at and at == sorted(at), list(zip(headings, at, strict=True))
    assert "Notes were taken by Polly McLean" in minutes
    assert "Action 29. Health colleagues to inform TM" in minutes
    with app.sessions() as s:
        notes = s.scalars(select(Note).order_by(Note.id)).all()
        titles = {i.id: i.title for i in s.scalars(select(AgendaItem)).all()}
        filed = {n.text: titles[n.agenda_item_id] for n in notes if n.agenda_item_id}
    assert filed["No items raised."] == "What was discussed today that makes a difference to people's lives?"
    assert len(filed) == len(notes)


def test_an_owner_given_when_asked_is_stored_but_not_written_into_the_typed_action(
    replayed: tuple[App, str],
) -> None:
    # Action 4 names nobody who owns it; the minute taker answered the question with FD.
    app, out = replayed
    with app.sessions() as s:
        four = s.scalars(select(Action).where(Action.number == 4)).one()
        assert _owners(s, four) == ["FD"]
        assert four.text is not None and "owner" not in four.text and "\u2060" not in four.text
    minutes = out.split("PMcL: minutes draft", 1)[1]
    assert (
        "Action 4. FD suggested getting the Neglect Screening tool and GCP2 onto the "
        "Integrated Care Board agenda.\n" in minutes
    )
    assert "(owner: FD)" not in minutes


def test_a_typed_no_declarations_note_is_not_said_twice(replayed: tuple[App, str]) -> None:
    _app, out = replayed
    minutes = out.split("PMcL: minutes draft", 1)[1]
    assert minutes.count("No conflicts of interest were declared by the group.") == 1
    assert "No declarations of interest were made." not in minutes
