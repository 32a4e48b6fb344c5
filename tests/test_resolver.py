"""Free-text address resolver (地址解析与匹配): normalising, parsing and matching the texts
typed into a 110 record or a dispute form against the standard addresses. No database."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengqiao.addresses.resolver import (
    AddressIndex,
    AddressRecord,
    format_record,
    normalise,
    parse,
)

JC = ("山西省", "晋城市", "城区")
JH = ("浙江省", "金华市", "婺城区")


def rec(code: str, *divisions: str, **local: str) -> AddressRecord:
    return AddressRecord(code, *divisions, **local)


RECORDS = [
    rec(
        "NJ-12-3-502",
        *JC,
        "南街街道",
        "凤台社区",
        road="阳头路",
        door_number="12",
        unit="3",
        floor="5",
        room="502",
    ),
    rec(
        "NJ-14-3-502",
        *JC,
        "南街街道",
        "凤台社区",
        road="阳头路",
        door_number="14",
        unit="3",
        floor="5",
        room="502",
    ),
    rec("NJ-12", *JC, "南街街道", "凤台社区", road="阳头路", door_number="12"),
    rec("NJ-12-1", *JC, "南街街道", "凤台社区", road="阳头路", door_number="12-1"),
    rec(
        "XJ-12-3-502",
        *JC,
        "西街街道",
        "书院社区",
        road="阳头路",
        door_number="12",
        unit="3",
        floor="5",
        room="502",
    ),
    rec(
        "BJ-FC-3-2-501",
        *JC,
        "北街街道",
        "富春社区",
        road="泽州路",
        door_number="8",
        compound="富春花园",
        building="3",
        unit="2",
        floor="5",
        room="501",
    ),
    rec(
        "BJ-FC-12-1-101",
        *JC,
        "北街街道",
        "富春社区",
        road="泽州路",
        door_number="8",
        compound="富春花园",
        building="12",
        unit="1",
        floor="1",
        room="101",
    ),
    rec(
        "CB-12-3-502",
        *JH,
        "城北街道",
        "富春社区",
        road="阳头路",
        door_number="12",
        unit="3",
        floor="5",
        room="502",
    ),
]
INDEX = AddressIndex(RECORDS)


def top(text: str) -> str:
    matches = INDEX.resolve(text).matches
    return matches[0].code if matches else ""


# --- normalise -------------------------------------------------------------------------


def test_normalise_turns_full_width_digits_letters_and_punctuation_half_width():
    assert normalise("阳头路１２号　Ａ座，５０２室") == "阳头路12号A栋502室"


def test_normalise_turns_chinese_numerals_before_markers_into_digits():
    assert normalise("三单元") == "3单元"
    assert normalise("十二号楼二十三层") == "12栋23层"
    assert normalise("五零二室") == "502室"


def test_normalise_leaves_numerals_inside_names_alone():
    assert normalise("五一路十里铺村") == "五一路十里铺村"


def test_normalise_unifies_building_room_and_floor_variants():
    assert normalise("3幢2单元501户") == "3栋2单元501室"
    assert normalise("12号楼5楼") == "12栋5层"
    assert normalise("3#楼8#") == "3栋8号"
    assert normalise("钟楼巷") == "钟楼巷"  # 楼 after no number is part of a name


# --- parse -------------------------------------------------------------------------------


def test_parse_reads_township_community_road_door_unit_room_without_index():
    p = parse("城北街道富春社区阳头路12号3单元502")
    assert (p.township, p.community, p.road) == ("城北街道", "富春社区", "阳头路")
    assert (p.door_number, p.building, p.unit, p.room) == ("12", "", "3", "502")


def test_parse_reads_the_full_form_from_province_down():
    p = parse("山西省晋城市城区南街街道凤台社区阳头路12号3单元502")
    assert (p.province, p.city, p.county, p.township) == ("山西省", "晋城市", "城区", "南街街道")
    assert (p.community, p.road, p.door_number, p.unit, p.room) == (
        "凤台社区",
        "阳头路",
        "12",
        "3",
        "502",
    )


def test_parse_with_index_expands_division_aliases():
    p = parse("晋城城区南街阳头路12号3单元502", INDEX)
    assert (p.city, p.county, p.township) == ("晋城市", "城区", "南街街道")


@pytest.mark.parametrize(
    ("text", "door", "building", "unit", "room"),
    [
        ("阳头路12-502", "12", "", "", "502"),  # door-room
        ("阳头路12-3-502", "12", "", "3", "502"),  # door-unit-room
        ("阳头路12-3-2-502", "12", "3", "2", "502"),  # door-building-unit-room
        ("阳头路12-1号", "12-1", "", "", ""),  # 号 makes it a door number
        ("富春花园3-2-501", "", "3", "2", "501"),  # after a compound: building-unit-room
        ("阳头路12号3-502", "12", "", "3", "502"),  # after a door: unit-room
    ],
)
def test_parse_dash_shorthand_follows_the_documented_convention(text, door, building, unit, room):
    p = parse(text)
    assert (p.door_number, p.building, p.unit, p.room) == (door, building, unit, room)


def test_parse_treats_a_dashed_number_the_index_knows_as_a_door_number():
    assert parse("阳头路12-1", INDEX).door_number == "12-1"
    assert parse("阳头路12-1").room == "1"  # without the registry: door-room


def test_parse_reads_building_variants_and_numbered_buildings():
    p = parse("富春花园3幢2单元501室")
    assert (p.compound, p.building, p.unit, p.room) == ("富春花园", "3", "2", "501")
    assert parse("泽州路8号富春花园12号楼").building == "12"
    assert parse("泽州路8号富春花园12号楼", INDEX).compound == "富春花园"


def test_parse_reads_full_width_digits_chinese_numerals_and_floors():
    p = parse("阳头路１２号三单元五楼502户")
    assert (p.door_number, p.unit, p.floor, p.room) == ("12", "3", "5", "502")


# --- resolve -----------------------------------------------------------------------------


def test_resolve_finds_the_address_with_upper_levels_omitted():
    result = INDEX.resolve("凤台社区阳头路12号3单元502")
    assert result.matches[0].code == "NJ-12-3-502"
    assert "区县未写明" in result.matches[0].explanation


def test_resolve_finds_the_address_with_no_division_at_all_and_explains():
    best = INDEX.resolve("泽州路8号3栋2单元501").matches[0]
    assert best.code == "BJ-FC-3-2-501"
    assert {"道路：泽州路", "门牌：8号", "单元：2单元", "室：501", "社区未写明"} <= set(
        best.explanation
    )


def test_resolve_accepts_division_aliases():
    best = INDEX.resolve("晋城城区南街凤台阳头路12号3单元502").matches[0]
    assert best.code == "NJ-12-3-502"
    assert "市“晋城市”由简称“晋城”识别" in best.explanation


def test_resolve_corrects_a_typo_in_the_road_and_says_so():
    best = INDEX.resolve("南街街道阳投路12号3单元502").matches[0]
    assert best.code == "NJ-12-3-502"
    assert "道路“阳头路”由“阳投路”纠正" in best.explanation


@pytest.mark.parametrize("compound", ["富村花园", "富春花", "富春春花园"])
def test_resolve_corrects_a_wrong_missing_or_extra_character_in_a_compound(compound):
    assert top(f"{compound}3栋2单元501") == "BJ-FC-3-2-501"


def test_resolve_corrects_a_typo_in_the_community():
    assert top("南街街道凤抬社区阳头路12号3单元502") == "NJ-12-3-502"


def test_resolve_reads_dash_shorthand():
    assert top("南街街道阳头路12-3-502") == "NJ-12-3-502"
    assert top("北街街道泽州路8-3-2-501") == "BJ-FC-3-2-501"


def test_resolve_reads_numbered_building_as_building():
    assert top("富春花园12号楼1单元101室") == "BJ-FC-12-1-101"


def test_resolve_ranks_a_conflicting_door_number_below_the_matching_one():
    result = INDEX.resolve("南街街道阳头路12号3单元502")
    codes = [m.code for m in result.matches]
    assert codes[0] == "NJ-12-3-502"
    assert "NJ-14-3-502" not in codes[:1]


def test_resolve_of_a_door_not_in_the_registry_offers_neighbours_with_the_conflict():
    result = INDEX.resolve("南街街道阳头路13号3单元502")
    assert result.matches, "the same unit and room at other doors are offered"
    best = result.matches[0]
    assert best.code in {"NJ-12-3-502", "NJ-14-3-502"}
    assert best.score < 0.7
    assert any(e.startswith("门牌不符：输入13号") for e in best.explanation)


def test_resolve_ranks_matching_door_above_conflicting_door_whatever_else_matches():
    exact = INDEX.resolve("阳头路14号3单元502").matches
    assert exact[0].code == "NJ-14-3-502"
    assert all(m.score < exact[0].score for m in exact[1:])


def test_resolve_is_restricted_to_the_division_the_text_names():
    west = INDEX.resolve("西街街道阳头路12号3单元502").matches
    assert west[0].code == "XJ-12-3-502"
    assert all(m.score < west[0].score for m in west[1:])
    assert top("南街街道阳头路12号3单元502") == "NJ-12-3-502"
    assert top("婺城区阳头路12号3单元502") == "CB-12-3-502"


def test_resolve_without_a_division_breaks_ties_by_code():
    codes = [m.code for m in INDEX.resolve("阳头路12号3单元502").matches]
    assert codes == sorted(codes)
    assert codes == ["CB-12-3-502", "NJ-12-3-502", "XJ-12-3-502"]


@pytest.mark.parametrize("text", ["", "   ", "！？。", "123", "报警人称有人吵架", "北京市朝阳区"])
def test_resolve_of_empty_or_garbage_text_returns_no_match(text):
    result = INDEX.resolve(text)
    assert result.matches == []
    assert result.text == text


def test_resolve_respects_the_limit():
    assert len(INDEX.resolve("阳头路12号3单元502", limit=1).matches) == 1
    assert INDEX.resolve("阳头路12号3单元502", limit=0).matches == []


def test_add_makes_a_record_resolvable():
    index = AddressIndex([])
    index.add(rec("NEW", *JC, "南街街道", "凤台社区", road="书院巷", door_number="7"))
    assert index.resolve("书院巷7号").matches[0].code == "NEW"
    assert len(index) == 1


# --- property: every record's printed form resolves to itself ---------------------------


def _registry() -> list[AddressRecord]:
    out = []
    places = [
        (*JC, "南街街道", "凤台社区", "阳头路", "富春花园"),
        (*JC, "西街街道", "书院社区", "泽州路", "锦绣家园"),
        (*JH, "城北街道", "富春社区", "阳头路", "金桂苑"),
        ("福建省", "宁德市", "福安市", "城南街道", "阳头村", "新华路", "翠竹新村"),
    ]
    for p, (province, city, county, township, community, road, compound) in enumerate(places):
        for door, building, unit, room in itertools.product(
            ("3", "12", "12-1", "甲5"), ("", "2"), ("", "1", "3"), ("", "101", "502")
        ):
            use_compound = compound if building else ""
            code = f"P{p}-{door}-{building}-{unit}-{room}"
            out.append(
                AddressRecord(
                    code, province, city, county, township, community, road, door,
                    use_compound, building, unit, room[:1] if room else "", room,
                )
            )  # fmt: skip
    return out


REGISTRY = _registry()
REGISTRY_INDEX = AddressIndex(REGISTRY)
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


@settings(max_examples=150, deadline=None)
@given(record=st.sampled_from(REGISTRY), full_width=st.booleans())
def test_the_printed_form_of_any_record_resolves_to_that_record_first(record, full_width):
    text = format_record(record)
    if full_width:
        text = text.translate(FULL_WIDTH)
    result = REGISTRY_INDEX.resolve(text)
    assert result.matches[0].code == record.code
    assert result.matches[0].score == 1.0
