"""The audit chain: every write and personal-data read lands in it; tampering of any
kind is found at the first broken link; the database refuses rewrites."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from fengqiao.accounts import services as account_services
from fengqiao.audit import services as audit
from fengqiao.audit.models import AppendOnlyError, AuditEvent
from fengqiao.core.roles import Role

TRIGGERS = {
    "sqlite": ["DROP TRIGGER audit_event_no_update", "DROP TRIGGER audit_event_no_delete"],
    "postgresql": ["DROP TRIGGER audit_event_append_only ON audit_auditevent"],
}


def tamper(sql: str, params: list | None = None) -> None:
    """What an intruder with the table owner's rights could do: drop the guard, rewrite."""
    with connection.cursor() as cursor:
        for statement in TRIGGERS[connection.vendor]:
            cursor.execute(statement)
        cursor.execute(sql, params or [])


def events(n: int, world) -> list[AuditEvent]:
    return [
        audit.record(actor=world.admin, action="view", obj=world.b_officer, fields=["phone"])
        for _ in range(n)
    ]


def test_chain_links_each_event_to_the_previous(world):
    first, second = events(2, world)[-2:]
    assert second.seq == first.seq + 1
    assert second.prev_hash == first.hash
    report = audit.verify_chain()
    assert report.ok and report.checked == AuditEvent.objects.count()
    assert report.head_hash == second.hash


def test_edited_event_is_reported_at_its_sequence(world):
    target = events(5, world)[2]
    tamper("UPDATE audit_auditevent SET reason = %s WHERE seq = %s", ["改过了", target.seq])
    report = audit.verify_chain()
    assert report.broken_seq == target.seq
    assert "content" in report.problem


def test_deleted_event_is_reported_as_missing(world):
    target = events(5, world)[2]
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [target.seq])
    report = audit.verify_chain()
    assert report.broken_seq == target.seq
    assert "missing" in report.problem


def test_rehashed_forgery_is_caught_at_the_row_by_its_mac(world):
    """An intruder who also recomputes the edited row's hash is caught at that row: its
    MAC no longer matches (before MACs, one row later, by the broken link)."""
    target = events(5, world)[2]
    values = {name: getattr(target, name) for name in audit.HASHED_FIELDS if name != "actor_id"}
    values["actor_id"] = target.actor_id
    values["reason"] = "伪造"
    tamper(
        "UPDATE audit_auditevent SET reason = %s, hash = %s WHERE seq = %s",
        ["伪造", audit.event_hash(values), target.seq],
    )
    report = audit.verify_chain()
    assert report.broken_seq == target.seq and "MAC" in report.problem


def test_database_refuses_update_and_delete(world):
    events(1, world)
    for sql in ("UPDATE audit_auditevent SET reason = 'x'", "DELETE FROM audit_auditevent"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)


def test_orm_refuses_update_and_delete(world):
    event = events(1, world)[0]
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().update(reason="x")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_a_rolled_back_write_leaves_no_audit_event(world):
    before = AuditEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record(actor=world.admin, action="update", obj=world.b_officer)
        raise RuntimeError
    assert AuditEvent.objects.count() == before
    assert audit.verify_chain().ok


def test_writes_are_audited_with_the_fields_changed(world):
    chief = world.a[Role.STATION_CHIEF]
    officer = world.a[Role.CASE_OFFICER]
    account_services.update_staff(
        actor=chief, user=officer, expected_version=officer.version, badge_number="123456"
    )
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.actor_id, event.object_id) == ("update", chief.pk, str(officer.pk))
    assert event.fields == ["badge_number"]
    assert event.scope_path == world.station_a.path


def test_reveal_needs_a_reason_and_is_audited(world):
    chief = world.a[Role.STATION_CHIEF]
    target = world.a[Role.CASE_OFFICER]
    with pytest.raises(ValidationError):
        audit.reveal_personal_field(user=chief, obj=target, field="phone", reason=" ")
    assert not AuditEvent.objects.filter(action="reveal").exists()
    value = audit.reveal_personal_field(
        user=chief, obj=target, field="phone", reason="联系本人核实排班"
    )
    assert value == target.phone
    event = AuditEvent.objects.get(action="reveal")
    assert (event.fields, event.reason, event.actor_id) == (["phone"], "联系本人核实排班", chief.pk)


def test_reveal_refused_to_roles_without_it(world):
    with pytest.raises(PermissionDenied):
        audit.reveal_personal_field(
            user=world.a[Role.MEDIATOR], obj=world.a[Role.CASE_OFFICER], field="phone",
            reason="想看看号码",
        )  # fmt: skip
    with pytest.raises(ValidationError):  # not a personal field: nothing to reveal
        audit.reveal_personal_field(
            user=world.admin, obj=world.b_officer, field="password", reason="想看看密码"
        )


def test_reveal_page_flow_records_origin(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    target = world.a[Role.CASE_OFFICER]
    url = reverse("accounts:staff_reveal", args=[target.pk, "phone"])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 422 and target.phone.encode() not in refused.content
    shown = client.post(url, {"reason": "联系当事人"}, HTTP_USER_AGENT="pytest-browser")
    assert target.phone.encode() in shown.content
    event = AuditEvent.objects.get(action="reveal")
    assert event.ip_address == "127.0.0.1"
    assert event.user_agent == "pytest-browser"
    assert event.request_path == url


def test_pages_mask_personal_identifiers(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    target = world.a[Role.CASE_OFFICER]
    for url in (reverse("accounts:staff_list"), reverse("accounts:staff_detail", args=[target.pk])):
        body = client.get(url).content.decode()
        assert target.phone not in body
        assert target.id_number not in body
        assert target.phone[:3] + "****" + target.phone[-4:] in body


def test_reads_of_personal_data_are_audited(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    target = world.a[Role.CASE_OFFICER]
    client.get(reverse("accounts:staff_detail", args=[target.pk]))
    assert AuditEvent.objects.filter(action="view", object_id=str(target.pk)).exists()
    client.get(reverse("accounts:staff_list"))
    listed = AuditEvent.objects.filter(action="view", object_repr__endswith="records").first()
    assert str(target.pk) in listed.object_ids
    client.get(f"/api/v1/accounts/staff/{target.pk}")
    assert AuditEvent.objects.filter(action="view", object_id=str(target.pk)).count() == 2
    client.get("/api/v1/accounts/staff", {"q": target.full_name})
    api_list = AuditEvent.objects.filter(action="view", object_repr__endswith="records").first()
    assert api_list.object_ids == [str(target.pk)]


def test_exports_are_audited_with_every_row(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    client.get(reverse("accounts:staff_export", args=["csv"]))
    event = AuditEvent.objects.get(action="export")
    assert str(world.a[Role.CASE_OFFICER].pk) in event.object_ids
    assert str(world.b_officer.pk) not in event.object_ids


def test_logins_and_failed_logins_are_audited(client, world):
    client.post(reverse("accounts:login"), {"username": "a.chief", "password": "wrong-password"})
    client.post(reverse("accounts:login"), {"username": "a.chief", "password": "correct-horse-42"})
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", "actor_name"))
    assert ("login_failed", "a.chief") in actions
    assert ("login", "a.chief") in actions


def test_audit_page_names_a_reverse_relation_by_its_models_plural(client, world, make_dispute):
    from fengqiao.core.roles import Role

    make_dispute()  # audited with fields ["parties", "narrative"]
    client.force_login(world.a[Role.STATION_CHIEF])
    response = client.get("/audit/")
    assert response.status_code == 200
    assert "当事人" in response.content.decode()
