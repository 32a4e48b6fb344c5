"""矛盾纠纷统计 pages: the statistics of a unit and a period grouped one way, each
number linking to the case list of the same cases; the grouped table as CSV or .xlsx;
the monthly people's-mediation report (人民调解工作统计月报表) as .xlsx.

Thin: a form parses, :mod:`fengqiao.disputes.stats.selectors` computes, a template renders. The
table has one row per group (sub-units, categories, months…), a bounded number, so it
is not paginated. Downloads are exports and are audited."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from fengqiao.audit import services as audit
from fengqiao.core import exports
from fengqiao.core.roles import Capability
from fengqiao.disputes.stats import selectors as stats
from fengqiao.disputes.stats.selectors import GroupBy, Statistics
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.jurisdictions.selectors import subtree

NODE_KINDS = (Kind.CITY_BUREAU, Kind.COUNTY_BUREAU, Kind.STATION, Kind.POLICE_DISTRICT)
MAX_NODE_CHOICES = 500  # a bureau's stations and districts; above that, no districts
# The figures that the case list can select, and the parameters that select them.
LINKED = {
    "taken_in": {},
    "resolved": {"status": "resolved"},
    "closed": {"status": "closed"},
    "open": {"status": "open"},
    "overdue": {"overdue": "1"},
}


def node_choices(user: Any) -> list[Jurisdiction]:
    """The user's unit and the bureaus, stations and police districts under it, in tree
    order; without the districts when a large scope would make the list unreadable."""
    own = user.jurisdiction
    below = subtree(own, include_self=False).filter(kind__in=NODE_KINDS).order_by("path")
    units = list(below[: MAX_NODE_CHOICES + 1])
    if len(units) > MAX_NODE_CHOICES:
        units = list(below.exclude(kind=Kind.POLICE_DISTRICT)[:MAX_NODE_CHOICES])
    return [own, *units]


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


class StatisticsForm(forms.Form):
    """统计条件: the unit (from the user's tree), the registration period (this month by
    default) and the grouping."""

    node = forms.TypedChoiceField(label=gettext_lazy("单位"), coerce=int)
    date_from = forms.DateField(label=gettext_lazy("登记自"),
                                widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    date_to = forms.DateField(label=gettext_lazy("至"),
                              widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    group_by = forms.ChoiceField(label=gettext_lazy("分组"), choices=GroupBy.choices)

    def __init__(self, data: Any, *, user: Any) -> None:
        self.units = node_choices(user)
        today = timezone.localdate()
        defaults = {
            "node": str(user.jurisdiction.pk),
            "date_from": _month_start(today).isoformat(),
            "date_to": today.isoformat(),
            "group_by": GroupBy.JURISDICTION.value,
        }
        # Always bound, so the page computes the defaults and keeps what was typed.
        super().__init__({**defaults, **{k: v for k, v in data.items() if k in defaults}})
        asked = self.data.get("node", "")
        if asked.isdigit() and int(asked) not in {unit.pk for unit in self.units}:
            # A unit outside the list: shown if in scope, refused (403) otherwise.
            extra = Jurisdiction.objects.filter(pk=int(asked)).first()
            if extra is not None:
                self.units.append(extra)
        top = self.units[0].depth
        self.fields["node"].choices = [  # type: ignore[attr-defined]
            (unit.pk, "　" * max(0, unit.depth - top) + unit.name) for unit in self.units
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("结束日期不能早于开始日期。"))
        return data

    @property
    def chosen_node(self) -> Jurisdiction:
        return next(unit for unit in self.units if unit.pk == self.cleaned_data["node"])


def _list_url() -> str:
    try:
        return reverse("disputes:list")
    except NoReverseMatch:  # the case list not mounted: the numbers stay plain
        return ""


def _may_open_cases(user: Any) -> bool:
    # Analysts see aggregates only: no way from a number to the records behind it.
    return bool(user.can(Capability.VIEW_RECORDS) or user.can(Capability.HANDLE_DISPUTES))


def _percent(value: Any) -> str:
    return f"{value}%" if value is not None else "—"


def _cells(report: Statistics, figures: stats.Figures, filters: dict[str, str] | None,
           list_url: str) -> list[dict[str, str]]:  # fmt: skip
    """One table row's cells, each with the case-list link of its cases if there is one."""

    def link(measure: str) -> str:
        if not list_url or filters is None or measure not in LINKED:
            return ""
        query = {**report.period_filters, **filters, **LINKED[measure]}
        return f"{list_url}?{urlencode(query)}"

    f = figures
    values = [
        ("taken_in", str(f.taken_in)), ("resolved", str(f.resolved)), ("closed", str(f.closed)),
        ("open", str(f.open)), ("overdue", str(f.overdue)),
        ("resolution_rate", _percent(f.resolution_rate)),
        ("mediation_rate", _percent(f.mediation_rate)),
        ("average_days", str(f.average_days) if f.average_days is not None else "—"),
        ("satisfaction_rate", _percent(f.satisfaction_rate)),
        ("prevented", _("%(n)d件%(m)d人") % {"n": f.prevented_cases, "m": f.prevented_people}),
        ("turned_criminal", str(f.turned_criminal)),
        ("repeat_rate", _percent(f.repeat_rate)),
    ]  # fmt: skip
    return [{"name": name, "value": value, "url": link(name)} for name, value in values]


def _query(report: Statistics) -> str:
    return urlencode({
        "node": report.node.pk, "date_from": report.date_from.isoformat(),
        "date_to": report.date_to.isoformat(), "group_by": report.group_by,
    })  # fmt: skip


def _statistics(request: HttpRequest, form: StatisticsForm) -> Statistics:
    """The statistics the valid form asks for (403 for a unit outside the scope)."""
    return stats.dispute_statistics(
        request.user, node=form.chosen_node, date_from=form.cleaned_data["date_from"],
        date_to=form.cleaned_data["date_to"], group_by=form.cleaned_data["group_by"],
    )  # fmt: skip


def _refuse_without_capability(request: HttpRequest) -> None:
    user: Any = request.user
    if not stats.may_read_statistics(user):
        raise PermissionDenied(Capability.VIEW_AGGREGATES.label)
    if user.jurisdiction is None:
        raise PermissionDenied(_("您的账号没有所属辖区。"))


@login_required
@require_GET
def statistics_page(request: HttpRequest) -> HttpResponse:
    """矛盾纠纷统计: the table of one grouping with its totals; each count opens the case
    list of its cases; the definitions underneath; the downloads."""
    _refuse_without_capability(request)
    form = StatisticsForm(request.GET, user=request.user)
    context: dict[str, Any] = {"form": form, "definitions": stats.DEFINITIONS}
    if form.is_valid():
        try:
            report = _statistics(request, form)
        except ValidationError as error:
            for name, texts in error.message_dict.items():
                form.add_error(name if name in form.fields else None, texts)
        else:
            list_url = _list_url() if _may_open_cases(request.user) else ""
            query = _query(report)
            context.update(
                report=report,
                group_label=GroupBy(report.group_by).label,
                rows=[{"label": row.label, "cells": _cells(report, row.figures, row.filters,
                                                           list_url)} for row in report.rows],
                total=_cells(report, report.total, {}, list_url),
                report_month=report.date_from.strftime("%Y-%m"),
                csv_url=f"{reverse('disputes:stats_export')}?{query}&format=csv",
                xlsx_url=f"{reverse('disputes:stats_export')}?{query}&format=xlsx",
            )  # fmt: skip
    status = 200 if "report" in context else 400
    return render(request, "disputes/stats/page.html", context, status=status)


def _audit_export(request: HttpRequest, *, node: Jurisdiction, what: str, reason: str) -> None:
    audit.record(
        actor=request.user, action="export", object_type="disputes.statistics",
        object_id=str(node.pk), object_repr=what[:200], scope_path=node.path,
        fields=["counts"], reason=reason,
    )  # fmt: skip


@login_required
@require_GET
def statistics_export(request: HttpRequest) -> HttpResponse:
    """The page's grouped table as CSV (``format=csv``) or .xlsx (the default), formulas
    neutralised; the download is recorded in the audit log."""
    _refuse_without_capability(request)
    form = StatisticsForm(request.GET, user=request.user)
    if not form.is_valid():
        return HttpResponseBadRequest(_("统计条件不正确。"))
    try:
        report = _statistics(request, form)
    except ValidationError as error:
        return HttpResponseBadRequest(" ".join(error.messages))
    title = _("%(unit)s 矛盾纠纷统计（按%(group)s，%(first)s 至 %(last)s）") % {
        "unit": report.node.name, "group": GroupBy(report.group_by).label,
        "first": report.date_from.isoformat(), "last": report.date_to.isoformat(),
    }  # fmt: skip
    rows = list(stats.table_rows(report))
    name = f"dispute-statistics-{report.node.pk}-{report.group_by}-{report.date_from:%Y%m%d}"
    if request.GET.get("format") == "csv":
        content = exports.to_csv(stats.table_headers(), rows)
        response = HttpResponse(content, content_type="text/csv; charset=utf-8")
        name += ".csv"
    else:
        content = exports.to_xlsx(stats.table_headers(), rows, title=report.group_by)
        response = HttpResponse(
            content,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        name += ".xlsx"
    _audit_export(request, node=report.node, what=title, reason=_query(report))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_GET
def monthly_report_download(request: HttpRequest) -> HttpResponse:
    """人民调解工作统计月报表 of a unit (``node``, the user's own by default) and a month
    (``month=YYYY-MM``, this month by default) as .xlsx; audited."""
    _refuse_without_capability(request)
    user: Any = request.user
    text = request.GET.get("month", "").strip()
    try:
        month = dt.date.fromisoformat(f"{text}-01") if text else timezone.localdate()
    except ValueError:
        return HttpResponseBadRequest(_("月份格式应为 YYYY-MM。"))
    node = user.jurisdiction
    if request.GET.get("node"):
        try:
            node = Jurisdiction.objects.get(pk=int(request.GET["node"]))
        except (ValueError, Jurisdiction.DoesNotExist):
            raise Http404 from None
    report = stats.monthly_report(user, node=node, month=month)
    content = stats.monthly_report_xlsx(report)
    _audit_export(request, node=report.node, what=stats.report_title(report),
                  reason=f"month={report.month:%Y-%m} node={report.node.pk}")  # fmt: skip
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{stats.report_filename(report)}"'
    return response
