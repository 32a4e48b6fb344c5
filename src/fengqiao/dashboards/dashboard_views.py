"""一屏尽览: a node's dashboard, its big-screen mode for the station's wall, its map and
the records behind every number. Thin: the figures come from
:mod:`fengqiao.dashboards.figures`, which reads the rollups alone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext
from django.views.decorators.http import require_GET

from fengqiao.core.roles import Capability, require
from fengqiao.dashboards import figures
from fengqiao.dashboards.figures import ChildRow, Dashboard, Figure, Labelled
from fengqiao.disputes.models import Category as DisputeCategory
from fengqiao.disputes.models import Satisfaction as VisitSatisfaction
from fengqiao.disputes.models import Status as DisputeStatus
from fengqiao.disputes.models import VisitOutcome
from fengqiao.incidents.models import Category, ClockKind, Satisfaction
from fengqiao.incidents.models import Status as IncidentStatus
from fengqiao.incidents.taxonomy import label as category_label
from fengqiao.jurisdictions.models import Jurisdiction
from fengqiao.scoring import periods
from fengqiao.scoring.periods import Period

GEOMETRIES = ("Polygon", "MultiPolygon")


def _period(request: HttpRequest, today: dt.date) -> Period:
    """The period asked for, never one that has not begun (that would be all zeros)."""
    period = figures.parse_period(request.GET.get("period"), today=today)
    if period.start > today:
        return periods.containing(today, period.kind)
    return period


def _records_url(query: str) -> str:
    return f"{reverse('dashboards:records')}?{query}"


def _query(node: Jurisdiction, start: dt.date, end: dt.date, **extra: str) -> str:
    """A records link's query for local days start ≤ day < end (as figures writes them)."""
    params = {"node": node.pk, "fact": "incident", "from": start,
              "to": end - dt.timedelta(days=1), **extra}  # fmt: skip
    return urlencode(params)


def _dashboard_url(node: Jurisdiction, period: Period, *, screen: bool = False) -> str:
    name = "dashboards:screen" if screen else "dashboards:node"
    return f"{reverse(name, args=[node.pk])}?period={period.key}"


@dataclass(frozen=True)
class PeriodPicker:
    period: Period
    previous: Period
    following: Period | None  # None: the current period, nothing after it yet
    as_month: Period  # the same time seen as a month / as a year
    as_year: Period
    years: list[int]
    today: dt.date


def _picker(period: Period, today: dt.date) -> PeriodPicker:
    following = period.following()
    if period.kind == periods.MONTH:
        as_month = period
    else:
        as_month = periods.containing(min(today, dt.date(period.start.year, 12, 1)))
    return PeriodPicker(
        period=period,
        previous=period.previous(),
        following=following if following.start <= today else None,
        as_month=as_month,
        as_year=periods.year(period.start.year),
        years=list(range(today.year, today.year - 10, -1)),
        today=today,
    )


def _uncategorised(board: Dashboard) -> Figure:
    """Incidents in no category (not even a suggested one): the rest of the total."""

    def rest(total: int | None, parts: list[int | None]) -> int | None:
        return None if total is None else total - sum(p or 0 for p in parts)

    rows = [x.figure for x in board.by_category]
    return Figure(
        rest(board.incidents.value, [f.value for f in rows]) or 0,
        rest(board.incidents.previous, [f.previous for f in rows]),
        rest(board.incidents.year_before, [f.year_before for f in rows]),
        f"{board.incidents.query}&category=none",
    )


def _clock_query(node: Jurisdiction, span: figures.Span, status: str, kind: str = "") -> str:
    extra = {"fact": "clock", "status": status, **({"category": kind} if kind else {})}
    return _query(node, span.start, span.end, **extra)


@dataclass(frozen=True)
class ClockRow:
    label: str
    late: Figure | None
    overdue: Figure | None


def _clocks(board: Dashboard) -> dict[str, Any]:
    """The late and the overdue clocks, in all and kind by kind, each with its records."""
    late = {x.code: x for x in board.clocks_late}
    overdue = {x.code: x for x in board.clocks_overdue}
    rows = [
        ClockRow(
            (late.get(code) or overdue[code]).label,
            late[code].figure if code in late else None,
            overdue[code].figure if code in overdue else None,
        )
        for code in sorted({*late, *overdue})
    ]

    def total(rows: list[Labelled], status: str) -> Figure:
        value = sum(x.figure.value for x in rows)
        return Figure(value, query=_clock_query(board.node, board.span, status))

    return {
        "late": total(board.clocks_late, "late"),
        "overdue": total(board.clocks_overdue, "overdue"),
        "breached": Figure(board.clocks_breached,
                           query=_clock_query(board.node, board.span, "breached")),
        "clock_rows": rows,
    }  # fmt: skip


def _month_label(month: dt.date, first: bool) -> str:
    if first or month.month == 1:
        return _("%(year)s年%(month)s月") % {"year": month.year, "month": month.month}
    return _("%(month)s月") % {"month": month.month}


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _charts(board: Dashboard, *, can_records: bool, screen: bool) -> dict[str, Any]:
    """What the page's charts draw, with the records link of every point."""

    def url(query: str) -> str | None:
        return _records_url(query) if can_records else None

    node = board.node
    uncategorised = _uncategorised(board)
    categories = [
        {"name": x.label, "value": x.figure.value, "url": url(x.figure.query)}
        for x in board.by_category
    ]
    if uncategorised.value:
        categories.append({"name": _("未定类"), "value": uncategorised.value,
                           "url": url(uncategorised.query)})  # fmt: skip
    trend = {
        "months": [_month_label(p.month, i == 0) for i, p in enumerate(board.trend)],
        "current": [p.value for p in board.trend],
        "previous": [p.year_before for p in board.trend],
        "current_urls": [url(_query(node, p.month, _add_months(p.month, 1))) for p in board.trend],
        "previous_urls": [
            url(_query(node, _add_months(p.month, -12), _add_months(p.month, -11)))
            for p in board.trend
        ],
        "names": [_("警情"), _("上年同期")],
    }
    daily = None
    if board.daily:
        daily = {
            "days": [_("%(day)s日") % {"day": day.day} for day, _n in board.daily],
            "values": [n for _day, n in board.daily],
            "urls": [url(_query(node, day, day + dt.timedelta(days=1))) for day, _n in board.daily],
            "name": _("每日警情"),
        }
    disputes = [
        {"name": x.label, "value": x.figure.value, "url": url(x.figure.query)}
        for x in board.dispute_categories
    ]
    return {
        "dark": screen,
        "categories": categories,
        "trend": trend,
        "daily": daily,
        "disputes": disputes,
        "labels": {
            "incidents": _("警情"),
            "records": _("点击查看记录"),
            "no_data": _("本期没有数据"),
            "map_value": _("警情数"),
            "map_missing": _("以下单位尚未绘制边界，地图上没有显示："),
            "list_separator": pgettext("list separator", "、"),
            "map_none": _("下级单位尚未绘制边界（GeoJSON），无法显示地图。"),
            "map_failed": _("地图数据加载失败。"),
            "criminal": _("刑事"),
            "disputes": _("纠纷"),
            "breached": _("超时"),
        },
    }


@dataclass(frozen=True)
class Crumb:
    node: Jurisdiction
    url: str | None  # None: above the user's scope, no dashboard for him


def _crumbs(user: Any, board: Dashboard, *, screen: bool = False) -> list[Crumb]:
    scope = user.jurisdiction
    return [
        Crumb(a, _dashboard_url(a, board.period, screen=screen) if scope.contains(a) else None)
        for a in board.ancestors
    ]


@dataclass(frozen=True)
class ChildLink:
    row: ChildRow
    url: str | None  # its dashboard (police levels) or, for a grid, its incidents
    breached: Figure | None  # its late and overdue clocks (a unit's; a grid has none)


def _child_links(board: Dashboard, *, can_records: bool, screen: bool) -> list[ChildLink]:
    links = []
    for row in board.children:
        if row.has_dashboard:
            url: str | None = _dashboard_url(row.node, board.period, screen=screen)
        else:
            url = _records_url(row.incidents.query) if can_records else None
        breached = None
        if row.breached is not None:
            query = _clock_query(row.node, board.span, "breached")
            breached = Figure(row.breached, query=query)
        links.append(ChildLink(row, url, breached))
    return links


def _context(request: HttpRequest, board: Dashboard, today: dt.date, *,
             screen: bool = False) -> dict[str, Any]:  # fmt: skip
    user: Any = request.user
    can_records = user.can(Capability.VIEW_RECORDS)
    return {
        "board": board,
        "node": board.node,
        "picker": _picker(board.period, today),
        "crumbs": _crumbs(user, board, screen=screen),
        "children": _child_links(board, can_records=can_records, screen=screen),
        "can_records": can_records,
        "uncategorised": _uncategorised(board),
        **_clocks(board),
        "charts": _charts(board, can_records=can_records, screen=screen),
        "map_url": f"{reverse('dashboards:map', args=[board.node.pk])}?"
        + urlencode({"period": board.period.key, **({"screen": 1} if screen else {})}),
        "zero_case_more": board.zero_case_count - len(board.zero_case),
        "dashboard_url": _dashboard_url(board.node, board.period),
        "screen_url": _dashboard_url(board.node, board.period, screen=True),
        "running": board.span.last_day < board.period.end,
        "today": today,
    }


@login_required
@require_GET
def dashboard(request: HttpRequest, node_id: int | None = None) -> HttpResponse:
    """一屏尽览 of a node (the user's own by default) for a month or a year."""
    node = figures.dashboard_node(request.user, node_id)
    today = timezone.localdate()
    board = figures.node_dashboard(request.user, node, _period(request, today), today=today)
    return render(request, "dashboards/dashboard.html", _context(request, board, today))


@login_required
@require_GET
def screen(request: HttpRequest, node_id: int) -> HttpResponse:
    """The big-screen mode of a node's dashboard: dark, large, no navigation, for a
    1920×1080 wall; the page refreshes its figures every minute by itself."""
    node = figures.dashboard_node(request.user, node_id)
    today = timezone.localdate()
    board = figures.node_dashboard(request.user, node, _period(request, today), today=today)
    context = _context(request, board, today, screen=True)
    return render(request, "dashboards/screen.html", context)


@login_required
@require_GET
def map_geojson(request: HttpRequest, node_id: int) -> JsonResponse:
    """The node's children (a district's grids) with their outlines and the period's
    figures, as a GeoJSON FeatureCollection; children without an outline are named in
    ``missing`` so the page can say so."""
    user: Any = request.user
    node = figures.dashboard_node(user, node_id)
    today = timezone.localdate()
    period = _period(request, today)
    rows, level = figures.node_children(user, node, period, today=today)
    can_records = user.can(Capability.VIEW_RECORDS)
    screen_mode = request.GET.get("screen") == "1"
    features, missing = [], []
    for row in rows:
        boundary = row.node.boundary
        if not (isinstance(boundary, dict) and boundary.get("type") in GEOMETRIES):
            missing.append(row.node.name)
            continue
        if row.has_dashboard:
            url: str | None = _dashboard_url(row.node, period, screen=screen_mode)
        else:
            url = _records_url(row.incidents.query) if can_records else None
        features.append({
            "type": "Feature",
            "id": row.node.pk,
            "geometry": boundary,
            "properties": {
                "name": row.node.name, "kind": str(row.node.get_kind_display()),
                "incidents": row.incidents.value, "criminal": row.criminal.value,
                "disputes": row.disputes.value, "breached": row.breached, "url": url,
            },
        })  # fmt: skip
    collection = {
        "type": "FeatureCollection",
        "node": {"id": node.pk, "name": node.name},
        "period": period.key,
        "level": level,
        "features": features,
        "missing": missing,
    }
    return JsonResponse(
        collection, content_type="application/geo+json", json_dumps_params={"ensure_ascii": False}
    )


# --- the records behind a number -------------------------------------------------------

FACT_WORDS = {
    # fact: (what is counted, its measure word, what the list shows)
    "incident": (gettext_noop("警情"), gettext_noop("起"), "incident"),
    "dispute": (gettext_noop("矛盾纠纷"), gettext_noop("件"), "dispute"),
    "criminal": (gettext_noop("民转刑纠纷"), gettext_noop("件"), "dispute"),
    "clock": (gettext_noop("时限"), gettext_noop("个"), "incident"),
    "survey": (gettext_noop("报警人满意度评价"), gettext_noop("份"), "incident"),
    "followup": (gettext_noop("回访"), gettext_noop("次"), "dispute"),
}
ONE_ROW_EACH = frozenset({"incident", "dispute", "criminal", "survey"})
CLOCK_STATES = {
    "met": gettext_noop("按时完成"), "late": gettext_noop("超时完成"),
    "running": gettext_noop("进行中"), "overdue": gettext_noop("超时未完成"),
    "breached": gettext_noop("超时"),
}  # fmt: skip


def _category_words(fact: str, code: str) -> str:
    if not code:
        return ""
    if code == "none":
        return _("未定类")
    if code == "rated":
        return _("已评价满意度")
    if code == "satisfied_or_basic":
        return _("满意或基本满意")
    if fact == "incident":
        found = Category.objects.filter(code=code).first()
        return category_label(found.name) if found else code
    choices: dict[str, Any] = {
        "dispute": dict(DisputeCategory.choices), "criminal": dict(DisputeCategory.choices),
        "clock": dict(ClockKind.choices), "followup": dict(VisitSatisfaction.choices),
    }.get(fact, {})  # fmt: skip
    return str(choices.get(code, code))


def _status_words(fact: str, status: str) -> str:
    if not status:
        return ""
    if status == "satisfied_or_basic":
        return _("满意或基本满意")
    if status == "closed":
        return _("已办结")
    if fact == "clock":
        return _(CLOCK_STATES.get(status, status))
    choices: dict[str, Any] = {
        "incident": dict(IncidentStatus.choices), "dispute": dict(DisputeStatus.choices),
        "criminal": dict(DisputeStatus.choices), "survey": dict(Satisfaction.choices),
        "followup": dict(VisitOutcome.choices),
    }[fact]  # fmt: skip
    return str(choices.get(status, status))


def _back_url(query: figures.RecordQuery) -> str | None:
    """The dashboard the number came from (a grid has none of its own)."""
    if not query.node.is_police:
        return None
    whole_year = query.date_from.month == 1 and (query.date_to - query.date_from).days > 31
    period = periods.containing(query.date_from, periods.YEAR if whole_year else periods.MONTH)
    return _dashboard_url(query.node, period)


@login_required
@require_GET
def records(request: HttpRequest) -> HttpResponse:
    """The records a dashboard number counts, through the domains' scoped selectors."""
    user: Any = request.user
    require(user, Capability.VIEW_RECORDS)
    query = figures.parse_record_query(user, request.GET)
    listed = figures.records_behind(user, query)
    page = Paginator(listed, 50).get_page(request.GET.get("page"))
    total = figures.count_behind(query)
    what, measure, shows = FACT_WORDS[query.fact]
    # One listed row per counted record, except clocks and visits (several to a record):
    # a shortfall there is records the user may not read (another unit's, in his grid).
    hidden = total - page.paginator.count if query.fact in ONE_ROW_EACH else 0
    return render(
        request,
        "dashboards/records.html",
        {
            "query": query,
            "page": page,
            "total": total,
            "hidden": hidden,
            "what": _(what),
            "measure": _(measure),
            "shows": shows,
            "category": _category_words(query.fact, query.category),
            "status": _status_words(query.fact, query.status),
            "back_url": _back_url(query),
        },
    )
