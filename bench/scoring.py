"""一表通考 at province scale: scoring every station, county bureau, city bureau, bureau
department and officer of a province for one month.

    .venv/bin/python bench/scoring.py                       # SQLite, bench/out/scoring.sqlite3
    .venv/bin/python bench/scoring.py --scale 0.1           # a tenth of the month's records
    .venv/bin/python bench/scoring.py --database-url postgres://postgres@127.0.0.1:5432/fengqiao_bench_scoring

The province is shaped like the issue's (Gansu's seeds): 14 city bureaus, 86 county
bureaus with 8 departments (警种部门) each, 1,500 stations, ~6,800 police districts and
18,000 officers. At ``--scale 1`` the scored month holds 250,000 incidents (3,000,000 a
year) with their clocks (~600,000) and 125,000 reporters' surveys, 12,500 disputes
(150,000 a year) with 12,500 planned follow-up visits, 3,000 whistle requests, every
station's 双向评价 of its bureau's departments and a 党建/执法 assessment of every unit.
The records are bulk-inserted, then the rollups are rebuilt from them
(``rollups.rebuild``), as after the province generator. The build is kept and reused
(delete the database file to rebuild).

It then times ``services.compute_scores`` for each level with the default indicator table
(the seeded one) — the work ``./fq manage compute_scores`` does — twice, and reports the
second run per level and in total (target: < 30 s for the whole province)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

CITIES = 14
COUNTIES = 86
STATIONS = 1500
DISTRICTS = 6800
DEPARTMENTS_PER_BUREAU = 8
OFFICERS_PER_STATION = 12
INCIDENTS = 250_000  # one month at scale 1
DISPUTES = 12_500
WHISTLES = 3_000
SEED = 20261


def setup(database_url: str | None, scale: float) -> None:
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    os.environ["FENGQIAO_VAR"] = str(out)
    suffix = "" if scale == 1 else f"-{scale:g}"
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{out / f'scoring{suffix}.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(scale: float, month_start: dt.date) -> None:
    """The province, its officers and one month of records (skipped when present)."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone
    from rich.progress import track

    from fengqiao.accounts.models import StaffKind, User
    from fengqiao.core.roles import Role
    from fengqiao.disputes.models import DisputeCase, FollowUp
    from fengqiao.incidents.models import (
        Category,
        Deadline,
        DeadlineRule,
        Incident,
        SurveyResponse,
        WhistleRequest,
    )
    from fengqiao.jurisdictions.models import Jurisdiction, Kind
    from fengqiao.rollups import store as rollups
    from fengqiao.scoring.models import DepartmentRating, Indicator, ManualAssessment

    if Jurisdiction.objects.filter(kind=Kind.STATION).count() >= STATIONS:
        print("reusing the data already built")
        return
    rng = random.Random(SEED)
    ids = iter(range(1, 10_000_000))
    nodes: list[Jurisdiction] = []

    def node(kind: str, name: str, parent: Jurisdiction | None) -> Jurisdiction:
        pk = next(ids)
        path = f"{parent.path if parent else '/'}{pk}/"
        item = Jurisdiction(id=pk, kind=kind, name=name, parent=parent, path=path,
                            depth=(parent.depth + 1) if parent else 0)  # fmt: skip
        nodes.append(item)
        return item

    department = node(Kind.POLICE_DEPARTMENT, "公安厅", None)
    cities = [node(Kind.CITY_BUREAU, f"市局{c}", department) for c in range(CITIES)]
    counties = [node(Kind.COUNTY_BUREAU, f"分局{k}", cities[k % CITIES]) for k in range(COUNTIES)]
    units = [
        node(Kind.UNIT, f"警种{k}-{u}", county)
        for k, county in enumerate(counties)
        for u in range(DEPARTMENTS_PER_BUREAU)
    ]
    stations = [node(Kind.STATION, f"派出所{s}", counties[s % COUNTIES]) for s in range(STATIONS)]
    districts = [
        node(Kind.POLICE_DISTRICT, f"警务区{d}", stations[d % STATIONS]) for d in range(DISTRICTS)
    ]
    with transaction.atomic():
        Jurisdiction.objects.bulk_create(nodes, batch_size=2000)
    password = make_password(None)
    officers: list[User] = []
    for s, station in enumerate(track(stations, description="officers")):
        for o in range(OFFICERS_PER_STATION):
            officers.append(User(
                username=f"o{s}-{o}", password=password, full_name=f"民警{s}-{o}",
                role=Role.COMMUNITY_OFFICER if o < 5 else Role.CASE_OFFICER,
                staff_kind=StaffKind.POLICE, jurisdiction=station,
            ))  # fmt: skip
    User.objects.bulk_create(officers, batch_size=5000)
    by_station: dict[int, list[int]] = {}
    for pk, unit in User.objects.filter(username__startswith="o").values_list(
        "pk", "jurisdiction_id"
    ):
        by_station.setdefault(unit, []).append(pk)

    categories = list(Category.objects.filter(parent__isnull=False))
    weights = [6 if c.code.startswith("01") else 3 if c.code.startswith("05") else 2
               for c in categories]  # fmt: skip
    dispatch, arrival, solve = (DeadlineRule.objects.get(kind=k) for k in
                                ("dispatch", "arrival", "solve"))  # fmt: skip
    start = timezone.make_aware(dt.datetime.combine(month_start, dt.time.min))
    seconds = 28 * 24 * 3600
    n_incidents = int(INCIDENTS * scale)
    made = 0
    for offset in track(range(0, n_incidents, 10_000), description="incidents and clocks"):
        batch = []
        for i in range(offset, min(offset + 10_000, n_incidents)):
            district = districts[int(rng.paretovariate(1.2) * 37 + i) % DISTRICTS]
            station = stations[(district.pk - districts[0].pk) % STATIONS]
            at = start + dt.timedelta(seconds=rng.randrange(seconds))
            cat = rng.choices(categories, weights)[0] if rng.random() < 0.9 else None
            batch.append(Incident(
                tracking_code=f"B{i:09d}", received_at=at, source="110",
                location_text="某路某号", jurisdiction=district, description="报警",
                category=cat, suggested_category=cat or categories[0],
                status=rng.choice(["closed", "closed", "handled", "invalid", "case_registered"]),
                status_changed_at=at, received_by_id=rng.choice(by_station[station.pk]),
            ))  # fmt: skip
        with transaction.atomic():
            Incident.objects.bulk_create(batch, batch_size=5000)
            clocks = []
            for incident in batch:
                for rule in (dispatch, arrival):
                    due = incident.received_at + dt.timedelta(minutes=rule.minutes)
                    late = rng.random() < 0.08
                    clocks.append(Deadline(
                        incident=incident, rule=rule, jurisdiction_id=incident.jurisdiction_id,
                        due_at=due,
                        met_at=due + dt.timedelta(minutes=3) if late else due - dt.timedelta(
                            minutes=1),
                    ))  # fmt: skip
                if incident.category and incident.category.code == "0101":
                    due = incident.received_at + dt.timedelta(hours=24)
                    clocks.append(Deadline(
                        incident=incident, rule=solve, jurisdiction_id=incident.jurisdiction_id,
                        due_at=due, met_at=due - dt.timedelta(hours=2)
                        if rng.random() < 0.55 else None,
                    ))  # fmt: skip
            Deadline.objects.bulk_create(clocks, batch_size=5000)
            SurveyResponse.objects.bulk_create(
                [SurveyResponse(incident=incident, rating=rng.choice(
                    ["satisfied"] * 8 + ["fairly", "dissatisfied"]))
                 for incident in batch if incident.status == "closed" and rng.random() < 0.6],
                batch_size=5000,
            )  # fmt: skip
        made += len(batch)
    with connection.cursor() as cursor:  # answers a day after the call (auto_now_add said now)
        cursor.execute(
            "UPDATE incidents_surveyresponse SET at = (SELECT received_at FROM "
            "incidents_incident i WHERE i.id = incidents_surveyresponse.incident_id)"
        )
    cases = []
    for i in track(range(int(DISPUTES * scale)), description="disputes"):
        district = districts[rng.randrange(DISTRICTS)]
        station = stations[(district.pk - districts[0].pk) % STATIONS]
        at = start + dt.timedelta(seconds=rng.randrange(seconds))
        status = rng.choices(["resolved", "failed", "accepted", "withdrawn"], [80, 5, 12, 3])[0]
        cases.append(DisputeCase(
            code=f"D{i:09d}", jurisdiction=district, category="neighbours", source="walk_in",
            track="people", status=status, status_changed_at=at, narrative="纠纷",
            registered_at=at, registered_by_id=rng.choice(by_station[station.pk]),
            turned_criminal=rng.random() < 0.004,
        ))  # fmt: skip
    DisputeCase.objects.bulk_create(cases, batch_size=5000)
    FollowUp.objects.bulk_create([
        FollowUp(case=case, due_on=case.registered_at.date() + dt.timedelta(days=7),
                 done_at=case.registered_at + dt.timedelta(days=7) if rng.random() < 0.9
                 else None, visitor_id=case.registered_by_id, outcome="stable",
                 satisfaction=rng.choice(["satisfied"] * 9 + ["unsatisfied"]))
        for case in cases if case.status == "resolved"
    ], batch_size=5000)  # fmt: skip
    WhistleRequest.objects.bulk_create([
        WhistleRequest(
            code=f"W{i:08d}", raised_by_unit=stations[i % STATIONS],
            to_unit=units[(i % COUNTIES) * DEPARTMENTS_PER_BUREAU + i % DEPARTMENTS_PER_BUREAU],
            raised_by_id=by_station[stations[i % STATIONS].pk][0],
            raised_at=start + dt.timedelta(seconds=rng.randrange(seconds)),
            title="协查", reason="请协助", due_at=start + dt.timedelta(days=29),
            escalated_at=start if rng.random() < 0.1 else None,
        )
        for i in range(int(WHISTLES * scale))
    ], batch_size=5000)  # fmt: skip
    month = f"{month_start.year}-{month_start.month:02d}"
    now = timezone.now()
    chief = User.objects.filter(username="o0-0").get()
    DepartmentRating.objects.bulk_create([
        DepartmentRating(period=month, station=station, department=units[
            (index % COUNTIES) * DEPARTMENTS_PER_BUREAU + u], attitude=rng.randint(3, 5),
            response=rng.randint(2, 5), cooperation=rng.randint(3, 5), rated_by=chief,
            rated_at=now)
        for index, station in enumerate(stations) for u in range(DEPARTMENTS_PER_BUREAU)
    ], batch_size=5000)  # fmt: skip
    manual = Indicator.objects.filter(manual=True)
    ManualAssessment.objects.bulk_create([
        ManualAssessment(indicator=indicator, period=month, node=unit,
                         value=rng.randint(70, 100), entered_by=chief)
        for indicator in manual for unit in [*stations, *counties, *cities]
    ], batch_size=5000)  # fmt: skip
    started = time.perf_counter()
    rollups.rebuild()
    print(
        f"built: {made:,} incidents, {Deadline.objects.count():,} clocks, "
        f"{len(cases):,} disputes; rollups rebuilt in {time.perf_counter() - started:.1f} s"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of a month's records")
    args = parser.parse_args()
    setup(args.database_url, args.scale)

    from django.db import connection

    from fengqiao.scoring import periods, services
    from fengqiao.scoring.models import Level, Score, ScoreItem

    period = periods.current().previous()
    build(args.scale, period.start)
    print(f"{connection.vendor}: scoring {period.key} (scale {args.scale:g})")
    timings: dict[str, float] = {}
    for run in (1, 2):
        for level in Level.values:
            started = time.perf_counter()
            card = services.compute_scores(period=period, level=level)
            timings[level] = time.perf_counter() - started
            if run == 2:
                print(f"  {level:<14} {card.scores.count():>6,} subjects  "
                      f"{timings[level]:6.2f} s")  # fmt: skip
    total = sum(timings.values())
    print(f"  whole province: {total:.2f} s ({Score.objects.count():,} scores, "
          f"{ScoreItem.objects.count():,} items)  target < 30 s: "
          f"{'met' if total < 30 else 'MISSED'}")  # fmt: skip


if __name__ == "__main__":
    main()
