"""The 500 page in the site's frame: Django's own handler renders it without the request,
so a signed-in user would meet a page that offers him the login and no navigation."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.views.defaults import server_error as plain_server_error

logger = logging.getLogger(__name__)


def server_error(request: HttpRequest) -> HttpResponse:
    """With the request's context (user, navigation, language) when that can be built;
    Django's plain page when the failure is the kind that breaks it (a database down)."""
    try:
        return render(request, "500.html", status=HttpResponseServerError.status_code)
    except Exception:
        logger.exception("the 500 page could not use the request's context")
        return plain_server_error(request)
