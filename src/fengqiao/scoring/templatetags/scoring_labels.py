"""``{{ name|indicator_label }}``: an indicator's name or unit as the reader reads it —
seeded ones translated, typed ones as typed. For names kept in a score's snapshot of its
definitions as well as for the indicator itself."""

from __future__ import annotations

from django import template

from fengqiao.scoring import indicators

register = template.Library()


@register.filter
def indicator_label(text: str) -> str:
    return indicators.label(text or "")
