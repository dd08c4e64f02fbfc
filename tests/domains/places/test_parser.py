"""Address parser: divisions, numerals, door plates, sentences, other provinces, garbage."""

from __future__ import annotations

import csv
import re
from importlib import resources
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhian.domains.places.divisions_index import INDEX, short_forms
from zhian.domains.places.numerals import to_arabic
from zhian.domains.places.parser import ParsedAddress, parse, parse_many

CONTRACT = (
    "province",
    "city",
    "county",
    "county_code",
    "township",
    "road",
    "house_number",
    "building",
    "unit",
    "room",
    "in_jurisdiction",
)
NUMBER_FIELDS = ("house_number", "building", "unit", "room", "floor")
LINWEI = {"province": "陕西省", "city": "渭南市", "county": "临渭区", "county_code": "610502"}


def _check(text: str, expected: dict[str, Any]) -> None:
    got = parse(text).as_dict()
    wrong = {k: (got[k], v) for k, v in expected.items() if got[k] != v}
    assert not wrong, f"{text!r}: (got, want) {wrong}"


# (text, expected subset of fields): one line per feature of the issue.
DIVISIONS = [
    ("陕西省渭南市临渭区人民路12号", {**LINWEI, "road": "人民路", "house_number": "12"}),
    ("陕西渭南临渭人民路12号", {**LINWEI, "road": "人民路", "house_number": "12"}),
    ("临渭人民路12号", {**LINWEI, "in_jurisdiction": True}),
    ("渭南市华州区少华路5号", {"county": "华州区", "county_code": "610503"}),
    ("渭南市华县杏林镇", {"county": "华州区", "county_code": "610503", "township": "杏林镇"}),
    ("华县城关镇", {"county_code": "610503"}),
    ("潼关县城关街道", {"county_code": "610522", "township": "城关街道"}),
    ("大荔城关街道", {"county_code": "610523"}),
    ("合阳县路井镇", {"county_code": "610524", "township": "路井镇"}),
    ("合阳路井镇", {"county_code": "610524", "township": "路井镇"}),
    ("澄城冯原镇", {"county_code": "610525", "township": "冯原镇"}),
    ("蒲城县孙镇", {"county_code": "610526", "township": "孙镇"}),
    ("白水 杜康镇", {"county_code": "610527", "township": "杜康镇"}),
    ("富平庄里镇", {"county_code": "610528", "township": "庄里镇"}),
    ("韩城金城街道", {"county_code": "610581", "county": "韩城市"}),
    ("华阴市太华路街道", {"county_code": "610582", "township": "太华路街道"}),
    ("渭南市", {"city": "渭南市", "county": None, "county_code": None, "in_jurisdiction": True}),
    ("渭南地区大荔县", {"county_code": "610523"}),
    # A Weinan township alone places the county.
    ("渭南市官道镇", {**LINWEI, "township": "官道镇"}),
    ("孟塬镇东堡村", {"county_code": "610582", "community": "东堡村"}),
    ("临渭区良田街道办事处", {**LINWEI, "township": "良田街道"}),
]
ZONES = [
    ("高新区崇业路", {**LINWEI, "zone": "高新区", "township": "高新区", "road": "崇业路"}),
    ("渭南高新区东风大街", {**LINWEI, "zone": "高新区"}),
    ("渭南市经济技术开发区", {**LINWEI, "zone": "经开区", "township": "经开区"}),
    ("经开区信义街道", {**LINWEI, "zone": "经开区", "township": "信义街道"}),
    # Xi'an's 高新区 is not Weinan's: no county, out of jurisdiction.
    ("西安市高新区锦业路", {"city": "西安市", "county_code": None, "in_jurisdiction": False}),
]
NUMBERS = [
    ("临渭区人民路十二号", {"house_number": "12"}),
    ("临渭区东风大街一百零五号", {"house_number": "105"}),
    ("临渭区乐天大街一〇八号", {"house_number": "108"}),
    ("临渭区乐天大街２８号", {"house_number": "28"}),
    ("前进路３号楼二单元四〇一室", {"building": "3", "unit": "2", "room": "401"}),
    ("前进路两号楼", {"building": "2"}),
    ("东风村三组", {"community": "东风村3组"}),
]
SEPARATORS = [
    ("临渭区 东风大街 28号", {**LINWEI, "road": "东风大街", "house_number": "28"}),
    ("临渭区，东风大街，28号", {**LINWEI, "road": "东风大街", "house_number": "28"}),
    ("临渭区　东风大街　２８号", {**LINWEI, "road": "东风大街", "house_number": "28"}),
    ("临渭区、东风大街; 28号", {**LINWEI, "road": "东风大街", "house_number": "28"}),
]
BUILDINGS = [
    ("临渭区朝阳大街18号3号楼2单元401室", {"house_number": "18", "building": "3", "room": "401"}),
    ("临渭区前进路3栋2单元401", {"building": "3", "unit": "2", "room": "401"}),
    ("临渭区前进路3幢", {"building": "3", "unit": None}),
    ("临渭区前进路3座", {"building": "3"}),
    ("临渭区前进路3#楼2单元401", {"building": "3", "unit": "2", "room": "401"}),
    ("临渭区前进路3-2-401", {"building": "3", "unit": "2", "room": "401"}),
    ("临渭区前进路12号3－2－401", {"house_number": "12", "building": "3", "room": "401"}),
    ("临渭区前进路3栋2-401", {"building": "3", "unit": "2", "room": "401"}),
    ("临渭区前进路12号401室", {"house_number": "12", "building": None, "room": "401"}),
    ("临渭区前进路12号院3号楼", {"house_number": "12", "building": "3"}),
    ("临渭区人民路12号楼3单元", {"house_number": None, "building": "12", "unit": "3"}),
    ("临渭区站南路8号401号房", {"house_number": "8", "room": "401"}),
    ("渭南市临渭区解放路万达广场3楼", {"road": "解放路", "floor": "3", "poi": "万达广场"}),
    ("金色家园小区3号楼2单元401", {"community": "金色家园小区", "building": "3", "room": "401"}),
    ("人民路12号金色家园小区5栋", {"road": "人民路", "community": "金色家园小区"}),
]
ROADS = [
    ("临渭区胜利大街18号", {"road": "胜利大街"}),
    ("临渭区滨河大道9号", {"road": "滨河大道"}),
    ("临渭区北大街7号", {"road": "北大街"}),
    ("临渭区槐树巷3号", {"road": "槐树巷"}),
    ("临渭区二马路5号", {"road": "二马路", "house_number": "5"}),
    ("临渭区310国道北侧", {"road": "310国道", "qualifier": "北侧"}),
    ("G310国道渭南段", {"road": "G310国道"}),
    ("韩城市新城区太史大街", {"county_code": "610581", "road": "太史大街", "poi": "新城区"}),
    ("临渭区站南街道站南路", {"township": "站南街道", "road": "站南路"}),
    ("大荔县城关街道北街村3组12号", {"community": "北街村3组", "road": None, "house_number": "12"}),
    ("蒲城县城关街道东街社区", {"community": "东街社区"}),
]
QUALIFIERS = [
    ("临渭区人民路12号附近", {"house_number": "12", "qualifier": "附近"}),
    ("临渭区人民路12号门口", {"qualifier": "门口"}),
    ("万达广场对面", {"poi": "万达广场", "qualifier": "对面", "in_jurisdiction": True}),
    ("渭南师范学院门口", {"city": "渭南市", "poi": "渭南师范学院", "qualifier": "门口"}),
]
INTERSECTIONS = [
    ("临渭区胜利大街与朝阳路十字", {**LINWEI, "road": "胜利大街", "intersection": "朝阳路"}),
    ("临渭区胜利大街与朝阳路十字东南角", {"intersection": "朝阳路", "qualifier": "东南角"}),
    ("东风大街和乐天大街交叉口", {"road": "东风大街", "intersection": "乐天大街"}),
    ("站南路与前进路交汇处", {"intersection": "前进路"}),
    ("站南路前进路路口", {"road": "站南路", "intersection": "前进路"}),
    ("渭南市临渭区胜利大街与朝阳路十字向东100米", {"qualifier": "向东100米"}),
]
SENTENCES = [
    ("报警人称临渭区人民路12号发生火情", {**LINWEI, "road": "人民路", "house_number": "12"}),
    ("报警人称，在临渭区人民路12号，有人打架", {**LINWEI, "house_number": "12", "poi": None}),
    ("来电称在大荔县城关街道发生火情", {"county_code": "610523", "township": "城关街道"}),
    ("群众反映胜利大街与朝阳路十字有人打架", {"road": "胜利大街", "intersection": "朝阳路"}),
    ("今天下午三点左右，澄城南大街有人打架", {"county_code": "610525", "road": "南大街"}),
    ("我在渭南合阳太华路这边，车被人划了", {"county_code": "610524", "qualifier": "这边"}),
    ("事发地点：华县人民路8号", {"county_code": "610503", "house_number": "8"}),
    ("人民路12号（临渭区）", {**LINWEI, "road": "人民路", "house_number": "12"}),
]
ELSEWHERE = [
    ("西安市雁塔区小寨东路1号", {"city": "西安市", "county_code": "610113", "road": "小寨东路"}),
    ("陕西省西安市长安区", {"county_code": "610116"}),
    ("北京市朝阳区建国路88号", {"province": "北京市", "county_code": "110105"}),
    ("长春市朝阳区人民大街1号", {"province": "吉林省", "county_code": "220104"}),
    ("辽宁省朝阳市朝阳县", {"county_code": "211321"}),
    ("北京朝阳建国路", {"county_code": "110105"}),
    ("吉林省吉林市船营区", {"city": "吉林市", "county_code": "220204"}),
    ("内蒙古呼和浩特新城区", {"province": "内蒙古自治区", "county_code": "150102"}),
    ("广西南宁青秀区", {"county_code": "450103"}),
    ("河北省廊坊市大厂县", {"county": "大厂回族自治县", "county_code": "131028"}),
    ("延边州延吉市", {"county_code": "222401"}),
    ("湖北省仙桃市", {"city": None, "county_code": "429004"}),
    ("上海浦东新区世纪大道", {"county_code": "310115", "road": "世纪大道"}),
    ("山西省阳泉市城区", {"county_code": "140302"}),
    # Ambiguous alone: Shaanxi's 长安区 before Hebei's; else a municipality's district.
    ("长安区韦曲街道", {"county_code": "610116"}),
    ("朝阳区建国路88号", {"county_code": "110105"}),
    ("宝山区大场镇", {"county_code": "310113"}),
    ("黑龙江省双鸭山市宝山区", {"county_code": "230506"}),
    # An explicit county outranks a city that contradicts it.
    ("渭南市长安区", {"county_code": "610116", "city": "西安市"}),
]
NOT_DIVISIONS = [
    # Division names inside road and building names are not divisions.
    ("长安路12号", {"county": None, "road": "长安路", "in_jurisdiction": True}),
    ("朝阳大街18号", {"county": None, "road": "朝阳大街"}),
    ("临渭区长安大厦", {**LINWEI, "poi": "长安大厦"}),
    ("新华路与中山路十字", {"county": None, "city": None, "intersection": "中山路"}),
    ("金色家园小区东区3号楼", {"county": None, "building": "3"}),
]
GARBAGE = ["", " ", "asdfgh", "今天天气很好", "!!!", "？？？", "12345", "\x00\x01", "号号号楼楼"]

ALL = (
    DIVISIONS
    + ZONES
    + NUMBERS
    + SEPARATORS
    + BUILDINGS
    + ROADS
    + QUALIFIERS
    + INTERSECTIONS
    + SENTENCES
    + ELSEWHERE
    + NOT_DIVISIONS
)


@pytest.mark.parametrize(("text", "expected"), ALL, ids=[t for t, _ in ALL])
def test_parse(text: str, expected: dict[str, Any]) -> None:
    _check(text, expected)


@pytest.mark.parametrize(("text", "expected"), ELSEWHERE, ids=[t for t, _ in ELSEWHERE])
def test_elsewhere_is_out_of_jurisdiction(text: str, expected: dict[str, Any]) -> None:
    result = parse(text)
    assert result.matched
    assert result.in_jurisdiction is False


@pytest.mark.parametrize("text", GARBAGE)
def test_garbage_is_unmatched_with_all_nulls(text: str) -> None:
    result = parse(text)
    assert result.matched is False
    assert result.in_jurisdiction is False
    assert all(
        v is None for k, v in result.as_dict().items() if k not in ("matched", "in_jurisdiction")
    )


def test_every_weinan_county_by_full_and_short_name() -> None:
    counties = [d for d in INDEX.by_code.values() if d.level == 3 and d.code.startswith("6105")]
    assert len(counties) == 11
    for d in counties:
        for form in (d.name, d.name[:-1], "渭南" + d.name[:-1], "陕西省渭南市" + d.name):
            result = parse(form + "人民路1号")
            assert (result.county_code, result.county) == (d.code, d.name), form
            assert result.in_jurisdiction


def test_as_dict_has_contract_fields_first_and_json_types() -> None:
    d = parse("渭南市临渭区人民路12号3-2-401").as_dict()
    assert tuple(d)[: len(CONTRACT)] == CONTRACT
    assert {"matched", "qualifier", "intersection", "poi", "community"} <= d.keys()
    assert all(v is None or isinstance(v, str | bool) for v in d.values())


def test_parse_many_keeps_order() -> None:
    got = parse_many(["临渭区人民路1号", "garbage!", "华县"])
    assert [p.county_code for p in got] == ["610502", None, "610503"]
    assert isinstance(got[0], ParsedAddress)


@pytest.mark.parametrize(
    ("token", "digits"),
    [
        ("十二", "12"),
        ("一百零五", "105"),
        ("一〇八", "108"),
        ("两", "2"),
        ("十", "10"),
        ("二十", "20"),
        ("九十九", "99"),
        ("一百二", "120"),
        ("一百零二", "102"),
        ("一千零一", "1001"),
        ("两千零二十六", "2026"),
        ("三零一", "301"),
        ("幺零八", "108"),
        ("0401", "0401"),
    ],
)
def test_numerals(token: str, digits: str) -> None:
    assert to_arabic(token) == digits


@pytest.mark.parametrize(
    ("name", "level", "forms"),
    [
        ("陕西省", 1, ["陕西"]),
        ("内蒙古自治区", 1, ["内蒙古"]),
        ("宁夏回族自治区", 1, ["宁夏"]),
        ("临渭区", 3, ["临渭"]),
        ("华州区", 3, ["华州"]),
        ("大荔县", 3, ["大荔"]),
        ("韩城市", 3, ["韩城"]),
        ("延边朝鲜族自治州", 2, ["延边州", "延边"]),
        ("黔西南布依族苗族自治州", 2, ["黔西南州", "黔西南"]),
        ("大厂回族自治县", 3, ["大厂县", "大厂"]),
        ("六枝特区", 3, ["六枝"]),
        ("赵县", 3, []),
        ("新城区", 3, []),
    ],
)
def test_short_forms(name: str, level: int, forms: list[str]) -> None:
    extra, short = short_forms(name, level)
    assert extra + short == forms


def test_data_file_is_complete_and_consistent() -> None:
    path = resources.files("zhian.domains.places").joinpath("data/gbt2260.csv")
    with path.open("r", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    codes = {r["code"] for r in rows}
    levels = [r["level"] for r in rows]
    assert levels.count("province") == 33 and levels.count("prefecture") == 333
    assert levels.count("county") >= 2800
    for r in rows:
        assert re.fullmatch(r"[0-9]{6}|6105[0-9]{5}", r["code"]), r
        assert r["level"] == "province" or r["parent"] in codes, r
    assert resources.files("zhian.domains.places").joinpath("data/LICENSE.gbt2260").is_file()


_NUMBER = re.compile(r"[0-9]+")


def _words(text: str) -> list[str]:
    return text.split(" ")


@given(st.text(max_size=80))
def test_any_text_parses_and_keeps_invariants(text: str) -> None:
    _assert_invariants(parse(text))


# Text drawn from address vocabulary reaches far more branches than arbitrary Unicode.
_PIECES = st.sampled_from(
    [
        *_words(
            "陕西 渭南 临渭 区 县 市 华县 高新区 镇 街道 村 组 人民路 大街 与 十字 号 号楼 "
            "栋 单元 室 楼 层 - # 3 12 401 十二 一〇八 两 附近 门口 报警人称 发生 在 ， ２ "
            "小区 朝阳 长安 北京"
        ),
        "\u3000",
        " ",
        "（",
        "）",
    ]
)


@given(st.lists(_PIECES, max_size=14).map("".join))
def test_address_like_text_keeps_invariants(text: str) -> None:
    _assert_invariants(parse(text))


def _assert_invariants(result: ParsedAddress) -> None:
    d = result.as_dict()
    for field in NUMBER_FIELDS:
        assert d[field] is None or _NUMBER.fullmatch(str(d[field])), (field, d[field])
    code = result.county_code
    assert code is None or re.fullmatch(r"[0-9]{6}", code)
    if code is not None:
        assert result.county == INDEX.by_code[code].name
        assert result.in_jurisdiction == code.startswith("6105")
    if not result.matched:
        assert result == ParsedAddress()
