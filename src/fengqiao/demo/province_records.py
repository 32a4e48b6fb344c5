"""The records of the generated province (:mod:`fengqiao.demo.province`): standard
addresses, houses, people and residences, incidents with their clocks and surveys,
disputes with their follow-up visits. Each stage streams rows into bulk sinks.

An address is a pure function of its grid and its number in the grid (see
:func:`address_parts`), so incidents and disputes can name an address without the
millions of addresses being kept in memory: a grid keeps only its address ids."""

from __future__ import annotations

import datetime as dt
import math
import random
from array import array
from bisect import bisect
from collections.abc import Sequence
from typing import Any

from django.db.models import Max

from fengqiao.addresses import codes as address_codes
from fengqiao.addresses.models import AddressStatus, StandardAddress
from fengqiao.demo import province_data as data
from fengqiao.demo.province import (
    ADDRESSES,
    DISPUTES_PER_YEAR,
    INCIDENTS_PER_YEAR,
    LOCAL,
    PEOPLE,
    Context,
)
from fengqiao.demo.province_bulk import Ids, Sink, TrackingCodes, UniqueCodes
from fengqiao.demo.province_plan import County, Grid, cumulative, inside
from fengqiao.disputes import clocks as dispute_clocks
from fengqiao.disputes.models import DisputeCase, FollowUp
from fengqiao.incidents.models import Category, Deadline, DeadlineRule, Incident, SurveyResponse
from fengqiao.incidents.workflow import TERMINAL
from fengqiao.registry.models import House, HouseholdType, Person, Residence

DAY = 86_400
GOLDEN_U, GOLDEN_V = 0.6180339887, 0.7548776662  # low-discrepancy steps: spread points


def _round(rng: random.Random, value: float) -> int:
    """Stochastic rounding: the expected total is kept however small the parts."""
    whole = math.floor(value)
    return whole + (1 if rng.random() < value - whole else 0)


def _pick(rng: random.Random, items: Sequence[Any], cum: Sequence[float]) -> Any:
    return items[bisect(cum, rng.random() * cum[-1])]


def _weighted(pairs: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    return [item for item, _ in pairs], cumulative([weight for _, weight in pairs])


def _lognormal_seconds(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


# --- addresses ---------------------------------------------------------------------------


def address_parts(grid: Grid, k: int) -> tuple[str, str, str, str, str, str, str, float, float]:
    """The ``k``-th address of ``grid``: road, door number, compound, building, unit,
    floor, room, and the fractions placing it in the grid's outline. In town: flats
    numbered room → floor → unit → building, buildings dealt round the grid's compounds;
    in a village: houses along the village group (社)."""
    rooms, floors, units, su, sv, first_door = grid.layout
    if not grid.urban:
        return (grid.road, str(k + 1), "", "", "", "", "",
                (su + GOLDEN_U * (k + 1)) % 1.0, (sv + GOLDEN_V * (k + 1)) % 1.0)  # fmt: skip
    per_building = rooms * floors * units
    building_index, within = divmod(k, per_building)
    compound_index = building_index % len(grid.compounds)
    building = building_index // len(grid.compounds) + 1
    unit = within // (rooms * floors) + 1
    floor = (within // rooms) % floors + 1
    room = f"{floor}{within % rooms + 1:02d}"
    door = str(first_door + 2 * compound_index)
    return (grid.road, door, grid.compounds[compound_index], str(building),
            str(unit) if units > 1 else "", str(floor), room,
            (su + GOLDEN_U * (building_index + 1)) % 1.0,
            (sv + GOLDEN_V * (building_index + 1)) % 1.0)  # fmt: skip


def local_text(parts: Sequence[Any]) -> str:
    """As :attr:`StandardAddress.local_text` prints it."""
    road, door, compound, building, unit, floor, room = parts[:7]
    return "".join([
        road, f"{door}号" if door else "", compound, f"{building}栋" if building else "",
        f"{unit}单元" if unit else "", f"{floor}层" if floor and not room else "",
        f"{room}室" if room else "",
    ])  # fmt: skip


def full_text(county: County, grid: Grid, local: str) -> str:
    township = grid.community.parent
    return f"{county.address_prefix}{township.name if township else ''}{grid.community.name}{local}"


_ADDRESS_COLUMNS = ("id", "created_at", "updated_at", "version", "code", "road", "door_number",
                    "compound", "building", "unit", "floor", "room", "full_text", "local_key",
                    "latitude", "longitude", "status", "community_id", "grid_id",
                    "police_district_id", "successor_id")  # fmt: skip


def addresses(ctx: Context) -> None:
    """标准地址 in every grid, as many as its share of the people; codes continue the
    county's serials (after any addresses already there)."""
    rng = ctx.rng
    target = max(1, round(ADDRESSES * ctx.scale))
    ids = Ids(StandardAddress)
    sink = Sink(StandardAddress, _ADDRESS_COLUMNS, ctx.rows)
    stamp = ctx.clock.stamp(ctx.start_ts)
    done = 0
    for county in ctx.counties:
        last = StandardAddress.objects.filter(code__startswith=county.code).aggregate(
            m=Max("code")
        )["m"]
        serial = _decode_serial(last[6:-1]) if last else 0
        for station in county.stations:
            for district in station.districts:
                for grid in district.grids:
                    count = max(1, _round(rng, target * grid.population))
                    serial = _grid_addresses(sink, ids, county, grid, count, serial, stamp)
                    done += count
            ctx.progress("addresses", min(done, target), target)
    sink.flush()
    ctx.report.counts["addresses"] = done
    ctx.progress("addresses", target, target)


def _grid_addresses(
    sink: Sink, ids: Ids, county: County, grid: Grid, count: int, serial: int, stamp: str | None
) -> int:
    """Write a grid's ``count`` addresses; returns the county's last serial."""
    grid.addresses = count
    grid.address_ids = array("q")
    rect = grid.node.rect or (0.0, 0.0, 0.0, 0.0)
    for k in range(count):
        pk = ids.one()
        grid.address_ids.append(pk)
        parts = address_parts(grid, k)
        local = local_text(parts)
        serial += 1
        lng, lat = inside(rect, parts[7], parts[8])
        code = address_codes.make_code(county.code, serial)
        sink.add((pk, stamp, stamp, 1, code, *parts[:7], full_text(county, grid, local), local,
                  lat, lng, AddressStatus.ACTIVE.value, grid.community.id, grid.node.id,
                  grid.district.node.id, None))  # fmt: skip
    return serial


def _decode_serial(text: str) -> int:
    number = 0
    for char in text:
        number = number * 31 + address_codes.ALPHABET.index(char)
    return number


# --- houses, people, residences ---------------------------------------------------------

_HOUSE_COLUMNS = ("id", "created_at", "updated_at", "version", "address_id", "owner_name",
                  "owner_phone", "use", "area_m2", "rental_rooms", "rented_since", "landlord_id",
                  "landlord_is_guardian", "guardian_account_id")  # fmt: skip
_PERSON_COLUMNS = ("id", "created_at", "updated_at", "version", "name", "id_number", "phone",
                   "household_type", "police_district_id", "note")  # fmt: skip
_RESIDENCE_COLUMNS = ("created_at", "updated_at", "version", "person_id", "house_id",
                      "relation", "moved_in", "moved_out", "status", "registered_by_id",
                      "reviewed_by_id", "review_note")  # fmt: skip
# Ages 0–94 by five-year band (a western-China pyramid: the working ages widest).
AGE_BANDS = [5.5, 6.5, 6.2, 5.6, 5.2, 6.5, 8.2, 7.0, 6.8, 8.3, 8.6, 7.2, 5.0, 5.0, 3.5, 2.2, 1.3,
             0.6, 0.2]  # fmt: skip
HOUSEHOLD_URBAN = [(1, 0.2), (2, 0.3), (3, 0.28), (4, 0.14), (5, 0.06), (6, 0.02)]
HOUSEHOLD_RURAL = [(1, 0.1), (2, 0.2), (3, 0.22), (4, 0.22), (5, 0.16), (6, 0.1)]
USE_URBAN = [("self", 0.72), ("rental", 0.14), ("shop", 0.05), ("vacant", 0.07), ("other", 0.02)]
USE_RURAL = [("self", 0.85), ("rental", 0.04), ("shop", 0.03), ("vacant", 0.07), ("other", 0.01)]


def people(ctx: Context) -> None:
    """One house (实有房屋) per address, and the people (实有人口) living in the
    occupied ones with their residences: owners' families mostly 户籍人口, tenants 暂住 or
    流动 and registered elsewhere."""
    rng, clock = ctx.rng, ctx.clock
    target = max(1, round(PEOPLE * ctx.scale))
    person_ids, house_ids = Ids(Person), Ids(House)
    houses = Sink(House, _HOUSE_COLUMNS, ctx.rows)
    persons = Sink(Person, _PERSON_COLUMNS, ctx.rows)
    residences = Sink(Residence, _RESIDENCE_COLUMNS, ctx.rows)
    stamp = clock.stamp(ctx.start_ts)
    ages = list(range(len(AGE_BANDS)))
    age_cum = cumulative(AGE_BANDS)
    sizes = {True: _weighted(HOUSEHOLD_URBAN), False: _weighted(HOUSEHOLD_RURAL)}
    uses = {True: _weighted(USE_URBAN), False: _weighted(USE_RURAL)}
    gansu = sorted(data.POPULATION)
    id_numbers = ctx.person_ids
    id_numbers.avoid = _existing_id_numbers([*gansu, *data.OUTSIDE_REGIONS])
    until = ctx.until
    done = 0
    for county in ctx.counties:
        id_numbers.start_county(county.index)
        for station in county.stations:
            for district in station.districts:
                for grid in district.grids:
                    quota = _round(rng, target * grid.population)
                    use_items, use_cum = uses[grid.urban]
                    size_items, size_cum = sizes[grid.urban]
                    plan = []
                    for _k in range(grid.addresses):
                        use = _pick(rng, use_items, use_cum)
                        size = _pick(rng, size_items, size_cum) if use in ("self", "rental") else 0
                        plan.append((use, size))
                    wanted = sum(size for _, size in plan) or 1
                    factor = quota / wanted
                    for k, (use, size) in enumerate(plan):
                        house = house_ids.one()
                        rental = use == "rental"
                        members = _round(rng, size * factor)
                        head_name = ctx.people.name(county.code)
                        head_phone = ctx.people.phone()
                        area = round(
                            rng.uniform(45, 140) if grid.urban else rng.uniform(80, 320), 2
                        )
                        since = clock.day(until - dt.timedelta(days=rng.randrange(30, 2000)))
                        houses.add((house, stamp, stamp, 1, grid.address_ids[k],
                                    head_name if not rental else ctx.people.name(county.code),
                                    head_phone if not rental else ctx.people.phone(), use, area,
                                    rng.randint(1, 3) if rental else None,
                                    since if rental else None, None, False, None))  # fmt: skip
                        for member in range(members):
                            age = 5 * _pick(rng, ages, age_cum) + rng.randrange(5)
                            if member == 0:
                                age = max(age, rng.randint(20, 40))
                            birth = dt.date(until.year - age, 1, 1) + dt.timedelta(
                                days=rng.randrange(365)
                            )
                            if birth > until:
                                birth = birth.replace(year=birth.year - 1)
                            male = rng.random() < 0.51
                            if rental:
                                kind = (HouseholdType.TEMPORARY if rng.random() < 0.55
                                        else HouseholdType.FLOATING)  # fmt: skip
                            elif rng.random() < 0.06:
                                kind = HouseholdType.TEMPORARY
                            else:
                                kind = HouseholdType.REGISTERED
                            local = kind == HouseholdType.REGISTERED
                            if local:
                                region = county.code
                            elif rng.random() < 0.65:
                                region = rng.choice(gansu)
                            else:
                                region = rng.choice(data.OUTSIDE_REGIONS)
                            person = person_ids.one()
                            name = head_name if member == 0 else ctx.people.name(county.code)
                            phone = ""
                            if age >= 16 and rng.random() < 0.88:
                                phone = head_phone if member == 0 else ctx.people.phone()
                            persons.add((person, stamp, stamp, 1, name,
                                         id_numbers.make(region, birth, male, local), phone,
                                         kind.value, district.node.id, ""))  # fmt: skip
                            earliest = max(birth.toordinal(), until.toordinal() - 30 * 365)
                            moved_in = dt.date.fromordinal(
                                rng.randint(earliest, max(earliest, until.toordinal() - 1))
                            )
                            relation = (
                                "tenant" if rental else ("owner" if member == 0 else "family")
                            )
                            residences.add((stamp, stamp, 1, person, house, relation,
                                            clock.day(moved_in), None, "approved", None, None,
                                            ""))  # fmt: skip
                        done += members
                    ctx.progress("people", min(done, target), target)
    houses.flush()
    persons.flush()
    residences.flush()
    ctx.report.counts["people"] = done
    ctx.progress("people", target, target)


def _existing_id_numbers(regions: Sequence[str]) -> set[str]:
    """ID numbers of the regions the generator uses that are already registered (by
    imports or by hand), so no generated number clashes with one."""
    if not Person.objects.exists():
        return set()
    found: set[str] = set()
    for region in regions:
        found.update(
            Person.objects.filter(id_number__startswith=region).values_list("id_number", flat=True)
        )
    return found


# --- incidents -----------------------------------------------------------------------------

_INCIDENT_COLUMNS = ("id", "created_at", "updated_at", "version", "tracking_code",
                     "received_at", "occurred_at", "source", "reporter_name", "reporter_phone",
                     "location_text", "description", "validity", "urgency", "status",
                     "status_changed_at", "case_number", "address_id", "category_id", "grid_id",
                     "received_by_id", "suggested_category_id", "transferred_to_id",
                     "jurisdiction_id")  # fmt: skip
_DEADLINE_COLUMNS = ("incident_id", "rule_id", "jurisdiction_id", "due_at", "met_at")
_SURVEY_COLUMNS = ("incident_id", "at", "rating", "comment")
SURVEY_COMMENTS = {
    "dissatisfied": ["出警太慢", "没有解决问题", "处理结果不满意"],
    "fairly": ["", "", "希望加强巡逻"],
    "satisfied": ["", "", "", "民警很负责，谢谢"],
}


def _day_counts(ctx: Context, total: int, trend: float, months: Sequence[float]) -> list[int]:
    """How many records fall on each local day: a season, a weekly rhythm, a trend over
    the years and a little noise, allocated so the days sum to ``total``."""
    rng = ctx.rng
    days = (ctx.end_day - ctx.start_day).days
    weights = []
    for offset in range(days):
        day = ctx.start_day + dt.timedelta(days=offset)
        years = offset / 365.25
        weights.append(
            data.MONTH_VOLUME[day.month - 1] * months[day.month - 1]
            * data.WEEKDAY_VOLUME[day.weekday()] * (1 + trend) ** years
            * math.exp(rng.gauss(0, 0.06))
        )  # fmt: skip
    scale = total / sum(weights)
    counts, carried, running = [], 0, 0.0
    for weight in weights:
        running += weight * scale
        whole = round(running)
        counts.append(whole - carried)
        carried = whole
    return counts


class _Rules:
    """The active deadline rules as rules_for applies them, without a query each."""

    def __init__(self) -> None:
        self.rules = list(DeadlineRule.objects.filter(active=True).order_by("pk"))
        self.stops = {rule.pk: set(rule.stop_statuses) | set(TERMINAL) for rule in self.rules}

    def applying(
        self, category: int, parent: int, received: float, occurred: float | None
    ) -> list[DeadlineRule]:
        found = []
        for rule in self.rules:
            if rule.category_id not in (None, category, parent):
                continue
            window = rule.reported_within_minutes
            if window is not None and (occurred is None or received - occurred > window * 60):
                continue
            found.append(rule)
        return found


def incidents(ctx: Context) -> None:
    """警情 day by day: the day's volume, then for each call a category (the day's mix,
    with 刑事 falling year on year), an hour (the category's rhythm), a grid (hot spots) and
    an address (a few addresses call again and again), a source, and a handling history
    played forward until the data set's end — which sets the status, the clocks and,
    for some closed ones, the reporter's survey."""
    from fengqiao.incidents.data import training

    rng, clock = ctx.rng, ctx.clock
    years = (ctx.end_day - ctx.start_day).days / 365.25
    target = max(1, round(INCIDENTS_PER_YEAR * ctx.scale * years))
    counts = _day_counts(ctx, target, -0.02, [1.0] * 12)
    categories = {c.code: c for c in Category.objects.all()}
    rules = _Rules()
    ids = Ids(Incident)
    sink = Sink(Incident, _INCIDENT_COLUMNS, ctx.rows)
    deadlines = Sink(Deadline, _DEADLINE_COLUMNS, ctx.rows)
    surveys = Sink(SurveyResponse, _SURVEY_COLUMNS, ctx.rows)
    tracking = TrackingCodes(ctx.rng.randrange(1, 31**9), ctx.rng.randrange(31**9))
    codes = UniqueCodes(tracking.next, Incident, "tracking_code")
    ctx.tracking = tracking
    grids = ctx.grids
    grid_cum = cumulative([g.incident_weight for g in grids])
    county_of = {id(s): c for c in ctx.counties for s in c.stations}
    text_rng = random.Random(ctx.seed + 1)
    texts = {code: [training._describe(text_rng.choice(training.TEMPLATES[code]), code, text_rng)
                    for _ in range(48)] for code in training.SUBTYPES}  # fmt: skip
    subtypes = {top: _weighted(pairs) for top, pairs in data.INCIDENT_SUBTYPES.items()}
    hours = {top: cumulative(data.HOUR_PROFILE.get(top, data.HOURS_DAY))
             for top in data.INCIDENT_MIX}  # fmt: skip
    sources, source_cum = _weighted(data.INCIDENT_SOURCES)
    tops = list(data.INCIDENT_MIX)
    case_numbers: dict[tuple[str, int], int] = {}
    ctx.to_dispute = []
    end = ctx.end_ts
    for offset, count in enumerate(counts):
        day_start = ctx.start_ts + offset * DAY
        day = ctx.start_day + dt.timedelta(days=offset)
        elapsed = offset / 365.25
        mix = cumulative([
            data.INCIDENT_MIX[top] * (1 + data.INCIDENT_TREND.get(top, 0.0)) ** elapsed
            * data.MONTH_EXTRA.get(top, [1.0] * 12)[day.month - 1]
            for top in tops
        ])  # fmt: skip
        for _ in range(count):
            top = _pick(rng, tops, mix)
            code = _pick(rng, *subtypes[top])
            category = categories[code]
            received = day_start + 3600 * _pick(rng, range(24), hours[top]) + rng.randrange(3600)
            grid = _pick(rng, grids, grid_cum)
            k = min(grid.addresses - 1, int(grid.addresses * rng.random() ** 2.2))
            source = _pick(rng, sources, source_cum)
            occurred = _occurred(rng, top, received)
            history, case_registered, target_status = _history(
                rng, top, code, source, grid, received
            )
            status, changed = "received", received
            for step_status, at in history:
                if at <= end:
                    status, changed = step_status, at
            pk = ids.one()
            county = county_of[id(grid.district.station)]
            case_number = ""
            if case_registered is not None and case_registered <= end:
                year = dt.datetime.fromtimestamp(case_registered, LOCAL).year
                key = (county.code, year)
                case_numbers[key] = case_numbers.get(key, 0) + 1
                case_number = f"A{county.code}{year}{case_numbers[key]:06d}"
            transferred_to = None
            if status == "transferred":
                transferred_to = _transfer_unit(ctx, county, top, grid)
            urgency = _urgency(rng, top, code)
            has_reporter = source not in ("video_patrol", "transfer")
            name = ctx.people.name(county.code) if has_reporter and rng.random() < 0.85 else ""
            phone = ctx.people.phone() if has_reporter and rng.random() < 0.9 else ""
            parts = address_parts(grid, k)
            location = f"{grid.community.name}{local_text(parts)}"
            validity = "invalid" if status == "invalid" else "valid"
            address_id = grid.address_ids[k]
            received_stamp = clock.stamp(received)
            sink.add((pk, received_stamp, clock.stamp(changed), 1, codes.next(), received_stamp,
                      clock.stamp(occurred), source, name, phone, location[:200],
                      rng.choice(texts[code]), validity, urgency, status, clock.stamp(changed),
                      case_number, address_id, category.pk, grid.node.id, None, None,
                      transferred_to, grid.district.node.id))  # fmt: skip
            reached = [(s, at) for s, at in history if at <= end]
            for rule in rules.applying(category.pk, category.parent_id or 0, received, occurred):
                stops = rules.stops[rule.pk]
                met = next((at for s, at in reached if s in stops), None)
                due = clock.stamp(received + rule.minutes * 60)
                deadlines.add((pk, rule.pk, grid.district.node.id, due, clock.stamp(met)))
            if status == "closed" and phone and rng.random() < 0.25:
                answered = changed + _lognormal_seconds(rng, DAY, 0.8)
                if answered <= end:
                    rating = _rating(rng, top)
                    surveys.add((pk, clock.stamp(answered), rating,
                                 rng.choice(SURVEY_COMMENTS[rating])))  # fmt: skip
            if target_status == "to_dispute" and status in ("to_dispute", "closed"):
                at_dispute = next(at for s, at in history if s == "to_dispute")
                ctx.to_dispute.append((pk, grid, k, at_dispute, code))
        ctx.progress("incidents", offset + 1, len(counts))
    sink.flush()
    deadlines.flush()
    surveys.flush()
    ctx.report.counts["incidents"] = sum(counts)


def _occurred(rng: random.Random, top: str, received: float) -> float | None:
    if top == "08":
        return None
    if top in ("01", "02"):  # crimes are often found or reported late
        return received - _lognormal_seconds(rng, 40 * 60, 1.3)
    return received - rng.uniform(60, 20 * 60)


def _urgency(rng: random.Random, top: str, code: str) -> str:
    serious = top == "04" or code in ("0302", "0602", "0104", "0105")
    roll = rng.random()
    if serious:
        return "critical" if roll < 0.12 else "urgent" if roll < 0.6 else "normal"
    return "critical" if roll < 0.01 else "urgent" if roll < 0.1 else "normal"


def _rating(rng: random.Random, top: str) -> str:
    roll = rng.random()
    satisfied, fairly = (0.8, 0.94) if top == "01" else (0.9, 0.98)
    return "satisfied" if roll < satisfied else "fairly" if roll < fairly else "dissatisfied"


def _history(
    rng: random.Random, top: str, code: str, source: str, grid: Grid, received: float
) -> tuple[list[tuple[str, float]], float | None, str]:
    """The statuses an incident goes through and when (played past the data set's end;
    the caller keeps what happened before it), when it was registered as a case, and
    where it ends."""
    minute, hour = 60.0, 3600.0
    invalid_share = 0.6 if top == "08" else 0.03
    roll = rng.random()
    if roll < invalid_share:
        return [("invalid", received + _lognormal_seconds(rng, 3 * minute, 0.6))], None, "invalid"
    if roll < invalid_share + 0.03:
        moment = received + _lognormal_seconds(rng, 4 * minute, 0.6)
        return [("transferred", moment)], None, "transferred"
    steps: list[tuple[str, float]] = []
    t = received
    if source in ("walk_in", "online") and top not in ("04", "03"):
        # At the station's desk: an officer is assigned and takes the report at once.
        t += _lognormal_seconds(rng, 1.5 * minute, 0.5)
        steps.append(("dispatched", t))
        t += _lognormal_seconds(rng, 3 * minute, 0.5)
        steps.append(("on_scene", t))
    else:
        linked = top == "04" or code == "0602"
        t += _lognormal_seconds(rng, 2.3 * minute, 0.55)
        steps.append(("linked" if linked else "dispatched", t))
        travel = 9 * minute if grid.urban else 15 * minute
        t += _lognormal_seconds(rng, travel, 0.45)
        steps.append(("on_scene", t))
    case_registered = None
    if top == "01" and rng.random() < 0.85:
        median = 2.2 * hour if code == "0101" else 6 * hour
        t += _lognormal_seconds(rng, median, 0.8)
        steps.append(("case_registered", t))
        case_registered = t
        if rng.random() < 0.45:  # solved and closed weeks later; the rest stay open
            steps.append(("closed", t + _lognormal_seconds(rng, 20 * DAY, 0.9)))
        return steps, case_registered, "case_registered"
    if top == "05" and rng.random() < 0.25:
        t += _lognormal_seconds(rng, 50 * minute, 0.6)
        steps.append(("to_dispute", t))
        steps.append(("closed", t + _lognormal_seconds(rng, 2 * DAY, 0.7)))
        return steps, None, "to_dispute"
    t += _lognormal_seconds(rng, 50 * minute, 0.7)
    steps.append(("handled", t))
    steps.append(("closed", t + _lognormal_seconds(rng, 20 * hour, 1.0)))
    return steps, None, "closed"


def _transfer_unit(ctx: Context, county: County, top: str, grid: Grid) -> int:
    """Where a transferred call went: the 警种 of the category, else a neighbouring station."""
    units = ctx.units.get(county.bureau.id, {})
    wanted = {"01": "刑侦", "03": "交警", "02": "治安"}.get(top)
    if wanted and wanted in units:
        return units[wanted].id
    others = [s for s in county.stations if s is not grid.district.station]
    if others:
        return ctx.rng.choice(others).node.id
    return county.bureau.id


# --- disputes ----------------------------------------------------------------------------

_DISPUTE_COLUMNS = ("created_at", "updated_at", "version", "code", "location_text", "category",
                    "source", "referred_by", "track", "status", "status_changed_at",
                    "narrative", "amount", "languages", "registered_at", "accepted_at",
                    "due_at", "extended_days", "suspended_at", "closed_at", "offence",
                    "risk_score", "risk_level", "risk_reasons", "risk_computed_at",
                    "turned_criminal", "prevented_people", "address_id", "jurisdiction_id",
                    "registered_by_id", "source_incident_id", "screening_round_id",
                    "id")  # fmt: skip
_FOLLOW_UP_COLUMNS = ("created_at", "updated_at", "case_id", "due_on", "done_at", "method",
                      "outcome", "satisfaction", "note", "visitor_id")  # fmt: skip
MONEY_CATEGORIES = frozenset({"contract", "business", "damages", "labour", "traffic",
                              "consumer", "medical", "expropriation", "housing_land"})  # fmt: skip
POLICE_TRACK = {"neighbours": 0.22, "damages": 0.3, "marriage_family": 0.12, "traffic": 0.2}
OFFENCES = ["殴打他人（情节较轻）", "故意损毁财物（情节较轻）", "寻衅滋事（情节较轻）"]


def disputes(ctx: Context) -> None:
    """矛盾纠纷: about 30 % from the incidents handed to mediation, the rest walk-ins,
    volunteers' reports, 12348, courts and petitions; categories as the people's-
    mediation statistics count them (more land disputes in villages, more property
    management in town); mostly resolved, about 0.5 % turned criminal; resolved cases
    visited after 7 and 30 days, most visits done and rated."""
    rng, clock = ctx.rng, ctx.clock
    years = (ctx.end_day - ctx.start_day).days / 365.25
    target = max(1, round(DISPUTES_PER_YEAR * ctx.scale * years))
    from_incidents = min(len(ctx.to_dispute), round(target * 0.3))
    chosen = rng.sample(range(len(ctx.to_dispute)), from_incidents)
    counts = _day_counts(ctx, target - from_incidents, -0.03, data.MONTH_EXTRA["05"])
    ids = Ids(DisputeCase)
    sink = Sink(DisputeCase, _DISPUTE_COLUMNS, ctx.rows)
    visits = Sink(FollowUp, _FOLLOW_UP_COLUMNS, ctx.rows)
    # The incidents' permutation, far along: dispute codes never repeat an incident's.
    first = ctx.tracking or TrackingCodes(ctx.rng.randrange(1, 31**9), ctx.rng.randrange(31**9))
    tracking = TrackingCodes(first.multiplier, first.offset, start=2 * 10**13)
    codes = UniqueCodes(tracking.next, DisputeCase, "code")
    grids = ctx.grids
    grid_cum = cumulative([g.dispute_weight for g in grids])
    county_of = {id(s): c for c in ctx.counties for s in c.stations}
    mixes = {}
    for urban in (True, False):
        tweak = data.DISPUTE_URBAN if urban else data.DISPUTE_RURAL
        mixes[urban] = _weighted([(c, w * tweak.get(c, 1.0)) for c, w in data.DISPUTE_MIX.items()])
    sources, source_cum = _weighted([p for p in data.DISPUTE_SOURCES if p[0] != "incident"])
    incident_category = {
        "0501": "marriage_family", "0502": "neighbours", "0503": "contract", "0504": "labour",
        "0505": "property_management", "0506": "other",
    }  # fmt: skip
    cases: list[tuple[float, Grid, int, str, str, int | None]] = []
    for index in chosen:
        incident_id, grid, k, at, code = ctx.to_dispute[index]
        registered = min(at + rng.uniform(600, 4 * 3600), ctx.end_ts - 60)
        cases.append((registered, grid, k, incident_category.get(code, "other"), "incident",
                      incident_id))  # fmt: skip
    for offset, count in enumerate(counts):
        day_start = ctx.start_ts + offset * DAY
        for _ in range(count):
            grid = _pick(rng, grids, grid_cum)
            k = rng.randrange(grid.addresses)
            category = _pick(rng, *mixes[grid.urban])
            registered = day_start + rng.uniform(8 * 3600, 19 * 3600)
            cases.append((registered, grid, k, category, _pick(rng, sources, source_cum), None))
    cases.sort(key=lambda case: (case[0], case[1].node.id, case[2]))
    end = ctx.end_ts
    for number, (registered, grid, k, category, source, incident) in enumerate(cases, start=1):
        county = county_of[id(grid.district.station)]
        district = grid.district
        pk = ids.one()
        track = "police" if rng.random() < POLICE_TRACK.get(category, 0.0) else "people"
        roll = rng.random()
        accepted: float | None = registered + _lognormal_seconds(rng, 4 * 3600, 0.8)
        if roll < 0.01:
            outcome, accepted = "withdrawn", None
        elif roll < 0.02:
            outcome, accepted = "refused", None
        elif roll < 0.045:
            outcome = "failed"
        elif roll < 0.06:
            outcome = "referred"
        elif roll < 0.07 and track == "police":
            outcome = "to_penalty"
        else:
            outcome = "resolved"
        accepted_dt = dt.datetime.fromtimestamp(accepted, dt.UTC) if accepted is not None else None
        due = (
            dispute_clocks.mediation_due(track, accepted_dt).timestamp()
            if accepted_dt is not None else None
        )  # fmt: skip
        if accepted is None:
            closed: float | None = registered + _lognormal_seconds(rng, 2 * 3600, 0.5)
        else:
            span = 1.2 * DAY if track == "police" else 4 * DAY
            closed = accepted + _lognormal_seconds(rng, span, 0.9)
        status, changed = "registered", registered
        if accepted is not None and accepted <= end:
            status, changed = "accepted", accepted
        if closed is not None and closed <= end:
            status, changed = outcome, closed
        else:
            closed = None
        turned = rng.random() < {"failed": 0.1, "to_penalty": 0.15, "referred": 0.06}.get(
            status, 0.001
        )
        level = "high" if turned else _pick(rng, ("low", "medium", "high"), (0.9, 0.98, 1.0))
        score = {"low": rng.randint(0, 29), "medium": rng.randint(30, 59),
                 "high": rng.randint(60, 95)}[level]  # fmt: skip
        prevented = rng.randint(2, 4) if status == "resolved" and level != "low" else 0
        amount = (round(_lognormal_seconds(rng, 8000, 1.1), 2)
                  if category in MONEY_CATEGORIES else None)  # fmt: skip
        referred_by = {"court": f"{county.name}人民法院", "petition": f"{county.name}信访局"}.get(
            source, ""
        )
        languages = (
            '["藏语"]' if county.code in data.TIBETAN_COUNTIES and rng.random() < 0.15 else "[]"
        )
        parts = address_parts(grid, k)
        registered_by = district.officers[0] if district.officers else None
        stamp = clock.stamp(registered)
        location = full_text(county, grid, local_text(parts))[:200]
        narrative = rng.choice(data.DISPUTE_NARRATIVES[category])
        offence = rng.choice(OFFENCES) if track == "police" else ""
        accepted_stamp = clock.stamp(accepted if accepted is not None and accepted <= end else None)
        due_stamp = clock.stamp(due if status != "registered" else None)
        sink.add((stamp, clock.stamp(changed), 1, codes.next(), location, category, source,
                  referred_by, track, status, clock.stamp(changed), narrative, amount, languages,
                  stamp, accepted_stamp, due_stamp, 0, None, clock.stamp(closed), offence, score,
                  level, "[]", None, turned, prevented, grid.address_ids[k], district.node.id,
                  registered_by, incident, None, pk))  # fmt: skip
        if status == "resolved" and closed is not None:
            _follow_ups(ctx, visits, pk, closed, district.officers)
        if number % 2000 == 0:
            ctx.progress("disputes", number, len(cases))
    sink.flush()
    visits.flush()
    ctx.report.counts["disputes"] = len(cases)
    ctx.progress("disputes", len(cases), len(cases))


def _follow_ups(ctx: Context, visits: Sink, case: int, closed: float, officers: list[int]) -> None:
    """回访 7 and 30 days after closing; those due before the end mostly done."""
    rng, clock = ctx.rng, ctx.clock
    closed_day = dt.datetime.fromtimestamp(closed, LOCAL).date()
    for days in dispute_clocks.follow_up_days():
        due_on = closed_day + dt.timedelta(days=days)
        done_at = None
        outcome = satisfaction = method = ""
        if due_on < ctx.end_day and rng.random() < 0.93:
            visit_day = due_on + dt.timedelta(days=rng.choice((0, 0, 0, 1, 2, 3)))
            moment = dt.datetime.combine(visit_day, dt.time(rng.randint(9, 17), rng.randrange(60)),
                                         LOCAL).timestamp()  # fmt: skip
            if moment < ctx.end_ts:
                done_at = moment
                method = "电话" if rng.random() < 0.6 else "上门"
                roll = rng.random()
                outcome = "stable" if roll < 0.9 else "performing" if roll < 0.95 else "unreachable"
                if outcome != "unreachable":
                    satisfaction = _pick(rng, ("satisfied", "basic", "unsatisfied"),
                                         (0.82, 0.97, 1.0))  # fmt: skip
        stamp = clock.stamp(closed)
        visitor = officers[0] if officers and done_at is not None else None
        visits.add((stamp, clock.stamp(done_at) or stamp, case, clock.day(due_on),
                    clock.stamp(done_at), method, outcome, satisfaction, "", visitor))  # fmt: skip
