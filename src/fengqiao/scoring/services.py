"""一表通考: defining indicators, computing scores, manual assessments, closing periods
and the two-way evaluation (双向评价). Everything that writes is here.

**Points** (:func:`points_for`) — each indicator earns, for a subject and period:

* full ``weight`` when the value reaches the ``target`` (or is better),
* nothing when it is at ``zero_at`` (零分值) or worse,
* in between, linearly: ``weight × (value − zero_at) ÷ (target − zero_at)``,

for either direction (higher is better: ``zero_at`` < ``target``, usually 0, so the
points are linear up to the target and capped there; lower is better: ``zero_at`` >
``target``). Points are rounded half up to two decimals, from the value as stored
(four decimals), so the page's figures reproduce by hand.

**Total** — the sum of the points of the indicators that have a value. An indicator
without one (a rate with nothing to count, a manual assessment not yet entered) earns
nothing and is left out of the scale: the total is the points earned ÷ the weight of
the indicators with a value × the level's full weight, so a quiet station is neither
punished nor rewarded for what did not happen. When every indicator has a value the
total is simply the sum of the points. Subjects are ranked by total (ties share a rank,
1, 1, 3), among all subjects of the level under the same police department and among
those of the same parent unit (an officer's station, a station's bureau).

**Reproducible** — a scorecard stores, with each item, the indicator definition it used
(formula, direction, target, zero line, weight, version) and the facts its formula
read. An open period is computed with the indicators in force; closing a period
(:func:`close_period`) freezes its indicator table, manual assessments and ratings, and
every later recomputation of it uses the frozen table — the same records give the same
scores to the last digit however the indicators have changed since. Recomputing
replaces the level's scores for the period (idempotent)."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.models import StaffKind, User
from fengqiao.accounts.selectors import covers
from fengqiao.audit import services as audit
from fengqiao.core.concurrency import save_versioned
from fengqiao.core.roles import Capability, Role, require
from fengqiao.core.text import join_list
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.scoring import facts as fact_source
from fengqiao.scoring import indicators as formulas
from fengqiao.scoring.models import (
    Criterion,
    DepartmentRating,
    Direction,
    Indicator,
    Level,
    ManualAssessment,
    Score,
    Scorecard,
    ScoreItem,
    ScoringPeriod,
)
from fengqiao.scoring.periods import MONTH, Period
from fengqiao.scoring.periods import parse as parse_period

TWO_PLACES = Decimal("0.01")
FOUR_PLACES = Decimal("0.0001")
CODE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")
MAX_WEIGHT = Decimal(100)
MAX_MANUAL_VALUE = Decimal(1_000_000)

# 考核对象: which jurisdiction kind each unit level scores.
LEVEL_KINDS: dict[str, str] = {
    Level.STATION: Kind.STATION,
    Level.COUNTY_BUREAU: Kind.COUNTY_BUREAU,
    Level.CITY_BUREAU: Kind.CITY_BUREAU,
    Level.DEPARTMENT: Kind.UNIT,
}
KIND_LEVELS = {kind: level for level, kind in LEVEL_KINDS.items()}
# Officers (民警) scored: police staff on these posts at a station or below it.
OFFICER_ROLES = (Role.STATION_CHIEF, Role.COMMUNITY_OFFICER, Role.CASE_OFFICER, Role.COMMAND_ROOM)
OFFICER_UNIT_KINDS = (Kind.STATION, Kind.POLICE_DISTRICT, Kind.POLICE_ROOM)


def level_labels() -> dict[str, str]:
    return {str(value): str(label) for value, label in Level.choices}


# --- points ------------------------------------------------------------------------------


def points_for(
    *, value: Decimal | None, target: Decimal, zero_at: Decimal, weight: Decimal
) -> Decimal | None:
    """The points of one value (see the module's docstring); None without a value."""
    if value is None:
        return None
    if target == zero_at:  # refused at definition; a frozen old table might have it
        share = Decimal(1) if value == target else Decimal(0)
    else:
        share = (value - zero_at) / (target - zero_at)
    share = min(Decimal(1), max(Decimal(0), share))
    return (weight * share).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _value(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


# --- indicators ----------------------------------------------------------------------------


@dataclass
class IndicatorInput:
    """The indicator form's fields, as typed."""

    code: str
    name: str
    levels: list[str]
    target: Any
    weight: Any
    direction: str = Direction.HIGHER
    zero_at: Any = 0
    manual: bool = False
    formula: str = ""
    unit: str = ""
    description: str = ""
    active: bool = True
    sort: int = 0
    errors: dict[str, str] = field(default_factory=dict)


def _infos(exclude: int | None = None) -> dict[str, formulas.IndicatorInfo]:
    """Every other indicator as the formula checks see it."""
    rows = list(
        Indicator.objects.values_list("pk", "code", "levels", "formula", "manual", "active")
    )
    codes = [row[1] for row in rows]  # the excluded one too: others may refer to it
    infos: dict[str, formulas.IndicatorInfo] = {}
    for pk, code, levels, text, manual, active in rows:
        if pk == exclude:
            continue
        references: frozenset[str] = frozenset()
        if not manual and text:
            try:
                references = formulas.parse(
                    text, facts=fact_source.FACTS, indicators=codes
                ).references
            except formulas.FormulaError:
                references = frozenset()
        infos[code] = formulas.IndicatorInfo(code, frozenset(levels), references, active)
    return infos


def _number(value: Any, name: str, errors: dict[str, str]) -> Decimal:
    try:
        number = formulas.to_decimal(value)
    except ValidationError as error:
        errors[name] = error.messages[0]
        return Decimal(0)
    if not number.is_finite():
        errors[name] = _("请填写有限的数字。")
    return number


def clean_indicator(data: IndicatorInput, *, existing: Indicator | None = None) -> dict[str, Any]:
    """Check a definition; every problem at once, by field (ValidationError)."""
    errors: dict[str, str] = {}
    code = (data.code or "").strip()
    if existing is not None and code != existing.code:
        errors["code"] = _("指标代码保存后不能修改（其他指标的公式以此引用）。")
    elif not CODE.match(code):
        errors["code"] = _("代码须以小写字母开头，由2至32个小写字母、数字或下划线组成。")
    elif code in fact_source.FACTS or code in formulas.FUNCTIONS:
        errors["code"] = _("“%(code)s”已是事实或函数的名称，请换一个代码。") % {"code": code}
    elif existing is None and Indicator.objects.filter(code=code).exists():
        errors["code"] = _("代码“%(code)s”已被其他指标使用。") % {"code": code}
    name = (data.name or "").strip()
    if not name:
        errors["name"] = _("请填写指标名称。")
    elif len(name) > 60:
        errors["name"] = _("名称最多60字。")
    levels = sorted(set(data.levels or []))
    if not levels:
        errors["levels"] = _("请至少选择一个适用层级。")
    elif set(levels) - set(Level.values):
        errors["levels"] = _("未知的层级。")
    if data.direction not in Direction.values:
        errors["direction"] = _("请选择指标方向。")
    target = _number(data.target, "target", errors)
    zero_at = _number(data.zero_at if data.zero_at not in (None, "") else 0, "zero_at", errors)
    weight = _number(data.weight, "weight", errors)
    if "weight" not in errors and not Decimal(0) < weight <= MAX_WEIGHT:
        errors["weight"] = _("分值应大于0且不超过100。")
    if not {"target", "zero_at", "direction"} & set(errors):
        if data.direction == Direction.HIGHER and not zero_at < target:
            errors["zero_at"] = _("越高越好的指标，零分值应低于目标值。")
        if data.direction == Direction.LOWER and not zero_at > target:
            errors["zero_at"] = _("越低越好的指标，零分值应高于目标值。")
    text = (data.formula or "").strip()
    if data.manual and text:
        errors["formula"] = _("手工录入的指标不使用公式，请清空公式或取消“手工录入”。")
    if not data.manual and not {"code", "levels"} & set(errors):
        try:
            formulas.check(
                code=code, formula=text, levels=levels, facts=fact_source.FACT_LEVELS,
                indicators=_infos(exclude=existing.pk if existing else None),
                level_labels=level_labels(),
            )  # fmt: skip
        except formulas.FormulaError as error:
            errors["formula"] = error.messages[0]
    if existing is not None and "code" not in errors:
        problem = _dependants_problem(existing, levels=set(levels), active=data.active)
        if problem:
            errors["active" if not data.active else "levels"] = problem
    if errors:
        raise ValidationError(errors)
    return {
        "code": code, "name": name, "levels": levels, "direction": data.direction,
        "target": target, "zero_at": zero_at, "weight": weight, "manual": data.manual,
        "formula": "" if data.manual else text, "unit": (data.unit or "").strip()[:8],
        "description": (data.description or "").strip()[:2000], "active": data.active,
        "sort": int(data.sort or 0),
    }  # fmt: skip


def _dependants_problem(indicator: Indicator, *, levels: set[str], active: bool) -> str:
    """Active indicators whose formulas use this one must keep finding it."""
    using = [
        info
        for info in _infos(exclude=indicator.pk).values()
        if info.active and indicator.code in info.references
    ]
    if using and not active:
        return _("以下启用的指标引用了本指标，不能停用：%(codes)s。") % {
            "codes": join_list(sorted(i.code for i in using))
        }
    lost = sorted(i.code for i in using if not i.levels <= levels)
    if lost:
        return _("以下指标引用了本指标，其适用层级须包含在本指标之内：%(codes)s。") % {
            "codes": join_list(lost)
        }
    return ""


@transaction.atomic
def save_indicator(
    *,
    actor: Any,
    data: IndicatorInput,
    indicator: Indicator | None = None,
    expected_version: int | None = None,
) -> Indicator:
    """考核指标: create one, or change one (its code never changes; a stale edit is
    refused). The formula is checked here, before anything is stored."""
    require(actor, Capability.MANAGE_SCORING)
    values = clean_indicator(data, existing=indicator)
    if indicator is None:
        indicator = Indicator.objects.create(**values)
        audit.record(actor=actor, action="create", obj=indicator, fields=sorted(values))
        return indicator
    changed = [name for name, value in values.items() if getattr(indicator, name) != value]
    for name, value in values.items():
        setattr(indicator, name, value)
    save_versioned(indicator, expected_version=expected_version or indicator.version, fields=values)
    audit.record(actor=actor, action="update", obj=indicator, fields=changed)
    return indicator


# --- periods and their definitions ---------------------------------------------------------


def current_definitions() -> list[dict[str, Any]]:
    return [i.snapshot() for i in Indicator.objects.filter(active=True).order_by("sort", "code")]


def definitions_for(period: Period) -> tuple[list[dict[str, Any]], bool]:
    """The indicator table a period is scored with, and whether it is frozen (closed)."""
    closed = ScoringPeriod.objects.filter(key=period.key).first()
    if closed is not None:
        return list(closed.definitions), True
    return current_definitions(), False


def is_closed(period: Period) -> bool:
    return ScoringPeriod.objects.filter(key=period.key).exists()


@transaction.atomic
def close_period(*, actor: Any, period: Period) -> ScoringPeriod:
    """关闭考核期 (定稿): freeze the indicator table in force, the manual assessments and
    the ratings of a period that has ended. Recompute its scores afterwards to score
    it with the frozen table. ``actor`` None is the command (``compute_scores --close``)."""
    if actor is not None:
        require(actor, Capability.MANAGE_SCORING)
    if not period.has_ended():
        raise ValidationError(_("考核期尚未结束，不能关闭。"))
    if is_closed(period):
        raise ValidationError(_("该考核期已关闭。"))
    closed = ScoringPeriod.objects.create(
        key=period.key, closed_at=timezone.now(), closed_by=actor,
        definitions=current_definitions(),
    )  # fmt: skip
    audit.record(
        actor=actor, actor_name="compute_scores", action="close", obj=closed,
        object_repr=f"考核期 {period.key}",
    )  # fmt: skip
    return closed


def _refuse_if_closed(period: Period) -> None:
    if is_closed(period):
        raise ValidationError(_("考核期 %(key)s 已关闭，不能再修改。") % {"key": period.key})


# --- subjects --------------------------------------------------------------------------------


def subjects_for(level: str) -> list[fact_source.Subject]:
    """Everyone scored at ``level``, in a fixed order (by unit path, then id)."""
    if level == Level.OFFICER:
        stations = set(Jurisdiction.objects.filter(kind=Kind.STATION).values_list("pk", flat=True))
        officers = (
            User.objects.filter(
                is_active=True, staff_kind=StaffKind.POLICE, role__in=OFFICER_ROLES,
                jurisdiction__kind__in=OFFICER_UNIT_KINDS,
            )
            .order_by("jurisdiction__path", "pk")
            .values_list("pk", "jurisdiction_id", "jurisdiction__path", "full_name")
        )  # fmt: skip
        found = []
        for pk, node, path, name in officers:
            station = next(
                (a for a in reversed(_lineage(path)) if a in stations), node
            )  # the station an officer belongs to is his peer group
            found.append(fact_source.Subject(pk, node, path, station, name))
        return found
    kind = LEVEL_KINDS[level]
    rows = (
        Jurisdiction.objects.filter(kind=kind)
        .order_by("path")
        .values_list("pk", "path", "parent_id", "name")
    )
    return [
        fact_source.Subject(pk, pk, path, parent or pk, name) for pk, path, parent, name in rows
    ]


def _lineage(path: str) -> list[int]:
    return [int(part) for part in path.strip("/").split("/") if part]


# --- computing ---------------------------------------------------------------------------------

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class _Definition:
    code: str
    name: str
    version: int
    manual: bool
    formula: str
    unit: str
    direction: str
    target: Decimal
    zero_at: Decimal
    weight: Decimal
    sort: int
    compiled: formulas.Formula | None

    @classmethod
    def of(cls, data: Mapping[str, Any], compiled: formulas.Formula | None) -> _Definition:
        return cls(
            code=data["code"], name=data["name"], version=int(data["version"]),
            manual=bool(data["manual"]), formula=data.get("formula", ""),
            unit=data.get("unit", ""), direction=data["direction"],
            target=Decimal(str(data["target"])), zero_at=Decimal(str(data.get("zero_at", 0))),
            weight=Decimal(str(data["weight"])), sort=int(data.get("sort", 0)),
            compiled=compiled,
        )  # fmt: skip


def _compile(definitions: Sequence[Mapping[str, Any]]) -> list[_Definition]:
    """The level's indicators, each after those its formula uses. A formula a frozen
    table holds but that no longer compiles (a fact since removed) gives no value."""
    codes = [d["code"] for d in definitions]
    compiled: dict[str, formulas.Formula | None] = {}
    for d in definitions:
        if d["manual"]:
            compiled[d["code"]] = None
            continue
        try:
            compiled[d["code"]] = formulas.parse(
                d["formula"], facts=fact_source.FACTS, indicators=codes
            )
        except formulas.FormulaError:
            compiled[d["code"]] = None
    order = formulas.evaluation_order(
        {code: (f.references if f else frozenset()) for code, f in compiled.items()}
    )
    by_code = {d["code"]: d for d in definitions}
    return [_Definition.of(by_code[code], compiled[code]) for code in order]


def _manual_values(
    codes: Iterable[str], period: Period, level: str
) -> dict[tuple[str, int], Decimal]:
    """Entered values by (indicator, subject). A quarter or a year without its own
    entry takes the mean of the entries of its months."""
    codes = list(codes)
    if not codes:
        return {}
    subject = "officer_id" if level == Level.OFFICER else "node_id"
    rows = ManualAssessment.objects.filter(indicator__code__in=codes)
    if level != Level.OFFICER:
        rows = rows.filter(officer__isnull=True)
    else:
        rows = rows.filter(officer__isnull=False)
    found: dict[tuple[str, int], Decimal] = {}
    for code, key, value in rows.filter(period=period.key).values_list(
        "indicator__code", subject, "value"
    ):
        found[code, key] = value
    if period.kind != MONTH:
        monthly: dict[tuple[str, int], list[Decimal]] = defaultdict(list)
        for code, key, value in rows.filter(period__in=period.month_keys).values_list(
            "indicator__code", subject, "value"
        ):
            monthly[code, key].append(value)
        for pair, values in monthly.items():
            found.setdefault(pair, sum(values, Decimal(0)) / len(values))
    return found


def _ranks(totals: Sequence[tuple[int, Decimal | None]]) -> dict[int, int]:
    """Competition ranking by total, highest first (1, 1, 3); no total, no rank."""
    ranked = sorted(((t, k) for k, t in totals if t is not None), key=lambda p: -p[0])
    ranks: dict[int, int] = {}
    previous: Decimal | None = None
    for position, (total, key) in enumerate(ranked, start=1):
        if total != previous:
            rank, previous = position, total
        ranks[key] = rank
    return ranks


@transaction.atomic
def compute_scores(
    *,
    period: Period,
    level: str,
    actor: Any = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> Scorecard:
    """计分: score every subject of ``level`` for ``period`` and store the scorecard,
    replacing an earlier computation of the same period and level. ``actor`` None is
    the scheduled run (the command); a person needs the scoring capability."""
    if actor is not None:
        require(actor, Capability.MANAGE_SCORING)
    if level not in Level.values:
        raise ValidationError(_("未知的考核层级。"))
    step = progress or (lambda name, done, total: None)
    table, frozen = definitions_for(period)
    chosen = [d for d in table if level in d["levels"]]
    definitions = _compile(chosen)
    full_weight = sum((d.weight for d in definitions), Decimal(0))
    subjects = subjects_for(level)
    step("subjects", len(subjects), len(subjects))
    needed = {name for d in definitions if d.compiled for name in d.compiled.facts}
    values = fact_source.collect(level, period, subjects, needed, today=today)
    step("facts", len(subjects), len(subjects))
    manual = _manual_values([d.code for d in definitions if d.manual], period, level)

    card, _created = Scorecard.objects.update_or_create(
        period=period.key, level=level,
        defaults={"computed_at": timezone.now(), "computed_by": actor, "frozen": frozen,
                  "definitions": sorted(chosen, key=lambda d: (d.get("sort", 0), d["code"]))},
    )  # fmt: skip
    _clear(card)

    results: list[_Result] = []
    for done, subject in enumerate(subjects, start=1):
        known: dict[str, Decimal | None] = dict(values.get(subject.key, {}))
        items: list[tuple[_Definition, Decimal | None, Decimal | None, dict[str, Any]]] = []
        earned, scored = Decimal(0), Decimal(0)
        for d in definitions:
            if d.manual:
                value = _value(manual.get((d.code, subject.key)))
            else:
                value = _value(d.compiled(known)) if d.compiled else None
            known[d.code] = value
            got = points_for(value=value, target=d.target, zero_at=d.zero_at, weight=d.weight)
            read = d.compiled.facts if d.compiled else ()
            items.append((d, value, got, {n: _json_number(known.get(n)) for n in sorted(read)}))
            if value is not None:
                earned += got or Decimal(0)
                scored += d.weight
        total = (
            (earned * full_weight / scored).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
            if scored
            else None
        )
        results.append(_Result(subject, total, earned, scored, items))
        if done % 1000 == 0:
            step("scores", done, len(subjects))
    _rank(results)
    step("scores", len(subjects), len(subjects))
    _store(card, level, results)
    step("saved", len(subjects), len(subjects))
    return card


@dataclass
class _Result:
    subject: fact_source.Subject
    total: Decimal | None
    earned: Decimal
    scored: Decimal
    items: list[tuple[_Definition, Decimal | None, Decimal | None, dict[str, Any]]]
    rank: int | None = None
    peers: int = 0
    rank_in_group: int | None = None
    group_peers: int = 0


def _insert(model: type[Any], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Plain multi-row inserts: a province's officers are ~150,000 items, which the ORM's
    per-field preparation would take most of the half minute to write."""
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - names from the model
    batch: list[Sequence[Any]] = []
    with connection.cursor() as cursor:
        for row in rows:
            batch.append(row)
            if len(batch) == 5000:
                cursor.executemany(sql, batch)
                batch = []
        if batch:
            cursor.executemany(sql, batch)


def _clear(card: Scorecard) -> None:
    """Drop a scorecard's earlier scores (plain deletes: nothing else refers to them)."""
    items = connection.ops.quote_name(ScoreItem._meta.db_table)
    scores = connection.ops.quote_name(Score._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {items} WHERE score_id IN "  # noqa: S608 - names from the models
            f"(SELECT id FROM {scores} WHERE scorecard_id = %s)",
            [card.pk],
        )
        cursor.execute(f"DELETE FROM {scores} WHERE scorecard_id = %s", [card.pk])  # noqa: S608


def _store(card: Scorecard, level: str, results: Sequence[_Result]) -> None:
    officer = level == Level.OFFICER
    _insert(
        Score,
        ["scorecard_id", "node_id", "officer_id", "unit_path", "peer_group_id", "total",
         "earned", "scored_weight", "rank", "peers", "rank_in_group", "group_peers"],
        (
            (card.pk, r.subject.node, r.subject.key if officer else None, r.subject.path,
             r.subject.group, r.total, r.earned, r.scored, r.rank, r.peers, r.rank_in_group,
             r.group_peers)
            for r in results
        ),
    )  # fmt: skip
    ids = dict(
        Score.objects.filter(scorecard=card).values_list("officer_id" if officer else "node_id",
                                                         "pk")
    )  # fmt: skip
    json = connection.ops.adapt_json_value
    _insert(
        ScoreItem,
        ["score_id", "code", "name", "version", "manual", "formula", "unit", "direction",
         "target", "zero_at", "weight", "value", "points", "facts", "sort"],
        (
            (ids[r.subject.key], d.code, d.name, d.version, d.manual, d.formula, d.unit,
             d.direction, d.target, d.zero_at, d.weight, value, got, json(read, None), d.sort)
            for r in results
            for d, value, got, read in r.items
        ),
    )  # fmt: skip


def _json_number(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _rank(results: Sequence[_Result]) -> None:
    by_root: dict[int, list[tuple[int, Decimal | None]]] = defaultdict(list)
    by_group: dict[int, list[tuple[int, Decimal | None]]] = defaultdict(list)
    for index, result in enumerate(results):
        by_root[_lineage(result.subject.path)[0]].append((index, result.total))
        by_group[result.subject.group].append((index, result.total))
    for groups, rank_field, count_field in (
        (by_root, "rank", "peers"),
        (by_group, "rank_in_group", "group_peers"),
    ):
        for members in groups.values():
            ranks = _ranks(members)
            for index, _total in members:
                setattr(results[index], rank_field, ranks.get(index))
                setattr(results[index], count_field, len(ranks))


# --- manual assessments ------------------------------------------------------------------------


def subject_level(*, node: Jurisdiction | None, officer: User | None) -> str | None:
    if officer is not None:
        return Level.OFFICER
    return KIND_LEVELS.get(node.kind) if node is not None else None


@transaction.atomic
def enter_assessment(
    *,
    actor: Any,
    indicator: Indicator,
    period: Period,
    value: Any,
    note: str = "",
    node: Jurisdiction | None = None,
    officer: User | None = None,
) -> ManualAssessment:
    """手工考评: enter (or correct) a manual indicator's value for a unit or an officer
    in the assessor's scope, for an open period. Audited with the value and the note."""
    require(actor, Capability.MANAGE_SCORING)
    if not indicator.manual or not indicator.active:
        raise ValidationError(_("只能为启用的手工录入指标录入分值。"))
    if officer is not None:
        node = officer.jurisdiction
    level = subject_level(node=node, officer=officer)
    if node is None or level is None or level not in indicator.levels:
        raise ValidationError(_("该指标不适用于这一考核对象。"))
    if not covers(actor, node):
        raise PermissionDenied(_("考核对象不在您的辖区内。"))
    _refuse_if_closed(period)
    errors: dict[str, str] = {}
    number = _number(value, "value", errors)
    if not errors and not Decimal(0) <= number <= MAX_MANUAL_VALUE:
        errors["value"] = _("分值应在0至1000000之间。")
    note = (note or "").strip()
    if len(note) > 500:
        errors["note"] = _("说明最多500字。")
    if errors:
        raise ValidationError(errors)
    values = {"value": number.quantize(FOUR_PLACES), "note": note, "entered_by": actor}
    if officer is not None:  # an officer's entry follows him if he changes units
        assessment, created = ManualAssessment.objects.update_or_create(
            indicator=indicator, period=period.key, officer=officer,
            defaults={**values, "node": node},
        )  # fmt: skip
    else:
        assessment, created = ManualAssessment.objects.update_or_create(
            indicator=indicator, period=period.key, node=node, officer=None, defaults=values
        )
    audit.record(
        actor=actor, action="create" if created else "update", obj=assessment,
        fields=["value", "note"], reason=note,
        object_repr=f"{indicator.code} {period.key} = {number}",
    )  # fmt: skip
    return assessment


# --- two-way evaluation ------------------------------------------------------------------------


def departments_of(station: Jurisdiction) -> list[Jurisdiction]:
    """The bureau's departments (警种部门, the ``unit`` nodes under the station's bureau)."""
    if station.kind != Kind.STATION or station.parent_id is None:
        return []
    return list(
        Jurisdiction.objects.filter(kind=Kind.UNIT, parent_id=station.parent_id).order_by("name")
    )


def may_rate(user: Any) -> bool:
    """Whether :func:`rating_station` will let ``user`` rate: the capability and a
    station of his own (an administrator above the stations has none)."""
    unit = user.jurisdiction
    return bool(user.can(Capability.RATE_DEPARTMENTS) and unit and unit.kind == Kind.STATION)


def rating_station(actor: Any) -> Jurisdiction:
    """The station a user rates for: his own unit, which must be a station."""
    require(actor, Capability.RATE_DEPARTMENTS)
    unit = actor.jurisdiction
    if unit is None or unit.kind != Kind.STATION:
        raise PermissionDenied(_("双向评价由派出所对本局机关警种部门进行。"))
    return unit


@transaction.atomic
def rate_department(
    *, actor: Any, period: Period, department: Jurisdiction, scores: Mapping[str, Any]
) -> DepartmentRating:
    """双向评价: the actor's station rates one department of its bureau for a month,
    1–5 on each criterion; a second rating the same month replaces the first, until the
    month is closed. The audit log records that the station rated, never the scores."""
    station = rating_station(actor)
    if period.kind != MONTH:
        raise ValidationError(_("双向评价按月进行。"))
    if period.start > timezone.localdate():
        raise ValidationError(_("不能评价尚未开始的月份。"))
    if department.pk not in {d.pk for d in departments_of(station)}:
        raise PermissionDenied(_("只能评价本局的机关警种部门。"))
    _refuse_if_closed(period)
    errors: dict[str, str] = {}
    cleaned: dict[str, int] = {}
    for criterion in Criterion.values:
        try:
            number = int(scores.get(criterion))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = 0
        if not 1 <= number <= 5:
            errors[criterion] = _("请在1至5分之间评分。")
        cleaned[criterion] = number
    if errors:
        raise ValidationError(errors)
    rating, created = DepartmentRating.objects.update_or_create(
        period=period.key, station=station, department=department,
        defaults={**cleaned, "rated_by": actor, "rated_at": timezone.now()},
    )  # fmt: skip
    audit.record(
        actor=actor, action="create" if created else "update",
        object_type="scoring.departmentrating", object_id=str(rating.pk),
        object_repr=f"双向评价 {period.key} {department.name}", scope_path=station.path,
    )  # fmt: skip
    return rating


def period_from_key(key: str) -> Period:
    return parse_period(key)
