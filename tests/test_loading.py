"""Loading partnership files: idempotent, updates keep history, a bad file changes nothing."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import EXAMPLE, Chat
from sqlalchemy import func, select

from bot.app import App
from bot.cli import main
from storage.models import Action, AuditEvent, Partnership, Person, Series


def _counts(app: App) -> dict[str, int]:
    with app.sessions() as s:
        return {
            "people": s.scalar(select(func.count()).select_from(Person)) or 0,
            "active": s.scalar(select(func.count()).select_from(Person).where(Person.active)) or 0,
            "audit": s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            "version": s.scalar(select(Partnership.version)) or 0,
        }


def cli(database_url: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--database", database_url, *args], stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_loading_twice_changes_nothing(app: App, database_url: str) -> None:
    before = _counts(app)
    assert before["people"] == 19 and before["version"] == 1
    code, out, _ = cli(database_url, "load", str(EXAMPLE))
    assert code == 0 and "already up to date" in out
    assert _counts(app) == before


def test_changed_file_updates_and_keeps_history(app: App, database_url: str, tmp_path: Path) -> None:
    chat = Chat(app)
    chat.at("2024-01-19T10:00:00+00:00")
    chat.say("MT", "meeting start board")
    chat.say("PMw", "Action: NF to share the probation caseload figures by 9/2/24")
    text = EXAMPLE.read_text()
    # Nadia Frost leaves; Owen Kaye gets a new title; a new member joins the board.
    text = text.replace(
        "  - {name: Nadia Frost, initials: NF, agency: probation, title: Head of Service}\n", ""
    )
    text = text.replace("title: Development Officer}", "title: Senior Development Officer}")
    text = text.replace(
        "  - {name: Owen Kaye,",
        "  - {name: Ruth Ellis, initials: RE, agency: probation}\n  - {name: Owen Kaye,",
    )
    text = text.replace(
        "members: [MT, LE, SMa, SMi, HN, GP, BLl, DA, TR, KB, TT, SC, JK, WB, RB, OK, NF]",
        "members: [MT, LE, SMa, SMi, HN, GP, BLl, DA, TR, KB, TT, SC, JK, WB, RB, OK, RE]",
    )
    changed = tmp_path / "westshire.yaml"
    changed.write_text(text)
    code, out, err = cli(database_url, "load", str(changed))
    assert code == 0, err
    assert "left person NF" in out and "added person RE" in out and "updated person OK" in out
    with app.sessions() as s:
        nf = s.scalars(select(Person).where(Person.initials == "NF")).one()
        assert not nf.active and nf.left_at is not None
        ok = s.scalars(select(Person).where(Person.initials == "OK")).one()
        assert ok.title == "Senior Development Officer"
        board = s.scalars(select(Series).where(Series.key == "board")).one()
        assert "RE" in board.members and "NF" not in board.members
        # NF's action is still there, owned by NF, and shows that she left.
        action = s.scalars(select(Action)).one()
        assert action.owners[0].person_id == nf.id
    out = chat.say("MT", "actions")
    assert "Nadia Frost (left the partnership)" in out
    # NF can no longer act; loading the new file again changes nothing.
    assert "not in the Westshire" in chat.say("NF", "actions mine")
    assert "already up to date" in cli(database_url, "load", str(changed))[1]


def test_bad_file_is_refused_whole(app: App, database_url: str, tmp_path: Path) -> None:
    before = _counts(app)
    text = EXAMPLE.read_text()
    text = text.replace("agency: police, title: Detective Superintendent", "agency: polce, title: Detective")
    text = text.replace("initials: OK,", "initials: RB,")
    text = text.replace("    chair: MT\n", "    chair: ZZ\n", 1)
    text = text.replace("title: Development Officer}", "title: Senior Development Officer}")
    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    code, _, err = cli(database_url, "load", str(bad))
    assert code == 1
    assert "polce" in err and "RB" in err and "chair" in err and "Nothing was loaded" in err
    lines = err.splitlines()
    assert lines[0].endswith(": 6 problems") and len(lines) == 8
    assert all(line.startswith("  line ") for line in lines[1:-1])
    assert _counts(app) == before
    with app.sessions() as s:
        assert s.scalars(select(Person.title).where(Person.initials == "OK")).one() == "Development Officer"


def test_yaml_error_names_its_line(app: App, database_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "broken.yaml"
    bad.write_text("id: x\nname: [unclosed\ntimezone: Europe/London\n")
    code, _, err = cli(database_url, "load", str(bad))
    assert code == 1 and "line" in err and "Nothing was loaded" in err
