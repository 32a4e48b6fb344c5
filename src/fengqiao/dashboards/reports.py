"""治安工作统计报表: the monthly or yearly report of a jurisdiction, as an .xlsx workbook
and as an A4 PDF, with the same numbers as its dashboard.

**Same numbers by construction.** :func:`build_report` asks
:func:`~fengqiao.dashboards.figures.node_dashboard` for the node and the period and only
lays its figures out: it counts nothing itself. The few derived numbers (a 合计 row, the
uncategorised remainder, a 同比 of a trend month) are arithmetic on the dashboard's own
figures, with its own :func:`~fengqiao.disputes.stats.selectors.percent`.

**One layout, two renderings.** The report is first built as plain sections of tables
(:class:`Section`, :class:`Table`) whose cells are numbers, rates or text; the workbook
and the PDF then draw the same tables, so a cell cannot say one thing in Excel and another
on paper. In the workbook counts are numbers and rates are numbers formatted as percent;
on paper a change reads 上升/下降 as a formal report words it.

The workbook has the sheets 概况, 分类, 趋势, 矛盾纠纷, 下级单位 and 零发案社区, each with the
report's title lines, styled and frozen header rows and columns sized to their text;
every text cell goes through :func:`~fengqiao.core.exports.safe_cell`. The PDF is A4
portrait in Noto Sans SC, in the layout it shares with the morning brief
(:mod:`fengqiao.core.pdf_report`): its tables repeat their header on every page they run
onto, and every page carries the title and 第 n / N 页.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.core import pdf_report
from fengqiao.core.exports import safe_cell
from fengqiao.core.pdf_fonts import FONT_FAMILY
from fengqiao.dashboards.figures import Dashboard, Figure, Span, comparisons, node_dashboard
from fengqiao.disputes.stats.selectors import percent
from fengqiao.incidents.models import ClockKind
from fengqiao.jurisdictions import selectors as jurisdiction_selectors
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.scoring import periods
from fengqiao.scoring.periods import Period

__all__ = [
    "REPORT_NODE_KINDS",
    "Report",
    "Section",
    "Table",
    "build_report",
    "content_disposition",
    "parse_report_period",
    "report_filename",
    "report_nodes",
    "report_pdf",
    "report_title",
    "report_xlsx",
]

# The units a report is usually asked for; any node of the user's scope may be.
REPORT_NODE_KINDS = (
    Kind.POLICE_DEPARTMENT, Kind.CITY_BUREAU, Kind.COUNTY_BUREAU, Kind.STATION,
    Kind.POLICE_DISTRICT,
)  # fmt: skip
MAX_NODE_CHOICES = 500  # a bureau's stations and districts; above that, fewer levels
FIRST_YEAR = 2000  # the rollups hold nothing older; an earlier year is a typing error

# Cell kinds: how a column's values are written and drawn.
TEXT, COUNT, RATE, CHANGE = "text", "count", "rate", "change"
Value = str | int | Decimal | None

# Sheet names, in the workbook's order.
OVERVIEW = gettext_lazy("概况")
CATEGORIES = gettext_lazy("分类")
TREND = gettext_lazy("趋势")
DISPUTES = gettext_lazy("矛盾纠纷")
CHILDREN = gettext_lazy("下级单位")
ZERO_CASE = gettext_lazy("零发案社区")
SHEETS = (OVERVIEW, CATEGORIES, TREND, DISPUTES, CHILDREN, ZERO_CASE)

# The dashboard's definitions (fengqiao.dashboards.figures), under every report.
DEFINITIONS = (
    gettext_lazy("警情：统计期间内接报的警情，按确认类别计（未确认的按系统建议类别）；"
                 "刑事警情为01类及其子类。"),
    gettext_lazy("矛盾纠纷：统计期间内登记的纠纷；化解率 = 其中已化解数 ÷ 其中已结案数；"
                 "民转刑为其中标记为民转刑的纠纷。"),
    gettext_lazy("满意度：统计期间内记录的报警人评价和回访，满意率 =（满意 + 基本满意）÷ "
                 "有评价的次数。"),
    gettext_lazy("时限：统计期间内到期的时限；超时办结为到期后才完成，逾期未办结为到期日已过仍未"
                 "完成；达标率 = 按时完成 ÷（按时完成 + 超时办结 + 逾期未办结）。"),
    gettext_lazy("零发案社区：本单位警务区覆盖的社区（村）中，统计期间内没有刑事警情的。"),
    gettext_lazy("环比与上期同样天数相比，同比与上年同期同样天数相比；期间尚未结束时统计至生成"
                 "当日。"),
)  # fmt: skip


# --- The report as tables ----------------------------------------------------------------


@dataclass
class Table:
    """Headings, one kind per column (:data:`TEXT`, :data:`COUNT`, :data:`RATE` — a
    percentage such as ``Decimal("66.7")`` — or :data:`CHANGE`, a signed percentage),
    relative column widths on paper, and the rows; ``strong`` rows are totals."""

    headings: tuple[str, ...]
    kinds: tuple[str, ...]
    widths: tuple[float, ...]
    rows: list[tuple[Value, ...]] = field(default_factory=list)
    strong: set[int] = field(default_factory=set)
    caption: str = ""


@dataclass
class Section:
    """One part of the report: a heading on paper, a block of a sheet in the workbook."""

    sheet: str
    title: str
    lines: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    empty: str = ""  # said instead of the tables when there are none


@dataclass(frozen=True)
class Report:
    dashboard: Dashboard
    generated_at: dt.datetime
    previous: Span
    year_before: Span
    title: str
    meta: list[str]
    sections: list[Section]

    @property
    def node(self) -> Jurisdiction:
        return self.dashboard.node

    @property
    def period(self) -> Period:
        return self.dashboard.period


def report_title(node: Jurisdiction, period: Period) -> str:
    """XX派出所 2026年11月 治安工作统计报表 / XX分局 2026年度 治安工作统计报表."""
    if period.kind == "year":
        return _("%(unit)s %(year)d年度 治安工作统计报表") % {
            "unit": node.name, "year": period.start.year,
        }  # fmt: skip
    return _("%(unit)s %(year)d年%(month)d月 治安工作统计报表") % {
        "unit": node.name, "year": period.start.year, "month": period.start.month,
    }  # fmt: skip


def report_nodes(user: Any) -> list[Jurisdiction]:
    """The units of the user's scope a report may be picked for: his own, then the
    bureaus, stations and police districts under it in tree order; without the districts
    (then without the stations) when a large scope would make the list unreadable."""
    own = user.jurisdiction
    if own is None:
        return []
    below = jurisdiction_selectors.subtree(own, include_self=False).filter(
        kind__in=REPORT_NODE_KINDS
    )
    for dropped in ((), (Kind.POLICE_DISTRICT,), (Kind.POLICE_DISTRICT, Kind.STATION)):
        units = list(below.exclude(kind__in=dropped).order_by("path")[: MAX_NODE_CHOICES + 1])
        if len(units) <= MAX_NODE_CHOICES:
            break
    return [own, *units[:MAX_NODE_CHOICES]]


def parse_report_period(text: str | None, *, today: dt.date) -> Period:
    """The month (``2026-11``) or year (``2026``) a report is asked for; this month when
    empty. A malformed, too early or future period is refused (``ValueError`` with the
    message to show)."""
    text = (text or "").strip()
    if not text:
        return periods.containing(today)
    if not re.fullmatch(r"\d{4}(-\d{2})?", text):
        raise ValueError(_("统计期间应为“年-月”（如 2026-11）或年份（如 2026）。"))
    year = int(text[:4])
    month = int(text[5:]) if len(text) == 7 else 1
    if not 1 <= month <= 12:
        raise ValueError(_("月份应在 1 到 12 之间。"))
    if year < FIRST_YEAR:
        raise ValueError(_("统计期间不能早于 %(year)d 年。") % {"year": FIRST_YEAR})
    period = periods.year(year) if len(text) == 4 else periods.month(year, month)
    if period.start > today:
        raise ValueError(_("不能选择尚未开始的统计期间。"))
    return period


def build_report(user: Any, node: Jurisdiction, period: Period, *,
                 now: dt.datetime | None = None) -> Report:  # fmt: skip
    """治安工作统计报表 of ``node`` for ``period``: the dashboard's figures
    (:func:`~fengqiao.dashboards.figures.node_dashboard`, which needs
    ``VIEW_AGGREGATES``; the caller checked the node with
    :func:`~fengqiao.dashboards.figures.dashboard_node`) laid out as sections."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    board = node_dashboard(user, node, period, today=today)
    _current, previous, year_before = comparisons(period, today=today)
    title = report_title(node, period)
    return Report(
        dashboard=board, generated_at=now, previous=previous, year_before=year_before,
        title=title, meta=_meta(board, previous, year_before, now, today),
        sections=_sections(board),
    )  # fmt: skip


def _days(span: Span) -> str:
    if span.days <= 0:
        return "—"
    return _("%(first)s 至 %(last)s") % {
        "first": span.start.isoformat(), "last": span.last_day.isoformat(),
    }  # fmt: skip


def _meta(board: Dashboard, previous: Span, year_before: Span, now: dt.datetime,
          today: dt.date) -> list[str]:  # fmt: skip
    period = _("统计期间：%(days)s") % {"days": _days(board.span)}
    if board.span.last_day < board.period.end:
        period += _("（本期尚未结束，统计至 %(day)s）") % {"day": today.isoformat()}
    if board.period.kind == "year":
        compare = _("对比期间：上年同期 %(year)s") % {"year": _days(year_before)}
    else:
        compare = _("对比期间：上期 %(previous)s；去年同期 %(year)s") % {
            "previous": _days(previous), "year": _days(year_before),
        }  # fmt: skip
    return [
        _("填报单位：%(unit)s") % {"unit": board.node.name},
        period,
        compare,
        _("生成时间：%(at)s（北京时间）")
        % {"at": timezone.localtime(now).strftime("%Y-%m-%d %H:%M")},
        _("数据来源：系统记录自动汇总"),
    ]


def _sections(board: Dashboard) -> list[Section]:
    return [
        _key_figures(board),
        _categories(board),
        _trend(board),
        _disputes(board),
        _satisfaction(board),
        _clocks(board),
        _zero_case(board),
        _children(board),
        Section(str(OVERVIEW), _("附：统计口径"), lines=[str(text) for text in DEFINITIONS]),
    ]


def _compared_table(board: Dashboard, first: str) -> Table:
    """A table of figures with their 环比 and 同比; a year has only 上年 (its previous
    period is the year before)."""
    if board.period.kind == "year":
        return Table((first, _("本年"), _("上年"), _("同比")),
                     (TEXT, COUNT, COUNT, CHANGE), (4, 1.4, 1.4, 1.6))  # fmt: skip
    return Table(
        (first, _("本期"), _("上期"), _("环比"), _("去年同期"), _("同比")),
        (TEXT, COUNT, COUNT, CHANGE, COUNT, CHANGE),
        (4, 1.3, 1.3, 1.6, 1.4, 1.6),
    )


def _compared(board: Dashboard, label: str, figure: Figure) -> tuple[Value, ...]:
    if board.period.kind == "year":
        return (label, figure.value, figure.year_before, figure.change_yoy)
    return (label, figure.value, figure.previous, figure.change, figure.year_before,
            figure.change_yoy)  # fmt: skip


def _key_figures(board: Dashboard) -> Section:
    figures = _compared_table(board, _("指标"))
    figures.rows = [
        _compared(board, label, figure)
        for label, figure in (
            (_("警情总数"), board.incidents),
            (_("其中：刑事警情"), board.criminal),
            (_("矛盾纠纷受理"), board.disputes),
            (_("矛盾纠纷结案"), board.disputes_closed),
            (_("矛盾纠纷化解"), board.disputes_resolved),
            (_("民转刑"), board.turned_criminal),
            (_("报警人评价数"), board.surveys),
            (_("回访数（有满意度评价）"), board.visits),
            (_("时限按时完成"), board.clocks_met),
        )
    ]
    rates = Table(
        (_("比率"), _("计算方法"), _("分子"), _("分母"), _("本期")),
        (TEXT, TEXT, COUNT, COUNT, RATE),
        (3, 4, 1.2, 1.2, 1.4),
        caption=_("主要比率"),
    )
    met = board.clocks_met.value
    rates.rows = [
        (_("矛盾纠纷化解率"), _("化解数 ÷ 结案数"), board.disputes_resolved.value,
         board.disputes_closed.value, board.resolution_rate),
        (_("报警人满意率"), _("满意及基本满意 ÷ 评价数"), board.surveys_satisfied.value,
         board.surveys.value, board.survey_rate),
        (_("回访满意率"), _("满意及基本满意 ÷ 有评价的回访数"), board.visits_satisfied.value,
         board.visits.value, board.visit_rate),
        (_("时限达标率"), _("按时完成 ÷ 到期时限数"), met, met + board.clocks_breached,
         board.clock_rate),
        (_("零发案社区占比"), _("零发案社区数 ÷ 覆盖社区数"), len(board.zero_case),
         board.communities, percent(len(board.zero_case), board.communities)),
    ]  # fmt: skip
    return Section(str(OVERVIEW), _("一、主要指标"), tables=[figures, rates])


def _categories(board: Dashboard) -> Section:
    table = _compared_table(board, _("警情类别"))
    table.headings = (_("代码"), *table.headings, _("占比"))
    table.kinds = (TEXT, *table.kinds, RATE)
    table.widths = (1, *table.widths, 1.3)
    total = board.incidents.value
    for row in board.by_category:
        table.rows.append((row.code, *_compared(board, row.label, row.figure),
                           percent(row.figure.value, total)))  # fmt: skip
    # Incidents nobody has categorised yet, so the rows add up to the total.
    rest = Figure(
        total - sum(row.figure.value for row in board.by_category),
        _remainder(board.incidents.previous, [r.figure.previous for r in board.by_category]),
        _remainder(board.incidents.year_before, [r.figure.year_before for r in board.by_category]),
    )
    if rest.value or rest.previous or rest.year_before:
        table.rows.append(("", *_compared(board, _("未分类"), rest), percent(rest.value, total)))
    table.strong.add(len(table.rows))
    table.rows.append(("", *_compared(board, _("合计"), board.incidents),
                       percent(total, total)))  # fmt: skip
    said = {"n": total, "criminal": board.criminal.value,
            "yoy": _change_words(_("同比"), board.criminal.change_yoy)}  # fmt: skip
    lines = [_("警情总数 %(n)d 起，其中刑事警情 %(criminal)d 起，%(yoy)s。") % said]
    return Section(str(CATEGORIES), _("二、警情分类"), lines=lines, tables=[table])


def _remainder(total: int | None, parts: Sequence[int | None]) -> int | None:
    if total is None:
        return None
    return total - sum(part or 0 for part in parts)


def _trend(board: Dashboard) -> Section:
    table = Table(
        (_("月份"), _("警情数"), _("去年同月"), _("同比")),
        (TEXT, COUNT, COUNT, CHANGE),
        (2, 1.4, 1.4, 1.6),
    )
    for point in board.trend:
        change = Figure(point.value, year_before=point.year_before).change_yoy
        label = _("%(year)d年%(month)d月") % {"year": point.month.year, "month": point.month.month}
        table.rows.append((label, point.value, point.year_before, change))
    if board.period.kind == "year":
        title = _("三、警情趋势（%(year)d年各月）") % {"year": board.period.start.year}
    else:
        title = _("三、警情趋势（近12个月）")
    return Section(str(TREND), title, tables=[table] if table.rows else [],
                   empty=_("本期无月度数据。"))  # fmt: skip


def _disputes(board: Dashboard) -> Section:
    summary = _compared_table(board, _("项目"))
    summary.caption = _("受理与化解")
    summary.rows = [
        _compared(board, label, figure)
        for label, figure in (
            (_("受理"), board.disputes),
            (_("结案"), board.disputes_closed),
            (_("化解"), board.disputes_resolved),
            (_("民转刑"), board.turned_criminal),
        )
    ]
    by_category = _compared_table(board, _("纠纷类别"))
    by_category.caption = _("按纠纷类别（受理）")
    by_category.headings = (*by_category.headings, _("占比"))
    by_category.kinds = (*by_category.kinds, RATE)
    by_category.widths = (*by_category.widths, 1.3)
    for row in board.dispute_categories:
        by_category.rows.append((*_compared(board, row.label, row.figure),
                                 percent(row.figure.value, board.disputes.value)))  # fmt: skip
    lines = [
        _("受理矛盾纠纷 %(taken)d 件，结案 %(closed)d 件，化解 %(resolved)d 件，化解率 %(rate)s，"
          "民转刑 %(criminal)d 件。") % {
            "taken": board.disputes.value, "closed": board.disputes_closed.value,
            "resolved": board.disputes_resolved.value, "rate": _rate(board.resolution_rate),
            "criminal": board.turned_criminal.value,
        }
    ]  # fmt: skip
    tables = [summary, by_category] if by_category.rows else [summary]
    return Section(str(DISPUTES), _("四、矛盾纠纷"), lines=lines, tables=tables)


def _satisfaction(board: Dashboard) -> Section:
    table = Table(
        (_("项目"), _("评价数"), _("满意及基本满意"), _("满意率")),
        (TEXT, COUNT, COUNT, RATE),
        (3, 1.4, 2, 1.4),
    )
    table.rows = [
        (_("报警人评价"), board.surveys.value, board.surveys_satisfied.value, board.survey_rate),
        (_("回访"), board.visits.value, board.visits_satisfied.value, board.visit_rate),
    ]
    return Section(str(OVERVIEW), _("五、群众满意度"), tables=[table])


def _clocks(board: Dashboard) -> Section:
    late = {row.code: row for row in board.clocks_late}
    overdue = {row.code: row for row in board.clocks_overdue}
    table = Table(
        (_("环节"), _("超时办结"), _("逾期未办结"), _("合计")),
        (TEXT, COUNT, COUNT, COUNT),
        (3, 1.4, 1.4, 1.4),
        caption=_("超时时限（按环节）"),
    )
    order = {kind: index for index, kind in enumerate(ClockKind.values)}  # the workflow's order
    for code in sorted(late.keys() | overdue.keys(), key=lambda k: (order.get(k, len(order)), k)):
        label = (late.get(code) or overdue[code]).label
        n_late = late[code].figure.value if code in late else 0
        n_over = overdue[code].figure.value if code in overdue else 0
        table.rows.append((label, n_late, n_over, n_late + n_over))
    late_total = sum(row.figure.value for row in board.clocks_late)
    overdue_total = sum(row.figure.value for row in board.clocks_overdue)
    table.strong.add(len(table.rows))
    table.rows.append((_("合计"), late_total, overdue_total, board.clocks_breached))
    met = board.clocks_met.value
    said = {"due": met + board.clocks_breached, "met": met, "late": late_total,
            "overdue": overdue_total, "rate": _rate(board.clock_rate)}  # fmt: skip
    lines = [
        _("到期时限 %(due)d 个：按时完成 %(met)d 个，超时办结 %(late)d 个，"
          "逾期未办结 %(overdue)d 个，达标率 %(rate)s。") % said
    ]  # fmt: skip
    tables = [table] if board.clocks_breached else []
    return Section(str(OVERVIEW), _("六、办理时限"), lines=lines, tables=tables)


def _zero_case(board: Dashboard) -> Section:
    parents = dict(
        Jurisdiction.objects.filter(pk__in={c.parent_id for c in board.zero_case})
        .values_list("pk", "name")
    )  # fmt: skip
    table = Table(
        (_("序号"), _("社区（村）"), _("类别"), _("所属")),
        (COUNT, TEXT, TEXT, TEXT),
        (0.8, 4, 1.4, 3),
    )
    table.rows = [
        (index, community.name, str(community.get_kind_display()),
         parents.get(community.parent_id or 0, ""))
        for index, community in enumerate(board.zero_case, start=1)
    ]  # fmt: skip
    share = percent(len(board.zero_case), board.communities)
    said = {"all": board.communities, "zero": len(board.zero_case), "rate": _rate(share)}
    text = _("覆盖社区（村）%(all)d 个，其中零发案（无刑事警情）%(zero)d 个，占 %(rate)s。")
    lines = [text % said]
    return Section(str(ZERO_CASE), _("七、零发案社区"), lines=lines,
                   tables=[table] if table.rows else [],
                   empty=_("本期没有零发案社区。") if board.communities else
                   _("本单位没有覆盖的社区（村）。"))  # fmt: skip


def _children(board: Dashboard) -> Section:
    table = Table(
        (_("单位"), _("类别"), _("警情"), _("刑事警情"), _("矛盾纠纷"), _("超时时限")),
        (TEXT, TEXT, COUNT, COUNT, COUNT, COUNT),
        (4, 1.6, 1.2, 1.2, 1.2, 1.2),
    )
    for row in board.children:
        table.rows.append((row.node.name, str(row.node.get_kind_display()), row.incidents.value,
                           row.criminal.value, row.disputes.value, row.breached))  # fmt: skip
    if table.rows:
        # The node's own figures, not a sum: records kept at the node itself count too.
        table.strong.add(len(table.rows))
        table.rows.append((_("本单位全辖"), "", board.incidents.value, board.criminal.value,
                           board.disputes.value, board.clocks_breached))  # fmt: skip
    return Section(str(CHILDREN), _("八、下级单位"), tables=[table] if table.rows else [],
                   empty=_("本单位没有下级单位。"))  # fmt: skip


def _rate(value: Decimal | None) -> str:
    return f"{value}%" if value is not None else "—"


def _change_words(name: str, value: Decimal | None) -> str:
    """同比上升5.0% / 同比下降19.9% / 同比持平 / 同比无可比数据."""
    if value is None:
        return _("%(name)s无可比数据") % {"name": name}
    if value > 0:
        return _("%(name)s上升%(n)s%%") % {"name": name, "n": value}
    if value < 0:
        return _("%(name)s下降%(n)s%%") % {"name": name, "n": -value}
    return _("%(name)s持平") % {"name": name}


def _change_cell(value: Decimal | None) -> str:
    if value is None:
        return "—"
    if value > 0:
        return _("上升%(n)s%%") % {"n": value}
    if value < 0:
        return _("下降%(n)s%%") % {"n": -value}
    return _("持平")


def _text(kind: str, value: Value) -> str:
    """A cell as printed on paper."""
    if value is None:
        return "—"
    if kind == RATE:
        return _rate(value)  # type: ignore[arg-type]
    if kind == CHANGE:
        return _change_cell(value)  # type: ignore[arg-type]
    return str(value)


# --- Downloads' names --------------------------------------------------------------------


def report_filename(report: Report, extension: str) -> tuple[str, str]:
    """The ASCII file name (``report-<unit code or id>-<period>.xlsx``) and the Chinese one
    (``甲派出所2026年11月治安工作统计报表.xlsx``) of a download."""
    code = "".join(c for c in report.node.code if c.isascii() and c.isalnum())
    ascii_name = f"report-{code or report.node.pk}-{report.period.key}.{extension}"
    # A unit's name is free text: nothing that means a path or breaks the header.
    display = re.sub(r'[\\/:*?"<>|\x00-\x1f\x7f]', "_", report.title.replace(" ", ""))
    return ascii_name, f"{display}.{extension}"


def content_disposition(ascii_name: str, display_name: str) -> str:
    """``attachment`` with an ASCII name and the UTF-8 Chinese one (RFC 6266 / 5987), as
    the dispute documents send theirs."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(display_name, safe='')}"


# --- The workbook ------------------------------------------------------------------------

_PERCENT_FORMAT = "0.0%"
_CHANGE_FORMAT = "+0.0%;-0.0%;0.0%"


def _cell_value(kind: str, value: Value) -> object:
    """Counts as numbers, rates as fractions (formatted as percent); ``—`` when a rate has
    no denominator."""
    if value is None:
        return "—"
    if kind in (RATE, CHANGE):
        return float(Decimal(value) / 100)  # type: ignore[arg-type]
    if isinstance(value, str):
        return safe_cell(value)
    return value


def _display_width(text: str) -> int:
    # A Chinese character takes about two Latin ones in Excel's column unit.
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


def report_xlsx(report: Report) -> bytes:
    """The report as one workbook: sheets 概况, 分类, 趋势, 矛盾纠纷, 下级单位, 零发案社区,
    each headed by the title, the unit, the periods, the generation time and the data
    source; every table with a styled header; the first table's header frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    thin = Side(style="thin", color="A0A8B4")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="E8EEF5")
    total_fill = PatternFill("solid", fgColor="F6F8FB")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)

    for name in SHEETS:
        sections = [s for s in report.sections if s.sheet == str(name)]
        sheet = workbook.create_sheet(title=_sheet_name(str(name)))
        span = max([len(t.headings) for s in sections for t in s.tables] + [4])
        widths: dict[int, int] = {}
        sheet.cell(row=1, column=1, value=safe_cell(report.title)).font = Font(size=15, bold=True)
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=span)
        sheet.row_dimensions[1].height = 24
        row = 2
        for line in report.meta:
            # Not merged nor wrapped: a long line runs on over the empty cells to its
            # right, where a merged one would be cut at its fixed row height.
            sheet.cell(row=row, column=1, value=safe_cell(line)).font = Font(color="5F6973")
            row += 1
        frozen = False
        for section in sections:
            row += 1
            sheet.cell(row=row, column=1, value=safe_cell(section.title)).font = Font(
                size=12, bold=True, color="0B3D6B"
            )
            row += 1
            for line in section.lines:
                sheet.cell(row=row, column=1, value=safe_cell(line))
                row += 1
            if not section.tables and section.empty:
                sheet.cell(row=row, column=1, value=safe_cell(section.empty))
                row += 1
            for table in section.tables:
                if table.caption:
                    sheet.cell(row=row, column=1, value=safe_cell(table.caption)).font = Font(
                        bold=True
                    )
                    row += 1
                for column, heading in enumerate(table.headings, start=1):
                    cell = sheet.cell(row=row, column=column, value=safe_cell(heading))
                    cell.font, cell.fill, cell.border = Font(bold=True), head_fill, box
                    cell.alignment = centre
                    widths[column] = max(widths.get(column, 0), _display_width(heading))
                if not frozen:
                    sheet.freeze_panes = sheet.cell(row=row + 1, column=1)
                    frozen = True
                row += 1
                for index, values in enumerate(table.rows):
                    strong = index in table.strong
                    for column, (kind, value) in enumerate(zip(table.kinds, values,
                                                               strict=True), start=1):  # fmt: skip
                        cell = sheet.cell(row=row, column=column, value=_cell_value(kind, value))
                        cell.border = box
                        if kind == RATE:
                            cell.number_format = _PERCENT_FORMAT
                        elif kind == CHANGE:
                            cell.number_format = _CHANGE_FORMAT
                        if kind != TEXT:
                            cell.alignment = Alignment(horizontal="right")
                        if strong:
                            cell.font, cell.fill = Font(bold=True), total_fill
                        shown = _text(kind, value) if kind != CHANGE else "+00.0%"
                        widths[column] = max(widths.get(column, 0), _display_width(shown))
                    row += 1
                row += 1
        for column in range(1, span + 1):
            width = min(max(widths.get(column, 8), 8) + 2, 48)
            sheet.column_dimensions[get_column_letter(column)].width = width
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_name(name: str) -> str:
    # Excel refuses these characters and names over 31 characters (a translation might).
    return re.sub(r"[\[\]:*?/\\]", "_", name)[:31] or "Sheet"


# --- The PDF -----------------------------------------------------------------------------


def _on_paper(section: Section) -> pdf_report.Section:
    """The section as printed: every cell as text, all but the text columns right-aligned."""
    tables = [
        pdf_report.Table(
            table.headings,
            table.widths,
            numeric=tuple(kind != TEXT for kind in table.kinds),
            rows=[
                tuple(_text(kind, value) for kind, value in zip(table.kinds, values, strict=True))
                for values in table.rows
            ],
            strong=table.strong,
            caption=table.caption,
        )
        for table in section.tables
    ]
    return pdf_report.Section(section.title, section.lines, tables, section.empty)


def report_pdf(report: Report) -> bytes:
    """A4 portrait PDF of the report: the title, the unit, the periods, the generation
    time and the data source, then the eight sections and the definitions; tables repeat
    their header on each page they continue onto; the title and 第 n / N 页 in every
    page's footer."""
    sections = [_on_paper(section) for section in report.sections]
    with pdf_report.document(report.title, sections, "".join(report.meta)) as pdf:
        pdf.set_text_color(*pdf_report.BRAND)
        pdf.set_font(FONT_FAMILY, "B", 16)
        pdf_report.paragraph(pdf, 9, report.title, align="C")
        pdf.ln(2)
        pdf.set_text_color(*pdf_report.MUTED)
        pdf.set_font(FONT_FAMILY, "", 8.5)
        for line in report.meta:
            pdf_report.paragraph(pdf, 4.6, line)
        pdf.ln(1)
        for section in sections:
            pdf_report.draw_section(pdf, section)
        return bytes(pdf.output())
