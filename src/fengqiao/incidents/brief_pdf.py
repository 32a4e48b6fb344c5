"""The printable A4 PDF of the morning brief (每日警情研判).

Rendering only: it takes a :class:`~fengqiao.incidents.brief.Brief` and touches no
database. The text is real, extractable text in Noto Sans SC, subset to the characters
the brief uses by the shared font cache (:mod:`fengqiao.core.pdf_fonts`), so the second
brief of the day costs no font work.

The document is first laid out as plain sections of strings (title, figures, tables),
which gives the font cache every character up front; the report layout shared with the
dashboard reports (:mod:`fengqiao.core.pdf_report`) then draws them.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.addresses import codes as address_codes
from fengqiao.core.pdf_fonts import FONT_FAMILY
from fengqiao.core.pdf_report import BRAND, MUTED, Section, Table, document, draw_section, paragraph
from fengqiao.incidents.brief import Brief, UrgentClock
from fengqiao.incidents.codes import grouped as grouped_tracking_code
from fengqiao.incidents.templatetags.incident_tags import duration_text

__all__ = ["brief_filename", "brief_pdf", "brief_title", "clock_text"]


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
# Strong rows are top-level categories and totals; alert rows are overdue.


def _sections(brief: Brief) -> list[Section]:
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


def _overview(brief: Brief) -> Section:
    table = Table((_("项目"), _("数量"), _("说明")), (3, 1.2, 5), (False, True, False))
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
    return Section(_("一、总体情况"), tables=[table])


def _categories(brief: Brief) -> Section:
    table = Table(
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
    return Section(_("二、按警情类别"), tables=[table])


def _counts(title: str, heading: str, rows: list[tuple[str, int]]) -> Section:
    section = Section(title, empty=_("当日无警情。"))
    if rows:
        table = Table((heading, _("警情数")), (5, 1), (False, True))
        table.rows = [(name, str(count)) for name, count in rows]
        section.tables.append(table)
    return section


def _repeats(brief: Brief) -> Section:
    section = Section(_("五、重复报警地址"))
    section.lines.append(
        _("近30日（截至当日）同一标准地址报警2次及以上：%(n)d 处。")
        % {"n": brief.repeat_address_count}
    )
    listed = brief.repeat_addresses
    if listed is None:
        section.lines.append(_withheld())
    elif listed:
        table = Table(
            (_("标准地址"), _("地址编码"), _("报警次数"), _("最近一次")),
            (6, 2.6, 1.2, 2.2),
            (False, False, True, False),
        )
        table.rows = [
            (row.text, _address_code(row.code), str(row.calls), _local(row.last_at, "%m-%d %H:%M"))
            for row in listed
        ]
        section.tables.append(table)
        if brief.repeat_address_count > len(listed):
            section.lines.append(_("列出报警最多的 %(n)d 处。") % {"n": len(listed)})
    return section


def _clocks(brief: Brief) -> list[Section]:
    section = Section(_("六、即将超时和已超时的时限"))
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
        rules = Table((_("时限规则"), _("已超时"), _("即将到期")), (6, 1, 1), (False, True, True))
        rules.rows = [
            (row.name, str(row.breached), str(row.due_soon)) for row in brief.clocks_by_rule
        ]
        section.tables.append(rules)
    if brief.urgent_clocks is None:
        section.lines.append(_withheld())
        return [section]
    if not brief.urgent_clocks:
        return [section]
    table = Table(
        (_("查询码"), _("时限规则"), _("到期时间"), _("状态")),
        (2.2, 6, 2.2, 2.6),
        (False, False, False, True),
    )
    urgent = Section(
        _("最紧急的时限（前%(n)d个）") % {"n": len(brief.urgent_clocks)}, tables=[table]
    )
    for clock in brief.urgent_clocks:
        if clock.overdue:
            table.alert.add(len(table.rows))
        table.rows.append(
            (grouped_tracking_code(clock.tracking_code), clock.rule,
             _local(clock.due_at, "%m-%d %H:%M"), clock_text(clock))
        )  # fmt: skip
    return [section, urgent]


def _whistles(brief: Brief) -> Section:
    section = Section(_("七、未办结的吹哨报到"))
    section.lines.append(
        _("本单位吹哨或向本单位报到、尚未办结：%(n)d 件，其中超过要求完成时间 %(late)d 件。")
        % {"n": brief.whistles_open, "late": brief.whistles_overdue}
    )
    if brief.whistles is None:
        section.lines.append(_withheld())
        return section
    if not brief.whistles:
        return section
    table = Table(
        (_("编号"), _("事项"), _("吹哨单位"), _("报到单位"), _("状态"), _("要求完成")),
        (1.8, 4, 2.4, 2.4, 1.4, 2.2),
        (False, False, False, False, False, False),
    )
    section.tables.append(table)
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
    with document(title, sections, "".join(meta) + brief.audit_checkpoint) as pdf:
        pdf.set_text_color(*BRAND)
        pdf.set_font(FONT_FAMILY, "B", 16)
        paragraph(pdf, 8, title)
        pdf.ln(1)
        pdf.set_text_color(*MUTED)
        pdf.set_font(FONT_FAMILY, "", 8.5)
        for line in meta:
            paragraph(pdf, 4.5, line)
        pdf.ln(2)
        for section in sections:
            # A table right under a heading's rule, without the report's extra gap.
            draw_section(pdf, section, gap_under_rule=False)
        # At the foot, the audit chain's last checkpoint: a copy on paper, off the server.
        pdf.ln(3)
        pdf.set_text_color(*MUTED)
        pdf.set_font(FONT_FAMILY, "", 8)
        paragraph(pdf, 4.5, brief.audit_checkpoint)
        return bytes(pdf.output())
