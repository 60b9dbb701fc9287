"""`partnerbot import meeting`: the previous meeting brought in from its minutes (text, Word, PDF).

The minutes (tests/fixtures/import/minutes-september.txt) are shaped like real ones: an attendance
table with initials and organisations, deputies written "(for X)" (one wrapping onto the next line),
apologies with "(X attending)", who took the notes, "Not in Attendance", and the action tracker. The
people are the fictional partnership of tests/fixtures/import/partnership.yaml.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import FIXTURES, Chat, make_app
from docx import Document
from sqlalchemy import func, select
from test_import_tracker import run as run_import

from bot.app import App
from storage.models import Action, ActionUpdate, Attendance, AuditEvent, Meeting, MinutesCorrection, Person

IMPORT = FIXTURES / "import"
MINUTES = IMPORT / "minutes-september.txt"
AT = "2023-10-02T10:00:00+01:00"
NEXT = "2023-11-20T14:00:00+00:00"
ZONE = ZoneInfo("Europe/London")


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    application = make_app(database_url, IMPORT / "partnership.yaml")
    yield application
    application.engine.dispose()


def run(app: App, *args: str, at: str = AT) -> tuple[int, str, str]:
    return run_import(app, *args, at=at, what="meeting")


def counts(app: App) -> tuple[int, ...]:
    """Meetings, attendance rows, actions, log entries, audit events and guests stored."""
    with app.sessions() as s:
        stored = [
            s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Meeting, Attendance, Action, ActionUpdate, AuditEvent)
        ]
        guests = s.scalar(select(func.count()).select_from(Person).where(Person.guest.is_(True))) or 0
        return (*stored, guests)


def attendance(app: App) -> dict[str, tuple[str, str | None, str | None]]:
    """The imported meeting's rows: who -> (status, for whom, role note)."""
    with app.sessions() as s:
        (meeting,) = s.scalars(select(Meeting).where(Meeting.door == "import")).all()
        out = {}
        for row in s.scalars(select(Attendance).where(Attendance.meeting_id == meeting.id)):
            person = s.get(Person, row.person_id)
            member = s.get(Person, row.deputy_for_id) if row.deputy_for_id else None
            assert person is not None
            who = person.name if person.guest else person.initials
            out[who] = (row.status, member.initials if member else None, row.role_note)
        return out


def minutes_docx(chat: Chat, day: str) -> Document:
    path = max(chat.door.files_dir.glob(f"cpog-minutes-{day}*.docx"), key=lambda p: p.stat().st_mtime_ns)
    return Document(str(path))


def item_text(doc: Document, number: str) -> list[str]:
    """The paragraphs under the Heading 2 that opens with this item's number."""
    out: list[str] = []
    inside = False
    for p in doc.paragraphs:
        if p.style is not None and p.style.name == "Heading 2":
            inside = p.text.startswith(f"{number}. ")
            continue
        if inside and p.text.strip():
            out.append(p.text)
    return out


def test_preview_reads_date_attendance_and_tracker_and_stores_nothing(app: App) -> None:
    before = counts(app)
    code, out, err = run(app, str(MINUTES), "--dry-run")
    assert code == 0, out + err
    assert counts(app) == before
    assert (
        "a meeting of Children's Safeguarding and Protection Practice Oversight Group on Friday 22 "
        "September 2023, 09:00, Via Microsoft Teams." in out
    )
    assert "Present: Tamsin Mercer, Esther Lane, Daniel Shore, Sandra Moss, Tessa Turner," in out
    # "(for" wrapping onto the next line, a rank and surname for the member, a guest deputy.
    assert "Clare Green (for Tracey Ryland)" in out
    assert "Owen Pryce → Owen Pryce (new guest) (for Kathryn Kaye)" in out
    assert "In attendance: Harriet Vane → Harriet Vane (new guest)." in out
    assert "Not in attendance: Nina Thorpe, Tracy Jay, Sue Grant." in out
    assert "New guests (full names nobody in the file has): Owen Pryce, Harriet Vane." in out
    assert (
        "note: line 45: Imogen Frost is not in the partnership file: apologies are for members, so theirs "
        "are not recorded." in out
    )
    assert "   7  raise the issue with the partnership" in out
    assert "the import would add 4, update 0, skip 0" in out
    assert "Nothing was stored (--dry-run)" in out


def test_the_meeting_is_stored_closed_with_its_attendance_and_audit(app: App) -> None:
    code, out, err = run(app, str(MINUTES))
    assert code == 0, out + err
    assert (
        "Imported minutes-september.txt into Children's Safeguarding and Protection Practice Oversight "
        "Group: the meeting imported, 38 attendance rows recorded, 2 guests created; the tracker: 4 imported"
        in out
    )
    with app.sessions() as s:
        (meeting,) = s.scalars(select(Meeting)).all()
        assert meeting.status == "closed" and meeting.door == "import"
        assert meeting.channel == "minutes-september.txt"
        assert meeting.starts_at is not None
        assert meeting.starts_at.astimezone(ZONE) == datetime(2023, 9, 22, 9, 0, tzinfo=ZONE)
        assert meeting.minutes_approved_at is None  # the next meeting approves them
        events = s.scalars(select(AuditEvent).where(AuditEvent.door == "import")).all()
        (imported,) = [e for e in events if e.entity == "meeting"]
        assert imported.verb == "imported" and imported.after
        assert imported.after["import"] == "minutes-september.txt" and imported.after["attendance"] == 38
        rows = [e for e in events if e.entity == "attendance"]
        assert len(rows) == 38 and all(e.after and e.after["import"] == "minutes-september.txt" for e in rows)
        # The tracker's updates were given at the meeting: filed at it, at its time.
        a7 = s.scalars(select(Action).where(Action.number == 7)).one()
        (given,) = [u for u in a7.updates if u.kind == "update"]
        assert given.meeting_id == meeting.id and given.at.astimezone(ZONE) == meeting.starts_at.astimezone(
            ZONE
        )
        assert a7.created_at < meeting.starts_at  # carried to it: raised before it
    rows_ = attendance(app)
    assert rows_["TM"] == ("present", None, None)
    assert rows_["PMcL"] == ("present", None, None)  # took the notes
    assert rows_["CG"] == ("deputy", "TR", None)
    assert rows_["TR"] == ("apologies", None, None)
    assert rows_["PM"] == ("deputy", "AMS", None) and rows_["AMS"][0] == "apologies"
    assert rows_["AE"] == ("deputy", "SR", None)
    assert rows_["Owen Pryce"] == ("deputy", "KKa", None) and rows_["KKa"][0] == "apologies"
    assert rows_["Harriet Vane"] == ("in_attendance", None, None)
    assert rows_["GB"] == ("apologies", None, None)
    assert rows_["NT"] == rows_["TJ"] == rows_["SG"] == ("absent", None, None)
    assert rows_["SMo"][0] == rows_["SMa"][0] == rows_["DS"][0] == "present"
    assert rows_["BL"] == ("absent", None, None)  # a member the minutes do not mention


def test_the_same_file_again_changes_nothing(app: App) -> None:
    assert run(app, str(MINUTES))[0] == 0
    before, rows = counts(app), attendance(app)
    code, out, _ = run(app, str(MINUTES))
    assert code == 0, out
    assert (
        "Already imported (meeting 1, from minutes-september.txt)" in out
        and "Changes to the stored meeting: none." in out
    )
    assert "the meeting unchanged, 0 attendance rows recorded, 0 guests created" in out
    assert "0 imported, 0 updated, 4 skipped" in out
    assert counts(app) == before and attendance(app) == rows


def test_the_next_meeting_approves_the_imported_minutes_and_reviews_the_carried_actions(app: App) -> None:
    assert run(app, str(MINUTES))[0] == 0
    chat = Chat(app).at("2023-11-01T10:00:00+00:00")
    chat.say("TM", "bind cpog")
    assert "20 November 2023" in chat.say("TM", "next meeting 20/11/2023 14:00")
    # The agenda pack of the next meeting lists the imported minutes for approval.
    said = chat.say("PMcL", "agenda next cpog")
    assert "Minutes of the previous meeting, Friday 22 September 2023 (draft, for approval)" in said
    chat.at(NEXT)
    chat.say("TM", "meeting start cpog")
    chat.say("TM", "present TM EL SMo TT")
    chat.say("TM", "item Relevant Actions from the previous meeting")
    said = chat.say("TM", "minutes correct: Action 23 is owned by SH and AS only")
    assert "Correction to the minutes of Friday 22 September 2023 recorded" in said
    said = chat.say("TM", "minutes approve")
    assert "The minutes of the meeting of Friday 22 September 2023 are approved" in said
    said = chat.say("TM", "action 7 update: The service specification was agreed in October.")
    assert "Update recorded on CPOG 7" in said, said
    chat.say("TM", "meeting end")
    with app.sessions() as s:
        imported, live = s.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
        assert imported.door == "import"
        assert imported.minutes_approved_in == live.id and imported.minutes_approved_at is not None
        (correction,) = s.scalars(select(MinutesCorrection)).all()
        assert (correction.meeting_id, correction.made_in_meeting_id) == (imported.id, live.id)
        approved = s.scalars(
            select(AuditEvent).where(AuditEvent.entity == "minutes", AuditEvent.verb == "approved")
        ).one()
        assert approved.entity_id == str(imported.id)
    chat.say("PMcL", "minutes draft")
    doc = minutes_docx(chat, "2023-11-20")
    tracker = item_text(doc, "2")
    assert tracker[:3] == [
        "A correction was made to the minutes: Action 23 is owned by SH and AS only",
        "The minutes of the meeting of Friday 22 September 2023 were then agreed as an accurate record.",
        "The action tracker was reviewed; updates given at the meeting are recorded below.",
    ]
    text = "\n".join(tracker)
    # The open carried actions are reviewed under the tracker item, action 7 with its update.
    assert "Action 7. NSCP Business Unit to raise the issue" in text
    assert "The service specification was agreed in October. Action ongoing." in text
    assert "Action 14. BL to investigate" in text and "Action 23." in text
    assert "Action 3." not in text  # closed at the imported meeting, before this one


def word_minutes(path: Path) -> Path:
    """The same minutes as Word lays them out: the attendance tables as tables, the items in an "Item"
    table whose second cell holds the item's paragraphs, the tracker in paragraphs."""
    text = MINUTES.read_text().replace(
        "Clare Green (for\tCG\tWestern Marches Police\tInspector, Safer\n"
        "Tracey Ryland)\t\t\tNeighbourhood Team",
        "Clare Green (for Tracey Ryland)\tCG\tWestern Marches Police\tInspector, Safer Neighbourhood Team",
    )
    head, rest = text.split("Item\t\n", 1)
    items, tracker = rest.split("#### Action Tracker", 1)
    doc = Document()
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            t = doc.add_table(rows=0, cols=max(len(r) for r in table))
            for r in table:
                cells = t.add_row().cells
                for cell, value in zip(cells, r, strict=False):
                    cell.text = value
            table.clear()

    for line in head.split("\n"):
        if "\t" in line:
            table.append(line.split("\t"))
            continue
        flush()
        if line.strip():
            doc.add_paragraph(line.strip("# *"))
    flush()
    grid = doc.add_table(rows=0, cols=2)
    first, second = items.removeprefix("1.\t").split("\n2.\t")
    for number, body in (("1.", first), ("2.", second)):
        row = grid.add_row().cells
        row[0].text = number
        lines = [line.strip() for line in body.split("\n") if line.strip()]
        row[1].text = lines[0]
        for line in lines[1:]:
            row[1].add_paragraph(line)
    doc.add_paragraph("Action Tracker")
    for paragraph in tracker.split("\n\n"):
        if paragraph.strip():
            doc.add_paragraph(" ".join(paragraph.split()))
    doc.save(str(path))
    return path


def test_word_minutes_read_as_their_text(app: App, tmp_path: Path) -> None:
    path = word_minutes(tmp_path / "minutes-september.docx")
    code, out, err = run(app, str(path))
    assert code == 0, out + err
    assert "the meeting imported, 38 attendance rows recorded, 2 guests created" in out
    assert "the tracker: 4 imported" in out
    before, rows = counts(app), attendance(app)
    assert rows["CG"] == ("deputy", "TR", None) and rows["GB"] == ("apologies", None, None)
    assert rows["Owen Pryce"] == ("deputy", "KKa", None) and rows["NT"] == ("absent", None, None)
    # The text of the same minutes reads the same: nothing to change.
    code, out, _ = run(app, str(MINUTES))
    assert code == 0, out
    assert "Changes to the stored meeting: none." in out and "0 imported, 0 updated, 4 skipped" in out
    assert counts(app) == before and attendance(app) == rows


def test_a_corrected_file_changes_only_the_rows_that_differ(app: App, tmp_path: Path) -> None:
    assert run(app, str(MINUTES))[0] == 0
    before, rows = counts(app), attendance(app)
    path = tmp_path / "minutes-september-corrected.txt"
    path.write_text(
        MINUTES.read_text()
        .replace("Nina Thorpe (NT)\tSafe Home Missing Service\tService Manager\n", "")
        .replace(
            "\tGordon Birch, Head of Probation Service\n",
            "\tGordon Birch, Head of Probation Service\n\tNina Thorpe\n",
        )
    )
    code, out, _ = run(app, str(path), "--dry-run")
    assert code == 0 and "Changes to the stored meeting: Nina Thorpe: not in attendance → apologies." in out
    code, out, _ = run(app, str(path))
    assert code == 0, out
    assert "the meeting updated, 1 attendance row recorded, 0 guests created" in out
    assert attendance(app) == rows | {"NT": ("apologies", None, None)}
    with app.sessions() as s:
        events = s.scalars(select(AuditEvent).where(AuditEvent.id > before[4]).order_by(AuditEvent.id)).all()
        assert [(e.entity, e.verb) for e in events] == [("attendance", "recorded"), ("meeting", "updated")]
        assert events[0].before == {"status": "absent"} and events[0].after
        assert events[0].after["import"] == "minutes-september-corrected.txt"


def test_apologies_and_absences_written_as_lists_read_the_same(app: App, tmp_path: Path) -> None:
    text = MINUTES.read_text()
    head, _ = text.split("# **Not in Attendance**", 1)
    _, tail = text.split("2.\tRelevant Actions", 1)
    path = tmp_path / "minutes-september.txt"
    path.write_text(
        f"{head}Not in attendance: Nina Thorpe, Tracy Jay and Sue Grant\n\n"
        "Apologies – Gordon Birch, Anne-Marie Speed (Paula Mason attending), Tracey Ryland (Clare Green "
        f"attending), Sarah Rook (Alan Ellis attending)\n\n2.\tRelevant Actions{tail}"
    )
    assert run(app, str(path))[0] == 0
    rows = attendance(app)
    assert [rows[i] for i in ("NT", "TJ", "SG", "GB")] == [
        ("absent", None, None),
        ("absent", None, None),
        ("absent", None, None),
        ("apologies", None, None),
    ]
    assert rows["PM"] == ("deputy", "AMS", None) and rows["AMS"] == ("apologies", None, None)


def test_unclear_names_and_contradictions_are_problems_and_nothing_is_stored(
    app: App, tmp_path: Path
) -> None:
    text = (
        MINUTES.read_text()
        .replace("Susan Marsh\tSM\t", "Susan Marsch\t\t")
        .replace(
            "\tGordon Birch, Head of Probation Service\n", "\tGordon Birch, Head of Probation Service\n\tSM\n"
        )
        .replace("Harriet Vane\t\tNorthmoor Council", "Tracy Jay\tTJ\tNorthmoor Hospitals NHS Trust")
    )
    path = tmp_path / "minutes-september.txt"
    path.write_text(text)
    before = counts(app)
    code, out, _ = run(app, str(path))
    assert code == 1
    assert counts(app) == before
    for problem in (
        "line 24: “Susan Marsch” is not in the partnership file, but is close to Susan Marsh (SMa). "
        "Settle it with --assume 'Susan Marsch=SMa', or --assume 'Susan Marsch=guest'",
        "“SM” could be SMo (Sandra Moss) or SMa (Susan Marsh). Settle it with --assume SM=SMo",
        "line 38: Tracy Jay is not in attendance here and present at line 25.",
    ):
        assert problem in out
    assert "3 problems in the attendance:" in out and "Nothing was imported." in out
    # Settled: the names by --assume, the contradiction in the file.
    path.write_text(text.replace("Tracy Jay (TJ)\tNorthmoor Hospitals NHS Trust\n", ""))
    code, out, _ = run(app, str(path), "--assume", "Susan Marsch=guest", "--assume", "SM=SMa")
    assert code == 0, out
    assert "was not needed" not in out
    rows = attendance(app)
    assert rows["SMa"][0] == "apologies" and rows["SMo"][0] == "present" and rows["TJ"][0] == "present"
    assert rows["Susan Marsch"][0] == "in_attendance"
    with app.sessions() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.entity == "meeting")).one()
        assert event.after and event.after["assumed"] == {"Susan Marsch": "guest", "SM": "SMa"}


def test_a_meeting_held_in_the_bot_that_day_is_not_imported_over(app: App) -> None:
    chat = Chat(app).at("2023-09-22T09:00:00+01:00")
    chat.say("TM", "meeting start cpog")
    chat.say("TM", "meeting end")
    before = counts(app)
    code, out, _ = run(app, str(MINUTES))
    assert code == 1
    assert "already has a meeting on Friday 22 September 2023 in the bot (meeting 1, closed)" in out
    assert counts(app) == before


def test_a_date_to_come_and_a_file_of_another_kind_are_refused(app: App, tmp_path: Path) -> None:
    before = counts(app)
    code, out, _ = run(app, str(MINUTES), at="2023-09-01T10:00:00+01:00")
    assert code == 1 and "Friday 22 September 2023 is not in the past" in out
    sheet = tmp_path / "minutes.xlsx"
    sheet.write_text("not minutes")
    code, _, err = run(app, str(sheet))
    assert code == 1 and "minutes are read from .txt, .docx or .pdf files" in err
    assert counts(app) == before


def test_published_minutes_as_pdf_read_as_their_text(app: App, tmp_path: Path) -> None:
    from html import escape

    from weasyprint import HTML

    text = MINUTES.read_text().replace(
        "Clare Green (for\tCG\tWestern Marches Police\tInspector, Safer\n"
        "Tracey Ryland)\t\t\tNeighbourhood Team",
        "Clare Green (for Tracey Ryland)\tCG\tWestern Marches Police\tInspector, Safer Neighbourhood Team",
    )
    body: list[str] = []
    table: list[list[str]] = []

    def flush() -> None:
        if table:
            rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in table)
            body.append(f"<table>{rows}</table>")
            table.clear()

    for line in text.split("\n"):
        if "\t" in line and not line.startswith("\t") and not line[:2].strip().rstrip(".").isdigit():
            table.append(line.split("\t"))  # the attendance tables, as the page lays them out
            continue
        flush()
        if line.strip():
            body.append(f"<p>{escape(line.strip().strip('# *'))}</p>")
    flush()
    # Narrow cells: names wrap inside them ("Paula Mason (for Anne-" / "Marie Speed)"), as in real minutes.
    HTML(string=f"<html><body style='font-size: 9pt'>{''.join(body)}</body></html>").write_pdf(
        tmp_path / "minutes-september.pdf"
    )
    code, out, err = run(app, str(tmp_path / "minutes-september.pdf"))
    assert code == 0, out + err
    assert "the meeting imported, 38 attendance rows recorded, 2 guests created" in out
    before, rows = counts(app), attendance(app)
    assert rows["PM"] == ("deputy", "AMS", None) and rows["KKa"] == ("apologies", None, None)
    code, out, _ = run(app, str(MINUTES))
    assert code == 0, out
    assert "Changes to the stored meeting: none." in out and "0 imported, 0 updated, 4 skipped" in out
    assert counts(app) == before and attendance(app) == rows


def test_someone_else_in_the_chair_chairs_the_imported_meeting(app: App, tmp_path: Path) -> None:
    path = tmp_path / "minutes-september.txt"
    path.write_text(
        MINUTES.read_text()
        .replace("Tamsin Mercer (TM ) (Chair)\t", "Tamsin Mercer (TM)\t")
        .replace("Esther Lane\tEL", "Esther Lane (Chair)\tEL")
    )
    code, out, _ = run(app, str(path))
    assert code == 0, out
    assert "Chaired by Esther Lane, not the file's chair of that day." in out
    with app.sessions() as s:
        assert s.scalars(select(Meeting.chair)).one() == "EL"
    # The imported meeting's own minutes draft reads it: its attendance, chaired by EL.
    chat = Chat(app).at(AT)
    chat.say("TM", "bind cpog")
    said = chat.say("PMcL", "minutes draft 22/09/2023")
    assert "Esther Lane" in said and "Clare Green" in said, said
