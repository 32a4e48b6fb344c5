"""The duty list, the incident list and the morning brief with 2,000,000 incidents.

    .venv/bin/python bench/incidents.py [--incidents 2000000]
    .venv/bin/python bench/incidents.py --database-url postgres://postgres@127.0.0.1:5432/fengqiao_bench_incidents

Two years of incidents for a bureau of 20 stations (5 police districts and 10 grids
each), loaded by bulk insert (COPY on PostgreSQL). Every incident of the last 30 days has
its dispatch and arrival clocks (met unless the incident is still open), thefts their
solve clock; 2 % of the last two days' incidents are still open; 200 whistles are open.
Requests go through Django's test client in-process (middleware, scoped selectors,
templates): "server time" without the network. Target from the issue: < 100 ms.
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
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))
REPEAT = 20
STATIONS = 20
DAYS = 730
SOURCES = ["110"] * 6 + ["walk_in", "phone", "online", "volunteer", "video_patrol"]
ROADS = ["阳头路", "凤台街", "书院巷", "泽州路", "文昌街", "红星路", "新市街", "钟楼巷"]


def setup(database_url: str | None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["FENGQIAO_VAR"] = str(OUT)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{OUT / 'incidents.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    if database_url:
        import psycopg

        base, name = database_url.rsplit("/", 1)
        with psycopg.connect(base + "/postgres", autocommit=True) as db:
            if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                db.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )
    call_command("migrate", verbosity=0)


def insert(table: str, columns: list[str], rows: list[tuple]) -> None:
    """Bulk insert of database-ready tuples: COPY on PostgreSQL, executemany on SQLite."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, rows)


def build(total: int) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from rich.progress import track

    from fengqiao.accounts.models import User
    from fengqiao.incidents import codes
    from fengqiao.incidents.models import Category, DeadlineRule
    from fengqiao.jurisdictions.models import Kind
    from fengqiao.jurisdictions.services import create_jurisdiction

    if User.objects.filter(username="bench.station").exists():
        return  # built by an earlier run; drop the database to rebuild
    rng = random.Random(5)
    now = timezone.now()
    sqlite = connection.vendor == "sqlite"

    def stamp(value: dt.datetime) -> object:
        return connection.ops.adapt_datetimefield_value(value) if sqlite else value

    with transaction.atomic():
        make = create_jurisdiction
        department = make(actor=None, kind=Kind.POLICE_DEPARTMENT, name="厅")
        bureau = make(actor=None, kind=Kind.COUNTY_BUREAU, name="分局", parent=department)
        province = make(actor=None, kind=Kind.PROVINCE, name="山西省", code="140000")
        city = make(actor=None, kind=Kind.CITY, name="晋城市", code="140500", parent=province)
        county = make(actor=None, kind=Kind.COUNTY, name="城区", code="140502", parent=city)
        township = make(actor=None, kind=Kind.TOWNSHIP, name="街道", parent=county)
        units = []  # (station, [(district, [grid, grid])])
        for s in range(STATIONS):
            station = make(actor=None, kind=Kind.STATION, name=f"第{s + 1}派出所", parent=bureau)
            districts = []
            for d in range(5):
                district = make(actor=None, kind=Kind.POLICE_DISTRICT,
                                name=f"{s + 1}所{d + 1}区", parent=station)  # fmt: skip
                community = make(actor=None, kind=Kind.COMMUNITY, name=f"{s + 1}-{d + 1}社区",
                                 parent=township)  # fmt: skip
                grids = [make(actor=None, kind=Kind.GRID, name=f"{community.name}{g + 1}网格",
                              parent=community) for g in range(2)]  # fmt: skip
                districts.append((district, grids))
            units.append((station, districts))
        for username, role, unit in (("bench.station", "station_chief", units[0][0]),
                                     ("bench.bureau", "command_room", bureau)):  # fmt: skip
            User.objects.create(username=username, full_name=username, role=role,
                                jurisdiction=unit, password=make_password("x" * 12))  # fmt: skip
        subtypes = list(Category.objects.exclude(parent=None).values_list("pk", "code"))
        theft = next(pk for pk, code in subtypes if code == "0101")
        rules = {r.kind: r for r in DeadlineRule.objects.all()}
        columns = ["created_at", "updated_at", "version", "tracking_code", "received_at",
                   "occurred_at", "source", "reporter_name", "reporter_phone", "location_text",
                   "grid_id", "jurisdiction_id", "description", "category_id", "validity",
                   "urgency", "status", "status_changed_at", "case_number"]  # fmt: skip
        batch: list[tuple] = []
        step = dt.timedelta(days=DAYS) / total
        start = now - dt.timedelta(days=DAYS)
        for n in track(range(total), description="incidents"):
            received = start + step * n
            station, districts = units[rng.randrange(STATIONS)]
            district, grids = districts[rng.randrange(5)]
            category, _code = subtypes[rng.randrange(len(subtypes))]
            recent = now - received < dt.timedelta(days=2)
            status = "received" if recent and rng.random() < 0.02 else "closed"
            at = stamp(received)
            batch.append((at, at, 1, codes.new_code(), at, None, rng.choice(SOURCES), "",
                          f"13{rng.randint(0, 999_999_999):09d}",
                          f"{rng.choice(ROADS)}{rng.randint(1, 300)}号", grids[n % 2].pk,
                          district.pk, "报警人称……", category, "valid", "normal", status, at,
                          ""))  # fmt: skip
            if len(batch) == 20_000:
                insert("incidents_incident", columns, batch)
                batch.clear()
        insert("incidents_incident", columns, batch)
        recent_from = now - dt.timedelta(days=30)
        rows = []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT id, received_at, jurisdiction_id, status, category_id"
                " FROM incidents_incident WHERE received_at >= %s", [stamp(recent_from)]
            )  # fmt: skip
            for pk, received, unit, status, category in cursor.fetchall():
                received = received if isinstance(received, dt.datetime) else (
                    dt.datetime.fromisoformat(received))  # fmt: skip
                met = None if status == "received" else stamp(received + dt.timedelta(minutes=3))
                kinds = ["dispatch", "arrival"] + (["solve"] if category == theft else [])
                for kind in kinds:
                    rule = rules[kind]
                    due = stamp(received + dt.timedelta(minutes=rule.minutes))
                    rows.append((pk, rule.pk, unit, due, met))
        insert("incidents_deadline", ["incident_id", "rule_id", "jurisdiction_id", "due_at",
                                      "met_at"], rows)  # fmt: skip
        officer = User.objects.get(username="bench.station")
        whistles = []
        for n in range(200):
            station = units[n % STATIONS][0]
            raised = stamp(now - dt.timedelta(hours=rng.randint(1, 96)))
            due = stamp(now + dt.timedelta(hours=rng.randint(-48, 48)))
            whistles.append((stamp(now), stamp(now), 1, codes.new_code(), station.pk,
                             units[(n + 1) % STATIONS][0].pk, officer.pk, raised, "协查",
                             "", "请协助", "", due, "raised"))  # fmt: skip
        insert("incidents_whistlerequest", ["created_at", "updated_at", "version", "code",
               "raised_by_unit_id", "to_unit_id", "raised_by_id", "raised_at", "title",
               "location_text", "reason", "case_number", "due_at", "status"], whistles)  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=2_000_000)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    setup(args.database_url)
    started = time.perf_counter()
    build(args.incidents)
    print(f"build {time.perf_counter() - started:.0f} s")
    from django.db import connection
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    from fengqiao.accounts.models import User
    from fengqiao.incidents.models import Deadline, Incident

    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    cases = {
        "duty list (clocks about to breach)": (reverse("incidents:duty"), {}),
        "incident list, first page": (reverse("incidents:list"), {}),
        "incident list, open only": (reverse("incidents:list"), {"status": "open"}),
        "incident list, 盗窃 in one month": (
            reverse("incidents:list"),
            {
                "category": "0101",
                "date_from": (timezone.localdate() - dt.timedelta(days=30)).isoformat(),
                "date_to": yesterday,
            },
        ),
        "morning brief (yesterday)": (reverse("incidents:brief"), {"day": yesterday}),
    }
    print(f"\n{connection.vendor}: {Incident.objects.count():,} incidents, "
          f"{Deadline.objects.count():,} clocks; median of {REPEAT}, ms server time\n")  # fmt: skip
    print("| request | user | median ms | p90 ms |\n|---|---|---|---|")
    for username, label in (("bench.station", "station chief"), ("bench.bureau", "bureau")):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for name, (url, query) in cases.items():
            times = []
            for _ in range(REPEAT):
                began = time.perf_counter()
                response = client.get(url, query)
                times.append((time.perf_counter() - began) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{name}: HTTP {response.status_code}")
            times.sort()
            print(f"| {name} | {label} | {statistics.median(times):.1f} | "
                  f"{times[int(len(times) * 0.9)]:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
