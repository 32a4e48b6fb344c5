"""Template tags of the 一屏尽览 pages: a count that links to its records, a change
written out the way a briefing says it (同比下降19.9%)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from fengqiao.dashboards.figures import Figure

register = template.Library()


def records_url(query: str) -> str:
    return f"{reverse('dashboards:records')}?{query}"


@register.simple_tag(takes_context=True)
def count(context: Any, figure: Figure, css: str = "") -> SafeString:
    """The figure's value, a link to the records behind it for users who may read
    records (analysts see aggregates only, so theirs is plain text)."""
    classes = f"count {css}".strip()
    if context.get("can_records") and figure.query:
        return format_html(
            '<a class="{}" href="{}" title="{}">{}</a>',
            classes,
            records_url(figure.query),
            _("查看这%(n)s条记录") % {"n": figure.value},
            figure.value,
        )
    return format_html('<span class="{}">{}</span>', classes, figure.value)


def change_words(change: Decimal | None, then: int | None, which: str) -> tuple[str, str]:
    """(css class, words) for a change against the same span of an earlier period."""
    name = _("同比") if which == "yoy" else _("环比")
    if then is None:
        return "", ""
    if change is None:  # nothing to compare with: the earlier span had none
        return "none", _("%(name)s —") % {"name": name}
    if change > 0:
        return "up", _("%(name)s上升%(pct)s%%") % {"name": name, "pct": change}
    if change < 0:
        return "down", _("%(name)s下降%(pct)s%%") % {"name": name, "pct": -change}
    return "flat", _("%(name)s持平") % {"name": name}


@register.simple_tag
def change(
    figure: Figure, which: str = "yoy", good: str = "down", lead: bool = False
) -> SafeString:
    """同比 (``yoy``) or 环比 (``mom``) of a figure, with an arrow; ``good`` says which
    direction is the welcome one (fewer incidents). In a sentence (``lead``) it follows
    a comma, and is left out when there is nothing to compare with."""
    value = figure.change_yoy if which == "yoy" else figure.change
    then = figure.year_before if which == "yoy" else figure.previous
    css, words = change_words(value, then, which)
    if not words or (lead and css == "none"):
        return SafeString("")
    arrow = {"up": "▲", "down": "▼", "flat": "■"}.get(css, "")
    tone = "good" if css == good else ("bad" if css in ("up", "down") else "")
    title = (_("上年同期 %(n)s") if which == "yoy" else _("上期 %(n)s")) % {"n": then}
    return format_html(
        '{}<span class="change {} {}" title="{}"><span aria-hidden="true">{}</span> {}</span>',
        _("，") if lead else "",
        css,
        tone,
        title,
        arrow,
        words,
    )


@register.filter
def rate(value: Decimal | None) -> str:
    """A percentage with one decimal, or a dash when there was nothing to divide."""
    return "—" if value is None else f"{value}%"
