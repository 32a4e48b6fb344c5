"""一屏尽览 at province scale: server time of every dashboard level, grid to province.

    .venv/bin/python bench/dashboards.py --scale 0.1                        # SQLite, 1/10
    .venv/bin/python bench/dashboards.py --scale 1 --database-url postgres://…/fq_province

Builds the synthetic province once (``fengqiao.demo.province``, deterministic from the
seed; its own database file or the PostgreSQL database named) and then requests, as the
provincial administrator, the dashboard of sampled nodes of every level (公安厅, 市局,
分局, 派出所, 警务区) for the running month, the last whole month and the running year,
plus each node's map data and big-screen page; then the same nodes' 警力配置 (staffing)
page, reported apart. Requests go through Django's test client
in-process (middleware, scope check, rollup queries, template rendering), timed from
request to response: server time without the network. Target from the issue: p95 under
150 ms at every level.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
SAMPLE = 12  # nodes per level
LEVELS = ["police_department", "city_bureau", "county_bureau", "station", "police_district"]


def setup(database_url: str | None, scale: float) -> None:
    out = ROOT / "bench" / "out"
    (out / "static").mkdir(parents=True, exist_ok=True)  # whitenoise looks for it
    os.environ["FENGQIAO_VAR"] = str(out)
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{out / f'province-{scale:g}.sqlite3'}"
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


def ensure_province(scale: float, seed: int) -> None:
    from fengqiao.demo import province
    from fengqiao.jurisdictions.models import Jurisdiction, Kind

    if Jurisdiction.objects.filter(kind=Kind.POLICE_DEPARTMENT, name__startswith="甘肃").exists():
        print("province already generated: reusing it")
        return
    started = time.perf_counter()
    report = province.generate(scale=scale, seed=seed)
    print(f"generated in {time.perf_counter() - started:.0f} s: {report}")


def bench_admin():
    from fengqiao.accounts.models import User
    from fengqiao.core.roles import Role
    from fengqiao.jurisdictions.models import Jurisdiction, Kind

    root = Jurisdiction.objects.get(kind=Kind.POLICE_DEPARTMENT, name__startswith="甘肃")
    user, _ = User.objects.get_or_create(
        username="bench.dashboards",
        defaults={"full_name": "基准测试", "role": Role.ADMIN, "jurisdiction": root},
    )
    return user, root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    setup(args.database_url, args.scale)
    ensure_province(args.scale, args.seed)

    from django.db import connection
    from django.db.models import Max
    from django.test import Client
    from django.utils import timezone

    from fengqiao.jurisdictions.models import Jurisdiction
    from fengqiao.rollups.models import Rollup
    from fengqiao.scoring.periods import containing

    user, root = bench_admin()
    client = Client()
    client.force_login(user)
    # The generated records end on its --until day: measure the periods that hold them.
    last = Rollup.objects.filter(fact="incident").aggregate(last=Max("day"))["last"]
    last = min(last or timezone.localdate(), timezone.localdate())
    latest = containing(last)
    periods = [latest.key, latest.previous().key, f"{last:%Y}"]
    print(
        f"{connection.vendor}, scale {args.scale:g}: {Rollup.objects.count():,} rollup rows, "
        f"{Jurisdiction.objects.count():,} nodes; periods {', '.join(periods)}"
    )
    all_times: list[float] = []
    sampled: dict[str, list[int]] = {}
    for level in LEVELS:
        nodes = sampled[level] = list(
            Jurisdiction.objects.filter(kind=level, path__within=root.path)
            .order_by("?" if level != "police_department" else "pk")
            .values_list("pk", flat=True)[:SAMPLE]
        )
        times: list[float] = []
        pages: dict[str, list[float]] = {"dashboard": [], "map": [], "screen": []}
        for round_ in range(args.rounds + 1):
            for pk in nodes:
                for period in periods:
                    for page, url in (
                        ("dashboard", f"/dashboard/{pk}/?period={period}"),
                        ("map", f"/dashboard/{pk}/map.geojson?period={period}"),
                        ("screen", f"/dashboard/{pk}/screen/?period={period}"),
                    ):
                        started = time.perf_counter()
                        response = client.get(url)
                        elapsed = (time.perf_counter() - started) * 1000
                        if response.status_code != 200:
                            raise SystemExit(f"{url}: HTTP {response.status_code}")
                        if round_:  # the first round warms caches and connections
                            times.append(elapsed)
                            pages[page].append(elapsed)
        all_times.extend(times)
        detail = ", ".join(f"{name} p95 {p95(values):.0f}" for name, values in pages.items())
        print(
            f"{level:18} {len(nodes):3} nodes  median {statistics.median(times):6.1f} ms  "
            f"p95 {p95(times):6.1f} ms  max {max(times):6.1f} ms  ({detail})"
        )
    print(f"{'all levels':18}      median {statistics.median(all_times):6.1f} ms  "
          f"p95 {p95(all_times):6.1f} ms  (target: p95 < 150 ms)")  # fmt: skip
    print("警力配置 page (/staffing/, the same nodes; stored 实有人口):")
    for level, nodes in sampled.items():
        times = []
        for round_ in range(args.rounds + 1):
            for pk in nodes:
                started = time.perf_counter()
                response = client.get(f"/staffing/?node={pk}")
                if response.status_code != 200:
                    raise SystemExit(f"/staffing/?node={pk}: HTTP {response.status_code}")
                if round_:
                    times.append((time.perf_counter() - started) * 1000)
        print(f"{level:18} {len(nodes):3} nodes  median {statistics.median(times):6.1f} ms  "
              f"p95 {p95(times):6.1f} ms  max {max(times):6.1f} ms")  # fmt: skip


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


if __name__ == "__main__":
    main()
