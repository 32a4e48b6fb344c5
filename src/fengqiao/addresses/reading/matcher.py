"""Match free-text addresses against a registry of standard addresses given as text
(地址匹配): which registry entry does a caller's, a ledger's or another system's text mean?

Pure Python + numpy/scipy, no Django. Build a :class:`Matcher` from :class:`Entry` values
(the standard address as printed, and the names of the organisations and places
registered at it), then ``matcher.match(text)`` or, faster, ``matcher.match_many(texts)``.

Method
------
1. **Reading** (:func:`read`): width and case folded, Chinese numerals before a marker
   turned into digits, marker variants unified (号楼/幢/座/栋 → 栋, 楼/层 → 层, 室/户/房 →
   室); noise that looks like numbers is dropped before numbers are read: distances
   (交叉口东北150米, 往南20米), phone numbers; remarks in brackets are kept apart (weighed
   0.3, and a remark naming a gate, (东门), marks the entry as a part of a place). Each
   number gets its role from the marker after it: door 号, lane 弄/巷, building 栋, unit
   单元, floor 层, room 室, part 期/区 (十一巷, 二期 in digits; A楼 a building, 10楼 a
   floor); a bare number after a road is a door, after a building or unit a room, a
   second 号 after a place's name its building; dashes (12-3-502) as the resolver reads
   them. A door remembers the two characters before it (its road), so doors on different
   roads never compare (a door written before any road compares with all). City and county
   names (current and former, from the national gazetteer) are noted.
2. **Retrieval**: the text is a sequence of tokens (a Chinese character, a letter run, or a
   number with its marker: ``88号``); its 1- and 2-grams, plus one gram for its numbers
   together (building, unit, room), are weighted by BM25's idf over the registry and by
   position (the end of an address is its most specific part: weight 1 at the start, 4 at
   the end). An entry's grams are those of its text and of its names, so a shop or school
   name finds its address. The shared weight between the queries and every entry is one
   sparse product over each query's 12 rarest grams (found in at most 2 % of the
   entries); the others (路, 号, 区) only rescore the ``pool`` best, so a registry of
   millions costs what its rare grams cost.
3. **Reranking** of the pool by the :data:`FEATURES` below: how much of the query the
   entry holds and the reverse, the same for their last name runs (the most specific
   name: 匡美科技 against 少东科技), numbers by role (agree, conflict: 312栋 is not 313栋,
   one side only; a unit or room the entry lacks apart from a door or building it
   lacks, as an entry without the unit is often the place meant), an entry written
   whole inside a longer query (the query lies inside the entry's area) or the reverse
   (the entry is a part of what the query names), a gate, different counties.
4. **Score**: a multinomial logit over the pool with a "none of these" option, so a
   candidate's score is the probability that it is the address meant, and two
   near-identical candidates share it. The weights (one per feature) are fitted once by
   conditional likelihood on the CCKS 2021 development half (``bench/address_match.py
   --fit``, which also reports a two-fold estimate), the conflict bounded so that a
   different number always outweighs a name likeness; ``confident`` is ``score >=
   CONFIDENT``, the lowest threshold at which confident answers are >= 97 % right there.
"""

from __future__ import annotations

import math
import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise, repeat

import numpy as np
import scipy.sparse as sp

from fengqiao.addresses.reading.templates import ShapeReader, release_freed_memory
from fengqiao.addresses.reasons import Reason
from fengqiao.addresses.resolver import normalise

__all__ = ["CONFIDENT", "DEPLOYMENT_CONFIDENT", "Candidate", "Entry", "Matcher", "Reading", "read"]


@dataclass(frozen=True, slots=True)
class Entry:
    code: str
    text: str  # the standard address as printed
    names: tuple[str, ...] = ()  # organisations / places registered at it


@dataclass(slots=True)
class Candidate:
    code: str
    score: float  # calibrated probability that this is the address meant, 0..1
    confident: bool
    reasons: list[str] = field(default_factory=list)  # 门牌一致, 楼栋不符 …


# --- reading ---------------------------------------------------------------------------

# "anchor": the two characters written before the door number (太宁路88号 → 宁路): doors
# compare only on the same road, 同友路99号 and 杏园东路99号 neither agree nor conflict
ROLES = ("door", "lane", "building", "unit", "floor", "room", "part", "anchor")
_DOOR, _LANE, _BUILDING, _UNIT, _FLOOR, _ROOM, _PART, _ANCHOR = range(len(ROLES))
# the resolver's element labels (the pages translate them): a lane is part of the road,
# a 期/区 part of the compound
_ROLE_LABEL = ("门牌", "道路", "楼栋", "单元", "楼层", "室", "小区")
_ROLE_SUFFIX = ("号", "弄", "栋", "单元", "层", "室", "")
_MARKER_ROLE = {"号": _DOOR, "弄": _LANE, "栋": _BUILDING, "单元": _UNIT, "层": _FLOOR}
_MARKER_ROLE |= {"室": _ROOM, "期": _PART, "区": _PART, "巷": _LANE}

_PHONE = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")
# 交叉口东北150米, 往南20米, 西50米, 约100米: a distance, never a door number
_DISTANCE = re.compile(
    r"(?:往|向|约)?[东南西北]{0,2}(?:方向|侧)?约?[0-9]+(?:\.[0-9]+)?(?:米|M|公里)"
)
_NUMBER = r"[甲乙丙丁]?[0-9A-Z]+(?:-[0-9A-Z]+)*"
# a run of Chinese characters is one match (each character a token): a 甲乙丙丁 that opens a
# number (甲12号) ends the run
_TOKEN = re.compile(
    "(" + _NUMBER + ")(号|弄|巷|栋|单元|层|室|期|区)?"
    r"|((?:(?![甲乙丙丁][0-9A-Z])[\u3400-\u9fff\uf900-\ufaff])+)"
    r"|([^\s])"
)
_ROAD_END = frozenset("路街道巷弄大")
# what a bare number names when these follow it (normalise drops the 第 of 第1社区)
_NAMED_BY_NUMBER = ("社区", "居委", "村")


@dataclass(slots=True)
class Reading:
    tokens: list[str]
    weights: list[float]  # per token: later (more specific) tokens weigh more
    numbers: list[str]  # by role, "" when absent
    tail: tuple[int, int] = (0, 0)  # tokens of the last run of Chinese: the most specific name
    gate: bool = False  # a remark naming a gate: (东门), (西北2门): a part of the place
    plain: str = ""  # the tokens outside remarks, joined
    places: frozenset[str] = frozenset()  # city (4-digit) and county (6) codes named in it
    remarks: int = 0  # tokens from remarks in brackets, at the end (weighing BRACKET_WEIGHT)


_BRACKET = re.compile(r"[(（\[【]([^()（）\[\]【】]*)[)）\]】]")
TAIL_GAIN = 3.0  # the last token of the text weighs 1 + TAIL_GAIN times the first
# 1- and 2-grams (measured: adding 3-grams, or weighing longer grams more, ranks worse)
ORDER_WEIGHT = (1.0, 0.5)
BRACKET_WEIGHT = 0.3  # a remark in brackets: (东门), (近南三环)


def read(text: str) -> Reading:
    """Tokens and role-tagged numbers of a free-text address."""
    text = text[:300]
    remarks = ""
    gate = False
    if "(" in text or "（" in text or "[" in text or "【" in text:
        found = _BRACKET.findall(text)
        gate = any(r.endswith("门") for r in found)
        remarks = "".join(found)
        text = _BRACKET.sub("", text)
    tokens, numbers = _tokens(text)
    n = len(tokens)
    step = TAIL_GAIN / max(n - 1, 1)
    weights = [1.0 + step * i for i in range(n)]
    # the last run of Chinese tokens (one character each, from U+3400)
    end = n
    while end and not (len(tokens[end - 1]) == 1 and tokens[end - 1] >= "\u3400"):
        end -= 1
    start = end
    while start and len(tokens[start - 1]) == 1 and tokens[start - 1] >= "\u3400":
        start -= 1
    plain = "".join(tokens)
    more: list[str] = []
    if remarks:
        more, _ = _tokens(remarks)
        tokens += more
        weights += [BRACKET_WEIGHT] * len(more)
    return Reading(tokens, weights, numbers, (start, end), gate, plain, _places(plain), len(more))


_DIVISION_END = frozenset("市区县旗州盟")
# a gate written in the text itself: 东门, 西北2门, 3号门 (not 望春门街, a street's name)
_GATE = re.compile(r"(?:[东南西北正侧后前][0-9]*|[0-9]+号?)门(?![街路巷])")


@lru_cache(maxsize=1)
def _division_names() -> tuple[dict[str, frozenset[str]], int]:
    """City and county names (current and former, 蓟县 → 蓟州区) → the codes now in force:
    a city as its 4-digit prefix, a county as its 6 digits. Only names of three characters
    or more, or two ending in 县, so that 城区 or 郊区 inside a longer word is never one."""
    from fengqiao.addresses.reading.divisions import gazetteer

    names: dict[str, set[str]] = {}
    for name, found in gazetteer().names.items():
        if name[-1] not in _DIVISION_END or not (len(name) >= 3 or name.endswith("县")):
            continue
        for division, _kind in found:
            if division.name != name or division.level not in (1, 2):
                continue  # short names (南京, 江宁) are too often part of other words
            code = division.current
            names.setdefault(name, set()).add(code[:4] if division.level == 1 else code)
    return {k: frozenset(v) for k, v in names.items()}, max(map(len, names))


@lru_cache(maxsize=1)
def _division_endings() -> frozenset[str]:
    """Every ending of a division name (州, 治州, 自治州 …): a window that is none of them
    cannot grow into a name, so the look-up backwards from a 市/区/县 stops there."""
    names, _longest = _division_names()
    return frozenset(name[-k:] for name in names for k in range(1, len(name) + 1))


def _places(text: str) -> frozenset[str]:
    if not any(c in _DIVISION_END for c in text):
        return frozenset()
    names, longest = _division_names()
    endings = _division_endings()
    found: set[str] = set()
    for end, c in enumerate(text, 1):
        if c in _DIVISION_END:
            for k in range(2, min(longest, end) + 1):
                window = text[end - k : end]
                if window not in endings:
                    break
                codes = names.get(window)
                if codes:
                    found.update(codes)
    return frozenset(found)


def _places_conflict(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both name a city or a county, and no named city or county of one lies in the other's."""
    if not a or not b or a & b:
        return False
    cities_a = {c for c in a if len(c) == 4} | {c[:4] for c in a if len(c) == 6}
    cities_b = {c for c in b if len(c) == 4} | {c[:4] for c in b if len(c) == 6}
    counties_a = {c for c in a if len(c) == 6}
    counties_b = {c for c in b if len(c) == 6}
    if counties_a and counties_b:
        return True  # two counties, none the same
    return not cities_a & cities_b


def tail_grams(reading: Reading) -> list[str]:
    """The 1- and 2-grams of the last name run (杭州少东科技有限公司, 安居西苑)."""
    start, end = reading.tail
    tokens = reading.tokens
    out = tokens[start:end]
    out += [tokens[i - 1] + "\x1f" + tokens[i] for i in range(start + 1, end)]
    return out


def _tokens(text: str) -> tuple[list[str], list[str]]:
    text = normalise(text)  # also 十一巷 → 11巷, 二期 → 2期, A楼 → A栋
    text = _PHONE.sub("", text)
    text = _DISTANCE.sub("", text)
    tokens: list[str] = []
    numbers = [""] * len(ROLES)
    previous = ""  # the last non-number token
    recent = ""  # the last two Chinese characters
    last_role = -1
    for m in _TOKEN.finditer(text):
        number, marker, han, other = m.groups()
        if han:
            tokens.extend(han)
            previous = han[-1]
            recent = (recent + han)[-2:]
            continue
        if other:
            if other.isalnum():
                tokens.append(other)
            continue
        marker = marker or ""
        tokens.append(number + marker)
        role = _MARKER_ROLE.get(marker, -1)
        if marker == "区" and len(number) > 1 and number.isdigit():
            role = -1  # 12区 rarely a part of a compound; keep as text
        if role == _DOOR and numbers[_DOOR] and previous not in _ROAD_END:
            # a second 号 after a place's name is its building: …路15号某学院4号学生宿舍
            role = _BUILDING
        if role < 0 and "-" in number:
            door = numbers[_DOOR]
            _read_dashes(numbers, number.split("-"), previous in _ROAD_END)
            if numbers[_DOOR] != door:
                numbers[_ANCHOR] = recent
            last_role = _ROOM
            continue
        if role < 0:
            if text.startswith(_NAMED_BY_NUMBER, m.end()):
                continue  # a name's number (第1社区, 3村), never a door or a room
            if previous in _ROAD_END and not numbers[_DOOR]:
                role = _DOOR
            elif last_role in (_BUILDING, _UNIT, _FLOOR) or numbers[_DOOR]:
                role = _ROOM
            else:
                continue
        if not numbers[role]:
            numbers[role] = number
            if role == _DOOR:
                numbers[_ANCHOR] = recent
        last_role = role
    return tokens, numbers


def _read_dashes(numbers: list[str], parts: list[str], after_road: bool) -> None:
    slots: tuple[int, ...]
    if after_road and not numbers[_DOOR]:
        slots = ((_DOOR, _ROOM), (_DOOR, _UNIT, _ROOM), (_DOOR, _BUILDING, _UNIT, _ROOM))[
            min(len(parts), 4) - 2
        ]
    elif len(parts) == 2:
        slots = (_BUILDING if not numbers[_DOOR] else _UNIT, _ROOM)
    else:
        slots = (_BUILDING, _UNIT, _ROOM)
        parts = parts[-3:]
    for slot, value in zip(slots, parts, strict=False):
        if not numbers[slot]:
            numbers[slot] = value


def grams(reading: Reading) -> dict[str, float]:
    """The token 1- and 2-grams and their weight (the highest where repeated)."""
    tokens, weights = reading.tokens, reading.weights
    o1, o2 = ORDER_WEIGHT
    # The text's weights grow along it and all exceed the remarks' (BRACKET_WEIGHT, at
    # the end): written remarks first, then the text, a gram keeps its highest weight.
    cut = len(tokens) - reading.remarks
    ones = [w * o1 for w in weights]
    out = dict(zip(tokens[cut:], ones[cut:], strict=True))
    out.update(zip(tokens[:cut], ones[:cut], strict=True))
    # a pair weighs as its second token; the first pair ending in a remark goes with them
    pairs = list(map("\x1f".join, pairwise(tokens)))
    twos = [w * o2 for w in weights[1:]]
    split = max(cut - 1, 0)
    out.update(zip(pairs[split:], twos[split:], strict=True))
    out.update(zip(pairs[:split], twos[:split], strict=True))
    return _with_numbers(reading, out)


def _with_numbers(reading: Reading, out: dict[str, float]) -> dict[str, float]:
    # the numbers together: rare, so an entry with the same building/unit/room (or the
    # same door and those) is retrieved among the many entries of one compound or road
    nums = reading.numbers
    inner = (nums[_BUILDING], nums[_UNIT], nums[_ROOM])
    if any(inner):
        out["\x1e" + ",".join(inner)] = 1.0
        if nums[_DOOR]:
            out["\x1e" + nums[_DOOR] + ":" + ",".join(inner)] = 1.0
    return out


# --- weights (fitted on CCKS 2021 dev, see the module docstring) -------------------------

# The features of a (query, entry) pair, in this order:
FEATURES = (
    "query_share",  # share of the query's weight found in the entry (its text or names)
    "entry_share",  # share of the entry's weight found in the query
    "agree",  # door, building, unit or room numbers equal on both sides
    "conflict",  # door, building, unit or room numbers different
    "query_only",  # a door or building number the entry lacks
    "entry_only",  # a door/building/unit/room number the query lacks
    "minor_conflict",  # lane, floor or part (期/区) different
    "other_role",  # a door the entry has as a building or the reverse (173号 / 173栋)
    "within",  # the entry's text is written out whole in the query and the query goes on
    "query_tail",  # share of the query's last name run (its most specific name) in the entry
    "entry_tail",  # share of the entry's last name run found in the query
    "gate",  # the entry is a gate of a place (东门) and the query names no gate
    "elsewhere",  # query and entry name different counties (or cities) and none in common
    "beyond",  # the query is written out whole in the entry and the entry goes on (a part)
    "query_only_inner",  # a unit or room number the entry lacks (3号楼2单元 / 3号楼)
)
# Fitted by `bench/address_match.py --fit` (2026-12-07), the conflict weight bounded at
# -5 so that a different door/building/unit/room costs more than a name likeness gains
# (312号楼 is not 313号楼), and agreement bounded at >= 0 (it also shares a gram: the fit
# puts its weight there; fitted 0), and a unit or room the entry lacks bounded at <= -1.5
# (CCKS's registry has few rooms, so its labels make one free: 3号楼2单元 is 3号楼 there;
# but where a registry holds 12号1单元101室 beside the bare 12号, the deployment's own
# addresses, the entry with the room must still win clearly). Reading them: the query's
# words found in the entry matter most; the entry's words found in the query half as
# much; a door or building the query gives and the entry lacks costs 0.6 of a conflict
# (the entry is less precise than what was asked), a unit or room half that; a number in
# the other of door/building (173号 / 173栋) is evidence for the entry.
WEIGHTS = np.array(
    [6.95, 3.34, 0.0, -5.0, -2.98, -0.13, -0.04, 3.19, -2.96, 1.93, 1.29, -7.30, -1.29, -1.24,
     -1.5],
    dtype=np.float32,
)  # fmt: skip
W_NONE = 1.32  # the "none of these" option's logit
PRIOR_ENTRIES = 1000
RETRIEVING = 24  # grams per query that retrieve (its rarest)
MAX_POSTINGS = 2000  # nor, however large the registry, in more entries than this
BATCH = 1024  # queries per sparse product (the product's size is queries × entries hit)
MIN_SHARE = 0.15  # an entry sharing less of the query's weight is not a plausible answer
MIN_SCORE = 0.001  # nor is one this unlikely
CONFIDENT = 0.99945  # the lowest probability whose answers are >= 97 % right on CCKS dev
# The deployment's own standard addresses are clean, structured texts (format_record of
# their elements), unlike another system's export: there a probability of 0.95 is already
# >= 99.9 % right (bench/resolver.py's synthetic registry of 50,000, 5,000 noisy queries:
# 96 % of them confident), where CCKS's near-duplicate texts need 0.9993.
DEPLOYMENT_CONFIDENT = 0.95
_STRONG = np.array([_DOOR, _BUILDING, _UNIT, _ROOM])
_ELSEWHERE = FEATURES.index("elsewhere")
_MINOR = np.array([_LANE, _FLOOR, _PART])
_OUTER = np.array([_DOOR, _BUILDING])
_INNER = np.array([_UNIT, _ROOM])


class Matcher:
    """Registry index (see the module docstring). Built in one pass over the entries,
    entries of one shape (the same text but for its digits) read once (templates.py), the
    rows written straight into flat typed arrays: 1,000,000 synthetic addresses in ~13 s."""

    def __init__(
        self,
        entries: Iterable[Entry],
        *,
        pool: int = 10,
        common_share: float = 0.02,
        confident_at: float = CONFIDENT,
    ) -> None:
        self.pool = pool
        self.confident_at = confident_at
        self.codes: list[str] = []
        vocab: dict[str, int] = {}
        # rows are appended in order: CSR arrays directly, in compact typed arrays
        # (a Python list of a million entries' grams would cost gigabytes). One pattern
        # serves the binary rows (text and names) and the weighted ones (text only: a
        # name's gram weighs 0 there), so the two matrices share their index arrays.
        ptr, cols, weights = array("q", [0]), array("i"), array("f")
        t_ptr, t_cols = array("q", [0]), array("i")
        numbers = array("i")
        gates = array("b")
        self._plain: list[str] = []
        self._places: list[frozenset[str]] = []
        self._values: dict[str, int] = {"": 0}
        self._value_list: list[str] = []
        # entries of one shape (the same text but for its digits) are read once
        reader = ShapeReader(vocab, self._values, read, grams, tail_grams)
        codes, plains, places = self.codes, self._plain, self._places
        for entry in entries:
            constant, variable, w, tail, nums, plain, gate, place = reader(entry.text)
            codes.append(entry.code)
            cols.extend(constant)
            cols.extend(variable)
            weights.extend(w)
            if entry.names:
                extra: set[int] = set()
                for name in entry.names:
                    name_constant, name_variable, *_ = reader(name)
                    extra.update(name_constant, name_variable)
                extra.difference_update(constant, variable)
                cols.extend(extra)
                weights.extend([0.0] * len(extra))
            ptr.append(len(cols))
            t_cols.extend(tail)
            t_ptr.append(len(t_cols))
            numbers.extend(nums)
            gates.append(gate)
            plains.append(plain or "\x00")
            places.append(place)
        del reader
        n = len(self.codes)
        v = len(vocab)
        self.vocab = vocab
        self._gate = np.frombuffer(gates, dtype=np.int8).astype(bool)
        self._numbers = np.frombuffer(numbers, dtype=np.int32).reshape(n, len(ROLES)).copy()
        shape = (n, v)
        b_idx = np.frombuffer(cols, dtype=np.int32)
        b_ptr = np.frombuffer(ptr, dtype=np.int64)
        df = np.bincount(b_idx, minlength=v).astype(np.float32)
        # BM25's idf over the registry plus PRIOR_ENTRIES entries that share no gram, so a
        # station's registry of ten addresses weighs words as a city's would
        big = n + PRIOR_ENTRIES
        self.idf = np.log((big - df + 0.5) / (df + 0.5) + 1.0).astype(np.float32)
        # the idf of a gram no entry has last, so that looking up id -1 (unknown) gives it
        unknown = math.log((big + 0.5) / 0.5 + 1.0)
        self._idf_or_unknown = np.append(self.idf, np.float32(unknown))
        # entry-side weights divided by the entry's total: a row · binary query = entry_share
        self._weighted, self._norm = _row_normalised(
            b_ptr, b_idx, np.frombuffer(weights, dtype=np.float32), self.idf, shape
        )
        del weights  # in the normalised rows now (200 MB at a million entries)
        self._tail, _ = _row_normalised(
            np.frombuffer(t_ptr, dtype=np.int64),
            np.frombuffer(t_cols, dtype=np.int32),
            None,
            self.idf,
            shape,
        )
        # grams in more than 2 % of the entries (路, 号, 区 …) do not retrieve: they only
        # rescore the pool, so a query costs what its rarer grams cost
        self._cap = max(50.0, min(common_share * n, MAX_POSTINGS))
        self._df_array = df
        # only the grams that retrieve are looked up by gram: the common ones' columns
        # (most of a registry's weight: its divisions, 路, 号) are left out of the transpose
        self._binary_t = _rare_columns(self._weighted, df <= self._cap).T.tocsr()
        # the binary rows are the weighted ones' pattern (a name's grams are explicit 0s
        # there): made for the pool's rows only, not kept for the whole registry
        self._binary = _BinaryRows(self._weighted)
        if n >= _LARGE:
            release_freed_memory()

    def __len__(self) -> int:
        return len(self.codes)

    def _intern(self, value: str) -> int:
        return self._values.setdefault(value, len(self._values))

    # --- matching ------------------------------------------------------------------------

    def match(self, query: str, limit: int = 5) -> list[Candidate]:
        return self.match_many([query], limit)[0]

    def _query_matrices(
        self, readings: list[Reading]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray, sp.csr_matrix, sp.csr_matrix]:
        """Weighted (idf × position) and binary query rows, each query's total weight, its
        last name run's grams (idf-weighted, summing to 1, unknown grams counted), and the
        weighted rows of the grams that retrieve: each query's RETRIEVING rarest grams found
        in at most ``common_share`` of the entries (so a query's cost stays bounded)."""
        nq = len(readings)
        shape = (nq, len(self.vocab))
        keys: list[str] = []
        given: list[float] = []
        counts: list[int] = []
        tail_keys: list[str] = []
        tail_counts: list[int] = []
        for reading in readings:
            found = grams(reading)
            keys += found
            given += found.values()
            counts.append(len(found))
            tail = dict.fromkeys(tail_grams(reading))
            tail_keys += tail
            tail_counts.append(len(tail))
        # every gram looked up at once; an unknown gram (-1) weighs the idf of a gram no
        # entry has, in the totals only
        get = self.vocab.get
        gid = np.array(list(map(get, keys, repeat(-1, len(keys)))), dtype=np.int64)
        owner = np.repeat(np.arange(nq), counts)
        known = gid >= 0
        idf = self._idf_or_unknown[gid]
        x = (idf * np.array(given, dtype=np.float64)).astype(np.float32)
        norms = np.bincount(owner, weights=x, minlength=nq).astype(np.float32)
        k_gid, k_owner, k_x = gid[known], owner[known], x[known]
        ptr = np.zeros(nq + 1, dtype=np.int64)
        np.cumsum(np.bincount(k_owner, minlength=nq), out=ptr[1:])
        k_ind = k_gid.astype(np.int32)
        weighted = sp.csr_matrix((k_x, k_ind, ptr), shape=shape)
        binary = sp.csr_matrix((np.ones(len(k_ind), dtype=np.float32), k_ind, ptr), shape=shape)
        # the grams that retrieve: each query's RETRIEVING rarest (ties by position), of
        # those the ones in at most ``cap`` entries
        k_df = self._df_array[k_gid]
        order = np.lexsort((np.arange(len(k_gid)), k_df, k_owner))
        rank = np.arange(len(order)) - ptr[k_owner[order]]
        keep = order[(rank < RETRIEVING) & (k_df[order] <= self._cap)]
        r_ptr = np.zeros(nq + 1, dtype=np.int64)
        np.cumsum(np.bincount(k_owner[keep], minlength=nq), out=r_ptr[1:])
        retrieving = sp.csr_matrix((k_x[keep], k_ind[keep], r_ptr), shape=shape)
        # the last name run's grams, idf-weighted, summing to 1 with the unknown ones
        t_gid = np.array(list(map(get, tail_keys, repeat(-1, len(tail_keys)))), dtype=np.int64)
        t_owner = np.repeat(np.arange(nq), tail_counts)
        t_known = t_gid >= 0
        t_idf = self._idf_or_unknown[t_gid]
        t_total = np.bincount(t_owner, weights=t_idf, minlength=nq)
        t_share = (t_idf / np.maximum(t_total[t_owner], 1e-12)).astype(np.float32)
        t_ptr = np.zeros(nq + 1, dtype=np.int64)
        np.cumsum(np.bincount(t_owner[t_known], minlength=nq), out=t_ptr[1:])
        tails = sp.csr_matrix(
            (t_share[t_known], t_gid[t_known].astype(np.int32), t_ptr), shape=shape
        )
        return weighted, binary, norms, tails, retrieving

    def features(self, readings: list[Reading]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per query: the pool's entry ids and their feature rows (pool × len(FEATURES))."""
        qw, qb, qnorm, qtail, qr = self._query_matrices(readings)
        shared = (qr @ self._binary_t).tocsr()
        qnums = np.array(
            [[self._values.get(x, -1) if x else 0 for x in r.numbers] for r in readings],
            dtype=np.int32,
        ).reshape(len(readings), len(ROLES))
        # the pool: the entries sharing most weight for their size (a cosine-like order)
        key = -shared.data / np.sqrt(self._norm[shared.indices] + 1.0)
        indptr = shared.indptr.tolist()
        picked: list[np.ndarray] = []
        pool = self.pool
        for i in range(len(readings)):
            lo, hi = indptr[i], indptr[i + 1]
            if hi - lo > pool:
                picked.append(lo + np.argpartition(key[lo:hi], pool - 1)[:pool])
            else:
                picked.append(np.arange(lo, hi))
        sizes = np.array([len(x) for x in picked])
        where = np.concatenate(picked) if picked else np.zeros(0, dtype=np.int64)
        flat_ids = shared.indices[where].astype(np.int64)
        pools = np.split(flat_ids, np.cumsum(sizes)[:-1]) if len(sizes) else []
        if not sizes.sum():
            empty = np.zeros((0, len(FEATURES)), dtype=np.float32)
            return pools, [empty for _ in pools]
        query_share = (
            shared.data[where] / np.maximum(qnorm, 1e-6)[np.repeat(np.arange(len(sizes)), sizes)]
        )
        all_ids = np.concatenate(pools)
        owner = np.repeat(np.arange(len(pools)), sizes)
        qb_pool = qb[owner]
        within, beyond, elsewhere = self._text_relations(readings, all_ids, owner)
        asks_gate = np.array(
            [r.gate or _GATE.search(r.plain) is not None for r in readings], dtype=bool
        )
        entry_binary = self._binary[all_ids]
        # does the entry hold the query's most specific name, and the query the entry's?
        query_tail = np.asarray(qtail[owner].multiply(entry_binary).sum(axis=1)).ravel()
        entry_tail = np.asarray(self._tail[all_ids].multiply(qb_pool).sum(axis=1)).ravel()
        entry_rows = self._weighted[all_ids]
        entry_share = np.asarray(entry_rows.multiply(qb_pool).sum(axis=1)).ravel()
        qs = query_share
        if qr.nnz != qw.nnz:  # the grams that did not retrieve, only for the pool
            qc = qw - qr
            qs = qs + np.asarray(entry_binary.multiply(qc[owner]).sum(axis=1)).ravel() / np.maximum(
                qnorm[owner], 1e-6
            )
        enums = self._numbers[all_ids]
        qn = qnums[owner]
        qhas = qn != 0
        ehas = enums != 0
        agree = (enums == qn) & qhas
        # a door written first (12号达富生活区) names no road: it compares with any
        same_road = agree[:, _ANCHOR] | (qhas[:, _DOOR] & ~qhas[:, _ANCHOR])
        ehas[:, _DOOR] &= same_road  # a door on another road is no door of this one
        agree[:, _DOOR] &= same_road
        # a door the entry has as a building or the reverse (新民小区173号 / 173栋): people
        # write 号 for both; units, floors and rooms never trade places like that
        other = np.zeros_like(agree)
        other[:, _DOOR] = enums[:, _BUILDING] == qn[:, _DOOR]
        other[:, _BUILDING] = enums[:, _DOOR] == qn[:, _BUILDING]
        other &= qhas & ~agree
        conflict = qhas & ehas & ~agree & ~other
        strong, minor = _STRONG, _MINOR
        feats = np.column_stack(
            [
                qs,
                np.minimum(entry_share, 1.0),
                agree[:, strong].sum(axis=1),
                conflict[:, strong].sum(axis=1),
                (qhas & ~ehas)[:, _OUTER].sum(axis=1),
                (ehas & ~qhas)[:, strong].sum(axis=1),
                conflict[:, minor].sum(axis=1),
                other.sum(axis=1),
                within,
                query_tail,
                entry_tail,
                self._gate[all_ids] & ~asks_gate[owner],
                elsewhere,
                beyond,
                (qhas & ~ehas)[:, _INNER].sum(axis=1),
            ]
        ).astype(np.float32)
        return pools, np.split(feats, np.cumsum(sizes)[:-1])

    def _text_relations(
        self, readings: list[Reading], ids: np.ndarray, owner: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per (query, entry) pair: the entry written whole inside the query, which goes on
        (``within``), the reverse (``beyond``), and different counties (``elsewhere``)."""
        texts = [r.plain for r in readings]
        query_places = [r.places for r in readings]
        plain, places = self._plain, self._places
        inside: list[int] = []
        outside: list[int] = []
        apart: list[int] = []
        for k, (e, o) in enumerate(zip(ids.tolist(), owner.tolist(), strict=True)):
            entry, query = plain[e], texts[o]
            part, whole, found = (
                (entry, query, inside) if len(entry) < len(query) else (query, entry, outside)
            )
            if part in whole and whole.find(part) + len(part) < len(whole):
                found.append(k)
            if places[e] and query_places[o] and _places_conflict(places[e], query_places[o]):
                apart.append(k)
        within = np.zeros(len(ids), dtype=np.float32)
        beyond = np.zeros(len(ids), dtype=np.float32)
        elsewhere = np.zeros(len(ids), dtype=np.float32)
        within[inside] = 1.0
        beyond[outside] = 1.0
        elsewhere[apart] = 1.0
        return within, beyond, elsewhere

    def match_many(
        self, queries: Sequence[str], limit: int = 5, *, explain: bool = True
    ) -> list[list[Candidate]]:
        """The best entries for each query, best first; [] when none is plausible.
        ``explain=False`` leaves the reasons empty (a batch that only needs the codes)."""
        readings = [read(q) for q in queries]
        out: list[list[Candidate]] = []
        codes = self.codes
        for start in range(0, len(readings), BATCH):
            batch = readings[start : start + BATCH]
            pools, feats = self.features(batch)
            sizes = [len(ids) for ids in pools]
            if limit <= 0 or not sum(sizes):
                out += [[] for _ in batch]
                continue
            flat = np.concatenate(feats)
            # the pool-wise multinomial logit at once: segment maxima, exponentials, sums
            z = flat @ WEIGHTS
            bounds = np.cumsum([0, *sizes])
            nonempty = [i for i, size in enumerate(sizes) if size]
            tops = np.full(len(sizes), W_NONE, dtype=np.float64)
            tops[nonempty] = np.maximum(np.maximum.reduceat(z, bounds[nonempty]), W_NONE)
            owner = np.repeat(np.arange(len(sizes)), sizes)
            e = np.exp(z - tops[owner])
            sums = np.zeros(len(sizes))
            sums[nonempty] = np.add.reduceat(e, bounds[nonempty])
            p = (e / (sums + np.exp(W_NONE - tops))[owner]).tolist()
            shares = flat[:, 0].tolist()
            ids = np.concatenate(pools).tolist()
            for q, reading in enumerate(batch):
                lo, hi = int(bounds[q]), int(bounds[q + 1])
                best = sorted(range(lo, hi), key=p.__getitem__, reverse=True)[:limit]
                out.append(
                    [
                        Candidate(
                            codes[ids[j]],
                            round(p[j], 4),
                            p[j] >= self.confident_at,
                            self._reasons(reading, ids[j], flat[j]) if explain else [],
                        )
                        for j in best
                        if shares[j] >= MIN_SHARE and p[j] >= MIN_SCORE
                    ]
                )
        return out

    def _reasons(self, reading: Reading, rid: int, f: np.ndarray) -> list[str]:
        """The resolver's reasons (门牌一致, 楼栋不符：输入312栋，标准地址为313栋, 室未写明,
        区县不符 …), which the pages render in the reader's language."""
        out: list[str] = []
        if f[_ELSEWHERE]:
            out.append(Reason("differs", "区县"))
        values = self._values_by_id()
        have = self._numbers[rid]
        road = reading.numbers[_ANCHOR]
        same_road = values[have[_ANCHOR]] == road or not road  # see features()
        for role in (_DOOR, _LANE, _BUILDING, _UNIT, _FLOOR, _ROOM, _PART):
            want = reading.numbers[role]
            got = values[have[role]]
            if role == _DOOR and not same_road:
                got = ""  # a door on another road is no door of this one
            label, suffix = _ROLE_LABEL[role], _ROLE_SUFFIX[role]
            if want and got == want:
                out.append(Reason("agrees", label))
            elif want and got:
                out.append(Reason("conflict", label, typed=want + suffix, value=got + suffix))
            elif want:
                out.append(Reason("absent", label, typed=want + suffix))
            elif got and role != _FLOOR:
                out.append(Reason("missing", label))
        return out

    def _values_by_id(self) -> list[str]:
        if len(self._value_list) != len(self._values):
            self._value_list = list(self._values)
        return self._value_list


class _BinaryRows:
    """``rows[ids]``: the CSR rows of the weighted matrix with every stored value 1."""

    def __init__(self, weighted: sp.csr_matrix) -> None:
        self._weighted = weighted
        self.shape = weighted.shape

    def __getitem__(self, ids: np.ndarray) -> sp.csr_matrix:
        rows = self._weighted[ids]
        rows.data = np.ones(len(rows.data), dtype=np.float32)
        return rows


def _rare_columns(matrix: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """The matrix's pattern, 1 where ``keep`` holds for the column, nothing elsewhere."""
    mask = keep[matrix.indices]
    counts = np.zeros(matrix.shape[0], dtype=np.int64)
    for lo in range(0, matrix.shape[0], _ROWS_AT_ONCE):  # no count per stored value
        hi = min(lo + _ROWS_AT_ONCE, matrix.shape[0])
        a, b = int(matrix.indptr[lo]), int(matrix.indptr[hi])
        rows = np.repeat(np.arange(hi - lo), np.diff(matrix.indptr[lo : hi + 1]))
        counts[lo:hi] = np.bincount(rows[mask[a:b]], minlength=hi - lo)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    indices = matrix.indices[mask]
    data = np.ones(len(indices), dtype=np.float32)
    return sp.csr_matrix((data, indices, indptr), shape=matrix.shape, copy=False)


def _row_normalised(
    indptr: np.ndarray,
    indices: np.ndarray,
    weights: np.ndarray | None,
    idf: np.ndarray,
    shape: tuple[int, int],
) -> tuple[sp.csr_matrix, np.ndarray]:
    """CSR rows of idf × weight, each divided by its sum; and the sums (in place: at a
    million entries each array of the pattern is some 200 MB)."""
    data = idf[indices]
    if weights is not None:
        data *= weights
    starts = np.minimum(indptr[:-1], max(len(data) - 1, 0))
    sums = np.add.reduceat(data, starts) if len(data) else np.zeros(shape[0])
    sums = np.where(np.diff(indptr) > 0, sums, 0.0).astype(np.float32)
    divisor = np.maximum(sums, 1e-6)
    for lo in range(0, shape[0], _ROWS_AT_ONCE):  # not one divisor per stored value at once
        hi = min(lo + _ROWS_AT_ONCE, shape[0])
        a, b = int(indptr[lo]), int(indptr[hi])
        data[a:b] /= np.repeat(divisor[lo:hi], np.diff(indptr[lo : hi + 1]))
    return sp.csr_matrix((data, indices, indptr), shape=shape, copy=False), sums


# rows per block: a block's temporary (~50 MB at 50 grams a row) is above glibc's largest
# mmap threshold (32 MB), so it goes back to the system when freed
_ROWS_AT_ONCE = 1 << 18
_LARGE = 100_000  # entries from which a build gives its freed heap memory back


def _row_max(matrix: sp.csr_matrix) -> np.ndarray:
    matrix = matrix.tocsr()
    matrix.eliminate_zeros()
    return np.asarray(matrix.max(axis=1).todense()).ravel()


def probabilities(z: np.ndarray, none: float = W_NONE) -> np.ndarray:
    """Multinomial logit over the pool with a "none of these" option of logit ``none``."""
    top = max(float(z.max()), none)
    e = np.exp(z - top)
    return e / (e.sum() + math.exp(none - top))
