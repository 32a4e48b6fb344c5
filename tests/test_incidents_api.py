"""警情 API: intake for feeders (201 / 422 with reasons), scoped lists, lookup by code."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from fengqiao.core.roles import Role
from fengqiao.incidents.models import Incident


@pytest.fixture
def duty(client, world, settings):
    settings.FENGQIAO_SMS_BACKEND = "fengqiao.incidents.sms.MemoryBackend"
    client.force_login(world.a[Role.COMMAND_ROOM])
    return client


def post(client, payload):
    return client.post("/api/v1/incidents/", json.dumps(payload), content_type="application/json")


def test_intake_answers_201_with_the_tracking_code(duty, world):
    answer = post(duty, {"source": "110", "description": "报警人称电动车被盗。",
                         "location_text": "阳头路12号", "jurisdiction_id": world.district_a.pk,
                         "reporter_phone": "13800001234", "category_code": "0101"})  # fmt: skip
    assert answer.status_code == 201, answer.content
    body = answer.json()
    incident = Incident.objects.get(tracking_code=body["tracking_code"])
    assert body["status"] == "received" and body["category"] == "0101"
    assert body["reporter_phone_masked"] == "138****1234"
    assert incident.received_by == world.a[Role.COMMAND_ROOM]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "长" * 100_000}, "description"),
        ({"received_at": (timezone.now() + dt.timedelta(days=1)).isoformat()}, "received_at"),
        ({"category_code": "9999"}, "category_code"),
        ({"address_code": "140502000000AA"}, "address_code"),
    ],
)
def test_bad_intake_is_422_with_the_reason_and_stores_nothing(duty, world, change, field):
    payload = {"source": "110", "description": "有人打架", "location_text": "凤台街",
               "jurisdiction_id": world.district_a.pk, **change}  # fmt: skip
    answer = post(duty, payload)
    assert answer.status_code == 422, answer.content
    assert field in answer.json()["errors"]
    assert Incident.objects.count() == 0


def test_an_unknown_source_is_refused_by_the_schema(duty, world):
    answer = post(duty, {"source": "pigeon", "description": "x", "location_text": "y"})
    assert answer.status_code == 422 and Incident.objects.count() == 0


def test_intake_out_of_scope_is_403(duty, world):
    answer = post(duty, {"source": "110", "description": "有人打架", "location_text": "书院街",
                         "jurisdiction_id": world.district_b.pk})  # fmt: skip
    assert answer.status_code == 403 and Incident.objects.count() == 0


def test_lists_and_lookups_are_scoped(duty, client, world, make_incident):
    mine = make_incident()
    theirs = make_incident(actor=world.b_chief, jurisdiction=world.district_b)
    codes = [item["tracking_code"] for item in duty.get("/api/v1/incidents/").json()["items"]]
    assert codes == [mine.tracking_code]
    assert duty.get(f"/api/v1/incidents/{mine.tracking_code.lower()}").status_code == 200
    assert duty.get(f"/api/v1/incidents/{theirs.tracking_code}").status_code == 404


def test_a_volunteer_may_not_register_through_the_api(client, world):
    client.force_login(world.a[Role.VOLUNTEER])
    answer = post(client, {"source": "110", "description": "x", "location_text": "y"})
    assert answer.status_code == 403


def post_batch(client, items):
    return client.post(
        "/api/v1/incidents/batch", json.dumps({"items": items}), content_type="application/json"
    )


def test_a_batch_stores_each_incident_with_its_timeline_clocks_audit_sms_and_counts(
    duty, world, places
):
    from fengqiao.addresses import services as address_services
    from fengqiao.audit import services as audit
    from fengqiao.audit.models import AuditEvent
    from fengqiao.rollups import store as rollups
    from fengqiao.rollups.models import Rollup

    address = address_services.create_address(
        actor=None, community=places.community_a, grid=places.grid_a, road="阳头路",
        door_number="12",
    )  # fmt: skip
    items = [
        {"source": "110", "description": "报警人称电动车被盗。", "location_text": "阳头路12号",
         "address_code": address.code, "reporter_phone": "13800001234", "category_code": "0101"},
        {"source": "walk_in", "description": "楼上装修噪音扰民。", "location_text": "凤台街",
         "jurisdiction_id": world.district_a.pk},
        {"source": "110", "description": "两车刮擦，无人受伤。", "location_text": "书院街口",
         "jurisdiction_id": world.district_a.pk, "reporter_phone": "13900005678"},
    ]  # fmt: skip
    answer = post_batch(duty, items)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert [b["location_text"] for b in body] == [i["location_text"] for i in items]
    stored = {i.tracking_code: i for i in Incident.objects.all()}
    assert set(stored) == {b["tracking_code"] for b in body}
    first = stored[body[0]["tracking_code"]]
    assert first.grid == places.grid_a and first.jurisdiction == world.district_a
    assert body[0]["address_code"] == address.code and body[0]["category"] == "0101"
    for incident in stored.values():
        assert incident.events.count() == 1 and incident.deadlines.exists()
    created = AuditEvent.objects.filter(action="create", object_type="incidents.incident")
    assert sorted(created.values_list("object_id", flat=True)) == sorted(
        str(i.pk) for i in stored.values()
    )
    assert audit.verify_chain().ok
    assert sorted(m.phone for m in first.sms.all()) == ["13800001234"]
    kept = {(r.node_id, r.fact, r.grain, r.day, r.category, r.status): r.n
            for r in Rollup.objects.exclude(n=0)}  # fmt: skip
    rollups.rebuild()
    rebuilt = {(r.node_id, r.fact, r.grain, r.day, r.category, r.status): r.n
               for r in Rollup.objects.exclude(n=0)}  # fmt: skip
    assert kept == rebuilt and kept


def test_a_batch_with_a_bad_item_stores_nothing_and_names_the_item(duty, world):
    good = {"source": "110", "description": "有人打架", "location_text": "凤台街",
            "jurisdiction_id": world.district_a.pk}  # fmt: skip
    other = world.district_b.pk
    bad = [{"description": " "}, {"category_code": "9999"}, {"jurisdiction_id": other}]
    answer = post_batch(duty, [good, *({**good, **change} for change in bad)])
    assert answer.status_code == 422, answer.content
    errors = answer.json()["errors"]
    assert set(errors) == {"1.description", "2.category_code", "3.jurisdiction"}
    assert Incident.objects.count() == 0


@pytest.mark.parametrize("size", [0, 501])
def test_a_batch_is_one_to_five_hundred_items(duty, world, size):
    item = {"source": "110", "description": "有人打架", "location_text": "凤台街"}
    assert post_batch(duty, [item] * size).status_code == 422
    assert Incident.objects.count() == 0
