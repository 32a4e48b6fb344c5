"""The default 一表通考 table, drawn from the seeds: Gansu's one-table evaluation of
cities, counties, stations and officers; Xiamen Huli's 多考一体 (business results,
party-building and law-enforcement assessments in one); Jinhua's 双向考核 (stations
rate the bureau's departments). Deployments change it on the indicator page."""

from decimal import Decimal

from django.db import migrations

UNITS = ["station", "county_bureau", "city_bureau"]
PEOPLE = [*UNITS, "officer"]

# code, name, formula ("" = manual), unit, direction, target, zero_at, weight, levels, text
INDICATORS = [
    ("dispute_resolution", "矛盾纠纷化解率", "percent(disputes_resolved, disputes_closed)", "%",
     "higher", 98, 80, 15, PEOPLE,
     "考核期内受理的纠纷中，已化解数占已结案数的比例（金华98.9%、湖里99.9%）。"),
    ("followup_rate", "回访率", "percent(followups_due_done, followups_due)", "%",
     "higher", 100, 60, 10, PEOPLE,
     "计划回访日期在考核期内的回访中已完成的比例。"),
    ("followup_satisfaction", "回访满意率", "percent(followups_satisfied, followups_rated)", "%",
     "higher", 95, 70, 10, PEOPLE,
     "考核期内完成且记录了满意度的回访中，满意和基本满意的比例。"),
    ("public_satisfaction", "群众满意率", "percent(surveys_satisfied, surveys)", "%",
     "higher", 95, 70, 15, PEOPLE,
     "报警人办结后评价（阳光坐席）中满意和基本满意的比例。"),
    ("clocks_on_time", "时限达标率", "percent(clocks_met, clocks_due)", "%",
     "higher", 95, 60, 10, UNITS,
     "到期日在考核期内的派警、到场、破案、办结等时限中按时完成的比例。"),
    ("quick_solve_rate", "小案快侦破案率", "percent(quick_clocks_met, quick_clocks_due)", "%",
     "higher", 60, 0, 10, UNITS,
     "盗窃等小案“破案时限”和“快侦快破时限”按时完成的比例。"),
    ("criminal_conversion", "民转刑率", "percent(disputes_criminal, disputes)", "%",
     "lower", 0, 2, 10, UNITS,
     "考核期内受理的纠纷中转为刑事案件的比例，越低越好；达到2%不得分。"),
    ("data_completeness", "案事件要素录入率",
     "percent(incidents - incidents_incomplete, incidents)", "%",
     "higher", 98, 80, 5, PEOPLE,
     "考核期内接报的警情中，既关联了标准地址又确认了类别的比例。"),
    ("party_building", "党建考评", "", "分", "higher", 100, 60, 10, [*PEOPLE, "department"],
     "多考一体：党建考评得分（百分制），由政工部门按考核期录入。"),
    ("law_enforcement", "执法质量考评", "", "分", "higher", 100, 60, 5, PEOPLE,
     "多考一体：执法质量考评得分（百分制），由法制部门按考核期录入。"),
    ("department_evaluation", "双向评价得分", "evaluation_average", "分",
     "higher", Decimal("4.5"), 2, 60, ["department"],
     "派出所对机关警种部门的评价（服务态度、响应速度、协作质量，1—5分）的平均分；"
     "参评派出所少于3个时无值。"),
    ("whistle_response", "吹哨报到及时率",
     "percent(whistles_received - whistles_escalated, whistles_received)", "%",
     "higher", 100, 60, 30, ["department"],
     "考核期内向本部门吹哨的请求中，未因超期而升级的比例。"),
]  # fmt: skip


def seed(apps, schema_editor):
    Indicator = apps.get_model("scoring", "Indicator")
    for sort, (code, name, formula, unit, direction, target, zero_at, weight, levels,
               text) in enumerate(INDICATORS, start=1):  # fmt: skip
        Indicator.objects.get_or_create(
            code=code,
            defaults={
                "name": name, "formula": formula, "manual": not formula, "unit": unit,
                "direction": direction, "target": Decimal(target), "zero_at": Decimal(zero_at),
                "weight": Decimal(weight), "levels": levels, "description": text,
                "sort": sort * 10,
            },
        )  # fmt: skip


def unseed(apps, schema_editor):
    apps.get_model("scoring", "Indicator").objects.filter(
        code__in=[row[0] for row in INDICATORS], version=1
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("scoring", "0002_indicators_scores_evaluations")]

    operations = [migrations.RunPython(seed, unseed)]
