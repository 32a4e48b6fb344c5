"""The facts incidents announce to the rollups (:mod:`fengqiao.rollups.store`): 警情,
刑事警情 per community, clocks (时限) and reporters' surveys. Registered in
:meth:`fengqiao.incidents.apps.IncidentsConfig.ready`; what each formula of 一表通考
counts is :mod:`fengqiao.scoring.facts`, which reads these rows."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Case, CharField, F, Q, Value, When
from django.db.models.functions import Coalesce

from fengqiao.rollups import store
from fengqiao.rollups.store import NO_GRID, NO_TEXT, Fact, local_date, local_day

CRIMINAL = "01"  # 刑事: the incident category a 零发案 community has none of


def _incidents() -> models.QuerySet[Any]:
    from fengqiao.incidents.models import Incident

    # Until staff confirm a category the suggested one stands for it, as in the list filter.
    category = Coalesce(F("category__code"), F("suggested_category__code"), Value(""))
    return Incident.objects.values(
        r_unit=F("jurisdiction_id"), r_grid=F("grid_id"), r_day=local_date("received_at"),
        r_cat=category, r_st=F("status"),
    )  # fmt: skip


def _incident_category(incident: Any) -> str:
    category = incident.category or incident.suggested_category
    return category.code if category is not None else ""


def _incident_key(incident: Any) -> tuple[Any, ...]:
    return (incident.jurisdiction_id, incident.grid_id, local_day(incident.received_at),
            _incident_category(incident), incident.status)  # fmt: skip


def _crime_area_key(incident: Any) -> tuple[Any, ...] | None:
    if incident.grid_id is None or not _incident_category(incident).startswith(CRIMINAL):
        return None
    return (None, incident.grid.parent_id, local_day(incident.received_at), "", "")


def _crime_areas() -> models.QuerySet[Any]:
    from fengqiao.incidents.models import Incident

    criminal = Q(category__code__startswith=CRIMINAL) | Q(
        category__isnull=True, suggested_category__code__startswith=CRIMINAL
    )
    return Incident.objects.filter(criminal, grid__isnull=False).values(
        r_unit=NO_GRID, r_grid=F("grid__parent_id"), r_day=local_date("received_at"),
        r_cat=NO_TEXT, r_st=NO_TEXT,
    )  # fmt: skip


def _deadlines() -> models.QuerySet[Any]:
    from fengqiao.incidents.models import Deadline

    state = Case(
        When(met_at__isnull=True, then=Value("running")),
        When(met_at__lte=F("due_at"), then=Value("met")),
        default=Value("late"),
        output_field=CharField(),
    )
    return Deadline.objects.values(
        r_unit=F("jurisdiction_id"), r_grid=NO_GRID, r_day=local_date("due_at"),
        r_cat=F("rule__kind"), r_st=state,
    )  # fmt: skip


def _deadline_key(deadline: Any) -> tuple[Any, ...]:
    met = deadline.met_at
    state = "running" if met is None else "met" if met <= deadline.due_at else "late"
    return (deadline.jurisdiction_id, None, local_day(deadline.due_at), deadline.rule.kind,
            state)  # fmt: skip


def _surveys() -> models.QuerySet[Any]:
    from fengqiao.incidents.models import SurveyResponse

    return SurveyResponse.objects.values(
        r_unit=F("incident__jurisdiction_id"), r_grid=NO_GRID, r_day=local_date("at"),
        r_cat=NO_TEXT, r_st=F("rating"),
    )  # fmt: skip


# Clocks and surveys are counted for units only: no map or zero-case figure asks for them
# per grid, and they are most of the rows a grid would add.
FACTS = [
    # 警情 by received day, category (confirmed, else suggested) and current status.
    Fact("incident", "incidents.Incident", _incidents, frozenset(
        {"jurisdiction", "grid", "received_at", "category", "suggested_category", "status"}
    ), "jurisdiction", "grid", "incident", "pk", _incident_key),
    # 刑事警情 per community (and township) alone, with a small index of its own: which
    # communities had crime in a span, for 零发案, without reading every incident row.
    Fact("crime_area", "incidents.Incident", _crime_areas, frozenset(
        {"grid", "received_at", "category", "suggested_category"}
    ), "", "", "incident", "pk", _crime_area_key),
    # 时限 by due day and clock kind: met (on time), late, running.
    Fact("clock", "incidents.Deadline", _deadlines, frozenset(
        {"jurisdiction", "due_at", "met_at", "rule"}
    ), "jurisdiction", "", "incident", "incident_id", _deadline_key),
    # Reporters' satisfaction (阳光坐席 survey) by answer day.
    Fact("survey", "incidents.SurveyResponse", _surveys, frozenset({"incident", "rating"}),
         "incident__jurisdiction", "", "incident", "incident_id"),
]  # fmt: skip


def connect() -> None:
    """Announce the incidents' facts: the rollups count them from now on."""
    store.register(*FACTS)
