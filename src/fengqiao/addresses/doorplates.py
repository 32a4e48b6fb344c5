"""QR doorplates (二维码门楼牌): the QR code and the printable A4 sheet of plates.

Every standard address (标准地址) has a plate: a blue band with the short address
(门牌, e.g. "阳头路12号 3栋"), the full canonical address, a QR code linking to the
address's public page, the grouped address code, the responsible community police room
(社区警务室) and its duty phone. Views build `Doorplate` values and call:

- `qr_svg` / `qr_png`: the QR code alone (segno, error correction M or higher, 4-module
  quiet zone);
- `doorplate_sheet_pdf`: A4 portrait sheets, 2 × 4 plates a page, QR codes drawn as
  vectors with the symbol at least 30 mm wide. An empty list gives one page saying
  "没有门牌" rather than an error, so a building without addresses still downloads.

Pure rendering: no Django, no database.

Font: Noto Sans SC (思源黑体 / Source Han Sans SC, © Adobe, SIL Open Font License 1.1),
the variable TrueType `NotoSansSC[wght].ttf` from Google Fonts, shipped by the PyPI package
`justmytype-intl-cjk` (fonts/ofl/notosanssc/, with its OFL.txt). Its default instance is
Thin, and instancing the whole 17 MB font takes ~13 s, so we first subset it to the
characters a sheet needs and then instance that subset at weights 400 and 700 (~0.6 s);
fpdf2 then embeds only the glyphs used, so text stays real, extractable text. The cache is
shared with the other PDFs: :mod:`fengqiao.core.pdf_fonts`.
"""

from __future__ import annotations

import io
import math
import string
from collections.abc import Sequence
from dataclasses import dataclass

import segno
from fpdf import FPDF
from fpdf.drawing import PaintedPath
from fpdf.enums import PathPaintRule, WrapMode

from fengqiao.addresses.codes import grouped
from fengqiao.core.pdf_fonts import FONT_FAMILY, embedded_fonts

__all__ = ["Doorplate", "doorplate_sheet_pdf", "qr_png", "qr_svg"]


@dataclass(frozen=True)
class Doorplate:
    """One plate (门牌) as printed."""

    code: str  # 标准地址编码, e.g. "1405022K7M9QAX"
    address: str  # full canonical address (标准地址全称)
    short: str  # the big line: road and number (路名门牌号), maybe the building
    url: str  # absolute URL of the address's public page
    police_room: str = ""  # 责任社区警务室
    duty_phone: str = ""  # community officer's duty phone (值班电话)


# --- QR code -------------------------------------------------------------------------

QUIET_ZONE = 4  # modules; ISO/IEC 18004 requires 4 around a QR symbol


def _qr(url: str) -> segno.QRCode:
    # Never Micro QR (phones' camera apps don't read it); M is the floor, and segno raises
    # the level for free when the data fits the same version at Q or H.
    return segno.make(url, error="m", micro=False, boost_error=True)


def qr_svg(url: str) -> bytes:
    """The QR code as a standalone SVG document (no external references)."""
    buffer = io.BytesIO()
    _qr(url).save(
        buffer, kind="svg", scale=4, border=QUIET_ZONE, xmldecl=True, svgns=True, title=url
    )
    return buffer.getvalue()


def qr_png(url: str, *, scale: int = 8) -> bytes:
    """The QR code as a black-and-white PNG, `scale` pixels per module."""
    if scale < 1:
        raise ValueError("scale must be at least 1 pixel per module")
    buffer = io.BytesIO()
    _qr(url).save(buffer, kind="png", scale=scale, border=QUIET_ZONE)
    return buffer.getvalue()


# --- Sheet layout (millimetres) ------------------------------------------------------

PLATES_PER_ROW = 2
ROWS_PER_PAGE = 4
PLATES_PER_PAGE = PLATES_PER_ROW * ROWS_PER_PAGE

PAGE_W, PAGE_H = 210.0, 297.0
MARGIN_X = 10.0
HEADER_Y = 7.0  # baseline area of the title / page number line
GRID_TOP = 15.0
GRID_BOTTOM = PAGE_H - 8.0
GUTTER_X = 6.0
GUTTER_Y = 4.0
PLATE_W = (PAGE_W - 2 * MARGIN_X - (PLATES_PER_ROW - 1) * GUTTER_X) / PLATES_PER_ROW
PLATE_H = (GRID_BOTTOM - GRID_TOP - (ROWS_PER_PAGE - 1) * GUTTER_Y) / ROWS_PER_PAGE

BAND_H = 13.0  # blue band with the short line
QR_BOX = 42.0  # QR symbol plus quiet zone; even a 21-module symbol is then 30.4 mm wide
PAD = 2.0

PLATE_BLUE = (22, 76, 152)  # the blue of 门楼牌
INK = (20, 20, 20)
MUTED = (90, 90, 90)

HINT = "扫码查看本地址公开信息、报警求助、申请调解、反诈提示"
CODE_LABEL = "地址编码"
PHONE_LABEL = "值班电话"
EMPTY_NOTICE = "没有门牌"
_PT = 25.4 / 72  # millimetres per point


def _page_label(page: int, pages: int) -> str:
    return f"第 {page} / {pages} 页"


def doorplate_sheet_pdf(plates: Sequence[Doorplate], *, title: str = "") -> bytes:
    """A4 portrait PDF of doorplates (门牌打印页), 8 a page, in the order given.

    Each page has a header line with `title` (if any) and "第 n / N 页". With no plates
    the PDF is one page that says "没有门牌".
    """
    pages = max(1, math.ceil(len(plates) / PLATES_PER_PAGE))
    text = "".join(
        part
        for plate in plates
        for part in (plate.short, plate.address, plate.police_room, plate.duty_phone)
    )
    fixed = "…" + HINT + CODE_LABEL + PHONE_LABEL + EMPTY_NOTICE + _page_label(pages, pages)

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(MARGIN_X, HEADER_Y, MARGIN_X)
    pdf.set_title(title or "二维码门楼牌")
    pdf.set_creator("Fengqiao")
    pdf.set_lang("zh-CN")
    with embedded_fonts(pdf, string.printable + fixed + title + text):
        for page in range(pages):
            pdf.add_page()
            _draw_header(pdf, title, page + 1, pages)
            on_page = plates[page * PLATES_PER_PAGE : (page + 1) * PLATES_PER_PAGE]
            for index, plate in enumerate(on_page):
                row, column = divmod(index, PLATES_PER_ROW)
                x = MARGIN_X + column * (PLATE_W + GUTTER_X)
                y = GRID_TOP + row * (PLATE_H + GUTTER_Y)
                _draw_plate(pdf, plate, x, y)
        if not plates:
            pdf.set_font(FONT_FAMILY, "B", 20)
            pdf.set_text_color(*MUTED)
            pdf.set_xy(MARGIN_X, GRID_TOP + 20)
            pdf.cell(PAGE_W - 2 * MARGIN_X, 12, EMPTY_NOTICE, align="C")
        return bytes(pdf.output())


def _draw_header(pdf: FPDF, title: str, page: int, pages: int) -> None:
    pdf.set_text_color(*MUTED)
    pdf.set_xy(MARGIN_X, HEADER_Y)
    width = PAGE_W - 2 * MARGIN_X
    if title:
        pdf.set_font(FONT_FAMILY, "B", 10)
        pdf.cell(width * 0.75, 5, _fit(pdf, title, width * 0.75, "B", 10), align="L")
    pdf.set_font(FONT_FAMILY, "", 9)
    pdf.set_xy(MARGIN_X + width * 0.75, HEADER_Y)
    pdf.cell(width * 0.25, 5, _page_label(page, pages), align="R")


def _draw_plate(pdf: FPDF, plate: Doorplate, x: float, y: float) -> None:
    # Rounded frame, and a band in the plate's blue across its top.
    pdf.set_draw_color(*PLATE_BLUE)
    pdf.set_fill_color(*PLATE_BLUE)
    pdf.set_line_width(0.6)
    pdf.rect(x, y, PLATE_W, PLATE_H, style="D", round_corners=True, corner_radius=2.5)
    pdf.rect(
        x,
        y,
        PLATE_W,
        BAND_H,
        style="DF",
        round_corners=("TOP_LEFT", "TOP_RIGHT"),
        corner_radius=2.5,
    )

    _draw_short(pdf, plate.short, x + PAD, y, PLATE_W - 2 * PAD)

    body_top = y + BAND_H + 0.5
    _draw_qr(pdf, plate.url, x + 0.8, body_top, QR_BOX)

    # Right column: address, code, police room, phone.
    col_x = x + QR_BOX + 1.5
    col_w = x + PLATE_W - PAD - col_x
    pdf.set_text_color(*INK)
    cursor = body_top + 3.0
    # Full address: 9 pt, smaller (down to 6 pt, ~120 characters) until it fits its box.
    # Chinese has no spaces, so wrap between any two characters.
    address_h = 19.0
    size = 9.0
    while True:
        pdf.set_font(FONT_FAMILY, "", size)
        line_h = size * _PT * 1.35
        lines = pdf.multi_cell(
            col_w, line_h, plate.address, dry_run=True, output="LINES", wrapmode=WrapMode.CHAR
        )
        if len(lines) * line_h <= address_h or size <= 6.0:
            break
        size -= 0.5
    pdf.set_xy(col_x, cursor)
    pdf.multi_cell(col_w, line_h, plate.address, align="L", wrapmode=WrapMode.CHAR)
    cursor += address_h + 1.0

    pdf.set_draw_color(200, 200, 200)
    pdf.set_line_width(0.2)
    pdf.line(col_x, cursor, col_x + col_w, cursor)
    cursor += 1.5

    pdf.set_xy(col_x, cursor)
    pdf.set_font(FONT_FAMILY, "", 6.5)
    pdf.set_text_color(*MUTED)
    pdf.cell(col_w, 3.0, CODE_LABEL)
    pdf.set_xy(col_x, cursor + 3.0)
    pdf.set_font(FONT_FAMILY, "B", 10.5)
    pdf.set_text_color(*INK)
    pdf.cell(col_w, 4.5, _fit(pdf, grouped(plate.code), col_w, "B", 10.5))
    cursor += 8.5

    if plate.police_room:
        pdf.set_xy(col_x, cursor)
        pdf.set_font(FONT_FAMILY, "B", 8.5)
        pdf.set_text_color(*PLATE_BLUE)
        pdf.cell(col_w, 4.0, _fit(pdf, plate.police_room, col_w, "B", 8.5))
        cursor += 4.5
    if plate.duty_phone:
        pdf.set_xy(col_x, cursor)
        pdf.set_font(FONT_FAMILY, "", 8.5)
        pdf.set_text_color(*INK)
        phone = f"{PHONE_LABEL} {plate.duty_phone}"
        pdf.cell(col_w, 4.0, _fit(pdf, phone, col_w, "", 8.5))

    # Hint along the bottom edge, under the QR code's quiet zone.
    hint_y = y + PLATE_H - 6.0
    pdf.set_draw_color(*PLATE_BLUE)
    pdf.set_line_width(0.2)
    pdf.line(x + PAD, hint_y, x + PLATE_W - PAD, hint_y)
    size = _fitting_size(pdf, HINT, PLATE_W - 2 * PAD, "", 7.5, 5.5)
    pdf.set_font(FONT_FAMILY, "", size)
    pdf.set_text_color(*PLATE_BLUE)
    pdf.set_xy(x + PAD, hint_y + 0.3)
    pdf.cell(PLATE_W - 2 * PAD, 5.0, HINT, align="C")


def _draw_short(pdf: FPDF, short: str, x: float, y: float, width: float) -> None:
    """The big line in the band: one line as large as fits (22–13 pt); a long one goes
    on two lines (12–8 pt), and only past that is it cut with an ellipsis."""
    pdf.set_text_color(255, 255, 255)
    size = _fitting_size(pdf, short, width - 2, "B", 22, 13)
    if pdf.get_string_width(short) <= width - 2:
        pdf.set_xy(x, y)
        pdf.cell(width, BAND_H, short, align="C")
        return
    size = 12.0
    while True:
        pdf.set_font(FONT_FAMILY, "B", size)
        line_h = size * _PT * 1.2
        lines = pdf.multi_cell(
            width, line_h, short, dry_run=True, output="LINES", wrapmode=WrapMode.CHAR
        )
        if len(lines) <= 2 or size <= 8:
            break
        size -= 0.5
    if len(lines) > 2:
        lines = [lines[0], _fit(pdf, "".join(lines[1:]), width, "B", size)]
    pdf.set_xy(x, y + (BAND_H - len(lines) * line_h) / 2)
    pdf.multi_cell(width, line_h, "\n".join(lines), align="C", wrapmode=WrapMode.CHAR)


def _draw_qr(pdf: FPDF, url: str, x: float, y: float, box: float) -> None:
    """Draw the QR code as one filled vector path inside a white `box` × `box` square
    that includes the quiet zone. One path, not one rectangle a module, so viewers
    show no hairline seams between modules."""
    matrix = [list(row) for row in _qr(url).matrix]
    modules = len(matrix)
    unit = box / (modules + 2 * QUIET_ZONE)
    origin_x = x + QUIET_ZONE * unit
    origin_y = y + QUIET_ZONE * unit
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, box, box, style="F")
    path = PaintedPath()
    path.style.paint_rule = PathPaintRule.FILL_NONZERO
    path.style.fill_color = "#000000"
    path.style.stroke_color = None
    for row_index, row in enumerate(matrix):
        column = 0
        while column < modules:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < modules and row[column]:
                column += 1
            # Merge each horizontal run of dark modules into one rectangle.
            path.rectangle(
                origin_x + start * unit,
                origin_y + row_index * unit,
                (column - start) * unit,
                unit,
            )
    # copy=False: fpdf2 would otherwise deep-copy the path, which costs more than drawing.
    pdf.draw_path(path, copy=False)


def _fitting_size(
    pdf: FPDF, text: str, width: float, style: str, largest: float, smallest: float
) -> float:
    size = largest
    while size > smallest:
        pdf.set_font(FONT_FAMILY, style, size)
        if pdf.get_string_width(text) <= width:
            return size
        size -= 0.5
    return smallest


def _fit(pdf: FPDF, text: str, width: float, style: str, size: float) -> str:
    """`text`, cut with an ellipsis if it is wider than `width` at this size."""
    pdf.set_font(FONT_FAMILY, style, size)
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"
