"""我的工作: what each hat a user wears has waiting for him, read through the domains'
own selectors so every list and count keeps to his scope (his unit's subtree; for a
mediator, his cases).

A hat follows from the role and from what the user is linked to: a station chief, a
community officer (or anyone placed in a police district), a command-room duty officer,
and a mediator — by role, or because an officer's account is also registered as a
mediator. A user wearing several sees each of their sections.

Every section costs a fixed number of queries whatever the volume: counts are counts, and
the short lists are sliced querysets with their related rows joined or prefetched."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Prefetch, QuerySet
from django.utils import timezone

from fengqiao.accounts.models import User
from fengqiao.accounts.selectors import scoped
from fengqiao.core.roles import Capability, Role
from fengqiao.disputes import selectors as dispute_selectors
from fengqiao.disputes.aftercare import services as aftercare
from fengqiao.disputes.models import DutyShift, FollowUp, MediationSession, Mediator, RiskLevel
from fengqiao.incidents import brief as briefs
from fengqiao.incidents import selectors as incident_selectors
from fengqiao.incidents import whistles
from fengqiao.incidents.models import Deadline
from fengqiao.jurisdictions import selectors as jurisdiction_selectors
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.registry import selectors as registry_selectors

SHOWN = 5  # rows of each short list; its count links to the full list
LIVE_SHOWN = 10  # a duty officer's live incidents

MEDIATOR, DISTRICT, CHIEF, DUTY = "mediator", "district", "chief", "duty"
# Units an officer placed there looks after as his own district.
DISTRICT_KINDS = (Kind.POLICE_DISTRICT, Kind.POLICE_ROOM)


# --- Who wears which hat ------------------------------------------------------------------


def mediator_profile(user: Any) -> Mediator | None:
    """The 调解员 record linked to the user's account, if any."""
    if not user.is_active:
        return None
    return Mediator.objects.filter(account=user).first()


def hats(user: Any, *, profile: Mediator | None = None) -> list[str]:
    """The sections of the home page the user has, in the page's order."""
    if not user.is_active:
        return []
    found = []
    unit = user.jurisdiction
    if unit is not None:  # the unit's hats need a unit to look after
        if user.role in (Role.STATION_CHIEF, Role.ADMIN):
            found.append(CHIEF)
        if user.role == Role.COMMAND_ROOM:
            found.append(DUTY)
        placed = unit.kind in DISTRICT_KINDS and user.can(Capability.VIEW_RECORDS)
        if user.role == Role.COMMUNITY_OFFICER or placed:
            found.append(DISTRICT)
    if user.role == Role.MEDIATOR or profile is not None:
        found.append(MEDIATOR)
    return found


# --- The sections -------------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """A count and the first few rows behind it."""

    count: int
    rows: list[Any]

    @property
    def more(self) -> int:
        return max(self.count - len(self.rows), 0)


def _listing(found: QuerySet[Any], size: int = SHOWN) -> Listing:
    rows = list(found[:size])
    return Listing(len(rows) if len(rows) < size else found.count(), rows)


@dataclass(frozen=True)
class MediatorWork:
    """调解员: his open cases (most urgent clock first), the sittings recorded today, his
    duty shift today, and the follow-up visits due within a week."""

    mediator: Mediator | None
    cases: Listing
    overdue: int
    sessions_today: list[MediationSession]
    shifts_today: list[DutyShift]
    follow_ups: Listing
    follow_ups_overdue: int


@dataclass(frozen=True)
class DistrictWork:
    """社区民警: his district's running clocks (late, and due within two hours), open
    incidents, tenant registrations waiting for him, follow-up visits due and open
    disputes."""

    unit: Jurisdiction
    clocks: list[incident_selectors.ClockState]
    clocks_late: int
    clocks_due_soon: int
    open_incidents: int
    tenants: Listing
    follow_ups: Listing
    disputes: Listing


@dataclass(frozen=True)
class ChiefWork:
    """所长: the clocks already late, the disputes past their mediation term and those at
    high risk, the station's open whistles and the ones it must answer, and the morning
    brief."""

    late_clocks: list[incident_selectors.ClockState]
    clocks_late: int
    disputes_overdue: int
    high_risk: Listing
    whistles_open: int
    whistles_overdue: int
    whistle_rows: list[whistles.BoardRow]
    whistles_to_answer: int
    brief: briefs.Brief | None


@dataclass(frozen=True)
class DutyWork:
    """指挥室值班员: the live incidents (not yet closed), newest first with their most
    urgent clock, what came in today, and the clocks late or due soon."""

    live: Listing
    received_today: int
    clocks_late: int
    clocks_due_soon: int


@dataclass(frozen=True)
class MyWork:
    hats: list[str]
    mediator: MediatorWork | None = None
    district: DistrictWork | None = None
    chief: ChiefWork | None = None
    duty: DutyWork | None = None
    # What a user without a hat of these but with records to read has waiting.
    summary: incident_selectors.WorkSummary | None = None


def _today_bounds() -> tuple[dt.datetime, dt.datetime]:
    today = timezone.localdate()
    start = incident_selectors.local_day_start(today)
    return start, incident_selectors.local_day_start(today + dt.timedelta(days=1))


def mediator_work(user: Any, *, profile: Mediator | None) -> MediatorWork:
    """The mediator's section. A mediator account's scope is his cases already; an
    officer who is also a mediator reads his whole unit, so his are picked out by the
    assignment."""
    only = dispute_selectors.CaseFilter(
        status="open", mediator=profile.pk if profile and user.role != Role.MEDIATOR else None
    )
    open_cases = dispute_selectors.case_list(user, only)
    mine = dispute_selectors.case_list(user, dispute_selectors.CaseFilter(mediator=only.mediator))
    start, end = _today_bounds()
    sessions = (
        MediationSession.objects.filter(case__in=mine.values("pk"), held_at__gte=start,
                                        held_at__lt=end)
        .select_related("case", "mediator")
        .order_by("held_at", "pk")
    )  # fmt: skip
    shifts = (
        DutyShift.objects.filter(mediator=profile, day=timezone.localdate()).select_related("room")
        if profile is not None
        else DutyShift.objects.none()
    )
    visits = aftercare.follow_ups_due(user)
    if only.mediator:
        visits = visits.filter(case__in=mine.values("pk"))
    return MediatorWork(
        mediator=profile,
        cases=_listing(open_cases.order_by(F("due_at").asc(nulls_last=True), "pk")),
        overdue=dispute_selectors.case_list(
            user, dispute_selectors.CaseFilter(overdue=True, mediator=only.mediator)
        ).count(),
        sessions_today=list(sessions[:SHOWN]),
        shifts_today=list(shifts),
        follow_ups=_listing(visits),
        follow_ups_overdue=_overdue_visits(visits),
    )


def _overdue_visits(visits: QuerySet[FollowUp]) -> int:
    return visits.filter(due_on__lt=timezone.localdate()).count()


def district_work(user: Any, *, summary: incident_selectors.WorkSummary) -> DistrictWork:
    """The community officer's section: everything in his scope, which is his district."""
    tenants: Listing = Listing(0, [])
    if user.can(Capability.REVIEW_TENANTS):
        tenants = _listing(registry_selectors.tenant_reviews_for(user=user))
    open_disputes = dispute_selectors.case_list(user, dispute_selectors.CaseFilter(status="open"))
    return DistrictWork(
        unit=user.jurisdiction,
        clocks=incident_selectors.duty_list(user=user, limit=SHOWN),
        clocks_late=summary.breached_clocks,
        clocks_due_soon=summary.clocks_due_soon,
        open_incidents=summary.open_incidents,
        tenants=tenants,
        follow_ups=_listing(aftercare.follow_ups_due(user)),
        disputes=_listing(open_disputes.order_by(F("due_at").asc(nulls_last=True), "pk")),
    )


def chief_work(user: Any, *, summary: incident_selectors.WorkSummary) -> ChiefWork:
    """The chief's section: what is late or dangerous in his station, and the brief."""
    high = dispute_selectors.case_list(
        user, dispute_selectors.CaseFilter(status="open", risk=RiskLevel.HIGH)
    ).order_by("-risk_score", "-registered_at", "pk")
    board = whistles.board(user=user)
    return ChiefWork(
        late_clocks=incident_selectors.duty_list(user=user, within=dt.timedelta(0), limit=SHOWN),
        clocks_late=summary.breached_clocks,
        disputes_overdue=dispute_selectors.case_list(
            user, dispute_selectors.CaseFilter(overdue=True)
        ).count(),
        high_risk=_listing(high),
        whistles_open=len(board),
        whistles_overdue=sum(1 for row in board if row.overdue),
        whistle_rows=board[:SHOWN],
        whistles_to_answer=summary.whistles_to_answer,
        brief=(
            briefs.morning_brief(user=user, day=briefs.default_day())
            if briefs.may_read_brief(user)
            else None
        ),
    )


def duty_work(user: Any, *, summary: incident_selectors.WorkSummary) -> DutyWork:
    """The duty officer's section: the live incidents, each with its worst clock."""
    live = incident_selectors.incidents_for(
        user=user, filters=incident_selectors.IncidentFilter(status=incident_selectors.OPEN)
    )
    running = Deadline.objects.filter(met_at__isnull=True).select_related("rule")
    listing = _listing(
        live.prefetch_related(Prefetch("deadlines", queryset=running, to_attr="running_clocks")),
        size=LIVE_SHOWN,
    )
    now = timezone.now()
    for incident in listing.rows:
        states = [incident_selectors.clock_state(d, now=now) for d in incident.running_clocks]
        incident.worst_clock = min(states, key=lambda s: s.remaining, default=None)
    return DutyWork(
        live=listing,
        received_today=summary.received_today,
        clocks_late=summary.breached_clocks,
        clocks_due_soon=summary.clocks_due_soon,
    )


def my_work(*, user: Any) -> MyWork:
    """Every section the user has, each read in his scope. The incident counts several
    sections share are read once."""
    profile = mediator_profile(user)
    worn = hats(user, profile=profile)
    records = user.is_active and user.can(Capability.VIEW_RECORDS)
    summary = incident_selectors.work_summary(user=user) if records else None
    sections: dict[str, Any] = {}
    if MEDIATOR in worn and user.can(Capability.HANDLE_DISPUTES):
        sections["mediator"] = mediator_work(user, profile=profile)
    if summary is not None:
        if CHIEF in worn:
            sections["chief"] = chief_work(user, summary=summary)
        if DUTY in worn:
            sections["duty"] = duty_work(user, summary=summary)
        if DISTRICT in worn:
            sections["district"] = district_work(user, summary=summary)
    return MyWork(hats=worn, summary=summary, **sections)


# --- Where the user stands ----------------------------------------------------------------


@dataclass(frozen=True)
class HomeSummary:
    jurisdiction: Jurisdiction | None
    ancestors: list[Jurisdiction]
    units_by_kind: list[tuple[str, int]]  # (kind label, count) under the scope node
    active_staff: int


def home_summary(*, user: Any) -> HomeSummary:
    """The user's jurisdiction, its place in the tree and what it holds (aggregates only)."""
    root = user.jurisdiction
    if root is None:
        return HomeSummary(None, [], [], 0)
    counts = dict(
        jurisdiction_selectors.subtree(root, include_self=False)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    units = [(str(kind.label), counts[kind.value]) for kind in Kind if counts.get(kind.value)]
    staff = scoped(User.objects.filter(is_active=True), user=user).count()
    return HomeSummary(root, list(jurisdiction_selectors.ancestors(root)), units, staff)


__all__ = [
    "CHIEF",
    "DISTRICT",
    "DUTY",
    "MEDIATOR",
    "ChiefWork",
    "DistrictWork",
    "DutyWork",
    "HomeSummary",
    "MediatorWork",
    "MyWork",
    "hats",
    "home_summary",
    "my_work",
]
