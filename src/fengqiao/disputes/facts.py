"""The facts disputes announce to the rollups (:mod:`fengqiao.rollups.store`): 矛盾纠纷,
those turned criminal (民转刑) and follow-up visits (回访). Registered in
:meth:`fengqiao.disputes.apps.DisputesConfig.ready`, with :func:`connect`: a dispute
counts for its address's grid, so moving an address moves its disputes' counts."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db import models
from django.db.models import F
from django.db.models.signals import post_save, pre_save

from fengqiao.rollups import store
from fengqiao.rollups.store import NO_GRID, Fact, local_date


def _disputes(*, criminal: bool = False) -> models.QuerySet[Any]:
    from fengqiao.disputes.models import DisputeCase

    cases = DisputeCase.objects.filter(turned_criminal=True) if criminal else DisputeCase.objects
    return cases.values(
        r_unit=F("jurisdiction_id"), r_grid=F("address__grid_id"),
        r_day=local_date("registered_at"), r_cat=F("category"), r_st=F("status"),
    )  # fmt: skip


def _follow_ups() -> models.QuerySet[Any]:
    from fengqiao.disputes.models import FollowUp

    return FollowUp.objects.filter(done_at__isnull=False).values(
        r_unit=F("case__jurisdiction_id"), r_grid=NO_GRID, r_day=local_date("done_at"),
        r_cat=F("satisfaction"), r_st=F("outcome"),
    )  # fmt: skip


FACTS = [
    # 矛盾纠纷 by registration day, category and current status; 民转刑 among them.
    Fact("dispute", "disputes.DisputeCase", _disputes, frozenset(
        {"jurisdiction", "address", "registered_at", "category", "status"}
    ), "jurisdiction", "address__grid", "dispute", "pk"),
    Fact("criminal", "disputes.DisputeCase", lambda: _disputes(criminal=True), frozenset(
        {"jurisdiction", "address", "registered_at", "category", "status", "turned_criminal"}
    ), "jurisdiction", "address__grid", "dispute", "pk"),
    # 回访 done, by day, satisfaction and outcome; counted for units only, like clocks.
    Fact("followup", "disputes.FollowUp", _follow_ups, frozenset(
        {"case", "done_at", "satisfaction", "outcome"}
    ), "case__jurisdiction", "", "dispute", "case_id"),
]  # fmt: skip


def _before_address_save(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    """A dispute counts for its address's grid (read through the address), so moving an
    address to another grid moves its disputes' counts."""
    from fengqiao.disputes.models import DisputeCase

    if kwargs.get("raw") or instance.pk is None or instance._state.adding:
        return
    update_fields = kwargs.get("update_fields")
    if update_fields is not None and not {"grid", "grid_id"} & set(update_fields):
        return
    cases = list(DisputeCase.objects.filter(address_id=instance.pk).values_list("pk", flat=True))
    instance._rollup_cases = cases
    instance._rollup_before = store.snapshot(DisputeCase, cases) if cases else Counter()


def _after_address_save(sender: type[models.Model], instance: Any, **kwargs: Any) -> None:
    from fengqiao.disputes.models import DisputeCase

    cases = getattr(instance, "_rollup_cases", None)
    if cases:
        store.records_changed([(DisputeCase, cases)], instance._rollup_before)
    instance._rollup_cases = None


def connect() -> None:
    """Announce the disputes' facts, and follow the addresses their grid is read through."""
    store.register(*FACTS)
    address = "addresses.StandardAddress"
    pre_save.connect(_before_address_save, sender=address, dispatch_uid="rollups-address-pre")
    post_save.connect(_after_address_save, sender=address, dispatch_uid="rollups-address-post")
