"""我的工作: the page a user lands on after signing in shows each hat he wears — a
mediator's cases, sittings and visits; a community officer's district; a chief's late
clocks, high-risk disputes, whistles and brief; a duty officer's live incidents — each
count read in his scope, and in a bounded number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fengqiao.addresses import services as address_services
from fengqiao.core.roles import Role
from fengqiao.disputes.mediators import services as mediator_services
from fengqiao.disputes.models import (
    Assignment,
    DisputeCase,
    FollowUp,
    MediationSession,
    MediatorKind,
    RiskLevel,
    Status,
)
from fengqiao.home import selectors
from fengqiao.incidents import whistles
from fengqiao.incidents.models import Deadline
from fengqiao.registry import services as registry_services
from fengqiao.registry.models import HouseUse
from tests.conftest import PASSWORD, make_user

NOW = timezone.now


def home(client, user):
    client.force_login(user)
    response = client.get(reverse("dashboards:home"))
    assert response.status_code == 200
    return response


def late(incident) -> None:
    """Every running clock of the incident ran out an hour ago."""
    Deadline.objects.filter(incident=incident, met_at__isnull=True).update(
        due_at=NOW() - dt.timedelta(hours=1)
    )


def pending_tenant(world, community, road: str):
    """A tenant registered by the landlord of a new house in ``community``, unreviewed."""
    landlord = world.a[Role.VOLUNTEER]
    house = registry_services.register_house(
        actor=None,
        use=HouseUse.RENTAL,
        owner_name="李建国",
        owner_phone="13800001111",
        address=address_services.create_address(
            actor=None, community=community, road=road, door_number="12"
        ),
    )
    registry_services.update_house(
        actor=None, house=house, expected_version=house.version, guardian_account=landlord,
        landlord_is_guardian=True,
    )  # fmt: skip
    return registry_services.register_tenant(
        actor=landlord, house=house, name="陈小明", id_number="", phone="13600003333",
        moved_in=timezone.localdate(),
    )  # fmt: skip


def resolved_with_visit(case, due_on: dt.date) -> FollowUp:
    DisputeCase.objects.filter(pk=case.pk).update(status=Status.RESOLVED)
    return FollowUp.objects.create(case=case, due_on=due_on)


def overdue(case) -> None:
    DisputeCase.objects.filter(pk=case.pk).update(
        status=Status.ACCEPTED, accepted_at=NOW() - dt.timedelta(days=40),
        due_at=NOW() - dt.timedelta(days=10),
    )  # fmt: skip


@pytest.fixture
def district_world(world, places, make_incident, make_dispute):
    """Work waiting in station A's district and, the same again, in station B's."""

    class Work:
        incident_a = make_incident()
        incident_a2 = make_incident()
        incident_b = make_incident(actor=world.b_chief, jurisdiction=world.district_b)
        tenant_a = pending_tenant(world, places.community_a, "阳头路")
        tenant_b = pending_tenant(world, places.community_b, "书院街")
        dispute_a = make_dispute()
        visit_case_a = make_dispute()
        dispute_b = make_dispute(actor=world.b_chief, jurisdiction=world.district_b)
        visit_case_b = make_dispute(actor=world.b_chief, jurisdiction=world.district_b)

    late(Work.incident_a)
    late(Work.incident_b)
    resolved_with_visit(Work.visit_case_a, timezone.localdate())
    resolved_with_visit(Work.visit_case_b, timezone.localdate())
    return Work


# --- signing in -----------------------------------------------------------------------------


def test_signing_in_lands_on_my_work(client, world):
    response = client.post(
        reverse("accounts:login"),
        {"username": world.a[Role.COMMUNITY_OFFICER].username, "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    page = client.get("/")
    assert page.resolver_match.view_name == "dashboards:home"
    assert 'data-testid="work-district"' in page.content.decode()


# --- each hat -----------------------------------------------------------------------------


def test_community_officer_sees_his_district_and_nothing_of_another(client, world, district_world):
    officer = world.a[Role.COMMUNITY_OFFICER]
    response = home(client, officer)
    district = response.context["work"].district
    assert response.context["work"].hats == [selectors.DISTRICT]
    assert (
        district.clocks_late == Deadline.objects.filter(incident=district_world.incident_a).count()
    )
    assert district.open_incidents == 2
    assert [r.pk for r in district.tenants.rows] == [district_world.tenant_a.pk]
    assert district.follow_ups.count == 1
    assert [c.code for c in district.disputes.rows] == [district_world.dispute_a.code]
    # Late first, then the new call's clock that runs out within two hours.
    assert district.clocks[0].deadline.incident_id == district_world.incident_a.pk
    assert {row.deadline.incident_id for row in district.clocks} == {
        district_world.incident_a.pk,
        district_world.incident_a2.pk,
    }
    page = response.content.decode()
    for other in (district_world.dispute_b.code, district_world.visit_case_b.code,
                  district_world.incident_b.tracking_code):  # fmt: skip
        assert other not in page
    # The counts link to the lists behind them.
    for url in ("/incidents/duty/", "/registry/tenants/", "/disputes/?status=open"):
        assert f'href="{url}"' in page


def test_station_b_officer_sees_only_station_b(client, world, district_world):
    district = home(client, world.b_officer).context["work"].district
    assert [r.pk for r in district.tenants.rows] == [district_world.tenant_b.pk]
    assert [c.code for c in district.disputes.rows] == [district_world.dispute_b.code]
    assert [v.case.code for v in district.follow_ups.rows] == [district_world.visit_case_b.code]


def test_chief_sees_late_clocks_overdue_and_high_risk_disputes_whistles_and_the_brief(
    client, world, district_world, make_dispute
):
    chief = world.a[Role.STATION_CHIEF]
    risky = make_dispute()
    DisputeCase.objects.filter(pk=risky.pk).update(risk_level=RiskLevel.HIGH, risk_score=85)
    overdue(district_world.dispute_a)
    whistle = whistles.raise_whistle(
        actor=chief, to_unit=world.unit, title="协查监控", reason="调取路口监控。",
        due_at=NOW() + dt.timedelta(days=1),
    )  # fmt: skip
    late_whistle = whistles.raise_whistle(
        actor=chief, to_unit=world.station_b, title="协助找人", reason="走失老人。",
        due_at=NOW() + dt.timedelta(hours=1),
    )  # fmt: skip
    type(whistle).objects.filter(pk=late_whistle.pk).update(due_at=NOW() - dt.timedelta(hours=1))
    response = home(client, chief)
    work = response.context["work"]
    assert work.hats == [selectors.CHIEF]
    c = work.chief
    assert c.clocks_late == Deadline.objects.filter(incident=district_world.incident_a).count()
    assert all(row.level == "red" for row in c.late_clocks)
    assert c.disputes_overdue == 1
    assert [case.code for case in c.high_risk.rows] == [risky.code]
    assert (c.whistles_open, c.whistles_overdue) == (2, 1)
    assert c.brief is not None and c.brief.unit == world.station_a
    page = response.content.decode()
    assert 'data-testid="chief-brief"' in page
    assert "?status=open&amp;risk=high" in page and "?overdue=on" in page
    assert district_world.incident_b.tracking_code not in page
    # Station B's chief counts only station B's (its late clock; no whistle of its own).
    b = home(client, world.b_chief).context["work"].chief
    assert b.clocks_late == Deadline.objects.filter(incident=district_world.incident_b).count()
    assert (b.whistles_open, b.disputes_overdue, b.high_risk.count) == (0, 0, 0)
    assert b.whistles_to_answer == 1  # station A asked B for help


def test_duty_officer_sees_live_incidents_with_their_worst_clock(client, world, district_world):
    duty = world.a[Role.COMMAND_ROOM]
    response = home(client, duty)
    d = response.context["work"].duty
    assert response.context["work"].hats == [selectors.DUTY]
    assert d.live.count == 2 and d.received_today == 2
    assert {i.pk for i in d.live.rows} == {
        district_world.incident_a.pk,
        district_world.incident_a2.pk,
    }
    worst = {i.pk: i.worst_clock for i in d.live.rows}
    assert worst[district_world.incident_a.pk].level == "red"
    assert "/incidents/?status=open" in response.content.decode()


@pytest.fixture
def mediator_cases(world, make_dispute):
    """The mediator account's profile, assigned to two cases of station A; a third case
    is nobody's."""
    chief = world.a[Role.STATION_CHIEF]
    profile = mediator_services.create_mediator(
        actor=chief, name="调解员甲", kind=MediatorKind.PEOPLES_MEDIATOR,
        jurisdiction=world.station_a, account=world.a[Role.MEDIATOR],
    )  # fmt: skip
    mine, visited, other = make_dispute(), make_dispute(), make_dispute()
    for case in (mine, visited):
        Assignment.objects.create(case=case, mediator=profile, lead=True, assigned_by=chief)
    overdue(mine)
    MediationSession.objects.create(
        case=mine, held_at=NOW(), place="调解室", attendees="双方", summary="各自陈述。",
        mediator=profile,
    )  # fmt: skip
    MediationSession.objects.create(
        case=other, held_at=NOW(), place="调解室", attendees="双方", summary="各自陈述。"
    )
    resolved_with_visit(visited, timezone.localdate() - dt.timedelta(days=1))
    return profile, mine, visited, other


def test_mediator_sees_his_cases_todays_sittings_and_visits(client, world, mediator_cases):
    profile, mine, visited, other = mediator_cases
    response = home(client, world.a[Role.MEDIATOR])
    m = response.context["work"].mediator
    assert response.context["work"].hats == [selectors.MEDIATOR]
    assert m.mediator == profile
    assert [case.code for case in m.cases.rows] == [mine.code]
    assert m.overdue == 1
    assert [s.case_id for s in m.sessions_today] == [mine.pk]
    assert [v.case_id for v in m.follow_ups.rows] == [visited.pk] and m.follow_ups_overdue == 1
    page = response.content.decode()
    assert other.code not in page
    # A mediator reads no incident: no link he would be refused.
    assert "/incidents/" not in page and "/registry/" not in page


def test_an_officer_who_is_also_a_mediator_sees_both_sections(client, world, make_dispute):
    officer = world.a[Role.COMMUNITY_OFFICER]
    profile = mediator_services.create_mediator(
        actor=world.a[Role.STATION_CHIEF], name="民警调解员", kind=MediatorKind.PEOPLES_MEDIATOR,
        jurisdiction=world.district_a,
    )  # fmt: skip
    type(profile).objects.filter(pk=profile.pk).update(account=officer)
    mine, _unit_only = make_dispute(), make_dispute()
    Assignment.objects.create(case=mine, mediator=profile, lead=True)
    response = home(client, officer)
    work = response.context["work"]
    assert work.hats == [selectors.DISTRICT, selectors.MEDIATOR]
    assert work.district.disputes.count == 2  # his district's
    assert [c.code for c in work.mediator.cases.rows] == [mine.code]  # his own
    assert f"mediator={profile.pk}" in response.content.decode()


def test_hatless_roles_get_what_they_can_do(client, world):
    volunteer = home(client, world.a[Role.VOLUNTEER])
    assert volunteer.context["work"].hats == []
    assert reverse("registry:my_houses") in volunteer.content.decode()
    case_officer = home(client, world.a[Role.CASE_OFFICER]).context["work"]
    assert case_officer.hats == [] and case_officer.summary is not None
    analyst = home(client, world.analyst).context["work"]
    assert analyst.hats == [] and analyst.summary is None


def test_empty_sections_say_what_to_do(client, world):
    page = home(client, world.a[Role.COMMUNITY_OFFICER]).content.decode()
    assert "房东（守户员）登记租户后会出现在这里" in page
    assert "没有超时或2小时内到期的时限" in page


def test_a_user_without_a_unit_sees_no_section(client, world):
    loose = make_user(Role.COMMUNITY_OFFICER, world.district_a)
    type(loose).objects.filter(pk=loose.pk).update(jurisdiction=None)
    loose.refresh_from_db()
    work = home(client, loose).context["work"]
    assert work.hats == [] and work.district is None


# --- cost -----------------------------------------------------------------------------------


def queries_for(client, user) -> int:
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        assert client.get("/").status_code == 200
    return len(captured)


def test_queries_do_not_grow_with_the_records(client, world, district_world, mediator_cases,
                                              make_incident, make_dispute):  # fmt: skip
    users = [world.a[Role.STATION_CHIEF], world.a[Role.COMMUNITY_OFFICER],
             world.a[Role.COMMAND_ROOM], world.a[Role.MEDIATOR]]  # fmt: skip
    profile = mediator_cases[0]
    chief = world.a[Role.STATION_CHIEF]

    def more_work(n: int) -> dict[str, int]:
        for _ in range(n):
            late(make_incident())
            case = make_dispute()
            Assignment.objects.create(case=case, mediator=profile, lead=True)
            DisputeCase.objects.filter(pk=case.pk).update(risk_level=RiskLevel.HIGH)
            whistles.raise_whistle(actor=chief, to_unit=world.unit, title="协查", reason="协查。",
                                   due_at=NOW() + dt.timedelta(days=1))  # fmt: skip
        return {u.username: queries_for(client, u) for u in users}

    # Past the short lists' length (a full list also asks for its count), then as many again.
    before = more_work(selectors.LIVE_SHOWN)
    after = more_work(selectors.LIVE_SHOWN)
    assert after == before
    assert max(after.values()) <= 50, after


# --- the demo -------------------------------------------------------------------------------


def test_demo_logins_see_their_sections_with_the_domains_counts(client, db):
    from fengqiao.accounts.models import User
    from fengqiao.demo.services import load_demo
    from fengqiao.disputes import selectors as dispute_selectors
    from fengqiao.incidents import selectors as incident_selectors
    from fengqiao.registry import selectors as registry_selectors

    load_demo()
    by_name = {u.username: u for u in User.objects.filter(username__startswith="nanjie.")}
    chief, officer = by_name["nanjie.chief"], by_name["nanjie.community1"]
    duty, mediator = by_name["nanjie.officer2"], by_name["nanjie.mediator"]

    c = home(client, chief).context["work"].chief
    assert c.clocks_late == incident_selectors.work_summary(user=chief).breached_clocks
    high = dispute_selectors.CaseFilter(status="open", risk="high")
    assert c.high_risk.count == dispute_selectors.case_list(chief, high).count()
    assert c.brief is not None and c.brief.unit == chief.jurisdiction

    response = home(client, officer)
    d = response.context["work"].district
    assert d.tenants.count == registry_selectors.tenant_reviews_for(user=officer).count()
    assert d.open_incidents == incident_selectors.work_summary(user=officer).open_incidents
    # Nothing of another district or station: every case and incident linked is his.
    page = response.content.decode()
    others = dispute_selectors.case_list(chief, dispute_selectors.CaseFilter()).exclude(
        jurisdiction__path__within=officer.jurisdiction.path
    )
    assert not [case.code for case in others if case.code in page]

    live = home(client, duty).context["work"].duty.live
    assert live.count == (
        incident_selectors.incidents_for(
            user=duty, filters=incident_selectors.IncidentFilter(status="open")
        ).count()
    )
    m = home(client, mediator).context["work"].mediator
    mine = dispute_selectors.case_list(mediator, dispute_selectors.CaseFilter(status="open"))
    assert m.cases.count == mine.count() > 0
