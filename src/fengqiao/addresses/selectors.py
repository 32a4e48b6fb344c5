"""Reads of standard addresses: scoped for staff, and the public doorplate lookup."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from fengqiao.accounts.selectors import scoped
from fengqiao.addresses import codes
from fengqiao.addresses.models import AddressStatus, StandardAddress
from fengqiao.core.roles import Capability, require
from fengqiao.jurisdictions.models import Jurisdiction, Kind

MAX_SUCCESSOR_HOPS = 20


def addresses_for(
    *, user: Any, search: str = "", community: Jurisdiction | None = None
) -> QuerySet[StandardAddress]:
    """Addresses in the user's scope, optionally in one community or matching text/code."""
    require(user, Capability.VIEW_RECORDS)
    found = scoped(StandardAddress.objects.all(), user=user, via="police_district")
    if community is not None:
        found = found.filter(community=community)
    if search:
        code = codes.normalise(search)
        text = search.strip()
        found = (
            found.filter(code=code)
            if codes.is_valid(code)
            else found.filter(Q(local_key__prefix=text) | Q(full_text__prefix=text))
        )
    return found.select_related("community", "police_district").order_by("full_text", "pk")


def current(address: StandardAddress) -> StandardAddress:
    """Follow merges to the address in use now (合并后的继承地址)."""
    for _hop in range(MAX_SUCCESSOR_HOPS):
        if address.status != AddressStatus.MERGED or address.successor is None:
            return address
        address = address.successor
    return address


def public_address(code: str) -> StandardAddress | None:
    """The doorplate lookup (no login): ``None`` for malformed or unknown codes alike, so
    the answer never hints at what exists."""
    code = codes.normalise(code)
    if not codes.is_valid(code):
        return None
    return (
        StandardAddress.objects.select_related("police_district", "community")
        .filter(code=code)
        .first()
    )


def public_contacts(address: StandardAddress) -> dict[str, Any]:
    """What a doorplate page may show besides the address: the police room and the duty
    phone of the room, district or station, nearest first. Never a resident."""
    district = address.police_district
    room = district.children.filter(kind=Kind.POLICE_ROOM).order_by("pk").first()
    station = district.parent
    phone = next((n.duty_phone for n in (room, district, station) if n and n.duty_phone), "")
    return {
        "police_room": room,
        "police_district": district,
        "station": station,
        "duty_phone": phone,
    }
