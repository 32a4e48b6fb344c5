"""接口令牌: another system (a 110 feed) calls the API as an account of its own."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from fengqiao.accounts import tokens
from fengqiao.accounts.models import ApiToken
from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.incidents.models import Incident


@pytest.fixture
def feed(world, settings):
    """The 110 system's token, issued for station A's command-room account."""
    settings.FENGQIAO_SMS_BACKEND = "fengqiao.incidents.sms.MemoryBackend"
    chief, account = world.a[Role.STATION_CHIEF], world.a[Role.COMMAND_ROOM]
    return tokens.issue(actor=chief, user=account, name="110 接处警系统")


def call(method, path, secret, payload=None):
    """A request as another system sends it: a bearer token, no session, no CSRF token."""
    client = Client(enforce_csrf_checks=True)
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    if method == "get":
        return client.get(path, headers=headers)
    return client.post(path, json.dumps(payload), content_type="application/json",
                       headers=headers)  # fmt: skip


def item(world, **change):
    return {"source": "110", "description": "报警人称电动车被盗。", "location_text": "阳头路12号",
            "jurisdiction_id": world.district_a.pk, **change}  # fmt: skip


def test_a_token_registers_a_batch_as_its_account_without_session_or_csrf(world, feed):
    _, secret = feed
    answer = call("post", "/api/v1/incidents/batch", secret, {"items": [item(world)] * 3})
    assert answer.status_code == 201, answer.content
    assert Incident.objects.filter(received_by=world.a[Role.COMMAND_ROOM]).count() == 3


def test_a_token_reads_and_writes_only_in_its_accounts_jurisdiction(world, feed, make_incident):
    _, secret = feed
    mine = make_incident()
    theirs = make_incident(actor=world.b_chief, jurisdiction=world.district_b)
    listed = call("get", "/api/v1/incidents/", secret).json()["items"]
    assert [i["tracking_code"] for i in listed] == [mine.tracking_code]
    assert call("get", f"/api/v1/incidents/{theirs.tracking_code}", secret).status_code == 404
    elsewhere = call("post", "/api/v1/incidents/", secret,
                     item(world, jurisdiction_id=world.district_b.pk))  # fmt: skip
    assert elsewhere.status_code == 403


def test_wrong_revoked_or_disabled_tokens_are_refused(world, feed):
    token, secret = feed
    assert call("get", "/api/v1/incidents/", None).status_code == 401
    assert call("get", "/api/v1/incidents/", secret[:-1] + "x").status_code == 401
    assert call("get", "/api/v1/incidents/", "not-a-token").status_code == 401
    account = world.a[Role.COMMAND_ROOM]
    account.is_active = False
    account.save(update_fields=["is_active"])
    assert call("get", "/api/v1/incidents/", secret).status_code == 401
    account.is_active = True
    account.save(update_fields=["is_active"])
    assert call("get", "/api/v1/incidents/", secret).status_code == 200
    tokens.revoke(actor=world.a[Role.STATION_CHIEF], token=token)
    assert call("get", "/api/v1/incidents/", secret).status_code == 401


def test_only_a_digest_is_kept_and_issuing_and_revoking_are_audited(world, feed):
    token, secret = feed
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in {stored.digest, stored.prefix, stored.name}
    assert stored.digest == tokens.digest(secret) and secret.startswith(stored.prefix)
    tokens.revoke(actor=world.a[Role.STATION_CHIEF], token=stored)
    events = AuditEvent.objects.filter(object_type="accounts.apitoken", object_id=str(token.pk))
    assert sorted(events.values_list("action", flat=True)) == ["create", "update"]


def test_the_last_use_is_written_at_most_every_ten_minutes(world, feed, django_assert_num_queries):
    token, secret = feed
    assert tokens.authenticate(secret) == world.a[Role.COMMAND_ROOM]
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # the read alone: no write within ten minutes
        tokens.authenticate(secret)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - tokens.TOUCH_EVERY * 2)
    tokens.authenticate(secret)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first - tokens.TOUCH_EVERY


def test_tokens_are_issued_and_revoked_only_within_ones_own_jurisdiction(world, feed):
    token, _ = feed
    with pytest.raises(PermissionDenied):
        tokens.issue(actor=world.b_chief, user=world.a[Role.COMMAND_ROOM], name="x")
    with pytest.raises(PermissionDenied):
        tokens.revoke(actor=world.b_chief, token=token)
    with pytest.raises(PermissionDenied):  # a role without 管理人员账号
        tokens.issue(actor=world.a[Role.COMMUNITY_OFFICER], user=world.a[Role.COMMAND_ROOM],
                     name="x")  # fmt: skip
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_the_command_issues_lists_and_revokes(world):
    out = StringIO()
    call_command("api_token", "issue", world.a[Role.COMMAND_ROOM].username, "--name", "110",
                 stdout=out)  # fmt: skip
    secret = out.getvalue().split(": ", 1)[1].split()[0]
    assert tokens.authenticate(secret) == world.a[Role.COMMAND_ROOM]
    out = StringIO()
    call_command("api_token", "list", stdout=out)
    assert secret[:10] in out.getvalue() and "active" in out.getvalue()
    call_command("api_token", "revoke", secret[:10], stdout=StringIO())
    assert tokens.authenticate(secret) is None
    assert ApiToken.objects.get().revoked_at <= timezone.now()
    with pytest.raises(CommandError, match="请填写令牌名称"):
        call_command("api_token", "issue", world.a[Role.COMMAND_ROOM].username, "--name", " ")


def page_of(client, account):
    return client.get(f"/accounts/staff/{account.pk}/")


def test_a_chief_issues_a_token_on_the_accounts_page_and_sees_the_secret_once(world):
    chief, account = world.a[Role.STATION_CHIEF], world.a[Role.COMMAND_ROOM]
    client = Client()
    client.force_login(chief)
    answer = client.post(f"/accounts/staff/{account.pk}/tokens/", {"name": "110 接处警系统"})
    assert answer.status_code == 200 and answer["Cache-Control"] == "no-store"
    secret = answer.context["new_secret"]
    assert secret in answer.content.decode()
    assert tokens.authenticate(secret) == account
    again = page_of(client, account).content.decode()
    assert "110 接处警系统" in again and secret[:10] in again and secret not in again


def test_a_token_without_a_name_is_refused_and_the_page_says_why(world):
    chief, account = world.a[Role.STATION_CHIEF], world.a[Role.COMMAND_ROOM]
    client = Client()
    client.force_login(chief)
    answer = client.post(f"/accounts/staff/{account.pk}/tokens/", {"name": "  "})
    assert answer.status_code == 422 and "请填写令牌名称" in answer.content.decode()
    too_long = client.post(f"/accounts/staff/{account.pk}/tokens/", {"name": "甲" * 101})
    assert too_long.status_code == 422 and "甲" * 101 in too_long.content.decode()  # kept
    assert not ApiToken.objects.exists()


def test_revoking_on_the_page_stops_the_token_and_asks_first(world, feed):
    token, secret = feed
    chief, account = world.a[Role.STATION_CHIEF], world.a[Role.COMMAND_ROOM]
    client = Client()
    client.force_login(chief)
    assert 'hx-confirm="吊销令牌' in page_of(client, account).content.decode()
    url = f"/accounts/staff/{account.pk}/tokens/{token.pk}/revoke/"
    answer = client.post(url, headers={"HX-Request": "true"})
    assert answer.status_code == 204 and answer["HX-Redirect"] == f"/accounts/staff/{account.pk}/"
    assert tokens.authenticate(secret) is None
    assert "已吊销" in page_of(client, account).content.decode()


def test_the_token_pages_are_for_account_managers_within_their_jurisdiction(world, feed):
    token, _ = feed
    account = world.a[Role.COMMAND_ROOM]
    officer, outsider = Client(), Client()
    officer.force_login(world.a[Role.CASE_OFFICER])  # sees the account, may not manage it
    outsider.force_login(world.b_chief)
    seen = page_of(officer, account)
    assert seen.status_code == 200 and "接口令牌" not in seen.content.decode()
    assert officer.post(f"/accounts/staff/{account.pk}/tokens/", {"name": "x"}).status_code == 403
    revoke = f"/accounts/staff/{account.pk}/tokens/{token.pk}/revoke/"
    assert officer.post(revoke).status_code == 404
    assert outsider.post(f"/accounts/staff/{account.pk}/tokens/", {"name": "x"}).status_code == 404
    assert outsider.post(revoke).status_code == 404
    assert ApiToken.objects.count() == 1 and ApiToken.objects.get().revoked_at is None
