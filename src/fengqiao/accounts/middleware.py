"""Accounts opened with an initial password choose their own before anything else."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class PasswordChangeRequiredMiddleware:
    """须修改密码: while ``must_change_password`` is set, every page but the password
    change itself, logging out, the language switch and static files redirects to the
    change page (an API call is refused with 403: a system has no one to change it).
    The initial password was printed on a list: until it is replaced, others may know it.
    Placed after AuthenticationMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            change = reverse("accounts:password_change")
            allowed = (
                change,
                reverse("accounts:logout"),
                reverse("set_language"),
                "/" + (settings.STATIC_URL or "static/").lstrip("/"),
            )
            if not request.path.startswith(allowed):
                if request.path.startswith("/api/"):
                    return HttpResponse(status=403)
                return redirect(change)
        return self.get_response(request)
