"""Prior disputes and calls at intake, and the province's risk recompute, at full size.

    .venv/bin/python bench/disputes.py [--scale 1.0] [--lookups 400] [--runs 3]
    .venv/bin/python bench/disputes.py --database-url postgres://postgres@127.0.0.1:5432/fengqiao_bench_disputes

Builds once (drop the database, or delete ``bench/out/disputes*.sqlite3``, to rebuild),
by bulk insert (COPY on PostgreSQL), for a bureau of 20 stations × 5 police districts:

* 1,000,000 standard addresses (10,000 per district);
* 1,000,000 disputes over two years, 80 % at a standard address of their district, with
  2.2 parties each on average (a third party in one case in five) drawn from 1,500,000
  people; one dispute in seven is the same two people again (a feud). Each party has
  his ID number recorded with p = 0.6 and his phone with p = 0.9, and every key
  (:mod:`fengqiao.disputes.parties`) in ``PartyKey``: ~5.5 million keys;
* 100,000 of them open (registered in the last 90 days), with 1.5 sessions each on
  average, agreements and terms for the agreed ones; a threat in 1 narrative in 10;
* 2,000,000 incidents over two years, half at a standard address, 30 % called in from a
  phone of the disputes' people;
* a community officer per district and a mediation room per station.

``--scale 0.01`` builds a hundredth of everything (quick runs, own database file).

Then it measures, in-process:

(a) ``selectors.prior_matches`` as the intake form calls it (parties' name, ID number,
    phone, the address; three years back) for a station chief and for the bureau: known
    parties (a random earlier dispute's) and new people. Median and p95 of
    ``--lookups`` each, milliseconds, in two passes over the same lookups: the first
    meets pages not yet in the cache, the second does not. Target: < 20 ms.
(b) ``risk.recompute_all`` over the 100,000 open cases, ``--runs`` times: the first after
    resetting every level to low (so the high ones raise their notices, as on the first
    night), the others as every later night. On PostgreSQL the case table is vacuumed
    before each run, as autovacuum would between two nights. Target: < 60 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import time
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))
STATIONS, DISTRICTS = 20, 5
DAYS = 730
OPEN_WINDOW_DAYS = 90
BATCH = 20_000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建国晓东海燕鹏辉波宁丹斌浩凯"
ROADS = ["阳头路", "凤台街", "书院巷", "泽州路", "文昌街", "红星路", "新市街", "钟楼巷"]
CATEGORIES = ["neighbours"] * 5 + ["marriage_family"] * 4 + [
    "housing_land", "forest_land", "expropriation", "damages", "damages", "contract",
    "contract", "labour", "consumer", "property_management", "traffic", "medical",
    "other"]  # fmt: skip
STORIES = ["楼上楼下因漏水发生争执，双方多次争吵。", "两户因宅基地边界发生争执。",
           "夫妻因家庭琐事长期不和。", "双方因货款结算发生纠纷。", "工人讨要拖欠的工资。",
           "两车刮擦，双方就赔偿争执不下。", "业主拒交物业费，与物业公司发生纠纷。"]  # fmt: skip
THREATS = ["被申请人扬言“大不了同归于尽”。", "对方说“我弄死你”。", "申请人反映对方扬言要报复。",
           "被申请人称要放火烧了对方的房子。"]  # fmt: skip
SUMMARIES = ["调解员向双方释法说理，双方各自陈述意见。", "双方就赔偿数额分歧较大，约定下次再谈。",
             "双方情绪平稳，对主要事实无异议。"]  # fmt: skip
OPEN_STATUSES = ["accepted"] * 13 + ["registered"] * 3 + ["agreed"] * 3 + ["suspended"]
CLOSED = ["resolved"] * 17 + ["failed", "refused", "withdrawn"]


def setup(database_url: str | None, scale: float) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["FENGQIAO_VAR"] = str(OUT)
    name = "disputes.sqlite3" if scale == 1 else f"disputes-{scale:g}.sqlite3"
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{OUT / name}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    if database_url:
        import psycopg

        base, db_name = database_url.rsplit("/", 1)
        with psycopg.connect(base + "/postgres", autocommit=True) as db:
            if not db.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone():
                db.execute(f'CREATE DATABASE "{db_name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def insert(table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
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
            cursor.executemany(sql, list(rows))


class Codes:
    """Unique display codes (9 characters and a check character) from a counter: random
    ones would collide once in a few builds of this size."""

    def __init__(self, offset: int) -> None:
        from fengqiao.addresses.codes import ALPHABET

        self.alphabet, self.n, self.offset = ALPHABET, 0, offset

    def next(self) -> str:
        from fengqiao.addresses.codes import check_character

        self.n += 1
        value = (self.n * 7_919 + self.offset) % 31**9  # a bijection on 0 … 31^9 − 1
        digits = []
        for _ in range(9):
            value, rest = divmod(value, 31)
            digits.append(self.alphabet[rest])
        body = "".join(digits)
        return body + check_character(body)


class People:
    """The population, computed from an index instead of stored: person ``i`` always has
    the same name, ID number and phone."""

    def __init__(self) -> None:
        from fengqiao.core.validators import id_number_check_character

        self.check = id_number_check_character

    def name(self, i: int) -> str:
        s, g = len(SURNAMES), len(GIVEN)
        given = GIVEN[(i // s) % g] + (GIVEN[(i // (s * g)) % g] if i % 3 else "")
        return SURNAMES[i % s] + given

    def id_number(self, i: int) -> str:
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=i % 20_000)
        first17 = f"140502{birth:%Y%m%d}{(i // 20_000) % 1000:03d}"
        return first17 + self.check(first17)

    def phone(self, i: int) -> str:
        return f"13{(i * 7_919 + 104_729) % 10**9:09d}"


def build(scale: float) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from rich.progress import track

    from fengqiao.accounts.models import User
    from fengqiao.addresses import codes as address_codes
    from fengqiao.disputes import parties
    from fengqiao.disputes.models import MediationRoom
    from fengqiao.jurisdictions.models import Kind
    from fengqiao.jurisdictions.services import create_jurisdiction, set_coverage

    marker = User.objects.filter(username="bench.station").first()
    if marker is not None:
        if marker.full_name != f"scale={scale:g}":
            raise SystemExit(f"the database holds a build at {marker.full_name}: drop it first")
        return
    rng = random.Random(11)
    now = timezone.now()
    sqlite = connection.vendor == "sqlite"
    n_addresses = int(1_000_000 * scale)
    n_disputes = int(1_000_000 * scale)
    n_incidents = int(2_000_000 * scale)
    population = int(1_500_000 * scale)
    wanted_open = int(100_000 * scale)
    people = People()

    def stamp(value: dt.datetime | None) -> object:
        if value is None:
            return None
        return connection.ops.adapt_datetimefield_value(value) if sqlite else value

    def day(value: dt.date) -> object:
        return value.isoformat() if sqlite else value

    if sqlite:
        # Millions of random-key index inserts in one transaction: with the default 2 MB
        # page cache every one spills a page to the WAL (tens of GB); 4 GB keeps them in.
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -4000000")

    with transaction.atomic():
        make = create_jurisdiction
        department = make(actor=None, kind=Kind.POLICE_DEPARTMENT, name="厅")
        bureau = make(actor=None, kind=Kind.COUNTY_BUREAU, name="分局", parent=department)
        province = make(actor=None, kind=Kind.PROVINCE, name="山西省", code="140000")
        city = make(actor=None, kind=Kind.CITY, name="晋城市", code="140500", parent=province)
        county = make(actor=None, kind=Kind.COUNTY, name="城区", code="140502", parent=city)
        township = make(actor=None, kind=Kind.TOWNSHIP, name="街道", parent=county)
        districts: list[tuple[Any, Any]] = []  # (district, community)
        stations = []
        for s in range(STATIONS):
            station = make(actor=None, kind=Kind.STATION, name=f"第{s + 1}派出所", parent=bureau)
            stations.append(station)
            MediationRoom.objects.create(jurisdiction=station, name=f"第{s + 1}所调解室",
                                         judicial_office=f"第{s + 1}司法所")  # fmt: skip
            for d in range(DISTRICTS):
                district = make(actor=None, kind=Kind.POLICE_DISTRICT,
                                name=f"{s + 1}所{d + 1}区", parent=station)  # fmt: skip
                community = make(actor=None, kind=Kind.COMMUNITY, name=f"{s + 1}-{d + 1}社区",
                                 parent=township)  # fmt: skip
                set_coverage(actor=None, district=district, areas=[community])
                districts.append((district, community))
                User.objects.create(
                    username=f"bench.officer.{s + 1}.{d + 1}", full_name=f"民警{s + 1}-{d + 1}",
                    role="community_officer", jurisdiction=district,
                    password=make_password("x" * 12),
                )  # fmt: skip
        for username, name, role, unit in (
            ("bench.station", f"scale={scale:g}", "station_chief", stations[0]),
            ("bench.bureau", "分局指挥室", "command_room", bureau),
        ):
            User.objects.create(username=username, full_name=name, role=role, jurisdiction=unit,
                                password=make_password("x" * 12))  # fmt: skip
        at = stamp(now)
        # Addresses: ids assigned here, so disputes and incidents can point at them.
        first_address = 1 + (_max_id("addresses_standardaddress") or 0)
        per_district = max(1, n_addresses // len(districts))
        address_rows = []
        for n in range(per_district * len(districts)):
            district, community = districts[n // per_district]
            road = ROADS[n % len(ROADS)]
            local = f"{road}{n + 1}号"
            address_rows.append((
                first_address + n, at, at, 1, address_codes.make_code("140502", n + 1),
                community.pk, district.pk, road, str(n + 1), "", "", "", "", "",
                f"山西省晋城市城区街道{community.name}{local}", local, "active",
            ))  # fmt: skip
        insert("addresses_standardaddress", ["id", "created_at", "updated_at", "version",
               "code", "community_id", "police_district_id", "road", "door_number", "compound",
               "building", "unit", "floor", "room", "full_text", "local_key", "status"],
               address_rows)  # fmt: skip
        del address_rows

        def address_of(district_index: int) -> int:
            return first_address + district_index * per_district + rng.randrange(per_district)

        # Disputes, parties and keys, in time order.
        case_codes, incident_codes = Codes(17), Codes(1_000_003)
        first_case = 1 + (_max_id("disputes_disputecase") or 0)
        first_party = 1 + (_max_id("disputes_party") or 0)
        first_key = 1 + (_max_id("disputes_partykey") or 0)
        open_from = now - dt.timedelta(days=OPEN_WINDOW_DAYS)
        recent = n_disputes * OPEN_WINDOW_DAYS / DAYS
        p_open = min(1.0, wanted_open / recent) if recent else 0.0
        step = dt.timedelta(days=DAYS) / max(1, n_disputes)
        start = now - dt.timedelta(days=DAYS)
        feuds: list[tuple[int, int, int, int | None]] = []  # (a, b, district, address)
        case_columns = ["id", "created_at", "updated_at", "version", "code", "jurisdiction_id",
                        "address_id", "location_text", "category", "source", "referred_by",
                        "track", "status", "status_changed_at", "narrative", "amount",
                        "languages", "registered_at", "accepted_at", "due_at", "extended_days",
                        "suspended_at", "closed_at", "offence", "risk_score", "risk_level",
                        "risk_reasons", "turned_criminal", "prevented_people"]  # fmt: skip
        party_columns = ["id", "created_at", "updated_at", "version", "case_id", "kind", "role",
                         "name", "id_number", "credit_code", "phone", "gender", "ethnicity",
                         "occupation", "home_address", "language", "representative",
                         "guardian_name", "guardian_present", "consent", "vulnerable",
                         "party_key"]  # fmt: skip
        key_columns = ["id", "key", "party_id", "case_id"]
        open_cases: list[tuple[int, str, dt.datetime]] = []  # (id, status, registered)
        cases: list[tuple[Any, ...]] = []
        party_rows: list[tuple[Any, ...]] = []
        key_rows: list[tuple[Any, ...]] = []
        party_id, key_id = first_party, first_key

        def flush() -> None:
            insert("disputes_disputecase", case_columns, cases)
            insert("disputes_party", party_columns, party_rows)
            insert("disputes_partykey", key_columns, key_rows)
            cases.clear()
            party_rows.clear()
            key_rows.clear()

        for n in track(range(n_disputes), description="disputes"):
            case_id = first_case + n
            registered = start + step * n
            if feuds and rng.random() < 1 / 7:
                a, b, district_index, address_id = feuds[rng.randrange(len(feuds))]
            else:
                a, b = rng.randrange(population), rng.randrange(population)
                district_index = rng.randrange(len(districts))
                address_id = address_of(district_index) if rng.random() < 0.8 else None
                if len(feuds) < 50_000:
                    feuds.append((a, b, district_index, address_id))
                else:
                    feuds[rng.randrange(len(feuds))] = (a, b, district_index, address_id)
            members = [(a, "applicant"), (b, "respondent")]
            if rng.random() < 0.2:
                members.append((rng.randrange(population), "third_party"))
            is_open = registered >= open_from and rng.random() < p_open
            status = rng.choice(OPEN_STATUSES) if is_open else rng.choice(CLOSED)
            accepted = registered + dt.timedelta(hours=rng.uniform(1, 48))
            narrative = rng.choice(STORIES) + (rng.choice(THREATS) if rng.random() < 0.1 else "")
            amount = Decimal(rng.randrange(100, 500_000)) if rng.random() < 0.6 else None
            reg = stamp(registered)
            cases.append((
                case_id, reg, reg, 1, case_codes.next(), districts[district_index][0].pk,
                address_id, "阳头路", rng.choice(CATEGORIES), "walk_in", "", "people", status,
                reg, narrative, amount, "[]", reg,
                None if status == "registered" else stamp(accepted),
                None if status == "registered" else stamp(accepted + dt.timedelta(days=30)),
                0, stamp(now - dt.timedelta(days=1)) if status == "suspended" else None,
                None if is_open else stamp(registered + dt.timedelta(days=20)), "", 0, "low",
                "[]", False, 0,
            ))  # fmt: skip
            if is_open:
                open_cases.append((case_id, status, registered))
            for person, role in members:
                identity = {
                    "name": people.name(person),
                    "id_number": people.id_number(person) if rng.random() < 0.6 else "",
                    "phone": people.phone(person) if rng.random() < 0.9 else "",
                }
                keys = parties.party_keys(**identity)
                party_rows.append((
                    party_id, reg, reg, 1, case_id, "person", role, identity["name"],
                    identity["id_number"], "", identity["phone"], "", "", "", "", "", "", "",
                    False, "given", rng.random() < 0.05, keys[0],
                ))  # fmt: skip
                for key in keys:
                    key_rows.append((key_id, key, party_id, case_id))
                    key_id += 1
                party_id += 1
            if len(cases) >= BATCH:
                flush()
        flush()
        # Sessions, agreements and terms of the open cases.
        session_rows, agreement_rows, term_rows = [], [], []
        first_agreement = 1 + (_max_id("disputes_mediationagreement") or 0)
        for case_id, status, registered in open_cases:
            if status == "registered":
                continue
            for k in range(rng.choice([0, 1, 1, 1, 2, 2, 3, 4])):
                held = stamp(registered + dt.timedelta(days=k + 1))
                summary = rng.choice(SUMMARIES) if rng.random() > 0.05 else "调解中对方称要报复。"
                session_rows.append((held, held, case_id, held, "调解室", "双方当事人", summary))
            if status == "agreed":
                agreement_id = first_agreement + len(agreement_rows)
                signed = (registered + dt.timedelta(days=3)).date()
                agreement_rows.append((agreement_id, at, at, 1, case_id, "written", "—", "—",
                                       "—", day(signed), day(signed), "调委会", 3))  # fmt: skip
                for _ in range(rng.randint(1, 3)):
                    due = signed + dt.timedelta(days=rng.randrange(5, 60))
                    term = "pending" if due >= now.date() else rng.choice(
                        ["done"] * 6 + ["not_done", "pending"])  # fmt: skip
                    term_rows.append((agreement_id, "赔偿", "现金", day(due), term, ""))
        insert("disputes_mediationsession", ["created_at", "updated_at", "case_id", "held_at",
               "place", "attendees", "summary"], session_rows)  # fmt: skip
        insert("disputes_mediationagreement", ["id", "created_at", "updated_at", "version",
               "case_id", "form", "facts", "matters", "responsibilities", "signed_on",
               "effective_on", "committee", "copies"], agreement_rows)  # fmt: skip
        insert("disputes_agreementterm", ["agreement_id", "text", "method", "due_on", "status",
               "note"], term_rows)  # fmt: skip
        # Incidents.
        incident_columns = ["created_at", "updated_at", "version", "tracking_code",
                            "received_at", "source", "reporter_name", "reporter_phone",
                            "location_text", "address_id", "jurisdiction_id", "description",
                            "validity", "urgency", "status", "status_changed_at",
                            "case_number"]  # fmt: skip
        rows: list[tuple[Any, ...]] = []
        step = dt.timedelta(days=DAYS) / max(1, n_incidents)
        for n in track(range(n_incidents), description="incidents"):
            received = stamp(start + step * n)
            district_index = rng.randrange(len(districts))
            draw = rng.random()
            phone = (people.phone(rng.randrange(population)) if draw < 0.3 else
                     f"15{rng.randrange(10**9):09d}" if draw < 0.9 else "")  # fmt: skip
            rows.append((
                received, received, 1, incident_codes.next(), received, "110", "", phone,
                "阳头路", address_of(district_index) if rng.random() < 0.5 else None,
                districts[district_index][0].pk, "报警人称……", "valid", "normal", "closed",
                received, "",
            ))  # fmt: skip
            if len(rows) >= BATCH:
                insert("incidents_incident", incident_columns, rows)
                rows.clear()
        insert("incidents_incident", incident_columns, rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("addresses_standardaddress", "disputes_disputecase", "disputes_party",
                          "disputes_partykey", "disputes_mediationagreement"):  # fmt: skip
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                    f" (SELECT MAX(id) FROM {table}))"
                )
    with connection.cursor() as cursor:
        # VACUUM on PostgreSQL as well: after a bulk load it sets the visibility map,
        # without which no index-only scan is possible (autovacuum would, in time).
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _max_id(table: str) -> int | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {table}")  # noqa: S608 - fixed table names
        return cursor.fetchone()[0]


def lookups(count: int) -> list[tuple[str, list[dict[str, str]], int | None]]:
    """(kind, people, address) for the intake lookups: half the parties of a random
    earlier dispute of station 1 (and its address), half new people at a random address
    of the station or none."""
    from fengqiao.accounts.models import User
    from fengqiao.disputes.models import DisputeCase, Party

    rng = random.Random(3)
    station = User.objects.get(username="bench.station").jurisdiction
    ids = list(
        DisputeCase.objects.filter(jurisdiction__path__within=station.path).values_list(
            "pk", "address_id"
        )
    )
    result = []
    people = People()
    for _ in range(count // 2):
        case_id, address_id = ids[rng.randrange(len(ids))]
        found = [
            {"name": name, "id_number": id_number, "phone": phone, "credit_code": ""}
            for name, id_number, phone in Party.objects.filter(case_id=case_id).values_list(
                "name", "id_number", "phone"
            )
        ]
        result.append(("known parties", found, address_id))
    for _ in range(count - count // 2):
        strangers = [10**8 + rng.randrange(10**8) for _ in range(2)]
        found = [{"name": people.name(i), "id_number": people.id_number(i),
                  "phone": people.phone(i), "credit_code": ""} for i in strangers]  # fmt: skip
        address_id = ids[rng.randrange(len(ids))][1] if rng.random() < 0.5 else None
        result.append(("new people", found, address_id))
    return result


def measure_prior(count: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from fengqiao.accounts.models import User
    from fengqiao.disputes import selectors

    asks = lookups(count)
    since = timezone.now() - dt.timedelta(days=3 * 365)
    print("\n(a) prior_matches at intake, ms (in-process, scoped selector)\n")
    print("| pass | user | parties | lookups | median | p95 | found (median disputes / "
          "incidents) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    runs = [(p, u) for p in ("first", "second") for u in ("station chief", "bureau")]
    for which, label in runs:
        username = {"station chief": "bench.station", "bureau": "bench.bureau"}[label]
        user = User.objects.select_related("jurisdiction").get(username=username)
        for wanted in ("known parties", "new people"):
            times, disputes, incidents = [], [], []
            for kind, people, address_id in asks:
                if kind != wanted:
                    continue
                began = time.perf_counter()
                found = selectors.prior_matches(
                    user, people=people, address_id=address_id, since=since
                )
                times.append((time.perf_counter() - began) * 1000)
                disputes.append(found.dispute_count)
                incidents.append(found.incident_count)
            times.sort()
            print(f"| {which} | {label} | {wanted} | {len(times)} | "
                  f"{statistics.median(times):.1f} | "
                  f"{times[int(len(times) * 0.95)]:.1f} | {statistics.median(disputes):g} / "
                  f"{statistics.median(incidents):g} |")  # fmt: skip
    print(f"\n({connection.vendor})")


def measure_recompute(runs: int) -> None:
    from django.db import connection, transaction

    from fengqiao.disputes.models import CaseEvent, DisputeCase, WarningNotice
    from fengqiao.disputes.risk import services as risk

    print("\n(b) risk.recompute_all over the open cases\n")
    print("| run | open cases | seconds | cases/s | high | medium | newly high | notices |")
    print("|---|---|---|---|---|---|---|---|")
    times = []
    for run in range(runs):
        if run == 0:  # as on the first night: nothing scored, nobody warned yet
            with transaction.atomic():
                WarningNotice.objects.all().delete()
                CaseEvent.objects.filter(kind="warning").delete()
                DisputeCase.objects.filter(risk_computed_at__isnull=False).update(
                    risk_level="low", risk_score=0, risk_reasons=[], risk_computed_at=None
                )
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":  # not the reset's WAL in the timed run
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            else:  # as autovacuum does between two nights (it is off on the test server)
                cursor.execute("VACUUM ANALYZE disputes_disputecase")
        began = time.perf_counter()
        report = risk.recompute_all()
        seconds = time.perf_counter() - began
        times.append(seconds)
        label = "first (levels reset)" if run == 0 else str(run + 1)
        print(f"| {label} | {report.cases:,} | {seconds:.1f} | {report.cases / seconds:,.0f} | "
              f"{report.high:,} | {report.medium:,} | {report.newly_high:,} | "
              f"{report.notices:,} |")  # fmt: skip
    later = times[1:] or times
    print(f"\nmedian of the later runs: {statistics.median(later):.1f} s ({connection.vendor})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--database-url")
    parser.add_argument("--lookups", type=int, default=400)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip", choices=["prior", "risk"], help="leave one measurement out")
    parser.add_argument("--build-only", action="store_true", help="build the data, measure nothing")
    args = parser.parse_args()
    setup(args.database_url, args.scale)
    started = time.perf_counter()
    build(args.scale)
    print(f"build {time.perf_counter() - started:.0f} s")
    from fengqiao.disputes.models import DisputeCase, PartyKey
    from fengqiao.incidents.models import Incident

    print(f"{DisputeCase.objects.count():,} disputes, {PartyKey.objects.count():,} party keys, "
          f"{Incident.objects.count():,} incidents")  # fmt: skip
    if args.build_only:
        return
    if args.skip != "prior":
        measure_prior(args.lookups)
    if args.skip != "risk":
        measure_recompute(args.runs)


if __name__ == "__main__":
    main()
