"""Reads of dispute cases, always through the user's scope: his unit's subtree, or for a
mediator account only the cases he is assigned to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
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
)
from fengqiao.incidents import codes
from fengqiao.incidents.models import Incident

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
    status: str = ""  # a status, "open" or "closed"
    category: str = ""
    track: str = ""
    source: str = ""
    overdue: bool = False
    risk: str = ""
    code: str = ""


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
        cases = cases.exclude(status__in=CLOSED_STATUSES).filter(due_at__lt=timezone.now())
    return cases.order_by("-registered_at", "-pk")


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
    condition = Q(pk__in=PartyKey.objects.filter(key__in=strong).values("case_id"))
    if address_id:
        condition |= Q(address_id=address_id)
    disputes = cases_for(user).filter(condition) if (strong or address_id) else None
    incidents = None
    if phones or address_id:
        found = Q(reporter_phone__in=phones) if phones else Q()
        if address_id:
            found = found | Q(address_id=address_id) if phones else Q(address_id=address_id)
        incidents = scoped(Incident.objects.all(), user=user).filter(found)
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
