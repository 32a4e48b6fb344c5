"""Reads of the three actuals, always through the user's scope."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from fengqiao.accounts.selectors import scoped
from fengqiao.audit import services as audit
from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Capability, require
from fengqiao.core.validators import normalise_id_number
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.registry.models import (
    KEY_INDUSTRIES,
    NINE_SMALL_VENUES,
    House,
    Organisation,
    Person,
    Residence,
    ResidenceStatus,
)


def people_for(*, user: Any, search: str = "") -> QuerySet[Person]:
    """实有人口 in scope. A search that looks like an ID number or a phone matches it
    exactly (indexed); anything else matches the start of the name."""
    require(user, Capability.VIEW_RECORDS)
    people = scoped(Person.objects.all(), user=user, via="police_district")
    term = search.strip()
    if term:
        if term[:1].isdigit() and len(term) >= 15:
            people = people.filter(id_number=normalise_id_number(term))
        elif term.isdigit() and len(term) == 11:
            people = people.filter(phone=term)
        else:
            people = people.filter(name__prefix=term)
    return people.select_related("police_district").order_by("name", "pk")


def houses_for(
    *, user: Any, community: Jurisdiction | None = None, search: str = ""
) -> QuerySet[House]:
    """实有房屋 in scope, optionally in one community or with an address containing text."""
    require(user, Capability.VIEW_RECORDS)
    houses = scoped(House.objects.all(), user=user, via="address__police_district")
    if community is not None:
        houses = houses.filter(address__community=community)
    if search.strip():
        houses = houses.filter(address__local_key__prefix=search.strip())
    return houses.select_related("address").order_by("address__full_text", "pk")


def organisations_for(
    *, user: Any, search: str = "", key_only: bool = False
) -> QuerySet[Organisation]:
    """实有单位 in scope; ``key_only`` keeps 重点行业 and 九小场所."""
    require(user, Capability.VIEW_RECORDS)
    found = scoped(Organisation.objects.all(), user=user, via="address__police_district")
    if search.strip():
        term = search.strip().upper()
        found = found.filter(Q(name__prefix=search.strip()) | Q(credit_code=term))
    if key_only:
        found = found.filter(industry__in=[*KEY_INDUSTRIES, *NINE_SMALL_VENUES])
    return found.select_related("address").order_by("name", "pk")


def house_detail(*, user: Any, pk: int) -> House:
    """One house in scope with its residents (current first), the read audited."""
    residences = Residence.objects.select_related("person").order_by("moved_out", "-moved_in")
    house = (
        houses_for(user=user)
        .prefetch_related(Prefetch("residences", queryset=residences))
        .get(pk=pk)
    )
    audit.record(actor=user, action="view", obj=house, fields=["owner_name", "residences"])
    return house


def person_detail(*, user: Any, pk: int) -> Person:
    """One person in scope with every stay, the read audited."""
    stays = Residence.objects.select_related("house__address").order_by("-moved_in")
    person = (
        people_for(user=user).prefetch_related(Prefetch("residences", queryset=stays)).get(pk=pk)
    )
    audit.record(actor=user, action="view", obj=person, fields=["name", "household_type"])
    return person


def tenant_reviews_for(*, user: Any) -> QuerySet[Residence]:
    """Tenant registrations waiting for this user's review (待核实 / 已核实)."""
    require(user, Capability.REVIEW_TENANTS)
    waiting = Residence.objects.filter(
        status__in=[ResidenceStatus.PENDING, ResidenceStatus.VERIFIED]
    )
    return (
        scoped(waiting, user=user, via="house__address__police_district")
        .select_related("person", "house__address", "registered_by")
        .order_by("created_at")
    )


def history_of(*, user: Any, obj: Any) -> QuerySet[Any]:
    """The record's history: every audited write, newest first (fields, who, when, why)."""
    require(user, Capability.VIEW_RECORDS)
    return AuditEvent.objects.filter(
        object_type=obj._meta.label_lower, object_id=str(obj.pk),
        action__in=["create", "update", "delete"],
    ).order_by("-seq")  # fmt: skip


def communities_for(*, user: Any) -> QuerySet[Jurisdiction]:
    """Communities and villages covered by the police districts in the user's scope, with
    how many addresses, houses and current residents each holds."""
    require(user, Capability.VIEW_RECORDS)
    if not user.is_active or user.jurisdiction is None:
        return Jurisdiction.objects.none()
    return (
        Jurisdiction.objects.filter(
            kind=Kind.COMMUNITY, covered_by__path__within=user.jurisdiction.path
        )
        .distinct()
        .annotate(
            address_count=Count("addresses", distinct=True),
            house_count=Count("addresses__house", distinct=True),
        )
        .order_by("name")
    )


def buildings_of(*, user: Any, community: Jurisdiction) -> list[dict[str, Any]]:
    """A community's addresses grouped by building (road + door number + compound +
    building): the second level of the 社区 → 楼栋 → 房屋 → 人员 browse."""
    houses = houses_for(user=user, community=community).annotate(
        residents=Count("residences", filter=Q(residences__moved_out__isnull=True))
    )
    buildings: dict[tuple[str, ...], dict[str, Any]] = {}
    for house in houses:
        a = house.address
        key = (a.road, a.door_number, a.compound, a.building)
        entry = buildings.setdefault(key, {"label": _building_label(a), "houses": []})
        entry["houses"].append(house)
    return list(buildings.values())


def _building_label(address: Any) -> str:
    parts = [address.road, f"{address.door_number}号" if address.door_number else "",
             address.compound, f"{address.building}栋" if address.building else ""]  # fmt: skip
    return "".join(parts)
