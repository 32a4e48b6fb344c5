from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """zh-Hans unless the user chose otherwise (the language cookie set by the switch).

    The browser's Accept-Language is ignored on purpose: station computers often run
    English-language systems, and the platform speaks Chinese first."""

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class ClientAddressMiddleware:
    """Put the client's own address in ``REMOTE_ADDR`` when the platform runs behind
    reverse proxies, so the login lock, the tracking page's limits and the audit log see
    the citizen and not the proxy (which would lock everyone together).

    Each trusted proxy appends the address it saw to ``X-Forwarded-For``; with N of them
    the client is the N-th entry from the right. Entries further left were written by the
    client himself and are ignored; a header shorter than N, or not an address, leaves
    ``REMOTE_ADDR`` as it is."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.proxies: int = settings.TRUSTED_PROXIES

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.proxies:
            forwarded = [
                hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            ]
            if len(forwarded) >= self.proxies:
                client = forwarded[-self.proxies]
                with contextlib.suppress(ValueError):
                    request.META["REMOTE_ADDR"] = str(ipaddress.ip_address(client))
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set, and one rule for caches: a
    response that sets a cookie is never stored by a shared cache (a cookie meant for
    one visitor would be handed to the next)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if response.cookies and "public" in response.get("Cache-Control", ""):
            directives = [
                d.strip()
                for d in response["Cache-Control"].split(",")
                if d.strip() and d.strip() != "public" and not d.strip().startswith("s-maxage")
            ]
            response["Cache-Control"] = ", ".join(["private", *directives])
        return response
