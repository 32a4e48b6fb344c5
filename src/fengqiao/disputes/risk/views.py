"""民转刑 early-warning pages: the station's warning list (medium- and high-risk open
cases, highest score first, every reason shown), "my notices" with mark-read, the
case page's risk panel and its "重新评估" button.

Thin: :mod:`fengqiao.disputes.risk.services` computes, reads and writes; templates render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fengqiao.core.forms import refusal_text
from fengqiao.core.roles import Capability
from fengqiao.disputes import selectors
from fengqiao.disputes.models import DisputeCase, RiskLevel
from fengqiao.disputes.risk import services as risk

PAGE_SIZE = 30
LEVELS = (RiskLevel.HIGH, RiskLevel.MEDIUM)


def panel(request: HttpRequest, case: DisputeCase, forms: dict[str, Any] | None) -> dict[str, Any]:
    """The case page's risk panel: score, level, every reason with its points, who was
    warned and whether he read it. The panel has no form of its own (the refresh button
    posts nothing but the CSRF token), so ``forms`` is not read."""
    user: Any = request.user
    return {
        "risk_reasons": risk.explain(case.risk_reasons or []),
        "risk_computed": case.risk_computed_at is not None,
        "risk_notices": list(risk.case_notices(case)),
        "risk_can_refresh": user.can(Capability.HANDLE_DISPUTES),
        "risk_medium_from": risk.medium_threshold(),
        "risk_high_from": risk.high_threshold(),
    }


@login_required
@require_GET
def risk_list(request: HttpRequest) -> HttpResponse:
    """预警列表: ``?level=high`` or ``medium`` keeps one level; no party is named, so
    the read is not a personal-data read."""
    level = request.GET.get("level", "")
    level = level if level in LEVELS else ""
    page = Paginator(risk.warning_list(request.user, level=level), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [{"case": case, "reasons": risk.explain(case.risk_reasons or [])} for case in page]
    return render(
        request,
        "disputes/risk/list.html",
        {
            "page": page,
            "rows": rows,
            "level": level,
            "levels": [(value, RiskLevel(value).label) for value in LEVELS],
            "query": f"level={level}&" if level else "",
        },
    )


@login_required
@require_GET
def risk_notices(request: HttpRequest) -> HttpResponse:
    """我的预警: the notices addressed to the user, unread first."""
    page = Paginator(risk.notices_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"notice": n, "reasons": risk.explain(n.reasons or [])} for n in page]
    return render(request, "disputes/risk/notices.html", {"page": page, "rows": rows})


@login_required
@require_POST
def risk_notice_read(request: HttpRequest, pk: int) -> HttpResponse:
    """已阅: only the notice's recipient may mark it."""
    notice = risk.mark_read(actor=request.user, notice_id=pk)
    messages.success(request, _("已标记为已阅：%(code)s") % {"code": notice.case.code})
    if request.POST.get("next") == "case":
        return redirect("disputes:detail", code=notice.case.code)
    return redirect("disputes:risk_notices")


@login_required
@require_POST
def risk_refresh(request: HttpRequest, code: str) -> HttpResponse:
    """重新评估: recompute one case's score now."""
    case = get_object_or_404(selectors.cases_for(request.user), code=code)
    try:
        score = risk.refresh(actor=request.user, case=case)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(
            request,
            _("已重新评估：%(score)d分（%(level)s）")
            % {"score": score.score, "level": RiskLevel(score.level).label},
        )
    return redirect("disputes:detail", code=case.code)
