"""Reads of the jurisdiction tree. Each one is a single query on the materialised path."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet

from fengqiao.core.roles import Capability
from fengqiao.jurisdictions.models import (
    ALLOWED_PARENTS,
    POLICE_KINDS,
    Jurisdiction,
    Kind,
    TreeChange,
)


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
    peers = subtree(bureau).filter(kind__in=(Kind.UNIT, Kind.STATION), retired_at=None)
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
    """Police bodies in the user's scope: where he may place staff (retired ones left
    out: they keep their history but take no one new)."""
    return _in_scope(user).filter(kind__in=POLICE_KINDS, retired_at=None)


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


# --- maintaining the tree (fengqiao.jurisdictions.editing) -------------------------------


def can_edit_tree(user: Any) -> bool:
    """Whether the tree page offers the maintenance actions to ``user``."""
    return bool(user.is_active and user.can(Capability.MANAGE_JURISDICTIONS))


def editable_for(user: Any) -> QuerySet[Jurisdiction]:
    """The nodes ``user`` may change: his scope, if he manages jurisdictions at all."""
    return _in_scope(user) if can_edit_tree(user) else Jurisdiction.objects.none()


def editable_node(user: Any, pk: int) -> Jurisdiction:
    """A node ``user`` may change (``Jurisdiction.DoesNotExist`` otherwise: a 404)."""
    return editable_for(user).select_related("parent", "lead_station", "named_officer").get(pk=pk)


def move_targets(user: Any, node: Jurisdiction) -> QuerySet[Jurisdiction]:
    """Active nodes of a kind ``node`` may hang under, outside its own subtree."""
    kinds = [kind for kind in ALLOWED_PARENTS[node.kind] if kind is not None]
    return (
        editable_for(user)
        .filter(kind__in=kinds, retired_at=None)
        .exclude(path__within=node.path)
        .exclude(pk=node.parent_id or 0)
        .order_by("path")
    )


def merge_targets(user: Any, node: Jurisdiction) -> QuerySet[Jurisdiction]:
    """Active nodes of the same kind that ``node`` may be merged into."""
    return (
        editable_for(user)
        .filter(kind=node.kind, retired_at=None)
        .exclude(path__within=node.path)
        .order_by("path")
    )


def lead_station_choices(user: Any, station: Jurisdiction) -> QuerySet[Jurisdiction]:
    """Active stations of the same bureau that may lead ``station`` (中心派出所)."""
    bureau = nearest(station, BUREAU_KINDS)
    stations = editable_for(user).filter(kind=Kind.STATION, retired_at=None)
    if bureau is not None:
        stations = stations.filter(path__within=bureau.path)
    return stations.exclude(pk=station.pk).order_by("path")


def coverage_choices(user: Any, district: Jurisdiction) -> QuerySet[Jurisdiction]:
    """Communities and grids a district may cover: those under the townships where the
    districts of its bureau already cover areas (a bureau's administrator sees no
    administrative tree of his own; a province's communities would be tens of thousands of
    boxes), plus what it covers now. A root-level administrator setting up a bureau that
    covers nothing yet is offered every community and grid."""
    areas = Jurisdiction.objects.filter(kind__in=(Kind.COMMUNITY, Kind.GRID))
    if not can_edit_tree(user):
        return areas.none()
    bureau = nearest(district, BUREAU_KINDS) or district
    # A community's ancestors end with its township, a grid's with township, community.
    townships = set()
    for node in Jurisdiction.objects.filter(covered_by__path__within=bureau.path).only(
        "path", "kind"
    ):
        ids = node.ancestor_ids
        township = ids[-1] if node.kind == Kind.COMMUNITY else ids[-2] if len(ids) > 1 else None
        if township is not None:
            townships.add(township)
    if not townships and _sees_every_tree(user):
        return areas.filter(retired_at=None).order_by("path")
    paths = Jurisdiction.objects.filter(pk__in=townships).values_list("path", flat=True)
    query = Q(pk__in=district.covers.values("pk"))
    for path in paths:
        query |= Q(path__within=path)
    kept = Q(retired_at=None) | Q(pk__in=district.covers.values("pk"))
    return areas.filter(query).filter(kept).order_by("path")


def officer_choices(user: Any, node: Jurisdiction) -> QuerySet[Any]:
    """Staff a police room may be named after: the accounts of its station (inactive ones
    too: rooms are often named after retired or fallen officers)."""
    from django.contrib.auth import get_user_model

    if not can_edit_tree(user):
        return get_user_model().objects.none()
    station = nearest(node, (Kind.STATION,)) or node
    return (
        get_user_model()
        .objects.filter(jurisdiction__path__within=station.path)
        .order_by("-is_active", "full_name")
    )


def recent_changes_for(user: Any, *, limit: int = 20) -> list[TreeChange]:
    """The latest tree changes in ``user``'s scope, newest first, with whether each was
    undone (one query)."""
    if not can_edit_tree(user):
        return []
    return list(
        TreeChange.objects.filter(node__in=editable_for(user))
        .select_related("node", "actor", "undoes")
        .annotate(undone_count=Count("undone_by"))
        .order_by("-at", "-pk")[:limit]
    )


def change_for(user: Any, pk: int) -> TreeChange:
    """One tree change of a node in ``user``'s scope (``TreeChange.DoesNotExist`` else)."""
    return TreeChange.objects.select_related("node").get(pk=pk, node__in=editable_for(user))
