"""Finding the divisions written in an address (行政区划): every gazetteer name that starts at
each position, accepted only when the text around it says it is a division (a full or former
name; a short name next to its parent, before a long place name, or before a separator) and
when it fits the chain read so far. Nothing is corrected: 华超市 is no 华蓥市.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fengqiao.addresses.reading.divisions import (
    CITY,
    COUNTY,
    FULL,
    OLD,
    SUFFIXES,
    TOWNSHIP,
    Division,
    Gazetteer,
    gazetteer,
)
from fengqiao.addresses.reading.lexicons import SEPARATORS

# --- divisions --------------------------------------------------------------------------------


@dataclass(slots=True)
class _Hit:
    start: int
    end: int
    candidates: list[Division]
    strong: bool


class _DivisionIndex:
    """The gazetteer's names by their first two characters, for a fast scan."""

    def __init__(self, g: Gazetteer) -> None:
        self.g = g
        self.lengths: dict[str, list[int]] = {}
        for name in g.names:
            if len(name) >= 2:
                self.lengths.setdefault(name[:2], []).append(len(name))
        for key, values in self.lengths.items():
            self.lengths[key] = sorted(set(values), reverse=True)

    def at(self, text: str, i: int) -> list[tuple[int, list[tuple[Division, str]]]]:
        out = []
        for length in self.lengths.get(text[i : i + 2], ()):
            entries = self.g.names.get(text[i : i + length])
            if entries:
                out.append((i + length, entries))
        return out


_INDEX: _DivisionIndex | None = None


def _index() -> _DivisionIndex:
    global _INDEX
    if _INDEX is None:
        _INDEX = _DivisionIndex(gazetteer())
    return _INDEX


_PREFIX = (2, 4, 6, 9)


def _related(a: Division, b: Division) -> bool:
    """Whether one lies within the other (or they are the same division in force): their codes
    in force agree down to the higher one's level."""
    size = _PREFIX[a.level if a.level < b.level else b.level]
    return a.current[:size] == b.current[:size]


_GENERIC_COUNTIES = frozenset({"城区", "郊区", "矿区", "东区", "西区", "南区", "北区", "新区"})


def find_divisions(text: str) -> tuple[list[_Hit], list[_Hit]]:
    """The divisions of the address, and the mentions dropped as repeats or stray chains."""
    index = _index()
    hits: list[_Hit] = []
    dropped: list[_Hit] = []
    local = False  # past the first text that is no division: names there are place names
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char in SEPARATORS:
            i += 1
            continue
        # Past the road, a division starts only a segment (文一西路969号 杭州市余杭区).
        segment = not local or text[i - 1] in SEPARATORS or bool(hits and hits[-1].end == i)
        options = index.at(text, i) if segment and "\u4e00" <= char <= "\u9fff" else []
        taken = None
        for end, entries in options:
            hit = _accept(text, i, end, entries, hits, local)
            if hit is not None:
                taken = hit
                break
        if taken is None:
            # Past a road or a number, a division's name is a place's (体育场路浙江省体育中心).
            local = local or char in "路街巷道号" or char.isdigit()
            i += 1
            continue
        dropped.extend(_attach(hits, taken))
        i = taken.end
        local = False  # a chain starts again (文一西路969号 杭州市余杭区…)
    return hits, dropped


def _boundary(text: str, end: int) -> bool:
    """Whether a division name may end here: a separator, the end, or another division."""
    if end >= len(text) or text[end] in SEPARATORS or text[end] in "()-":
        return True
    for after, entries in _index().at(text, end):
        for division, kind in entries:
            if kind in (FULL, OLD) or (division.level < TOWNSHIP and _boundary(text, after)):
                return True
    return False


_ROAD_AHEAD = re.compile(r"[东西南北中]?[一二三四五六七八九十0-9]?(?:路|街|巷|道|大道|大街|公路)")
_AUTONOMOUS = re.compile(r"(?:[\u4e00-\u9fff]{1,4}族){1,4}自治[县州旗]")
_WORD_TAILS = (
    "路", "街", "巷", "道", "村", "社区", "小区", "花园", "新村", "公寓", "大厦", "广场", "市场",
    "中心", "工业", "园", "苑", "城", "店", "厂", "公司", "大桥", "桥",
)  # fmt: skip


def _leads(text: str, start: int, end: int, candidates: list[Division], hits: list[_Hit]) -> bool:
    """A city's or county's short name opening the text before a long place name (义乌国际商贸城,
    海宁皮革城…): read as the division. Not before a short one (安居西苑, 中山公园: names)."""
    if hits or text[:start].strip(SEPARATORS):
        return False
    divisions = [d for d in candidates if d.in_force and d.level <= COUNTY]
    if len(divisions) != 1:
        return False
    word = _WORD.match(text, end)
    if word is None:
        return False
    # 杭州文三路, 温州大南路: a road of at least two characters after the name, too.
    return len(word.group(0)) >= 4 or _NAMED_ROAD.fullmatch(word.group(0)) is not None


def _town_leads(text: str, start: int, end: int) -> bool:
    """A township's short name opening the text before a road of two or three characters or
    a village (桥下兴桥路37号, 公明玉律村): the township, written without its suffix."""
    name = text[start:end]
    if text[:start].strip(SEPARATORS) or name.endswith("区") or name.startswith("高新"):
        return False  # 高新区 opening the text is a development zone, not its 街道
    word = _WORD.match(text, end)
    return word is not None and (
        _NAMED_ROAD.fullmatch(word.group(0)) is not None
        or _VILLAGE.match(word.group(0)) is not None
    )


_VILLAGE = re.compile(r"[^村路街镇乡区新化]{2,3}村(?!委)")  # not 新村, 文化村: places
_NAMED_ROAD = re.compile(r"[^村园区镇乡]{2,3}(?:路|街|大道|大街)")


_WORD = re.compile(r"[\u4e00-\u9fff]+")


def _followed_by_part(text: str, end: int, candidates: list[Division]) -> bool:
    """Whether a short name of a division inside one of ``candidates`` follows at ``end``."""
    for _after, entries in _index().at(text, end):
        for division, _kind in entries:
            if any(division.level > c.level and _related(division, c) for c in candidates):
                return True
    return False


_KINDS: dict[int, tuple[list[Division], list[Division]]] = {}


def _kinds(entries: list[tuple[Division, str]]) -> tuple[list[Division], list[Division]]:
    """The divisions of full or former names, and of all: once per gazetteer entry list (the
    lists live as long as the cached gazetteer, so their id is a stable key)."""
    split = _KINDS.get(id(entries))
    if split is None:
        strong = [d for d, kind in entries if kind in (FULL, OLD)]
        split = _KINDS[id(entries)] = (strong, [d for d, _ in entries])
    return split


def _accept(
    text: str,
    start: int,
    end: int,
    entries: list[tuple[Division, str]],
    hits: list[_Hit],
    local: bool,
) -> _Hit | None:
    name = text[start:end]
    # 北京路, 余杭塘路, 鄞县大道, 新镇路: a name before a road's suffix names the road; a
    # district or a city (碑林区南大街, 台州市路桥区) is the division, then its road.
    full_district = name.endswith(("区", "市", "省", "街道")) and any(k == FULL for _, k in entries)
    if _ROAD_AHEAD.match(text, end) and not full_district:  # noqa: SIM102
        if not any(k in (FULL, OLD) for _, es in _index().at(text, end) for _, k in es):
            return None  # 北京路, 余杭塘路: the name of a road (台州市路桥区 is two divisions)
    strong_entries, every = _kinds(entries)
    strong = bool(strong_entries)
    candidates = strong_entries or every
    if not strong:
        # 上望镇 where the list says 上望街道, 某县 now 某市: a renamed division, as written.
        for level in sorted({d.level for d in candidates}):
            suffix = next((x for x in SUFFIXES[level] if text.startswith(x, end)), "")
            autonomous = _AUTONOMOUS.match(text, end) if level in (CITY, COUNTY) else None
            if autonomous:  # 澜沧拉沽族自治县: the nationality misspelt, the county written
                suffix = autonomous.group(0)
            if suffix and not text.startswith(("路", "街", "道"), end + len(suffix)):
                candidates = [d for d in candidates if d.level == level]
                end += len(suffix)
                name = text[start:end]
                strong = True
                break
    if local and not (strong and _boundary(text, end)):
        return None
    if not strong and name.endswith(("路", "街", "道", "巷")):
        return None  # 解放北路 (of 解放北路街道) written alone is the road
    if not strong and any(
        d.current == c.current for h in hits for c in h.candidates for d in candidates
    ):
        return None  # 顾山镇…顾山中学: a division already read, now a place's name
    if not strong and not _boundary(text, end):
        # A short name is read without a separator after it only next to the divisions it
        # lies in: 温州瑞安…, 金华义乌…, 江干区九堡… (not 安居西苑, 高沙小区).
        joined = (
            bool(hits)
            and text[hits[-1].end : start].strip(SEPARATORS) == ""
            and any(d.level > c.level for d in candidates for c in hits[-1].candidates)
        )
        fits_before = joined and any(
            d.level > c.level and _related(d, c) for d in candidates for c in hits[-1].candidates
        )
        if text.startswith(_WORD_TAILS, end):
            # 安居西苑, 高沙小区: a name's start; next to its parent before a road of at least
            # two characters it is the division still (金华永康城南路).
            word = _WORD.match(text, end)
            if not (
                fits_before
                and word is not None
                and _NAMED_ROAD.fullmatch(word.group(0)) is not None
            ):
                return None
        if not (
            fits_before
            or _followed_by_part(text, end, candidates)
            or _leads(text, start, end, candidates, hits)
            or (not hits and _town_leads(text, start, end))
        ):
            return None
    chain = hits
    # It must lie in, or contain, every division read so far (a repeat is the same one).
    consistent = [
        d for d in candidates if all(any(_related(d, c) for c in h.candidates) for h in chain)
    ]
    midword = (
        start > 0
        and "\u4e00" <= text[start - 1] <= "\u9fff"
        and not any(h.end == start for h in hits)
    )
    if midword and not (strong and len(name) >= 3 and name not in _GENERIC_COUNTIES):
        return None  # 下城区 unknown is no 城区
    if not consistent:
        if not strong or midword or name in _GENERIC_COUNTIES:
            return None
        deeper = chain and all(d.level > chain[0].candidates[0].level for d in candidates)
        if deeper and not all(d.level == TOWNSHIP for d in candidates):
            return None  # a county that is not in the province written: a place name
        # A township that does not fit (renamed since) stays as written; a province or city
        # that does not fit starts a new chain, the old one becoming rest.
    else:
        candidates = consistent
    if not strong or name in _GENERIC_COUNTIES:  # noqa: SIM102
        # Short names and generic ones (城区) only where the text around says which.
        if not chain and (
            name in _GENERIC_COUNTIES
            or (all(d.level == TOWNSHIP for d in candidates) and not _town_leads(text, start, end))
        ):
            return None
    if (
        not strong
        and not chain
        and all(d.level == TOWNSHIP for d in candidates)
        and not _town_leads(text, start, end)
    ):
        return None
    current_first = [d for d in candidates if d.in_force] or candidates
    return _Hit(start, end, current_first, strong)


def _attach(hits: list[_Hit], hit: _Hit) -> list[_Hit]:
    """Add a division to the chain: the same division again replaces the earlier mention (the
    later one is the address; the earlier a repeat), one that fits nothing starts a new chain."""
    if not hits:
        hits.append(hit)
        return []
    dropped: list[_Hit] = []
    fits = [h for h in hits if any(_related(d, c) for d in hit.candidates for c in h.candidates)]
    level = min(d.level for d in hit.candidates)
    if len(fits) < len(hits) and level <= min(d.level for h in hits for d in h.candidates):
        dropped.extend(hits)
        hits.clear()
    for h in list(hits):
        if min(d.level for d in h.candidates) == level:
            if (
                level == TOWNSHIP
                and h is hits[-1]
                and h.end <= hit.start
                and not {d.current for d in h.candidates} & {d.current for d in hit.candidates}
            ):
                continue  # 王宅镇白姆乡: a township named inside another; both are written
            hits.remove(h)
            dropped.append(h)
    for h in hits:
        narrowed = [c for c in h.candidates if any(_related(c, d) for d in hit.candidates)]
        h.candidates = narrowed or h.candidates
    hit.candidates = [
        d for d in hit.candidates if all(any(_related(d, c) for c in h.candidates) for h in hits)
    ] or hit.candidates
    hits.append(hit)
    return dropped
