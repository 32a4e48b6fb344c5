"""The matcher's build reads entries of one shape once (reading/templates.py): an entry read
through its shape must be what reading it by itself gives, whatever its digits, and texts
whose digits are not simply copied through (三栋, full-width ３, phone numbers) are read by
themselves. No database."""

from __future__ import annotations

import random

import pytest

from fengqiao.addresses.reading import matcher as M
from fengqiao.addresses.reading.templates import Shape, ShapeReader

SHAPES = [
    "山西省晋城市城区河古乡柏金村新华路3号翠石新村1栋1单元101室",
    "山西省晋城市城区河古乡柏金村新华路3号翠石新村",
    "罗湖区太宁路88号",
    "安居西苑12-3-502",
    "太宁路88-2",
    "新民小区173号",
    "学典路与文苑路交叉口东北150米",
    "人民路5号人民路5号",  # two grams made equal by the digits
    "3号线上元门地铁站3号口",
    "东大桥路51号楼东大桥路51号楼-2单元",
    "翠石新村5栋5单元",
    "幸福里A12栋甲3号2期",
    "朝阳路18号(东门)",
    "朝阳路18号（近3号门）",
    "联系电话13912345678太宁路8号",
    "五栋三单元2楼201",  # 五栋, 三单元: digits made from other characters
    "太宁路１２号3栋",  # full-width digits
    "一二三四五六七八九十1号1号",
    "杭州市西湖区文三路90号东部软件园1号楼11层",
    "路{0}号3栋{x}",  # braces are text, not fields
    "路\x005号",
    "",
    "12345678901234567890",
]


def _resolved(reader: ShapeReader, out: tuple) -> tuple:
    """A reading with ids turned back into grams and values (ids depend on order)."""
    constant, variable, weights, tail, numbers, plain, gate, places = out
    assert len({*constant, *variable}) == len(constant) + len(variable), "a gram twice"
    names = {i: g for g, i in reader.vocab.items()}
    values = {i: v for v, i in reader.values.items()}
    grams = dict(zip([names[i] for i in (*constant, *variable)], weights, strict=True))
    return (
        grams,
        sorted(names[i] for i in tail),
        [values[i] for i in numbers],
        plain,
        gate,
        places,
    )


def _variants(text: str, rng: random.Random) -> list[str]:
    out = [text]
    for _ in range(6):
        out.append(
            "".join(rng.choice("0123456789") if c.isdigit() and c.isascii() else c for c in text)
        )
    return out


@pytest.mark.parametrize("text", SHAPES)
def test_an_entry_read_through_its_shape_is_the_entry_read_by_itself(text: str) -> None:
    rng = random.Random(17)
    shared = ShapeReader({}, {"": 0}, M.read, M.grams, M.tail_grams)
    alone = ShapeReader({}, {"": 0}, M.read, M.grams, M.tail_grams)
    for variant in [text, *_variants(text, rng)]:  # the first time read directly
        assert _resolved(shared, shared(variant)) == _resolved(alone, alone.direct(variant))


def test_entries_differing_in_their_digits_share_one_reading() -> None:
    reader = ShapeReader({}, {"": 0}, M.read, M.grams, M.tail_grams)
    for room in (101, 102, 203, 504):
        reader(f"山西省晋城市城区河古乡柏金村新华路3号翠石新村1栋1单元{room}室")
    for text in ("安居西苑12-3-502", "幸福里A12栋甲3号2期", "朝阳路18号(东门)", "路{0}号3栋{x}"):
        reader(text)
        reader(text.replace("2", "7"))  # a shape is made when it is seen a second time
    assert len(reader._shapes) == 5
    assert all(isinstance(shape, Shape) for shape in reader._shapes.values())


def test_digits_made_from_other_characters_are_not_shared() -> None:
    reader = ShapeReader({}, {"": 0}, M.read, M.grams, M.tail_grams)
    for text in ("五栋三单元2楼201", "太宁路１２号3栋", "联系电话13912345678太宁路8号"):
        reader(text)
        reader(text.replace("1", "4"))
    assert all(shape is None for shape in reader._shapes.values())


def test_a_registry_built_through_shapes_ranks_as_entries_read_alone() -> None:
    entries = [
        M.Entry(f"E{b}{u}{r}", f"海淀区安居西苑小区{b}号楼{u}单元{r}室")
        for b in range(1, 6)
        for u in range(1, 3)
        for r in (101, 102, 201)
    ]
    entries.append(M.Entry("ROAD", "海淀区安居路88号", ("安居西苑便利店",)))
    matcher = M.Matcher(entries)
    assert matcher.match("安居西苑3号楼2单元102")[0].code == "E32102"
    assert matcher.match("安居西苑便利店")[0].code == "ROAD"
