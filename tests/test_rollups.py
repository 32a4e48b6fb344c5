"""Rollups kept on write equal rollups rebuilt from the raw records."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection, transaction
from django.utils import timezone

from fengqiao.core.roles import Role
from fengqiao.incidents import public
from fengqiao.incidents import services as incident_services
from fengqiao.incidents.models import Category, Incident
from fengqiao.rollups import store as rollups
from fengqiao.rollups.models import Rollup


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


def test_keys_of_records_in_hand_equal_their_facts_rows(world, places, busy_day):
    """A batch intake counts its new records from the objects in hand (``key_of``); each
    must give the key the fact's own query gives for the stored row."""
    from fengqiao.addresses import services as address_services
    from fengqiao.incidents.models import Deadline

    address = address_services.create_address(
        actor=None, community=places.community_a, grid=places.grid_a, road="阳头路",
        door_number="12",
    )  # fmt: skip
    theft = Category.objects.get(code="0101")
    near_midnight = timezone.make_aware(dt.datetime(2026, 3, 1, 23, 50))  # 15:50 UTC
    intake = {"actor": world.a[Role.COMMAND_ROOM], "location_text": "阳头路12号",
              "address": address}  # fmt: skip
    made = [
        *busy_day,
        incident_services.intake(
            **intake,
            source="110",
            description="电动车被盗。",
            category=theft,
            received_at=near_midnight,
        ),
        incident_services.intake(**intake, source="phone", description="求助开锁。"),
    ]
    clocks = list(Deadline.objects.select_related("rule"))
    clocks[0].met_at = clocks[0].due_at  # met on the minute
    clocks[1].met_at = clocks[1].due_at + dt.timedelta(seconds=1)  # late
    Deadline.objects.bulk_update(clocks[:2], ["met_at"])
    checked = {fact: 0 for fact in ("incident", "crime_area", "clock")}
    for name in checked:
        fact = rollups.FACTS[name]
        records = clocks if fact.model is Deadline else [
            Incident.objects.select_related("category", "suggested_category", "grid").get(pk=i.pk)
            for i in made
        ]  # fmt: skip
        for record in records:
            stored = rollups._keys(fact, [record.pk])
            in_hand = fact.key_of(record)
            assert stored == ([(name, *in_hand)] if in_hand else []), (name, record)
            checked[name] += bool(in_hand)
    assert all(checked.values()), checked  # each fact had records that count


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite serialises writers")
@pytest.mark.django_db(transaction=True)  # the fixtures' own audit events are committed
def test_a_rollup_write_holds_the_audit_chain_lock_until_commit(world):
    """Writers lock shared rollup rows (the province's day) only under the chain lock, so
    two of them never each hold rows the other waits for (seen as deadlocks under load)."""
    from fengqiao.audit import services as audit

    key = ("incident", world.district_a.pk, None, dt.date(2026, 3, 1), "0101", "received")
    with transaction.atomic(), connection.cursor() as cursor:
        rollups.apply(Counter({key: 1}))
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND pid = pg_backend_pid() AND objid = %s",
            [audit.CHAIN_LOCK_KEY],
        )
        assert cursor.fetchone()[0] == 1


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
