"""The agenda pack, the minutes, the next meeting and the tracker asked for as people ask for them."""

from __future__ import annotations

import pytest
from conftest import Chat

import handlers.commands  # noqa: F401 - registers every command
from handlers import registry


@pytest.mark.parametrize(
    ("typed", "command", "args"),
    [
        ("can I have the agenda for the next cpog meeting?", "agenda next", {"series": "cpog"}),
        ("Could we get the agenda pack please", "agenda next", {}),
        ("send me the agenda for board", "agenda next", {"series": "board"}),
        ("agenda please", "agenda next", {}),  # "please" is no series
        ("agenda next board", "agenda next", {"series": "board"}),
        ("minutes please", "minutes draft", {}),
        ("minutes of the last cpog meeting", "minutes draft", {"series": "cpog", "meeting": "last"}),
        ("could you send me the draft minutes please?", "minutes draft", {}),
        ("minutes draft board 19/01/24", "minutes draft", {"series": "board", "meeting": "19/01/24"}),
        ("when is the next meeting?", "next meeting", {}),
        ("When's the next board meeting?", "next meeting", {"series": "board"}),
        ("what's overdue?", "actions overdue", {}),
        ("Which actions are overdue?", "actions overdue", {}),
        ("I've done action 3", "action done", {}),
        ("we have completed board 3", "action done", {"series": "board"}),
        # A format asked for: every document comes as chat, Word and PDF, so it is no series.
        ("can I have the agenda for the next board meeting as a pdf?", "agenda next", {"series": "board"}),
        ("agenda pack board pdf", "agenda next", {"series": "board"}),
        ("agenda in Word please", "agenda next", {}),
        ("can I have the minutes for board as pdf", "minutes draft", {"series": "board"}),
        ("done with 3 - rang them today", "action done", {}),
        ("what actions do I have?", "actions mine", {}),
    ],
)
def test_asked_as_people_ask(typed: str, command: str, args: dict[str, str]) -> None:
    found = registry.match(typed)
    assert found is not None, typed
    spec, got = found
    assert spec.name == command
    assert {k: v for k, v in got.items() if k in ("series", "meeting")} == args


def test_minutes_please_gives_the_draft(chat: Chat) -> None:
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("MT", "present MT LE")
    chat.say("MT", "meeting end")
    said = chat.say("RB", "minutes please")
    assert "Minutes: Children's Safeguarding Partnership Board, Friday 19 January 2024" in said
    assert "board-minutes-2024-01-19-draft.docx" in said
    as_pdf = chat.say("RB", "minutes for board as a PDF please")
    assert "board-minutes-2024-01-19-draft.pdf" in as_pdf
