"""The province generator: deterministic from its seed, shaped like 甘肃省, with valid
codes, outlines that nest, rollups that match the raw records, and staffing that both
passes and fails the checks."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F, Sum

from fengqiao.accounts.models import Post, StaffKind, User
from fengqiao.addresses import codes as address_codes
from fengqiao.addresses.models import StandardAddress
from fengqiao.core.validators import validate_id_number
from fengqiao.demo import province
from fengqiao.disputes.models import DisputeCase
from fengqiao.incidents import codes as incident_codes
from fengqiao.incidents.models import Deadline, Incident
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.registry.models import Person
from fengqiao.rollups.models import Grain, Rollup

SCALE = 0.0005
UNTIL = dt.date(2025, 6, 30)
POLICE_UNITS = (Kind.STATION, Kind.POLICE_DISTRICT, Kind.POLICE_ROOM)


def _generate(seed: int, scale: float = SCALE) -> province.GenerationReport:
    return province.generate(scale=scale, seed=seed, until=UNTIL)


def test_the_same_seed_gives_the_same_rows(db):
    fingerprints = []
    for _run in range(2):
        with transaction.atomic():
            _generate(7, scale=0.0002)
            fingerprints.append(province.fingerprint())
            # The fingerprint sees the contents: one changed address changes it.
            address = StandardAddress.objects.order_by("code").last()
            StandardAddress.objects.filter(pk=address.pk).update(room="9999")
            fingerprints.append(province.fingerprint())
            transaction.set_rollback(True)
    assert fingerprints[0] == fingerprints[2]
    assert fingerprints[0] != fingerprints[1]


@pytest.fixture(scope="class")
def generated(django_db_setup, django_db_blocker):
    """One province for the class, rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        report = _generate(42)
        yield report
        transaction.set_rollback(True)


def rect(node: Jurisdiction) -> tuple[float, float, float, float]:
    ring = node.boundary["coordinates"][0]
    lngs, lats = [p[0] for p in ring], [p[1] for p in ring]
    return min(lngs), min(lats), max(lngs), max(lats)


def within(inner: tuple[float, ...], outer: tuple[float, ...]) -> bool:
    return (outer[0] <= inner[0] and outer[1] <= inner[1] and inner[2] <= outer[2]
            and inner[3] <= outer[3])  # fmt: skip


def police_share(node: Jurisdiction, kinds: tuple[str, ...]) -> float:
    """Share of the police under ``node`` posted at nodes of ``kinds``."""
    police = User.objects.filter(
        staff_kind=StaffKind.POLICE, jurisdiction__path__startswith=node.path
    )
    return police.filter(jurisdiction__kind__in=kinds).count() / police.count()


@pytest.mark.django_db
@pytest.mark.usefixtures("generated")
class TestGeneratedProvince:
    def test_keeps_the_fourteen_cities_and_eighty_six_counties_with_stations_below(self):
        department = Jurisdiction.objects.get(kind=Kind.POLICE_DEPARTMENT,
                                              code=province.DEPARTMENT_CODE)  # fmt: skip
        assert department.children.filter(kind=Kind.CITY_BUREAU).count() == 14
        bureaus = Jurisdiction.objects.filter(kind=Kind.COUNTY_BUREAU,
                                              path__startswith=department.path)  # fmt: skip
        assert bureaus.count() == 86
        gansu = Jurisdiction.objects.get(kind=Kind.PROVINCE, code="620000")
        assert gansu.children.filter(kind=Kind.CITY).count() == 14
        for bureau in bureaus:
            assert bureau.children.filter(kind=Kind.STATION).exists(), bureau.name
        stations = Jurisdiction.objects.filter(kind=Kind.STATION, path__startswith=department.path)
        for station in stations:
            assert station.children.filter(kind=Kind.POLICE_DISTRICT).exists(), station.name

    def test_every_outline_lies_inside_its_parent_and_districts_hold_their_grids(self):
        mapped = (Kind.CITY_BUREAU, Kind.COUNTY_BUREAU, Kind.STATION, Kind.POLICE_DISTRICT,
                  Kind.CITY, Kind.COUNTY, Kind.TOWNSHIP, Kind.COMMUNITY, Kind.GRID)  # fmt: skip
        nodes = Jurisdiction.objects.filter(kind__in=mapped, path__regex=r"^/")
        nodes = nodes.select_related("parent")
        assert not nodes.filter(boundary__isnull=True).exists()
        for node in nodes:
            assert node.boundary["type"] == "Polygon"
            assert within(rect(node), rect(node.parent)), node.name
        for district in Jurisdiction.objects.filter(kind=Kind.POLICE_DISTRICT):
            areas = list(district.covers.all())
            assert areas, district.name
            for area in areas:
                assert within(rect(area), rect(district)), (district.name, area.name)

    def test_every_address_lies_in_its_grid_and_police_district_with_a_valid_code(self):
        addresses = StandardAddress.objects.select_related("grid", "police_district", "community")
        assert addresses.count() >= SCALE * province.ADDRESSES
        for address in addresses:
            assert address_codes.is_valid(address.code), address.code
            point = (float(address.longitude), float(address.latitude)) * 2
            assert within(point, rect(address.grid)), address.full_text
            assert within(point, rect(address.police_district)), address.full_text
            assert address.grid.parent_id == address.community_id
            assert address.police_district.covers.filter(pk=address.grid_id).exists()
            assert address.full_text.startswith("甘肃省")
            assert address.full_text.endswith(address.local_key)

    def test_codes_and_id_numbers_are_valid(self):
        for code in Incident.objects.values_list("tracking_code", flat=True):
            assert incident_codes.is_valid(code), code
        for code in DisputeCase.objects.values_list("code", flat=True):
            assert incident_codes.is_valid(code), code
        numbers = list(Person.objects.values_list("id_number", flat=True))
        assert len(numbers) == len(set(numbers)) > 0
        for number in numbers:
            validate_id_number(number)

    def test_rollups_equal_counts_of_the_raw_records(self):
        department = Jurisdiction.objects.get(code=province.DEPARTMENT_CODE)
        station = Jurisdiction.objects.filter(kind=Kind.STATION).order_by("-path").first()
        grid = Incident.objects.values("grid").annotate(n=Count("id")).order_by("-n")[0]
        for node, raw in (
            (department, Incident.objects.all()),
            (station, Incident.objects.filter(jurisdiction__path__startswith=station.path)),
            (Jurisdiction.objects.get(pk=grid["grid"]), Incident.objects.filter(grid=grid["grid"])),
        ):
            rolled = Counter()
            for row in Rollup.objects.filter(node=node, fact="incident", grain=Grain.DAY):
                rolled[row.category[:2], row.status] += row.n
            counted = Counter(
                (code[:2], status) for code, status in raw.values_list("category__code", "status")
            )
            assert rolled == counted, node.name
            monthly = Rollup.objects.filter(node=node, fact="incident", grain=Grain.MONTH)
            assert monthly.aggregate(n=Sum("n"))["n"] == raw.count()
        clocks = Counter()
        for row in Rollup.objects.filter(node=department, fact="clock", grain=Grain.DAY):
            clocks[row.category, row.status] += row.n
        counted = Counter()
        for kind, due, met in Deadline.objects.values_list("rule__kind", "due_at", "met_at"):
            counted[kind, "running" if met is None else "met" if met <= due else "late"] += 1
        assert clocks == counted
        disputes = Rollup.objects.filter(node=department, fact="dispute", grain=Grain.DAY)
        assert disputes.aggregate(n=Sum("n"))["n"] == DisputeCase.objects.count()
        criminal = Rollup.objects.filter(node=department, fact="criminal", grain=Grain.DAY)
        assert (criminal.aggregate(n=Sum("n"))["n"] or 0) == DisputeCase.objects.filter(
            turned_criminal=True
        ).count()

    def test_dashboards_equal_counts_of_the_raw_records_at_every_level(self):
        from fengqiao.core.roles import Role
        from fengqiao.dashboards import figures
        from fengqiao.scoring import periods
        from tests.conftest import make_user

        department = Jurisdiction.objects.get(code=province.DEPARTMENT_CODE)
        admin = make_user(Role.ADMIN, department)
        today = UNTIL + dt.timedelta(days=1)
        for kind in (Kind.POLICE_DEPARTMENT, Kind.CITY_BUREAU, Kind.COUNTY_BUREAU,
                     Kind.STATION, Kind.POLICE_DISTRICT):  # fmt: skip
            busiest = (
                Incident.objects.filter(jurisdiction__path__startswith=department.path)
                .values("jurisdiction__path").annotate(n=Count("id")).order_by("-n")[0]
            )  # fmt: skip
            node = max(
                Jurisdiction.objects.filter(kind=kind, path__within=department.path),
                key=lambda n: busiest["jurisdiction__path"].startswith(n.path),
            )
            for period in (periods.containing(UNTIL), periods.containing(UNTIL, periods.YEAR)):
                board = figures.node_dashboard(admin, node, period, today=today)
                span = board.span
                start = periods.local_midnight(span.start)
                end = periods.local_midnight(span.end)
                raw = Incident.objects.filter(
                    jurisdiction__path__startswith=node.path, received_at__gte=start,
                    received_at__lt=end,
                )  # fmt: skip
                assert board.incidents.value == raw.count(), (node.name, period.key)
                assert board.criminal.value == raw.filter(category__code__startswith="01").count()
                cases = DisputeCase.objects.filter(
                    jurisdiction__path__startswith=node.path, registered_at__gte=start,
                    registered_at__lt=end,
                )  # fmt: skip
                assert board.disputes.value == cases.count()
                assert board.disputes_resolved.value == cases.filter(status="resolved").count()
                met = Deadline.objects.filter(
                    jurisdiction__path__startswith=node.path, due_at__gte=start, due_at__lt=end,
                    met_at__lte=F("due_at"),
                )  # fmt: skip
                assert board.clocks_met.value == met.count()
        assert board.incidents.value > 0  # the busiest district had records

    def test_staffing_has_bureaus_and_stations_on_both_sides_of_the_forty_percent_rules(self):
        bureaus = Jurisdiction.objects.filter(kind=Kind.COUNTY_BUREAU)
        shares = [police_share(bureau, POLICE_UNITS) for bureau in bureaus]
        assert any(share < 0.4 for share in shares) and any(share >= 0.4 for share in shares)
        station_shares = []
        for station in Jurisdiction.objects.filter(kind=Kind.STATION):
            police = User.objects.filter(staff_kind=StaffKind.POLICE,
                                         jurisdiction__path__startswith=station.path)  # fmt: skip
            station_shares.append(police.filter(post=Post.COMMUNITY).count() / police.count())
        assert any(s < 0.4 for s in station_shares) and any(s >= 0.4 for s in station_shares)
        officers = Counter(
            User.objects.filter(staff_kind=StaffKind.POLICE, post=Post.COMMUNITY).values_list(
                "jurisdiction", flat=True
            )
        )
        districts = Jurisdiction.objects.filter(kind=Kind.POLICE_DISTRICT)
        per_district = [officers.get(pk, 0) for pk in districts.values_list("pk", flat=True)]
        assert 0 in per_district and max(per_district) >= 2
        assert per_district.count(1) > len(per_district) / 2  # 一区一警 is the rule
        assert User.objects.filter(staff_kind=StaffKind.AUXILIARY).exists()
        assert not any(u.has_usable_password() for u in User.objects.all()[:50])

    def test_incidents_look_like_police_statistics(self):
        tops = Counter(code[:2] for code in Incident.objects.values_list("category__code",
                                                                         flat=True))  # fmt: skip
        total = sum(tops.values())
        assert 0.09 < tops["01"] / total < 0.16  # 刑事
        assert tops["06"] > tops["01"] and tops["05"] > tops["01"]  # 求助, 纠纷 more common
        criminal = Incident.objects.filter(category__code__startswith="01")
        last = criminal.filter(received_at__year=2024).count()
        before = criminal.filter(received_at__year=2023).count()
        assert last < before  # 刑事 falls year on year
        old = Incident.objects.filter(received_at__lt=dt.datetime(2025, 5, 1, tzinfo=dt.UTC))
        final = old.filter(status__in=["closed", "invalid", "transferred", "case_registered"])
        assert final.count() / old.count() > 0.97
        resolved = DisputeCase.objects.filter(status="resolved").count()
        assert resolved / DisputeCase.objects.count() > 0.85
        assert DisputeCase.objects.filter(amount__gt=Decimal("0")).exists()

    def test_a_second_run_is_refused(self):
        with pytest.raises(province.ProvinceExists):
            _generate(42)
        with pytest.raises(CommandError, match="already exist"):
            call_command("generate_province", "--scale", "0.0005")
