"""Reads of standard addresses: scoped for staff, and the public doorplate lookup."""

from __future__ import annotations

from typing import Any

from django.db.models import Max, Q, QuerySet

from fengqiao.accounts.selectors import scoped
from fengqiao.addresses import codes, names
from fengqiao.addresses.models import AddressStatus, StandardAddress
from fengqiao.addresses.reading.matcher import DEPLOYMENT_CONFIDENT, Entry, Matcher
from fengqiao.addresses.resolver import AddressIndex, AddressRecord, Match, Resolution
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


# One matcher and one resolver index per scope, each rebuilt when the scope's addresses or
# the organisations registered at them change (count and latest edit):
# the matcher ranks (n-grams over the address text and the names of the organisations
# registered there, reranked by numbers, a calibrated score), the resolver's index reads
# the text into elements for the API's "parsed". A station's build in milliseconds.
_MATCHERS: dict[str, tuple[tuple[Any, ...], Matcher]] = {}
_RECORD_INDEXES: dict[str, tuple[tuple[Any, ...], AddressIndex]] = {}


def _active_in_scope(user: Any) -> tuple[QuerySet[StandardAddress], tuple[Any, ...]]:
    addresses = addresses_for(user=user).filter(status=AddressStatus.ACTIVE)
    # the names registered at the addresses are in the index too: a new shop changes it
    stamp = (
        addresses.count(),
        addresses.aggregate(latest=Max("updated_at"))["latest"],
        *names.stamp(addresses),
    )
    return addresses, stamp


def matcher_for(user: Any) -> Matcher:
    """The matcher over the active standard addresses in the user's scope (cached)."""
    addresses, stamp = _active_in_scope(user)
    key = user.jurisdiction.path
    cached = _MATCHERS.get(key)
    if cached and cached[0] == stamp:
        return cached[1]
    matcher = Matcher(_entries(addresses), confident_at=DEPLOYMENT_CONFIDENT)
    _MATCHERS[key] = (stamp, matcher)
    return matcher


def _index_for(user: Any) -> tuple[Matcher, AddressIndex]:
    matcher = matcher_for(user)
    addresses, stamp = _active_in_scope(user)
    key = user.jurisdiction.path
    cached = _RECORD_INDEXES.get(key)
    if cached and cached[0] == stamp:
        return matcher, cached[1]
    rows = addresses.select_related(None).select_related("community__parent").only(*_RECORD_FIELDS)
    index = AddressIndex(_record(address) for address in rows.iterator(chunk_size=5000))
    _RECORD_INDEXES[key] = (stamp, index)
    return matcher, index


def _entries(addresses: QuerySet[StandardAddress]) -> list[Entry]:
    """Matcher entries: the full text and the names registered at it (see names.py)."""
    registered = names.names_at(addresses)
    return [
        Entry(code, text, tuple(registered.get(pk, ())))
        for pk, code, text in addresses.values_list("pk", "code", "full_text").iterator(
            chunk_size=5000
        )
    ]


def deployment_entries() -> list[Entry]:
    """Every active standard address of the deployment, for `fengqiao addresses match`
    (a data officer's command line: no user, no scope)."""
    return _entries(StandardAddress.objects.filter(status=AddressStatus.ACTIVE))


_RECORD_FIELDS = (
    "code",
    "community__name",
    "community__parent__name",
    "road",
    "door_number",
    "compound",
    "building",
    "unit",
    "floor",
    "room",
    "full_text",
)


def _record(address: StandardAddress) -> AddressRecord:
    return AddressRecord(
        code=address.code,
        township=address.community.parent.name if address.community.parent else "",
        community=address.community.name,
        road=address.road,
        door_number=address.door_number,
        compound=address.compound,
        building=address.building,
        unit=address.unit,
        floor=address.floor,
        room=address.room,
    )


def resolve_text(
    *, user: Any, text: str, limit: int = 5
) -> tuple[Resolution, list[StandardAddress]]:
    """The free-text matcher over the user's addresses: what the text says, the best
    registry matches with their calibrated score (the probability that this is the
    address meant), whether it may be pre-selected (``confident``) and why, and those
    addresses."""
    require(user, Capability.VIEW_RECORDS)
    matcher, index = _index_for(user)
    text = text[:200]
    parsed = index.parse(text)
    candidates = matcher.match(text, limit=limit) if limit > 0 else []
    matches = [Match(c.code, c.score, c.reasons, c.confident) for c in candidates]
    resolution = Resolution(text, parsed, matches)
    found = {a.code: a for a in StandardAddress.objects.filter(code__in=[m.code for m in matches])}
    return resolution, [found[m.code] for m in matches if m.code in found]
