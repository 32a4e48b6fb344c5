"""Control characters in text input (a NUL byte answered 500 on PostgreSQL): refused with
the field named, on every page, form and endpoint, on both databases."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from django.urls import URLPattern, URLResolver, get_resolver

from fengqiao.core.roles import Role
from fengqiao.core.text_input import has_control

NUL = "a\x00b"


def _plain_paths(resolver: URLResolver | None = None, prefix: str = "") -> list[str]:
    """Every URL of the site that takes no argument."""
    paths: list[str] = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if "<" in route or "(?P" in route:  # takes an argument
            continue
        if isinstance(entry, URLResolver):
            paths += _plain_paths(entry, route)
        elif isinstance(entry, URLPattern):
            paths.append("/" + route.lstrip("^").rstrip("$"))
    return sorted(set(paths))


class _Forms(HTMLParser):
    """The posted forms of a page: action and the names of their text inputs."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.forms.append((a.get("action") or "", {}))
        elif self.forms and tag in {"input", "textarea", "select"} and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if tag != "input" or kind in {"text", "search", "tel", "email", "number", "hidden"}:
                value = a.get("value") or ""
                self.forms[-1][1][a["name"] or ""] = value


def test_the_rule():
    assert has_control("a\x00b") and has_control("\x1b[31m") and has_control("\x7f")
    assert not has_control("第一行\n第二行\t\r") and not has_control("阳头路12-3-502")


def test_every_page_refuses_a_control_character_in_any_query_parameter(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    paths = _plain_paths()
    assert len(paths) > 40
    for path in paths:
        for query in ("q=a%00b", "page=%00", "x%01=1"):
            response = client.get(f"{path}?{query}")
            assert response.status_code in {400, 422}, (path, query, response.status_code)
    page = client.get("/registry/people/?q=%00")
    assert "控制字符" in page.content.decode() and "q" in page.content.decode()


def test_api_bodies_with_control_characters_are_422_naming_the_field(client, world):
    client.force_login(world.a[Role.COMMAND_ROOM])
    for document, field in (
        ({"description": NUL, "source": "110"}, "description"),
        ({"description": "ok", "reporter": {"name": "李\u0001四"}}, "reporter.name"),
        ({"items": [{"a": "x"}, {"a": "y\x7f"}]}, "items.1.a"),
    ):
        response = client.post(
            "/api/v1/incidents/", json.dumps(document), content_type="application/json"
        )
        assert response.status_code == 422, response.content
        assert field in response.json()["errors"]


def test_every_form_refuses_a_nul_in_every_field_without_a_server_error(client, world, places):
    """Every posted form reachable without arguments, every text field holding a NUL: a
    form error (Django's CharField refuses NUL), never a 5xx on either database."""
    client.force_login(world.a[Role.STATION_CHIEF])
    posted = 0
    for path in _plain_paths():
        if path.startswith(("/api/", "/i18n/", "/accounts/logout")):
            continue
        page = client.get(path)
        if page.status_code != 200 or "text/html" not in page.get("Content-Type", ""):
            continue
        parser = _Forms()
        parser.feed(page.content.decode())
        for action, fields in parser.forms:
            data = {
                name: (value if name == "csrfmiddlewaretoken" else NUL)
                for name, value in fields.items()
            }
            target = action or path
            if not target.startswith("/") or re.search(r"logout|setlang", target):
                continue
            response = client.post(target, data)
            posted += 1
            assert response.status_code < 500, (path, target, response.status_code)
    assert posted >= 10
