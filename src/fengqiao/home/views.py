"""我的工作: the page a user lands on after signing in."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from fengqiao.core.roles import CAPABILITIES, Capability
from fengqiao.home import selectors


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Where the user stands, then a section per hat he wears (mediator, community
    officer, station chief, duty officer), each count linking to the list behind it."""
    user = request.user
    work = selectors.my_work(user=user)
    return render(
        request,
        "home/home.html",
        {
            "summary": selectors.home_summary(user=user),
            "work": work,
            "show_figures": user.can(Capability.VIEW_AGGREGATES),
            "can_view_records": user.can(Capability.VIEW_RECORDS),
            "now": timezone.now(),
            "today": timezone.localdate(),
            "capabilities": [Capability(c).label for c in sorted(CAPABILITIES.get(user.role, ()))],
        },
    )
