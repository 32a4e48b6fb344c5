"""警力配置 checks at province scale: server time of the staffing report and page.

    .venv/bin/python bench/staffing.py [--people 1000000] [--database-url postgres://…]

Builds (once, in ``bench/out/staffing.sqlite3`` or the given database) a police tree
shaped like Gansu's — 14 city bureaus, 86 county bureaus, 1,500 stations, 6,800 police
districts with a police room each — with 60,000 staff placed in it (agency police,
station police, community officers with 0, 1 or 2 per district, auxiliaries) and
``--people`` residents (3 % of them moved out) spread over the districts. Then it times,
REPEAT times each, the report (:func:`fengqiao.scoring.staffing.staffing_report`) and the
whole page (an in-process request: middleware, template) for the province, a city
bureau, a county bureau and a station (reading the districts' stored 实有人口, counted
once first as the nightly ``count_residents`` does), and the live population count alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
REPEAT = 15
TABLES = ("registry_residence", "registry_person", "registry_house", "addresses_standardaddress",
          "accounts_user_groups", "accounts_user_user_permissions", "accounts_user",
          "jurisdictions_jurisdiction_covers", "jurisdictions_jurisdiction")  # fmt: skip
CITIES, COUNTY_BUREAUS, STATIONS, DISTRICTS, STAFF = 14, 86, 1_500, 6_800, 60_000


def setup(database_url: str | None) -> None:
    os.environ["FENGQIAO_VAR"] = str(ROOT / "bench" / "out")
    os.environ["DATABASE_URL"] = (
        database_url or f"sqlite:///{ROOT / 'bench' / 'out' / 'staffing.sqlite3'}"
    )
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    call_command("migrate", verbosity=0)


def spread(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` split over ``parts``, each at least 1, unevenly."""
    cuts = sorted(rng.sample(range(1, total), parts - 1))
    return [b - a for a, b in zip([0, *cuts], [*cuts, total], strict=True)]


def build(people: int) -> None:
    """Bulk set-up (paths computed here; this is data, not the services under test). The
    tree and staff are built once; the people again whenever ``--people`` changes."""
    from django.db import connection

    from fengqiao.jurisdictions.models import Jurisdiction, Kind
    from fengqiao.registry.models import Person

    if Jurisdiction.objects.filter(kind=Kind.POLICE_DISTRICT).count() != DISTRICTS:
        build_tree_and_staff()
    if Person.objects.count() != people:
        build_people(people)
    with connection.cursor() as cursor:  # fresh statistics for both planners
        cursor.execute("ANALYZE")


def build_tree_and_staff() -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from fengqiao.accounts.models import Post, StaffKind, User
    from fengqiao.addresses.models import StandardAddress
    from fengqiao.core.roles import Role
    from fengqiao.jurisdictions.models import Jurisdiction, Kind
    from fengqiao.registry.models import House

    with connection.cursor() as cursor:  # a clean build (nothing here is audited)
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (fixed names)
    rng = random.Random(6844)
    ids = iter(range(1, 10_000_000))
    nodes: list[Jurisdiction] = []

    def node(kind: str, name: str, parent: Jurisdiction | None) -> Jurisdiction:
        pk = next(ids)
        item = Jurisdiction(
            id=pk, kind=kind, name=name, parent=parent,
            path=f"{parent.path if parent else '/'}{pk}/",
            depth=parent.depth + 1 if parent else 0,
        )  # fmt: skip
        nodes.append(item)
        return item

    department = node(Kind.POLICE_DEPARTMENT, "公安厅", None)
    community = node(
        Kind.COMMUNITY, "社区",
        node(Kind.TOWNSHIP, "镇", node(Kind.COUNTY, "县", node(Kind.CITY, "市",
             node(Kind.PROVINCE, "省", None)))),
    )  # fmt: skip
    cities = [node(Kind.CITY_BUREAU, f"市局{c}", department) for c in range(CITIES)]
    bureaus = [
        node(Kind.COUNTY_BUREAU, f"分局{b}", cities[b % CITIES]) for b in range(COUNTY_BUREAUS)
    ]
    units = [node(Kind.UNIT, f"警种{b}-{u}", bureau) for b, bureau in enumerate(bureaus)
             for u in range(4)]  # fmt: skip
    stations = [node(Kind.STATION, f"派出所{s}", bureaus[s % COUNTY_BUREAUS])
                for s in range(STATIONS)]  # fmt: skip
    districts, rooms = [], []
    for number, count in enumerate(spread(DISTRICTS, STATIONS, rng)):
        for d in range(count):
            districts.append(node(Kind.POLICE_DISTRICT, f"警务区{number}-{d}", stations[number]))
            rooms.append(node(Kind.POLICE_ROOM, f"警务室{number}-{d}", districts[-1]))
    Jurisdiction.objects.bulk_create(nodes, batch_size=2000)

    password = make_password("bench-only-password")
    staff: list[User] = []

    def place(unit: Jurisdiction, kind: str, post: str) -> None:
        n = len(staff)
        staff.append(User(username=f"u{n}", full_name=f"民警{n}", password=password,
                          role=Role.CASE_OFFICER, jurisdiction=unit, staff_kind=kind,
                          post=post))  # fmt: skip

    for district, room in zip(districts, rooms, strict=True):
        officers = rng.choices([0, 1, 2], weights=[3, 87, 10])[0]
        for _ in range(officers):
            place(rng.choice([district, room]), StaffKind.POLICE, Post.COMMUNITY)
        for _ in range(rng.randint(1, 3)):
            place(room, StaffKind.AUXILIARY, Post.COMMUNITY)
    for station in stations:
        for _ in range(rng.randint(3, 12)):
            place(station, StaffKind.POLICE, rng.choice([Post.CASE, Post.COMMAND, Post.OFFICE]))
    agency = [*bureaus, *units, *cities]
    while len(staff) < STAFF - 1:
        place(rng.choice(agency), rng.choice([StaffKind.POLICE] * 4 + [StaffKind.AUXILIARY]),
              Post.SPECIALIST)  # fmt: skip
    place(department, StaffKind.CIVILIAN, Post.OFFICE)
    staff[-1].username, staff[-1].role = "bench.admin", Role.ADMIN
    User.objects.bulk_create(staff, batch_size=2000)

    addresses = [
        StandardAddress(code=f"B{i:013d}", community=community, police_district=district,
                        road="路", door_number=str(i), full_text=f"路{i}号", local_key=f"路{i}号")
        for i, district in enumerate(districts)
    ]  # fmt: skip
    StandardAddress.objects.bulk_create(addresses, batch_size=2000)
    House.objects.bulk_create([House(address=a) for a in addresses], batch_size=2000)


def build_people(people: int) -> None:
    """``people`` residents, one stay each at a random district's house; 3 % moved out."""
    from django.db import connection, transaction
    from rich.progress import track

    from fengqiao.registry.models import House, Person, Residence

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM registry_residence")
        cursor.execute("DELETE FROM registry_person")
    rng = random.Random(4002)
    houses = list(House.objects.values_list("pk", "address__police_district_id"))
    today = dt.date.today()
    batch = 20_000
    with transaction.atomic():
        for start in track(range(0, people, batch), description="people"):
            chosen = [rng.choice(houses) for _ in range(min(batch, people - start))]
            persons = Person.objects.bulk_create(
                [Person(name="居民", police_district_id=district) for _h, district in chosen]
            )
            Residence.objects.bulk_create(
                [Residence(person=p, house_id=house, relation="family", moved_in=today,
                           moved_out=today if rng.random() < 0.03 else None)
                 for p, (house, _d) in zip(persons, chosen, strict=True)]
            )  # fmt: skip


def timed(run, repeat: int = REPEAT) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(0.95 * (len(times) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--people", type=int, default=1_000_000)
    args = parser.parse_args()
    setup(args.database_url)
    started = time.perf_counter()
    build(args.people)
    print(f"build: {time.perf_counter() - started:.0f} s")

    from django.db import connection
    from django.test import Client

    from fengqiao.accounts.models import User
    from fengqiao.jurisdictions.models import Jurisdiction, Kind
    from fengqiao.registry import population
    from fengqiao.registry.models import Person
    from fengqiao.scoring import staffing

    admin = User.objects.get(username="bench.admin")
    client = Client()
    client.force_login(admin)
    targets = {
        "province": admin.jurisdiction,
        "city bureau": Jurisdiction.objects.filter(kind=Kind.CITY_BUREAU).order_by("path")[3],
        "county bureau": Jurisdiction.objects.filter(kind=Kind.COUNTY_BUREAU).order_by("path")[20],
        "station": Jurisdiction.objects.filter(kind=Kind.STATION).order_by("path")[100],
    }
    print(f"{connection.vendor}: {User.objects.count():,} staff, "
          f"{Jurisdiction.objects.filter(kind=Kind.POLICE_DISTRICT).count():,} districts, "
          f"{Person.objects.count():,} people")  # fmt: skip
    started = time.perf_counter()
    population.recount()  # what the nightly count_residents does; the pages read its counts
    print(f"count_residents (every district): {time.perf_counter() - started:.1f} s")
    print(f"{'node':<14} {'report ms (median/p95)':>24} {'page ms (median/p95)':>22}")
    for label, node in targets.items():
        report = timed(lambda node=node: staffing.staffing_report(user=admin, node=node))
        page = timed(lambda node=node: client.get("/staffing/", {"node": node.pk}))
        print(
            f"{label:<14} {report[0]:>12.1f} / {report[1]:>7.1f} {page[0]:>12.1f} / {page[1]:>7.1f}"
        )

    province = targets["province"]
    pop = timed(lambda: population.residents_by_district(province), repeat=5)
    print(f"live count alone, province: {pop[0]:.1f} ms median, {pop[1]:.1f} ms p95")


if __name__ == "__main__":
    main()
