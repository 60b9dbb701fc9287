"""Build the Word templates agenda.docx and minutes.docx (docxtpl tags) with python-docx.

Run: python templates/make_docx_templates.py   (writes both files beside this script)

The documents are A4, en-GB, Arial 12 pt, with real Heading 1–3 styles and tables whose first
row is a header repeated on every page. Each docxtpl tag sits whole in one run, so Word's own
editing does not split it. A business unit can open the result in Word, restyle it and save it
in its own templates folder; only the tags must stay as they are.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt, RGBColor
from docx.table import Table

HERE = Path(__file__).resolve().parent
FONT = "Arial"


def _set_lang(rpr: BaseOxmlElement) -> None:
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-GB")
    lang.set(qn("w:eastAsia"), "en-GB")
    lang.set(qn("w:bidi"), "ar-SA")


def new_document(title: str) -> DocumentType:
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    # The default template says US English: every run inherits the document defaults, so set en-GB there.
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    rpr = defaults.find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_lang(rpr)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(12)
    normal.element.get_or_add_rPr()
    fonts = normal.element.rPr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        normal.element.rPr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)
    _set_lang(normal.element.rPr)
    normal.paragraph_format.space_after = Pt(6)
    for name, size in (("Heading 1", 20), ("Heading 2", 15), ("Heading 3", 13)):
        style = doc.styles[name]
        style.font.name, style.font.size, style.font.bold = FONT, Pt(size), True
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.paragraph_format.space_before = Pt(12)
        style.paragraph_format.space_after = Pt(6)
    doc.core_properties.title = title
    doc.core_properties.language = "en-GB"
    doc.core_properties.author = "partnerbot"
    return doc


def tag(doc: DocumentType, text: str) -> None:
    """A paragraph holding one docxtpl paragraph tag ({%p … %}); docxtpl removes the paragraph."""
    doc.add_paragraph(text)


def labelled(doc: DocumentType, label: str, value: str) -> None:
    p = doc.add_paragraph()
    p.add_run(label).bold = True
    p.add_run(value)


def table(doc: DocumentType, headers: list[str], cells: list[str], loop: str, widths: list[int]) -> Table:
    """A table: a header row repeated on each page, then one row per item of `loop` (a {%tr for %})."""
    t = doc.add_table(rows=4, cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.LEFT
    header = t.rows[0]
    trpr = header._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    trpr.append(repeat)
    for cell, text in zip(header.cells, headers, strict=True):
        cell.paragraphs[0].add_run(text).bold = True
    t.rows[1].cells[0].paragraphs[0].add_run(f"{{%tr for {loop} %}}")
    for cell, text in zip(t.rows[2].cells, cells, strict=True):
        cell.paragraphs[0].add_run(text)
    t.rows[3].cells[0].paragraphs[0].add_run("{%tr endfor %}")
    for row in t.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = Mm(width)
    return t


def agenda() -> DocumentType:
    doc = new_document("Agenda")
    doc.add_heading("Agenda: {{ pack.series }}", level=1)
    doc.add_paragraph("{{ pack.partnership }}")
    labelled(
        doc,
        "Date: ",
        "{{ pack.date_text }}{% if not pack.date_confirmed %} (proposed; to be confirmed){% endif %}",
    )
    tag(doc, "{%p if pack.time_text %}")
    labelled(doc, "Time: ", "{{ pack.time_text }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if pack.place %}")
    labelled(doc, "Place: ", "{{ pack.place }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if pack.online_link %}")
    labelled(doc, "Online: ", "{{ pack.online_link }}")
    tag(doc, "{%p endif %}")
    labelled(doc, "Chair: ", "{{ pack.chair }}")
    tag(doc, "{%p if pack.papers_due %}")
    labelled(doc, "Papers due: ", "{{ pack.papers_due }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if pack.terms_of_reference %}")
    labelled(doc, "Terms of reference: ", "{{ pack.terms_of_reference }}")
    tag(doc, "{%p endif %}")

    doc.add_heading("Agenda", level=2)
    table(
        doc,
        ["No.", "Item", "Lead", "Time or paper"],
        [
            "{{ item.number }}",
            "{{ item.title }}{% if item.note %}\n{{ item.note }}{% endif %}",
            "{{ item.presenter }}",
            "{{ item.time }}{% if item.paper %}\n{{ item.paper }}{% endif %}",
        ],
        "item in pack.items",
        [14, 90, 36, 30],
    )

    doc.add_heading("Papers", level=2)
    tag(doc, "{%p for p in pack.papers %}")
    doc.add_paragraph(
        "{% if p.item %}Item {{ p.item }}: {% endif %}{{ p.title }}{% if p.note %} ({{ p.note }}){% endif %}"
        "{% if p.link %}: {{ p.link }}{% endif %}",
        style="List Bullet",
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not pack.papers %}")
    doc.add_paragraph("None.")
    tag(doc, "{%p endif %}")

    doc.add_heading("Decisions for ratification", level=2)
    tag(doc, "{%p if pack.ratification %}")
    doc.add_paragraph(
        "Decisions taken while the meeting was not quorate, or without its decision quorum, to be "
        "ratified at a quorate meeting."
    )
    table(doc, ["Date", "Decision"], ["{{ d.date }}", "{{ d.text }}"], "d in pack.ratification", [35, 135])
    tag(doc, "{%p else %}")
    doc.add_paragraph("None.")
    tag(doc, "{%p endif %}")

    doc.add_heading("Action tracker", level=2)
    doc.add_paragraph("{{ pack.tracker.summary }}")
    tag(doc, "{%p for group in pack.tracker.groups %}")
    doc.add_heading("{{ group.label }} ({{ group.count }}, {{ group.rag }})", level=3)
    table(
        doc,
        ["No.", "Action", "Owners", "Due", "Status", "Latest update"],
        [
            "{{ a.number }}",
            "{{ a.title }}{% if a.flags %}\n{{ a.flags }}{% endif %}",
            "{{ a.owners }}",
            "{{ a.due }}",
            "{{ a.status }}, {{ a.rag }}",
            "{{ a.update }}{% if a.update_date %} ({{ a.update_date }}){% endif %}",
        ],
        "a in group.actions",
        [12, 52, 28, 24, 20, 34],
    )
    tag(doc, "{%p endfor %}")
    doc.add_heading("Closed since the last meeting", level=3)
    tag(doc, "{%p if pack.tracker.closed %}")
    table(
        doc,
        ["No.", "Action", "Owners", "Closed"],
        ["{{ a.number }}", "{{ a.title }}", "{{ a.owners }}", "{{ a.status }}"],
        "a in pack.tracker.closed",
        [12, 90, 38, 30],
    )
    tag(doc, "{%p else %}")
    doc.add_paragraph("None.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for g in pack.ended_groups %}")
    doc.add_heading(
        "Open actions of {{ g.series }}, which ended on {{ g.ended }} ({{ g.actions | length }})", level=3
    )
    table(
        doc,
        ["No.", "Action", "Owners", "Due"],
        [
            "{{ a.number }}",
            "{{ a.title }}{% if a.flags %}\n{{ a.flags }}{% endif %}",
            "{{ a.owners }}",
            "{{ a.due }}",
        ],
        "a in g.actions",
        [12, 86, 38, 34],
    )
    tag(doc, "{%p endfor %}")

    doc.add_heading("Apologies received", level=2)
    tag(doc, "{%p for line in pack.apologies %}")
    doc.add_paragraph("{{ line }}", style="List Bullet")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not pack.apologies %}")
    doc.add_paragraph("None so far.")
    tag(doc, "{%p endif %}")
    doc.add_paragraph(
        "{{ pack.prepared }} If you need this document in another format, "
        "please ask the partnership's business unit."
    )
    return doc


def minutes() -> DocumentType:
    doc = new_document("Minutes")
    doc.add_heading("Minutes: {{ minutes.series }}", level=1)
    doc.add_paragraph("{{ minutes.partnership }}")
    doc.add_paragraph("{{ minutes.when }}")
    doc.add_paragraph().add_run("{{ minutes.status }}").bold = True
    tag(doc, "{%p if minutes.chair_note %}")
    doc.add_paragraph("{{ minutes.chair_note }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p for c in minutes.corrections %}")
    doc.add_paragraph("{{ c }}", style="List Bullet")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p for p in minutes.preamble %}")
    doc.add_paragraph("{{ p }}")
    tag(doc, "{%p endfor %}")

    people = ["{{ r.name }}", "{{ r.initials }}", "{{ r.organisation }}", "{{ r.title }}"]
    headers = ["Name", "Initials", "Organisation", "Job title"]
    widths = [55, 20, 47, 48]
    doc.add_heading("Attendance", level=2)
    table(doc, headers, people, "r in minutes.attendees", widths)
    doc.add_heading("Business unit", level=3)
    tag(doc, "{%p for line in minutes.business_unit %}")
    doc.add_paragraph("{{ line }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if minutes.in_attendance %}")
    doc.add_heading("In attendance", level=3)
    table(doc, headers, people, "r in minutes.in_attendance", widths)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if not minutes.apologies_in_item %}")
    doc.add_heading("Apologies", level=3)
    tag(doc, "{%p for a in minutes.apologies %}")
    doc.add_paragraph("{{ a }}", style="List Bullet")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not minutes.apologies %}")
    doc.add_paragraph("None.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    doc.add_heading("Not in attendance", level=3)
    tag(doc, "{%p if minutes.absent %}")
    table(doc, headers, people, "r in minutes.absent", widths)
    tag(doc, "{%p else %}")
    doc.add_paragraph("None.")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if minutes.movements %}")
    doc.add_heading("Arrivals and departures", level=3)
    tag(doc, "{%p for m in minutes.movements %}")
    doc.add_paragraph("{{ m }}", style="List Bullet")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    doc.add_heading("Quorum", level=3)
    doc.add_paragraph("{{ minutes.quorum }}")

    tag(doc, "{%p for item in minutes.items %}")
    doc.add_heading("{{ item.number }}. {{ item.title }}", level=2)
    tag(doc, "{%p for p in item.paras %}")
    tag(doc, "{%p if p.kind == 'bullet' %}")
    doc.add_paragraph("{{ p.text }}", style="List Bullet")
    tag(doc, "{%p elif p.kind in ('action', 'decision') %}")
    doc.add_paragraph().add_run("{{ p.text }}").bold = True
    tag(doc, "{%p else %}")
    doc.add_paragraph("{{ p.text }}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    # The tracker review as minutes print it: "Action 29. SMa/PMw to …", then its update and status.
    tag(doc, "{%p for r in item.review %}")
    doc.add_paragraph().add_run("{{ r.text }}").bold = True
    doc.add_paragraph("{% if r.update %}{{ r.update }} {% endif %}{{ r.status }}")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    doc.add_paragraph(
        "{{ minutes.prepared }} If you need this document in another format, "
        "please ask the partnership's business unit."
    )
    return doc


def main(out: Path = HERE) -> int:
    agenda().save(str(out / "agenda.docx"))
    minutes().save(str(out / "minutes.docx"))
    print(f"Wrote {out / 'agenda.docx'} and {out / 'minutes.docx'}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE))
