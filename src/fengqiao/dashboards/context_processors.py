from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from fengqiao.dashboards.navigation import NAVIGATION


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {}
    namespace = request.resolver_match.namespace if request.resolver_match else ""
    items = [
        {
            "label": item.label,
            "url": reverse(item.url_name),
            "active": item.url_name.split(":")[0] == namespace,
        }
        for item in NAVIGATION
        if item.capability is None or user.can(item.capability)
    ]
    return {"nav_items": items}
