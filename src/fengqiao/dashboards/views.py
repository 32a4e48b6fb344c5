from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from fengqiao.core.roles import CAPABILITIES, Capability
from fengqiao.dashboards.selectors import home_summary
from fengqiao.disputes import selectors as dispute_selectors
from fengqiao.incidents.selectors import work_summary


@login_required
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    return render(
        request,
        "dashboards/home.html",
        {
            "summary": home_summary(user=user),
            "show_figures": user.can(Capability.VIEW_AGGREGATES),
            "can_view_records": user.can(Capability.VIEW_RECORDS),
            "work": work_summary(user=user) if user.can(Capability.VIEW_RECORDS) else None,
            # A mediator's home is his open cases: the only records he may read.
            "my_cases": dispute_selectors.my_open_cases(user),
            "capabilities": [Capability(c).label for c in sorted(CAPABILITIES.get(user.role, ()))],
        },
    )
