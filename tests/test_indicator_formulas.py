"""The indicator formula language: what it computes, and every definition it refuses
before anything is stored, with a message that names the problem."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fengqiao.core.roles import Role
from fengqiao.scoring import facts, indicators, services
from fengqiao.scoring.indicators import FormulaError, IndicatorInfo
from fengqiao.scoring.models import Indicator

FACT_NAMES = list(facts.FACTS)


def run(text: str, **values: object) -> Decimal | None:
    formula = indicators.parse(text, facts=FACT_NAMES, indicators=["other"])
    return formula({k: (None if v is None else Decimal(str(v))) for k, v in values.items()})


def refusal(text: str, *, levels=("station",), others=None, code="mine") -> str:
    with pytest.raises(FormulaError) as caught:
        indicators.check(
            code=code, formula=text, levels=levels, facts=facts.FACT_LEVELS,
            indicators=others or {}, level_labels=services.level_labels(),
        )  # fmt: skip
    return caught.value.messages[0]


# --- what a formula computes ---------------------------------------------------------------


def test_percent_and_ratio_compute_exactly():
    assert run("percent(disputes_resolved, disputes_closed)", disputes_resolved=2,
               disputes_closed=3) == Decimal(200) / Decimal(3)  # fmt: skip
    assert run("ratio(incidents - incidents_incomplete, incidents)", incidents=8,
               incidents_incomplete=2) == Decimal("0.75")  # fmt: skip


def test_a_ratio_with_nothing_to_count_has_no_value_and_it_propagates():
    assert run("percent(disputes_resolved, disputes_closed)", disputes_resolved=0,
               disputes_closed=0) is None  # fmt: skip
    assert run("100 - percent(surveys_satisfied, surveys)", surveys_satisfied=0,
               surveys=0) is None  # fmt: skip
    assert run("max(ratio(surveys, incidents), 1)", surveys=1, incidents=0) is None


def test_ifnone_min_max_constants_and_typeset_signs():
    assert run("ifnone(ratio(surveys, incidents), 1)", surveys=1, incidents=0) == 1
    assert run("min(incidents, surveys, 3)", incidents=5, surveys=4) == 3
    assert run("max(incidents, surveys)", incidents=5, surveys=4) == 5
    assert run("incidents ÷ 2 × 3 − -1", incidents=5) == Decimal("8.5")
    assert run("other * 2", other=Decimal("1.5")) == 3


# --- refused at definition time --------------------------------------------------------------


def test_a_syntax_error_is_refused_with_where():
    message = refusal("percent(disputes_resolved, disputes_closed")
    assert "语法错误" in message


def test_an_unknown_fact_is_refused_by_name_with_a_suggestion():
    message = refusal("percent(disputes_resolvd, disputes_closed)")
    assert "未知的事实或指标“disputes_resolvd”" in message
    assert "disputes_resolved" in message


def test_a_division_by_a_fact_is_refused_and_points_to_ratio():
    message = refusal("disputes_resolved / disputes_closed")
    assert "除数可能为0" in message and "ratio" in message


@pytest.mark.parametrize(
    "text", ["incidents / 0", "incidents / (2 - 2)", "ratio(incidents, 0)",
             "percent(incidents, 1 - 1)", "incidents / (1 / 0)"],
)  # fmt: skip
def test_a_literal_division_by_zero_is_refused(text):
    assert "除数为0" in refusal(text)


def test_a_division_by_a_nonzero_constant_is_accepted():
    formula = indicators.check(
        code="half", formula="incidents / 2", levels=["station"], facts=facts.FACT_LEVELS,
        indicators={},
    )  # fmt: skip
    assert formula({"incidents": Decimal(3)}) == Decimal("1.5")


@pytest.mark.parametrize(
    "text, words",
    [
        ("__import__('os').system('true')", "不支持的函数"),
        ("incidents.real", "不支持"),
        ("incidents ** 2", "运算符"),
        ("incidents > 3", "不支持"),
        ("'abc'", "只能使用数字"),
        ("[incidents]", "不支持"),
        ("ratio(incidents)", "需要2个参数"),
        ("min(a=incidents, b=surveys)", "不支持的函数"),
        ("lambda: 1", "不支持"),
        ("True", "只能使用数字"),
    ],
)
def test_anything_but_the_small_language_is_refused(text, words):
    assert words in refusal(text)


def test_a_fact_that_does_not_exist_for_a_level_is_refused():
    message = refusal("percent(clocks_met, clocks_due)", levels=["station", "officer"])
    assert "事实“clocks_due”不适用于民警" in message


def test_a_reference_cycle_between_indicators_is_refused_with_its_chain():
    others = {
        "b": IndicatorInfo("b", frozenset({"station"}), frozenset({"c"})),
        "c": IndicatorInfo("c", frozenset({"station"}), frozenset({"a"})),
    }
    message = refusal("b + 1", code="a", others=others)
    assert "循环引用" in message and "a → b → c → a" in message


def test_an_indicator_referring_to_itself_is_a_cycle():
    assert "a → a" in refusal("a + 1", code="a")


def test_a_reference_to_an_inactive_or_narrower_indicator_is_refused():
    inactive = {"b": IndicatorInfo("b", frozenset({"station"}), frozenset(), active=False)}
    assert "已停用" in refusal("b * 2", others=inactive)
    narrow = {"b": IndicatorInfo("b", frozenset({"station"}), frozenset())}
    assert "不适用于" in refusal("b * 2", levels=["station", "county_bureau"], others=narrow)


# --- through the service: nothing stored when refused ----------------------------------------


def definition(code, formula="percent(disputes_resolved, disputes_closed)", **extra):
    values = {"code": code, "name": f"指标{code}", "levels": ["station"], "target": 95,
              "weight": 10, "formula": formula}  # fmt: skip
    values.update(extra)
    return services.IndicatorInput(**values)


def test_every_seeded_indicator_passes_the_definition_checks(db):
    seeded = list(Indicator.objects.all())
    assert {i.code for i in seeded} >= {
        "dispute_resolution", "followup_rate", "followup_satisfaction", "public_satisfaction",
        "clocks_on_time", "quick_solve_rate", "criminal_conversion", "data_completeness",
        "party_building", "law_enforcement", "department_evaluation", "whistle_response",
    }  # fmt: skip
    for indicator in seeded:
        data = services.IndicatorInput(
            code=indicator.code, name=indicator.name, levels=indicator.levels,
            target=indicator.target, weight=indicator.weight, direction=indicator.direction,
            zero_at=indicator.zero_at, manual=indicator.manual, formula=indicator.formula,
            active=indicator.active,
        )  # fmt: skip
        services.clean_indicator(data, existing=indicator)
    station_weights = sum(i.weight for i in seeded if "station" in i.levels)
    assert station_weights == 100


def test_a_cycle_made_by_editing_an_indicator_is_refused_and_nothing_changes(world):
    admin = world.admin
    a = services.save_indicator(actor=admin, data=definition("aa"))
    services.save_indicator(actor=admin, data=definition("bb", "aa * 2"))
    with pytest.raises(ValidationError) as caught:
        services.save_indicator(
            actor=admin, data=definition("aa", "bb + 1"), indicator=a,
            expected_version=a.version,
        )  # fmt: skip
    assert "aa → bb → aa" in caught.value.message_dict["formula"][0]
    a.refresh_from_db()
    assert a.formula == "percent(disputes_resolved, disputes_closed)" and a.version == 1


def test_an_indicator_others_use_cannot_be_switched_off_or_narrowed(world):
    admin = world.admin
    a = services.save_indicator(actor=admin, data=definition("aa", levels=["station", "officer"]))
    both = ["station", "officer"]
    services.save_indicator(actor=admin, data=definition("bb", "aa * 2", levels=both))
    with pytest.raises(ValidationError) as caught:
        services.save_indicator(actor=admin, data=definition("aa", active=False,
                                levels=["station", "officer"]), indicator=a)  # fmt: skip
    assert "bb" in caught.value.message_dict["active"][0]
    with pytest.raises(ValidationError) as caught:
        services.save_indicator(actor=admin, data=definition("aa"), indicator=a)
    assert "bb" in caught.value.message_dict["levels"][0]


def test_targets_zero_lines_and_codes_are_checked(world):
    with pytest.raises(ValidationError) as caught:
        services.save_indicator(actor=world.admin, data=definition(
            "incidents", direction="lower", target=5, zero_at=1, weight=0))  # fmt: skip
    errors = caught.value.message_dict
    assert "事实或函数的名称" in errors["code"][0]
    assert "零分值应高于目标值" in errors["zero_at"][0]
    assert "分值" in errors["weight"][0]
    assert not Indicator.objects.filter(code="incidents").exists()


def test_a_manual_indicator_needs_no_formula_and_refuses_one(world):
    manual = services.save_indicator(
        actor=world.admin, data=definition("tidy", formula="", manual=True, target=100)
    )
    assert manual.manual and manual.formula == ""
    with pytest.raises(ValidationError) as caught:
        services.save_indicator(actor=world.admin, data=definition("tidy2", manual=True))
    assert "手工录入" in caught.value.message_dict["formula"][0]


def test_only_scoring_managers_define_indicators(world):
    with pytest.raises(PermissionDenied):
        services.save_indicator(actor=world.a[Role.STATION_CHIEF], data=definition("aa"))


def test_the_form_shows_the_refusal_at_the_formula_and_keeps_the_input(client, world):
    client.force_login(world.admin)
    response = client.post(reverse("scoring:indicator_create"), {
        "code": "share", "name": "占比", "levels": ["station"], "formula": "incidents / surveys",
        "direction": "higher", "target": "90", "zero_at": "0", "weight": "10", "sort": "0",
        "active": "on",
    })  # fmt: skip
    assert response.status_code == 422
    page = response.content.decode()
    assert "除数可能为0" in page and "incidents / surveys" in page and "占比" in page
    assert not Indicator.objects.filter(code="share").exists()
    response = client.post(reverse("scoring:indicator_create"), {
        "code": "share", "name": "占比", "levels": ["station"],
        "formula": "percent(surveys, incidents)", "direction": "higher", "target": "90",
        "zero_at": "0", "weight": "10", "sort": "0", "active": "on",
    })  # fmt: skip
    assert response.status_code == 302
    assert Indicator.objects.get(code="share").formula == "percent(surveys, incidents)"


def test_the_indicator_form_is_for_scoring_managers_only(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    assert client.get(reverse("scoring:indicator_create")).status_code == 403
    assert client.get(reverse("scoring:indicators")).status_code == 200
