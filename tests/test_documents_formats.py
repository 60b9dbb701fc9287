"""The files themselves: Word set up for the UK, PDF tagged for PDF/UA, sizes that fit the chat platforms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, Chat
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

import handlers.documents  # noqa: F401 - registers the document commands
from handlers.documents_render import BLOCK_LIMIT, CHAT_LIMIT, chat_blocks

SCRIPT = (FIXTURES / "board-meeting.script").read_text(encoding="utf-8")


@pytest.fixture
def board(chat: Chat, tmp_path: Path) -> Chat:
    chat.door.files_dir = tmp_path
    chat.script(SCRIPT)  # ends with `minutes draft` (19 Jan) and `agenda next board` (8 Mar)
    return chat


def _one(chat: Chat, pattern: str) -> Path:
    (path,) = chat.door.files_dir.glob(pattern)
    return path


def struct_tags(reader: PdfReader) -> list[str]:
    """Every structure type in the PDF's tag tree, in document order."""
    out: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if isinstance(node, dict):
            if "/S" in node:
                out.append(str(node["/S"]))
            kids = node.get("/K")
            if kids is not None:
                for kid in kids if isinstance(kids, list) else [kids]:
                    walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return out


def pdf_text(reader: PdfReader) -> str:
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


@pytest.mark.parametrize("pattern", ["board-minutes-*.pdf", "board-agenda-*.pdf"])
def test_pdfs_are_tagged_with_language_title_and_structure(board: Chat, pattern: str) -> None:
    reader = PdfReader(_one(board, pattern))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])
    assert str(reader.metadata["/Title"]).startswith(("Minutes: Children's", "Agenda: Children's"))
    tags = struct_tags(reader)
    assert tags.count("/H1") == 1
    assert tags.index("/H1") < tags.index("/H2")
    for tag in ("/Table", "/THead", "/TH", "/TR", "/TD"):
        assert tag in tags
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()


def test_minutes_pdf_text(board: Chat) -> None:
    text = pdf_text(PdfReader(_one(board, "board-minutes-*.pdf")))
    assert "Minutes: Children's Safeguarding Partnership Board" in text
    assert "Chloe Grant (for Tom Rees)" in text
    assert "Quorum was lost at 10:40" in text
    assert "1. Welcome and apologies" in text and "9. Date of next meeting" in text


def test_agenda_pdf_text(board: Chat) -> None:
    text = pdf_text(PdfReader(_one(board, "board-agenda-*.pdf")))
    assert "Voice of the Child" in text
    assert "the neglect strategy refresh is approved" in text
    assert "Overdue (2, Red)" in text


@pytest.mark.parametrize("pattern", ["board-minutes-*.docx", "board-agenda-*.docx"])
def test_word_documents_are_a4_en_gb_with_repeating_table_headers(board: Chat, pattern: str) -> None:
    doc = Document(str(_one(board, pattern)))
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert doc.core_properties.language == "en-GB"
    lang = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    assert lang.find(qn("w:lang")).get(qn("w:val")) == "en-GB"
    assert doc.styles["Normal"].font.size.pt == 12
    assert doc.tables
    for table in doc.tables:
        header = table.rows[0]._tr
        assert header.trPr is not None and header.trPr.find(qn("w:tblHeader")) is not None
        runs = [run for cell in table.rows[0].cells for run in cell.paragraphs[0].runs]
        assert runs and all(run.bold for run in runs)
    # No template tag survives rendering.
    xml = doc.element.xml
    assert "{%" not in xml and "{{" not in xml


def test_chat_blocks_stay_under_the_platform_limits() -> None:
    text = "\n\n".join(f"Paragraph {i}: " + "word " * 120 for i in range(60))
    blocks = chat_blocks(text)
    assert all(len(b.text) <= BLOCK_LIMIT for b in blocks)
    assert "".join(b.text for b in blocks).count("Paragraph") == 60
    one_huge = chat_blocks("\n".join("line " * 30 for _ in range(400)))
    assert all(len(b.text) <= BLOCK_LIMIT for b in one_huge)
    assert "".join(b.text for b in one_huge).count("line") == 30 * 400


def test_a_long_tracker_is_summarised_in_chat(board: Chat) -> None:
    for n in range(130):
        board.say("MT", f"Action: HN to review the case file number {n} with the team by 1/3/24")
    said = board.say("RB", "agenda next board")
    reply = said.split("Agenda (Word):")[0]
    assert len(reply) < CHAT_LIMIT
    assert "Overdue (132)" in said
    assert "(122 more in the attached pack)" in said
    assert "Due by the meeting (1)\n" in said and "(1 more in the attached pack)" in said
    assert "board-agenda-2024-03-15.docx" in said
    doc = Document(str(_one(board, "board-agenda-*.docx")))
    overdue = doc.tables[2]
    assert len(overdue.rows) == 133  # the header and every overdue action
