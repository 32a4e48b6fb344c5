"""Transport and header rules: production refuses debug; behind proxies the client's
own address counts (login lock, audit); public pages cacheable by proxies set no cookie;
every answer carries a Permissions-Policy."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import reverse

from fengqiao.audit.models import AuditEvent
from fengqiao.core.middleware import SecurityHeadersMiddleware
from tests.test_addresses import new_address
from tests.test_cli import assert_one_line_error, run


def test_production_refuses_debug(tmp_path):
    result = run(
        "migrate", tmp_path=tmp_path, FENGQIAO_ENV="production", FENGQIAO_DEBUG="1",
        FENGQIAO_SECRET_KEY="k" * 50, FENGQIAO_ALLOWED_HOSTS="fq.example.org",
    )  # fmt: skip
    assert_one_line_error(result, "FENGQIAO_DEBUG", "production")


def test_trusted_proxies_must_be_a_number(tmp_path):
    result = run("migrate", tmp_path=tmp_path, FENGQIAO_TRUSTED_PROXIES="yes")
    assert_one_line_error(result, "FENGQIAO_TRUSTED_PROXIES")


def _behind_proxy(settings, proxies: int = 1) -> Client:
    settings.TRUSTED_PROXIES = proxies
    return Client(REMOTE_ADDR="10.0.0.2")  # the proxy's own address


def _login(client: Client, forwarded: str, password: str) -> int:
    return client.post(
        reverse("accounts:login"),
        {"username": "a.chief", "password": password},
        HTTP_X_FORWARDED_FOR=forwarded,
    ).status_code


def test_behind_a_proxy_one_client_is_locked_not_everyone(world, settings):
    client = _behind_proxy(settings)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        # The left part is the client's own (forged) header: it must not help him.
        _login(client, f"198.51.100.{attempt}, 203.0.113.5", "guess")
    assert _login(client, "203.0.113.5", "correct-horse-42") == 429
    assert _login(Client(REMOTE_ADDR="10.0.0.2"), "203.0.113.6", "correct-horse-42") == 302


def test_without_trusted_proxies_the_header_is_ignored(world, settings):
    client = _behind_proxy(settings, proxies=0)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "203.0.113.5", "guess")
    # Everything came from 10.0.0.2: a header anyone can send changes nothing.
    assert _login(client, "203.0.113.6", "correct-horse-42") == 429


def test_the_audit_log_records_the_client_behind_two_proxies(world, settings):
    client = _behind_proxy(settings, proxies=2)
    assert _login(client, "192.0.2.1, 203.0.113.7, 10.0.0.1", "correct-horse-42") == 302
    assert AuditEvent.objects.latest("seq").ip_address == "203.0.113.7"


def test_a_malformed_forwarded_header_keeps_the_peer_address(world, settings):
    client = _behind_proxy(settings)
    assert _login(client, "not-an-address", "correct-horse-42") == 302
    assert AuditEvent.objects.latest("seq").ip_address == "10.0.0.2"


def test_doorplate_page_is_publicly_cacheable_and_sets_no_cookie(world, places):
    address = new_address(places, building="3", unit="2", room="502")
    client = Client(enforce_csrf_checks=True)
    for language in ("zh-hans", "en"):
        client.cookies["fengqiao_language"] = language
        page = client.get(reverse("portal:address", args=[address.code]))
        assert page.status_code == 200
        assert not page.cookies, page.cookies
        assert "public" in page["Cache-Control"]
        assert "Cookie" in page["Vary"]  # the language comes from the cookie
    # The language switch on it works without a CSRF cookie.
    switched = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert switched.status_code == 302 and switched.cookies["fengqiao_language"].value == "en"


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("public, max-age=300", "private, max-age=300"),
        ("max-age=60, public, s-maxage=600", "private, max-age=60"),
        ("private, no-store", "private, no-store"),
    ],
)
def test_a_response_that_sets_a_cookie_is_never_publicly_cached(rf, settings, sent, kept):
    def view(request):
        response = HttpResponse("x")
        response["Cache-Control"] = sent
        response.set_cookie("sessionid", "abc")
        return response

    response = SecurityHeadersMiddleware(view)(rf.get("/"))
    assert response["Cache-Control"] == kept


def test_every_answer_has_a_permissions_policy(client, world):
    for path in ("/healthz", reverse("accounts:login"), "/api/v1/openapi.json", "/no-such"):
        policy = client.get(path)["Permissions-Policy"]
        assert "microphone=()" in policy and "geolocation=(self)" in policy
