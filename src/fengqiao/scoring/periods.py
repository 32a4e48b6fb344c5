"""考核期: a month, a quarter or a year of local (Asia/Shanghai) calendar days.

A period is named by its key — ``2026-11`` (a month), ``2026-Q4`` (a quarter), ``2026``
(a year) — which is how scores, manual assessments and ratings store it. Its days run
from the first local day to the last, both included; as instants, from local midnight
of the first day to local midnight after the last."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

MONTH, QUARTER, YEAR = "month", "quarter", "year"
_KEY = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{1,2})|[Qq](?P<quarter>[1-4])))?$")


@dataclass(frozen=True, order=True)
class Period:
    start: dt.date  # first local day
    end: dt.date  # last local day, included
    kind: str

    @property
    def key(self) -> str:
        if self.kind == MONTH:
            return f"{self.start.year}-{self.start.month:02d}"
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def label(self) -> str:
        if self.kind == MONTH:
            return _("%(y)d年%(m)d月") % {"y": self.start.year, "m": self.start.month}
        if self.kind == QUARTER:
            return _("%(y)d年第%(q)d季度") % {
                "y": self.start.year,
                "q": (self.start.month - 1) // 3 + 1,
            }
        return _("%(y)d年") % {"y": self.start.year}

    @property
    def months(self) -> list[dt.date]:
        """The first day of each month in the period (the monthly rollups' keys)."""
        found, day = [], self.start
        while day <= self.end:
            found.append(day)
            day = _next_month(day)
        return found

    @property
    def month_keys(self) -> list[str]:
        return [f"{m.year}-{m.month:02d}" for m in self.months]

    def starts_at(self) -> dt.datetime:
        return local_midnight(self.start)

    def ends_before(self) -> dt.datetime:
        """Local midnight after the last day: the period is [starts_at, ends_before)."""
        return local_midnight(self.end + dt.timedelta(days=1))

    def has_ended(self, today: dt.date | None = None) -> bool:
        return (today or timezone.localdate()) > self.end

    def previous(self) -> Period:
        return containing(self.start - dt.timedelta(days=1), self.kind)

    def following(self) -> Period:
        return containing(self.end + dt.timedelta(days=1), self.kind)


def local_midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _next_month(day: dt.date) -> dt.date:
    return dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)


def month(year: int, number: int) -> Period:
    start = dt.date(year, number, 1)
    return Period(start, _next_month(start) - dt.timedelta(days=1), MONTH)


def quarter(year: int, number: int) -> Period:
    start = dt.date(year, 3 * number - 2, 1)
    end = _next_month(dt.date(year, 3 * number, 1)) - dt.timedelta(days=1)
    return Period(start, end, QUARTER)


def year(number: int) -> Period:
    return Period(dt.date(number, 1, 1), dt.date(number, 12, 31), YEAR)


def containing(day: dt.date, kind: str = MONTH) -> Period:
    if kind == QUARTER:
        return quarter(day.year, (day.month - 1) // 3 + 1)
    if kind == YEAR:
        return year(day.year)
    return month(day.year, day.month)


def parse(key: str) -> Period:
    """The period named ``key``; a malformed key or one outside 2000–2099 is refused."""
    found = _KEY.match((key or "").strip())
    if found is None:
        raise ValidationError(
            _("考核期“%(key)s”格式不对：月度写作2026-11，季度写作2026-Q4，年度写作2026。")
            % {"key": key}
        )
    number = int(found["year"])
    if not 2000 <= number <= 2099:
        raise ValidationError(_("考核期的年份应在2000至2099之间。"))
    if found["month"]:
        if not 1 <= int(found["month"]) <= 12:
            raise ValidationError(_("月份应在1至12之间。"))
        return month(number, int(found["month"]))
    if found["quarter"]:
        return quarter(number, int(found["quarter"]))
    return year(number)


def current(kind: str = MONTH) -> Period:
    return containing(timezone.localdate(), kind)
