"""每日研判: the command room's morning brief of one unit and one local day.

What the Jincheng command room reads every morning: the day's incidents by category, grid
and source against the day before and the same weekday a week earlier; the addresses
that keep calling; the clocks about to breach; the open whistles; the disputes sent to
mediation. The brief read on the morning of the 23rd reports the 22nd, a local
(Asia/Shanghai) calendar day.

Built for a database of millions of incidents: every figure is an aggregate query over
one index range — incidents of the unit's subtree by ``received_at``
(``incident_scope_time``), running clocks by ``due_at`` (the partial ``deadline_running``
index) — and only grouped rows and a few short lists reach Python, so the brief costs a
bounded number of queries whatever the volume (about a dozen).

"New disputes" counts the day's incidents handed to dispute mediation (转调解的纠纷警情);
real dispute cases will be added here when the disputes app lands.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, replace
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.selectors import SCOPE_AS_ID_LIST
from fengqiao.core.roles import Capability
from fengqiao.incidents import selectors, taxonomy
from fengqiao.incidents.models import (
    OPEN_WHISTLES,
    Category,
    Deadline,
    Incident,
    IncidentEvent,
    Source,
    Status,
    Validity,
    WhistleRequest,
    WhistleStatus,
)
from fengqiao.jurisdictions.models import Jurisdiction

REPEAT_DAYS = 30  # an address that called this often in these many days is a "repeat"
REPEAT_MINIMUM = 2
REPEAT_LIST_LIMIT = 50
CLOCK_HORIZON = dt.timedelta(hours=12)  # clocks due this soon after the brief is made
URGENT_CLOCK_LIMIT = 20
WHISTLE_LIST_LIMIT = 10
DISPUTE_CATEGORY = "05"  # 纠纷


@dataclass(frozen=True)
class CategoryRow:
    """Incidents of one category on the day, the day before and a week before; a top
    level carries its sub-types (only those that occurred in one of the three days)."""

    code: str
    name: str
    count: int
    previous_day: int
    last_week: int
    children: tuple[CategoryRow, ...] = ()


@dataclass(frozen=True)
class GridRow:
    grid_id: int | None  # None: the incident has no address in a grid (未落地到网格)
    name: str
    count: int


@dataclass(frozen=True)
class SourceRow:
    source: str
    label: str
    count: int


@dataclass(frozen=True)
class RepeatAddress:
    address_id: int
    code: str
    text: str
    calls: int  # within the REPEAT_DAYS ending with the day
    last_at: dt.datetime


@dataclass(frozen=True)
class RuleClocks:
    """Running clocks of one rule: breached, and due within the horizon but not yet."""

    rule_id: int
    name: str
    breached: int
    due_soon: int


@dataclass(frozen=True)
class UrgentClock:
    incident_id: int
    tracking_code: str
    rule: str
    due_at: dt.datetime
    remaining: dt.timedelta  # negative once breached

    @property
    def overdue(self) -> bool:
        return self.remaining <= dt.timedelta(0)


@dataclass(frozen=True)
class OpenWhistle:
    whistle_id: int
    code: str
    title: str
    raised_by: str
    to_unit: str
    status: str
    status_label: str
    due_at: dt.datetime
    overdue: bool


@dataclass(frozen=True)
class Brief:
    """The morning brief. The lists that name records (addresses, tracking codes,
    whistles) are ``None`` when the reader may see aggregates only (analysts): the
    counts beside them are always filled."""

    unit: Jurisdiction
    day: dt.date
    generated_at: dt.datetime
    records_shown: bool
    total: int
    valid: int
    invalid: int
    previous_day_total: int
    last_week_total: int
    categories: list[CategoryRow]
    uncategorised: CategoryRow
    grids: list[GridRow]
    sources: list[SourceRow]
    dispute_incidents: int  # 转调解的纠纷警情
    repeat_address_count: int
    clocks_breached: int
    clocks_due_soon: int
    clocks_by_rule: list[RuleClocks]
    whistles_open: int
    whistles_overdue: int
    repeat_addresses: list[RepeatAddress] | None = None
    urgent_clocks: list[UrgentClock] | None = None
    whistles: list[OpenWhistle] | None = None
    # 审计链检查点: the last signed checkpoint of the audit chain, printed at the foot so a
    # copy of it exists on paper, outside the server (see audit/checkpoints.py).
    audit_checkpoint: str = ""

    @property
    def previous_day(self) -> dt.date:
        return self.day - dt.timedelta(days=1)

    @property
    def last_week_day(self) -> dt.date:
        return self.day - dt.timedelta(days=7)

    @property
    def change_from_previous_day(self) -> int:
        return self.total - self.previous_day_total

    @property
    def change_from_last_week(self) -> int:
        return self.total - self.last_week_total

    @property
    def clock_horizon_hours(self) -> int:
        return int(CLOCK_HORIZON.total_seconds() // 3600)


def default_day(now: dt.datetime | None = None) -> dt.date:
    """The day a brief reports on by default: yesterday, local time."""
    return timezone.localdate(now) - dt.timedelta(days=1)


def may_read_brief(user: Any) -> bool:
    return bool(user.can(Capability.VIEW_AGGREGATES) or user.can(Capability.VIEW_RECORDS))


def morning_brief(*, user: Any, day: dt.date, unit: Jurisdiction | None = None) -> Brief:
    """每日研判 of ``unit`` (by default the user's own) for the local calendar day ``day``.

    Readers need VIEW_AGGREGATES or VIEW_RECORDS; the unit must lie in the reader's scope
    (PermissionDenied otherwise). Without VIEW_RECORDS the brief holds counts only."""
    if not may_read_brief(user):
        raise PermissionDenied(Capability.VIEW_AGGREGATES.label)
    scope: Jurisdiction | None = user.jurisdiction if user.is_active else None
    unit = unit or scope
    if scope is None or unit is None or not scope.contains(unit):
        raise PermissionDenied(_("该单位不在您的辖区内。"))
    records = bool(user.can(Capability.VIEW_RECORDS))
    now = timezone.now()
    reach = _Reach(unit)

    start = selectors.local_day_start(day)
    end = selectors.local_day_start(day + dt.timedelta(days=1))
    the_day = Q(received_at__gte=start, received_at__lt=end)
    incidents = Incident.objects.filter(reach.q("jurisdiction")).order_by()
    todays = incidents.filter(the_day)

    days = _by_category(incidents, day)
    repeats: list[dict[str, Any]] | None = None
    if records:  # one grouped query gives the list and, by its length, the count
        repeats = selectors.repeat_addresses(
            user=user, day=day, days=REPEAT_DAYS, minimum=REPEAT_MINIMUM, unit=unit
        )
        repeat_count = len(repeats)
    else:
        repeat_start = selectors.local_day_start(day - dt.timedelta(days=REPEAT_DAYS - 1))
        repeat_count = (
            incidents.filter(
                address__isnull=False, received_at__gte=repeat_start, received_at__lt=end
            )
            .values("address_id")
            .annotate(calls=Count("pk"))
            .filter(calls__gte=REPEAT_MINIMUM)
            .count()
        )
    clocks = Deadline.objects.filter(
        reach.q("jurisdiction"), met_at__isnull=True, due_at__lt=now + CLOCK_HORIZON
    ).order_by()
    by_rule = _clocks_by_rule(clocks, now)
    whistles = WhistleRequest.objects.filter(
        reach.q("raised_by_unit") | reach.q("to_unit"), status__in=OPEN_WHISTLES
    ).order_by()
    whistle_counts = whistles.aggregate(
        open=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now))
    )

    brief = Brief(
        unit=unit,
        day=day,
        generated_at=now,
        records_shown=records,
        total=days.total,
        valid=days.total - days.invalid,
        invalid=days.invalid,
        previous_day_total=days.previous_total,
        last_week_total=days.last_week_total,
        categories=days.rows,
        uncategorised=days.uncategorised,
        grids=_by_grid(todays),
        sources=_by_source(todays),
        dispute_incidents=days.disputes,
        repeat_address_count=repeat_count,
        clocks_breached=sum(rule.breached for rule in by_rule),
        clocks_due_soon=sum(rule.due_soon for rule in by_rule),
        clocks_by_rule=by_rule,
        whistles_open=whistle_counts["open"] or 0,
        whistles_overdue=whistle_counts["overdue"] or 0,
        audit_checkpoint=audit_checkpoint_line(),
    )
    if repeats is None:
        return brief
    return _with_lists(brief, repeats=repeats, clocks=clocks, whistles=whistles, now=now)


def audit_checkpoint_line() -> str:
    """ "审计链检查点：#12 9f3c2a81b0d4 2026-12-07 02:00" (or that there is none yet)."""
    from fengqiao.audit.checkpoints import latest

    checkpoint = latest()
    text = checkpoint.label if checkpoint else _("尚无（./fq audit-checkpoint）")
    return _("审计链检查点：%(checkpoint)s") % {"checkpoint": text}


def _with_lists(
    brief: Brief, *, repeats: list[dict[str, Any]], clocks: Any, whistles: Any, now: dt.datetime
) -> Brief:
    """The lists that name records, for readers with VIEW_RECORDS."""
    # Pick the most urgent from the index alone, then join for their names: joining
    # every breached clock of a large scope before sorting would cost far more.
    most_urgent = clocks.order_by("due_at", "pk").values("pk")[:URGENT_CLOCK_LIMIT]
    urgent = (
        Deadline.objects.filter(pk__in=most_urgent)
        .order_by("due_at", "pk")
        .values("incident_id", "incident__tracking_code", "rule__name", "due_at")
    )
    open_whistles = whistles.order_by("due_at", "pk").values(
        "pk", "code", "title", "raised_by_unit__name", "to_unit__name", "status", "due_at"
    )[:WHISTLE_LIST_LIMIT]
    return replace(
        brief,
        repeat_addresses=[
            RepeatAddress(
                address_id=row["address_id"],
                code=row["address__code"],
                text=row["address__full_text"],
                calls=row["calls"],
                last_at=row["last_at"],
            )
            for row in repeats[:REPEAT_LIST_LIMIT]
        ],
        urgent_clocks=[
            UrgentClock(
                incident_id=row["incident_id"],
                tracking_code=row["incident__tracking_code"],
                rule=taxonomy.label(row["rule__name"]),
                due_at=row["due_at"],
                remaining=row["due_at"] - now,
            )
            for row in urgent
        ],
        whistles=[
            OpenWhistle(
                whistle_id=row["pk"],
                code=row["code"],
                title=row["title"],
                raised_by=row["raised_by_unit__name"],
                to_unit=row["to_unit__name"],
                status=row["status"],
                status_label=str(WhistleStatus(row["status"]).label),
                due_at=row["due_at"],
                overdue=row["due_at"] < now,
            )
            for row in open_whistles
        ],
    )


class _Reach:
    """The unit's subtree as a filter. A station's or a bureau's subtree is a handful of
    ids, and ``jurisdiction_id IN (…)`` with the time range walks the composite indexes
    directly (as :func:`fengqiao.accounts.selectors.scoped` does); a province's subtree
    is too many ids to list, so there it is the join on the materialised path."""

    def __init__(self, unit: Jurisdiction) -> None:
        self.unit = unit
        ids = list(
            Jurisdiction.objects.filter(path__within=unit.path).values_list("id", flat=True)[
                : SCOPE_AS_ID_LIST + 1
            ]
        )
        self.ids: list[int] | None = ids if len(ids) <= SCOPE_AS_ID_LIST else None

    def q(self, relation: str) -> Q:
        if self.ids is not None:
            return Q(**{f"{relation}_id__in": self.ids})
        return Q(**{f"{relation}__path__within": self.unit.path})


@dataclass(frozen=True)
class _Days:
    rows: list[CategoryRow]
    uncategorised: CategoryRow
    total: int
    invalid: int
    disputes: int
    previous_total: int
    last_week_total: int


def _by_category(incidents: Any, day: dt.date) -> _Days:
    """One grouped query over the eight days from a week before to the day: per
    category, the day's, the previous day's and the same weekday's counts, and the
    day's invalid ones and those handed to mediation. Totals are the sums."""
    start = selectors.local_day_start(day)
    end = selectors.local_day_start(day + dt.timedelta(days=1))
    previous = selectors.local_day_start(day - dt.timedelta(days=1))
    week = selectors.local_day_start(day - dt.timedelta(days=7))
    week_end = selectors.local_day_start(day - dt.timedelta(days=6))
    on_day = Q(received_at__gte=start, received_at__lt=end)
    on_previous = Q(received_at__gte=previous, received_at__lt=start)
    on_week = Q(received_at__gte=week, received_at__lt=week_end)
    passed_mediation = Exists(
        IncidentEvent.objects.filter(incident=OuterRef("pk"), to_status=Status.TO_DISPUTE)
    )
    # Handed to mediation: still there, or closed after it (a closed incident's status
    # no longer says so; its timeline does).
    mediated = Q(status=Status.TO_DISPUTE) | (Q(status=Status.CLOSED) & Q(passed_mediation))
    grouped = (
        incidents.filter(received_at__gte=week, received_at__lt=end)
        .filter(on_day | on_previous | on_week)
        .values("category_id")
        .annotate(
            day=Count("pk", filter=on_day),
            previous=Count("pk", filter=on_previous),
            week=Count("pk", filter=on_week),
            invalid=Count("pk", filter=on_day & Q(validity=Validity.INVALID)),
            mediated=Count("pk", filter=on_day & mediated),
        )
    )
    counts: dict[int | None, dict[str, int]] = {row["category_id"]: row for row in grouped}
    fields = ("id", "code", "name", "parent_id", "active")
    categories = list(Category.objects.order_by("sort", "code").values(*fields))
    tops = [c for c in categories if c["parent_id"] is None]
    children: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for category in categories:
        if category["parent_id"] is not None:
            children[category["parent_id"]].append(category)

    def numbers(*category_ids: int | None) -> tuple[int, int, int]:
        found = [counts[i] for i in category_ids if i in counts]
        return (sum(r["day"] for r in found), sum(r["previous"] for r in found),
                sum(r["week"] for r in found))  # fmt: skip

    rows: list[CategoryRow] = []
    disputes = 0
    for top in tops:
        ids = [top["id"], *(child["id"] for child in children[top["id"]])]
        figures = numbers(*ids)  # incidents filed under the top level itself count too
        subtypes = tuple(
            CategoryRow(child["code"], taxonomy.label(child["name"]), *numbers(child["id"]))
            for child in children[top["id"]]
            if child["id"] in counts
        )
        if top["active"] or any(figures):
            rows.append(
                CategoryRow(top["code"], taxonomy.label(top["name"]), *figures, children=subtypes)
            )
        if top["code"] == DISPUTE_CATEGORY:
            disputes += figures[0]
        else:
            disputes += sum(counts[i]["mediated"] for i in ids if i in counts)
    disputes += counts[None]["mediated"] if None in counts else 0
    uncategorised = CategoryRow("", _("未分类"), *numbers(None))
    return _Days(
        rows=rows,
        uncategorised=uncategorised,
        total=sum(row["day"] for row in counts.values()),
        invalid=sum(row["invalid"] for row in counts.values()),
        disputes=disputes,
        previous_total=sum(row["previous"] for row in counts.values()),
        last_week_total=sum(row["week"] for row in counts.values()),
    )


def _by_grid(todays: Any) -> list[GridRow]:
    """The day's incidents by grid, most first; those without a grid last."""
    rows = list(todays.values("grid_id", "grid__name").annotate(n=Count("pk")))
    grids = [GridRow(r["grid_id"], r["grid__name"], r["n"]) for r in rows if r["grid_id"]]
    grids.sort(key=lambda row: (-row.count, row.name))
    unplaced = sum(r["n"] for r in rows if not r["grid_id"])
    if unplaced:
        grids.append(GridRow(None, _("未落地到网格"), unplaced))
    return grids


def _by_source(todays: Any) -> list[SourceRow]:
    """The day's incidents by source, in the sources' own order; zero rows left out."""
    counts = {r["source"]: r["n"] for r in todays.values("source").annotate(n=Count("pk"))}
    rows = [SourceRow(s.value, str(s.label), counts.pop(s.value)) for s in Source if s in counts]
    rows += [SourceRow(value, value, n) for value, n in sorted(counts.items())]  # retired ones
    return rows


def _clocks_by_rule(clocks: Any, now: dt.datetime) -> list[RuleClocks]:
    """Running clocks breached or due within the horizon, counted per rule (shortest
    rule first) — one range of the partial index on running clocks."""
    rows = (
        clocks.values("rule_id", "rule__name", "rule__minutes")
        .annotate(breached=Count("pk", filter=Q(due_at__lte=now)), total=Count("pk"))
        .order_by("rule__minutes", "rule_id")
    )
    return [
        RuleClocks(
            r["rule_id"], taxonomy.label(r["rule__name"]), r["breached"], r["total"] - r["breached"]
        )
        for r in rows
    ]


__all__ = [
    "Brief",
    "CategoryRow",
    "GridRow",
    "OpenWhistle",
    "RepeatAddress",
    "RuleClocks",
    "SourceRow",
    "UrgentClock",
    "default_day",
    "may_read_brief",
    "morning_brief",
]
