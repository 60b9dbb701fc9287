"""Who may do what, the refusals that say who can, `help` from the registry, unknown commands."""

from __future__ import annotations

import re

from conftest import Chat
from sqlalchemy import func, select

from handlers.registry import all_commands, match
from storage.models import Action, Attendance, AuditEvent, Meeting


def _count(chat: Chat, model: type) -> int:
    with chat.app.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_only_the_chair_team_runs_the_meeting(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    out = chat.say("KB", "meeting start board")
    assert "Only the chair (Miriam Tolley)" in out and "Business Unit" in out
    assert _count(chat, Meeting) == 0
    assert "is open" in chat.say("OK", "meeting start board")  # the business unit may
    out = chat.say("KB", "present KB")
    assert "Only the chair" in out and _count(chat, Attendance) == 0
    assert "Only the chair" in chat.say("HN", "decision: nothing")


def test_members_add_actions_and_update_only_their_own(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    assert "Action 1" in chat.say("KB", "Action: HN to write to the schools by 29/01/24")
    out = chat.say("KB", "action 1 done")
    assert "not yours" in out and "Hannah Noor" in out
    with chat.app.sessions() as s:
        assert s.scalars(select(Action.status)).one() == "open"
    assert "is done" in chat.say("HN", "action 1 done")


def test_outsiders_can_only_ask_for_help(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    before = _count(chat, AuditEvent)
    out = chat.say("XY", "actions")
    assert "not in the Westshire Safeguarding Children Partnership file" in out
    assert "business manager (Rhian Bowen)" in out
    assert "Action" not in chat.say("XY", "Action: HN to write to the schools by Friday").split("file")[0]
    out = chat.say("XY", "help")
    assert "not in its partnership file" in out
    assert _count(chat, AuditEvent) == before
    assert _count(chat, Action) == 0


def test_non_members_of_a_series_see_nothing_of_it(chat: Chat) -> None:
    chat.at("2024-01-22T14:00:00+00:00")
    chat.say("TR", "meeting start exploitation")
    chat.say("TR", "Action: KB to map the knife crime referrals by 29/02/24")
    out = chat.say("GP", "actions")  # Gareth Pryce is not in the exploitation group
    assert "Only members of Tackling Exploitation Group" in out and "knife" not in out


def test_help_lists_what_this_person_may_run_here(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chair = chat.say("MT", "help")
    member = chat.say("KB", "help")
    assert "`present NAMES`" in chair and "`meeting end`" in chair
    assert "`present NAMES`" not in member and "`actions mine`" in member
    assert "Action: OWNERS to DO SOMETHING by DATE" in member
    # Every registered command shows to the chair here, once, generated from the registry.
    listed = re.findall(r"^\s+`(.+)` — ", chair, re.M)
    assert sorted(listed) == sorted(s.usage for s in all_commands())
    assert "`done N`" in chat.say("KB", "help done")


def test_unknown_command_gets_the_nearest_commands(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    out = chat.say("MT", "presnt MT LE")
    assert "didn't understand" in out and "`present NAMES`" in out
    out = chat.say("MT", "apologeis TR")
    assert "`apologies NAMES`" in out


def test_loose_patterns_leave_ordinary_chat_alone(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    out = chat.say("KB", "Thanks for that")
    assert "Only the chair" not in out and "didn't understand" in out
    assert _count(chat, Attendance) == 0


def test_registry_has_one_canonical_form_per_command() -> None:
    names = [s.name for s in all_commands()]
    assert len(names) == len(set(names))
    for text, name in [
        ("done 3", "action done"),
        ("3 done", "action done"),
        ("board 3 done", "action done"),
        ("update 3: met them", "action update"),
        ("3 new date 29/09/23", "action due"),
        ("new date 3 by Friday", "action due"),
        ("reassign 3 to HN", "action owner"),
        ("not mine 3", "action not mine"),
        ("snooze 3 until 1/3/24", "action snooze"),
        ("drop 3 superseded", "action drop"),
        ("reopen 3", "action reopen"),
        ("CG for TR", "deputy"),
        ("BLl deputising for DA", "deputy"),
        ("LE left 10:40", "left"),
        ("Action: SMa to invite X", "action"),
        ("Action 23. SMa to invite X", "action"),
        ("present MT LE SMa PMw", "present"),
        ("apologies Tom Rees, Dev Anand", "apologies"),
    ]:
        found = match(text)
        assert found is not None and found[0].name == name, text
