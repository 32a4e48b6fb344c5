from __future__ import annotations

from django import template

from fengqiao.addresses import codes

register = template.Library()


@register.filter
def grouped_code(code: str) -> str:
    """14050200000019 → 140502 0000001 9, as printed on the doorplate."""
    return codes.grouped(code) if code and len(code) == codes.CODE_LENGTH else code
