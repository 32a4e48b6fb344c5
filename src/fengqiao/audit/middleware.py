from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from fengqiao.audit.context import RequestOrigin, current_origin


class AuditContextMiddleware:
    """Make the request's origin known to every audit record written while serving it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        origin = RequestOrigin(
            ip_address=request.META.get("REMOTE_ADDR") or None,
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:200],
            path=request.path[:200],
        )
        token = current_origin.set(origin)
        try:
            return self.get_response(request)
        finally:
            current_origin.reset(token)
