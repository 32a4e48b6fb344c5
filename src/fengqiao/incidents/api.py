"""警情 API: intake for the 110 system and other feeders, lists and one incident by its
tracking code — the same services and scoped selectors as the pages."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from fengqiao.addresses import codes as address_codes
from fengqiao.addresses.models import StandardAddress
from fengqiao.core.masking import mask
from fengqiao.incidents import codes, selectors, services
from fengqiao.incidents.models import Category, Incident, Source, Urgency
from fengqiao.jurisdictions.models import Jurisdiction

router = Router(tags=["incidents"])


class IncidentIn(Schema):
    source: Source = Field(description="110, walk_in, phone, online, volunteer, …")
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


class Problem(Schema):
    detail: str
    errors: dict[str, list[str]] = {}


def _lookup(field: str, model: type, **where: object) -> object:
    """The record a payload field names, or a 422 naming that field."""
    found = model.objects.filter(**where).first()  # type: ignore[attr-defined]
    if found is None:
        raise ValidationError({field: [_("不存在。")]})
    return found


@router.post("/", response={201: IncidentOut, 422: Problem}, summary="接警: register one")
def intake(request: HttpRequest, payload: IncidentIn) -> Status:
    address = None
    if payload.address_code:
        code = address_codes.normalise(payload.address_code)
        address = _lookup("address_code", StandardAddress, code=code)
    incident = services.intake(
        actor=request.user,
        source=payload.source,
        description=payload.description,
        location_text=payload.location_text,
        received_at=payload.received_at,
        occurred_at=payload.occurred_at,
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        address=address,  # type: ignore[arg-type]
        jurisdiction=_lookup("jurisdiction_id", Jurisdiction, pk=payload.jurisdiction_id)  # type: ignore[arg-type]
        if payload.jurisdiction_id
        else None,
        category=_lookup("category_code", Category, code=payload.category_code)  # type: ignore[arg-type]
        if payload.category_code
        else None,
        urgency=payload.urgency,
    )
    return Status(201, incident)


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
