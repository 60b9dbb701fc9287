"""A meeting typed the way minutes are written: the phrases a chair and minute taker use for the
minutes being agreed, a decision of the group, the last item, the quorum mid-meeting and the
meeting closing at a time. Each checked on what was stored, and a wrong time changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import Chat
from docx import Document
from sqlalchemy import func, select

from storage.models import Action, AgendaItem, AuditEvent, Decision, Meeting, Person


def _utc(at: datetime | None) -> datetime | None:
    if at is None:
        return None
    return at.astimezone(UTC) if at.tzinfo else at.replace(tzinfo=UTC)


def _meetings(chat: Chat) -> list[Meeting]:
    with chat.app.sessions() as s:
        return list(s.scalars(select(Meeting).order_by(Meeting.id)))


def _second_meeting(chat: Chat, typed_in_the_first: tuple[str, ...] = ()) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE")
    for line in typed_in_the_first:
        chat.say("PMw", line)
    chat.at("2024-01-19T11:30:00+00:00")
    chat.say("MT", "meeting end")
    chat.at("2024-03-15T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE TR SMa")


def _minutes_of_march(chat: Chat) -> list[str]:
    """The paragraphs of the minutes draft of the March meeting, as Word reads them."""
    chat.say("MT", "minutes draft")
    word = max(chat.door.files_dir.glob("board-minutes-2024-03-15*.docx"), key=lambda p: p.stat().st_mtime_ns)
    return [p.text for p in Document(str(word)).paragraphs]


def test_the_minutes_agreed_as_an_accurate_record(chat: Chat) -> None:
    _second_meeting(chat)
    said = chat.say("PMw", "The minutes of the last meeting were agreed as an accurate record.")
    assert "approved" in said
    first, second = _meetings(chat)
    assert first.minutes_approved_in == second.id
    assert _utc(first.minutes_approved_at) == datetime(2024, 3, 15, 10, tzinfo=UTC)
    assert second.minutes_approved_at is None
    # Shorter, as typed live: the same command, so "already approved" and nothing changed.
    assert "already approved. Nothing changed" in chat.say("PMw", "Minutes of last meeting approved")


def test_what_the_group_agreed_is_a_decision_and_a_task_is_an_action(chat: Chat) -> None:
    _second_meeting(chat)
    said = chat.say("PMw", "Agreed: the group will adopt the GCP2 tool across all agencies")
    assert "Decision recorded" in said
    said = chat.say("PMw", "Agreed: the draft protocol to be shared by RB by 29/03/24")
    assert "Action 1" in said
    with chat.app.sessions() as s:
        decided = list(s.scalars(select(Decision.text)))
        actions = [
            (a.number, str(a.due_date), [o.person_id for o in a.owners]) for a in s.scalars(select(Action))
        ]
        rb = s.scalars(select(Person.id).where(Person.initials == "RB")).one()
    assert decided == ["the group will adopt the GCP2 tool across all agencies"]
    assert actions == [(1, "2024-03-29", [rb])]
    # The minutes print the action as typed, without the "Agreed:" that made it one.
    chat.at("2024-03-15T11:50:00+00:00")
    chat.say("MT", "meeting end")
    printed = [p for p in _minutes_of_march(chat) if p.startswith("Action 1")]
    assert printed and printed[0].startswith("Action 1: The draft protocol to be shared by RB by 29/03/24")


def test_the_quorum_asked_again_and_the_last_item_by_its_name(chat: Chat) -> None:
    _second_meeting(chat)
    answer = chat.say("MT", "quorum")
    for asked in ("is the meeting still quorate?", "are we still quorate", "do we still have a quorum?"):
        assert chat.say("MT", asked) == answer
    for typed in ("Any other business?", "AOB"):
        said = chat.say("MT", typed)
        assert "Any other business" in said
        with chat.app.sessions() as s:
            current = s.get(Meeting, _meetings(chat)[-1].id)
            assert current is not None and current.current_item_id is not None
            item = s.get(AgendaItem, current.current_item_id)
            assert item is not None and item.title == "Any other business"


def test_the_meeting_closed_at_a_time(chat: Chat) -> None:
    _second_meeting(chat)
    chat.at("2024-03-15T11:50:00+00:00")
    # A time still to come, or before the meeting opened, is refused and the meeting stays open.
    said = chat.say("MT", "Meeting closed at 12:15")
    assert "has not happened yet" in said
    said = chat.say("MT", "meeting closed at 9:30")
    assert "cannot have closed at 09:30" in said
    assert _meetings(chat)[-1].status == "open"
    said = chat.say("MT", "The meeting closed at 11:45.")
    assert "is closed (" in said and "11:45" in said
    closed = _meetings(chat)[-1]
    assert closed.status == "closed"
    assert closed.closed_at is not None
    assert closed.closed_at.replace(tzinfo=UTC).strftime("%H:%M") == "11:45"


def test_the_decisions_listed_with_their_ratification(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE")  # no police: not quorate
    assert "marked for ratification" in chat.say("MT", "decision: adopt the neglect strategy")
    chat.at("2024-01-19T11:30:00+00:00")
    chat.say("MT", "meeting end")
    chat.at("2024-03-15T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE TR SMa")
    assert "Decisions of Children's Safeguarding Partnership Board (1)" in chat.say("MT", "decisions")
    assert "awaiting ratification" in chat.say("MT", "decisions")
    chat.say("MT", "decisions ratified")
    chat.say("MT", "Agreed: the board will publish the annual report in June")
    with chat.app.sessions() as s:
        stored = [
            (d.text, d.inquorate, d.ratified_meeting_id)
            for d in s.scalars(select(Decision).order_by(Decision.id))
        ]
    _, second = _meetings(chat)
    assert stored == [
        ("adopt the neglect strategy", True, second.id),
        ("the board will publish the annual report in June", False, None),
    ]
    listed = chat.say("MT", "decisions")
    assert "(2)" in listed and "ratified Fri 15 Mar 2024" in listed
    assert listed.index("adopt the neglect strategy") < listed.index("publish the annual report")
    last = chat.say("MT", "what did we decide last time?")
    assert "on Fri 19 Jan 2024 (1)" in last and "adopt the neglect strategy" in last
    assert "annual report" not in last


def test_someone_listed_as_present_who_joined_late(chat: Chat) -> None:
    from storage.models import Attendance

    _second_meeting(chat)  # MT LE TR SMa listed present at 10:00
    chat.at("2024-03-15T10:40:00+00:00")
    said = chat.say("MT", "SMa joined late at 10:25")
    assert "Samir Malik joined at 10:25" in said and "corrected to 10:25" in said
    # Once corrected, or a time before the meeting opened, or a time to come: nothing changes.
    assert "already recorded as here. Nothing changed" in chat.say("MT", "SMa joined late at 10:30")
    assert "already recorded as here. Nothing changed" in chat.say("MT", "LE joined at 9:15")
    assert "has not happened yet" in chat.say("MT", "TR arrived at 10:55")
    with chat.app.sessions() as s:
        rows = {
            p.initials: (a.status, [(m["event"], m["at"][11:16]) for m in a.movements])
            for a, p in s.execute(
                select(Attendance, Person)
                .join(Person, Person.id == Attendance.person_id)
                .where(Attendance.meeting_id == _meetings(chat)[-1].id)
            )
        }
    assert rows == {
        "MT": ("present", []),
        "LE": ("present", []),
        "TR": ("present", []),
        "SMa": ("present", [("joined", "10:25")]),
    }
    chat.at("2024-03-15T11:50:00+00:00")
    chat.say("MT", "meeting end")
    assert "Samir Malik joined at 10:25." in _minutes_of_march(chat)


def test_a_meeting_opened_and_closed_as_minutes_word_it(chat: Chat) -> None:
    from storage.models import Attendance
    from storage.questions import in_conversation

    chat.at("2024-03-15T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    assert "Apologies: Tom Rees, Stella Conway." in chat.say("MT", "Apologies noted from TR and SC")
    assert "Present: Miriam Tolley, Lowri Evans" in chat.say("MT", "Present - MT, LE, SMa")
    assert chat.say("MT", "quorum check") == chat.say("MT", "quorum")
    # The tracker by the item's name: the tracker item is taken, and the tracker listed as `actions` does.
    said = chat.say("MT", "Actions from the last meeting")
    assert "Item 4: Action tracker" in said
    assert chat.say("MT", "actions").removeprefix("bot: ").strip() in said
    said = chat.say("MT", "Date of next meeting – Friday 17 May 2024, 10:00–12:00, Westshire House")
    assert "Friday 17 May 2024 10:00–12:00" in said
    chat.at("2024-03-15T11:55:00+00:00")
    assert "is closed (" in chat.say("MT", "Thanks everyone, meeting closed 11.50")
    with chat.app.sessions() as s:
        assert in_conversation(s, "shell", "shell") == []  # no word was taken for a name
        rows = {
            p.initials: a.status
            for a, p in s.execute(select(Attendance, Person).join(Person, Person.id == Attendance.person_id))
        }
    assert {k: rows[k] for k in ("MT", "LE", "SMa", "TR", "SC")} == {
        "MT": "present",
        "LE": "present",
        "SMa": "present",
        "TR": "apologies",
        "SC": "apologies",
    }
    held, planned = _meetings(chat)
    assert held.status == "closed" and held.closed_at is not None
    assert _utc(held.closed_at) == datetime(2024, 3, 15, 11, 50, tzinfo=UTC)
    assert planned.starts_at is not None and _utc(planned.starts_at) == datetime(2024, 5, 17, 9, tzinfo=UTC)


def test_a_member_who_sent_someone_in_their_place(chat: Chat) -> None:
    from storage.models import Attendance

    _second_meeting(chat)
    said = chat.say("MT", "TR has sent CG in his place")
    assert "Apologies: Tom Rees." in said and "Chloe Grant is attending for Tom Rees" in said
    with chat.app.sessions() as s:
        ids = {p.id: p.initials for p in s.scalars(select(Person))}
        rows = {
            ids[a.person_id]: (a.status, ids.get(a.deputy_for_id) if a.deputy_for_id else None)
            for a in s.scalars(select(Attendance).where(Attendance.meeting_id == _meetings(chat)[-1].id))
        }
    assert rows["TR"] == ("apologies", None) and rows["CG"] == ("deputy", "TR")


def test_the_minutes_item_in_the_minutes_own_words(chat: Chat) -> None:
    from storage.models import Declaration, MinutesCorrection

    _second_meeting(chat)
    said = chat.say("PMw", "No conflicts of interest were declared by the group.")
    assert "No declarations of interest" in said
    said = chat.say("PMw", "A correction was made to the minutes: item 3 now reads “the strategy was noted”")
    assert "didn't understand" not in said
    said = chat.say(
        "PMw", "The minutes were then agreed to be an accurate representation of the previous meeting."
    )
    assert "approved" in said
    first, second = _meetings(chat)
    with chat.app.sessions() as s:
        assert list(s.scalars(select(Declaration))) == []
        corrections = list(s.scalars(select(MinutesCorrection.text)))
    assert corrections == ["item 3 now reads “the strategy was noted”"]
    assert first.minutes_approved_in == second.id


def test_a_closing_time_before_the_last_record_is_refused(chat: Chat) -> None:
    _second_meeting(chat)
    chat.at("2024-03-15T11:52:00+00:00")
    chat.say("PMw", "Action: RB to circulate the slides by 22/3/24")
    chat.at("2024-03-15T11:53:00+00:00")
    said = chat.say("MT", "meeting closed at 11:50")
    assert "raised in this meeting at 11:52, after 11:50" in said and "Nothing changed" in said
    assert _meetings(chat)[-1].status == "open"
    assert "is closed (" in chat.say("MT", "meeting closed at 11:52")
    assert any("circulate the slides" in p for p in _minutes_of_march(chat))


def test_the_same_action_sent_twice_is_one_action(chat: Chat) -> None:
    _second_meeting(chat)
    chat.say("PMw", "Action: SMa to ring the school by 29/03/24")
    # Pasted again, then typed again by the chair with a full stop and other capitals: one action.
    for who, line in (
        ("PMw", "Action: SMa to ring the school by 29/03/24"),
        ("MT", "action: SMa to ring the School by 29/03/24."),
    ):
        said = chat.say(who, line)
        assert "⚠ That is Action 1 already (“ring the school”, Samir Malik)" in said
        assert "nothing was added" in said
    # The same words for someone else, or other words, are other actions.
    assert "Action 2" in chat.say("PMw", "Action: HN to ring the school by 29/03/24")
    assert "Action 3" in chat.say("PMw", "Action: SMa to ring the college by 29/03/24")
    with chat.app.sessions() as s:
        stored = sorted((a.number, a.title) for a in s.scalars(select(Action)))
        audit = select(AuditEvent.entity_id).where(AuditEvent.entity == "action")
        audit = audit.where(AuditEvent.verb == "created")
        created = list(s.scalars(audit))
    assert stored == [(1, "ring the school"), (2, "ring the school"), (3, "ring the college")]
    assert sorted(created) == ["board:1", "board:2", "board:3"]
    # At the next meeting the same words are a new action: the first is still open, but from before.
    chat.at("2024-03-15T11:30:00+00:00")
    chat.say("MT", "meeting end")
    chat.at("2024-05-17T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    assert "Action 4" in chat.say("PMw", "Action: SMa to ring the school by 31/05/24")


def test_a_commitment_with_will_is_not_an_action_but_the_answer_says_how_to_make_it_one(chat: Chat) -> None:
    _second_meeting(chat)
    said = chat.say("PMw", "SMa will circulate the slides to the group")
    assert "I didn't understand" in said
    assert "`Action: SMa will circulate the slides to the group`" in said
    assert "`SMa to circulate the slides to the group`" in said
    with chat.app.sessions() as s:
        assert s.scalars(select(Action)).first() is None
    # Either way the answer gives, it is an action of SMa.
    assert "Action 1" in chat.say("PMw", "Action: SMa will circulate the slides to the group")
    assert "Action 2" in chat.say("PMw", "SMa to circulate the slides to the partners")
    with chat.app.sessions() as s:
        sma = s.scalars(select(Person.id).where(Person.initials == "SMa")).one()
        owned = [
            (a.title, [o.person_id for o in a.owners])
            for a in s.scalars(select(Action).order_by(Action.number))
        ]
    assert owned == [
        ("circulate the slides to the group", [sma]),
        ("circulate the slides to the partners", [sma]),
    ]
    # Narrative about someone ("will be late") gets no such advice.
    assert "Action:" not in chat.say("PMw", "HN will be late today").split("Did you mean")[0]


def test_lines_of_minutes_said_to_the_bot_by_the_minute_taker_are_notes(chat: Chat) -> None:
    from storage.models import Note

    _second_meeting(chat)
    typed = [
        "SMa advised that the next follow-up meeting would be held on 26 September",
        "TR shared on screen the data update, and explained what it measures",
        "HN – safeguarding session done at the start of term",
        "LE and HN also raised the new legislation on domestic abuse",
        "The group discussed the draft protocol",
    ]
    for line in typed:
        assert "Noted for the minutes" in chat.say("PMw", line)
    # Not lines of minutes: nobody of the file before the verb, a member who is not the chair team
    # (they write `note: …`), and a mistyped command.
    for who, line in (
        ("PMw", "The minutes were noted"),
        ("PMw", "Bob said he would come"),
        ("LE", "HN advised that the audit is late"),
        ("PMw", "qourum please"),
    ):
        assert "I didn't understand" in chat.say(who, line)
    with chat.app.sessions() as s:
        notes = list(s.scalars(select(Note.text).order_by(Note.id)))
    assert notes == typed
    # They are in the minutes, as typed.
    chat.at("2024-03-15T11:50:00+00:00")
    chat.say("MT", "meeting end")
    printed = "\n".join(_minutes_of_march(chat))
    assert all(line in printed for line in typed)
    # With no meeting open there is nowhere to note it: nothing is stored.
    assert "I didn't understand" in chat.say("PMw", "SMa advised that the audit is late")
    with chat.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Note)) == len(typed)


def test_a_line_of_minutes_is_noted_while_a_question_waits_and_the_question_goes_on(chat: Chat) -> None:
    from storage.models import Note
    from storage.questions import in_conversation

    _second_meeting(chat)
    asked = chat.say("PMw", "present SM")  # SMa or SMi: a question for PMw
    assert "could be more than one person" in asked
    said = chat.say("PMw", "TR advised that the audit is late")
    assert "Noted for the minutes" in said and "Still waiting for your answer about “SM”" in said
    with chat.app.sessions() as s:
        assert list(s.scalars(select(Note.text))) == ["TR advised that the audit is late"]
        assert len(in_conversation(s, "shell", "shell")) == 1
    # The answer still answers it.
    chat.say("PMw", "1")
    with chat.app.sessions() as s:
        assert in_conversation(s, "shell", "shell") == []


def test_what_the_meeting_agreed_about_a_thing_is_a_decision(chat: Chat) -> None:
    from storage.models import PendingQuestion

    _second_meeting(chat)
    for line in (
        "It was agreed that the strategy would go to the next board",
        "Agreed: the draft audit would be published in April",
        "It was agreed that the plan would be shared with schools",
    ):
        assert "Decision recorded" in chat.say("PMw", line)
    # Someone given the task is still an action; from a member, the agreement records nothing.
    assert "Action 1" in chat.say("PMw", "It was agreed that HN would ring the college by 29/03/24")
    assert "I didn't understand" in chat.say("LE", "It was agreed that the budget would be set")
    with chat.app.sessions() as s:
        decided = list(s.scalars(select(Decision.text).order_by(Decision.id)))
        actions = list(s.scalars(select(Action.title)))
        waiting = s.scalar(select(func.count()).select_from(PendingQuestion))
    assert decided == [
        "the strategy would go to the next board",
        "the draft audit would be published in April",
        "the plan would be shared with schools",
    ]
    assert actions == ["ring the college"] and waiting == 0


def test_the_next_meeting_as_the_minutes_head_it(chat: Chat) -> None:
    _second_meeting(chat)
    for typed, day in (
        ("Date and time of next meeting: 17 May 2024 at 10am", "Friday 17 May 2024 10:00"),
        ("Date, time and venue of next meeting: 21 June 2024 at 2pm", "Friday 21 June 2024 14:00"),
    ):
        assert day in chat.say("PMw", typed)
        assert day in chat.say("LE", "date of next meeting")
    with chat.app.sessions() as s:
        planned = [_utc(m.starts_at) for m in s.scalars(select(Meeting).where(Meeting.status == "planned"))]
    assert planned == [datetime(2024, 6, 21, 13, tzinfo=UTC)]  # 14:00 in London, summer time


def test_an_item_headed_as_minutes_head_it_is_taken(chat: Chat) -> None:
    _second_meeting(chat)

    def current() -> str | None:
        with chat.app.sessions() as s:
            meeting = s.get(Meeting, _meetings(chat)[-1].id)
            assert meeting is not None
            item = s.get(AgendaItem, meeting.current_item_id) if meeting.current_item_id else None
            return item.title if item else None

    # The heading alone, from the chair team: every word of it is in one item's title.
    assert "Item 3: Minutes and matters arising" in chat.say("PMw", "Matters arising")
    assert current() == "Minutes and matters arising"
    assert "Item 5: Risk register" in chat.say("MT", "Risk register:")
    assert current() == "Risk register"
    # `item` with a title recalled loosely takes the one item it fits best.
    assert "Item 1: Welcome and apologies" in chat.say("MT", "item welcome and introductions")
    assert current() == "Welcome and apologies"
    # A heading no item has, or one from someone outside the chair team, changes nothing.
    assert "I didn't understand" in chat.say("PMw", "Welcome and introductions")
    assert "I didn't understand" in chat.say("LE", "Risk register")
    assert current() == "Welcome and apologies"


def test_none_under_an_item_as_minutes_say_it(chat: Chat) -> None:
    from storage.models import Declaration, Note

    _second_meeting(chat)
    chat.say("PMw", "Declarations of interest")  # the heading takes item 2
    said = chat.say("PMw", "None declared.")
    assert "No declarations of interest" in said
    chat.say("PMw", "Any other business")
    assert "Noted for the minutes under item" in chat.say("PMw", "None.")
    # From a member, or with no item taken, it is not understood and nothing is stored.
    assert "I didn't understand" in chat.say("LE", "Nil")
    with chat.app.sessions() as s:
        notes = [(n.text, n.agenda_item_id) for n in s.scalars(select(Note))]
        march = _meetings(chat)[-1].id
        items = select(AgendaItem.id).where(AgendaItem.meeting_id == march)
        aob = s.scalars(items.where(AgendaItem.title == "Any other business")).one()
        assert s.scalar(select(func.count()).select_from(Declaration)) == 0
    assert notes == [("None.", aob)]
    chat.at("2024-03-15T11:50:00+00:00")
    chat.say("MT", "meeting end")
    printed = _minutes_of_march(chat)
    assert "No declarations of interest were made." in printed and "None." in printed


def test_the_tracker_item_headed_by_name_and_an_action_marked_completed(chat: Chat) -> None:
    _second_meeting(
        chat, ("Action: SMa to ring the school by 29/03/24", "Action: HN to write to the college by 29/03/24")
    )
    chat.say("MT", "item 1")
    # The heading of the tracker item takes it, and lists the tracker too; `actions` alone only lists.
    said = chat.say("PMw", "Action tracker")
    assert "Item 4: Action tracker" in said and "Open actions of" in said
    chat.say("MT", "item 1")
    assert "Item 4" not in chat.say("MT", "actions")
    assert "Item 4: Action tracker" in chat.say("PMw", "Actions from the last meeting")
    # The heading as long minutes type it, alone: the tracker review by its usual words.
    chat.say("MT", "item 1")
    said = chat.say("PMw", "Relevant Actions from previous Children's Safeguarding Partnership Board")
    assert "Item 4: Action tracker" in said
    # In the review, the status word alone after the number closes the action.
    assert "Action 1 closed" in chat.say("PMw", "Action 1 - completed")
    assert "Action 2" in chat.say("PMw", "Action 2. Letter drafted. Ongoing")
    with chat.app.sessions() as s:
        status = dict(s.execute(select(Action.number, Action.status)).tuples().all())
    assert status == {1: "done", 2: "open"}


def test_the_attendance_and_the_quorum_as_minutes_head_them(chat: Chat) -> None:
    from storage.models import Attendance, Note

    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    assert "Present: Miriam Tolley, Lowri Evans" in chat.say("PMw", "Attendees: MT (Chair), LE")
    chat.say("PMw", "Members present - SMa")
    # A line of the apologies list alone, with who came in their place.
    said = chat.say("PMw", "Tom Rees (Chloe Grant attending)")
    assert "Apologies: Tom Rees" in said and "Chloe Grant is attending for Tom Rees" in said
    # "The meeting was quorate." is checked, not taken on trust, and stores nothing.
    said = chat.say("PMw", "The meeting was quorate.")
    assert said.startswith("bot: Quorate: Westshire Council")
    assert "Noted for the minutes" in chat.say("PMw", "MT opened the meeting and welcomed members.")
    with chat.app.sessions() as s:
        here = set(
            s.scalars(
                select(Person.initials)
                .join(Attendance, Attendance.person_id == Person.id)
                .where(Attendance.status == "present")
            )
        )
        notes = list(s.scalars(select(Note.text)))
    assert here == {"MT", "LE", "SMa"}
    assert notes == ["MT opened the meeting and welcomed members."]
