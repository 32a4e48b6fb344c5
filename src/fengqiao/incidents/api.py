"""警情 API: intake for the 110 system and other feeders, lists and one incident by its
tracking code — the same services and scoped selectors as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from fengqiao.addresses import codes as address_codes
from fengqiao.addresses.models import StandardAddress
from fengqiao.core.masking import mask
from fengqiao.core.schemas import Problem, api_enum
from fengqiao.incidents import codes, selectors, services
from fengqiao.incidents.models import Category, Incident, Source, Urgency
from fengqiao.jurisdictions.models import Jurisdiction

IncidentSource = api_enum("IncidentSource", Source)
router = Router(tags=["incidents"])
BATCH_MAX = 500  # a feed's burst; a batch is one transaction


class IncidentIn(Schema):
    source: IncidentSource = Field(description="110, walk_in, phone, online, volunteer, …")
    description: str = Field(description="简要警情, at most 5,000 characters")
    location_text: str = Field(description="the location as told, free text")
    received_at: dt.datetime | None = Field(None, description="default: now")
    occurred_at: dt.datetime | None = None
    reporter_name: str = ""
    reporter_phone: str = Field("", description="a mobile number gets the tracking SMS")
    address_code: str = Field("", description="a resolved 标准地址编码, if known")
    jurisdiction_id: int | None = Field(None, description="responsible unit if no address")
    category_code: str = Field("", description="a confirmed category code, e.g. 0101")
    urgency: Urgency = Urgency.NORMAL


class IncidentOut(Schema):
    id: int
    tracking_code: str
    received_at: dt.datetime
    source: str
    status: str
    category: str | None
    suggested_category: str | None
    location_text: str
    address_code: str | None
    jurisdiction: str
    reporter_phone_masked: str
    version: int

    @staticmethod
    def resolve_category(obj: Incident) -> str | None:
        return obj.category.code if obj.category_id else None

    @staticmethod
    def resolve_suggested_category(obj: Incident) -> str | None:
        return obj.suggested_category.code if obj.suggested_category_id else None

    @staticmethod
    def resolve_address_code(obj: Incident) -> str | None:
        return obj.address.code if obj.address_id else None

    @staticmethod
    def resolve_jurisdiction(obj: Incident) -> str:
        return obj.jurisdiction.name

    @staticmethod
    def resolve_reporter_phone_masked(obj: Incident) -> str:
        return mask("phone", obj.reporter_phone)


class IncidentPage(Schema):
    items: list[IncidentOut]
    next_cursor: str


class IncidentBatchIn(Schema):
    items: list[IncidentIn] = Field(min_length=1, max_length=BATCH_MAX)


def _arguments(
    payloads: list[IncidentIn], *, keyed: bool
) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The service's arguments for each payload, the records its codes and ids name read
    in one query per kind, and the errors for those that name nothing, by field
    (``"3.address_code"`` for the fourth item of a batch when ``keyed``)."""
    named = {address_codes.normalise(p.address_code) for p in payloads if p.address_code}
    found = StandardAddress.objects.select_related("police_district", "grid").filter(code__in=named)
    addresses = {a.code: a for a in found} if named else {}
    units = Jurisdiction.objects.in_bulk({p.jurisdiction_id for p in payloads if p.jurisdiction_id})
    categories = Category.objects.in_bulk(
        {p.category_code for p in payloads if p.category_code}, field_name="code"
    )
    arguments, errors = [], {}
    for i, p in enumerate(payloads):
        address = addresses.get(address_codes.normalise(p.address_code)) if p.address_code else None
        unit = units.get(p.jurisdiction_id) if p.jurisdiction_id else None
        category = categories.get(p.category_code) if p.category_code else None
        for field, given, found in (("address_code", p.address_code, address),
                                    ("jurisdiction_id", p.jurisdiction_id, unit),
                                    ("category_code", p.category_code, category)):  # fmt: skip
            if given and found is None:
                errors[f"{i}.{field}" if keyed else field] = [_("不存在。")]
        arguments.append({
            "source": p.source, "description": p.description, "location_text": p.location_text,
            "received_at": p.received_at, "occurred_at": p.occurred_at,
            "reporter_name": p.reporter_name, "reporter_phone": p.reporter_phone,
            "address": address, "jurisdiction": unit, "category": category, "urgency": p.urgency,
        })  # fmt: skip
    return arguments, errors


@router.post("/", response={201: IncidentOut, 422: Problem}, summary="接警: register one")
def intake(request: HttpRequest, payload: IncidentIn) -> Status:
    (arguments,), errors = _arguments([payload], keyed=False)
    if errors:
        raise ValidationError(errors)
    return Status(201, services.intake(actor=request.user, **arguments))


@router.post(
    "/batch",
    response={201: list[IncidentOut], 422: Problem},
    summary=f"接警: a batch of up to {BATCH_MAX} from a 110 system's feed, all or nothing",
)
def intake_batch(request: HttpRequest, payload: IncidentBatchIn) -> Status:
    """Stores every item or none: a refused item's errors are keyed by its position
    (``"3.description"``), and the feed sends the batch again without it."""
    arguments, errors = _arguments(payload.items, keyed=True)
    incidents = services.intake_many(actor=request.user, items=arguments, errors=errors)
    return Status(201, incidents)


@router.get("/", response=IncidentPage, summary="警情 in scope, newest first (keyset pages)")
def incidents(
    request: HttpRequest,
    status: str = "",
    category: str = "",
    source: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    after: str = "",
) -> dict:
    filters = selectors.IncidentFilter(
        date_from=date_from, date_to=date_to, category=category, status=status, source=source
    )
    page = selectors.incident_page(user=request.user, filters=filters, cursor=after, size=50)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/{code}", response=IncidentOut, summary="One incident by its tracking code")
def incident(request: HttpRequest, code: str) -> Incident:
    code = codes.normalise(code)
    if not codes.is_valid(code):
        raise Http404
    found = selectors.incidents_for(user=request.user).filter(tracking_code=code).first()
    if found is None:
        raise Http404
    return selectors.incident_detail(user=request.user, pk=found.pk)
