"""一表通考 pages: the score table of a level and period, a subject's score with the
facts and records behind each indicator, the indicator table and form, manual
assessments, closing a period, and the two-way evaluation (双向评价).

Thin: forms parse, :mod:`fengqiao.scoring.services` writes, :mod:`fengqiao.scoring.selectors`
reads with the user's scope."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.accounts.models import User
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.forms import refusal_text, show_refusal
from fengqiao.core.roles import Capability, require
from fengqiao.jurisdictions.models import Jurisdiction
from fengqiao.jurisdictions.selectors import subtree
from fengqiao.scoring import facts as fact_source
from fengqiao.scoring import periods, selectors, services
from fengqiao.scoring.forms import (
    CRITERIA,
    RATING_CHOICES,
    AssessmentScopeForm,
    IndicatorForm,
    TableForm,
    indicator_initial,
)
from fengqiao.scoring.models import Indicator, Level

RECORD_PAGE = 50
UNIT_CHOICES = 300  # bureaus and stations offered as the range of manual entry


def _period(text: str, default: periods.Period) -> tuple[periods.Period, str]:
    if not text:
        return default, ""
    try:
        return periods.parse(text), ""
    except ValidationError as error:
        return default, refusal_text(error)


def _nav(user: Any, tab: str) -> dict[str, Any]:
    """What the pages' sub-navigation offers this user."""
    return {
        "tab": tab,
        "perms_view_aggregates": user.can(Capability.VIEW_AGGREGATES),
        "perms_manage_scoring": user.can(Capability.MANAGE_SCORING),
        "perms_rate": services.may_rate(user),
    }


def _table_url(level: str, period: periods.Period) -> str:
    return reverse("scoring:table") + "?" + urlencode({"level": level, "period": period.key})


@login_required
def table(request: HttpRequest) -> HttpResponse:
    """一表通考 score table: rank, subject, total and each indicator's points."""
    user: Any = request.user
    if not user.can(Capability.VIEW_AGGREGATES) and user.role not in services.OFFICER_ROLES:
        raise PermissionDenied  # neither a reader of aggregates nor an officer scored
    levels = selectors.levels_for(user)
    level = request.GET.get("level") or selectors.default_level(user)
    if level not in dict(levels):
        raise Http404
    this_month = periods.current()
    fallback = (
        this_month if selectors.scorecard(this_month, level) else this_month.previous()
    )  # the month so far once computed, else the last whole month
    period, error = _period(request.GET.get("period", ""), fallback)
    result = selectors.score_table(user=user, period=period, level=level,
                                   page=request.GET.get("page", 1))  # fmt: skip
    form = TableForm(initial={"level": level, "period": period.key}, levels=levels)
    return render(request, "scoring/table.html", {
        "form": form, "error": error, "period": period, "level": level,
        "level_label": Level(level).label, "result": result,
        "closed": services.is_closed(period),
        "can_manage": user.can(Capability.MANAGE_SCORING),
        "ended": period.has_ended(), "previous": period.previous(),
        **_nav(user, "table"),
    })  # fmt: skip


@login_required
@require_POST
def recompute(request: HttpRequest) -> HttpResponse:
    """计算/重新计算 one level's scores for one period (idempotent)."""
    user: Any = request.user
    require(user, Capability.MANAGE_SCORING)
    level = request.POST.get("level", "")
    period, error = _period(request.POST.get("period", ""), periods.current())
    if error or level not in Level.values:
        messages.error(request, error or _("未知的考核层级。"))
        return redirect("scoring:table")
    card = services.compute_scores(period=period, level=level, actor=user)
    messages.success(request, _("已计算%(period)s%(level)s得分，共%(n)d个考核对象。") % {
        "period": period.label, "level": Level(level).label, "n": card.scores.count()
    })  # fmt: skip
    return redirect(_table_url(level, period))


@login_required
@require_POST
def close(request: HttpRequest) -> HttpResponse:
    """关闭考核期: freeze its indicator table, assessments and ratings."""
    user: Any = request.user
    level = request.POST.get("level", Level.STATION)
    period, error = _period(request.POST.get("period", ""), periods.current())
    if error:
        messages.error(request, error)
        return redirect("scoring:table")
    try:
        services.close_period(actor=user, period=period)
    except ValidationError as refusal:
        messages.error(request, refusal_text(refusal))
    else:
        done = _("%(period)s已关闭；请重新计算各层级得分，以按关闭时的指标定稿。")
        messages.success(request, done % {"period": period.label})
    return redirect(_table_url(level if level in Level.values else Level.STATION, period))


@login_required
def score(request: HttpRequest, pk: int) -> HttpResponse:
    """A subject's score: each indicator's value, target, points and the facts behind
    it, each fact linking to its records."""
    user: Any = request.user
    found = selectors.score_detail(user=user, pk=pk)
    level = found.scorecard.level
    items = [
        {"item": item, "facts": selectors.fact_lines(item, user=user, level=level)}
        for item in found.items.all()
    ]
    return render(request, "scoring/score.html", {
        "score": found, "items": items, "label": selectors.subject_label(found, user),
        "period": periods.parse(found.scorecard.period), "level_label": Level(level).label,
        "full_weight": sum((i.weight for i in found.items.all()), 0),
        "group_label": found.peer_group.name,
    })  # fmt: skip


@login_required
def fact_records(request: HttpRequest, pk: int, fact: str) -> HttpResponse:
    """The records one fact of a score counts (scoped; codes, times and states only)."""
    user: Any = request.user
    found = selectors.score_detail(user=user, pk=pk)
    records = selectors.fact_records(user=user, score=found, fact=fact)
    page = Paginator(records, RECORD_PAGE).get_page(request.GET.get("page", 1))
    kind = fact_source.FACTS[fact].records
    related = {
        "incident": ("category", "suggested_category", "jurisdiction"),
        "dispute": ("jurisdiction",),
        "clock": ("incident", "rule", "jurisdiction"),
        "survey": ("incident",),
        "followup": ("case",),
        "whistle": ("raised_by_unit", "to_unit"),
    }[kind]
    rows = list(page.object_list.select_related(*related)) if hasattr(
        page.object_list, "select_related") else list(page.object_list)  # fmt: skip
    return render(request, "scoring/records.html", {
        "score": found, "label": selectors.subject_label(found, user), "fact": fact,
        "fact_label": fact_source.FACTS[fact].label, "kind": kind, "page": page, "rows": rows,
        "period": periods.parse(found.scorecard.period), "count": page.paginator.count,
        "stored": found.items.all(),
    })  # fmt: skip


# --- indicators ------------------------------------------------------------------------------


@login_required
def indicator_list(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    rows = list(selectors.indicator_list(user=user))
    return render(request, "scoring/indicators.html", {
        "indicators": rows, "can_manage": user.can(Capability.MANAGE_SCORING),
        "facts": [(f.name, f.label, [Level(v).label for v in Level.values if v in f.levels])
                  for f in fact_source.FACTS.values()],
        "level_labels": dict(Level.choices), **_nav(user, "indicators"),
    })  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def indicator_form(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Create or edit an indicator; a refused definition comes back with the reason at
    the field and the input kept."""
    user: Any = request.user
    require(user, Capability.MANAGE_SCORING)
    indicator = get_object_or_404(Indicator, pk=pk) if pk is not None else None
    editing = indicator is not None
    if request.method == "POST":
        data = request.POST.copy()
        if indicator is not None:
            data["code"] = indicator.code  # the code never changes
        form = IndicatorForm(data, editing=editing)
        status = 422
        if form.is_valid():
            try:
                saved = services.save_indicator(
                    actor=user, data=form.to_input(), indicator=indicator,
                    expected_version=form.cleaned_data.get("version"),
                )  # fmt: skip
            except (ValidationError, PermissionDenied) as refusal:
                show_refusal(form, refusal)
            except StaleEditError as stale:
                form.add_error(None, str(stale))
                status = 409
            else:
                messages.success(request, _("指标“%(name)s”已保存。") % {"name": saved.name})
                return redirect("scoring:indicators")
    else:
        form = IndicatorForm(
            initial=indicator_initial(indicator) if indicator else {"active": True,
                                                                    "zero_at": 0},
            editing=editing,
        )  # fmt: skip
        status = 200
    return render(request, "scoring/indicator_form.html", {
        "form": form, "indicator": indicator,
        "facts": [(f.name, f.label) for f in fact_source.FACTS.values()],
        "others": Indicator.objects.filter(active=True)
        .exclude(pk=indicator.pk if indicator else 0)
        .order_by("sort", "code"),
    }, status=status)  # fmt: skip


# --- manual assessments ---------------------------------------------------------------------


def _entry_units(user: Any) -> list[tuple[int, str]]:
    from fengqiao.jurisdictions.models import Kind

    own = user.jurisdiction
    below = subtree(own, include_self=False).filter(
        kind__in=[Kind.CITY_BUREAU, Kind.COUNTY_BUREAU, Kind.STATION]
    ).order_by("path")[:UNIT_CHOICES]  # fmt: skip
    return [(own.pk, own.name), *[(u.pk, f"{'　' * (u.depth - own.depth)}{u.name}") for u in below]]


@login_required
@require_http_methods(["GET", "POST"])
def assessments(request: HttpRequest) -> HttpResponse:
    """手工考评录入: pick a manual indicator, a period, a level and a range; enter or
    correct each subject's value with a note. Every entry is audited."""
    user: Any = request.user
    require(user, Capability.MANAGE_SCORING)
    if user.jurisdiction is None:
        raise PermissionDenied
    indicators = selectors.manual_indicators(user=user)
    units = _entry_units(user)
    source = request.POST if request.method == "POST" else request.GET
    first = indicators.first()
    scope_form = AssessmentScopeForm(
        source if source.get("indicator") else None, indicators=indicators, units=units,
        initial={"period": periods.current().previous().key, "under": user.jurisdiction_id,
                 "level": Level.STATION, "indicator": first.pk if first else None},
    )  # fmt: skip
    rows: list[selectors.AssessmentRow] = []
    problems: dict[int, str] = {}
    chosen: dict[str, Any] = {}
    closed = False
    if scope_form.is_bound and scope_form.is_valid():
        data = scope_form.cleaned_data
        try:
            period = periods.parse(data["period"])
        except ValidationError as error:
            scope_form.add_error("period", error)
        else:
            under = get_object_or_404(Jurisdiction, pk=data["under"])
            indicator, level = data["indicator"], data["level"]
            if level not in indicator.levels:
                scope_form.add_error("level", _("该指标不适用于这一层级。"))
            else:
                chosen = {"indicator": indicator, "period": period, "level": level}
                closed = services.is_closed(period)
                if request.method == "POST":
                    saved, problems = _save_entries(request, user, indicator, period, level)
                    if not problems:
                        messages.success(request, _("已保存%(n)d项考评。") % {"n": saved})
                        return redirect(reverse("scoring:assessments") + "?" + urlencode({
                            "indicator": indicator.pk, "period": period.key, "level": level,
                            "under": under.pk}))  # fmt: skip
                rows = selectors.assessment_rows(
                    user=user, indicator=indicator, period=period, level=level, under=under
                )
    posted = request.POST if request.method == "POST" else {}
    entries = [
        {
            "row": row,
            "value": posted.get(f"value-{row.key}", ""),
            "note": posted.get(f"note-{row.key}")
            or (row.assessment.note if row.assessment else ""),
            "problem": problems.get(row.key, ""),
        }
        for row in rows
    ]
    return render(request, "scoring/assessments.html", {
        "form": scope_form, "entries": entries, "chosen": chosen, "closed": closed,
        "problems": problems, **_nav(user, "assessments"),
    }, status=422 if problems else 200)  # fmt: skip


def _save_entries(
    request: HttpRequest, user: Any, indicator: Indicator, period: periods.Period, level: str
) -> tuple[int, dict[int, str]]:
    saved, problems = 0, {}
    for name in request.POST:
        raw = request.POST.get(name, "")
        if not name.startswith("value-") or not raw.strip():
            continue
        key = int(name.removeprefix("value-")) if name.removeprefix("value-").isdigit() else 0
        note = request.POST.get(f"note-{key}", "")
        try:
            if level == Level.OFFICER:
                officer = User.objects.filter(pk=key).first()
                if officer is None:
                    raise Http404
                services.enter_assessment(actor=user, indicator=indicator, period=period,
                                          value=raw, note=note, officer=officer)  # fmt: skip
            else:
                node = get_object_or_404(Jurisdiction, pk=key)
                services.enter_assessment(actor=user, indicator=indicator, period=period,
                                          value=raw, note=note, node=node)  # fmt: skip
            saved += 1
        except (ValidationError, PermissionDenied) as refusal:
            problems[key] = refusal_text(refusal)
    return saved, problems


# --- two-way evaluation ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def evaluation(request: HttpRequest) -> HttpResponse:
    """双向评价: a station rates its bureau's departments for a month (its own form:
    it sees only its own ratings)."""
    user: Any = request.user
    period, error = _period(
        (request.POST if request.method == "POST" else request.GET).get("period", ""),
        periods.current(),
    )
    station, own = selectors.own_ratings(user=user, period=period)
    problems: dict[int, str] = {}
    if request.method == "POST" and not error:
        saved = 0
        for row in own:
            values = {c: request.POST.get(f"{c}-{row.department.pk}", "") for c, _l in CRITERIA}
            if not any(values.values()):
                continue
            try:
                services.rate_department(actor=user, period=period, department=row.department,
                                         scores=values)  # fmt: skip
                saved += 1
            except (ValidationError, PermissionDenied) as refusal:
                problems[row.department.pk] = refusal_text(refusal)
        if not problems:
            messages.success(request, _("已保存%(n)d个部门的评价。") % {"n": saved})
            return redirect(reverse("scoring:evaluation") + "?" + urlencode({"period": period.key}))
        station, own = selectors.own_ratings(user=user, period=period)
    return render(request, "scoring/evaluation.html", {
        "station": station, "rows": own, "period": period, "error": error,
        "criteria": CRITERIA, "choices": RATING_CHOICES, "problems": problems,
        "closed": services.is_closed(period), "posted": request.POST,
        "min_raters": fact_source.MIN_RATERS, **_nav(user, "evaluation"),
    }, status=422 if problems else 200)  # fmt: skip


@login_required
def evaluation_results(request: HttpRequest) -> HttpResponse:
    """双向评价结果: per department, averages and counts only — and only from
    :data:`~fengqiao.scoring.facts.MIN_RATERS` stations up."""
    user: Any = request.user
    period, error = _period(request.GET.get("period", ""), periods.current())
    results = selectors.evaluation_results(user=user, period=period)
    return render(request, "scoring/evaluation_results.html", {
        "results": results, "period": period, "error": error, "criteria": CRITERIA,
        "min_raters": fact_source.MIN_RATERS,
        **_nav(user, "results"),
    })  # fmt: skip
