"""Writes to the standard-address registry (标准地址)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from fengqiao.addresses import codes
from fengqiao.addresses.models import AddressStatus, StandardAddress
from fengqiao.audit import services as audit
from fengqiao.core.concurrency import save_versioned
from fengqiao.core.roles import Capability, require
from fengqiao.jurisdictions import selectors as jurisdiction_selectors
from fengqiao.jurisdictions.models import Jurisdiction, Kind

ELEMENTS = ("road", "door_number", "compound", "building", "unit", "floor", "room")


def police_district_of(area: Jurisdiction) -> Jurisdiction:
    """The police district (警务区) that covers a grid, or else its community."""
    for candidate in (area, area.parent if area.kind == Kind.GRID else None):
        if candidate is None:
            continue
        district = candidate.covered_by.filter(kind=Kind.POLICE_DISTRICT).first()
        if district:
            return district
    raise ValidationError(
        _("%(area)s 还没有划入任何警务区，请先设置警务区覆盖范围。") % {"area": area}
    )


def county_of(community: Jurisdiction) -> Jurisdiction:
    county = jurisdiction_selectors.ancestors(community).filter(kind=Kind.COUNTY).first()
    if county is None or not county.code:
        raise ValidationError(_("%(area)s 不在带行政区划代码的区县之下。") % {"area": community})
    return county


def printed_form(community: Jurisdiction, address: StandardAddress) -> str:
    """山西省晋城市城区南街街道凤台社区阳头路12号3栋2单元502室."""
    above = [node.name for node in jurisdiction_selectors.ancestors(community)
             if node.kind in {Kind.PROVINCE, Kind.CITY, Kind.COUNTY, Kind.TOWNSHIP}]  # fmt: skip
    return "".join([*above, community.name, address.local_text])


def _next_code(county_code: str) -> str:
    last = StandardAddress.objects.filter(code__startswith=county_code).aggregate(m=Max("code"))[
        "m"
    ]
    serial = 1 + (_decode_serial(last[6:-1]) if last else 0)
    return codes.make_code(county_code, serial)


def _decode_serial(text: str) -> int:
    number = 0
    for char in text:
        number = number * 31 + codes.ALPHABET.index(char)
    return number


def _check_area(actor: Any, community: Jurisdiction, grid: Jurisdiction | None) -> Jurisdiction:
    if community.kind != Kind.COMMUNITY:
        raise ValidationError(_("请选择社区或村。"))
    if grid is not None and grid.parent_id != community.pk:
        raise ValidationError(_("网格不属于所选社区。"))
    district = police_district_of(grid or community)
    if actor is not None:
        require(actor, Capability.EDIT_RECORDS)
        if actor.jurisdiction is None or not actor.jurisdiction.contains(district):
            raise PermissionDenied(_("该地址不在您的辖区内。"))
    return district


@transaction.atomic
def create_address(
    *,
    actor: Any,
    community: Jurisdiction,
    grid: Jurisdiction | None = None,
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    **elements: str,
) -> StandardAddress:
    """Register a standard address and give it its code (see :mod:`addresses.codes`)."""
    unknown = set(elements) - set(ELEMENTS)
    if unknown:
        raise ValueError(f"unknown address elements: {sorted(unknown)}")
    district = _check_area(actor, community, grid)
    address = StandardAddress(
        community=community, grid=grid, police_district=district,
        latitude=latitude, longitude=longitude,
        **{name: (elements.get(name) or "").strip() for name in ELEMENTS},
    )  # fmt: skip
    if not (address.road or address.compound):
        raise ValidationError(_("地址至少需要街路巷或小区名称。"))
    address.full_text = printed_form(community, address)
    address.local_key = address.local_text
    address.code = _next_code(county_of(community).code)
    address.full_clean()
    address.save()
    audit.record(actor=actor, action="create", obj=address, fields=["code", *ELEMENTS])
    return address


def _retire(actor: Any, address: StandardAddress, status: str, successor: StandardAddress | None,
            reason: str) -> StandardAddress:  # fmt: skip
    _check_area(actor, address.community, address.grid)
    if address.status != AddressStatus.ACTIVE:
        raise ValidationError(_("该地址已停用。"))
    if not reason.strip():
        raise ValidationError(_("请填写原因。"))
    version = address.version
    address.status, address.successor = status, successor
    save_versioned(address, expected_version=version, fields=["status", "successor"])
    audit.record(actor=actor, action="update", obj=address, fields=["status", "successor"],
                 reason=reason)  # fmt: skip
    return address


@transaction.atomic
def merge_address(
    *, actor: Any, address: StandardAddress, into: StandardAddress, reason: str
) -> StandardAddress:
    """合并: the address stops being used; its code keeps resolving to ``into``."""
    if into.pk == address.pk or into.status != AddressStatus.ACTIVE:
        raise ValidationError(_("只能合并到另一个在用的地址。"))
    return _retire(actor, address, AddressStatus.MERGED, into, reason)


@transaction.atomic
def demolish_address(*, actor: Any, address: StandardAddress, reason: str) -> StandardAddress:
    """拆除: the address stays on record (and on people's history) but is no longer used."""
    return _retire(actor, address, AddressStatus.DEMOLISHED, None, reason)
