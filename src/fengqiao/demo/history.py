"""The demo stations' past: two years of 警情 with their clocks, timelines and the
reporters' surveys, so the dashboards have a year ago to compare with (同比) and a last
month (环比), and the clocks read like a real station's (most met, a few late).

Written in bulk, not through the intake service: the services stamp every step with the
present moment, which would make a year of history all late at once. The rollups are
rebuilt afterwards (:func:`fengqiao.rollups.store.rebuild`), as after any bulk load.

**Durations.** Each clock's stopping step is drawn log-normally around the clock's own
limit, its median placed so that the station's on-time share comes out near its target
(南街 in town ~93 %, 北石店 in the country ~87 %); a late step is never later than
:data:`LATE_AT_MOST` of the limit, so nothing in the past sits overdue by days. All of it
from one seeded generator: the same demo every time.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from statistics import NormalDist
from typing import Any

from django.utils import timezone

from fengqiao.addresses.models import StandardAddress
from fengqiao.core import bulk
from fengqiao.demo import province_data as data
from fengqiao.incidents import codes
from fengqiao.incidents.models import (
    Category,
    Deadline,
    DeadlineRule,
    EventKind,
    Incident,
    IncidentEvent,
    SurveyResponse,
)
from fengqiao.incidents.workflow import TERMINAL
from fengqiao.jurisdictions.models import Jurisdiction

HISTORY_DAYS = 760  # two years and a month: 同比 for every point of the 12-month trend
QUIET_HOURS = 6  # the last hours are the live stories' (services.py), not history's
SIGMA = 0.42  # spread of log(duration / median): a step takes half to twice its median
LATE_AT_MOST = 1.3  # of a clock's limit: late, but not by days
MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


@dataclass(frozen=True)
class Rhythm:
    """How busy a station is and how well it keeps its clocks."""

    per_day: float  # 警情 a day on average
    on_time: float  # target share of clocks met
    travel_minutes: float  # median drive to the scene
    trend: float  # yearly change of volume (a falling one: 同比 down)


def _stamp(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _cumulative(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


class History:
    """One station's past, written in a few bulk statements."""

    def __init__(self, rng: random.Random, *, actor: Any) -> None:
        self.rng = rng
        self.actor = actor
        self.categories = {c.code: c for c in Category.objects.all()}
        self.rules = list(DeadlineRule.objects.filter(active=True).order_by("pk"))
        self.tops = list(data.INCIDENT_MIX)
        self.subtypes = {
            top: ([c for c, _ in pairs], _cumulative([w for _, w in pairs]))
            for top, pairs in data.INCIDENT_SUBTYPES.items()
        }
        self.hours = {
            top: _cumulative(data.HOUR_PROFILE.get(top, data.HOURS_DAY)) for top in self.tops
        }
        self.sources = [s for s, _ in data.INCIDENT_SOURCES]
        self.source_cum = _cumulative([w for _, w in data.INCIDENT_SOURCES])
        self.texts = self._texts()

    def _texts(self) -> dict[str, list[str]]:
        from fengqiao.incidents.data import training

        rng = random.Random(7)
        return {
            code: [training._describe(rng.choice(training.TEMPLATES[code]), code, rng)
                   for _ in range(12)]
            for code in training.SUBTYPES if code in training.TEMPLATES
        }  # fmt: skip

    def pick(self, items: Sequence[Any], cum: Sequence[float]) -> Any:
        return items[min(bisect(cum, self.rng.random() * cum[-1]), len(items) - 1)]

    def tracking_code(self) -> str:
        return codes.new_code(self.rng.choice)

    def duration(self, limit: float, on_time: float) -> float:
        """A step's duration around a clock's ``limit``: met with probability ``on_time``,
        late at most by :data:`LATE_AT_MOST`."""
        median = limit * math.exp(-SIGMA * NormalDist().inv_cdf(on_time))
        value = median * math.exp(self.rng.gauss(0.0, SIGMA))
        if value > limit * LATE_AT_MOST:
            value = limit * self.rng.uniform(1.0, LATE_AT_MOST)
        return value

    def load(self, station: Jurisdiction, rhythm: Rhythm, *, now: dt.datetime) -> int:
        """Write the station's history up to :data:`QUIET_HOURS` before ``now``; returns
        how many incidents."""
        addresses = [
            (a.pk, a.grid_id, a.police_district_id, a.local_text)
            for a in StandardAddress.objects.filter(police_district__parent=station).order_by(
                "code"
            )
        ]
        if not addresses:
            return 0
        # A few addresses call again and again (a bar, a compound's gate): weight by rank.
        address_cum = _cumulative([1.0 / (1 + k) ** 0.8 for k in range(len(addresses))])
        self.rng.shuffle(addresses)
        end = now.timestamp() - QUIET_HOURS * HOUR
        local_now = timezone.localtime(now)
        first_day = local_now.date() - dt.timedelta(days=HISTORY_DAYS)
        incidents: list[Incident] = []
        plans: list[tuple[list[tuple[str, float]], float, float | None, bool]] = []
        for offset in range(HISTORY_DAYS + 1):
            day = first_day + dt.timedelta(days=offset)
            years_ago = (HISTORY_DAYS - offset) / 365.25
            expected = (
                rhythm.per_day * data.MONTH_VOLUME[day.month - 1]
                * data.WEEKDAY_VOLUME[day.weekday()] * (1 + rhythm.trend) ** (-years_ago)
            )  # fmt: skip
            midnight = timezone.make_aware(dt.datetime.combine(day, dt.time.min)).timestamp()
            for _ in range(self._poisson(expected)):
                top = self.pick(self.tops, _cumulative(list(data.INCIDENT_MIX.values())))
                code = self.pick(*self.subtypes[top])
                received = midnight + HOUR * self.pick(range(24), self.hours[top])
                received += self.rng.randrange(3600)
                if received > end:
                    continue
                pk, grid, district, local = self.pick(addresses, address_cum)
                source = self.pick(self.sources, self.source_cum)
                occurred = self._occurred(top, received)
                steps, case, survey = self._steps(top, code, source, received, occurred, rhythm)
                status, changed = "received", received
                for step, at in steps:
                    if at <= now.timestamp():
                        status, changed = step, at
                category = self.categories[code]
                incidents.append(Incident(
                    tracking_code=self.tracking_code(), received_at=_stamp(received),
                    occurred_at=_stamp(occurred) if occurred else None, source=source,
                    reporter_name="" if source == "video_patrol" else self._name(),
                    reporter_phone="" if source == "video_patrol" else self._phone(),
                    location_text=local[:200], address_id=pk, grid_id=grid,
                    jurisdiction_id=district, description=self._text(code),
                    category=category, suggested_category=category,
                    validity="invalid" if status == "invalid" else "valid",
                    urgency=self._urgency(top), status=status,
                    status_changed_at=_stamp(changed), received_by=self.actor,
                    case_number=f"A{station.pk:04d}{received:.0f}"[:40] if case else "",
                    version=1 + len(steps),
                ))  # fmt: skip
                plans.append((steps, received, occurred, survey))
        incidents = bulk.insert(incidents)
        self._write_records(incidents, plans, now)
        return len(incidents)

    def _write_records(
        self,
        incidents: list[Incident],
        plans: list[tuple[list[tuple[str, float]], float, float | None, bool]],
        now: dt.datetime,
    ) -> None:
        events: list[IncidentEvent] = []
        deadlines: list[Deadline] = []
        surveys: list[tuple[SurveyResponse, dt.datetime]] = []
        present = now.timestamp()
        for incident, (steps, received, occurred, survey) in zip(incidents, plans, strict=True):
            events.append(IncidentEvent(
                incident=incident, at=incident.received_at, actor=self.actor,
                kind=EventKind.INTAKE, to_status="received",
            ))  # fmt: skip
            previous = "received"
            reached = [(s, at) for s, at in steps if at <= present]
            for step, at in reached:
                events.append(IncidentEvent(
                    incident=incident, at=_stamp(at), actor=self.actor,
                    kind=EventKind.TRANSITION, from_status=previous, to_status=step,
                ))  # fmt: skip
                previous = step
            category = incident.category
            for rule in self.rules:
                if rule.category_id not in (None, category.pk, category.parent_id):
                    continue
                window = rule.reported_within_minutes
                if window is not None and (occurred is None or received - occurred > window * 60):
                    continue
                stops = set(rule.stop_statuses) | TERMINAL
                met = next((at for s, at in reached if s in stops), None)
                deadlines.append(Deadline(
                    incident=incident, rule=rule, jurisdiction_id=incident.jurisdiction_id,
                    due_at=_stamp(received + rule.minutes * MINUTE),
                    met_at=_stamp(met) if met is not None else None,
                ))  # fmt: skip
            if survey and incident.status == "closed":
                at = incident.status_changed_at + dt.timedelta(hours=self.rng.uniform(2, 40))
                if at <= now:
                    rating = self._rating()
                    surveys.append((SurveyResponse(incident=incident, rating=rating), at))
        bulk.insert(events, ids=False)
        bulk.insert(deadlines, ids=False)
        made = bulk.insert([survey for survey, _at in surveys])
        # auto_now_add stamped them with the present: put each back on its own day.
        for survey, (_survey, at) in zip(made, surveys, strict=True):
            survey.at = at
        SurveyResponse.objects.bulk_update(made, ["at"], batch_size=500)

    def _steps(
        self, top: str, code: str, source: str, received: float, occurred: float | None,
        rhythm: Rhythm,
    ) -> tuple[list[tuple[str, float]], bool, bool]:  # fmt: skip
        """The handling steps and when; whether it became a case; whether the reporter
        is asked afterwards."""
        rng, on_time = self.rng, rhythm.on_time
        if rng.random() < (0.55 if top == "08" else 0.025):
            return [("invalid", received + self.duration(5 * MINUTE, 0.99))], False, False
        steps: list[tuple[str, float]] = []
        dispatched = received + self.duration(5 * MINUTE, on_time)
        steps.append(("linked" if top == "04" else "dispatched", dispatched))
        arrival = received + self.duration(20 * MINUTE, on_time)
        arrival = max(arrival, dispatched + rhythm.travel_minutes * MINUTE * rng.uniform(0.3, 0.6))
        steps.append(("on_scene", arrival))
        if code == "0101":  # theft: 小案快侦 within 24 h, the quickly reported within 3 h
            quick = occurred is not None and received - occurred <= HOUR
            # the quick ones also meet the 24 h clock: keep its share real by the others'
            limit, target = (3 * HOUR, on_time + 0.02) if quick else (24 * HOUR, on_time - 0.05)
            solved = max(received + self.duration(limit, target), arrival + 10 * MINUTE)
            steps.append(("case_registered", solved))
            if rng.random() < 0.8:
                steps.append(("closed", solved + self.duration(12 * DAY, 0.5)))
            return steps, True, rng.random() < 0.3
        if top == "01":
            registered = arrival + self.duration(6 * HOUR, 0.5)
            steps.append(("case_registered", registered))
            if rng.random() < 0.6:
                steps.append(("closed", registered + self.duration(20 * DAY, 0.5)))
            return steps, True, rng.random() < 0.3
        if top == "05":  # a dispute: settled on the spot or handed to mediation in 72 h
            settled = max(received + self.duration(72 * HOUR, on_time), arrival + 20 * MINUTE)
            steps.append(("to_dispute" if rng.random() < 0.3 else "handled", settled))
            steps.append(("closed", settled + self.duration(10 * HOUR, 0.5)))
            return steps, False, rng.random() < 0.35
        handled = arrival + self.duration(45 * MINUTE, 0.5)
        steps.append(("handled", handled))
        steps.append(("closed", handled + self.duration(16 * HOUR, 0.5)))
        return steps, False, rng.random() < 0.35

    def _poisson(self, mean: float) -> int:
        threshold, k, p = math.exp(-mean), 0, 1.0
        while True:
            p *= self.rng.random()
            if p <= threshold:
                return k
            k += 1

    def _occurred(self, top: str, received: float) -> float | None:
        if top == "08":
            return None
        if top in ("01", "02"):  # crimes are often found, or reported, late
            return received - 40 * MINUTE * math.exp(self.rng.gauss(0.0, 1.3))
        return received - self.rng.uniform(1, 20) * MINUTE

    def _urgency(self, top: str) -> str:
        roll = self.rng.random()
        if top == "04":
            return "critical" if roll < 0.2 else "urgent"
        return "critical" if roll < 0.01 else "urgent" if roll < 0.1 else "normal"

    def _rating(self) -> str:
        roll = self.rng.random()
        return "satisfied" if roll < 0.88 else "fairly" if roll < 0.97 else "dissatisfied"

    def _text(self, code: str) -> str:
        texts = self.texts.get(code)
        return self.rng.choice(texts) if texts else "报警人求助。"

    def _name(self) -> str:
        from fengqiao.demo.services import GIVEN, SURNAMES

        return (
            self.rng.choice(SURNAMES)
            + self.rng.choice(GIVEN)
            + (self.rng.choice(GIVEN) if self.rng.random() < 0.7 else "")
        )

    def _phone(self) -> str:
        return self.rng.choice(["135", "138", "139", "150", "158", "187"]) + (
            f"{self.rng.randint(0, 99_999_999):08d}"
        )
