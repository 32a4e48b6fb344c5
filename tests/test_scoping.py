"""Scope: a user of station A gets nothing of station B — through selectors, pages, the
API and exports. Each test names the surface it guards; breaking ``scoped()`` or any
selector's use of it turns these red."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from fengqiao.accounts import selectors
from fengqiao.core.roles import Role

# A mediator's scope is his cases (core/roles.py): he browses no record of his unit.
A_ROLES_WITH_RECORDS = [
    Role.STATION_CHIEF, Role.COMMUNITY_OFFICER, Role.CASE_OFFICER, Role.COMMAND_ROOM,
]  # fmt: skip


@pytest.mark.parametrize("role", A_ROLES_WITH_RECORDS)
def test_staff_selector_returns_only_own_subtree(world, role):
    user = world.a[role]
    visible = set(selectors.staff_list(user=user))
    assert world.b_officer not in visible
    assert world.b_chief not in visible
    assert all(user.jurisdiction.contains(person.jurisdiction) for person in visible)
    assert user in visible


def test_community_officer_sees_his_district_not_the_whole_station(world):
    officer = world.a[Role.COMMUNITY_OFFICER]
    visible = set(selectors.staff_list(user=officer))
    assert world.a[Role.STATION_CHIEF] not in visible  # the chief sits at station level


def test_bureau_scope_sees_both_stations(world):
    assert {world.b_officer, world.a[Role.CASE_OFFICER]} <= set(
        selectors.staff_list(user=world.admin)
    )


def test_inactive_user_sees_nothing(world):
    chief = world.a[Role.STATION_CHIEF]
    chief.is_active = False
    assert not selectors.scoped(type(chief).objects.all(), user=chief).exists()


@pytest.mark.parametrize("role", A_ROLES_WITH_RECORDS)
def test_staff_list_page_never_shows_other_station(client, world, role):
    client.force_login(world.a[role])
    page = client.get(reverse("accounts:staff_list"))
    assert page.status_code == 200
    assert world.b_officer.full_name not in page.content.decode()
    searched = client.get(reverse("accounts:staff_list"), {"q": "乙所", "role": ""})
    assert "乙所民警王五</a>" not in searched.content.decode()
    assert "没有符合条件的人员" in searched.content.decode()


@pytest.mark.parametrize(
    "url_name, args",
    [
        ("accounts:staff_detail", []),
        ("accounts:staff_edit", []),
        ("accounts:staff_reveal", ["phone"]),
    ],
)
def test_other_station_record_pages_are_404(client, world, url_name, args):
    client.force_login(world.a[Role.STATION_CHIEF])
    url = reverse(url_name, args=[world.b_officer.pk, *args])
    assert client.get(url).status_code == 404
    response = client.post(url, {"reason": "想看看别的所", "full_name": "x"})
    assert response.status_code == 404
    assert b"13912345678" not in response.content


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.ANALYST])
def test_roles_without_record_access_get_403(client, world, role):
    user = world.a[role] if role == Role.VOLUNTEER else world.analyst
    client.force_login(user)
    assert client.get(reverse("accounts:staff_list")).status_code == 403
    assert client.get(reverse("accounts:staff_detail", args=[user.pk])).status_code == 403
    assert client.get("/api/v1/accounts/staff").status_code == 403


def test_api_list_and_detail_are_scoped(client, world):
    client.force_login(world.a[Role.CASE_OFFICER])
    listing = client.get("/api/v1/accounts/staff", {"page": 1}).json()
    assert listing["count"] == len(listing["items"]) == 6
    usernames = {item["username"] for item in listing["items"]}
    assert "a.chief" in usernames
    assert "b.officer" not in usernames and "b.chief" not in usernames
    assert client.get(f"/api/v1/accounts/staff/{world.b_officer.pk}").status_code == 404


def test_api_never_returns_unmasked_phone(client, world):
    client.force_login(world.admin)
    body = client.get(f"/api/v1/accounts/staff/{world.b_officer.pk}").content.decode()
    assert "13912345678" not in body
    assert "139****5678" in body


def test_api_requires_login(client, world):
    assert client.get("/api/v1/accounts/staff").status_code == 401


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_hold_only_own_scope_and_masked_phones(client, world, fmt):
    client.force_login(world.a[Role.STATION_CHIEF])
    response = client.get(reverse("accounts:staff_export", args=[fmt]))
    assert response.status_code == 200
    if fmt == "csv":
        text = response.content.decode("utf-8-sig")
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        text = "\n".join(
            ",".join(str(c or "") for c in row) for row in sheet.iter_rows(values_only=True)
        )
    assert world.a[Role.CASE_OFFICER].full_name in text
    assert world.b_officer.full_name not in text
    assert world.b_chief.full_name not in text
    assert "1380000" not in text  # every phone is masked: 138****NNNN


def test_export_is_refused_to_roles_without_export(client, world):
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    assert client.get(reverse("accounts:staff_export", args=["csv"])).status_code == 403


def test_jurisdiction_tree_is_scoped(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    assert (
        client.get(reverse("jurisdictions:children", args=[world.station_b.pk])).status_code == 404
    )
    assert client.get(f"/api/v1/jurisdictions/{world.station_b.pk}/children").status_code == 404
    own = client.get(reverse("jurisdictions:children", args=[world.station_a.pk]))
    assert "甲一警务区" in own.content.decode()


def test_audit_log_page_is_scoped(client, world):
    from fengqiao.audit.services import reveal_personal_field

    reveal_personal_field(
        user=world.b_chief, obj=world.b_officer, field="phone", reason="核实联系方式"
    )
    client.force_login(world.a[Role.STATION_CHIEF])
    page = client.get(reverse("audit:event_list"), {"action": "reveal"}).content.decode()
    assert "核实联系方式" not in page
    client.force_login(world.b_chief)
    page = client.get(reverse("audit:event_list"), {"action": "reveal"}).content.decode()
    assert "核实联系方式" in page
