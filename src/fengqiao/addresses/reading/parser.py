"""Reading an address as people write it into its elements (地址要素解析).

A gazetteer pass finds the divisions (``divisions.gazetteer``); a scanner cuts the rest into
numbers with their markers (88号, 4栋, 2单元, 5层, 502室) and runs of Chinese text, which the
suffix lexicons below cut into communities, roads and places; what is noise (phone numbers,
distances, 交叉口, 附近, 代收, 丰巢, people's names) goes to ``rest``. No order is assumed and
nothing is "corrected": a division is recognised only when written as one of its names, an old
name stays as written with the code now in force in ``divisions``.

Element values are the text as written, folded to half width; the numbers of door_number,
building, unit, floor and room are given without their marker (号, 栋, 单元, 层, 室).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

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

LEVEL_ELEMENTS = ("province", "city", "county", "township")
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})  # 北京 天津 上海 重庆: written as the city

# Longest input read; beyond it the text goes to ``rest`` untouched (no address is that long).
MAX_LENGTH = 300


@dataclass(slots=True)
class ParsedText:
    """The elements of one address text, ``""`` where absent, and what was left."""

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
    rest: str = ""
    divisions: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, str]:
        out = {name: getattr(self, name) for name in ELEMENTS}
        out["rest"] = self.rest
        return out


# --- normalising ------------------------------------------------------------------------------

_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: 0x20, 0x2014: 0x2D, 0x2013: 0x2D, 0x2012: 0x2D, 0x2015: 0x2D, 0x2212: 0x2D})
_WIDTH.update({0x3001: 0x2C, 0x3002: 0x2C, 0x3010: 0x28, 0x3011: 0x29, 0x3014: 0x28, 0x3015: 0x29})


def fold(text: str) -> str:
    """全角→半角, dashes to '-', so that values compare whatever keyboard typed them."""
    return text.translate(_WIDTH)


# --- lexicons ---------------------------------------------------------------------------------

SEPARATORS = " \t,;:|/\\_?!'\"*~`^=+<>"
CN_DIGITS = "零〇一二三四五六七八九十百千两"

# Number markers, longest first; the element each one names.
NUMBER_MARKERS: tuple[tuple[str, str], ...] = (
    ("号楼", "building"),
    ("号院", "door_number"),
    ("号门", "rest"),
    ("号铺", "room"),
    ("号房", "room"),
    ("单元", "unit"),
    ("公里", "rest"),
    ("号", "number"),
    ("#", "number"),
    ("弄", "door_number"),
    ("栋", "building"),
    ("幢", "building"),
    ("座", "building"),
    ("排", "building"),
    ("层", "floor"),
    ("楼", "floor"),
    ("F", "floor"),
    ("f", "floor"),
    ("室", "room"),
    ("户", "room"),
    ("房", "room"),
    ("组团", "part"),
    ("组", "group"),
    ("队", "group"),
    ("期", "part"),
    ("区", "part"),
    ("街", "part"),
    ("米", "rest"),
    ("国道", "road"),
    ("省道", "road"),
    ("大街", "road"),
    ("路", "road"),
    ("道", "road"),
    ("m", "rest"),
)
_MARKER_PATTERN = "|".join(re.escape(m) for m, _ in NUMBER_MARKERS)
_MARKER_ELEMENT = dict(NUMBER_MARKERS)
# After a Chinese numeral only the unmistakable markers (三楼, 八幢; not 三街, 十里).
_CN_MARKER_PATTERN = "号楼|号|栋|幢|座|排|单元|层|楼|室|户|组团|组|期|区"

TOKEN = re.compile(
    r"(?P<sep>[" + re.escape(SEPARATORS) + r"]+)"
    r"|(?P<word>[A-Za-z]{2,}(?![0-9]))"
    r"|(?P<num>(?:[甲乙丙丁]?[A-Za-z]{0,2}[0-9]+(?:[A-EG-Za-eg-z](?![A-Za-z]))?|[A-Za-z](?![A-Za-z]))"
    r"(?:-(?:[A-Za-z]{0,2}[0-9]+(?:[A-EG-Za-eg-z](?![A-Za-z]))?|[A-Za-z](?![A-Za-z])))*-?"
    r"|[" + CN_DIGITS + r"]+(?=" + _CN_MARKER_PATTERN + r"))"
    r"(?P<marker>" + _MARKER_PATTERN + r")?"
    r"|(?P<dash>-+)"
    r"|(?P<cjk>(?:(?![" + CN_DIGITS + r"]+(?:" + _CN_MARKER_PATTERN + r"))"
    r"[^0-9A-Za-z" + re.escape(SEPARATORS) + r"-])+)"
)

PHONE = re.compile(r"(?<![0-9])(?:1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8}|[0-9]{7,8})(?![0-9])")
DISTANCE = re.compile(
    r"(?:往|向|朝)?[东南西北]{1,2}(?:侧|面|边|方向|方)?(?:约)?[0-9]+(?:米|m|公里|km)"
)
NOISE = re.compile(
    r"(?:丰巢(?:快递)?(?:柜|智能柜)?|快递柜|快递点|智能快递柜|自提柜|智能柜|代收点|代收|代签|电联|"
    r"联系电话|到了打电话|打电话|到了电话|到付|(?:电话|手机|tel|TEL)[:]?(?=[0-9])|收件人|市辖区|null|NULL|"
    r"[\u4e00-\u9fff]{1,3}(?:先生|女士|小姐|师傅)(?:收)?)"
)
COMMUNITY_SUFFIXES = (
    "村民委员会",
    "居民委员会",
    "村民委",
    "村委会",
    "居委会",
    "社区",
    "嘎查",
    "村",
)
ROAD_SUFFIXES = ("大道", "大街", "公路", "国道", "省道", "胡同", "路", "街", "巷")
TOWNSHIP_SUFFIXES = ("街道办事处", "街道", "镇", "乡")
DEVZONE_SUFFIXES = ("经济技术开发区", "经济开发区", "开发区", "高新区", "保税区", "新区")
ASSIST_TEXT = """
东段 西段 南段 北段 中段 城区 大门口 交叉路口 交叉口 交汇处 交界处
十字路口 路口 斜对面 正对面 对面 对过 附近 旁边 隔壁 门口 楼下 后面
前面 边上 里面 东侧 西侧 南侧 北侧 东面 西面 南面 北面 东边 西边
南边 北边 以东 以西 以南 以北 往东 往西 往南 往北 东北 东南 西北
西南 旁 内 与 和 交 电联
"""
ASSIST_WORDS = tuple(sorted(ASSIST_TEXT.split(), key=len, reverse=True))
# Words that end a place name: a run ending with one is a place even after a road suffix.
PLACE_TAILS = (
    "小学", "中学", "大学", "学院", "学校", "幼儿园", "医院", "银行", "支行", "分行", "公司", "店",
    "站", "所", "局", "馆", "厂", "场", "市场", "中心", "大厦", "广场", "花园", "公寓", "小区",
    "酒店",
)  # fmt: skip


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
    """Whether one lies within the other (or they are the same division in force)."""
    if a.level == b.level:
        return a.current == b.current
    low, high = (a, b) if a.level > b.level else (b, a)
    return low.current.startswith(high.current[: _PREFIX[high.level]])


_GENERIC_COUNTIES = frozenset({"城区", "郊区", "矿区", "东区", "西区", "南区", "北区", "新区"})


def _find_divisions(text: str) -> tuple[list[_Hit], list[_Hit]]:
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
        options = index.at(text, i) if "\u4e00" <= char <= "\u9fff" else []
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
    levels = {d.level for d in candidates if d.in_force}
    if len(candidates) != 1 or not levels or max(levels) > COUNTY:
        return False
    word = _WORD.match(text, end)
    return word is not None and len(word.group(0)) >= 4


_WORD = re.compile(r"[\u4e00-\u9fff]+")


def _followed_by_part(text: str, end: int, candidates: list[Division]) -> bool:
    """Whether a short name of a division inside one of ``candidates`` follows at ``end``."""
    for _after, entries in _index().at(text, end):
        for division, _kind in entries:
            if any(division.level > c.level and _related(division, c) for c in candidates):
                return True
    return False


def _accept(
    text: str,
    start: int,
    end: int,
    entries: list[tuple[Division, str]],
    hits: list[_Hit],
    local: bool,
) -> _Hit | None:
    name = text[start:end]
    if _ROAD_AHEAD.match(text, end):  # noqa: SIM102
        if not any(k in (FULL, OLD) for _, es in _index().at(text, end) for _, k in es):
            return None  # 北京路, 余杭塘路: the name of a road (台州市路桥区 is two divisions)
    strong_entries = [d for d, kind in entries if kind in (FULL, OLD)]
    strong = bool(strong_entries)
    candidates = strong_entries or [d for d, _ in entries]
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
    if not strong and not _boundary(text, end):
        # A short name is read without a separator after it only next to the divisions it
        # lies in: 温州瑞安…, 金华义乌…, 江干区九堡… (not 安居西苑, 高沙小区).
        if text.startswith(_WORD_TAILS, end):
            return None
        joined = (
            bool(hits)
            and text[hits[-1].end : start].strip(SEPARATORS) == ""
            and any(d.level > c.level for d in candidates for c in hits[-1].candidates)
        )
        fits_before = (
            joined
            and all(any(_related(d, c) for c in hits[-1].candidates) for d in candidates[:1])
            and any(any(_related(d, c) for c in hits[-1].candidates) for d in candidates)
        )
        if not (fits_before or _followed_by_part(text, end, candidates) or _leads(text, start, end, candidates, hits)):
            return None
    chain = [h for h in hits]
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
            name in _GENERIC_COUNTIES or all(d.level == TOWNSHIP for d in candidates)
        ):
            return None
    if all(d.level == TOWNSHIP for d in candidates) and not strong and not chain:
        return None
    current_first = [d for d in candidates if d.in_force] or candidates
    return _Hit(start, end, current_first, strong)


def _attach(hits: list[_Hit], hit: _Hit) -> list[_Hit]:
    """Add a division to the chain: the same division again replaces the earlier mention (the
    later one is the address; the earlier a repeat), one that fits nothing starts a new chain."""
    dropped: list[_Hit] = []
    fits = [h for h in hits if any(_related(d, c) for d in hit.candidates for c in h.candidates)]
    level = min(d.level for d in hit.candidates)
    if len(fits) < len(hits) and level <= min(d.level for h in hits for d in h.candidates):
        dropped.extend(hits)
        hits.clear()
    for h in list(hits):
        if min(d.level for d in h.candidates) == level:
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


# --- the local part ---------------------------------------------------------------------------


class _State:
    __slots__ = ("last", "rest", "values")

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.last = ""
        self.rest: list[str] = []

    def has(self, element: str) -> bool:
        return bool(self.values.get(element))

    def set(self, element: str, value: str) -> None:
        if element == "rest":
            self.rest.append(value)
            self.last = "rest"
            return
        if self.values.get(element):
            if element in ("road", "compound") and self.last in (element, "rest", "sep"):
                self.values[element] += value  # 学典路与文苑路, 安居西苑东区: one element
            else:
                self.rest.append(value)
        else:
            self.values[element] = value
        self.last = element

    @property
    def inside(self) -> bool:
        """Past the building: names now are tenants or rooms, not places."""
        return any(self.has(e) for e in ("building", "unit", "floor", "room"))


_LONG_ASSIST = [w for w in ASSIST_WORDS if len(w) > 1]
_LEADING_ASSIST = re.compile("|".join(map(re.escape, ASSIST_WORDS)))
_TRAILING_ASSIST = re.compile("(?:" + "|".join(map(re.escape, _LONG_ASSIST)) + ")+$")


def _strip_leading_noise(run: str, state: _State) -> str:
    """Locator words before a name (对面手机店, 与文苑路) go to rest."""
    while run:
        m = _LEADING_ASSIST.match(run)
        if m is None:
            return run
        word = m.group(0)
        if len(word) == 1 and not (len(run) == 1 or (word in "与和" and state.last in ("road", "sep"))):
            return run
        state.set("rest", word)
        run = run[len(word) :]
    return run


def _trailing_noise(run: str) -> tuple[str, str]:
    """A name and the locator words after it: 勿忘我网吧门口 → 勿忘我网吧, 门口."""
    m = _TRAILING_ASSIST.search(run)
    if m is None or m.start() == 0:
        return run, ""
    return run[: m.start()], m.group(0)


_ZONE_TAILS = ("区", "岛", "工业城")
_INNER_NOISE = ("院内", "附近", "对面", "旁边", "隔壁", "楼下", "里面", "旁")


def _cut(run: str, suffixes: tuple[str, ...], minimum: int, avoid: tuple[str, ...] = ()) -> int:
    """The end of the first name in ``run`` (at least ``minimum`` characters before its suffix)
    that ends with one of ``suffixes`` (the longest where several end there: 工业园区, not
    工业园) and is not followed by one of ``avoid``; 0 if none."""
    pattern = _SUFFIX_PATTERNS.get(suffixes)
    if pattern is None:
        pattern = re.compile("|".join(re.escape(x) for x in sorted(suffixes, key=len, reverse=True)))
        _SUFFIX_PATTERNS[suffixes] = pattern
    position = minimum
    while True:
        m = pattern.search(run, position)
        if m is None:
            return 0
        end = m.end()
        longer = pattern.match(run, m.start())
        if longer is not None:
            end = longer.end()
        if not (avoid and run.startswith(avoid, end)):
            return end
        position = m.start() + 1


_SUFFIX_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


# A road suffix followed by these is no road's end (街道, 路口 are other words; 路桥 a name).
_NOT_ROAD_END = ("道", "口", "桥区", "镇", "乡", "村", "社区", "段")
_ROAD_SECTIONS = ("东段", "西段", "南段", "北段", "中段", "一段", "二段", "三段")
COMPOUND_SUFFIXES = (
    "工业园区", "工业区", "工业园", "园区", "小区", "新村", "花园", "大厦", "广场", "市场", "公寓",
    "家园", "商城", "中心", "科技园", "产业园", "创业园", "新城", "苑",
)  # fmt: skip


_HOME_TAILS = (*COMPOUND_SUFFIXES, "园", "城", "府", "庭", "湾", "居", "阁", "轩", "大楼", "公馆")


def _read_run(run: str, state: _State) -> None:
    """Cut a run of Chinese text into township, community, road and place names."""
    run = _strip_leading_noise(run, state)
    for size in (4, 3, 2):
        if len(run) > 2 * size and run[:size] == run[size : 2 * size]:
            state.rest.append(run[:size])  # 新湖新湖武林国际: a word typed twice
            run = run[size:]
            break
    while run:
        if state.inside:
            # After the rooms: a compound written last (…1478室南都花城月季苑), else a tenant.
            if not state.has("compound") and run.endswith(_HOME_TAILS):
                state.set("compound", run)
            else:
                state.set("rest", run)
            return
        early = not (state.has("road") or state.has("compound") or state.has("community"))
        cuts: list[tuple[int, int, str]] = []  # (end, priority, element)
        if early and not state.has("township"):
            end = _cut(run, TOWNSHIP_SUFFIXES, 2, ("路", "街", "村", "大道"))
            if end and end <= 9:
                cuts.append((end, 0, "township"))
        if not (state.has("compound") or state.has("road")):
            end = _cut(run, DEVZONE_SUFFIXES, 2)
            if end:
                cuts.append((end, 1, "rest"))
        if early:
            end = _cut(run, COMMUNITY_SUFFIXES, 2, ("路", "镇", "街", "大道", "小区", "委"))
            if end and run[end - 2 : end] != "新村" and end <= 10:
                cuts.append((end, 2, "community"))
        if state.has("township") and run.startswith(state.values["township"]):
            state.set("rest", state.values["township"])  # 彭埠镇彭埠镇: a repeat
            run = run[len(state.values["township"]) :]
            continue
        if not state.has("road") or state.last in ("road", "rest"):
            end = _cut(run, ROAD_SUFFIXES, 1, _NOT_ROAD_END)
            if end:
                tail = run[end:]
                if not tail or not (tail in PLACE_TAILS or len(tail) == 1):
                    cuts.append((end, 3, "road"))
                    # 康桥工业区康惠路: a place written before its road; 高新区江南路: a zone.
                    place = _cut(run[:end], COMPOUND_SUFFIXES, 2)
                    if place and place < end - 2 and not state.has("compound"):
                        cuts.append((place, 4, "compound"))
                    zone = _cut(run[:end], _ZONE_TAILS, 1)
                    if zone and zone < end - 2:
                        cuts.append((zone, 5, "rest"))
        if cuts:
            end, _, element = min(cuts)
            state.set(element, run[:end])
            run = _strip_leading_noise(run[end:], state)
            continue
        head, tail = _trailing_noise(run)
        for word in _INNER_NOISE:
            at = head.find(word, 2)
            if at > 0 and len(head) - at - len(word) >= 2:
                # 隆华精编厂院内亚士力…: both sides name the place; the locator is noise.
                state.set("compound", head[:at])
                state.set("rest", word)
                state.last = "compound"
                head = head[at + len(word) :]
                break
        if head:
            # What follows a place in the same run (its part, a company in an industrial zone)
            # is read as the place's: NAACL's subpoi, one compound here.
            state.set("compound", head)
        if tail:
            state.set("rest", tail)
        return


def _read_number(number: str, marker: str, state: _State, is_last: bool, after: str = "") -> None:
    """Read one number with its marker; ``after`` is the next token's marker, if a number."""
    kind = _MARKER_ELEMENT.get(marker, "") if marker else ""
    number = number.strip("-")
    if marker == "弄" and after in ("号", "#") and state.last == "road":
        state.set("road", number + marker)  # 洋中路9弄38号: the lane is the road, 38 its door
        return
    if kind == "number" and "-" in number and not state.has("door_number") and state.has("road"):
        low, _, high = number.partition("-")
        if low.isdigit() and high.isdigit() and int(high) > int(low) and "-" not in high:
            state.set("door_number", number)  # 806-808号: a range of doors
            return
    if kind == "rest":
        state.set("rest", number + marker)
        return
    if kind == "part":  # 3期, B区, 二区: part of the compound's name
        state.set("compound", number + marker) if state.last in (
            "compound",
            "sep",
            "",
        ) or not state.has("compound") else state.set("rest", number + marker)
        return
    if kind == "group":  # 5组: the road of a village; 5组6号 is one door number
        if not state.has("road") and not state.has("door_number"):
            state.set("road", number + marker)
        else:
            state.set("rest", number + marker)
        return
    if not kind and len(number) >= 6 and number.isdigit():
        state.set("rest", number)  # a postcode, a staff number: no address number is that long
        return
    if kind and "-" in number and kind in ("room", "number"):
        low, _, high = number.partition("-")
        if kind == "room" and low.isdigit() and high.isdigit() and int(high) > int(low):
            state.set("room", number)  # 605-606室: one room over two numbers
            return
        if kind == "number" and not state.has("door_number") and state.has("road"):
            # 1154-131号: the door on the road, then the building behind it.
            state.set("door_number", low)
            _read_number(high, marker, state, is_last)
            return
        # 1482-5-797室, 15-16号 inside a building: the last part is the marked one.
        head, _, number = number.rpartition("-")
        if kind == "room" or state.has("building") or state.has("floor"):
            for part in head.split("-"):
                _read_number(part, "", state, False)
    if kind == "number" and (state.has("floor") or state.has("building")) and not state.has("room"):
        state.set("room", number)  # 177幢8号, 八楼1130号: a shop or flat inside
        return
    if kind == "number" or (not kind and "-" not in number):
        residential = state.values.get("compound", "").endswith(_HOME_TAILS)
        if (
            not state.has("door_number")
            and not state.has("building")
            and (
                (kind and not (residential and not state.has("road")))
                or not state.has("compound")
                or state.last == "road"
            )
            and (kind or state.has("road") or state.has("community") or not is_last)
        ):
            state.set("door_number", number)
            return
        if kind:
            for element in ("building", "unit", "room"):
                if not state.has(element) and not (element == "unit" and not state.has("building")):
                    if element == "unit" and state.has("floor"):
                        continue
                    state.set(element, number)
                    return
            state.set("rest", number + marker)
            return
        # A bare number inside a compound: a building, or the room when it ends the address.
        if not state.has("building") and not (is_last and len(number) >= 3):
            state.set("building", number)
        elif (
            state.has("building")
            and not state.has("unit")
            and not is_last
            and not state.has("floor")
        ):
            state.set("unit", number)
        elif not state.has("room"):
            state.set("room", number)
        else:
            state.set("rest", number)
        return
    if not kind:  # 9-7-1453, 12-3-1001, 212-220
        parts = number.split("-")
        if (
            not state.has("door_number")
            and not state.has("compound")
            and (state.has("road") or state.has("community"))
        ):
            state.set("door_number", number)
            return
        if state.has("floor") and not state.has("room"):
            state.set("room", number)  # 7楼C-11: the room's own number
            return
        order = [e for e in ("building", "unit", "room") if not state.has(e)]
        if len(parts) == 2 and len(order) == 3:
            order = ["building", "room"]
        if len(parts) == 4 and len(order) == 3:
            order = ["building", "unit", "floor", "room"]
        for element, part in zip(order, parts, strict=False):
            state.set(element, part)
        if len(parts) > len(order):
            state.set("rest", "-".join(parts[len(order) :]))
        return
    # building / unit / floor / room / door_number with their own marker
    if (
        kind == "floor"
        and marker == "楼"
        and not state.has("building")
        and not state.has("floor")
        and len(number) <= 1
        and False
    ):
        kind = "building"
    if number.endswith("-"):
        number = number[:-1]
    if "-" in number and kind in ("room", "building"):
        parts = number.split("-")
        state.set(kind, number)
        return
    state.set(kind, number)


def _tokens(text: str) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for m in TOKEN.finditer(text):
        if m.group("sep") or m.group("dash"):
            out.append(("sep", m.group(0), ""))
        elif m.group("num") is not None:
            out.append(("num", m.group("num"), m.group("marker") or ""))
        else:  # Chinese text, or a Latin word (a shop's name: CoffeeBeanery)
            out.append(("cjk", m.group(0), ""))
    return out


_NAME_SUFFIXES = (
    COMMUNITY_SUFFIXES + ROAD_SUFFIXES + TOWNSHIP_SUFFIXES + PLACE_TAILS + ("区", "园", "苑")
)


def _looks_like_a_name(tokens: list[tuple[str, str, str]], i: int, state: _State) -> bool:
    """A person's name standing alone at the start or the end (张三 …, … 李四)."""
    value = tokens[i][1]
    if not 2 <= len(value) <= 3 or value.endswith(_NAME_SUFFIXES):
        return False
    alone = (i == 0 or tokens[i - 1][0] == "sep") and (
        i + 1 >= len(tokens) or tokens[i + 1][0] == "sep"
    )
    at_start = i == 0 or all(t[0] == "sep" for t in tokens[:i])
    if at_start:
        return alone and len(tokens) > i + 2
    return alone and (state.has("road") or state.has("compound"))


def _merge(tokens: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Join what the scanner split but is one name: 天堂e谷, 西园2路, 329国道, 14号大街."""
    out: list[tuple[str, str, str]] = []
    for i, token in enumerate(tokens):
        kind, value, marker = token
        after = tokens[i + 1] if i + 1 < len(tokens) else ("sep", "", "")
        prev = out[-1] if out else ("sep", "", "")
        letter = kind == "num" and not marker and value.isalpha() and len(value) == 1
        road_number = kind == "num" and (
            marker in _ROAD_MARKERS
            or (marker == "号" and after[0] == "cjk" and after[1].startswith(("大街", "路", "街")))
        )
        shop = kind == "num" and not marker and after[0] == "cjk" and after[1][:1] in "店"
        if (letter and prev[0] == "cjk" and after[0] == "cjk") or road_number or shop:
            joined = (prev[1] if prev[0] == "cjk" else "") + value + marker
            if prev[0] == "cjk":
                out.pop()
            out.append(("cjk", joined, ""))
            continue
        if (
            kind == "cjk"
            and prev[0] == "cjk"
            and (
                (prev[1][-1:].isalnum() and not "\u4e00" <= prev[1][-1] <= "\u9fff")
                or prev[2] == "joined"
            )
        ):
            out[-1] = ("cjk", prev[1] + value, "")
            continue
        if kind == "cjk" and prev[0] == "cjk":
            out[-1] = ("cjk", prev[1] + value, "")
            continue
        out.append(token)
    return out


_ROAD_MARKERS = frozenset({"路", "国道", "省道", "道", "大街"})


def _read_local(pieces: list[str], state: _State) -> None:
    tokens: list[tuple[str, str, str]] = []
    for piece in pieces:
        tokens.extend(_tokens(piece))
        tokens.append(("sep", " ", ""))
    tokens = _merge(tokens)
    meaningful = [i for i, t in enumerate(tokens) if t[0] != "sep"]
    last = meaningful[-1] if meaningful else -1
    first = meaningful[0] if meaningful else -1
    for i, (kind, value, marker) in enumerate(tokens):
        if kind == "cjk" and i in (first, last) and _looks_like_a_name(tokens, i, state):
            state.set("rest", value)
            continue
        if kind == "sep":
            if state.last in ("road", "compound"):
                state.last = "sep"
            continue
        if kind == "num":
            following = tokens[i + 1] if i + 1 < len(tokens) else ("sep", "", "")
            _read_number(
                value, marker, state, i == last, following[2] if following[0] == "num" else ""
            )
        else:
            _read_run(value, state)


# --- the whole ----------------------------------------------------------------------------------


def _remove(text: str, pattern: re.Pattern[str], rest: list[str]) -> str:
    def drop(m: re.Match[str]) -> str:
        rest.append(m.group(0))
        return " "

    return pattern.sub(drop, text)


def parse_text(text: str) -> ParsedText:
    """The elements of one free-text address; never raises on any string."""
    text = fold(text or "")
    rest: list[str] = []
    if len(text) > MAX_LENGTH:
        rest.append(text[MAX_LENGTH:])
        text = text[:MAX_LENGTH]
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    text = _remove(text, PHONE, rest)
    text = _remove(text, DISTANCE, rest)
    text = _remove(text, NOISE, rest)
    hits, dropped = _find_divisions(text)
    result = ParsedText()
    pieces: list[str] = []
    position = 0
    kept = {id(h) for h in hits}
    for hit in sorted(hits + dropped, key=lambda h: h.start):
        if hit.start > position:
            pieces.append(text[position : hit.start])
        position = hit.end
        if id(hit) not in kept:
            rest.append(text[hit.start : hit.end])
            continue
        level = min(d.level for d in hit.candidates)
        element = LEVEL_ELEMENTS[level]
        if level == 0 and hit.candidates[0].code[:2] in MUNICIPALITIES:
            element = "city"
        setattr(result, element, text[hit.start : hit.end])
    pieces.append(text[position:])
    # Text before a chain that was replaced (a repeat, another province) is not the address.
    state = _State()
    if hits:
        state.values.update({e: getattr(result, e) for e in LEVEL_ELEMENTS if getattr(result, e)})
    _read_local(pieces, state)
    for element in ELEMENTS:
        value = state.values.get(element, "")
        if value:
            setattr(result, element, value)
    rest.extend(state.rest)
    result.rest = " ".join(r.strip() for r in rest if r.strip())
    result.divisions = tuple(
        h.candidates[0].current for h in hits if len({d.current for d in h.candidates}) == 1
    )
    return result
