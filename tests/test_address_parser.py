"""Reading real address text (地址要素解析): each failure class of issue 17 — shop and company
names, order not assumed, 山庄/B区/二区/3期/组, intersections with distances, phone numbers,
renamed divisions, people's names, 代收, lockers — and bad input. No database."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fengqiao.addresses.reading.lines import read_line
from fengqiao.addresses.reading.parser import ELEMENTS, ParsedText, parse_text


def elements(text: str) -> dict[str, str]:
    return {k: v for k, v in parse_text(text).as_dict().items() if v and k != "rest"}


def test_a_full_address_in_every_element() -> None:
    assert elements("浙江省杭州市余杭区五常街道文一西路969号阿里巴巴西溪园区") == {
        "province": "浙江省", "city": "杭州市", "county": "余杭区", "township": "五常街道",
        "road": "文一西路", "door_number": "969", "compound": "阿里巴巴西溪园区",
    }  # fmt: skip
    assert elements("安居西苑4号楼2单元502室") == {
        "compound": "安居西苑", "building": "4", "unit": "2", "room": "502",
    }  # fmt: skip


def test_the_divisions_come_with_their_codes_most_specific_last() -> None:
    parsed = parse_text("浙江省杭州市余杭区五常街道文一西路969号")
    assert parsed.divisions == ("330000", "330100", "330110", "330110005")


def test_as_dict_has_the_twelve_elements_and_rest() -> None:
    assert list(parse_text("").as_dict()) == [*ELEMENTS, "rest"]
    assert isinstance(parse_text(""), ParsedText)


def test_a_shop_or_company_name_is_kept_as_the_place() -> None:
    assert elements("上游路江苏科盛科技有限公司") == {
        "road": "上游路",
        "compound": "江苏科盛科技有限公司",
    }


def test_a_road_only_address() -> None:
    assert elements("罗湖区太宁路") == {"county": "罗湖区", "road": "太宁路"}


def test_no_one_edit_typo_fix_into_a_division() -> None:
    parsed = parse_text("华超市")
    assert parsed.county == "" and parsed.compound == "华超市"


def test_a_province_inside_a_place_name_is_not_the_province() -> None:
    assert elements("体育场路浙江省体育中心") == {"road": "体育场路", "compound": "浙江省体育中心"}
    assert parse_text("北京路88号").province == ""


def test_order_is_not_assumed() -> None:
    parsed = parse_text("文一西路969号 杭州市余杭区")
    assert (parsed.road, parsed.door_number, parsed.city, parsed.county) == (
        "文一西路", "969", "杭州市", "余杭区",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("text", "compound"),
    [
        ("龙井山庄3幢", "龙井山庄"),
        ("金横德国际汽配物流中心B区5-650", "金横德国际汽配物流中心B区"),
        ("明月嘉苑二区10幢6单元570", "明月嘉苑二区"),
        ("鞋都3期8幢", "鞋都3期"),
    ],
)
def test_parts_of_a_compound_stay_in_the_compound(text: str, compound: str) -> None:
    assert parse_text(text).compound == compound


def test_a_village_group_is_its_road() -> None:
    assert elements("沿山村5组") == {"community": "沿山村", "road": "5组"}
    assert parse_text("沿山村5组6号").door_number == "6"


def test_an_intersection_with_a_distance_has_no_door_number() -> None:
    parsed = parse_text("学典路与文苑路交叉口东北150米")
    assert parsed.road == "学典路文苑路"
    assert parsed.door_number == "" and "150米" in parsed.rest
    assert parse_text("六和路东50米自行车租赁点").door_number == ""


@pytest.mark.parametrize("phone", ["13812345678", "0571-88886666", "057188886666"])
def test_a_phone_number_is_no_door_number(phone: str) -> None:
    parsed = parse_text(f"杭州市西湖区文三路100号 {phone}")
    assert parsed.door_number == "100" and phone in parsed.rest


def test_renamed_divisions_are_read_as_written_with_the_code_in_force() -> None:
    parsed = parse_text("天津市蓟县城关镇")
    assert parsed.county == "蓟县" and "120119" in parsed.divisions  # 蓟州区 now
    parsed = parse_text("宁波市江东区金家一路")
    assert parsed.county == "江东区" and "330212" in parsed.divisions  # 鄞州区 now
    # 上望镇 became 上望街道: kept as written, not corrected.
    assert parse_text("瑞安市上望镇蔡宅东路206号").township == "上望镇"


def test_peoples_names_and_pickup_words_go_to_rest() -> None:
    parsed = parse_text("张三 13812345678 杭州市西湖区文三路100号 代收")
    assert (parsed.city, parsed.county, parsed.road, parsed.door_number) == (
        "杭州市", "西湖区", "文三路", "100",
    )  # fmt: skip
    assert "张三" in parsed.rest and "代收" in parsed.rest
    assert "王先生" in parse_text("文三路100号 王先生收").rest


def test_lockers_are_not_places() -> None:
    parsed = parse_text("康城路康城一组团会所一楼丰巢快递柜")
    assert "丰巢" in parsed.rest and "丰巢" not in parsed.compound
    assert elements("丰巢快递柜") == {}


def test_brackets_stay_with_the_name_they_qualify() -> None:
    assert (
        parse_text("杭州市富阳区戴家墩路91号东阳诚心木线(富阳店)").compound
        == "东阳诚心木线(富阳店)"
    )


def test_full_width_text_is_folded() -> None:
    assert parse_text("文三路１００号３幢").door_number == "100"


def test_repeated_divisions_are_read_once() -> None:
    parsed = parse_text("浙江省 杭州市 滨江区 浙江省 杭州市 滨江区 六和路")
    assert (parsed.province, parsed.city, parsed.county, parsed.road) == (
        "浙江省",
        "杭州市",
        "滨江区",
        "六和路",
    )


@pytest.mark.parametrize(
    "text", ["", " ", "\x00\x01", "No. 5 Main Street", "ئۈرۈمچى شەھىرى", "杭" * 10_000]
)
def test_bad_input_never_raises(text: str) -> None:
    parsed = parse_text(text)
    assert all(isinstance(v, str) for v in parsed.as_dict().values())


@settings(max_examples=300, deadline=None)
@given(
    st.text(
        alphabet=st.sampled_from(
            list("浙江省杭州市路号栋单元层室村组期区-#() 0123456789AB与交叉口米")
        )
        | st.characters(),
        max_size=60,
    )
)
def test_any_text_parses(text: str) -> None:
    parse_text(text)


def test_text_without_chinese_is_left_whole_in_rest() -> None:
    assert parse_text("No. 5 Main Street").as_dict() == {
        **dict.fromkeys(ELEMENTS, ""),
        "rest": "No. 5 Main Street",
    }
    assert parse_text("ئۈرۈمچى شەھىرى").rest == "ئۈرۈمچى شەھىرى"


def test_lines_that_cannot_be_read_say_why() -> None:
    assert read_line(b"\n")["error"] == "empty line"
    assert "too long" in read_line(("杭" * 10_000).encode())["error"]
    assert read_line(b"\xff\xfe\x00junk")["error"] == "not utf-8 text"
    assert read_line(b"\x00\x01\x02")["error"] == "binary data, not text"
    assert "no Chinese" in read_line(b"No. 5 Main Street")["error"]
    assert "no Chinese" in read_line("ئۈرۈمچى شەھىرى".encode())["error"]
    good = read_line("罗湖区太宁路\r\n".encode())
    assert "error" not in good and good["road"] == "太宁路"
    assert read_line("罗湖区太宁路".encode("gb18030"), encoding="gb18030")["road"] == "太宁路"


@pytest.mark.once
def test_the_parse_command_answers_every_line_in_order(tmp_path) -> None:
    source = tmp_path / "in.txt"
    source.write_bytes(
        "罗湖区太宁路\n\n\x00\x01\nNo. 5 Main Street\n".encode() + ("杭" * 10_000).encode()
        + b"\n\xff\xfe\n" + "安居西苑4号楼2单元502室\n".encode()
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "fengqiao.cli", "addresses", "parse", str(source)],
        capture_output=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert len(rows) == 7
    assert rows[0]["road"] == "太宁路" and set(rows[0]) == {*ELEMENTS, "rest"}
    assert [r.get("error", "")[:5] for r in rows[1:6]] == [
        "empty",
        "binar",
        "no Ch",
        "line ",
        "not u",
    ]
    assert rows[6]["room"] == "502"


@pytest.mark.once
def test_the_parse_command_reads_stdin_and_fails_on_a_missing_file(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fengqiao.cli", "addresses", "parse"],
        input="蓟县城关镇\n".encode(), capture_output=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0
    assert json.loads(result.stdout)["county"] == "蓟县"
    missing = subprocess.run(
        [sys.executable, "-m", "fengqiao.cli", "addresses", "parse", str(tmp_path / "none.txt")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert missing.returncode == 2
    assert (
        missing.stderr.startswith("fengqiao: error: cannot read")
        and "Traceback" not in missing.stderr
    )


@pytest.mark.once
def test_the_parse_command_refuses_a_directory_in_one_line(tmp_path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fengqiao.cli", "addresses", "parse", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"fengqiao: error: cannot read {tmp_path}: Is a directory"
    ]


def test_shipping_form_labels_and_remarks_are_set_aside() -> None:
    parsed = parse_text("收货人：张三 电话：13812345678 浙江省杭州市西湖区文三路100号（门卫代收）")
    assert (parsed.county, parsed.road, parsed.door_number, parsed.compound) == (
        "西湖区", "文三路", "100", "",
    )  # fmt: skip
    assert "张三" in parsed.rest and "13812345678" in parsed.rest and "门卫代收" in parsed.rest
    assert parse_text("杭州市西湖区文三路100号【丰巢快递柜】").compound == ""


def test_a_phone_number_with_country_code_and_dashes_is_no_number_of_the_address() -> None:
    parsed = parse_text("+86 138-1234-5678 杭州市余杭区仓前街道良睦路1399号")
    assert (parsed.township, parsed.road, parsed.door_number, parsed.building) == (
        "仓前街道", "良睦路", "1399", "",
    )  # fmt: skip


def test_a_road_named_like_a_township_is_the_road() -> None:
    # 解放北路街道 exists; 解放北路 written alone is its road.
    assert parse_text("乌鲁木齐市天山区解放北路").road == "解放北路"
    assert parse_text("成都市武侯区人民南路四段1号").road == "人民南路四段"


def test_lanes_and_market_aisles() -> None:
    parsed = parse_text("上海市普陀区真南路1675弄6号435室")
    assert (parsed.road, parsed.door_number, parsed.room) == ("真南路1675弄", "6", "435")
    parsed = parse_text("义乌国际商贸城5区11楼15街62407")
    assert (parsed.floor, parsed.unit, parsed.room) == ("11", "15", "62407")


def test_roads_named_dao_but_not_jiedao() -> None:
    assert parse_text("厦门市思明区鹭江道8号国际银行大厦").road == "鹭江道"
    parsed = parse_text("天津市滨海新区塘沽街道")
    assert (parsed.township, parsed.road) == ("塘沽街道", "")


def test_a_district_before_a_road_and_a_road_named_after_a_county() -> None:
    parsed = parse_text("陕西省西安市碑林区南大街")
    assert (parsed.county, parsed.road) == ("碑林区", "南大街")
    parsed = parse_text("宁波市鄞州区鄞县大道西段4号")
    assert (parsed.county, parsed.road) == ("鄞州区", "鄞县大道西段")
    assert parse_text("北京市海淀区中关村大街1号").road == "中关村大街"
    assert parse_text("新疆石河子市北四路").province == "新疆"


def test_a_village_named_without_its_suffix_after_its_township() -> None:
    parsed = parse_text("浙江省杭州市西湖区龙坞镇葛衙庄1041号")
    assert (parsed.township, parsed.community, parsed.door_number) == ("龙坞镇", "葛衙庄", "1041")
    # Not a place with a place's ending: 三墩镇丰瑞大厦 is a building.
    assert parse_text("杭州市西湖区三墩镇丰瑞大厦").compound == "丰瑞大厦"


# --- conventions of how addresses are written (hand-written examples) ------------------------


def test_a_bare_number_after_a_road_is_its_door_then_the_place() -> None:
    assert elements("宁波市海曙区药行街126天一大厦") == {
        "city": "宁波市", "county": "海曙区", "road": "药行街", "door_number": "126",
        "compound": "天一大厦",
    }  # fmt: skip
    # A number inside a place's name stays in it (速8酒店, 奥林80小区).
    assert parse_text("杭州市西湖区奥林80小区").compound == "奥林80小区"


def test_the_side_of_a_road_and_its_crossing_are_not_the_road() -> None:
    parsed = parse_text("杭州市余杭区星桥路北88号")
    assert (parsed.road, parsed.door_number) == ("星桥路", "88")
    parsed = parse_text("杭州市江干区8号大街6号路口肯德基")
    assert (parsed.road, parsed.door_number, parsed.compound) == ("8号大街", "6", "肯德基")
    parsed = parse_text("嘉兴市南湖区丁字路口老王面馆")
    assert (parsed.road, parsed.compound) == ("", "老王面馆")


def test_a_place_named_after_its_road() -> None:
    parsed = parse_text("杭州市西湖区学院路新村12幢3单元201室")
    assert (parsed.road, parsed.compound, parsed.building) == ("", "学院路新村", "12")


def test_a_side_before_a_zone_is_the_zone_s_name() -> None:
    parsed = parse_text("绍兴市柯桥区轻纺城东三区2楼108号")
    assert (parsed.compound, parsed.floor, parsed.room) == ("轻纺城东三区", "2", "108")


def test_a_stray_side_after_a_place_is_no_part_of_it() -> None:
    parsed = parse_text("温州市鹿城区友谊公寓南302")
    assert (parsed.compound, parsed.room) == ("友谊公寓", "302")
    assert parse_text("温州市平阳县解放路友谊公寓内302号").compound == "友谊公寓"


def test_a_village_committee_and_a_themed_town() -> None:
    assert parse_text("湖州市安吉县递铺镇桃源村委").community == "桃源村委"
    parsed = parse_text("杭州市余杭区云栖小镇创业大楼")
    assert (parsed.township, parsed.compound) == ("", "云栖小镇创业大楼")


def test_a_lane_named_with_nong_is_a_road() -> None:
    parsed = parse_text("宁波市海曙区王家弄15号")
    assert (parsed.road, parsed.door_number, parsed.compound) == ("王家弄", "15", "")


def test_locators_inside_a_place_run_are_noise() -> None:
    assert parse_text("台州市黄岩区汽车站边水果店").compound == "汽车站水果店"
    assert parse_text("衢州市柯城区体育馆向东两百米小李汽修").compound == "体育馆小李汽修"
    assert parse_text("温州市龙湾区星海工业园区内明达鞋业").compound == "星海工业园区明达鞋业"
    # A side alone is part of a name: 东大门, 西湖支行.
    assert parse_text("杭州市西湖区文三路湖光花园东大门").compound == "湖光花园东大门"


def test_a_one_digit_number_after_a_building_is_its_entrance() -> None:
    parsed = parse_text("义乌市稠城街道春晖小区12栋3号")
    assert (parsed.building, parsed.unit, parsed.room) == ("12", "3", "")
    parsed = parse_text("义乌市稠城街道春晖小区12栋1203号")
    assert (parsed.building, parsed.unit, parsed.room) == ("12", "", "1203")


def test_a_dashed_number_keeps_both_parts() -> None:
    # In a place: the building, then the flat.
    parsed = parse_text("丽水市莲都区翠竹园18-302号")
    assert (parsed.door_number, parsed.building, parsed.room) == ("", "18", "302")
    # In a village: the door, then the building behind it.
    parsed = parse_text("台州市临海市杜桥镇后洋村23-5号")
    assert (parsed.community, parsed.door_number, parsed.building) == ("后洋村", "23", "5")
    # Stalls in a market over two numbers.
    assert parse_text("温州市瓯海区娄桥农贸市场21-25号").room == "21-25"


def test_a_city_s_short_name_before_a_short_road() -> None:
    parsed = parse_text("杭州莫干山路100号")
    assert (parsed.city, parsed.road, parsed.door_number) == ("杭州", "莫干山路", "100")
    parsed = parse_text("金华义乌城中路20号")
    assert (parsed.city, parsed.county, parsed.road) == ("金华", "义乌", "城中路")
    # Not a longer place name: 杭州湾大道 is one road.
    assert parse_text("宁波市杭州湾大道1号").road == "杭州湾大道"


def test_a_place_written_before_a_road_s_own_name() -> None:
    parsed = parse_text("温州市瓯海区梧田街道上庄建设路15号")
    assert (parsed.township, parsed.road, parsed.door_number) == ("梧田街道", "建设路", "15")
    assert "上庄" in parsed.rest
    # A road's own name of two or three characters stays whole (莫干山路, 解放东路).
    assert parse_text("杭州市拱墅区莫干山路100号").road == "莫干山路"
    assert parse_text("宁波市海曙区解放南路8号").road == "解放南路"
    # Nor when a place is cut before the road, nor for longer kinds of road (步行街, 支路).
    assert parse_text("台州市温岭市购物中心开罗西路4号").road == "开罗西路"
    assert parse_text("温州市鹿城区东门步行街97号").road == "东门步行街"


def test_a_ring_road_written_without_lu() -> None:
    parsed = parse_text("西安市雁塔区南二环西段88号")
    assert (parsed.road, parsed.door_number) == ("南二环西段", "88")


def test_a_street_office_of_one_character_after_its_county() -> None:
    parsed = parse_text("龙岩市新罗区西街道中山小区3号楼")
    assert (parsed.township, parsed.compound, parsed.building) == ("西街道", "中山小区", "3")
    parsed = parse_text("嘉兴市桐乡市乌镇石佛路12号")
    assert (parsed.township, parsed.road) == ("乌镇", "石佛路")


def test_after_a_building_a_long_number_or_a_range_is_the_flat() -> None:
    parsed = parse_text("绍兴市柯桥区纺都小区11幢6360华美纺织")
    assert (parsed.building, parsed.unit, parsed.room) == ("11", "", "6360")
    parsed = parse_text("杭州市拱墅区远洋大厦C座1201-1202")
    assert (parsed.building, parsed.room) == ("C", "1201-1202")
    # An entrance's number is short: 3幢2-501.
    parsed = parse_text("杭州市西湖区湖畔花园3幢2-501")
    assert (parsed.building, parsed.unit, parsed.room) == ("3", "2", "501")


def test_a_dashed_floor_carries_its_building_and_entrance() -> None:
    parsed = parse_text("金华市婺城区丽泽花园8-2-7楼")
    assert (parsed.building, parsed.unit, parsed.floor) == ("8", "2", "7")


def test_a_road_s_suffix_alone_after_a_township_is_no_village() -> None:
    parsed = parse_text("嘉兴市桐乡市濮院镇大道1373号")
    assert (parsed.township, parsed.community) == ("濮院镇", "")


def test_a_sender_s_remark_is_set_aside() -> None:
    parsed = parse_text("杭州市西湖区文三路100号有疑问请联系店主")
    assert (parsed.road, parsed.door_number, parsed.compound) == ("文三路", "100", "")
    assert "有疑问请联系店主" in parsed.rest


def test_a_township_s_short_name_opening_the_text_before_a_road() -> None:
    parsed = parse_text("沈家门滨港路17号")
    assert (parsed.township, parsed.road, parsed.door_number) == ("沈家门", "滨港路", "17")
    parsed = parse_text("公明玉律村第六工业区七栋")
    assert (parsed.township, parsed.community) == ("公明", "玉律村")
    # A development zone opening the text is no township (高新区 is also some 街道's name).
    parsed = parse_text("高新区丹桂路80号")
    assert (parsed.township, parsed.road) == ("", "丹桂路")
