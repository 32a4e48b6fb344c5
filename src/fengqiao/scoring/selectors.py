"""Reads of 一表通考: score tables, a subject's score and the records behind its facts,
indicators, manual assessments and the two-way evaluation's anonymous results.

**Who sees what.** Unit scores (stations, bureaus, departments) are aggregates: readers
with ``VIEW_AGGREGATES`` see those of the units in their subtree. Officers' scores are
personal: a leader who manages staff (``MANAGE_STAFF``) sees his officers' scores by
name; a reader of aggregates who may not read records (the analyst) sees them without
names; any other officer sees his own score only. A subject outside these rules answers
404, never its data. The records behind a fact need ``VIEW_RECORDS`` and are scoped
like every list.

**Two-way evaluation.** Results are averages and counts per department, shown only when
at least :data:`~fengqiao.scoring.facts.MIN_RATERS` stations rated; no read here returns
which station gave which rating — a station sees only its own ratings, on its form."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from fengqiao.accounts.models import User
from fengqiao.accounts.selectors import covers, scoped
from fengqiao.core.roles import Capability, require
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.scoring import facts as fact_source
from fengqiao.scoring import services
from fengqiao.scoring.models import (
    DepartmentRating,
    Indicator,
    Level,
    ManualAssessment,
    Score,
    Scorecard,
    ScoreItem,
)
from fengqiao.scoring.periods import Period

PAGE_SIZE = 50


def officers_by_name(user: Any) -> bool:
    return bool(user.can(Capability.MANAGE_STAFF))


def officers_without_names(user: Any) -> bool:
    return bool(user.can(Capability.VIEW_AGGREGATES) and not user.can(Capability.VIEW_RECORDS))


def sees_officers(user: Any) -> bool:
    """Whether the user sees other officers' scores (by name or not)."""
    return officers_by_name(user) or officers_without_names(user)


def levels_for(user: Any) -> list[tuple[str, str]]:
    """The levels whose tables the user may open, as (value, label)."""
    levels = []
    if user.can(Capability.VIEW_AGGREGATES):
        levels = [(v, str(label)) for v, label in Level.choices if v != Level.OFFICER]
    levels.append((Level.OFFICER, str(Level.OFFICER.label)))  # an officer sees his own
    return levels


def default_level(user: Any) -> str:
    """The level a user's own unit is scored at, else the one below his unit."""
    unit = user.jurisdiction
    if not user.can(Capability.VIEW_AGGREGATES) or unit is None:
        return Level.OFFICER
    return {
        Kind.POLICE_DEPARTMENT: Level.CITY_BUREAU,
        Kind.CITY_BUREAU: Level.COUNTY_BUREAU,
        Kind.COUNTY_BUREAU: Level.STATION,
        Kind.UNIT: Level.DEPARTMENT,
    }.get(unit.kind, Level.STATION if unit.kind == Kind.STATION else Level.OFFICER)


def scorecard(period: Period, level: str) -> Scorecard | None:
    return Scorecard.objects.filter(period=period.key, level=level).first()


def _visible_scores(user: Any, card: Scorecard) -> QuerySet[Score]:
    scope = user.jurisdiction if user.is_active else None
    scores = Score.objects.filter(scorecard=card)
    if card.level == Level.OFFICER and not sees_officers(user):
        return scores.filter(officer=user)
    if card.level != Level.OFFICER and not user.can(Capability.VIEW_AGGREGATES):
        return scores.none()
    if scope is None:
        return scores.none()
    return scores.filter(unit_path__startswith=scope.path)


@dataclass(frozen=True)
class Row:
    score: Score
    label: str
    unit: str
    points: list[Decimal | None]


@dataclass(frozen=True)
class ScoreTable:
    card: Scorecard | None
    columns: list[dict[str, Any]]  # the indicators: code, name, weight
    page: Page[Any] | None
    rows: list[Row]
    full_weight: Decimal
    names_shown: bool


def subject_label(score: Score, user: Any) -> str:
    """The subject's name, or for an officer shown to a reader without names a label
    that does not identify him."""
    if score.officer_id is None:
        return score.node.name
    if score.officer_id == user.pk or officers_by_name(user):
        return str(score.officer)
    return _("民警 #%(n)s（%(unit)s）") % {"n": score.rank_in_group or "—", "unit": score.node.name}


def score_table(*, user: Any, period: Period, level: str, page: int | str = 1) -> ScoreTable:
    """一表通考 table: the level's scores in the user's scope, by rank."""
    if level != Level.OFFICER:
        require(user, Capability.VIEW_AGGREGATES)
    card = scorecard(period, level)
    if card is None:
        return ScoreTable(None, [], None, [], Decimal(0), officers_by_name(user))
    columns = [
        {"code": d["code"], "name": d["name"], "weight": Decimal(str(d["weight"]))}
        for d in card.definitions
    ]
    scores = (
        _visible_scores(user, card)
        .select_related("node", "officer")
        .prefetch_related(Prefetch("items", queryset=ScoreItem.objects.only(
            "score_id", "code", "points", "sort")))
        .order_by("rank", "unit_path", "pk")
    )  # fmt: skip
    paginator = Paginator(scores, PAGE_SIZE)
    current = paginator.get_page(page)
    rows = []
    for score in current.object_list:
        points = {item.code: item.points for item in score.items.all()}
        rows.append(
            Row(score, subject_label(score, user), score.node.name,
                [points.get(c["code"]) for c in columns])
        )  # fmt: skip
    full = sum((c["weight"] for c in columns), Decimal(0))
    return ScoreTable(card, columns, current, rows, full, officers_by_name(user))


def score_detail(*, user: Any, pk: int) -> Score:
    """One score in the user's sight (404 otherwise), with its items."""
    score = (
        Score.objects.select_related("scorecard", "node", "officer", "peer_group")
        .prefetch_related("items")
        .filter(pk=pk)
        .first()
    )
    if score is None or not _visible_scores(user, score.scorecard).filter(pk=pk).exists():
        raise Http404
    return score


def subject_of(score: Score) -> fact_source.Subject:
    return fact_source.Subject(
        key=score.officer_id or score.node_id, node=score.node_id, path=score.unit_path,
        group=score.peer_group_id, name=score.node.name,
    )  # fmt: skip


@dataclass(frozen=True)
class FactLine:
    name: str
    label: str
    value: str | None
    linked: bool


def fact_lines(item: ScoreItem, *, user: Any, level: str) -> list[FactLine]:
    """The facts an item's formula read, labelled, and whether the reader may open the
    records behind each."""
    can_open = bool(user.can(Capability.VIEW_RECORDS))
    lines = []
    for name, value in sorted(item.facts.items()):
        definition = fact_source.FACTS.get(name)
        lines.append(
            FactLine(
                name, str(definition.label) if definition else name, value,
                can_open and fact_source.has_records(name)
                and definition is not None and level in definition.levels,
            )
        )  # fmt: skip
    return lines


def fact_records(*, user: Any, score: Score, fact: str) -> QuerySet[Any]:
    """The records behind one fact of a score, in the reader's scope."""
    require(user, Capability.VIEW_RECORDS)
    period = services.period_from_key(score.scorecard.period)
    found = fact_source.records(
        fact, level=score.scorecard.level, subject=subject_of(score), period=period
    )
    if found is None:
        raise Http404
    via = {
        "Incident": "jurisdiction", "DisputeCase": "jurisdiction", "Deadline": "jurisdiction",
        "SurveyResponse": "incident__jurisdiction", "FollowUp": "case__jurisdiction",
        "WhistleRequest": "to_unit",
    }[found.model.__name__]  # fmt: skip
    return scoped(found, user=user, via=via).order_by("-pk")


# --- indicators and manual assessments -------------------------------------------------------


def indicator_list(*, user: Any) -> QuerySet[Indicator]:
    """The indicator table (definitions are not personal: readers of aggregates see it)."""
    require(user, Capability.VIEW_AGGREGATES)
    return Indicator.objects.order_by("-active", "sort", "code")


def manual_indicators(*, user: Any) -> QuerySet[Indicator]:
    require(user, Capability.MANAGE_SCORING)
    return Indicator.objects.filter(manual=True, active=True).order_by("sort", "code")


@dataclass(frozen=True)
class AssessmentRow:
    key: int  # node or officer id
    label: str
    unit: str
    assessment: ManualAssessment | None


def assessment_rows(
    *, user: Any, indicator: Indicator, period: Period, level: str, under: Jurisdiction
) -> list[AssessmentRow]:
    """The subjects of ``level`` under ``under`` (in the user's scope) with what has been
    entered for the indicator and period."""
    require(user, Capability.MANAGE_SCORING)
    if not covers(user, under) or level not in indicator.levels:
        raise Http404
    entered = ManualAssessment.objects.filter(indicator=indicator, period=period.key)
    if level == Level.OFFICER:
        people = scoped(
            User.objects.filter(
                is_active=True, role__in=services.OFFICER_ROLES,
                jurisdiction__kind__in=services.OFFICER_UNIT_KINDS,
                jurisdiction__path__startswith=under.path,
            ),
            user=user,
        ).select_related("jurisdiction").order_by("jurisdiction__path", "full_name")  # fmt: skip
        by_officer = {a.officer_id: a for a in entered.filter(officer__in=people)}
        return [
            AssessmentRow(
                p.pk,
                p.full_name,
                p.jurisdiction.name if p.jurisdiction else "",
                by_officer.get(p.pk),
            )
            for p in people[:1000]
        ]
    units = (
        Jurisdiction.objects.filter(kind=services.LEVEL_KINDS[level], path__startswith=under.path)
        .select_related("parent")
        .order_by("path")
    )
    by_node = {a.node_id: a for a in entered.filter(officer__isnull=True, node__in=units)}
    return [
        AssessmentRow(u.pk, u.name, u.parent.name if u.parent else "", by_node.get(u.pk))
        for u in units[:1000]
    ]


# --- two-way evaluation ------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartmentResult:
    """One department's evaluation in a period: how many stations rated, and the
    averages — None (评价数不足) below the threshold."""

    department: Jurisdiction
    raters: int
    enough: bool
    attitude: Decimal | None
    response: Decimal | None
    cooperation: Decimal | None
    average: Decimal | None


def evaluation_results(*, user: Any, period: Period) -> list[DepartmentResult]:
    """双向评价结果: the departments in the user's scope, aggregated anonymously."""
    require(user, Capability.VIEW_AGGREGATES)
    scope = user.jurisdiction if user.is_active else None
    if scope is None:
        return []
    departments = list(
        Jurisdiction.objects.filter(kind=Kind.UNIT, path__startswith=scope.path)
        .select_related("parent")
        .order_by("path")
    )
    summary = fact_source.evaluation_summary([d.pk for d in departments], period.month_keys)
    results = []
    for department in departments:
        entry = summary.get(department.pk, {})
        results.append(
            DepartmentResult(
                department, entry.get("raters", 0), entry.get("enough", False),
                entry.get("attitude"), entry.get("response"), entry.get("cooperation"),
                entry.get("average"),
            )
        )  # fmt: skip
    return results


@dataclass(frozen=True)
class OwnRating:
    department: Jurisdiction
    rating: DepartmentRating | None


def own_ratings(*, user: Any, period: Period) -> tuple[Jurisdiction, list[OwnRating]]:
    """The user's station and its own ratings of its bureau's departments (its own
    ratings only: the form to give or correct them)."""
    station = services.rating_station(user)
    departments = services.departments_of(station)
    mine = {
        r.department_id: r
        for r in DepartmentRating.objects.filter(
            period=period.key, station=station, department__in=departments
        )
    }
    return station, [OwnRating(d, mine.get(d.pk)) for d in departments]
