"""Person and address search at province scale: server time of the search pages with
1,000,000 people and 200,000 standard addresses loaded.

    ./fq bench                 # runs this with the others
    .venv/bin/python bench/search.py [--people 1000000] [--database-url postgres://…]

Requests go through Django's test client in-process (middleware, scoped selector, audit
record of the list read, template rendering), timed from request to response: "server
time" without the network. Target from the issue: under 50 ms.
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
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建国晓东海燕鹏辉波宁丹斌浩凯"
ROADS = [
    *("阳头路", "凤台街", "书院巷", "泽州路", "文昌街", "红星路"),
    *("新市街", "钟楼巷", "太行路", "白马街", "青莲路", "梨园巷"),
]
REPEAT = 30
BIRTH_BASE = dt.date(1950, 1, 1)


def setup(database_url: str | None) -> None:
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    os.environ["FENGQIAO_VAR"] = str(out)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{out / 'search.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    call_command("migrate", verbosity=0)


def build(people: int) -> None:
    """A bureau with two stations; station A holds 90 % of the data. Bulk inserts."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from rich.progress import track

    from fengqiao.accounts.models import User
    from fengqiao.addresses import codes
    from fengqiao.addresses.models import StandardAddress
    from fengqiao.core.validators import id_number_check_character
    from fengqiao.jurisdictions.models import Kind
    from fengqiao.jurisdictions.services import create_jurisdiction, set_coverage
    from fengqiao.registry.models import Person

    if User.objects.filter(username="bench.chief").exists():
        return  # built by an earlier run; delete bench/out/search.sqlite3 to rebuild
    rng = random.Random(7)
    with transaction.atomic():
        make = create_jurisdiction
        county = make(
            actor=None,
            kind=Kind.COUNTY,
            name="城区",
            code="140502",
            parent=make(
                actor=None,
                kind=Kind.CITY,
                name="晋城市",
                code="140500",
                parent=make(actor=None, kind=Kind.PROVINCE, name="山西省", code="140000"),
            ),
        )
        township = make(actor=None, kind=Kind.TOWNSHIP, name="南街街道", parent=county)
        bureau = make(
            actor=None,
            kind=Kind.COUNTY_BUREAU,
            name="分局",
            parent=make(actor=None, kind=Kind.POLICE_DEPARTMENT, name="厅"),
        )
        districts, communities = [], []
        for s, share in enumerate(("甲", "乙")):
            station = make(actor=None, kind=Kind.STATION, name=f"{share}派出所", parent=bureau)
            for d in range(5):
                district = make(
                    actor=None, kind=Kind.POLICE_DISTRICT, name=f"{share}{d}", parent=station
                )
                community = make(
                    actor=None, kind=Kind.COMMUNITY, name=f"{share}{d}社区", parent=township
                )
                set_coverage(actor=None, district=district, areas=[community])
                districts.append(district)
                communities.append(community)
            if s == 0:
                User.objects.create(
                    username="bench.chief",
                    full_name="所长",
                    role="station_chief",
                    jurisdiction=station,
                    password=make_password("x" * 12),
                )
        address_total = people // 5
        addresses = []
        for n in track(range(1, address_total + 1), description="addresses"):
            i = 0 if rng.random() < 0.9 else 5
            i += rng.randrange(5)
            road, door = rng.choice(ROADS), n  # door numbers unique: one address per place
            local = f"{road}{door}号{n % 9 + 1}栋{n % 4 + 1}单元{n % 30 + 101}室"
            addresses.append(
                StandardAddress(
                    code=codes.make_code("140502", n),
                    community=communities[i],
                    police_district=districts[i],
                    road=road,
                    door_number=str(door),
                    building=str(n % 9 + 1),
                    unit=str(n % 4 + 1),
                    room=str(n % 30 + 101),
                    full_text="山西省晋城市城区南街街道" + communities[i].name + local,
                    local_key=local,
                )
            )
            if len(addresses) == 10_000:
                StandardAddress.objects.bulk_create(addresses)
                addresses.clear()
        StandardAddress.objects.bulk_create(addresses)
        batch = []
        for n in track(range(people), description="people"):
            born = BIRTH_BASE + dt.timedelta(days=n // 1000)  # with n % 1000: unique numbers
            first17 = f"140502{born:%Y%m%d}{n % 1000:03d}"
            i = (0 if rng.random() < 0.9 else 5) + rng.randrange(5)
            batch.append(
                Person(
                    name=rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                    id_number=first17 + id_number_check_character(first17) if n % 10 else "",
                    phone=f"13{rng.randint(0, 999_999_999):09d}",
                    police_district=districts[i],
                )
            )
            if len(batch) == 10_000:
                Person.objects.bulk_create(batch, ignore_conflicts=True)
                batch.clear()
        Person.objects.bulk_create(batch, ignore_conflicts=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    setup(args.database_url)
    build(args.people)
    from django.db import connection
    from django.test import Client

    from fengqiao.accounts.models import User
    from fengqiao.addresses.models import StandardAddress
    from fengqiao.core.pagination import keyset_page
    from fengqiao.registry.models import Person
    from fengqiao.registry.selectors import people_for

    with connection.cursor() as cursor:  # what `fengqiao serve/migrate` keeps up to date
        cursor.execute("ANALYZE")
    client = Client()
    client.force_login(User.objects.get(username="bench.chief"))
    someone = (
        Person.objects.exclude(id_number="").filter(police_district__name__startswith="甲").first()
    )
    chief = User.objects.get(username="bench.chief")
    page2 = keyset_page(people_for(user=chief, search="王"), order=("name", "pk")).next_cursor
    address = StandardAddress.objects.filter(police_district__name__startswith="甲").first()
    cases = {
        "people, name prefix 王 (first page)": ("/registry/people/", {"q": "王"}),
        "people, name prefix 王 (second page, keyset)": (
            "/registry/people/",
            {"q": "王", "after": page2},
        ),
        "people, full name": ("/registry/people/", {"q": someone.name}),
        "people, ID number": ("/registry/people/", {"q": someone.id_number}),
        "people, phone": ("/registry/people/", {"q": someone.phone}),
        "people, no query (first page)": ("/registry/people/", {}),
        "search page, address prefix": ("/registry/", {"q": address.local_key[:6]}),
        "search page, address code": ("/registry/", {"q": address.code}),
    }
    print(
        f"\n{connection.vendor}: {Person.objects.count():,} people, "
        f"{StandardAddress.objects.count():,} addresses; median of {REPEAT}, ms server time\n"
    )
    print("| request | median ms | p90 ms |\n|---|---|---|")
    for label, (url, query) in cases.items():
        times = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            response = client.get(url, query)
            times.append((time.perf_counter() - start) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{label}: HTTP {response.status_code}")
        times.sort()
        print(f"| {label} | {statistics.median(times):.1f} | {times[int(len(times) * 0.9)]:.1f} |")


if __name__ == "__main__":
    main()
