"""The shape of the generated province: outlines that tile their parent, synthetic names,
and the plan of nodes below each county (stations → townships → police districts →
communities → grids), all drawn from one seeded ``random.Random``.

Outlines are rectangles in WGS-84 (lng, lat), cut by recursive bisection: a rectangle is
split across its longer side (in kilometres) so that each half's share of the area
follows its children's weights. Cities are ordered by their real seats before each cut,
so 酒泉 lies in the west and 陇南 in the south. Split lines are rounded once and shared
by both halves, so children tile their parent exactly. Plausible, not surveyed."""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fengqiao.demo import province_data as data

Rect = tuple[float, float, float, float]  # lng min, lat min, lng max, lat max


def polygon(rect: Rect) -> dict[str, object]:
    """The GeoJSON Polygon of a rectangle (counter-clockwise, closed)."""
    x0, y0, x1, y1 = rect
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


def tile(
    rect: Rect, weights: Sequence[float], centers: Sequence[tuple[float, float]] | None = None
) -> list[Rect]:
    """Rectangles tiling ``rect`` with areas in proportion to ``weights``, in their order
    (or, with ``centers``, each near its centre)."""
    out: list[Rect | None] = [None] * len(weights)

    def split(box: Rect, items: list[int]) -> None:
        if len(items) == 1:
            out[items[0]] = box
            return
        x0, y0, x1, y1 = box
        across_lng = (x1 - x0) * math.cos(math.radians((y0 + y1) / 2)) >= (y1 - y0)
        if centers is not None:
            axis = 0 if across_lng else 1
            items = sorted(items, key=lambda i: (centers[i][axis], i))
        total = sum(weights[i] for i in items)
        best, best_gap, running = 1, math.inf, 0.0
        for k in range(1, len(items)):
            running += weights[items[k - 1]]
            gap = abs(running - total / 2)
            if gap < best_gap:
                best, best_gap = k, gap
        share = sum(weights[i] for i in items[:best]) / total
        if across_lng:
            cut = round(x0 + (x1 - x0) * share, 6)
            split((x0, y0, cut, y1), items[:best])
            split((cut, y0, x1, y1), items[best:])
        else:
            cut = round(y0 + (y1 - y0) * share, 6)
            split((x0, y0, x1, cut), items[:best])
            split((x0, cut, x1, y1), items[best:])

    split(rect, list(range(len(weights))))
    return [box for box in out if box is not None]


def inside(rect: Rect, u: float, v: float) -> tuple[float, float]:
    """A point strictly inside ``rect`` at fractions ``u``, ``v`` (a margin keeps it
    inside after rounding to six decimals)."""
    x0, y0, x1, y1 = rect
    return (
        round(x0 + (x1 - x0) * (0.03 + 0.94 * u), 6),
        round(y0 + (y1 - y0) * (0.03 + 0.94 * v), 6),
    )


def lognormal(rng: random.Random, sigma: float) -> float:
    """A positive factor with median 1 (hot spots, uneven sizes)."""
    return math.exp(rng.gauss(0.0, sigma))


# --- names -----------------------------------------------------------------------------


class Names:
    """Synthetic place names, unique where they must be (within a county, a community)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def place(self, taken: set[str], suffix: str) -> str:
        heads, tails = data.PLACE_HEADS, data.PLACE_TAILS
        return self._unique(
            taken,
            lambda: self.rng.choice(heads) + self.rng.choice(tails) + suffix,
            lambda n: f"{self.rng.choice(heads)}{n}{suffix}",
        )

    def road(self, taken: set[str]) -> str:
        def draw() -> str | None:
            head, tail = self.rng.choice(data.ROAD_HEADS), self.rng.choice(data.ROAD_TAILS)
            return None if head[-1] == tail[0] else head + tail  # no 丝路路

        return self._unique(taken, draw, lambda n: f"{self.rng.choice(data.ROAD_HEADS)}{n}路")

    def compound(self, taken: set[str]) -> str:
        heads, tails = data.COMPOUND_HEADS, data.COMPOUND_TAILS
        return self._unique(
            taken,
            lambda: self.rng.choice(heads) + self.rng.choice(tails),
            lambda n: f"{self.rng.choice(heads)}{n}小区",
        )

    @staticmethod
    def _unique(
        taken: set[str], draw: Callable[[], str | None], numbered: Callable[[int], str]
    ) -> str:
        """A drawn name not yet ``taken`` (``draw`` may refuse one with None); after 200
        tries a numbered one, so a crowded county still terminates."""
        for _ in range(200):
            name = draw()
            if name is not None and name not in taken:
                break
        else:
            name = numbered(len(taken))
        taken.add(name)
        return name


class People:
    """Personal names with the county's flavour (Hui and Tibetan areas)."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.surnames = [s for s, _ in data.SURNAMES]
        self.cum = _cumulative([w for _, w in data.SURNAMES])
        self.hui = [s for s, _ in data.HUI_SURNAMES]
        self.hui_cum = _cumulative([w for _, w in data.HUI_SURNAMES])

    def name(self, county: str) -> str:
        rng = self.rng
        if county in data.TIBETAN_COUNTIES and rng.random() < 0.6:
            first = rng.choice(data.TIBETAN_NAMES)
            return first + (rng.choice(data.TIBETAN_NAMES) if rng.random() < 0.6 else "")
        if county in data.HUI_COUNTIES and rng.random() < 0.6:
            surname = rng.choices(self.hui, cum_weights=self.hui_cum)[0]
        else:
            surname = rng.choices(self.surnames, cum_weights=self.cum)[0]
        given = rng.choice(data.GIVEN)
        if rng.random() < 0.72:
            given += rng.choice(data.GIVEN)
        return surname + given

    def phone(self) -> str:
        prefix = self.rng.choice(("13", "13", "15", "15", "17", "18", "18", "19"))
        return f"{prefix}{self.rng.randrange(0, 1_000_000_000):09d}"


def _cumulative(weights: Sequence[float]) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


cumulative = _cumulative


# --- the plan ----------------------------------------------------------------------------


@dataclass(slots=True)
class Node:
    """A jurisdiction row before it is written (its id is reserved up front)."""

    id: int
    kind: str
    name: str
    code: str
    parent: Node | None
    path: str
    depth: int
    rect: Rect | None = None
    duty_phone: str = ""
    existing: bool = False  # a GB/T 2260 division already in the database


@dataclass(slots=True)
class Grid:
    node: Node
    community: Node
    district: District
    urban: bool
    road: str  # the grid's own street (urban) or village group prefix (rural)
    compounds: list[str]
    population: float  # share of the province's people
    incident_weight: float
    dispute_weight: float
    # (rooms per floor, floors, units per building, two offsets placing its buildings or
    # houses inside the outline, the first door number): how its addresses are numbered.
    layout: tuple[int, int, int, float, float, int] = (1, 1, 1, 0.0, 0.0, 1)
    addresses: int = 0
    address_ids: array[int] = field(default_factory=lambda: array("q"))  # by number in grid


@dataclass(slots=True)
class District:
    node: Node
    station: Station
    urban: bool
    communities: list[Node] = field(default_factory=list)
    grids: list[Grid] = field(default_factory=list)
    officers: list[int] = field(default_factory=list)  # community officers' user ids


@dataclass(slots=True)
class Station:
    node: Node
    county: County
    urban: bool
    districts: list[District] = field(default_factory=list)


@dataclass(slots=True)
class County:
    index: int
    code: str
    name: str
    division: Node
    city: Node
    bureau: Node  # the county bureau, or the city bureau where the city has no counties
    population: float  # in 10,000
    urban_share: float
    stations: list[Station] = field(default_factory=list)
    address_prefix: str = ""  # 甘肃省兰州市城关区 (the township and community follow)
    last_serial: int = 0  # address code serials already used in this county


def urban_share(name: str, code: str) -> float:
    """How much of a county is town: core urban districts most, then other districts,
    county-level cities, counties."""
    if code in {"620102", "620103", "620104", "620105", "620201", "620302", "620402", "622901"}:
        return 0.95
    if name.endswith("区"):
        return 0.55
    if name.endswith("市"):
        return 0.5
    return 0.22
