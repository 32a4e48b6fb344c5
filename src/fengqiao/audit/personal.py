"""Showing personal identifiers on pages: masked by default, revealed with a reason.

Every app that shows a record with ``PERSONAL_FIELDS`` uses these two helpers with its
own scoped fetch, so the flow (and its audit) is the same everywhere."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from fengqiao.audit.services import reveal_personal_field
from fengqiao.core.masking import mask
from fengqiao.core.roles import Capability

# htmx swaps 422 answers too (see base.html), so the form comes back with its error.
INVALID = 422


def masked_fields(request: HttpRequest, obj: Any, url_name: str) -> dict[str, dict[str, Any]]:
    """Context for ``core/_masked_field.html``: each personal field masked, with its
    reveal link when the user may reveal."""
    can_reveal = request.user.can(Capability.REVEAL_PERSONAL)
    return {
        field: {
            "field_id": f"{field}-{obj.pk}",
            "masked": mask(kind, getattr(obj, field)),
            "can_reveal": can_reveal,
            "reveal_url": reverse(url_name, args=[obj.pk, field]),
        }
        for field, kind in obj.PERSONAL_FIELDS.items()
    }


def reveal(request: HttpRequest, *, obj: Any, field: str, url_name: str) -> HttpResponse:
    """GET: the reason form; POST: the audited reveal of ``obj.field``. ``obj`` must come
    from the caller's scoped selector (a record out of scope is a 404 before this)."""
    context = {
        "field_id": f"{field}-{obj.pk}",
        "reveal_url": reverse(url_name, args=[obj.pk, field]),
    }
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            value = reveal_personal_field(user=request.user, obj=obj, field=field, reason=reason)
        except ValidationError as error:
            context |= {"error": " ".join(error.messages), "reason": reason}
            return render(request, "core/_reveal_form.html", context, status=INVALID)
        return render(request, "core/_revealed_field.html", context | {"value": value})
    if not request.user.can(Capability.REVEAL_PERSONAL):
        raise PermissionDenied
    return render(request, "core/_reveal_form.html", context)
