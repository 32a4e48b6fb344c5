"""The province-scale data set (省级模拟数据): a synthetic 甘肃省 for the dashboards,
scoring and benchmarks.

``generate(scale=1.0, seed=…)`` builds, at full scale, about what the seeds report for
Gansu: the real 14 cities and 86 counties (GB/T 2260, loaded like ``./fq divisions`` when
missing), about 1,500 police stations, 6,800 police districts, 16,000 communities and
villages, 43,000 grids, 40,000 police and 24,000 auxiliaries, 6,000,000 standard addresses with
their houses, 25,000,000 people living in them, 3,000,000 incidents a year over three
years with their clocks and reporters' surveys, and 150,000 disputes a year with their
follow-up visits. Volumes scale with ``scale``; the 14 city bureaus and 86 county bureaus
stay at every scale, with at least one station per county, and each station keeps a
realistic number of police districts (so small scales have few stations, not starved
ones). What is made, and what is not:

* the police tree 甘肃省公安厅（模拟） → 市局 → 分局/县局 (with their 警种) → 派出所 →
  警务区 → some 警务室, each 警务区 ``covers`` its communities and their grids; below the
  counties synthetic 街道/乡镇, 社区/村 and 网格 with statistical codes; every city, county,
  township, bureau, station, police district, community and grid has a GeoJSON outline
  (rectangles that tile their parent, inside Gansu's bounding box; plausible, not
  surveyed). 嘉峪关市 has no counties: its towns hang under the NBS code 620201 (市辖区)
  and its stations directly under the city bureau;
* staff accounts (usernames ``gs-<unit code>-<n>``, unusable passwords): leadership,
  command room, office and case officers of each station, community officers in police
  districts (a few districts have none, about one in ten has two or more — 一区多警),
  auxiliaries, bureau headquarters and 警种 staff; some bureaus and stations fail the two
  40 % rules. To browse the province, give the department's 管理员 a password:
  ``./fq manage changepassword gs-620000000000-001``;
* standard addresses (valid, unique codes continuing each county's serials), one house
  each, people with valid ID numbers (GB 11643) and their residences, household types in
  realistic proportions; no organisations, doorplates, incident timelines (events),
  dispute parties, sessions or agreements;
* incidents clustered in space (hot-spot grids and addresses, busier towns) and time
  (hour of day, weekday, season, 刑事 falling about 10 % a year), their clocks
  (:class:`~fengqiao.incidents.models.Deadline`) from the seeded rules, and surveys;
  disputes by the categories of the people's-mediation statistics, mostly resolved,
  about 0.5 % turned criminal, with follow-up visits;
* finally the rollups are rebuilt (:func:`fengqiao.rollups.store.rebuild`) and the
  districts' 实有人口 counted (:func:`fengqiao.registry.population.recount`).

**Deterministic.** The same ``seed``, ``scale`` and ``until`` give the same data: one
``random.Random(seed)`` drives every choice and the three years end at the local midnight
after ``until`` (default: yesterday, so nothing lies in the future). Database ids may
differ between databases; :func:`fingerprint` hashes the generated rows by their codes.

**Bulk, not audited.** Rows are written through the raw bulk path (COPY on PostgreSQL,
``executemany`` on SQLite) in chunks, so memory stays flat at any scale; no model
signals fire and **no audit events are written for the generated rows** (only the GB/T
2260 divisions, when they are loaded, are audited as ``./fq divisions`` does). Everything
runs in one transaction: a failed run leaves nothing behind.

**On an empty province.** It refuses (:class:`ProvinceExists`) when the generated
department or any township under 甘肃省 already exists: run it on a freshly migrated
database (other provinces, the demo bureau, are fine beside it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from fengqiao.accounts.models import Post, StaffKind, User
from fengqiao.core.roles import Role
from fengqiao.demo import province_data as data
from fengqiao.demo.province_bulk import Clock, IdNumbers, Ids, Sink, TrackingCodes
from fengqiao.demo.province_plan import (
    County,
    District,
    Grid,
    Names,
    Node,
    People,
    Rect,
    Station,
    lognormal,
    polygon,
    tile,
    urban_share,
)
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.jurisdictions.services import load_divisions
from fengqiao.registry.imports import _big_page_cache

LOCAL = ZoneInfo("Asia/Shanghai")
PROVINCE_CODE = "620000"
DEPARTMENT_NAME = "甘肃省公安厅（模拟）"
DEPARTMENT_CODE = "620000000000"
USERNAME_PREFIX = "gs-"
# The department's first leader, role 管理员: give it a password to browse the province.
ADMIN_USERNAME = f"{USERNAME_PREFIX}{DEPARTMENT_CODE}-001"
YEARS = 3

# Full-scale volumes (scale = 1).
STATIONS = 1500
ADDRESSES = 6_000_000
PEOPLE = 25_000_000
INCIDENTS_PER_YEAR = 3_000_000
DISPUTES_PER_YEAR = 150_000

# The stages in order, with the label the progress bar shows.
STAGES: list[tuple[str, str]] = [
    ("divisions", "行政区划 divisions"),
    ("tree", "辖区 jurisdiction tree"),
    ("staff", "警力 staff"),
    ("addresses", "标准地址 addresses"),
    ("people", "实有人口 houses and people"),
    ("incidents", "警情 incidents"),
    ("disputes", "矛盾纠纷 disputes"),
    ("rollups", "汇总 rollups"),
]
Progress = Callable[[str, int, int], None]  # (stage, done, total)

AREA_CODES = {"620100": "0931", "620200": "0937", "620300": "0935", "620400": "0943",
              "620500": "0938", "620600": "0935", "620700": "0936", "620800": "0933",
              "620900": "0937", "621000": "0934", "621100": "0932", "621200": "0939",
              "622900": "0930", "623000": "0941"}  # fmt: skip


class ProvinceExists(Exception):
    """The generated province is already in the database."""


@dataclass
class GenerationReport:
    """What a run wrote: rows per table, seconds per stage, the structure's counts."""

    scale: float
    seed: int
    until: dt.date
    rows: dict[str, int] = field(default_factory=dict)  # table → rows written
    seconds: dict[str, float] = field(default_factory=dict)  # stage → wall time
    stages: dict[str, dict[str, int]] = field(default_factory=dict)  # stage → table → rows
    counts: dict[str, int] = field(default_factory=dict)  # structure: stations, districts …
    wall_seconds: float = 0.0  # the whole run, with the final commit

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())


def already_generated() -> bool:
    """Whether the generated department or any township of 甘肃省 exists."""
    if Jurisdiction.objects.filter(kind=Kind.POLICE_DEPARTMENT, code=DEPARTMENT_CODE).exists():
        return True
    province = Jurisdiction.objects.filter(kind=Kind.PROVINCE, code=PROVINCE_CODE).first()
    return bool(
        province
        and Jurisdiction.objects.filter(path__within=province.path, kind=Kind.TOWNSHIP).exists()
    )


def generate(
    *,
    scale: float,
    seed: int,
    until: dt.date | None = None,
    progress: Progress | None = None,
) -> GenerationReport:
    """Build the synthetic province at ``scale`` (1 = full) from ``seed``, with three years
    of records ending with the local day ``until`` (default yesterday). One transaction;
    refuses with :class:`ProvinceExists` if the province was generated before."""
    if not 0 < scale <= 1:
        raise ValueError("scale must be in (0, 1]")
    until = until or timezone.localdate() - dt.timedelta(days=1)
    if already_generated():
        raise ProvinceExists(
            f"{DEPARTMENT_NAME} or townships of 甘肃省 already exist: generate into a freshly "
            "migrated database"
        )
    from fengqiao.demo import province_records as records

    context = Context(scale=scale, seed=seed, until=until, progress=progress)
    steps: list[tuple[str, Callable[[Context], None]]] = [
        ("divisions", _divisions), ("tree", _tree), ("staff", _staff),
        ("addresses", records.addresses), ("people", records.people),
        ("incidents", records.incidents), ("disputes", records.disputes),
        ("rollups", _rollups),
    ]  # fmt: skip
    began = time.perf_counter()
    with transaction.atomic(), _big_page_cache():
        for name, step in steps:
            before = dict(context.rows)
            started = time.perf_counter()
            step(context)
            context.report.seconds[name] = time.perf_counter() - started
            context.report.stages[name] = {
                table: n - before.get(table, 0)
                for table, n in context.rows.items()
                if n != before.get(table, 0)
            }
    context.report.rows = dict(context.rows)
    context.report.wall_seconds = time.perf_counter() - began
    return context.report


class Context:
    """The run's state shared by the stages: the random stream, the clock, the plan."""

    def __init__(
        self, *, scale: float, seed: int, until: dt.date, progress: Progress | None
    ) -> None:
        self.scale, self.seed, self.until = scale, seed, until
        self.rng = random.Random(seed)
        self.progress = progress or (lambda stage, done, total: None)
        self.report = GenerationReport(scale=scale, seed=seed, until=until)
        self.rows: dict[str, int] = {}
        self.clock = Clock()
        end_day = until + dt.timedelta(days=1)
        start_day = _years_before(end_day, YEARS)
        self.start_day, self.end_day = start_day, end_day
        self.start_ts = dt.datetime.combine(start_day, dt.time(), LOCAL).timestamp()
        self.end_ts = dt.datetime.combine(end_day, dt.time(), LOCAL).timestamp()
        self.names = Names(self.rng)
        self.people = People(self.rng)
        self.node_ids = Ids(Jurisdiction)
        self.node_sink = Sink(Jurisdiction, _NODE_COLUMNS, self.rows)
        self.covers_sink = Sink(Jurisdiction.covers.through, _COVERS_COLUMNS, self.rows)
        self.province: Node | None = None
        self.department: Node | None = None
        self.cities: dict[str, Node] = {}
        self.city_bureaus: dict[str, Node] = {}
        self.counties: list[County] = []
        self.units: dict[int, dict[str, Node]] = {}  # bureau id → 警种 short name → unit
        self.grids: list[Grid] = []
        self.staff_ids = IdNumbers()
        self.staff_ids.start_county(99)  # staff take their own slots (see IdNumbers)
        self.person_ids = IdNumbers()
        self.tracking: TrackingCodes | None = None  # the incidents' codes; disputes follow
        # Incidents handed to mediation: (incident id, grid, address number, when, code).
        self.to_dispute: list[tuple[int, Grid, int, float, str]] = []

    def node(
        self,
        kind: str,
        name: str,
        parent: Node | None,
        *,
        code: str = "",
        rect: Rect | None = None,
        duty_phone: str = "",
        outline: dict[str, object] | None = None,
    ) -> Node:
        """Plan a new jurisdiction row (written when the sink fills or the stage ends).
        Its boundary is ``outline``, else the rectangle ``rect``."""
        pk = self.node_ids.one()
        path = f"{parent.path if parent else '/'}{pk}/"
        node = Node(pk, kind, name, code, parent, path, parent.depth + 1 if parent else 0,
                    rect, duty_phone)  # fmt: skip
        stamp = self.clock.stamp(self.start_ts)
        shape = outline or (polygon(rect) if rect else None)
        boundary = json.dumps(shape, separators=(",", ":")) if shape else None
        self.node_sink.add((pk, stamp, stamp, kind, name, code, path, node.depth, duty_phone,
                            parent.id if parent else None, boundary))  # fmt: skip
        return node

    def phone_line(self, city_code: str) -> str:
        return f"{AREA_CODES.get(city_code, '0931')}-{self.rng.randrange(2_000_000, 9_999_999)}"


_NODE_COLUMNS = ("id", "created_at", "updated_at", "kind", "name", "code", "path", "depth",
                 "duty_phone", "parent_id", "boundary")  # fmt: skip
_COVERS_COLUMNS = ("from_jurisdiction_id", "to_jurisdiction_id")


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- divisions and the tree --------------------------------------------------------------


def _divisions(ctx: Context) -> None:
    """The province, its cities and counties from the shipped GB/T 2260 list (reused when
    loaded), and the county-level statistical node of 嘉峪关市."""
    before = Jurisdiction.objects.count()
    load_divisions(
        actor=None,
        provinces=[PROVINCE_CODE],
        progress=lambda n: ctx.progress("divisions", n, 101),
    )
    ctx.rows["jurisdictions_jurisdiction"] = Jurisdiction.objects.count() - before
    ctx.progress("divisions", 101, 101)


def _existing(node: Jurisdiction) -> Node:
    return Node(node.pk, node.kind, node.name, node.code, None, node.path, node.depth,
                existing=True)  # fmt: skip


def _set_boundary(node: Node) -> None:
    if node.rect is None:
        raise ValueError(f"{node.name} has no outline yet")
    Jurisdiction.objects.filter(pk=node.id).update(boundary=polygon(node.rect))


def _tree(ctx: Context) -> None:
    """Outlines of the divisions, the police tree, and below each county its stations,
    townships, police districts, communities and grids (planned here, written in bulk)."""
    rng = ctx.rng
    ctx.node_ids = Ids(Jurisdiction)  # after the divisions: SQLite counts on from MAX(id)
    nodes = {
        (n.kind, n.code): n
        for n in Jurisdiction.objects.filter(code__startswith="62", kind__in=[
            Kind.PROVINCE, Kind.CITY, Kind.COUNTY])
    }  # fmt: skip
    province = _existing(nodes[Kind.PROVINCE, PROVINCE_CODE])
    province.rect = data.BBOX
    outline: dict[str, object] = {"type": "Polygon", "coordinates": [data.OUTLINE]}
    Jurisdiction.objects.filter(pk=province.id).update(boundary=outline)
    ctx.province = province
    department = ctx.node(Kind.POLICE_DEPARTMENT, DEPARTMENT_NAME, None, code=DEPARTMENT_CODE,
                          rect=data.BBOX, duty_phone="0931-110", outline=outline)  # fmt: skip
    ctx.department = department
    ctx.units[department.id] = _units(ctx, department, PROVINCE_CODE,
                                      [(n, 0.0) for n in data.DEPARTMENT_UNITS])  # fmt: skip
    city_rects: dict[str, Rect] = {}
    for block, codes in data.BLOCKS:
        cut = tile(block, [data.CITIES[c][2] for c in codes],
                   centers=[data.CITIES[c][:2] for c in codes])  # fmt: skip
        city_rects.update(zip(codes, cut, strict=True))
    planned: list[County] = []
    for city_code, rect in sorted(city_rects.items()):
        city = _existing(nodes[Kind.CITY, city_code])
        city.rect = rect
        _set_boundary(city)
        ctx.cities[city_code] = city
        bureau = ctx.node(Kind.CITY_BUREAU, f"{city.name}公安局", department,
                          code=f"{city_code}000000", rect=rect,
                          duty_phone=ctx.phone_line(city_code))  # fmt: skip
        ctx.city_bureaus[city_code] = bureau
        ctx.units[bureau.id] = _units(ctx, bureau, city_code, data.CITY_UNITS)
        if city_code in data.CITY_WITHOUT_COUNTIES:
            code, name = data.CITY_WITHOUT_COUNTIES[city_code]
            found = Jurisdiction.objects.filter(kind=Kind.COUNTY, code=code).first()
            division = (
                _existing(found)
                if found
                else ctx.node(Kind.COUNTY, name, city, code=code, rect=rect)
            )
            counties = [(code, name, division)]
        else:
            counties = [
                (n.code, n.name, _existing(n))
                for (kind, code), n in sorted(nodes.items())
                if kind == Kind.COUNTY and code[:4] == city_code[:4]
            ]
        weights = [
            math.sqrt(data.POPULATION[code]) * (0.3 if urban_share(name, code) > 0.9 else 1.0)
            * lognormal(rng, 0.3)
            for code, name, _ in counties
        ]  # fmt: skip
        for (code, name, division), county_rect in zip(counties, tile(rect, weights), strict=True):
            division.rect = county_rect
            if division.existing:
                _set_boundary(division)
            if city_code in data.CITY_WITHOUT_COUNTIES:
                county_bureau = bureau
            else:
                county_bureau = ctx.node(
                    Kind.COUNTY_BUREAU, _bureau_name(city.name, name), bureau,
                    code=f"{code}000000", rect=county_rect, duty_phone=ctx.phone_line(city_code),
                )  # fmt: skip
                ctx.units[county_bureau.id] = _units(ctx, county_bureau, code, data.COUNTY_UNITS)
            planned.append(
                County(
                    index=len(planned),
                    code=code,
                    name=name,
                    division=division,
                    city=city,
                    bureau=county_bureau,
                    population=data.POPULATION[code],
                    urban_share=urban_share(name, code),
                )
            )
    ctx.counties = planned
    # Stations follow population less than in proportion: sparse counties need more.
    sizes = {c.code: c.population**0.75 for c in planned}
    total = sum(sizes.values())
    for number, county in enumerate(planned, start=1):
        stations = max(1, round(STATIONS * ctx.scale * sizes[county.code] / total))
        _county(ctx, county, stations)
        ctx.progress("tree", number, len(planned))
    ctx.node_sink.flush()
    ctx.covers_sink.flush()
    ctx.report.counts.update(
        cities=len(ctx.cities),
        county_bureaus=sum(1 for c in planned if c.bureau.kind == Kind.COUNTY_BUREAU),
        stations=sum(len(c.stations) for c in planned),
        police_districts=sum(len(s.districts) for c in planned for s in c.stations),
        grids=len(ctx.grids),
        communities=len({g.community.id for g in ctx.grids}),
    )


def _units(
    ctx: Context, bureau: Node, code: str, units: list[tuple[str, float]]
) -> dict[str, Node]:
    """The bureau's 警种, by the first two characters of their names (刑侦, 交警 …)."""
    found = {}
    for number, (name, _share) in enumerate(units, start=1):
        found[name[:2]] = ctx.node(Kind.UNIT, name, bureau, code=f"{code[:6]}9{number:02d}000")
    return found


def _bureau_name(city: str, county: str) -> str:
    """城关区 → 兰州市公安局城关分局; 永登县 → 永登县公安局."""
    if county.endswith("区") and len(county) > 2:
        return f"{city}公安局{county[:-1]}分局"
    return f"{county}公安局"


def _county(ctx: Context, county: County, station_count: int) -> None:
    """Stations, their townships, police districts, communities and grids, with outlines
    nested inside the county's and population weights. The county's town share decides
    how urban each station is: the first ones cover the town (街道, a county's 城关镇),
    one may straddle town and country, the rest cover 镇 and 乡 with their villages."""
    rng = ctx.rng
    # As addresses.services.printed_form writes it: province, city, county, township.
    county.address_prefix = f"甘肃省{county.city.name}{county.name}"
    town_slots = county.urban_share * station_count
    town_shares = [min(1.0, max(0.0, town_slots - i)) for i in range(station_count)]
    area_weights = [(0.12 + 0.88 * (1 - p)) * lognormal(rng, 0.35) for p in town_shares]
    station_rects = tile(county.division.rect or data.BBOX, area_weights)
    names = _CountyNames()
    raw_weights: list[tuple[Grid, float]] = []
    for index, (town_share, rect) in enumerate(zip(town_shares, station_rects, strict=True)):
        urban = town_share >= 0.5
        district_count = rng.randint(4, 7) if urban else rng.randint(2, 6)
        flags = sorted((rng.random() < town_share for _ in range(district_count)), reverse=True)
        groups = _townships(ctx, county, names, index, sum(flags), len(flags) - sum(flags))
        station_node = ctx.node(
            Kind.STATION, f"{groups[0][0]}派出所", county.bureau,
            code=f"{county.code}{index + 1:03d}000", rect=rect,
            duty_phone=ctx.phone_line(county.city.code),
        )  # fmt: skip
        station = Station(station_node, county, urban)
        county.stations.append(station)
        station_weight = (0.8 + 0.9 * town_share) * lognormal(rng, 0.3)
        station_grids: list[Grid] = []
        township_rects = tile(rect, [float(len(group[2])) for group in groups])
        for (stem, suffix, district_flags), township_rect in zip(
            groups, township_rects, strict=True
        ):
            level = {"街道": "street", "镇": "town", "乡": "township"}[suffix]
            names.counters[level] += 1
            township = ctx.node(Kind.TOWNSHIP, stem + suffix, county.division,
                                code=f"{county.code}{names.counters[level]:03d}",
                                rect=township_rect)  # fmt: skip
            counter = {"c": 0, "v": 199}
            district_rects = tile(township_rect, [lognormal(rng, 0.3) for _ in district_flags])
            for town, district_rect in zip(district_flags, district_rects, strict=True):
                _district(ctx, county, station, township, district_rect, town,
                          names.communities, counter, station_grids)  # fmt: skip
        for grid in station_grids:
            density = 1.5 if grid.urban else 0.8
            raw_weights.append(
                (grid, station_weight * density / len(station_grids) * lognormal(rng, 0.35))
            )
    total = sum(w for _, w in raw_weights)
    share = county.population / sum(data.POPULATION.values())
    for grid, weight in raw_weights:
        grid.population = share * weight / total
        busy = 1.5 if grid.urban else 0.75
        grid.incident_weight = grid.population * busy * lognormal(rng, 0.7)
        grid.dispute_weight = grid.population * (1.0 if grid.urban else 1.15) * lognormal(rng, 0.4)
    # Some districts are hot spots as a whole (a night-life quarter, a railway station).
    for station in county.stations:
        for district in station.districts:
            heat = lognormal(rng, 0.45)
            for grid in district.grids:
                grid.incident_weight *= heat


class _CountyNames:
    """Names and statistical-code counters used within one county."""

    def __init__(self) -> None:
        self.townships: set[str] = set()
        self.communities: set[str] = set()
        # NBS township codes: 街道 001–099, 镇 100–199, 乡 200–299.
        self.counters = {"street": 0, "town": 99, "township": 199}


def _townships(
    ctx: Context, county: County, names: _CountyNames, index: int, town: int, country: int
) -> list[tuple[str, str, list[bool]]]:
    """A station's townships as (stem, suffix, its districts' town flags): its town
    districts in one or two 街道 (a county's first station: 城关镇), its village
    districts in a 镇, sometimes with a 乡."""
    rng, groups = ctx.rng, []
    if town:
        if county.name.endswith("县") and index == 0:
            names.townships.add("城关")
            groups.append(("城关", "镇", [True] * town))
        elif town >= 4 and rng.random() < 0.25:
            first = town // 2
            groups.append((ctx.names.place(names.townships, ""), "街道", [True] * first))
            groups.append((ctx.names.place(names.townships, ""), "街道", [True] * (town - first)))
        else:
            groups.append((ctx.names.place(names.townships, ""), "街道", [True] * town))
    if country:
        if country >= 2 and rng.random() < 0.35:
            first = country // 2 + country % 2
            groups.append((ctx.names.place(names.townships, ""), "镇", [False] * first))
            groups.append((ctx.names.place(names.townships, ""), "乡", [False] * (country - first)))
        else:
            groups.append((ctx.names.place(names.townships, ""), "镇", [False] * country))
    return groups


def _split(total: int, parts: int) -> list[int]:
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def _district(
    ctx: Context,
    county: County,
    station: Station,
    township: Node,
    rect: Rect,
    urban: bool,
    community_names: set[str],
    counter: dict[str, int],
    station_grids: list[Grid],
) -> None:
    rng, names = ctx.rng, ctx.names
    number = len(station.districts) + 1
    communities = rng.randint(1, 2) if urban else rng.randint(2, 4)
    stems = [names.place(community_names, "") for _ in range(communities)]
    suffix = "社区" if urban else "村"
    district_node = ctx.node(
        Kind.POLICE_DISTRICT, f"{stems[0]}{suffix}警务区", station.node,
        code=f"{station.node.code[:9]}{number:03d}", rect=rect,
    )  # fmt: skip
    district = District(district_node, station, urban)
    station.districts.append(district)
    if rng.random() < (0.5 if urban else 0.3):
        ctx.node(Kind.POLICE_ROOM, f"{stems[0]}{suffix}警务室", district_node,
                 code=district_node.code, duty_phone=ctx.phone_line(county.city.code))  # fmt: skip
    for stem, community_rect in zip(
        stems, tile(rect, [lognormal(rng, 0.3) for _ in stems]), strict=True
    ):
        counter["c" if urban else "v"] += 1
        community = ctx.node(
            Kind.COMMUNITY, stem + suffix, township,
            code=f"{township.code}{counter['c' if urban else 'v']:03d}", rect=community_rect,
        )  # fmt: skip
        district.communities.append(community)
        ctx.covers_sink.add((district_node.id, community.id))
        grid_count = rng.randint(3, 6) if urban else rng.randint(1, 3)
        roads: set[str] = set()
        compounds: set[str] = set()
        for g, grid_rect in enumerate(tile(community_rect, [lognormal(rng, 0.3)] * grid_count)):
            grid_node = ctx.node(Kind.GRID, f"{community.name}第{g + 1}网格", community,
                                 code=f"{community.code}{g + 1:03d}", rect=grid_rect)  # fmt: skip
            ctx.covers_sink.add((district_node.id, grid_node.id))
            if urban:
                road = names.road(roads)
                own = [names.compound(compounds) for _ in range(rng.randint(1, 3))]
            else:
                road, own = f"{data.VILLAGE_GROUPS[g % len(data.VILLAGE_GROUPS)]}社", []
            grid = Grid(grid_node, community, district, urban, road, own, 0.0, 0.0, 0.0)
            grid.layout = _layout(rng, urban)
            district.grids.append(grid)
            station_grids.append(grid)
            ctx.grids.append(grid)


def _layout(rng: random.Random, urban: bool) -> tuple[int, int, int, float, float, int]:
    """How a grid's addresses are numbered (see :class:`Grid`)."""
    if urban:
        return (rng.choice((2, 2, 3, 4)), rng.choice((6, 6, 7, 11, 18)), rng.choice((1, 2, 3)),
                rng.random(), rng.random(), 2 * rng.randrange(80) + 1)  # fmt: skip
    return (1, 1, 1, rng.random(), rng.random(), 1)


# --- staff -------------------------------------------------------------------------------

_USER_COLUMNS = ("id", "password", "last_login", "is_superuser", "username", "email",
                 "is_staff", "is_active", "date_joined", "full_name", "role", "jurisdiction_id",
                 "staff_kind", "post", "badge_number", "id_number", "phone", "version")  # fmt: skip


class _Staff:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.ids = Ids(User)
        self.sink = Sink(User, _USER_COLUMNS, ctx.rows)
        self.badge = 100_000
        self.aux_badge = 100_000
        self.per_unit: dict[int, int] = {}
        self.stamp = ctx.clock.stamp(ctx.start_ts)
        self.police = 0
        self.auxiliaries = 0

    def add(self, unit: Node, role: str, post: str, county: str, *, auxiliary: bool = False) -> int:
        ctx, rng = self.ctx, self.ctx.rng
        pk = self.ids.one()
        number = self.per_unit[unit.id] = self.per_unit.get(unit.id, 0) + 1
        if auxiliary:
            self.aux_badge += 1
            badge, kind = f"F{self.aux_badge}", StaffKind.AUXILIARY
            self.auxiliaries += 1
        else:
            self.badge += 1
            badge, kind = f"{self.badge}", StaffKind.POLICE
            self.police += 1
        age = rng.randint(23, 58) if not auxiliary else rng.randint(20, 45)
        birth = dt.date(ctx.until.year - age, 1, 1) + dt.timedelta(days=rng.randrange(365))
        male = rng.random() < (0.82 if not auxiliary else 0.7)
        id_number = ctx.staff_ids.make(county, birth, male, False)
        password = "!" + f"{rng.getrandbits(160):040x}"  # unusable: no login until reset
        self.sink.add((pk, password, None, False, f"{USERNAME_PREFIX}{unit.code}-{number:03d}",
                       "", False, True, self.stamp, ctx.people.name(county), role, unit.id,
                       kind, post, badge, id_number, ctx.people.phone(), 1))  # fmt: skip
        return pk


def _staff(ctx: Context) -> None:
    """Police and auxiliaries of every unit. Stations: leadership, command room, office,
    case officers, and community officers in the police districts (none in a few, two or
    three in about one in ten); county bureaus: headquarters and 警种 sized as a share of
    their stations' police that leaves some bureaus under the 40 % rule."""
    rng = ctx.rng
    staff = _Staff(ctx)
    province_station_police = 0
    for number, county in enumerate(ctx.counties, start=1):
        code = county.code
        station_police = 0
        for station in county.stations:
            node, districts = station.node, station.districts
            leaders = 2 + (1 if len(districts) >= 6 else 0)
            others = [(Role.STATION_CHIEF, Post.LEADERSHIP)] * leaders
            others += [(Role.COMMAND_ROOM, Post.COMMAND)] * (1 + (1 if station.urban else 0))
            others += [(Role.COMMAND_ROOM, Post.OFFICE)] * (1 if rng.random() < 0.85 else 0)
            case = max(
                1, round(len(districts) * rng.uniform(0.1, 0.55) * (1.3 if station.urban else 1))
            )
            others += [(Role.CASE_OFFICER, Post.CASE)] * case
            for role, post in others:
                staff.add(node, role, post, code)
            station_police += len(others)
            for _ in range(rng.randint(1, 4)):
                staff.add(node, Role.COMMAND_ROOM, Post.OTHER, code, auxiliary=True)
            for district in districts:
                roll = rng.random()
                officers = 0 if roll < 0.07 else 2 if roll < 0.16 else 3 if roll < 0.175 else 1
                for _ in range(officers):
                    district.officers.append(
                        staff.add(district.node, Role.COMMUNITY_OFFICER, Post.COMMUNITY, code)
                    )
                station_police += officers
                for _ in range(rng.randint(1, 3) if district.urban else rng.randint(0, 2)):
                    staff.add(district.node, Role.COMMUNITY_OFFICER, Post.COMMUNITY, code,
                              auxiliary=True)  # fmt: skip
        province_station_police += station_police
        # The bureau's own force: most bureaus keep stations at 40 % or more, some do not.
        ratio = rng.uniform(0.75, 1.4) if rng.random() < 0.8 else rng.uniform(1.6, 2.4)
        _headquarters(staff, county.bureau, ctx.units.get(county.bureau.id, {}),
                      round(station_police * ratio), code, data.COUNTY_UNITS)  # fmt: skip
        ctx.progress("staff", number, len(ctx.counties) + 1)
    for city_code, bureau in ctx.city_bureaus.items():
        if city_code in data.CITY_WITHOUT_COUNTIES:
            continue  # its stations hang here: staffed above as its own county bureau
        region = next(c.code for c in ctx.counties if c.city.code == city_code)
        size = max(12, round(province_station_police / len(ctx.city_bureaus) * 0.12))
        _headquarters(staff, bureau, ctx.units[bureau.id], size, region, data.CITY_UNITS)
    if ctx.department is None:
        raise ValueError("the tree stage plans the department first")
    _headquarters(staff, ctx.department, ctx.units[ctx.department.id],
                  max(20, round(province_station_police * 0.03)), "620102",
                  [(n, 1 / len(data.DEPARTMENT_UNITS)) for n in data.DEPARTMENT_UNITS])  # fmt: skip
    staff.sink.flush()
    ctx.report.counts.update(police=staff.police, auxiliaries=staff.auxiliaries)
    ctx.progress("staff", len(ctx.counties) + 1, len(ctx.counties) + 1)


def _headquarters(
    staff: _Staff,
    bureau: Node,
    units: dict[str, Node],
    size: int,
    county: str,
    shares: list[tuple[str, float]],
) -> None:
    """A bureau's leadership, command centre and office at the bureau itself, the rest
    in its 警种 (at least one each), with auxiliaries mostly in traffic."""
    rng = staff.ctx.rng
    leaders = 2 + min(3, size // 40)
    command = max(1, round(size * 0.08))
    office = max(1, round(size * 0.07))
    head_role = Role.ADMIN if bureau.parent is None else Role.ANALYST
    posts = [(head_role, Post.LEADERSHIP, leaders), (Role.COMMAND_ROOM, Post.COMMAND, command),
             (Role.ANALYST, Post.OFFICE, office)]  # fmt: skip
    for role, post, count in posts:
        for _ in range(count):
            staff.add(bureau, role, post, county)
    rest = max(len(units), size - leaders - command - office)
    weights = [share or 1.0 for _, share in shares]
    total = sum(weights)
    for (name, _), weight in zip(shares, weights, strict=True):
        unit = units.get(name[:2])
        if unit is None:
            continue
        count = max(1, round(rest * weight / total))
        for _ in range(count):
            staff.add(unit, Role.UNIT_LIAISON, Post.SPECIALIST, county)
        auxiliaries = round(
            count * (1.2 if name.startswith("交警") else 0.3) * rng.uniform(0.6, 1.2)
        )
        for _ in range(auxiliaries):
            staff.add(unit, Role.UNIT_LIAISON, Post.OTHER, county, auxiliary=True)


def _rollups(ctx: Context) -> None:
    from fengqiao.registry import population
    from fengqiao.rollups import store as rollups

    names = list(rollups.FACTS)
    done: list[str] = []

    def step(fact: str) -> None:
        ctx.progress("rollups", len(done), len(names))
        done.append(fact)

    written = rollups.rebuild(progress=step)
    ctx.rows["scoring_rollup"] = written
    ctx.progress("rollups", len(names), len(names))
    ctx.rows["registry_districtpopulation"] = population.recount()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh statistics for the dashboards' queries


# --- fingerprint ---------------------------------------------------------------------------


def fingerprint() -> str:
    """A SHA-256 over the generated rows, by their codes and contents (never database
    ids): two runs with the same seed, scale and ``until`` give the same value."""
    digest = hashlib.sha256()
    for line in _fingerprint_lines():
        digest.update(line.encode())
        digest.update(b"\n")
    return digest.hexdigest()


def _fingerprint_lines() -> Iterator[str]:
    from fengqiao.addresses.models import StandardAddress
    from fengqiao.disputes.models import DisputeCase, FollowUp
    from fengqiao.incidents.models import Deadline, Incident, SurveyResponse
    from fengqiao.registry.models import House, Person, Residence

    department = Jurisdiction.objects.filter(kind=Kind.POLICE_DEPARTMENT, code=DEPARTMENT_CODE)
    province = Jurisdiction.objects.filter(kind=Kind.PROVINCE, code=PROVINCE_CODE)
    roots = [n.path for n in [*department, *province]]
    for root in roots:
        rows = Jurisdiction.objects.filter(path__within=root).order_by("kind", "code", "name")
        for row in rows.values_list("kind", "code", "name", "depth", "parent__code",
                                    "duty_phone", "boundary"):  # fmt: skip
            yield repr(row[:-1]) + json.dumps(row[-1], sort_keys=True)
    covers = Jurisdiction.covers.through.objects.filter(from_jurisdiction__code__startswith="62")
    yield from map(repr, covers.order_by("from_jurisdiction__code", "to_jurisdiction__kind",
                                         "to_jurisdiction__code").values_list(
        "from_jurisdiction__code", "to_jurisdiction__kind", "to_jurisdiction__code"))  # fmt: skip
    users = User.objects.filter(username__startswith=USERNAME_PREFIX).order_by("username")
    yield from map(repr, users.values_list("username", "password", "full_name", "role", "post",
                                           "staff_kind", "jurisdiction__code", "badge_number",
                                           "id_number", "phone"))  # fmt: skip
    yield from _rows(StandardAddress.objects.filter(code__startswith="62").order_by("code"),
                     "code", "road", "door_number", "compound", "building", "unit", "floor",
                     "room", "full_text", "local_key", "latitude", "longitude", "status",
                     "community__code", "grid__code", "police_district__code")  # fmt: skip
    yield from _rows(House.objects.filter(address__code__startswith="62").order_by(
        "address__code"), "address__code", "owner_name", "owner_phone", "use", "area_m2",
        "rental_rooms")  # fmt: skip
    people = Person.objects.filter(police_district__code__startswith="62").order_by("id_number")
    yield from _rows(people, "id_number", "name", "phone", "household_type",
                     "police_district__code")  # fmt: skip
    yield from _rows(Residence.objects.filter(house__address__code__startswith="62").order_by(
        "person__id_number"), "person__id_number", "house__address__code", "relation",
        "moved_in", "status")  # fmt: skip
    incidents = Incident.objects.filter(jurisdiction__code__startswith="62")
    yield from _rows(incidents.order_by("tracking_code"), "tracking_code", "received_at",
                     "occurred_at", "source", "reporter_name", "reporter_phone", "location_text",
                     "description", "validity", "urgency", "status", "status_changed_at",
                     "case_number", "address__code", "category__code", "grid__code",
                     "jurisdiction__code", "transferred_to__code")  # fmt: skip
    yield from _rows(Deadline.objects.filter(incident__in=incidents).order_by(
        "incident__tracking_code", "rule__kind"), "incident__tracking_code", "rule__kind",
        "due_at", "met_at")  # fmt: skip
    surveys = SurveyResponse.objects.filter(incident__in=incidents)
    yield from _rows(surveys.order_by("incident__tracking_code"), "incident__tracking_code", "at",
                     "rating", "comment")  # fmt: skip
    disputes = DisputeCase.objects.filter(jurisdiction__code__startswith="62")
    yield from _rows(disputes.order_by("code"), "code", "category", "source", "track", "status",
                     "registered_at", "accepted_at", "due_at", "closed_at", "turned_criminal",
                     "amount", "address__code", "source_incident__tracking_code",
                     "narrative", "risk_level")  # fmt: skip
    yield from _rows(FollowUp.objects.filter(case__in=disputes).order_by("case__code", "due_on"),
                     "case__code", "due_on", "done_at", "method", "outcome", "satisfaction",
                     "visitor__username")  # fmt: skip


def _rows(queryset: Any, *fields: str) -> Iterator[str]:
    for row in queryset.values_list(*fields).iterator(chunk_size=5000):
        yield repr(tuple(str(value) for value in row))
