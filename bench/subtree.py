"""Subtree queries on a province-scale jurisdiction tree: the materialised path
(``path__within``, what Fengqiao uses) against the other ways to ask the same question.

    ./fq bench                      # SQLite, then PostgreSQL when reachable
    .venv/bin/python bench/subtree.py --database-url postgres://postgres@127.0.0.1:5432/fengqiao_bench

The tree is shaped like Gansu's (seeds: 14 cities, 86 counties, ~1,350 townships,
~17,000 communities and villages, 6,844 police districts): about 102,000 nodes in the
administrative and police hierarchies together. Each method runs REPEAT times on the same
connection; the table gives medians and the ratio to ``path__within``.
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
REPEAT = 30
CITIES, COUNTIES_PER_CITY, TOWNSHIPS_PER_COUNTY = 14, 6, 16
COMMUNITIES_PER_TOWNSHIP, GRIDS_PER_COMMUNITY = 13, 4
STATIONS_PER_COUNTY, DISTRICTS_PER_STATION = 12, 6


def setup(database_url: str | None) -> None:
    os.environ["FENGQIAO_VAR"] = str(ROOT / "bench" / "out")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'bench' / 'out' / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build_tree() -> dict[str, int]:
    """Insert the tree in bulk (paths computed here: this is set-up, not the service)."""
    from django.db import connection, transaction
    from rich.progress import track

    from fengqiao.jurisdictions.models import Jurisdiction, Kind

    if Jurisdiction.objects.count() > 100_000:
        return landmarks()
    with connection.cursor() as cursor:  # a clean table each build
        cursor.execute("DELETE FROM jurisdictions_jurisdiction_covers")
        cursor.execute("DELETE FROM jurisdictions_jurisdiction")
    next_id = iter(range(1, 10_000_000))

    def node(kind: str, name: str, parent: Jurisdiction | None, batch: list) -> Jurisdiction:
        pk = next(next_id)
        path = f"{parent.path if parent else '/'}{pk}/"
        item = Jurisdiction(id=pk, kind=kind, name=name, parent=parent, path=path,
                            depth=(parent.depth + 1) if parent else 0)  # fmt: skip
        batch.append(item)
        return item

    with transaction.atomic():
        batch: list[Jurisdiction] = []
        province = node(Kind.PROVINCE, "省", None, batch)
        department = node(Kind.POLICE_DEPARTMENT, "公安厅", None, batch)
        for c in track(range(CITIES), description="building the tree"):
            city = node(Kind.CITY, f"市{c}", province, batch)
            bureau = node(Kind.CITY_BUREAU, f"市局{c}", department, batch)
            for k in range(COUNTIES_PER_CITY):
                county = node(Kind.COUNTY, f"县{c}-{k}", city, batch)
                county_bureau = node(Kind.COUNTY_BUREAU, f"分局{c}-{k}", bureau, batch)
                for t in range(TOWNSHIPS_PER_COUNTY):
                    township = node(Kind.TOWNSHIP, f"镇{t}", county, batch)
                    for m in range(COMMUNITIES_PER_TOWNSHIP):
                        community = node(Kind.COMMUNITY, f"社区{m}", township, batch)
                        for g in range(GRIDS_PER_COMMUNITY):
                            node(Kind.GRID, f"网格{g}", community, batch)
                for s in range(STATIONS_PER_COUNTY):
                    station = node(Kind.STATION, f"派出所{s}", county_bureau, batch)
                    for d in range(DISTRICTS_PER_STATION):
                        district = node(Kind.POLICE_DISTRICT, f"警务区{d}", station, batch)
                        node(Kind.POLICE_ROOM, f"警务室{d}", district, batch)
            Jurisdiction.objects.bulk_create(batch, batch_size=2000)
            batch.clear()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE jurisdictions_jurisdiction")
    return landmarks()


def landmarks() -> dict[str, int]:
    from fengqiao.jurisdictions.models import Jurisdiction, Kind

    return {
        "province": Jurisdiction.objects.get(kind=Kind.PROVINCE).pk,
        "city": Jurisdiction.objects.filter(kind=Kind.CITY).order_by("path")[3].pk,
        "county": Jurisdiction.objects.filter(kind=Kind.COUNTY).order_by("path")[20].pk,
        "county bureau": Jurisdiction.objects.filter(kind=Kind.COUNTY_BUREAU)
        .order_by("path")[20]
        .pk,
        "station": Jurisdiction.objects.filter(kind=Kind.STATION).order_by("path")[100].pk,
    }


def methods():
    from django.db import connection

    from fengqiao.jurisdictions.models import Jurisdiction
    from fengqiao.jurisdictions.selectors import subtree

    def within(node: Jurisdiction) -> int:
        return len(list(subtree(node).values_list("pk", flat=True)))

    def within_sql(node: Jurisdiction) -> int:
        # The same query as the selector, executed raw: compares the database work alone
        # with the raw recursive CTE below, without the ORM's per-query overhead.
        with connection.cursor() as cursor:
            cursor.execute(
                sql_within, [node.path, node.path[:-1] + "0"] if sqlite else [node.path + "%"]
            )
            return len(cursor.fetchall())

    sqlite = connection.vendor == "sqlite"
    sql_within = (
        "SELECT id FROM jurisdictions_jurisdiction WHERE path >= %s AND path < %s"
        if sqlite
        else "SELECT id FROM jurisdictions_jurisdiction WHERE path LIKE %s"
    )

    def startswith(node: Jurisdiction) -> int:
        rows = Jurisdiction.objects.filter(path__startswith=node.path).values_list("pk", flat=True)
        return len(list(rows))

    def recursive_cte(node: Jurisdiction) -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                """WITH RECURSIVE sub(id) AS (
                     SELECT id FROM jurisdictions_jurisdiction WHERE id = %s
                     UNION ALL
                     SELECT j.id FROM jurisdictions_jurisdiction j JOIN sub ON j.parent_id = sub.id
                   ) SELECT id FROM sub""",
                [node.pk],
            )
            return len(cursor.fetchall())

    def python_levels(node: Jurisdiction) -> int:
        found, frontier = [node.pk], [node.pk]
        while frontier:
            frontier = list(
                Jurisdiction.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            found += frontier
        return len(found)

    return {
        "path__within, ORM (Fengqiao)": within,
        "path__within, raw SQL": within_sql,
        "path__startswith (Django LIKE)": startswith,
        "WITH RECURSIVE on parent_id": recursive_cte,
        "Python loop, one query per level": python_levels,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: SQLite in bench/out/")
    parser.add_argument("--repeat", type=int, default=REPEAT)
    args = parser.parse_args()
    setup(args.database_url)
    from django.db import connection

    from fengqiao.jurisdictions.models import Jurisdiction

    points = build_tree()
    total = Jurisdiction.objects.count()
    print(f"\n{connection.vendor} {connection.Database.__name__}: {total:,} nodes, "
          f"median of {args.repeat} runs, milliseconds\n")  # fmt: skip
    named = methods()
    header = "| subtree of | nodes | " + " | ".join(named) + " |"
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for label, pk in points.items():
        node = Jurisdiction.objects.get(pk=pk)
        cells, counts, base = [], set(), None
        for method in named.values():
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                counts.add(method(node))
                times.append((time.perf_counter() - start) * 1000)
            median = statistics.median(times)
            base = base or median
            cells.append(f"{median:.2f}" + ("" if median == base else f" (×{median / base:.1f})"))
        if len(counts) != 1:
            raise SystemExit(f"methods disagree on the {label} subtree: {counts}")
        print(f"| {label} | {counts.pop():,} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
