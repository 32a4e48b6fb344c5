"""The site's URLs plus one view that fails, to see the 500 page as a user would."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from fengqiao.urls import handler500  # noqa: F401 — the site's own
from fengqiao.urls import urlpatterns as site


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug in a view")


urlpatterns = [path("test-failure/", fail), *site]
