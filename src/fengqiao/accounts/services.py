"""Writes about staff accounts, and the audited reveal of personal identifiers."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.models import ACTIVATION_DAYS, AccountActivation, StaffKind, User
from fengqiao.audit import services as audit
from fengqiao.core.concurrency import save_versioned
from fengqiao.core.roles import Capability, Role, require
from fengqiao.core.validators import normalise_id_number
from fengqiao.jurisdictions.models import Jurisdiction

EDITABLE_FIELDS = ("full_name", "role", "staff_kind", "post", "jurisdiction", "badge_number",
                   "id_number", "phone", "is_active")  # fmt: skip


def role_refusal(*, actor: User, role: str) -> str:
    """Why ``actor`` may not give ``role`` ("" if he may). Only an administrator makes
    administrators (the one role that can manage jurisdictions and scoring); whether he
    may place one at a given unit is the scope's question (a bureau's administrator
    cannot open the province's)."""
    if role == Role.ADMIN and actor.role != Role.ADMIN:
        return _("只有管理员可以设置管理员。")
    return ""


def assignable_roles(actor: User) -> list[tuple[str, str]]:
    """The roles ``actor`` may give, as (value, label): what a form or a template offers."""
    return [(value, str(label)) for value, label in Role.choices
            if not role_refusal(actor=actor, role=value)]  # fmt: skip


def _check_assignable(*, actor: User, role: str, jurisdiction: Jurisdiction | None) -> None:
    require(actor, Capability.MANAGE_STAFF)
    if (
        jurisdiction is None
        or not actor.jurisdiction
        or not actor.jurisdiction.contains(jurisdiction)
    ):
        raise PermissionDenied(_("只能在本人辖区内设置人员。"))
    refusal = role_refusal(actor=actor, role=role)
    if refusal:
        raise PermissionDenied(refusal)
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
    must_change_password: bool = False,
) -> User:
    """Open an account. ``actor=None`` is the command line (set-up and demo loading).
    ``password_hash`` (from ``make_password``) lets a loader hash a shared password once;
    ``make_password(None)`` opens an account that cannot log in until it is activated."""
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
        must_change_password=must_change_password,
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


# --- Activation links and initial passwords -------------------------------------------

# No 0/O, 1/l/I: an initial password is read off a printed list and typed by hand.
_READABLE_CHARACTERS = "abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRTUVWXY234679"


def initial_password() -> str:
    """A random initial password, 14 characters in groups of four and two dashes' worth
    of reading aid (``abcd-efgh-jkmn-pq``): ~79 bits, passes the password validators."""
    chars = "".join(secrets.choice(_READABLE_CHARACTERS) for _ in range(14))
    return "-".join(chars[i : i + 4] for i in range(0, 14, 4))


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def issue_activation(
    *, actor: User | None, user: User, days: int = ACTIVATION_DAYS
) -> tuple[AccountActivation, str]:
    """A one-time activation link's token for ``user``; returns the record and the token,
    which is not kept (only its digest) and cannot be shown again. Earlier unused links
    of the account stop working: only the newest one is valid."""
    if actor is not None:
        _check_assignable(actor=actor, role=user.role, jurisdiction=user.jurisdiction)
    now = timezone.now()
    AccountActivation.objects.filter(user=user, used_at__isnull=True).update(expires_at=now)
    token = secrets.token_urlsafe(32)
    activation = AccountActivation.objects.create(
        user=user,
        digest=_token_digest(token),
        created_by=actor,
        expires_at=now + dt.timedelta(days=days),
    )
    audit.record(actor=actor, action="create", obj=activation, fields=["user", "expires_at"])
    return activation, token


def activation_for(token: str) -> AccountActivation | None:
    """The valid activation a link's token belongs to: unused, not expired, its account
    active. None for anything else (a wrong, used or expired link looks the same)."""
    if not token or len(token) > 100:
        return None
    return (
        AccountActivation.objects.select_related("user__jurisdiction")
        .filter(
            digest=_token_digest(token),
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            user__is_active=True,
        )
        .first()
    )


@transaction.atomic
def activate(*, token: str, password: str) -> User:
    """激活: the account's holder sets his own password through the link, once. The
    password meets the project's validators (settings.AUTH_PASSWORD_VALIDATORS)."""
    activation = activation_for(token)
    if activation is None:
        raise ValidationError(_("激活链接无效、已使用或已过期，请联系管理员重新签发。"))
    # Two clicks at once: the second waits here and finds the link used.
    activation = AccountActivation.objects.select_for_update().get(pk=activation.pk)
    if activation.used_at is not None:
        raise ValidationError(_("激活链接无效、已使用或已过期，请联系管理员重新签发。"))
    user = activation.user
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    activation.used_at = timezone.now()
    activation.save(update_fields=["used_at"])
    audit.record(actor=user, action="update", obj=user, fields=["password"], reason="activation")
    return user


@transaction.atomic
def change_own_password(*, user: User, password: str) -> User:
    """The holder replaces his password (at first login after an initial password)."""
    validate_password(password, user)
    if user.check_password(password):
        raise ValidationError(_("新密码不能与初始密码相同。"))
    user.set_password(password)
    user.must_change_password = False
    user.save(update_fields=["password", "must_change_password"])
    audit.record(actor=user, action="update", obj=user, fields=["password"])
    return user
