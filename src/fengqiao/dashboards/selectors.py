"""Figures for the home page, all computed from the records in the user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count

from fengqiao.accounts.models import User
from fengqiao.accounts.selectors import scoped
from fengqiao.jurisdictions import selectors as jurisdiction_selectors
from fengqiao.jurisdictions.models import Jurisdiction, Kind


@dataclass(frozen=True)
class HomeSummary:
    jurisdiction: Jurisdiction | None
    ancestors: list[Jurisdiction]
    units_by_kind: list[tuple[str, int]]  # (kind label, count) under the scope node
    active_staff: int


def home_summary(*, user: Any) -> HomeSummary:
    """The user's jurisdiction, its place in the tree and what it holds (aggregates only)."""
    root = user.jurisdiction
    if root is None:
        return HomeSummary(None, [], [], 0)
    counts = dict(
        jurisdiction_selectors.subtree(root, include_self=False)
        .values_list("kind")
        .annotate(n=Count("id"))
        .values_list("kind", "n")
    )
    units = [(str(kind.label), counts[kind.value]) for kind in Kind if counts.get(kind.value)]
    staff = scoped(User.objects.filter(is_active=True), user=user).count()
    return HomeSummary(root, list(jurisdiction_selectors.ancestors(root)), units, staff)
