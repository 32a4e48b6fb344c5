from __future__ import annotations

from collections.abc import Iterable

from django import template

from fengqiao.core.text import join_list as _join_list

register = template.Library()


@register.filter
def join_list(items: Iterable[object]) -> str:
    """``{{ names|join_list }}``: the list joined with the active language's separator
    (autoescaped like any other value)."""
    return _join_list(items)
