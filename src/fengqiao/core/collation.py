"""Code-point ("C") collation for searchable name columns on PostgreSQL.

SQLite compares text byte by byte (code-point order for UTF-8), so one index on ``name``
serves both ``name__prefix`` ranges and ``ORDER BY name``. A PostgreSQL database created
with a linguistic locale (``zh_CN.UTF-8``, ``en_US.UTF-8``, even ``C.UTF-8``) does not: a
``LIKE '王%'`` needs the separate ``varchar_pattern_ops`` index, which cannot give the
order, and at a million people the planner walks the ordered index filtering 430 ms for
the first page. Giving the column the "C" collation makes the plain index do both, as on
SQLite, and the pattern index Django adds becomes dead weight on every insert, so it goes.

Django's model fields do not say this (``db_collation`` would be sent to SQLite too), so
a migration applies it; a later ``AlterField`` of such a column must re-apply it.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def code_point_order(app_label: str, model_name: str, *fields: str) -> migrations.RunPython:
    """A migration operation giving ``fields`` the "C" collation on PostgreSQL only."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        _apply(apps, schema_editor, collation='"C"', like_index=False)

    def backwards(apps: Any, schema_editor: Any) -> None:
        _apply(apps, schema_editor, collation='"default"', like_index=True)

    def _apply(apps: Any, schema_editor: Any, *, collation: str, like_index: bool) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = apps.get_model(app_label, model_name)
        table = schema_editor.quote_name(model._meta.db_table)
        for name in fields:
            field = model._meta.get_field(name)
            column = schema_editor.quote_name(field.column)
            kind = field.db_type(schema_editor.connection)
            schema_editor.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind} COLLATE {collation}"
            )
            if like_index:
                schema_editor.execute(schema_editor._create_like_index_sql(model, field))
            else:
                like = schema_editor._create_index_name(
                    model._meta.db_table, [field.column], suffix="_like"
                )
                schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(like)}")

    return migrations.RunPython(forwards, backwards, elidable=False)
