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
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, models, transaction
from django.db.models import Case, CharField, F, IntegerField, Q, Value, When
from django.db.models.functions import Cast, Coalesce, TruncDate
from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from fengqiao.audit import services as audit
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.scoring.models import Grain, Rollup

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


# Clocks, surveys and visits are counted for units only: no map or zero-case figure asks
# for them per grid, and they are most of the rows a grid would add.
NO_GRID = Cast(Value(None), IntegerField())  # typed: PostgreSQL joins it with an integer
CRIMINAL = "01"  # 刑事: the incident category a 零发案 community has none of


def _day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=LOCAL)


def _incidents() -> models.QuerySet[Any]:
    from fengqiao.incidents.models import Incident

    # Until staff confirm a category the suggested one stands for it, as in the list filter.
    category = Coalesce(F("category__code"), F("suggested_category__code"), Value(""))
    return Incident.objects.values(
        r_unit=F("jurisdiction_id"), r_grid=F("grid_id"), r_day=_day("received_at"),
        r_cat=category, r_st=F("status"),
    )  # fmt: skip


def _local_day(value: dt.datetime) -> dt.date:
    return value.astimezone(LOCAL).date()


def _incident_category(incident: Any) -> str:
    category = incident.category or incident.suggested_category
    return category.code if category is not None else ""


def _incident_key(incident: Any) -> tuple[Any, ...]:
    return (incident.jurisdiction_id, incident.grid_id, _local_day(incident.received_at),
            _incident_category(incident), incident.status)  # fmt: skip


def _crime_area_key(incident: Any) -> tuple[Any, ...] | None:
    if incident.grid_id is None or not _incident_category(incident).startswith(CRIMINAL):
        return None
    return (None, incident.grid.parent_id, _local_day(incident.received_at), "", "")


def _crime_areas() -> models.QuerySet[Any]:
    from fengqiao.incidents.models import Incident

    criminal = Q(category__code__startswith=CRIMINAL) | Q(
        category__isnull=True, suggested_category__code__startswith=CRIMINAL
    )
    return Incident.objects.filter(criminal, grid__isnull=False).values(
        r_unit=NO_GRID, r_grid=F("grid__parent_id"), r_day=_day("received_at"),
        r_cat=Value("", output_field=CharField()), r_st=Value("", output_field=CharField()),
    )  # fmt: skip


def _disputes(*, criminal: bool = False) -> models.QuerySet[Any]:
    from fengqiao.disputes.models import DisputeCase

    cases = DisputeCase.objects.filter(turned_criminal=True) if criminal else DisputeCase.objects
    return cases.values(
        r_unit=F("jurisdiction_id"), r_grid=F("address__grid_id"), r_day=_day("registered_at"),
        r_cat=F("category"), r_st=F("status"),
    )  # fmt: skip


def _deadlines() -> models.QuerySet[Any]:
    from fengqiao.incidents.models import Deadline

    state = Case(
        When(met_at__isnull=True, then=Value("running")),
        When(met_at__lte=F("due_at"), then=Value("met")),
        default=Value("late"),
        output_field=CharField(),
    )
    return Deadline.objects.values(
        r_unit=F("jurisdiction_id"), r_grid=NO_GRID, r_day=_day("due_at"),
        r_cat=F("rule__kind"), r_st=state,
    )  # fmt: skip


def _deadline_key(deadline: Any) -> tuple[Any, ...]:
    met = deadline.met_at
    state = "running" if met is None else "met" if met <= deadline.due_at else "late"
    return (deadline.jurisdiction_id, None, _local_day(deadline.due_at), deadline.rule.kind,
            state)  # fmt: skip


def _surveys() -> models.QuerySet[Any]:
    from fengqiao.incidents.models import SurveyResponse

    return SurveyResponse.objects.values(
        r_unit=F("incident__jurisdiction_id"), r_grid=NO_GRID, r_day=_day("at"),
        r_cat=Value("", output_field=CharField()), r_st=F("rating"),
    )  # fmt: skip


def _follow_ups() -> models.QuerySet[Any]:
    from fengqiao.disputes.models import FollowUp

    return FollowUp.objects.filter(done_at__isnull=False).values(
        r_unit=F("case__jurisdiction_id"), r_grid=NO_GRID, r_day=_day("done_at"),
        r_cat=F("satisfaction"), r_st=F("outcome"),
    )  # fmt: skip


FACTS: dict[str, Fact] = {
    fact.name: fact
    for fact in [
        # 警情 by received day, category (confirmed, else suggested) and current status.
        Fact("incident", "incidents.Incident", _incidents, frozenset(
            {"jurisdiction", "grid", "received_at", "category", "suggested_category", "status"}
        ), "jurisdiction", "grid", "incident", "pk", _incident_key),
        # 刑事警情 per community (and township) alone, with a small index of its own: which
        # communities had crime in a span, for 零发案, without reading every incident row.
        Fact("crime_area", "incidents.Incident", _crime_areas, frozenset(
            {"grid", "received_at", "category", "suggested_category"}
        ), "", "", "incident", "pk", _crime_area_key),
        # 矛盾纠纷 by registration day, category and current status; 民转刑 among them.
        Fact("dispute", "disputes.DisputeCase", _disputes, frozenset(
            {"jurisdiction", "address", "registered_at", "category", "status"}
        ), "jurisdiction", "address__grid", "dispute", "pk"),
        Fact("criminal", "disputes.DisputeCase", lambda: _disputes(criminal=True), frozenset(
            {"jurisdiction", "address", "registered_at", "category", "status", "turned_criminal"}
        ), "jurisdiction", "address__grid", "dispute", "pk"),
        # 时限 by due day and clock kind: met (on time), late, running.
        Fact("clock", "incidents.Deadline", _deadlines, frozenset(
            {"jurisdiction", "due_at", "met_at", "rule"}
        ), "jurisdiction", "", "incident", "incident_id", _deadline_key),
        # Reporters' satisfaction (阳光坐席 survey) by answer day.
        Fact("survey", "incidents.SurveyResponse", _surveys, frozenset({"incident", "rating"}),
             "incident__jurisdiction", "", "incident", "incident_id"),
        # 回访 done, by day, satisfaction and outcome.
        Fact("followup", "disputes.FollowUp", _follow_ups, frozenset(
            {"case", "done_at", "satisfaction", "outcome"}
        ), "case__jurisdiction", "", "dispute", "case_id"),
    ]
}  # fmt: skip


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


def _before_address_save(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    """A dispute counts for its address's grid (read through the address), so moving an
    address to another grid moves its disputes' counts."""
    from fengqiao.disputes.models import DisputeCase

    if kwargs.get("raw") or instance.pk is None or instance._state.adding:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {"grid", "grid_id"} & set(update_fields):
        return
    cases = list(DisputeCase.objects.filter(address_id=instance.pk).values_list("pk", flat=True))
    instance._rollup_cases = cases
    instance._rollup_before = snapshot(DisputeCase, cases) if cases else Counter()


def _after_address_save(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    from fengqiao.disputes.models import DisputeCase

    cases = getattr(instance, "_rollup_cases", None)
    if cases:
        records_changed([(DisputeCase, cases)], instance._rollup_before)
    instance._rollup_cases = None


def connect() -> None:
    """Keep rollups current on every save and delete of a counted model (and of an
    address, whose grid its disputes count under)."""
    for model in {fact.model for fact in FACTS.values()}:
        uid = f"rollups-{model._meta.label}"
        pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}-pre")
        post_save.connect(_after_save, sender=model, dispatch_uid=f"{uid}-post")
        pre_delete.connect(_before_delete, sender=model, dispatch_uid=f"{uid}-predel")
        post_delete.connect(_after_delete, sender=model, dispatch_uid=f"{uid}-postdel")
    address = "addresses.StandardAddress"
    pre_save.connect(_before_address_save, sender=address, dispatch_uid="rollups-address-pre")
    post_save.connect(_after_address_save, sender=address, dispatch_uid="rollups-address-post")


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
