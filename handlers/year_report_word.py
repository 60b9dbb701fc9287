"""The year report as a Word file (python-docx, imported when one is made): its charts are pictures
whose text alternative Word keeps in the picture's description. Made in the report's second process
when there is one (handlers/year_report_worker.py), so nothing here reads the database."""

from __future__ import annotations

import io
from typing import Any

from handlers.year_figures import YearReport
from handlers.year_report_charts import Chart
from handlers.year_report_sections import ACTIONS_HEAD, ENGAGEMENT_HEAD, Section, as_of_text, title_of


class _Styled:
    """Paragraphs and tables given their style by its id, looked up once. python-docx looks a style
    named in `add_heading` or `add_paragraph(style=…)` up by searching all the document's styles,
    twice, for every paragraph: a third of the Word file's time. The XML is the same."""

    def __init__(self, doc: Any) -> None:
        from docx.enum.style import WD_STYLE_TYPE

        self.doc = doc
        names = ["Caption", *(f"Heading {n}" for n in (1, 2, 3))]
        self.ids = {name: doc.styles[name].style_id for name in names}
        self.ids["Table Grid"] = doc.styles.get_style_id("Table Grid", WD_STYLE_TYPE.TABLE)

    def paragraph(self, text: str, style: str) -> Any:
        paragraph = self.doc.add_paragraph(text)
        paragraph._p.style = self.ids[style]
        return paragraph

    def heading(self, text: str, level: int) -> Any:
        return self.paragraph(text, f"Heading {level}")


def _table(styled: _Styled, head: list[str], rows: list[list[str]]) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    # The whole table at once, filled through its flat list of cells: adding rows one by one and
    # asking each for its cells searches the table's XML again every time.
    table = styled.doc.add_table(rows=1 + len(rows), cols=len(head))
    table._tbl.tblStyle_val = styled.ids["Table Grid"]
    cells = table._cells
    for cell, text in zip(cells, [*head, *(c for row in rows for c in row)], strict=True):
        cell.text = text
    for cell in cells[: len(head)]:
        cell.paragraphs[0].runs[0].bold = True
    # The header row repeats on every page, as the other documents' tables do.
    tr_pr = table.rows[0]._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def render_docx(report: YearReport, parts: list[Section], drawn: list[Chart]) -> bytes:
    from docx import Document
    from docx.shared import Cm, Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(11)
    styled = _Styled(doc)
    styled.heading(title_of(report), level=1)
    doc.add_paragraph(as_of_text(report))
    pngs = {c.name: c for c in drawn}
    for part in parts:
        styled.heading(part.title, level=2)
        for line in part.summary:
            doc.add_paragraph(line)
        styled.heading("Engagement per agency", level=3)
        if part.engagement:
            _table(styled, ENGAGEMENT_HEAD, part.engagement)
        else:
            doc.add_paragraph("No attendance was recorded in this period.")
        styled.heading("Quorum", level=3)
        for line in part.quorum:
            doc.add_paragraph(line)
        styled.heading("Actions", level=3)
        _table(styled, ACTIONS_HEAD, part.actions)
        styled.heading("Reminders", level=3)
        for line in part.reminders:
            doc.add_paragraph(line)
        for c in part.charts:
            chart = pngs[c["name"]]
            styled.paragraph(chart.title, "Caption")
            shape = doc.add_picture(io.BytesIO(chart.png), width=Cm(16))
            # Word's "alt text": the picture's description (and its title), read by screen readers.
            doc_pr = shape._inline.docPr
            doc_pr.set("descr", chart.alt)
            doc_pr.set("title", chart.title)
            doc.add_paragraph(f"Text alternative: {chart.alt}")
    doc.core_properties.title = title_of(report)
    doc.core_properties.language = "en-GB"
    doc.core_properties.author = "partnerbot"
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()
