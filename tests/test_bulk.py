"""core.bulk.insert stores what bulk_create stores (COPY on PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from fengqiao.audit.models import AuditEvent
from fengqiao.core import bulk
from fengqiao.incidents.models import Deadline, DeadlineRule, Incident, IncidentEvent, SmsMessage

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MOMENT = dt.datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI)
AWKWARD = "含'引号'、\\反斜杠\\N、\t制表符\n和换行"  # what COPY's text format escapes


def incidents(world, n: int, tag: str) -> list[Incident]:
    return [
        Incident(
            received_at=MOMENT, occurred_at=None if i % 2 else MOMENT, source="110",
            reporter_phone="13912345678" if i % 2 else "", location_text=f"凤台街{i}号",
            jurisdiction=world.district_a, description=f"{tag}: {AWKWARD}",
            status="received", status_changed_at=MOMENT, received_by=world.a["command_room"],
            tracking_code=f"{tag}{i:04d}XYZ"[:10],
        )
        for i in range(n)
    ]  # fmt: skip


def stored(model, objs, skip=("id", "created_at", "updated_at")) -> list[dict]:
    rows = model.objects.filter(pk__in=[o.pk for o in objs]).order_by("pk").values()
    return [{k: v for k, v in row.items() if k not in skip} for row in rows]


def without(rows: list[dict], *keys: str) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in keys} for row in rows]


def test_insert_stores_what_bulk_create_stores_and_returns_saved_objects(world):
    before = timezone.now()
    copied = bulk.insert(incidents(world, 5, "C"))
    created = Incident.objects.bulk_create(incidents(world, 5, "B"))

    assert [o.pk for o in copied] == sorted(o.pk for o in copied)
    assert all(not o._state.adding and o._state.db == "default" for o in copied)
    assert all(o.created_at >= before and o.updated_at >= before for o in copied)
    assert without(stored(Incident, copied), "tracking_code", "description") == without(
        stored(Incident, created), "tracking_code", "description"
    )
    assert [r["description"] for r in stored(Incident, copied)] == [
        o.description for o in copied
    ]  # quotes, backslashes, tabs and newlines survive COPY's text format
    again = Incident.objects.get(pk=copied[0].pk)
    assert (again.created_at, again.received_at) == (copied[0].created_at, MOMENT)


def test_insert_keeps_ids_given_and_follows_related_objects_saved_since(world):
    copied = bulk.insert(incidents(world, 2, "K"))
    events = bulk.insert(
        IncidentEvent(incident=incident, at=MOMENT, actor=world.a["command_room"], kind="intake",
                      to_status="received")
        for incident in copied
    )  # fmt: skip
    rule = DeadlineRule.objects.create(name="出警", kind="dispatch", minutes=15)
    clocks = bulk.insert([Deadline(id=987654, incident=copied[0], rule=rule,
                                   jurisdiction=world.district_a, due_at=MOMENT)])  # fmt: skip
    assert [e.incident_id for e in IncidentEvent.objects.filter(pk__in=[e.pk for e in events])] \
        == [i.pk for i in copied]  # fmt: skip
    assert clocks[0].pk == 987654 and Deadline.objects.get(pk=987654).due_at == MOMENT
    # The next id drawn is still fresh.
    assert bulk.insert([Deadline(incident=copied[1], rule=rule, jurisdiction=world.district_a,
                                 due_at=MOMENT)])[0].pk  # fmt: skip


def test_insert_refuses_an_unsaved_related_object(world):
    unsaved = incidents(world, 1, "U")[0]
    with pytest.raises(ValueError, match="unsaved related object"):
        bulk.insert([SmsMessage(incident=unsaved, phone="13912345678", text="…")])


def test_insert_writes_json_addresses_and_nulls_as_bulk_create_does(world):
    def events(tag: str, base: int) -> list[AuditEvent]:
        return [
            AuditEvent(seq=seq, at=MOMENT, actor=world.admin, actor_name="root.admin",
                       action="export", object_ids=["1", "2"], fields=["a", "名"],
                       scope_path="/1/", ip_address=ip, hash=f"{tag}{seq}", prev_hash="0")
            for seq, ip in ((base + 1, "10.0.0.1"), (base + 2, None), (base + 3, "2001:db8::1"))
        ]  # fmt: skip

    copied = bulk.insert(events("copy", 1000))
    created = AuditEvent.objects.bulk_create(events("bulk", 2000))
    assert without(stored(AuditEvent, copied), "seq", "hash") == without(
        stored(AuditEvent, created), "seq", "hash"
    )


def test_insert_of_nothing_is_nothing(db):
    assert bulk.insert([]) == []


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
def test_a_naive_time_is_read_in_the_default_zone_as_bulk_create_reads_it(world):
    naive = MOMENT.replace(tzinfo=None)
    rule = DeadlineRule.objects.create(name="出警", kind="dispatch", minutes=15)
    incident = bulk.insert(incidents(world, 1, "N"))[0]
    clock = bulk.insert([Deadline(incident=incident, rule=rule, jurisdiction=world.district_a,
                                  due_at=naive)])[0]  # fmt: skip
    assert Deadline.objects.get(pk=clock.pk).due_at == MOMENT


def test_without_ids_the_table_numbers_the_rows(world):
    incident = bulk.insert(incidents(world, 1, "I"))[0]
    events = [IncidentEvent(incident=incident, at=MOMENT, actor=world.a["command_room"],
                            kind="intake", to_status="received") for _ in range(3)]  # fmt: skip
    bulk.insert(events, ids=False)
    stored_ids = list(incident.events.order_by("pk").values_list("pk", flat=True))
    assert len(stored_ids) == 3 and len(set(stored_ids)) == 3
    # Objects with ids of their own keep them, and ids are drawn for the others beside them.
    mixed = [IncidentEvent(id=876543, incident=incident, at=MOMENT, kind="note"),
             IncidentEvent(incident=incident, at=MOMENT, kind="note")]  # fmt: skip
    bulk.insert(mixed, ids=False)
    assert mixed[0].pk == 876543 and mixed[1].pk is not None
    assert incident.events.count() == 5
