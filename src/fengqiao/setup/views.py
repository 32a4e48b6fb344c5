"""The first-run page: only before setup is done, only from the server's own machine."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from fengqiao.setup import services
from fengqiao.setup.forms import SetupForm

FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def is_local(request: HttpRequest) -> bool:
    """A client on this machine. Through a proxy that is not declared trusted, the
    address seen is the proxy's own loopback one: such a request is not local."""
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    forwarded = any(request.META.get(header) for header in FORWARDING_HEADERS)
    return address.is_loopback and (settings.TRUSTED_PROXIES > 0 or not forwarded)


def _refusal(request: HttpRequest) -> HttpResponse | None:
    if services.setup_done():
        raise Http404
    if not is_local(request):
        return render(request, "setup/local_only.html", status=403)
    return None


@never_cache
def setup_page(request: HttpRequest) -> HttpResponse:
    refused = _refusal(request)
    if refused is not None:
        return refused
    form = SetupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.complete_setup(
                username=data["username"], full_name=data["full_name"],
                password=data["password"], county_code=data["county"],
                township_codes=data["townships"], bureau_name=data["bureau_name"],
                origin=request.META.get("REMOTE_ADDR", ""),
            )  # fmt: skip
        except ValidationError as error:
            form.add_error(None, error)
        else:
            login(
                request, result.administrator, backend="django.contrib.auth.backends.ModelBackend"
            )
            messages.success(
                request,
                _("设置完成：已建立%(bureau)s和管理员账号 %(username)s。")
                % {"bureau": result.bureau.name, "username": result.administrator.username},
            )
            return redirect("dashboards:home")
    status = 422 if request.method == "POST" else 200
    return render(request, "setup/setup.html", {"form": form}, status=status)


@never_cache
def place(request: HttpRequest) -> HttpResponse:
    """The place selects again for what is chosen so far (htmx)."""
    refused = _refusal(request)
    if refused is not None:
        return refused
    return render(request, "setup/_place.html", {"form": SetupForm(request.GET)})
