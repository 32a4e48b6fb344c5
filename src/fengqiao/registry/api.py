"""一标三实 API: the same scoped selectors as the pages; identifiers always masked."""

from __future__ import annotations

import datetime as dt

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from fengqiao.accounts.selectors import audited_page
from fengqiao.core.masking import mask
from fengqiao.core.pagination import keyset_page
from fengqiao.registry import selectors
from fengqiao.registry.models import House, Person

router = Router(tags=["registry"])


class PersonOut(Schema):
    id: int
    name: str
    household_type: str
    id_number_masked: str
    phone_masked: str
    police_district: str

    @staticmethod
    def resolve_id_number_masked(obj: Person) -> str:
        return mask("id_number", obj.id_number)

    @staticmethod
    def resolve_phone_masked(obj: Person) -> str:
        return mask("phone", obj.phone)

    @staticmethod
    def resolve_police_district(obj: Person) -> str:
        return obj.police_district.name


class PeoplePage(Schema):
    items: list[PersonOut]
    next_cursor: str


class StayOut(Schema):
    house_id: int
    address: str
    relation: str
    moved_in: dt.date
    moved_out: dt.date | None
    status: str


class PersonDetailOut(PersonOut):
    stays: list[StayOut]

    @staticmethod
    def resolve_stays(obj: Person) -> list[dict]:
        return [
            {
                "house_id": r.house_id,
                "address": r.house.address.full_text,
                "relation": r.relation,
                "moved_in": r.moved_in,
                "moved_out": r.moved_out,
                "status": r.status,
            }
            for r in obj.residences.all()
        ]


class HouseOut(Schema):
    id: int
    address: str
    address_code: str
    use: str
    residents: int


@router.get("/people", response=PeoplePage, summary="People in scope (keyset pages, audited)")
def people(request: HttpRequest, q: str = "", after: str = "") -> dict:
    page = keyset_page(
        selectors.people_for(user=request.user, search=q),
        order=("name", "pk"),
        cursor=after,
        size=50,
    )
    audited_page(user=request.user, objects=page.items, fields=["name"], label="registry.person")
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/people/{person_id}", response=PersonDetailOut, summary="One person (audited)")
def person(request: HttpRequest, person_id: int) -> Person:
    try:
        return selectors.person_detail(user=request.user, pk=person_id)
    except Person.DoesNotExist:
        raise Http404 from None


@router.get("/houses/{house_id}", response=HouseOut, summary="One house (audited)")
def house(request: HttpRequest, house_id: int) -> dict:
    try:
        record = selectors.house_detail(user=request.user, pk=house_id)
    except House.DoesNotExist:
        raise Http404 from None
    current = [r for r in record.residences.all() if r.moved_out is None]
    return {
        "id": record.pk,
        "address": record.address.full_text,
        "address_code": record.address.code,
        "use": record.use,
        "residents": len(current),
    }
