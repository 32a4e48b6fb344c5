"""Inserting many rows at once on the write-heavy path (a 110 feed's batch intake).

``insert`` does what ``Model.objects.bulk_create`` does — the objects come back with
their primary keys, ``auto_now``/``auto_now_add`` times set, marked as saved — and on
PostgreSQL does it with ``COPY … FROM STDIN`` after drawing the ids from the table's
sequence. bulk_create prepares every value of every row through the field's methods and
binds them into one long statement; for a batch of 25 incidents that Python work cost
three to six times what COPY costs, on the path that decides the feed's latency. Elsewhere
(SQLite) it is bulk_create, or plain multi-row inserts when no ids are wanted. No signals
are sent, as with bulk_create."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar, cast

from django.db import connections, models, router

M = TypeVar("M", bound=models.Model)

# Fields whose Python value psycopg writes as PostgreSQL expects it, without the field's
# preparation (exact classes: a subclass may prepare its values).
_AS_IS = {
    models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField,
    models.BigIntegerField, models.SmallIntegerField, models.PositiveIntegerField,
    models.PositiveBigIntegerField, models.PositiveSmallIntegerField, models.BooleanField,
    models.CharField, models.TextField, models.ForeignKey, models.OneToOneField,
}  # fmt: skip


def insert(objs: Iterable[M], *, ids: bool = True) -> list[M]:
    """Insert ``objs`` (all of one model, none saved yet) and return them with their
    primary keys, as ``bulk_create`` would. ``ids=False`` is for rows nobody reads back
    in the request: on PostgreSQL the table's default numbers them and the objects may
    be left without ids (it spares a round trip)."""
    objs = list(objs)
    if not objs:
        return objs
    model = type(objs[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        if ids or any(obj.pk is not None for obj in objs):
            return model._default_manager.using(alias).bulk_create(objs)
        _execute_many(objs, connection)
        return objs
    meta = model._meta
    for obj in objs:  # refuses unsaved related objects, takes ids saved since assignment
        obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]
    missing = [obj for obj in objs if obj.pk is None]
    defaulted = not ids and len(missing) == len(objs)  # the column's default gives the ids
    fields = [f for f in meta.concrete_fields if not (defaulted and f is meta.pk)]
    with connection.cursor() as cursor:
        if missing and not defaulted:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(missing)],
            )
            for obj, (value,) in zip(missing, cursor.fetchall(), strict=True):
                obj.pk = value
        columns = ", ".join(connection.ops.quote_name(cast(str, f.column)) for f in fields)
        prepare = [_preparer(f, connection) for f in fields]
        table = connection.ops.quote_name(meta.db_table)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row([value(obj) for value in prepare])
    if not defaulted:
        for obj in objs:
            obj._state.adding, obj._state.db = False, alias
    return objs


def _execute_many(objs: list[M], connection: Any) -> None:
    """Plain multi-row inserts, the rows' ids left to the table (SQLite): without
    bulk_create's per-object work, a demo's two years of timelines load in half the time."""
    meta = objs[0]._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(cast(str, f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    table = connection.ops.quote_name(meta.db_table)
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - the model's names
    for obj in objs:
        obj._prepare_related_fields_for_save(operation_name="insert")  # type: ignore[attr-defined]
    rows = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objs]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 2000):
            cursor.executemany(sql, rows[start : start + 2000])


def _preparer(field: models.Field, connection: Any) -> Any:
    """A function from an object to the value COPY writes for ``field``."""
    attname = field.attname
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda obj: field.pre_save(obj, add=True)  # sets the time on the object too
    if type(field) in _AS_IS:
        return lambda obj: getattr(obj, attname)
    if type(field) is models.DateTimeField:
        # Aware times go as they are; a naive one gets Django's handling (and warning).
        def aware(obj: Any) -> Any:
            value = getattr(obj, attname)
            if value is None or value.tzinfo is not None:
                return value
            return field.get_db_prep_save(value, connection)

        return aware
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, add=True), connection)
