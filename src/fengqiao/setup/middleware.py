from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse


class FirstRunMiddleware:
    """Before the first-run setup is done, every page sends the visitor to it. Only
    when ``fengqiao serve`` turned it on (``FENGQIAO_FIRST_RUN``): a deployment that
    loads its accounts otherwise never sees it. Once done, it stays out of the way
    without asking the database again."""

    EXEMPT = ("/setup/", "/healthz", "/i18n/", "/favicon")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.done = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            not self.done
            and getattr(settings, "FENGQIAO_FIRST_RUN", False)
            and not request.path.startswith((*self.EXEMPT, settings.STATIC_URL))
        ):
            from fengqiao.setup.services import setup_done

            if setup_done():
                self.done = True
            else:
                target = reverse("setup:page")
                if request.headers.get("HX-Request"):
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = target
                    return response
                return redirect(target)
        return self.get_response(request)
