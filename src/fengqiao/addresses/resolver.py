"""Free-text address resolver (地址解析与匹配): from what a caller says or an officer types
into a 110 record or a dispute form to the standard addresses (标准地址) it most likely means.

Pure Python, in memory, no Django models: build an :class:`AddressIndex` from
:class:`AddressRecord` values, then ``index.resolve(text)``.

Pipeline
--------
1. :func:`normalise`: full-width → half-width, whitespace and punctuation dropped, letters
   upper-cased, Chinese numerals before a marker turned into digits (三单元 → 3单元,
   五楼 → 5层), marker variants unified after a number: 号楼/幢/座/栋/#楼 → 栋, 楼/层 → 层,
   室/户/房 → 室, # → 号.
2. :func:`parse`: the text splits at its first number (or capital letter) into a *head* of
   names and a *tail* of numbers. With an index, the head is peeled from the right against
   the registry's gazetteer (省/市/区县/乡镇街道/社区村 full names and aliases without their
   suffix, roads and compounds), each peeled name ranking strictly above the previous one
   (a road before a compound, a community before a road …). When nothing matches exactly,
   a name within one edit (one wrong, missing or extra character) is looked up through
   deletion-neighbourhood keys (SymSpell): every registry name of three or more characters
   is stored under itself and each of its one-character deletions, so a typo is found with
   ``len(piece) + 1`` dictionary look-ups and checked with an exact edit-distance-1 test.
   Without an index the head is split by suffixes alone (heuristic).
3. Candidates come from exact keys, each a dictionary look-up:
   (road, door, building, unit, room) and (compound, building, unit, room). Only when these
   give nothing, or only addresses in another division than the text names, the search
   widens: every address at that road and door, the same building/unit/room at the other
   doors of the road, every address of the compound (at most ``_WIDEN_CAP`` scored).

Dash shorthand (门牌简写)
-------------------------
After a road, with no door number yet: ``12-502`` = door-room, ``12-3-502`` = door-unit-room,
``12-3-2-502`` = door-building-unit-room; ``12-1号`` (a 号 after it) and a dashed number
the index knows as a door on that road are door numbers. After a door number: ``3-502`` =
unit-room, ``3-2-502`` = building-unit-room. After a compound with no road: ``3-502`` =
building-room, ``3-2-502`` = building-unit-room.

Scoring
-------
Every element (省 市 区县 乡镇街道 社区 道路 门牌 小区 楼栋 单元 楼层 室) has a weight
(``_WEIGHT``). An element written in the text adds its weight to the total and, when the
address has the same value, to the agreement (85 % of it when the value was corrected from
a typo). An element the address has but the text leaves out adds a small omission weight
(``_OMIT``) to the total only: people routinely leave out 省/市, rarely the room. Division
names that are not in the registry are reported and ignored. ``a = agreement / total``.
Conflicts put an address in a lower band, so that no conflicting address ever ranks above
a consistent one:

* no conflict: ``0.7 + 0.3·a`` (0.7‥1.0)
* a different door, building, unit, floor, room, road or compound: ``0.35 + 0.3·a``
* a different division than the text names (a text naming 西街街道 vs an address in
  南街街道): ``0.3·a``. A division name the resolver had to correct from a typo is a guess,
  so disagreeing with it only counts as a local conflict.

An ambiguous alias or typo (太云 = 太云村 or 太云社区; 阳投路 within one edit of two roads)
keeps every registry name it may mean: each is looked up, and an address agreeing with any
of them agrees with the text.

Ties are broken by the address code, so results are deterministic.

Costs (1,000,000 records, see bench/RESULTS-resolver.md): the index keeps the records, one
dictionary entry per record and key kind keyed by the 64-bit hash of the key rather than the
key itself (a colliding key could only add a candidate, which then scores as a conflict),
the road → door → ids and compound → ids groups, and a gazetteer of the distinct names with
their deletion keys. Measured: about 2 s to build and about 230 MB of RSS on top of the
records; 20,000+ resolutions per second on one core.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter

from fengqiao.addresses.reasons import Reason

__all__ = [
    "ELEMENTS",
    "AddressIndex",
    "AddressRecord",
    "Match",
    "ParsedAddress",
    "Resolution",
    "format_record",
    "normalise",
    "parse",
]


@dataclass(frozen=True, slots=True)
class AddressRecord:
    """One registry address (标准地址); every element as the doorplate reads."""

    code: str
    province: str = ""  # 省
    city: str = ""  # 市
    county: str = ""  # 区/县
    township: str = ""  # 乡镇/街道
    community: str = ""  # 社区/村
    road: str = ""  # 街路巷
    door_number: str = ""  # 门牌号
    compound: str = ""  # 小区/院
    building: str = ""  # 栋
    unit: str = ""  # 单元
    floor: str = ""  # 层
    room: str = ""  # 室


@dataclass(slots=True)
class ParsedAddress:
    """The elements read from a free text; "" where the text does not say."""

    province: str = ""
    city: str = ""
    county: str = ""
    township: str = ""
    community: str = ""
    road: str = ""
    door_number: str = ""
    compound: str = ""
    building: str = ""
    unit: str = ""
    floor: str = ""
    room: str = ""


@dataclass(slots=True)
class Match:
    code: str
    score: float  # 0..1, higher is better
    explanation: list[str]  # 中文说明: what matched, what was missing, what was corrected
    # may be pre-selected for the user: no conflict, and no other address close behind
    confident: bool = False


@dataclass(slots=True)
class Resolution:
    text: str
    parsed: ParsedAddress
    matches: list[Match]  # best first
    normalised: str = ""


ELEMENTS = (
    "province",
    "city",
    "county",
    "township",
    "community",
    "road",
    "door_number",
    "compound",
    "building",
    "unit",
    "floor",
    "room",
)
_N = len(ELEMENTS)
_PROVINCE, _CITY, _COUNTY, _TOWNSHIP, _COMMUNITY, _ROAD, _DOOR = range(7)
_COMPOUND, _BUILDING, _UNIT, _FLOOR, _ROOM = range(7, 12)
_DIVISIONS = 5
# Order of names in the head, left to right: a peeled name must rank below the one peeled
# just before it (to its right). Values are indexes into ELEMENTS.
_HEAD_FIELDS = (_PROVINCE, _CITY, _COUNTY, _TOWNSHIP, _COMMUNITY, _ROAD, _COMPOUND)
_RANK = {f: r for r, f in enumerate(_HEAD_FIELDS)}

_WEIGHT = (0.5, 0.5, 1.0, 1.0, 1.0, 2.0, 3.0, 1.5, 2.0, 2.0, 1.0, 3.0)
_OMIT = (0.1, 0.1, 0.2, 0.2, 0.2, 1.0, 1.5, 0.3, 1.0, 1.0, 0.0, 1.5)
_CORRECTED = 0.85
_WIDEN_CAP = 3000  # addresses scored at most when the exact keys give nothing
_MAX_ALTERNATIVES = 64  # registry names kept for one typo: a look-up each

_LABEL = ("省", "市", "区县", "乡镇街道", "社区", "道路", "门牌", "小区", "楼栋", "单元")
_LABEL += ("楼层", "室")
_SUFFIX = ("", "", "", "", "", "", "号", "", "栋", "单元", "层", "")

_get_all = attrgetter(*ELEMENTS)
_NOTHING: frozenset[str] = frozenset()

# --- normalise -------------------------------------------------------------------------

_DELETE = " \t\r\n\u3000\u00a0,.;:!?()[]{}<>'\"`|，。、；：！？（）【】《》〈〉“”‘’「」"
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212~/\u301c"


def _build_table() -> dict[int, int | None]:
    table: dict[int, int | None] = {}
    for wide in range(0xFF01, 0xFF5F):
        narrow = chr(wide - 0xFEE0)
        table[wide] = None if narrow in _DELETE else ord(narrow.upper())
    for c in _DELETE:
        table[ord(c)] = None
    for c in _DASHES:
        table[ord(c)] = ord("-")
    table[0xFF5E] = ord("-")  # full-width tilde
    for c in "abcdefghijklmnopqrstuvwxyz":
        table[ord(c)] = ord(c.upper())
    return table


_TABLE = _build_table()
_NEEDS_TABLE = re.compile("[" + re.escape("".join(map(chr, _TABLE))) + "]")
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGIT |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[零〇一二两三四五六七八九十百]+(?=单元|栋|幢|座|号|层|楼|室|户|巷|弄|期)")
# a letter's 楼 is a building (A楼, B楼); a number's is a floor (10楼 → 10层, below)
_LETTER_BUILDING = re.compile(r"(?<![0-9A-Z])([A-Z])楼")
_MARKER = re.compile(r"(?<=[0-9A-Z])(?:号楼|#楼|幢|座|栋|楼|层|户|房|室|#)|第(?=[0-9])")
_MARKER_CANONICAL = {"号楼": "栋", "#楼": "栋", "幢": "栋", "座": "栋", "栋": "栋", "楼": "层"}
_MARKER_CANONICAL |= {"层": "层", "户": "室", "房": "室", "室": "室", "#": "号", "第": ""}


def _cn_to_digits(text: str) -> str:
    """一百零二 → 102, 十二 → 12, 五零二 → 502 (digit by digit when no 十/百)."""
    if "十" not in text and "百" not in text:
        return "".join(str(_CN_DIGIT[c]) for c in text)
    total = current = 0
    for c in text:
        if c == "百":
            total += (current or 1) * 100
            current = 0
        elif c == "十":
            total += (current or 1) * 10
            current = 0
        else:
            current = _CN_DIGIT[c]
    return str(total + current)


def _numeral(m: re.Match[str]) -> str:
    return _cn_to_digits(m.group())


def _marker(m: re.Match[str]) -> str:
    return _MARKER_CANONICAL[m.group()]


def normalise(text: str) -> str:
    """Canonical spelling of an address text, see the module docstring (规范化)."""
    if _NEEDS_TABLE.search(text):
        text = text.translate(_TABLE)
    if _CN_NUMBER.search(text):
        text = _CN_NUMBER.sub(_numeral, text)
    if "楼" in text:
        text = _LETTER_BUILDING.sub(r"\1栋", text)
    return _MARKER.sub(_marker, text)


# --- parse -------------------------------------------------------------------------------

_TAIL_START = re.compile(r"[甲乙丙丁]?[0-9]|[A-Z]")
_TOKEN = re.compile(r"([甲乙丙丁]?[0-9A-Z]+(?:-[0-9A-Z]+)*)(号|栋|单元|层|室)?|([^0-9A-Z\-]+)")
# Heuristic split of the head by suffixes, for parse() without an index and for names the
# registry does not know. Bodies exclude the suffixes of the following levels so that a
# county cannot swallow a 街道 or a 社区.
_HEAD_PATTERN = re.compile(
    r"(?P<province>[^省市]{2,7}?(?:省|自治区|特别行政区)|北京市|天津市|上海市|重庆市)?"
    r"(?P<city>[^省市区县]{2,7}?(?:市|自治州|地区|盟))?"
    r"(?P<county>[^省市区县街道社村路巷]{1,6}?(?:区|县|旗|市))?"
    r"(?P<township>(?:(?!街道)[^区县社村路巷]){1,7}?(?:街道|镇|乡))?"
    r"(?P<community>(?:(?!社区|街道)[^路街巷]){1,8}?(?:社区|居委会|村委会|村))?"
    r"(?P<road>[^路街巷]{1,9}?(?:大道|路|街|巷|弄|胡同))?"
    r"(?P<compound>.{1,10}?(?:小区|花园|家园|公寓|新村|苑|院|庭|府|大厦|广场|园|城|里))?"
    r"(?P<rest>.*)"
)
_STRIP = (
    ("特别行政区", "自治区", "省", "市"),  # province
    ("自治州", "地区", "市", "盟"),  # city
    ("自治县", "区", "县", "市", "旗"),  # county
    ("街道办事处", "街道", "镇", "乡"),  # township
    ("居委会", "村委会", "社区", "村"),  # community
)


def _alias(name: str, level: int) -> str:
    """The name without its division suffix (晋城市 → 晋城), "" when too short to be safe."""
    for suffix in _STRIP[level]:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return ""


def _within_one(a: str, b: str) -> bool:
    """Levenshtein distance ≤ 1 (plus one swap of neighbours), without building a matrix."""
    la, lb = len(a), len(b)
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) <= 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and a[diff[0]] == b[diff[1]]
            and (a[diff[1]] == b[diff[0]])
        )
    if la < lb:
        a, b, la, lb = b, a, lb, la
    if la - lb != 1:
        return False
    i = 0
    while i < lb and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i:]


@dataclass(slots=True)
class _Reading:
    """Internal result of parsing: values by ELEMENTS index and how they were obtained."""

    values: list[str] = field(default_factory=lambda: [""] * _N)
    corrected: dict[int, str] = field(default_factory=dict)  # field → what was typed
    aliases: dict[int, str] = field(default_factory=dict)  # field → alias typed
    unknown: set[int] = field(default_factory=set)  # divisions not in the registry
    # field → every registry name the text may mean (an ambiguous alias or typo)
    alternatives: dict[int, list[str]] = field(default_factory=dict)
    junk: list[str] = field(default_factory=list)  # what could not be read at all


def _assign_numbers(reading: _Reading, tail: str, index: AddressIndex | None) -> None:
    v = reading.values
    for number, marker, chunk in _TOKEN.findall(tail):
        if chunk:
            _read_chunk(reading, chunk, index)
            continue
        if marker == "栋":
            v[_BUILDING] = number
        elif marker == "单元":
            v[_UNIT] = number
        elif marker == "层":
            v[_FLOOR] = number
        elif marker == "号" and not v[_DOOR] and not v[_BUILDING] and not v[_UNIT]:
            v[_DOOR] = number
        elif "-" in number:
            _read_dashes(reading, number, index)
        elif marker or v[_DOOR] or v[_BUILDING] or v[_UNIT] or v[_FLOOR] or not v[_ROAD]:
            if not v[_ROOM]:
                v[_ROOM] = number
        else:
            v[_DOOR] = number  # 阳头路12: a bare number right after a road


def _read_dashes(reading: _Reading, number: str, index: AddressIndex | None) -> None:
    v = reading.values
    parts = number.split("-")
    n = len(parts)
    if not v[_DOOR] and v[_ROAD] and not v[_BUILDING] and not v[_UNIT]:
        if index is not None and index.has_door(v[_ROAD], number):
            v[_DOOR] = number
            return
        v[_DOOR] = parts[0]
        if n == 2:
            v[_ROOM] = parts[1]
        elif n == 3:
            v[_UNIT], v[_ROOM] = parts[1], parts[2]
        else:
            v[_BUILDING], v[_UNIT], v[_ROOM] = parts[1], parts[2], parts[-1]
        return
    if n == 2:
        slot = _UNIT if v[_DOOR] else _BUILDING
        if not v[slot]:
            v[slot] = parts[0]
        v[_ROOM] = parts[1]
    else:
        v[_BUILDING], v[_UNIT], v[_ROOM] = parts[-3], parts[-2], parts[-1]


def _read_chunk(reading: _Reading, chunk: str, index: AddressIndex | None) -> None:
    """A run of characters among the numbers: a compound name (阳头路12号富春花园3栋) or noise."""
    v = reading.values
    if index is not None and not v[_COMPOUND]:
        hit = index._lookup_compound(chunk, reading)
        if hit:
            return
    if not v[_COMPOUND] and len(chunk) >= 3:
        m = _HEAD_PATTERN.fullmatch(chunk)
        if m is not None and m.group("compound") and not m.group("rest"):
            v[_COMPOUND] = m.group("compound")
            return
    if chunk not in ("号", "栋", "单元", "层", "室", "院"):
        reading.junk.append(chunk)


def _read_head_heuristic(reading: _Reading, head: str, upto: int) -> None:
    """Suffix-based split of a head the gazetteer could not read; fills empty fields only."""
    m = _HEAD_PATTERN.match(head)
    if m is None:  # pragma: no cover - the pattern matches every string
        return
    v = reading.values
    for f in _HEAD_FIELDS:
        if _RANK[f] >= upto:
            break
        value = m.group(ELEMENTS[f])
        if value and not v[f]:
            v[f] = value
            if f < _DIVISIONS:
                reading.unknown.add(f)
    if m.group("rest"):
        reading.junk.append(m.group("rest"))


def _read(text: str, index: AddressIndex | None) -> _Reading:
    reading = _Reading()
    m = _TAIL_START.search(text)
    head, tail = (text[: m.start()], text[m.start() :]) if m else (text, "")
    if index is None:
        if head:
            _read_head_heuristic(reading, head, len(_HEAD_FIELDS))
            reading.unknown.clear()  # without a registry nothing is "unknown"
    elif head:
        index._peel(head, reading)
    if tail:
        _assign_numbers(reading, tail, index)
    return reading


def parse(text: str, index: AddressIndex | None = None) -> ParsedAddress:
    """Read the elements of a free-text address (解析). With ``index`` the division, road and
    compound names are checked against the registry, aliases expanded and typos corrected."""
    return ParsedAddress(*_read(normalise(text), index).values)


def format_record(record: AddressRecord) -> str:
    """The printed canonical form of a record (标准地址全称)."""
    parts = [
        record.province,
        record.city,
        record.county,
        record.township,
        record.community,
        record.road,
    ]
    if record.door_number:
        parts.append(record.door_number + "号")
    parts.append(record.compound)
    if record.building:
        parts.append(record.building + "栋")
    if record.unit:
        parts.append(record.unit + "单元")
    if record.floor and not record.room:
        parts.append(record.floor + "层")
    if record.room:
        parts.append(record.room + "室")
    return "".join(parts)


# --- index -------------------------------------------------------------------------------


class AddressIndex:
    """In-memory indexes over the registry (标准地址库) for :meth:`resolve`."""

    def __init__(self, records: Iterable[AddressRecord] = ()) -> None:
        self._records: list[AddressRecord] = []
        # hash of an exact key → record id, or list of ids when several share it
        self._exact: dict[int, int | list[int]] = {}
        self._doors: dict[str, dict[str, list[int]]] = {}  # road → door → ids
        self._compounds: dict[str, list[int]] = {}  # compound → ids
        # gazetteer: spelling → ((field, canonical name, is alias), …), local names first
        self._names: dict[str, tuple[tuple[int, str, bool], ...]] = {}
        self._fuzzy: dict[str, list[str]] = {}  # deletion key → spellings (≥ 3 characters)
        self._seen_divisions: set[tuple[str, str, str, str, str]] = set()
        self._max_name = 2
        for record in records:
            self.add(record)

    def __len__(self) -> int:
        return len(self._records)

    def add(self, record: AddressRecord) -> None:
        rid = len(self._records)
        self._records.append(record)
        r = record
        if r.road and r.door_number:
            self._put((r.road, r.door_number, r.building, r.unit, r.room), rid)
        if r.compound:
            self._put((r.compound, r.building, r.unit, r.room), rid)
        if r.road:
            doors = self._doors.get(r.road)
            if doors is None:
                doors = self._doors[r.road] = {}
                self._add_name(r.road, _ROAD)
            ids = doors.get(r.door_number)
            if ids is None:
                doors[r.door_number] = [rid]
            else:
                ids.append(rid)
        if r.compound:
            ids = self._compounds.get(r.compound)
            if ids is None:
                self._compounds[r.compound] = [rid]
                self._add_name(r.compound, _COMPOUND)
            else:
                ids.append(rid)
        divisions = (r.province, r.city, r.county, r.township, r.community)
        if divisions not in self._seen_divisions:
            self._seen_divisions.add(divisions)
            for level, name in enumerate(divisions):
                if name:
                    self._add_name(name, level)

    def _put(self, key: tuple[str, ...], rid: int) -> None:
        h = hash(key)
        old = self._exact.get(h)
        if old is None:
            self._exact[h] = rid
        elif isinstance(old, int):
            self._exact[h] = [old, rid]
        else:
            old.append(rid)

    def _add_name(self, name: str, f: int) -> None:
        spellings = [(name, False)]
        if f < _DIVISIONS:
            alias = _alias(name, f)
            if alias:
                spellings.append((alias, True))
        for spelling, is_alias in spellings:
            entry = (f, name, is_alias)
            old = self._names.get(spelling, ())
            if entry in old:
                continue
            # local names and full names first: at the right end of a head a road wins
            # over a division alias of the same spelling
            self._names[spelling] = tuple(
                sorted((*old, entry), key=lambda e: (-_RANK[e[0]], e[2], e[1]))
            )
            self._max_name = max(self._max_name, len(spelling))
            if len(spelling) >= 3 and not old:
                for key in {
                    spelling,
                    *(spelling[:i] + spelling[i + 1 :] for i in range(len(spelling))),
                }:
                    self._fuzzy.setdefault(key, []).append(spelling)

    def has_door(self, road: str, door: str) -> bool:
        doors = self._doors.get(road)
        return doors is not None and door in doors

    # --- reading names -------------------------------------------------------------------

    def _similar(self, piece: str) -> list[str]:
        """Registry spellings within one edit of ``piece`` (SymSpell deletion keys)."""
        found: list[str] = []
        fuzzy = self._fuzzy
        for key in {piece, *(piece[:i] + piece[i + 1 :] for i in range(len(piece)))}:
            for spelling in fuzzy.get(key, ()):
                if spelling not in found and spelling != piece and _within_one(piece, spelling):
                    found.append(spelling)
        return found

    def _ends_cleanly(self, head: str, end: int, below: int) -> bool:
        """Whether ``head[:end]`` is empty or ends with a registry name ranking below."""
        if end == 0:
            return True
        names = self._names
        for k in range(min(self._max_name, end), 1, -1):
            for f, _name, _alias in names.get(head[end - k : end], ()):
                if _RANK[f] < below:
                    return True
        return False

    def _peel(self, head: str, reading: _Reading) -> None:
        """Read the names of ``head`` from the right against the gazetteer."""
        names = self._names
        v = reading.values
        end = len(head)
        limit = len(_HEAD_FIELDS)  # rank the next name must stay below
        while end >= 2:
            hit: tuple[int, int, str, bool] | None = None
            for k in range(min(self._max_name, end), 1, -1):
                for f, name, is_alias in names.get(head[end - k : end], ()):
                    if _RANK[f] < limit:
                        hit = (k, f, name, is_alias)
                        break
                if hit:
                    break
            if hit is not None:
                k, f, name, is_alias = hit
                v[f] = name
                if is_alias:
                    spelling = head[end - k : end]
                    reading.aliases[f] = spelling
                    same = [e[1] for e in names[spelling] if e[0] == f]
                    if len(same) > 1:  # 太云 may be 太云村 or 太云社区
                        reading.alternatives[f] = same
            else:
                fuzzy = self._peel_fuzzy(head, end, limit, reading)
                if fuzzy is None:
                    _read_head_heuristic(reading, head[:end], limit)
                    return
                k, f = fuzzy
            end -= k
            limit = _RANK[f]
        if end:
            reading.junk.append(head[:end])

    def _peel_fuzzy(
        self, head: str, end: int, limit: int, reading: _Reading
    ) -> tuple[int, int] | None:
        options: list[tuple[bool, int, int, str, str]] = []
        for k in range(min(self._max_name + 1, end), 2, -1):
            piece = head[end - k : end]
            for spelling in self._similar(piece):
                for f, name, _alias in self._names[spelling]:
                    rank = _RANK[f]
                    if rank < limit:
                        clean = self._ends_cleanly(head, end - k, rank)
                        options.append((clean, rank, k, name, piece))
        if not options:
            return None
        # prefer a reading that leaves a clean boundary, then the more local name, then the
        # length closest to a substitution (same length as the name), then the name itself
        options.sort(key=lambda o: (not o[0], -o[1], abs(len(o[3]) - o[2]), o[3]))
        clean, rank, k, name, piece = options[0]
        f = _HEAD_FIELDS[rank]
        reading.values[f] = name
        reading.corrected[f] = piece
        same = [o[3] for o in options if o[1] == rank and o[2] == k and o[0] == clean]
        same = list(dict.fromkeys(same))[:_MAX_ALTERNATIVES]
        if len(same) > 1:
            reading.alternatives[f] = same
        return k, f

    def _lookup_compound(self, chunk: str, reading: _Reading) -> bool:
        v = reading.values
        for f, name, _alias in self._names.get(chunk, ()):
            if f == _COMPOUND:
                v[_COMPOUND] = name
                return True
        if len(chunk) >= 3:
            similar = [s for s in self._similar(chunk) if s in self._compounds]
            if similar:
                similar.sort()
                v[_COMPOUND] = similar[0]
                reading.corrected[_COMPOUND] = chunk
                reading.alternatives[_COMPOUND] = similar[:_MAX_ALTERNATIVES]
                return True
        return False

    # --- resolving ---------------------------------------------------------------------

    def parse(self, text: str) -> ParsedAddress:
        return parse(text, self)

    def resolve(self, text: str, limit: int = 5) -> Resolution:
        """The registry addresses ``text`` most likely means, best first (地址匹配)."""
        norm = normalise(text)
        reading = _read(norm, self)
        v = reading.values
        parsed = ParsedAddress(*v)
        if limit <= 0:
            return Resolution(text, parsed, [], norm)
        # what scoring compares: unknown division names do not restrict
        wanted = list(v)
        for f in reading.unknown:
            wanted[f] = ""
        candidates = self._candidates(v, reading)
        scored = self._score_all(candidates, wanted, reading)
        if not scored or -min(scored)[0] < 0.3:
            # nothing, or only addresses outside the divisions the text names: widen
            more = self._widen(v, reading) - candidates
            if more:
                scored += self._score_all(more, wanted, reading)
        scored.sort()
        if scored and reading.alternatives:
            # report the reading of an ambiguous name that the best address confirms
            have = _get_all(self._records[scored[0][2]])
            for f, names in reading.alternatives.items():
                if have[f] in names:
                    setattr(parsed, ELEMENTS[f], have[f])
        matches = []
        records = self._records
        for negative, _code, rid in scored[:limit]:
            record = records[rid]
            explanation = self._explain(record, wanted, reading)
            matches.append(Match(record.code, round(-negative, 4), explanation))
        if matches and matches[0].score >= 0.9:
            matches[0].confident = len(matches) == 1 or matches[1].score < matches[0].score - 0.05
        return Resolution(text, parsed, matches, norm)

    def _candidates(self, v: list[str], reading: _Reading) -> set[int]:
        found: set[int] = set()
        exact = self._exact
        building, unit, room = v[_BUILDING], v[_UNIT], v[_ROOM]
        keys: list[tuple[str, ...]] = []
        if v[_DOOR]:
            for road in reading.alternatives.get(_ROAD) or ([v[_ROAD]] if v[_ROAD] else ()):
                keys.append((road, v[_DOOR], building, unit, room))
        for compound in reading.alternatives.get(_COMPOUND) or (
            [v[_COMPOUND]] if v[_COMPOUND] else ()
        ):
            keys.append((compound, building, unit, room))
        for key in keys:
            hit = exact.get(hash(key))
            if hit is None:
                continue
            if isinstance(hit, int):
                found.add(hit)
            else:
                found.update(hit)
        return found

    def _widen(self, v: list[str], reading: _Reading) -> set[int]:
        found: set[int] = set()
        exact = self._exact
        roads = reading.alternatives.get(_ROAD) or ([v[_ROAD]] if v[_ROAD] else [])
        for road in roads:
            doors = self._doors.get(road)
            if not doors:
                continue
            group = doors.get(v[_DOOR]) if v[_DOOR] else None
            if group:
                found.update(group[:_WIDEN_CAP])
            # the same building/unit/room at the other doors: a wrong door number
            if v[_ROOM] or v[_UNIT] or v[_BUILDING] or not group:
                key_tail = (v[_BUILDING], v[_UNIT], v[_ROOM])
                for door in list(doors)[:_WIDEN_CAP]:
                    hit = exact.get(hash((road, door, *key_tail)))
                    if hit is None:
                        continue
                    if isinstance(hit, int):
                        found.add(hit)
                    else:
                        found.update(hit)
        compounds = reading.alternatives.get(_COMPOUND) or ([v[_COMPOUND]] if v[_COMPOUND] else [])
        for compound in compounds:
            found.update(self._compounds.get(compound, ())[:_WIDEN_CAP])
        if len(found) > _WIDEN_CAP:
            found = set(sorted(found)[:_WIDEN_CAP])
        return found

    def _score_all(
        self, ids: Iterable[int], wanted: list[str], reading: _Reading
    ) -> list[tuple[float, str, int]]:
        """(−score, code, id) for each candidate, ready to sort."""
        corrected = reading.corrected
        alternatives = reading.alternatives
        # per query: what to compare (field, value, accepted set, weight if equal, band)
        checks: list[tuple[int, str, frozenset[str], float, int]] = []
        omissions: list[tuple[int, float]] = []
        written = 0.0
        for f in range(_N):
            want = wanted[f]
            if want:
                w = _WEIGHT[f]
                written += w
                alts = alternatives.get(f)
                accepted = frozenset(alts) if alts else _NOTHING
                # a corrected division is a guess: it ranks but does not exclude
                band = 2 if f < _DIVISIONS and f not in corrected else 1
                checks.append((f, want, accepted, w * _CORRECTED if f in corrected else w, band))
            elif _OMIT[f]:
                omissions.append((f, _OMIT[f]))
        records = self._records
        out = []
        for rid in ids:
            record = records[rid]
            have = _get_all(record)
            agree = 0.0
            total = written
            conflict = 0
            for f, want, accepted, w, band in checks:
                value = have[f]
                if value == want or value in accepted:
                    agree += w
                elif value and band > conflict:
                    conflict = band
            for f, o in omissions:
                if have[f]:
                    total += o
            a = agree / total if total else 0.0
            score = (0.7, 0.35, 0.0)[conflict] + 0.3 * a
            out.append((-score, record.code, rid))
        return out

    def _explain(self, record: AddressRecord, wanted: list[str], reading: _Reading) -> list[str]:
        have = _get_all(record)
        notes: list[str] = []
        matched: list[str] = []
        conflicts: list[str] = []
        missing: list[str] = []
        for f in range(_N):
            want, value = wanted[f], have[f]
            label, suffix = _LABEL[f], _SUFFIX[f]
            if want and (want == value or value in reading.alternatives.get(f, ())):
                matched.append(Reason("matched", label, value=value + suffix))
                if f in reading.corrected:
                    notes.append(
                        Reason("corrected", label, value=value, typed=reading.corrected[f])
                    )
                elif f in reading.aliases:
                    kind = "ambiguous" if value != want else "alias"
                    notes.append(Reason(kind, label, value=value, typed=reading.aliases[f]))
            elif want and value:
                conflicts.append(
                    Reason("conflict", label, typed=want + suffix, value=value + suffix)
                )
            elif want:
                conflicts.append(Reason("absent", label, typed=want + suffix))
            elif value and not (f == _FLOOR and wanted[_ROOM]):
                missing.append(Reason("missing", label))
        for f in sorted(reading.unknown):
            notes.append(Reason("unknown", _LABEL[f], value=reading.values[f]))
        if reading.junk:
            notes.append(Reason("unread", text="、".join(reading.junk)))
        return notes + matched + conflicts + missing
