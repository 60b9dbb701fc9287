"""Questions that never lose input, and the attendance forms minutes use.

A command stores what is clear and asks only about the rest; questions queue per person and
conversation; other commands run while one waits and the question is repeated after them; every
answer a person would give works; nothing is dropped without saying exactly what. Checked on the
stored rows (attendance, actions, pending questions), not only on the wording.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from conftest import Chat
from sqlalchemy import select

from storage.models import Action, Attendance, Note, PendingQuestion, Person

START = "2024-01-19T10:00:00+00:00"


@pytest.fixture
def meeting(chat: Chat) -> Chat:
    chat.at(START)
    chat.say("MT", "meeting start board")
    return chat


def _initials(chat: Chat) -> dict[int, str]:
    """Person id -> initials; a guest (not in the file) by name."""
    with chat.app.sessions() as s:
        return {p.id: p.name if p.guest else p.initials for p in s.scalars(select(Person))}


def attendance(chat: Chat) -> dict[str, tuple[str, str | None]]:
    """Who is on the sheet: initials (a guest's name) -> (status, the member they deputise for)."""
    people = _initials(chat)
    with chat.app.sessions() as s:
        rows = list(s.scalars(select(Attendance).order_by(Attendance.id)))
    return {
        (people[r.person_id] if r.person_id else str(r.guest_name)): (
            r.status,
            people[r.deputy_for_id] if r.deputy_for_id else None,
        )
        for r in rows
    }


def arrived(chat: Chat, initials: str) -> datetime | None:
    people = {v: k for k, v in _initials(chat).items()}
    with chat.app.sessions() as s:
        row = s.scalars(select(Attendance).where(Attendance.person_id == people[initials])).one()
        return row.arrived_at


def pending(chat: Chat) -> list[tuple[str, str, str]]:
    """Open questions in queue order: (asker, the words asked about, what waits on the answer)."""
    with chat.app.sessions() as s:
        rows = s.scalars(select(PendingQuestion).order_by(PendingQuestion.asker, PendingQuestion.position))
        return [(q.asker, q.part, q.holds) for q in rows]


def actions(chat: Chat) -> dict[int, tuple[str, list[str]]]:
    """Action number -> (title, current owners as initials, group ids or "all")."""
    people = _initials(chat)
    with chat.app.sessions() as s:
        out = {}
        for a in s.scalars(select(Action).order_by(Action.number)):
            owners = [
                people[o.person_id] if o.person_id else (o.key or o.kind)
                for o in a.owners
                if o.removed_at is None
            ]
            out[a.number] = (a.title, owners)
        return out


# --- store what is clear, ask only about the rest ---------------------------------------------------------


def test_present_records_the_clear_names_at_once_and_asks_about_the_rest(meeting: Chat) -> None:
    out = meeting.say("MT", "present MT LE SM HN")
    assert "Present: Miriam Tolley, Lowri Evans, Hannah Noor." in out
    assert (
        "“SM” could be more than one person" in out and "1. SMa (Samir Malik); 2. SMi (Sarah Milner)" in out
    )
    assert "`skip`" in out and "`cancel`" in out
    # Stored before any answer: only SM waits.
    assert attendance(meeting) == {
        "MT": ("present", None),
        "LE": ("present", None),
        "HN": ("present", None),
    }
    assert pending(meeting) == [("MT", "SM", "“SM” as present")]
    meeting.at("2024-01-19T10:03:00+00:00")
    out = meeting.say("MT", "2")
    assert "Present: Sarah Milner." in out
    assert attendance(meeting)["SMi"] == ("present", None) and pending(meeting) == []
    # Recorded as of the message that named her, not the answer.
    assert arrived(meeting, "SMi") == datetime.fromisoformat(START)


def test_each_unclear_name_gets_its_own_question_in_order(meeting: Chat) -> None:
    out = meeting.say("MT", "present MT SM TW")
    assert "Also waiting for your answer: I don't know “TW”" in out
    assert [part for _, part, _ in pending(meeting)] == ["SM", "TW"]
    out = meeting.say("MT", "1")
    assert "Present: Samir Malik." in out and "Next question, about “TW”" in out
    out = meeting.say("MT", "Tess Turner")
    assert "Present: Tess Turner." in out and pending(meeting) == []
    assert {k for k, (status, _) in attendance(meeting).items() if status == "present"} == {"MT", "SMa", "TT"}


@pytest.mark.parametrize(
    ("answer", "recorded"),
    [
        ("1", {"SMa"}),
        ("2.", {"SMi"}),
        ("1 2", {"SMa", "SMi"}),
        ("1 and 2", {"SMa", "SMi"}),
        ("1, 2", {"SMa", "SMi"}),
        ("both", {"SMa", "SMi"}),
        ("Both of them", {"SMa", "SMi"}),
        ("all of them", {"SMa", "SMi"}),
        ("all", {"SMa", "SMi"}),
        ("SMi", {"SMi"}),
        ("sma", {"SMa"}),
        ("Sarah Milner", {"SMi"}),
        ("SMa and SMi", {"SMa", "SMi"}),
        ("I meant SMa, thanks", {"SMa"}),
        ("the vice-chair", {"TR"}),
        ("Business Unit", {"RB", "OK"}),
    ],
)
def test_every_answer_a_person_would_give_to_who_is_it(
    meeting: Chat, answer: str, recorded: set[str]
) -> None:
    meeting.say("MT", "present MT SM")
    meeting.say("MT", answer)
    assert pending(meeting) == []
    here = {k for k, (status, _) in attendance(meeting).items() if status == "present"}
    assert here == {"MT"} | recorded


@pytest.mark.parametrize(
    ("answer", "owners"),
    [
        ("both", ["SMa", "SMi"]),
        ("1 2", ["SMa", "SMi"]),
        ("2", ["SMi"]),
        ("Sarah Milner", ["SMi"]),
        ("chair", ["MT"]),
        ("the business manager", ["RB"]),
        ("Business Unit", ["business-unit"]),
        ("all partners", ["all"]),
        ("SMa and Business Unit", ["SMa", "business-unit"]),
    ],
)
def test_every_answer_to_who_owns_an_action(meeting: Chat, answer: str, owners: list[str]) -> None:
    meeting.say("PMw", "Action: SM to check the police protection figures by Friday")
    assert actions(meeting) == {}  # an action is stored whole, once its owners are settled
    meeting.say("PMw", answer)
    assert actions(meeting) == {1: ("check the police protection figures", owners)}
    assert pending(meeting) == []


def test_an_action_with_no_owner_takes_all_or_names(meeting: Chat) -> None:
    out = meeting.say("PMw", "Action: to form a task and finish group on local procedures")
    assert "Who owns this action?" in out and "Nothing is stored until you answer" in out
    meeting.say("PMw", "all")
    meeting.say("PMw", "Action: to write the newsletter")
    meeting.say("PMw", "HN and Business Unit")
    assert actions(meeting) == {
        1: ("form a task and finish group on local procedures", ["all"]),
        2: ("write the newsletter", ["HN", "business-unit"]),
    }


# --- skip, cancel, answers that do not fit ---------------------------------------------------------------


def test_skip_leaves_that_part_out_and_says_what(meeting: Chat) -> None:
    meeting.say("MT", "present MT SM")
    out = meeting.say("MT", "skip")
    assert "Skipped “SM”. Not recorded: “SM” as present, from `present MT SM`." in out
    assert attendance(meeting) == {"MT": ("present", None)} and pending(meeting) == []


def test_skip_leaves_one_owner_out_of_an_action_with_others(meeting: Chat) -> None:
    meeting.say("PMw", "Action: SM and HN to draft the letter by Friday")
    out = meeting.say("PMw", "skip")
    assert "Left out “SM”." in out and "Action 1 — Hannah Noor" in out
    assert actions(meeting) == {1: ("draft the letter", ["HN"])}


def test_skip_of_the_only_owner_stores_nothing_and_says_so(meeting: Chat) -> None:
    meeting.say("PMw", "Action: SM to ring the school")
    out = meeting.say("PMw", "skip")
    assert "Not recorded: all of `Action: SM to ring the school`" in out
    assert actions(meeting) == {} and pending(meeting) == []


def test_cancel_drops_what_one_message_left_waiting_and_nothing_else(meeting: Chat) -> None:
    meeting.say("MT", "Action: SM to check the figures")
    meeting.say("MT", "present MT SM TW")  # queued behind the action's question
    assert [part for _, part, _ in pending(meeting)] == ["SM", "SM", "TW"]
    out = meeting.say("MT", "cancel")
    assert "Cancelled. Not recorded: all of `Action: SM to check the figures`." in out
    assert "Next question, about “SM” (from `present MT SM TW`)" in out
    out = meeting.say("MT", "cancel")
    assert "Not recorded: “SM” as present, from `present MT SM TW`; “TW” as present" in out
    assert "What was recorded from it before stays recorded." in out
    assert pending(meeting) == [] and actions(meeting) == {}
    assert attendance(meeting) == {"MT": ("present", None)}


def test_an_answer_that_does_not_fit_says_why_every_time_and_never_loops(meeting: Chat) -> None:
    meeting.say("MT", "present MT SM")
    first = meeting.say("MT", "Xavier")
    assert "“Xavier” doesn't answer my question: I don't know “Xavier” in the partnership file" in first
    assert (
        "1. SMa (Samir Malik); 2. SMi (Sarah Milner)" in first and "`skip`" in first and "`cancel`" in first
    )
    second = meeting.say("MT", "7")
    assert "there is no option 7 (the options are 1 to 2)" in second
    assert "1. SMa (Samir Malik)" in second and "`skip`" in second and "`cancel`" in second
    third = meeting.say("MT", "SM")
    assert "“SM” is still more than one person (SMa or SMi)" in third
    assert len(pending(meeting)) == 1 and "SMa" not in attendance(meeting)
    meeting.say("MT", "1")
    assert attendance(meeting)["SMa"] == ("present", None) and pending(meeting) == []


def test_only_one_fits_where_one_is_asked_for(meeting: Chat) -> None:
    meeting.say("MT", "apologies TR (XY attending)")
    out = meeting.say("MT", "CG and BLl")
    assert "only one fits here" in out and len(pending(meeting)) == 1
    meeting.say("MT", "CG")
    assert attendance(meeting)["CG"] == ("deputy", "TR")


def test_an_answer_the_command_refuses_keeps_the_question(meeting: Chat) -> None:
    meeting.say("MT", "apologies SM")
    out = meeting.say("MT", "Chloe Grant")  # not a member of the board: no apologies for her
    assert "that was refused: Chloe Grant is not a member" in out and "still open" in out
    assert len(pending(meeting)) == 1
    meeting.say("MT", "1")
    assert attendance(meeting) == {"SMa": ("apologies", None)} and pending(meeting) == []


# --- other commands while a question waits; the queue ----------------------------------------------------


def test_other_commands_run_while_a_question_waits_and_it_is_repeated(meeting: Chat) -> None:
    meeting.say("MT", "present MT LE SM")
    out = meeting.say("MT", "quorum")
    assert "Not quorate" in out
    assert "Still waiting for your answer about “SM” (from `present MT LE SM`)" in out
    out = meeting.say("MT", "note: the CHAT data will be shared after the meeting")
    assert "Noted" in out and "Still waiting for your answer about “SM”" in out
    out = meeting.say("MT", "HN to ring the school by Friday")  # an action line in minutes English
    assert "Action 1 — Hannah Noor" in out and "Still waiting" in out
    with meeting.app.sessions() as s:
        assert s.scalars(select(Note.text)).one() == "the CHAT data will be shared after the meeting"
    assert actions(meeting) == {1: ("ring the school", ["HN"])}
    # The answer still works afterwards.
    meeting.say("MT", "both")
    assert {"SMa", "SMi"} <= set(attendance(meeting)) and pending(meeting) == []


def test_two_questions_queue_and_the_first_is_answered_first(meeting: Chat) -> None:
    meeting.say("PMw", "Action: SM to check the police protection figures by Friday")
    out = meeting.say("PMw", "Action: to form a task and finish group on local procedures")
    assert "Also waiting for your answer: Who owns this action?" in out
    assert "I'll come to it after your question about “SM”" in out
    assert [part for _, part, _ in pending(meeting)] == ["SM", ""]
    out = meeting.say("PMw", "1")
    assert "Action 1 — Samir Malik" in out and "Next question" in out and "Who owns this action?" in out
    meeting.say("PMw", "HN")
    assert actions(meeting) == {
        1: ("check the police protection figures", ["SMa"]),
        2: ("form a task and finish group on local procedures", ["HN"]),
    }


def test_a_follow_up_question_keeps_its_place_at_the_front(meeting: Chat) -> None:
    meeting.say("PMw", "Action: SM and XY to draft the letter")
    meeting.say("PMw", "Action: to write the newsletter")
    out = meeting.say("PMw", "SMi")  # settles SM; XY is still unknown, asked next, before the newsletter
    assert "I don't know “XY”" in out
    assert [part for _, part, _ in pending(meeting)] == ["XY", ""]
    meeting.say("PMw", "HN")
    meeting.say("PMw", "GP")
    assert actions(meeting) == {1: ("draft the letter", ["SMi", "HN"]), 2: ("write the newsletter", ["GP"])}


def test_questions_lists_what_waits_here_and_what_each_holds(meeting: Chat) -> None:
    assert "No questions are waiting" in meeting.say("MT", "questions")
    meeting.say("MT", "present MT SM")
    meeting.say("PMw", "Action: SM to ring the school")
    out = meeting.say("HN", "questions")
    assert "Waiting for an answer here (2)" in out
    assert "Miriam Tolley (their next answer goes here)" in out
    assert "Holds: “SM” as present, from `present MT SM`." in out
    assert "Paul Mawer (their next answer goes here)" in out
    assert "Holds: all of `Action: SM to ring the school`." in out


def test_a_question_expires_saying_what_was_lost(meeting: Chat) -> None:
    meeting.say("MT", "present MT SM")
    meeting.at("2024-01-19T10:10:00+00:00")
    meeting.say("MT", "quorum")  # still here: the question waits on
    meeting.at("2024-01-19T10:20:00+00:00")
    assert "Still waiting" in meeting.say("MT", "quorum")
    meeting.at("2024-01-19T10:40:00+00:00")
    out = meeting.say("MT", "quorum")
    assert "My question about “SM” waited more than 15 minutes without an answer and is dropped." in out
    assert "Not recorded: “SM” as present, from `present MT SM`." in out
    assert "Not quorate" in out and "Still waiting" not in out  # the message itself is answered as usual
    assert pending(meeting) == [] and attendance(meeting) == {"MT": ("present", None)}


def test_meeting_end_lists_the_open_questions_and_what_each_held(meeting: Chat) -> None:
    meeting.say("MT", "present MT SM")
    meeting.say("PMw", "Action: SM to ring the school")
    out = meeting.say("MT", "meeting end")
    assert "2 questions were still open and are now dropped with the meeting" in out
    assert "- Miriam Tolley: “SM” — not recorded: “SM” as present, from `present MT SM`" in out
    assert "- Paul Mawer: “SM” — not recorded: all of `Action: SM to ring the school`" in out
    assert pending(meeting) == []


# --- the attendance forms minutes use ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "recorded"),
    [
        ("apologies TR (CG attending)", {"TR": ("apologies", None), "CG": ("deputy", "TR")}),
        ("apologies Tom Rees (Chloe Grant attending)", {"TR": ("apologies", None), "CG": ("deputy", "TR")}),
        (
            "apologies DA (represented by BLl), NF",
            {"DA": ("apologies", None), "BLl": ("deputy", "DA"), "NF": ("apologies", None)},
        ),
        ("present Bethan Lloyd (for Mr Anand)", {"DA": ("apologies", None), "BLl": ("deputy", "DA")}),
        (
            "present Chloe Grant (for Superintendent Rees)",
            {"TR": ("apologies", None), "CG": ("deputy", "TR")},
        ),
        (
            "present MT, CG (deputising for TR)",
            {"MT": ("present", None), "TR": ("apologies", None), "CG": ("deputy", "TR")},
        ),
        ("Chloe Grant deputised for Tom Rees", {"TR": ("apologies", None), "CG": ("deputy", "TR")}),
        (
            "DA sent apologies; BLl attended in his place",
            {"DA": ("apologies", None), "BLl": ("deputy", "DA")},
        ),
        ("NF sent her apologies", {"NF": ("apologies", None)}),
        ("present Bethan Lloyd (BLl) (for Mr Anand)", {"DA": ("apologies", None), "BLl": ("deputy", "DA")}),
        (
            "present Lowri Evans (LE) (Chair), Beth Lloyd (BLl)",
            {"LE": ("present", None), "BLl": ("present", None)},
        ),
        ("CG for TR", {"TR": ("apologies", None), "CG": ("deputy", "TR")}),
        ("BLl deputising for DA", {"DA": ("apologies", None), "BLl": ("deputy", "DA")}),
        ('apologies TR ("Jane Doe" attending)', {"TR": ("apologies", None), "Jane Doe": ("deputy", "TR")}),
    ],
)
def test_attendance_forms_minutes_use(
    meeting: Chat, line: str, recorded: dict[str, tuple[str, str | None]]
) -> None:
    out = meeting.say("MT", line)
    assert "?" not in out.split("bot:", 1)[1][:3], out  # no question
    assert attendance(meeting) == recorded
    assert pending(meeting) == []


def test_an_unclear_deputy_is_asked_about_with_the_apology_recorded(meeting: Chat) -> None:
    out = meeting.say("MT", "apologies TR (XY attending)")
    assert "Apologies: Tom Rees." in out and "I don't know “XY”" in out
    assert "A full name records someone who is not in the file as a guest." in out
    assert attendance(meeting) == {"TR": ("apologies", None)}
    assert pending(meeting) == [("MT", "XY", "“XY” attending for Tom Rees (their apologies are recorded)")]
    meeting.say("MT", "CG")
    assert attendance(meeting) == {"TR": ("apologies", None), "CG": ("deputy", "TR")}


def test_a_deputy_named_close_to_someone_is_asked_about_with_the_rest_recorded(meeting: Chat) -> None:
    out = meeting.say("MT", "apologies TR (Cleo Grant attending), DA")
    assert "Apologies: Tom Rees, Dev Anand." in out and "Did you mean Chloe Grant (CG)?" in out
    assert attendance(meeting) == {"TR": ("apologies", None), "DA": ("apologies", None)}
    meeting.say("MT", "yes")
    assert attendance(meeting)["CG"] == ("deputy", "TR") and pending(meeting) == []


def test_a_full_name_not_in_the_file_is_a_guest_with_no_question(meeting: Chat) -> None:
    out = meeting.say("MT", "present MT, Ivor Hale (for Superintendent Rees)")
    assert "Ivor Hale is attending for Tom Rees." in out and "recorded as a guest" in out
    assert attendance(meeting) == {
        "MT": ("present", None),
        "TR": ("apologies", None),
        "Ivor Hale": ("deputy", "TR"),
    }
    assert pending(meeting) == []


def test_an_unclear_member_holds_the_deputy_until_answered(meeting: Chat) -> None:
    out = meeting.say("MT", "present MT, CG (for SM)")
    assert "Present: Miriam Tolley." in out and "“SM” could be more than one person" in out
    assert attendance(meeting) == {"MT": ("present", None)}
    assert pending(meeting) == [("MT", "SM", "CG attending for “SM”")]
    meeting.say("MT", "2")
    assert attendance(meeting) == {
        "MT": ("present", None),
        "SMi": ("apologies", None),
        "CG": ("deputy", "SMi"),
    }


def test_a_deputy_for_someone_unknown_asks_and_then_records_both(meeting: Chat) -> None:
    out = meeting.say("MT", "CG for Tim Reese")
    assert "I don't know “Tim Reese”" in out and "TR (Tom Rees)" in out
    assert attendance(meeting) == {}
    meeting.say("MT", "1")
    assert attendance(meeting) == {"TR": ("apologies", None), "CG": ("deputy", "TR")}


def test_an_answer_with_a_huge_number_is_no_option_and_the_question_stays(meeting: Chat) -> None:
    meeting.say("MT", "present MT SM")
    assert pending(meeting) == [("MT", "SM", "“SM” as present")]
    out = meeting.say("MT", "9" * 5000)
    assert "there is no option with that number (the options are 1 to 2)" in out and "went wrong" not in out
    assert pending(meeting) == [("MT", "SM", "“SM” as present")]
    assert "SMa" not in attendance(meeting) and "SMi" not in attendance(meeting)
