"""Public pages (no login): what a citizen reaches by scanning a doorplate."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control

from fengqiao.addresses import codes, selectors
from fengqiao.addresses.models import AddressStatus


@cache_control(public=True, max_age=300)
def address_page(request: HttpRequest, code: str) -> HttpResponse:
    """二维码门牌落地页: the address, the police room and its duty phone, services.
    Only public facts; an unknown or mistyped code gets the same polite 404."""
    address = selectors.public_address(code)
    if address is None:
        return render(request, "portal/address_unknown.html", {"code": code[:20]}, status=404)
    now = selectors.current(address)
    if now.code != code:  # merged, or typed loosely (spaces, dashes, lower case)
        return redirect("portal:address", code=now.code)
    return render(
        request,
        "portal/address.html",
        {
            "address": address,
            "grouped_code": codes.grouped(address.code),
            "demolished": address.status == AddressStatus.DEMOLISHED,
            **selectors.public_contacts(address),
        },
    )
