"""Ledger import at scale: a CSV of 1,000,000 people (实有人口) referencing 20,000 existing
standard addresses, validated (dry run) and committed through the import engine.

    .venv/bin/python bench/imports.py [--people 1000000] [--addresses 20000]
    .venv/bin/python bench/imports.py --database-url postgres://postgres@127.0.0.1:5432/fengqiao_bench
    .venv/bin/python bench/imports.py --people 100000 --free-text [--database-url …]

``--free-text`` writes the 现住址 column as people write it instead of the address code
(the exact text, with the community before it, 幢 for 栋 and no 室, a Chinese numeral,
full-width digits with the city before it, the room left out), so every row goes through
the matcher; the issue's target: 100,000 rows, dry run plus commit, under 60 s on SQLite
and 90 s on PostgreSQL. The texts are generated: a scale figure, not a quality figure.

Each phase runs in its own child process so its wall time and peak RSS
(``resource.getrusage``) are its own. Targets from the issue: the million rows in under
60 s on SQLite and on PostgreSQL, under 500 MB of memory. The file is ~85 MB, above the
50 MB upload limit of the web page, so the engine is called with a raised limit as
``import_registry --max-size-mb`` would.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建国晓东海燕鹏辉波宁丹斌浩凯"
ROADS = ["阳头路", "凤台街", "书院巷", "泽州路", "文昌街", "红星路", "新市街", "钟楼巷"]
RELATIONS = ["产权人", "家庭成员", "租住", "家庭成员", "家庭成员"]
TYPES = ["户籍人口", "暂住人口", "流动人口", "户籍人口"]
MAX_BYTES = 1024 * 1024 * 1024


def sqlite_url() -> str:
    return f"sqlite:///{OUT / 'imports.sqlite3'}"


def setup(database_url: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["FENGQIAO_VAR"] = str(OUT)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    import django

    django.setup()


def create_postgres_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as db:
        if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            db.execute(f'CREATE DATABASE "{name}"')


def build(address_count: int) -> list[str]:
    """A station with five police districts and communities, and the addresses (bulk).
    Earlier imported people, residences and houses are removed so each run starts equal."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from fengqiao.accounts.models import User
    from fengqiao.addresses import codes
    from fengqiao.addresses.models import StandardAddress
    from fengqiao.jurisdictions.models import Kind
    from fengqiao.jurisdictions.services import create_jurisdiction, set_coverage

    call_command("migrate", verbosity=0)
    with transaction.atomic(), connection.cursor() as cursor:
        for table in (
            "registry_addressreview",
            "registry_residence",
            "registry_person",
            "registry_house",
        ):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    if not User.objects.filter(username="bench.importer").exists():
        with transaction.atomic():
            make = create_jurisdiction
            province = make(actor=None, kind=Kind.PROVINCE, name="山西省", code="140000")
            city = make(actor=None, kind=Kind.CITY, name="晋城市", code="140500", parent=province)
            county = make(actor=None, kind=Kind.COUNTY, name="城区", code="140502", parent=city)
            township = make(actor=None, kind=Kind.TOWNSHIP, name="南街街道", parent=county)
            bureau = make(
                actor=None,
                kind=Kind.COUNTY_BUREAU,
                name="分局",
                parent=make(actor=None, kind=Kind.POLICE_DEPARTMENT, name="厅"),
            )
            station = make(actor=None, kind=Kind.STATION, name="南街派出所", parent=bureau)
            districts, communities = [], []
            for d in range(5):
                district = make(
                    actor=None, kind=Kind.POLICE_DISTRICT, name=f"第{d + 1}警务区", parent=station
                )
                community = make(
                    actor=None, kind=Kind.COMMUNITY, name=f"第{d + 1}社区", parent=township
                )
                set_coverage(actor=None, district=district, areas=[community])
                districts.append(district)
                communities.append(community)
            User.objects.create(
                username="bench.importer",
                full_name="所长",
                role="station_chief",
                jurisdiction=station,
                password=make_password("x" * 12),
            )
            batch = []
            for n in range(1, address_count + 1):
                i = n % 5
                road, room = ROADS[n % len(ROADS)], str(n % 30 + 101)
                local = f"{road}{n}号{n % 9 + 1}栋{room}室"
                batch.append(
                    StandardAddress(
                        code=codes.make_code("140502", n),
                        community=communities[i],
                        police_district=districts[i],
                        road=road,
                        door_number=str(n),
                        building=str(n % 9 + 1),
                        room=room,
                        full_text="山西省晋城市城区南街街道" + communities[i].name + local,
                        local_key=local,
                    )
                )
                if len(batch) == 10_000:
                    StandardAddress.objects.bulk_create(batch)
                    batch.clear()
            StandardAddress.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return list(StandardAddress.objects.values_list("code", flat=True))


_CN = "〇一二三四五六七八九"
_WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


def written(address: tuple[str, str, str, str, str], n: int) -> str:
    """The address as a person would write it on a ledger (one of six habits)."""
    community, road, door, building, room = address
    habit = n % 20
    if habit < 8:
        return f"{road}{door}号{building}栋{room}室"
    if habit < 12:
        return f"{community}{road}{door}号{building}栋{room}室"
    if habit < 15:
        return f"{road}{door}号{building}幢{room}"
    if habit < 17:
        return f"{road}{door}号{_CN[int(building)]}栋{room}室"
    if habit < 19:
        return f"晋城市城区{road}{door}号{building}栋{room}室".translate(_WIDE)
    return f"{road}{door}号{building}栋"  # the room left out: an officer decides


def write_csv(path: Path, people: int, address_codes: list[str], free_text: bool = False) -> None:
    """The ledger as a station would export it from Excel: Chinese headers and labels."""
    from fengqiao.core.validators import id_number_check_character

    rng = random.Random(11)
    base = dt.date(1940, 1, 1)
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["姓名", "身份证号码", "联系电话", "人口类别",
                         "现住址" if free_text else "标准地址编码", "与房屋关系",
                         "迁入日期"])  # fmt: skip
        if free_text:
            from fengqiao.addresses.models import StandardAddress

            by_code = {
                code: rest
                for code, *rest in StandardAddress.objects.values_list(
                    "code", "community__name", "road", "door_number", "building", "room"
                )
            }
        for n in range(people):
            born = base + dt.timedelta(days=n // 1000)  # with n % 1000: unique numbers
            first17 = f"140502{born:%Y%m%d}{n % 1000:03d}"
            moved = dt.date(2000, 1, 1) + dt.timedelta(days=n % 9000)
            writer.writerow([
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                first17 + id_number_check_character(first17),
                f"13{rng.randint(0, 999_999_999):09d}",
                TYPES[n % len(TYPES)],
                written(by_code[address_codes[n % len(address_codes)]], n)
                if free_text
                else address_codes[n % len(address_codes)],
                RELATIONS[n % len(RELATIONS)],
                f"{moved.year}/{moved.month}/{moved.day}",
            ])  # fmt: skip


def phase(name: str, csv_path: Path) -> None:
    """One phase in this (child) process: print its figures as JSON."""
    from fengqiao.accounts.models import User
    from fengqiao.registry import imports

    user = User.objects.select_related("jurisdiction").get(username="bench.importer")
    headers = imports.read_headers(csv_path, max_bytes=MAX_BYTES)
    mapping = imports.propose_mapping("people", headers)
    step = imports.validate_file if name == "validate" else imports.commit_file
    start = time.perf_counter()
    report = step(kind="people", path=csv_path, mapping=mapping, user=user, max_bytes=MAX_BYTES)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"phase": name, "seconds": seconds, "peak_mb": peak_mb,
                      "rows": report.total_rows, "errors": report.error_count,
                      "created": report.created, "to_review": report.to_review,
                      "first_errors": [
                          e.reason for e in report.errors[:3]]}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--addresses", type=int, default=20_000)
    parser.add_argument("--database-url")
    parser.add_argument("--free-text", action="store_true", help="现住址 as text, not codes")
    parser.add_argument("--phase", choices=["validate", "commit"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = args.database_url or sqlite_url()
    if args.phase:
        setup(url)
        phase(args.phase, args.csv)
        return
    if args.database_url:
        create_postgres_database(url)
    elif Path(url.removeprefix("sqlite:///")).exists():
        for suffix in ("", "-wal", "-shm"):  # a fresh database for every SQLite run
            Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    setup(url)
    from django.db import connection

    start = time.perf_counter()
    address_codes = build(args.addresses)
    csv_path = OUT / f"people-{args.people}{'-text' if args.free_text else ''}.csv"
    if not csv_path.exists():
        write_csv(csv_path, args.people, address_codes, args.free_text)
    print(f"setup {time.perf_counter() - start:.1f} s; {csv_path.stat().st_size / 1e6:.0f} MB")
    vendor = connection.vendor
    connection.close()
    results = {}
    for name in ("validate", "commit"):
        command = [sys.executable, __file__, "--phase", name, "--csv", str(csv_path),
                   "--database-url", url]  # fmt: skip
        run = subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
        output = run.stdout
        results[name] = json.loads(output.strip().splitlines()[-1])
        if results[name]["errors"]:
            raise SystemExit(f"{name}: {results[name]}")
    print(f"\n{vendor}: {args.people:,} people rows, {args.addresses:,} addresses\n")
    print("| phase | wall s | rows/s | peak RSS MB | to review |\n|---|---|---|---|---|")
    for name, figures in results.items():
        rate = figures["rows"] / figures["seconds"]
        print(f"| {name} | {figures['seconds']:.1f} | {rate:,.0f} | {figures['peak_mb']:.0f} "
              f"| {figures['to_review']:,} |")  # fmt: skip
    total = sum(figures["seconds"] for figures in results.values())
    print(f"\ndry run + commit: {total:.1f} s")


if __name__ == "__main__":
    main()
