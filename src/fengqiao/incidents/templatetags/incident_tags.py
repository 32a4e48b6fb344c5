"""Display helpers of the 警情 pages: grouped tracking codes, clock badges, durations."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.translation import gettext as _

from fengqiao.incidents import codes
from fengqiao.incidents.selectors import ClockState

register = template.Library()


@register.filter
def tracking_code(code: str) -> str:
    """7K3Q9M2AX4 → 7K3Q 9M2A X4, the way it is read out on the phone."""
    return codes.grouped(code) if code else ""


def duration_text(delta: dt.timedelta) -> str:
    """A span in the words a duty officer reads at a glance: 3天4小时, 1小时5分钟, 12分钟."""
    minutes = int(abs(delta).total_seconds() // 60)
    if minutes < 1:
        return _("不到1分钟")
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d小时%(m)d分钟") % {"h": hours, "m": minutes}
    return _("%(m)d分钟") % {"m": minutes}


@register.filter
def time_left(state: ClockState) -> str:
    """剩余 12分钟 / 超时 1小时5分钟 for a running clock; 按时完成 / 超时完成 for a met one."""
    if state.deadline.met_at is not None:
        if state.remaining >= dt.timedelta(0):
            return _("按时完成")
        return _("超时%(span)s完成") % {"span": duration_text(state.remaining)}
    if state.remaining <= dt.timedelta(0):
        return _("超时 %(span)s") % {"span": duration_text(state.remaining)}
    return _("剩余 %(span)s") % {"span": duration_text(state.remaining)}


@register.filter
def clock_class(state: ClockState) -> str:
    """ok / amber / red while running; met (in time) or late once stopped."""
    if state.deadline.met_at is not None:
        return "met" if state.remaining >= dt.timedelta(0) else "late"
    return state.level


@register.inclusion_tag("incidents/_clock.html")
def clock_badge(state: ClockState | None, with_rule: bool = False) -> dict[str, Any]:
    """The coloured badge of one clock (green, amber in its last quarter, red once due)."""
    return {"state": state, "with_rule": with_rule}
