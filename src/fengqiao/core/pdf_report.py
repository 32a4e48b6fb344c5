"""The A4 layout of the PDFs that are reports of figures: the morning brief
(:mod:`fengqiao.incidents.brief_pdf`) and the 治安工作统计报表
(:mod:`fengqiao.dashboards.reports`).

A document is laid out first as plain :class:`Section` values of strings (a title, lines
of text, tables, the text said when there is no table), so that the font subset
(:mod:`fengqiao.core.pdf_fonts`) gets every character up front; :func:`document` then
opens an A4 portrait page with the title and 第 n / N 页 in every page's footer, and
:func:`draw_section` draws the sections. Tables repeat their header on every page they
run onto; text wraps between any two characters (Chinese has no spaces).
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, WrapMode, XPos, YPos

from fengqiao.core.pdf_fonts import FONT_FAMILY, embedded_fonts

__all__ = ["ALERT", "BRAND", "INK", "MARGIN", "MUTED", "WIDTH", "ReportPDF", "Section", "Table",
           "document", "draw_section", "paragraph"]  # fmt: skip

PAGE_W = 210.0  # A4 portrait, millimetres
MARGIN = 15.0
WIDTH = PAGE_W - 2 * MARGIN
INK = (20, 20, 20)
MUTED = (95, 105, 115)
BRAND = (11, 61, 107)
ALERT = (176, 42, 30)
HEAD_FILL = (232, 238, 245)  # a table's header
STRONG_FILL = (246, 248, 251)  # a strong row: a total, a top-level category
RULE = (200, 208, 218)  # a table's lines


@dataclass
class Table:
    """Headings, relative column widths, which columns are numbers (right-aligned), the
    rows as printed; ``strong`` rows in bold on a fill, ``alert`` rows in red, an
    optional caption above the table."""

    headings: tuple[str, ...]
    widths: tuple[float, ...]
    numeric: tuple[bool, ...]
    rows: list[tuple[str, ...]] = field(default_factory=list)
    strong: set[int] = field(default_factory=set)
    alert: set[int] = field(default_factory=set)
    caption: str = ""


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    empty: str = ""  # said instead of the tables when there are none


def _page_label(page: object, pages: object) -> str:
    return _("第 %(page)s / %(pages)s 页") % {"page": page, "pages": pages}


def _text(sections: Sequence[Section]) -> str:
    parts = [_page_label(0, 0), "…"]
    for section in sections:
        parts += [section.title, section.empty, *section.lines]
        for table in section.tables:
            parts += [table.caption, *table.headings, *("".join(row) for row in table.rows)]
    return string.printable + "".join(parts)


class ReportPDF(FPDF):
    """A4 portrait with 15 mm margins; the title and 第 n / N 页 in every page's footer."""

    def __init__(self, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_title = title
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(auto=True, margin=16)
        self.set_title(title)
        self.set_creator("Fengqiao")
        self.set_lang("zh-CN")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, "", 8)
        self.set_text_color(*MUTED)
        self.cell(WIDTH * 0.7, 5, self.footer_title, align="L")
        self.cell(WIDTH * 0.3, 5, _page_label(self.page_no(), "{nb}"), align="R")


@contextmanager
def document(title: str, sections: Sequence[Section], text: str = "") -> Iterator[ReportPDF]:
    """A :class:`ReportPDF` on its first page, with the fonts for the title, the sections
    and ``text`` (whatever else the caller draws). Call ``output()`` inside the ``with``
    block: fpdf2 reads the font files only then."""
    pdf = ReportPDF(title)
    with embedded_fonts(pdf, title + text + _text(sections)):
        pdf.add_page()
        yield pdf


def paragraph(pdf: FPDF, height: float, text: str, align: str = "L") -> None:
    """Text across the page, wrapped between any two characters (Chinese has no
    spaces); the next one starts at the left margin below it."""
    pdf.multi_cell(
        WIDTH, height, text, align=align, wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN, new_y=YPos.NEXT,
    )  # fmt: skip


def draw_section(pdf: FPDF, section: Section, *, gap_under_rule: bool = True) -> None:
    """The title over a rule, the lines, then the tables (each under its caption) or, with
    none, the empty text. A table follows what stands above it after a 1 mm gap; right
    under the rule only with ``gap_under_rule``."""
    # Keep a heading with at least the first rows of what follows it.
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(2)
    pdf.set_text_color(*BRAND)
    pdf.set_font(FONT_FAMILY, "B", 11.5)
    paragraph(pdf, 6.5, section.title)
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(0.3)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + WIDTH, pdf.get_y())
    pdf.ln(1.5)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT_FAMILY, "", 9)
    for line in section.lines:
        paragraph(pdf, 5, line)
    if not section.tables and section.empty:
        pdf.set_text_color(*MUTED)
        paragraph(pdf, 5, section.empty)
        pdf.set_text_color(*INK)
    for index, table in enumerate(section.tables):
        if index or section.lines or gap_under_rule:
            pdf.ln(1)
        if table.caption:
            # Keep a caption with the first rows of its table.
            if pdf.will_page_break(25):
                pdf.add_page()
            pdf.set_font(FONT_FAMILY, "B", 9.5)
            paragraph(pdf, 5.5, table.caption)
        _draw_table(pdf, table)


def _draw_table(pdf: FPDF, table: Table) -> None:
    pdf.set_font(FONT_FAMILY, "", 9)
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=table.widths,
        text_align=tuple("RIGHT" if numeric else "LEFT" for numeric in table.numeric),
        width=WIDTH,
        align="LEFT",
        line_height=5.2,
        padding=(1.0, 1.6),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=FontFace(emphasis="BOLD", color=BRAND, fill_color=HEAD_FILL),
        wrapmode=WrapMode.CHAR,
        repeat_headings=1,  # a long table's header again on every page it runs onto
    ) as drawn:
        heading = drawn.row()
        for text in table.headings:
            heading.cell(text)
        for index, values in enumerate(table.rows):
            style = None
            if index in table.alert:
                style = FontFace(color=ALERT)
            elif index in table.strong:
                style = FontFace(emphasis="BOLD", fill_color=STRONG_FILL)
            row = drawn.row()
            for text in values:
                row.cell(text, style=style)
    pdf.ln(1)
