"""Reads of incidents, always through the user's scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from fengqiao.accounts.selectors import scoped
from fengqiao.addresses.models import StandardAddress
from fengqiao.audit import services as audit
from fengqiao.core.pagination import KeysetPage, decode_cursor, keyset_page
from fengqiao.core.roles import Capability, require
from fengqiao.incidents import codes
from fengqiao.incidents.models import (
    FINAL_STATUSES,
    Category,
    Deadline,
    Incident,
    IncidentEvent,
    Status,
    WhistleRequest,
)

OPEN = "open"  # a status filter meaning every status that is not final
# A clock turns amber in the last quarter of its time, and never later than 10 minutes
# before it runs out (a 5-minute dispatch clock is amber from the start).
AMBER_SHARE = 0.25
AMBER_AT_LEAST = dt.timedelta(minutes=10)


# The partial index incident_open's condition, spelled with literals: SQLite only uses a
# partial index when the query repeats its condition, and a bound parameter does not.
_OPEN_CONDITION = 'NOT ("incidents_incident"."status" IN ({}))'.format(
    ", ".join(f"'{status}'" for status in FINAL_STATUSES if status.isidentifier())
)


@dataclass(frozen=True)
class IncidentFilter:
    """The list's filters, as a duty officer sets them. Dates are local (Asia/Shanghai)
    calendar days, inclusive."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    category: str = ""  # a category code: a top level takes its sub-types too
    status: str = ""  # a status, or OPEN
    source: str = ""
    grid: int | None = None
    code: str = ""  # a tracking code


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight of a local calendar day, as an aware datetime."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def incidents_for(*, user: Any, filters: IncidentFilter | None = None) -> QuerySet[Incident]:
    """警情 in the user's scope, filtered, newest first."""
    require(user, Capability.VIEW_RECORDS)
    found = scoped(Incident.objects.all(), user=user, via="jurisdiction")
    f = filters or IncidentFilter()
    if f.date_from:
        found = found.filter(received_at__gte=local_day_start(f.date_from))
    if f.date_to:
        found = found.filter(received_at__lt=local_day_start(f.date_to + dt.timedelta(days=1)))
    if f.category:
        # Until staff confirm a category, the suggested one stands for it in filters.
        confirmed = Q(category__code=f.category) | Q(category__parent__code=f.category)
        suggested = Q(suggested_category__code=f.category) | Q(
            suggested_category__parent__code=f.category
        )
        found = found.filter(confirmed | (Q(category__isnull=True) & suggested))
    if f.status == OPEN:
        found = found.extra(where=[_OPEN_CONDITION])  # noqa: S610 - constants, see above
    elif f.status:
        found = found.filter(status=f.status)
    if f.source:
        found = found.filter(source=f.source)
    if f.grid:
        found = found.filter(grid_id=f.grid)
    if f.code:
        found = found.filter(tracking_code=codes.normalise(f.code))
    related = ("category__parent", "suggested_category__parent", "jurisdiction", "grid", "address")
    return found.select_related(*related).order_by("-received_at", "-pk")


# A list page first looks at the last two days, then the last month, then everything:
# an index range per unit and a small sort, instead of sorting a station's whole history.
PAGE_WINDOWS = (dt.timedelta(days=2), dt.timedelta(days=30))


def incident_page(
    *, user: Any, filters: IncidentFilter | None = None, cursor: str = "", size: int = 25
) -> KeysetPage[Incident]:
    """One page of :func:`incidents_for`, newest first, after ``cursor``."""
    found = incidents_for(user=user, filters=filters)
    anchor = _cursor_time(cursor) or timezone.now()
    for window in PAGE_WINDOWS:
        recent = found.filter(received_at__gte=anchor - window)
        page = keyset_page(recent, order=("-received_at", "-pk"), cursor=cursor, size=size)
        if page.next_cursor:  # a full page with more inside the window: it is the page
            return page
    return keyset_page(found, order=("-received_at", "-pk"), cursor=cursor, size=size)


def _cursor_time(cursor: str) -> dt.datetime | None:
    values = decode_cursor(cursor)
    if not values:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(values[0]))
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


def incident_detail(*, user: Any, pk: int) -> Incident:
    """One incident in scope with its timeline, clocks, whistles and the reporter's
    additions; the read is audited (the reporter's name and phone are on the page,
    masked)."""
    events = IncidentEvent.objects.select_related("actor").order_by("at", "pk")
    incident = (
        incidents_for(user=user)
        .select_related("address", "suggested_category", "received_by", "transferred_to")
        .prefetch_related(
            Prefetch("events", queryset=events),
            Prefetch("deadlines", queryset=Deadline.objects.select_related("rule")),
            "additions",
        )
        .get(pk=pk)
    )
    audit.record(
        actor=user, action="view", obj=incident, fields=["reporter_name", "reporter_phone"]
    )
    return incident


@dataclass(frozen=True)
class ClockState:
    deadline: Deadline
    remaining: dt.timedelta
    level: str  # "ok", "amber" or "red"


def clock_state(deadline: Deadline, *, now: dt.datetime | None = None) -> ClockState:
    """How a running clock stands: red once breached, amber in its last quarter."""
    now = now or timezone.now()
    end = deadline.met_at or now
    remaining = deadline.due_at - end
    total = dt.timedelta(minutes=deadline.rule.minutes)
    if remaining <= dt.timedelta(0):
        level = "red"
    elif remaining < max(total * AMBER_SHARE, AMBER_AT_LEAST):
        level = "amber"
    else:
        level = "ok"
    return ClockState(deadline, remaining, level)


def duty_list(
    *, user: Any, within: dt.timedelta = dt.timedelta(hours=2), limit: int = 100
) -> list[ClockState]:
    """值班提醒: running clocks in scope that are breached or due within ``within``,
    most urgent first — one range of the partial index on open clocks."""
    require(user, Capability.VIEW_RECORDS)
    now = timezone.now()
    running = scoped(
        Deadline.objects.filter(met_at__isnull=True, due_at__lt=now + within),
        user=user,
        via="jurisdiction",
    )
    rows = running.select_related("rule", "incident__category__parent").order_by("due_at", "pk")
    return [clock_state(d, now=now) for d in rows[:limit]]


@dataclass(frozen=True)
class WorkSummary:
    """Today's work at a glance (home page): counts only, all in the user's scope."""

    received_today: int
    open_incidents: int
    breached_clocks: int
    clocks_due_soon: int
    whistles_to_answer: int


def work_summary(*, user: Any, soon: dt.timedelta = dt.timedelta(hours=2)) -> WorkSummary:
    """What is waiting: incidents received today and still open, clocks breached or due
    within ``soon``, and requests for help addressed to the user's units."""
    require(user, Capability.VIEW_RECORDS)
    now = timezone.now()
    incidents = scoped(Incident.objects.all(), user=user, via="jurisdiction")
    running = scoped(Deadline.objects.filter(met_at__isnull=True), user=user, via="jurisdiction")
    whistles = scoped(
        WhistleRequest.objects.filter(status__in=["raised", "accepted"]), user=user, via="to_unit"
    )
    return WorkSummary(
        received_today=incidents.filter(
            received_at__gte=local_day_start(timezone.localdate())
        ).count(),
        open_incidents=incidents.extra(where=[_OPEN_CONDITION]).count(),  # noqa: S610
        breached_clocks=running.filter(due_at__lt=now).count(),
        clocks_due_soon=running.filter(due_at__gte=now, due_at__lt=now + soon).count(),
        whistles_to_answer=whistles.count() if user.can(Capability.ANSWER_WHISTLES) else 0,
    )


def categories() -> list[Category]:
    """The active taxonomy, tops followed by their sub-types, for pickers."""
    return list(Category.objects.filter(active=True).select_related("parent"))


def repeat_addresses(
    *,
    user: Any,
    day: dt.date,
    days: int = 30,
    minimum: int = 2,
    unit: Any = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """重复报警地址: standard addresses in scope that called ``minimum`` times or more in
    the ``days`` local calendar days ending with ``day``, most calls (then the latest
    call) first, at most ``limit`` of them. ``unit`` (a Jurisdiction) narrows the user's
    scope to that unit's subtree. Rows: ``address_id``, ``address__code``,
    ``address__full_text``, ``calls``, ``last_at``. One grouped query on the scope and
    time index."""
    require(user, Capability.VIEW_RECORDS)
    start = local_day_start(day - dt.timedelta(days=days - 1))
    end = local_day_start(day + dt.timedelta(days=1))
    found = scoped(Incident.objects.all(), user=user, via="jurisdiction")
    if unit is not None:
        found = found.filter(jurisdiction__path__within=unit.path)
    # Grouped on the covering (jurisdiction, received_at, address) index alone; the few
    # repeat addresses are read afterwards rather than joined to every call.
    grouped = (
        found.filter(address__isnull=False, received_at__gte=start, received_at__lt=end)
        .values("address_id")
        .annotate(calls=Count("pk"), last_at=Max("received_at"))
        .filter(calls__gte=minimum)
        .order_by("-calls", "-last_at", "address_id")
    )
    rows = [dict(row) for row in (grouped[:limit] if limit is not None else grouped)]
    texts = StandardAddress.objects.in_bulk([row["address_id"] for row in rows])
    for row in rows:
        address = texts[row["address_id"]]
        row["address__code"], row["address__full_text"] = address.code, address.full_text
    return rows


__all__ = [
    "OPEN",
    "ClockState",
    "IncidentFilter",
    "Status",
    "categories",
    "clock_state",
    "duty_list",
    "incident_detail",
    "incident_page",
    "incidents_for",
    "local_day_start",
    "repeat_addresses",
    "work_summary",
]
