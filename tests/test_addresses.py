"""标准地址: codes that catch typos, the registry's rules, scope, and the public page."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from fengqiao.addresses import codes, selectors, services
from fengqiao.addresses.models import AddressStatus
from fengqiao.core.roles import Role


def new_address(places, actor=None, community=None, **elements):
    elements.setdefault("road", "阳头路")
    elements.setdefault("door_number", "12")
    return services.create_address(
        actor=actor, community=community or places.community_a, **elements
    )


serials = st.integers(min_value=1, max_value=31**codes.SERIAL_LENGTH - 1)
counties = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)


@given(county=counties, serial=serials)
def test_every_generated_code_is_valid_and_keeps_its_county(county, serial):
    code = codes.make_code(county, serial)
    assert codes.is_valid(code) and code.startswith(county) and len(code) == codes.CODE_LENGTH


@given(county=counties, serial=serials, position=st.integers(0, 13), shift=st.integers(1, 30))
def test_any_single_wrong_character_is_caught(county, serial, position, shift):
    code = codes.make_code(county, serial)
    if position < 6:
        wrong = str((int(code[position]) + shift) % 10)
    else:
        wrong = codes.ALPHABET[(codes.ALPHABET.index(code[position]) + shift) % 31]
    typo = code[:position] + wrong + code[position + 1 :]
    assert typo == code or not codes.is_valid(typo)


@given(county=counties, serial=serials, position=st.integers(0, 12))
def test_any_swap_of_neighbours_is_caught(county, serial, position):
    code = codes.make_code(county, serial)
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2 :]
    assert swapped == code or not codes.is_valid(swapped)


def test_typed_codes_are_normalised():
    code = codes.make_code("140502", 12345)
    assert codes.normalise(" " + codes.grouped(code).lower() + " ") == code
    assert codes.normalise(code.replace("0", "O")) == code


def test_address_gets_code_printed_form_and_police_district(world, places):
    address = new_address(
        places, actor=world.a[Role.COMMUNITY_OFFICER], building="3", unit="2", room="502"
    )
    assert address.code.startswith("140502") and codes.is_valid(address.code)
    assert address.full_text == "山西省晋城市城区南街街道凤台社区阳头路12号3栋2单元502室"
    assert address.police_district == world.district_a
    second = new_address(places, door_number="14")
    assert second.code[6:-1] > address.code[6:-1]  # serials grow, codes never reused


def test_same_place_cannot_be_registered_twice(world, places):
    new_address(places)
    with pytest.raises(ValidationError):
        new_address(places)


def test_address_needs_a_road_or_compound_and_a_covered_community(world, places):
    with pytest.raises(ValidationError):
        new_address(places, road="", door_number="")
    from fengqiao.jurisdictions.models import Kind
    from tests.conftest import make_node

    uncovered = make_node(Kind.COMMUNITY, "无人区", places.community_a.parent)
    with pytest.raises(ValidationError):
        new_address(places, community=uncovered)


def test_officer_cannot_register_outside_his_scope(world, places):
    with pytest.raises(PermissionDenied):
        new_address(places, actor=world.a[Role.STATION_CHIEF], community=places.community_b)
    with pytest.raises(PermissionDenied):
        new_address(places, actor=world.a[Role.MEDIATOR])


def test_selector_scopes_addresses(world, places):
    mine = new_address(places)
    theirs = new_address(places, community=places.community_b)
    seen = set(selectors.addresses_for(user=world.a[Role.CASE_OFFICER]))
    assert mine in seen and theirs not in seen
    assert list(selectors.addresses_for(user=world.a[Role.CASE_OFFICER], search=theirs.code)) == []
    assert list(selectors.addresses_for(user=world.b_chief, search=codes.grouped(theirs.code))) == [
        theirs
    ]


def test_merged_address_resolves_to_its_successor(client, world, places):
    old = new_address(places, door_number="1")
    new = new_address(places, door_number="1-1")
    services.merge_address(
        actor=world.a[Role.STATION_CHIEF], address=old, into=new, reason="门牌整合"
    )
    old.refresh_from_db()
    assert old.status == AddressStatus.MERGED and selectors.current(old) == new
    response = client.get(reverse("portal:address", args=[old.code]))
    assert response.status_code == 302 and response["Location"].endswith(new.code)
    with pytest.raises(ValidationError):
        services.demolish_address(actor=world.a[Role.STATION_CHIEF], address=old, reason="再拆一次")


def test_public_page_shows_the_address_and_duty_phone_only(client, world, places):
    from fengqiao.registry.models import House, Person

    places.room_a.duty_phone = "0356-2021110"
    places.room_a.save()
    address = new_address(places, building="3", unit="2", room="502")
    resident = Person.objects.create(
        name="王秀英",
        id_number="11010519491231002X",
        phone="13912345678",
        police_district=world.district_a,
    )
    House.objects.create(
        address=address, owner_name="李建国", owner_phone="13800001111", landlord=resident
    )
    page = client.get(reverse("portal:address", args=[address.code]))
    body = page.content.decode()
    assert page.status_code == 200
    assert address.full_text in body and "凤台社区警务室" in body and "0356-2021110" in body
    for secret in (
        "王秀英",
        "李建国",
        "13912345678",
        "13800001111",
        "1101051949",
        world.a[Role.COMMUNITY_OFFICER].phone,
    ):
        assert secret not in body


@pytest.mark.parametrize("code", ["garbage", "14050200000011", "", "140502-0000001-X"])
def test_unknown_or_mistyped_code_is_a_polite_404(client, world, places, code):
    real = new_address(places)
    mistyped = real.code[:-1] + ("A" if real.code[-1] != "A" else "B")
    for attempt in (code or "x", mistyped):
        response = client.get(reverse("portal:address", args=[attempt]))
        assert response.status_code == 404
        assert "未找到这个地址" in response.content.decode()


def test_loosely_typed_code_redirects_to_the_canonical_page(client, world, places):
    address = new_address(places)
    typed = codes.grouped(address.code).replace(" ", "-").lower()
    response = client.get(reverse("portal:address", args=[typed]))
    assert response.status_code == 302 and response["Location"].endswith(address.code)
