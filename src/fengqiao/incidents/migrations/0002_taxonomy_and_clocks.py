"""The category taxonomy used in police statistics and the default clocks.

Both are configuration: stations may add sub-types and rules; codes never change."""

from django.db import migrations

TAXONOMY = {
    ("01", "刑事"): [("0101", "盗窃"), ("0102", "诈骗"), ("0103", "电信网络诈骗"),
                   ("0104", "抢劫抢夺"), ("0105", "故意伤害"), ("0106", "毒品犯罪"),
                   ("0107", "其他刑事")],
    ("02", "治安"): [("0201", "殴打他人"), ("0202", "寻衅滋事"), ("0203", "赌博"),
                   ("0204", "扰乱公共秩序"), ("0205", "噪声扰民"), ("0206", "故意损毁财物"),
                   ("0207", "其他治安")],
    ("03", "交通事故"): [("0301", "财产损失事故"), ("0302", "人员受伤事故"), ("0303", "交通堵塞")],
    ("04", "火警"): [("0401", "火灾"), ("0402", "燃气泄漏爆炸")],
    ("05", "纠纷"): [("0501", "家庭纠纷"), ("0502", "邻里纠纷"), ("0503", "经济纠纷"),
                   ("0504", "劳资纠纷"), ("0505", "物业纠纷"), ("0506", "其他纠纷")],
    ("06", "群众求助"): [("0601", "走失寻人"), ("0602", "突发疾病"), ("0603", "求助开锁"),
                     ("0604", "其他求助")],
    ("07", "举报投诉"): [("0701", "举报违法犯罪"), ("0702", "投诉")],
    ("08", "其他"): [("0801", "其他警情")],
}  # fmt: skip

AFTER_DISPATCH = ["dispatched", "on_scene", "linked", "handled", "case_registered",
                  "to_dispute"]  # fmt: skip
ARRIVED = ["on_scene", "handled", "case_registered", "to_dispute"]
SOLVED = ["handled", "case_registered", "to_dispute"]
# (name, kind, category code or None for all, minutes, reported within, stop statuses)
RULES = [
    ("派警：接警后5分钟内派警", "dispatch", None, 5, None, AFTER_DISPATCH),
    ("到场：派警后按时到达现场（接警后20分钟内）", "arrival", None, 20, None, ARRIVED),
    ("小案快侦：盗窃案件24小时内侦破", "solve", "0101", 24 * 60, None, SOLVED),
    ("快侦快破：发案1小时内报警的盗窃，3小时内侦破追赃", "quick_solve", "0101", 180, 60, SOLVED),
    ("纠纷：72小时内化解或转调解", "close", "05", 72 * 60, None, SOLVED),
]


def seed(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    DeadlineRule = apps.get_model("incidents", "DeadlineRule")
    for top_sort, ((code, name), children) in enumerate(TAXONOMY.items()):
        top = Category.objects.create(code=code, name=name, sort=top_sort * 100)
        for sort, (child_code, child_name) in enumerate(children, start=1):
            Category.objects.create(code=child_code, name=child_name, parent=top,
                                    sort=top_sort * 100 + sort)  # fmt: skip
    for name, kind, category, minutes, within, stops in RULES:
        DeadlineRule.objects.create(
            name=name, kind=kind, minutes=minutes, reported_within_minutes=within,
            stop_statuses=stops,
            category=Category.objects.get(code=category) if category else None,
        )  # fmt: skip


def unseed(apps, schema_editor):
    apps.get_model("incidents", "DeadlineRule").objects.all().delete()
    Category = apps.get_model("incidents", "Category")
    Category.objects.exclude(parent=None).delete()
    Category.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
