"""The resolver wired to the registry: scoped service, API endpoint, htmx suggestions."""

from __future__ import annotations

from django.urls import reverse

from fengqiao.addresses import selectors, services
from fengqiao.core.roles import Role


def test_resolver_finds_noisy_text_in_scope_only(world, places):
    mine = services.create_address(
        actor=None,
        community=places.community_a,
        road="阳头路",
        door_number="12",
        building="3",
        unit="2",
        room="502",
    )
    services.create_address(
        actor=None,
        community=places.community_b,
        road="阳头路",
        door_number="12",
        building="3",
        unit="2",
        room="502",
    )
    resolution, found = selectors.resolve_text(
        user=world.a[Role.CASE_OFFICER], text="阳头路１２-3-2-502"
    )
    assert found[0] == mine and resolution.matches[0].score > 0.9
    assert all(a.police_district == world.district_a for a in found)


def test_resolve_endpoint_and_suggestions(client, world, places):
    services.create_address(
        actor=None, community=places.community_a, road="阳头路", door_number="12"
    )
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    body = client.get("/api/v1/addresses/resolve", {"q": "凤台社区阳投路12号"}).json()
    assert body["matches"][0]["address"].endswith("凤台社区阳头路12号")
    assert body["parsed"]["road"] == "阳头路"
    page = client.get(reverse("addresses:suggest"), {"q": "阳头路12"}).content.decode()
    assert "凤台社区阳头路12号" in page
    client.force_login(world.b_chief)
    assert client.get("/api/v1/addresses/resolve", {"q": "阳头路12号"}).json()["matches"] == []
    client.force_login(world.analyst)
    assert client.get("/api/v1/addresses/resolve", {"q": "阳头路12号"}).status_code == 403


def test_doorplate_qr_and_sheet_are_scoped(client, world, places):
    address = services.create_address(
        actor=None, community=places.community_a, road="阳头路", door_number="12"
    )
    client.force_login(world.a[Role.STATION_CHIEF])
    svg = client.get(reverse("addresses:qr", args=[address.pk, "svg"]))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    pdf = client.get(reverse("addresses:sheet"), {"community": places.community_a.pk})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    client.force_login(world.b_chief)
    assert client.get(reverse("addresses:qr", args=[address.pk, "png"])).status_code == 404
    assert (
        client.get(reverse("addresses:sheet"), {"community": places.community_a.pk}).status_code
        == 404
    )


def test_an_organisation_name_finds_the_address_it_is_registered_at(world, places):
    from fengqiao.registry.models import Organisation

    shop = services.create_address(
        actor=None, community=places.community_a, road="阳头路", door_number="12"
    )
    services.create_address(
        actor=None, community=places.community_a, road="阳头路", door_number="14"
    )
    selectors.resolve_text(user=world.a[Role.CASE_OFFICER], text="阳头路12号")  # index built
    Organisation.objects.create(name="江苏科盛科技有限公司", industry="other", address=shop)
    resolution, found = selectors.resolve_text(
        user=world.a[Role.CASE_OFFICER], text="阳头路江苏科盛科技有限公司"
    )
    assert found[0] == shop
    assert 0 < resolution.matches[0].score <= 1
