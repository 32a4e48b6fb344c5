"""汇总: daily and monthly counts of the records, kept on every write, read by 一屏尽览
and 一表通考 (moved here from ``scoring``: migrations ``rollups.0001`` and ``scoring.0006``
hand over the table with its rows)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Grain(models.TextChoices):
    DAY = "d", _("日")
    MONTH = "m", _("月")


class Rollup(models.Model):
    """汇总: how many records of one fact fell on one local day (or month) under one node,
    by category and status. Kept current on every write (:mod:`fengqiao.rollups.store`)
    for the record's police unit and each unit above it, and for its grid and community,
    so that a dashboard of any node reads a few hundred rows instead of the raw tables."""

    node = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+",
        db_index=False,  # the unique key leads with it
    )  # fmt: skip
    fact = models.CharField(_("事实"), max_length=16)
    grain = models.CharField(_("粒度"), max_length=1, choices=Grain.choices)
    day = models.DateField(_("日期"))  # a month's rows carry its first day
    category = models.CharField(_("类别"), max_length=24, blank=True)
    status = models.CharField(_("状态"), max_length=16, blank=True)
    n = models.IntegerField(_("数量"), default=0)

    class Meta:
        verbose_name = _("汇总")
        verbose_name_plural = _("汇总")
        constraints = [
            models.UniqueConstraint(
                fields=["node", "fact", "grain", "day", "category", "status"], name="rollup_key"
            ),
        ]
        indexes = [
            # 零发案: the communities with crime in a span, whatever the scope (store.py);
            # rows counted down to zero left out, so the index alone answers (no heap).
            models.Index(fields=["grain", "day", "node"], name="rollup_crime_area_found",
                         condition=models.Q(fact="crime_area", n__gt=0)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.node_id} {self.fact} {self.day} {self.category}/{self.status}={self.n}"
