"""Checking and saving a bureau's unit outlines from one GeoJSON file.

    .venv/bin/python bench/boundaries.py [--repeat 3] [--database-url …]

Builds a county bureau with 20 stations, 24 police districts each and 20 police rooms per
district (10,101 units), every one with an outline: rectangles that tile their parent
exactly (no overlap, shared edges), each edge cut into many collinear points so the file
weighs what real surveyed outlines weigh (~50 MB for 10,101 features, 13-digit
coordinates). Then times, as the background worker runs them
(:func:`fengqiao.jurisdictions.boundaries.run_check` and ``run_save``):

* the check: read + parse, geometry, matching by code, inside-the-parent, sibling
  overlaps (STRtree), the SVG preview;
* the save: the same check again inside the transaction, then the bulk update and one
  audit event per unit.

Prints the median of ``--repeat`` runs of each, the stages' share, the longest gap
between two progress reports (what the page's progress bar waits at most) and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
OUT = ROOT / "bench" / "out"
STATIONS, DISTRICTS, ROOMS = (5, 4), (6, 4), (5, 4)  # columns × rows at each level
BUREAU = (112.60, 35.30, 113.20, 35.80)  # west, south, east, north
POINTS_PER_EDGE = 46


def setup(database_url: str | None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["FENGQIAO_VAR"] = str(OUT)
    if not database_url:  # a fresh file each run: the build is part of the bench's set-up
        (OUT / "boundaries.sqlite3").unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{OUT / 'boundaries.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def rectangle(west: float, south: float, east: float, north: float) -> dict:
    """A rectangle with POINTS_PER_EDGE points on each edge, exactly on the edge."""

    def edge(x0: float, y0: float, x1: float, y1: float) -> list[list[float]]:
        n = POINTS_PER_EDGE
        return [
            [x0 if x0 == x1 else round(x0 + (x1 - x0) * i / n, 13),
             y0 if y0 == y1 else round(y0 + (y1 - y0) * i / n, 13)]
            for i in range(n)
        ]  # fmt: skip

    ring = (edge(west, south, east, south) + edge(east, south, east, north)
            + edge(east, north, west, north) + edge(west, north, west, south))  # fmt: skip
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def split(box: tuple[float, float, float, float], columns: int, rows: int) -> list[tuple]:
    west, south, east, north = box
    xs = [round(west + (east - west) * i / columns, 13) for i in range(columns + 1)]
    ys = [round(south + (north - south) * j / rows, 13) for j in range(rows + 1)]
    return [(xs[i], ys[j], xs[i + 1], ys[j + 1]) for j in range(rows) for i in range(columns)]


def build() -> tuple[int, int, Path]:
    """The tree (bulk, paths computed here: set-up, not the service), an admin at the
    bureau and the GeoJSON file; returns (bureau id, admin id, file)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from fengqiao.accounts import services as account_services
    from fengqiao.accounts.models import StaffKind
    from fengqiao.core.roles import Role
    from fengqiao.jurisdictions.models import Jurisdiction, Kind

    path = OUT / "boundaries.geojson"
    if Jurisdiction.objects.exists():
        raise SystemExit("bench/boundaries.py wants an empty database (PostgreSQL: a new one)")
    rows: list[Jurisdiction] = []
    features: list[dict] = []
    ids = iter(range(1, 1_000_000))

    def node(
        kind: str, name: str, parent: Jurisdiction | None, box: tuple, code: str
    ) -> Jurisdiction:
        pk = next(ids)
        item = Jurisdiction(
            pk=pk, kind=kind, name=name, code=code, parent=parent,
            path=f"{parent.path if parent else '/'}{pk}/", depth=parent.depth + 1 if parent else 0,
        )  # fmt: skip
        rows.append(item)
        features.append({"type": "Feature", "properties": {"code": code, "name": name},
                         "geometry": rectangle(*box)})  # fmt: skip
        return item

    department = Jurisdiction(pk=next(ids), kind=Kind.POLICE_DEPARTMENT, name="测试省公安厅",
                              path="/1/", depth=0)  # fmt: skip
    rows.append(department)
    city = Jurisdiction(pk=next(ids), kind=Kind.CITY_BUREAU, name="测试市公安局", parent=department,
                        path="/1/2/", depth=1)  # fmt: skip
    rows.append(city)
    features.clear()
    bureau = node(Kind.COUNTY_BUREAU, "测试分局", city, BUREAU, "B")
    for s, station_box in enumerate(split(BUREAU, *STATIONS), start=1):
        station = node(Kind.STATION, f"第{s}派出所", bureau, station_box, f"B.{s}")
        for d, district_box in enumerate(split(station_box, *DISTRICTS), start=1):
            district = node(Kind.POLICE_DISTRICT, f"第{d}警务区", station, district_box,
                            f"B.{s}.{d}")  # fmt: skip
            for r, room_box in enumerate(split(district_box, *ROOMS), start=1):
                node(Kind.POLICE_ROOM, f"第{r}警务室", district, room_box, f"B.{s}.{d}.{r}")
    with transaction.atomic():
        Jurisdiction.objects.bulk_create(rows, batch_size=2000)
    admin = account_services.create_staff(
        actor=None, username="bench.admin", password_hash=make_password("x"),
        full_name="基准管理员", role=Role.ADMIN, jurisdiction=bureau,
        staff_kind=StaffKind.POLICE, phone="13800000000", id_number="11010519491231002X",
    )  # fmt: skip
    with path.open("w", encoding="utf-8") as handle:
        json.dump({"type": "FeatureCollection", "features": features}, handle,
                  ensure_ascii=False, separators=(",", ":"))  # fmt: skip
    return bureau.pk, admin.pk, path


class Clock:
    """The progress callback: when each stage started, the longest silence."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}
        self.longest_gap = 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        self.longest_gap = max(self.longest_gap, now - self.last)
        self.last = now
        self.stages.setdefault(stage, now - self.start)


def timed(step, upload_id: int) -> tuple[float, Clock]:
    from fengqiao.jurisdictions import boundaries

    clock = Clock()
    real = boundaries._progress_writer

    def writer(upload):  # keep the real progress file, and time it
        write = real(upload)

        def update(stage: str, done: int, total: int) -> None:
            clock(stage, done, total)
            write(stage, done, total)

        return update

    boundaries._progress_writer = writer
    try:
        started = time.perf_counter()
        step(upload_id)
        elapsed = time.perf_counter() - started
    finally:
        boundaries._progress_writer = real
    clock.longest_gap = max(clock.longest_gap, time.perf_counter() - clock.last)
    return elapsed, clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    setup(args.database_url)
    from django.conf import settings

    from fengqiao.jurisdictions import boundaries
    from fengqiao.jurisdictions.boundary_models import BoundaryUpload, UploadStatus
    from fengqiao.jurisdictions.models import Jurisdiction

    started = time.perf_counter()
    bureau_id, admin_id, path = build()
    units = Jurisdiction.objects.count() - 2
    size = path.stat().st_size
    print(f"built {units:,} units and {size / 2**20:.1f} MB of GeoJSON "
          f"in {time.perf_counter() - started:.1f} s")  # fmt: skip
    target = Path(settings.MEDIA_ROOT) / "boundaries" / "bench"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, target / path.name)
    checks, saves, gaps, stage_times = [], [], [], []
    for _run in range(args.repeat):
        upload = BoundaryUpload.objects.create(
            user_id=admin_id, unit_id=bureau_id, mode="subtree", original_name=path.name,
            file=f"boundaries/bench/{path.name}", match_property="code", match_key="code",
        )  # fmt: skip
        elapsed, clock = timed(boundaries.run_check, upload.pk)
        upload.refresh_from_db()
        if not (upload.status == UploadStatus.CHECKED and upload.can_save):
            raise SystemExit(f"check failed: {upload.report.get('errors')}")
        checks.append(elapsed)
        stage_times.append(("check", clock.stages, elapsed))
        gaps.append(clock.longest_gap)
        BoundaryUpload.objects.filter(pk=upload.pk).update(status=UploadStatus.SAVING)
        elapsed, clock = timed(boundaries.run_save, upload.pk)
        upload.refresh_from_db()
        if upload.status != UploadStatus.DONE:
            raise SystemExit(f"save failed: {upload.report.get('errors')}")
        saves.append(elapsed)
        stage_times.append(("save", clock.stages, elapsed))
        gaps.append(clock.longest_gap)
        print(f"run {_run + 1}: check {checks[-1]:.1f} s, save {saves[-1]:.1f} s")
    saved = Jurisdiction.objects.exclude(boundary=None).count()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nunits: {units:,}   file: {size / 2**20:.1f} MB   outlines stored: {saved:,}")
    print(
        f"check (read, match, parents, overlaps, preview): median {statistics.median(checks):.1f} s"
    )
    print(
        f"save (check again + bulk update + audit):        median {statistics.median(saves):.1f} s"
    )
    both = statistics.median(c + s for c, s in zip(checks, saves, strict=True))
    print(f"check + save:                                    median {both:.1f} s")
    for step in ("check", "save"):
        runs = [(stages, total) for name, stages, total in stage_times if name == step]
        stages, total = sorted(runs, key=lambda run: run[1])[len(runs) // 2]  # the median run
        marks = sorted(stages.items(), key=lambda item: item[1])
        ends = [start for _stage, start in marks[1:]] + [total]
        spans = ", ".join(
            f"{stage} {end - start:.1f} s" for (stage, start), end in zip(marks, ends, strict=True)
        )
        print(f"{step} stages (median run, {total:.1f} s): {spans}")
    print(f"longest gap between progress reports: {max(gaps):.1f} s")
    print(f"peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
