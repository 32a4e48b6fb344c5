"""The rollups follow the tree: when a subtree moves or a unit is merged, the counts kept
at a node belong under another line of ancestors (:data:`signals.counts_moved`).

For a police node the node's own rows are exactly what its old ancestors must lose and
its new ones gain (a record counts for its unit and every unit above it), so the shift
is one read of the node's rows and one upsert. An administrative node (a grid, a
community) also carries the grid lineage (its grid and community only, not every level
above), which a shift cannot tell apart: those changes — rare (区划调整) — rebuild the
rollups instead."""

from __future__ import annotations

from typing import Any

from fengqiao.jurisdictions.models import POLICE_KINDS, Jurisdiction
from fengqiao.rollups import store
from fengqiao.rollups.models import Rollup


def shift_counts(
    *, node: Jurisdiction, old_lineage: list[int], new_lineage: list[int], **kwargs: Any
) -> None:
    """Take ``node``'s counts off the nodes only in ``old_lineage`` and add them to the
    nodes only in ``new_lineage``, inside the tree change's transaction."""
    if node.kind not in POLICE_KINDS:
        store.rebuild()
        return
    lost = [pk for pk in old_lineage if pk not in new_lineage]
    gained = [pk for pk in new_lineage if pk not in old_lineage]
    if not (lost or gained):
        return
    rows = list(
        Rollup.objects.filter(node_id=node.pk)
        .exclude(n=0)
        .values_list("fact", "grain", "day", "category", "status", "n")
    )
    if not rows:
        return
    upserts = [(pk, *row[:5], -row[5]) for pk in lost for row in rows]
    upserts += [(pk, *row) for pk in gained for row in rows]
    store.audit.lock_chain()  # the same order of locks as every other rollup writer
    store._upsert(upserts)


def connect() -> None:
    from fengqiao.jurisdictions import signals

    signals.counts_moved.connect(shift_counts, dispatch_uid="rollups-follow-the-tree")
