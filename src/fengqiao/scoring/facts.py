"""事实: the counts that indicator formulas are written over — their one definition.

Every fact is counted for one subject and one 考核期 (periods are local Asia/Shanghai
calendar days, :mod:`fengqiao.scoring.periods`). A **unit** (派出所, 县区局, 市局,
机关警种部门) counts the records of its whole subtree — its own and every unit's below
it, as the dashboards do; an **officer** (民警) counts what he did himself.

==========================  ======================================================================
fact                        definition
==========================  ======================================================================
incidents                   警情数: incidents received (接警时间) in the period. Officer: received
                            by him (``received_by``).
criminal_incidents          刑事警情数: of those, category 刑事 (code 01…; until staff confirm a
                            category, the suggested one stands for it, as in every list).
invalid_incidents           无效警情数: of those, status 无效警情.
incidents_incomplete        要素不全警情数: of those, without a standard address or without a
                            confirmed category (案事件要素录入率 counts the others).
disputes                    受理纠纷数: disputes registered in the period. Officer: registered by
                            him or assigned to him as mediator (his account on a Mediator).
disputes_closed             结案数: of those, closed (化解, 调解不成, 转治安处罚, 不予受理, 移交,
                            撤回), in the state they are in now.
disputes_resolved           化解数: of those, status 已化解.
disputes_criminal           民转刑数: of those, marked turned criminal.
clocks_due                  到期时限数 (units): clocks (时限) whose due day is in the period and
                            that are met, late, or still running past a due day before today.
clocks_met                  按时完成时限数: of those, met on or before the due time.
quick_clocks_due            小案快侦时限数: clocks_due of the kinds 破案时限 and 快侦快破时限.
quick_clocks_met            小案快侦按时破案数: of those, met on time.
surveys                     群众评价数: reporters' satisfaction answers (阳光坐席) given in the
                            period. Officer: on incidents he received.
surveys_satisfied           满意数: of those, 满意 or 基本满意.
followups_done              完成回访数: dispute follow-up visits done in the period. Officer:
                            visits he made (``visitor``).
followups_rated             有满意度的回访数: of those, with the parties' satisfaction recorded.
followups_satisfied         回访满意数: of those, 满意 or 基本满意.
followups_due               应回访数: visits planned (计划回访日期) in the period. Officer: on
                            his disputes (as for ``disputes``).
followups_due_done          按计划完成回访数: of those, done by now.
whistles_received           接收吹哨数 (units): whistle requests (吹哨报到) raised in the period
                            to the unit or a unit below it.
whistles_escalated          超期升级数: of those, escalated to the bureau for being overdue.
evaluation_raters           参评派出所数 (departments): stations that rated the department in
                            the period's months (双向评价).
evaluation_average          双向评价平均分: mean of every criterion of every rating, 1–5; no
                            value when fewer than :data:`MIN_RATERS` stations rated, so that a
                            score never reveals one station's rating.
evaluation_attitude         服务态度平均分, likewise.
evaluation_response         响应速度平均分, likewise.
evaluation_cooperation      协作质量平均分, likewise.
==========================  ======================================================================

**How they are counted.** Units read the monthly rollups (:mod:`fengqiao.rollups.store`,
grain ``m``) of their own node — one grouped query for every unit of a level, a few
hundred thousand rollup rows for a province — plus, for the facts no rollup keeps
(incomplete incidents, planned visits, whistles), one ``GROUP BY`` unit query per period
over the raw records (indexed on time), summed up the tree in Python. Officers: one
grouped query per kind of record. Evaluation: one grouped query over the ratings.

**The records behind a fact.** :func:`records` returns the records a fact counts for a
subject, with exactly the definitions above, so the score page links every number to
its list (``tests/test_scoring.py`` checks the counts agree). The evaluation facts have
no such list: the ratings are anonymous.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fengqiao.rollups.models import Rollup
from fengqiao.scoring.models import DepartmentRating, Level
from fengqiao.scoring.periods import Period, local_midnight

UNIT_LEVELS = frozenset({Level.STATION, Level.COUNTY_BUREAU, Level.CITY_BUREAU, Level.DEPARTMENT})
ALL_LEVELS = UNIT_LEVELS | {Level.OFFICER}
MIN_RATERS = 3  # 双向评价: fewer stations than this and no average is shown or scored
CRIMINAL_TOP = "01"
QUICK_KINDS = ("quick_solve", "solve")
SATISFIED_SURVEY = ("satisfied", "fairly")
SATISFIED_VISIT = ("satisfied", "basic")
FactValues = dict[str, Decimal | None]


@dataclass(frozen=True)
class FactDef:
    name: str
    label: str | Promise
    levels: frozenset[str]
    records: str = ""  # the kind of record list behind it; "" for none


def _f(name: str, label: str | Promise, levels: frozenset[str], records: str = "") -> FactDef:
    return FactDef(name, label, frozenset(levels), records)


FACTS: dict[str, FactDef] = {
    f.name: f
    for f in [
        _f("incidents", _("警情数"), ALL_LEVELS, "incident"),
        _f("criminal_incidents", _("刑事警情数"), ALL_LEVELS, "incident"),
        _f("invalid_incidents", _("无效警情数"), ALL_LEVELS, "incident"),
        _f("incidents_incomplete", _("要素不全警情数"), ALL_LEVELS, "incident"),
        _f("disputes", _("受理纠纷数"), ALL_LEVELS, "dispute"),
        _f("disputes_closed", _("结案数"), ALL_LEVELS, "dispute"),
        _f("disputes_resolved", _("化解数"), ALL_LEVELS, "dispute"),
        _f("disputes_criminal", _("民转刑数"), ALL_LEVELS, "dispute"),
        _f("clocks_due", _("到期时限数"), UNIT_LEVELS, "clock"),
        _f("clocks_met", _("按时完成时限数"), UNIT_LEVELS, "clock"),
        _f("quick_clocks_due", _("小案快侦时限数"), UNIT_LEVELS, "clock"),
        _f("quick_clocks_met", _("小案快侦按时破案数"), UNIT_LEVELS, "clock"),
        _f("surveys", _("群众评价数"), ALL_LEVELS, "survey"),
        _f("surveys_satisfied", _("群众满意数"), ALL_LEVELS, "survey"),
        _f("followups_done", _("完成回访数"), ALL_LEVELS, "followup"),
        _f("followups_rated", _("有满意度的回访数"), ALL_LEVELS, "followup"),
        _f("followups_satisfied", _("回访满意数"), ALL_LEVELS, "followup"),
        _f("followups_due", _("应回访数"), ALL_LEVELS, "followup"),
        _f("followups_due_done", _("按计划完成回访数"), ALL_LEVELS, "followup"),
        _f("whistles_received", _("接收吹哨数"), UNIT_LEVELS, "whistle"),
        _f("whistles_escalated", _("超期升级数"), UNIT_LEVELS, "whistle"),
        _f("evaluation_raters", _("参评派出所数"), frozenset({Level.DEPARTMENT})),
        _f("evaluation_average", _("双向评价平均分"), frozenset({Level.DEPARTMENT})),
        _f("evaluation_attitude", _("服务态度平均分"), frozenset({Level.DEPARTMENT})),
        _f("evaluation_response", _("响应速度平均分"), frozenset({Level.DEPARTMENT})),
        _f("evaluation_cooperation", _("协作质量平均分"), frozenset({Level.DEPARTMENT})),
    ]
}
FACT_LEVELS: dict[str, frozenset[str]] = {name: f.levels for name, f in FACTS.items()}


@dataclass(frozen=True)
class Subject:
    """Who is scored: a unit (``key`` = its node) or an officer (``key`` = his user id,
    ``node`` his unit). ``group`` is the unit his peers share (a station's bureau, an
    officer's station)."""

    key: int
    node: int
    path: str
    group: int
    name: str


# --- units: the monthly rollups --------------------------------------------------------

_CLOSED = (
    "resolved", "failed", "to_penalty", "refused", "referred", "withdrawn",
)  # fmt: skip  # disputes.models.CLOSED_STATUSES, spelt out for the rollup filter
_ROLLUP_SUMS: dict[str, Q] = {
    "incidents": Q(fact="incident"),
    "criminal_incidents": Q(fact="incident", category__startswith=CRIMINAL_TOP),
    "invalid_incidents": Q(fact="incident", status="invalid"),
    "disputes": Q(fact="dispute"),
    "disputes_closed": Q(fact="dispute", status__in=_CLOSED),
    "disputes_resolved": Q(fact="dispute", status="resolved"),
    "disputes_criminal": Q(fact="criminal"),
    "clocks_met": Q(fact="clock", status="met"),
    "_clocks_ended": Q(fact="clock", status__in=("met", "late")),
    "_clocks_running": Q(fact="clock", status="running"),
    "quick_clocks_met": Q(fact="clock", status="met", category__in=QUICK_KINDS),
    "_quick_ended": Q(fact="clock", status__in=("met", "late"), category__in=QUICK_KINDS),
    "_quick_running": Q(fact="clock", status="running", category__in=QUICK_KINDS),
    "surveys": Q(fact="survey"),
    "surveys_satisfied": Q(fact="survey", status__in=SATISFIED_SURVEY),
    "followups_done": Q(fact="followup"),
    "followups_rated": Q(fact="followup") & ~Q(category=""),
    "followups_satisfied": Q(fact="followup", category__in=SATISFIED_VISIT),
}
_ROLLUP_NEEDS = {
    "clocks_due": ("_clocks_ended", "_clocks_running"),
    "quick_clocks_due": ("_quick_ended", "_quick_running"),
}
_ROLLUP_FACT_NAMES = {"incident", "dispute", "criminal", "clock", "survey", "followup"}


def _chunks(items: Sequence[int], size: int = 5000) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _unit_rollups(
    subjects: Sequence[Subject], period: Period, wanted: set[str], today: dt.date
) -> dict[int, FactValues]:
    sums = {name for name in wanted if name in _ROLLUP_SUMS}
    for name, parts in _ROLLUP_NEEDS.items():
        if name in wanted:
            sums.update(parts)
    if not sums:
        return {}
    counted: dict[int, dict[str, Decimal]] = defaultdict(dict)
    annotations = {name: Sum("n", filter=_ROLLUP_SUMS[name]) for name in sorted(sums)}
    ids = [s.key for s in subjects]
    rows: Any
    for chunk in _chunks(ids):
        rows = (
            Rollup.objects.filter(
                node_id__in=chunk, grain="m", day__in=period.months,
                fact__in=sorted(_ROLLUP_FACT_NAMES),
            )
            .values("node_id")
            .annotate(**annotations)
        )  # fmt: skip
        for row in rows:
            counted[row.pop("node_id")].update({k: Decimal(v or 0) for k, v in row.items()})
    pending = _clocks_not_yet_due(ids, period, today, sums)
    found: dict[int, FactValues] = {}
    for key in ids:
        values = counted[key]
        for name in sums:
            values.setdefault(name, Decimal(0))
        still = pending.get(key, {})
        if "clocks_due" in wanted:
            values["clocks_due"] = (
                values["_clocks_ended"] + values["_clocks_running"] - still.get("all", 0)
            )
        if "quick_clocks_due" in wanted:
            values["quick_clocks_due"] = (
                values["_quick_ended"] + values["_quick_running"] - still.get("quick", 0)
            )
        found[key] = {name: n for name, n in values.items() if not name.startswith("_")}
    return found


def _clocks_not_yet_due(
    ids: Sequence[int], period: Period, today: dt.date, sums: set[str]
) -> dict[int, dict[str, Decimal]]:
    """Running clocks due today or later: not yet due, so not counted (current period)."""
    if period.end < today or not sums & {"_clocks_running", "_quick_running"}:
        return {}
    found: dict[int, dict[str, Decimal]] = {}
    for chunk in _chunks(ids):
        rows = (
            Rollup.objects.filter(
                node_id__in=chunk, grain="d", fact="clock", status="running",
                day__gte=max(today, period.start), day__lte=period.end,
            )
            .values("node_id")
            .annotate(all=Sum("n"), quick=Sum("n", filter=Q(category__in=QUICK_KINDS)))
        )  # fmt: skip
        for row in rows:
            found[row["node_id"]] = {"all": Decimal(row["all"] or 0),
                                     "quick": Decimal(row["quick"] or 0)}  # fmt: skip
    return found


# --- units: grouped raw queries, summed up the tree --------------------------------------


def _sum_up(
    rows: Iterable[dict[str, Any]], leaf: str, subjects: Sequence[Subject]
) -> dict[int, dict[str, int]]:
    """Add each leaf unit's counts to every subject at or above it."""
    from fengqiao.jurisdictions.models import Jurisdiction
    from fengqiao.rollups.store import unit_lineage

    wanted = {s.key for s in subjects}
    rows = list(rows)
    paths = dict(
        Jurisdiction.objects.filter(pk__in={r[leaf] for r in rows if r[leaf]}).values_list(
            "pk", "path"
        )
    )
    totals: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        path = paths.get(row[leaf])
        if path is None:
            continue
        for node in unit_lineage(path):
            if node in wanted:
                for name, n in row.items():
                    if name != leaf:
                        totals[node][name] += n or 0
    return totals


def _incident_range(period: Period, field: str = "received_at") -> Q:
    return Q(**{f"{field}__gte": period.starts_at(), f"{field}__lt": period.ends_before()})


def _incomplete() -> Q:
    return Q(address__isnull=True) | Q(category__isnull=True)


def _unit_raw(
    subjects: Sequence[Subject], period: Period, wanted: set[str]
) -> dict[int, FactValues]:
    from fengqiao.disputes.models import FollowUp
    from fengqiao.incidents.models import Incident, WhistleRequest

    found: dict[int, FactValues] = defaultdict(dict)
    groups: list[tuple[set[str], Any, str]] = []
    rows: Any
    if "incidents_incomplete" in wanted:
        rows = (
            Incident.objects.filter(_incident_range(period))
            .filter(_incomplete())
            .values("jurisdiction_id")
            .annotate(incidents_incomplete=Count("id"))
        )
        groups.append(({"incidents_incomplete"}, rows, "jurisdiction_id"))
    if wanted & {"followups_due", "followups_due_done"}:
        rows = (
            FollowUp.objects.filter(due_on__gte=period.start, due_on__lte=period.end)
            .values("case__jurisdiction_id")
            .annotate(
                followups_due=Count("id"),
                followups_due_done=Count("id", filter=Q(done_at__isnull=False)),
            )
        )
        groups.append(({"followups_due", "followups_due_done"}, rows, "case__jurisdiction_id"))
    if wanted & {"whistles_received", "whistles_escalated"}:
        rows = (
            WhistleRequest.objects.filter(_incident_range(period, "raised_at"))
            .values("to_unit_id")
            .annotate(
                whistles_received=Count("id"),
                whistles_escalated=Count("id", filter=Q(escalated_at__isnull=False)),
            )
        )
        groups.append(({"whistles_received", "whistles_escalated"}, rows, "to_unit_id"))
    for names, rows, leaf in groups:
        totals = _sum_up(rows, leaf, subjects)
        for subject in subjects:
            counts = totals.get(subject.key, {})
            for name in names:
                found[subject.key][name] = Decimal(counts.get(name, 0))
    return found


# --- departments: two-way evaluation -------------------------------------------------------

EVALUATION_FACTS = {
    "evaluation_raters", "evaluation_average", "evaluation_attitude", "evaluation_response",
    "evaluation_cooperation",
}  # fmt: skip
FOUR_PLACES = Decimal("0.0001")


def evaluation_summary(
    departments: Sequence[int], month_keys: Sequence[str]
) -> dict[int, dict[str, Any]]:
    """Per department: stations that rated, ratings, and each criterion's mean — means
    only when at least :data:`MIN_RATERS` distinct stations rated."""
    rows = (
        DepartmentRating.objects.filter(department_id__in=departments, period__in=month_keys)
        .values("department_id")
        .annotate(
            raters=Count("station_id", distinct=True), ratings=Count("id"),
            attitude=Sum("attitude"), response=Sum("response"), cooperation=Sum("cooperation"),
        )
    )  # fmt: skip
    found: dict[int, dict[str, Any]] = {}
    for row in rows:
        n = row["ratings"]
        enough = row["raters"] >= MIN_RATERS
        entry: dict[str, Any] = {"raters": row["raters"], "ratings": n, "enough": enough}
        for name in ("attitude", "response", "cooperation"):
            entry[name] = (Decimal(row[name]) / n).quantize(FOUR_PLACES) if enough else None
        total = row["attitude"] + row["response"] + row["cooperation"]
        entry["average"] = (Decimal(total) / (3 * n)).quantize(FOUR_PLACES) if enough else None
        found[row["department_id"]] = entry
    return found


def _evaluation(subjects: Sequence[Subject], period: Period) -> dict[int, FactValues]:
    summary = evaluation_summary([s.key for s in subjects], period.month_keys)
    found: dict[int, FactValues] = {}
    for subject in subjects:
        entry = summary.get(subject.key, {})
        found[subject.key] = {
            "evaluation_raters": Decimal(entry.get("raters", 0)),
            "evaluation_average": entry.get("average"),
            "evaluation_attitude": entry.get("attitude"),
            "evaluation_response": entry.get("response"),
            "evaluation_cooperation": entry.get("cooperation"),
        }
    return found


# --- officers: grouped queries over what each did ----------------------------------------


def _criminal_incident() -> Q:
    return Q(category__code__startswith=CRIMINAL_TOP) | Q(
        category__isnull=True, suggested_category__code__startswith=CRIMINAL_TOP
    )


def _officer_cases(cases: QuerySet[Any]) -> QuerySet[Any]:
    """(case, officer) pairs among ``cases``: an officer registered the case or was
    assigned to mediate it (his account on the Mediator)."""
    from fengqiao.disputes.models import Assignment

    registered = cases.filter(registered_by__isnull=False).values_list("pk", "registered_by_id")
    mediated = Assignment.objects.filter(
        case__in=cases.values("pk"), mediator__account__isnull=False
    ).values_list("case_id", "mediator__account_id")
    return registered.union(mediated)  # UNION drops the duplicates


def _officers(
    subjects: Sequence[Subject], period: Period, wanted: set[str]
) -> dict[int, FactValues]:
    from fengqiao.disputes.models import DisputeCase, FollowUp
    from fengqiao.incidents.models import Incident, SurveyResponse

    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows: Any
    if wanted & {"incidents", "criminal_incidents", "invalid_incidents", "incidents_incomplete"}:
        rows = (
            Incident.objects.filter(_incident_range(period), received_by__isnull=False)
            .values("received_by_id")
            .annotate(
                incidents=Count("id"),
                criminal_incidents=Count("id", filter=_criminal_incident()),
                invalid_incidents=Count("id", filter=Q(status="invalid")),
                incidents_incomplete=Count("id", filter=_incomplete()),
            )
        )
        for row in rows:
            counts[row.pop("received_by_id")].update(row)
    if wanted & {"surveys", "surveys_satisfied"}:
        rows = (
            SurveyResponse.objects.filter(
                _incident_range(period, "at"), incident__received_by__isnull=False
            )
            .values("incident__received_by_id")
            .annotate(surveys=Count("id"),
                      surveys_satisfied=Count("id", filter=Q(rating__in=SATISFIED_SURVEY)))
        )  # fmt: skip
        for row in rows:
            counts[row.pop("incident__received_by_id")].update(row)
    if wanted & {"disputes", "disputes_closed", "disputes_resolved", "disputes_criminal"}:
        cases = DisputeCase.objects.filter(_incident_range(period, "registered_at"))
        pairs = list(_officer_cases(cases))
        states = {
            pk: (status, criminal)
            for pk, status, criminal in cases.values_list("pk", "status", "turned_criminal")
        }
        for case, officer in pairs:
            status, criminal = states[case]
            counts[officer]["disputes"] += 1
            counts[officer]["disputes_closed"] += status in _CLOSED
            counts[officer]["disputes_resolved"] += status == "resolved"
            counts[officer]["disputes_criminal"] += bool(criminal)
    if wanted & {"followups_done", "followups_rated", "followups_satisfied"}:
        rows = (
            FollowUp.objects.filter(_incident_range(period, "done_at"), visitor__isnull=False)
            .values("visitor_id")
            .annotate(
                followups_done=Count("id"),
                followups_rated=Count("id", filter=~Q(satisfaction="")),
                followups_satisfied=Count("id", filter=Q(satisfaction__in=SATISFIED_VISIT)),
            )
        )
        for row in rows:
            counts[row.pop("visitor_id")].update(row)
    if wanted & {"followups_due", "followups_due_done"}:
        due = Q(follow_ups__due_on__gte=period.start, follow_ups__due_on__lte=period.end)
        owners: dict[int, set[int]] = defaultdict(set)
        for case, officer in _officer_cases(DisputeCase.objects.filter(due).distinct()):
            owners[case].add(officer)
        visits = FollowUp.objects.filter(due_on__gte=period.start, due_on__lte=period.end)
        for case, done_at in visits.values_list("case_id", "done_at"):
            for officer in owners.get(case, ()):
                counts[officer]["followups_due"] += 1
                counts[officer]["followups_due_done"] += done_at is not None
    return {
        s.key: {name: Decimal(counts.get(s.key, {}).get(name, 0)) for name in wanted}
        for s in subjects
    }


# --- entry point -------------------------------------------------------------------------


def collect(
    level: str,
    period: Period,
    subjects: Sequence[Subject],
    names: Iterable[str],
    *,
    today: dt.date | None = None,
) -> dict[int, FactValues]:
    """The ``names`` facts of every subject (by key) for the period; unknown names and
    facts that do not apply to the level are left out."""
    today = today or timezone.localdate()
    wanted = {n for n in names if n in FACTS and level in FACTS[n].levels}
    values: dict[int, FactValues] = {s.key: {} for s in subjects}
    if level == Level.OFFICER:
        parts = [_officers(subjects, period, wanted)]
    else:
        parts = [
            _unit_rollups(subjects, period, wanted, today),
            _unit_raw(subjects, period, wanted),
        ]
        if wanted & EVALUATION_FACTS:
            parts.append(_evaluation(subjects, period))
    for part in parts:
        for key, found in part.items():
            if key in values:
                values[key].update({k: v for k, v in found.items() if k in wanted})
    return values


# --- the records behind a fact --------------------------------------------------------------


def records(
    fact: str, *, level: str, subject: Subject, period: Period, today: dt.date | None = None
) -> QuerySet[Any] | None:
    """The records ``fact`` counts for ``subject`` in ``period`` (not yet scoped to a
    reader: the caller applies the reader's scope), or None when it has no list."""
    from fengqiao.disputes.models import DisputeCase, FollowUp
    from fengqiao.incidents.models import Deadline, Incident, SurveyResponse, WhistleRequest

    today = today or timezone.localdate()
    found: QuerySet[Any]
    definition = FACTS.get(fact)
    if definition is None or not definition.records or level not in definition.levels:
        return None
    officer = level == Level.OFFICER
    within = {"path__within": subject.path}

    def under(prefix: str) -> Q:
        return Q(**{f"{prefix}__{k}": v for k, v in within.items()})

    if definition.records == "incident":
        found = Incident.objects.filter(_incident_range(period))
        found = (
            found.filter(received_by_id=subject.key)
            if officer
            else found.filter(under("jurisdiction"))
        )
        extra = {
            "criminal_incidents": _criminal_incident(),
            "invalid_incidents": Q(status="invalid"),
            "incidents_incomplete": _incomplete(),
        }.get(fact)
        return found.filter(extra) if extra is not None else found
    if definition.records == "dispute":
        found = DisputeCase.objects.filter(_incident_range(period, "registered_at"))
        if officer:
            mine = _officer_cases(found)
            found = found.filter(pk__in=[case for case, who in mine if who == subject.key])
        else:
            found = found.filter(under("jurisdiction"))
        extra = {
            "disputes_closed": Q(status__in=_CLOSED),
            "disputes_resolved": Q(status="resolved"),
            "disputes_criminal": Q(turned_criminal=True),
        }.get(fact)
        return found.filter(extra) if extra is not None else found
    if definition.records == "clock":
        ended = Q(met_at__isnull=False) | Q(due_at__lt=local_midnight(today))
        found = Deadline.objects.filter(
            under("jurisdiction"), ended,
            due_at__gte=period.starts_at(), due_at__lt=period.ends_before(),
        )  # fmt: skip
        if fact.startswith("quick_"):
            found = found.filter(rule__kind__in=QUICK_KINDS)
        if fact.endswith("_met"):
            found = found.filter(met_at__lte=F("due_at"))
        return found
    if definition.records == "survey":
        found = SurveyResponse.objects.filter(_incident_range(period, "at"))
        found = (
            found.filter(incident__received_by_id=subject.key)
            if officer
            else found.filter(under("incident__jurisdiction"))
        )
        return found.filter(rating__in=SATISFIED_SURVEY) if fact == "surveys_satisfied" else found
    if definition.records == "followup":
        if fact.startswith("followups_due"):
            found = FollowUp.objects.filter(due_on__gte=period.start, due_on__lte=period.end)
            if officer:
                cases = DisputeCase.objects.filter(
                    follow_ups__due_on__gte=period.start, follow_ups__due_on__lte=period.end
                ).distinct()
                his = [c for c, who in _officer_cases(cases) if who == subject.key]
                found = found.filter(case_id__in=his)
            else:
                found = found.filter(under("case__jurisdiction"))
            return found.filter(done_at__isnull=False) if fact == "followups_due_done" else found
        found = FollowUp.objects.filter(_incident_range(period, "done_at"))
        found = (
            found.filter(visitor_id=subject.key)
            if officer
            else found.filter(under("case__jurisdiction"))
        )
        if fact == "followups_rated":
            return found.exclude(satisfaction="")
        if fact == "followups_satisfied":
            return found.filter(satisfaction__in=SATISFIED_VISIT)
        return found
    if definition.records == "whistle":
        found = WhistleRequest.objects.filter(
            _incident_range(period, "raised_at"), under("to_unit")
        )
        return found.filter(escalated_at__isnull=False) if fact == "whistles_escalated" else found
    return None


def has_records(fact: str) -> bool:
    return bool(FACTS.get(fact) and FACTS[fact].records)
