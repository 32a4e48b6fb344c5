"""一表通考: scores on a small known case checked by hand, the facts against the records
they link to, reproducible recomputation after indicators change, manual assessments,
scope on every page, and the anonymity of the two-way evaluation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fengqiao.addresses.services import create_address
from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.disputes import services as dispute_services
from fengqiao.disputes.aftercare import services as aftercare
from fengqiao.disputes.aftercare.services import TermInput
from fengqiao.incidents.models import Category
from fengqiao.jurisdictions.models import Kind
from fengqiao.scoring import facts, periods, services
from fengqiao.scoring.models import DepartmentRating, Indicator, Level, Score, ScoreItem

from .conftest import make_node, make_user

pytestmark = pytest.mark.django_db

PERIOD = periods.current().previous()  # a month that has ended: every clock is settled
DAY = PERIOD.start + dt.timedelta(days=10)


def at(hour: int, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(DAY, dt.time(hour, minute)))


def category(code: str) -> Category:
    return Category.objects.get(code=code)


def resolve(world, case):
    officer = world.a[Role.COMMUNITY_OFFICER] if case.jurisdiction.path.startswith(
        world.station_a.path) else world.b_officer  # fmt: skip
    case = dispute_services.accept_case(actor=officer, case=case, expected_version=case.version)
    agreement = aftercare.record_agreement(
        actor=officer, case=case, form="written", facts="楼上漏水致楼下受损。",
        matters="维修费用的承担。", responsibilities="楼上负主要责任。",
        signed_on=timezone.localdate(), committee="人民调解委员会",
        terms=[TermInput(text="赔偿维修费800元", method="现金当面支付",
                         obligor_party_id=case.parties.get(role="respondent").pk,
                         due_on=timezone.localdate() + dt.timedelta(days=10))],
    )  # fmt: skip
    for term in agreement.terms.all():
        aftercare.mark_term(actor=officer, term=term, status="done")


def withdraw(world, case):
    dispute_services.transition(
        actor=world.a[Role.COMMUNITY_OFFICER], case=case, to_status="withdrawn",
        expected_version=case.version, note="当事人撤回申请",
    )  # fmt: skip


def indicator(code, formula, *, levels, target, zero_at, weight, direction="higher"):
    return Indicator.objects.create(
        code=code, name=code, formula=formula, manual=not formula, levels=levels,
        target=Decimal(target), zero_at=Decimal(zero_at), weight=Decimal(weight),
        direction=direction,
    )  # fmt: skip


@pytest.fixture
def known(world, places, make_incident, make_dispute):
    """Last month, day 11, with its own indicator table (the seeded one switched off):

    ================  ============================================  ==================
    indicator         formula                                       target/zero/weight
    ================  ============================================  ==================
    resolution        percent(disputes_resolved, disputes_closed)   100 / 50 / 40
    completeness      percent(incidents - incidents_incomplete,     100 / 0 / 30
                      incidents)
    criminal (lower)  percent(criminal_incidents, incidents)        10 / 60 / 20
    party (manual)    —                                             100 / 60 / 10
    ================  ============================================  ==================

    Station A: 4 incidents — a theft and a noise complaint at standard addresses, two
    noise complaints without one; 4 disputes — 2 resolved, 1 withdrawn, 1 still open;
    党建 entered as 90. Station B: 2 incidents at an address — a theft, a noise
    complaint; 1 dispute, resolved; no 党建 entered."""
    Indicator.objects.update(active=False)
    table = SimpleNamespace(
        resolution=indicator("resolution", "percent(disputes_resolved, disputes_closed)",
                             levels=["station", "county_bureau", "officer"], target=100,
                             zero_at=50, weight=40),
        completeness=indicator("completeness",
                               "percent(incidents - incidents_incomplete, incidents)",
                               levels=["station", "county_bureau"], target=100, zero_at=0,
                               weight=30),
        criminal=indicator("criminal", "percent(criminal_incidents, incidents)",
                           levels=["station", "county_bureau"], target=10, zero_at=60,
                           weight=20, direction="lower"),
        party=indicator("party", "", levels=["station", "county_bureau"], target=100,
                        zero_at=60, weight=10),
    )  # fmt: skip
    addr_a = create_address(actor=None, community=places.community_a, road="阳头路",
                            door_number="1")  # fmt: skip
    addr_b = create_address(actor=None, community=places.community_b, road="书院街",
                            door_number="9")  # fmt: skip
    theft, noise = category("0101"), category("0205")
    make_incident(received_at=at(9), category=theft, address=addr_a)
    make_incident(received_at=at(10), category=noise, address=addr_a)
    make_incident(received_at=at(11), category=noise, description="楼上装修噪声很大。")
    make_incident(received_at=at(23, 59), category=noise, description="广场舞音响扰民。")
    in_b = {"actor": world.b_chief, "jurisdiction": world.district_b, "address": addr_b}
    make_incident(received_at=at(8), category=theft, **in_b)
    make_incident(received_at=at(12), category=noise, **in_b)
    # Outside the period: the minute after it ends, at station A.
    make_incident(received_at=periods.local_midnight(PERIOD.end + dt.timedelta(days=1)),
                  category=theft)  # fmt: skip

    a_cases = [make_dispute(registered_at=at(9 + n)) for n in range(4)]
    resolve(world, a_cases[0])
    resolve(world, a_cases[1])
    withdraw(world, a_cases[2])
    b_case = make_dispute(registered_at=at(15), actor=world.b_officer,
                          jurisdiction=world.district_b)  # fmt: skip
    resolve(world, b_case)
    services.enter_assessment(actor=world.admin, indicator=table.party, period=PERIOD,
                              node=world.station_a, value="90", note="支部活动规范")  # fmt: skip
    return table


def scores(level):
    card = services.compute_scores(period=PERIOD, level=level)
    return {
        s.node.name if level != Level.OFFICER else s.officer.username: s
        for s in Score.objects.filter(scorecard=card).select_related("node", "officer")
    }


def points(score):
    return {item.code: (item.value, item.points) for item in score.items.all()}


def test_periods_step_back_and_forward_within_their_kind():
    assert periods.parse("2026-01").previous().key == "2025-12"
    assert periods.parse("2025-12").following().key == "2026-01"
    assert periods.parse("2026-Q4").following().key == "2027-Q1"
    assert periods.parse("2026").following() == periods.year(2027)
    assert periods.parse("2024-02").following().previous() == periods.month(2024, 2)


# --- the known case, by hand ----------------------------------------------------------------


def test_station_scores_follow_the_points_rule_by_hand(known, world):
    found = scores(Level.STATION)
    a, b = found["甲派出所"], found["乙派出所"]
    # A: resolution 2/3 = 66.6667 % → 40 × 16.6667/50 = 13.33; completeness 2/4 = 50 % →
    # 15.00; criminal 1/4 = 25 % (lower, 60 → 10) → 20 × 35/50 = 14.00; 党建 90 → 7.50.
    assert points(a) == {
        "resolution": (Decimal("66.6667"), Decimal("13.33")),
        "completeness": (Decimal("50.0000"), Decimal("15.00")),
        "criminal": (Decimal("25.0000"), Decimal("14.00")),
        "party": (Decimal("90.0000"), Decimal("7.50")),
    }
    assert (a.earned, a.scored_weight, a.total) == (Decimal("49.83"), 100, Decimal("49.83"))
    # B: 100 % → 40; 100 % → 30; 50 % → 20 × 10/50 = 4.00; 党建 not entered: left out,
    # so the total is 74 of the 90 scored, scaled to 100: 82.22.
    assert points(b) == {
        "resolution": (Decimal("100.0000"), Decimal("40.00")),
        "completeness": (Decimal("100.0000"), Decimal("30.00")),
        "criminal": (Decimal("50.0000"), Decimal("4.00")),
        "party": (None, None),
    }
    assert (b.earned, b.scored_weight, b.total) == (Decimal("74.00"), 90, Decimal("82.22"))
    assert (b.rank, a.rank, a.peers) == (1, 2, 2)
    assert (b.rank_in_group, a.rank_in_group, a.group_peers) == (1, 2, 2)


def test_a_bureau_counts_its_whole_subtree(known, world):
    bureau = scores(Level.COUNTY_BUREAU)["测试分局"]
    # 3 resolved of 4 closed = 75 % → 20.00; 4 complete of 6 = 66.6667 % → 20.00;
    # 2 thefts of 6 = 33.3333 % → 20 × 26.6667/50 = 10.67; no 党建 for the bureau.
    assert points(bureau) == {
        "resolution": (Decimal("75.0000"), Decimal("20.00")),
        "completeness": (Decimal("66.6667"), Decimal("20.00")),
        "criminal": (Decimal("33.3333"), Decimal("10.67")),
        "party": (None, None),
    }
    assert bureau.total == Decimal("56.30")  # 50.67 × 100 / 90


def test_an_officer_is_scored_on_his_own_cases(known, world):
    officer = world.a[Role.COMMUNITY_OFFICER]
    mine = scores(Level.OFFICER)[officer.username]
    assert points(mine) == {"resolution": (Decimal("66.6667"), Decimal("13.33"))}
    assert mine.total == Decimal("13.33") and mine.peer_group_id == world.station_a.pk
    item = mine.items.get()
    assert item.facts == {"disputes_closed": "3", "disputes_resolved": "2"}


def test_each_fact_counts_exactly_the_records_it_links_to(known, world):
    subjects = {s.key: s for s in services.subjects_for(Level.STATION)}
    station_a = subjects[world.station_a.pk]
    names = [n for n, f in facts.FACTS.items() if f.records and Level.STATION in f.levels]
    values = facts.collect(Level.STATION, PERIOD, [station_a], names)[station_a.key]
    for name in names:
        found = facts.records(name, level=Level.STATION, subject=station_a, period=PERIOD)
        assert found.count() == values[name], name
    assert values["incidents"] == 4 and values["disputes"] == 4
    officer = next(s for s in services.subjects_for(Level.OFFICER)
                   if s.key == world.a[Role.COMMUNITY_OFFICER].pk)  # fmt: skip
    names = [n for n, f in facts.FACTS.items() if f.records and Level.OFFICER in f.levels]
    values = facts.collect(Level.OFFICER, PERIOD, [officer], names)[officer.key]
    for name in names:
        found = facts.records(name, level=Level.OFFICER, subject=officer, period=PERIOD)
        assert found.count() == values[name], name


# --- reproducible -----------------------------------------------------------------------------


def snapshot(level=Level.STATION):
    card = services.compute_scores(period=PERIOD, level=level)
    return sorted(
        (s.node_id, s.total, s.rank, tuple(sorted(
            (i.code, i.formula, i.target, i.weight, i.value, i.points) for i in s.items.all())))
        for s in Score.objects.filter(scorecard=card)
    )  # fmt: skip


def test_recomputing_is_idempotent(known):
    first = snapshot()
    assert snapshot() == first
    assert Score.objects.count() == 2 and ScoreItem.objects.count() == 8


def test_a_closed_period_reproduces_after_the_indicators_change(known, world):
    admin = world.admin
    before = snapshot()
    # While the period is open, a new target applies on the next computation.
    known.completeness.target = Decimal(90)
    known.completeness.save()
    open_again = snapshot()
    assert open_again != before
    services.close_period(actor=admin, period=PERIOD)
    closed = snapshot()
    assert closed == open_again
    # Later changes — target, formula, weights, a switched-off indicator — leave it alone.
    Indicator.objects.filter(code="completeness").update(target=80, formula="incidents")
    Indicator.objects.filter(code="criminal").update(active=False)
    Indicator.objects.filter(code="resolution").update(weight=5)
    assert snapshot() == closed
    call_command("compute_scores", "--period", PERIOD.key, "--level", "station")
    assert snapshot() == closed


def test_a_closed_period_freezes_assessments_and_ratings(known, world):
    services.close_period(actor=world.admin, period=PERIOD)
    with pytest.raises(ValidationError):
        services.enter_assessment(actor=world.admin, indicator=known.party, period=PERIOD,
                                  node=world.station_a, value="95")  # fmt: skip
    with pytest.raises(ValidationError):
        services.rate_department(actor=world.a[Role.STATION_CHIEF], period=PERIOD,
                                 department=world.unit, scores=FIVES)  # fmt: skip
    with pytest.raises(ValidationError):
        services.close_period(actor=world.admin, period=PERIOD)


def test_a_period_not_yet_ended_cannot_be_closed(world):
    with pytest.raises(ValidationError):
        services.close_period(actor=world.admin, period=periods.current())


def test_the_command_scores_every_level(known, capsys):
    call_command("compute_scores", "--period", PERIOD.key)
    out = capsys.readouterr().out
    for level in Level.values:
        assert f"{PERIOD.key} {level}:" in out
    with pytest.raises(Exception, match="格式不对"):
        call_command("compute_scores", "--period", "2026-13x")


# --- manual assessments -----------------------------------------------------------------------


def test_a_manual_assessment_is_audited_and_corrected_in_place(known, world):
    services.enter_assessment(actor=world.admin, indicator=known.party, period=PERIOD,
                              node=world.station_a, value="85", note="复核后调整")  # fmt: skip
    events = AuditEvent.objects.filter(object_type="scoring.manualassessment")
    assert events.count() == 2
    assert list(events.order_by("seq").values_list("action", flat=True)) == ["create", "update"]
    assert events.order_by("seq").last().reason == "复核后调整"
    assert points(scores(Level.STATION)["甲派出所"])["party"] == (Decimal("85.0000"),
                                                                   Decimal("6.25"))  # fmt: skip


def test_a_manual_assessment_outside_scope_or_for_a_computed_indicator_is_refused(known, world):
    bureau_admin = make_user(Role.ADMIN, world.station_b)
    with pytest.raises(PermissionDenied):
        services.enter_assessment(actor=bureau_admin, indicator=known.party, period=PERIOD,
                                  node=world.station_a, value="80")  # fmt: skip
    with pytest.raises(ValidationError):
        services.enter_assessment(actor=world.admin, indicator=known.resolution, period=PERIOD,
                                  node=world.station_a, value="80")  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.enter_assessment(actor=world.a[Role.STATION_CHIEF], indicator=known.party,
                                  period=PERIOD, node=world.station_a, value="100")  # fmt: skip


def test_the_assessment_page_saves_rows_and_shows_a_bad_one(known, client, world):
    client.force_login(world.admin)
    url = reverse("scoring:assessments")
    response = client.post(url, {
        "indicator": known.party.pk, "period": PERIOD.key, "level": "station",
        "under": world.bureau.pk, f"value-{world.station_a.pk}": "88",
        f"note-{world.station_a.pk}": "好", f"value-{world.station_b.pk}": "abc",
    })  # fmt: skip
    assert response.status_code == 422
    assert "不是数字" in response.content.decode()
    assert known.party.assessments.get(node=world.station_a).value == Decimal(88)


# --- scope on the pages ------------------------------------------------------------------------


@pytest.fixture
def computed(known):
    for level in (Level.STATION, Level.OFFICER):
        services.compute_scores(period=PERIOD, level=level)
    return known


def score_of(world, *, node=None, officer=None):
    found = Score.objects.filter(scorecard__period=PERIOD.key)
    if officer is not None:
        return found.get(officer=officer)
    return found.get(node=node, officer__isnull=True)


def test_a_station_chief_sees_his_station_and_gets_404_for_another(computed, client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    mine = client.get(reverse("scoring:score", args=[score_of(world, node=world.station_a).pk]))
    assert mine.status_code == 200 and "13.33" in mine.content.decode()
    other = score_of(world, node=world.station_b)
    assert client.get(reverse("scoring:score", args=[other.pk])).status_code == 404
    table = client.get(reverse("scoring:table"), {"level": "station", "period": PERIOD.key})
    assert "甲派出所" in table.content.decode() and "乙派出所" not in table.content.decode()


def test_an_officer_sees_his_own_score_only(computed, client, world):
    officer = world.a[Role.COMMUNITY_OFFICER]
    colleague = world.a[Role.CASE_OFFICER]
    client.force_login(colleague)
    assert client.get(reverse("scoring:score", args=[score_of(
        world, officer=officer).pk])).status_code == 404  # fmt: skip
    assert client.get(reverse("scoring:score", args=[score_of(
        world, officer=colleague).pk])).status_code == 200  # fmt: skip
    table = client.get(reverse("scoring:table"), {"level": "officer", "period": PERIOD.key})
    assert officer.full_name not in table.content.decode()


def test_a_chief_sees_his_officers_by_name_an_analyst_without_names(computed, client, world):
    officer = world.a[Role.COMMUNITY_OFFICER]
    url = reverse("scoring:score", args=[score_of(world, officer=officer).pk])
    client.force_login(world.a[Role.STATION_CHIEF])
    assert officer.full_name in client.get(url).content.decode()
    assert client.get(reverse("scoring:score", args=[score_of(
        world, officer=world.b_officer).pk])).status_code == 404  # fmt: skip
    client.force_login(world.analyst)
    page = client.get(url)
    assert page.status_code == 200 and officer.full_name not in page.content.decode()


def test_fact_records_open_for_record_readers_in_scope_only(computed, client, world):
    score = score_of(world, node=world.station_a)
    url = reverse("scoring:fact_records", args=[score.pk, "disputes_resolved"])
    client.force_login(world.a[Role.STATION_CHIEF])
    page = client.get(url).content.decode()
    station_a = next(s for s in services.subjects_for(Level.STATION)
                     if s.key == world.station_a.pk)  # fmt: skip
    resolved = facts.records("disputes_resolved", level=Level.STATION, subject=station_a,
                             period=PERIOD)  # fmt: skip
    assert resolved.count() == 2
    for case in resolved:
        assert case.code in page
    client.force_login(world.analyst)
    assert client.get(url).status_code == 403
    client.force_login(world.b_chief)
    assert client.get(url).status_code == 404


def test_only_scoring_managers_compute_or_close(computed, client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    data = {"level": "station", "period": PERIOD.key}
    assert client.post(reverse("scoring:compute"), data).status_code == 403
    assert client.post(reverse("scoring:close"), data).status_code == 403
    client.force_login(world.admin)
    assert client.post(reverse("scoring:compute"), data).status_code == 302


# --- two-way evaluation --------------------------------------------------------------------------

FIVES = {"attitude": 5, "response": 5, "cooperation": 5}


@pytest.fixture
def stations(world):
    """Two more stations of the bureau, with their chiefs: four raters in all."""
    more = [make_node(Kind.STATION, name, world.bureau) for name in ("丙派出所", "丁派出所")]
    chiefs = [make_user(Role.STATION_CHIEF, s, full_name=f"{s.name}所长") for s in more]
    return [world.a[Role.STATION_CHIEF], world.b_chief, *chiefs]


def test_evaluation_is_hidden_below_three_stations_and_never_names_one(world, stations, client):
    month = periods.current()
    services.rate_department(actor=stations[0], period=month, department=world.unit,
                             scores={"attitude": 5, "response": 4, "cooperation": 3})  # fmt: skip
    services.rate_department(actor=stations[1], period=month, department=world.unit,
                             scores={"attitude": 3, "response": 2, "cooperation": 5})  # fmt: skip
    client.force_login(world.analyst)
    url = reverse("scoring:evaluation_results")
    page = client.get(url, {"period": month.key}).content.decode()
    assert 'class="muted insufficient">评价数不足' in page and "4.00" not in page
    services.rate_department(actor=stations[2], period=month, department=world.unit,
                             scores={"attitude": 4, "response": 3, "cooperation": 4})  # fmt: skip
    page = client.get(url, {"period": month.key}).content.decode()
    assert "insufficient" not in page
    # attitude (5+3+4)/3 = 4.00, response 3.00, cooperation 4.00, all 33/9 = 3.67
    for figure in ("4.00", "3.00", "3.67"):
        assert figure in page
    for station in (world.station_a, world.station_b, "丙派出所", "丁派出所"):
        assert str(station) not in page


def test_one_rating_per_station_per_department_per_month_editable(world, stations):
    month = periods.current()
    services.rate_department(actor=stations[0], period=month, department=world.unit,
                             scores=FIVES)  # fmt: skip
    services.rate_department(actor=stations[0], period=month, department=world.unit,
                             scores={"attitude": 1, "response": 2, "cooperation": 3})  # fmt: skip
    rating = DepartmentRating.objects.get()
    assert (rating.attitude, rating.response, rating.cooperation) == (1, 2, 3)
    with pytest.raises(ValidationError):
        services.rate_department(
            actor=stations[0],
            period=month,
            department=world.unit,
            scores={"attitude": 6, "response": 0, "cooperation": 3},
        )
    # The audit log says the station rated, never what it gave.
    events = AuditEvent.objects.filter(object_type="scoring.departmentrating")
    assert [(e.action, e.object_repr, e.fields) for e in events.order_by("seq")] == [
        ("create", f"双向评价 {month.key} 刑侦大队", []),
        ("update", f"双向评价 {month.key} 刑侦大队", []),
    ]


def test_a_station_rates_only_its_own_bureaus_departments(world, stations):
    other_bureau = make_node(Kind.COUNTY_BUREAU, "另一分局", world.bureau.parent)
    elsewhere = make_node(Kind.UNIT, "交警大队", other_bureau)
    with pytest.raises(PermissionDenied):
        services.rate_department(actor=stations[0], period=periods.current(),
                                 department=elsewhere, scores=FIVES)  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.rate_department(actor=world.a[Role.COMMUNITY_OFFICER],
                                 period=periods.current(), department=world.unit,
                                 scores=FIVES)  # fmt: skip


def test_the_rating_form_shows_only_the_stations_own_ratings(world, stations, client):
    month = periods.current()
    services.rate_department(actor=stations[1], period=month, department=world.unit,
                             scores={"attitude": 2, "response": 2, "cooperation": 2})  # fmt: skip
    client.force_login(stations[0])
    page = client.get(reverse("scoring:evaluation"), {"period": month.key}).content.decode()
    assert "未评价" in page and 'value="2" selected' not in page
    response = client.post(reverse("scoring:evaluation"), {
        "period": month.key, f"attitude-{world.unit.pk}": "4",
        f"response-{world.unit.pk}": "5", f"cooperation-{world.unit.pk}": "3",
    })  # fmt: skip
    assert response.status_code == 302
    assert DepartmentRating.objects.filter(station=world.station_a).get().response == 5


def test_a_department_is_scored_on_its_evaluation_average(world, stations):
    month = periods.current()
    for chief, value in zip(stations[:3], (5, 4, 3), strict=True):
        services.rate_department(actor=chief, period=month, department=world.unit,
                                 scores={c: value for c in FIVES})  # fmt: skip
    card = services.compute_scores(period=month, level=Level.DEPARTMENT)
    item = ScoreItem.objects.get(score__scorecard=card, code="department_evaluation")
    # average 4.0; target 4.5, zero at 2, weight 60 → 60 × 2/2.5 = 48.00
    assert (item.value, item.points) == (Decimal("4.0000"), Decimal("48.00"))
    assert item.facts == {"evaluation_average": "4"}


def test_every_fact_behind_a_station_score_opens_its_records_page(computed, client, world):
    score = score_of(world, node=world.station_a)
    client.force_login(world.a[Role.STATION_CHIEF])
    for name, fact in facts.FACTS.items():
        url = reverse("scoring:fact_records", args=[score.pk, name])
        response = client.get(url)
        expected = 200 if fact.records and Level.STATION in fact.levels else 404
        assert response.status_code == expected, name
    incidents = client.get(reverse("scoring:fact_records", args=[score.pk, "incidents"]))
    assert "现有 4 条记录" in incidents.content.decode()


def test_the_pages_render_for_their_readers(computed, client, world):
    client.force_login(world.admin)
    for url in (
        reverse("scoring:indicators"),
        reverse("scoring:assessments"),
        reverse("scoring:assessments") + f"?indicator={computed.party.pk}&period="
        f"{PERIOD.key}&level=station&under={world.bureau.pk}",
        reverse("scoring:evaluation_results"),
        reverse("scoring:table") + "?level=city_bureau&period=2024-Q1",
    ):
        assert client.get(url).status_code == 200, url
    page = client.get(reverse("scoring:table") + "?level=station&period=2024-Q1")
    assert "尚未计算" in page.content.decode()
    client.force_login(world.a[Role.STATION_CHIEF])
    assert client.get(reverse("scoring:evaluation")).status_code == 200
    assert client.get(reverse("scoring:assessments")).status_code == 403
    client.force_login(world.a[Role.VOLUNTEER])
    assert client.get(reverse("scoring:table")).status_code == 403


def test_the_command_closes_a_period_with_an_audited_event(known, capsys):
    call_command("compute_scores", "--period", PERIOD.key, "--level", "station", "--close")
    assert services.is_closed(PERIOD)
    assert "closed" in capsys.readouterr().out
    event = AuditEvent.objects.get(object_type="scoring.scoringperiod")
    assert (event.action, event.actor_name) == ("close", "compute_scores")
    with pytest.raises(Exception, match=r"has not ended|尚未结束"):
        call_command("compute_scores", "--period", periods.current().key, "--close")


def test_the_table_opens_on_the_last_whole_month_until_this_one_is_computed(computed, client,
                                                                           world):  # fmt: skip
    client.force_login(world.a[Role.STATION_CHIEF])
    page = client.get(reverse("scoring:table"), {"level": "station"}).content.decode()
    assert PERIOD.label in page and "49.83" in page and "乙派出所" not in page
