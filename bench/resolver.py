"""Free-text address resolver (fengqiao.addresses.resolver) at registry scale, side by side
with two existing Chinese address libraries on the same query texts.

    .venv/bin/python bench/resolver.py [--records 1000000] [--queries 20000] [--runs 5]

Bench-only dependencies, installed into .venv with pip and not part of pyproject.toml:
    cpca     (pip install cpca)     province/city/county extraction
    jionlp   (pip install jionlp)   jionlp.parse_location: province/city/county (+town/village)

It generates a realistic registry (real provinces/cities/counties, townships, communities,
roads and compounds made from name syllables, compounds with buildings/units/floors/rooms,
door-level buildings with units, houses), then a noisy query set with the right answer
known (omitted levels, aliases, typos, full-width digits, Chinese numerals, dash shorthand,
marker variants), and prints a Markdown table. Throughput is measured pinned to one core;
the median of ``--runs`` runs is reported. The two libraries stop at the county, so they are
compared on county-level accuracy (province + city + county of the answer) and throughput.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from fengqiao.addresses.resolver import AddressIndex, AddressRecord  # noqa: E402

COUNTIES = [
    ("山西省", "晋城市", "城区", "140502"),
    ("山西省", "晋城市", "泽州县", "140525"),
    ("山西省", "阳泉市", "城区", "140302"),
    ("浙江省", "金华市", "婺城区", "330702"),
    ("浙江省", "金华市", "义乌市", "330782"),
    ("福建省", "宁德市", "福安市", "350981"),
    ("福建省", "厦门市", "湖里区", "350206"),
    ("甘肃省", "兰州市", "城关区", "620102"),
    ("甘肃省", "兰州市", "七里河区", "620103"),
    ("浙江省", "杭州市", "西湖区", "330106"),
]
NAME_CHARS = (
    "凤台书院泽文昌红星新钟太行白马青莲梨园富春阳东西南北中华建和平安民光明幸福长金银河"
    "锦绣翠竹松柏桂兰亭云龙飞燕紫荆丹石门古水塘山前湖滨江海丰盛兴隆永宁康乐嘉禾景秀"
)
TYPO_CHARS = "头投大小上下左右天地王李张口日月田土木火水心手足目耳米立方高"
COMMON_ROADS = ["人民路", "解放路", "建设路", "中山路", "和平路", "新华路", "胜利路", "文化路"]
ROAD_SUFFIXES = ["路", "路", "路", "街", "巷", "大道"]
COMPOUND_SUFFIXES = ["花园", "小区", "家园", "苑", "新村", "公寓", "华庭", "名苑"]
CN = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    if n < 10:
        return CN[n]
    if n < 20:
        return "十" + (CN[n % 10] if n % 10 else "")
    return CN[n // 10] + "十" + (CN[n % 10] if n % 10 else "")


class Names:
    """Unique two-syllable names per scope, e.g. 凤台社区, 富春花园."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, suffixes: list[str]) -> str:
        for _ in range(1000):
            name = "".join(self.rng.sample(NAME_CHARS, 2)) + self.rng.choice(suffixes)
            if name not in self.used:
                self.used.add(name)
                return name
        raise RuntimeError("name space exhausted")


def generate_registry(total: int, seed: int = 7) -> list[AddressRecord]:
    rng = random.Random(seed)
    numbers: dict[int, str] = {}

    def num(n: int) -> str:  # shared small strings, as a registry loaded from a DB would
        s = numbers.get(n)
        if s is None:
            s = numbers[n] = str(n)
        return s

    communities = max(4, total // 1000)
    per_county = -(-communities // len(COUNTIES))
    quota = -(-total // communities)
    records: list[AddressRecord] = []
    serial = 0
    for province, city, county, adcode in COUNTIES:
        names = Names(rng)
        road_pool = [names.make(ROAD_SUFFIXES) for _ in range(max(6, per_county * 2))]
        road_pool += COMMON_ROADS
        next_door: dict[str, int] = defaultdict(lambda: rng.randint(1, 20))
        townships = [
            names.make(["街道", "街道", "镇", "乡"]) for _ in range(max(1, per_county // 8))
        ]
        for c in range(per_county):
            township = townships[c % len(townships)]
            community = names.make(["社区"] if township.endswith("街道") else ["村", "社区"])
            roads = rng.sample(road_pool, 3)
            made = 0
            while made < quota and len(records) < total:
                road = rng.choice(roads)
                door_n = next_door[road]
                next_door[road] += rng.randint(1, 4)
                door = num(door_n)
                base = (province, city, county, township, community, road)
                kind = rng.random()
                batch: list[tuple[str, ...]] = []
                if kind < 0.55:  # compound: gate address + buildings/units/floors/rooms
                    compound = names.make(COMPOUND_SUFFIXES)
                    batch.append((*base, door, compound, "", "", "", ""))
                    for b in range(1, rng.randint(2, 7)):
                        for u in range(1, rng.randint(2, 4)):
                            for f in range(1, rng.randint(5, 19)):
                                for r in (1, 2):
                                    room = num(f * 100 + r)
                                    batch.append(
                                        (*base, door, compound, num(b), num(u), num(f), room)
                                    )
                elif kind < 0.85:  # a building with its own door number, units and rooms
                    batch.append((*base, door, "", "", "", "", ""))
                    for u in range(1, rng.randint(2, 4)):
                        for f in range(1, rng.randint(4, 8)):
                            for r in (1, 2):
                                batch.append(
                                    (*base, door, "", "", num(u), num(f), num(f * 100 + r))
                                )
                else:  # houses and shops: 12, 12-1, 甲12
                    batch.append((*base, door, "", "", "", "", ""))
                    if rng.random() < 0.3:
                        batch.append((*base, f"{door}-1", "", "", "", "", ""))
                    if rng.random() < 0.1:
                        batch.append((*base, f"甲{door}", "", "", "", "", ""))
                for elements in batch[: quota - made]:
                    serial += 1
                    records.append(AddressRecord(f"{adcode}{serial:08d}", *elements))
                made += len(batch)
            if len(records) >= total:
                return records
    return records


# --- noisy queries ------------------------------------------------------------------------


def strip_suffix(name: str, suffixes: tuple[str, ...]) -> str:
    for s in suffixes:
        if name.endswith(s) and len(name) - len(s) >= 2:
            return name[: -len(s)]
    return name


ALIAS_SUFFIXES = (("省",), ("市",), ("区", "县", "市"), ("街道", "镇", "乡"), ("社区", "村"))


def local_text(
    r: AddressRecord,
    rng: random.Random,
    *,
    compound: bool = True,
    numerals: bool = False,
    variants: bool = False,
) -> str:
    parts = [r.road]
    if r.door_number:
        parts.append(r.door_number + ("#" if variants and rng.random() < 0.3 else "号"))
    if r.compound and (compound or not r.road):
        parts.append(r.compound)

    def n(v: str) -> str:
        return cn_number(int(v)) if numerals and v.isdigit() else v

    if r.building:
        word = rng.choice(["幢", "号楼", "座", "栋"]) if variants else "栋"
        parts.append(n(r.building) + word)
    if r.unit:
        parts.append(n(r.unit) + "单元")
    if r.room:
        if numerals and rng.random() < 0.5:
            parts.append(cn_number(int(r.floor)) + "楼")
        elif variants and rng.random() < 0.5:
            parts.append(r.floor + "层")
        parts.append(r.room + (rng.choice(["户", "", "室"]) if variants else "室"))
    return "".join(parts)


def divisions(r: AddressRecord, start: int, alias: bool = False) -> str:
    levels = [r.province, r.city, r.county, r.township, r.community][start:]
    if alias:
        levels = [strip_suffix(v, ALIAS_SUFFIXES[start + i]) for i, v in enumerate(levels)]
    return "".join(levels)


def typo(name: str, rng: random.Random) -> str:
    core = len(name) - 1  # keep the suffix character: typos hit the proper name
    i = rng.randrange(core)
    kind = rng.random()
    if kind < 0.6:
        return name[:i] + rng.choice([c for c in TYPO_CHARS if c != name[i]]) + name[i + 1 :]
    if kind < 0.8 and len(name) > 3:
        return name[:i] + name[i + 1 :]
    return name[:i] + rng.choice(TYPO_CHARS) + name[i:]


FULLWIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def q_full(r: AddressRecord, rng: random.Random) -> str:
    return divisions(r, 0) + local_text(r, rng)


def q_omitted(r: AddressRecord, rng: random.Random) -> str:
    start = rng.choice([3, 4, 5])  # from the township, the community, or no division
    return divisions(r, start) + local_text(r, rng, compound=rng.random() < 0.5)


def q_alias(r: AddressRecord, rng: random.Random) -> str:
    return divisions(r, rng.choice([1, 2, 3]), alias=True) + local_text(r, rng)


def q_typo(r: AddressRecord, rng: random.Random) -> str:
    target = rng.choice(["road", "road", "compound", "community"])
    if target == "compound" and not r.compound:
        target = "road"
    head = divisions(r, 3)
    local = local_text(r, rng)
    if target == "community":
        head = r.township + typo(r.community, rng)
    else:
        name = getattr(r, target)
        local = local.replace(name, typo(name, rng), 1)
    return head + local


def q_fullwidth(r: AddressRecord, rng: random.Random) -> str:
    return (divisions(r, 2) + local_text(r, rng)).translate(FULLWIDTH)


def q_numerals(r: AddressRecord, rng: random.Random) -> str:
    return divisions(r, rng.choice([2, 3, 4])) + local_text(r, rng, numerals=True)


def q_dash(r: AddressRecord, rng: random.Random) -> str:
    head = divisions(r, rng.choice([3, 4, 5]))
    if not r.road or not r.room or "-" in r.door_number:
        return head + local_text(r, rng)
    parts = [r.door_number, r.building, r.unit, r.room]
    return head + r.road + "-".join(p for p in parts if p)


def q_variants(r: AddressRecord, rng: random.Random) -> str:
    return divisions(r, rng.choice([2, 3, 4])) + local_text(r, rng, variants=True)


KINDS: dict[str, Callable[[AddressRecord, random.Random], str]] = {
    "full": q_full,
    "omitted": q_omitted,
    "alias": q_alias,
    "typo": q_typo,
    "fullwidth": q_fullwidth,
    "numerals": q_numerals,
    "dash": q_dash,
    "variants": q_variants,
}


def generate_queries(
    records: list[AddressRecord], count: int, seed: int = 11
) -> list[tuple[str, str, str]]:
    """(text, kind, code of the right answer)."""
    rng = random.Random(seed)
    kinds = list(KINDS)
    out = []
    for i in range(count):
        r = rng.choice(records)
        kind = kinds[i % len(kinds)]
        out.append((KINDS[kind](r, rng), kind, r.code))
    return out


# --- measuring ----------------------------------------------------------------------------


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def median_rate(fn: Callable[[], object], n: int, runs: int) -> float:
    rates = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        rates.append(n / (time.perf_counter() - t))
    return statistics.median(rates)


def county_of(r: AddressRecord) -> tuple[str, str, str]:
    return (r.province, r.city, r.county)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--queries", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--others-runs", type=int, default=1, help="runs for cpca/jionlp")
    ap.add_argument("--skip-others", action="store_true")
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core

    t = time.perf_counter()
    records = generate_registry(args.records)
    gen_s = time.perf_counter() - t
    queries = generate_queries(records, args.queries)
    rss_records = rss_mb()
    t = time.perf_counter()
    index = AddressIndex(records)
    build_s = time.perf_counter() - t
    gc.collect()
    rss_index = rss_mb()
    by_code = {r.code: r for r in records}

    texts = [q[0] for q in queries]
    resolve = index.resolve

    def run_ours() -> None:
        for text in texts:
            resolve(text)

    ours_qps = median_rate(run_ours, len(texts), args.runs)
    ok: Counter[str] = Counter()
    county_ok: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    misses: list[tuple[str, str, str]] = []
    for text, kind, code in queries:
        seen[kind] += 1
        matches = resolve(text).matches
        top = matches[0].code if matches else ""
        if top == code:
            ok[kind] += 1
        elif len(misses) < 12:
            misses.append((kind, text, top))
        if top and county_of(by_code[top]) == county_of(by_code[code]):
            county_ok[kind] += 1

    others: dict[str, dict[str, object]] = {}
    if not args.skip_others:
        others = run_others(queries, by_code, args.others_runs)

    n = len(queries)
    print(f"records generated in {gen_s:.1f} s; {len(set(texts))} distinct query texts\n")
    print("| records | build time | RSS records only | RSS with index | queries/s (one core) |")
    print("|---:|---:|---:|---:|---:|")
    print(
        f"| {len(records):,} | {build_s:.1f} s | {rss_records:,.0f} MB | {rss_index:,.0f} MB"
        f" | {ours_qps:,.0f} |"
    )
    print()
    header = "| noise kind | queries | top-1 (ours) | county (ours) |"
    sep = "|---|---:|---:|---:|"
    for name in others:
        header += f" county ({name}) |"
        sep += "---:|"
    print(header)
    print(sep)
    for kind in [*KINDS, "all"]:
        count = n if kind == "all" else seen[kind]
        good = sum(ok.values()) if kind == "all" else ok[kind]
        cgood = sum(county_ok.values()) if kind == "all" else county_ok[kind]
        row = f"| {kind} | {count:,} | {good / count:.1%} | {cgood / count:.1%} |"
        for stats in others.values():
            per: Counter[str] = stats["county_ok"]  # type: ignore[assignment]
            cg = sum(per.values()) if kind == "all" else per[kind]
            row += f" {cg / count:.1%} |"
        print(row)
    print()
    if others:
        print("| library | queries/s (one core) | ratio ours/theirs | county-level top-1 |")
        print("|---|---:|---:|---:|")
        print(f"| fengqiao resolver | {ours_qps:,.0f} | 1.0 | {sum(county_ok.values()) / n:.1%} |")
        for name, stats in others.items():
            qps = float(stats["qps"])  # type: ignore[arg-type]
            per = stats["county_ok"]  # type: ignore[assignment]
            print(f"| {name} | {qps:,.0f} | {ours_qps / qps:,.1f} | {sum(per.values()) / n:.1%} |")
        print()
    if misses:
        print("Some misses (kind, text, our top-1):")
        for kind, text, top in misses:
            print(f"- {kind}: {text} → {top or '(none)'}")


def run_others(
    queries: list[tuple[str, str, str]], by_code: dict[str, AddressRecord], runs: int
) -> dict[str, dict[str, object]]:
    texts = [q[0] for q in queries]
    out: dict[str, dict[str, object]] = {}
    try:
        import cpca  # type: ignore[import-not-found]

        cpca.transform(texts[:10])  # load its tables before timing
        holder: dict[str, object] = {}

        def run_cpca() -> None:
            holder["df"] = cpca.transform(texts)

        qps = median_rate(run_cpca, len(texts), runs)
        df = holder["df"]
        rows = list(zip(df["省"], df["市"], df["区"], strict=True))  # type: ignore[index]
        out["cpca (batch)"] = {"qps": qps, "county_ok": tally(queries, by_code, rows)}
    except Exception as exc:  # report, keep going with the other library
        print(f"cpca failed: {exc!r}", file=sys.stderr)
    try:
        import jionlp  # type: ignore[import-not-found]

        jionlp.parse_location(texts[0])
        results: list[dict[str, object]] = []

        def run_jionlp() -> None:
            results.clear()
            results.extend(jionlp.parse_location(t) for t in texts)

        qps = median_rate(run_jionlp, len(texts), runs)
        rows = [(r["province"], r["city"], r["county"]) for r in results]
        out["jionlp.parse_location"] = {"qps": qps, "county_ok": tally(queries, by_code, rows)}
    except Exception as exc:
        print(f"jionlp failed: {exc!r}", file=sys.stderr)
    return out


def tally(
    queries: list[tuple[str, str, str]],
    by_code: dict[str, AddressRecord],
    rows: list[tuple[object, object, object]],
) -> Counter[str]:
    ok: Counter[str] = Counter()
    for (_text, kind, code), got in zip(queries, rows, strict=True):
        if tuple(got) == county_of(by_code[code]):
            ok[kind] += 1
    return ok


if __name__ == "__main__":
    main()
