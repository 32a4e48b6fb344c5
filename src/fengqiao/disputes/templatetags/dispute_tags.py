"""Display helpers of the dispute pages: the track's clock as a badge."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.disputes.models import DisputeCase, Status
from fengqiao.incidents.templatetags.incident_tags import duration_text

register = template.Library()

AMBER_AT_LEAST = dt.timedelta(days=1)  # the last day is always amber


@register.inclusion_tag("disputes/_clock.html")
def case_clock(case: DisputeCase, now: dt.datetime | None = None) -> dict[str, Any]:
    """The mediation clock: green, amber in its last quarter (or last day), red once
    due; paused while suspended; nothing once the case is closed or agreed."""
    if case.due_at is None or case.status not in (Status.ACCEPTED, Status.SUSPENDED):
        return {"level": "", "text": ""}
    now = now or timezone.now()
    if case.status == Status.SUSPENDED and case.suspended_at:
        now = case.suspended_at  # the clock stood still when the case was suspended
    remaining = case.due_at - now
    total = case.due_at - (case.accepted_at or case.due_at)
    if remaining <= dt.timedelta(0):
        level, text = "red", _("超期 %(span)s") % {"span": duration_text(remaining)}
    else:
        amber = remaining <= max(total / 4, AMBER_AT_LEAST)
        level = "amber" if amber else "ok"
        text = _("剩余 %(span)s") % {"span": duration_text(remaining)}
    if case.status == Status.SUSPENDED:
        text = _("已暂停 · %(text)s") % {"text": text}
    return {"level": level, "text": text, "due": case.due_at}
