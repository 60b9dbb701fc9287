"""The tracker: every change to an action, its log, its listing, and the questions asked on the way."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from conftest import Chat
from sqlalchemy import func, select

from storage.models import Action, ActionUpdate, AuditEvent, PendingQuestion, Person


@pytest.fixture
def board(chat: Chat) -> Chat:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "next meeting 15/03/24 10:00")
    chat.say("PMw", "Action: SMa/PMw to invite the performance lead to the next meeting")
    chat.say("PMw", "Action: HN to write to the three schools by 29/01/24")
    chat.say("PMw", "Action: Business Unit to resend the neglect survey by 9th February 2024")
    return chat


def _action(chat: Chat, number: int, series_id: int = 1) -> Action:
    with chat.app.sessions() as s:
        action = s.scalars(select(Action).where(Action.number == number, Action.series_id == series_id)).one()
        _ = action.owners, action.updates
        return action


def _log(chat: Chat, number: int) -> list[tuple[str, str | None, str | None]]:
    with chat.app.sessions() as s:
        rows = s.execute(
            select(ActionUpdate.kind, ActionUpdate.text, Person.initials)
            .join(Action, Action.id == ActionUpdate.action_id)
            .outerjoin(Person, Person.id == ActionUpdate.person_id)
            .where(Action.number == number)
            .order_by(ActionUpdate.id)
        ).all()
    return [(k, t, p) for k, t, p in rows]


def _entries(
    chat: Chat, number: int, series_id: int = 1
) -> list[tuple[str, str | None, str | None, str, int | None]]:
    """The action's log as stored: kind, text, who, through which door, in which meeting."""
    with chat.app.sessions() as s:
        rows = s.execute(
            select(
                ActionUpdate.kind,
                ActionUpdate.text,
                Person.initials,
                ActionUpdate.door,
                ActionUpdate.meeting_id,
            )
            .join(Action, Action.id == ActionUpdate.action_id)
            .outerjoin(Person, Person.id == ActionUpdate.person_id)
            .where(Action.number == number, Action.series_id == series_id)
            .order_by(ActionUpdate.id)
        ).all()
    return [(k, t, p, d, m) for k, t, p, d, m in rows]


def _audit(chat: Chat, ref: str) -> list[tuple[str, str, str, Any, Any]]:
    """The audit trail of one action ("board:2"): verb, actor, door, before, after."""
    with chat.app.sessions() as s:
        rows = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.entity == "action", AuditEvent.entity_id == ref)
            .order_by(AuditEvent.id)
        ).all()
        return [(e.verb, e.actor, e.door, e.before, e.after) for e in rows]


def _changed(before: Any, after: Any) -> dict[str, tuple[Any, Any]]:
    """What an audit event says changed: field → (before, after)."""
    return {k: (before.get(k), after.get(k)) for k in after if before.get(k) != after.get(k)}


def test_every_form_of_done_update_and_due(board: Chat) -> None:
    assert "Update recorded on Board 2" in board.say("HN", "update 2: two schools have replied")
    assert "Update recorded" in board.say("HN", "2 update chasing the third")
    out = board.say("HN", "2 new date 5/2/24")
    assert "now due Mon 5 Feb 2024" in out
    assert _action(board, 2).due_date == date(2024, 2, 5)
    assert "is done" in board.say("HN", "done 2")
    assert "already done" in board.say("HN", "2 done")
    assert [k for k, _, _ in _log(board, 2)] == ["created", "update", "update", "due", "done"]
    assert _log(board, 2)[1] == ("update", "two schools have replied", "HN")
    action = _action(board, 2)
    assert action.status == "done" and action.closed_at is not None
    # Each change is one log entry (who, door, the open meeting) and one audit event.
    assert _entries(board, 2)[1:] == [
        ("update", "two schools have replied", "HN", "shell", 1),
        ("update", "chasing the third", "HN", "shell", 1),
        ("due", "due Mon 5 Feb 2024", "HN", "shell", 1),
        ("done", None, "HN", "shell", 1),
    ]
    trail = _audit(board, "board:2")
    assert [(verb, actor, door) for verb, actor, door, _, _ in trail] == [
        ("created", "PMw", "shell"),
        ("updated", "HN", "shell"),
        ("updated", "HN", "shell"),
        ("due changed", "HN", "shell"),
        ("done", "HN", "shell"),
    ]
    assert [(b, a) for _, _, _, b, a in trail[1:3]] == [
        (None, {"update": "two schools have replied"}),
        (None, {"update": "chasing the third"}),
    ]
    assert _changed(*trail[3][3:]) == {"due": ("2024-01-29", "2024-02-05")}
    assert _changed(*trail[4][3:]) == {"status": ("open", "done")}


def test_reassign_drop_reopen_and_snooze(board: Chat) -> None:
    out = board.say("MT", "reassign 3 to KB")
    assert "Action 3 — Kieran Blake" in out
    owners = [(o.person_id is not None, o.removed_reason) for o in _action(board, 3).owners]
    assert owners == [(False, "reassigned"), (True, None)]
    assert "No reminders for Board 3 until Thu 1 Feb 2024" in board.say("KB", "snooze 3 until 1/2/24")
    assert _action(board, 3).snoozed_until == date(2024, 2, 1)
    assert "already snoozed" in board.say("KB", "snooze 3 until 1/2/24")
    assert "Only the chair" in board.say("KB", "drop 3 superseded")  # owners cannot drop: the chair team can
    assert "is not yours" in board.say("HN", "reopen 3")  # neither owner nor chair team
    assert _action(board, 3).status == "open"
    assert "dropped (superseded by the survey refresh)" in board.say(
        "MT", "action 3 drop: superseded by the survey refresh"
    )
    assert _action(board, 3).status == "dropped" and _action(board, 3).closed_at is not None
    assert "already dropped" in board.say("MT", "drop 3")
    assert "open again" in board.say("MT", "reopen 3")
    assert _action(board, 3).status == "open" and _action(board, 3).closed_at is None
    assert "already open" in board.say("MT", "reopen 3")
    # Refusals and repeats stored nothing; each change is one log entry and one audit event.
    assert _entries(board, 3)[1:] == [
        ("owner", "Kieran Blake", "MT", "shell", 1),
        ("snooze", "until Thu 1 Feb 2024", "KB", "shell", 1),
        ("dropped", "superseded by the survey refresh", "MT", "shell", 1),
        ("reopened", None, "MT", "shell", 1),
    ]
    trail = _audit(board, "board:3")
    assert [(verb, actor) for verb, actor, _, _, _ in trail] == [
        ("created", "PMw"),
        ("reassigned", "MT"),
        ("snoozed", "KB"),
        ("dropped", "MT"),
        ("reopened", "MT"),
    ]
    assert [_changed(b, a) for _, _, _, b, a in trail[1:]] == [
        {"owners": ([{"kind": "group", "id": "business-unit"}], [{"kind": "person", "id": "KB"}])},
        {"snoozed_until": (None, "2024-02-01")},
        {"status": ("open", "dropped")},
        {"status": ("dropped", "open")},
    ]


def test_not_mine_goes_to_the_chair(board: Chat) -> None:
    out = board.dm("SMa", "not mine 1")
    assert "goes back to the chair (Miriam Tolley)" in out and "Paul Mawer still owns it" in out
    assert "→ MT: Samir Malik returned Board 1" in out
    active = [o for o in _action(board, 1).owners if o.removed_at is None]
    assert len(active) == 1
    assert _log(board, 1)[-1][0] == "not_mine"
    returned = [o for o in _action(board, 1).owners if o.removed_reason == "not_mine"]
    assert len(returned) == 1 and returned[0].removed_at is not None
    assert _entries(board, 1)[1:] == [("not_mine", None, "SMa", "shell", 1)]
    (verb, actor, door, before, after) = _audit(board, "board:1")[-1]
    assert (verb, actor, door) == ("returned", "SMa", "shell")
    assert _changed(before, after) == {
        "owners": (
            [{"kind": "person", "id": "SMa"}, {"kind": "person", "id": "PMw"}],
            [{"kind": "person", "id": "PMw"}],
        )
    }
    assert "nothing to return" in board.dm("HN", "not mine board 1")  # not an owner: nothing stored
    assert len(_entries(board, 1)) == 2 and len(_audit(board, "board:1")) == 2


def test_direct_messages_resolve_numbers_among_your_own_actions(board: Chat) -> None:
    board.at("2024-01-22T14:00:00+00:00")
    board.door.channel = "exploitation-chat"  # another channel, for the other series
    board.say("TR", "meeting start exploitation")
    board.say("TR", "Action: HN to list the schools with the most exclusions by 9/2/24")
    board.say("TR", "Action: HN to brief the designated leads by 16/2/24")  # Exploitation 2, HN's too
    out = board.dm("HN", "done 2")
    assert "Which action 2: Board 2 or Exploitation 2?" in out
    assert _action(board, 2).status == "open"
    out = board.dm("HN", "exploitation")
    assert "Exploitation 2 is done" in out
    assert _action(board, 2, series_id=2).status == "done" and _action(board, 2).status == "open"
    out = board.dm("OK", "done 2")
    assert "not yours" in out and "board 2" in out  # OK is business unit: told how to name the series


def test_listings(board: Chat) -> None:
    board.say("HN", "update 2: two schools have replied")
    out = board.say("KB", "actions")
    assert "Open actions of Children's Safeguarding Partnership Board (3)" in out
    assert "two schools have replied (19 Jan 2024)" not in out and "two schools have replied" in out
    mine = board.dm("OK", "actions mine")
    assert "Board 3" in mine and "Board 2" not in mine
    board.at("2024-02-12T09:00:00+00:00")
    overdue = board.say("MT", "actions overdue")
    assert "Overdue actions" in overdue and "resend the neglect survey" in overdue
    assert "overdue by 3 days" in overdue and "invite the performance lead" not in overdue
    shown = board.say("KB", "action 2")
    assert "Log of Board 2" in shown and "created" in shown and "`action board 2 done`" in shown


def test_listings_show_each_actions_newest_update_and_no_other_entry(board: Chat) -> None:
    board.say("HN", "update 2: one school has replied")
    board.at("2024-01-22T09:00:00+00:00")
    board.say("HN", "update 2: two schools have replied")
    board.say("HN", "2 new date 9/2/24")  # logged after the update, but no update itself
    assert [k for k, _, _ in _log(board, 2)] == ["created", "update", "update", "due"]
    for out in (board.say("KB", "actions"), board.dm("HN", "actions mine")):
        assert "two schools have replied (Mon 22 Jan 2024)" in out
        assert "one school has replied" not in out
    # An action with no update shows none, and an action whose log has only other entries too.
    out = board.say("KB", "actions")
    row = next(line for line in out.splitlines() if "resend the neglect survey" in line)
    assert "replied" not in row


def test_the_same_update_sent_again_is_recorded_once(board: Chat) -> None:
    board.say("HN", "update 2: two schools have replied")
    board.say("HN", "2 new date 9/2/24")  # a later entry of another kind: the update is still the newest
    assert "already recorded on Board 2" in board.say("HN", "update 2: two schools have replied")
    assert [k for k, _, _ in _log(board, 2)] == ["created", "update", "due"]
    assert "Update recorded" in board.say("HN", "update 2: the third school has replied")
    assert [k for k, _, _ in _log(board, 2)] == ["created", "update", "due", "update"]


def test_bad_dates_and_unknown_numbers_change_nothing(board: Chat) -> None:
    before = _action(board, 2).due_date
    assert "can't read “soonish”" in board.say("HN", "2 new date soonish")
    assert "has passed" in board.say("HN", "2 new date 1/1/24")
    assert "no action 99" in board.say("HN", "action 99 done")
    assert _action(board, 2).due_date == before
    assert [k for k, _, _ in _log(board, 2)] == ["created"]
    assert [verb for verb, _, _, _, _ in _audit(board, "board:2")] == ["created"]


def test_questions_wait_for_an_answer_and_can_be_cancelled(board: Chat) -> None:
    def pending() -> int:
        with board.app.sessions() as s:
            return s.scalar(select(func.count()).select_from(PendingQuestion)) or 0

    with board.app.sessions() as s:
        count = s.scalar(select(func.count()).select_from(Action))
    out = board.say("PMw", "Action: SM to check the police protection figures by Friday")
    assert pending() == 1
    assert "cancelled" in board.say("PMw", "cancel").lower()
    assert pending() == 0
    board.say("PMw", "Action: to form a task and finish group")
    out = board.say("PMw", "nobody in particular")
    assert "doesn't answer my question" in out and "`cancel`" in out and pending() == 1
    out = board.say("PMw", "HN and Business Unit")
    assert "Action 4 — Hannah Noor, Business Unit" in out and pending() == 0
    # Another command runs while a question waits, and the question is repeated after it.
    board.say("PMw", "Action: SM to check the figures")
    out = board.say("PMw", "actions")
    assert "Open actions" in out and "Still waiting for your answer about “SM”" in out
    assert pending() == 1
    # A question expires after 15 minutes, saying what was lost; the message is read as usual.
    board.at((board.now + timedelta(minutes=16)).isoformat())
    out = board.say("PMw", "SMa")
    assert "Not recorded: all of `Action: SM to check the figures`" in out and pending() == 0
    with board.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Action)) == (count or 0) + 1


def test_an_explicit_number_is_kept_and_never_reused(board: Chat) -> None:
    out = board.say(
        "PMw", "Action 28. Education colleagues to follow up Operation Encompass as soon as possible"
    )
    assert "Action 28 — Education colleagues" in out
    assert "already exists" in board.say("PMw", "Action 28. HN to do it again")
    assert "Action 29" in board.say("PMw", "Action: GP to check the rota by Friday")


def test_the_same_message_delivered_twice_is_one_action(board: Chat) -> None:
    from handlers.context import Request

    req = Request(
        door="shell",
        channel="shell",
        user="PMw",
        text="Action: HN to ring the school by Friday",
        at=board.now,
        message_id="1705658400.000100",
    )
    assert "Action 4 — Hannah Noor" in board.core.handle(req).plain
    assert "already Action 4" in board.core.handle(req).plain
    with board.app.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Action)) == 4


def test_answering_twice_changes_nothing(board: Chat) -> None:
    for _ in range(2):
        board.dm("HN", "update 2: two schools have replied")
        board.dm("HN", "2 new date 5/2/24")
        board.dm("HN", "snooze 2 until 1/2/24")
    assert "already" in board.dm("HN", "update 2: two schools have replied")
    assert [k for k, _, _ in _log(board, 2)] == ["created", "update", "due", "snooze"]
    trail = [verb for verb, _, _, _, _ in _audit(board, "board:2")]
    assert trail == ["created", "updated", "due changed", "snoozed"]


def test_a_deadline_outside_the_window_is_not_taken_and_the_reply_says_so(board: Chat) -> None:
    """ "by 29/09/21" typed in 2024 is a date, only too far back: no due date, and the chair hears why."""
    out = board.say("PMw", "Action: HN to send the audit findings to the board by 29/09/21")
    assert "“by 29/09/21” is not taken as the due date: 29 Sep 2021 is more than 18 months ago" in out
    assert "`action 4 due …`" in out
    action = _action(board, 4)
    assert (action.due_date, action.due_kind) == (None, None)
    assert action.title.endswith("by 29/09/21")  # the words stay in the action
    out = board.say("PMw", "Action: KB to check the rota by 30/02/24")
    assert "“by 30/02/24” is not taken as the due date: February 2024 has 29 days, so there is no 30" in out
    assert _action(board, 5).due_date is None
    board.say("MT", "drop 5: typed again below")
    out = board.say("PMw", "Action: KB to review the plan by 14/03/2027")
    assert "“by 14/03/2027” is not taken as the due date: 14 Mar 2027 is more than 18 months ahead" in out
    assert _action(board, 6).due_date is None
    # A date in the window raises no such remark; a past date in history is not a deadline at all.
    out = board.say("PMw", "Action: KB to review the plan by 14/03/24, following the review of 12/03/2019")
    assert "not taken" not in out and _action(board, 7).due_date == date(2024, 3, 14)
    # The commands that take a date say why too, and change nothing.
    out = board.say("HN", "2 new date 29/09/21")
    assert "29 Sep 2021 has passed: give a date from today on. Nothing changed." in out
    out = board.say("HN", "2 new date 1/1/29")
    assert "1 Jan 2029 is more than 18 months ahead: give a nearer date. Nothing changed." in out
    assert _action(board, 2).due_date == date(2024, 1, 29)
    assert [k for k, _, _ in _log(board, 2)] == ["created"]


def test_a_day_the_month_does_not_have_is_named_and_nothing_changes(board: Chat) -> None:
    """ "29/2/25": not "can't read", but which day does not exist; the action keeps its date."""
    out = board.say("HN", "2 new date 29/2/25")
    assert "February 2025 has 28 days, so there is no 29 February: check the date. Nothing changed." in out
    out = board.say("HN", "snooze 2 until 31 June")
    assert "June has 30 days, so there is no 31 June" in out
    assert _action(board, 2).due_date == date(2024, 1, 29) and _action(board, 2).snoozed_until is None
    assert [k for k, _, _ in _log(board, 2)] == ["created"]


def test_what_is_due_lists_my_actions(board: Chat) -> None:
    for asked in ("what's due?", "What is due for me", "my open actions?"):
        out = board.say("HN", asked)
        assert "Your open actions (1)" in out and "write to the three schools" in out


def test_done_without_a_number_in_a_direct_message(board: Chat) -> None:
    board.at("2024-01-22T14:00:00+00:00")
    # In the meeting's chat everyone has actions: the number is needed, and nothing changes.
    assert "Which action? Type its number: `action N done`." in board.say("HN", "done")
    assert _action(board, 2).status == "open"
    # In a direct message, HN's one open action, HN's by name, is the one meant.
    assert "Board 2 is done" in board.dm("HN", "done.")
    assert _action(board, 2).status == "done"
    assert _log(board, 2)[-1] == ("done", None, "HN")
    assert "You have no open actions, so none to mark done" in board.dm("HN", "done")

    # Several open actions: the bot asks which, and the answer runs as `action N done`.
    board.say("PMw", "Action: SMa to brief the chair by 2/2/24")
    out = board.dm("SMa", "it's done")
    # soonest due first: Board 4 by 2 February, Board 1 by the next meeting
    assert "Which action is done? Board 4: “brief the chair”; Board 1: “invite the performance lead" in out
    assert _action(board, 1).status == "open" and _action(board, 4).status == "open"
    assert "Board 4 is done" in board.dm("SMa", "1")
    assert _action(board, 1).status == "open" and _action(board, 4).status == "done"

    # An action someone has only through a group is asked about, even when it is their only one.
    out = board.dm("OK", "done")
    assert "Which action is done? Board 3: “resend the neglect survey”" in out
    board.dm("OK", "cancel")
    assert _action(board, 3).status == "open"

    # "not mine" the same way: SMa's one open action goes back to the chair; PMw still owns it.
    assert "Board 1 goes back to the chair" in board.dm("SMa", "not mine")
    owners = [o.person_id for o in _action(board, 1).owners if o.removed_at is None]
    assert len(owners) == 1
    with board.app.sessions() as s:
        assert s.get(Person, owners[0]).initials == "PMw"


def test_what_have_i_got_lists_my_actions(board: Chat) -> None:
    for asked in ("what have I got?", "What do I have to do?", "what am I down for"):
        out = board.dm("HN", asked)
        assert "Your open actions (1)" in out and "write to the three schools" in out


def test_a_tracker_line_in_a_direct_message_updates_your_action(board: Chat) -> None:
    board.at("2024-01-22T14:00:00+00:00")
    out = board.dm("HN", "2 - letters drafted, going out on Monday")
    assert "Update recorded on Board 2: “letters drafted, going out on Monday”." in out
    assert _log(board, 2)[-1] == ("update", "letters drafted, going out on Monday", "HN")
    # In the meeting's chat the same line is no update of the action.
    board.say("HN", "2 - letters signed")
    assert [t for k, t, _ in _log(board, 2) if k == "update"] == ["letters drafted, going out on Monday"]
    # Someone else's action: refused as `update 2: …` would be, and nothing is stored.
    assert "not yours" in board.dm("GP", "2 - I can help with this")
    assert len(_log(board, 2)) == 2
    out = board.dm("HN", "Action 2: letters sent. Action closed.")  # as the tracker has it
    assert "Board 2 is done" in out
    assert _action(board, 2).status == "done"
    assert _log(board, 2)[-1] == ("done", "letters sent.", "HN")


def test_an_explicit_number_in_use_is_refused_before_any_question(board: Chat) -> None:
    out = board.say("MT", "Action 2 - add GP")  # meant as a change of action 2's owners
    assert "Action 2 of Children's Safeguarding Partnership Board already exists" in out
    assert "`action 2 owner …`" in out and "?" not in out.split("already exists")[0]
    with board.app.sessions() as s:
        assert s.scalars(select(PendingQuestion)).all() == []  # nothing waits on an answer
    owners = _action(board, 2).owners
    assert len(owners) == 1 and owners[0].removed_at is None  # still HN's alone
    assert [k for k, _, _ in _log(board, 2)] == ["created"]  # nothing changed


def test_done_said_in_the_first_person(board: Chat) -> None:
    assert "Board 2 is done" in board.say("HN", "I've done action 2")
    assert _action(board, 2).status == "done"
    assert _log(board, 2)[-1] == ("done", None, "HN")
    assert board.say("MT", "what's overdue?") == board.say("MT", "actions overdue")
