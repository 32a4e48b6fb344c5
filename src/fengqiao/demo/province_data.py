"""Fixed inputs of the province generator (:mod:`fengqiao.demo.province`): the rough
shape of 甘肃省 and the vocabularies its synthetic places, people and records are drawn
from.

Populations are the 2020 census figures of each county rounded to the nearest 10,000 and
nudged (plausible, not official); the city seats and areas are approximate. They only
steer where the generated records fall, so a big urban district (城关区) is busy and
阿克塞 quiet."""

from __future__ import annotations

# Gansu's rough bounding box (WGS-84): every generated outline lies inside it.
BBOX = (92.2, 32.6, 108.7, 42.8)  # lng min, lat min, lng max, lat max
# The province's outline as three blocks along the Hexi corridor, west to south-east, and
# the cities each block holds: 酒泉 in the west, the corridor (嘉峪关, 张掖, 金昌, 武威),
# and the east and south from 兰州 to 庆阳 and 陇南.
BLOCKS: list[tuple[tuple[float, float, float, float], list[str]]] = [
    ((92.2, 38.6, 98.6, 42.8), ["620900"]),
    ((98.6, 37.2, 104.2, 40.2), ["620200", "620300", "620600", "620700"]),
    ((100.6, 32.6, 108.7, 37.2), ["620100", "620400", "620500", "620800", "621000", "621100",
                                  "621200", "622900", "623000"]),
]  # fmt: skip
# Their union, counter-clockwise and closed: the outline of the province and department.
OUTLINE = [[100.6, 32.6], [108.7, 32.6], [108.7, 37.2], [104.2, 37.2], [104.2, 40.2],
           [98.6, 40.2], [98.6, 42.8], [92.2, 42.8], [92.2, 38.6], [98.6, 38.6], [98.6, 37.2],
           [100.6, 37.2], [100.6, 32.6]]  # fmt: skip

# 嘉峪关市 is a prefecture-level city without counties (不设区的市). Its towns and streets
# hang under the county-level statistical code the NBS gives it (620201 市辖区), so the
# administrative tree keeps province → city → county → township; its police stations hang
# directly under the city bureau.
CITY_WITHOUT_COUNTIES = {"620200": ("620201", "市辖区")}

# City seat (lng, lat) and area in km², for laying the cities out where they really lie.
CITIES: dict[str, tuple[float, float, int]] = {
    "620100": (103.83, 36.06, 13_100),  # 兰州市
    "620200": (98.29, 39.77, 1_200),  # 嘉峪关市
    "620300": (102.19, 38.52, 9_600),  # 金昌市
    "620400": (104.14, 36.54, 20_100),  # 白银市
    "620500": (105.72, 34.58, 14_300),  # 天水市
    "620600": (102.64, 37.93, 32_300),  # 武威市
    "620700": (100.45, 38.93, 38_600),  # 张掖市
    "620800": (106.67, 35.54, 11_200),  # 平凉市
    "620900": (95.80, 40.30, 192_000),  # 酒泉市 (its centre lies far west of the seat)
    "621000": (107.64, 35.71, 27_100),  # 庆阳市
    "621100": (104.62, 35.58, 19_600),  # 定西市
    "621200": (104.92, 33.40, 27_900),  # 陇南市
    "622900": (103.21, 35.60, 8_100),  # 临夏回族自治州
    "623000": (102.91, 34.98, 38_500),  # 甘南藏族自治州
}

# Resident population by county, in units of 10,000.
POPULATION: dict[str, float] = {
    "620102": 130, "620103": 56, "620104": 36, "620105": 37, "620111": 15, "620121": 40,
    "620122": 14, "620123": 43, "620201": 31, "620302": 23, "620321": 20, "620402": 30,
    "620403": 20, "620421": 40, "620422": 45, "620423": 22, "620502": 66, "620503": 57,
    "620521": 25, "620522": 50, "620523": 55, "620524": 40, "620525": 28, "620602": 100,
    "620621": 17, "620622": 30, "620623": 17, "620702": 50, "620721": 3, "620722": 20,
    "620723": 13, "620724": 13, "620725": 16, "620802": 50, "620821": 27, "620822": 18,
    "620823": 9, "620825": 38, "620826": 40, "620881": 19, "620902": 45, "620921": 14,
    "620922": 14, "620923": 1.5, "620924": 1, "620981": 13, "620982": 19, "621002": 45,
    "621021": 27, "621022": 30, "621023": 12, "621024": 14, "621025": 18, "621026": 37,
    "621027": 38, "621102": 42, "621121": 33, "621122": 45, "621123": 28, "621124": 50,
    "621125": 18, "621126": 40, "621202": 55, "621221": 23, "621222": 21, "621223": 27,
    "621224": 17, "621225": 38, "621226": 46, "621227": 19, "621228": 4, "622901": 36,
    "622921": 35, "622922": 25, "622923": 19, "622924": 24, "622925": 19, "622926": 30,
    "622927": 26, "623001": 11, "623021": 14, "623022": 10, "623023": 13, "623024": 5,
    "623025": 6, "623026": 4, "623027": 9,
}  # fmt: skip

# Where most names are Hui (马, 穆, 冶 …) or Tibetan (才让卓玛).
HUI_COUNTIES = frozenset({"620525", *(c for c in POPULATION if c.startswith("6229"))})
TIBETAN_COUNTIES = frozenset({"620623", "620721", *(c for c in POPULATION if c.startswith("6230"))})

# Neighbouring provinces' county codes for people registered elsewhere (暂住/流动).
OUTSIDE_REGIONS = ["610102", "610302", "610402", "630102", "630121", "640104", "640302",
                   "510104", "510722", "410105", "411302", "150203", "652827"]  # fmt: skip

SURNAMES = (
    ("王", 71), ("李", 70), ("张", 68), ("刘", 54), ("陈", 45), ("杨", 31), ("赵", 23),
    ("黄", 22), ("周", 21), ("吴", 20), ("徐", 17), ("孙", 15), ("马", 25), ("胡", 13),
    ("朱", 13), ("高", 12), ("林", 8), ("何", 11), ("郭", 11), ("罗", 9), ("梁", 9),
    ("宋", 8), ("郑", 8), ("谢", 7), ("韩", 7), ("唐", 6), ("冯", 6), ("于", 6), ("董", 6),
    ("程", 5), ("曹", 5), ("袁", 5), ("邓", 5), ("许", 5), ("傅", 4), ("沈", 4), ("曾", 4),
    ("彭", 4), ("吕", 4), ("苏", 4), ("卢", 4), ("蒋", 4), ("蔡", 4), ("贾", 5), ("丁", 4),
    ("魏", 6), ("薛", 3), ("阎", 3), ("余", 3), ("潘", 3), ("杜", 4), ("戴", 3), ("夏", 3),
    ("汪", 4), ("田", 4), ("任", 4), ("姜", 3), ("范", 3), ("方", 3), ("石", 3), ("姚", 3),
    ("谭", 2), ("金", 3), ("陆", 2), ("郝", 3), ("孔", 2), ("白", 3), ("崔", 3), ("康", 3),
    ("毛", 2), ("秦", 3), ("史", 3), ("侯", 3), ("孟", 3), ("段", 3), ("雷", 3), ("常", 3),
    ("武", 3), ("乔", 2), ("牛", 3), ("柴", 2), ("安", 3), ("包", 2), ("慕", 2), ("巩", 2),
    ("令狐", 1), ("把", 1), ("火", 1), ("景", 2), ("祁", 2), ("寇", 1), ("裴", 2),
)  # fmt: skip
HUI_SURNAMES = (
    ("马", 40), ("穆", 6), ("冶", 5), ("韩", 8), ("妥", 3), ("喇", 2), ("海", 3), ("沙", 3),
    ("丁", 4), ("杨", 5), ("王", 6), ("张", 4), ("何", 3), ("赵", 3),
)  # fmt: skip
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建国晓东海燕鹏辉波宁丹斌"
    "浩凯琳雪梅亮俊峰新林文博宇晨佳欣怡梓涵子轩浩然一诺雨泽彤瑞芬兵岩德福贵荣才发"
)


def _words(text: str) -> list[str]:
    """A list written as one string, the words separated by spaces."""
    return text.split()


TIBETAN_NAMES = _words(
    "扎西 卓玛 才让 拉姆 多杰 措 旦增 尼玛 央金 贡布 桑吉 更登 仁青 德吉 次仁 拉毛 索南 "
    "完玛 东智 加措"
)
# Syllables for township, community and village names (甘肃 flavour: 川 塬 峪 堡 坪 岔 沟).
PLACE_HEADS = list(
    "东西南北新城河川金银石马柳杨榆红白青黄大小上下高中前后双三五七永安和平兴福定宁靖华天"
    "龙凤古清泉水沙花李王张陈刘周赵峡岷渭泾洮陇"
)
PLACE_TAILS = list("川塬峪堡坪岔沟湾滩岘梁寨营店集坝台岭庄关门园林山河桥峰口寺湖泉洼")
ROAD_HEADS = _words(
    "建设 民主 解放 东岗 西津 滨河 雁滩 中山 和平 团结 友谊 新华 人民 光明 长虹 红山 五泉 "
    "五一 文化 育才 体育 健康 迎宾 长庆 北环 南环 东环 西环 公园 府前 鼓楼 东关 西关 南关 "
    "北关 新城 汇通 黄河 渭河 泾河 洮河 祁连 雪山 阳关 丝路 飞天 驼铃 胡杨 杏林 枣林 梨园 "
    "桃园 花园 伏羲 轩辕 广场 南滨 安宁 银滩"
)
ROAD_TAILS = ["路", "路", "路", "街", "街", "大道", "巷"]
COMPOUND_HEADS = _words(
    "幸福 阳光 锦绣 金城 银河 世纪 盛世 和谐 丽景 翠苑 明珠 紫荆 桂花 兰亭 雁园 福苑 康居 "
    "怡和 华府 名城 欣园 佳苑 润泽 雅居 泰和 祥和 鸿福 瑞景 东方 西湖 滨河 铁路 电力 教育 "
    "供销 农机 水电 棉纺"
)
COMPOUND_TAILS = ["小区", "花园", "家园", "苑", "嘉园", "新村", "家属院", "公寓"]
VILLAGE_GROUPS = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]

# 警种 of a county bureau and of a city bureau, with a share of the units' staff.
COUNTY_UNITS = [("刑侦大队", 0.24), ("治安大队", 0.14), ("交警大队", 0.30), ("禁毒大队", 0.08),
                ("网安大队", 0.08), ("经侦大队", 0.08), ("特警大队", 0.08)]  # fmt: skip
CITY_UNITS = [("刑侦支队", 0.25), ("治安支队", 0.12), ("交警支队", 0.30), ("禁毒支队", 0.1),
              ("网安支队", 0.1), ("经侦支队", 0.08), ("特警支队", 0.05)]  # fmt: skip
DEPARTMENT_UNITS = ["刑事侦查总队", "治安管理总队", "交通警察总队", "禁毒总队", "网络安全保卫总队",
                    "经济犯罪侦查总队", "指挥中心"]  # fmt: skip

# 警情: the share of each top-level category (as in published police statistics: help
# requests and disputes dominate, 刑事 about one in eight), then of its sub-types.
INCIDENT_MIX: dict[str, float] = {
    "06": 0.29, "05": 0.19, "03": 0.15, "01": 0.125, "02": 0.105, "07": 0.05, "04": 0.02,
    "08": 0.07,
}  # fmt: skip
INCIDENT_SUBTYPES: dict[str, list[tuple[str, float]]] = {
    "01": [("0101", 0.42), ("0102", 0.12), ("0103", 0.26), ("0104", 0.03), ("0105", 0.07),
           ("0106", 0.03), ("0107", 0.07)],
    "02": [("0201", 0.30), ("0202", 0.10), ("0203", 0.08), ("0204", 0.10), ("0205", 0.25),
           ("0206", 0.10), ("0207", 0.07)],
    "03": [("0301", 0.70), ("0302", 0.20), ("0303", 0.10)],
    "04": [("0401", 0.75), ("0402", 0.25)],
    "05": [("0501", 0.30), ("0502", 0.25), ("0503", 0.15), ("0504", 0.10), ("0505", 0.08),
           ("0506", 0.12)],
    "06": [("0601", 0.15), ("0602", 0.25), ("0603", 0.30), ("0604", 0.30)],
    "07": [("0701", 0.55), ("0702", 0.45)],
    "08": [("0801", 1.0)],
}  # fmt: skip
# Year-on-year change of each top category's volume: 刑事 falls about 10 % a year.
INCIDENT_TREND = {"01": -0.10, "02": -0.05, "03": 0.02, "05": -0.03, "06": 0.03}
# Monthly swing (Jan…Dec) of the whole volume, and extra swings of some categories:
# more traffic accidents and disputes around the Spring Festival, more thefts in summer.
MONTH_VOLUME = [0.97, 1.02, 0.93, 0.95, 1.0, 1.02, 1.08, 1.09, 1.02, 1.03, 0.95, 0.94]
MONTH_EXTRA = {
    "03": [1.15, 1.2, 0.95, 0.95, 0.95, 0.95, 1.0, 1.0, 0.95, 1.1, 0.95, 1.05],
    "05": [1.2, 1.25, 1.0, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 1.0, 0.95, 1.05],
    "01": [0.9, 0.9, 0.95, 1.0, 1.05, 1.08, 1.12, 1.12, 1.05, 1.0, 0.95, 0.92],
    "04": [1.5, 1.6, 1.2, 1.1, 0.8, 0.6, 0.6, 0.6, 0.7, 0.9, 1.2, 1.5],
}
WEEKDAY_VOLUME = [0.96, 0.95, 0.96, 0.98, 1.05, 1.07, 1.03]  # Monday … Sunday
# Hour-of-day profiles (0…23): the day's rhythm, a late one for fights and disputes, the
# rush hours for traffic, the night for burglaries.
HOURS_DAY = [1.0, 0.7, 0.5, 0.4, 0.4, 0.6, 1.2, 2.6, 3.9, 4.6, 5.0, 5.0, 4.6, 4.3, 4.6, 4.8,
             5.0, 5.0, 4.8, 4.6, 4.2, 3.4, 2.4, 1.6]  # fmt: skip
HOURS_LATE = [2.6, 2.0, 1.4, 0.9, 0.6, 0.5, 0.6, 1.0, 1.6, 2.1, 2.5, 2.9, 3.2, 3.1, 3.0, 3.2,
              3.5, 3.9, 4.6, 5.2, 5.6, 5.6, 4.8, 3.6]  # fmt: skip
HOURS_TRAFFIC = [0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 2.0, 4.6, 5.6, 3.8, 3.2, 3.4, 3.8, 3.4, 3.2,
                 3.6, 4.4, 5.6, 6.0, 4.2, 2.8, 2.0, 1.4, 0.9]  # fmt: skip
HOURS_NIGHT = [3.2, 3.4, 3.4, 3.0, 2.4, 2.0, 2.2, 2.8, 3.6, 3.4, 3.0, 2.8, 2.8, 2.8, 2.8, 2.9,
               3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.1]  # fmt: skip
HOUR_PROFILE = {"01": HOURS_NIGHT, "02": HOURS_LATE, "03": HOURS_TRAFFIC, "05": HOURS_LATE}

INCIDENT_SOURCES = [("110", 0.70), ("walk_in", 0.10), ("phone", 0.08), ("online", 0.05),
                    ("volunteer", 0.03), ("video_patrol", 0.03), ("transfer", 0.01)]  # fmt: skip

# 矛盾纠纷 by category, as in the people's-mediation statistics (人民调解统计); the rural
# share adds land, forest and homestead disputes, the urban one property management.
DISPUTE_MIX: dict[str, float] = {
    "neighbours": 0.27, "marriage_family": 0.19, "housing_land": 0.08, "damages": 0.09,
    "contract": 0.05, "business": 0.03, "traffic": 0.06, "labour": 0.05, "forest_land": 0.04,
    "expropriation": 0.02, "consumer": 0.02, "medical": 0.015, "property_management": 0.03,
    "other": 0.045,
}  # fmt: skip
DISPUTE_RURAL = {"housing_land": 1.6, "forest_land": 2.2, "property_management": 0.2,
                 "consumer": 0.5, "expropriation": 1.3}  # fmt: skip
DISPUTE_URBAN = {"housing_land": 0.5, "forest_land": 0.1, "property_management": 1.8,
                 "consumer": 1.5, "labour": 1.3}  # fmt: skip
DISPUTE_SOURCES = [("incident", 0.30), ("walk_in", 0.33), ("volunteer", 0.18),
                   ("12348", 0.07), ("court", 0.07), ("petition", 0.05)]  # fmt: skip
DISPUTE_NARRATIVES: dict[str, list[str]] = {
    "neighbours": ["双方因楼上漏水问题多次争吵", "因噪音扰民问题邻里发生矛盾",
                   "双方因共用通道堆放杂物发生争执", "因宠物狗咬伤邻居引发纠纷"],
    "marriage_family": ["夫妻因家庭琐事长期争吵，女方要求离婚", "兄弟姐妹因老人赡养问题产生矛盾",
                        "因子女抚养费支付问题产生纠纷", "婆媳关系紧张，多次发生争吵"],
    "housing_land": ["两户因宅基地界线划分发生争执", "因房屋翻建遮挡采光产生纠纷",
                     "兄弟分家析产对房屋归属有争议"],
    "damages": ["因饲养的牛羊啃食邻家庄稼引发赔偿纠纷", "施工损坏邻居院墙，双方就赔偿数额有争议",
                "因打架致人受伤，双方就医药费赔偿有争议"],
    "contract": ["因租赁合同到期押金退还问题发生纠纷", "双方就农产品购销合同货款结算有争议"],
    "business": ["合伙经营餐馆因利润分配产生矛盾", "因门店经营占道问题与相邻商户发生纠纷"],
    "traffic": ["两车剐蹭，双方就责任和赔偿有争议", "电动车与行人相撞，就医疗费赔偿协商未果"],
    "labour": ["务工人员讨要拖欠工资", "工地工人受伤，与包工头就赔偿发生争议"],
    "forest_land": ["两村因草场边界划分发生争执", "因承包地流转费用问题村民与合作社产生纠纷"],
    "expropriation": ["村民对征地补偿标准有异议", "因拆迁安置房分配问题发生纠纷"],
    "consumer": ["消费者购买的家电质量问题与商家协商未果", "因预付卡退费问题与健身房发生纠纷"],
    "medical": ["患者家属对诊所治疗结果不满要求赔偿"],
    "property_management": ["业主拒交物业费，与物业公司发生纠纷",
                            "因小区停车位管理问题业主与物业产生矛盾"],
    "other": ["因债务问题双方多次发生争吵", "双方因琐事口角引发矛盾"],
}  # fmt: skip
