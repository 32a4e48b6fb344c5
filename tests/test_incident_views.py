"""警情 pages: intake at the phone, the filtered list, the incident page and its handling,
the duty list — through the real URLs, as each role sees them."""

from __future__ import annotations

import datetime as dt
import sys
import types
from typing import Any, NamedTuple

import pytest
from django.urls import reverse
from django.utils import timezone

import fengqiao.incidents
from fengqiao.core.roles import Role
from fengqiao.incidents import codes, services
from fengqiao.incidents.models import Category, Incident, Source, Status

STALE = "修改了这条记录"


class Suggestion(NamedTuple):
    code: str
    probability: float


def fake_suggest(text: str) -> Suggestion | None:
    if "被盗" in text or "偷" in text:
        return Suggestion("0101", 0.87)
    if "吵" in text:
        return Suggestion("0205", 0.61)
    return None


@pytest.fixture(autouse=True)
def classifier(monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """A predictable classifier: the pages are under test here, not the model."""
    fake = types.ModuleType("fengqiao.incidents.classifier")
    fake.suggest = fake_suggest  # type: ignore[attr-defined]
    fake.Suggestion = Suggestion  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "fengqiao.incidents.classifier", fake)
    monkeypatch.setattr(fengqiao.incidents, "classifier", fake, raising=False)
    return fake


@pytest.fixture
def command_room(client: Any, world: Any) -> Any:
    user = world.a[Role.COMMAND_ROOM]
    client.force_login(user)
    return user


def local_input(value: dt.datetime) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def intake_data(world: Any, **values: Any) -> dict[str, Any]:
    data = {
        "location_text": "阳头路12号楼下",
        "address": "",
        "jurisdiction": world.district_a.pk,
        "description": "报警人称其电动车在楼下被盗。",
        "category": "",
        "source": Source.CALL_110,
        "urgency": "normal",
        "received_at": local_input(timezone.now()),
        "occurred_at": "",
        "reporter_name": "李四",
        "reporter_phone": "13812345678",
    }
    return data | values


def body(response: Any) -> str:
    return response.content.decode()


# --- Intake ----------------------------------------------------------------------------


def test_intake_page_is_ready_for_the_keyboard(client, world, command_room):
    page = body(client.get(reverse("incidents:intake")))
    assert 'name="location_text"' in page and "autofocus" in page
    assert 'accesskey="s"' in page
    assert 'type="datetime-local"' in page
    assert "<optgroup" in page and "盗窃" in page  # categories grouped by top level
    assert f'hx-post="{reverse("incidents:suggest_category")}"' in page
    assert "input changed delay:300ms" in page


def test_intake_through_the_page_registers_and_shows_the_code(client, world, command_room):
    response = client.post(reverse("incidents:intake"), intake_data(world), follow=True)
    incident = Incident.objects.get()
    assert response.redirect_chain[-1][0] == reverse("incidents:detail", args=[incident.pk])
    page = body(response)
    assert codes.grouped(incident.tracking_code) in page
    assert "已发短信" in page and incident.sms.get().text[:10] in page
    assert incident.jurisdiction == world.district_a
    assert incident.suggested_category.code == "0101" and incident.category is None
    assert incident.received_by == command_room


def test_intake_without_a_phone_prepares_no_sms(client, world, command_room):
    response = client.post(
        reverse("incidents:intake"), intake_data(world, reporter_phone=""), follow=True
    )
    assert "已发短信" not in body(response)
    assert Incident.objects.get().sms.count() == 0


def test_intake_with_a_confirmed_category(client, world, command_room):
    client.post(reverse("incidents:intake"), intake_data(world, category="0205"))
    assert Incident.objects.get().category.code == "0205"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"description": ""}, "description"),
        ({"description": "   "}, "description"),
        ({"received_at": "future"}, "received_at"),
        ({"description": "很长的描述" * 20_000}, "description"),  # 100,000 characters
        ({"reporter_phone": "12345"}, "reporter_phone"),
        ({"received_at": "not a time"}, "received_at"),
    ],
)
def test_refused_intake_keeps_what_was_typed(client, world, command_room, change, field):
    if change.get("received_at") == "future":
        change = {"received_at": local_input(timezone.now() + dt.timedelta(hours=3))}
    response = client.post(reverse("incidents:intake"), intake_data(world, **change))
    assert response.status_code == 200
    assert not Incident.objects.exists()
    form = response.context["form"]
    assert field in form.errors
    page = body(response)
    assert "阳头路12号楼下" in page and "李四" in page  # the typed input is kept
    assert "errorlist" in page
    assert "autofocus" in str(form[field])  # the cursor goes to the field to fix


def test_an_out_of_scope_unit_is_refused(client, world, command_room):
    response = client.post(
        reverse("incidents:intake"), intake_data(world, jurisdiction=world.station_b.pk)
    )
    assert response.status_code == 200 and "jurisdiction" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_an_address_of_another_station_is_refused_as_a_form_error(client, world, places):
    from fengqiao.addresses.services import create_address

    elsewhere = create_address(
        actor=None, community=places.community_b, road="书院街", door_number="3"
    )
    client.force_login(world.a[Role.COMMAND_ROOM])
    response = client.post(reverse("incidents:intake"), intake_data(world, address=elsewhere.code))
    assert response.status_code == 200  # a form error, not a 403 page
    assert "不在您的辖区内" in body(response)
    assert not Incident.objects.exists()


def test_a_picked_address_decides_the_unit(client, world, places, command_room):
    from fengqiao.addresses.services import create_address

    address = create_address(
        actor=None,
        community=places.community_a,
        grid=places.grid_a,
        road="阳头路",
        door_number="12",
    )
    options = body(client.get(reverse("incidents:address_options"), {"location_text": "阳头路12"}))
    assert f'value="{address.code}"' in options and 'type="radio"' in options
    client.post(
        reverse("incidents:intake"),
        intake_data(world, address=address.code, jurisdiction=world.station_a.pk),
    )
    incident = Incident.objects.get()
    assert incident.address == address and incident.jurisdiction == world.district_a
    assert incident.grid == places.grid_a and incident.location_text == "阳头路12号楼下"


def test_roles_that_do_not_take_calls_cannot_open_intake(client, world):
    for user in (world.a[Role.MEDIATOR], world.analyst, world.a[Role.VOLUNTEER]):
        client.force_login(user)
        assert client.get(reverse("incidents:intake")).status_code == 403


def test_pages_need_a_login(client):
    for name in ("incidents:list", "incidents:intake", "incidents:duty"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


# --- Category suggestion ---------------------------------------------------------------


def test_the_suggestion_endpoint_names_a_category(client, world, command_room):
    url = reverse("incidents:suggest_category")
    fragment = body(client.post(url, {"description": "我家楼下的电动车被偷了"}))
    assert "盗窃" in fragment and "87%" in fragment and "采用建议" in fragment
    assert "<html" not in fragment
    assert body(client.post(url, {"description": "嗯"})) == ""
    assert "暂无类别建议" in body(client.post(url, {"description": "天气很好很好"}))


def test_accepting_the_suggestion_selects_it(client, world, command_room):
    url = reverse("incidents:suggest_category")
    fragment = body(client.post(url, {"accept": "0101"}))
    assert 'id="category-field"' in fragment and "autofocus" in fragment
    assert '<option value="0101" selected>' in fragment


# --- List ------------------------------------------------------------------------------


def test_list_filters_by_status_category_source_and_date(client, world, make_incident):
    handler = world.a[Role.STATION_CHIEF]
    theft = make_incident(category=Category.objects.get(code="0101"))
    noise = make_incident(
        category=Category.objects.get(code="0205"), source=Source.WALK_IN, description="楼上吵闹"
    )
    old = make_incident(received_at=timezone.now() - dt.timedelta(days=3), description="无声电话")
    services.transition(
        actor=handler, incident=noise, to_status=Status.HANDLED, expected_version=noise.version
    )
    services.transition(
        actor=handler,
        incident=old,
        to_status=Status.INVALID,
        expected_version=old.version,
        note="误拨，无警情",
    )
    client.force_login(handler)

    def listed(**params: Any) -> set[int]:
        response = client.get(reverse("incidents:list"), params)
        assert response.status_code == 200
        return {i.pk for i in response.context["page"].items}

    assert listed() == {theft.pk, noise.pk, old.pk}
    assert listed(status="handled") == {noise.pk}
    assert listed(status="open") == {theft.pk, noise.pk}
    assert listed(category="0101") == {theft.pk}
    assert listed(category="02") == {noise.pk}  # a top level takes its sub-types
    assert listed(source="walk_in") == {noise.pk}
    today = timezone.localdate()
    assert listed(date_from=today.isoformat()) == {theft.pk, noise.pk}
    assert listed(date_to=(today - dt.timedelta(days=1)).isoformat()) == {old.pk}
    assert listed(code=codes.grouped(theft.tracking_code).lower()) == {theft.pk}
    assert listed(date_from="not-a-date") == {theft.pk, noise.pk, old.pk}  # shown, ignored


def test_list_keeps_the_filter_values_in_the_form(client, world, make_incident):
    make_incident()
    client.force_login(world.a[Role.STATION_CHIEF])
    page = body(client.get(reverse("incidents:list"), {"status": "open", "source": "110"}))
    assert '<option value="open" selected>' in page
    assert '<option value="110" selected>' in page
    assert "清除筛选" in page


def test_list_pages_by_keyset_and_keeps_filters(client, world, make_incident):
    now = timezone.now()
    made = [make_incident(received_at=now - dt.timedelta(minutes=n)) for n in range(30)]
    client.force_login(world.a[Role.STATION_CHIEF])
    first = client.get(reverse("incidents:list"), {"source": "110"})
    page = first.context["page"]
    assert [i.pk for i in page.items] == [i.pk for i in made[:25]]  # newest first
    assert page.next_cursor
    assert "source=110" in body(first) and "after=" in body(first)
    second = client.get(reverse("incidents:list"), {"source": "110", "after": page.next_cursor})
    assert [i.pk for i in second.context["page"].items] == [i.pk for i in made[25:]]
    assert second.context["page"].next_cursor == ""


def test_list_shows_clocks_and_never_the_reporter(client, world, make_incident):
    make_incident(
        reporter_name="王秘密", reporter_phone="13900001111",
        received_at=timezone.now() - dt.timedelta(minutes=10),
    )  # fmt: skip
    client.force_login(world.a[Role.STATION_CHIEF])
    page = body(client.get(reverse("incidents:list")))
    assert "王秘密" not in page and "13900001111" not in page and "139****1111" not in page
    assert "clock-red" in page and "超时" in page
    assert "电动车被盗" not in page  # descriptions stay on the incident page


def test_station_b_never_sees_station_a(client, world, make_incident):
    incident = make_incident(description="甲所的警情，乙所不可见")
    client.force_login(world.b_chief)
    response = client.get(reverse("incidents:list"))
    assert list(response.context["page"].items) == []
    assert incident.tracking_code not in body(response)
    assert "还没有警情" in body(response)
    assert client.get(reverse("incidents:detail", args=[incident.pk])).status_code == 404
    for name in ("incidents:transition", "incidents:correct", "incidents:categorise"):
        url = reverse(name, args=[incident.pk])
        assert client.post(url, {"version": 1, "to_status": "dispatched"}).status_code == 404
    assert "甲所的警情" not in body(client.get(reverse("incidents:duty")))


def test_empty_list_with_filters_says_so(client, world, make_incident):
    make_incident()
    client.force_login(world.a[Role.STATION_CHIEF])
    assert "没有符合条件的警情" in body(client.get(reverse("incidents:list"), {"status": "closed"}))


# --- Detail and handling -------------------------------------------------------------


def test_detail_shows_timeline_clocks_and_masks_the_reporter(client, world, make_incident):
    incident = make_incident(reporter_name="张三丰", reporter_phone="13812345678")
    client.force_login(world.a[Role.STATION_CHIEF])
    page = body(client.get(reverse("incidents:detail", args=[incident.pk])))
    assert "张**" in page and "138****5678" in page
    assert "张三丰" not in page and "13812345678" not in page
    assert "查看明文" in page
    assert "接警" in page and "timeline" in page
    assert "派警：接警后5分钟内派警" in page
    for label in ("已派警", "已联动120/119", "无效警情", "已移交"):
        assert label in page
    assert world.station_b.name in page and world.unit.name in page  # transfer targets
    reveal = reverse("incidents:reveal", args=[incident.pk, "reporter_phone"])
    shown = client.post(reveal, {"reason": "回拨报警人核实情况"})
    assert "13812345678" in body(shown)


def test_html_in_text_is_inert_on_the_detail_page(client, world, make_incident):
    incident = make_incident(
        description="<script>alert(1)</script>楼下有人<b>打架</b>",
        location_text='<img src=x onerror="alert(2)">',
    )
    client.force_login(world.a[Role.STATION_CHIEF])
    page = body(client.get(reverse("incidents:detail", args=[incident.pk])))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script>alert(1)" not in page and "<b>打架</b>" not in page
    assert "<img src=x" not in page
    listing = body(client.get(reverse("incidents:list")))
    assert "<img src=x" not in listing and "&lt;img src=x" in listing


def test_a_transition_through_the_page_moves_the_status(client, world, make_incident):
    incident = make_incident()
    client.force_login(world.a[Role.STATION_CHIEF])
    url = reverse("incidents:transition", args=[incident.pk])
    response = client.post(
        url, {"to_status": "dispatched", "version": incident.version, "note": "派巡逻一组"},
        follow=True,
    )  # fmt: skip
    incident.refresh_from_db()
    assert incident.status == Status.DISPATCHED
    page = body(response)
    assert "已变更为“已派警”" in page and "派巡逻一组" in page


def test_an_illegal_transition_is_refused_with_a_message(client, world, make_incident):
    incident = make_incident()
    client.force_login(world.a[Role.STATION_CHIEF])
    response = client.post(
        reverse("incidents:transition", args=[incident.pk]),
        {"to_status": "closed", "version": incident.version},
        follow=True,
    )
    incident.refresh_from_db()
    assert incident.status == Status.RECEIVED and incident.version == 1
    assert "不能变为“已办结”" in body(response)


def test_steps_that_need_more_ask_for_it(client, world, make_incident):
    incident = make_incident()
    client.force_login(world.a[Role.STATION_CHIEF])
    url = reverse("incidents:transition", args=[incident.pk])
    refused = client.post(url, {"to_status": "invalid", "version": 1, "note": ""}, follow=True)
    assert "理由" in body(refused)
    client.post(
        url, {"to_status": "transferred", "version": 1, "transferred_to": world.station_b.pk}
    )
    incident.refresh_from_db()
    assert incident.status == Status.TRANSFERRED and incident.transferred_to == world.station_b


def test_a_transfer_target_outside_the_bureau_list_is_refused(client, world, make_incident):
    incident = make_incident()
    client.force_login(world.a[Role.STATION_CHIEF])
    response = client.post(
        reverse("incidents:transition", args=[incident.pk]),
        {"to_status": "transferred", "version": 1, "transferred_to": world.district_a.pk},
        follow=True,
    )
    incident.refresh_from_db()
    assert incident.status == Status.RECEIVED and "接收单位" in body(response)


def test_a_stale_version_is_refused_naming_who_changed_it(client, world, make_incident):
    incident = make_incident()
    other = world.a[Role.CASE_OFFICER]
    services.transition(
        actor=other, incident=incident, to_status=Status.DISPATCHED, expected_version=1
    )
    client.force_login(world.a[Role.STATION_CHIEF])
    response = client.post(
        reverse("incidents:transition", args=[incident.pk]),
        {"to_status": "on_scene", "version": 1},  # the version the page was opened on
        follow=True,
    )
    incident.refresh_from_db()
    assert incident.status == Status.DISPATCHED and incident.version == 2
    page = body(response)
    assert STALE in page and other.full_name in page
    last = incident.events.order_by("-pk").first()
    assert timezone.localtime(last.at).strftime("%Y-%m-%d %H:%M") in page


def test_correction_needs_a_reason_and_puts_the_status_back(client, world, make_incident):
    incident = make_incident()
    chief = world.a[Role.STATION_CHIEF]
    services.transition(
        actor=chief, incident=incident, to_status=Status.DISPATCHED, expected_version=1
    )
    client.force_login(chief)
    page = body(client.get(reverse("incidents:detail", args=[incident.pk])))
    assert "更正状态" in page
    url = reverse("incidents:correct", args=[incident.pk])
    refused = client.post(url, {"to_status": "received", "version": 2, "reason": ""}, follow=True)
    assert "更正理由" in body(refused)
    client.post(url, {"to_status": "received", "version": 2, "reason": "误点派警，尚未派出"})
    incident.refresh_from_db()
    assert incident.status == Status.RECEIVED
    assert incident.events.order_by("-pk").first().note == "误点派警，尚未派出"


def test_category_is_confirmed_with_the_suggestion_preselected(client, world, make_incident):
    incident = make_incident()
    assert incident.suggested_category.code == "0101"
    client.force_login(world.a[Role.STATION_CHIEF])
    page = body(client.get(reverse("incidents:detail", args=[incident.pk])))
    assert '<option value="0101" selected>' in page
    client.post(
        reverse("incidents:categorise", args=[incident.pk]), {"category": "0101", "version": 1}
    )
    incident.refresh_from_db()
    assert incident.category.code == "0101"


def test_readers_without_handling_see_no_buttons_and_cannot_post(client, world, make_incident):
    incident = make_incident()
    client.force_login(world.a[Role.MEDIATOR])
    page = body(client.get(reverse("incidents:detail", args=[incident.pk])))
    assert "变更状态为" not in page and "查看明文" not in page
    response = client.post(
        reverse("incidents:transition", args=[incident.pk]),
        {"to_status": "dispatched", "version": 1},
    )
    assert response.status_code == 403


# --- Duty list -------------------------------------------------------------------------


def test_duty_list_shows_a_breached_clock_in_red(client, world, make_incident):
    late = make_incident(received_at=timezone.now() - dt.timedelta(minutes=12))
    fresh = make_incident()
    client.force_login(world.a[Role.COMMAND_ROOM])
    response = client.get(reverse("incidents:duty"))
    page = body(response)
    assert 'hx-trigger="every 60s"' in page
    assert codes.grouped(late.tracking_code) in page and codes.grouped(fresh.tracking_code) in page
    red = [row for row in response.context["rows"] if row.level == "red"]
    assert [row.deadline.incident_id for row in red] == [late.pk]  # its 5-minute dispatch clock
    assert "clock-red" in page and "超时" in page
    partial = client.get(reverse("incidents:duty"), headers={"HX-Request": "true"})
    assert "<html" not in body(partial) and "clock-red" in body(partial)
    assert "HX-Request" in partial["Vary"]


def test_duty_list_turns_amber_in_the_last_quarter(client, world, make_incident):
    make_incident(received_at=timezone.now() - dt.timedelta(minutes=16))  # arrival: 4 of 20 left
    client.force_login(world.a[Role.COMMAND_ROOM])
    response = client.get(reverse("incidents:duty"))
    assert {row.level for row in response.context["rows"]} == {"red", "amber"}
    assert "clock-amber" in body(response)


def test_duty_list_is_empty_when_nothing_is_due(client, world):
    client.force_login(world.a[Role.COMMAND_ROOM])
    assert "没有将要到期的时限" in body(client.get(reverse("incidents:duty")))
