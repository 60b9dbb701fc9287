"""Smaller pieces of the meeting loop: notes, the next meeting by cadence, times, minutes-style capture."""

from __future__ import annotations

from datetime import date

from conftest import Chat
from sqlalchemy import select

from storage.models import Action, AgendaItem, Attendance, Decision, Meeting, Note


def test_next_meeting_is_proposed_by_the_cadence_until_set(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    out = chat.say("MT", "next meeting")
    # every 2 months on the third Friday, from Fri 19 Jan 2024
    assert "proposes Friday 15 March 2024" in out and "next meeting 15/03/24 10:00" in out
    out = chat.say("PMw", "Action: SMa to bring the dashboard to the next meeting")
    assert "due at the next meeting (Fri 15 Mar 2024, date proposed by the cadence)" in out
    out = chat.say("MT", "next meeting 22/03/24 14:00-16:00 at Westshire House, Room 4")
    assert "Friday 22 March 2024 14:00–16:00, Westshire House, Room 4" in out
    assert "1 action due at the next meeting now falls due on Fri 22 Mar 2024" in out
    with chat.app.sessions() as s:
        assert s.scalars(select(Action.due_date)).one() == date(2024, 3, 22)
        planned = s.scalars(select(Meeting).where(Meeting.status == "planned")).one()
        assert planned.sequence == 0
    chat.say("MT", "next meeting 29/03/24 14:00")
    with chat.app.sessions() as s:
        planned = s.scalars(select(Meeting).where(Meeting.status == "planned")).one()
        assert planned.sequence == 1 and s.scalars(select(Action.due_date)).one() == date(2024, 3, 29)
    assert "can't read" in chat.say("MT", "next meeting whenever suits")
    assert "has passed" in chat.say("MT", "next meeting 1/1/24 10:00")


def test_explicit_times_notes_and_decisions(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE SMa TR")
    chat.at("2024-01-19T11:00:00+00:00")
    assert "Lowri Evans left at 10:40" in chat.say("MT", "LE left 10:40")
    assert "Noted" in chat.say("KB", "note: the CHAT data will be shared after the meeting")
    out = chat.say("MT", "RESOLVED: that the annual report be approved")
    assert "Decision recorded" in out
    with chat.app.sessions() as s:
        row = s.scalars(select(Attendance).where(Attendance.left_at.is_not(None))).one()
        assert row.left_at.isoformat() == "2024-01-19T10:40:00+00:00"
        assert s.scalars(select(Note.text)).one() == "the CHAT data will be shared after the meeting"
        decision = s.scalars(select(Decision)).one()
        assert decision.text == "that the annual report be approved" and decision.inquorate


def test_minutes_style_lines_are_captured_and_reports_are_not(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    out = chat.say(
        "PMw", "HN to inform MT by Monday the 29th of January 2024 why education colleagues are absent"
    )
    assert "Action 1 — Hannah Noor — due Mon 29 Jan 2024" in out
    out = chat.say("MT", "Agreed: the revised protocol to be shared by the Business Manager by 3 May")
    assert "Action 2 — Rhian Bowen — due Fri 3 May 2024" in out
    chat.say("PMw", "TR advised that the next follow-up meeting would be on 26 January")
    chat.say("PMw", "No further update. Action ongoing.")
    with chat.app.sessions() as s:
        assert [a.number for a in s.scalars(select(Action))] == [1, 2]
        assert s.scalars(select(Decision)).all() == []


def test_quoted_agenda_titles_keep_apostrophes_and_lose_their_quotes(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "bind board")
    out = chat.say("SMa", 'agenda add "Children\'s Safeguarding Summit Update" presenter LE')
    assert "Added “Children's Safeguarding Summit Update”, presented by Lowri Evans" in out
    chat.say("SMa", "agenda add “Parents’ voice: what we heard” 10 minutes")
    chat.say("SMa", "agenda add 'Children's Trust review'")
    chat.say("SMa", "agenda add Young people's forum")
    with chat.app.sessions() as s:
        titles = s.scalars(select(AgendaItem.title).order_by(AgendaItem.id)).all()
        minutes = s.scalars(select(AgendaItem.minutes).order_by(AgendaItem.id)).all()
    assert titles == [
        "Children's Safeguarding Summit Update",
        "Parents’ voice: what we heard",
        "Children's Trust review",
        "Young people's forum",
    ]
    assert minutes == [None, 10, None, None]


def test_a_time_still_to_come_is_refused_and_nothing_is_recorded(chat: Chat) -> None:
    chat.at("2024-01-19T09:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE SMa")
    with chat.app.sessions() as s:
        before = [(r.person_id, r.status, r.arrived_at, r.left_at) for r in s.scalars(select(Attendance))]
    out = chat.say("MT", "LE left 10:40")
    assert "10:40 has not happened yet: it is 09:00 now" in out and "Nothing recorded" in out
    assert "has not happened yet" in chat.say("MT", "left: SMa at 9:30")
    assert "has not happened yet" in chat.say("MT", "HN joined 11:15")
    assert "has not happened yet" in chat.say("MT", "joined: TR at 10:00")
    with chat.app.sessions() as s:
        after = [(r.person_id, r.status, r.arrived_at, r.left_at) for r in s.scalars(select(Attendance))]
    assert after == before and len(after) == 3
    # A time already past is recorded as given.
    chat.at("2024-01-19T11:00:00+00:00")
    chat.say("MT", "LE left 10:40")
    with chat.app.sessions() as s:
        row = s.scalars(select(Attendance).where(Attendance.left_at.is_not(None))).one()
        assert row.left_at.isoformat() == "2024-01-19T10:40:00+00:00"
