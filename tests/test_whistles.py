"""吹哨报到: the whistle flow from station A to the 刑侦大队 and back, every refused
step, escalation of overdue requests, scoping of the inbox and the board, the pages."""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import types
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

import fengqiao.incidents
from fengqiao.audit.models import AuditEvent
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.roles import Role
from fengqiao.incidents import codes, whistles
from fengqiao.incidents.models import WhistleRequest, WhistleStatus
from fengqiao.jurisdictions.models import Kind
from tests.conftest import make_node, make_user

W = WhistleStatus
ESCALATION_NOTE = "逾期未办结，已提请分局督办"
NOTES = {  # a note that satisfies every step asking for one
    W.DECLINED: "不属于本大队管辖",
    W.REPORTED: "已完成现场勘查，提取指纹两枚",
    W.ACCEPTED: "请补充监控调取情况",
}


@pytest.fixture(autouse=True)
def classifier(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """No model behind intake here: whistles are under test, not the classifier."""
    fake = types.ModuleType("fengqiao.incidents.classifier")
    fake.suggest = lambda text: None  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fengqiao.incidents.classifier", fake)
    monkeypatch.setattr(fengqiao.incidents, "classifier", fake, raising=False)
    return fake


def soon(hours: float = 24) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


@pytest.fixture
def chief(world: Any) -> Any:
    return world.a[Role.STATION_CHIEF]


@pytest.fixture
def whistle(world: Any, chief: Any) -> WhistleRequest:
    """Station A asks the 刑侦大队 for a scene examination."""
    return whistles.raise_whistle(
        actor=chief, to_unit=world.unit, title="请协助现场勘查", reason="入室盗窃，需提取痕迹",
        due_at=soon(), location_text="阳头路12号", case_number="A1405020000001",
    )  # fmt: skip


def step(whistle: WhistleRequest, actor: Any, to: str, note: str = "") -> WhistleRequest:
    whistle.refresh_from_db()
    return whistles.act(
        actor=actor, whistle=whistle, to_status=to, expected_version=whistle.version,
        note=note or NOTES.get(to, ""),
    )  # fmt: skip


def history(whistle: WhistleRequest) -> list[tuple[str, str]]:
    return list(whistle.events.order_by("at", "pk").values_list("from_status", "to_status"))


# --- Raising --------------------------------------------------------------------------


def test_a_station_raises_a_whistle_to_a_unit_of_its_bureau(world, chief, whistle):
    assert whistle.status == W.RAISED and whistle.version == 1
    assert whistle.raised_by_unit == world.station_a and whistle.to_unit == world.unit
    assert whistle.raised_by == chief and codes.is_valid(whistle.code)
    assert history(whistle) == [("", W.RAISED)]
    event = AuditEvent.objects.filter(object_type="incidents.whistlerequest").get()
    assert event.action == "create" and event.actor == chief
    assert event.scope_path == world.station_a.path


def test_an_officer_of_a_police_district_raises_for_his_station(world, make_incident):
    officer = world.a[Role.COMMUNITY_OFFICER]
    incident = make_incident()
    raised = whistles.raise_whistle(
        actor=officer, to_unit=world.station_b, title="请协查嫌疑人落脚点",
        reason="嫌疑人或在乙所辖区", due_at=soon(), incident=incident,
    )  # fmt: skip
    assert raised.raised_by_unit == world.station_a and raised.incident == incident


def test_codes_are_unique(world, chief):
    made = {
        whistles.raise_whistle(
            actor=chief, to_unit=world.unit, title=f"事项{i}", reason="原因", due_at=soon()
        ).code
        for i in range(5)
    }
    assert len(made) == 5


def test_a_whistle_to_a_unit_outside_the_bureau_is_refused(world, chief):
    other_bureau = make_node(Kind.COUNTY_BUREAU, "另一分局", world.bureau.parent)
    for target in (
        make_node(Kind.UNIT, "另一分局刑侦大队", other_bureau),
        make_node(Kind.STATION, "丙派出所", other_bureau),
        make_node(Kind.UNIT, "市局刑侦支队", world.bureau.parent),
    ):
        with pytest.raises(ValidationError) as refused:
            whistles.raise_whistle(
                actor=chief, to_unit=target, title="事项", reason="原因", due_at=soon()
            )
        assert "to_unit" in refused.value.message_dict
    assert not WhistleRequest.objects.exists()


def test_only_units_and_stations_can_be_whistled(world, chief):
    for target in (world.district_b, world.bureau):
        with pytest.raises(ValidationError):
            whistles.raise_whistle(
                actor=chief, to_unit=target, title="事项", reason="原因", due_at=soon()
            )


def test_a_station_cannot_whistle_itself(world, chief):
    with pytest.raises(ValidationError, match="不能向本所吹哨"):
        whistles.raise_whistle(
            actor=chief, to_unit=world.station_a, title="事项", reason="原因", due_at=soon()
        )


def test_a_due_time_in_the_past_is_refused(world, chief):
    with pytest.raises(ValidationError) as refused:
        whistles.raise_whistle(
            actor=chief, to_unit=world.unit, title="事项", reason="原因", due_at=soon(-1)
        )
    assert "due_at" in refused.value.message_dict


def test_what_and_why_are_required(world, chief):
    with pytest.raises(ValidationError) as refused:
        whistles.raise_whistle(
            actor=chief, to_unit=world.unit, title="  ", reason="原因", due_at=soon()
        )
    assert "title" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        whistles.raise_whistle(actor=chief, to_unit=world.unit, title="事项", reason="",
                               due_at=soon())  # fmt: skip
    assert "reason" in refused.value.message_dict


def test_an_incident_of_another_station_cannot_be_linked(world, make_incident):
    incident = make_incident(actor=world.b_chief, jurisdiction=world.district_b)
    with pytest.raises(PermissionDenied):
        whistles.raise_whistle(
            actor=world.a[Role.STATION_CHIEF], to_unit=world.unit, title="事项", reason="原因",
            due_at=soon(), incident=incident,
        )  # fmt: skip


def test_who_may_raise(world):
    for user in (world.liaison, world.a[Role.VOLUNTEER], world.a[Role.MEDIATOR], world.analyst):
        with pytest.raises(PermissionDenied):
            whistles.raise_whistle(
                actor=user, to_unit=world.unit, title="事项", reason="原因", due_at=soon()
            )


def test_the_targets_are_the_bureaus_units_and_other_stations(world, chief):
    targets = list(whistles.targets_for(user=chief))
    assert targets == [world.unit, world.station_b]
    assert list(whistles.targets_for(user=world.liaison)) == []


# --- The flow -------------------------------------------------------------------------


def test_the_whistle_flow_raise_accept_report_close(world, chief, whistle):
    liaison = world.liaison
    step(whistle, liaison, W.ACCEPTED, "已安排技术员")
    step(whistle, liaison, W.REPORTED)
    closed = step(whistle, chief, W.CLOSED, "感谢支持")
    assert closed.status == W.CLOSED and closed.closed_at is not None and closed.version == 4
    assert history(whistle) == [
        ("", W.RAISED), (W.RAISED, W.ACCEPTED), (W.ACCEPTED, W.REPORTED),
        (W.REPORTED, W.CLOSED),
    ]  # fmt: skip
    events = list(whistle.events.order_by("at", "pk"))
    assert [e.actor for e in events] == [chief, liaison, liaison, chief]
    assert events[2].note == NOTES[W.REPORTED] and not any(e.escalation for e in events)
    audit = AuditEvent.objects.filter(object_type="incidents.whistlerequest").order_by("seq")
    assert [(a.action, a.actor) for a in audit] == [
        ("create", chief), ("update", liaison), ("update", liaison), ("update", chief),
    ]  # fmt: skip
    assert audit.last().fields == ["closed_at", "status"] and audit.last().reason == "感谢支持"


def test_a_unit_may_decline_with_a_reason(world, whistle):
    with pytest.raises(ValidationError, match="退回须写明理由"):
        step(whistle, world.liaison, W.DECLINED, note=" ")
    declined = step(whistle, world.liaison, W.DECLINED)
    assert declined.status == W.DECLINED and declined.closed_at is None
    assert whistle.events.last().note == NOTES[W.DECLINED]


def test_a_report_needs_its_text(world, whistle):
    step(whistle, world.liaison, W.ACCEPTED)
    with pytest.raises(ValidationError, match="反馈须写明办理情况"):
        step(whistle, world.liaison, W.REPORTED, note="   ")


def test_the_station_may_send_a_report_back_for_more_work(world, chief, whistle):
    step(whistle, world.liaison, W.ACCEPTED)
    step(whistle, world.liaison, W.REPORTED)
    with pytest.raises(ValidationError, match="退回补充须写明"):
        step(whistle, chief, W.ACCEPTED, note="  ")
    step(whistle, chief, W.ACCEPTED, "请补充监控调取情况")
    step(whistle, world.liaison, W.REPORTED, "监控已调取")
    step(whistle, chief, W.CLOSED)
    assert [t for _f, t in history(whistle)] == [
        W.RAISED, W.ACCEPTED, W.REPORTED, W.ACCEPTED, W.REPORTED, W.CLOSED
    ]  # fmt: skip


ILLEGAL = [
    (a, b) for a, b in itertools.product(W.values, W.values) if b not in whistles.TRANSITIONS[a]
]


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL)
def test_every_step_outside_the_table_is_refused(world, whistle, from_status, to_status):
    # The administrator sits above both sides: only the table can refuse him.
    WhistleRequest.objects.filter(pk=whistle.pk).update(status=from_status)
    whistle.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        whistles.act(
            actor=world.admin, whistle=whistle, to_status=to_status,
            expected_version=whistle.version, note="说明文字",
        )  # fmt: skip
    assert "不能" in refused.value.messages[0]
    whistle.refresh_from_db()
    assert whistle.status == from_status and whistle.version == 1


def test_the_table_covers_every_status_and_has_the_legal_steps():
    assert set(whistles.TRANSITIONS) == set(W.values)
    legal = {(a, b) for a, steps in whistles.TRANSITIONS.items() for b in steps}
    assert legal == {
        (W.RAISED, W.ACCEPTED), (W.RAISED, W.DECLINED), (W.ACCEPTED, W.REPORTED),
        (W.REPORTED, W.CLOSED), (W.REPORTED, W.ACCEPTED),
    }  # fmt: skip
    assert {W.CLOSED, W.DECLINED} == whistles.TERMINAL


def test_a_finished_request_says_so(world, whistle):
    step(whistle, world.liaison, W.DECLINED)
    with pytest.raises(ValidationError, match="已退回”，不能再变更"):
        step(whistle, world.liaison, W.ACCEPTED)


def test_the_liaison_cannot_close(world, whistle):
    step(whistle, world.liaison, W.ACCEPTED)
    step(whistle, world.liaison, W.REPORTED)
    for to in (W.CLOSED, W.ACCEPTED):
        with pytest.raises(PermissionDenied, match="只有吹哨单位"):
            step(whistle, world.liaison, to)
    whistle.refresh_from_db()
    assert whistle.status == W.REPORTED


def test_the_station_cannot_accept_or_answer_its_own_request(world, chief, whistle):
    for to in (W.ACCEPTED, W.DECLINED):
        with pytest.raises(PermissionDenied, match="只有报到单位"):
            step(whistle, chief, to)
    step(whistle, world.liaison, W.ACCEPTED)
    with pytest.raises(PermissionDenied, match="只有报到单位"):
        step(whistle, chief, W.REPORTED)


def test_a_station_whistled_by_another_answers_it(world, chief):
    asked = whistles.raise_whistle(
        actor=chief,
        to_unit=world.station_b,
        title="请协查",
        reason="嫌疑人在乙所辖区",
        due_at=soon(),
    )
    step(asked, world.b_chief, W.ACCEPTED)
    with pytest.raises(PermissionDenied):  # an officer of B may not answer: no capability
        step(asked, world.b_officer, W.REPORTED)
    step(asked, world.b_chief, W.REPORTED)
    step(asked, chief, W.CLOSED)


def test_outsiders_cannot_act(world, whistle):
    stranger_station = make_node(Kind.STATION, "丁派出所", world.bureau)
    stranger = make_user(Role.STATION_CHIEF, stranger_station)
    with pytest.raises(PermissionDenied, match="不在您的辖区内"):
        step(whistle, stranger, W.ACCEPTED)


def test_a_stale_version_is_refused(world, whistle):
    old = whistle.version
    step(whistle, world.liaison, W.ACCEPTED)
    whistle.refresh_from_db()
    with pytest.raises(StaleEditError):
        whistles.act(
            actor=world.liaison, whistle=whistle, to_status=W.REPORTED, expected_version=old,
            note="反馈内容",
        )  # fmt: skip
    whistle.refresh_from_db()
    assert whistle.status == W.ACCEPTED and whistle.events.count() == 2


def test_next_steps_follow_the_side(world, chief, whistle):
    assert [to for to, _s in whistles.next_steps(actor=world.liaison, whistle=whistle)] == [
        W.ACCEPTED, W.DECLINED
    ]  # fmt: skip
    assert whistles.next_steps(actor=chief, whistle=whistle) == []
    step(whistle, world.liaison, W.ACCEPTED)
    step(whistle, world.liaison, W.REPORTED)
    whistle.refresh_from_db()
    assert whistles.next_steps(actor=world.liaison, whistle=whistle) == []
    assert [to for to, _s in whistles.next_steps(actor=chief, whistle=whistle)] == [
        W.CLOSED, W.ACCEPTED
    ]  # fmt: skip


# --- Escalation -----------------------------------------------------------------------


def overdue(whistle: WhistleRequest, hours: float = 2) -> None:
    WhistleRequest.objects.filter(pk=whistle.pk).update(due_at=soon(-hours))


def test_overdue_requests_are_escalated_once(world, chief, whistle):
    late_accepted = whistles.raise_whistle(
        actor=chief, to_unit=world.station_b, title="请协查", reason="原因", due_at=soon()
    )
    step(late_accepted, world.b_chief, W.ACCEPTED)
    late_closed = whistles.raise_whistle(
        actor=chief, to_unit=world.unit, title="已办结", reason="原因", due_at=soon()
    )
    for to, actor in ((W.ACCEPTED, world.liaison), (W.REPORTED, world.liaison), (W.CLOSED, chief)):
        step(late_closed, actor, to)
    on_time = whistles.raise_whistle(
        actor=chief, to_unit=world.unit, title="未到期", reason="原因", due_at=soon()
    )
    for late in (whistle, late_accepted, late_closed):
        overdue(late)

    assert whistles.escalate_overdue() == 2
    assert whistles.escalate_overdue() == 0

    for late in (whistle, late_accepted):
        late.refresh_from_db()
        assert late.escalated_at is not None
        escalations = late.events.filter(escalation=True)
        assert [(e.note, e.actor) for e in escalations] == [(ESCALATION_NOTE, None)]
    late_accepted.refresh_from_db()
    assert late_accepted.status == W.ACCEPTED and late_accepted.version == 2  # not an edit
    for quiet in (late_closed, on_time):
        quiet.refresh_from_db()
        assert quiet.escalated_at is None and not quiet.events.filter(escalation=True).exists()
    audit = AuditEvent.objects.filter(actor_name="escalate_whistles")
    assert [a.fields for a in audit] == [["escalated_at"], ["escalated_at"]]


def test_the_board_flags_escalated_requests(world, chief, whistle):
    fresh = whistles.raise_whistle(
        actor=chief, to_unit=world.station_b, title="新请求", reason="原因", due_at=soon(48)
    )
    overdue(whistle)
    WhistleRequest.objects.filter(pk=whistle.pk).update(raised_at=soon(-30))
    whistles.escalate_overdue()
    rows = whistles.board(user=world.admin)
    assert [r.whistle for r in rows] == [whistle, fresh]  # oldest first
    assert (rows[0].overdue, rows[0].escalated) == (True, True)
    assert (rows[1].overdue, rows[1].escalated) == (False, False)
    assert dt.timedelta(hours=29) < rows[0].age < dt.timedelta(hours=31)


def test_the_escalation_command_and_task(world, whistle):
    overdue(whistle)
    out = StringIO()
    call_command("escalate_whistles", stdout=out)
    assert "escalated 1" in out.getvalue()
    call_command("escalate_whistles", stdout=out)
    assert "escalated 0" in out.getvalue()
    from fengqiao.incidents.tasks import escalate_whistles

    assert escalate_whistles.call() == 0
    call_command("escalate_whistles", "--enqueue", stdout=out)
    assert "enqueued task" in out.getvalue()


# --- Reading, scoped ------------------------------------------------------------------


def test_the_liaison_sees_the_request_in_his_inbox(world, whistle):
    assert list(whistles.inbox(user=world.liaison)) == [whistle]
    assert whistles.whistle_detail(user=world.liaison, pk=whistle.pk) == whistle


def test_the_inbox_lists_open_requests_first_by_due_time(world, chief):
    later = whistles.raise_whistle(
        actor=chief, to_unit=world.unit, title="较晚", reason="原因", due_at=soon(48)
    )
    sooner = whistles.raise_whistle(
        actor=chief, to_unit=world.unit, title="较早", reason="原因", due_at=soon(2)
    )
    done = whistles.raise_whistle(
        actor=chief, to_unit=world.unit, title="已退回", reason="原因", due_at=soon(1)
    )
    step(done, world.liaison, W.DECLINED)
    assert list(whistles.inbox(user=world.liaison)) == [sooner, later, done]


def test_another_station_sees_neither_inbox_nor_board_items(world, chief, whistle):
    assert list(whistles.inbox(user=world.b_chief)) == []
    assert whistles.board(user=world.b_chief) == []
    assert list(whistles.raised(user=world.b_chief)) == []
    with pytest.raises(WhistleRequest.DoesNotExist):
        whistles.whistle_detail(user=world.b_chief, pk=whistle.pk)
    # Station A sees its own on the board and in its raised list; the unit sees nothing
    # on its board (it raised nothing).
    assert [r.whistle for r in whistles.board(user=chief)] == [whistle]
    assert list(whistles.raised(user=chief)) == [whistle]
    assert whistles.board(user=world.liaison) == []


def test_the_bureau_sees_every_stations_requests_on_its_board(world, chief, whistle):
    b_raised = whistles.raise_whistle(
        actor=world.b_chief, to_unit=world.unit, title="乙所请求", reason="原因", due_at=soon()
    )
    bureau_officer = make_user(Role.COMMAND_ROOM, world.bureau)
    assert [r.whistle for r in whistles.board(user=bureau_officer)] == [whistle, b_raised]


def test_closed_requests_leave_the_board(world, chief, whistle):
    for to, actor in ((W.ACCEPTED, world.liaison), (W.REPORTED, world.liaison), (W.CLOSED, chief)):
        step(whistle, actor, to)
    assert whistles.board(user=chief) == []


def test_readers_need_their_capability(world, whistle):
    volunteer = world.a[Role.VOLUNTEER]
    for read in (whistles.inbox, whistles.raised, whistles.board):
        with pytest.raises(PermissionDenied):
            read(user=volunteer)
    with pytest.raises(PermissionDenied):  # the command room does not answer whistles
        whistles.inbox(user=world.a[Role.COMMAND_ROOM])


# --- Pages ----------------------------------------------------------------------------


def test_the_liaison_accepts_from_his_inbox(client, world, whistle):
    client.force_login(world.liaison)
    page = client.get(reverse("incidents:whistle_inbox"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "请协助现场勘查" in text and "报到" in text and "退回理由（必填）" in text
    response = client.post(
        reverse("incidents:whistle_act", args=[whistle.pk]),
        {"to_status": W.ACCEPTED, "version": 1, "note": "", "back": "inbox"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:whistle_inbox")
    whistle.refresh_from_db()
    assert whistle.status == W.ACCEPTED


def test_a_stale_form_is_shown_as_a_message(client, world, whistle):
    step(whistle, world.liaison, W.ACCEPTED)
    client.force_login(world.liaison)
    response = client.post(
        reverse("incidents:whistle_act", args=[whistle.pk]),
        {"to_status": W.REPORTED, "version": 1, "note": "已办理"},
        follow=True,
    )
    assert "修改了这条记录" in response.content.decode()
    whistle.refresh_from_db()
    assert whistle.status == W.ACCEPTED


def test_a_refused_step_is_shown_as_a_message(client, world, whistle):
    client.force_login(world.liaison)
    response = client.post(
        reverse("incidents:whistle_act", args=[whistle.pk]),
        {"to_status": W.CLOSED, "version": 1},
        follow=True,
    )
    assert "不能变为" in response.content.decode()


def test_the_detail_shows_history_and_next_steps(client, world, chief, whistle):
    overdue(whistle)
    whistles.escalate_overdue()
    client.force_login(world.liaison)
    text = client.get(reverse("incidents:whistle_detail", args=[whistle.pk])).content.decode()
    assert ESCALATION_NOTE in text and "升级督办" in text and 'value="accepted"' in text
    assert codes.grouped(whistle.code) in text
    client.force_login(chief)
    text = client.get(reverse("incidents:whistle_detail", args=[whistle.pk])).content.decode()
    assert "等待对方办理" in text and 'name="to_status"' not in text
    client.force_login(world.b_chief)
    assert client.get(reverse("incidents:whistle_detail", args=[whistle.pk])).status_code == 404


def test_the_board_page_shows_age_and_flags(client, world, chief, whistle):
    overdue(whistle)
    WhistleRequest.objects.filter(pk=whistle.pk).update(raised_at=soon(-50))
    whistles.escalate_overdue()
    client.force_login(chief)
    page = client.get(reverse("incidents:whistle_board"))
    text = page.content.decode()
    assert page.status_code == 200
    assert "2天2小时" in text and "已逾期" in text and "已升级督办" in text
    assert 'class="overdue escalated"' in text
    client.force_login(world.b_chief)
    assert "请协助现场勘查" not in client.get(reverse("incidents:whistle_board")).content.decode()


def test_the_raised_list_page(client, world, chief, whistle):
    client.force_login(chief)
    page = client.get(reverse("incidents:whistle_raised"))
    assert page.status_code == 200 and "请协助现场勘查" in page.content.decode()


def test_raising_through_the_form(client, world, chief, make_incident):
    incident = make_incident()
    client.force_login(chief)
    page = client.get(reverse("incidents:whistle_new") + f"?incident={incident.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert incident.tracking_code in text and "刑侦大队（警种部门）" in text
    assert "乙派出所（派出所）" in text and "甲派出所（派出所）" not in text
    form_due = timezone.make_aware(page.context["form"]["due_at"].value())  # shown local
    assert dt.timedelta(hours=23) < form_due - timezone.now() <= dt.timedelta(hours=24)
    due = timezone.localtime(soon(6)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "to_unit": world.unit.pk, "title": "请协助调取监控", "location_text": "阳头路12号",
        "reason": "嫌疑人逃跑方向不明", "incident_code": codes.grouped(incident.tracking_code),
        "case_number": "", "due_at": due,
    }  # fmt: skip
    response = client.post(reverse("incidents:whistle_new"), data)
    made = WhistleRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:whistle_detail", args=[made.pk])
    assert made.incident == incident and made.to_unit == world.unit


def test_a_refused_form_keeps_the_input(client, world, chief):
    client.force_login(chief)
    past = timezone.localtime(soon(-3)).strftime("%Y-%m-%dT%H:%M")
    data = {
        "to_unit": world.unit.pk, "title": "请协助调取监控", "location_text": "阳头路12号",
        "reason": "嫌疑人逃跑方向不明", "incident_code": "", "case_number": "", "due_at": past,
    }  # fmt: skip
    page = client.post(reverse("incidents:whistle_new"), data)
    text = page.content.decode()
    assert page.status_code == 200 and not WhistleRequest.objects.exists()
    assert "要求完成时间须晚于当前时间" in text
    assert "请协助调取监控" in text and "嫌疑人逃跑方向不明" in text and past in text
    data |= {"due_at": timezone.localtime(soon(3)).strftime("%Y-%m-%dT%H:%M"),
             "incident_code": "7K3Q9M2AX4"}  # fmt: skip
    page = client.post(reverse("incidents:whistle_new"), data)
    assert "没有找到该查询码的警情" in page.content.decode()


def test_an_incident_of_another_station_cannot_prefill(client, world, chief, make_incident):
    incident = make_incident(actor=world.b_chief, jurisdiction=world.district_b)
    client.force_login(chief)
    url = reverse("incidents:whistle_new") + f"?incident={incident.pk}"
    assert client.get(url).status_code == 404


def test_pages_by_role(client, world, whistle):
    pages = [
        reverse("incidents:whistle_inbox"),
        reverse("incidents:whistle_raised"),
        reverse("incidents:whistle_board"),
        reverse("incidents:whistle_new"),
        reverse("incidents:whistle_detail", args=[whistle.pk]),
    ]
    client.force_login(world.a[Role.VOLUNTEER])
    for url in pages:
        assert client.get(url).status_code == 403, url
    act = reverse("incidents:whistle_act", args=[whistle.pk])
    assert client.post(act, {"to_status": W.ACCEPTED, "version": 1}).status_code == 403
    client.force_login(world.liaison)
    assert client.get(reverse("incidents:whistle_new")).status_code == 403  # answers only
    assert client.get(pages[0]).status_code == 200
    client.force_login(world.a[Role.CASE_OFFICER])
    assert client.get(reverse("incidents:whistle_inbox")).status_code == 403  # raises only
    for url in pages[1:]:
        assert client.get(url).status_code == 200, url
    client.logout()
    response = client.get(pages[0])
    assert response.status_code == 302 and "login" in response["Location"]
