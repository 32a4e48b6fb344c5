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
   (交叉口东北150米, 往南20米), phone numbers, bracketed remarks' numbers. Each remaining
   number is given its role by the marker after it: door 号, lane 弄, building 栋, unit
   单元, floor 层, room 室, part 期/区; a bare number after a road is a door, a bare number
   after a building or unit is a room. Dashes (12-3-502) are read as the resolver does.
2. **Retrieval**: the text is a sequence of tokens (a Chinese character, a letter run, or a
   number with its marker: ``88号``), and its 1- and 2-grams of tokens are weighted by
   their inverse document frequency in the registry (BM25's idf). An entry's grams are
   those of its text and of its names, so a shop or school name finds its address. The
   shared weight between query and every entry is one sparse product; the grams found in
   more than ``retrieval_cap`` entries only rescore the best candidates (so a registry of
   millions costs what its rare grams cost).
3. **Reranking** of the best ``pool`` candidates by a handful of features: the share of
   the query's weight found in the entry, the share of the entry's weight found in the
   query, and per number role whether the query and the entry agree, conflict (312栋 is
   not 313栋: a strong penalty) or one of them leaves the role out (a weak one).
4. **Score**: a multinomial logit over the pool with a "none of these" option, so a
   candidate's score is the probability that it is the address meant, and two
   near-identical candidates share it. The eight weights are fitted once on the CCKS 2021
   development half (conditional likelihood; bench/address_match.py ``--fit``) and
   written here as constants with what each means; ``confident`` is ``score >=
   CONFIDENT``, the threshold chosen there so that confident answers are >= 97 % right.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from fengqiao.addresses.resolver import normalise

__all__ = ["CONFIDENT", "Candidate", "Entry", "Matcher", "Reading", "read"]


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

ROLES = ("door", "lane", "building", "unit", "floor", "room", "part")
_DOOR, _LANE, _BUILDING, _UNIT, _FLOOR, _ROOM, _PART = range(len(ROLES))
_ROLE_LABEL = ("门牌", "弄", "楼栋", "单元", "楼层", "室", "分区")
_MARKER_ROLE = {"号": _DOOR, "弄": _LANE, "栋": _BUILDING, "单元": _UNIT, "层": _FLOOR}
_MARKER_ROLE |= {"室": _ROOM, "期": _PART, "区": _PART}

_PHONE = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")
# 交叉口东北150米, 往南20米, 西50米, 约100米: a distance, never a door number
_DISTANCE = re.compile(
    r"(?:往|向|约)?[东南西北]{0,2}(?:方向|侧)?约?[0-9]+(?:\.[0-9]+)?(?:米|M|公里)"
)
_NUMBER = r"[甲乙丙丁]?[0-9A-Z]+(?:-[0-9A-Z]+)*"
_TOKEN = re.compile(
    "(" + _NUMBER + ")(号|弄|栋|单元|层|室|期|区)?"
    r"|([\u3400-\u9fff\uf900-\ufaff])"
    r"|([^\s])"
)
_ROAD_END = frozenset("路街道巷弄大")


@dataclass(slots=True)
class Reading:
    tokens: list[str]
    weights: list[float]  # per token: later (more specific) tokens weigh more
    numbers: list[str]  # by role, "" when absent


_BRACKET = re.compile(r"[(（\[【]([^()（）\[\]【】]*)[)）\]】]")
TAIL_GAIN = 3.0  # the last token of the text weighs 1 + TAIL_GAIN times the first
# 1- and 2-grams (measured: adding 3-grams, or weighing longer grams more, ranks worse)
ORDER_WEIGHT = (1.0, 0.5)
BRACKET_WEIGHT = 0.3  # a remark in brackets: (东门), (近南三环)


def read(text: str) -> Reading:
    """Tokens and role-tagged numbers of a free-text address."""
    text = text[:300]
    remarks = ""
    if "(" in text or "（" in text or "[" in text or "【" in text:
        remarks = "".join(_BRACKET.findall(text))
        text = _BRACKET.sub("", text)
    tokens, numbers = _tokens(text)
    n = len(tokens)
    weights = [1.0 + TAIL_GAIN * i / max(n - 1, 1) for i in range(n)]
    if remarks:
        more, _ = _tokens(remarks)
        tokens += more
        weights += [BRACKET_WEIGHT] * len(more)
    return Reading(tokens, weights, numbers)


def _tokens(text: str) -> tuple[list[str], list[str]]:
    text = normalise(text)
    text = _PHONE.sub("", text)
    text = _DISTANCE.sub("", text)
    tokens: list[str] = []
    numbers = [""] * len(ROLES)
    previous = ""  # the last non-number token
    last_role = -1
    for m in _TOKEN.finditer(text):
        number, marker, han, other = m.groups()
        if han:
            tokens.append(han)
            previous = han
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
        if role < 0 and "-" in number:
            _read_dashes(numbers, number.split("-"), previous in _ROAD_END)
            last_role = _ROOM
            continue
        if role < 0:
            if previous in _ROAD_END and not numbers[_DOOR]:
                role = _DOOR
            elif last_role in (_BUILDING, _UNIT, _FLOOR) or numbers[_DOOR]:
                role = _ROOM
            else:
                continue
        if not numbers[role]:
            numbers[role] = number
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
    out: dict[str, float] = {}
    n = len(tokens)
    o1, o2 = ORDER_WEIGHT
    previous = ""
    for i in range(n):
        token = tokens[i]
        w = weights[i]
        x = w * o1
        if out.get(token, 0.0) < x:
            out[token] = x
        if i:
            pair = previous + "\x1f" + token
            x = w * o2
            if out.get(pair, 0.0) < x:
                out[pair] = x
        previous = token
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
    "query_only",  # a door/building/unit/room number the entry lacks
    "entry_only",  # a door/building/unit/room number the query lacks
    "minor_conflict",  # lane, floor or part (期/区) different
    "other_role",  # a door the entry has as a building or the reverse (173号 / 173栋)
    "query_gap",  # the rarest gram of the query the entry lacks (its idf / the top idf)
    "entry_gap",  # the rarest gram of the entry's text the query lacks
)
# Fitted by `bench/address_match.py --fit` (2026-12-07), the conflict weight bounded at
# -5 so that a different door/building/unit/room costs more than a name likeness gains
# (312号楼 is not 313号楼), and agreement bounded at >= 0 (it also shares a gram: the fit
# puts its weight there). Reading them: the query's words found in the entry matter most;
# the entry's words found in the query half as much; a number the query gives and the
# entry lacks costs half a conflict (the entry is less precise than what was asked); a
# number in the other of door/building (173号 / 173栋) is evidence for the entry.
WEIGHTS = np.array([10.85, 4.48, 0.0, -5.0, -2.55, 0.16, 0.11, 2.96, 0.0, 0.0], dtype=np.float32)
W_NONE = 1.16  # the "none of these" option's logit
PRIOR_ENTRIES = 1000
MIN_SHARE = 0.1  # an entry sharing less of the query's weight is not a plausible answer
MIN_SCORE = 0.001  # nor is one this unlikely
CONFIDENT = 0.999  # the lowest probability whose answers are >= 97 % right on CCKS dev
_STRONG = np.array([_DOOR, _BUILDING, _UNIT, _ROOM])
_MINOR = np.array([_LANE, _FLOOR, _PART])


class Matcher:
    """Registry index (see the module docstring)."""

    def __init__(
        self,
        entries: Iterable[Entry],
        *,
        pool: int = 20,
        common_share: float = 0.02,
    ) -> None:
        self.pool = pool
        self.codes: list[str] = []
        vocab: dict[str, int] = {}
        b_rows: list[int] = []
        b_cols: list[int] = []
        w_rows: list[int] = []
        w_cols: list[int] = []
        w_pos: list[float] = []
        numbers: list[list[str]] = []
        self._values: dict[str, int] = {"": 0}
        self._value_list: list[str] = []
        for entry in entries:
            reading = read(entry.text)
            own = grams(reading)
            every = set(own)
            for name in entry.names:
                every.update(grams(read(name)))
            rid = len(self.codes)
            self.codes.append(entry.code)
            for g in every:
                b_rows.append(rid)
                b_cols.append(vocab.setdefault(g, len(vocab)))
            for g, w in own.items():
                w_rows.append(rid)
                w_cols.append(vocab[g])
                w_pos.append(w)
            numbers.append(reading.numbers)
        n = len(self.codes)
        v = len(vocab)
        self.vocab = vocab
        binary = sp.csr_matrix(
            (
                np.ones(len(b_rows), dtype=np.float32),
                (np.array(b_rows, dtype=np.int32), np.array(b_cols, dtype=np.int32)),
            ),
            shape=(n, v),
        )
        df = np.asarray(binary.sum(axis=0)).ravel()
        # BM25's idf over the registry plus PRIOR_ENTRIES entries that share no gram, so a
        # station's registry of ten addresses weighs words as a city's would
        big = n + PRIOR_ENTRIES
        self.idf = np.log((big - df + 0.5) / (df + 0.5) + 1.0).astype(np.float32)
        self._unknown_idf = float(math.log((big + 0.5) / 0.5 + 1.0))
        cols = np.array(w_cols, dtype=np.int32)
        weighted = sp.csr_matrix(
            (
                np.array(w_pos, dtype=np.float32) * self.idf[cols],
                (np.array(w_rows, dtype=np.int32), cols),
            ),
            shape=(n, v),
        )
        norm = np.asarray(weighted.sum(axis=1)).ravel().astype(np.float32)
        self._norm = norm
        # entry-side weights divided by the entry's total: a row · binary query = entry_share
        self._weighted = sp.diags(1.0 / np.maximum(norm, 1e-6)).astype(np.float32) @ weighted
        self._weighted = self._weighted.tocsr()
        # grams in more than 2 % of the entries (路, 号, 区 …) do not retrieve: they only
        # rescore the pool, so a query costs what its rarer grams cost
        self._common = df > max(50.0, common_share * n)
        self._binary_t = binary.T.tocsr()
        self._binary = binary
        self._numbers = np.array(
            [[self._intern(x) for x in nums] for nums in numbers], dtype=np.int32
        ).reshape(n, len(ROLES))

    def __len__(self) -> int:
        return len(self.codes)

    def _intern(self, value: str) -> int:
        return self._values.setdefault(value, len(self._values))

    # --- matching ------------------------------------------------------------------------

    def match(self, query: str, limit: int = 5) -> list[Candidate]:
        return self.match_many([query], limit)[0]

    def _query_matrices(
        self, readings: list[Reading]
    ) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
        """Weighted (idf × position) and binary query rows, and each query's total weight."""
        indptr = [0]
        indices: list[int] = []
        data: list[float] = []
        norms = np.zeros(len(readings), dtype=np.float32)
        vocab = self.vocab
        idf = self.idf
        unknown = self._unknown_idf
        for i, reading in enumerate(readings):
            total = 0.0
            for g, w in grams(reading).items():
                gid = vocab.get(g)
                if gid is None:
                    total += unknown * w
                else:
                    x = float(idf[gid]) * w
                    indices.append(gid)
                    data.append(x)
                    total += x
            norms[i] = total
            indptr.append(len(indices))
        shape = (len(readings), len(vocab))
        ptr = np.array(indptr, dtype=np.int64)
        ind = np.array(indices, dtype=np.int32)
        weighted = sp.csr_matrix((np.array(data, dtype=np.float32), ind, ptr), shape=shape)
        binary = sp.csr_matrix((np.ones(len(ind), dtype=np.float32), ind, ptr), shape=shape)
        return weighted, binary, norms

    def features(self, readings: list[Reading]) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per query: the pool's entry ids and their feature rows (pool × len(FEATURES))."""
        qw, qb, qnorm = self._query_matrices(readings)
        common = self._common
        qr = (qw @ sp.diags((~common).astype(np.float32))).tocsr() if common.any() else qw
        shared = (qr @ self._binary_t).tocsr()
        qnums = np.array(
            [[self._values.get(x, -1) if x else 0 for x in r.numbers] for r in readings],
            dtype=np.int32,
        ).reshape(len(readings), len(ROLES))
        pools: list[np.ndarray] = []
        query_share: list[np.ndarray] = []
        for i in range(len(readings)):
            lo, hi = shared.indptr[i], shared.indptr[i + 1]
            cols = shared.indices[lo:hi]
            vals = shared.data[lo:hi]
            k = min(self.pool, len(cols))
            if k < len(cols):
                key = vals / np.sqrt(self._norm[cols] + 1.0)
                top = np.argpartition(-key, k - 1)[:k]
                cols, vals = cols[top], vals[top]
            pools.append(cols.astype(np.int64))
            query_share.append(vals / max(float(qnorm[i]), 1e-6))
        sizes = np.array([len(p) for p in pools])
        if not sizes.sum():
            empty = np.zeros((0, len(FEATURES)), dtype=np.float32)
            return pools, [empty for _ in pools]
        all_ids = np.concatenate(pools)
        owner = np.repeat(np.arange(len(pools)), sizes)
        qb_pool = qb[owner]
        entry_rows = self._weighted[all_ids]
        entry_share = np.asarray(entry_rows.multiply(qb_pool).sum(axis=1)).ravel()
        # the most distinctive word (highest idf) one side has and the other lacks:
        # 匡美科技 against 少东科技, 办公区 against 宿舍, whatever the shares say
        top_idf = self._unknown_idf
        entry_rows.data = self.idf[entry_rows.indices]
        entry_gap = _row_max(entry_rows - entry_rows.multiply(qb_pool)) / top_idf
        query_rows = qb_pool.copy()
        query_rows.data = self.idf[query_rows.indices]
        query_gap = (
            _row_max(query_rows - query_rows.multiply(self._binary[all_ids])) / top_idf
        )
        qs = np.concatenate(query_share)
        if qr is not qw:  # the common grams, only for the pool
            qc = qw - qr
            qs = qs + np.asarray(
                self._binary[all_ids].multiply(qc[owner]).sum(axis=1)
            ).ravel() / np.maximum(qnorm[owner], 1e-6)
        enums = self._numbers[all_ids]
        qn = qnums[owner]
        qhas = qn != 0
        ehas = enums != 0
        agree = (enums == qn) & qhas
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
                (qhas & ~ehas)[:, strong].sum(axis=1),
                (ehas & ~qhas)[:, strong].sum(axis=1),
                conflict[:, minor].sum(axis=1),
                other.sum(axis=1),
                query_gap,
                entry_gap,
            ]
        ).astype(np.float32)
        return pools, np.split(feats, np.cumsum(sizes)[:-1])

    def match_many(self, queries: Sequence[str], limit: int = 5) -> list[list[Candidate]]:
        """The best entries for each query, best first; [] when none is plausible."""
        readings = [read(q) for q in queries]
        pools, feats = self.features(readings)
        out: list[list[Candidate]] = []
        for reading, ids, f in zip(readings, pools, feats, strict=True):
            if not len(ids) or limit <= 0:
                out.append([])
                continue
            p = probabilities(f @ WEIGHTS)
            order = np.argsort(-p, kind="stable")[:limit]
            out.append(
                [
                    Candidate(
                        self.codes[ids[j]],
                        round(float(p[j]), 4),
                        bool(p[j] >= CONFIDENT),
                        self._reasons(reading, int(ids[j]), f[j]),
                    )
                    for j in order
                    if f[j, 0] >= MIN_SHARE and p[j] >= MIN_SCORE
                ]
            )
        return out

    def _reasons(self, reading: Reading, rid: int, f: np.ndarray) -> list[str]:
        """Short Chinese phrases: what agrees, what conflicts, what one side lacks."""
        out = [f"名称相符{round(float(f[0]) * 100)}%"]
        values = self._values_by_id()
        have = self._numbers[rid]
        for role in (_DOOR, _LANE, _BUILDING, _UNIT, _FLOOR, _ROOM, _PART):
            want = reading.numbers[role]
            got = values[have[role]]
            label = _ROLE_LABEL[role]
            if want and got == want:
                out.append(f"{label}一致")
            elif want and got:
                out.append(f"{label}不符（{want}/{got}）")
            elif want:
                out.append(f"标准地址无{label}")
        return out

    def _values_by_id(self) -> list[str]:
        if len(self._value_list) != len(self._values):
            self._value_list = list(self._values)
        return self._value_list


def _row_max(matrix: sp.csr_matrix) -> np.ndarray:
    matrix = matrix.tocsr()
    matrix.eliminate_zeros()
    return np.asarray(matrix.max(axis=1).todense()).ravel()


def probabilities(z: np.ndarray, none: float = W_NONE) -> np.ndarray:
    """Multinomial logit over the pool with a "none of these" option of logit ``none``."""
    top = max(float(z.max()), none)
    e = np.exp(z - top)
    return e / (e.sum() + math.exp(none - top))
