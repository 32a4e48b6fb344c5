"""Staff API: the same selectors as the pages, so the same scope."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from fengqiao.accounts import selectors
from fengqiao.accounts.models import User
from fengqiao.core.masking import mask_phone
from fengqiao.core.roles import CAPABILITIES

router = Router(tags=["staff"])


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


@router.get("/staff", response=list[StaffOut], summary="Staff in the user's scope")
@paginate(PageNumberPagination, page_size=50)
def list_staff(request: HttpRequest, q: str = "", role: str = "") -> object:
    return selectors.staff_list(user=request.user, search=q, role=role)


@router.get("/staff/{staff_id}", response=StaffOut, summary="One staff record (audited read)")
def get_staff(request: HttpRequest, staff_id: int) -> User:
    try:
        return selectors.staff_detail(user=request.user, pk=staff_id)
    except User.DoesNotExist:
        raise Http404 from None
