"""三实: houses, people, organisations — rules, the tenant flow, history, and scope."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from fengqiao.addresses import services as address_services
from fengqiao.audit.models import AuditEvent
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.roles import Role
from fengqiao.core.validators import id_number_check_character
from fengqiao.registry import selectors, services
from fengqiao.registry.models import HouseUse, Industry, Relation, ResidenceStatus

TODAY = dt.date(2026, 11, 1)
NEW_ID = "11010519800101123" + id_number_check_character("11010519800101123")


@pytest.fixture
def homes(world, places):
    """One house in station A's district and one in station B's, each with a resident."""

    class Homes:
        a = services.register_house(
            actor=None,
            use=HouseUse.RENTAL,
            owner_name="李建国",
            owner_phone="13800001111",
            address=address_services.create_address(
                actor=None, community=places.community_a, road="阳头路", door_number="12"
            ),
        )
        b = services.register_house(
            actor=None,
            address=address_services.create_address(
                actor=None, community=places.community_b, road="书院街", door_number="3"
            ),
        )
        resident_a = services.register_person(
            actor=None,
            house=a,
            name="王秀英",
            id_number="11010519491231002X",
            phone="13912345678",
            relation=Relation.OWNER,
            moved_in=TODAY,
        ).person
        resident_b = services.register_person(
            actor=None,
            house=b,
            name="赵大海",
            phone="13700002222",
            relation=Relation.OWNER,
            moved_in=TODAY,
        ).person

    return Homes


def test_person_takes_the_police_district_of_his_home(world, homes):
    assert homes.resident_a.police_district == world.district_a
    assert homes.resident_b.police_district == world.district_b


@pytest.mark.parametrize("role", [Role.STATION_CHIEF, Role.COMMUNITY_OFFICER, Role.CASE_OFFICER])
def test_station_a_sees_nothing_of_station_b(world, homes, role):
    user = world.a[role]
    assert set(selectors.people_for(user=user)) == {homes.resident_a}
    assert set(selectors.houses_for(user=user)) == {homes.a}
    assert list(selectors.people_for(user=user, search="13700002222")) == []
    with pytest.raises(homes.b.DoesNotExist):
        selectors.house_detail(user=user, pk=homes.b.pk)
    with pytest.raises(homes.resident_b.DoesNotExist):
        selectors.person_detail(user=user, pk=homes.resident_b.pk)


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.MEDIATOR])  # a mediator: his cases only
def test_volunteers_mediators_and_analysts_read_no_people(world, homes, role):
    for user in (world.a[role], world.analyst):
        with pytest.raises(PermissionDenied):
            selectors.people_for(user=user)
        with pytest.raises(PermissionDenied):
            selectors.houses_for(user=user)


def test_search_by_id_number_phone_or_name(world, homes):
    chief = world.a[Role.STATION_CHIEF]
    for term in ("11010519491231002x", "13912345678", "王秀"):
        assert list(selectors.people_for(user=chief, search=term)) == [homes.resident_a]


def test_writes_outside_scope_are_refused(world, homes):
    with pytest.raises(PermissionDenied):
        services.register_person(
            actor=world.a[Role.COMMUNITY_OFFICER],
            house=homes.b,
            name="某人",
            relation=Relation.TENANT,
            moved_in=TODAY,
        )
    with pytest.raises(PermissionDenied):
        services.update_house(
            actor=world.a[Role.STATION_CHIEF],
            house=homes.b,
            expected_version=homes.b.version,
            owner_name="x",
        )


def test_moving_out_keeps_the_record(world, homes):
    stay = homes.resident_a.residences.get()
    services.move_out(actor=world.a[Role.COMMUNITY_OFFICER], residence=stay, moved_out=TODAY)
    stay.refresh_from_db()
    assert stay.moved_out == TODAY
    assert homes.resident_a in selectors.people_for(user=world.a[Role.STATION_CHIEF])
    with pytest.raises(ValidationError):
        services.move_out(actor=world.a[Role.COMMUNITY_OFFICER], residence=stay, moved_out=TODAY)


def test_one_person_per_id_number_and_moving_between_stations(world, homes):
    stay = services.register_person(
        actor=None,
        house=homes.b,
        name="王秀英",
        id_number="11010519491231002X",
        relation=Relation.TENANT,
        moved_in=TODAY,
    )
    assert stay.person == homes.resident_a  # found by ID number, not duplicated
    assert stay.person.police_district == world.district_b  # the record follows him
    with pytest.raises(IntegrityError), transaction.atomic():
        type(homes.resident_a).objects.create(
            name="冒用", id_number="11010519491231002X", police_district=world.district_a
        )


def test_stale_edit_of_a_house_is_refused(world, homes):
    officer = world.a[Role.COMMUNITY_OFFICER]
    seen = homes.a.version
    services.update_house(actor=officer, house=homes.a, expected_version=seen, rental_rooms=3)
    with pytest.raises(StaleEditError):
        services.update_house(actor=officer, house=homes.a, expected_version=seen, rental_rooms=4)


def test_landlord_registers_officer_confirms(world, homes):
    landlord = world.a[Role.VOLUNTEER]
    services.update_house(
        actor=None,
        house=homes.a,
        expected_version=homes.a.version,
        guardian_account=landlord,
        landlord_is_guardian=True,
    )
    stay = services.register_tenant(
        actor=landlord,
        house=homes.a,
        name="陈小明",
        id_number="",
        phone="13600003333",
        moved_in=TODAY,
    )
    assert stay.status == ResidenceStatus.PENDING
    officer = world.a[Role.COMMUNITY_OFFICER]
    assert list(selectors.tenant_reviews_for(user=officer)) == [stay]
    assert list(selectors.tenant_reviews_for(user=world.b_chief)) == []
    services.review_tenant(actor=officer, residence=stay, to=ResidenceStatus.VERIFIED)
    services.review_tenant(
        actor=world.a[Role.STATION_CHIEF], residence=stay, to=ResidenceStatus.APPROVED
    )
    assert stay.status == ResidenceStatus.APPROVED
    with pytest.raises(ValidationError):  # approved is final
        services.review_tenant(actor=officer, residence=stay, to=ResidenceStatus.REJECTED, note="x")


def test_landlord_cannot_register_for_someone_elses_house(world, homes):
    with pytest.raises(PermissionDenied):
        services.register_tenant(
            actor=world.a[Role.VOLUNTEER],
            house=homes.a,
            name="陈小明",
            id_number="",
            phone="",
            moved_in=TODAY,
        )


def test_rejection_needs_a_reason(world, homes):
    landlord = world.a[Role.VOLUNTEER]
    services.update_house(
        actor=None, house=homes.a, expected_version=homes.a.version, guardian_account=landlord
    )
    stay = services.register_tenant(
        actor=landlord, house=homes.a, name="陈小明", id_number="", phone="", moved_in=TODAY
    )
    with pytest.raises(ValidationError):
        services.review_tenant(
            actor=world.a[Role.COMMUNITY_OFFICER], residence=stay, to=ResidenceStatus.REJECTED
        )


def test_organisation_credit_code_is_checked_and_unique(world, homes):
    address = homes.a.address
    org = services.register_organisation(
        actor=None,
        address=address,
        name="凤台旅馆",
        credit_code="91350100m000100y43",
        industry=Industry.HOTEL,
    )
    assert org.credit_code == "91350100M000100Y43" and org.is_key_industry
    with pytest.raises(ValidationError):
        services.register_organisation(
            actor=None,
            address=address,
            name="重复",
            credit_code="91350100M000100Y43",
            industry=Industry.SMALL_SHOP,
        )
    with pytest.raises(ValidationError):
        services.register_organisation(
            actor=None,
            address=address,
            name="错码",
            credit_code="91350100M000100Y44",
            industry=Industry.SMALL_SHOP,
        )
    assert list(selectors.organisations_for(user=world.a[Role.CASE_OFFICER], key_only=True)) == [
        org
    ]
    assert list(selectors.organisations_for(user=world.b_chief)) == []


def test_history_lists_every_write(world, homes):
    services.update_house(
        actor=world.a[Role.COMMUNITY_OFFICER],
        house=homes.a,
        expected_version=homes.a.version,
        use=HouseUse.SHOP,
    )
    history = list(selectors.history_of(user=world.a[Role.STATION_CHIEF], obj=homes.a))
    assert [event.action for event in history] == ["update", "create"]
    assert history[0].fields == ["use"]
    assert AuditEvent.objects.filter(action="view").count() == 0
    selectors.house_detail(user=world.a[Role.STATION_CHIEF], pk=homes.a.pk)
    assert AuditEvent.objects.filter(action="view", object_id=str(homes.a.pk)).exists()


def test_pages_of_another_station_are_404(client, world, homes):
    from django.urls import reverse

    client.force_login(world.a[Role.STATION_CHIEF])
    stay_b = homes.resident_b.residences.get()
    for url in (
        reverse("registry:house", args=[homes.b.pk]),
        reverse("registry:person", args=[homes.resident_b.pk]),
        reverse("registry:person_reveal", args=[homes.resident_b.pk, "phone"]),
        reverse("registry:house_reveal", args=[homes.b.pk, "owner_phone"]),
        reverse("registry:person_create", args=[homes.b.pk]),
        reverse("registry:community", args=[homes.b.address.community_id]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("registry:move_out", args=[stay_b.pk]), {"moved_out": "2026-11-02"}
        ).status_code
        == 404
    )
    assert "赵大海" not in client.get(reverse("registry:people")).content.decode()
    assert "赵大海" not in client.get(reverse("registry:overview"), {"q": "赵"}).content.decode()


def test_record_pages_mask_identifiers_and_audit_the_read(client, world, homes):
    from django.urls import reverse

    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    body = client.get(reverse("registry:person", args=[homes.resident_a.pk])).content.decode()
    assert "11010519491231002X" not in body and "13912345678" not in body
    assert "110***********002X" in body and "139****5678" in body
    house_body = client.get(reverse("registry:house", args=[homes.a.pk])).content.decode()
    assert "13800001111" not in house_body and "王秀英" in house_body
    assert AuditEvent.objects.filter(action="view", object_id=str(homes.resident_a.pk)).exists()
    shown = client.post(
        reverse("registry:person_reveal", args=[homes.resident_a.pk, "id_number"]),
        {"reason": "核实身份信息"},
    )
    assert "11010519491231002X" in shown.content.decode()


def test_people_list_pages_by_keyset(client, world, homes):
    from django.urls import reverse

    for n in range(30):
        services.register_person(
            actor=None, house=homes.a, name=f"测试{n:02d}", relation=Relation.FAMILY, moved_in=TODAY
        )
    client.force_login(world.a[Role.STATION_CHIEF])
    first = client.get(reverse("registry:people")).context["page"]
    assert len(first.items) == 25 and first.next_cursor
    second = client.get(reverse("registry:people"), {"after": first.next_cursor}).context["page"]
    assert len(second.items) == 6 and not second.next_cursor
    assert not {p.pk for p in first.items} & {p.pk for p in second.items}
    garbage = client.get(reverse("registry:people"), {"after": "!!not-a-cursor"})
    assert garbage.status_code == 200


def test_officer_registers_an_address_and_a_person_through_the_forms(client, world, places):
    from django.urls import reverse

    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    response = client.post(
        reverse("registry:address_create"),
        {
            "community": places.community_a.pk,
            "road": "阳头路",
            "door_number": "８",
            "with_house": "on",
            "use": HouseUse.SELF,
        },
    )
    assert response.status_code == 302
    house_url = response["Location"]
    house_pk = int(house_url.rstrip("/").split("/")[-1])
    bad = client.post(
        reverse("registry:person_create", args=[house_pk]),
        {
            "name": "刘洋",
            "id_number": "110105194912310021",
            "household_type": "registered",
            "relation": "owner",
            "moved_in": "2026-11-01",
        },
    )
    assert bad.status_code == 200 and "校验位不正确" in bad.content.decode()
    assert 'value="刘洋"' in bad.content.decode()
    good = client.post(
        reverse("registry:person_create", args=[house_pk]),
        {
            "name": "刘洋",
            "id_number": "11010519491231002X",
            "household_type": "registered",
            "relation": "owner",
            "moved_in": "2026-11-01",
        },
    )
    assert good.status_code == 302
    assert "刘洋" in client.get(house_url).content.decode()


def test_landlord_page_and_review_queue(client, world, homes):
    from django.urls import reverse

    landlord = world.a[Role.VOLUNTEER]
    services.update_house(
        actor=None, house=homes.a, expected_version=homes.a.version, guardian_account=landlord
    )
    client.force_login(landlord)
    assert client.get(reverse("registry:people")).status_code == 403
    registered = client.post(
        reverse("registry:my_houses"),
        {
            "house": homes.a.pk,
            "name": "陈小明",
            "id_number": NEW_ID,
            "phone": "13600003333",
            "moved_in": "2026-11-01",
        },
    )
    assert registered.status_code == 302
    assert (
        client.post(
            reverse("registry:my_houses"),
            {
                "house": homes.b.pk,
                "name": "x",
                "id_number": "",
                "phone": "",
                "moved_in": "2026-11-01",
            },
        ).status_code
        == 404
    )
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    queue = client.get(reverse("registry:tenant_reviews"))
    assert "陈小明" in queue.content.decode()
    stay = queue.context["waiting"][0]
    client.post(reverse("registry:tenant_review", args=[stay.pk]), {"to": "approved"})
    stay.refresh_from_db()
    assert stay.status == ResidenceStatus.APPROVED


def test_api_is_scoped_and_masked(client, world, homes):
    client.force_login(world.a[Role.CASE_OFFICER])
    listing = client.get("/api/v1/registry/people").json()
    assert [p["name"] for p in listing["items"]] == ["王秀英"]
    assert listing["items"][0]["phone_masked"] == "139****5678"
    assert "13912345678" not in str(listing)
    assert client.get(f"/api/v1/registry/people/{homes.resident_b.pk}").status_code == 404
    assert client.get(f"/api/v1/registry/houses/{homes.b.pk}").status_code == 404
    detail = client.get(f"/api/v1/registry/people/{homes.resident_a.pk}").json()
    assert detail["stays"][0]["house_id"] == homes.a.pk
    client.force_login(world.analyst)
    assert client.get("/api/v1/registry/people").status_code == 403


def test_prefix_lookup_uses_the_index_on_sqlite_and_is_exact(world, homes):
    from django.db import connection

    from fengqiao.registry.models import Person

    services.register_person(
        actor=None, house=homes.a, name="王秀", relation=Relation.FAMILY, moved_in=TODAY
    )
    services.register_person(
        actor=None, house=homes.a, name="汪秀英", relation=Relation.FAMILY, moved_in=TODAY
    )
    names = set(Person.objects.filter(name__prefix="王秀").values_list("name", flat=True))
    assert names == {"王秀英", "王秀"}
    assert not Person.objects.filter(name__prefix="%").exists()  # LIKE wildcards are literal
    if connection.vendor == "sqlite":
        sql, params = Person.objects.filter(name__prefix="王").query.sql_with_params()
        with connection.cursor() as cursor:
            plan = str(cursor.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
        assert "USING INDEX" in plan and "name>?" in plan
