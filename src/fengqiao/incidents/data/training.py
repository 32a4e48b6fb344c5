"""Labelled examples for the category suggester: synthetic 简要警情 (brief incident
descriptions) as a 110 operator types them, one list of templates per sub-type code.

Why synthetic: real incident records are personal data and cannot ship with the code.
The templates follow the phrasing of real 接警 records (报警人称…, 一老人走失, 王某与妻子
发生争吵…) and deliberately overlap where real categories do (殴打他人 / 故意伤害 / 家庭纠纷,
噪声扰民 / 邻里纠纷, 举报违法犯罪 / 赌博 / 毒品犯罪, 财产损失 / 人员受伤事故), so that the
held-out accuracy is not trivially perfect. Synonym slots vary the key words (被盗 / 被偷 /
被人顺走, 转账 / 汇款). Noise on top: varied openings, times and places, class-neutral tails
(要求出警, 回拨无人接听 …), asides naming things of other categories (报警人骑电动车到场,
报警人称其曾因邻里纠纷报过警), a dropped character now and then, and very short texts.

Deterministic: the same ``seed`` gives the same examples (``random.Random(seed)``).
"""

from __future__ import annotations

import random
import re

CATEGORIES: dict[str, str] = {
    "01": "刑事", "0101": "盗窃", "0102": "诈骗", "0103": "电信网络诈骗", "0104": "抢劫抢夺",
    "0105": "故意伤害", "0106": "毒品犯罪", "0107": "其他刑事",
    "02": "治安", "0201": "殴打他人", "0202": "寻衅滋事", "0203": "赌博", "0204": "扰乱公共秩序",
    "0205": "噪声扰民", "0206": "故意损毁财物", "0207": "其他治安",
    "03": "交通事故", "0301": "财产损失事故", "0302": "人员受伤事故", "0303": "交通堵塞",
    "04": "火警", "0401": "火灾", "0402": "燃气泄漏爆炸",
    "05": "纠纷", "0501": "家庭纠纷", "0502": "邻里纠纷", "0503": "经济纠纷", "0504": "劳资纠纷",
    "0505": "物业纠纷", "0506": "其他纠纷",
    "06": "群众求助", "0601": "走失寻人", "0602": "突发疾病", "0603": "求助开锁",
    "0604": "其他求助",
    "07": "举报投诉", "0701": "举报违法犯罪", "0702": "投诉",
    "08": "其他", "0801": "其他警情",
}  # fmt: skip
SUBTYPES: tuple[str, ...] = tuple(code for code in CATEGORIES if len(code) == 4)


def _w(words: str) -> list[str]:
    """A word list written as one string, the words separated by spaces."""
    return words.split()


# Slot values; a value may itself contain slots. Repeated entries weight a choice.
SLOTS: dict[str, list[str]] = {
    "surname": _w(
        "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗 梁 宋 郑 谢 韩 唐 冯 于 "
        "董 程 曹 袁 邓 许 傅 沈"
    ),
    "name": _w("{surname}某 {surname}某某 {surname}某 {surname}先生 {surname}女士"),
    "road": _w(
        "阳头路 凤台街 书院巷 泽州路 文昌街 红星路 新市街 钟楼巷 迎宾大道 建设北路 西环路 "
        "府城街 太行路 白马寺街"
    ),
    "compound": _w(
        "幸福小区 阳光花园 锦绣家园 凤凰城 金域华府 书香苑 铁路家属院 东关新村 世纪名城 桃园小区"
    ),
    "spot": _w(
        "菜市场门口 公交站 广场 超市门口 学校门口 医院门口 网吧门口 夜市 十字路口 加油站旁 "
        "桥下 公园东门 汽车站 商场地下车库"
    ),
    "shop": _w("烧烤店 饭店 超市 KTV 网吧 棋牌室 便利店 理发店 酒吧 小卖部 药店 洗浴中心"),
    "place": _w(
        "{road}{k}号 {compound}{k}号楼 {compound} {road}{spot} {road}{shop} "
        "{road}与{road}交叉口 {compound}{k}单元 {compound}地下车库 {road}附近 {spot} "
        "{road}{k}号{shop}"
    ),
    "time": _w(
        "今日凌晨 今天凌晨{h}点左右 昨晚{h}点 昨天晚上 今天下午{h}时许 刚才 十分钟前 "
        "{h}时{m}分许 今晨 中午 半小时前 前天 晚上"
    ),
    "h": [str(i) for i in range(1, 13)],
    "m": _w("05 10 20 30 40 50 15 45"),
    "k": [str(i) for i in range(1, 40)],
    "age": [str(i) for i in (3, 4, 5, 6, 8, 10, 12, 14, 15, 16, 67, 72, 75, 78, 80, 83, 86)],
    "amount": _w(
        "{d}00 {d}000 {d}万 {d}.{d}万 {d}{d}00 {d}千 {d}000多 {d}万余 {d}{d}{d} 三千 五千 "
        "两万 一万多"
    ),
    "d": _w("1 2 3 4 5 6 7 8 9"),
    "vehicle": _w("电动车 电动车 电瓶车 自行车 摩托车 三轮车 小汽车"),
    "car": _w("小轿车 出租车 货车 面包车 公交车 SUV 渣土车 网约车 私家车"),
    "valuable": _w("手机 钱包 金项链 笔记本电脑 现金 金手镯 首饰 苹果手机 背包 银行卡"),
    "platform": _w("淘宝 京东 拼多多 抖音 快手 支付宝 微信"),
    "kin": _w("父亲 母亲 爷爷 奶奶 儿子 女儿 孩子 妻子 丈夫 外婆"),
    "other": _w("一男子 一陌生男子 对方 几名男子 一中年男子 一青年 一女子"),
    "org": _w("政府 街道办 社区居委会 银行 医院 营业厅 派出所"),
    "quarrel": _w("发生争吵 发生口角 发生矛盾 发生争执 吵架"),
    "opening": [
        *_w("报警人称 报警人称 报警人称 报警人{name}称 {name}报警称 {name}来电称 群众报警称"),
        *_w("市民来电反映 接报： 110指令：报警人称 接警： 来所报警称"),
        *[""] * 4,  # no opening at all
    ],
    "tail": _w(
        "请民警到场处理 要求出警 请求民警帮助 报警人情绪激动 回拨无人接听 "
        "报警人电话13{k}{k}{k}{k}{d} 现场有人围观 请尽快出警 具体情况不详 报警人说话口音较重 "
        "已告知报警人原地等候 报警人系外地人 报警人在{place}等候 报警人不愿透露姓名 "
        "报警人穿红色外套 请派警力核实 要求民警处理 报警人已离开现场 报警人在楼下等候 "
        "请{road}警务室处理"
    ),
    # Asides that name things of other categories without being the event.
    "aside": _w(
        "报警人骑{vehicle}到场 对方开一辆白色{car} 报警人称其曾因{matter}报过警 "
        "报警人称对方喝了酒 报警人手机快没电了 报警人称家中有老人小孩 报警人称钱包还在身上 "
        "报警人称此前与对方有矛盾 报警人的车停在路边 报警人称物业不管 报警人称对方是其邻居 "
        "报警人称对方有好几个人 报警人要求民警带执法记录仪 报警人称已经打过120 "
        "报警人称在{shop}上班 报警人称不想把事情闹大 报警人称对方认识其{kin}"
    ),
    # Words people use for the same thing, shared by the templates of a category.
    "stolen": _w("被盗 被偷 被人偷走 被人偷了 不见了，怀疑被盗 被人盗走 被人顺走"),
    "scammed": _w("被骗 被骗走 被人骗了 被诈骗"),
    "transfer": _w("转账 汇款 转了 通过银行卡转账 扫码付款"),
    "beaten": _w("被人打了 被人殴打 被打了几拳 被对方殴打 挨打了"),
    "hurt": _w("受伤 受伤流血 腿部受伤 头部受伤 倒地不起 伤势较重"),
    "fire": _w("着火 起火 失火 冒烟起火 燃烧"),
    "noise": _w("噪音扰民 噪声很大 太吵 吵得睡不着 声音很大影响休息"),
    "lost": _w("走失 走丢了 找不到了 失联 下落不明"),
    "pay": _w("工资 工钱 薪水 劳务费"),
    "neighbour": _w("邻居 隔壁邻居 楼上邻居 楼下邻居 对门邻居"),
    "gas": _w("煤气 燃气 天然气 液化气"),
    "crash": _w("相撞 发生碰撞 撞了 发生事故"),
    "matter": _w("邻里纠纷 家中被盗 噪音 物业问题 欠款 打架 车被剐蹭 家庭矛盾"),
}

# Per sub-type code: what happened, as the body of a 简要警情.
TEMPLATES: dict[str, list[str]] = {
    "0101": [  # 盗窃
        "其停放在{place}楼下的{vehicle}{stolen}",
        "其{vehicle}停在{place}，{time}发现被人偷走",
        "家中被盗，{valuable}等物品{stolen}，损失约{amount}元",
        "在{shop}购物时{valuable}{stolen}",
        "乘坐公交车时钱包被扒窃",
        "{place}一商铺夜间被撬门入室盗窃，丢失现金{amount}元",
        "停在{place}的车辆车窗被砸，车内{valuable}被盗",
        "{place}工地电缆被盗",
        "{vehicle}电瓶被人偷了",
        "家里进小偷了",
        "发现有人在{place}偷{vehicle}，已被群众控制",
        "放在门口的快递被人拿走",
        "{vehicle}{stolen}",
        "{valuable}{stolen}",
        "其在{spot}睡觉时{valuable}被人偷走",
        "店内收银台现金被盗{amount}元",
    ],
    "0102": [  # 诈骗 (face to face)
        "被人以介绍工作为由{scammed}{amount}元",
        "在{place}遇到两名男子，以捡到金条为由骗其{amount}元",
        "被人以帮忙办理低保为名骗去现金{amount}元",
        "购买的保健品系假货，被骗{amount}元",
        "有人冒充算命先生，称其家人有灾，骗走{valuable}",
        "借钱给{name}后对方失联，怀疑被骗",
        "被人以合伙投资为由骗取{amount}元",
        "在路边买到假玉器，被骗{amount}元",
        "{kin}被上门推销人员骗走{amount}元",
        "被人以假币调包骗走{amount}元",
        "{scammed}{amount}元",
        "有人以帮其孩子上学找关系为由收取{amount}元后失联",
        "被人以低价卖车为由骗取定金{amount}元",
    ],
    "0103": [  # 电信网络诈骗
        "接到自称{platform}客服电话，称其账户异常，按对方要求{transfer}{amount}元",
        "在网上刷单{scammed}{amount}元",
        "接到冒充公安机关的电话，称其涉嫌洗钱，要求转账至安全账户，已转{amount}元",
        "微信上有人冒充其领导要求{transfer}，已转{amount}元",
        "通过一款APP网上投资理财，无法提现，被骗{amount}元",
        "网购退款被骗，对方让其下载会议软件共享屏幕，银行卡被转走{amount}元",
        "在网上贷款被要求先交保证金，被骗{amount}元",
        "QQ上有人冒充其同学借钱，已转账{amount}元",
        "网上买卖游戏账号被骗{amount}元",
        "网恋对象诱导其在网站投资，被骗{amount}元",
        "收到短信点击链接后银行卡被转走{amount}元",
        "接到电话称其{kin}出车祸需要手术费，转账{amount}元",
        "在{platform}上被人以兼职点赞为由骗取{amount}元",
        "被电信诈骗{amount}元",
        "接到诈骗电话，已{transfer}",
    ],
    "0104": [  # 抢劫抢夺
        "在{place}被{other}抢走{valuable}",
        "被两名骑摩托车男子飞车抢夺挎包",
        "在{place}被人持刀抢劫，抢走现金{amount}元",
        "{time}在{place}被人拦住强行索要钱财",
        "{valuable}被人抢走，嫌疑人往{road}方向逃跑",
        "一男子冲进{shop}持刀抢劫收银台现金",
        "被人抢走了包",
        "在{spot}被{other}抢劫",
        "走夜路时被人从背后抢走{valuable}",
    ],
    "0105": [  # 故意伤害
        "被人用刀捅伤，现已送医",
        "被人用砖头砸伤头部，流血不止",
        "与人发生冲突被对方用棍棒打成重伤",
        "{name}在{place}被人砍伤，伤势较重",
        "被人泼硫酸烧伤面部",
        "被{other}殴打致骨折，已住院",
        "{place}有人持刀伤人",
        "有人被捅了，满身是血",
        "被人用啤酒瓶砸伤头部，已送医院缝针",
        "其{kin}被人打伤住院，鉴定为轻伤",
    ],
    "0106": [  # 毒品犯罪
        "{place}出租屋内有人吸食毒品",
        "发现有人在{place}贩卖毒品",
        "在{place}捡到疑似毒品的白色粉末",
        "{compound}楼下有人聚众吸毒",
        "其{kin}吸毒后精神异常，在家中打砸",
        "一男子疑似吸毒后驾驶车辆",
        "{place}有人种植罂粟",
        "有人在{shop}包间内吸食K粉",
        "发现{place}有吸毒用的锡纸和针管",
    ],
    "0107": [  # 其他刑事
        "在{place}发现一具男尸",
        "其{kin}被人非法拘禁，对方索要{amount}元",
        "有人强迫其交保护费",
        "被人敲诈勒索{amount}元",
        "收到恐吓信，称要杀其全家",
        "有人伪造其签名转让房产",
        "发现有人非法持有枪支",
        "有人猥亵其女儿",
        "有人在网上以裸照威胁其交钱",
        "其{kin}被人拐走",
        "有人在{place}故意纵火",
    ],
    "0201": [  # 殴打他人
        "在{place}{beaten}",
        "与{other}{quarrel}后被对方打了两拳",
        "在{shop}吃饭时与邻桌发生冲突，被对方殴打",
        "被出租车司机打了一巴掌",
        "有人在{place}打架",
        "{place}有人打架，双方约五六人",
        "因停车问题与人{quarrel}后{beaten}",
        "被{other}推搡并打了一耳光",
        "在{spot}被人殴打，脸部轻微擦伤",
        "{name}与{name}在{place}互殴",
        "{beaten}",
    ],
    "0202": [  # 寻衅滋事
        "有人在{place}酒后闹事",
        "一伙人在{shop}无故滋事，砸桌子",
        "{place}有人持棍棒追逐他人",
        "有人在{place}强拿硬要",
        "一醉酒男子在{shop}辱骂店员，拒不离开",
        "几名青年在{place}起哄闹事，随意殴打路人",
        "有人在{place}无故拦截过往车辆",
        "一男子在{spot}无故辱骂路人",
        "有人在{shop}吃饭不给钱还闹事",
    ],
    "0203": [  # 赌博
        "{place}有人聚众赌博",
        "{place}一棋牌室有人打麻将赌钱，赌资较大",
        "举报{place}有人开设赌场",
        "小区车库内有人玩扑克赌博",
        "其{kin}通过网络赌博，输了{amount}元",
        "{place}有人设老虎机赌博",
        "{compound}一出租屋内有人赌博",
        "有人在{spot}摆摊设赌",
        "{shop}里有人赌钱",
    ],
    "0204": [  # 扰乱公共秩序
        "有人在{place}拉横幅聚集",
        "一男子在{org}大厅吵闹，扰乱办公秩序",
        "有人在医院闹事，扰乱医疗秩序",
        "一乘客在公交车上抢夺方向盘",
        "有人在网上散布谣言称{place}要地震",
        "十余人在{place}围堵{org}大门",
        "有人多次拨打110骚扰",
        "学校门口有人聚集闹事",
        "有人在{spot}聚集，阻断交通讨说法",
    ],
    "0205": [  # 噪声扰民
        "{neighbour}装修{noise}",
        "楼上{time}一直有很大响声，影响休息",
        "{place}广场舞音响{noise}",
        "{place}工地夜间施工{noise}",
        "附近{shop}音响声音太大，影响休息",
        "楼下烧烤店夜间吵闹扰民",
        "有人在{place}唱歌喧哗扰民",
        "{neighbour}半夜吵闹，{noise}",
        "噪音扰民",
        "隔壁{shop}夜间放音乐声音大",
        "{place}有人深夜装修，电钻声音很大",
    ],
    "0206": [  # 故意损毁财物
        "其停放在{place}的车辆被人划伤",
        "车辆轮胎被人扎破",
        "家门被人泼油漆",
        "店铺玻璃被人砸碎",
        "门锁被人用胶水堵住",
        "{place}的监控探头被人破坏",
        "车窗玻璃被人砸坏，车内财物未丢失",
        "{vehicle}被人故意损坏",
        "家里的窗户被人用石头砸坏",
        "有人在{place}砸车",
    ],
    "0207": [  # 其他治安
        "有人在{place}违规燃放烟花爆竹",
        "发现有人在{place}偷拍女生",
        "有人在{place}遛狗不拴绳，狗咬伤路人",
        "一男子在{spot}携带管制刀具",
        "有人在{place}放飞孔明灯",
        "有人发送淫秽信息骚扰其{kin}",
        "一男子在{spot}露阴",
        "有人在{place}卖淫嫖娼",
        "有人冒用其身份证登记住宿",
        "有人在{place}私自架设无人机",
        "有人偷窥其洗澡",
    ],
    "0301": [  # 财产损失事故
        "在{place}发生两车刮擦，无人员受伤",
        "其车辆被一辆{car}追尾，双方对责任有争议",
        "在{place}倒车时撞到停放车辆",
        "一辆{car}撞坏路边护栏",
        "车辆被撞后对方驾车逃逸，无人受伤",
        "两辆电动车相撞，无人受伤",
        "{place}发生交通事故，两车受损",
        "与{car}发生剐蹭，要求定责",
        "停在{place}的车被人撞了，对方跑了",
        "{car}与{car}{crash}，车辆受损",
    ],
    "0302": [  # 人员受伤事故
        "在{place}发生交通事故，有人{hurt}",
        "一辆{car}与{vehicle}相撞，骑车人受伤倒地",
        "一行人被车撞倒，头部流血",
        "发生车祸，一人{hurt}，需要120",
        "骑{vehicle}被{car}撞伤，{hurt}",
        "一辆面包车撞倒一名老人后逃逸",
        "{place}两车{crash}，有人被困车内",
        "{car}撞人了，伤者躺在地上",
        "一名小孩被{car}撞伤",
        "{place}发生车祸，伤者昏迷",
    ],
    "0303": [  # 交通堵塞
        "{place}交通堵塞严重",
        "{place}有车辆违停堵住小区出口",
        "{place}车辆抛锚导致道路拥堵",
        "{place}红绿灯故障，车辆拥堵",
        "有车辆堵住其车库门口，无法出车，请求挪车",
        "{place}道路积水，车辆无法通行",
        "一辆大货车在{road}占道卸货造成堵车",
        "{place}堵车了",
        "有车挡住其车，联系不上车主",
    ],
    "0401": [  # 火灾
        "{place}一居民楼{fire}，有浓烟冒出",
        "{place}有垃圾堆{fire}",
        "{place}一辆{car}起火",
        "家中厨房油锅起火",
        "{place}一商铺{fire}",
        "{place}后山有明火",
        "{vehicle}充电时起火",
        "看到{place}有黑烟冒出，疑似着火",
        "着火了",
        "{place}楼道杂物燃烧",
        "{shop}后厨{fire}，火势较大",
    ],
    "0402": [  # 燃气泄漏爆炸
        "家中闻到很浓的{gas}味，疑似{gas}泄漏",
        "{place}一饭店发生{gas}爆炸",
        "{place}燃气管道被挖断，燃气泄漏",
        "楼道内有{gas}味",
        "液化气罐漏气",
        "{place}一居民家中传出爆炸声",
        "{compound}{gas}泄漏",
        "{shop}煤气罐爆炸，有人被困",
    ],
    "0501": [  # 家庭纠纷
        "{name}与妻子{quarrel}，要求民警调解",
        "与丈夫因家庭琐事{quarrel}，丈夫在家摔东西",
        "与儿子因赡养问题发生矛盾",
        "兄弟之间因分家产问题发生纠纷",
        "其丈夫酒后与其吵架，将其赶出家门",
        "婆媳之间{quarrel}",
        "与前夫因孩子抚养问题{quarrel}",
        "被丈夫打了，要求处理",
        "夫妻吵架",
        "与{kin}因家庭琐事{quarrel}",
        "其{kin}喝酒后在家闹事",
    ],
    "0502": [  # 邻里纠纷
        "与{neighbour}因楼道堆放杂物{quarrel}",
        "楼上漏水到其家中，与{neighbour}协商未果",
        "与{neighbour}因停车位{quarrel}",
        "与邻居因宅基地界限发生纠纷",
        "邻居家的狗咬了其孩子，协商赔偿未果",
        "与对门邻居{quarrel}",
        "邻居在门口放杂物，多次协商未果",
        "邻居装修损坏其墙体",
        "邻里纠纷",
        "与{neighbour}因排水问题{quarrel}",
        "与楼下邻居因油烟问题{quarrel}",
    ],
    "0503": [  # 经济纠纷
        "{name}欠其{amount}元不还",
        "与{shop}老板因退款问题发生纠纷",
        "购买的手机质量有问题，商家拒绝退货",
        "房东不退押金{amount}元",
        "与合伙人因分账问题发生纠纷",
        "打车时与司机因车费{quarrel}",
        "在{shop}吃饭时因价格问题与老板{quarrel}",
        "借给朋友{amount}元，对方拒不归还",
        "与装修公司因工程款{quarrel}",
        "买卖二手车发生纠纷，对方不退定金{amount}元",
    ],
    "0504": [  # 劳资纠纷
        "{name}等{k}名工人被拖欠{pay}{amount}元",
        "老板拖欠{pay}不给",
        "在{place}工地干活，包工头拖欠工钱",
        "被公司无故辞退，要求赔偿",
        "{k}名工人在{place}聚集讨要{pay}",
        "公司不给缴纳社保，与老板{quarrel}",
        "{shop}老板拖欠其{k}个月{pay}",
        "讨薪",
        "农民工讨要{pay}{amount}元",
    ],
    "0505": [  # 物业纠纷
        "与物业因停车收费问题发生纠纷",
        "物业停水停电，业主不满",
        "{compound}物业拒绝其车辆进入",
        "业主与物业保安{quarrel}",
        "因拖欠物业费，物业将其门禁卡停用",
        "{compound}业主聚集在物业办公室讨说法",
        "与物业因电梯维修费用{quarrel}",
        "物业纠纷",
        "{compound}物业保安不让其进小区",
    ],
    "0506": [  # 其他纠纷
        "与{shop}店员因服务态度发生纠纷",
        "与医院因治疗费用发生纠纷",
        "与学校因孩子受伤问题发生纠纷",
        "与人{quarrel}，要求民警到场处理",
        "与出租车司机发生纠纷",
        "与快递员因快递丢失{quarrel}",
        "在{place}与人发生纠纷",
        "与{other}因琐事{quarrel}",
        "与驾校因退费问题发生纠纷",
    ],
    "0601": [  # 走失寻人
        "一老人{lost}",
        "其{kin}（{age}岁）{time}出门后至今未归，联系不上",
        "其{age}岁的孩子在{place}{lost}",
        "在{place}发现一名走失老人，神志不清，说不清家庭住址",
        "其父亲患有老年痴呆，外出后未回家",
        "有一小孩在{spot}哭，找不到家人",
        "其{kin}离家出走，留下字条",
        "{kin}{lost}",
        "孩子找不到了",
        "其{kin}放学后未回家，电话关机",
    ],
    "0602": [  # 突发疾病
        "{place}有一老人晕倒在地",
        "一男子在{place}突发疾病倒地，需要救助",
        "一醉酒男子躺在路边，人事不省",
        "家中{kin}突然昏迷，已联系120",
        "{place}有人抽搐倒地",
        "一孕妇在{place}即将分娩，需要帮助",
        "其{kin}心脏病发作，请求帮助送医",
        "有人晕倒了",
        "{spot}一女子突然晕倒，口吐白沫",
    ],
    "0603": [  # 求助开锁
        "钥匙锁在家里，请求开锁",
        "家门钥匙丢失无法进门",
        "小孩被反锁在家中，请求帮助开门",
        "车钥匙锁在车内",
        "其{kin}独居，敲门无人应答，请求帮助开门",
        "忘带钥匙，请求民警联系开锁公司",
        "开锁",
        "门打不开了，请求开锁",
        "{compound}家中门锁坏了，人在门外进不去",
    ],
    "0604": [  # 其他求助
        "其{valuable}丢失，请求帮助查找",
        "在{place}捡到一个钱包，请求民警处理",
        "有一只狗闯入家中，请求帮助",
        "{place}有人落水",
        "{place}有马蜂窝，请求帮助处理",
        "一条蛇进入家中",
        "下车时{valuable}遗落在出租车上",
        "手机没电无法回家，请求帮助",
        "{place}井盖丢失，存在安全隐患",
        "被困电梯内，请求救援",
        "{place}有大树倒伏挡路",
    ],
    "0701": [  # 举报违法犯罪
        "举报{place}有人销售假冒伪劣商品",
        "举报有人非法行医",
        "举报{place}一KTV存在涉黄行为",
        "举报有人组织传销",
        "举报{shop}接纳未成年人上网",
        "举报{place}有黑车非法营运",
        "举报有人在网上散布违法信息",
        "举报有人非法收购废旧电缆",
        "举报{place}有人无证经营烟花爆竹",
        "举报{name}涉嫌违法犯罪",
        "举报{place}一加工厂非法排污",
    ],
    "0702": [  # 投诉
        "投诉{place}的{shop}乱收费",
        "投诉民警出警慢",
        "投诉{org}工作人员态度恶劣",
        "投诉{place}占道经营",
        "投诉{place}路灯不亮",
        "对派出所户籍窗口工作人员态度不满",
        "投诉派出所不作为",
        "投诉",
        "投诉{shop}卖过期食品",
        "投诉{road}有人乱停车一直没人管",
    ],
    "0801": [  # 其他警情
        "有事找民警",
        "报警人未说话即挂断",
        "咨询办理身份证事宜",
        "询问{org}的电话号码",
        "小孩误拨110",
        "电话打错了",
        "需要开具证明，咨询办理流程",
        "要求与民警面谈",
        "称有事反映，具体不愿电话说",
        "咨询出入境办理",
        "无声电话",
    ],
}

_SLOT = re.compile(r"\{(\w+)\}")


def _fill(template: str, rng: random.Random) -> str:
    """Fill ``{slot}``s with random values, recursively (a place holds a road …)."""

    def draw(match: re.Match[str]) -> str:
        return _fill(rng.choice(SLOTS[match.group(1)]), rng)

    return _SLOT.sub(draw, template)


def _describe(body: str, code: str, rng: random.Random) -> str:
    """One 简要警情 around a template: an opening, sometimes a time or place, the body,
    sometimes tails and an aside."""
    roll = rng.random()
    if code != "0801":  # 其他警情: nothing happened anywhere, so no time or place
        if roll < 0.25:
            body = ("{time}，" if roll < 0.12 else "{time}") + body
        elif roll < 0.45 and "{place}" not in body:
            body = "在{place}，" + body
    tails = ["{tail}"] * rng.choice((0, 0, 1, 1, 2))
    if rng.random() < 0.3:
        tails.insert(rng.randint(0, len(tails)), "{aside}")
    text = _fill(rng.choice("，,。").join(["{opening}" + body, *tails]), rng)
    if len(text) > 8 and rng.random() < 0.1:  # a typo: one character dropped
        cut = rng.randrange(len(text))
        text = text[:cut] + text[cut + 1 :]
    if rng.random() < 0.1:
        text = text.replace("，", " ")
    return text


def examples(
    count_per_code: int, seed: int, templates: dict[str, list[str]] | None = None
) -> list[tuple[str, str]]:
    """``count_per_code`` (text, sub-type code) pairs for every sub-type, shuffled.
    ``templates`` replaces :data:`TEMPLATES` (to hold whole templates out)."""
    rng = random.Random(seed)  # noqa: S311 (reproducible data, not secrets)
    templates = templates or TEMPLATES
    found = [
        (_describe(rng.choice(templates[code]), code, rng), code)
        for code in SUBTYPES
        for _ in range(count_per_code)
    ]
    rng.shuffle(found)
    return found
