"""矛盾纠纷 API: registration from other systems (the 12348 line, a court's referral
platform), the case list and one case by its code, and the prior-match lookup — the
same services and scoped selectors as the pages."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema, Status

from fengqiao.addresses import codes as address_codes
from fengqiao.addresses.models import StandardAddress
from fengqiao.core.masking import mask
from fengqiao.core.schemas import Problem, api_enum
from fengqiao.disputes import selectors, services
from fengqiao.disputes.models import Category, DisputeCase, PartyKind, PartyRole, Source, Track
from fengqiao.disputes.risk import services as risk
from fengqiao.jurisdictions.models import Jurisdiction

DisputeSource = api_enum("DisputeSource", Source)
router = Router(tags=["disputes"])
PAGE_MAX = 100_000  # a larger page overflows the database's OFFSET (a 500, not an empty page)


class PartyIn(Schema):
    name: str
    role: PartyRole = PartyRole.APPLICANT
    kind: PartyKind = PartyKind.PERSON
    id_number: str = ""
    credit_code: str = ""
    phone: str = ""
    birth_date: dt.date | None = None
    language: str = ""
    guardian_name: str = ""


class CaseIn(Schema):
    source: DisputeSource
    category: Category
    track: Track = Track.PEOPLE
    narrative: str = Field(description="纠纷简要情况, at most 5,000 characters")
    parties: list[PartyIn]
    location_text: str = ""
    address_code: str = Field("", description="a resolved 标准地址编码, if known")
    jurisdiction_id: int | None = Field(None, description="responsible unit if no address")
    amount: Decimal | None = None
    languages: list[str] = []
    referred_by: str = Field("", description="the referring court or petition office")
    offence: str = ""


class PartyOut(Schema):
    role: str
    kind: str
    name_masked: str
    consent: str

    @staticmethod
    def resolve_name_masked(obj: object) -> str:
        return mask("name", obj.name)  # type: ignore[attr-defined]


class CaseOut(Schema):
    code: str
    status: str
    track: str
    category: str
    source: str
    registered_at: dt.datetime
    due_at: dt.datetime | None
    jurisdiction: str
    risk_score: int
    risk_level: str
    version: int

    @staticmethod
    def resolve_jurisdiction(obj: DisputeCase) -> str:
        return obj.jurisdiction.name


class RiskReasonOut(Schema):
    """One reason for the case's risk score: stored as code + parameters, rendered here
    in the reader's language (the same text as the case page)."""

    code: str
    points: int
    text: str


class CaseDetailOut(CaseOut):
    narrative: str
    parties: list[PartyOut]
    risk_reasons: list[RiskReasonOut]

    @staticmethod
    def resolve_parties(obj: DisputeCase) -> list[object]:
        return list(obj.parties.all())

    @staticmethod
    def resolve_risk_reasons(obj: DisputeCase) -> list[dict]:
        return [
            {"code": r.code, "points": r.points, "text": r.text}
            for r in risk.explain(obj.risk_reasons or [])
        ]


class PriorOut(Schema):
    dispute_codes: list[str]
    dispute_count: int
    incident_codes: list[str]
    incident_count: int


@router.post("/", response={201: CaseOut, 422: Problem}, summary="受理登记: register one")
def register(request: HttpRequest, payload: CaseIn) -> Status:
    address = None
    if payload.address_code:
        code = address_codes.normalise(payload.address_code)
        address = StandardAddress.objects.filter(code=code).first()
        if address is None:
            raise ValidationError({"address_code": [_("不存在。")]})
    unit = None
    if payload.jurisdiction_id:
        unit = Jurisdiction.objects.filter(pk=payload.jurisdiction_id).first()
        if unit is None:
            raise ValidationError({"jurisdiction_id": [_("不存在。")]})
    case = services.register_case(
        actor=request.user, source=payload.source, category=payload.category,
        track=payload.track, narrative=payload.narrative,
        party_list=[services.PartyInput(**p.dict()) for p in payload.parties],
        location_text=payload.location_text, address=address, jurisdiction=unit,
        amount=payload.amount, languages=payload.languages, referred_by=payload.referred_by,
        offence=payload.offence,
    )  # fmt: skip
    return Status(201, case)


@router.get("/", response=list[CaseOut], summary="Cases in scope, newest first (50 a page)")
def cases(
    request: HttpRequest,
    status: str = "",
    category: str = "",
    track: str = "",
    source: str = "",
    page: int = Query(1, ge=1, le=PAGE_MAX),
) -> list[DisputeCase]:
    filters = selectors.CaseFilter(status=status, category=category, track=track, source=source)
    start = (page - 1) * 50
    return list(selectors.case_list(request.user, filters)[start : start + 50])


@router.post("/prior", response=PriorOut, summary="Earlier disputes and calls of these parties")
def prior(request: HttpRequest, parties: list[PartyIn], address_code: str = "") -> dict:
    address = StandardAddress.objects.filter(code=address_codes.normalise(address_code)).first()
    found = selectors.prior_matches(
        request.user,
        people=[
            {
                "name": p.name,
                "id_number": p.id_number,
                "credit_code": p.credit_code,
                "phone": p.phone,
            }
            for p in parties
        ],
        address_id=address.pk if address else None,
    )
    return {
        "dispute_codes": [c.code for c in found.disputes],
        "dispute_count": found.dispute_count,
        "incident_codes": [i.tracking_code for i in found.incidents],
        "incident_count": found.incident_count,
    }


@router.get("/{code}", response=CaseDetailOut, summary="One case by its code (audited)")
def case(request: HttpRequest, code: str) -> DisputeCase:
    return selectors.case_detail(request.user, code)
