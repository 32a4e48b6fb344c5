"""警情: intake, the handling state machine, corrections, clocks, scoping, bad input."""

from __future__ import annotations

import datetime as dt
import itertools
import zoneinfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fengqiao.audit.models import AuditEvent
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.roles import Role
from fengqiao.incidents import codes, selectors, services, sms
from fengqiao.incidents.models import (
    Category,
    Deadline,
    EventKind,
    Incident,
    SmsMessage,
    Status,
    Validity,
)
from fengqiao.incidents.workflow import TERMINAL, TRANSITIONS

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def local(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def extras_for(status: str, world) -> dict:
    """What a transition to ``status`` must carry."""
    return {
        Status.CASE_REGISTERED: {"case_number": "A1405020000001"},
        Status.TRANSFERRED: {"transferred_to": world.station_b},
        Status.INVALID: {"note": "误拨，无警情"},
    }.get(status, {})


def path_to(status: str) -> list[str]:
    """A shortest legal path from received to ``status`` (breadth-first over the table)."""
    paths = {Status.RECEIVED: [Status.RECEIVED]}
    frontier = [Status.RECEIVED]
    while frontier:
        nxt = []
        for s in frontier:
            for t in TRANSITIONS[s]:
                if t not in paths:
                    paths[t] = [*paths[s], t]
                    nxt.append(t)
        frontier = nxt
    return paths[status]


def move(incident: Incident, status: str, actor, world) -> Incident:
    incident.refresh_from_db()
    return services.transition(
        actor=actor,
        incident=incident,
        to_status=status,
        expected_version=incident.version,
        **extras_for(status, world),
    )


@pytest.fixture
def officer(world):
    return world.a[Role.COMMAND_ROOM]


# --- Intake ----------------------------------------------------------------------------------


def test_intake_registers_code_timeline_clocks_sms_and_audit(
    make_incident, world, django_capture_on_commit_callbacks
):
    sms.MemoryBackend.outbox.clear()
    before = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        incident = make_incident(reporter_phone="138 0000 1234", reporter_name="张三")
    assert codes.is_valid(incident.tracking_code)
    assert incident.status == Status.RECEIVED and incident.jurisdiction == world.district_a
    assert incident.reporter_phone == "13800001234"
    assert [e.kind for e in incident.events.all()] == [EventKind.INTAKE]
    assert incident.deadlines.filter(rule__kind="dispatch").exists()
    message = SmsMessage.objects.get(incident=incident)
    assert incident.tracking_code[:4] in message.text and message.sent_at is not None
    assert sms.MemoryBackend.outbox[-1][0] == "13800001234"
    event = AuditEvent.objects.filter(seq__gt=before, action="create").get()
    assert event.object_type == "incidents.incident" and "reporter_phone" in event.fields


def test_intake_suggests_a_category_without_confirming_it(make_incident):
    incident = make_incident(description="报警人称接到自称银行客服的电话，被骗转账5000元。")
    assert incident.category is None
    assert incident.suggested_category is not None
    assert incident.suggested_category.parent.code == "01"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"description": "   "}, "description"),
        ({"description": "盗" * 100_000}, "description"),
        ({"location_text": ""}, "location_text"),
        ({"received_at": timezone.now() + dt.timedelta(hours=1)}, "received_at"),
        ({"occurred_at": timezone.now() + dt.timedelta(hours=1)}, "occurred_at"),
        ({"source": "carrier_pigeon"}, "source"),
        ({"urgency": "whenever"}, "urgency"),
        ({"reporter_phone": "12345"}, "reporter_phone"),
    ],
)
def test_bad_intake_is_refused_with_the_field_named(make_incident, values, field):
    with pytest.raises(ValidationError) as refused:
        make_incident(**values)
    assert field in refused.value.message_dict
    assert Incident.objects.count() == 0


def test_an_inactive_category_is_refused(make_incident):
    category = Category.objects.get(code="0203")
    category.active = False
    category.save()
    with pytest.raises(ValidationError):
        make_incident(category=category)


def test_intake_outside_the_users_scope_is_refused(make_incident, world):
    with pytest.raises(PermissionDenied):
        make_incident(jurisdiction=world.district_b)


def test_intake_needs_the_capability(make_incident, world):
    for role in (Role.VOLUNTEER, Role.ANALYST, Role.MEDIATOR):
        with pytest.raises(PermissionDenied):
            make_incident(actor=world.a.get(role, world.analyst))


def test_an_address_decides_the_unit_and_grid(make_incident, places, world):
    from fengqiao.addresses.services import create_address

    address = create_address(
        actor=None,
        community=places.community_a,
        grid=places.grid_a,
        road="阳头路",
        door_number="12",
    )
    incident = make_incident(address=address, jurisdiction=world.station_a)
    assert incident.jurisdiction == address.police_district and incident.grid == places.grid_a


# --- The state machine -----------------------------------------------------------------------

ALL = list(Status.values)
LEGAL = [(a, b) for a in ALL for b in ALL if b in TRANSITIONS[a]]
ILLEGAL = [(a, b) for a in ALL for b in ALL if b not in TRANSITIONS[a]]


def test_every_status_is_reachable_and_the_final_ones_are_final():
    for status in ALL:
        assert path_to(status)[-1] == status
    assert {Status.CLOSED, Status.INVALID, Status.TRANSFERRED} == TERMINAL


@pytest.mark.parametrize(("start", "target"), LEGAL)
def test_every_legal_transition_is_taken_and_recorded(make_incident, world, officer, start, target):
    incident = make_incident()
    for step in path_to(start)[1:]:
        incident = move(incident, step, officer, world)
    before = incident.events.count()
    incident = move(incident, target, officer, world)
    assert incident.status == target
    last = incident.events.order_by("-pk").first()
    assert (last.from_status, last.to_status, last.actor) == (start, target, officer)
    assert incident.events.count() == before + 1


@pytest.mark.parametrize(("start", "target"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(
    make_incident, world, officer, start, target
):
    incident = make_incident()
    for step in path_to(start)[1:]:
        incident = move(incident, step, officer, world)
    version, events = incident.version, incident.events.count()
    with pytest.raises(ValidationError, match="不能变为"):
        move(incident, target, officer, world)
    incident.refresh_from_db()
    assert (incident.status, incident.version, incident.events.count()) == (start, version, events)


def test_branches_demand_their_details(make_incident, officer, world):
    incident = make_incident()
    for status, field in ((Status.TRANSFERRED, "transferred_to"), (Status.INVALID, "note")):
        with pytest.raises(ValidationError) as refused:
            services.transition(
                actor=officer,
                incident=incident,
                to_status=status,
                expected_version=incident.version,
            )
        assert field in refused.value.message_dict
    for step in (Status.DISPATCHED, Status.ON_SCENE):
        incident = move(incident, step, officer, world)
    with pytest.raises(ValidationError, match="案件编号"):
        services.transition(
            actor=officer,
            incident=incident,
            to_status=Status.CASE_REGISTERED,
            expected_version=incident.version,
        )
    incident = move(incident, Status.CASE_REGISTERED, officer, world)
    assert incident.case_number == "A1405020000001"


def test_an_invalid_call_is_marked_invalid_and_a_correction_restores_it(
    make_incident, officer, world
):
    incident = move(make_incident(), Status.INVALID, officer, world)
    assert incident.validity == Validity.INVALID
    incident = services.correct_status(
        actor=officer,
        incident=incident,
        to_status=Status.RECEIVED,
        expected_version=incident.version,
        reason="误判为无效",
    )
    assert (incident.status, incident.validity) == (Status.RECEIVED, Validity.VALID)
    kinds = list(incident.events.values_list("kind", "to_status"))
    assert kinds[-2:] == [
        (EventKind.TRANSITION, Status.INVALID),
        (EventKind.CORRECTION, Status.RECEIVED),
    ]


def test_a_correction_needs_a_reason_and_a_status_held_before(make_incident, officer, world):
    incident = move(make_incident(), Status.DISPATCHED, officer, world)
    with pytest.raises(ValidationError, match="理由"):
        services.correct_status(
            actor=officer,
            incident=incident,
            to_status=Status.RECEIVED,
            expected_version=incident.version,
            reason="",
        )
    with pytest.raises(ValidationError, match="此前经历过"):
        services.correct_status(
            actor=officer,
            incident=incident,
            to_status=Status.CLOSED,
            expected_version=incident.version,
            reason="直接办结",
        )


def test_a_stale_edit_is_refused(make_incident, officer, world):
    incident = make_incident()
    stale = Incident.objects.get(pk=incident.pk)
    move(incident, Status.DISPATCHED, officer, world)
    with pytest.raises(StaleEditError):
        services.transition(
            actor=officer,
            incident=stale,
            to_status=Status.INVALID,
            expected_version=stale.version,
            note="重复报警",
        )
    stale.refresh_from_db()
    assert stale.status == Status.DISPATCHED


def test_out_of_scope_handlers_are_refused(make_incident, world):
    incident = make_incident()
    with pytest.raises(PermissionDenied):
        services.transition(
            actor=world.b_chief,
            incident=incident,
            to_status=Status.DISPATCHED,
            expected_version=incident.version,
        )


# --- Clocks ----------------------------------------------------------------------------------


def test_dispatch_clock_stops_when_dispatched_and_restarts_on_correction(
    make_incident, officer, world
):
    incident = make_incident()
    clock = incident.deadlines.get(rule__kind="dispatch")
    assert clock.met_at is None
    incident = move(incident, Status.DISPATCHED, officer, world)
    clock.refresh_from_db()
    assert clock.met_at is not None
    services.correct_status(
        actor=officer,
        incident=incident,
        to_status=Status.RECEIVED,
        expected_version=incident.version,
        reason="派错了警力",
    )
    clock.refresh_from_db()
    assert clock.met_at is None


def test_theft_clocks_follow_the_category_and_the_report_delay(make_incident, officer):
    theft = Category.objects.get(code="0101")
    received = timezone.now() - dt.timedelta(minutes=1)
    quick = make_incident(
        category=theft, received_at=received, occurred_at=received - dt.timedelta(minutes=40)
    )
    late = make_incident(
        category=theft, received_at=received, occurred_at=received - dt.timedelta(hours=5)
    )
    kinds = lambda i: sorted(i.deadlines.values_list("rule__kind", flat=True))  # noqa: E731
    assert kinds(quick) == ["arrival", "dispatch", "quick_solve", "solve"]
    assert kinds(late) == ["arrival", "dispatch", "solve"]
    solve = quick.deadlines.get(rule__kind="solve")
    assert solve.due_at == received + dt.timedelta(hours=24)
    other = make_incident()
    assert kinds(other) == ["arrival", "dispatch"]
    other = services.confirm_category(
        actor=officer, incident=other, category=theft, expected_version=other.version
    )
    assert kinds(other) == ["arrival", "dispatch", "solve"]


def test_deadlines_cross_midnight_on_the_shanghai_clock():
    received = local(2026, 11, 22, 23, 30)
    due = services.due_time(received, 24 * 60)
    assert due.tzinfo == dt.UTC
    assert due.astimezone(SHANGHAI) == local(2026, 11, 23, 23, 30)
    assert services.due_time(local(2026, 12, 31, 23, 58), 5).astimezone(SHANGHAI) == local(
        2027, 1, 1, 0, 3
    )


@pytest.mark.parametrize("month", range(1, 13))
def test_shanghai_has_no_daylight_saving_so_a_day_is_always_24_hours(month):
    received = local(2026, month, 15, 1, 30)
    due = services.due_time(received, 24 * 60).astimezone(SHANGHAI)
    assert due == local(2026, month, 16, 1, 30)
    assert received.utcoffset() == dt.timedelta(hours=8)


def test_clock_colours_ok_amber_red(make_incident):
    theft = Category.objects.get(code="0101")
    now = timezone.now()
    incident = make_incident(category=theft, received_at=now - dt.timedelta(hours=20))
    solve = incident.deadlines.select_related("rule").get(rule__kind="solve")
    dispatch = incident.deadlines.select_related("rule").get(rule__kind="dispatch")
    assert selectors.clock_state(solve, now=now).level == "amber"  # 4 h of 24 left
    assert selectors.clock_state(dispatch, now=now).level == "red"
    assert selectors.clock_state(solve, now=now - dt.timedelta(hours=19)).level == "ok"


def test_the_duty_list_shows_breaching_clocks_in_scope_most_urgent_first(make_incident, world):
    now = timezone.now()
    make_incident(received_at=now - dt.timedelta(minutes=30))
    make_incident(received_at=now - dt.timedelta(minutes=10))
    fresh = make_incident()
    states = selectors.duty_list(user=world.a[Role.STATION_CHIEF])
    due = [s.deadline.due_at for s in states]
    assert due == sorted(due) and states[0].level == "red"
    assert fresh.pk in {s.deadline.incident_id for s in states}  # due within 2 h
    assert selectors.duty_list(user=world.b_chief) == []


def test_met_clocks_leave_the_duty_list(make_incident, world, officer):
    incident = make_incident(received_at=timezone.now() - dt.timedelta(minutes=30))
    move(incident, Status.INVALID, officer, world)
    assert not Deadline.objects.filter(incident=incident, met_at__isnull=True).exists()
    assert selectors.duty_list(user=world.a[Role.STATION_CHIEF]) == []


# --- Scoping ---------------------------------------------------------------------------------


def test_incident_lists_and_details_stay_in_scope(make_incident, world):
    mine = make_incident()
    theirs = make_incident(actor=world.b_chief, jurisdiction=world.district_b)
    chief_a = world.a[Role.STATION_CHIEF]
    assert list(selectors.incidents_for(user=chief_a)) == [mine]
    assert list(selectors.incidents_for(user=world.b_chief)) == [theirs]
    with pytest.raises(Incident.DoesNotExist):
        selectors.incident_detail(user=chief_a, pk=theirs.pk)
    with pytest.raises(PermissionDenied):
        selectors.incidents_for(user=world.analyst)


def test_a_detail_read_is_audited(make_incident, world):
    incident = make_incident(reporter_name="李四")
    chief = world.a[Role.STATION_CHIEF]
    selectors.incident_detail(user=chief, pk=incident.pk)
    event = AuditEvent.objects.filter(action="view", object_id=str(incident.pk)).get()
    assert event.actor == chief and "reporter_name" in event.fields


def test_filters_combine(make_incident, world):
    theft = Category.objects.get(code="0101")
    make_incident(category=theft, source="walk_in")
    make_incident(source="110", description="报警人称楼上邻居深夜装修，噪音扰民。")
    chief = world.a[Role.STATION_CHIEF]
    by = lambda **kw: selectors.incidents_for(  # noqa: E731
        user=chief, filters=selectors.IncidentFilter(**kw)
    ).count()
    assert by(category="01") == 1 and by(category="0101") == 1 and by(source="110") == 1
    assert by(status=selectors.OPEN) == 2 and by(status=Status.CLOSED) == 0
    assert by(category="0205") == 1  # not confirmed yet: the suggestion stands for it
    today = timezone.localdate()
    assert by(date_from=today, date_to=today) == 2
    assert by(date_to=today - dt.timedelta(days=1)) == 0


def test_tracking_codes_catch_typos():
    code = codes.new_code()
    assert codes.is_valid(code)
    assert codes.normalise(codes.grouped(code).lower()) == code
    for i, j in itertools.combinations(range(len(code)), 2):
        if j == i + 1 and code[i] != code[j]:
            swapped = code[:i] + code[j] + code[i] + code[j + 1 :]
            assert not codes.is_valid(swapped)
    for i in range(len(code)):
        wrong = code[:i] + ("2" if code[i] != "2" else "3") + code[i + 1 :]
        assert not codes.is_valid(wrong)


def test_the_home_page_counts_todays_work_in_scope(client, make_incident, world):
    earlier = timezone.now() - dt.timedelta(minutes=30)
    make_incident(received_at=earlier)  # dispatch breached
    make_incident()
    make_incident(actor=world.b_chief, jurisdiction=world.district_b)
    summary = selectors.work_summary(user=world.a[Role.STATION_CHIEF])
    # "today" is the local calendar day: just after midnight the earlier call was yesterday's
    today = 1 + (timezone.localdate(earlier) == timezone.localdate())
    assert (summary.received_today, summary.open_incidents) == (today, 2)
    assert summary.breached_clocks == 2 and summary.clocks_due_soon == 2  # dispatch, arrival
    client.force_login(world.a[Role.STATION_CHIEF])
    page = client.get("/").content.decode()
    assert "已超时限" in page and "今日研判" in page  # the chief's late clocks and brief


def test_the_whistle_entry_leads_each_role_to_its_page(client, world):
    for user, page in (
        (world.a[Role.STATION_CHIEF], "raised"),
        (world.liaison, "inbox"),
        (world.a[Role.MEDIATOR], "board"),
    ):
        client.force_login(user)
        answer = client.get("/incidents/whistles/")
        assert answer.status_code == 302 and answer.url.rstrip("/").endswith(page)


def test_an_incident_taken_as_text_is_located_later(make_incident, places, world, officer, client):
    from fengqiao.addresses.services import create_address

    incident = make_incident(jurisdiction=world.station_a, location_text="凤台社区阳头路十二号")
    address = create_address(
        actor=None,
        community=places.community_a,
        grid=places.grid_a,
        road="阳头路",
        door_number="12",
    )
    client.force_login(officer)
    answer = client.post(
        f"/incidents/{incident.pk}/locate/", {"address": address.code, "version": incident.version}
    )
    assert answer.status_code == 302
    incident.refresh_from_db()
    assert (incident.address, incident.grid) == (address, places.grid_a)
    assert incident.jurisdiction == address.police_district
    assert set(incident.deadlines.values_list("jurisdiction", flat=True)) == {world.district_a.pk}
    assert any("阳头路" in e.text for e in incident.events.filter(kind=EventKind.NOTE))


def test_locating_in_another_units_area_is_refused(make_incident, places, officer):
    from fengqiao.addresses.services import create_address

    incident = make_incident()
    elsewhere = create_address(
        actor=None, community=places.community_b, road="书院街", door_number="9"
    )
    with pytest.raises(ValidationError, match="移交"):
        services.locate(
            actor=officer, incident=incident, address=elsewhere, expected_version=incident.version
        )


# --- The tracking SMS -----------------------------------------------------------------------


def test_the_console_gateway_prints_the_number_masked(capsys):
    sms.ConsoleBackend().send("13800001234", "【枫桥】您的报警已登记")
    printed = capsys.readouterr().out
    assert "13800001234" not in printed and "138****1234" in printed


@pytest.mark.parametrize(
    ("public", "served", "where"),
    [
        ("https://ga.example.cn/", "http://127.0.0.1:8000/", "https://ga.example.cn/track/"),
        ("", "http://127.0.0.1:8000/", "http://127.0.0.1:8000/track/"),
        ("", "", "警情查询"),
    ],
)
def test_the_tracking_sms_names_the_tracking_page(
    make_incident, settings, django_capture_on_commit_callbacks, public, served, where
):
    settings.FENGQIAO_PUBLIC_BASE_URL, settings.FENGQIAO_SERVED_URL = public, served
    incident = make_incident(reporter_phone="13800001234")
    text = SmsMessage.objects.get(incident=incident).text
    assert where in text and codes.grouped(incident.tracking_code) in text
