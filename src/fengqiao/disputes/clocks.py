"""The tracks' clocks, computed on the Asia/Shanghai calendar and stored in UTC.

* 人民调解: a target of ``DISPUTES_PEOPLE_MEDIATION_DAYS`` (30) calendar days from
  acceptance, extendable with the parties' consent.
* 治安调解: three working days from acceptance (公安机关治安调解工作规范 第十条),
  working days as the State Council's holiday calendar sets them (the
  ``chinesecalendar`` package: official holidays and make-up working days), Monday to
  Friday for years it does not yet cover.
* 司法确认: the joint application reaches the court within 30 days of the agreement
  taking effect (民事诉讼法 第二百零五条).
* 回访: ``DISPUTES_FOLLOW_UP_DAYS`` (7 and 30) days after closing."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
from django.conf import settings
from django.utils import timezone

POLICE_MEDIATION_WORKING_DAYS = 3
JUDICIAL_CONFIRMATION_DAYS = 30


def people_mediation_days() -> int:
    return int(getattr(settings, "DISPUTES_PEOPLE_MEDIATION_DAYS", 30))


def follow_up_days() -> tuple[int, ...]:
    return tuple(getattr(settings, "DISPUTES_FOLLOW_UP_DAYS", (7, 30)))


def is_working_day(day: dt.date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # outside the years the calendar knows
        return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (the day of acceptance not counted)."""
    day = start
    while days > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            days -= 1
    return day


def end_of_local_day(day: dt.date) -> dt.datetime:
    """A deadline given as a day runs to that day's last second, local time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))


def local_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def mediation_due(track: str, accepted_at: dt.datetime, extended_days: int = 0) -> dt.datetime:
    """When mediation on ``track`` must be finished, for a case accepted at ``accepted_at``."""
    from fengqiao.disputes.models import Track

    start = local_date(accepted_at)
    if track == Track.POLICE:
        return end_of_local_day(add_working_days(start, POLICE_MEDIATION_WORKING_DAYS))
    return end_of_local_day(start + dt.timedelta(days=people_mediation_days() + extended_days))


def confirmation_due(effective_on: dt.date) -> dt.date:
    """The last day the court may receive the joint application for 司法确认."""
    return effective_on + dt.timedelta(days=JUDICIAL_CONFIRMATION_DAYS)
