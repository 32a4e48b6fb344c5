"""Lists joined in the reader's language: "、" is Chinese punctuation only."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from fengqiao.core.text import join_list
from fengqiao.disputes.mediators.views import _labels
from fengqiao.scoring.indicators import parse


def test_join_list_uses_the_enumeration_comma_in_chinese_and_a_comma_in_english():
    with translation.override("zh-hans"):
        assert join_list(["张三", "李四"]) == "张三、李四"
    with translation.override("en"):
        assert join_list(["Criminal", "Civil"]) == "Criminal, Civil"
        assert join_list([]) == ""


def test_the_template_filter_joins_in_the_active_language_and_escapes():
    template = Template("{% load core_tags %}{{ items|join_list }}")
    with translation.override("en"):
        assert template.render(Context({"items": ["a", "<b>"]})) == "a, &lt;b&gt;"
    with translation.override("zh-hans"):
        assert template.render(Context({"items": ["甲", "乙"]})) == "甲、乙"


def test_labels_of_codes_are_joined_in_english_without_the_chinese_comma():
    with translation.override("en"):
        assert _labels(["a", "b"], {"a": "Mandarin", "b": "Cantonese"}) == "Mandarin, Cantonese"


def test_a_formula_error_lists_the_functions_with_english_commas():
    with translation.override("en"), pytest.raises(Exception) as refused:
        parse("f(a)", facts=["a"], indicators=[])
    assert "ratio, percent, min, max, ifnone" in str(refused.value)
    assert "、" not in str(refused.value)
