"""Every form with a standard-address picker keeps the picked address (the radio's value
and its label) when it comes back with an error, so the saved record then has it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import translation

from fengqiao.addresses.explain import short_reasons
from fengqiao.addresses.reasons import Reason
from fengqiao.addresses.services import create_address
from fengqiao.core.roles import Role
from fengqiao.disputes.models import DisputeCase
from fengqiao.incidents.models import Incident
from tests.test_dispute_views import intake_data as dispute_data
from tests.test_incident_views import intake_data as incident_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def address(places):
    return create_address(
        actor=None, community=places.community_a, grid=places.grid_a, road="阳头路",
        door_number="12",
    )  # fmt: skip


def checked_address(html: str) -> str | None:
    """The value of the checked radio of the page's address picker."""
    for tag in re.findall(r'<input type="radio" name="address"[^>]*>', html):
        if " checked" in tag:
            return re.search(r'value="([^"]*)"', tag).group(1)
    return None


@pytest.mark.parametrize("location_text", ["阳头路12号", "在小区门口"])
def test_the_dispute_form_keeps_the_picked_address_after_an_error(
    client, world, address, location_text
):
    """Also when the location text no longer finds it (the user edited the text)."""
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    sent = dispute_data(address=address.code, location_text=location_text, narrative="")
    response = client.post(reverse("disputes:intake"), sent)
    assert response.status_code == 422 and not DisputeCase.objects.exists()
    html = response.content.decode()
    assert checked_address(html) == address.code
    assert address.full_text in html  # its label, not only the hidden value
    resent = dispute_data(address=checked_address(html), location_text=location_text)
    client.post(reverse("disputes:intake"), resent)
    assert DisputeCase.objects.get().address == address


def test_adding_a_party_keeps_the_picked_address(client, world, address):
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    response = client.post(
        reverse("disputes:intake"), dispute_data(address=address.code, add_party="1")
    )
    assert checked_address(response.content.decode()) == address.code


def test_a_dispute_taken_from_an_incident_starts_with_its_address(
    client, world, address, make_incident
):
    incident = make_incident(location_text="阳头路12号", address=address)
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    response = client.get(reverse("disputes:intake") + f"?incident={incident.pk}")
    assert checked_address(response.content.decode()) == address.code


@pytest.mark.parametrize("location_text", ["阳头路12号", "在小区门口"])
def test_the_incident_form_keeps_the_picked_address_after_an_error(
    client, world, address, location_text
):
    client.force_login(world.a[Role.COMMAND_ROOM])
    sent = incident_data(world, address=address.code, location_text=location_text)
    sent["description"] = ""
    response = client.post(reverse("incidents:intake"), sent)
    html = response.content.decode()
    assert response.status_code == 200 and "description" in response.context["form"].errors
    assert checked_address(html) == address.code
    assert address.full_text in html


def test_an_address_outside_the_users_scope_is_not_put_back(client, world, places):
    elsewhere = create_address(
        actor=None, community=places.community_b, road="书院街", door_number="3"
    )
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    response = client.post(
        reverse("disputes:intake"), dispute_data(address=elsewhere.code, narrative="")
    )
    assert checked_address(response.content.decode()) in ("", None)
    assert elsewhere.full_text not in response.content.decode()


# --- confident answers pre-selected, others to confirm ------------------------------------


@pytest.fixture
def two_rooms(places):
    """阳头路12号 has two rooms: the door alone does not say which."""
    return [
        create_address(
            actor=None,
            community=places.community_a,
            grid=places.grid_a,
            road="阳头路",
            door_number="12",
            unit="1",
            room=room,
        )
        for room in ("101", "102")
    ]


def options(client, **query) -> str:
    return client.get(reverse("incidents:address_options"), query).content.decode()


def test_a_confident_match_is_pre_selected_and_marked(client, world, address):
    client.force_login(world.a[Role.COMMAND_ROOM])
    html = options(client, location_text="阳头路12号")
    assert checked_address(html) == address.code
    assert "匹配可信" in html and "请确认地址" not in html
    assert f'name="address_auto" value="{address.code}"' in html
    assert re.search(r"匹配度 \d{1,2}%", html)  # a percentage, never 100 %


def test_an_uncertain_match_pre_selects_nothing_and_asks(client, world, two_rooms):
    client.force_login(world.a[Role.COMMAND_ROOM])
    html = options(client, location_text="阳头路12号")
    assert checked_address(html) is None  # not an address, not even "none"
    assert "请确认地址" in html and "匹配可信" not in html and "address_auto" not in html
    assert all(a.full_text in html for a in two_rooms)
    assert "未写明：单元、室" in html  # why: the text leaves the unit and room out


def test_the_reasons_are_in_english_for_an_english_reader(client, world, two_rooms):
    client.force_login(world.a[Role.COMMAND_ROOM])
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = options(client, location_text="阳头路12号")
    assert "Please confirm the address" in html and "not given: unit, room" in html
    assert "请确认" not in html and "未写明" not in html


def test_an_uncertain_text_is_refused_without_a_pick(client, world, two_rooms):
    client.force_login(world.a[Role.COMMAND_ROOM])
    sent = incident_data(world, location_text="阳头路12号")
    del sent["address"]  # the picker was shown, nothing chosen
    response = client.post(reverse("incidents:intake"), sent)
    assert response.status_code == 200 and not Incident.objects.exists()
    form = response.context["form"]
    assert "请确认地址" in " ".join(form.errors["address"])
    html = response.content.decode()
    assert checked_address(html) is None and sent["description"] in html  # input kept
    # "none" (the text alone) and a picked address are both answers
    client.post(reverse("incidents:intake"), sent | {"address": ""})
    client.post(reverse("incidents:intake"), sent | {"address": two_rooms[1].code})
    assert [i.address for i in Incident.objects.order_by("pk")] == [None, two_rooms[1]]


def test_the_dispute_form_refuses_an_uncertain_text_without_a_pick(client, world, two_rooms):
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    response = client.post(reverse("disputes:intake"), dispute_data(location_text="阳头路12号"))
    assert response.status_code == 422 and not DisputeCase.objects.exists()
    assert "请确认地址" in response.content.decode()
    client.post(
        reverse("disputes:intake"),
        dispute_data(location_text="阳头路12号", address=two_rooms[0].code),
    )
    assert DisputeCase.objects.get().address == two_rooms[0]


def test_a_confident_pre_selection_is_saved(client, world, address):
    client.force_login(world.a[Role.COMMAND_ROOM])
    html = options(client, location_text="阳头路12号")
    sent = incident_data(
        world, location_text="阳头路12号", address=checked_address(html), address_auto=address.code
    )
    client.post(reverse("incidents:intake"), sent)
    assert Incident.objects.get().address == address


def test_a_stale_pre_selection_is_refused_but_a_pick_stands(client, world, address, places):
    """Enter pressed before the live search caught up with the edited text: the address
    pre-selected for the old text is not the user's choice."""
    other = create_address(
        actor=None, community=places.community_a, grid=places.grid_a, road="阳头路",
        door_number="14",
    )  # fmt: skip
    client.force_login(world.a[Role.COMMAND_ROOM])
    sent = incident_data(
        world, location_text="阳头路14号", address=address.code, address_auto=address.code
    )
    response = client.post(reverse("incidents:intake"), sent)
    assert not Incident.objects.exists()
    assert "地点文字已改动" in " ".join(response.context["form"].errors["address"])
    assert checked_address(response.content.decode()) == other.code  # the new text's answer
    del sent["address_auto"]  # the same address, picked by the user
    client.post(reverse("incidents:intake"), sent)
    assert Incident.objects.get().address == address


def test_the_live_search_keeps_a_pick_but_not_a_pre_selection(client, world, address):
    client.force_login(world.a[Role.COMMAND_ROOM])
    picked = options(client, location_text="在小区门口", address=address.code)
    assert checked_address(picked) == address.code and "您选定的地址" in picked
    pre_selected = options(
        client, location_text="在小区门口", address=address.code, address_auto=address.code
    )
    assert address.full_text not in pre_selected


def test_the_registry_suggestions_mark_the_confident_answer(client, world, address, two_rooms):
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    sure = client.get(reverse("addresses:suggest"), {"q": "阳头路12号1单元101"})
    assert "匹配可信" in sure.content.decode()
    unsure = client.get(reverse("addresses:suggest"), {"q": "阳头路12号1单元"})
    assert "请确认地址" in unsure.content.decode() and "匹配可信" not in unsure.content.decode()


def test_the_resolve_api_says_whether_the_best_match_is_confident(client, world, two_rooms):
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    url = "/api/v1/addresses/resolve"
    sure = client.get(url, {"q": "阳头路12号1单元101"}).json()["matches"]
    assert sure[0]["confident"] is True and sure[0]["code"] == two_rooms[0].code
    assert all(m["confident"] is False for m in sure[1:])
    unsure = client.get(url, {"q": "阳头路12号"}).json()["matches"]
    assert len(unsure) == 2 and not any(m["confident"] for m in unsure)


def test_the_reasons_are_short_conflicts_first_and_translated():
    lines = [
        Reason("corrected", "道路", value="阳头路", typed="阳投路"),
        Reason("matched", "道路", value="阳头路"),
        Reason("conflict", "门牌", typed="3号", value="2号"),
        Reason("missing", "乡镇街道"), Reason("missing", "室"), Reason("missing", "单元"),
        "一句新的说明",  # a line that is no Reason
    ]  # fmt: skip
    assert short_reasons(lines, limit=9) == [
        "门牌不符：输入3号，标准地址为2号", "道路“阳头路”由“阳投路”纠正", "一句新的说明",
        "未写明：室、单元", "一致：道路",
    ]  # fmt: skip
    with translation.override("en"):
        assert short_reasons(lines) == [
            "door number differs: typed 3号, the standard address has 2号",
            "road “阳头路” corrected from “阳投路”",
            "一句新的说明",  # a line of an unknown shape is shown as written
        ]
        more = [Reason("missing", "单元"), Reason("matched", "门牌", value="12号")]
        more.append(Reason("matched", "道路", value="阳头路"))
        assert short_reasons(more) == [
            "not given: unit", "agrees: door number, road",
        ]  # fmt: skip
