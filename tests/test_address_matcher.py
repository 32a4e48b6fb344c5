"""The address matcher (fengqiao.addresses.reading.matcher) on each failure class of issue 17:
names find their address, road-only entries are reachable, numbers on the same role
conflict, noise numbers are not doors, renamed divisions and shop names are not "corrected"
into other places, a compound and its gate address are linked, bad input never crashes.
No database."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from fengqiao.addresses.reading import match_command
from fengqiao.addresses.reading.matcher import Entry, Matcher, read


def best(matcher: Matcher, query: str) -> str:
    found = matcher.match(query)
    return found[0].code if found else ""


def test_a_company_name_finds_the_address_it_is_registered_at() -> None:
    matcher = Matcher(
        [
            Entry("KS", "上游路8号", ("江苏科盛科技有限公司",)),
            Entry("U10", "上游路10号", ("上游路便利店",)),
            Entry("XY", "下游路8号", ("科盛五金店",)),
        ]
    )
    assert best(matcher, "上游路江苏科盛科技有限公司") == "KS"
    assert best(matcher, "江苏科盛科技有限公司") == "KS"


def test_a_road_only_standard_address_is_reachable() -> None:
    matcher = Matcher(
        [
            Entry("ROAD", "罗湖区太宁路"),
            Entry("D88", "罗湖区太宁路88号"),
            Entry("D90", "罗湖区太宁路90号"),
            Entry("OTHER", "罗湖区太白路"),
        ]
    )
    assert best(matcher, "深圳市罗湖区太宁路") == "ROAD"
    assert best(matcher, "太宁路88号") == "D88"


def test_a_different_building_number_outranks_a_name_likeness() -> None:
    matcher = Matcher(
        [
            Entry("B312", "安居西苑312号楼"),
            Entry("B313", "海淀区安居西苑小区313号楼"),
        ]
    )
    found = matcher.match("海淀区安居西苑小区312号楼")
    assert found[0].code == "B312"
    assert (
        "楼栋不符：输入312栋，标准地址为313栋" in next(c for c in found if c.code == "B313").reasons
    )
    assert best(matcher, "安居西苑313栋") == "B313"


def test_an_intersection_distance_is_not_a_door_number() -> None:
    assert read("学典路与文苑路交叉口东北150米").numbers[0] == ""
    matcher = Matcher([Entry("X", "学典路与文苑路交叉口"), Entry("D150", "学典路150号")])
    assert best(matcher, "学典路与文苑路交叉口东北150米") == "X"


def test_a_phone_number_is_not_a_door_number() -> None:
    assert read("阳头路12号 13912345678").numbers[0] == "12"
    assert read("太宁路 电话 0755-82345678").numbers[0] == ""
    matcher = Matcher([Entry("D12", "阳头路12号"), Entry("D13", "阳头路13号")])
    assert best(matcher, "阳头路12号，联系电话13912345678") == "D12"


def test_a_renamed_division_or_a_shop_name_is_not_corrected_into_another_place() -> None:
    matcher = Matcher(
        [
            Entry("QSL", "蓟州区下营镇青山岭村"),
            Entry("QGJ", "蓟州区下营镇前干涧村"),
            Entry("HY", "华蓥市人民路8号"),
            Entry("HC", "上游路8号华超市"),
        ]
    )
    assert best(matcher, "天津市蓟县下营镇青山岭村") == "QSL"
    assert best(matcher, "华超市上游路8号") == "HC"


def test_a_compound_and_its_gate_address_are_linked() -> None:
    matcher = Matcher(
        [
            Entry("A4", "安居路88号安居西苑4号楼"),
            Entry("A5", "安居路88号安居西苑5号楼"),
            Entry("R4", "安居路90号4栋"),
        ]
    )
    assert best(matcher, "安居西苑4栋") == "A4"
    assert best(matcher, "安居路88号4栋") == "A4"


def test_scores_are_probabilities_and_a_clear_answer_is_confident() -> None:
    matcher = Matcher([Entry("A3", "安居西苑4号楼"), Entry("A4", "安居西苑5号楼")])
    found = matcher.match("安居西苑4栋")
    assert found[0].code == "A3" and found[0].confident
    assert 0 <= sum(c.score for c in found) <= 1
    twins = Matcher([Entry("T1", "安居西苑"), Entry("T2", "安居西苑")])
    assert not any(c.confident for c in twins.match("安居西苑"))


def test_bad_input_gives_an_empty_answer_never_an_error() -> None:
    matcher = Matcher([Entry("A", "罗湖区太宁路88号"), Entry("B", "安居西苑4号楼")])
    for text in ("", "   ", "路" * 10_000, "\x00\x01\ufffd\x7f", "hello world", "ئۇيغۇرچە"):
        found = matcher.match(text)
        assert all(0 <= c.score <= 1 for c in found)
    assert matcher.match("") == [] and matcher.match("hello world") == []
    assert matcher.match_many([]) == []


def test_the_command_reports_unreadable_lines_and_keeps_input_order() -> None:
    matcher = Matcher([Entry("A", "罗湖区太宁路88号")])
    lines = "太宁路88号\n\n".encode() + b"\xff\xfe junk\n" + ("路" * 2000 + "\n").encode()
    out = io.StringIO()
    match_command.run(matcher, io.BytesIO(lines), out)
    rows = out.getvalue().splitlines()
    assert len(rows) == 4
    assert '"code": "A"' in rows[0]
    assert rows[1] == '{"query": "", "matches": []}'
    assert '"error": "not UTF-8 text"' in rows[2]
    assert '"error"' in rows[3]


@pytest.mark.once
def test_the_match_command_reads_a_registry_csv_and_says_when_it_cannot(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from fengqiao import cli

    registry = tmp_path / "registry.csv"
    registry.write_text("code,text\nR1,罗湖区太宁路\nR2,罗湖区太宁路88号\n", encoding="utf-8")
    queries = tmp_path / "queries.txt"
    queries.write_bytes("太宁路88号\n\xff\n".encode("utf-8", "surrogateescape") + b"\xff\n")
    assert cli.main(["addresses", "match", "--registry", str(registry), str(queries)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert rows[0]["matches"][0]["code"] == "R2" and len(rows) == 3
    assert "error" in rows[2]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,address\n1,太宁路\n", encoding="utf-8")
    assert cli.main(["addresses", "match", "--registry", str(bad), str(queries)]) == 2
    assert cli.main(["addresses", "match", "--registry", str(registry), "nope.txt"]) == 2


@pytest.mark.parametrize(
    ("text", "role", "value"),
    [
        ("古城村东大街十一巷1号", "lane", "11"),  # a lane in Chinese numerals is the lane 11巷
        ("古城村东大街11巷1号", "lane", "11"),
        ("古城村东大街十一巷1号", "door", "1"),  # … and 1号 the door, not 11
        ("凤翔新城二期6栋", "part", "2"),
        ("文苑西路15号航空学院4号学生宿舍", "building", "4"),  # a second 号 after a place
        ("文苑西路15号航空学院4号学生宿舍", "door", "15"),
        ("瑞金大厦A楼10楼", "building", "A"),  # a letter's 楼 is a building, a number's a floor
        ("瑞金大厦A楼10楼", "floor", "10"),
    ],
)
def test_how_numbers_are_read(text: str, role: str, value: str) -> None:
    from fengqiao.addresses.reading.matcher import ROLES

    assert read(text).numbers[ROLES.index(role)] == value


def test_a_lane_in_chinese_numerals_finds_the_lane_in_digits() -> None:
    matcher = Matcher(
        [
            Entry("L11", "顺义区古城村东大街11巷1号"),
            Entry("L1", "顺义区古城村东大街1巷11号"),
        ]
    )
    assert best(matcher, "顺义区古城村东大街十一巷1号") == "L11"


def test_a_door_written_before_any_road_compares_with_the_entries_doors() -> None:
    matcher = Matcher(
        [
            Entry("D12", "朝阳路12号达富生活区"),
            Entry("D14", "朝阳路14号达富生活区"),
        ]
    )
    found = matcher.match("12号达富生活区")
    assert found[0].code == "D12"
    assert "门牌一致" in found[0].reasons
