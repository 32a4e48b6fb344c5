"""警力配置 pages: the staffing and coverage checks of a bureau (or of every bureau under
a department, or of one station), and the list of police districts behind each
district figure. Thin: :mod:`fengqiao.scoring.staffing` computes, templates render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from fengqiao.accounts.selectors import covers
from fengqiao.core.roles import Capability
from fengqiao.jurisdictions.models import Jurisdiction
from fengqiao.jurisdictions.selectors import ancestors
from fengqiao.scoring import staffing

DISTRICTS_PER_PAGE = 50
UNCOVERED_SHOWN = 20  # on the check's card; the district list has them all
COVERAGE_FILTERS = ("none", "one", "many")
SORTS = {
    "": lambda d: d.unit.path,
    "population": lambda d: (d.population, d.unit.path),
    "-population": lambda d: (-d.population, d.unit.path),
}


def _node(request: HttpRequest) -> Jurisdiction:
    raw = request.GET.get("node", "")
    if raw and not raw.isdigit():
        raise Http404
    try:
        return staffing.node_for(user=request.user, pk=int(raw) if raw else None)
    except Jurisdiction.DoesNotExist:
        raise Http404 from None


def _urls() -> dict[str, str]:
    """The lists the figures link to, reversed once per page (a province's table has
    some 900 links)."""
    return {
        "staff_url": reverse("accounts:staff_list"),
        "districts_url": reverse("staffing:districts"),
        "page_url": reverse("staffing:page"),
    }


def _crumbs(request: HttpRequest, node: Jurisdiction) -> list[Jurisdiction]:
    """The node's ancestors that the user may open (his own unit and below)."""
    return [unit for unit in ancestors(node) if covers(request.user, unit)]


@login_required
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    node = _node(request)
    report = staffing.staffing_report(user=request.user, node=node)
    main = report.bureau(node.pk)
    others = [b for b in report.bureaus if b.unit.pk != node.pk]
    station = next((s for s in report.stations if s.unit.pk == node.pk), None)
    context = {
        "node": node,
        "crumbs": _crumbs(request, node),
        "report": report,
        "main": main,
        "main_coverage": main.coverage if main else None,
        "other_bureaus": others,
        "station": station,
        "station_coverage": staffing.Coverage(station.districts) if station else None,
        # below a station: the districts in the user's unit, without a station's figures
        "districts": report.districts if not (main or others or station) else [],
        "uncovered_shown": UNCOVERED_SHOWN,
        "can_view_staff": request.user.can(Capability.VIEW_RECORDS),
        "station_norm": staffing.STATION_SHARE_NORM,
        "community_norm": staffing.COMMUNITY_SHARE_NORM,
        **_urls(),
    }
    return render(request, "scoring/staffing.html", context)


@login_required
@require_GET
def districts(request: HttpRequest) -> HttpResponse:
    """警务区名单: the districts under a node, optionally only those with no / one / more
    community officers, sorted by tree order or by population."""
    node = _node(request)
    coverage = request.GET.get("coverage", "")
    coverage = coverage if coverage in COVERAGE_FILTERS else ""
    sort = request.GET.get("sort", "")
    sort = sort if sort in SORTS else ""
    report = staffing.staffing_report(user=request.user, node=node)
    rows = [d for d in report.districts if not coverage or d.coverage == coverage]
    rows.sort(key=SORTS[sort])
    page_obj = Paginator(rows, DISTRICTS_PER_PAGE).get_page(request.GET.get("page"))
    filters = {"node": str(node.pk), "coverage": coverage, "sort": sort}
    query = urlencode({key: value for key, value in filters.items() if value})
    context = {
        "node": node,
        "crumbs": _crumbs(request, node),
        "report": report,
        "all_coverage": report.coverage,
        "page_obj": page_obj,
        "filters": filters,
        "query_prefix": f"{query}&",
        "node_query": urlencode({"node": node.pk}),
        "can_view_staff": request.user.can(Capability.VIEW_RECORDS),
        **_urls(),
    }
    return render(request, "scoring/staffing_districts.html", context)
