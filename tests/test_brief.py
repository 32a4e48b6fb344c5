"""每日研判: the morning brief's figures on a known data set, its scope, what analysts
see, the page, the audited PDF, and a bounded number of queries."""

from __future__ import annotations

import datetime as dt
import io
import re
import zoneinfo
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from fengqiao.addresses.services import create_address
from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.incidents import services
from fengqiao.incidents.brief import default_day, morning_brief
from fengqiao.incidents.models import (
    Category,
    Deadline,
    Incident,
    Status,
    WhistleRequest,
    WhistleStatus,
)

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A local (Asia/Shanghai) time on ``day``."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def category(code: str) -> Category:
    return Category.objects.get(code=code)


def move(incident: Incident, status: str, actor, **extra) -> Incident:
    incident.refresh_from_db()
    return services.transition(
        actor=actor, incident=incident, to_status=status, expected_version=incident.version,
        **extra,
    )  # fmt: skip


def whistle(code: str, *, by, to, raised_by, status: str, due: dt.datetime) -> WhistleRequest:
    return WhistleRequest.objects.create(
        code=code, raised_by_unit=by, to_unit=to, raised_by=raised_by,
        raised_at=timezone.now() - dt.timedelta(days=1), title=f"协查{code}", reason="请协助。",
        due_at=due, status=status,
    )  # fmt: skip


@pytest.fixture
def data(world, places, make_incident):
    """Station A's day D (ten days ago, so every clock made by intake is long breached
    and the test does not depend on the hour it runs), its neighbours in time, and
    station B's incidents on the same day."""
    officer = world.a[Role.COMMAND_ROOM]
    day = timezone.localdate() - dt.timedelta(days=10)
    d = lambda n: day + dt.timedelta(days=n)  # noqa: E731
    addr1 = create_address(actor=None, community=places.community_a, grid=places.grid_a,
                           road="阳头路", door_number="1")  # fmt: skip
    addr2 = create_address(actor=None, community=places.community_a, road="阳头路",
                           door_number="2")  # fmt: skip
    addr3 = create_address(actor=None, community=places.community_a, road="阳头路",
                           door_number="3")  # fmt: skip
    addr4 = create_address(actor=None, community=places.community_a, road="阳头路",
                           door_number="4")  # fmt: skip
    addr_b = create_address(actor=None, community=places.community_b, road="书院街",
                            door_number="9")  # fmt: skip

    theft, noise, neighbours = category("0101"), category("0205"), category("0502")
    # Day D: seven incidents.
    first = make_incident(received_at=at(day, 0, 1), category=theft, address=addr1)
    make_incident(received_at=at(day, 23, 59), category=theft, address=addr1, source="walk_in")
    make_incident(received_at=at(day, 10), category=noise, source="phone")
    make_incident(received_at=at(day, 11), category=neighbours, address=addr2)
    mediated = make_incident(received_at=at(day, 12), source="online")  # no category
    invalid = make_incident(received_at=at(day, 13), category=theft)
    top_level = make_incident(received_at=at(day, 14), category=category("02"),
                              source="volunteer")  # fmt: skip
    move(mediated, Status.TO_DISPUTE, officer)
    move(mediated, Status.CLOSED, officer)  # closed after mediation: still counted
    move(invalid, Status.INVALID, officer, note="误拨，无警情")
    move(top_level, Status.TO_DISPUTE, officer)
    # Around it: the minute before and after the day, the same weekday last week.
    make_incident(received_at=at(d(-1), 23, 59), category=theft, address=addr3)
    make_incident(received_at=at(d(1), 0, 1), category=theft, address=addr4)
    make_incident(received_at=at(d(-7), 9), category=noise)
    make_incident(received_at=at(d(-7), 20), category=theft)
    # Repeats: addr2 again 29 days before D (inside the 30 days), addr3 31 days before
    # (outside), addr4 once inside (and once the day after D, which is not in the window).
    make_incident(received_at=at(d(-29), 10), address=addr2)
    make_incident(received_at=at(d(-31), 10), address=addr3)
    make_incident(received_at=at(d(-3), 10), address=addr4)
    # Station B, same day: never in A's brief.
    in_b = {"actor": world.b_chief, "jurisdiction": world.district_b, "address": addr_b}
    b_first = make_incident(received_at=at(day, 9), category=neighbours, **in_b)
    make_incident(received_at=at(day, 15), category=theft, **in_b)

    # Clocks: stop every clock intake started, then run four on purpose.
    now = timezone.now()
    Deadline.objects.update(met_at=now)
    dispatch = Deadline.objects.get(incident=first, rule__kind="dispatch")
    arrival = Deadline.objects.get(incident=invalid, rule__kind="arrival")
    solve = Deadline.objects.get(incident=first, rule__kind="solve")
    Deadline.objects.filter(pk=dispatch.pk).update(met_at=None, due_at=now - dt.timedelta(hours=2))
    Deadline.objects.filter(pk=arrival.pk).update(met_at=None, due_at=now + dt.timedelta(hours=3))
    Deadline.objects.filter(pk=solve.pk).update(met_at=None, due_at=now + dt.timedelta(hours=13))
    Deadline.objects.filter(incident=b_first, rule__kind="dispatch").update(
        met_at=None, due_at=now - dt.timedelta(hours=1)
    )

    # Whistles: three open that concern A, one closed, one between B and the unit.
    a, b, unit = world.station_a, world.station_b, world.unit
    whistle("W1", by=a, to=unit, raised_by=officer, status=WhistleStatus.RAISED,
            due=now + dt.timedelta(days=1))  # fmt: skip
    whistle("W2", by=world.district_a, to=unit, raised_by=officer, status=WhistleStatus.ACCEPTED,
            due=now - dt.timedelta(hours=2))  # fmt: skip
    whistle("W3", by=b, to=a, raised_by=world.b_chief, status=WhistleStatus.REPORTED,
            due=now + dt.timedelta(hours=3))  # fmt: skip
    whistle("W4", by=a, to=unit, raised_by=officer, status=WhistleStatus.CLOSED,
            due=now - dt.timedelta(days=3))  # fmt: skip
    whistle("W5", by=b, to=unit, raised_by=world.b_chief, status=WhistleStatus.RAISED,
            due=now - dt.timedelta(hours=5))  # fmt: skip
    return SimpleNamespace(
        day=day, officer=officer, addr1=addr1, addr2=addr2, addr3=addr3, addr4=addr4,
        addr_b=addr_b, first=first, invalid=invalid, places=places,
    )  # fmt: skip


def categories_of(brief) -> dict[str, tuple[int, int, int]]:
    rows = {}
    for row in brief.categories:
        rows[row.name] = (row.count, row.previous_day, row.last_week)
        for child in row.children:
            rows[child.name] = (child.count, child.previous_day, child.last_week)
    return rows


# --- The figures -----------------------------------------------------------------------


def test_day_totals_use_the_local_calendar_day(data):
    brief = morning_brief(user=data.officer, day=data.day)
    assert brief.unit.name == "甲派出所"  # the user's own unit by default
    # 00:01 and 23:59 local are in; 23:59 the day before and 00:01 the day after are not.
    assert (brief.total, brief.valid, brief.invalid) == (7, 6, 1)
    assert (brief.previous_day_total, brief.last_week_total) == (1, 2)
    assert (brief.change_from_previous_day, brief.change_from_last_week) == (6, 5)
    assert morning_brief(user=data.officer, day=data.day - dt.timedelta(days=1)).total == 1


def test_by_category_with_sub_types_and_uncategorised(data):
    brief = morning_brief(user=data.officer, day=data.day)
    rows = categories_of(brief)
    assert rows["刑事"] == (3, 1, 1)
    assert rows["盗窃"] == (3, 1, 1)
    assert rows["治安"] == (2, 0, 1)  # one filed under 噪声扰民, one under 治安 itself
    assert rows["噪声扰民"] == (1, 0, 1)
    assert rows["纠纷"] == (1, 0, 0) and rows["邻里纠纷"] == (1, 0, 0)
    assert rows["交通事故"] == (0, 0, 0) and "财产损失事故" not in rows  # empty sub-types hidden
    assert [row.code for row in brief.categories] == ["01", "02", "03", "04", "05", "06", "07",
                                                      "08"]  # fmt: skip
    assert (brief.uncategorised.name, brief.uncategorised.count) == ("未分类", 1)
    assert sum(row.count for row in brief.categories) + brief.uncategorised.count == brief.total


def test_by_grid_and_by_source(data, places):
    brief = morning_brief(user=data.officer, day=data.day)
    assert [(row.name, row.count) for row in brief.grids] == [
        ("凤台社区第1网格", 2),
        ("未落地到网格", 5),
    ]
    assert brief.grids[0].grid_id == places.grid_a.pk and brief.grids[1].grid_id is None
    assert [(row.label, row.count) for row in brief.sources] == [
        ("110报警", 3),
        ("来所报警", 1),
        ("电话报警", 1),
        ("网上报警", 1),
        ("群防群治力量报告", 1),
    ]


def test_disputes_handed_to_mediation(data):
    # 邻里纠纷 (category 05), the uncategorised one closed after mediation, the 治安 one
    # now in mediation; station B's 邻里纠纷 is not counted.
    assert morning_brief(user=data.officer, day=data.day).dispute_incidents == 3


def test_repeat_addresses_in_the_thirty_days_ending_with_the_day(data):
    brief = morning_brief(user=data.officer, day=data.day)
    assert brief.repeat_address_count == 2
    listed = [(row.address_id, row.calls) for row in brief.repeat_addresses]
    # addr1: two calls on the day; addr2: the day and 29 days before. Not addr3 (its
    # other call was 31 days before), not addr4 (one call; the other is after the day),
    # not station B's address.
    assert listed == [(data.addr1.pk, 2), (data.addr2.pk, 2)]
    assert brief.repeat_addresses[0].text == data.addr1.full_text
    assert brief.repeat_addresses[0].code == data.addr1.code
    assert brief.repeat_addresses[0].last_at == at(data.day, 23, 59)


def test_clocks_breached_or_due_within_twelve_hours(data):
    brief = morning_brief(user=data.officer, day=data.day)
    assert (brief.clocks_breached, brief.clocks_due_soon) == (1, 1)  # not the one in 13 h
    assert [(r.name[:2], r.breached, r.due_soon) for r in brief.clocks_by_rule] == [
        ("派警", 1, 0),
        ("到场", 0, 1),
    ]
    urgent = brief.urgent_clocks
    assert [c.tracking_code for c in urgent] == [
        data.first.tracking_code,
        data.invalid.tracking_code,
    ]
    assert urgent[0].overdue and not urgent[1].overdue
    assert dt.timedelta(hours=2, minutes=59) < urgent[1].remaining <= dt.timedelta(hours=3)


def test_open_whistles_raised_by_or_addressed_to_the_unit(data):
    brief = morning_brief(user=data.officer, day=data.day)
    assert (brief.whistles_open, brief.whistles_overdue) == (3, 1)
    assert [w.code for w in brief.whistles] == ["W2", "W3", "W1"]  # most urgent first
    assert brief.whistles[0].overdue and brief.whistles[0].status_label == "已报到"


def test_station_b_sees_its_own_day_and_never_station_a(data, world):
    brief = morning_brief(user=world.b_chief, day=data.day)
    assert (brief.total, brief.dispute_incidents, brief.repeat_address_count) == (2, 1, 1)
    assert [row.address_id for row in brief.repeat_addresses] == [data.addr_b.pk]
    assert (brief.clocks_breached, brief.clocks_due_soon) == (1, 0)
    assert (brief.whistles_open, brief.whistles_overdue) == (2, 1)
    assert {w.code for w in brief.whistles} == {"W3", "W5"}


def test_a_unit_outside_the_scope_or_a_reader_without_the_capability_is_refused(data, world):
    with pytest.raises(PermissionDenied):
        morning_brief(user=data.officer, day=data.day, unit=world.station_b)
    with pytest.raises(PermissionDenied):
        morning_brief(user=data.officer, day=data.day, unit=world.bureau)
    with pytest.raises(PermissionDenied):
        morning_brief(user=world.a[Role.VOLUNTEER], day=data.day)


def test_a_sub_unit_brief_covers_its_subtree(data, world):
    brief = morning_brief(user=data.officer, day=data.day, unit=world.district_a)
    assert brief.total == 7 and brief.unit == world.district_a


def test_an_analyst_gets_the_counts_but_no_list_naming_records(data, world):
    brief = morning_brief(user=world.analyst, day=data.day, unit=world.station_a)
    assert (brief.total, brief.invalid, brief.dispute_incidents) == (7, 1, 3)
    assert (brief.repeat_address_count, brief.clocks_breached, brief.whistles_open) == (2, 1, 3)
    assert brief.records_shown is False
    assert brief.repeat_addresses is None and brief.urgent_clocks is None
    assert brief.whistles is None
    # The analyst's own unit is the bureau: both stations.
    assert morning_brief(user=world.analyst, day=data.day).total == 9


def test_default_day_is_yesterday_local_time():
    # 00:30 on the 23rd in Shanghai is still the 22nd in UTC; the brief reports the 22nd.
    now = dt.datetime(2025, 3, 22, 16, 30, tzinfo=dt.UTC)
    assert default_day(now) == dt.date(2025, 3, 22)


# --- Queries ---------------------------------------------------------------------------


def test_the_brief_takes_a_bounded_number_of_queries(
    data, world, make_incident, django_assert_max_num_queries
):
    with django_assert_max_num_queries(15):
        morning_brief(user=data.officer, day=data.day)
    with CaptureQueriesContext(connection) as small:
        morning_brief(user=data.officer, day=data.day)
    for hour in range(1, 21):  # more incidents, addresses and clocks: the same queries
        address = create_address(actor=None, community=data.places.community_a,
                                 road="凤台街", door_number=str(hour))  # fmt: skip
        for minute in (0, 30):
            make_incident(received_at=at(data.day, hour, minute), address=address,
                          category=category("0102"))  # fmt: skip
    Deadline.objects.update(met_at=None)
    with CaptureQueriesContext(connection) as large:
        brief = morning_brief(user=data.officer, day=data.day)
    assert brief.total == 47 and brief.repeat_address_count == 22
    assert len(large.captured_queries) == len(small.captured_queries)
    with CaptureQueriesContext(connection) as analyst:
        morning_brief(user=world.analyst, day=data.day, unit=world.station_a)
    assert len(analyst.captured_queries) < len(small.captured_queries)


# --- Page and PDF ----------------------------------------------------------------------


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def test_the_page_shows_the_brief(client, data, world):
    client.force_login(data.officer)
    response = client.get(
        reverse("incidents:brief"), {"day": data.day.isoformat(), "unit": world.station_a.pk}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "每日警情研判" in page and "盗窃" in page and "未落地到网格" in page
    assert data.addr1.full_text in page and "下载PDF" in page
    assert response.context["brief"].total == 7
    # The unit picker: the station, then its police district indented under it.
    assert response.context["unit_options"] == [
        (world.station_a.pk, "甲派出所"),
        (world.district_a.pk, "　甲一警务区"),
    ]
    assert f"unit={world.station_a.pk}" in response.context["pdf_url"]


def test_the_page_defaults_to_yesterday_and_refuses_a_future_day(client, data):
    client.force_login(data.officer)
    response = client.get(reverse("incidents:brief"))
    assert response.status_code == 200
    assert response.context["brief"].day == timezone.localdate() - dt.timedelta(days=1)
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = client.get(reverse("incidents:brief"), {"day": future})
    assert response.context["brief"].day == timezone.localdate() - dt.timedelta(days=1)
    assert response.context["error"]


def test_the_page_refuses_a_unit_outside_the_scope(client, data, world):
    client.force_login(data.officer)
    response = client.get(reverse("incidents:brief"), {"unit": world.station_b.pk})
    assert response.status_code == 403


def test_the_analysts_page_has_counts_and_no_address(client, data, world):
    client.force_login(world.analyst)
    response = client.get(
        reverse("incidents:brief"), {"day": data.day.isoformat(), "unit": world.station_a.pk}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "盗窃" in page and data.addr1.full_text not in page
    assert data.first.tracking_code[:4] not in page


def test_the_pdf_download_is_a_pdf_with_the_brief_and_is_audited(client, data, world):
    client.force_login(data.officer)
    before = AuditEvent.objects.filter(action="export").count()
    response = client.get(
        reverse("incidents:brief_pdf"), {"day": data.day.isoformat(), "unit": world.station_a.pk}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert (
        f'filename="brief-{world.station_a.pk}-{data.day.isoformat()}.pdf"'
        in (response["Content-Disposition"])
    )
    text = pdf_text(response.content)
    assert "每日警情研判" in text and "盗窃" in text and "邻里纠纷" in text
    assert "甲派出所" in text and "第1/" in text  # page numbers
    assert data.addr1.full_text in text
    event = AuditEvent.objects.filter(action="export").order_by("-seq").first()
    assert AuditEvent.objects.filter(action="export").count() == before + 1
    assert event.actor_id == data.officer.pk and event.object_type == "incidents.brief"
    assert f"address:{data.addr1.pk}" in event.object_ids


def test_the_analysts_pdf_names_no_address(client, data, world):
    client.force_login(world.analyst)
    response = client.get(
        reverse("incidents:brief_pdf"), {"day": data.day.isoformat(), "unit": world.station_a.pk}
    )
    assert response.status_code == 200
    text = pdf_text(response.content)
    assert "每日警情研判" in text and "盗窃" in text
    assert "阳头路" not in text


def test_the_pdf_lists_go_only_to_those_who_may_export(client, data, world):
    # A community officer sees the lists on screen but may not export records.
    officer = world.a[Role.COMMUNITY_OFFICER]
    client.force_login(officer)
    query = {"day": data.day.isoformat(), "unit": world.district_a.pk}
    assert data.addr1.full_text in client.get(reverse("incidents:brief"), query).content.decode()
    text = pdf_text(client.get(reverse("incidents:brief_pdf"), query).content)
    assert "盗窃" in text and "阳头路" not in text


def test_the_brief_prints_the_audit_chains_last_checkpoint(client, data, world):
    """At the foot of the page and the PDF: "审计链检查点：#N 哈希前缀 时间", a copy of the
    checkpoint on paper."""
    from fengqiao.audit import checkpoints

    client.force_login(data.officer)
    query = {"day": data.day.isoformat(), "unit": world.station_a.pk}
    assert "审计链检查点：尚无" in client.get(reverse("incidents:brief"), query).content.decode()
    checkpoint, _ = checkpoints.write_checkpoint()
    line = f"审计链检查点：{checkpoint.label}"
    assert line.startswith(f"审计链检查点：#1 {checkpoint.head_hash[:12]} ")
    assert line in client.get(reverse("incidents:brief"), query).content.decode()
    pdf = client.get(reverse("incidents:brief_pdf"), query)
    assert re.sub(r"\s+", "", line) in pdf_text(pdf.content)
