"""Writes to the jurisdiction tree."""

from __future__ import annotations

import csv
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Length, Substr
from django.utils.translation import gettext as _

from fengqiao.audit import services as audit
from fengqiao.core.text import join_list
from fengqiao.jurisdictions import signals
from fengqiao.jurisdictions.models import ALLOWED_PARENTS, Jurisdiction, Kind


def check_parent(kind: str, parent: Jurisdiction | None) -> None:
    """Refuse ``kind`` under ``parent`` unless ALLOWED_PARENTS lets it hang there."""
    allowed = ALLOWED_PARENTS[kind]
    if (parent.kind if parent else None) not in allowed:
        raise ValidationError(
            _("%(kind)s 不能设在 %(parent)s 之下。")
            % {
                "kind": Kind(kind).label,
                "parent": Kind(parent.kind).label if parent else _("顶层"),
            }
        )


@transaction.atomic
def create_jurisdiction(
    *, actor: Any, kind: str, name: str, parent: Jurisdiction | None = None, code: str = ""
) -> Jurisdiction:
    """Add a node under ``parent`` (or a root), with its materialised path."""
    check_parent(kind, parent)
    node = Jurisdiction(kind=kind, name=name.strip(), code=code.strip(), parent=parent)
    node.depth = parent.depth + 1 if parent else 0
    node.path = f"~new~{id(node)}"  # unique placeholder until the id is known
    node.full_clean(exclude=["path"])
    node.save()
    node.path = f"{parent.path if parent else '/'}{node.pk}/"
    Jurisdiction.objects.filter(pk=node.pk).update(path=node.path)
    audit.record(actor=actor, action="create", obj=node, fields=["kind", "name", "code", "parent"])
    return node


def lineage(path: str) -> list[int]:
    """The node ids of a materialised path, root first."""
    return [int(part) for part in path.strip("/").split("/") if part]


def move_subtree(node: Jurisdiction, new_parent: Jurisdiction) -> None:
    """Rewrite the paths of ``node``'s subtree under ``new_parent`` (two UPDATEs) and tell
    the rollups that the subtree's counts now go up another line (inside the caller's
    transaction; no checks, no audit: the callers do both)."""
    old_path, new_path = node.path, f"{new_parent.path}{node.pk}/"
    old_parent_path = old_path[: old_path.rstrip("/").rindex("/") + 1]
    depth_shift = new_parent.depth + 1 - node.depth
    Jurisdiction.objects.filter(path__within=old_path).update(
        path=Concat(Value(new_path), Substr("path", len(old_path) + 1, Length("path"))),
        depth=F("depth") + depth_shift,
    )
    Jurisdiction.objects.filter(pk=node.pk).update(parent=new_parent)
    node.path, node.depth, node.parent = new_path, node.depth + depth_shift, new_parent
    signals.counts_moved.send(
        sender=Jurisdiction,
        node=node,
        old_lineage=lineage(old_parent_path),
        new_lineage=lineage(new_parent.path),
    )


@transaction.atomic
def move_jurisdiction(*, actor: Any, node: Jurisdiction, new_parent: Jurisdiction) -> Jurisdiction:
    """Hang ``node`` and its whole subtree under ``new_parent`` (区划调整) in two UPDATEs.
    The browser's move (:func:`fengqiao.jurisdictions.editing.move`) adds scope, the
    version check and the change log."""
    check_parent(node.kind, new_parent)
    if new_parent.path.startswith(node.path):
        raise ValidationError(
            _("不能把“%(node)s”移到它自己的下级“%(parent)s”之下。")
            % {"node": node.name, "parent": new_parent.name}
        )
    move_subtree(node, new_parent)
    node.refresh_from_db()
    audit.record(actor=actor, action="update", obj=node, fields=["parent"])
    return node


@transaction.atomic
def set_coverage(*, actor: Any, district: Jurisdiction, areas: list[Jurisdiction]) -> None:
    """Record which communities/villages/grids a police district (警务区) covers."""
    if district.kind != Kind.POLICE_DISTRICT:
        raise ValidationError(_("只有警务区可以设置覆盖的社区和网格。"))
    wrong = [area.name for area in areas if area.kind not in {Kind.COMMUNITY, Kind.GRID}]
    if wrong:
        raise ValidationError(_("警务区只能覆盖社区、村或网格：%s") % join_list(wrong))
    district.covers.set(areas)
    audit.record(actor=actor, action="update", obj=district, fields=["covers"])


DIVISIONS_FILE = Path(__file__).resolve().parent / "data" / "divisions-2024.csv"
_DIVISION_KINDS = {"province": Kind.PROVINCE, "city": Kind.CITY, "county": Kind.COUNTY}


@dataclass(frozen=True)
class DivisionLoad:
    created: int
    renamed: int
    unchanged: int


def division_rows(provinces: Collection[str] | None = None) -> list[dict[str, str]]:
    """The shipped GB/T 2260 list (2024), parents before children; ``provinces`` keeps
    only those provinces (two-digit prefixes or six-digit codes)."""
    with DIVISIONS_FILE.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    if provinces:
        prefixes = {code[:2] for code in provinces}
        rows = [row for row in rows if row["code"][:2] in prefixes]
    return rows


@transaction.atomic
def load_divisions(
    *,
    actor: Any,
    provinces: Collection[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> DivisionLoad:
    """Create the provinces, cities and counties of GB/T 2260 that are missing, by code;
    rename those whose official name changed. Idempotent, all or nothing."""
    existing = {
        (node.kind, node.code): node
        for node in Jurisdiction.objects.filter(kind__in=_DIVISION_KINDS.values()).exclude(code="")
    }
    by_code = {code: node for (_kind, code), node in existing.items()}
    created = renamed = unchanged = 0
    for number, row in enumerate(division_rows(provinces), start=1):
        kind = _DIVISION_KINDS[row["level"]]
        node = existing.get((kind, row["code"]))
        if node is None:
            parent = by_code.get(row["parent_code"]) if row["parent_code"] else None
            node = create_jurisdiction(
                actor=actor, kind=kind, name=row["name"], parent=parent, code=row["code"]
            )
            created += 1
        elif node.name != row["name"]:
            node.name = row["name"]
            node.save(update_fields=["name", "updated_at"])
            audit.record(actor=actor, action="update", obj=node, fields=["name"])
            renamed += 1
        else:
            unchanged += 1
        by_code[row["code"]] = node
        if progress:
            progress(number)
    return DivisionLoad(created, renamed, unchanged)
