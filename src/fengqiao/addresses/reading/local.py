"""Reading what follows the divisions: numbers by their markers (88号, 4栋, 2单元, 12-3-1001),
runs of Chinese text cut by the suffix lexicons into township, community, road and place,
locators and tenants set aside; a small state says what has been read so far, since the same
number means a door after a road and a room after a floor.
"""

from __future__ import annotations

import re

from fengqiao.addresses.reading.lexicons import (
    ASSIST_WORDS,
    CN_DIGITS,
    COMMUNITY_SUFFIXES,
    DEVZONE_SUFFIXES,
    MARKER_ELEMENT,
    PLACE_TAILS,
    ROAD_SUFFIXES,
    TOKEN,
    TOWNSHIP_SUFFIXES,
)

# --- the local part ---------------------------------------------------------------------------


class State:
    __slots__ = ("after_township", "last", "rest", "values", "zone")

    def __init__(self) -> None:
        self.values: dict[str, str] = {}
        self.last = ""
        self.rest: list[str] = []
        self.zone = False  # the compound was written before the road: maybe only its zone
        self.after_township = False  # the divisions read end with a township

    def has(self, element: str) -> bool:
        return bool(self.values.get(element))

    def set(self, element: str, value: str) -> None:
        if element == "rest":
            self.rest.append(value)
            self.last = "rest"
            return
        if element == "road" and self.values.get("compound") and not self.values.get("road"):
            self.zone = True
        if self.values.get(element):
            if element in ("road", "compound") and self.last in (element, "rest", "sep"):
                self.values[element] += value  # 学典路与文苑路, 安居西苑东区: one element
            elif element == "compound" and self.zone and self.last == "door_number":
                # 东洲工业园东望路46号润达物流: the zone, its road and door, then the place.
                self.rest.append(self.values["compound"])
                self.values["compound"] = value
                self.zone = False
            else:
                self.rest.append(value)
        else:
            self.values[element] = value
        self.last = element

    @property
    def inside(self) -> bool:
        """Past the building: names now are tenants or rooms, not places."""
        return any(self.has(e) for e in ("building", "unit", "floor", "room"))


_LONG_ASSIST = [w for w in ASSIST_WORDS if len(w) > 1] + [
    "院内",
    "后门",
    "前门",
    "侧门",
    "内",
    "旁",
]
_LEADING_ASSIST = re.compile("|".join(map(re.escape, ASSIST_WORDS)))
_TRAILING_ASSIST = re.compile("(?:" + "|".join(map(re.escape, _LONG_ASSIST)) + ")+$")


def _strip_leading_noise(run: str, state: State) -> str:
    """Locator words before a name (对面手机店, 与文苑路) go to rest."""
    while run:
        m = _LEADING_ASSIST.match(run)
        if m is None:
            return run
        word = m.group(0)
        if len(word) == 1 and not (
            len(run) == 1 or (word in "与和" and state.last in ("road", "sep"))
        ):
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
_OFFICE = re.compile(
    r"(?:保安室|传达室|门卫室|收发室|办公室|值班室|物业管理处|物业|管理处|前台|总台|服务台)$"
)
_PLACE_ENDS = "园心区城厦场村苑楼店司寓馆院站厂校所局行宫庄"
_INNER_NOISE = (
    "院内", "附近", "斜对面", "对面", "旁边", "边上", "隔壁", "楼下", "里面", "交汇处", "交界处",
    "交汇", "东首", "西首", "南首", "北首", "左边", "右边", "左面", "右面", "左侧", "右侧", "旁",
)  # fmt: skip
# After a place's ending, 内/边 alone is a locator too (工业园区内, 车管所边), and so is a
# distance (向北一百米); a side alone is not (东大门, 西湖支行 are names).
_DISTANCE_AFTER_PLACE = (
    "[向往朝]?[东西南北]{1,2}(?:侧|面|边)?[约]?[0-9一二三四五六七八九十百千两]+米"
)
_INNER_LOCATOR = re.compile(
    f"(?:{'|'.join(_INNER_NOISE)})|(?<=[{_PLACE_ENDS}])(?:{_DISTANCE_AFTER_PLACE}|内|边(?!上))"
)


def _cut(run: str, suffixes: tuple[str, ...], minimum: int, avoid: tuple[str, ...] = ()) -> int:
    """The end of the first name in ``run`` (at least ``minimum`` characters before its suffix)
    that ends with one of ``suffixes`` (the longest where several end there: 工业园区, not
    工业园) and is not followed by one of ``avoid``; 0 if none."""
    pattern = _SUFFIX_PATTERNS.get(suffixes)
    if pattern is None:
        pattern = re.compile(
            "|".join(re.escape(x) for x in sorted(suffixes, key=len, reverse=True))
        )
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
_NOT_ROAD_END = ("道", "桥区", "镇", "村", "社区", "段", "团", "织", "路", "巷")
# A road's suffix right after a name: the name is the road's (中关村大街, not 中关村 + 大街).
_ROAD_AHEAD = re.compile(r"[东西南北中]?(?:路|街|巷|大道|大街)")
_DAO = re.compile(r"(?<![街通频知味轨管隧栈车人步])道(?![路口班观])")
_RING = re.compile("[东西南北中内外][一二三四五六七]环(?:路|线|高架)?")
_ROAD_SECTION = re.compile("[东西南北中一二三四五六七八九十]段")
COMPOUND_SUFFIXES = (
    "工业园区", "工业区", "工业园", "园区", "小区", "新村", "花园", "大厦", "广场", "市场", "公寓",
    "家园", "商城", "中心", "科技园", "产业园", "创业园", "新城", "小镇", "苑",
)  # fmt: skip


# A road's own name is two or three characters before its side, ordinal and suffix (幸福路,
# 振兴东路, 金陵北路); a longer run of plain name is a place written before it: a village or
# a quarter (南村幸福路, 胡家坟振兴路), read as rest.
_ROAD_TAIL = re.compile(
    r"[东西南北中]?[一二三四五六七八九十0-9]*号?"
    r"(?:步行街|商业街|商街|环路|支路|横路|横街|直街|大道|大街|公路|路|街|巷|弄)$"
)
_PLAIN_NAME = re.compile(r"[^路街巷道弄大工业园区村镇乡城市县省港桥湾山]+")


def _place_before_road(road: str) -> int:
    """The length of a place's name written before a road's own name, 0 if none."""
    tail = _ROAD_TAIL.search(road)
    if tail is None:
        return 0
    core = road[: tail.start()]
    if not 4 <= len(core) <= 6 or _PLAIN_NAME.fullmatch(core[-3:]) is None:
        return 0
    return 2 if len(core) == 4 else 3


_DIRECTIONS = ("东", "西", "南", "北", "东侧", "西侧", "南侧", "北侧")
_PLACE_NAMED_AFTER_ROAD = (*PLACE_TAILS, *COMPOUND_SUFFIXES, "大院", "宿舍", "公馆", "家园")
_NOT_VILLAGE = (
    *"郡府庭苑园城湾居阁轩店厂司场馆院站所局校区弄路街道", "中学", "小学", "大厦", "办事处",
)  # fmt: skip
_HOME_TAILS = (*COMPOUND_SUFFIXES, "园", "城", "府", "庭", "湾", "居", "阁", "轩", "大楼", "公馆")


def _read_run(run: str, state: State, village: bool = False) -> None:
    """Cut a run of Chinese text into township, community, road and place names; ``village``:
    only a door number or nothing follows, as after a village's name."""
    run = _strip_leading_noise(run, state)
    for size in (4, 3, 2):
        if len(run) > 2 * size and run[:size] == run[size : 2 * size]:
            state.rest.append(run[:size])  # 新湖新湖武林国际: a word typed twice
            run = run[size:]
            break
    while run:
        if state.inside:
            # After the rooms: a compound written last (…1478室南都花城月季苑), else a tenant.
            only_door = not any(state.has(e) for e in ("unit", "floor", "room"))
            if not state.has("compound") and (run.endswith(_HOME_TAILS) or only_door):
                state.set("compound", run)  # 沿江东路35-2号望江楼酒店: the place at that door
            else:
                state.set("rest", run)
            return
        early = not (state.has("road") or state.has("compound") or state.has("community"))
        cuts: list[tuple[int, int, str]] = []  # (end, priority, element)
        if early and not state.has("township"):
            end = _cut(run, TOWNSHIP_SUFFIXES, 2, ("路", "街", "村", "大道"))
            if end and end <= 9 and run[end - 2 : end] != "小镇":  # 梦想小镇: a place
                cuts.append((end, 0, "township"))
            elif (
                run[1:3] == "街道" or (run[1:2] == "镇" and run[:1] not in "城乡集小古")
            ) and state.has("county"):
                # 新罗区东街道, 桐乡市景镇: a one-character name (or one written short).
                cuts.append((3 if run[1:3] == "街道" else 2, 0, "township"))
        if not (state.has("compound") or state.has("road")):
            end = _cut(run, DEVZONE_SUFFIXES, 0)
            if end:
                cuts.append((end, 1, "rest"))
        if early:
            end = _cut(run, COMMUNITY_SUFFIXES, 2, ("路", "镇", "街", "大道", "小区", "委"))
            if (
                end
                and run[end - 2 : end] != "新村"
                and end <= 10
                and not _ROAD_AHEAD.match(run, end)
            ):
                cuts.append((end, 2, "community"))
                place = _cut(run[:end], COMPOUND_SUFFIXES, 2)
                if place and place <= end - 2 and not state.has("compound"):
                    cuts.append((place, 4, "compound"))  # 长城工业区陈园村
        if state.has("township") and run.startswith(state.values["township"]):
            state.set("rest", state.values["township"])  # 彭埠镇彭埠镇: a repeat
            run = run[len(state.values["township"]) :]
            continue
        if not state.has("road") or state.last in ("road", "rest"):
            end = _cut(run, ROAD_SUFFIXES, 1, _NOT_ROAD_END)
            crossing = run.find("路路口", 1)
            if crossing != -1 and (not end or crossing + 1 < end):
                end = crossing + 1  # 溪望路路口: the road, then its crossing
            dao = _DAO.search(run, 2)
            if dao and (not end or dao.end() < end):
                end = dao.end()  # 鹭江道, 南京道: a road named 道 (not 街道, 通道, 频道)
            ring = _RING.search(run)
            if ring and (not end or ring.end() <= end):
                end = ring.end()  # 西三环, 南二环西段: a ring road, written without 路
            if end and _ROAD_SECTION.match(run, end):
                end += 2  # 鄞县大道中段, 人民南路四段: the section is part of the road's name
            if end and run[end - 1] in "组线" and end > 5:
                end = 0  # 小坪组, 虹三线 are short; …设备科维修组 is no road
            if end:
                tail = run[end:]
                # 大学路新村, 万宝路大酒店: a place named after a road; 新一路北 (144号): the
                # road and the side of it the door is on; 丁字路口, 雅园路口: the crossing.
                named = tail in _PLACE_NAMED_AFTER_ROAD or (
                    tail[:1] == "大" and tail[1:] in _PLACE_NAMED_AFTER_ROAD
                )
                if tail in _DIRECTIONS or tail.startswith("口"):
                    named = False
                elif len(tail) == 1:
                    named = True
                if not (named or tail in PLACE_TAILS):
                    cuts.append((end, 3, "road"))
                    # 康桥工业区康惠路: a place written before its road; 高新区江南路: a zone.
                    place = _cut(run[:end], COMPOUND_SUFFIXES, 2)
                    if place and place <= end - 2 and not state.has("compound"):
                        cuts.append((place, 4, "compound"))
                    zone = _cut(run[:end], _ZONE_TAILS, 1)
                    if zone and zone < end - 2:
                        cuts.append((zone, 5, "rest"))
                    prefix = _place_before_road(run[:end])
                    if prefix and len(cuts) == 1:  # not inside a place cut before it
                        cuts.append((prefix, 6, "rest"))
        if cuts:
            end, _, element = min(cuts)
            state.set(element, run[:end])
            run = _strip_leading_noise(run[end:], state)
            continue
        head, tail = _trailing_noise(run)
        office = _OFFICE.search(head)
        if office and office.start() >= 2:
            # …小区北门保安室, …宾馆总台: the room where a parcel is left, not the place.
            head, tail = head[: office.start()], office.group(0) + tail
        if (len(head) > 3 and head[-1] in "号第其了") or (
            head[-1:] in "东西南北内后" and head[-2:-1] in _PLACE_ENDS
        ):
            head, tail = head[:-1], head[-1] + tail  # 泰隆银行号, 中心西1492, 公寓内: a stray
        while True:
            inner = _INNER_LOCATOR.search(head, 2)
            if inner is None or len(head) - inner.end() < 2:
                break
            # 隆华精编厂院内亚士力…, 车管所边小店, 新体育馆南小博士幼儿园: both sides name
            # the place (a place and a part or tenant of it); the locator is noise.
            state.set("compound", head[: inner.start()])
            state.set("rest", inner.group(0))
            state.last = "compound"
            head = head[inner.end() :]
        if (
            village
            and (state.after_township or state.last == "township")
            and not state.values.keys() - {"province", "city", "county", "township"}
            and 2 <= len(head) <= 3
            and not head.endswith(_NOT_VILLAGE)
        ):
            state.set("community", head)  # 龙坞镇葛衙庄1041号: a village named without 村
        elif head:
            # What follows a place in the same run (its part, a company in an industrial zone)
            # is read as the place's: NAACL's subpoi, one compound here.
            state.set("compound", head)
        if tail:
            state.set("rest", tail)
        return


_MARKETS = (
    "市场", "商城", "商贸城", "批发城", "小商品城", "配城", "装城", "材城", "纺城",
    "大厦", "大楼", "商务楼", "写字楼", "广场", "酒店", "宾馆", "中心", "星座",
)  # fmt: skip
_LETTERED_ROOM = re.compile(r"^[A-Za-z][0-9]{3,}$")


def _is_range(number: str) -> bool:
    """806-808, 605-606: two numbers close together, one door or room written over both."""
    low, _, high = number.partition("-")
    return (
        low.isdigit()
        and high.isdigit()
        and len(low) == len(high)
        and 0 < int(high) - int(low) <= 10
    )


def _read_number(number: str, marker: str, state: State, is_last: bool, after: str = "") -> None:
    """Read one number with its marker; ``after`` is the next token's marker, if a number."""
    kind = MARKER_ELEMENT.get(marker, "") if marker else ""
    number = number.strip("-")
    if marker in ("弄", "巷") and not state.has("road") and state.has("compound"):
        state.set("road", number + marker)  # 庄山小区4弄127幢: the compound's lane
        return
    if marker == "弄" and after in ("号", "#") and state.last == "road":
        # 云霞路88弄52号: the lane (弄) is the street the door is on, as Shanghai numbers them.
        state.set("road", number + marker)
        return
    if (
        kind == "number"
        and _is_range(number)
        and not state.has("door_number")
        and state.has("road")
    ):
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
    if not kind and _LETTERED_ROOM.match(number) and state.has("compound") and not state.inside:
        state.set("room", number)  # 奥特莱斯广场A1183: a shop's number, its letter the block's
        return
    if not kind and len(number) >= 6 and number.isdigit():
        state.set("rest", number)  # a postcode, a staff number: no address number is that long
        return
    if kind == "floor" and "-" in number and not _is_range(number):
        # 8-11-7楼, 13-3楼: the building (and entrance) before the floor.
        *before, number = number.split("-")
        for element, part in zip(("building", "unit"), before, strict=False):
            if part and not state.has(element):
                state.set(element, part)
    if kind and "-" in number and kind in ("room", "number"):
        low, _, high = number.partition("-")
        if _is_range(number) and (
            kind == "room" or state.has("floor") or (state.has("building") and len(low) >= 3)
        ):
            state.set("room", number)  # 605-606室: one room over two numbers
            return
        if (
            kind == "number"
            and not state.has("door_number")
            and (state.has("road") or (state.has("community") and not state.has("compound")))
        ):
            # 1154-131号, 沙头村9-8号: the door on the road (in the village), then the
            # building behind it.
            state.set("door_number", low)
            _read_number(high, marker, state, is_last)
            return
        # 1482-5-797室, 15-16号 inside a building: the last part is the marked one.
        head, _, number = number.rpartition("-")
        if kind == "room" or state.has("building") or state.has("floor"):
            for part in head.split("-"):
                _read_number(part, "", state, False)
        elif (
            kind == "number"
            and "-" not in head
            and head.isdigit()
            and number.isdigit()
            and state.has("compound")
            and not state.has("community")
            and not state.has("unit")
            and not state.has("room")
        ):
            if _is_range(f"{head}-{number}") and state.values["compound"].endswith(_MARKETS):
                state.set("room", f"{head}-{number}")  # 农贸市场74-78号: stalls
            else:
                # 沁心园80-206号, 兴达大楼7-14号: the building, then the flat in it (in a
                # village, 溪口村12-87号, the door and a building behind it: read below).
                state.set("building", head)
                state.set("room", number)
            return
    if (
        kind == "number"
        and state.last == "compound"
        and state.values["compound"].endswith(_MARKETS)
        and not state.has("building")
        and not after
    ):
        state.set("room", number)  # 皮革市场140号, 盛胜大厦4479号: a stall, an office
        return
    if (
        kind == "number"
        and state.has("building")
        and not state.has("unit")
        and not state.has("floor")
        and (not is_last or (len(number) == 1 and number.isdigit()) or number in CN_DIGITS)
    ):
        # 134幢105号704室: the entrance, then the flat; 5栋6号 (one digit): the entrance.
        state.set("unit", number)
        return
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
        if (state.has("floor") or state.has("unit")) and not state.has("room"):
            state.set("room", number)  # 10楼12街40792: the shop's own number
        elif not state.has("building") and not (is_last and len(number) >= 3):
            state.set("building", number)
        elif (
            state.has("building")
            and not state.has("unit")
            and not is_last
            and not state.has("floor")
            and (len(number) <= 2 or not number.isdigit())  # 11幢6360: a flat's number
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
            _is_range(number)
            and len(parts[0]) >= 3
            and state.has("building")
            and not state.has("room")
        ):
            state.set("room", number)  # C座1201-1202: one flat over two numbers
            return
        if (
            not state.has("door_number")
            and not state.has("compound")
            and (state.has("road") or state.has("community"))
        ):
            if _is_range(number):
                state.set("door_number", number)
                return
            # 下洋街4-5: the door on the road, then the building (and rooms) behind it.
            state.set("door_number", parts[0])
            parts = parts[1:]
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
    # building / unit / floor / room / door_number with their own marker (a dash kept: 3-1室)
    state.set(kind, number.rstrip("-"))


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


def _looks_like_a_name(tokens: list[tuple[str, str, str]], i: int, state: State) -> bool:
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
            or (
                marker == "号"
                and after[0] == "cjk"
                and after[1].startswith(("大街", "路", "街"))
                and not after[1].startswith(_CROSSING)  # 9号路口: the door, then the crossing
            )
        )
        shop = kind == "num" and not marker and after[0] == "cjk" and after[1][:1] in "店"
        # 速8酒店, 创新128园, 奥林80小区: a number inside a place's name.
        shop = shop or (
            kind == "num"
            and not marker
            and prev[0] == "cjk"
            and not prev[1].endswith(ROAD_SUFFIXES)  # 丹霞路586银来大厦: the door, then the place
            and after[0] == "cjk"
            and _HOME_OR_PLACE.match(after[1]) is not None
        )
        if (
            kind == "num"
            and marker in ("区", "期")
            and prev[0] == "cjk"
            and len(prev[1]) >= 3
            and prev[1][-1] in "东西南北"
            and "\u4e00" <= prev[1][-2] <= "\u9fff"
        ):
            # 轻纺城北四区, 大关小区东七区: the side is part of the zone's name.
            out[-1] = ("cjk", prev[1][:-1], prev[2])
            out.append(("num", prev[1][-1] + value, marker))
            continue
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


_HOME_OR_PLACE = re.compile(
    r"^[\u4e00-\u9fff]{0,3}(?:小区|酒店|宾馆|园|苑|城|大厦|公寓|广场|新村|中心)"
)
_CROSSING = ("路口", "街口", "交叉口", "十字路口")
_ROAD_MARKERS = frozenset({"路", "国道", "省道", "道", "大街", "巷"})


def read_local(pieces: list[str], state: State) -> None:
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
                value,
                marker,
                state,
                i == last,
                (following[2] or "num") if following[0] == "num" else "",
            )
        else:
            after = next((t for t in tokens[i + 1 :] if t[0] != "sep"), None)
            _read_run(value, state, after is None or (after[0] == "num" and after[2] == "号"))
