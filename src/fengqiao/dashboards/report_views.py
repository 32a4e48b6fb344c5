"""治安工作统计报表 downloads: a page to pick the unit and the month or year, and the
report as .xlsx or PDF (:mod:`fengqiao.dashboards.reports`).

Thin: the node goes through :func:`~fengqiao.dashboards.figures.dashboard_node` (403
without ``VIEW_AGGREGATES``, 404 outside the user's scope), the period through
:func:`~fengqiao.dashboards.reports.parse_report_period` (400 when malformed or in the
future). A download is an export and is recorded in the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fengqiao.audit import services as audit
from fengqiao.dashboards import reports
from fengqiao.dashboards.figures import dashboard_node
from fengqiao.jurisdictions.models import Jurisdiction
from fengqiao.scoring import periods
from fengqiao.scoring.periods import Period

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTHS_OFFERED = 36  # this month and the 35 before it
YEARS_OFFERED = 5


def _node(request: HttpRequest) -> Jurisdiction:
    text = request.GET.get("node", "").strip()
    if text and not text.isdigit():
        raise Http404(_("没有这个单位，或它不在您的辖区内。"))
    return dashboard_node(request.user, int(text) if text else None)


def _period_options(today: dt.date) -> tuple[list[Period], list[Period]]:
    months = [periods.containing(today)]
    for _index in range(MONTHS_OFFERED - 1):
        months.append(months[-1].previous())
    years = [periods.year(today.year - back) for back in range(YEARS_OFFERED)]
    return months, years


@login_required
@require_GET
def reports_page(request: HttpRequest) -> HttpResponse:
    """Pick a unit of the scope and a month or a year; download the report as Excel or
    PDF. ``node`` and ``period`` in the query preselect them (the dashboard links here
    with its own)."""
    node = _node(request)
    today = timezone.localdate()
    error = ""
    try:
        period = reports.parse_report_period(request.GET.get("period"), today=today)
    except ValueError as problem:
        error, period = str(problem), periods.containing(today)
    nodes = reports.report_nodes(request.user)
    if node not in nodes:
        nodes.append(node)
    top = nodes[0].depth
    months, years = _period_options(today)
    if period not in months and period not in years:
        (years if period.kind == "year" else months).append(period)
    context = {
        "node": node,
        "period": period,
        "node_options": [(n.pk, "　" * max(0, n.depth - top) + n.name) for n in nodes],
        "months": months,
        "years": years,
        "title": reports.report_title(node, period),
        "error": error,
        "sheets": [str(name) for name in reports.SHEETS],
    }
    return render(request, "dashboards/reports.html", context, status=400 if error else 200)


def _download(request: HttpRequest, fmt: str) -> HttpResponse:
    node = _node(request)
    try:
        period = reports.parse_report_period(request.GET.get("period"),
                                             today=timezone.localdate())  # fmt: skip
    except ValueError as problem:
        return HttpResponseBadRequest(str(problem))
    report = reports.build_report(request.user, node, period)
    if fmt == "pdf":
        content, content_type = reports.report_pdf(report), "application/pdf"
    else:
        content, content_type = reports.report_xlsx(report), XLSX
    ascii_name, display_name = reports.report_filename(report, fmt)
    user: Any = request.user
    audit.record(
        actor=user,
        action="export",
        object_type="dashboards.report",
        object_id=str(node.pk),
        object_repr=f"{report.title} ({fmt})"[:200],
        scope_path=node.path,
        fields=["counts"],
        reason=f"period={period.key} node={node.pk} format={fmt}",
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = reports.content_disposition(ascii_name, display_name)
    return response


@login_required
@require_GET
def report_xlsx(request: HttpRequest) -> HttpResponse:
    """治安工作统计报表 of ``node`` (the user's own by default) for ``period`` (``2026-11``
    or ``2026``; this month by default) as an .xlsx workbook; audited."""
    return _download(request, "xlsx")


@login_required
@require_GET
def report_pdf(request: HttpRequest) -> HttpResponse:
    """The same report as an A4 PDF; audited."""
    return _download(request, "pdf")
