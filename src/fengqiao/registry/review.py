"""地址待确认: the review queue of imported addresses the matcher could not settle.

An officer sees the queue grouped by the street or compound the parser read, and for each
text confirms one of the candidates (an existing address), creates it as a new standard
address (the parser's reading, corrected), or sets it aside with a reason. The ledger row
that waited for the address (a person, a house, an organisation) is written then, through
the import's own writers, and the change is audited. A whole group can be settled at once:
every text to its first candidate, or every text as a new address.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.addresses import services as address_services
from fengqiao.addresses.models import AddressStatus, StandardAddress
from fengqiao.addresses.selectors import addresses_for
from fengqiao.audit import services as audit
from fengqiao.core.roles import Capability, require
from fengqiao.jurisdictions.models import Jurisdiction
from fengqiao.registry import imports
from fengqiao.registry.address_texts import LOCAL_ELEMENTS
from fengqiao.registry.import_models import AddressReview, ReviewStatus


def reviews_for(*, user: Any) -> QuerySet[AddressReview]:
    """Queue items the user may settle: those of imports in his scope (the importer's
    unit lies in his subtree)."""
    require(user, Capability.EDIT_RECORDS)
    scope = user.jurisdiction if user.is_active else None
    if scope is None:
        return AddressReview.objects.none()
    return AddressReview.objects.filter(scope__path__startswith=scope.path).select_related(
        "community", "address", "job"
    )


@dataclass(frozen=True)
class Group:
    name: str
    pending: int
    total: int


def groups_for(*, user: Any, job_id: int | None = None) -> list[Group]:
    """The queue by street or compound, the groups with the most pending first."""
    items = reviews_for(user=user)
    if job_id is not None:
        items = items.filter(job_id=job_id)
    rows = (
        items.values("group")
        .annotate(total=Count("pk"), pending=Count("pk", filter=Q(status=ReviewStatus.PENDING)))
        .order_by("-pending", "group")
    )
    return [Group(r["group"], r["pending"], r["total"]) for r in rows]


def candidates_of(item: AddressReview, *, user: Any) -> list[tuple[StandardAddress, float]]:
    """The item's candidates still in use and in the user's scope, best first, then the
    addresses created from other texts of its group (a second text of a new building)."""
    scores = {c["code"]: c["score"] for c in item.candidates}
    in_scope = addresses_for(user=user)
    found = {a.code: a for a in in_scope.filter(code__in=scores, status=AddressStatus.ACTIVE)}
    out = [(found[code], scores[code]) for code in scores if code in found]
    siblings = (
        AddressReview.objects.filter(scope=item.scope, group=item.group, address__isnull=False)
        .exclude(pk=item.pk)
        .values_list("address_id", flat=True)
    )
    seen = {a.pk for a, _s in out}
    out += [(a, 0.0) for a in in_scope.filter(pk__in=siblings) if a.pk not in seen]
    return out


def _pending(item: AddressReview, user: Any) -> None:
    if not reviews_for(user=user).filter(pk=item.pk).exists():
        raise PermissionDenied
    if not item.is_pending:
        raise ValidationError(_("该地址已处理。"))


def _write_row(item: AddressReview, address: StandardAddress, user: Any) -> int | None:
    if item.kind == "addresses" or not item.payload:
        return None
    return imports.write_settled_row(
        kind=item.kind, user=user, row=item.row, payload=item.payload, address=address
    )


def _settle(
    item: AddressReview, *, user: Any, address: StandardAddress, status: str, note: str = ""
) -> AddressReview:
    item.record_id = _write_row(item, address, user)
    item.address, item.status, item.note = address, status, note[:200]
    item.resolved_by, item.resolved_at = user, timezone.now()
    item.save(
        update_fields=[
            "address", "status", "note", "record_id", "resolved_by", "resolved_at", "updated_at"
        ]
    )  # fmt: skip
    audit.record(
        actor=user, action="update", obj=item, fields=["status", "address"],
        scope_path=item.scope.path, reason=note,
    )  # fmt: skip
    return item


@transaction.atomic
def confirm(*, user: Any, item: AddressReview, address: StandardAddress) -> AddressReview:
    """确认: the text means this existing address."""
    _pending(item, user)
    if not addresses_for(user=user).filter(pk=address.pk).exists():
        raise PermissionDenied
    if address.status != AddressStatus.ACTIVE:
        raise ValidationError(_("该地址已停用，请选择在用的地址。"))
    return _settle(item, user=user, address=address, status=ReviewStatus.CONFIRMED)


@transaction.atomic
def create_new(
    *, user: Any, item: AddressReview, community: Jurisdiction, elements: dict[str, str]
) -> AddressReview:
    """新建: the text is a new standard address, as read (or as corrected)."""
    _pending(item, user)
    clean = {name: (elements.get(name) or "").strip() for name in LOCAL_ELEMENTS}
    same = StandardAddress.objects.filter(
        community=community, status=AddressStatus.ACTIVE, **clean
    ).first()
    if same is not None:  # another text of the group created it a moment ago
        return _settle(item, user=user, address=same, status=ReviewStatus.CONFIRMED)
    address = address_services.create_address(actor=user, community=community, **clean)
    return _settle(item, user=user, address=address, status=ReviewStatus.CREATED)


@transaction.atomic
def skip(*, user: Any, item: AddressReview, reason: str) -> AddressReview:
    """忽略: not an address of ours (or not one at all); the row is not imported."""
    _pending(item, user)
    if not reason.strip():
        raise ValidationError(_("请填写忽略的原因。"))
    item.status, item.note = ReviewStatus.SKIPPED, reason.strip()[:200]
    item.resolved_by, item.resolved_at = user, timezone.now()
    item.save(update_fields=["status", "note", "resolved_by", "resolved_at", "updated_at"])
    audit.record(actor=user, action="update", obj=item, fields=["status"], reason=reason,
                 scope_path=item.scope.path)  # fmt: skip
    return item


@dataclass(frozen=True)
class GroupOutcome:
    settled: int
    left: list[tuple[AddressReview, str]]  # items not settled, and why


def settle_group(*, user: Any, group: str, how: str, job_id: int | None = None) -> GroupOutcome:
    """A whole street or compound at once: ``how`` is ``"first"`` (every text to its
    first candidate) or ``"new"`` (every text a new address in its community). Each item
    is its own transaction: one that cannot be settled is left with the reason."""
    items = reviews_for(user=user).filter(group=group, status=ReviewStatus.PENDING)
    if job_id is not None:
        items = items.filter(job_id=job_id)
    settled, left = 0, []
    for item in items.order_by("row", "pk"):
        try:
            if how == "first":
                choices = candidates_of(item, user=user)
                if not choices:
                    raise ValidationError(_("没有候选地址。"))
                confirm(user=user, item=item, address=choices[0][0])
            elif how == "new":
                if item.community is None:
                    raise ValidationError(_("请先选择社区/村。"))
                create_new(user=user, item=item, community=item.community, elements=item.elements)
            else:
                raise ValueError(how)
        except (ValidationError, PermissionDenied) as error:
            message = " ".join(getattr(error, "messages", [str(error)]))
            left.append((item, message))
        else:
            settled += 1
    return GroupOutcome(settled, left)
