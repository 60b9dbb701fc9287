"""`partnerbot agenda` and `partnerbot minutes` from the command line."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import pytest
from conftest import FIXTURES, ROOT, Chat
from docx import Document

import handlers.documents  # noqa: F401 - registers the document commands
from bot.cli import main

SCRIPT = (FIXTURES / "board-meeting.script").read_text(encoding="utf-8")


@pytest.fixture
def board(chat: Chat, tmp_path: Path) -> Chat:
    chat.door.files_dir = tmp_path / "chat"
    chat.script(SCRIPT)
    return chat


def _cli(database_url: str, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["--config", str(ROOT / "app.yaml"), "--database", database_url, *args], stdout=out)
    return code, out.getvalue(), err.getvalue()


def test_agenda_command_writes_the_pack(board: Chat, database_url: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "pack"
    code, out, err = _cli(
        database_url,
        "agenda",
        "--series",
        "board",
        "--meeting",
        "next",
        "--out",
        str(out_dir),
        "--at",
        "2024-03-08T09:30:00+00:00",
    )
    assert code == 0, err
    written = sorted(Path(line) for line in out.splitlines())
    assert [p.name for p in written] == [
        "board-agenda-2024-03-15.docx",
        "board-agenda-2024-03-15.ics",
        "board-agenda-2024-03-15.pdf",
    ]
    assert all(p.parent == out_dir and p.stat().st_size > 0 for p in written)
    doc = Document(str(written[0]))
    assert "Voice of the Child" in [r.cells[1].text.split("\n")[0] for r in doc.tables[0].rows]


def test_minutes_command_writes_the_draft(board: Chat, database_url: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "minutes"
    code, out, err = _cli(database_url, "minutes", "--meeting", "last", "--out", str(out_dir), "--no-pdf")
    assert code == 0, err
    (path,) = (Path(line) for line in out.splitlines())
    assert path.name == "board-minutes-2024-01-19-draft.docx"
    doc = Document(str(path))
    assert "Chloe Grant (for Tom Rees)" in [r.cells[0].text for r in doc.tables[0].rows]
    code, out, _ = _cli(
        database_url, "minutes", "--series", "board", "--meeting", "19/01/24", "--out", str(out_dir)
    )
    assert code == 0
    assert sorted(Path(line).suffix for line in out.splitlines()) == [".docx", ".pdf"]


def test_cli_errors_say_what_is_wrong(board: Chat, database_url: str, tmp_path: Path) -> None:
    code, _, err = _cli(database_url, "agenda", "--series", "nope", "--out", str(tmp_path))
    assert code == 1 and "No series 'nope'" in err
    code, _, err = _cli(database_url, "minutes", "--meeting", "20/01/24", "--out", str(tmp_path))
    assert code == 1 and "--series" in err
    code, _, err = _cli(
        database_url, "minutes", "--series", "exploitation", "--meeting", "last", "--out", str(tmp_path)
    )
    assert code == 1 and "has no closed meeting yet" in err
