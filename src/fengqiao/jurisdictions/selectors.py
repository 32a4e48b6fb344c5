"""Reads of the jurisdiction tree. Each one is a single query on the materialised path."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from fengqiao.core.roles import Capability
from fengqiao.jurisdictions.models import POLICE_KINDS, Jurisdiction, Kind


def subtree(node: Jurisdiction, *, include_self: bool = True) -> QuerySet[Jurisdiction]:
    """The node and everything under it, in tree order."""
    nodes = Jurisdiction.objects.filter(path__within=node.path)
    return nodes if include_self else nodes.exclude(pk=node.pk)


def ancestors(node: Jurisdiction) -> QuerySet[Jurisdiction]:
    """From the root down to the node's parent: the breadcrumb."""
    return Jurisdiction.objects.filter(pk__in=node.ancestor_ids).order_by("depth")


def nearest(node: Jurisdiction, kinds: tuple[str, ...]) -> Jurisdiction | None:
    """The node itself or its closest ancestor of one of ``kinds`` (one query at most):
    the station of a police district, the bureau of a station."""
    if node.kind in kinds:
        return node
    return (
        Jurisdiction.objects.filter(pk__in=node.ancestor_ids, kind__in=kinds)
        .order_by("-depth")
        .first()
    )


BUREAU_KINDS = (Kind.COUNTY_BUREAU, Kind.CITY_BUREAU)


def bureau_peers(unit: Jurisdiction) -> QuerySet[Jurisdiction]:
    """The specialised units (警种) and stations of the bureau above ``unit``, except
    ``unit``'s own station: where a station may send a request or hand over a call.
    Units first, then stations, in tree order."""
    station = nearest(unit, (Kind.STATION,))
    bureau = nearest(station or unit, BUREAU_KINDS)
    if bureau is None:
        return Jurisdiction.objects.none()
    peers = subtree(bureau).filter(kind__in=(Kind.UNIT, Kind.STATION))
    if station is not None:
        peers = peers.exclude(pk=station.pk)
    return peers.order_by("-kind", "path")  # "unit" sorts after "station"


def _sees_every_tree(user: Any) -> bool:
    """An administrator at a root (the provincial department) also keeps the
    administrative divisions, which hang from a root of their own."""
    return bool(user.can(Capability.MANAGE_JURISDICTIONS) and user.jurisdiction.parent_id is None)


def _in_scope(user: Any) -> QuerySet[Jurisdiction]:
    if not user.is_active or user.jurisdiction is None:
        return Jurisdiction.objects.none()
    if _sees_every_tree(user):
        return Jurisdiction.objects.all()
    return subtree(user.jurisdiction)


def roots_for(user: Any) -> list[Jurisdiction]:
    """The top nodes of the tree browser: the user's own node, and for a root-level
    administrator every other root too."""
    if not user.is_active or user.jurisdiction is None:
        return []
    if _sees_every_tree(user):
        others = Jurisdiction.objects.filter(parent=None).exclude(pk=user.jurisdiction_id)
        return [user.jurisdiction, *others.order_by("path")]
    return [user.jurisdiction]


def police_units_for(user: Any) -> QuerySet[Jurisdiction]:
    """Police bodies in the user's scope: where he may place staff."""
    return _in_scope(user).filter(kind__in=POLICE_KINDS)


def jurisdiction_for(user: Any, pk: int) -> Jurisdiction:
    """A node inside the user's scope (``Jurisdiction.DoesNotExist`` otherwise)."""
    return _in_scope(user).get(pk=pk)


def children_for(user: Any, node: Jurisdiction) -> QuerySet[Jurisdiction]:
    """The node's children with their own child and staff counts, for the tree browser."""
    return (
        _in_scope(user)
        .filter(parent=node)
        .annotate(
            child_count=Count("children", distinct=True),
            staff_count=Count("staff", filter=Q(staff__is_active=True), distinct=True),
        )
        .order_by("kind", "code", "name")
    )


def coverage_of(node: Jurisdiction) -> QuerySet[Jurisdiction]:
    """Communities and grids a police district covers."""
    return node.covers.order_by("path")
