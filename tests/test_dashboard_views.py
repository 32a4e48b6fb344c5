"""一屏尽览 pages: who may see which dashboard, every number on it a link to exactly the
records it counts, the records page kept to the user's scope, the map's GeoJSON, the
big-screen mode and the demo's outlines."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from fengqiao.core.roles import Role
from fengqiao.demo.boundaries import draw_demo_boundaries, outline
from fengqiao.incidents import public
from fengqiao.incidents import services as incident_services
from fengqiao.incidents.models import Category, Incident
from fengqiao.jurisdictions.models import Jurisdiction

SQUARE = {"type": "Polygon", "coordinates": [[[112.8, 35.5], [112.81, 35.5], [112.81, 35.51],
                                              [112.8, 35.51], [112.8, 35.5]]]}  # fmt: skip


class Links(HTMLParser):
    """The ``<a class="count">`` links of a page, and the rows of its records table."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: list[tuple[str, str]] = []  # (href, text)
        self.rows = 0
        self.total: str | None = None
        self._in_count: str | None = None
        self._text = ""
        self._in_records = False
        self._in_body = False
        self._in_total = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and "count" in (attrs.get("class") or "").split():
            self._in_count, self._text = attrs["href"], ""
        if tag == "table" and attrs.get("data-testid") == "records":
            self._in_records = True
        if tag == "tbody" and self._in_records:
            self._in_body = True
        if tag == "tr" and self._in_body:
            self.rows += 1
        if attrs.get("data-testid") == "records-total":
            self._in_total, self.total = True, ""

    def handle_endtag(self, tag):
        if tag == "a" and self._in_count is not None:
            self.counts.append((self._in_count, self._text.strip()))
            self._in_count = None
        if tag == "tbody":
            self._in_body = False
        if tag == "table":
            self._in_records = False
        if tag == "span" and self._in_total:
            self._in_total = False

    def handle_data(self, data):
        if self._in_count is not None:
            self._text += data
        if self._in_total:
            self.total += data


def parse(html: str) -> Links:
    links = Links()
    links.feed(html)
    return links


def local_today(hour: int) -> dt.datetime:
    """Earlier today (or, just after midnight, minutes ago)."""
    now = timezone.localtime()
    at = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    return at if at < now else now - dt.timedelta(minutes=hour + 1)


@pytest.fixture
def records(world, places, make_incident, make_dispute):
    """This month in station A: thefts (one in grid A, handled and rated 基本满意), a
    fight, a call nobody could categorise; a dispute resolved and one turned criminal;
    an incident and a dispute in station B."""
    theft = Category.objects.get(code="0101")
    fight = Category.objects.get(code="0201")
    officer = world.a[Role.COMMAND_ROOM]
    first = make_incident(received_at=local_today(1), category=theft)
    make_incident(received_at=local_today(2), category=theft)
    make_incident(received_at=local_today(3), category=fight)
    make_incident(received_at=local_today(4), description="……")
    handled = first
    for status in ("dispatched", "on_scene", "handled", "closed"):
        handled = incident_services.transition(
            actor=officer, incident=handled, to_status=status,
            expected_version=handled.version, note="已处置",
        )  # fmt: skip
    public.submit_survey(incident=handled, rating="fairly")
    first.refresh_from_db()
    first.grid = places.grid_a
    first.save(update_fields=["grid"])
    other = make_incident(jurisdiction=world.district_b, actor=world.b_officer, category=theft,
                          received_at=local_today(5))  # fmt: skip
    resolved = make_dispute()
    resolved.status = "resolved"
    resolved.save()
    criminal = make_dispute(category="marriage_family")
    criminal.status = "failed"
    criminal.turned_criminal = True
    criminal.save()
    make_dispute(jurisdiction=world.district_b, actor=world.b_officer)
    return {"first": first, "other": other}


# --- who sees what ---------------------------------------------------------------------


def test_a_station_chief_sees_his_dashboard_with_every_count_a_link(client, world, records):
    chief = world.a[Role.STATION_CHIEF]
    client.force_login(chief)
    response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "甲派出所" in html and "甲一警务区" in html
    assert "一屏尽览" in html
    links = parse(html).counts
    assert links and all(href.startswith("/dashboard/records/?") for href, _ in links)
    assert any("category=none" in href for href, _ in links)  # the call nobody categorised
    incidents = Incident.objects.filter(jurisdiction__path__within=world.station_a.path).count()
    assert f">{incidents}</a> 起" in html  # the lead sentence: 接报警情 N 起
    # 零发案: station A covers one community, and a theft happened in its grid.
    assert "覆盖的 1 个社区/村中，0 个本期没有刑事警情" in html
    # The breadcrumb links the user's own node only: the bureau is above his scope.
    assert f'href="/dashboard/{world.bureau.pk}/' not in html


def test_an_analyst_sees_figures_without_record_links_and_no_records(client, world, records):
    client.force_login(world.analyst)
    response = client.get(f"/dashboard/{world.station_a.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/dashboard/records/" not in html
    assert "只能查看统计汇总" in html
    assert re.search(r'<span class="count[^"]*">\d+</span>', html)
    query = f"node={world.station_a.pk}&fact=incident&from=2020-01-01&to=2030-12-31"
    assert client.get(f"/dashboard/records/?{query}").status_code == 403


def test_a_node_outside_the_users_scope_is_not_found(client, world, records):
    client.force_login(world.a[Role.STATION_CHIEF])
    for path in ("/dashboard/{}/", "/dashboard/{}/screen/", "/dashboard/{}/map.geojson"):
        assert client.get(path.format(world.station_b.pk)).status_code == 404
        assert client.get(path.format(world.bureau.pk)).status_code == 404
    query = f"node={world.station_b.pk}&fact=incident&from=2020-01-01&to=2030-12-31"
    assert client.get(f"/dashboard/records/?{query}").status_code == 404
    assert client.get("/dashboard/records/?node=x&fact=incident").status_code == 404


@pytest.mark.parametrize("role", [Role.MEDIATOR, Role.VOLUNTEER])
def test_dashboards_need_the_aggregates_capability(client, world, role):
    client.force_login(world.a[role])
    assert client.get("/dashboard/").status_code == 403
    assert client.get(f"/dashboard/{world.station_a.pk}/screen/").status_code == 403
    assert client.get(f"/dashboard/{world.station_a.pk}/map.geojson").status_code == 403
    assert 'href="/dashboard/"' not in client.get("/").content.decode()


def test_the_navigation_offers_the_dashboard_to_who_may_see_it(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    assert 'href="/dashboard/"' in client.get("/").content.decode()


# --- numbers and their records ---------------------------------------------------------


@pytest.mark.parametrize("level", ["station_a", "district_a"])
@pytest.mark.parametrize("period", ["month", "year"])
def test_every_count_lists_exactly_that_many_records(client, world, records, level, period):
    """Follow every count link of the page: the records page says the same number and
    lists that many records (a clock or a follow-up visit belongs to one record, which
    is listed once however many it has)."""
    client.force_login(world.a[Role.STATION_CHIEF])
    node = getattr(world, level)
    today = timezone.localdate()
    param = f"{today:%Y}" if period == "year" else f"{today:%Y-%m}"
    links = parse(client.get(f"/dashboard/{node.pk}/?period={param}").content.decode()).counts
    facts = {parse_qs(urlsplit(href).query)["fact"][0] for href, _ in links}
    assert facts == {"incident", "dispute", "criminal", "clock", "survey", "followup"}
    assert any(int(text) > 0 for _, text in links)
    for href, text in links:
        page = parse(client.get(href).content.decode())
        assert page.total == text, href
        fact = parse_qs(urlsplit(href).query)["fact"][0]
        if fact in ("clock", "followup"):
            assert (page.rows > 0) == (int(text) > 0), href
            assert page.rows <= int(text), href
        else:
            assert page.rows == int(text), href


def test_a_grids_numbers_link_to_its_records_within_the_users_scope(client, world, places,
                                                                    records):  # fmt: skip
    # Station B's incident was placed in station A's grid (say, taken over from a call
    # at a boundary): the grid's figure counts it, A's chief never sees it listed.
    records["other"].grid = places.grid_a
    records["other"].save(update_fields=["grid"])
    client.force_login(world.a[Role.STATION_CHIEF])
    html = client.get(f"/dashboard/{world.district_a.pk}/").content.decode()
    assert "甲一警务区" in html and "凤台社区第1网格" in html
    grid_link = f"/dashboard/records/?node={places.grid_a.pk}&amp;fact=incident"
    assert grid_link in html
    response = client.get(grid_link.replace("&amp;", "&") + _this_month())
    listed = response.content.decode()
    assert response.status_code == 200
    assert records["first"].tracking_code[:4] in listed
    assert records["other"].tracking_code[:4] not in listed
    assert (parse(listed).total, parse(listed).rows) == ("2", 1)
    assert "1 起不在您的辖区内" in listed


def _this_month() -> str:
    today = timezone.localdate()
    return f"&from={today.replace(day=1)}&to={today}"


def test_the_records_page_never_lists_records_outside_scope(client, world, records):
    client.force_login(world.a[Role.STATION_CHIEF])
    query = f"node={world.station_a.pk}&fact=incident&from=2020-01-01&to=2030-12-31"
    html = client.get(f"/dashboard/records/?{query}").content.decode()
    mine = Incident.objects.filter(jurisdiction__path__within=world.station_a.path)
    assert parse(html).rows == mine.count() == 4
    assert records["other"].tracking_code[:4] not in html
    disputes = client.get(f"/dashboard/records/?{query.replace('incident', 'dispute')}")
    assert parse(disputes.content.decode()).rows == 2
    assert "乙一警务区" not in disputes.content.decode()


def test_the_records_page_is_paginated(client, world, make_incident):
    for n in range(51):
        make_incident(received_at=local_today(1) - dt.timedelta(seconds=n))
    client.force_login(world.a[Role.STATION_CHIEF])
    query = f"node={world.station_a.pk}&fact=incident&from=2020-01-01&to=2030-12-31"
    first = parse(client.get(f"/dashboard/records/?{query}").content.decode())
    second = parse(client.get(f"/dashboard/records/?{query}&page=2").content.decode())
    assert (first.total, first.rows, second.rows) == ("51", 50, 1)


def test_a_survey_rated_fairly_counts_as_satisfied(client, world, records):
    client.force_login(world.a[Role.STATION_CHIEF])
    html = client.get("/dashboard/").content.decode()
    assert "100.0%" in html  # 满意率: one survey, 基本满意


# --- period picker ---------------------------------------------------------------------


def test_the_period_never_goes_beyond_the_current_one(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    today = timezone.localdate()
    html = client.get(f"/dashboard/?period={today.year + 3}-01").content.decode()
    assert f"{today.year}年{today.month}月" in html
    assert 'rel="next"' not in html
    last_year = client.get(f"/dashboard/?period={today.year - 1}").content.decode()
    assert f"{today.year - 1}年" in last_year and 'rel="next"' in last_year


# --- map and big screen ----------------------------------------------------------------


def test_the_geojson_holds_the_children_with_their_values(client, world, places, records):
    client.force_login(world.a[Role.STATION_CHIEF])
    url = f"/dashboard/{world.station_a.pk}/map.geojson"
    bare = client.get(url).json()
    assert bare["features"] == [] and bare["missing"] == ["甲一警务区"]
    Jurisdiction.objects.filter(pk=world.district_a.pk).update(boundary=SQUARE)
    collection = client.get(url).json()
    assert collection["type"] == "FeatureCollection" and collection["missing"] == []
    (feature,) = collection["features"]
    assert feature["geometry"] == SQUARE
    props = feature["properties"]
    assert props["name"] == "甲一警务区"
    assert props["incidents"] == 4 and props["criminal"] == 2 and props["disputes"] == 2
    assert props["url"].startswith(f"/dashboard/{world.district_a.pk}/?period=")
    # A district breaks down into its grids, which link to their records.
    Jurisdiction.objects.filter(pk=places.grid_a.pk).update(boundary=SQUARE)
    grids = client.get(f"/dashboard/{world.district_a.pk}/map.geojson").json()
    (grid,) = grids["features"]
    assert grids["level"] == "grid" and grid["properties"]["incidents"] == 1
    assert grid["properties"]["url"].startswith("/dashboard/records/?node=")


def test_the_big_screen_renders_without_navigation_and_refreshes(client, world, records):
    client.force_login(world.a[Role.STATION_CHIEF])
    response = client.get(f"/dashboard/{world.station_a.pk}/screen/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-refresh-seconds="60"' in html and "data-clock" in html
    assert "mainnav" not in html
    assert "echarts.min.js" in html and 'id="dashboard-data"' in html
    assert parse(html).counts  # links still work on the wall
    assert f"/dashboard/{world.district_a.pk}/screen/" in html  # drill-down stays big


def test_pages_load_only_static_scripts(client, world, records):
    """The CSP allows no inline script: data travels in JSON blocks."""
    client.force_login(world.a[Role.STATION_CHIEF])
    for path in ("/dashboard/", f"/dashboard/{world.station_a.pk}/screen/"):
        html = client.get(path).content.decode()
        for attrs in re.findall(r"<script([^>]*)>", html):
            assert "src=" in attrs or 'type="application/json"' in attrs, attrs


# --- demo outlines ---------------------------------------------------------------------


def test_demo_outlines_nest_and_a_second_run_changes_nothing(world, places):
    Jurisdiction.objects.filter(pk=world.district_b.pk).update(boundary=SQUARE)
    drawn = draw_demo_boundaries(world.bureau)
    assert drawn > 0
    for node in (world.station_a, world.district_a, places.community_a, places.grid_a,
                 world.bureau, world.department):  # fmt: skip
        node.refresh_from_db()
        assert node.boundary["type"] == "Polygon", node
        ring = node.boundary["coordinates"][0]
        assert ring[0] == ring[-1] and len(ring) >= 4
        assert all(112.7 < lng < 113.0 and 35.4 < lat < 35.6 for lng, lat in ring)
    world.district_b.refresh_from_db()
    assert world.district_b.boundary == SQUARE  # a drawn outline is kept
    assert draw_demo_boundaries(world.bureau) == 0


def test_an_outline_of_neighbouring_cells_is_one_ring_sharing_their_border():
    left, right, both = outline([(0, 0)]), outline([(1, 0)]), outline([(0, 0), (1, 0)])
    assert both["type"] == "Polygon"
    points = [{tuple(p) for p in shape["coordinates"][0]} for shape in (left, right)]
    shared = points[0] & points[1]
    assert len(shared) >= 2  # the common edge, bent the same way for both
    assert outline([(0, 0), (5, 5)])["type"] == "MultiPolygon"
