"""The published API schema tells the truth: every GET answer over the demo bureau's real
records validates against the schema the operation declares, every schema name is one
Python class, and schemathesis finds no 5xx and no conformance failure."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema_rs
import pytest
from django.db import transaction
from django.test import Client

from fengqiao.accounts import selectors as account_selectors
from fengqiao.accounts import tokens
from fengqiao.accounts.models import User
from fengqiao.api.api import api
from fengqiao.core.roles import Role
from fengqiao.core.validators import uscc_check_character
from fengqiao.demo.services import load_demo
from fengqiao.disputes import selectors as dispute_selectors
from fengqiao.disputes import services as dispute_services
from fengqiao.disputes.models import DisputeCase, PartyKind
from fengqiao.incidents import selectors as incident_selectors
from fengqiao.incidents import services as incident_services
from fengqiao.jurisdictions import selectors as jurisdiction_selectors
from fengqiao.registry import selectors as registry_selectors

STATION = "南街派出所"
CREDIT_CODE = "91140500MA0GRXY1" + "0"
CREDIT_CODE += uscc_check_character(CREDIT_CODE)


class Demo:
    """The demo bureau, plus the records it lacks, and a station chief's API token."""

    def __init__(self) -> None:
        load_demo()
        self.chief = User.objects.get(role=Role.STATION_CHIEF, jurisdiction__name=STATION)
        _token, self.secret = tokens.issue(actor=None, user=self.chief, name="schema test")
        district = jurisdiction_selectors.subtree(self.chief.jurisdiction).filter(
            kind="police_district"
        )[0]
        # kinds the demo has none of: an organisation as a party, an incident with no
        # address, category nor phone
        dispute_services.register_case(
            actor=self.chief, source="walk_in", category="contract", track="people",
            narrative="货款纠纷。", jurisdiction=district,
            party_list=[
                dispute_services.PartyInput(name="某某商贸有限公司", kind=PartyKind.ORGANISATION,
                                            credit_code=CREDIT_CODE),
                dispute_services.PartyInput(name="王伟", role="respondent"),
            ],
        )  # fmt: skip
        incident_services.intake(
            actor=self.chief, source="phone", description="求助。", location_text="某处",
            jurisdiction=district,
        )  # fmt: skip

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker) -> Iterator[Demo]:
    """Loaded once for the module (a minute's work) inside a transaction rolled back at
    its end; each test runs in a savepoint of it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield Demo()
        transaction.set_rollback(True)


def response_validator(schema: dict[str, Any], operation: dict[str, Any], status: int) -> Any:
    """A validator of the JSON body the operation declares for ``status`` (None if that
    status is not declared at all)."""
    declared = operation["responses"].get(str(status)) or operation["responses"].get(status)
    if declared is None:
        return None
    body = declared["content"]["application/json"]["schema"]
    return jsonschema_rs.Draft202012Validator({**body, "components": schema["components"]})


def get_operations(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [(path, ops["get"]) for path, ops in schema["paths"].items() if "get" in ops]


def ids_by_path_parameter(demo: Demo) -> dict[tuple[str, str], Callable[[], list[Any]]]:
    """Where the real values of each path parameter come from: every record of that kind
    in the chief's scope."""
    user = demo.chief
    return {
        ("/api/v1/accounts/staff/{staff_id}", "staff_id"): lambda: list(
            account_selectors.staff_list(user=user).values_list("pk", flat=True)
        ),
        ("/api/v1/jurisdictions/{node_id}/children", "node_id"): lambda: list(
            jurisdiction_selectors.subtree(user.jurisdiction).values_list("pk", flat=True)
        ),
        ("/api/v1/registry/people/{person_id}", "person_id"): lambda: list(
            registry_selectors.people_for(user=user).values_list("pk", flat=True)
        ),
        ("/api/v1/registry/houses/{house_id}", "house_id"): lambda: list(
            registry_selectors.houses_for(user=user).values_list("pk", flat=True)
        ),
        ("/api/v1/incidents/{code}", "code"): lambda: list(
            incident_selectors.incidents_for(user=user).values_list("tracking_code", flat=True)
        ),
        ("/api/v1/disputes/{code}", "code"): lambda: list(
            dispute_selectors.cases_for(user).values_list("code", flat=True)
        ),
    }


def required_query(demo: Demo) -> dict[tuple[str, str], str]:
    """A real value for each required query parameter."""
    house = registry_selectors.houses_for(user=demo.chief).select_related("address").first()
    assert house is not None
    return {("/api/v1/addresses/resolve", "q"): house.address.full_text}


def test_every_get_answer_over_real_records_matches_its_declared_schema(demo, db):
    schema = api.get_openapi_schema()
    sources = ids_by_path_parameter(demo)
    queries = required_query(demo)
    client = Client(raise_request_exception=False)
    calls: Counter[str] = Counter()
    problems: list[str] = []
    assert DisputeCase.objects.exclude(risk_reasons=[]).exists()  # the case that answered 500
    for path, operation in get_operations(schema):
        parameters = operation.get("parameters", [])
        path_names = [p["name"] for p in parameters if p["in"] == "path"]
        query = {
            p["name"]: queries[(path, p["name"])]
            for p in parameters
            if p["in"] == "query" and p.get("required")
        }
        if path_names:
            (name,) = path_names  # one path parameter per operation today
            assert (path, name) in sources, f"no source of real {name} values for {path}"
            values = sources[(path, name)]()
            assert values, f"the demo has no record for {path}"
            urls = [path.replace("{" + name + "}", str(value)) for value in values]
        else:
            urls = [path]
        for url in urls:
            answer = client.get(url, query, headers=demo.headers())
            calls[path] += 1
            validator = response_validator(schema, operation, answer.status_code)
            if answer.status_code != 200 or validator is None:
                problems.append(f"{url}: {answer.status_code} {answer.content[:200]!r}")
                continue
            for error in validator.iter_errors(json.loads(answer.content)):
                problems.append(f"{url}: {error.message} at {list(error.instance_path)}")
                break
    assert not problems, "\n".join(problems[:20]) + f"\n({len(problems)} answers wrong)"
    assert set(calls) == {path for path, _op in get_operations(schema)}


def _named_shapes() -> dict[str, set[type]]:
    """Every schema and enum the operations publish, by the name it is published under."""
    import enum
    import inspect
    import typing

    from pydantic import BaseModel

    from fengqiao.api.api import api

    seen: dict[str, set[type]] = {}

    def walk(shape: object) -> None:
        for argument in typing.get_args(shape):
            walk(argument)
        if not inspect.isclass(shape) or not issubclass(shape, BaseModel | enum.Enum):
            return
        if shape in seen.get(shape.__name__, ()):
            return
        # ninja's per-operation parameter models are inlined, not components: only walked.
        if not shape.__module__.startswith(("ninja", "abc")):
            seen.setdefault(shape.__name__, set()).add(shape)
        if issubclass(shape, BaseModel):
            for field in shape.model_fields.values():
                walk(field.annotation)

    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                for model in [*operation.models, *(operation.response_models or {}).values()]:
                    walk(model)
    return seen


def test_every_published_name_is_one_shape():
    """ninja keeps one component per name: two domains' ``Source`` made the incidents'
    intake document the disputes' values (12348 documented, 110 undocumented)."""
    shared = {name: shapes for name, shapes in _named_shapes().items() if len(shapes) > 1}
    assert not shared, {name: [s.__module__ for s in shapes] for name, shapes in shared.items()}
    from fengqiao.api.api import api
    from fengqiao.incidents.models import Source

    components = api.get_openapi_schema()["components"]["schemas"]
    assert set(components["IncidentSource"]["enum"]) == set(Source.values)
