"""The JSON API (OpenAPI at /api/v1/docs). Other systems (a 110 feed) send a token
(``Authorization: Bearer fq_…``, see :mod:`fengqiao.accounts.tokens`); a signed-in
browser uses its session, CSRF-checked. One router per domain, each as thin as the pages
and calling the same selectors."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from fengqiao.accounts import tokens
from fengqiao.accounts.api import router as accounts_router
from fengqiao.addresses.api import router as addresses_router
from fengqiao.core.concurrency import StaleEditError
from fengqiao.disputes.api import router as disputes_router
from fengqiao.incidents.api import router as incidents_router
from fengqiao.jurisdictions.api import router as jurisdictions_router
from fengqiao.registry.api import router as registry_router


class ApiTokenAuth(HttpBearer):
    """接口令牌: the request acts as the token's account, its role and jurisdiction."""

    def authenticate(self, request: HttpRequest, token: str) -> object:
        user = tokens.authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Fengqiao API",
    version="1",
    description="枫桥 — the API of a Fengqiao-style police station.",
    auth=[ApiTokenAuth(), django_auth],
    urls_namespace="api",
)
api.add_router("/accounts", accounts_router)
api.add_router("/jurisdictions", jurisdictions_router)
api.add_router("/registry", registry_router)
api.add_router("/addresses", addresses_router)
api.add_router("/incidents", incidents_router)
api.add_router("/disputes", disputes_router)


@api.exception_handler(PermissionDenied)
def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return api.create_response(request, {"detail": str(exc) or "forbidden"}, status=403)


@api.exception_handler(StaleEditError)
def stale(request: HttpRequest, exc: StaleEditError) -> HttpResponse:
    """A stale write: 409, naming who changed the record and when."""
    return api.create_response(request, {"detail": str(exc)}, status=409)


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A refused write: 422 with the reasons by field, in the user's language."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
    detail = "; ".join(m for messages in errors.values() for m in messages)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)
