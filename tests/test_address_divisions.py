"""The national gazetteer (行政区划) the address reader uses: every level down to townships,
short names, names out of force and their successors, ambiguity kept. No database."""

from __future__ import annotations

from fengqiao.addresses.reading.divisions import (
    CITY,
    COUNTY,
    PROVINCE,
    TOWNSHIP,
    gazetteer,
    short_name,
)


def test_every_level_is_there_down_to_townships() -> None:
    g = gazetteer()
    levels = [d.level for d in g.by_code.values()]
    assert levels.count(PROVINCE) == 34
    assert levels.count(CITY) > 300
    assert levels.count(COUNTY) > 2800
    assert levels.count(TOWNSHIP) > 38000


def test_a_township_knows_its_county_city_and_province() -> None:
    g = gazetteer()
    (wuchang,) = [d for d in g.lookup("五常街道") if d.code.startswith("330110")]
    assert [d.name for d in g.ancestors(wuchang.code)] == ["浙江省", "杭州市", "余杭区", "五常街道"]
    assert g.is_within(wuchang.code, "330000")


def test_municipalities_have_no_city_level() -> None:
    g = gazetteer()
    (chaoyang,) = [d for d in g.lookup("朝阳区") if d.code.startswith("11")]
    assert chaoyang.parent == "110000"


def test_short_names_drop_the_generic_suffix() -> None:
    g = gazetteer()
    assert [d.name for d in g.lookup("浙江")] == ["浙江省"]
    assert [d.name for d in g.lookup("杭州")] == ["杭州市"]
    assert g.lookup("余杭")[0].name == "余杭区"
    assert short_name("延边朝鲜族自治州", CITY) == "延边"
    assert short_name("长阳土家族自治县", COUNTY) == "长阳"
    assert short_name("广西壮族自治区", PROVINCE) == "广西"
    # One character left is no name: 东区 has no short form.
    assert short_name("东区", COUNTY) is None


def test_names_out_of_force_point_at_the_division_in_force() -> None:
    g = gazetteer()
    (jixian,) = g.lookup("蓟县")
    assert not jixian.in_force
    assert g.get(jixian.current).name == "蓟州区"
    (jiangdong,) = [d for d in g.lookup("江东区") if d.code.startswith("3302")]
    assert g.get(jiangdong.current).name == "鄞州区"
    # A rename that kept its code is still a record of its own, out of force.
    (xiangfan,) = g.lookup("襄樊市")
    assert not xiangfan.in_force and g.get(xiangfan.current).name == "襄阳市"


def test_ambiguous_names_keep_every_division() -> None:
    g = gazetteer()
    assert len([d for d in g.lookup("朝阳区") if d.in_force]) >= 2
    assert len(g.lookup("城关镇")) > 50


def test_a_near_miss_is_not_a_division() -> None:
    # No one-edit "typo fix": 华超市 is nobody's name.
    g = gazetteer()
    assert g.lookup("华超市") == []
    assert g.lookup("华蓥市")[0].name == "华蓥市"
