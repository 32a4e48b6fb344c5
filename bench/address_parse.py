"""NAACL 2019 Chinese address parsing, development half: how well addresses are cut into elements.

    .venv/bin/python bench/address_parse.py [--split train | --file F] [--errors 15] [--no-others]

Develop on ``--split train`` (study its errors), confirm on the default dev half.

Gold: each address's BIO labels mapped to the platform's 12 elements (the data README's table:
prov→province, city→city, district→county, town→township, community→community,
road+subroad→road, roadno+subroadno→door_number, poi+subpoi→compound, houseno→building,
cellno→unit, floorno→floor, roomno→room; devzone, person, assist, redundant, otherinfo are not
elements). An element's gold value is its spans concatenated in order. Per address and element:
TP when the predicted value equals the gold, FP when something else non-empty is predicted, FN
when the gold is non-empty and not predicted equal. Values compare after folding width and case,
and for door_number, building, unit, floor and room without the trailing marker (88号 = 88,
4栋 = 4, 2单元 = 2, 5层 = 5, 502室 = 502): the parser gives numbers without their markers.

jionlp and cpca only give divisions, and give them standardised (浙江 → 浙江省) and filled in
from the lower levels; they are scored on province, city and county only, with names compared
leniently: both sides without their generic suffix (省, 市, 区, 县, 自治州 …). Ours is printed
both strictly (as written) and with that same lenient comparison. A level they fill in that the
text does not write counts as a false positive, as it would for us; "written levels" prints the
same comparison counting only the levels the gold has (what they fill in is then not counted),
the kinder reading for a standardiser.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from fengqiao.addresses.reading.divisions import COUNTY, short_name
from fengqiao.addresses.reading.parser import ELEMENTS, fold, parse_text

DATA = Path(
    os.environ.get(
        "FENGQIAO_ADDRESS_DATA",
        Path(__file__).resolve().parents[2] / "shared" / "data" / "addresses",
    )
)
if not DATA.exists():
    DATA = Path("/work/shared/data/addresses")

LABELS = {
    "prov": "province",
    "city": "city",
    "district": "county",
    "town": "township",
    "community": "community",
    "road": "road",
    "subroad": "road",
    "roadno": "door_number",
    "subroadno": "door_number",
    "poi": "compound",
    "subpoi": "compound",
    "houseno": "building",
    "cellno": "unit",
    "floorno": "floor",
    "roomno": "room",
}
DIVISION_ELEMENTS = ("province", "city", "county")
MARKERS = {
    "door_number": ("号院", "号", "弄", "#"),
    "building": ("号楼", "栋", "幢", "座", "号", "楼", "排", "#"),
    "unit": ("单元", "号", "#"),
    "floor": ("层", "楼", "f"),
    "room": ("室", "号", "户", "房", "#"),
}


def read_naacl(path: Path) -> list[tuple[str, dict[str, str]]]:
    """(text, gold elements) per address; '_' tokens are the spaces of the original text."""
    out: list[tuple[str, dict[str, str]]] = []
    tokens: list[tuple[str, str]] = []

    def flush() -> None:
        if tokens:
            text = "".join(" " if t == "_" else t for t, _ in tokens)
            gold: dict[str, str] = collections.defaultdict(str)
            for token, label in tokens:
                element = LABELS.get(label[2:].lower()) if label != "O" else None
                if element:
                    gold[element] += token
            out.append((text, dict(gold)))
            tokens.clear()

    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            flush()
            continue
        token, _, label = line.rpartition(" ")
        tokens.append((token or label, label if token else "O"))
    flush()
    return out


def key(element: str, value: str, lenient: bool = False) -> str:
    value = fold(value).strip().lower().replace(" ", "")
    for marker in MARKERS.get(element, ()):
        if value.endswith(marker) and len(value) > len(marker):
            value = value[: -len(marker)]
            break
    if lenient and element in DIVISION_ELEMENTS:
        level = DIVISION_ELEMENTS.index(element)
        for lv in (level, COUNTY):
            stem = short_name(value, lv)
            if stem:
                return stem
    return value


class Score:
    def __init__(self) -> None:
        self.tp: collections.Counter[str] = collections.Counter()
        self.fp: collections.Counter[str] = collections.Counter()
        self.fn: collections.Counter[str] = collections.Counter()

    def add(
        self, element: str, gold: str, predicted: str, lenient: bool = False, written: bool = False
    ) -> bool:
        g, p = key(element, gold, lenient), key(element, predicted, lenient)
        if written and not g:
            p = ""  # only the levels the text writes: a level filled in is not counted
        if g and p == g:
            self.tp[element] += 1
            return True
        if p:
            self.fp[element] += 1
        if g:
            self.fn[element] += 1
        return not g and not p

    def f1(self, elements: Iterable[str]) -> tuple[float, float, float]:
        elements = list(elements)
        tp = sum(self.tp[e] for e in elements)
        fp = sum(self.fp[e] for e in elements)
        fn = sum(self.fn[e] for e in elements)
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def vars_of(parsed: object) -> dict[str, str]:
    return {e: getattr(parsed, e) for e in ELEMENTS}


def ours(text: str) -> dict[str, str]:
    return parse_text(text).as_dict()


def jionlp_parser() -> Callable[[str], dict[str, str]] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import jionlp  # type: ignore[import-not-found]
    except ImportError:
        return None

    def run(text: str) -> dict[str, str]:
        r = jionlp.parse_location(text, town_village=False, change2new=False)
        return {
            "province": r.get("province") or "",
            "city": r.get("city") or "",
            "county": r.get("county") or "",
        }

    return run


def cpca_parser() -> Callable[[list[str]], list[dict[str, str]]] | None:
    try:
        import cpca  # type: ignore[import-not-found]
    except ImportError:
        return None

    def run(texts: list[str]) -> list[dict[str, str]]:
        frame = cpca.transform(texts)

        def text(value: object) -> str:
            return value if isinstance(value, str) else ""  # pandas gives NaN for none

        return [
            {"province": text(p), "city": text(c), "county": text(d)}
            for p, c, d in zip(frame["省"], frame["市"], frame["区"], strict=True)
        ]

    return run


def report(name: str, score: Score, elements: Iterable[str], seconds: float, n: int) -> None:
    p, r, f = score.f1(elements)
    print(f"{name:<34} P {p:6.1%}  R {r:6.1%}  F1 {f:6.1%}   {n / seconds:>9,.0f} addresses/s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--file", type=Path, help="a NAACL-format file (default: the split's)")
    parser.add_argument("--split", choices=("dev", "train"), default="dev")
    parser.add_argument("--errors", type=int, default=0, help="show this many errors per element")
    parser.add_argument("--no-others", action="store_true", help="skip jionlp and cpca")
    args = parser.parse_args()
    args.file = args.file or DATA / f"naacl2019_{args.split}.txt"
    rows = read_naacl(args.file)
    texts = [t for t, _ in rows]
    print(f"{args.file.name}: {len(rows):,} addresses")

    parse_text(texts[0])  # load the gazetteer outside the timing
    start = time.perf_counter()
    predicted = [ours(t) for t in texts]
    seconds = time.perf_counter() - start
    strict, lenient, written = Score(), Score(), Score()
    errors: dict[str, list[tuple[str, str, str]]] = collections.defaultdict(list)
    for (text, gold), pred in zip(rows, predicted, strict=True):
        for element in ELEMENTS:
            if not strict.add(element, gold.get(element, ""), pred.get(element, "")):
                errors[element].append((text, gold.get(element, ""), pred.get(element, "")))
            if element in DIVISION_ELEMENTS:
                lenient.add(element, gold.get(element, ""), pred.get(element, ""), lenient=True)
                written.add(element, gold.get(element, ""), pred.get(element, ""), True, True)
    report("ours, 12 elements", strict, ELEMENTS, seconds, len(rows))
    report("ours, province+city+county", strict, DIVISION_ELEMENTS, seconds, len(rows))
    report("ours, P+C+C lenient names", lenient, DIVISION_ELEMENTS, seconds, len(rows))
    report("ours, same, written levels", written, DIVISION_ELEMENTS, seconds, len(rows))
    print(
        "  per element (F1, errors):",
        ", ".join(f"{e} {strict.f1([e])[2]:.1%} ({len(errors[e])})" for e in ELEMENTS),
    )
    # The parser the platform had before (addresses/resolver.py, no registry), for comparison.
    from fengqiao.addresses import resolver

    start = time.perf_counter()
    before = [vars_of(resolver.parse(t)) for t in texts]
    took = time.perf_counter() - start
    old = Score()
    for (_, gold), pred in zip(rows, before, strict=True):
        for element in ELEMENTS:
            old.add(element, gold.get(element, ""), pred.get(element, ""))
    report("resolver.parse (before), 12", old, ELEMENTS, took, len(rows))
    report("resolver.parse (before), P+C+C", old, DIVISION_ELEMENTS, took, len(rows))
    if not args.no_others:
        for name, make in (("jionlp 1.5.31", jionlp_parser), ("cpca 0.5.5", cpca_parser)):
            run = make()
            if run is None:
                print(f"{name}: not installed (pip install cpca==0.5.5 jionlp==1.5.31)")
                continue
            start = time.perf_counter()
            batch = name.startswith("cpca")
            others = run(texts) if batch else [run(t) for t in texts]  # type: ignore[arg-type,misc]
            took = time.perf_counter() - start
            score, written = Score(), Score()
            for (_, gold), pred in zip(rows, others, strict=True):
                for element in DIVISION_ELEMENTS:
                    g, p = gold.get(element, ""), pred.get(element, "")  # type: ignore[union-attr]
                    score.add(element, g, p, lenient=True)
                    written.add(element, g, p, lenient=True, written=True)
            report(f"{name}, P+C+C lenient names", score, DIVISION_ELEMENTS, took, len(rows))
            report(f"{name}, same, written levels", written, DIVISION_ELEMENTS, took, len(rows))
    if args.errors:
        worst = sorted(ELEMENTS, key=lambda e: -len(errors[e]))
        for element in worst[:6]:
            print(f"\n== {element}: {len(errors[element])} errors (gold | predicted | text)")
            for text, g, p in errors[element][: args.errors]:
                print(f"  {g!r:<24} {p!r:<24} {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
