"""The JSON API (OpenAPI at /api/v1/docs). Other systems (a 110 feed) send a token
(``Authorization: Bearer fq_…``, see :mod:`fengqiao.accounts.tokens`); a signed-in
browser uses its session, CSRF-checked. One router per domain, each as thin as the pages
and calling the same selectors."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Router
from ninja.errors import ValidationError as RequestInvalid
from ninja.security import HttpBearer, django_auth

from fengqiao.accounts import tokens
from fengqiao.accounts.api import router as accounts_router
from fengqiao.addresses.api import router as addresses_router
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.schemas import Problem
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


def declare_refusals(router: Router) -> None:
    """Adds the refusals an operation can answer to its published responses, all in the
    one Problem shape: 401 and 403 everywhere (every operation needs a login, and the
    scope or the role may refuse it), 404 where the path names a record, 422 where there
    is a parameter or body to refuse, 400 where a body may not be JSON at all. Done here
    once rather than in every decorator, so a new operation cannot forget them. Must run
    before the router is bound to the API (binding copies the operations)."""
    for path_view in router.path_operations.values():
        for operation in path_view.operations:
            refusals = [401, 403]
            if "{" in operation.path:
                refusals.append(404)
            if operation.models:
                refusals.append(422)
            if any(model.__ninja_param_source__ == "body" for model in operation.models):
                refusals.append(400)  # a body that is not JSON at all
            for status in refusals:
                if status not in operation.response_models:
                    model = operation._create_response_model(Problem)
                    operation.response_models[status] = model


for prefix, router in (
    ("/accounts", accounts_router),
    ("/jurisdictions", jurisdictions_router),
    ("/registry", registry_router),
    ("/addresses", addresses_router),
    ("/incidents", incidents_router),
    ("/disputes", disputes_router),
):
    declare_refusals(router)
    api.add_router(prefix, router)


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


@api.exception_handler(RequestInvalid)
def request_invalid(request: HttpRequest, exc: RequestInvalid) -> HttpResponse:
    """A request that does not fit the schema answers in the same shape as a refused
    write, ``{detail, errors: {"body.payload.items.1.source": [...]}}``, not ninja's list:
    a client reads one 422 shape."""
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        path = ".".join(str(part) for part in error.get("loc", ())) or ""
        errors.setdefault(path, []).append(str(error.get("msg", "invalid")))
    detail = "; ".join(f"{path}: {m}" if path else m for path, ms in errors.items() for m in ms)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=422)
