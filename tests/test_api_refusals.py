"""The API's refusals: one 422 shape for every kind, and each declared in the schema
(the faults schemathesis found in tests/test_api_fuzz.py, proven here without a server)."""

from __future__ import annotations

import json

import pytest

from fengqiao.api.api import api
from fengqiao.core.roles import Role


@pytest.fixture
def chief(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    return client


def test_a_request_that_does_not_fit_the_schema_answers_detail_and_errors_by_path(chief):
    response = chief.post(
        "/api/v1/incidents/batch",
        json.dumps({"items": [{"source": "110", "description": "x", "location_text": "y"},
                              {"source": "nonsense"}]}),
        content_type="application/json",
    )  # fmt: skip
    assert response.status_code == 422
    body = response.json()
    assert isinstance(body["detail"], str) and body["detail"]
    paths = set(body["errors"])
    assert any(p.endswith("items.1.source") for p in paths), paths
    assert any(p.endswith("items.1.description") for p in paths), paths
    assert all(isinstance(m, str) for ms in body["errors"].values() for m in ms)


@pytest.mark.parametrize("url", ["/api/v1/disputes/?page=72552322765467271269175001088",
                                 "/api/v1/accounts/staff?page=0"])  # fmt: skip
def test_a_page_number_out_of_range_is_refused_not_a_server_error(chief, url):
    response = chief.get(url)
    assert response.status_code == 422
    assert set(response.json()) == {"detail", "errors"}


def test_every_operation_declares_its_refusals_in_the_problem_shape():
    problem = {"$ref": "#/components/schemas/Problem"}
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method, operation in operations.items():
            expected = {401, 403}
            if "{" in path:
                expected.add(404)
            if operation.get("parameters") or "requestBody" in operation:
                expected.add(422)
            if "requestBody" in operation:
                expected.add(400)
            responses = operation["responses"]
            assert expected <= set(responses), (method, path, sorted(responses))
            for status in expected:
                schema = responses[status]["content"]["application/json"]["schema"]
                assert schema == problem, (method, path, status)
