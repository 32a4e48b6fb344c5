"""Rollups kept on write equal rollups rebuilt from the raw records."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from fengqiao.core.roles import Role
from fengqiao.incidents import public
from fengqiao.incidents import services as incident_services
from fengqiao.incidents.models import Category, Incident
from fengqiao.scoring import rollups
from fengqiao.scoring.models import Rollup


def table() -> dict[tuple, int]:
    return {
        (r.node_id, r.fact, r.grain, r.day, r.category, r.status): r.n
        for r in Rollup.objects.exclude(n=0)
    }


@pytest.fixture
def busy_day(world, make_incident, make_dispute):
    """Incidents and disputes written, moved, re-categorised and surveyed through the
    services, as a day at station A goes."""
    officer = world.a[Role.COMMAND_ROOM]
    made = [make_incident() for _ in range(3)]
    made.append(make_incident(description="两人在饭店门口打架，有人受伤。"))
    made.append(make_incident(jurisdiction=world.district_b, actor=world.b_officer))
    first = made[0]
    first = incident_services.transition(
        actor=officer, incident=first, to_status="dispatched", expected_version=first.version
    )
    fraud = (
        Category.objects.get(code="0104")
        if Category.objects.filter(code="0104").exists()
        else (Category.objects.filter(parent__isnull=False).exclude(pk=first.category_id).first())
    )
    second = made[1]
    incident_services.confirm_category(
        actor=officer, incident=second, category=fraud, expected_version=second.version
    )
    for status in ("dispatched", "on_scene", "handled", "closed"):
        third = Incident.objects.get(pk=made[2].pk)
        incident_services.transition(
            actor=officer, incident=third, to_status=status, expected_version=third.version,
            note="处置完毕",
        )  # fmt: skip
    public.submit_survey(incident=Incident.objects.get(pk=made[2].pk), rating="satisfied")
    make_dispute()
    make_dispute(category="marriage_family")
    return made


def test_rollups_kept_on_write_equal_a_rebuild(busy_day):
    kept = table()
    assert kept, "writes left no rollups"
    rollups.rebuild()
    assert table() == kept


def test_an_incident_counts_for_its_district_and_every_unit_above(world, busy_day):
    today = timezone.localdate()
    by_node = {
        node.pk: sum(
            r.n for r in Rollup.objects.filter(node=node, fact="incident", grain="d", day=today)
        )
        for node in (world.district_a, world.station_a, world.bureau, world.department)
    }
    assert by_node == {
        world.district_a.pk: 4, world.station_a.pk: 4, world.bureau.pk: 5, world.department.pk: 5,
    }  # fmt: skip


def test_a_status_change_moves_the_count(world, busy_day):
    today = timezone.localdate()
    rows = Rollup.objects.filter(node=world.station_a, fact="incident", grain="m",
                                 day=today.replace(day=1))  # fmt: skip
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r.status] = by_status.get(r.status, 0) + r.n
    assert by_status.get("closed") == 1
    assert by_status.get("dispatched") == 1
    assert by_status.get("received") == 2


def test_deleting_a_record_takes_its_count_away(world, busy_day):
    Incident.objects.filter(pk=busy_day[-1].pk).delete()
    kept = table()
    rollups.rebuild()
    assert table() == kept


def test_rebuild_groups_by_the_local_day(world, make_incident):
    # 23:30 in Shanghai is 15:30 UTC: the record belongs to the local day.
    late = timezone.make_aware(dt.datetime(2026, 3, 1, 23, 30))
    make_incident(received_at=late)
    rollups.rebuild()
    days = set(Rollup.objects.filter(fact="incident", grain="d").values_list("day", flat=True))
    assert days == {dt.date(2026, 3, 1)}


def test_the_rebuild_command_recounts_and_reports(world, busy_day):
    from io import StringIO

    from django.core.management import call_command

    kept = table()
    Rollup.objects.all().delete()
    out = StringIO()
    call_command("rebuild_rollups", stdout=out)
    assert table() == kept
    assert "rollup rows" in out.getvalue()


def test_moving_an_address_to_another_grid_moves_its_disputes(world, places, make_dispute):
    from fengqiao.addresses import services as address_services
    from tests.conftest import make_node

    address = address_services.create_address(
        actor=None, community=places.community_a, grid=places.grid_a, road="阳头路",
        door_number="12",
    )  # fmt: skip
    make_dispute(address=address)
    address.grid = make_node("grid", "凤台社区第2网格", places.community_a)
    address.save(update_fields=["grid"])
    kept = table()
    assert any(key[0] == address.grid_id and key[1] == "dispute" for key in kept)
    rollups.rebuild()
    assert table() == kept
