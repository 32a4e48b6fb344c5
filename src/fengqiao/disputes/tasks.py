"""Background tasks of the 矛盾纠纷 app (django-tasks, worked by ``manage.py db_worker``)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django_tasks import task

from fengqiao.disputes.models import DisputeCase
from fengqiao.disputes.risk import services as risk


@task()
def recompute_dispute_risk() -> dict[str, Any]:
    """民转刑预警: rescore every open dispute (the clock and the 12-month windows move
    even when nobody touches a case) and warn about those that became high risk. Safe to
    run as often as wanted — nightly from cron with ``manage.py recompute_dispute_risk
    --enqueue``. Returns the counts (cases, high, medium, newly high, notices)."""
    return dataclasses.asdict(risk.recompute_all())


@task()
def refresh_dispute_risk(case_id: int) -> int:
    """Rescore one case (after a session, a term's performance …) without making the
    request wait; returns the new score, or -1 if the case is gone."""
    case = DisputeCase.objects.filter(pk=case_id).first()
    if case is None:
        return -1
    return risk.refresh_case(case).score
