from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from fengqiao.core.roles import Capability
from fengqiao.dashboards.navigation import NAVIGATION


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    if not user.is_authenticated:
        return {}
    items = [
        {"label": item.label, "url": reverse(item.url_name), "active": False}
        for item in NAVIGATION
        if item.capability is None or user.can(item.capability)
    ]
    # The entry whose URL is the longest prefix of this page's is the current one.
    matching = [i for i in items if request.path.startswith(i["url"]) and i["url"] != "/"]
    current = max(matching, key=lambda i: len(i["url"]), default=None)
    if current is None and request.path == "/" and items:
        current = items[0]
    if current is not None:
        current["active"] = True
    # ``can.<capability>`` in every template: a link or button to a page is shown only to
    # whom the page will open (no link that ends on a 403).
    can = {capability.value: user.can(capability) for capability in Capability}
    return {"nav_items": items, "can": can}
