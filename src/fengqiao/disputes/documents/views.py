"""调解文书 downloads and the case page's documents panel.

Thin: the case comes through the scoped selector (404 outside the user's scope),
:func:`fengqiao.disputes.documents.services.print_document` checks the user works the case,
builds the PDF and audits it; a document the case cannot have yet sends the user back to
the case page with the reason."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from fengqiao.disputes import selectors
from fengqiao.disputes.documents import services as documents
from fengqiao.disputes.models import DisputeCase
from fengqiao.disputes.services import check_scope
from fengqiao.incidents import codes

URL_NAMES = {
    documents.AGREEMENT: "disputes:document_agreement",
    documents.APPLICATION: "disputes:document_application",
    documents.CONFIRMATION: "disputes:document_confirmation",
}


def _download(request: HttpRequest, code: str, kind: str, follow_up_pk: int | None = None
              ) -> HttpResponse:  # fmt: skip
    case = get_object_or_404(selectors.cases_for(request.user), code=codes.normalise(code))
    follow_up = None
    if follow_up_pk is not None:
        follow_up = get_object_or_404(case.follow_ups.all(), pk=follow_up_pk)
    try:
        printed = documents.print_document(
            actor=request.user, case=case, kind=kind, follow_up=follow_up
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("disputes:detail", code=case.code)
    response = HttpResponse(printed.content, content_type="application/pdf")
    response["Content-Disposition"] = printed.content_disposition
    # Full personal details: no shared cache may keep a copy.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def agreement(request: HttpRequest, code: str) -> HttpResponse:
    """人民调解协议书 or 治安调解协议书 (PDF), audited."""
    return _download(request, code, documents.AGREEMENT)


@login_required
@require_GET
def application(request: HttpRequest, code: str) -> HttpResponse:
    """人民调解申请书 (PDF), audited."""
    return _download(request, code, documents.APPLICATION)


@login_required
@require_GET
def confirmation(request: HttpRequest, code: str) -> HttpResponse:
    """司法确认申请书 (PDF), audited."""
    return _download(request, code, documents.CONFIRMATION)


@login_required
@require_GET
def follow_up(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """回访记录 of one recorded visit (PDF), audited."""
    return _download(request, code, documents.FOLLOW_UP, pk)


def panel(request: HttpRequest, case: DisputeCase, forms: dict[str, Any] | None) -> dict[str, Any]:
    """Context of ``disputes/_panel_documents.html``: the documents of the case's track,
    each with its download link or the reason it cannot be printed yet, and the record
    of every visit done. Only those who work the case may print."""
    try:
        check_scope(request.user, case)
    except PermissionDenied:
        return {"documents_can_print": False, "documents_offers": [], "documents_visits": []}
    offers = [
        {
            "label": offer.label,
            "problem": offer.problem,
            "url": reverse(URL_NAMES[offer.kind], args=[case.code]) if offer.available else "",
        }
        for offer in documents.document_offers(case)
    ]
    visits = [
        {
            "done_at": visit.done_at,
            "outcome": visit.get_outcome_display(),
            "url": reverse("disputes:document_follow_up", args=[case.code, visit.pk]),
        }
        for visit in case.follow_ups.filter(done_at__isnull=False).order_by("done_at", "pk")
    ]
    return {"documents_can_print": True, "documents_offers": offers, "documents_visits": visits}
