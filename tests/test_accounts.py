from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from fengqiao.accounts import services
from fengqiao.accounts.models import User
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.masking import mask_id_number, mask_phone
from fengqiao.core.roles import CAPABILITIES, Capability, Role


def test_production_hasher_is_argon2():
    # conftest swaps in a fast hasher for tests; the real setting is what deployments get.
    from importlib import reload

    import fengqiao.settings as real

    assert reload(real).PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")
    assert django_settings.AUTH_USER_MODEL == "accounts.User"


def test_every_role_has_a_capability_row():
    assert set(CAPABILITIES) == set(Role)
    assert CAPABILITIES[Role.VOLUNTEER] == {Capability.REGISTER_TENANTS}
    assert CAPABILITIES[Role.ANALYST] == {Capability.VIEW_AGGREGATES}


def test_login_page_and_login(client, world):
    assert client.get(reverse("dashboards:home")).status_code == 302
    response = client.post(
        reverse("accounts:login"), {"username": "a.chief", "password": "correct-horse-42"}
    )
    assert response.status_code == 302
    assert "甲派出所" in client.get(reverse("dashboards:home")).content.decode()


def test_login_is_throttled_after_repeated_failures(client, world, settings):
    url = reverse("accounts:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "a.chief", "password": "guess"})
    locked = client.post(url, {"username": "a.chief", "password": "correct-horse-42"})
    assert locked.status_code == 429
    assert "账号已暂时锁定" in locked.content.decode()
    # another account from the same address is not locked out by someone else's guesses
    other = client.post(url, {"username": "b.chief", "password": "correct-horse-42"})
    assert other.status_code == 302


def test_logout_needs_post(client, world):
    client.force_login(world.admin)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302


def test_stale_edit_is_refused(world):
    chief = world.a[Role.STATION_CHIEF]
    officer = world.a[Role.CASE_OFFICER]
    seen = officer.version
    services.update_staff(actor=chief, user=officer, expected_version=seen, badge_number="111111")
    stale = User.objects.get(pk=officer.pk)
    with pytest.raises(StaleEditError):
        services.update_staff(actor=chief, user=stale, expected_version=seen, badge_number="222222")
    assert User.objects.get(pk=officer.pk).badge_number == "111111"


def test_stale_edit_form_keeps_the_input(client, world):
    chief = world.a[Role.STATION_CHIEF]
    officer = world.a[Role.CASE_OFFICER]
    client.force_login(chief)
    url = reverse("accounts:staff_edit", args=[officer.pk])
    form = {
        "full_name": "改过的名字", "role": Role.CASE_OFFICER, "staff_kind": "police",
        "jurisdiction": world.station_a.pk, "badge_number": "333333", "id_number": "",
        "phone": "", "is_active": "on", "version": officer.version,
    }  # fmt: skip
    services.update_staff(
        actor=chief, user=officer, expected_version=officer.version, phone="13700000000"
    )
    page = client.post(url, form)
    assert page.status_code == 409
    body = page.content.decode()
    assert "修改了这条记录" in body
    assert 'value="改过的名字"' in body
    assert User.objects.get(pk=officer.pk).full_name != "改过的名字"


def test_invalid_id_number_is_explained_and_input_kept(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    page = client.post(
        reverse("accounts:staff_create"),
        {"username": "new.one", "password": "long-enough-pass-1", "full_name": "新同事",
         "role": Role.CASE_OFFICER, "staff_kind": "police", "jurisdiction": world.station_a.pk,
         "id_number": "110105194912310021", "phone": "13812345678", "is_active": "on"},
    )  # fmt: skip
    body = page.content.decode()
    assert page.status_code == 200
    assert "校验位不正确" in body
    assert 'value="新同事"' in body
    assert not User.objects.filter(username="new.one").exists()


def test_chief_creates_staff_in_his_station_only(client, world):
    chief = world.a[Role.STATION_CHIEF]
    client.force_login(chief)
    data = {"username": "new.two", "password": "long-enough-pass-1", "full_name": "新同事",
            "role": Role.CASE_OFFICER, "staff_kind": "police", "is_active": "on"}  # fmt: skip
    refused = client.post(
        reverse("accounts:staff_create"), data | {"jurisdiction": world.station_b.pk}
    )
    assert refused.status_code == 200 and not User.objects.filter(username="new.two").exists()
    done = client.post(
        reverse("accounts:staff_create"), data | {"jurisdiction": world.station_a.pk}
    )
    assert done.status_code == 302
    assert User.objects.get(username="new.two").jurisdiction == world.station_a


def test_only_an_admin_makes_admins(world):
    with pytest.raises(PermissionDenied):
        services.update_staff(
            actor=world.a[Role.STATION_CHIEF], user=world.a[Role.CASE_OFFICER],
            expected_version=world.a[Role.CASE_OFFICER].version, role=Role.ADMIN,
        )  # fmt: skip


def test_new_staff_form_offers_admin_only_to_admins(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    assert 'value="admin"' not in client.get(reverse("accounts:staff_create")).content.decode()
    client.force_login(world.admin)
    assert 'value="admin"' in client.get(reverse("accounts:staff_create")).content.decode()


def test_staff_edit_form_shows_identifiers_masked_and_blank_keeps_them(client, world):
    chief = world.a[Role.STATION_CHIEF]
    officer = world.a[Role.CASE_OFFICER]
    client.force_login(chief)
    url = reverse("accounts:staff_edit", args=[officer.pk])
    body = client.get(url).content.decode()
    assert officer.phone not in body and officer.id_number not in body
    assert mask_phone(officer.phone) in body and mask_id_number(officer.id_number) in body
    form = {
        "full_name": officer.full_name, "role": officer.role, "staff_kind": officer.staff_kind,
        "jurisdiction": officer.jurisdiction_id, "badge_number": "444444", "id_number": "",
        "phone": "", "is_active": "on", "version": officer.version,
    }  # fmt: skip
    assert client.post(url, form).status_code == 302
    kept = User.objects.get(pk=officer.pk)
    assert (kept.badge_number, kept.phone, kept.id_number) == (
        "444444",
        officer.phone,
        officer.id_number,
    )
    form |= {"phone": "13900001111", "version": kept.version}
    assert client.post(url, form).status_code == 302
    assert User.objects.get(pk=officer.pk).phone == "13900001111"
