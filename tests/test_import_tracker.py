"""`partnerbot import tracker`: a partnership's tracker brought in from its minutes, CSV or Excel.

The partnership (tests/fixtures/import/partnership.yaml) and the trackers are fictional, shaped
like real minutes: shared initials (SM is Sandra Moss or Susan Marsh), owners the file does not
hold, "No further update. Action ongoing.", and two entries numbered 32.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, Chat, make_app
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.app import App
from bot.cli import main
from handlers.actions import snapshot
from storage.models import Action, ActionUpdate, AuditEvent, Person, Series

IMPORT = FIXTURES / "import"
SEPTEMBER = IMPORT / "tracker-september.txt"
AT = "2023-10-02T10:00:00+01:00"


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    application = make_app(database_url, IMPORT / "partnership.yaml")
    yield application
    application.engine.dispose()


def run(app: App, *args: str, at: str = AT, what: str = "tracker") -> tuple[int, str, str]:
    """`partnerbot import tracker|meeting ARGS` on the CPOG series, as of `at`."""
    out, err = io.StringIO(), io.StringIO()
    where = ["--series", "cpog", "--at", at, "--partnership", "northmoor-scp"]
    code = main(
        ["--database", app.settings.database_url, "import", what, *args, *where], stdout=out, stderr=err
    )
    return code, out.getvalue(), err.getvalue()


def run_cli(app: App, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--database", app.settings.database_url, *args, "--partnership", "northmoor-scp"],
        stdout=out,
        stderr=err,
    )
    return code, out.getvalue(), err.getvalue()


def _who(session: Session, person_id: int | None) -> str:
    person = session.get(Person, person_id) if person_id else None
    assert person is not None
    return person.name if person.guest else person.initials


def tracker(app: App) -> dict[int, dict[str, Any]]:
    """The stored tracker: per number, its owners, status, due date and updates (date, text)."""
    out: dict[int, dict[str, Any]] = {}
    with app.sessions() as s:
        for a in s.scalars(select(Action).order_by(Action.number)):
            owners = []
            for o in a.owners:
                if o.removed_at is not None:
                    continue
                if o.kind == "person":
                    owners.append(_who(s, o.person_id))
                else:
                    owners.append("all" if o.kind == "all" else f"{o.kind}:{o.key}")
            out[a.number] = {
                "owners": owners,
                "status": a.status,
                "due": a.due_date,
                "updates": [(u.at.date(), u.text) for u in a.updates if u.kind == "update"],
                "log": [(u.kind, u.door) for u in a.updates],
            }
    return out


def counts(app: App) -> tuple[int, int, int, int]:
    """Actions, log entries, audit events and guests stored."""
    with app.sessions() as s:
        return (
            s.scalar(select(func.count()).select_from(Action)) or 0,
            s.scalar(select(func.count()).select_from(ActionUpdate)) or 0,
            s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            s.scalar(select(func.count()).select_from(Person).where(Person.guest.is_(True))) or 0,
        )


def settled(tmp_path: Path) -> Path:
    """The September tracker with its second Action 32 renumbered, as the preview asks."""
    text = SEPTEMBER.read_text().replace("\tAction 32. Voice", "\tAction 33. Voice")
    path = tmp_path / "tracker-september.txt"
    path.write_text(text)
    return path


# --- the minutes' own text ---------------------------------------------------------------------------


def test_preview_lists_each_action_and_every_problem_and_stores_nothing(app: App) -> None:
    before = counts(app)
    code, out, _ = run(app, str(SEPTEMBER), "--dry-run")
    assert code == 1  # problems left
    assert counts(app) == before
    # The table: number, owners as read and as resolved, due, status, the update with its date.
    assert "  23  discuss moving Graded Care Profile 2 training" in out
    assert "owners: SH/AS/SM → SH/AS | due: next meeting | status: ongoing" in out
    assert (
        "update Fri 22 Sep 2023: SM updated that further conversations will be held with Dana Chapel" in out
    )
    assert "owners: Corinne Chadwick → Corinne Chadwick (new guest)" in out
    assert "status: closed" in out
    # The problems, each with where it is and how to settle it.
    assert (
        "line 66: owner “SM” could be SMo (Sandra Moss) or SMa (Susan Marsh). Settle it with --assume SM="
        in out
    )
    assert "line 72: owner “RW” not recognised" in out and "--assume RW=NAME" in out
    assert "line 114: number 32 is used twice (line 114 and line 120)" in out
    assert "line 120: number 32 is used twice" in out
    assert "5 problems:" in out
    assert "nothing was stored" in out


def test_import_is_refused_whole_while_a_problem_is_left(app: App, tmp_path: Path) -> None:
    before = counts(app)
    # The duplicate is renumbered, but RW is still nobody: nothing at all is stored, not even the guests.
    code, out, _ = run(app, str(settled(tmp_path)), "--assume", "SM=SMo")
    assert code == 1
    assert "1 problem:" in out and "Nothing was imported." in out
    assert counts(app) == before


def test_the_text_tracker_is_stored_with_owners_updates_status_and_audit(app: App, tmp_path: Path) -> None:
    code, out, err = run(app, str(settled(tmp_path)), "--assume", "SM=SMo", "--assume", "RW=LC")
    assert code == 0, out + err
    assert "23 imported, 0 updated, 0 skipped (nothing new), 3 guests created" in out
    stored = tracker(app)
    assert sorted(stored) == [
        1,
        2,
        3,
        4,
        7,
        8,
        9,
        11,
        14,
        16,
        18,
        22,
        23,
        24,
        25,
        26,
        27,
        28,
        29,
        30,
        31,
        32,
        33,
    ]
    sept = date(2023, 9, 22)
    assert stored[1]["owners"] == ["Corinne Chadwick"]
    assert stored[1]["updates"] == [(sept, "No further update.")]
    assert stored[2]["owners"] == ["Jane Randle", "John Forster"]
    assert stored[3]["status"] == "done"
    assert stored[3]["updates"] == [
        (
            sept,
            "Neglect training has been undertaken across the service, workers are GCP2 trained. Example of "
            "outstanding practice gained on tackling Neglect at an Early Help level and will be shared with "
            "agencies.",
        )
    ]
    assert stored[7]["owners"] == ["group:business-unit"]
    assert stored[16]["owners"] == ["SMo"]  # --assume SM=SMo
    assert stored[22]["owners"] == ["all"]
    assert stored[23] | {"log": None} == {
        "owners": ["SH", "AS", "SMo"],
        "status": "open",
        "due": None,  # at the next meeting, which has no date yet
        "updates": [
            (sept, "SM updated that further conversations will be held with Dana Chapel by 29/09/23.")
        ],
        "log": None,
    }
    assert stored[29]["owners"] == ["group:health"] and stored[29]["due"] == date(2023, 7, 24)
    assert stored[18]["owners"] == ["LC"]  # --assume RW=LC
    assert stored[30]["owners"] == ["AS"]
    assert stored[9]["owners"] == ["all"] and stored[28]["owners"] == ["group:education"]
    assert stored[4]["owners"] == []  # "FD suggested …" names nobody to do it
    assert stored[26]["owners"] == []  # nobody leads it yet, as the minutes say
    assert stored[33]["updates"] == [(sept, "To be added to the agenda for the next meeting.")]
    assert stored[3]["log"] == [("created", "import"), ("update", "import"), ("done", "import")]
    with app.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.door == "import")).all()
        imported = [e for e in events if e.entity == "action"]
        assert len(imported) == 23 and {e.verb for e in imported} == {"imported"}
        assert all(e.after and e.after["import"] == "tracker-september.txt" for e in imported)
        # Each holds the action as every other change's audit event does (handlers.actions.snapshot).
        shape = set(snapshot(Action(number=1, title="", status="open")))
        assert all(e.after and set(e.after) == shape | {"updates", "import", "row"} for e in imported)
        (a23,) = [e.after for e in imported if e.entity_id == "cpog:23"]
        assert a23 and a23["owners"] == [
            {"kind": "person", "id": "SH"},
            {"kind": "person", "id": "AS"},
            {"kind": "person", "id": "SMo"},
        ]
        assert a23["due_kind"] == "next_meeting" and a23["row"] == "line 80"
        guests = sorted(e.after["name"] for e in events if e.verb == "guest added" and e.after)
        assert guests == ["Corinne Chadwick", "Jane Randle", "John Forster"]
        (summary,) = [e for e in events if e.entity == "import"]
        assert summary.entity_id == "tracker-september.txt"
        assert (
            summary.after
            and summary.after["imported"] == 23
            and summary.after["assumed"]
            == {
                "SM": "SMo",
                "RW": "LC",
            }
        )
        assert s.scalars(select(Series.last_action_number).where(Series.key == "cpog")).one() == 33


def test_the_same_file_again_changes_nothing(app: App, tmp_path: Path) -> None:
    path = settled(tmp_path)
    assert run(app, str(path), "--assume", "SM=SMo", "--assume", "RW=LC")[0] == 0
    before, stored = counts(app), tracker(app)
    code, out, _ = run(app, str(path), "--assume", "SM=SMo", "--assume", "RW=LC")
    assert code == 0
    assert "0 imported, 0 updated, 23 skipped (nothing new), 0 guests created" in out
    assert counts(app) == before and tracker(app) == stored


def test_new_actions_after_an_import_continue_after_the_highest_number(app: App, tmp_path: Path) -> None:
    assert run(app, str(settled(tmp_path)), "--assume", "SM=SMo", "--assume", "RW=LC")[0] == 0
    chat = Chat(app).at(AT)
    chat.say("TM", "bind cpog")
    said = chat.say("TM", "Action: BL to send the list of practice leads to TM by 30/11/23")
    assert "Action 34" in said
    stored = tracker(app)
    assert stored[34]["owners"] == ["BL"]
    # The owners' own answers reach imported actions like any other.
    chat.say("BL", "action 32 update: The figures went to the group on Friday.")
    assert tracker(app)[32]["updates"][-1][1] == "The figures went to the group on Friday."


def test_newer_minutes_add_their_updates_and_closings_only(app: App, tmp_path: Path) -> None:
    assert run(app, str(settled(tmp_path)), "--assume", "SM=SMo", "--assume", "RW=LC")[0] == 0
    before = tracker(app)
    newer = tmp_path / "tracker-november.txt"
    newer.write_text(
        "Minutes of the Children's Safeguarding & Protection Practice Oversight Group\n\n"
        "Monday 20 November 2023 – 9:00 am\n\n#### Action Tracker\n\n"
        "Action 1. Corinne Chadwick to agree timescale with animator for the animation for G family SCR.\n\n"
        "The animation is finished and shared with partners. Action closed.\n\n"
        "Action 16. SM to investigate whether concerns around online harm are coming to Children's "
        "Services or whether this is being dealt with within schools.\n\n"
        "No further update. Action ongoing.\n"
    )
    code, out, _ = run(app, str(newer), "--assume", "SM=SMo")
    assert code == 0, out
    assert "0 imported, 2 updated, 0 skipped" in out
    after = tracker(app)
    nov = date(2023, 11, 20)
    assert after[1]["status"] == "done"
    assert after[1]["updates"][-1] == (nov, "The animation is finished and shared with partners.")
    assert after[16]["updates"] == [*before[16]["updates"], (nov, "No further update.")]
    assert {n: a for n, a in after.items() if n not in (1, 16)} == {
        n: a for n, a in before.items() if n not in (1, 16)
    }
    with app.sessions() as s:
        verbs = [
            (e.entity_id, e.verb, (e.after or {}).get("import"))
            for e in s.scalars(
                select(AuditEvent).where(AuditEvent.door == "import", AuditEvent.entity == "action")
            )
            if e.after and e.after.get("import") == "tracker-november.txt"
        ]
    assert sorted(verbs) == [
        ("cpog:1", "done", "tracker-november.txt"),
        ("cpog:1", "updated", "tracker-november.txt"),
        ("cpog:16", "updated", "tracker-november.txt"),
    ]
    # The September minutes again, after November's: nothing they say is newer.
    code, out, _ = run(app, str(settled(tmp_path)), "--assume", "SM=SMo", "--assume", "RW=LC")
    assert code == 0
    assert "note: closed by a newer import (Mon 20 Nov 2023): kept" in out
    assert "0 imported, 0 updated, 23 skipped" in out
    assert tracker(app) == after


# --- the same tracker as CSV and Excel --------------------------------------------------------------

# (number, owners, action, due, progress (dated), status)
ROWS = [
    (1, "Corinne Chadwick", "agree timescale with animator for the animation for G family SCR", None,
     "22/09/2023: No further update.", "Ongoing"),
    (3, "SHB", "change the wording in the business plan about minimum standards", None,
     "22/09/2023: Neglect training has been undertaken across the service.", "Closed"),
    (7, "NSCP Business Unit", "raise the attendance from health at the Disabled Children's Triage", None,
     "12/07/2023: Raised with the partnership.\n"
     "22/09/2023: EL updated that a meeting is arranged in October.",
     "Amber"),
    (16, "SM", "investigate whether concerns around online harm reach Children's Services", None,
     "22/09/2023: No further update.", "Red"),
    (23, "SM, SH and AS", "discuss moving Graded Care Profile 2 training into Early Help", date(2023, 9, 29),
     "22/09/2023: SM updated that further conversations will be held.", "Ongoing"),
    (32, "BL", "find and share the numbers of staff who accessed the NSCP website", None,
     "22/09/2023: TM/PMcL to follow up with Business Unit.", "Ongoing"),
]  # fmt: skip
HEADERS = ["Ref", "Lead", "Action", "Target date", "Progress update", "RAG", "Date raised"]
EXPECTED = {
    1: (["Corinne Chadwick"], "open", None, "No further update."),
    3: (["SHB"], "done", None, "Neglect training has been undertaken across the service."),
    7: (["group:business-unit"], "open", None, "EL updated that a meeting is arranged in October."),
    16: (["SMo"], "open", None, "No further update."),
    23: (
        ["SMo", "SH", "AS"],
        "open",
        date(2023, 9, 29),
        "SM updated that further conversations will be held.",
    ),
    32: (["BL"], "open", None, "TM/PMcL to follow up with Business Unit."),
}


def write_table(
    path: Path, rows: list[tuple[Any, ...]] = ROWS, headers: list[str] = HEADERS, raised: str = "12/07/2023"
) -> Path:
    table = [headers, *[[*r, raised] for r in rows]]
    if path.suffix == ".csv":
        buf = io.StringIO()
        csv.writer(buf).writerows(
            [
                [c.strftime("%d/%m/%Y") if isinstance(c, date) else ("" if c is None else c) for c in r]
                for r in table
            ]
        )
        path.write_text(buf.getvalue())
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(["Northmoor SCP action tracker"])  # a title above the table, as workbooks have
        for r in table:
            sheet.append(list(r))
        book.save(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_csv_and_excel_trackers_import_to_the_same_tracker(app: App, tmp_path: Path, suffix: str) -> None:
    path = write_table(tmp_path / f"tracker{suffix}")
    code, out, _ = run(app, str(path), "--dry-run")
    assert code == 1 and "column “Lead”: owner “SM” could be SMo (Sandra Moss) or SMa (Susan Marsh)" in out
    code, out, _ = run(app, str(path), "--assume", "SM=SMo", "--dry-run")
    assert code == 0 and "the import would add 6, update 0, skip 0 and create 1 guest." in out
    code, out, _ = run(app, str(path), "--assume", "SM=SMo")
    assert code == 0, out
    assert "6 imported, 0 updated, 0 skipped (nothing new), 1 guest created" in out
    stored = tracker(app)
    assert {
        n: (a["owners"], a["status"], a["due"], a["updates"][-1][1]) for n, a in stored.items()
    } == EXPECTED
    assert stored[7]["updates"] == [
        (date(2023, 7, 12), "Raised with the partnership."),
        (date(2023, 9, 22), "EL updated that a meeting is arranged in October."),
    ]
    with app.sessions() as s:
        raised = s.scalars(select(Action.created_at).where(Action.number == 7)).one()
    assert raised.date() == date(2023, 7, 12)
    # Again: nothing changes.
    before = counts(app)
    assert "0 imported, 0 updated, 6 skipped" in run(app, str(path), "--assume", "SM=SMo")[1]
    assert counts(app) == before


def test_a_changed_row_updates_only_what_changed(app: App, tmp_path: Path) -> None:
    path = write_table(tmp_path / "tracker.csv")
    assert run(app, str(path), "--assume", "SM=SMo")[0] == 0
    before = tracker(app)
    rows = list(ROWS)
    rows[5] = (
        32,
        "BL",
        rows[5][2],
        None,
        rows[5][4] + "\n20/11/2023: Figures shared with the group.",
        "Blue",
    )
    code, out, _ = run(app, str(write_table(tmp_path / "tracker.csv", rows)), "--assume", "SM=SMo")
    assert code == 0, out
    assert "0 imported, 1 updated, 5 skipped" in out
    after = tracker(app)
    assert after[32]["status"] == "done"
    assert after[32]["updates"][-1] == (date(2023, 11, 20), "Figures shared with the group.")
    assert {n: a for n, a in after.items() if n != 32} == {n: a for n, a in before.items() if n != 32}


def test_a_status_closed_in_the_bot_is_not_reopened_by_an_older_file(app: App, tmp_path: Path) -> None:
    path = write_table(tmp_path / "tracker.csv")
    assert run(app, str(path), "--assume", "SM=SMo")[0] == 0
    chat = Chat(app).at(AT)
    chat.say("TM", "bind cpog")
    chat.say("BL", "done 32")
    code, out, _ = run(app, str(path), "--assume", "SM=SMo")
    assert code == 0
    assert "note: closed in the bot since: kept" in out
    assert tracker(app)[32]["status"] == "done"


def test_the_meeting_an_action_was_raised_in_is_kept(app: App, tmp_path: Path) -> None:
    chat = Chat(app).at("2023-07-12T10:00:00+01:00")
    chat.say("TM", "meeting start cpog")
    chat.say("TM", "meeting end")
    path = write_table(tmp_path / "tracker.csv", headers=[*HEADERS[:-1], "Meeting"], raised="CPOG 12/07/2023")
    code, out, _ = run(app, str(path), "--assume", "SM=SMo", "--dry-run")
    assert "raised in: CPOG 12/07/2023" in out
    assert run(app, str(path), "--assume", "SM=SMo")[0] == 0
    with app.sessions() as s:
        meetings = set(s.scalars(select(Action.created_meeting_id)))
        assert len(meetings) == 1 and None not in meetings
    code, out, _ = run_cli(app, "export", "actions", "--series", "cpog", "--at", AT)
    assert code == 0
    assert {row["raised_in"] for row in csv.DictReader(io.StringIO(out))} == {"2023-07-12"}


def test_a_newer_workbook_changes_owners_and_dates_but_not_what_the_bot_changed(
    app: App, tmp_path: Path
) -> None:
    path = write_table(tmp_path / "tracker.csv")
    assert run(app, str(path), "--assume", "SM=SMo")[0] == 0
    chat = Chat(app).at(AT)
    chat.say("TM", "bind cpog")
    chat.say("TM", "reassign 7 to FD")
    rows = list(ROWS)
    rows[1] = (3, "LC", *rows[1][2:])  # the business unit gave action 3 to LC
    rows[2] = (7, "BL", *rows[2][2:])  # an older idea of who leads 7: the bot's FD stands
    rows[3] = (16, "SM", rows[3][2], date(2023, 12, 31), *rows[3][4:])
    code, out, _ = run(app, str(write_table(path, rows)), "--assume", "SM=SMo")
    assert code == 0, out
    assert "note: owners changed in the bot since: kept" in out
    assert "0 imported, 2 updated, 4 skipped" in out
    stored = tracker(app)
    assert stored[3]["owners"] == ["LC"]
    assert stored[7]["owners"] == ["FD"]
    assert stored[16]["due"] == date(2023, 12, 31)
    with app.sessions() as s:
        changes = sorted(
            (e.entity_id, e.verb)
            for e in s.scalars(select(AuditEvent).where(AuditEvent.door == "import"))
            if e.entity == "action" and e.verb != "imported"
        )
    assert changes == [("cpog:16", "due changed"), ("cpog:3", "reassigned")]


def test_bad_cells_are_named_by_row_and_column_and_nothing_changes(app: App, tmp_path: Path) -> None:
    rows = [
        (5, "QQ", "send the audit to the group", "soonish", "No update yet.", "Ongoing"),
        (6, "BL", "share the website figures", "30/11/2023", "", "Purple"),
        (6, "Bryony Listor", "collect the survey results", "", "", "Open"),
        (8, "FD", "", "31/13/2023", "", ""),
    ]
    path = write_table(tmp_path / "bad.csv", rows)
    before = counts(app)
    code, out, _ = run(app, str(path))
    assert code == 1
    assert counts(app) == before
    for problem in (
        "row 2, column “Lead”: owner “QQ” not recognised.",
        "row 2, column “Target date”: due date “soonish” unreadable.",
        "row 3, column “RAG”: status “Purple” unreadable.",
        "row 3, column “Ref”: number 6 is used twice (row 3 and row 4).",
        "row 4, column “Ref”: number 6 is used twice",
        "row 4, column “Lead”: owner “Bryony Listor” is not in the partnership file, but is close to "
        "Bryony Lister (BL). Settle it with --assume 'Bryony Listor=BL', or --assume 'Bryony Listor=guest'",
        "row 5, column “Target date”: due date “31/13/2023” unreadable.",
        "row 5, column “Action”: no action text.",
    ):
        assert problem in out
    assert "Nothing was imported." in out


def test_columns_by_map_and_a_file_that_is_no_tracker(app: App, tmp_path: Path) -> None:
    headers = ["Ref", "Who's doing it", "Action", "Target date", "Progress update", "RAG", "Date raised"]
    heading: tuple[Any, ...] = ("Governance", None, None, None, None, None)
    path = write_table(tmp_path / "odd.csv", [heading, *ROWS[1:3]], headers, raised="")
    code, out, _ = run(app, str(path), "--dry-run")
    assert "Column “Who's doing it” was not read" in out
    assert "Row 2 skipped: “Governance” reads as a heading." in out
    code, out, _ = run(app, str(path), "--map", "Who's doing it=owner")
    assert code == 0, out
    assert tracker(app)[3]["owners"] == ["SHB"]
    empty = tmp_path / "notes.csv"
    empty.write_text("Date,Note\n01/02/2023,Nothing to see\n")
    code, _, err = run(app, str(empty))
    assert code == 1 and "no header row naming the action" in err and "--map" in err
    code, _, err = run(app, str(path), "--map", "Lead=boss")
    assert code == 1 and "'boss' is no field" in err


# --- Word and PDF: the same trackers again ---------------------------------------------------------


def paragraphs(path: Path) -> list[str]:
    """The paragraphs of a text tracker, as a Word document or a PDF holds them."""
    return [" ".join(p.split()) for p in path.read_text().split("\n\n") if p.strip()]


def test_a_word_tracker_in_paragraphs_reads_as_its_text(app: App, tmp_path: Path) -> None:
    from docx import Document

    text = settled(tmp_path)
    assert run(app, str(text), "--assume", "SM=SMo", "--assume", "RW=LC")[0] == 0
    before, stored = counts(app), tracker(app)
    doc = Document()
    for paragraph in paragraphs(text):
        doc.add_paragraph(paragraph)
    doc.save(str(tmp_path / "minutes.docx"))
    code, out, _ = run(app, str(tmp_path / "minutes.docx"), "--assume", "SM=SMo", "--assume", "RW=LC")
    assert code == 0, out
    # The same owners, due dates, statuses and dated updates: nothing to change.
    assert "0 imported, 0 updated, 23 skipped" in out
    assert counts(app) == before and tracker(app) == stored


def test_a_word_tracker_table_reads_as_its_csv(app: App, tmp_path: Path) -> None:
    from docx import Document

    assert run(app, str(write_table(tmp_path / "tracker.csv")), "--assume", "SM=SMo")[0] == 0
    before = counts(app)
    doc = Document()
    doc.add_paragraph("Northmoor SCP action tracker, Friday 22 September 2023")
    attendance = doc.add_table(rows=2, cols=3)  # a table that is not the tracker comes first
    for cell, value in zip(attendance.rows[0].cells, ["Name", "Organisation", "Job Title"], strict=True):
        cell.text = value
    table = doc.add_table(rows=1, cols=len(HEADERS))
    for cell, header in zip(table.rows[0].cells, HEADERS, strict=True):
        cell.text = header
    for row in ROWS:
        cells = table.add_row().cells
        for cell, value in zip(cells, [*row, "12/07/2023"], strict=True):
            cell.text = value.strftime("%d/%m/%Y") if isinstance(value, date) else str(value or "")
    doc.save(str(tmp_path / "tracker.docx"))
    code, out, _ = run(app, str(tmp_path / "tracker.docx"), "--assume", "SM=SMo")
    assert code == 0, out
    assert "0 imported, 0 updated, 6 skipped" in out
    assert counts(app) == before


def test_published_minutes_as_pdf_read_as_their_text(app: App, tmp_path: Path) -> None:
    from html import escape

    from weasyprint import HTML

    text = settled(tmp_path)
    assert run(app, str(text), "--assume", "SM=SMo", "--assume", "RW=LC")[0] == 0
    before = counts(app)
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs(text))
    HTML(string=f"<html><body style='font-size: 10pt'>{body}</body></html>").write_pdf(
        tmp_path / "minutes.pdf"
    )
    code, out, _ = run(app, str(tmp_path / "minutes.pdf"), "--assume", "SM=SMo", "--assume", "RW=LC")
    assert code == 0, out
    assert "0 imported, 0 updated, 23 skipped" in out
    assert counts(app) == before


def test_a_file_of_another_kind_is_refused_saying_which_kinds_are_read(app: App, tmp_path: Path) -> None:
    odd = tmp_path / "tracker.odt"
    odd.write_text("not read")
    code, _, err = run(app, str(odd))
    assert code == 1 and "cannot read .odt files" in err and ".xlsx" in err and ".docx" in err
    fake = tmp_path / "tracker.xlsx"
    fake.write_text("not a workbook")
    code, _, err = run(app, str(fake))
    assert code == 1 and "cannot read it as an Excel workbook" in err


def test_the_next_meeting_reviews_the_imported_tracker_in_its_own_form(app: App, tmp_path: Path) -> None:
    assert run(app, str(settled(tmp_path)), "--assume", "SM=SMo", "--assume", "RW=LC")[0] == 0
    chat = Chat(app).at("2023-11-20T09:00:00+00:00")
    chat.say("TM", "meeting start cpog")
    chat.say("TM", "item Relevant Actions from the previous meeting")
    said = chat.say(
        "PMcL",
        "Action 14. BL to investigate whether it is possible for partners to receive updates when new "
        "documents are uploaded to the website. The website now sends alerts to partners. Action closed.",
    )
    assert "Action 14 closed" in said
    stored = tracker(app)
    assert stored[14]["status"] == "done"
    assert stored[14]["log"][-1] == ("done", "shell")
    with app.sessions() as s:
        action = s.scalars(select(Action).where(Action.number == 14)).one()
        last = action.updates[-1]
        assert (last.at.date(), last.text) == (
            date(2023, 11, 20),
            "The website now sends alerts to partners.",
        )
    assert 34 not in stored  # an update of the imported action, not a new one


def test_updates_without_dates_take_the_date_given_and_are_not_repeated(app: App, tmp_path: Path) -> None:
    rows = [(n, owner, task, due, update.split(": ", 1)[1], rag) for n, owner, task, due, update, rag in ROWS]
    rows = [r for r in rows if r[0] != 7]  # (its cell holds two dated updates)
    path = write_table(tmp_path / "tracker.csv", rows)
    code, out, _ = run(app, str(path), "--assume", "SM=SMo", "--date", "22/09/2023")
    assert code == 0, out
    assert tracker(app)[32]["updates"] == [(date(2023, 9, 22), "TM/PMcL to follow up with Business Unit.")]
    # Without --date an undated update is of the day it is imported, and the same latest update
    # given again on another day is not a new one.
    before = counts(app)
    code, out, _ = run(app, str(path), "--assume", "SM=SMo", at="2023-10-16T10:00:00+01:00")
    assert code == 0 and "0 imported, 0 updated, 5 skipped" in out
    assert counts(app) == before
    rows[-1] = (32, "BL", rows[-1][2], None, "Figures sent to the group.", "Ongoing")
    code, out, _ = run(
        app, str(write_table(path, rows)), "--assume", "SM=SMo", at="2023-10-16T10:00:00+01:00"
    )
    assert code == 0 and "0 imported, 1 updated, 4 skipped" in out
    assert tracker(app)[32]["updates"][-1] == (date(2023, 10, 16), "Figures sent to the group.")
    code, _, err = run(app, str(path), "--date", "next week")
    assert code == 1 and "--date 'next week': write it as 22/09/2023" in err
