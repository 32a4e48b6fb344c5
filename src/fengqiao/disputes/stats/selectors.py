"""矛盾纠纷统计: the figures a bureau is judged on, by unit, category, source, mediator,
track or month, and the monthly people's-mediation report (人民调解工作统计月报表).

**Whose cases.** The statistics of a period are about the cases *taken in* during it
(登记时间 in the period, local Asia/Shanghai calendar days, both ends included), each
counted in the state it is in when the statistics are made. So every figure links to
the case list of the same cases, and a month's report regenerated later changes only
as its cases move on (a case still open closes, a resolved case is reopened).

**Definitions** (each one is stated on the page and under the report):

* 受理 taken in — cases registered in the period.
* 化解 resolved — status ``resolved`` (已化解): an agreement was reached and the case was
  closed as resolved. A case at ``agreed`` (已达成协议) is not yet resolved: it is still
  open until its agreement is performed and the case is closed.
* 结案 closed — any closed status (:data:`~fengqiao.disputes.models.CLOSED_STATUSES`:
  resolved, failed, back to the penalty procedure, refused, referred, withdrawn).
* 在办 still open — not closed; 超期 overdue open — being mediated (its clock running)
  and past its deadline (``due_at``). A case not yet accepted has no deadline, a
  suspended one's clock stands still and an agreed one has finished mediating: none of
  them is overdue.
* 化解率 resolution rate = resolved / (taken in − open within the time limit)
  = resolved / (closed + overdue open). A case still being mediated within its time
  limit is not yet a success or a failure, so it stays out of the denominator; an
  overdue one counts against the rate.
* 调解率 mediation rate = cases mediated (accepted at least once: ``accepted_at`` set)
  / taken in.
* 平均化解天数 average days to resolve = mean of ``closed_at − registered_at`` over the
  resolved cases, in days, one decimal.
* 回访满意率 follow-up satisfaction = visits rated 满意 or 基本满意 / visits with a
  satisfaction recorded (visits to the period's cases).
* 防止民转刑 N件M人 — N: resolved cases that were high-risk (risk level ``high`` when they
  closed, a warning notice was raised on them at some time, or the officer recorded
  people kept from turning criminal, ``prevented_people`` > 0); M: for each such case the
  ``prevented_people`` recorded, or when none was recorded, the number of natural-person
  parties.
* 民转刑 turned criminal — cases marked ``turned_criminal``.
* 重复纠纷率 repeat rate = cases whose parties share a strong party key (ID number,
  credit code or phone; a bare name is too weak) with a case registered earlier / taken in.

Rates are percentages with one decimal, rounded half up; ``None`` (shown "—") when the
denominator is zero.

**Cost.** Every figure comes from aggregate queries (``GROUP BY`` the grouping key) over
the ``dispute_scope_time`` index range of the unit's subtree; only grouped rows reach
Python. Units are summed from their sub-units' rows (a handful of rows per unit), so the
number of queries does not grow with the number of groups or cases (four or five).

**Who.** Readers need ``VIEW_AGGREGATES`` over a unit of their subtree. Analysts get the
numbers and nothing that names a person: mediator rows are then numbered, not named.
"""

from __future__ import annotations

import calendar
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import (
    Case,
    Count,
    DateField,
    DurationField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.accounts.selectors import SCOPE_AS_ID_LIST
from fengqiao.core.exports import safe_cell
from fengqiao.core.roles import Capability, require
from fengqiao.disputes.models import (
    CLOSED_STATUSES,
    Assignment,
    Category,
    DisputeCase,
    FollowUp,
    Mediator,
    MediatorKind,
    Party,
    PartyKey,
    PartyKind,
    RiskLevel,
    Satisfaction,
    Source,
    Status,
    Track,
    WarningNotice,
)
from fengqiao.disputes.parties import KEY_NAME
from fengqiao.jurisdictions.models import Jurisdiction

MAX_DAYS = 366 * 5  # a longer range is a data dump, not a statistic
PERCENT = Decimal("0.1")
SATISFIED = (Satisfaction.SATISFIED, Satisfaction.BASIC)

# How the rates are defined, shown on the page and under the report.
DEFINITIONS = (
    gettext_lazy(
        "统计对象：登记时间在统计期间内的纠纷（北京时间，含起止日），按统计时的状态计数。"
    ),
    gettext_lazy("化解：状态为“已化解”（达成协议并以化解结案）；“已达成协议”尚未结案的不计入。"),
    gettext_lazy(
        "化解率 = 化解数 ÷（受理数 − 期限内在办数）= 化解数 ÷（结案数 + 超期在办数）。"
        "期限内仍在调解的纠纷尚无结果，不计入分母；超期未结的计入分母。"
    ),
    gettext_lazy("调解率 = 进入调解（曾被受理）的纠纷数 ÷ 受理数。"),
    gettext_lazy("平均化解天数：已化解纠纷从登记到结案的平均天数。"),
    gettext_lazy("回访满意率 =（满意 + 基本满意）÷ 记录了满意度的回访次数。"),
    gettext_lazy(
        "防止民转刑N件M人：已化解且曾为高风险（结案时风险等级为高、曾发出预警，或登记了防止民转刑人数）"
        "的纠纷件数；人数取登记的防止民转刑人数，未登记的按自然人当事人人数计。"
    ),
    gettext_lazy(
        "重复纠纷率 = 当事人（身份证号、信用代码或手机号）此前已有纠纷登记的纠纷数 ÷ 受理数。"
    ),
)


class GroupBy(models.TextChoices):
    JURISDICTION = "jurisdiction", gettext_lazy("下级单位")
    CATEGORY = "category", gettext_lazy("纠纷类别")
    SOURCE = "source", gettext_lazy("来源")
    MEDIATOR = "mediator", gettext_lazy("主调解员")
    TRACK = "track", gettext_lazy("调解类型")
    MONTH = "month", gettext_lazy("登记月份")


def percent(part: int, whole: int) -> Decimal | None:
    """``part / whole`` as a percentage with one decimal, rounded half up."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(PERCENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figures:
    """The additive counts of one group (they sum from sub-units to a unit and to the
    total); the rates are derived from them, so a total's rate is never an average of
    rates."""

    taken_in: int = 0
    resolved: int = 0
    closed: int = 0
    open: int = 0
    overdue: int = 0
    mediated: int = 0
    resolve_days_total: Decimal = Decimal(0)  # summed over the resolved cases
    amount: Decimal = Decimal(0)
    prevented_cases: int = 0
    prevented_people: int = 0
    turned_criminal: int = 0
    repeats: int = 0
    visits: int = 0  # follow-up visits done
    rated: int = 0  # visits with a satisfaction recorded
    satisfied: int = 0  # of which 满意 or 基本满意

    def __add__(self, other: Figures) -> Figures:
        return Figures(**{f.name: getattr(self, f.name) + getattr(other, f.name)
                          for f in fields(self)})  # fmt: skip

    @property
    def open_in_time(self) -> int:
        return self.open - self.overdue

    @property
    def due(self) -> int:
        """The resolution rate's denominator: closed + overdue open."""
        return self.closed + self.overdue

    @property
    def resolution_rate(self) -> Decimal | None:
        """化解率 = resolved / (closed + overdue open)."""
        return percent(self.resolved, self.due)

    @property
    def mediation_rate(self) -> Decimal | None:
        """调解率 = accepted at least once / taken in."""
        return percent(self.mediated, self.taken_in)

    @property
    def average_days(self) -> Decimal | None:
        if not self.resolved:
            return None
        return (self.resolve_days_total / self.resolved).quantize(PERCENT, ROUND_HALF_UP)

    @property
    def satisfaction_rate(self) -> Decimal | None:
        return percent(self.satisfied, self.rated)

    @property
    def repeat_rate(self) -> Decimal | None:
        return percent(self.repeats, self.taken_in)


@dataclass(frozen=True)
class Row:
    """One group. ``filters`` are the case-list parameters that select exactly the
    row's cases (together with the period and the unit); ``None`` when the list cannot
    (the node's own cases, apart from its sub-units')."""

    key: str
    label: str
    figures: Figures
    filters: dict[str, str] | None = field(default_factory=dict)


@dataclass(frozen=True)
class Statistics:
    node: Jurisdiction
    date_from: dt.date
    date_to: dt.date
    group_by: str
    generated_at: dt.datetime
    rows: list[Row]
    total: Figures
    names_shown: bool  # mediator names (readers with VIEW_RECORDS only)

    @property
    def period_filters(self) -> dict[str, str]:
        """The case-list parameters of every case counted: the unit and the period."""
        return {
            "unit": str(self.node.pk),
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
        }


# --- scope and period ------------------------------------------------------------------


def day_start(day: dt.date) -> dt.datetime:
    """Midnight of a local calendar day, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and the last day of ``month``'s calendar month."""
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def may_read_statistics(user: Any) -> bool:
    return bool(user.is_active and user.can(Capability.VIEW_AGGREGATES))


def _node_in_scope(user: Any, node: Jurisdiction | None) -> Jurisdiction:
    require(user, Capability.VIEW_AGGREGATES)
    scope: Jurisdiction | None = user.jurisdiction if user.is_active else None
    node = node or scope
    if scope is None or node is None or not scope.contains(node):
        raise PermissionDenied(_("该单位不在您的辖区内。"))
    return node


def _check_period(date_from: dt.date, date_to: dt.date) -> None:
    if date_from > date_to:
        raise ValidationError({"date_to": _("结束日期不能早于开始日期。")})
    if (date_to - date_from).days >= MAX_DAYS:
        raise ValidationError({"date_to": _("统计期间不能超过5年。")})


def _cohort(node: Jurisdiction, date_from: dt.date, date_to: dt.date) -> QuerySet[DisputeCase]:
    """The cases taken in by the node's subtree in the period. A station's or a bureau's
    subtree is a short id list, which walks the ``dispute_scope_time`` index directly;
    a province's is too long to list, so there it joins on the materialised path (as
    :func:`fengqiao.accounts.selectors.scoped` does)."""
    ids = list(
        Jurisdiction.objects.filter(path__within=node.path).values_list("id", flat=True)[
            : SCOPE_AS_ID_LIST + 1
        ]
    )
    scope = (
        Q(jurisdiction_id__in=ids)
        if len(ids) <= SCOPE_AS_ID_LIST
        else Q(jurisdiction__path__within=node.path)
    )
    period = Q(registered_at__gte=day_start(date_from),
               registered_at__lt=day_start(date_to + dt.timedelta(days=1)))  # fmt: skip
    return DisputeCase.objects.filter(scope, period).order_by()


# --- the grouped queries ----------------------------------------------------------------


def _lead_mediator(case_ref: str) -> Subquery:
    """The case's lead mediator: the lead assigned last (the current one, or once the
    case is over, the last one), so each case counts for exactly one mediator."""
    return Subquery(
        Assignment.objects.filter(case_id=OuterRef(case_ref), lead=True)
        .order_by("-pk")
        .values("mediator_id")[:1]
    )


def _key(group_by: str, prefix: str = "") -> Any:
    """The grouping expression on the case (``prefix`` reaches it from a related row)."""
    if group_by == GroupBy.JURISDICTION:
        return F(f"{prefix}jurisdiction__path")
    if group_by == GroupBy.MEDIATOR:
        return _lead_mediator(f"{prefix}pk")
    if group_by == GroupBy.MONTH:
        return TruncMonth(f"{prefix}registered_at", output_field=DateField())
    return F(f"{prefix}{group_by}")


def _case_counts(cases: QuerySet[DisputeCase], group_by: str) -> dict[Any, Figures]:
    """Every case figure per group, in one ``GROUP BY`` query."""
    now = timezone.now()
    closed = Q(status__in=CLOSED_STATUSES)
    resolved = Q(status=Status.RESOLVED)
    overdue = Q(status=Status.ACCEPTED, due_at__lt=now)
    warned = Exists(WarningNotice.objects.filter(case_id=OuterRef("pk")))
    prevented = resolved & (Q(risk_level=RiskLevel.HIGH) | Q(prevented_people__gt=0) | Q(warned))
    people = Coalesce(
        Subquery(
            Party.objects.filter(case_id=OuterRef("pk"), kind=PartyKind.PERSON)
            .order_by()
            .values("case_id")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        0,
    )
    # An earlier case sharing one of this case's strong keys (names are too weak).
    earlier = PartyKey.objects.filter(
        key=OuterRef("key"), case__registered_at__lt=OuterRef(OuterRef("registered_at"))
    )
    repeat = Exists(
        PartyKey.objects.filter(case_id=OuterRef("pk"))
        .exclude(key__startswith=f"{KEY_NAME}:")
        .filter(Exists(earlier))
    )
    rows = (
        cases.annotate(group=_key(group_by))
        .values("group")
        .annotate(
            taken_in=Count("pk"),
            resolved=Count("pk", filter=resolved),
            closed=Count("pk", filter=closed),
            overdue=Count("pk", filter=overdue),
            mediated=Count("pk", filter=Q(accepted_at__isnull=False)),
            resolve_time=Sum(
                F("closed_at") - F("registered_at"),
                filter=resolved & Q(closed_at__isnull=False),
                output_field=DurationField(),
            ),
            amount=Sum("amount"),
            prevented_cases=Count("pk", filter=prevented),
            prevented_people=Sum(
                Case(
                    When(prevented & Q(prevented_people__gt=0), then=F("prevented_people")),
                    When(prevented, then=people),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            ),
            turned_criminal=Count("pk", filter=Q(turned_criminal=True)),
            repeats=Count("pk", filter=Q(repeat)),
        )
        .order_by()
    )
    found: dict[Any, Figures] = {}
    for row in rows:
        spent = row["resolve_time"] or dt.timedelta(0)
        seconds = Decimal(spent.days * 86400 + spent.seconds) + Decimal(spent.microseconds) / 10**6
        found[row["group"]] = Figures(
            taken_in=row["taken_in"],
            resolved=row["resolved"],
            closed=row["closed"],
            open=row["taken_in"] - row["closed"],
            overdue=row["overdue"],
            mediated=row["mediated"],
            resolve_days_total=seconds / 86400,
            amount=row["amount"] or Decimal(0),
            prevented_cases=row["prevented_cases"],
            prevented_people=row["prevented_people"] or 0,
            turned_criminal=row["turned_criminal"],
            repeats=row["repeats"],
        )
    return found


def _visit_counts(cases: QuerySet[DisputeCase], group_by: str) -> dict[Any, Figures]:
    """Follow-up visits to the cases, per group of their case, in one query."""
    rows = (
        FollowUp.objects.filter(case__in=cases.values("pk"))
        .annotate(group=_key(group_by, "case__"))
        .values("group")
        .annotate(
            visits=Count("pk", filter=Q(done_at__isnull=False)),
            rated=Count("pk", filter=~Q(satisfaction="")),
            satisfied=Count("pk", filter=Q(satisfaction__in=SATISFIED)),
        )
        .order_by()
    )
    return {
        row["group"]: Figures(visits=row["visits"], rated=row["rated"], satisfied=row["satisfied"])
        for row in rows
    }


def _grouped(cases: QuerySet[DisputeCase], group_by: str) -> dict[Any, Figures]:
    counts = _case_counts(cases, group_by)
    for group, visits in _visit_counts(cases, group_by).items():
        counts[group] = counts.get(group, Figures()) + visits
    return counts


# --- rows per grouping --------------------------------------------------------------------


def _child_of(node: Jurisdiction, path: str) -> int | None:
    """The id of the node's child on ``path`` (``None``: the node itself)."""
    rest = path[len(node.path) :].strip("/")
    return int(rest.split("/")[0]) if rest else None


def _units(node: Jurisdiction, counts: dict[Any, Figures]) -> list[Row]:
    """The node's children (all of them, those without cases too), then the node's own
    cases if it has any."""
    folded: dict[int | None, Figures] = {}
    for path, figures in counts.items():
        child = _child_of(node, path)
        folded[child] = folded.get(child, Figures()) + figures
    # Kind, official code, then the order they were set up: a name sorts by code point,
    # which means nothing in Chinese.
    children = Jurisdiction.objects.filter(parent=node).order_by("kind", "code", "pk")
    rows = [Row(str(child.pk), child.name, folded.get(child.pk, Figures()),
                {"unit": str(child.pk)}) for child in children]  # fmt: skip
    if None in folded:
        own = _("%(unit)s（本级）") % {"unit": node.name}
        rows.append(Row(str(node.pk), own, folded[None], None))
    return rows


def _choices(name: str, choices: Any, counts: dict[Any, Figures]) -> list[Row]:
    """Every choice in its own order, zero rows included; retired values after."""
    rows = [Row(value, str(label), counts.pop(value, Figures()), {name: value})
            for value, label in choices]  # fmt: skip
    retired = sorted(counts.items(), key=lambda item: str(item[0]))
    rows += [Row(str(value), str(value), figures, {name: str(value)})
             for value, figures in retired]  # fmt: skip
    return rows


def _months(date_from: dt.date, date_to: dt.date, counts: dict[Any, Figures]) -> list[Row]:
    rows = []
    month = date_from.replace(day=1)
    while month <= date_to:
        first, last = month_bounds(month)
        start, end = max(first, date_from), min(last, date_to)
        label = _("%(year)d年%(month)d月") % {"year": month.year, "month": month.month}
        figures = counts.get(month, Figures())
        rows.append(Row(month.strftime("%Y-%m"), label, figures,
                        {"date_from": start.isoformat(), "date_to": end.isoformat()}))  # fmt: skip
        month = last + dt.timedelta(days=1)
    return rows


def _mediators(counts: dict[Any, Figures], *, names: bool) -> list[Row]:
    """Mediators with cases, most cases first; cases without a lead mediator last. Without
    the right to read records a mediator is numbered, not named."""
    found = {m["pk"]: m for m in Mediator.objects.filter(pk__in=[k for k in counts if k])
             .values("pk", "name", "kind")}  # fmt: skip
    ordered = sorted(
        (k for k in counts if k in found),
        key=lambda k: (-counts[k].taken_in, found[k]["name"] if names else k),
    )
    rows = []
    for index, pk in enumerate(ordered, start=1):
        kind = found[pk]["kind"]
        kind = str(MediatorKind(kind).label) if kind in MediatorKind.values else ""
        name = found[pk]["name"] if names else _("调解员%(n)d") % {"n": index}
        label = f"{name}（{kind}）" if kind else name
        # No link: the case list's mediator filter takes every case he was ever assigned
        # to (also as co-mediator), while a row counts the cases he last led.
        rows.append(Row(str(pk), label, counts[pk], None))
    missing = [figures for key, figures in counts.items() if key not in found]
    if missing:
        rows.append(Row("", _("未指派调解员"), sum(missing, Figures()), None))
    return rows


def dispute_statistics(
    user: Any,
    *,
    node: Jurisdiction | None = None,
    date_from: dt.date,
    date_to: dt.date,
    group_by: str,
) -> Statistics:
    """矛盾纠纷统计 of ``node``'s subtree (by default the user's unit) for the cases
    registered from ``date_from`` to ``date_to`` (local days, inclusive), grouped by
    ``group_by`` (:class:`GroupBy`): sub-units of the node, category, source, lead
    mediator, track or registration month.

    Measures and their definitions: see the module docstring (化解率 = resolved /
    (closed + overdue open)). Needs ``VIEW_AGGREGATES`` and the node inside the user's
    scope (PermissionDenied otherwise); mediator names only for readers with
    ``VIEW_RECORDS``. A bounded number of aggregate queries, whatever the volume."""
    node = _node_in_scope(user, node)
    if group_by not in GroupBy.values:
        raise ValidationError({"group_by": _("未知的统计口径。")})
    _check_period(date_from, date_to)
    names = bool(user.can(Capability.VIEW_RECORDS))
    counts = _grouped(_cohort(node, date_from, date_to), group_by)
    total = sum(counts.values(), Figures())
    if group_by == GroupBy.JURISDICTION:
        rows = _units(node, counts)
    elif group_by == GroupBy.CATEGORY:
        rows = _choices("category", Category.choices, counts)
    elif group_by == GroupBy.SOURCE:
        rows = _choices("source", Source.choices, counts)
    elif group_by == GroupBy.TRACK:
        rows = _choices("track", Track.choices, counts)
    elif group_by == GroupBy.MONTH:
        rows = _months(date_from, date_to, counts)
    else:
        rows = _mediators(counts, names=names)
    return Statistics(
        node=node, date_from=date_from, date_to=date_to, group_by=group_by,
        generated_at=timezone.now(), rows=rows, total=total, names_shown=names,
    )  # fmt: skip


# --- the monthly report -------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    label: str
    figures: Figures
    categories: dict[str, int]  # taken in, per category value


@dataclass(frozen=True)
class MonthlyReport:
    """人民调解工作统计月报表 of a unit: one row per sub-unit and a total, the intake
    broken down by the 14 statistics categories."""

    node: Jurisdiction
    month: dt.date  # the first day
    generated_at: dt.datetime
    rows: list[ReportRow]
    total: ReportRow

    @property
    def last_day(self) -> dt.date:
        return month_bounds(self.month)[1]


def monthly_report(user: Any, *, node: Jurisdiction | None = None, month: dt.date) -> MonthlyReport:
    """人民调解工作统计月报表 of ``node`` (by default the user's unit) for the calendar
    month of ``month``: the same figures as :func:`dispute_statistics` grouped by
    sub-unit over that month, plus the intake per category (one more grouped query)."""
    first, last = month_bounds(month)
    stats = dispute_statistics(
        user, node=node, date_from=first, date_to=last, group_by=GroupBy.JURISDICTION
    )
    by_category = (
        _cohort(stats.node, first, last)
        .values("jurisdiction__path", "category")
        .annotate(n=Count("pk"))
        .order_by()
    )
    categories: dict[str, dict[str, int]] = {}
    for row in by_category:
        child = _child_of(stats.node, row["jurisdiction__path"])
        unit = categories.setdefault(str(child or stats.node.pk), {})
        unit[row["category"]] = unit.get(row["category"], 0) + row["n"]
    rows = [ReportRow(row.label, row.figures, categories.get(row.key, {})) for row in stats.rows]
    totals: dict[str, int] = {}
    for unit in categories.values():
        for value, n in unit.items():
            totals[value] = totals.get(value, 0) + n
    return MonthlyReport(
        node=stats.node, month=first, generated_at=stats.generated_at, rows=rows,
        total=ReportRow(_("合计"), stats.total, totals),
    )  # fmt: skip


def report_title(report: MonthlyReport) -> str:
    return _("%(unit)s 人民调解工作统计月报表（%(year)d年%(month)d月）") % {
        "unit": report.node.name, "year": report.month.year, "month": report.month.month,
    }  # fmt: skip


def report_filename(report: MonthlyReport) -> str:
    # ASCII only: a header value with Chinese needs RFC 5987 and some browsers mangle it.
    return f"mediation-report-{report.node.pk}-{report.month:%Y-%m}.xlsx"


def _number(value: Decimal | None) -> float | str:
    return float(value) if value is not None else "—"


def monthly_report_xlsx(report: MonthlyReport) -> bytes:
    """The report as an .xlsx in the layout of the monthly 人民调解工作统计月报表: a
    title row, a line with the unit and the period, a two-row header with merged
    groups, one row per unit and the total, the definitions underneath; panes frozen
    below the header and right of the unit column. Every text cell goes through
    :func:`~fengqiao.core.exports.safe_cell` (a unit named ``=…`` stays text)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.worksheets[0]
    sheet.title = f"{report.month:%Y-%m}"
    categories = list(Category)
    # Columns: unit | taken in: total + 14 categories | resolved | rate | amount |
    # prevented cases, people | visits | satisfaction
    first_category = 3
    after = first_category + len(categories)
    singles = {
        1: _("单位"),
        after: _("调解成功数"),
        after + 1: _("化解率（%）"),
        after + 2: _("涉及金额（元）"),
        after + 5: _("回访数"),
        after + 6: _("满意率（%）"),
    }
    width = after + 6
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    head_fill = PatternFill("solid", fgColor="EEF2F7")

    sheet.cell(row=1, column=1, value=safe_cell(_("人民调解工作统计月报表")))
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    sheet.cell(row=1, column=1).font = Font(size=16, bold=True)
    sheet.cell(row=1, column=1).alignment = centre
    period = _("填报单位：%(unit)s　　统计期间：%(first)s 至 %(last)s　　生成时间：%(at)s") % {
        "unit": report.node.name, "first": report.month.isoformat(),
        "last": report.last_day.isoformat(),
        "at": timezone.localtime(report.generated_at).strftime("%Y-%m-%d %H:%M"),
    }  # fmt: skip
    sheet.cell(row=2, column=1, value=safe_cell(period))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)

    for column, text in singles.items():
        sheet.cell(row=3, column=column, value=safe_cell(text))
        sheet.merge_cells(start_row=3, start_column=column, end_row=4, end_column=column)
    sheet.cell(row=3, column=2, value=safe_cell(_("受理纠纷数")))
    sheet.merge_cells(start_row=3, start_column=2, end_row=3, end_column=after - 1)
    sheet.cell(row=4, column=2, value=safe_cell(_("合计")))
    for index, choice in enumerate(categories):
        sheet.cell(row=4, column=first_category + index, value=safe_cell(str(choice.label)))
    sheet.cell(row=3, column=after + 3, value=safe_cell(_("防止民转刑")))
    sheet.merge_cells(start_row=3, start_column=after + 3, end_row=3, end_column=after + 4)
    sheet.cell(row=4, column=after + 3, value=safe_cell(_("件")))
    sheet.cell(row=4, column=after + 4, value=safe_cell(_("人")))
    for row in (3, 4):
        for column in range(1, width + 1):
            cell = sheet.cell(row=row, column=column)
            cell.alignment, cell.border, cell.fill = centre, box, head_fill
            cell.font = Font(bold=True)

    def line(item: ReportRow) -> list[object]:
        f = item.figures
        return [
            safe_cell(item.label), f.taken_in,
            *(item.categories.get(choice.value, 0) for choice in categories),
            f.resolved, _number(f.resolution_rate), float(f.amount),
            f.prevented_cases, f.prevented_people, f.visits, _number(f.satisfaction_rate),
        ]  # fmt: skip

    row_number = 5
    for item in [*report.rows, report.total]:
        for column, value in enumerate(line(item), start=1):
            cell = sheet.cell(row=row_number, column=column, value=value)
            cell.border = box
            if column == after + 1 or column == after + 6:
                cell.number_format = "0.0"
            elif column == after + 2:
                cell.number_format = "#,##0.00"
            if item is report.total:
                cell.font = Font(bold=True)
        row_number += 1
    row_number += 1
    for note in DEFINITIONS:
        sheet.cell(row=row_number, column=1, value=safe_cell(str(note)))
        sheet.merge_cells(start_row=row_number, start_column=1, end_row=row_number,
                          end_column=width)  # fmt: skip
        row_number += 1

    sheet.freeze_panes = "B5"
    sheet.column_dimensions["A"].width = 24
    for column in range(2, width + 1):
        sheet.column_dimensions[get_column_letter(column)].width = 9
    sheet.column_dimensions[get_column_letter(after + 2)].width = 14
    sheet.row_dimensions[4].height = 32
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- the grouped table as a download -------------------------------------------------------


def table_headers() -> list[str]:
    return [
        _("分组"), _("受理"), _("化解"), _("结案"), _("在办"), _("超期在办"), _("化解率（%）"),
        _("调解率（%）"), _("平均化解天数"), _("回访满意率（%）"), _("防止民转刑（件）"),
        _("防止民转刑（人）"), _("民转刑"), _("重复纠纷率（%）"),
    ]  # fmt: skip


def table_rows(stats: Statistics) -> Iterable[list[object]]:
    """The page's table as plain values (rates as numbers, blank when undefined), the
    total last; for the CSV and .xlsx downloads, which neutralise formulas themselves."""
    labelled: list[tuple[str, Figures]] = [(row.label, row.figures) for row in stats.rows]
    for label, f in [*labelled, (str(_("合计")), stats.total)]:
        yield [
            label, f.taken_in, f.resolved, f.closed, f.open, f.overdue,
            *(float(v) if v is not None else "" for v in
              (f.resolution_rate, f.mediation_rate, f.average_days, f.satisfaction_rate)),
            f.prevented_cases, f.prevented_people, f.turned_criminal,
            float(f.repeat_rate) if f.repeat_rate is not None else "",
        ]  # fmt: skip


__all__ = [
    "DEFINITIONS",
    "Figures",
    "GroupBy",
    "MonthlyReport",
    "ReportRow",
    "Row",
    "Statistics",
    "dispute_statistics",
    "may_read_statistics",
    "month_bounds",
    "monthly_report",
    "monthly_report_xlsx",
    "percent",
    "report_filename",
    "report_title",
    "table_headers",
    "table_rows",
]
