"""Staff API: the same selectors as the pages, so the same scope."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from ninja import Query, Router, Schema

from fengqiao.accounts import selectors
from fengqiao.accounts.models import User
from fengqiao.core.masking import mask_phone
from fengqiao.core.roles import CAPABILITIES

router = Router(tags=["staff"])
API_PAGE_SIZE = 50


class JurisdictionRef(Schema):
    id: int
    name: str
    kind: str
    code: str


class MeOut(Schema):
    username: str
    full_name: str
    role: str
    role_label: str
    jurisdiction: JurisdictionRef | None
    capabilities: list[str]


class StaffOut(Schema):
    id: int
    username: str
    full_name: str
    role: str
    jurisdiction: JurisdictionRef | None
    badge_number: str
    phone_masked: str
    is_active: bool

    @staticmethod
    def resolve_phone_masked(obj: User) -> str:
        return mask_phone(obj.phone)


@router.get("/me", response=MeOut, summary="The signed-in user, his role and scope")
def me(request: HttpRequest) -> dict:
    user = request.user
    return {
        "username": user.username,
        "full_name": user.full_name,
        "role": user.role,
        "role_label": str(user.get_role_display()),
        "jurisdiction": user.jurisdiction,
        "capabilities": sorted(CAPABILITIES.get(user.role, ())),
    }


class StaffPage(Schema):
    count: int
    page: int
    pages: int
    items: list[StaffOut]


@router.get("/staff", response=StaffPage, summary="Staff in the user's scope (audited read)")
def list_staff(
    request: HttpRequest, q: str = "", role: str = "", page: int = Query(1, ge=1, le=100_000)
) -> dict:
    staff = selectors.staff_list(user=request.user, search=q, role=role)
    shown = Paginator(staff, API_PAGE_SIZE).get_page(page)
    selectors.audited_page(
        user=request.user, objects=shown, fields=["full_name", "badge_number", "phone"],
        label="accounts.user",
    )  # fmt: skip
    return {
        "count": shown.paginator.count,
        "page": shown.number,
        "pages": shown.paginator.num_pages,
        "items": list(shown),
    }


@router.get("/staff/{staff_id}", response=StaffOut, summary="One staff record (audited read)")
def get_staff(request: HttpRequest, staff_id: int) -> User:
    try:
        return selectors.staff_detail(user=request.user, pk=staff_id)
    except User.DoesNotExist:
        raise Http404 from None
