"""Reads of dispute cases, always through the user's scope: his unit's subtree, or for a
mediator account only the cases he is assigned to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone

from fengqiao.accounts.selectors import scoped
from fengqiao.audit import services as audit
from fengqiao.core.roles import Capability, Role
from fengqiao.disputes import parties
from fengqiao.disputes.models import (
    CLOSED_STATUSES,
    Assignment,
    DisputeCase,
    Party,
    PartyKey,
    ScreeningRound,
    Status,
)
from fengqiao.incidents import codes
from fengqiao.incidents.models import Incident
from fengqiao.jurisdictions.models import Jurisdiction

PRIOR_LIMIT = 20  # the intake panel shows the most recent; the count says if there are more


def _may_read(user: Any) -> bool:
    return user.is_active and (
        user.can(Capability.HANDLE_DISPUTES) or user.can(Capability.VIEW_RECORDS)
    )


def cases_for(user: Any) -> QuerySet[DisputeCase]:
    """The cases ``user`` may read: a mediator his assigned cases (current or past),
    everyone else the cases of his subtree."""
    if not _may_read(user):
        raise PermissionDenied
    cases = DisputeCase.objects.select_related("jurisdiction", "address")
    if user.role == Role.MEDIATOR:
        mine = Assignment.objects.filter(case=OuterRef("pk"), mediator__account=user)
        return cases.filter(Exists(mine))
    return scoped(cases, user=user)


@dataclass(frozen=True)
class CaseFilter:
    """The list's filters; the statistics page links here with the same names."""

    status: str = ""  # a status, "open" or "closed"
    category: str = ""
    track: str = ""
    source: str = ""
    overdue: bool = False
    risk: str = ""
    code: str = ""
    date_from: dt.date | None = None  # registered on or after (local calendar day)
    date_to: dt.date | None = None  # registered on or before
    unit: int | None = None  # a jurisdiction: cases of its subtree
    mediator: int | None = None  # cases the mediator was assigned to


def case_list(user: Any, filters: CaseFilter = CaseFilter()) -> QuerySet[DisputeCase]:
    """The case list, newest first; open cases first when asked for open ones."""
    cases = cases_for(user)
    if filters.code:
        cases = cases.filter(code=codes.normalise(filters.code))
    if filters.status == "open":
        cases = cases.exclude(status__in=CLOSED_STATUSES)
    elif filters.status == "closed":
        cases = cases.filter(status__in=CLOSED_STATUSES)
    elif filters.status:
        cases = cases.filter(status=filters.status)
    for name in ("category", "track", "source"):
        if getattr(filters, name):
            cases = cases.filter(**{name: getattr(filters, name)})
    if filters.risk:
        cases = cases.filter(risk_level=filters.risk)
    if filters.overdue:
        # the clock runs only while mediating: not before acceptance, nor while suspended
        cases = cases.filter(status=Status.ACCEPTED, due_at__lt=timezone.now())
    if filters.date_from:
        cases = cases.filter(registered_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        cases = cases.filter(registered_at__lt=_day_start(filters.date_to + dt.timedelta(days=1)))
    if filters.unit:
        unit = Jurisdiction.objects.filter(pk=filters.unit).first()
        cases = cases.filter(jurisdiction__path__within=unit.path) if unit else cases.none()
    if filters.mediator:
        cases = cases.filter(assignments__mediator_id=filters.mediator).distinct()
    return cases.order_by("-registered_at", "-pk")


MY_CASES_SHOWN = 20


def my_open_cases(user: Any) -> list[DisputeCase]:
    """For a reader whose scope is his own cases (a mediator: he handles disputes but
    reads no other record), his open cases, most urgent first; for anyone else nothing,
    their home shows the unit's work instead."""
    if user.can(Capability.VIEW_RECORDS) or not _may_read(user):
        return []
    cases = case_list(user, CaseFilter(status="open")).order_by(F("due_at").asc(nulls_last=True))
    return list(cases[:MY_CASES_SHOWN])


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def screening_rounds_for(user: Any) -> QuerySet[ScreeningRound]:
    """排查 rounds of the user's subtree, newest first."""
    if not user.is_active or user.role == Role.MEDIATOR:
        return ScreeningRound.objects.none()
    rounds = ScreeningRound.objects.select_related("jurisdiction")
    return scoped(rounds, user=user).order_by("-started_on", "-pk")


def case_detail(user: Any, code: str) -> DisputeCase:
    """One case with its parties; reading the parties' details is audited."""
    try:
        case = cases_for(user).get(code=codes.normalise(code))
    except DisputeCase.DoesNotExist:
        raise Http404 from None
    audit.record(actor=user, action="view", obj=case, fields=list(Party.PERSONAL_FIELDS))
    return case


@dataclass(frozen=True)
class PriorMatches:
    """Earlier disputes and incidents that share a party or the address with a case
    being registered: the first thing a mediator wants to know."""

    disputes: list[DisputeCase]
    incidents: list[Incident]
    dispute_count: int
    incident_count: int


def prior_matches(
    user: Any,
    *,
    people: list[dict[str, str]],
    address_id: int | None = None,
    exclude_case: DisputeCase | None = None,
    since: dt.datetime | None = None,
) -> PriorMatches:
    """Disputes whose parties share a strong key (ID number, credit code, phone) with
    ``people``, or lie at the same address; incidents
    whose caller used one of the phones, or at the same address. One index lookup per
    key: no name scans."""
    strong: set[str] = set()
    phones: set[str] = set()
    for identity in people:
        # A bare name is too weak a key to link cases across addresses.
        strong.update(k for k in parties.party_keys(**identity)
                      if not k.startswith(parties.KEY_NAME))  # fmt: skip
        if phone := parties.clean_phone(identity.get("phone", "")):
            phones.add(phone)
    # The matches are the union of a few index lookups, as ids: with "key match OR same
    # address" PostgreSQL filters the whole scope row by row (0.2–0.7 s at a million
    # disputes and two million incidents); a union of ids lets both databases start from
    # the handful of rows found. The phone lookup repeats the partial index
    # incident_reporter's condition with a literal, the only form SQLite matches.
    by_dispute: list[QuerySet[Any]] = []
    if strong:
        by_dispute.append(PartyKey.objects.filter(key__in=strong).values("case_id"))
    if address_id:
        by_dispute.append(DisputeCase.objects.filter(address_id=address_id).values("pk"))
    disputes = (
        cases_for(user).filter(pk__in=by_dispute[0].union(*by_dispute[1:]))
        if by_dispute else None
    )  # fmt: skip
    by_incident: list[QuerySet[Any]] = []
    if phones:
        literal = "NOT (\"reporter_phone\" = '')"
        by_incident.append(Incident.objects.filter(reporter_phone__in=phones)
                           .extra(where=[literal]).values("pk"))  # noqa: S610  # fmt: skip
    if address_id:
        by_incident.append(Incident.objects.filter(address_id=address_id).values("pk"))
    incidents = None
    if by_incident:
        found = by_incident[0].union(*by_incident[1:])
        incidents = scoped(Incident.objects.all(), user=user).filter(pk__in=found)
        if since is not None:
            incidents = incidents.filter(received_at__gte=since)
    if disputes is not None:
        if exclude_case is not None:
            disputes = disputes.exclude(pk=exclude_case.pk)
        if since is not None:
            disputes = disputes.filter(registered_at__gte=since)
    dispute_rows = (
        list(disputes.order_by("-registered_at")[:PRIOR_LIMIT]) if disputes is not None else []
    )
    incident_rows = (
        list(incidents.select_related("category").order_by("-received_at")[:PRIOR_LIMIT])
        if incidents is not None
        else []
    )
    return PriorMatches(
        disputes=dispute_rows,
        incidents=incident_rows,
        dispute_count=(
            len(dispute_rows) if len(dispute_rows) < PRIOR_LIMIT else disputes.count()  # type: ignore[union-attr]
        ),
        incident_count=(
            len(incident_rows) if len(incident_rows) < PRIOR_LIMIT else incidents.count()  # type: ignore[union-attr]
        ),
    )
