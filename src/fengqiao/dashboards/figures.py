"""一屏尽览: the figures of one node's dashboard, read from the rollups alone.

**Period.** A month or a year (a :class:`~fengqiao.scoring.periods.Period`) of local
(Asia/Shanghai) calendar days. While it is still running, it counts up to today, and its
comparisons take the same span: this month's first 22 days against last month's first 22
and against the same 22 days a year ago (同比/环比 like for like).

**Definitions** (also stated on the page):

* 警情 — incidents received in the period, by category (confirmed, else suggested);
  刑事 is the 01 category and its sub-types.
* 矛盾纠纷 — disputes registered in the period; 化解率 here = resolved / closed among them
  (the dispute statistics page has the full time-limit-aware definition); 民转刑 —
  those marked as turned criminal.
* 满意度 — reporters' survey answers and follow-up visits recorded in the period rated
  满意 or 基本满意, over all rated.
* 时限 — clocks that fell due in the period: met on time, late, or still running past a
  day that has ended (超时); 达标率 = on time / (on time + late + overdue).
* 零发案社区 — communities (and villages) covered by the node's police districts without
  any 刑事 incident in the period.

Every count is a sum of :class:`~fengqiao.rollups.models.Rollup` rows, and
:func:`records_behind` lists the records it counts with the same fact definition, so a
number and its list cannot disagree.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.core.roles import Capability, require
from fengqiao.disputes.models import CLOSED_STATUSES
from fengqiao.disputes.models import Category as DisputeCategory
from fengqiao.disputes.models import Status as DisputeStatus
from fengqiao.disputes.stats.selectors import percent
from fengqiao.incidents.facts import CRIMINAL  # 刑事
from fengqiao.incidents.models import Category, ClockKind
from fengqiao.incidents.taxonomy import label as category_label
from fengqiao.jurisdictions import selectors as jurisdiction_selectors
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.rollups import store as rollups
from fengqiao.rollups.models import Grain, Rollup
from fengqiao.scoring import periods
from fengqiao.scoring.periods import Period

ZERO_CASE_SHOWN = 100  # names listed on the page; the count covers them all
# 满意 and 基本满意: a reporter's survey says "fairly", a follow-up visit "basic".
SATISFIED = ("satisfied", "basic", "fairly")


# --- periods ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Local days ``start`` ≤ day < ``end``."""

    start: dt.date
    end: dt.date

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def parse_period(text: str | None, *, today: dt.date | None = None) -> Period:
    """The month (``2026-11``) or year (``2026``) a query parameter names; this month when
    empty, malformed or anything else (a quarter)."""
    try:
        period = periods.parse(text or "")
    except ValidationError:
        return periods.containing(today or timezone.localdate())
    if period.kind not in (periods.MONTH, periods.YEAR):
        return periods.containing(today or timezone.localdate())
    return period


def _days_of(period: Period) -> Span:
    return Span(period.start, period.end + dt.timedelta(days=1))


def period_span(period: Period, *, today: dt.date) -> Span:
    """The period's days up to today (all of them once it is over)."""
    whole = _days_of(period)
    return Span(period.start, min(whole.end, max(today + dt.timedelta(days=1), period.start)))


def comparisons(period: Period, *, today: dt.date) -> tuple[Span, Span, Span]:
    """The period's span, the previous period's and a year before's. A period that is
    over compares with whole calendar periods; a running one with the same number of
    days from their starts (as far as the calendar allows)."""
    current = period_span(period, today=today)
    previous = _days_of(period.previous())
    year_before = _days_of(
        periods.containing(dt.date(period.start.year - 1, period.start.month, 1), period.kind)
    )
    if current.end == _days_of(period).end:
        return current, previous, year_before
    length = dt.timedelta(days=current.days)
    return (
        current,
        Span(previous.start, min(previous.start + length, previous.end)),
        Span(year_before.start, min(year_before.start + length, year_before.end)),
    )


# --- reading rollups -------------------------------------------------------------------


def _span_parts(span: Span) -> list[Q]:
    """Whole months from the monthly rows, the rest from the daily rows: each part one
    index range."""
    first_full = span.start if span.start.day == 1 else _add_months(span.start.replace(day=1), 1)
    last_full = span.end.replace(day=1)  # months starting before this one end inside the span
    if first_full >= last_full:
        return [Q(grain=Grain.DAY, day__gte=span.start, day__lt=span.end)]
    parts = [Q(grain=Grain.MONTH, day__gte=first_full, day__lt=last_full)]
    if span.start < first_full:
        parts.append(Q(grain=Grain.DAY, day__gte=span.start, day__lt=first_full))
    if last_full < span.end:
        parts.append(Q(grain=Grain.DAY, day__gte=last_full, day__lt=span.end))
    return parts


def _span_filter(span: Span) -> Q:
    parts = _span_parts(span)
    found = parts[0]
    for part in parts[1:]:
        found |= part
    return found


# (node, fact) → [(category, status, n)]: a figure scans only its own node's and fact's rows.
Totals = dict[tuple[int, str], list[tuple[str, str, int]]]


def _totals(nodes: Iterable[int], facts: Iterable[str], span: Span) -> Totals:
    rows = (
        Rollup.objects.filter(_span_filter(span), node_id__in=list(nodes), fact__in=list(facts))
        .values_list("node_id", "fact", "category", "status")
        .annotate(total=Sum("n"))
    )
    totals: Totals = defaultdict(list)
    for node, fact, cat, st, total in rows:
        if total:
            totals[node, fact].append((cat, st, total))
    return totals


def _category_matches(fact: str, category: str, cat: str) -> bool:
    """The category vocabulary of dashboard links (mirrored in :func:`_fact_filter`)."""
    if not category:
        return True
    if category == "none":  # incidents nobody has categorised, not even the classifier
        return cat == ""
    if category == "rated":
        return cat != ""
    if category == "satisfied_or_basic":
        return cat in SATISFIED
    return cat.startswith(category) if fact == "incident" else cat == category


def _status_matches(status: str, st: str) -> bool:
    if not status:
        return True
    if status == "closed":
        return st in CLOSED_STATUSES
    if status == "satisfied_or_basic":
        return st in SATISFIED
    return st == status


def _count(totals: Totals, node: int, fact: str, category: str = "", status: str = "") -> int:
    return sum(
        n for cat, st, n in totals.get((node, fact), ())
        if _category_matches(fact, category, cat) and _status_matches(status, st)
    )  # fmt: skip


# --- the dashboard ---------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """A number, the same span of the previous period and of a year before, and the
    query string of the records behind it (for :func:`records_behind`)."""

    value: int
    previous: int | None = None
    year_before: int | None = None
    query: str = ""

    @property
    def change(self) -> Decimal | None:  # 环比
        return _change(self.value, self.previous)

    @property
    def change_yoy(self) -> Decimal | None:  # 同比
        return _change(self.value, self.year_before)


def _change(now: int, then: int | None) -> Decimal | None:
    if not then:
        return None
    return percent(now - then, then)


@dataclass(frozen=True)
class Labelled:
    code: str
    label: str
    figure: Figure


@dataclass(frozen=True)
class TrendPoint:
    month: dt.date
    value: int
    year_before: int


@dataclass(frozen=True)
class ChildRow:
    node: Jurisdiction
    incidents: Figure
    criminal: Figure
    disputes: Figure
    breached: int | None  # None for grids: clocks are counted for units only
    has_dashboard: bool


@dataclass
class Dashboard:
    node: Jurisdiction
    period: Period
    span: Span
    ancestors: list[Jurisdiction]
    incidents: Figure
    by_category: list[Labelled]
    criminal: Figure
    trend: list[TrendPoint]
    daily: list[tuple[dt.date, int]]
    disputes: Figure
    disputes_closed: Figure
    disputes_resolved: Figure
    turned_criminal: Figure
    dispute_categories: list[Labelled]
    surveys: Figure
    surveys_satisfied: Figure
    visits: Figure
    visits_satisfied: Figure
    clocks_met: Figure
    clocks_late: list[Labelled]
    clocks_overdue: list[Labelled]
    zero_case: list[Jurisdiction]  # the first ZERO_CASE_SHOWN of them, in tree order
    zero_case_count: int
    communities: int
    children: list[ChildRow] = field(default_factory=list)
    map_level: str = ""

    @property
    def resolution_rate(self) -> Decimal | None:
        return percent(self.disputes_resolved.value, self.disputes_closed.value)

    @property
    def survey_rate(self) -> Decimal | None:
        return percent(self.surveys_satisfied.value, self.surveys.value)

    @property
    def visit_rate(self) -> Decimal | None:
        return percent(self.visits_satisfied.value, self.visits.value)

    @property
    def clocks_breached(self) -> int:
        return sum(x.figure.value for x in [*self.clocks_late, *self.clocks_overdue])

    @property
    def clock_rate(self) -> Decimal | None:
        return percent(self.clocks_met.value, self.clocks_met.value + self.clocks_breached)


def dashboard_node(user: Any, pk: int | None) -> Jurisdiction:
    """The node whose dashboard is asked for: the user's own by default; a node outside
    his scope does not exist for him (404)."""
    require(user, Capability.VIEW_AGGREGATES)
    if user.jurisdiction_id is None:
        raise PermissionDenied(_("您的账号还没有所属辖区。"))
    if pk is None:
        return user.jurisdiction
    try:
        return jurisdiction_selectors.jurisdiction_for(user, pk)
    except Jurisdiction.DoesNotExist:
        raise Http404(_("没有这个单位，或它不在您的辖区内。")) from None


def records_node(user: Any, pk: int) -> Jurisdiction:
    """The node a records link names: one the user has a dashboard for, or a grid or
    community covered by a police district in his scope (a district's table and map
    break down into its grids, which hang from the administrative tree)."""
    try:
        return dashboard_node(user, pk)
    except Http404:
        covered = (
            Jurisdiction.objects.filter(
                pk=pk, kind__in=(Kind.GRID, Kind.COMMUNITY),
                covered_by__path__within=user.jurisdiction.path,
            ).distinct().first()
        )  # fmt: skip
        if covered is None:
            raise
        return covered


def _query(node: Jurisdiction, span: Span, fact: str, category: str = "", status: str = "") -> str:
    parts = [f"node={node.pk}", f"fact={fact}", f"from={span.start}", f"to={span.last_day}"]
    if category:
        parts.append(f"category={category}")
    if status:
        parts.append(f"status={status}")
    return "&".join(parts)


def _children(node: Jurisdiction) -> tuple[list[Jurisdiction], str]:
    """The nodes the dashboard breaks down into (and maps): a district's grids, a unit's
    police children that hold records."""
    if node.kind in (Kind.POLICE_DISTRICT, Kind.COMMUNITY):
        kinds = (Kind.GRID,)
        if node.kind == Kind.COMMUNITY:
            return list(node.children.filter(kind=Kind.GRID).order_by("path")), "grid"
        return list(node.covers.filter(kind__in=kinds).order_by("path")), "grid"
    children = node.children.exclude(kind__in=(Kind.UNIT, Kind.POLICE_ROOM)).order_by("path")
    return list(children), "police"


def _covered_communities(node: Jurisdiction) -> QuerySet[Jurisdiction]:
    if node.kind == Kind.COMMUNITY:
        return Jurisdiction.objects.filter(pk=node.pk)
    if node.kind == Kind.GRID:
        return Jurisdiction.objects.none()
    # A semi-join (hash of the covering districts' rows), not a join made distinct: a
    # province's 59,000 cover rows are read once instead of probed one by one.
    covers = Jurisdiction.covers.through.objects.filter(from_jurisdiction__path__within=node.path)
    return Jurisdiction.objects.filter(
        kind=Kind.COMMUNITY, pk__in=covers.values("to_jurisdiction_id")
    )


def node_dashboard(user: Any, node: Jurisdiction, period: Period, *,
                   today: dt.date | None = None) -> Dashboard:  # fmt: skip
    """Every figure of ``node``'s dashboard for ``period`` (the caller has checked the
    node with :func:`dashboard_node`)."""
    require(user, Capability.VIEW_AGGREGATES)
    today = today or timezone.localdate()
    current, previous, year_before = comparisons(period, today=today)
    facts = list(rollups.FACTS)
    me = node.pk
    now, before, last_year = (_totals([me], facts, s) for s in (current, previous, year_before))

    def figure(fact: str, category: str = "", status: str = "") -> Figure:
        return Figure(
            _count(now, me, fact, category, status),
            _count(before, me, fact, category, status),
            _count(last_year, me, fact, category, status),
            _query(node, current, fact, category, status),
        )

    tops = list(Category.objects.filter(parent__isnull=True).order_by("sort", "code"))
    by_category = [Labelled(c.code, category_label(c.name), figure("incident", c.code))
                   for c in tops]  # fmt: skip
    dispute_codes = sorted({cat for cat, _s, _n in now.get((me, "dispute"), ())})
    labels = dict(DisputeCategory.choices)
    dispute_categories = sorted(
        (Labelled(code, str(labels.get(code, code)), figure("dispute", code))
         for code in dispute_codes), key=lambda x: -x.figure.value,
    )  # fmt: skip
    kinds = dict(ClockKind.choices)
    clock_kinds = sorted({cat for cat, _s, _n in now.get((me, "clock"), ())})
    overdue_by_kind = {kind: n for (_node, kind), n in _overdue([me], current, today).items()}
    children, map_level = _children(node)
    communities = _covered_communities(node)
    covered = set(communities.order_by().values_list("pk", flat=True))
    zero_case = sorted(covered - _with_crime(covered, current))
    return Dashboard(
        node=node,
        period=period,
        span=current,
        ancestors=list(jurisdiction_selectors.ancestors(node)),
        incidents=figure("incident"),
        by_category=by_category,
        criminal=figure("incident", CRIMINAL),
        trend=_trend(me, period, today),
        daily=_daily(me, current) if period.kind == periods.MONTH else [],
        disputes=figure("dispute"),
        disputes_closed=figure("dispute", status="closed"),
        disputes_resolved=figure("dispute", status=DisputeStatus.RESOLVED),
        turned_criminal=figure("criminal"),
        dispute_categories=dispute_categories,
        surveys=figure("survey"),
        surveys_satisfied=figure("survey", status="satisfied_or_basic"),
        visits=figure("followup", "rated"),
        visits_satisfied=figure("followup", "satisfied_or_basic"),
        clocks_met=figure("clock", status="met"),
        clocks_late=[
            Labelled(k, str(kinds.get(k, k)), figure("clock", k, "late"))
            for k in clock_kinds
            if _count(now, me, "clock", k, "late")
        ],
        clocks_overdue=[
            Labelled(
                k,
                str(kinds.get(k, k)),
                Figure(n, query=_query(node, current, "clock", k, "overdue")),
            )
            for k, n in sorted(overdue_by_kind.items())
            if n
        ],
        zero_case=list(
            Jurisdiction.objects.filter(pk__in=zero_case[:ZERO_CASE_SHOWN]).order_by("path")
        ),
        zero_case_count=len(zero_case),
        communities=len(covered),
        children=_child_rows(children, map_level, current, today),
        map_level=map_level,
    )


def node_children(user: Any, node: Jurisdiction, period: Period, *,
                  today: dt.date | None = None) -> tuple[list[ChildRow], str]:  # fmt: skip
    """The breakdown rows of ``node``'s dashboard alone (for its map), and their level:
    ``police`` (children with dashboards of their own) or ``grid``."""
    require(user, Capability.VIEW_AGGREGATES)
    today = today or timezone.localdate()
    children, level = _children(node)
    return _child_rows(children, level, period_span(period, today=today), today), level


def _trend(node: int, period: Period, today: dt.date) -> list[TrendPoint]:
    """Incidents per month for the 12 months ending with the period, and a year before."""
    last = period.months[-1]
    first = _add_months(last, -11)
    rows = (
        Rollup.objects.filter(node_id=node, fact="incident", grain=Grain.MONTH,
                              day__gte=_add_months(first, -12), day__lte=last)
        .values_list("day").annotate(total=Sum("n"))
    )  # fmt: skip
    by_month = {day: total for day, total in rows}
    months = [_add_months(first, i) for i in range(12)]
    return [
        TrendPoint(m, by_month.get(m, 0), by_month.get(_add_months(m, -12), 0))
        for m in months if m <= today
    ]  # fmt: skip


def _daily(node: int, span: Span) -> list[tuple[dt.date, int]]:
    rows = (
        Rollup.objects.filter(node_id=node, fact="incident", grain=Grain.DAY,
                              day__gte=span.start, day__lt=span.end)
        .values_list("day").annotate(total=Sum("n"))
    )  # fmt: skip
    by_day = dict(rows)
    return [(span.start + dt.timedelta(days=i), by_day.get(span.start + dt.timedelta(days=i), 0))
            for i in range(span.days)]  # fmt: skip


def _overdue(nodes: list[int], span: Span, today: dt.date) -> dict[tuple[int, str], int]:
    """Clocks still running after a due day that has ended, per (node, clock kind): the
    span's rows before today."""
    end = min(span.end, today)
    if end <= span.start or not nodes:
        return {}
    rows = (
        Rollup.objects.filter(_span_filter(Span(span.start, end)), node_id__in=nodes,
                              fact="clock", status="running")
        .values_list("node_id", "category").annotate(total=Sum("n"))
    )  # fmt: skip
    return {(node, kind): total for node, kind, total in rows}


def _with_crime(communities: set[int], span: Span) -> set[int]:
    """Which of ``communities`` had a 刑事 incident in the span, from the ``crime_area``
    rows and their own partial index (its condition spelled as literals so that SQLite
    uses it too): a province's fifteen thousand communities cost one index range."""
    condition = "fact = 'crime_area' AND n > 0"
    found: set[int] = set()
    for part in _span_parts(span):  # one index range each (an OR would scan the index)
        crime = Rollup.objects.filter(part).extra(where=[condition])  # noqa: S610
        if len(communities) <= 500:
            crime = crime.filter(node_id__in=communities)
        found.update(crime.values_list("node_id", flat=True).distinct())
    return communities & found


def _child_rows(children: list[Jurisdiction], level: str, span: Span,
                today: dt.date) -> list[ChildRow]:  # fmt: skip
    if not children:
        return []
    ids = [c.pk for c in children]
    totals = _totals(ids, ["incident", "dispute", "clock"], span)
    overdue = _overdue(ids, span, today) if level == "police" else {}
    rows = []
    for child in children:
        late = _count(totals, child.pk, "clock", status="late")
        rows.append(ChildRow(
            node=child,
            incidents=Figure(_count(totals, child.pk, "incident"),
                             query=_query(child, span, "incident")),
            criminal=Figure(_count(totals, child.pk, "incident", CRIMINAL),
                            query=_query(child, span, "incident", CRIMINAL)),
            disputes=Figure(_count(totals, child.pk, "dispute"),
                            query=_query(child, span, "dispute")),
            breached=late + sum(n for (node, _k), n in overdue.items() if node == child.pk)
            if level == "police" else None,
            has_dashboard=level == "police",
        ))  # fmt: skip
    return rows


# --- the records behind a number -------------------------------------------------------


@dataclass(frozen=True)
class RecordQuery:
    """What a dashboard number counts: ``fact`` records of ``node`` on local days
    ``date_from``–``date_to`` with the category (a prefix for incident categories) and
    status given. Special statuses: ``closed`` (any closed dispute status),
    ``satisfied_or_basic``, ``overdue`` (a clock still running after its due day),
    ``breached`` (late or overdue); the special category ``none`` is an incident in no
    category at all."""

    node: Jurisdiction
    fact: str
    date_from: dt.date
    date_to: dt.date
    category: str = ""
    status: str = ""


def parse_record_query(user: Any, params: Any) -> RecordQuery:
    """A :class:`RecordQuery` from a dashboard link's parameters (404 when malformed or
    outside the user's scope)."""
    try:
        node = records_node(user, int(params.get("node", "")))
        fact = params.get("fact", "")
        if fact not in rollups.FACTS:
            raise ValueError(fact)
        date_from = dt.date.fromisoformat(params.get("from", ""))
        date_to = dt.date.fromisoformat(params.get("to", ""))
    except ValueError:
        raise Http404(_("这个链接不完整或已失效。")) from None
    return RecordQuery(node, fact, date_from, date_to, params.get("category", "")[:24],
                       params.get("status", "")[:24])  # fmt: skip


def _fact_filter(q: RecordQuery, today: dt.date) -> Q:
    fact = rollups.FACTS[q.fact]
    where = Q(r_day__gte=q.date_from, r_day__lte=q.date_to)
    if q.category == "none":
        where &= Q(r_cat="")
    elif q.category == "rated":
        where &= ~Q(r_cat="")
    elif q.category == "satisfied_or_basic":
        where &= Q(r_cat__in=SATISFIED)
    elif q.category:
        where &= Q(r_cat__startswith=q.category) if q.fact == "incident" else Q(r_cat=q.category)
    if q.status == "closed":
        where &= Q(r_st__in=CLOSED_STATUSES)
    elif q.status == "satisfied_or_basic":
        where &= Q(r_st__in=SATISFIED)
    elif q.status == "overdue":
        where &= Q(r_st="running", r_day__lt=today)
    elif q.status == "breached":  # 超时: late, or overdue
        where &= Q(r_st="late") | Q(r_st="running", r_day__lt=today)
    elif q.status:
        where &= Q(r_st=q.status)
    if q.node.kind in (Kind.GRID, Kind.COMMUNITY):
        if not fact.grid_field:  # not counted per grid: nothing behind such a link
            return Q(pk__in=[])
        grid = fact.grid_field
        where &= Q(**{grid: q.node.pk}) | Q(**{f"{grid}__parent": q.node.pk})
    else:
        where &= Q(**{f"{fact.unit_field}__path__within": q.node.path})
    return where


def records_behind(user: Any, q: RecordQuery, *, today: dt.date | None = None) -> QuerySet[Any]:
    """The incidents or disputes a dashboard number counts, through the domain's own
    scoped selector (so a record the user may not read is never listed). Each counted
    record is one row, except follow-up visits: a case visited twice is listed once."""
    from fengqiao.disputes.selectors import cases_for
    from fengqiao.incidents.selectors import incidents_for

    fact = rollups.FACTS[q.fact]
    counted = fact.rows().filter(_fact_filter(q, today or timezone.localdate()))
    ids = counted.values_list(fact.record_field, flat=True)
    if fact.record == "incident":
        return incidents_for(user=user).filter(pk__in=ids)
    return cases_for(user).filter(pk__in=ids).order_by("-registered_at", "-pk")


def count_behind(q: RecordQuery, *, today: dt.date | None = None) -> int:
    """How many fact records :func:`records_behind` stands for (a visit each, not a case)."""
    fact = rollups.FACTS[q.fact]
    return fact.rows().filter(_fact_filter(q, today or timezone.localdate())).count()
