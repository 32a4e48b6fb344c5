"""What address text is made of: width folding, separators, number markers and the suffix
lexicons of townships, communities, roads, places and noise words (交叉口, 代收, 丰巢 …).

Written from general knowledge of how Chinese addresses are composed, not from any data set.
"""

from __future__ import annotations

import re

# --- normalising ------------------------------------------------------------------------------

_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: 0x20, 0x2014: 0x2D, 0x2013: 0x2D, 0x2012: 0x2D, 0x2015: 0x2D, 0x2212: 0x2D})
_WIDTH.update({0x3001: 0x2C, 0x3002: 0x2C, 0x3010: 0x28, 0x3011: 0x29, 0x3014: 0x28, 0x3015: 0x29})


def fold(text: str) -> str:
    """全角→半角, dashes to '-', so that values compare whatever keyboard typed them."""
    return text.translate(_WIDTH)


# --- lexicons ---------------------------------------------------------------------------------

SEPARATORS = " \t,;:|/\\_?!'\"*~`^=+<>"
CN_DIGITS = "零〇一二三四五六七八九十百千两"

# Number markers, longest first; the element each one names.
NUMBER_MARKERS: tuple[tuple[str, str], ...] = (
    ("号楼", "building"),
    ("号院", "door_number"),
    ("号门", "rest"),
    ("号铺", "room"),
    ("号房", "room"),
    ("单元", "unit"),
    ("公里", "rest"),
    ("号", "number"),
    ("#", "number"),
    ("弄", "door_number"),
    ("栋", "building"),
    ("幢", "building"),
    ("座", "building"),
    ("排", "building"),
    ("层", "floor"),
    ("楼", "floor"),
    ("F", "floor"),
    ("f", "floor"),
    ("室", "room"),
    ("户", "room"),
    ("房", "room"),
    ("组团", "part"),
    ("组", "group"),
    ("队", "group"),
    ("期", "part"),
    ("区", "part"),
    ("街", "unit"),  # 义乌商贸城 …九楼四街: a market's aisle
    ("米", "rest"),
    ("国道", "road"),
    ("巷", "road"),
    ("省道", "road"),
    ("大街", "road"),
    ("路", "road"),
    ("道", "road"),
    ("m", "rest"),
)
_MARKER_PATTERN = "|".join(re.escape(m) for m, _ in NUMBER_MARKERS)
MARKER_ELEMENT = dict(NUMBER_MARKERS)
# After a Chinese numeral only the unmistakable markers (三楼, 八幢; not 三街, 十里).
_CN_MARKER_PATTERN = "号楼|号|栋|幢|座|排|单元|层|楼|室|户|组团|组|期|区"

TOKEN = re.compile(
    r"(?P<sep>[" + re.escape(SEPARATORS) + r"]+)"
    r"|(?P<word>[A-Za-z]{2,}(?![0-9]))"
    r"|(?P<num>(?:[甲乙丙丁第负]?[A-Za-z]{0,2}[0-9]+(?:[A-EG-Za-eg-z](?![A-Za-z]))?"
    r"|[A-Za-z](?![A-Za-z]))"
    r"(?:-(?:[A-Za-z]{0,2}[0-9]+(?:[A-EG-Za-eg-z](?![A-Za-z]))?|[A-Za-z](?![A-Za-z])))*-?"
    r"|[第负]?[" + CN_DIGITS + r"]+(?=" + _CN_MARKER_PATTERN + r"))"
    r"(?P<marker>" + _MARKER_PATTERN + r")?"
    r"|(?P<dash>-+)"
    # 第/负 open an ordinal or a basement (第八栋, 负三楼, 第3办公室): the number's.
    r"|(?P<cjk>(?:(?![第负]?(?:[" + CN_DIGITS + r"]+(?:" + _CN_MARKER_PATTERN + r")|[0-9]))"
    r"[^0-9A-Za-z" + re.escape(SEPARATORS) + r"-])+)"
)

PHONE = re.compile(
    r"(?:\+?86[- ]?)?(?<![0-9])"
    r"(?:1[3-9][0-9](?:[- ]?[0-9]{4}){2}|0[0-9]{2,3}-?[0-9]{7,8}|[0-9]{7,8})(?![0-9])"
)
# Labels a shipping form puts before a name, a phone or the address itself.
LABELS = re.compile(
    r"(?:收货人|收件人|联系人|收货地址|详细地址|地址|电话|手机|联系方式|tel|TEL)(?::|(?=\s))"
    r"|^(?:收货人|收件人|联系人|收货地址|详细地址|地址)"
)
# A bracketed remark that is no place: (门卫代收), 【丰巢快递柜】, (电联).
PICKUP = re.compile(
    r"\((?:[^()]{0,3}(?:门卫|前台|保安室|传达室|收发室|快递|丰巢|电联|代收)[^()]{0,3}|)\)"
)
DISTANCE = re.compile(
    r"(?:往|向|朝)?[东南西北]{1,2}(?:侧|面|边|方向|方)?(?:约)?[0-9]+(?:米|m|公里|km)"
)
NOISE = re.compile(
    r"(?:丰巢(?:快递)?(?:柜|智能柜)?|快递柜|快递点|智能快递柜|自提柜|智能柜|代收点|代收|代签|电联|"
    r"联系电话|到了打电话|打电话|到了电话|到付|(?:电话|手机|tel|TEL)[:]?(?=[0-9])|收件人|市辖区|null|NULL|"
    r"[\u4e00-\u9fff]{1,3}(?:先生|女士|小姐|师傅)(?:收)?"
    # A sender's remark runs to the end of its segment: 请务必联系客服…, 有疑问请联系…, 同意自取.
    r"|(?:请|麻烦|务必|有疑问|谢谢|同意自取|自取|退货|送货上门|工作日|周末|放门口|放门卫)"
    r"[^" + re.escape(SEPARATORS) + r"]*)"
)
COMMUNITY_SUFFIXES = (
    "村民委员会",
    "居民委员会",
    "村民委",
    "村委会",
    "居委会",
    "村委",
    "居委",
    "社区",
    "嘎查",
    "村",
)
ROAD_SUFFIXES = ("大道", "大街", "公路", "国道", "省道", "胡同", "路", "街", "巷", "弄", "组", "线")
TOWNSHIP_SUFFIXES = ("街道办事处", "街道", "镇", "乡")
DEVZONE_SUFFIXES = ("经济技术开发区", "经济开发区", "开发区", "高新区", "保税区", "新区")
ASSIST_TEXT = """
东段 西段 南段 北段 中段 城区 大门口 交叉路口 交叉口 交汇处 交界处
十字路口 丁字路口 三岔路口 三叉路口 路口 斜对面 正对面 对面 对过 附近 旁边 隔壁 门口 楼下 后面
前面 边上 里面 东侧 西侧 南侧 北侧 东面 西面 南面 北面 东边 西边
南边 北边 以东 以西 以南 以北 往东 往西 往南 往北 东北 东南 西北
西南 旁 内 与 和 交 电联
"""
ASSIST_WORDS = tuple(sorted(ASSIST_TEXT.split(), key=len, reverse=True))
# Words that end a place name: a run ending with one is a place even after a road suffix.
PLACE_TAILS = (
    "小学", "中学", "大学", "学院", "学校", "幼儿园", "医院", "银行", "支行", "分行", "公司", "店",
    "站", "所", "局", "馆", "厂", "场", "市场", "中心", "大厦", "广场", "花园", "公寓", "小区",
    "酒店",
)  # fmt: skip
