"""接口令牌: issuing, revoking and checking the tokens other systems call the API with."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.models import ApiToken, User
from fengqiao.audit import services as audit
from fengqiao.core.roles import Capability, require

PREFIX = "fq_"
NAME_MAX_LENGTH = 100
TOUCH_EVERY = dt.timedelta(minutes=10)  # last_used_at is a hint, not a write per request


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_manages(actor: User, account: User, refusal: str) -> None:
    """Tokens are staff-account business (管理人员账号), for accounts in one's own subtree."""
    require(actor, Capability.MANAGE_STAFF)
    unit = account.jurisdiction
    if not (actor.jurisdiction and unit and actor.jurisdiction.contains(unit)):
        raise PermissionDenied(refusal)


@transaction.atomic
def issue(*, actor: User | None, user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user`` (a service account, e.g. the 110 system's) named for the
    system that holds it; returns it and its secret, which is not kept and cannot be shown
    again. ``actor=None`` is the command line."""
    if actor is not None:
        _check_manages(actor, user, _("只能为本人辖区内的账号签发令牌。"))
    name = name.strip()
    if not name or len(name) > NAME_MAX_LENGTH:
        message = _("请填写令牌名称（哪个系统持有它，最多 %(n)d 字）。")
        raise ValidationError({"name": message % {"n": NAME_MAX_LENGTH}})
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, prefix=secret[:10], digest=digest(secret))
    audit.record(actor=actor, action="create", obj=token, fields=["user", "name"])
    return token, secret


@transaction.atomic
def revoke(*, actor: User | None, token: ApiToken) -> ApiToken:
    """吊销: the token stops working at once; it stays listed, with when."""
    if actor is not None:
        _check_manages(actor, token.user, _("只能吊销本人辖区内账号的令牌。"))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(actor=actor, action="update", obj=token, fields=["revoked_at"])
    return token


def authenticate(secret: str) -> User | None:
    """The active account a valid, unrevoked token belongs to (its unit loaded), else
    None. One indexed read; the last use is written at most every ten minutes."""
    if not secret.startswith(PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user__jurisdiction")
        .filter(digest=digest(secret), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
