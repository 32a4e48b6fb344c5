"""Throughput of the province generator (:mod:`fengqiao.demo.province`): rows written per
second for each stage and table and in total, wall time per stage, peak memory.

    .venv/bin/python bench/generator.py [--scale 0.01] [--seed 42]
    .venv/bin/python bench/generator.py --database-url postgres://postgres@127.0.0.1:5432/fq_gen

SQLite: a fresh file ``bench/out/generator.sqlite3`` every run. PostgreSQL: the database
named in the URL is dropped and created again if its name ends with ``_bench_generator``;
any other must exist and be empty (``createdb fq_gen``) — the generator refuses a
database that already holds the province. Migrations run first and are not timed.

A stage writes several tables (incidents with their clocks and surveys) in one stream, so
rates are per stage, counting all its rows; each table's rows are listed under it. The
rollups stage is :func:`fengqiao.rollups.store.rebuild` over everything generated.
Peak memory is the process's maximum resident set size (``resource.getrusage``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))


def prepare(database_url: str | None) -> str:
    """Point Django at a fresh database; returns its URL."""
    OUT.mkdir(parents=True, exist_ok=True)
    if database_url is None:
        path = OUT / "generator.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        database_url = f"sqlite:///{path}"
    elif database_url.startswith("postgres") and database_url.endswith("_bench_generator"):
        import psycopg

        base, name = database_url.rsplit("/", 1)
        with psycopg.connect(base + "/postgres", autocommit=True) as db:
            db.execute(f'DROP DATABASE IF EXISTS "{name}"')
            db.execute(f'CREATE DATABASE "{name}"')
    os.environ["FENGQIAO_VAR"] = str(OUT)
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    import django

    django.setup()
    return database_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--until", type=dt.date.fromisoformat, default=dt.date(2025, 11, 30))
    parser.add_argument("--database-url", help="PostgreSQL URL (default: a fresh SQLite file)")
    args = parser.parse_args()
    url = prepare(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    from fengqiao.demo import province

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter() - started
    last: dict[str, float] = {}

    def progress(stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last.get(stage, 0.0) > 10 or done >= total:
            last[stage] = now
            print(f"  {stage:<10} {done:>10,} / {total:,}", flush=True)

    report = province.generate(scale=args.scale, seed=args.seed, until=args.until,
                               progress=progress)  # fmt: skip
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    vendor = connection.vendor
    where = url.rsplit("@", 1)[-1]
    print(f"\nprovince generator on {vendor} ({where}), scale {args.scale:g}, seed {args.seed}, "
          f"records up to {args.until}; migrate {migrated:.1f} s (not timed)")  # fmt: skip
    print(f"{'stage':<10} {'table':<34} {'rows':>12} {'seconds':>9} {'rows/s':>10}")
    stages = []
    for stage, _label in province.STAGES:
        seconds = report.seconds[stage]
        tables = report.stages.get(stage, {})
        rows = sum(tables.values())
        print(f"{stage:<10} {'(stage)':<34} {rows:>12,} {seconds:>9.1f} "
              f"{rows / seconds if seconds else 0:>10,.0f}")  # fmt: skip
        for table, count in tables.items():  # a stage's tables share its time: no rate each
            print(f"{'':<10} {table:<34} {count:>12,}")
        stages.append({"stage": stage, "seconds": round(seconds, 2), "tables": tables})
    total_rows, total_seconds = report.total_rows, report.total_seconds
    print(f"{'total':<10} {'':<34} {total_rows:>12,} {total_seconds:>9.1f} "
          f"{total_rows / total_seconds:>10,.0f}")  # fmt: skip
    print(f"wall time with the final commit {report.wall_seconds:.1f} s; peak memory "
          f"{peak_mb:,.0f} MB")  # fmt: skip
    print("structure: " + ", ".join(f"{k} {v:,}" for k, v in report.counts.items()))
    result = {
        "vendor": vendor, "scale": args.scale, "seed": args.seed, "until": str(args.until),
        "machine": platform.platform(), "cpu_count": os.cpu_count(), "stages": stages,
        "total_rows": total_rows, "total_seconds": round(total_seconds, 2),
        "rows_per_second": round(total_rows / total_seconds), "peak_mb": round(peak_mb),
        "wall_seconds": round(report.wall_seconds, 2),
        "counts": report.counts,
    }  # fmt: skip
    target = OUT / f"generator-{vendor}-{args.scale:g}.json"
    target.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print(f"written to {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
