"""矛盾纠纷统计: the definitions on a hand-made data set with known answers, Jinhua's
98.9 % on 21,000 cases, every grouping, scoping (station B sees nothing of A; an analyst
numbers only, in his subtree), the pages and links, the monthly report's cells read back,
formula injection, and a query count that does not grow with the groups."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import zoneinfo
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.disputes import parties
from fengqiao.disputes.models import (
    Assignment,
    Category,
    DisputeCase,
    FollowUp,
    Mediator,
    MediatorKind,
    Party,
    PartyKey,
    PartyKind,
    RiskLevel,
    Satisfaction,
    Status,
    WarningNotice,
)
from fengqiao.disputes.stats.selectors import (
    Figures,
    GroupBy,
    dispute_statistics,
    monthly_report,
    monthly_report_xlsx,
    percent,
)
from fengqiao.jurisdictions.models import Kind
from tests.conftest import make_node

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MARCH = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
FUTURE = dt.datetime(2100, 1, 1, tzinfo=SHANGHAI)
_codes = (f"T{n:09d}" for n in itertools.count(1))


def at(month: int, day: int, hour: int = 9, minute: int = 0, year: int = 2024) -> dt.datetime:
    """A local (Asia/Shanghai) time."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def new_case(unit, *, registered: dt.datetime, status: str = Status.REGISTERED,
             closed: dt.datetime | None = None, accepted: bool = False,
             due: dt.datetime | None = None, **values) -> DisputeCase:  # fmt: skip
    """A case as the workflow would have left it, written directly: statistics read
    states, they do not care how the case got there."""
    values.setdefault("category", Category.NEIGHBOURS)
    values.setdefault("source", "walk_in")
    values.setdefault("track", "people")
    return DisputeCase.objects.create(
        code=next(_codes), jurisdiction=unit, status=status, status_changed_at=registered,
        narrative="邻里纠纷。", registered_at=registered, closed_at=closed,
        accepted_at=registered + dt.timedelta(hours=1) if accepted else None, due_at=due,
        **values,
    )  # fmt: skip


def party(case: DisputeCase, name: str, *, id_number: str = "", phone: str = "",
          kind: str = PartyKind.PERSON, role: str = "applicant") -> Party:  # fmt: skip
    keys = parties.party_keys(name=name, id_number=id_number, phone=phone)
    # stored as the intake service stores it (digits only); the key comes from it as typed
    made = Party.objects.create(case=case, name=name, id_number=id_number,
                                phone=parties.clean_phone(phone), kind=kind, role=role,
                                party_key=keys[0])  # fmt: skip
    PartyKey.objects.bulk_create(PartyKey(key=k, party=made, case=case) for k in keys)
    return made


def visit(case: DisputeCase, satisfaction: str = "", *, done: bool = True) -> FollowUp:
    return FollowUp.objects.create(
        case=case, due_on=dt.date(2024, 4, 20), satisfaction=satisfaction,
        done_at=at(4, 20) if done else None, outcome="stable" if done else "",
    )  # fmt: skip


@pytest.fixture
def data(world):
    """Station A in March 2024 — seven cases taken in, with known answers:

    ===  =========  ============  ======  ========  ===========================================
    c    unit       category      source  status    notes
    ===  =========  ============  ======  ========  ===========================================
    c1   district   neighbours    walk-in resolved  10 days; high risk; 2 people; ¥1000;
                                                    visits 满意, 基本满意; lead mediator M1
    c2   district   neighbours    110     resolved  5 days; prevented_people=3; ¥500.50;
                                                    police track; visit 不满意; lead M1
    c3   district   contract      walk-in failed    turned criminal; planned visit; lead M1→M2
    c4   station    labour        12348   accepted  overdue
    c5   station    labour        walk-in accepted  within its time limit; shares only a name
    c6   district   marriage      walk-in registered  repeat: ID number of c0 (February)
    c7   district   neighbours    walk-in resolved  3 days; warned once; 1 person + 1 firm;
                                                    repeat: phone of c1; 23:30 on 31 March
    ===  =========  ============  ======  ========  ===========================================

    Outside: c0 (February), c9 (00:10 on 1 April), station B's case."""
    a, b = world.district_a, world.district_b
    c0 = new_case(a, registered=at(2, 20))
    party(c0, "王五", id_number="11010519491231002X")
    c1 = new_case(a, registered=at(3, 1), status=Status.RESOLVED, closed=at(3, 11),
                  accepted=True, amount=Decimal("1000"), risk_level=RiskLevel.HIGH)  # fmt: skip
    party(c1, "张三", phone="13800001111")
    party(c1, "李四", role="respondent")
    visit(c1, Satisfaction.SATISFIED)
    visit(c1, Satisfaction.BASIC)
    c2 = new_case(a, registered=at(3, 2), status=Status.RESOLVED, closed=at(3, 7), accepted=True,
                  amount=Decimal("500.50"), prevented_people=3, source="incident",
                  track="police")  # fmt: skip
    visit(c2, Satisfaction.UNSATISFIED)
    c3 = new_case(a, registered=at(3, 3), status=Status.FAILED, closed=at(3, 20), accepted=True,
                  category=Category.CONTRACT, turned_criminal=True)  # fmt: skip
    visit(c3, done=False)
    c4 = new_case(world.station_a, registered=at(3, 4), status=Status.ACCEPTED, accepted=True,
                  due=at(4, 1), category=Category.LABOUR, source="12348")  # fmt: skip
    c5 = new_case(world.station_a, registered=at(3, 5), status=Status.ACCEPTED, accepted=True,
                  due=FUTURE, category=Category.LABOUR)  # fmt: skip
    party(c5, "张三")  # the same name as c1's applicant: too weak to make a repeat
    c6 = new_case(a, registered=at(3, 6), category=Category.MARRIAGE_FAMILY)
    party(c6, "王五", id_number="11010519491231002x")
    c7 = new_case(a, registered=at(3, 31, 23, 30), status=Status.RESOLVED,
                  closed=at(4, 3, 23, 30))  # fmt: skip
    party(c7, "张小三", phone="138 0000 1111")
    party(c7, "某某公司", kind=PartyKind.ORGANISATION, role="respondent")
    WarningNotice.objects.create(case=c7, score=80, reasons=["威胁言语"])
    c9 = new_case(a, registered=at(4, 1, 0, 10))
    other = new_case(b, registered=at(3, 10), status=Status.RESOLVED, closed=at(3, 12))

    m1 = Mediator.objects.create(name="调解员甲", kind=MediatorKind.PEOPLES_MEDIATOR,
                                 jurisdiction=world.station_a)  # fmt: skip
    m2 = Mediator.objects.create(name="律师乙", kind=MediatorKind.LAWYER,
                                 jurisdiction=world.station_a)  # fmt: skip
    Assignment.objects.create(case=c1, mediator=m1)
    Assignment.objects.create(case=c1, mediator=m2, lead=False)
    Assignment.objects.create(case=c2, mediator=m1)
    Assignment.objects.create(case=c3, mediator=m1, ended_at=at(3, 10))
    Assignment.objects.create(case=c3, mediator=m2)
    return SimpleNamespace(**locals())


def figures(user, group_by=GroupBy.JURISDICTION, *, node=None, period=MARCH):
    return dispute_statistics(user, node=node, date_from=period[0], date_to=period[1],
                              group_by=group_by)  # fmt: skip


def row(report, label):
    return next(r for r in report.rows if r.label == label)


def chief(world):
    return world.a[Role.STATION_CHIEF]


# --- definitions on the known data set --------------------------------------------------


def test_the_totals_follow_the_documented_definitions(data, world):
    total = figures(chief(world)).total
    assert (total.taken_in, total.resolved, total.closed, total.open, total.overdue) == (
        7, 3, 4, 3, 1,
    )  # fmt: skip
    assert total.open_in_time == 2
    # 化解率 = resolved / (closed + overdue open) = 3 / (4 + 1)
    assert total.due == 5 and total.resolution_rate == Decimal("60.0")
    # 调解率: accepted at least once (c1–c5) / taken in
    assert total.mediated == 5 and total.mediation_rate == Decimal("71.4")
    # (10 + 5 + 3) / 3 days, registration to closing of the resolved cases
    assert total.average_days == Decimal("6.0")
    assert total.amount == Decimal("1500.50")


def test_satisfaction_counts_rated_visits_only(data, world):
    total = figures(chief(world)).total
    assert (total.visits, total.rated, total.satisfied) == (3, 3, 2)  # the planned one: neither
    assert total.satisfaction_rate == Decimal("66.7")


def test_prevented_from_turning_criminal_counts_high_risk_resolved_cases_and_their_people(
    data, world
):
    total = figures(chief(world)).total
    # c1: high risk, 2 natural persons; c2: 3 people recorded; c7: warned, 1 natural
    # person (the firm is no person). c3 failed and turned criminal: not prevented.
    assert (total.prevented_cases, total.prevented_people) == (3, 2 + 3 + 1)
    assert total.turned_criminal == 1


def test_repeat_rate_needs_a_strong_key_shared_with_an_earlier_case(data, world):
    total = figures(chief(world)).total
    # c6 (ID number of February's c0) and c7 (phone of c1); c5 shares only a name.
    assert total.repeats == 2 and total.repeat_rate == Decimal("28.6")


def test_the_period_is_local_calendar_days_inclusive(data, world):
    report = figures(chief(world), period=(dt.date(2024, 3, 31), dt.date(2024, 3, 31)))
    assert report.total.taken_in == 1  # c7 at 23:30 local; c9 at 00:10 on 1 April is out
    report = figures(chief(world), period=(dt.date(2024, 4, 1), dt.date(2024, 4, 1)))
    assert report.total.taken_in == 1


def test_rates_without_a_denominator_are_undefined_not_zero():
    assert Figures().resolution_rate is None and Figures().average_days is None
    assert percent(1, 3) == Decimal("33.3") and percent(2, 3) == Decimal("66.7")
    assert percent(1, 8) == Decimal("12.5")  # 12.5 exactly, half up at the second decimal


# --- Jinhua: 21,000 taken in, 279 still being mediated, 化解率 98.9 % ----------------------


def test_jinhua_figures_follow_from_the_definition(world, django_assert_max_num_queries):
    """金华: "摸排受理各类矛盾纠纷2.1万余起……除279起还在化解的之外，其余都得到及时有效化解
    ……化解率98.9%". The 279 are still within their time limit, so they stay out of the
    denominator: 化解率 = resolved / (21,000 − 279). "其余都得到化解" taken literally
    would be 100 %; 98.9 % means that of the 20,721 closed, between 20,483 and 20,503
    were resolved (the rest failed, were referred or withdrawn). With 228 failed:
    20,493 / 20,721 = 98.90 %. Neither naive reading gives the seed's figure."""
    taken_in, still_open, failed = 21_000, 279, 228
    resolved = taken_in - still_open - failed
    start = at(1, 1)
    cases = []
    for n in range(taken_in):
        registered = start + dt.timedelta(minutes=20 * n)  # spread over 2024
        if n < still_open:
            status, closed, due = Status.ACCEPTED, None, FUTURE
        elif n < still_open + failed:
            status, closed, due = Status.FAILED, registered + dt.timedelta(days=20), None
        else:
            status, closed, due = Status.RESOLVED, registered + dt.timedelta(days=6), None
        cases.append(DisputeCase(
            code=f"J{n:09d}", jurisdiction=world.district_a, category=Category.NEIGHBOURS,
            source="screening", track="people", status=status, status_changed_at=registered,
            narrative="排查发现。", registered_at=registered, accepted_at=registered,
            due_at=due, closed_at=closed,
        ))  # fmt: skip
    DisputeCase.objects.bulk_create(cases, batch_size=2000)
    year = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    with django_assert_max_num_queries(6):
        total = figures(chief(world), period=year).total
    assert total.taken_in == 21_000 and total.open == 279 and total.overdue == 0
    assert total.resolved == resolved == 20_493 and total.due == 20_721
    assert total.resolution_rate == Decimal("98.9")
    assert percent(total.resolved, total.taken_in) == Decimal("97.6")  # resolved / taken in
    assert percent(taken_in - still_open, taken_in) == Decimal("98.7")  # "the rest" / taken in
    assert total.mediation_rate == Decimal("100.0") and total.average_days == Decimal("6.0")
    by_month = figures(chief(world), GroupBy.MONTH, period=year)
    assert len(by_month.rows) == 12
    assert sum(r.figures.taken_in for r in by_month.rows) == 21_000


# --- groupings -----------------------------------------------------------------------------


def test_by_jurisdiction_rows_are_the_nodes_children_and_its_own_cases(data, world):
    report = figures(chief(world))
    labels = [r.label for r in report.rows]
    assert labels == ["甲一警务区", "甲派出所（本级）"]
    district = row(report, "甲一警务区").figures
    assert (district.taken_in, district.resolved, district.closed, district.overdue) == (5, 3, 4, 0)
    assert district.resolution_rate == Decimal("75.0")
    own = row(report, "甲派出所（本级）")
    assert (own.figures.taken_in, own.figures.overdue, own.figures.resolution_rate) == (
        2, 1, Decimal("0.0"),
    )  # fmt: skip
    assert own.filters is None  # the case list cannot select a unit without its sub-units
    assert sum((r.figures for r in report.rows), Figures()) == report.total


def test_by_jurisdiction_from_the_bureau_sums_sub_units_and_lists_empty_ones(data, world):
    report = figures(world.admin, node=world.bureau)
    # Stations first (by kind, then code, then the order they were set up), then units.
    assert [(r.label, r.figures.taken_in) for r in report.rows] == [
        ("甲派出所", 7), ("乙派出所", 1), ("刑侦大队", 0),
    ]  # fmt: skip
    station_a = row(report, "甲派出所")
    assert station_a.figures == figures(chief(world)).total
    assert station_a.filters == {"unit": str(world.station_a.pk)}


def test_by_category_lists_all_fourteen_in_order(data, world):
    report = figures(chief(world), GroupBy.CATEGORY)
    assert [r.key for r in report.rows] == Category.values
    counts = {r.key: r.figures.taken_in for r in report.rows}
    assert counts == {**dict.fromkeys(Category.values, 0), "neighbours": 3, "contract": 1,
                      "labour": 2, "marriage_family": 1}  # fmt: skip
    neighbours = row(report, "邻里").figures
    assert neighbours.resolution_rate == Decimal("100.0")
    assert neighbours.average_days == Decimal("6.0")
    assert neighbours.satisfaction_rate == Decimal("66.7")  # c1's two visits and c2's one
    assert row(report, "劳动争议").filters == {"category": "labour"}


def test_by_source_and_by_track(data, world):
    sources = {r.key: r.figures.taken_in for r in figures(chief(world), GroupBy.SOURCE).rows}
    assert (sources["walk_in"], sources["incident"], sources["12348"]) == (5, 1, 1)
    tracks = {r.key: r.figures for r in figures(chief(world), GroupBy.TRACK).rows}
    assert (tracks["people"].taken_in, tracks["police"].taken_in) == (6, 1)
    assert tracks["police"].prevented_people == 3 and tracks["police"].rated == 1


def test_by_month_covers_every_month_of_the_period(data, world):
    report = figures(chief(world), GroupBy.MONTH,
                     period=(dt.date(2024, 2, 15), dt.date(2024, 4, 10)))  # fmt: skip
    assert [(r.key, r.figures.taken_in) for r in report.rows] == [
        ("2024-02", 1), ("2024-03", 7), ("2024-04", 1),
    ]  # fmt: skip
    assert report.rows[0].filters == {"date_from": "2024-02-15", "date_to": "2024-02-29"}
    assert report.rows[2].filters == {"date_from": "2024-04-01", "date_to": "2024-04-10"}
    assert row(report, "2024年3月").figures == figures(chief(world)).total


def test_by_mediator_counts_each_case_for_its_last_lead(data, world):
    report = figures(chief(world), GroupBy.MEDIATOR)
    rows = {r.label: r for r in report.rows}
    m1, m2 = rows["调解员甲（人民调解员）"], rows["律师乙（律师）"]
    assert (m1.figures.taken_in, m1.figures.resolved) == (2, 2)  # c1, c2 (c3 went to M2)
    assert (m2.figures.taken_in, m2.figures.turned_criminal) == (1, 1)  # c3; not c1 (no lead)
    assert rows["未指派调解员"].figures.taken_in == 4
    # The case list's mediator filter takes co-mediators and earlier leads too: no link.
    assert m1.filters is None
    assert report.rows[0].label == "调解员甲（人民调解员）"  # most cases first


def test_an_unknown_grouping_or_a_reversed_period_is_refused(data, world):
    with pytest.raises(ValidationError):
        figures(chief(world), "colour")
    with pytest.raises(ValidationError):
        figures(chief(world), period=(dt.date(2024, 3, 2), dt.date(2024, 3, 1)))


# --- scope ------------------------------------------------------------------------------------


def test_station_b_sees_nothing_of_station_a(data, world):
    report = figures(world.b_chief)
    assert report.total.taken_in == 1 and report.total.resolved == 1
    assert [r.label for r in report.rows] == ["乙一警务区"]
    with pytest.raises(PermissionDenied):
        figures(world.b_chief, node=world.station_a)
    with pytest.raises(PermissionDenied):
        figures(world.b_chief, node=world.district_a)


def test_an_analyst_gets_numbers_of_his_subtree_and_no_names(data, world):
    report = figures(world.analyst, GroupBy.MEDIATOR)  # his bureau: both stations
    assert report.total.taken_in == 8 and not report.names_shown
    labels = [r.label for r in report.rows]
    assert "调解员甲（人民调解员）" not in labels and "调解员1（人民调解员）" in labels
    assert all(r.filters is None for r in report.rows)
    with pytest.raises(PermissionDenied):  # above his bureau
        figures(world.analyst, node=world.department)


def test_a_mediator_or_a_volunteer_gets_no_statistics(data, world):
    for role in (Role.MEDIATOR, Role.VOLUNTEER):
        with pytest.raises(PermissionDenied):
            figures(world.a[role])


# --- query count ------------------------------------------------------------------------------


@pytest.mark.parametrize("group_by", GroupBy.values)
def test_the_query_count_does_not_grow_with_the_groups(
    data, world, group_by, django_assert_max_num_queries
):
    user = world.admin
    with django_assert_max_num_queries(5):
        figures(user, group_by, node=world.bureau)
    # Twelve more units, mediators, months and cases in every category and source.
    mediators = [
        Mediator.objects.create(name=f"调解员{n}", kind="other", jurisdiction=world.station_a)
        for n in range(12)
    ]
    for n in range(12):
        station = make_node(Kind.STATION, f"新派出所{n}", world.bureau)
        case = new_case(station, registered=at(1 + n % 3, 1 + n), status=Status.RESOLVED,
                        closed=at(4, 20), category=Category.values[n],
                        source=["walk_in", "court", "petition", "screening"][n % 4])  # fmt: skip
        Assignment.objects.create(case=case, mediator=mediators[n])
        visit(case, Satisfaction.SATISFIED)
    with django_assert_max_num_queries(5):
        report = figures(user, group_by, node=world.bureau,
                         period=(dt.date(2023, 1, 1), dt.date(2024, 12, 31)))  # fmt: skip
    assert report.total.taken_in == 8 + 2 + 12  # with c0 (February) and c9 (April)


# --- the monthly report -------------------------------------------------------------------------


def test_the_monthly_report_has_the_page_figures_by_unit_and_category(data, world):
    report = monthly_report(chief(world), month=dt.date(2024, 3, 15))
    assert report.month == dt.date(2024, 3, 1) and report.last_day == dt.date(2024, 3, 31)
    assert [r.label for r in report.rows] == ["甲一警务区", "甲派出所（本级）"]
    district = report.rows[0]
    assert district.categories == {"neighbours": 3, "contract": 1, "marriage_family": 1}
    assert report.rows[1].categories == {"labour": 2}
    assert report.total.figures == figures(chief(world)).total
    assert sum(report.total.categories.values()) == 7


def cells(sheet, row: int) -> list:
    return [sheet.cell(row=row, column=c).value for c in range(1, sheet.max_column + 1)]


def test_the_xlsx_report_has_the_layout_and_the_numbers(data, world):
    report = monthly_report(chief(world), month=dt.date(2024, 3, 1))
    sheet = load_workbook(io.BytesIO(monthly_report_xlsx(report))).active
    assert sheet.cell(row=1, column=1).value == "人民调解工作统计月报表"
    assert "甲派出所" in sheet.cell(row=2, column=1).value
    assert "2024-03-01 至 2024-03-31" in sheet.cell(row=2, column=1).value
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:W1", "A3:A4", "B3:P3", "Q3:Q4", "R3:R4", "S3:S4", "T3:U3", "V3:V4",
            "W3:W4"} <= merged  # fmt: skip
    assert sheet.freeze_panes == "B5"
    assert sheet.column_dimensions["A"].width == 24
    header = cells(sheet, 4)
    assert header[1] == "合计" and header[2:16] == [str(c.label) for c in Category]
    assert header[19:21] == ["件", "人"]
    assert cells(sheet, 3)[1] == "受理纠纷数" and cells(sheet, 3)[16] == "调解成功数"
    # 甲一警务区: 5 taken in (marriage 1, neighbours 3, contract 1), 3 resolved, 75.0 %,
    # ¥1500.50, prevented 3 cases / 6 people, 3 visits, 66.7 % satisfied.
    district = cells(sheet, 5)
    assert district[0] == "甲一警务区" and district[1] == 5
    assert district[2:16] == [1, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert district[16:] == [3, 75.0, 1500.5, 3, 6, 3, 66.7]
    own = cells(sheet, 6)
    assert own[0] == "甲派出所（本级）" and own[1] == 2 and own[10] == 2
    assert own[16:] == [0, 0.0, 0, 0, 0, 0, "—"]
    total = cells(sheet, 7)
    assert total[0] == "合计" and total[1] == 7 and total[16:] == [3, 60.0, 1500.5, 3, 6, 3, 66.7]
    assert sheet.cell(row=7, column=1).font.bold
    notes = [sheet.cell(row=r, column=1).value for r in range(9, sheet.max_row + 1)]
    assert any(text.startswith("化解率 = 化解数") for text in notes)


def test_a_unit_named_like_a_formula_stays_text_in_every_export(data, world, client):
    make_node(Kind.POLICE_DISTRICT, '=HYPERLINK("http://evil.example","点我")', world.station_a)
    report = monthly_report(chief(world), month=dt.date(2024, 3, 1))
    sheet = load_workbook(io.BytesIO(monthly_report_xlsx(report))).active
    names = [sheet.cell(row=r, column=1).value for r in range(5, 9)]
    assert '\'=HYPERLINK("http://evil.example","点我")' in names
    assert not any(isinstance(n, str) and n.startswith("=") for n in names)
    client.force_login(chief(world))
    query = {"date_from": "2024-03-01", "date_to": "2024-03-31", "format": "csv"}
    text = client.get(reverse("disputes:stats_export"), query).content.decode("utf-8-sig")
    labels = [line[0] for line in csv.reader(io.StringIO(text))]
    assert '\'=HYPERLINK("http://evil.example","点我")' in labels


# --- pages ------------------------------------------------------------------------------------


def test_the_page_defaults_to_this_month_by_unit(client, world, data):
    client.force_login(chief(world))
    response = client.get(reverse("disputes:stats"))
    assert response.status_code == 200
    report = response.context["report"]
    assert report.date_from.day == 1 and report.group_by == "jurisdiction"
    assert report.node == world.station_a
    assert "化解率 = 化解数" in response.content.decode()


def test_each_number_links_to_the_case_list_of_its_cases(client, world, data):
    client.force_login(chief(world))
    response = client.get(reverse("disputes:stats"), {
        "date_from": "2024-03-01", "date_to": "2024-03-31", "group_by": "category"})  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    rows = {r["label"]: r["cells"] for r in response.context["rows"]}
    labour = {c["name"]: c for c in rows["劳动争议"]}
    assert labour["taken_in"]["value"] == "2" and labour["overdue"]["value"] == "1"
    url = urlsplit(labour["overdue"]["url"])
    assert url.path == reverse("disputes:list")
    assert parse_qs(url.query) == {
        "unit": [str(world.station_a.pk)], "date_from": ["2024-03-01"],
        "date_to": ["2024-03-31"], "category": ["labour"], "overdue": ["1"],
    }  # fmt: skip
    assert parse_qs(urlsplit(labour["resolved"]["url"]).query)["status"] == ["resolved"]
    assert labour["resolution_rate"]["url"] == ""  # a rate is no list
    assert labour["resolution_rate"]["value"] == "0.0%"
    total = {c["name"]: c for c in response.context["total"]}
    assert total["taken_in"]["value"] == "7" and total["prevented"]["value"] == "3件6人"
    assert "3件6人" in page and labour["overdue"]["url"].replace("&", "&amp;") in page


@pytest.mark.parametrize("group_by", ["jurisdiction", "category", "source", "track", "month"])
def test_every_linked_number_is_the_count_of_the_list_it_opens(client, world, data, group_by):
    client.force_login(chief(world))
    response = client.get(reverse("disputes:stats"), {
        "date_from": "2024-02-01", "date_to": "2024-04-30", "group_by": group_by})  # fmt: skip
    cells = [cell for row in response.context["rows"] for cell in row["cells"]]
    cells += response.context["total"]
    linked = [cell for cell in cells if cell["url"]]
    assert len(linked) >= 5 * 2
    for cell in linked:
        listed = client.get(cell["url"]).context["page"].paginator.count
        assert listed == int(cell["value"]), cell["url"]


def test_the_page_keeps_bad_input_and_says_why(client, world, data):
    client.force_login(chief(world))
    response = client.get(reverse("disputes:stats"), {
        "date_from": "2024-03-31", "date_to": "2024-03-01", "group_by": "month"})  # fmt: skip
    assert response.status_code == 400
    page = response.content.decode()
    assert "结束日期不能早于开始日期" in page and 'value="2024-03-31"' in page


def test_the_page_refuses_a_unit_outside_the_scope(client, world, data):
    client.force_login(world.b_chief)
    response = client.get(reverse("disputes:stats"), {"node": world.station_a.pk})
    assert response.status_code == 403
    assert client.get(reverse("disputes:stats_report"),
                      {"node": world.station_a.pk}).status_code == 403  # fmt: skip


def test_the_analysts_page_has_numbers_without_links_or_names(client, world, data):
    client.force_login(world.analyst)
    response = client.get(reverse("disputes:stats"), {
        "date_from": "2024-03-01", "date_to": "2024-03-31", "group_by": "mediator"})  # fmt: skip
    assert response.status_code == 200
    page = response.content.decode()
    assert "调解员甲" not in page and "律师乙" not in page and "调解员1" in page
    assert reverse("disputes:list") + "?" not in page
    assert response.context["report"].total.taken_in == 8


def test_the_monthly_report_download_is_the_xlsx_and_is_audited(client, world, data):
    client.force_login(chief(world))
    response = client.get(reverse("disputes:stats_report"), {"month": "2024-03"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "mediation-report-" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert cells(sheet, 7)[:2] == ["合计", 7]
    event = AuditEvent.objects.filter(action="export", object_type="disputes.statistics").last()
    assert event.actor == chief(world) and "month=2024-03" in event.reason
    assert client.get(reverse("disputes:stats_report"), {"month": "March"}).status_code == 400


def test_the_grouped_table_exports_as_xlsx_with_the_page_numbers(client, world, data):
    client.force_login(chief(world))
    response = client.get(reverse("disputes:stats_export"), {
        "date_from": "2024-03-01", "date_to": "2024-03-31", "group_by": "track"})  # fmt: skip
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("分组", "受理", "化解")
    assert rows[1][:3] == ("人民调解", 6, 2) and rows[2][:3] == ("治安调解", 1, 1)
    assert rows[-1][:7] == ("合计", 7, 3, 4, 3, 1, 60.0)
    assert AuditEvent.objects.filter(action="export", object_type="disputes.statistics").exists()


def test_the_page_takes_a_bounded_number_of_queries(client, world, data,
                                                    django_assert_max_num_queries):  # fmt: skip
    client.force_login(chief(world))
    query = {"date_from": "2024-03-01", "date_to": "2024-03-31", "group_by": "category"}
    with django_assert_max_num_queries(12):
        assert client.get(reverse("disputes:stats"), query).status_code == 200
