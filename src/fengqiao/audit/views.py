from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from fengqiao.audit import selectors
from fengqiao.audit.models import Action


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    filters = {"action": request.GET.get("action", ""), "actor": request.GET.get("actor", "")}
    if filters["action"] not in Action.values:
        filters["action"] = ""
    events = selectors.events_for(user=request.user, **filters)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    query = urlencode({key: value for key, value in filters.items() if value})
    return render(
        request,
        "audit/event_list.html",
        {
            "page_obj": page,
            "filters": filters,
            "actions": Action.choices,
            "query_prefix": f"{query}&" if query else "",
        },
    )
