"""地址待确认 pages: the queue by street or compound, one group, one text."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from fengqiao.addresses.models import StandardAddress
from fengqiao.addresses.selectors import addresses_for
from fengqiao.core.masking import mask
from fengqiao.jurisdictions.models import Jurisdiction
from fengqiao.registry import review
from fengqiao.registry.address_texts import LOCAL_ELEMENTS, TextSettler
from fengqiao.registry.import_models import AddressReview, ReviewStatus

ELEMENT_LABELS = {
    "road": gettext_lazy("街路巷"), "door_number": gettext_lazy("门牌号"),
    "compound": gettext_lazy("小区/院"), "building": gettext_lazy("楼栋"),
    "unit": gettext_lazy("单元"), "floor": gettext_lazy("楼层"), "room": gettext_lazy("户室"),
}  # fmt: skip


def _job_id(request: HttpRequest) -> int | None:
    value = request.GET.get("job") or request.POST.get("job") or ""
    return int(value) if value.isdigit() else None


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The groups with texts waiting, most first (optionally of one import)."""
    job_id = _job_id(request)
    groups = review.groups_for(user=request.user, job_id=job_id)
    page = Paginator(groups, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "registry/import/review.html",
        {
            "page": page,
            "job_id": job_id,
            "pending": sum(g.pending for g in groups),
            "query": f"job={job_id}&" if job_id else "",
        },
    )


def _communities(user: Any) -> list[Jurisdiction]:
    return sorted(TextSettler(user).by_pk().values(), key=lambda c: c.path)


def _row_summary(item: AddressReview) -> str:
    """What waited for the address, masked like every identifier."""
    payload = item.payload or {}
    parts = [payload.get("name") or payload.get("owner_name") or ""]
    if payload.get("id_number"):
        parts.append(mask("id_number", payload["id_number"]))
    parts.append(payload.get("credit_code", ""))  # a company's code is public
    return " · ".join(p for p in parts if p)


@login_required
@require_http_methods(["GET", "POST"])
def group(request: HttpRequest) -> HttpResponse:
    """One street or compound: each text with its candidates; settle all or one by one."""
    name = request.GET.get("name", request.POST.get("name", ""))
    job_id = _job_id(request)
    items = review.reviews_for(user=request.user).filter(group=name)
    if job_id is not None:
        items = items.filter(job_id=job_id)
    if not items.exists():
        raise Http404
    if request.method == "POST":
        how = request.POST.get("how", "")
        if how not in ("first", "new"):
            raise Http404
        outcome = review.settle_group(user=request.user, group=name, how=how, job_id=job_id)
        messages.success(request, _("已处理 %(n)d 条。") % {"n": outcome.settled})
        for item, reason in outcome.left[:20]:
            messages.error(request, f"{item.text}：{reason}")
        query = {"name": name, **({"job": job_id} if job_id else {})}
        return redirect(f"{reverse('registry_import:review_group')}?{urlencode(query)}")
    page = Paginator(items.order_by("status", "row", "pk"), 25).get_page(request.GET.get("page"))
    rows = [
        {
            "item": item,
            "summary": _row_summary(item),
            "candidates": review.candidates_of(item, user=request.user) if item.is_pending else [],
        }
        for item in page
    ]
    return render(
        request,
        "registry/import/review_group.html",
        {"name": name, "job_id": job_id, "page": page, "rows": rows,
         "pending": items.filter(status=ReviewStatus.PENDING).count(),
         "query": urlencode({"name": name, **({"job": job_id} if job_id else {})}) + "&"},
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def item(request: HttpRequest, pk: int) -> HttpResponse:
    """One text: confirm a candidate, create it as a new address (corrected), or skip."""
    try:
        record = review.reviews_for(user=request.user).get(pk=pk)
    except AddressReview.DoesNotExist:
        raise Http404 from None
    form = {name: record.elements.get(name, "") for name in LOCAL_ELEMENTS}
    community_id = record.community_id
    if request.method == "POST":
        action = request.POST.get("action")
        form = {name: request.POST.get(name, "").strip() for name in LOCAL_ELEMENTS}
        community_id = (
            int(request.POST["community"]) if request.POST.get("community", "").isdigit() else None
        )
        try:
            if action == "confirm":
                address = _address(request, request.POST.get("address", ""))
                review.confirm(user=request.user, item=record, address=address)
            elif action == "new":
                community = next(
                    (c for c in _communities(request.user) if c.pk == community_id), None
                )
                if community is None:
                    raise ValidationError(_("请选择社区/村。"))
                review.create_new(
                    user=request.user, item=record, community=community, elements=form
                )
            elif action == "skip":
                review.skip(user=request.user, item=record, reason=request.POST.get("reason", ""))
            else:
                raise Http404
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        except PermissionDenied:
            messages.error(request, _("该地址不在您的辖区内。"))
        else:
            messages.success(request, _("已处理：%(text)s") % {"text": record.text})
            return redirect(_next_url(record))
    return render(
        request,
        "registry/import/review_item.html",
        {"item": record, "summary": _row_summary(record),
         "candidates": review.candidates_of(record, user=request.user) if record.is_pending else [],
         "fields": [(name, ELEMENT_LABELS[name], form[name]) for name in LOCAL_ELEMENTS],
         "communities": _communities(request.user), "community_id": community_id},
    )  # fmt: skip


def _address(request: HttpRequest, code: str) -> StandardAddress:
    try:
        return addresses_for(user=request.user).get(code=code)
    except StandardAddress.DoesNotExist:
        raise ValidationError(_("请选择一个候选地址。")) from None


def _next_url(record: AddressReview) -> str:
    query: dict[str, Any] = {"name": record.group}
    if record.job_id:
        query["job"] = record.job_id
    return f"{reverse('registry_import:review_group')}?{urlencode(query)}"
