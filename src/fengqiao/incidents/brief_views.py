"""每日研判 pages: the morning brief of a unit and a day, on screen and as a PDF.

Thin: parse ``day`` and ``unit``, ask :func:`fengqiao.incidents.brief.morning_brief`,
render. The PDF download is an export and is audited."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fengqiao.audit import services as audit
from fengqiao.core.roles import Capability
from fengqiao.incidents.brief import Brief, default_day, may_read_brief, morning_brief
from fengqiao.incidents.brief_pdf import brief_filename, brief_pdf, brief_title, clock_text
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.jurisdictions.selectors import subtree

UNIT_KINDS = (Kind.STATION, Kind.POLICE_DISTRICT, Kind.COMMUNITY, Kind.GRID)
MAX_UNIT_CHOICES = 500  # a bureau's stations and districts; above that, stations only


@dataclass(frozen=True)
class _Choice:
    day: dt.date
    unit: Jurisdiction
    error: str


def _choice(request: HttpRequest) -> _Choice:
    """The day (a local date, yesterday by default; never in the future) and the unit
    (the user's own by default) the request asks for. A unit outside the user's scope
    is refused by the brief itself."""
    if not may_read_brief(request.user):
        raise PermissionDenied(Capability.VIEW_AGGREGATES.label)
    user: Any = request.user
    if user.jurisdiction is None:
        raise PermissionDenied(_("您的账号没有所属辖区。"))
    error = ""
    day = default_day()
    text = request.GET.get("day", "").strip()
    if text:
        try:
            asked = dt.date.fromisoformat(text)
        except ValueError:
            error = _("日期格式不正确，已显示昨日。")
        else:
            if asked > timezone.localdate():
                error = _("不能选择未来的日期，已显示昨日。")
            else:
                day = asked
    unit = user.jurisdiction
    if request.GET.get("unit"):
        try:
            unit = Jurisdiction.objects.get(pk=int(request.GET["unit"]))
        except (ValueError, Jurisdiction.DoesNotExist):
            raise Http404 from None
    return _Choice(day, unit, error)


def unit_choices(user: Any) -> list[Jurisdiction]:
    """The user's unit and its stations, police districts, communities and grids, in
    tree order; only the stations when a large scope would make the list unreadable."""
    own = user.jurisdiction
    below = subtree(own, include_self=False).filter(kind__in=UNIT_KINDS).order_by("path")
    units = list(below[: MAX_UNIT_CHOICES + 1])
    if len(units) > MAX_UNIT_CHOICES:
        units = list(below.filter(kind=Kind.STATION)[:MAX_UNIT_CHOICES])
    return [own, *units]


def _query(choice: _Choice) -> str:
    return urlencode({"day": choice.day.isoformat(), "unit": choice.unit.pk})


@login_required
@require_GET
def brief(request: HttpRequest) -> HttpResponse:
    """每日警情研判 of a unit and a day, for the command room's morning meeting."""
    choice = _choice(request)
    report = morning_brief(user=request.user, day=choice.day, unit=choice.unit)
    units = unit_choices(request.user)
    if choice.unit not in units:
        units.append(choice.unit)
    top = units[0].depth
    options = [(unit.pk, "　" * max(0, unit.depth - top) + unit.name) for unit in units]
    context = {
        "brief": report,
        "title": brief_title(report),
        "unit_options": options,
        "error": choice.error,
        "today": timezone.localdate(),
        "pdf_url": f"{reverse('incidents:brief_pdf')}?{_query(choice)}",
        "urgent_clocks": [(clock, clock_text(clock)) for clock in report.urgent_clocks or []],
        "withheld": not report.records_shown,
    }
    return render(request, "incidents/brief.html", context)


def exportable(report: Brief, user: Any) -> Brief:
    """The brief as it may leave the platform: the lists naming records go only to
    those allowed to export records; the others take the figures."""
    if not report.records_shown or user.can(Capability.EXPORT_RECORDS):
        return report
    return replace(
        report, records_shown=False, repeat_addresses=None, urgent_clocks=None, whistles=None
    )


@login_required
@require_GET
def brief_pdf_download(request: HttpRequest) -> HttpResponse:
    """The same brief as a printable A4 PDF; the download is recorded in the audit log."""
    choice = _choice(request)
    report = exportable(
        morning_brief(user=request.user, day=choice.day, unit=choice.unit), request.user
    )
    pdf = brief_pdf(report)
    named = [
        *(f"address:{row.address_id}" for row in report.repeat_addresses or []),
        *(f"incident:{row.incident_id}" for row in report.urgent_clocks or []),
        *(f"whistle:{row.whistle_id}" for row in report.whistles or []),
    ]
    audit.record(
        actor=request.user,
        action="export",
        object_type="incidents.brief",
        object_id=str(choice.unit.pk),
        object_ids=named,
        object_repr=f"{brief_title(report)} (PDF)"[:200],
        scope_path=choice.unit.path,
        fields=["counts", *(["lists"] if report.records_shown else [])],
        reason=f"day={choice.day.isoformat()} unit={choice.unit.pk}",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{brief_filename(report)}"'
    return response
