"""The example board meeting, typed as people would: what the bot says and, above all, what it stored."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import FIXTURES, Chat
from sqlalchemy import select

from bot.app import App
from storage.models import (
    Action,
    AgendaItem,
    Attendance,
    AuditEvent,
    Binding,
    Decision,
    Declaration,
    Meeting,
    PendingQuestion,
    Person,
    QuorumChange,
    Series,
)

SCRIPT = (FIXTURES / "board-meeting.script").read_text()


@pytest.fixture
def after_meeting(chat: Chat) -> tuple[Chat, str]:
    # Up to (not including) the documents at the end, which have tests of their own.
    lines = SCRIPT.split("RB: minutes draft")[0]
    return chat, chat.script(lines)


def _initials(app: App, person_id: int | None) -> str | None:
    with app.sessions() as s:
        p = s.get(Person, person_id) if person_id else None
        return p.initials if p else None


def test_meeting_is_bound_opened_and_closed(after_meeting: tuple[Chat, str]) -> None:
    chat, out = after_meeting
    with chat.app.sessions() as s:
        board = s.scalars(select(Series).where(Series.key == "board")).one()
        binding = s.scalars(select(Binding)).one()
        assert binding.series_id == board.id and binding.channel == "shell"
        held = s.scalars(select(Meeting).where(Meeting.status == "closed")).one()
        assert held.opened_at.isoformat() == "2024-01-19T10:00:00+00:00"
        assert held.closed_at.isoformat() == "2024-01-19T10:46:00+00:00"
        planned = s.scalars(select(Meeting).where(Meeting.status == "planned")).one()
        assert planned.starts_at.isoformat() == "2024-03-15T10:00:00+00:00"
        assert planned.ends_at.isoformat() == "2024-03-15T12:00:00+00:00"
        assert planned.place == "Westshire House"
    assert "is closed" in out


def test_attendance_is_stored_with_deputies_and_movements(after_meeting: tuple[Chat, str]) -> None:
    chat, _ = after_meeting
    app = chat.app
    with app.sessions() as s:
        meeting = s.scalars(select(Meeting).where(Meeting.status == "closed")).one()
        rows = {
            (_initials(app, r.person_id)): r
            for r in s.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id))
        }
    status = {k: r.status for k, r in rows.items()}
    assert {k for k, v in status.items() if v == "present"} == {"MT", "LE", "SMa", "HN", "RB"}
    assert status["PMw"] == "in_attendance" and rows["PMw"].role_note == "minute taker"
    assert status["TR"] == status["DA"] == status["NF"] == "apologies"
    assert status["CG"] == "deputy" and _initials(app, rows["CG"].deputy_for_id) == "TR"
    assert status["BLl"] == "deputy" and _initials(app, rows["BLl"].deputy_for_id) == "DA"
    # Members with no record were stored as not in attendance at the close.
    assert status["KB"] == status["SC"] == status["OK"] == "absent"
    # Lowri Evans left and came back: both kept, and she is here at the end.
    events = [(m["event"], m["at"]) for m in rows["LE"].movements]
    assert events == [("left", "2024-01-19T10:40:00+00:00"), ("rejoined", "2024-01-19T10:46:00+00:00")]
    assert rows["LE"].left_at is None


def test_quorum_warnings_are_immediate_and_logged(after_meeting: tuple[Chat, str]) -> None:
    chat, out = after_meeting
    left = out.split("MT: LE left")[1].split("MT: quorum")[0]
    assert "no longer quorate" in left and "Integrated Care Board" in left
    joined = out.split("MT: LE joined")[1].split("MT: declaration")[0]
    assert "quorate again" in joined
    with chat.app.sessions() as s:
        changes = [
            (c.at.strftime("%H:%M"), c.quorate, c.missing)
            for c in s.scalars(select(QuorumChange).order_by(QuorumChange.id))
        ]
    assert changes == [
        ("10:00", True, []),
        ("10:40", False, ["Westshire and Eastbury Integrated Care Board"]),
        ("10:46", True, []),
    ]


def test_decision_taken_while_inquorate_is_marked(after_meeting: tuple[Chat, str]) -> None:
    chat, out = after_meeting
    with chat.app.sessions() as s:
        (decision,) = s.scalars(select(Decision)).all()
        (declaration,) = s.scalars(select(Declaration)).all()
    assert decision.text == "the neglect strategy refresh is approved" and decision.inquorate
    assert _initials(chat.app, declaration.person_id) == "HN"
    assert "ratification" in out


def test_actions_are_numbered_with_owners_and_due_dates(after_meeting: tuple[Chat, str]) -> None:
    chat, out = after_meeting
    app = chat.app
    with app.sessions() as s:
        actions = {a.number: a for a in s.scalars(select(Action))}
        owners = {
            n: [(o.kind, _initials(app, o.person_id) or o.key) for o in a.owners] for n, a in actions.items()
        }
        updates = {n: [(u.kind, u.text) for u in a.updates] for n, a in actions.items()}
        last = s.scalars(select(Series).where(Series.key == "board")).one().last_action_number
    # The ambiguous "SM" and the ownerless action were questions: nothing stored for them.
    assert sorted(actions) == [1, 2, 3] and last == 3
    assert owners[1] == [("person", "SMa"), ("person", "PMw")]
    assert (actions[1].due_kind, actions[1].due_date) == ("next_meeting", date(2024, 3, 15))
    assert owners[2] == [("person", "HN")]
    assert (actions[2].due_kind, actions[2].due_date) == ("date", date(2024, 1, 29))
    assert owners[3] == [("group", "business-unit")]
    assert actions[3].due_date == date(2024, 2, 9)
    assert updates[2][-1] == ("update", "HN has written to the three schools; reply expected next week")
    assert "Action 1 — Samir Malik, Paul Mawer — due at the next meeting (Fri 15 Mar 2024)" in out
    assert "Business Unit (Rhian Bowen, Owen Kaye)" in out
    assert "SMa (Samir Malik)" in out and "SMi (Sarah Milner)" in out
    assert "Who owns this action?" in out


def test_questions_are_dropped_at_meeting_end(after_meeting: tuple[Chat, str]) -> None:
    chat, out = after_meeting
    with chat.app.sessions() as s:
        assert s.scalars(select(PendingQuestion)).all() == []
    # Never silently: the close lists what each question held.
    assert "2 questions were still open and are now dropped with the meeting" in out
    assert "not recorded: all of `Action: SM to check the police protection figures by Friday`" in out
    assert "not recorded: all of `Action: to form a task and finish group on local procedures`" in out


def test_agenda_item_for_the_next_meeting(after_meeting: tuple[Chat, str]) -> None:
    chat, _ = after_meeting
    with chat.app.sessions() as s:
        (item,) = s.scalars(select(AgendaItem).where(AgendaItem.kind == "requested")).all()
        # The meeting's own standing items became rows when it opened, in the file's order.
        standing = s.scalars(select(AgendaItem.title).where(AgendaItem.kind == "standing")).all()
    assert item.title == "Voice of the Child" and item.meeting_id is None
    assert standing[0] == "Welcome and apologies" and standing[-1] == "Date of next meeting"
    assert _initials(chat.app, item.presenter_id) == "SMa"


def test_every_change_is_in_the_audit_trail(after_meeting: tuple[Chat, str]) -> None:
    chat, _ = after_meeting
    with chat.app.sessions() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.door == "shell").order_by(AuditEvent.id)))
    verbs = [(e.actor, e.entity, e.verb) for e in events]
    assert ("MT", "meeting", "opened") in verbs and ("MT", "meeting", "closed") in verbs
    assert ("PMw", "action", "created") in verbs and ("MT", "decision", "recorded") in verbs
    assert ("MT", "meeting", "quorum lost") in verbs
    created = next(e for e in events if e.entity == "action" and e.entity_id == "board:2")
    assert created.before is None and created.after["owners"] == [{"kind": "person", "id": "HN"}]
    # Times are the script's clock, not the machine's.
    assert all(e.at.year == 2024 for e in events)


def test_answering_the_question_stores_the_action(chat: Chat) -> None:
    chat.script(SCRIPT.split("PMw: Action: SM to check")[0])
    asked = chat.say("PMw", "Action: SM to check the police protection figures by Friday")
    assert "1. SMa (Samir Malik)" in asked
    answered = chat.say("PMw", "2")
    assert "Action 4 — Sarah Milner — due Fri 26 Jan 2024" in answered
    with chat.app.sessions() as s:
        action = s.scalars(select(Action).where(Action.number == 4)).one()
        assert action.title == "check the police protection figures"
        assert s.scalars(select(PendingQuestion)).all() == []
