"""Doorplate downloads for staff: one address's QR code, a sheet of plates as PDF."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from fengqiao.addresses import codes, doorplates, picker, selectors
from fengqiao.addresses.models import AddressStatus, StandardAddress
from fengqiao.audit import services as audit
from fengqiao.jurisdictions.models import Jurisdiction

MAX_PLATES = 2000  # a large compound; more is a mistake, not a print job


def public_url(request: HttpRequest, address: StandardAddress) -> str:
    """The URL a plate encodes. Plates outlive laptops: deployments set
    FENGQIAO_PUBLIC_BASE_URL to the public address of the portal."""
    path = reverse("portal:address", args=[address.code])
    base = settings.FENGQIAO_PUBLIC_BASE_URL
    return f"{base.rstrip('/')}{path}" if base else request.build_absolute_uri(path)


def plate_for(request: HttpRequest, address: StandardAddress) -> doorplates.Doorplate:
    contacts = selectors.public_contacts(address)
    room = contacts["police_room"]
    return doorplates.Doorplate(
        code=address.code,
        address=address.full_text,
        short=address.local_text,
        url=public_url(request, address),
        police_room=room.name if room else contacts["police_district"].name,
        duty_phone=contacts["duty_phone"],
    )


@login_required
def qr_code(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    """二维码 of one address, SVG or PNG."""
    address = selectors.addresses_for(user=request.user).filter(pk=pk).first()
    if address is None:
        raise Http404
    url = public_url(request, address)
    if fmt == "svg":
        return HttpResponse(doorplates.qr_svg(url), content_type="image/svg+xml")
    response = HttpResponse(doorplates.qr_png(url), content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="{address.code}.png"'
    return response


@login_required
def sheet(request: HttpRequest) -> HttpResponse:
    """A4 sheets of doorplates for a community, optionally one road or building."""
    try:
        community = Jurisdiction.objects.get(pk=int(request.GET.get("community", "")))
    except (ValueError, Jurisdiction.DoesNotExist):
        raise Http404 from None
    addresses = selectors.addresses_for(user=request.user, community=community).filter(
        status=AddressStatus.ACTIVE
    )
    for element in ("road", "door_number", "compound", "building"):
        if request.GET.get(element):
            addresses = addresses.filter(**{element: request.GET[element]})
    chosen = list(addresses[: MAX_PLATES + 1])
    if not chosen:
        raise Http404
    if len(chosen) > MAX_PLATES:
        return HttpResponse(
            _("一次最多打印%(n)d块门牌，请按楼栋分批打印。") % {"n": MAX_PLATES}, status=400
        )
    title = community.name + "".join(request.GET.get(e, "") for e in ("road", "door_number"))
    pdf = doorplates.doorplate_sheet_pdf([plate_for(request, a) for a in chosen], title=title)
    audit.record(
        actor=request.user,
        action="export",
        object_type="addresses.standardaddress",
        object_ids=[a.pk for a in chosen],
        object_repr=f"{len(chosen)} doorplates",
        scope_path=request.user.scope_path,
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="doorplates-{codes.grouped(chosen[0].code)[:6]}.pdf"'
    )
    return response


@login_required
def suggest(request: HttpRequest) -> HttpResponse:
    """The htmx autocomplete: the resolver's best addresses for what is typed so far, the
    confident answer marked, otherwise all of them as "please confirm"."""
    text = request.GET.get("q", "").strip()
    if len(text) < picker.MIN_TEXT:
        return HttpResponse("")
    rows = picker.choices(user=request.user, text=text)
    confident = any(choice.confident for choice in rows)
    return render(request, "addresses/_suggestions.html", {"rows": rows, "confident": confident})
