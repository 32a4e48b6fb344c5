"""Schemathesis against the live API: a real ``fengqiao serve --demo`` (on SQLite, or on
a throwaway PostgreSQL database when DATABASE_URL is set), a station chief's token, the
published /api/v1/openapi.json with the demo's real record ids and codes as examples of
the path parameters, so the run reaches records and not only 404s.

Checks: not_a_server_error, status_code_conformance, content_type_conformance,
response_schema_conformance, response_headers_conformance — the answers must be what the
schema says. Data is generated both valid and invalid (``--mode all``): invalid data is
what proves the 422 shape. The two checks about whether data is *accepted* are left out:
positive_data_acceptance, because schema-valid data may still name an address code or a
unit that does not exist (a documented 404/422, not a fault), and negative_data_rejection,
because ninja reads an unknown query parameter or a string field's control-free value as
valid where schemathesis expects a refusal; neither says anything about conformance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.servers import environment, serving

pytestmark = pytest.mark.django_db(databases=[])  # the server has its own database

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,response_headers_conformance"
)
MAX_TIME = 40  # seconds of generation per run (plus ~50 s of demo load): the suite runs it twice


def _throwaway_database(url: str) -> Iterator[str]:
    """A fresh PostgreSQL database beside the tests' own, dropped afterwards."""
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/") + "_fuzz"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(parts._replace(path="/" + name))
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    base = environment(tmp_path_factory.mktemp("var"))
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        for url in _throwaway_database(os.environ["DATABASE_URL"]):
            yield base | {"DATABASE_URL": url}
    else:
        yield base


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[str]:
    with serving(env, "--demo") as served:
        yield served.url


def _token(env: dict[str, str], username: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "fengqiao.cli", "manage", "api_token", "issue", username,
         "--name", "schemathesis"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    # "<token>: fq_…" then a reminder line
    return done.stdout.splitlines()[0].rsplit(": ", 1)[1].strip()


def _get(url: str, token: str) -> object:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def _real_ids(url: str, token: str) -> dict[str, list[object]]:
    """Path-parameter values naming real demo records, read through the API itself."""
    api = url + "/api/v1"
    incidents = _get(api + "/incidents/", token)["items"]  # type: ignore[index]
    people = _get(api + "/registry/people", token)["items"]  # type: ignore[index]
    person = _get(f"{api}/registry/people/{people[0]['id']}", token)
    me = _get(api + "/accounts/me", token)
    staff = _get(api + "/accounts/staff", token)["items"]  # type: ignore[index]
    cases = _get(api + "/disputes/", token)
    return {
        "incidents.code": [i["tracking_code"] for i in incidents[:3]],
        "disputes.code": [c["code"] for c in cases[:3]],  # type: ignore[index]
        "person_id": [p["id"] for p in people[:3]],
        "house_id": [s["house_id"] for s in person["stays"][:2]],  # type: ignore[index]
        "staff_id": [s["id"] for s in staff[:3]],
        "node_id": [me["jurisdiction"]["id"]],  # type: ignore[index]
    }


def _with_examples(schema: dict, ids: dict[str, list[object]]) -> dict:
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                name = parameter["name"]
                if name == "code":  # an incident's code under /disputes/ is only a 404
                    name = path.split("/")[3] + ".code"
                values = ids.get(name) if parameter["in"] == "path" else None
                if values:
                    parameter["examples"] = {f"demo{i}": {"value": v} for i, v in enumerate(values)}
    return schema


def test_the_api_answers_as_its_schema_says(
    server: str, env: dict[str, str], tmp_path: Path
) -> None:
    token = _token(env, "nanjie.chief")
    schema = _get(server + "/api/v1/openapi.json", token)
    schema_file = tmp_path / "openapi.json"
    schema_file.write_text(json.dumps(_with_examples(schema, _real_ids(server, token))))  # type: ignore[arg-type]
    started = time.monotonic()
    done = subprocess.run(
        [str(Path(sys.executable).with_name("schemathesis")), "--no-color", "run", str(schema_file),
         "--url", server, "--header", f"Authorization: Bearer {token}",
         "--checks", CHECKS, "--mode", "all", "--max-time", str(MAX_TIME),
         "--max-examples", "25", "--seed", "16", "--workers", "1",
         "--suppress-health-check", "all", "--warnings", "off"],
        capture_output=True, text=True, timeout=MAX_TIME * 3, cwd=tmp_path,
    )  # fmt: skip
    report = done.stdout + done.stderr
    print(report[-4000:])
    print(f"schemathesis took {time.monotonic() - started:.0f}s")
    assert done.returncode == 0, report
