"""What the tree announces to the apps below the domains (the rollups), which it may not
import: the rollups sit above the tree and listen."""

from __future__ import annotations

from django.dispatch import Signal

# The counts kept at ``node`` (every record counted through it) now belong under
# ``new_lineage`` instead of ``old_lineage`` (lists of node ids, root first). Sent inside
# the writing transaction after a subtree moved (the node keeps its own counts: it is in
# both lineages) and after a merge re-pointed a unit's own records (it is in the old one
# only). Keyword arguments: ``node`` (a Jurisdiction), ``old_lineage``, ``new_lineage``.
counts_moved = Signal()
