"""Rollups (汇总): daily and monthly counts per node × category × status, the only table
a dashboard reads.

**One definition of a fact.** Each :class:`Fact` is a queryset over its raw model that
yields, per record, the unit it belongs to (a police node), its grid (or NULL), its local
(Asia/Shanghai) day and its category and status. The same queryset feeds the two ways
rollups are kept, so they cannot disagree:

* **on write** — a model signal reads the record's row before and after the save and
  moves one count from the old key to the new one (an upsert that adds ±1), inside the
  writing transaction, so the figures are never behind the records;
* **rebuild** — :func:`rebuild` (``./fq manage rebuild_rollups``) recounts everything with
  one ``INSERT … SELECT … GROUP BY`` per fact, for a fresh deployment, after a bulk load
  (the province generator) or to repair drift. ``tests/test_rollups.py`` proves the two
  agree.

**Which nodes.** A record counts for its unit and every unit above it (警务区 → 派出所 →
分局 → 市局 → 公安厅), and incidents and disputes also for their grid and that grid's
community: a dashboard of any police node, a map of a district's grids and the zero-case
communities read their own rows. Monthly rows repeat the daily ones summed, so a year's
trend of a province is a few thousand rows.

Writes that bypass model signals (``bulk_create``, ``QuerySet.update``) must call
:func:`records_added` (new records in hand) or :func:`records_changed` themselves, or be
followed by a rebuild.

**Who defines the facts.** Not this module: it imports no domain. Each domain announces
its facts with :func:`register` from its own ``facts.py``, called in its ``AppConfig.ready``
(``incidents/facts.py``: incidents, crime areas, clocks, surveys; ``disputes/facts.py``:
disputes, those turned criminal, follow-up visits), so a new domain adds its counts
without touching the store, and the store never reaches up into a domain.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models, transaction
from django.db.models import CharField, IntegerField, Value
from django.db.models.functions import Cast, TruncDate
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from fengqiao.audit import services as audit
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.rollups.models import Grain, Rollup

LOCAL = ZoneInfo("Asia/Shanghai")
ROW = ("r_unit", "r_grid", "r_day", "r_cat", "r_st")  # aliases that clash with no field


@dataclass(frozen=True)
class Fact:
    """A countable kind of record and how each record is keyed."""

    name: str
    model_path: str  # app_label.Model
    rows: Callable[[], models.QuerySet[Any]]  # values(*ROW), one row per counted record
    # Fields whose change can move a record's key; a save touching none is ignored.
    watched: frozenset[str]
    # Where the unit and the grid are reached from the model (for the records behind a
    # count), and which incident or dispute each counted record belongs to.
    unit_field: str
    grid_field: str  # "" when the fact is not counted per grid
    record: str  # "incident" or "dispute"
    record_field: str
    # The same key computed from a new record in hand, for batch writes that must not read
    # their rows back (a 110 feed); None where no batch writes the fact. Each must agree
    # with ``rows`` — ``tests/test_rollups.py`` holds them equal.
    key_of: Callable[[Any], tuple[Any, ...] | None] | None = None

    @property
    def model(self) -> type[models.Model]:
        from django.apps import apps

        return apps.get_model(self.model_path)


# A fact not counted per grid (a clock, a survey) gives this as its grid: typed, because
# PostgreSQL joins it with an integer.
NO_GRID = Cast(Value(None), IntegerField())
NO_TEXT = Value("", output_field=CharField())  # a fact without category or status


def local_date(field: str) -> TruncDate:
    """The local (Asia/Shanghai) day of a datetime field, in a fact's query."""
    return TruncDate(field, tzinfo=LOCAL)


def local_day(value: dt.datetime) -> dt.date:
    """The local day of a datetime in hand, as :func:`local_date` computes it."""
    return value.astimezone(LOCAL).date()


# --- the registry of facts -------------------------------------------------------------

FACTS: dict[str, Fact] = {}


def register(*facts: Fact) -> None:
    """Count ``facts`` from now on: keep them on every save and delete of their models
    and include them in :func:`rebuild`. Called by each domain from its ``ready``;
    registering the same definition twice is harmless, a different one under a taken
    name is refused."""
    for fact in facts:
        known = FACTS.get(fact.name)
        if known is not None and known != fact:
            raise ValueError(f"the rollup fact {fact.name!r} is already registered")
        FACTS[fact.name] = fact
        # A lazy sender ("app_label.Model"): the model need not be loaded yet.
        uid = f"rollups-{fact.model_path}"
        pre_save.connect(_before_save, sender=fact.model_path, dispatch_uid=f"{uid}-pre")
        post_save.connect(_after_save, sender=fact.model_path, dispatch_uid=f"{uid}-post")
        pre_delete.connect(_before_delete, sender=fact.model_path, dispatch_uid=f"{uid}-predel")
        post_delete.connect(_after_delete, sender=fact.model_path, dispatch_uid=f"{uid}-postdel")


# --- which nodes a record counts for ------------------------------------------------


def unit_lineage(path: str) -> list[int]:
    """A unit and every node above it, from its materialised path."""
    return [int(part) for part in path.strip("/").split("/") if part]


def grid_lineage(path: str) -> list[int]:
    """A grid and its community (the two administrative levels the dashboards map); for a
    community, it and its township."""
    return unit_lineage(path)[-2:]


def _lineages(
    unit_ids: Iterable[int], grid_ids: Iterable[int], known: dict[int, str] | None = None
) -> dict[tuple[str, int], list[int]]:
    """Lineages by ("u", unit) and ("g", grid); the paths not ``known`` read in one query."""
    paths = dict(known or {})
    wanted = {*unit_ids, *grid_ids} - paths.keys()
    if wanted:
        paths.update(Jurisdiction.objects.filter(pk__in=wanted).values_list("pk", "path"))
    found: dict[tuple[str, int], list[int]] = {}
    for pk in unit_ids:
        if pk in paths:
            found["u", pk] = unit_lineage(paths[pk])
    for pk in grid_ids:
        if pk in paths:
            found["g", pk] = grid_lineage(paths[pk])
    return found


# --- on write --------------------------------------------------------------------------

Key = tuple[str, int | None, int | None, dt.date, str, str]  # fact, unit, grid, day, cat, st


def _keys(fact: Fact, pks: Sequence[Any]) -> list[Key]:
    if not pks:
        return []
    rows = fact.rows().filter(pk__in=pks).values_list(*ROW)
    return [
        (fact.name, unit, grid, _as_date(day), cat or "", st or "")
        for unit, grid, day, cat, st in rows
    ]


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def apply(deltas: Counter[Key], paths: dict[int, str] | None = None) -> None:
    """Add each key's delta to its rows, for every node the key counts for (the nodes'
    paths read unless given)."""
    deltas = Counter({k: n for k, n in deltas.items() if n})
    if not deltas:
        return
    lineages = _lineages(
        {k[1] for k in deltas if k[1] is not None},
        {k[2] for k in deltas if k[2] is not None},
        paths,
    )
    rows: Counter[tuple[int, str, str, dt.date, str, str]] = Counter()
    for (fact, unit, grid, day, cat, st), n in deltas.items():
        month = day.replace(day=1)
        nodes = lineages.get(("u", unit), []) + lineages.get(("g", grid), [])  # type: ignore[arg-type]
        for node in nodes:
            rows[node, fact, Grain.DAY, day, cat, st] += n
            rows[node, fact, Grain.MONTH, month, cat, st] += n
    # A province's row for the day is shared by every writer: lock it only while holding
    # the audit chain, which each writer takes before committing anyway — otherwise two
    # writers can each hold rows the other waits for (a deadlock, or a second's stall).
    audit.lock_chain()
    _upsert([(*key, n) for key, n in rows.items() if n])


def _upsert(rows: list[tuple[Any, ...]]) -> None:
    table = connection.ops.quote_name(Rollup._meta.db_table)
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            batch = rows[start : start + 500]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(batch))
            params = [p for (node, fact, grain, day, cat, st, n) in batch
                      for p in (node, fact, str(grain), adapt(day), cat, st, n)]  # fmt: skip
            cursor.execute(
                f"INSERT INTO {table} (node_id, fact, grain, day, category, status, n) "  # noqa: S608 - table name from the model
                f"VALUES {values} ON CONFLICT (node_id, fact, grain, day, category, status) "
                f"DO UPDATE SET n = {table}.n + excluded.n",
                params,
            )


def records_changed(
    groups: Iterable[tuple[type[models.Model], Sequence[Any]]], before: Counter[Key] | None = None
) -> None:
    """Count records written without signals: ``groups`` of (model, primary keys) as they
    are now, ``before`` from :func:`snapshot` taken before the write (none for new
    records). One read per fact, one upsert for them all."""
    after: Counter[Key] = Counter()
    for model, pks in groups:
        after.update(snapshot(model, pks))
    after.subtract(before or Counter())
    apply(after)


def records_added(records: Iterable[models.Model]) -> None:
    """Count new records written without signals (``bulk_create``) from the records in
    hand — their categories, grids and rules loaded — without reading back their rows or
    the paths of the units and grids they hold."""
    keys: Counter[Key] = Counter()
    paths: dict[int, str] = {}
    for record in records:
        for field in record._meta.concrete_fields:
            if field.related_model is Jurisdiction and field.is_cached(record):  # type: ignore[attr-defined]
                node = field.get_cached_value(record)  # type: ignore[attr-defined]
                if node is None:
                    continue
                paths[node.pk] = node.path
                if node.parent_id is not None:  # a grid's community: a crime area
                    paths[node.parent_id] = node.path[: node.path.rstrip("/").rindex("/") + 1]
        for fact in _facts_of(type(record)):
            if fact.key_of is None:
                raise ValueError(f"{fact.name} has no key for records in hand")
            key = fact.key_of(record)
            if key is not None:
                keys[(fact.name, *key)] += 1  # type: ignore[index]
    apply(keys, paths)


def snapshot(model: type[models.Model], pks: Sequence[Any]) -> Counter[Key]:
    """The keys the records count under now (before a write that bypasses signals)."""
    keys: Counter[Key] = Counter()
    for fact in _facts_of(model):
        keys.update(_keys(fact, pks))
    return keys


def _facts_of(model: type[models.Model]) -> list[Fact]:
    label = model._meta.label  # compared as text: looking up each fact's model costs more
    return [f for f in FACTS.values() if f.model_path == label]


def _before_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    if kwargs.get("raw"):
        return
    update_fields = kwargs.get("update_fields")
    names = None if update_fields is None else {f.removesuffix("_id") for f in update_fields}
    facts = [f for f in _facts_of(sender) if names is None or f.watched & names]
    instance._rollup_facts = facts  # type: ignore[attr-defined]
    old: Counter[Key] = Counter()
    if instance.pk is not None and not instance._state.adding:
        for fact in facts:
            old.update(_keys(fact, [instance.pk]))
    instance._rollup_before = old  # type: ignore[attr-defined]


def _after_save(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    facts = getattr(instance, "_rollup_facts", None)
    if kwargs.get("raw") or facts is None:
        return
    delta: Counter[Key] = Counter()
    for fact in facts:
        delta.update(_keys(fact, [instance.pk]))
    delta.subtract(instance._rollup_before)  # type: ignore[attr-defined]
    del instance._rollup_facts  # type: ignore[attr-defined]
    apply(delta)


def _before_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    instance._rollup_before = snapshot(sender, [instance.pk])  # type: ignore[attr-defined]


def _after_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    gone = getattr(instance, "_rollup_before", Counter())
    apply(Counter({k: -n for k, n in gone.items()}))


# --- rebuild ---------------------------------------------------------------------------

LINEAGE_TABLE = "fq_rollup_lineage"


def rebuild(
    *, facts: Iterable[str] | None = None, progress: Callable[[str], None] | None = None
) -> int:
    """Recount the rollups of ``facts`` (all by default) from the raw records; returns the
    number of rows written. One transaction: readers see the old rows until it commits."""
    chosen = [FACTS[name] for name in (facts or FACTS)]
    table = connection.ops.quote_name(Rollup._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        _fill_lineage(cursor)
        Rollup.objects.filter(fact__in=[f.name for f in chosen]).delete()
        for fact in chosen:
            if progress:
                progress(fact.name)
            sql, params = fact.rows().query.sql_with_params()
            for kind, column in (("u", "unit"), ("g", "grid")):
                cursor.execute(
                    f"INSERT INTO {table} (node_id, fact, grain, day, category, status, n) "  # noqa: S608 - our own SQL
                    f"SELECT l.ancestor_id, %s, %s, x.r_day, COALESCE(x.r_cat, ''), "
                    f"COALESCE(x.r_st, ''), COUNT(*) FROM ({sql}) x "
                    f"JOIN {LINEAGE_TABLE} l ON l.kind = %s AND l.node_id = x.r_{column} "
                    f"GROUP BY l.ancestor_id, x.r_day, COALESCE(x.r_cat, ''), COALESCE(x.r_st, '')",
                    [fact.name, Grain.DAY.value, *params, kind],
                )
            cursor.execute(
                f"INSERT INTO {table} (node_id, fact, grain, day, category, status, n) "  # noqa: S608
                f"SELECT node_id, fact, %s, {_month_start('day')}, category, status, SUM(n) "
                f"FROM {table} WHERE fact = %s AND grain = %s "
                f"GROUP BY node_id, fact, {_month_start('day')}, category, status",
                [Grain.MONTH.value, fact.name, Grain.DAY.value],
            )
        cursor.execute(f"DROP TABLE {LINEAGE_TABLE}")
    if connection.vendor == "postgresql":  # fresh statistics, or the planner guesses
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    return Rollup.objects.filter(fact__in=[f.name for f in chosen]).count()


def _month_start(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"date_trunc('month', {column})::date"
    return f"date({column}, 'start of month')"


def _fill_lineage(cursor: Any) -> None:
    """A temporary (node, ancestor) table built from the same lineage rules as writes."""
    cursor.execute(f"DROP TABLE IF EXISTS {LINEAGE_TABLE}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {LINEAGE_TABLE} "
        "(kind char(1) NOT NULL, node_id integer NOT NULL, ancestor_id integer NOT NULL)"
    )
    pairs: list[tuple[str, int, int]] = []
    areas = (Kind.GRID, Kind.COMMUNITY)
    for pk, path in Jurisdiction.objects.exclude(kind=Kind.GRID).values_list("pk", "path"):
        pairs.extend(("u", pk, a) for a in unit_lineage(path))
    for pk, path in Jurisdiction.objects.filter(kind__in=areas).values_list("pk", "path"):
        pairs.extend(("g", pk, a) for a in grid_lineage(path))
    for start in range(0, len(pairs), 5000):
        cursor.executemany(
            f"INSERT INTO {LINEAGE_TABLE} (kind, node_id, ancestor_id) VALUES (%s, %s, %s)",  # noqa: S608
            pairs[start : start + 5000],
        )
    cursor.execute(f"CREATE INDEX {LINEAGE_TABLE}_key ON {LINEAGE_TABLE} (kind, node_id)")
