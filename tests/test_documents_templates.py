"""Templates: typed text is data everywhere; a business unit's own templates; broken templates say where."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, Chat
from docx import Document
from icalendar import Calendar
from pypdf import PdfReader
from sqlalchemy import select, update

import handlers.documents  # noqa: F401 - registers the document commands
from handlers.documents_render import BUILT_IN, DEFAULT_DIR, Templates, render_text
from storage.models import Action, AgendaItem

SCRIPT = (FIXTURES / "board-meeting.script").read_text(encoding="utf-8")
LONG = "A" * 10_000
HOSTILE = (
    "{{ config }} {% for x in range(9) %}loop{% endfor %} <script>alert(1)</script> <!channel> & " + LONG
)


@pytest.fixture
def board(chat: Chat, tmp_path: Path) -> Chat:
    chat.door.files_dir = tmp_path / "out"
    chat.script(SCRIPT)
    for f in chat.door.files_dir.iterdir():  # start each test with only its own files
        f.unlink()
    return chat


def _hostile(chat: Chat) -> None:
    with chat.app.sessions() as session, session.begin():
        session.execute(update(Action).where(Action.number == 2).values(title=HOSTILE))
        item = session.scalars(select(AgendaItem).where(AgendaItem.kind == "requested")).one()
        item.title = "Voice of the Child {{ 7 * 7 }} <b>bold</b>"


def use_templates(chat: Chat, folder: Path) -> None:
    """The business unit's folder, as app.yaml `documents: {templates: …}` hands it to the core."""
    chat.core.setup = dataclasses.replace(chat.core.setup, templates=Templates(folder))


def _only(chat: Chat, pattern: str) -> Path:
    (path,) = chat.door.files_dir.glob(pattern)
    return path


def test_hostile_text_is_text_in_chat_word_pdf_and_invite(board: Chat) -> None:
    _hostile(board)
    said = board.say("RB", "agenda next board")
    assert (
        "{{ config }} {% for x in range(9) %}loop{% endfor %} <script>alert(1)</script> <!channel> &" in said
    )
    assert "looploop" not in said and "Child 49" not in said  # not evaluated (the paths may hold "49")
    assert "Voice of the Child {{ 7 * 7 }} <b>bold</b>" in said
    assert LONG not in said  # clipped in chat
    assert "✗" not in said

    doc = Document(str(_only(board, "*.docx")))
    overdue = doc.tables[2]
    title = overdue.rows[1].cells[1].text
    assert title.startswith("{{ config }} {% for x in range(9) %}loop{% endfor %} <script>alert(1)</script>")
    assert LONG in title
    agenda_titles = [r.cells[1].text for r in doc.tables[0].rows]
    assert "Voice of the Child {{ 7 * 7 }} <b>bold</b>" in agenda_titles

    reader = PdfReader(_only(board, "*.pdf"))
    text = "".join((p.extract_text() or "") for p in reader.pages)
    flat = "".join(text.split())
    assert "{{config}}{%forxinrange(9)%}loop{%endfor%}<script>alert(1)</script><!channel>&" in flat
    assert "VoiceoftheChild{{7*7}}<b>bold</b>" in flat
    assert flat.count("A") >= len(LONG)  # the long title wraps inside its column, all of it

    (event,) = Calendar.from_ical(_only(board, "*.ics").read_bytes()).walk("VEVENT")
    assert "Voice of the Child {{ 7 * 7 }} <b>bold</b>" in str(event["DESCRIPTION"])


def test_html_is_escaped() -> None:
    from handlers.documents_data import Para

    html = render_text(
        BUILT_IN,
        "minutes.html.j2",
        None,
        minutes=_minimal_minutes([Para("text", "<script>x</script> & {{ config }}")]),
    )
    assert "&lt;script&gt;x&lt;/script&gt; &amp; {{ config }}" in html
    assert "<script>" not in html
    assert '<html lang="en-GB">' in html


def _minimal_minutes(paras: list) -> object:
    from handlers.documents_data import Minutes, MinutesItem

    return Minutes(
        title="Minutes: Test",
        partnership="P",
        series="S",
        series_key="s",
        date_text="Friday 19 January 2024",
        date_iso="2024-01-19",
        when="Friday 19 January 2024",
        chair="C",
        status="Draft: not yet approved.",
        approved=False,
        corrections=[],
        attendees=[],
        business_unit=[],
        in_attendance=[],
        apologies=[],
        absent=[],
        movements=[],
        quorum="",
        items=[MinutesItem("1", "Item", "business", paras)],
        prepared="",
    )


def test_a_custom_template_replaces_the_default(board: Chat, tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "agenda.chat.j2").write_text(
        "Westshire agenda for {{ pack.date_text }}{% for i in pack.items %} | {{ i.title }}{% endfor %}\n",
        encoding="utf-8",
    )
    use_templates(board, custom)
    said = board.say("RB", "agenda next board")
    assert "Westshire agenda for Friday 15 March 2024 | Welcome and apologies" in said
    assert "board-agenda-2024-03-15.pdf" in said  # the other templates are the defaults


def test_a_series_folder_overrides_for_that_series_only(board: Chat, tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    (custom / "board").mkdir(parents=True)
    (custom / "board" / "minutes.chat.j2").write_text(
        "Board minutes {{ minutes.date_text }}\n", encoding="utf-8"
    )
    use_templates(board, custom)
    assert "Board minutes Friday 19 January 2024" in board.say("RB", "minutes draft")
    assert "Agenda pack: Tackling Exploitation Group" in board.say("TR", "agenda next exploitation")


def test_a_custom_word_template_replaces_the_default(board: Chat, tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    doc = Document()
    doc.add_heading("Our agenda: {{ pack.series }}", level=1)
    doc.save(str(custom / "agenda.docx"))
    use_templates(board, custom)
    board.say("RB", "agenda next board")
    rendered = Document(str(_only(board, "*.docx")))
    assert rendered.paragraphs[0].text == "Our agenda: Children's Safeguarding Partnership Board"


def test_a_broken_custom_template_names_the_template_and_line(board: Chat, tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "agenda.html.j2").write_text(
        "<!DOCTYPE html>\n<html lang='en-GB'>\n{% if pack.items %}\n<p>{{ pack.series }</p>\n",
        encoding="utf-8",
    )
    use_templates(board, custom)
    said = board.say("RB", "agenda next board")
    assert "✗ The template “agenda.html.j2” (custom templates) cannot be used at line 4" in said
    assert "remove it to go back to the built-in template" in said
    assert not list(board.door.files_dir.glob("*")), "no document is sent when a template is broken"


def test_a_custom_template_failing_while_rendering_names_the_line(board: Chat, tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "minutes.chat.j2").write_text(
        "Minutes\n{{ minutes.title }}\n{{ minutes.no_such_field }}\n", encoding="utf-8"
    )
    use_templates(board, custom)
    said = board.say("RB", "minutes draft")
    assert "The template “minutes.chat.j2” (custom templates) cannot be used at line 3" in said
    assert "no_such_field" in said


def test_the_sandbox_refuses_to_reach_python_internals(board: Chat, tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    (custom / "agenda.chat.j2").write_text(
        "{{ pack.items.__class__.__mro__[1].__subclasses__() }}\n", encoding="utf-8"
    )
    use_templates(board, custom)
    said = board.say("RB", "agenda next board")
    assert "cannot be used at line 1" in said
    assert "subclasses" not in said.split("cannot be used")[0]
    assert "<class" not in said


def test_a_broken_custom_word_template_is_an_error(board: Chat, tmp_path: Path) -> None:
    custom = tmp_path / "custom"
    custom.mkdir()
    doc = Document()
    doc.add_paragraph("Agenda")
    doc.add_paragraph("{{ pack.series }")
    doc.add_paragraph("Prepared")
    doc.save(str(custom / "agenda.docx"))
    use_templates(board, custom)
    said = board.say("RB", "agenda next board")
    assert "The template “agenda.docx” (custom templates) cannot be used at line" in said
    assert not list(board.door.files_dir.glob("*"))


def test_a_missing_templates_folder_is_refused(tmp_path: Path) -> None:
    from handlers.documents_render import TemplateProblem

    with pytest.raises(TemplateProblem, match="does not exist"):
        Templates(tmp_path / "nowhere")


def test_the_word_templates_match_their_generator(tmp_path: Path) -> None:
    """templates/*.docx are built by templates/make_docx_templates.py: the committed files are its output."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_docx_templates", DEFAULT_DIR / "make_docx_templates.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    for name in ("agenda.docx", "minutes.docx"):
        built, shipped = Document(str(tmp_path / name)), Document(str(DEFAULT_DIR / name))
        assert [p.text for p in built.paragraphs] == [p.text for p in shipped.paragraphs]
        assert [[c.text for c in r.cells] for t in built.tables for r in t.rows] == [
            [c.text for c in r.cells] for t in shipped.tables for r in t.rows
        ]
    shutil.rmtree(tmp_path)


def test_pdf_templates_load_nothing_from_the_network_or_outside_the_template_folders(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from handlers.documents_render import render_pdf

    html = (
        '<html lang="en-GB"><head><title>t</title><link rel="stylesheet" href="documents.css">'
        '<link rel="stylesheet" href="http://example.invalid/x.css"></head>'
        '<body><h1>x</h1><img src="file:///etc/hostname" alt="x"></body></html>'
    )
    with caplog.at_level("ERROR", logger="weasyprint"):
        pdf = render_pdf(BUILT_IN, html)
    assert pdf.startswith(b"%PDF")
    logged = caplog.text
    assert "disallowed protocol: http://example.invalid/x.css" in logged
    assert "only load files from the template folders" in logged
    assert "documents.css" not in logged  # the built-in stylesheet still loads


def test_a_pdf_pauses_the_cycle_collector_and_leaves_it_as_it_found_it() -> None:
    """The collector is off while WeasyPrint works (it only costs time there), on again afterwards,
    and left off if it was off before (a caller pausing it around several documents)."""
    import gc
    import io

    from PIL import Image

    from handlers.collector import cycle_collection_paused
    from handlers.documents_render import render_pdf

    png = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(png, format="PNG")
    seen: list[bool] = []

    class Watched(dict[str, bytes]):  # WeasyPrint asks for the image mid-render: note the collector then
        def __contains__(self, url: object) -> bool:
            seen.append(gc.isenabled())
            return super().__contains__(url)

    html = '<html lang="en-GB"><head><title>t</title></head><body><img src="chart:x" alt="x"></body></html>'
    assert gc.isenabled()
    assert render_pdf(BUILT_IN, html, Watched({"chart:x": png.getvalue()})).startswith(b"%PDF")
    assert seen == [False] and gc.isenabled()
    with cycle_collection_paused():
        with cycle_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner one leaves it to the outer
    assert gc.isenabled()
    gc.disable()
    try:
        render_pdf(BUILT_IN, html, {"chart:x": png.getvalue()})
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_pdf_is_made_with_room_on_the_frame_stack_and_errors_still_come_through() -> None:
    """`with_stack_room` only changes where CPython puts the frames: the result, deep recursion and
    exceptions (with their traceback) are as for a plain call."""
    import traceback

    from handlers.documents_render import with_stack_room

    def depth(n: int) -> int:
        return 0 if n == 0 else 1 + depth(n - 1)

    assert with_stack_room(lambda: depth(800)) == 800

    def fails() -> None:
        raise ValueError("broken template")

    with pytest.raises(ValueError, match="broken template") as caught:
        with_stack_room(fails)
    assert "fails" in "".join(traceback.format_tb(caught.value.__traceback__))
