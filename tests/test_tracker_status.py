"""Tracker status the way a business unit reads it: status words, the date closed, RAG, and `--at`."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import Chat
from docx import Document
from sqlalchemy import select

import handlers.documents  # noqa: F401 - registers the document commands
from bot.app import App
from bot.cli import main
from storage.models import Action

# Meetings of the board: actions raised at the first, updated and closed at and after the second.
FIRST = """
@ 2024-01-19T10:00:00+00:00
MT: meeting start board
MT: present MT LE SMa PMw HN RB
MT: Action: HN to send the audit summary by Friday 1 March 2024
MT: Action: RB to circulate the neglect survey results
MT: Action: LE to review the health contribution to the neglect strategy
MT: Action: PMw to book the venue for the summit
MT: Action: SMa to chase the missing returns
MT: Action: HN to update the escalation policy
MT: Action: RB to send the meeting dates for next year
MT: meeting end
@ 2024-01-25T10:00:00+00:00
LE: action 3 update: No further update
"""
SECOND = """
@ 2024-02-16T10:00:00+00:00
MT: meeting start board
MT: present MT LE SMa PMw HN RB
@ 2024-02-16T10:30:00+00:00
MT: action 2 update: RB sent the results to all partners
MT: done 4
MT: meeting end
@ 2024-02-18T09:00:00+00:00
RB: done 7
MT: drop 5: covered by the audit
"""
THIRD = """
@ 2024-03-15T10:00:00+00:00
MT: meeting start board
MT: present MT LE SMa PMw HN RB
MT: meeting end
"""


def export(database_url: str, *args: str) -> tuple[int, dict[str, dict[str, str]], str]:
    """`partnerbot export actions --series board` as CSV, rows by action number."""
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--database", database_url, "export", "actions", "--series", "board", *args], stdout=out, stderr=err
    )
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(out.getvalue()))}
    return code, rows, err.getvalue()


def rows_at(database_url: str, at: str) -> dict[str, dict[str, str]]:
    code, rows, err = export(database_url, "--at", at)
    assert code == 0, err
    return rows


def rag_at(database_url: str, at: str) -> dict[str, str]:
    return {n: r["rag"] for n, r in rows_at(database_url, at).items()}


@pytest.fixture
def board(chat: Chat) -> Chat:
    chat.script(FIRST)
    return chat


def test_status_words_closed_date_owners_and_raised_in(app: App, board: Chat, database_url: str) -> None:
    board.script(SECOND)
    with app.sessions() as s:
        stored = {a.number: a for a in s.scalars(select(Action))}
        assert stored[4].status == "done" and stored[4].closed_at is not None
        assert stored[5].status == "dropped" and stored[2].status == "open" and stored[2].closed_at is None
    code, rows, _ = export(database_url, "--at", "2024-02-18T12:00")
    assert code == 0
    assert (
        rows["4"]["status"] == "closed" and rows["4"]["closed_on"] == "2024-02-16" and rows["4"]["rag"] == ""
    )
    assert rows["5"]["status"] == "dropped" and rows["5"]["closed_on"] == "2024-02-18"
    assert rows["2"]["status"] == "ongoing" and rows["2"]["closed_on"] == ""
    assert rows["1"]["owners"] == "HN" and rows["4"]["owners"] == "PMw"
    assert {r["raised_in"] for r in rows.values()} == {"2024-01-19"}


def test_amber_within_14_days_of_the_due_date_red_once_overdue(board: Chat, database_url: str) -> None:
    # Action 1 is due Fri 1 Mar 2024: 14 days before is 16 Feb.
    assert rag_at(database_url, "2024-02-15T12:00")["1"] == "green"
    assert rag_at(database_url, "2024-02-16T09:00")["1"] == "amber"
    assert rag_at(database_url, "2024-03-01T17:00")["1"] == "amber"  # due today, not yet overdue
    overdue = rows_at(database_url, "2024-03-02T09:00")["1"]
    assert overdue["rag"] == "red" and overdue["overdue"] == "yes"
    assert rows_at(database_url, "2024-02-29T09:00")["1"]["overdue"] == "no"


def test_undated_action_whose_latest_update_is_no_further_update_is_never_green(
    board: Chat, database_url: str
) -> None:
    # No meeting held since they were raised: only "No further update" tells 3 from 2 and 6.
    rags = rag_at(database_url, "2024-02-01T12:00")
    assert rags["3"] == "amber" and rags["2"] == "green" and rags["6"] == "green"
    board.at("2024-02-02T10:00:00+00:00").say("LE", "action 3 update: the health lead has sent comments")
    assert rag_at(database_url, "2024-02-03T12:00")["3"] == "green"


def test_undated_action_with_no_update_at_the_last_meeting_is_amber(board: Chat, database_url: str) -> None:
    board.script(SECOND)
    rags = rag_at(database_url, "2024-02-16T12:00")
    assert rags["2"] == "green"  # updated at the meeting
    assert rags["6"] == "amber"  # nothing said about it at the meeting


def test_at_moves_stale_and_red(board: Chat, database_url: str) -> None:
    board.script(SECOND)
    board.script(THIRD)
    before = rows_at(database_url, "2024-03-10T12:00")
    after = rows_at(database_url, "2024-03-20T12:00")
    # Action 6: no real update at either meeting since it was raised, stale once the second is held.
    assert before["6"]["stale"] == "no" and before["6"]["rag"] == "amber"
    assert after["6"]["stale"] == "yes" and after["6"]["rag"] == "red"
    # Action 2 had a real update at the meeting of 16 Feb, inside the last two meetings.
    assert after["2"]["stale"] == "no" and after["2"]["rag"] == "amber"


def test_at_that_cannot_be_read_is_refused(board: Chat, database_url: str) -> None:
    code, rows, err = export(database_url, "--at", "next Tuesday")
    assert code == 1 and not rows and "--at: cannot read 'next Tuesday'" in err and "2024-03-08T09:00" in err


def test_agenda_pack_shows_status_words_rag_and_the_date_closed(
    board: Chat, database_url: str, tmp_path: Path
) -> None:
    board.script(SECOND)
    board.door.files_dir = tmp_path
    board.at("2024-02-20T09:00:00+00:00").say("RB", "agenda next board")
    (docx,) = sorted(tmp_path.glob("*-agenda-*.docx"))
    doc = Document(str(docx))
    tracker = [t for t in doc.tables if [c.text for c in t.rows[0].cells][4:5] == ["Status"]]
    shown = {r.cells[0].text: r.cells[4].text for t in tracker for r in t.rows[1:]}
    assert shown == {
        "1": "Ongoing, Amber",
        "2": "Ongoing, Green",
        "3": "Ongoing, Amber",
        "6": "Ongoing, Amber",
    }
    # The pack and the export read RAG from the one rule.
    exported = rag_at(database_url, "2024-02-20T09:00")
    assert {n: v.split(", ")[1].lower() for n, v in shown.items()} == {n: exported[n] for n in shown}
    closed = doc.tables[-1]
    assert [[c.text for c in r.cells][::3] for r in closed.rows[1:]] == [
        ["5", "Dropped Sun 18 Feb 2024"],
        ["7", "Closed Sun 18 Feb 2024"],
    ]


def test_minutes_draft_reads_ongoing_and_closed_with_the_date(board: Chat, tmp_path: Path) -> None:
    board.door.files_dir = tmp_path
    board.script(SECOND.split("@ 2024-02-18")[0])  # the meeting of 16 Feb, closed at its end
    board.say("RB", "minutes draft")
    (docx,) = sorted(tmp_path.glob("board-minutes-2024-02-16*.docx"))
    doc = Document(str(docx))
    # The tracker review prints each action, then a paragraph with its update and status.
    paras = [p.text for p in doc.paragraphs]
    status = {
        text.split(".")[0].removeprefix("Action "): paras[i + 1]
        for i, text in enumerate(paras)
        if text.startswith("Action ") and i + 1 < len(paras)
    }
    assert status["4"].endswith("Action closed (Fri 16 Feb 2024).")
    assert status["2"].endswith("Action ongoing.") and status["3"].endswith("Action ongoing.")
    assert status["2"] == "RB sent the results to all partners. Action ongoing."
