"""The printable A4 PDF of the morning brief (每日警情研判).

Rendering only: it takes a :class:`~fengqiao.incidents.brief.Brief` and touches no
database. The text is real, extractable text in Noto Sans SC, subset to the characters
the brief uses by the font cache the doorplate sheets already keep
(:mod:`fengqiao.addresses.doorplates`), so the second brief of the day costs no font work.

The document is first laid out as plain sections of strings (title, figures, tables),
which gives the font cache every character up front; fpdf2 then draws them.
"""

from __future__ import annotations

import datetime as dt
import string
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.utils import timezone
from django.utils.translation import gettext as _
from fpdf import FPDF, FontFace
from fpdf.enums import TableBordersLayout, WrapMode, XPos, YPos

from fengqiao.addresses import codes as address_codes
from fengqiao.addresses import doorplates
from fengqiao.incidents.brief import Brief, UrgentClock
from fengqiao.incidents.codes import grouped as grouped_tracking_code
from fengqiao.incidents.templatetags.incident_tags import duration_text

__all__ = ["brief_filename", "brief_pdf", "brief_title", "clock_text"]

# The doorplate sheets' font machinery: one process-wide cache of Regular and Bold
# instances of the variable Noto Sans SC, subset to the characters seen so far.
FONT = doorplates.FONT_FAMILY
_font_cache = doorplates._font_cache
_WEIGHTS = (("", doorplates._REGULAR), ("B", doorplates._BOLD))

PAGE_W = 210.0
MARGIN = 15.0
WIDTH = PAGE_W - 2 * MARGIN
INK = (20, 20, 20)
MUTED = (95, 105, 115)
BRAND = (11, 61, 107)
HEAD_FILL = (232, 238, 245)
TOP_FILL = (246, 248, 251)
ALERT = (176, 42, 30)


def brief_title(brief: Brief) -> str:
    return _("每日警情研判 — %(unit)s — %(day)s") % {
        "unit": brief.unit.name,
        "day": brief.day.isoformat(),
    }


def brief_filename(brief: Brief) -> str:
    """brief-<unit code, else id>-<date>.pdf: ASCII only, safe in a header."""
    code = "".join(c for c in brief.unit.code if c.isascii() and c.isalnum())
    return f"brief-{code or brief.unit.pk}-{brief.day.isoformat()}.pdf"


def clock_text(clock: UrgentClock) -> str:
    """超时 1小时5分钟 / 剩余 12分钟, as the duty list words it."""
    if clock.overdue:
        return _("超时 %(span)s") % {"span": duration_text(clock.remaining)}
    return _("剩余 %(span)s") % {"span": duration_text(clock.remaining)}


def _local(moment: dt.datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(moment).strftime(fmt)


def _address_code(code: str) -> str:
    """Grouped as on the doorplate (140502 0000001 9)."""
    return address_codes.grouped(code) if len(code) == address_codes.CODE_LENGTH else code


def _signed(number: int) -> str:
    return f"+{number}" if number > 0 else str(number)


# --- The document as strings ---------------------------------------------------------


@dataclass
class _Table:
    headings: tuple[str, ...]
    widths: tuple[float, ...]  # relative
    numeric: tuple[bool, ...]  # right-aligned columns
    rows: list[tuple[str, ...]] = field(default_factory=list)
    strong: set[int] = field(default_factory=set)  # rows in bold (top-level categories)
    alert: set[int] = field(default_factory=set)  # rows in red (overdue)


@dataclass
class _Section:
    title: str
    lines: list[str] = field(default_factory=list)
    table: _Table | None = None
    empty: str = ""  # said instead of an empty table


def _sections(brief: Brief) -> list[_Section]:
    return [
        _overview(brief),
        _categories(brief),
        _counts(_("三、按网格"), _("网格"), [(row.name, row.count) for row in brief.grids]),
        _counts(_("四、按警情来源"), _("来源"), [(row.label, row.count) for row in brief.sources]),
        _repeats(brief),
        *_clocks(brief),
        _whistles(brief),
    ]


def _withheld() -> str:
    return _("（名单只提供给有权查看并导出记录的人员，此处只列数量）")


def _overview(brief: Brief) -> _Section:
    table = _Table((_("项目"), _("数量"), _("说明")), (3, 1.2, 5), (False, True, False))
    previous = _("当日较前一日 %(change)s") % {"change": _signed(brief.change_from_previous_day)}
    week = _("当日较上周同日 %(change)s") % {"change": _signed(brief.change_from_last_week)}
    table.rows = [
        (_("警情总数"), str(brief.total), ""),
        (_("有效警情"), str(brief.valid), ""),
        (_("无效警情"), str(brief.invalid), ""),
        (_("前一日（%(day)s）") % {"day": brief.previous_day.isoformat()},
         str(brief.previous_day_total), previous),
        (_("上周同日（%(day)s）") % {"day": brief.last_week_day.isoformat()},
         str(brief.last_week_total), week),
        (_("转调解的纠纷警情"), str(brief.dispute_incidents),
         _("已转矛盾纠纷调解或属纠纷类的当日警情")),
    ]  # fmt: skip
    return _Section(_("一、总体情况"), table=table)


def _categories(brief: Brief) -> _Section:
    table = _Table(
        (_("类别"), _("当日"), _("前一日"), _("上周同日")), (4, 1, 1, 1), (False, True, True, True)
    )
    for row in [*brief.categories, brief.uncategorised]:
        table.strong.add(len(table.rows))
        table.rows.append((row.name, str(row.count), str(row.previous_day), str(row.last_week)))
        for child in row.children:
            table.rows.append(
                ("　　" + child.name, str(child.count), str(child.previous_day),
                 str(child.last_week))
            )  # fmt: skip
    table.strong.add(len(table.rows))
    table.rows.append(
        (_("合计"), str(brief.total), str(brief.previous_day_total), str(brief.last_week_total))
    )
    return _Section(_("二、按警情类别"), table=table)


def _counts(title: str, heading: str, rows: list[tuple[str, int]]) -> _Section:
    section = _Section(title, empty=_("当日无警情。"))
    if rows:
        section.table = _Table((heading, _("警情数")), (5, 1), (False, True))
        section.table.rows = [(name, str(count)) for name, count in rows]
    return section


def _repeats(brief: Brief) -> _Section:
    section = _Section(_("五、重复报警地址"))
    section.lines.append(
        _("近30日（截至当日）同一标准地址报警2次及以上：%(n)d 处。")
        % {"n": brief.repeat_address_count}
    )
    listed = brief.repeat_addresses
    if listed is None:
        section.lines.append(_withheld())
    elif listed:
        section.table = _Table(
            (_("标准地址"), _("地址编码"), _("报警次数"), _("最近一次")),
            (6, 2.6, 1.2, 2.2),
            (False, False, True, False),
        )
        section.table.rows = [
            (row.text, _address_code(row.code), str(row.calls), _local(row.last_at, "%m-%d %H:%M"))
            for row in listed
        ]
        if brief.repeat_address_count > len(listed):
            section.lines.append(_("列出报警最多的 %(n)d 处。") % {"n": len(listed)})
    return section


def _clocks(brief: Brief) -> list[_Section]:
    section = _Section(_("六、即将超时和已超时的时限"))
    section.lines.append(
        _("截至 %(now)s：已超时 %(breached)d 个，%(hours)d 小时内到期 %(soon)d 个。")
        % {
            "now": _local(brief.generated_at),
            "breached": brief.clocks_breached,
            "hours": brief.clock_horizon_hours,
            "soon": brief.clocks_due_soon,
        }
    )
    if brief.clocks_by_rule:
        section.table = _Table(
            (_("时限规则"), _("已超时"), _("即将到期")), (6, 1, 1), (False, True, True)
        )
        section.table.rows = [
            (row.name, str(row.breached), str(row.due_soon)) for row in brief.clocks_by_rule
        ]
    if brief.urgent_clocks is None:
        section.lines.append(_withheld())
        return [section]
    if not brief.urgent_clocks:
        return [section]
    urgent = _Section(_("最紧急的时限（前%(n)d个）") % {"n": len(brief.urgent_clocks)})
    table = urgent.table = _Table(
        (_("查询码"), _("时限规则"), _("到期时间"), _("状态")),
        (2.2, 6, 2.2, 2.6),
        (False, False, False, True),
    )
    for clock in brief.urgent_clocks:
        if clock.overdue:
            table.alert.add(len(table.rows))
        table.rows.append(
            (grouped_tracking_code(clock.tracking_code), clock.rule,
             _local(clock.due_at, "%m-%d %H:%M"), clock_text(clock))
        )  # fmt: skip
    return [section, urgent]


def _whistles(brief: Brief) -> _Section:
    section = _Section(_("七、未办结的吹哨报到"))
    section.lines.append(
        _("本单位吹哨或向本单位报到、尚未办结：%(n)d 件，其中超过要求完成时间 %(late)d 件。")
        % {"n": brief.whistles_open, "late": brief.whistles_overdue}
    )
    if brief.whistles is None:
        section.lines.append(_withheld())
        return section
    if not brief.whistles:
        return section
    table = section.table = _Table(
        (_("编号"), _("事项"), _("吹哨单位"), _("报到单位"), _("状态"), _("要求完成")),
        (1.8, 4, 2.4, 2.4, 1.4, 2.2),
        (False, False, False, False, False, False),
    )
    for item in brief.whistles:
        if item.overdue:
            table.alert.add(len(table.rows))
        table.rows.append(
            (item.code, item.title, item.raised_by, item.to_unit, item.status_label,
             _local(item.due_at, "%m-%d %H:%M"))
        )  # fmt: skip
    if brief.whistles_open > len(brief.whistles):
        section.lines.append(_("列出要求完成时间最早的 %(n)d 件。") % {"n": len(brief.whistles)})
    return section


def _all_text(title: str, meta: Sequence[str], sections: Sequence[_Section]) -> str:
    parts = [title, *meta, _("第 %(page)s / %(pages)s 页"), "…"]
    for section in sections:
        parts += [section.title, section.empty, *section.lines]
        if section.table:
            parts += section.table.headings
            parts += ["".join(row) for row in section.table.rows]
    return string.printable + "".join(parts)


# --- Drawing -------------------------------------------------------------------------


class _BriefPDF(FPDF):
    footer_title = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, "", 8)
        self.set_text_color(*MUTED)
        self.cell(WIDTH * 0.7, 5, self.footer_title, align="L")
        label = _("第 %(page)s / %(pages)s 页") % {"page": self.page_no(), "pages": "{nb}"}
        self.cell(WIDTH * 0.3, 5, label, align="R")


def brief_pdf(brief: Brief) -> bytes:
    """A4 portrait PDF of the brief: title, generation time, seven sections of tables,
    a footer with the title and "第 n / N 页" on every page."""
    title = brief_title(brief)
    meta = [
        _("生成时间：%(at)s（北京时间）") % {"at": _local(brief.generated_at)},
        _("统计口径：接警时间在 %(day)s 00:00—24:00（北京时间）；辖区含下属单位。")
        % {"day": brief.day.isoformat()},
        _("时限与吹哨为生成时的状态。"),
    ]
    sections = _sections(brief)
    fonts = _font_cache.fonts_for(_all_text(title, meta, sections))

    pdf = _BriefPDF(orientation="portrait", unit="mm", format="A4")
    pdf.footer_title = title
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_title(title)
    pdf.set_creator("Fengqiao")
    pdf.set_lang("zh-CN")
    # fpdf2 reads the font files lazily, at output(): they must live until then.
    with tempfile.TemporaryDirectory(prefix="brief-fonts-") as font_dir:
        for style, weight in _WEIGHTS:
            path = Path(font_dir) / f"{FONT}-{weight}.ttf"
            path.write_bytes(fonts[weight])
            pdf.add_font(FONT, style, str(path))
        pdf.add_page()
        pdf.set_text_color(*BRAND)
        pdf.set_font(FONT, "B", 16)
        _paragraph(pdf, 8, title)
        pdf.ln(1)
        pdf.set_text_color(*MUTED)
        pdf.set_font(FONT, "", 8.5)
        for line in meta:
            _paragraph(pdf, 4.5, line)
        pdf.ln(2)
        for section in sections:
            _draw_section(pdf, section)
        return bytes(pdf.output())


def _paragraph(pdf: FPDF, height: float, text: str) -> None:
    """Text across the page, wrapped between any two characters (Chinese has no
    spaces); the next one starts at the left margin below it."""
    pdf.multi_cell(
        WIDTH, height, text, align="L", wrapmode=WrapMode.CHAR,
        new_x=XPos.LMARGIN, new_y=YPos.NEXT,
    )  # fmt: skip


def _draw_section(pdf: FPDF, section: _Section) -> None:
    # Keep a heading with at least the first rows of its table.
    if pdf.will_page_break(30):
        pdf.add_page()
    pdf.ln(2)
    pdf.set_text_color(*BRAND)
    pdf.set_font(FONT, "B", 11.5)
    _paragraph(pdf, 6.5, section.title)
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(0.3)
    pdf.line(MARGIN, pdf.get_y(), MARGIN + WIDTH, pdf.get_y())
    pdf.ln(1.5)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT, "", 9)
    for line in section.lines:
        _paragraph(pdf, 5, line)
    if section.table is None:
        if section.empty:
            pdf.set_text_color(*MUTED)
            _paragraph(pdf, 5, section.empty)
        return
    if section.lines:
        pdf.ln(1)
    _draw_table(pdf, section.table)


def _draw_table(pdf: FPDF, table: _Table) -> None:
    pdf.set_font(FONT, "", 9)
    pdf.set_draw_color(200, 208, 218)
    pdf.set_line_width(0.2)
    aligns = tuple("RIGHT" if numeric else "LEFT" for numeric in table.numeric)
    with pdf.table(
        col_widths=table.widths,
        text_align=aligns,
        width=WIDTH,
        align="LEFT",
        line_height=5.2,
        padding=(1.0, 1.6),
        borders_layout=TableBordersLayout.HORIZONTAL_LINES,
        headings_style=FontFace(emphasis="BOLD", color=BRAND, fill_color=HEAD_FILL),
        wrapmode=WrapMode.CHAR,
    ) as drawn:
        heading = drawn.row()
        for text in table.headings:
            heading.cell(text)
        for index, values in enumerate(table.rows):
            style = None
            if index in table.alert:
                style = FontFace(color=ALERT)
            elif index in table.strong:
                style = FontFace(emphasis="BOLD", fill_color=TOP_FILL)
            row = drawn.row()
            for text in values:
                row.cell(text, style=style)
    pdf.ln(1)
