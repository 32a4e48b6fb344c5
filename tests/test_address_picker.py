"""Every form with a standard-address picker keeps the picked address (the radio's value
and its label) when it comes back with an error, so the saved record then has it."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from fengqiao.addresses.services import create_address
from fengqiao.core.roles import Role
from fengqiao.disputes.models import DisputeCase
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
