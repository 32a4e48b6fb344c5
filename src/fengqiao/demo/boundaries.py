"""Outlines (GeoJSON) of the demo's grids, communities, police districts, stations and
bureaus, for the 一屏尽览 maps.

The demo's places are invented, so are their outlines: a plausible patchwork east of
晋城市城区's centre (lng 112.85, lat 35.50). Each grid is one cell of a lattice whose
points and edges are jittered deterministically, so neighbours share their borders
exactly and the map looks drawn rather than ruled; a community is a block of its grids'
cells, a police district the cells of the communities it covers, a station those of its
districts, a bureau those of its stations. An outline is the border of a set of cells,
traced once, so the levels nest without gaps or overlaps.

Only nodes without an outline get one: a deployment that drew its own keeps it, and a
second run changes nothing.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from fengqiao.jurisdictions.models import Jurisdiction, Kind

ORIGIN = (112.835, 35.515)  # lng, lat of the lattice's north-west corner
CELL = (0.0046, 0.0038)  # a grid cell about 420 m square at this latitude
ROWS = 3  # communities per lattice column
JITTER = 0.28  # of a cell: how far lattice points stray
BEND = 0.1  # of a cell: how far an edge's midpoints bulge

Cell = tuple[int, int]  # (column, row) of the grid-cell lattice
Point = tuple[float, float]


def _point(i: int, j: int) -> Point:
    """Lattice point (i, j), moved by a jitter that depends on (i, j) alone."""
    rnd = random.Random(f"p{i},{j}")
    dx, dy = (rnd.uniform(-JITTER, JITTER) for _ in range(2))
    return ORIGIN[0] + (i + dx) * CELL[0], ORIGIN[1] - (j + dy) * CELL[1]


def _edge(a: tuple[int, int], b: tuple[int, int]) -> list[Point]:
    """The lattice edge a → b as points (a first, b excluded), bent the same way
    whichever cell draws it."""
    key = (a, b) if a < b else (b, a)
    rnd = random.Random(f"e{key}")
    bends = [rnd.uniform(-BEND, BEND) for _ in range(2)]
    pa, pb = _point(*key[0]), _point(*key[1])
    nx, ny = -(pb[1] - pa[1]), pb[0] - pa[0]  # a normal, as long as the edge
    inner = [
        (pa[0] + (pb[0] - pa[0]) * t + nx * k, pa[1] + (pb[1] - pa[1]) * t + ny * k)
        for t, k in zip((1 / 3, 2 / 3), bends, strict=True)
    ]
    points = [pa, *inner, pb]
    if key[0] != a:
        points.reverse()
    return points[:-1]


def outline(cells: Iterable[Cell]) -> dict[str, Any] | None:
    """The border of a set of lattice cells as a GeoJSON Polygon (a MultiPolygon when the
    cells fall apart; the demo's areas have no holes)."""
    cells = set(cells)
    if not cells:
        return None
    # Each cell's corners run the same way round, so the directed edges two neighbours
    # share point in opposite directions: the edges without their reverse are the border.
    edges: set[tuple[tuple[int, int], tuple[int, int]]] = set()
    for i, j in cells:
        corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)]
        edges.update(zip(corners, corners[1:] + corners[:1], strict=True))
    outgoing: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for a, b in sorted(edges):
        if (b, a) not in edges:
            outgoing.setdefault(a, []).append(b)
    polygons = [[_ring(ring)] for ring in _rings(outgoing)]
    if len(polygons) == 1:
        return {"type": "Polygon", "coordinates": polygons[0]}
    return {"type": "MultiPolygon", "coordinates": polygons}


def _rings(outgoing: dict[tuple[int, int], list[tuple[int, int]]]) -> list[list[tuple[int, int]]]:
    rings = []
    while outgoing:
        start = min(outgoing)
        ring, here = [], start
        while True:
            ring.append(here)
            targets = outgoing[here]
            there = targets.pop()
            if not targets:
                del outgoing[here]
            here = there
            if here == start:
                break
        rings.append(ring)
    return rings


def _ring(ring: list[tuple[int, int]]) -> list[list[float]]:
    points: list[Point] = []
    for a, b in zip(ring, ring[1:] + ring[:1], strict=True):
        points.extend(_edge(a, b))
    coordinates = [[round(x, 6), round(y, 6)] for x, y in points]
    coordinates.append(coordinates[0])
    if _signed_area(coordinates) < 0:  # RFC 7946: exterior rings counter-clockwise
        coordinates.reverse()
    return coordinates


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in itertools.pairwise(ring)) / 2


# --- the demo bureau -------------------------------------------------------------------


def _snake(k: int, side: int) -> list[Cell]:
    """The cells of the k-th community: down the first column of communities, up the
    next, so that neighbours in the order are neighbours on the map."""
    column, step = divmod(k, ROWS)
    row = step if column % 2 == 0 else ROWS - 1 - step
    return [(column * side + a, row * side + b) for b in range(side) for a in range(side)]


def _layout(bureau: Jurisdiction) -> dict[int, set[Cell]]:
    """The cells of every node of the bureau: grids, communities (and their townships),
    police districts, stations and the bureau with the police levels above it."""
    stations = list(bureau.children.filter(kind=Kind.STATION).order_by("path"))
    districts = {
        s.pk: list(s.children.filter(kind=Kind.POLICE_DISTRICT).order_by("path")) for s in stations
    }
    covers: dict[int, list[Jurisdiction]] = {
        d.pk: list(d.covers.filter(kind=Kind.COMMUNITY).order_by("path"))
        for ds in districts.values() for d in ds
    }  # fmt: skip
    communities: list[Jurisdiction] = []
    for ds in districts.values():
        for d in ds:
            communities.extend(c for c in covers[d.pk] if c not in communities)
    grids = {c.pk: list(c.children.filter(kind=Kind.GRID).order_by("path")) for c in communities}
    side = max([math.ceil(math.sqrt(len(g))) for g in grids.values()] + [1])
    cells: dict[int, set[Cell]] = {}
    for k, community in enumerate(communities):
        block = _snake(k, side)
        cells[community.pk] = set(block)
        if community.parent_id is not None:  # the township
            cells.setdefault(community.parent_id, set()).update(block)
        for grid, cell in zip(grids[community.pk], block, strict=False):
            cells[grid.pk] = {cell}
    for station in stations:
        cells[station.pk] = set()
        for district in districts[station.pk]:
            mine: set[Cell] = set()
            for area in district.covers.all():
                mine |= cells.get(area.pk, set())
            cells[district.pk] = mine
            cells[station.pk] |= mine
    everything = set().union(*(cells[s.pk] for s in stations)) if stations else set()
    for pk in [*bureau.ancestor_ids, bureau.pk]:
        cells[pk] = everything
    return cells


def draw_demo_boundaries(bureau: Jurisdiction) -> int:
    """Give the demo bureau's nodes (and the police levels above it) their outlines where
    they have none; returns how many nodes got one."""
    drawn = 0
    with transaction.atomic():
        for pk, cells in _layout(bureau).items():
            shape = outline(cells)
            if shape is not None:
                drawn += Jurisdiction.objects.filter(pk=pk, boundary__isnull=True).update(
                    boundary=shape
                )
    return drawn
