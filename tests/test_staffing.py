"""警力配置: 两个40%, 一区一警, population per police district — the checks per bureau,
their scope, and the lists behind their figures."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from fengqiao.accounts.models import Post, StaffKind, User
from fengqiao.addresses import services as address_services
from fengqiao.core.roles import Role
from fengqiao.core.validators import id_number_check_character
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.registry import population
from fengqiao.registry import services as registry_services
from fengqiao.registry.models import DistrictPopulation, Person, Relation, ResidenceStatus
from fengqiao.scoring import staffing
from fengqiao.scoring.staffing import Verdict
from tests.conftest import make_node, make_user

POLICE, AUX = StaffKind.POLICE, StaffKind.AUXILIARY
MOVER_ID = "11010519800101123" + id_number_check_character("11010519800101123")


def staff(
    unit: Jurisdiction, count: int = 1, *, post: str = "", kind: str = POLICE, active: bool = True
) -> list[User]:
    people = [make_user(Role.CASE_OFFICER, unit, post=post, staff_kind=kind) for _ in range(count)]
    if not active:  # left the force: the account stays, disabled
        User.objects.filter(pk__in=[p.pk for p in people]).update(is_active=False)
    return people


class Tree:
    """公安厅 → 市局 → 分局 X (警种 U; 派出所 S1 with 警务区 D1 (警务室 R1) and D2;
    派出所 S2 with D3) and 分局 Y (派出所 S3 with D4). No staff: each test places its own."""

    def __init__(self) -> None:
        self.department = make_node(Kind.POLICE_DEPARTMENT, "某省公安厅")
        self.city = make_node(Kind.CITY_BUREAU, "某市公安局", self.department)
        self.x = make_node(Kind.COUNTY_BUREAU, "X分局", self.city)
        self.y = make_node(Kind.COUNTY_BUREAU, "Y县局", self.city)
        self.unit = make_node(Kind.UNIT, "刑侦大队", self.x)
        self.s1 = make_node(Kind.STATION, "一所", self.x)
        self.s2 = make_node(Kind.STATION, "二所", self.x)
        self.s3 = make_node(Kind.STATION, "三所", self.y)
        self.d1 = make_node(Kind.POLICE_DISTRICT, "一所第1警务区", self.s1)
        self.r1 = make_node(Kind.POLICE_ROOM, "一所第1警务室", self.d1)
        self.d2 = make_node(Kind.POLICE_DISTRICT, "一所第2警务区", self.s1)
        self.d3 = make_node(Kind.POLICE_DISTRICT, "二所第1警务区", self.s2)
        self.d4 = make_node(Kind.POLICE_DISTRICT, "三所第1警务区", self.s3)
        self.admin = make_user(Role.ADMIN, self.department, staff_kind=StaffKind.CIVILIAN)


@pytest.fixture
def tree(db) -> Tree:
    return Tree()


def report_of(tree: Tree, node: Jurisdiction) -> staffing.StaffingReport:
    return staffing.staffing_report(user=tree.admin, node=node)


def bureau_of(tree: Tree, node: Jurisdiction) -> staffing.BureauFigures:
    figures = report_of(tree, node).bureau(node.pk)
    assert figures is not None
    return figures


# 两个40% (1): station police ≥ 40 % of the bureau's police


def test_station_share_counts_police_in_stations_districts_and_rooms(tree):
    staff(tree.x, 2, post=Post.OFFICE)
    staff(tree.unit, 1, post=Post.SPECIALIST)
    staff(tree.s1, 1, post=Post.LEADERSHIP)
    staff(tree.d1, 1, post=Post.COMMUNITY)
    staff(tree.r1, 1, post=Post.COMMUNITY)
    staff(tree.s2, 1, post=Post.CASE)
    staff(tree.s1, 5, kind=AUX)  # shown apart, not in the ratio
    staff(tree.s1, 1, active=False)  # left the force: not counted
    x = bureau_of(tree, tree.x)
    assert (x.station_police, x.police) == (4, 7)
    assert (x.auxiliaries, x.station_auxiliaries) == (5, 5)
    assert str(x.station_share) == "57.1"
    assert x.station_verdict == Verdict.MET


def test_station_share_passes_at_exactly_forty_percent_and_fails_below(tree):
    staff(tree.s1, 2)
    staff(tree.x, 3)
    assert bureau_of(tree, tree.x).station_verdict == Verdict.MET  # 2 / 5 = 40 %
    staff(tree.unit, 1)
    x = bureau_of(tree, tree.x)
    assert str(x.station_share) == "33.3"
    assert x.station_verdict == Verdict.NOT_MET


def test_auxiliaries_do_not_rescue_a_failing_station_share(tree):
    staff(tree.s1, 1)
    staff(tree.x, 9)
    staff(tree.s1, 50, kind=AUX)
    assert bureau_of(tree, tree.x).station_verdict == Verdict.NOT_MET


def test_bureau_without_police_fails_the_station_share(tree):
    staff(tree.s1, 3, kind=AUX)
    x = bureau_of(tree, tree.x)
    assert (x.police, x.station_share, x.station_verdict) == (0, None, Verdict.NOT_MET)


def test_city_bureau_counts_its_county_bureaus_stations(tree):
    staff(tree.city, 4)  # 市局机关
    staff(tree.s1, 2)
    staff(tree.s3, 2)
    staff(tree.y, 1)
    city = bureau_of(tree, tree.city)
    assert (city.station_police, city.police) == (4, 9)
    assert [s.unit.pk for s in city.stations] == [tree.s1.pk, tree.s2.pk, tree.s3.pk]
    assert city.station_verdict == Verdict.MET  # 44.4 %
    y = report_of(tree, tree.city).bureau(tree.y.pk)
    assert (y.station_police, y.police) == (2, 3)


def test_a_department_counts_nothing_from_another_tree(tree):
    other = make_node(Kind.POLICE_DEPARTMENT, "邻省公安厅")
    other_station = make_node(Kind.STATION, "邻所", make_node(Kind.COUNTY_BUREAU, "邻局", other))
    other_district = make_node(Kind.POLICE_DISTRICT, "邻区", other_station)
    staff(other_station, 5, post=Post.COMMUNITY)
    staff(tree.s1, 1, post=Post.COMMUNITY)
    Person.objects.create(name="邻省居民", police_district=other_district)
    Person.objects.create(name="本省居民", police_district=tree.d4)
    report = report_of(tree, tree.department)
    assert [b.unit.name for b in report.bureaus] == ["某市公安局", "X分局", "Y县局"]
    assert [b.police for b in report.bureaus] == [1, 1, 0]
    assert other_station.pk not in {s.unit.pk for s in report.stations}
    assert population.residents_by_district(tree.department) == {tree.d4.pk: 1}
    assert report.coverage.population == 1


# 两个40% (2): community police ≥ 40 % of each station's police


def test_community_share_per_station_and_the_bureau_fails_if_one_station_fails(tree):
    staff(tree.s1, 3, post=Post.CASE)
    staff(tree.d1, 1, post=Post.COMMUNITY)
    staff(tree.r1, 1, post=Post.COMMUNITY)  # 2 of 5: exactly 40 %
    staff(tree.s2, 2, post=Post.CASE)
    staff(tree.d3, 1, post=Post.COMMUNITY)  # 1 of 3
    staff(tree.d3, 4, post=Post.COMMUNITY, kind=AUX)  # auxiliaries are not community police
    x = bureau_of(tree, tree.x)
    s1, s2 = x.stations
    assert (s1.community_police, s1.police, str(s1.community_share)) == (2, 5, "40.0")
    assert (s2.community_police, s2.police, str(s2.community_share)) == (1, 3, "33.3")
    assert (s1.verdict, s2.verdict) == (Verdict.MET, Verdict.NOT_MET)
    assert s2.auxiliaries == 4
    assert [s.unit.pk for s in x.failing_stations] == [tree.s2.pk]
    assert x.community_verdict == Verdict.NOT_MET

    staff(tree.d3, 1, post=Post.COMMUNITY)  # 2 of 4
    x = bureau_of(tree, tree.x)
    assert x.failing_stations == []
    assert x.community_verdict == Verdict.MET


def test_a_station_without_police_fails_and_a_bureau_without_stations_is_not_applicable(db):
    bureau = make_node(Kind.COUNTY_BUREAU, "空分局", make_node(Kind.POLICE_DEPARTMENT, "厅"))
    admin = make_user(Role.ADMIN, bureau)
    empty = staffing.staffing_report(user=admin, node=bureau).bureau(bureau.pk)
    assert empty.community_verdict == Verdict.NOT_APPLICABLE
    assert empty.coverage.verdict == Verdict.NOT_APPLICABLE
    make_node(Kind.STATION, "无人所", bureau)
    figures = staffing.staffing_report(user=admin, node=bureau).bureau(bureau.pk)
    assert figures.stations[0].verdict == Verdict.NOT_MET
    assert figures.community_verdict == Verdict.NOT_MET


# 一区一警


def test_one_officer_per_district_counts_community_police_in_the_district_and_its_rooms(tree):
    staff(tree.r1, 1, post=Post.COMMUNITY)  # D1: one, placed in its police room
    staff(tree.d2, 2, post=Post.COMMUNITY)  # D2: two
    staff(tree.d3, 1, post=Post.CASE)  # D3: a case officer …
    staff(tree.d3, 2, post=Post.COMMUNITY, kind=AUX)  # … and auxiliaries: no community officer
    staff(tree.d3, 1, post=Post.COMMUNITY, active=False)  # … and one who left
    staff(tree.d4, 1, post=Post.COMMUNITY)
    cov = bureau_of(tree, tree.x).coverage
    by_name = {d.unit.name: d.coverage for d in cov.districts}
    assert by_name == {"一所第1警务区": "one", "一所第2警务区": "many", "二所第1警务区": "none"}
    assert (cov.total, cov.one, cov.many) == (3, 1, 1)
    assert [d.unit.pk for d in cov.uncovered] == [tree.d3.pk]
    assert cov.verdict == Verdict.NOT_MET
    assert bureau_of(tree, tree.y).coverage.verdict == Verdict.MET
    assert bureau_of(tree, tree.city).coverage.uncovered[0].unit.pk == tree.d3.pk

    staff(tree.d3, 1, post=Post.COMMUNITY)
    assert bureau_of(tree, tree.x).coverage.verdict == Verdict.MET


# 警务区平均管辖实有人口


def _house(community: Jurisdiction, door: str):
    address = address_services.create_address(
        actor=None, community=community, road="测试路", door_number=door
    )
    return registry_services.register_house(actor=None, address=address)


def _resident(house, name: str, *, days_ago: int = 30, id_number: str = ""):
    return registry_services.register_person(
        actor=None,
        house=house,
        name=name,
        id_number=id_number,
        relation=Relation.FAMILY,
        moved_in=timezone.localdate() - dt.timedelta(days=days_ago),
    )


def test_population_counts_people_currently_living_in_each_district(world, places, monkeypatch):
    today = timezone.localdate()
    a1, a2 = _house(places.community_a, "1"), _house(places.community_a, "2")
    b1 = _house(places.community_b, "1")
    _resident(a1, "甲一")
    leaving = _resident(a2, "甲三")  # moves out next week: still living here today
    registry_services.move_out(
        actor=None, residence=leaving, moved_out=today + dt.timedelta(days=7)
    )
    gone = _resident(a2, "甲四")  # moved out yesterday: kept on record, not counted
    registry_services.move_out(actor=None, residence=gone, moved_out=today - dt.timedelta(days=1))
    landlord = world.a[Role.VOLUNTEER]
    registry_services.update_house(
        actor=None, house=a2, expected_version=a2.version, guardian_account=landlord,
        landlord_is_guardian=True,
    )  # fmt: skip
    pending = registry_services.register_tenant(
        actor=landlord, house=a2, name="待核实租户", id_number="", phone="13600003333",
        moved_in=today,
    )  # fmt: skip
    assert pending.status == ResidenceStatus.PENDING  # not confirmed: not counted
    _resident(b1, "乙一")
    mover = _resident(a1, "迁往乙所", id_number=MOVER_ID)  # from A's district to B's
    registry_services.move_out(actor=None, residence=mover, moved_out=today)
    registry_services.register_person(
        actor=None, house=b1, name="迁往乙所", id_number=MOVER_ID, relation=Relation.TENANT,
        moved_in=today,
    )  # fmt: skip
    mover.person.refresh_from_db()
    assert mover.person.police_district == world.district_b
    # every service above kept the stored counts equal to a live count
    districts = [world.district_a.pk, world.district_b.pk]
    assert population.stored(districts)[0] == population.residents_by_district(world.department)
    # bulk-loaded, no stay on record: counted where he is kept, once counted again
    Person.objects.create(name="无居住登记", police_district=world.district_b)
    assert population.stored(districts)[0][world.district_b.pk] == 2
    call_command("count_residents", stdout=io.StringIO())

    report = staffing.staffing_report(user=world.admin, node=world.bureau)
    counted = {d.unit.pk: d.population for d in report.districts}
    assert counted == {world.district_a.pk: 2, world.district_b.pk: 3}
    assert population.residents_by_district(world.department) == counted
    assert report.population_counted_at is not None
    cov = report.bureau(world.bureau.pk).coverage
    assert (cov.population, cov.total, cov.average_population) == (5, 2, 3)  # 2.5 → 3
    assert cov.most_populous.unit.pk == world.district_b.pk
    assert cov.least_populous.unit.pk == world.district_a.pk

    # A week and a day later 甲三's move-out has taken effect: no write announced it, the
    # nightly recount finds it.
    later = today + dt.timedelta(days=8)
    monkeypatch.setattr(timezone, "localdate", lambda *args: later)
    assert population.stored(districts)[0][world.district_a.pk] == 2
    call_command("count_residents", stdout=io.StringIO())
    assert population.stored(districts)[0][world.district_a.pk] == 1


def test_population_average_includes_districts_with_nobody(tree):
    cov = bureau_of(tree, tree.x).coverage
    assert (cov.population, cov.total, cov.average_population) == (0, 3, 0)


# Cost: aggregate queries, not one per district


def test_report_costs_the_same_few_queries_however_many_districts(tree, django_assert_num_queries):
    for number in range(30):
        district = make_node(Kind.POLICE_DISTRICT, f"一所加{number}警务区", tree.s1)
        staff(district, 1, post=Post.COMMUNITY)
    Person.objects.create(name="居民", police_district=tree.d4)
    population.recount()
    # units; staff by unit × kind; the districts' stored people
    with django_assert_num_queries(3):
        report = report_of(tree, tree.department)
        assert len(report.districts) == 34
        assert sum(b.coverage.one for b in report.bureaus if b.unit.pk == tree.x.pk) == 30
        assert report.coverage.population == 1


def test_districts_never_counted_are_counted_when_first_read(tree):
    Person.objects.create(name="居民", police_district=tree.d2)
    assert not DistrictPopulation.objects.exists()
    assert report_of(tree, tree.x).coverage.population == 1
    assert dict(DistrictPopulation.objects.values_list("district", "residents")) == {
        tree.d1.pk: 0,
        tree.d2.pk: 1,
        tree.d3.pk: 0,
    }


# Scope


def get(client, user, url, **params):
    client.force_login(user)
    return client.get(url, params)


PAGE = reverse("staffing:page")
DISTRICTS = reverse("staffing:districts")


def test_the_page_opens_at_the_users_own_unit(client, world):
    page = get(client, world.a[Role.STATION_CHIEF], PAGE)
    assert page.status_code == 200
    assert page.context["node"] == world.station_a
    assert page.context["station"].unit.pk == world.station_a.pk


@pytest.mark.parametrize("url", [PAGE, DISTRICTS])
def test_a_node_outside_the_users_scope_is_404(client, world, places, url):
    chief = world.a[Role.STATION_CHIEF]
    for node in (world.bureau, world.station_b, world.district_b, world.department):
        assert get(client, chief, url, node=node.pk).status_code == 404
    assert get(client, chief, url, node=world.district_a.pk).status_code == 200
    assert get(client, chief, url, node="999999").status_code == 404
    assert get(client, chief, url, node="x").status_code == 404
    # an administrative division is no unit with staff, even for the root administrator
    assert get(client, world.admin, url, node=places.community_a.pk).status_code == 404


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.VOLUNTEER])
def test_roles_without_aggregates_are_refused(client, world, role):
    assert get(client, world.a[role], PAGE).status_code == 403
    assert get(client, world.a[role], DISTRICTS).status_code == 403


def test_anonymous_is_sent_to_log_in(client, world):
    assert client.get(PAGE).status_code == 302


def test_selector_refuses_a_node_outside_scope(world):
    with pytest.raises(Jurisdiction.DoesNotExist):
        staffing.staffing_report(user=world.a[Role.STATION_CHIEF], node=world.station_b)


def test_analyst_sees_figures_but_no_links_to_named_staff(client, world):
    analyst_page = get(client, world.analyst, PAGE)
    assert analyst_page.status_code == 200
    assert reverse("accounts:staff_list") not in analyst_page.content.decode()
    admin_page = get(client, world.admin, PAGE, node=world.bureau.pk)
    assert reverse("accounts:staff_list") in admin_page.content.decode()


# Pages


def _verdicts(html: str, section: str) -> list[str]:
    body = html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'data-verdict="(\w+)"', body)


def test_bureau_page_shows_each_check_passing_or_failing(client, tree):
    staff(tree.x, 1)
    staff(tree.s1, 3, post=Post.CASE)
    staff(tree.d1, 1, post=Post.COMMUNITY)
    staff(tree.d2, 1, post=Post.COMMUNITY)  # 一所: 2 of 5
    staff(tree.s2, 2, post=Post.CASE)  # 二所: 0 of 2, D3 without officer
    html = get(client, tree.admin, PAGE, node=tree.x.pk).content.decode()
    assert _verdicts(html, "check-station-share") == ["pass"]
    assert _verdicts(html, "check-community-share") == ["fail"]
    assert _verdicts(html, "check-one-officer") == ["fail"]
    assert "二所第1警务区" in html.split('id="check-one-officer"', 1)[1].split("</section>")[0]
    assert "达标" in html and "未达标" in html
    assert "两个40%" in html and "一区一警" in html

    staff(tree.d3, 2, post=Post.COMMUNITY)  # 二所: 2 of 4, D3 一区多警
    html = get(client, tree.admin, PAGE, node=tree.x.pk).content.decode()
    assert _verdicts(html, "check-community-share") == ["pass"]
    assert _verdicts(html, "check-one-officer") == ["pass"]


def test_department_page_lists_every_bureau(client, tree):
    page = get(client, tree.admin, PAGE)
    assert page.status_code == 200
    names = [b.unit.name for b in page.context["other_bureaus"]]
    assert names == ["某市公安局", "X分局", "Y县局"]
    html = page.content.decode()
    for name in names:
        assert name in html


def test_station_page_drills_down_to_its_districts(client, tree):
    staff(tree.s1, 1, post=Post.LEADERSHIP)
    staff(tree.r1, 1, post=Post.COMMUNITY)
    page = get(client, tree.admin, PAGE, node=tree.s1.pk)
    html = page.content.decode()
    assert _verdicts(html, "check-community-share") == ["pass"]  # 1 of 2
    assert _verdicts(html, "check-one-officer") == ["fail"]  # D2 has none
    assert "一所第1警务区" in html and "一所第2警务区" in html


def test_figures_link_to_staff_lists_with_the_same_counts(client, tree):
    staff(tree.x, 2)
    staff(tree.s1, 2, post=Post.CASE)
    staff(tree.r1, 1, post=Post.COMMUNITY)
    staff(tree.s2, 1, post=Post.COMMUNITY, active=False)
    staff(tree.s3, 3)  # another bureau's
    staff(tree.s1, 2, kind=AUX, post=Post.COMMUNITY)
    x = bureau_of(tree, tree.x)
    client.force_login(tree.admin)
    html = client.get(PAGE, {"node": tree.x.pk}).content.decode()
    staff_list = reverse("accounts:staff_list")
    links = re.findall(rf'href="({re.escape(staff_list)}\?[^"]+)">(\d+)</a>', html)
    assert links
    seen = set()
    for url, figure in links:
        url = url.replace("&amp;", "&")
        if url in seen:
            continue
        seen.add(url)
        listed = client.get(url).context["page_obj"].paginator.count
        assert listed == int(figure), url
    assert (x.station_police, x.police, x.auxiliaries) == (3, 5, 2)


def test_district_list_filters_by_officers_and_sorts_by_population(client, world, places):
    staff(world.district_a, 1, post=Post.COMMUNITY)
    _resident(_house(places.community_b, "9"), "乙二")
    client.force_login(world.admin)
    none = client.get(DISTRICTS, {"node": world.bureau.pk, "coverage": "none"})
    assert [d.unit.pk for d in none.context["page_obj"]] == [world.district_b.pk]
    one = client.get(DISTRICTS, {"node": world.bureau.pk, "coverage": "one"})
    assert [d.unit.pk for d in one.context["page_obj"]] == [world.district_a.pk]
    by_people = client.get(DISTRICTS, {"node": world.bureau.pk, "sort": "-population"})
    assert [d.unit.pk for d in by_people.context["page_obj"]] == [
        world.district_b.pk,
        world.district_a.pk,
    ]


def test_staff_list_refuses_a_unit_filter_outside_scope(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    url = reverse("accounts:staff_list")
    assert client.get(url, {"unit": world.station_b.pk}).status_code == 404
    mine = client.get(url, {"unit": world.district_a.pk, "kind": "police"})
    assert {p.pk for p, _ in mine.context["rows"]} == {
        world.a[Role.COMMUNITY_OFFICER].pk,
        world.a[Role.VOLUNTEER].pk,  # make_user places everyone as police by default
    }


def test_admin_sets_and_sees_the_post(client, world):
    officer = world.a[Role.CASE_OFFICER]
    client.force_login(world.a[Role.STATION_CHIEF])
    form = {
        "full_name": officer.full_name, "role": Role.CASE_OFFICER, "staff_kind": "police",
        "post": Post.COMMUNITY, "jurisdiction": world.district_a.pk, "badge_number": "",
        "id_number": "", "phone": "", "is_active": "on", "version": officer.version,
    }  # fmt: skip
    response = client.post(reverse("accounts:staff_edit", args=[officer.pk]), form)
    assert response.status_code == 302
    officer.refresh_from_db()
    assert officer.post == Post.COMMUNITY
    detail = client.get(reverse("accounts:staff_detail", args=[officer.pk])).content.decode()
    assert re.search(r"<dt>岗位</dt><dd>社区民警</dd>", detail)
    listed = client.get(reverse("accounts:staff_list"), {"post": Post.COMMUNITY})
    assert [p.pk for p, _ in listed.context["rows"]] == [officer.pk]


def test_demo_bureau_shows_passing_and_failing_checks(db):
    from fengqiao.demo.services import load_demo

    load_demo()
    admin = User.objects.get(username="admin")
    bureau = Jurisdiction.objects.get(kind=Kind.COUNTY_BUREAU, name="城区公安分局（演示）")
    figures = staffing.staffing_report(user=admin, node=bureau).bureau(bureau.pk)
    assert figures.station_verdict == Verdict.MET
    assert [s.unit.name for s in figures.failing_stations] == ["北石店派出所"]
    assert {s.unit.name: s.verdict for s in figures.stations} == {
        "南街派出所": Verdict.MET, "西街派出所": Verdict.MET, "北石店派出所": Verdict.NOT_MET,
    }  # fmt: skip
    cov = figures.coverage
    assert (cov.one, cov.many, len(cov.uncovered)) == (9, 3, 1)
    assert cov.population > 0
    assert User.objects.get(username="nanjie.community1").post == Post.COMMUNITY
