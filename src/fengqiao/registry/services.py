"""Writes to 实有房屋 / 实有人口 / 实有单位: one function per use case, audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.addresses.models import AddressStatus, StandardAddress
from fengqiao.audit import services as audit
from fengqiao.core.concurrency import save_versioned
from fengqiao.core.roles import Capability, require
from fengqiao.core.validators import normalise_id_number
from fengqiao.registry import population
from fengqiao.registry.models import (
    House,
    HouseholdType,
    Organisation,
    Person,
    Relation,
    Residence,
    ResidenceStatus,
)

HOUSE_FIELDS = ("owner_name", "owner_phone", "use", "area_m2", "rental_rooms", "rented_since",
                "landlord", "landlord_is_guardian", "guardian_account")  # fmt: skip
PERSON_FIELDS = ("name", "id_number", "phone", "household_type", "note")
ORGANISATION_FIELDS = ("name", "credit_code", "industry", "address", "responsible_name",
                       "responsible_id_number", "responsible_phone", "closed_on")  # fmt: skip

# The rental-housing flow: who may move a tenant registration from which state to which.
TENANT_TRANSITIONS: dict[tuple[str, str], str] = {
    (ResidenceStatus.PENDING, ResidenceStatus.VERIFIED): Capability.REVIEW_TENANTS,
    (ResidenceStatus.PENDING, ResidenceStatus.APPROVED): Capability.REVIEW_TENANTS,
    (ResidenceStatus.VERIFIED, ResidenceStatus.APPROVED): Capability.REVIEW_TENANTS,
    (ResidenceStatus.PENDING, ResidenceStatus.REJECTED): Capability.REVIEW_TENANTS,
    (ResidenceStatus.VERIFIED, ResidenceStatus.REJECTED): Capability.REVIEW_TENANTS,
}


def _check_scope(actor: Any, scope_path: str, capability: str = Capability.EDIT_RECORDS) -> None:
    if actor is None:  # the command line: imports and the demo
        return
    require(actor, capability)
    if actor.jurisdiction is None or not scope_path.startswith(actor.jurisdiction.path):
        raise PermissionDenied(_("该记录不在您的辖区内。"))


def _active(address: StandardAddress) -> None:
    if address.status != AddressStatus.ACTIVE:
        raise ValidationError(_("该地址已停用，请使用继承地址。"))


def _save_changes(actor: Any, obj: Any, expected_version: int, allowed: tuple[str, ...],
                  changes: dict[str, Any]) -> Any:  # fmt: skip
    unknown = set(changes) - set(allowed)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    if "id_number" in changes:
        changes["id_number"] = normalise_id_number(changes["id_number"])
    changed = [name for name, value in changes.items() if getattr(obj, name) != value]
    for name in changed:
        setattr(obj, name, changes[name])
    obj.full_clean()
    save_versioned(obj, expected_version=expected_version, fields=changed)
    if changed:
        audit.record(actor=actor, action="update", obj=obj, fields=changed)
    return obj


@transaction.atomic
def register_house(*, actor: Any, address: StandardAddress, **fields: Any) -> House:
    """登记实有房屋 at a standard address (one house per address)."""
    _check_scope(actor, address.police_district.path)
    _active(address)
    house = House(address=address, **{k: v for k, v in fields.items() if k in HOUSE_FIELDS})
    house.full_clean()
    house.save()
    audit.record(actor=actor, action="create", obj=house, fields=["address", *fields])
    return house


@transaction.atomic
def update_house(*, actor: Any, house: House, expected_version: int, **changes: Any) -> House:
    """Edit a house; refused if someone saved it since ``expected_version``."""
    _check_scope(actor, house.scope_path)
    return _save_changes(actor, house, expected_version, HOUSE_FIELDS, changes)


def _move_in(actor: Any, person: Person, house: House, relation: str, moved_in: dt.date,
             status: str) -> Residence:  # fmt: skip
    if (
        person.residences.filter(house=house, moved_out__isnull=True)
        .exclude(status=ResidenceStatus.REJECTED)
        .exists()
    ):
        raise ValidationError(_("此人已登记居住在该房屋。"))
    residence = Residence(person=person, house=house, relation=relation, moved_in=moved_in,
                          status=status, registered_by=actor)  # fmt: skip
    residence.full_clean()
    residence.save()
    district, kept_by = house.address.police_district, person.police_district_id
    if status == ResidenceStatus.APPROVED and kept_by != district.pk:
        Person.objects.filter(pk=person.pk).update(police_district=district)
        person.police_district = district
    population.recount(districts=[kept_by, district.pk])
    audit.record(actor=actor, action="create", obj=residence,
                 fields=["person", "house", "relation", "moved_in", "status"])  # fmt: skip
    return residence


def _find_or_new_person(actor: Any, house: House, name: str, id_number: str, phone: str,
                        household_type: str, note: str = "") -> Person:  # fmt: skip
    id_number = normalise_id_number(id_number)
    # A person is one record nationwide-unique by ID number: someone moving in from another
    # station keeps his record, which follows him here once the stay is approved.
    existing = Person.objects.filter(id_number=id_number).first() if id_number else None
    if existing:
        return existing
    person = Person(name=name.strip(), id_number=id_number, phone=phone.strip(),
                    household_type=household_type, note=note,
                    police_district=house.address.police_district)  # fmt: skip
    person.full_clean()
    person.save()
    audit.record(actor=actor, action="create", obj=person, fields=list(PERSON_FIELDS))
    return person


@transaction.atomic
def register_person(
    *,
    actor: Any,
    house: House,
    name: str,
    relation: str,
    moved_in: dt.date,
    id_number: str = "",
    phone: str = "",
    household_type: str = HouseholdType.REGISTERED,
    note: str = "",
) -> Residence:
    """登记实有人口: the person (found by ID number if already known) and his residence."""
    _check_scope(actor, house.scope_path)
    _active(house.address)
    person = _find_or_new_person(actor, house, name, id_number, phone, household_type, note)
    return _move_in(actor, person, house, relation, moved_in, ResidenceStatus.APPROVED)


@transaction.atomic
def update_person(*, actor: Any, person: Person, expected_version: int, **changes: Any) -> Person:
    """Edit a person's data; refused if someone saved it since ``expected_version``."""
    _check_scope(actor, person.scope_path)
    return _save_changes(actor, person, expected_version, PERSON_FIELDS, changes)


@transaction.atomic
def move_out(*, actor: Any, residence: Residence, moved_out: dt.date) -> Residence:
    """迁出: the stay ends on ``moved_out``; nothing is deleted."""
    _check_scope(actor, residence.scope_path)
    if residence.moved_out is not None:
        raise ValidationError(_("已登记迁出。"))
    if moved_out < residence.moved_in:
        raise ValidationError(_("迁出日期不能早于迁入日期。"))
    version = residence.version
    residence.moved_out = moved_out
    save_versioned(residence, expected_version=version, fields=["moved_out"])
    population.recount(districts=[residence.person.police_district_id])
    audit.record(actor=actor, action="update", obj=residence, fields=["moved_out"])
    return residence


@transaction.atomic
def register_tenant(
    *, actor: Any, house: House, name: str, id_number: str, phone: str, moved_in: dt.date
) -> Residence:
    """The landlord (守户员) registers a tenant of his own house; it waits for review."""
    require(actor, Capability.REGISTER_TENANTS)
    if house.guardian_account_id != actor.pk:
        raise PermissionDenied(_("只能登记本人房屋的租户。"))
    _active(house.address)
    person = _find_or_new_person(None, house, name, id_number, phone, HouseholdType.FLOATING)
    return _move_in(actor, person, house, Relation.TENANT, moved_in, ResidenceStatus.PENDING)


@transaction.atomic
def review_tenant(*, actor: Any, residence: Residence, to: str, note: str = "") -> Residence:
    """核实 / 确认 / 退回 a tenant registration, along ``TENANT_TRANSITIONS``."""
    capability = TENANT_TRANSITIONS.get((residence.status, to))
    if capability is None:
        raise ValidationError(
            _("不能从“%(from)s”改为“%(to)s”。")
            % {"from": ResidenceStatus(residence.status).label, "to": ResidenceStatus(to).label}
        )
    _check_scope(actor, residence.scope_path, capability)
    if to == ResidenceStatus.REJECTED and not note.strip():
        raise ValidationError(_("退回时请写明原因。"))
    version = residence.version
    residence.status, residence.reviewed_by, residence.review_note = to, actor, note.strip()
    save_versioned(residence, expected_version=version,
                   fields=["status", "reviewed_by", "review_note"])  # fmt: skip
    district, kept_by = (
        residence.house.address.police_district_id,
        residence.person.police_district_id,
    )
    if to == ResidenceStatus.APPROVED:
        Person.objects.filter(pk=residence.person_id).update(police_district=district)
    population.recount(districts=[kept_by, district])
    audit.record(actor=actor, action="update", obj=residence, fields=["status"], reason=note)
    return residence


@transaction.atomic
def register_organisation(*, actor: Any, address: StandardAddress, **fields: Any) -> Organisation:
    """登记实有单位 at a standard address."""
    _check_scope(actor, address.police_district.path)
    _active(address)
    values = {k: v for k, v in fields.items() if k in ORGANISATION_FIELDS}
    values["credit_code"] = (values.get("credit_code") or "").strip().upper()
    organisation = Organisation(address=address, **values)
    organisation.full_clean()
    organisation.save()
    audit.record(actor=actor, action="create", obj=organisation, fields=list(values))
    return organisation


@transaction.atomic
def update_organisation(
    *, actor: Any, organisation: Organisation, expected_version: int, **changes: Any
) -> Organisation:
    """Edit an organisation; refused if someone saved it since ``expected_version``."""
    _check_scope(actor, organisation.scope_path)
    return _save_changes(actor, organisation, expected_version, ORGANISATION_FIELDS, changes)
