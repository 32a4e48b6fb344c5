"""Writes about staff accounts, and the audited reveal of personal identifiers."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from fengqiao.accounts.models import StaffKind, User
from fengqiao.audit import services as audit
from fengqiao.core.concurrency import save_versioned
from fengqiao.core.roles import Capability, Role, require
from fengqiao.core.validators import normalise_id_number
from fengqiao.jurisdictions.models import Jurisdiction

EDITABLE_FIELDS = ("full_name", "role", "staff_kind", "post", "jurisdiction", "badge_number",
                   "id_number", "phone", "is_active")  # fmt: skip


def _check_assignable(*, actor: User, role: str, jurisdiction: Jurisdiction | None) -> None:
    require(actor, Capability.MANAGE_STAFF)
    if (
        jurisdiction is None
        or not actor.jurisdiction
        or not actor.jurisdiction.contains(jurisdiction)
    ):
        raise PermissionDenied(_("只能在本人辖区内设置人员。"))
    if role == Role.ADMIN and actor.role != Role.ADMIN:
        raise PermissionDenied(_("只有管理员可以设置管理员。"))
    if not jurisdiction.is_police:
        raise ValidationError(_("人员的所属辖区应为公安机关（分局、派出所、警务区等）。"))


@transaction.atomic
def create_staff(
    *,
    actor: User | None,
    username: str,
    password: str = "",
    password_hash: str = "",
    full_name: str,
    role: str,
    jurisdiction: Jurisdiction,
    staff_kind: str = StaffKind.POLICE,
    post: str = "",
    badge_number: str = "",
    id_number: str = "",
    phone: str = "",
) -> User:
    """Open an account. ``actor=None`` is the command line (set-up and demo loading).
    ``password_hash`` (from ``make_password``) lets a loader hash a shared password once."""
    if not (password or password_hash):
        raise ValidationError(_("需要设置初始密码。"))
    if actor is not None:
        _check_assignable(actor=actor, role=role, jurisdiction=jurisdiction)
    user = User(
        username=username.strip(),
        full_name=full_name.strip(),
        role=role,
        staff_kind=staff_kind,
        post=post,
        jurisdiction=jurisdiction,
        badge_number=badge_number.strip(),
        id_number=normalise_id_number(id_number),
        phone=phone.strip(),
        is_staff=False,
    )
    if password_hash:
        user.password = password_hash
    else:
        user.set_password(password)
    user.full_clean()
    user.save()
    audit.record(actor=actor, action="create", obj=user, fields=["username", *EDITABLE_FIELDS])
    return user


@transaction.atomic
def update_staff(*, actor: User, user: User, expected_version: int, **changes: Any) -> User:
    """Edit an account; refused if someone saved it since ``expected_version``."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    _check_assignable(
        actor=actor,
        role=changes.get("role", user.role),
        jurisdiction=changes.get("jurisdiction", user.jurisdiction),
    )
    if "id_number" in changes:
        changes["id_number"] = normalise_id_number(changes["id_number"])
    changed = [name for name, value in changes.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, changes[name])
    user.full_clean(exclude=["password"])
    save_versioned(user, expected_version=expected_version, fields=changed)
    if changed:
        audit.record(actor=actor, action="update", obj=user, fields=changed)
    return user
