"""一表通考: indicators, scores, manual assessments and two-way evaluations (the rollups
they read are :mod:`fengqiao.rollups`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.models import TimeStampedModel, VersionedModel
from fengqiao.scoring import indicators

# --- 一表通考: indicators, scores, manual assessments, two-way evaluation -----------------


class Level(models.TextChoices):
    """Who is scored (考核对象层级). Peers are ranked within a level."""

    OFFICER = "officer", _("民警")
    STATION = "station", _("派出所")
    COUNTY_BUREAU = "county_bureau", _("县（区）局")
    CITY_BUREAU = "city_bureau", _("市（州）局")
    DEPARTMENT = "department", _("机关警种部门")


class Direction(models.TextChoices):
    HIGHER = "higher", _("越高越好")
    LOWER = "lower", _("越低越好")


class Indicator(VersionedModel):
    """考核指标: one line of the 一表通考 table. A computed indicator has a ``formula``
    over named facts (:mod:`fengqiao.scoring.facts`) and other indicators, checked when
    it is saved (:mod:`fengqiao.scoring.indicators`); a manual one (党建考评, 执法质量考评 …)
    takes the value an assessor enters (:class:`ManualAssessment`).

    Points (:func:`fengqiao.scoring.services.points_for`): full ``weight`` at the
    ``target`` or better, none at ``zero_at`` or worse, linear in between."""

    code = models.CharField(
        _("代码"), max_length=32, unique=True,
        help_text=_("小写字母开头，由小写字母、数字和下划线组成；其他指标的公式以此引用"),
    )  # fmt: skip
    name = models.CharField(_("名称"), max_length=60)
    description = models.TextField(_("说明"), blank=True, max_length=2000)
    manual = models.BooleanField(
        _("手工录入"), default=False, help_text=_("由考评人员按考核期录入分值，不由公式计算")
    )
    formula = models.TextField(_("公式"), blank=True, max_length=500)
    unit = models.CharField(_("计量单位"), max_length=8, blank=True)
    direction = models.CharField(
        _("方向"), max_length=8, choices=Direction.choices, default=Direction.HIGHER
    )
    target = models.DecimalField(_("目标值"), max_digits=12, decimal_places=4)
    zero_at = models.DecimalField(
        _("零分值"), max_digits=12, decimal_places=4, default=0,
        help_text=_("达到（或差于）此值得0分；越高越好的指标通常为0"),
    )  # fmt: skip
    weight = models.DecimalField(_("分值（权重）"), max_digits=6, decimal_places=2)
    levels = models.JSONField(_("适用层级"), default=list)
    active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("考核指标")
        verbose_name_plural = _("考核指标")
        ordering = ["sort", "code"]

    @property
    def label(self) -> str:
        """The name in the reader's language (seeded names are translated)."""
        return indicators.label(self.name)

    @property
    def unit_label(self) -> str:
        return indicators.label(self.unit)

    def __str__(self) -> str:
        return f"{self.label}（{self.code}）"

    def snapshot(self) -> dict[str, object]:
        """The definition as a score records it: enough to recompute the points."""
        return {
            "code": self.code, "name": self.name, "version": self.version,
            "manual": self.manual, "formula": self.formula, "unit": self.unit,
            "direction": self.direction, "target": str(self.target),
            "zero_at": str(self.zero_at), "weight": str(self.weight),
            "levels": list(self.levels), "sort": self.sort,
        }  # fmt: skip


class ScoringPeriod(models.Model):
    """考核期 that has been closed (定稿). Closing freezes the indicator table in force
    (``definitions``), the manual assessments and the two-way evaluations of the
    period: every later recomputation uses the frozen table, so the period's scores
    reproduce even after the indicators change. An open period has no row."""

    key = models.CharField(_("考核期"), max_length=8, unique=True)  # 2026-11, 2026-Q4, 2026
    closed_at = models.DateTimeField(_("关闭时间"))
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("关闭人"), null=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    definitions = models.JSONField(_("指标定义"), default=list)

    class Meta:
        verbose_name = _("已关闭的考核期")
        verbose_name_plural = _("已关闭的考核期")

    def __str__(self) -> str:
        return self.key


class Scorecard(models.Model):
    """一次计分: the scores of every subject of one level for one period, with the
    indicator definitions they were computed with. Recomputing replaces its scores."""

    period = models.CharField(_("考核期"), max_length=8)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    computed_at = models.DateTimeField(_("计算时间"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("计算人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    definitions = models.JSONField(_("指标定义"), default=list)
    frozen = models.BooleanField(_("按已关闭考核期的定义计算"), default=False)

    class Meta:
        verbose_name = _("考核计分")
        verbose_name_plural = _("考核计分")
        constraints = [
            models.UniqueConstraint(fields=["period", "level"], name="scorecard_period_level")
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.get_level_display()}"


class Score(models.Model):
    """One subject's result in a scorecard: a unit (``node``) or an officer (``officer``,
    with ``node`` his own unit). ``unit_path`` is copied for scoped reads."""

    scorecard = models.ForeignKey(Scorecard, on_delete=models.CASCADE, related_name="scores")
    node = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+"
    )
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE,
        related_name="scores",
    )  # fmt: skip
    unit_path = models.CharField(max_length=255)
    peer_group = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("所属上级"), on_delete=models.CASCADE,
        related_name="+",
    )  # fmt: skip
    total = models.DecimalField(_("总分"), max_digits=8, decimal_places=2, null=True)
    earned = models.DecimalField(_("实得分"), max_digits=8, decimal_places=2, default=0)
    scored_weight = models.DecimalField(_("有数据指标的分值"), max_digits=8, decimal_places=2,
                                        default=0)  # fmt: skip
    rank = models.PositiveIntegerField(_("排名"), null=True)
    peers = models.PositiveIntegerField(_("参评数"), default=0)
    rank_in_group = models.PositiveIntegerField(_("上级内排名"), null=True)
    group_peers = models.PositiveIntegerField(_("上级内参评数"), default=0)

    class Meta:
        verbose_name = _("考核得分")
        verbose_name_plural = _("考核得分")
        indexes = [
            models.Index(fields=["scorecard", "unit_path"], name="score_scope"),
            models.Index(fields=["officer", "scorecard"], name="score_officer"),
        ]

    def __str__(self) -> str:
        return f"{self.scorecard} {self.node_id}/{self.officer_id} {self.total}"


class ScoreItem(models.Model):
    """One indicator of one score, with the definition used (snapshot) and the facts
    the formula read, so the page shows how the points came about."""

    score = models.ForeignKey(Score, on_delete=models.CASCADE, related_name="items")
    code = models.CharField(_("指标代码"), max_length=32)
    name = models.CharField(_("指标名称"), max_length=60)
    version = models.PositiveIntegerField(_("指标版本"))
    manual = models.BooleanField(_("手工录入"), default=False)
    formula = models.TextField(_("公式"), blank=True)
    unit = models.CharField(_("计量单位"), max_length=8, blank=True)
    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices)
    target = models.DecimalField(_("目标值"), max_digits=12, decimal_places=4)
    zero_at = models.DecimalField(_("零分值"), max_digits=12, decimal_places=4)
    weight = models.DecimalField(_("分值"), max_digits=6, decimal_places=2)
    value = models.DecimalField(_("指标值"), max_digits=16, decimal_places=4, null=True)
    points = models.DecimalField(_("得分"), max_digits=8, decimal_places=2, null=True)
    facts = models.JSONField(_("事实"), default=dict)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("指标得分")
        verbose_name_plural = _("指标得分")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return f"{self.code}={self.value} → {self.points}"


class ManualAssessment(TimeStampedModel):
    """手工考评: the value of a manual indicator (党建考评, 执法质量考评 …) for one subject
    and period, as the assessor entered it, with his note. Audited; frozen once the
    period is closed."""

    indicator = models.ForeignKey(
        Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="assessments"
    )
    period = models.CharField(_("考核期"), max_length=8)
    node = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("考核单位"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("考核民警"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    value = models.DecimalField(_("分值"), max_digits=12, decimal_places=4)
    note = models.CharField(_("考评说明"), max_length=500, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("录入人"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("手工考评")
        verbose_name_plural = _("手工考评")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "node"], condition=models.Q(officer=None),
                name="assessment_one_per_unit",
            ),
            models.UniqueConstraint(
                fields=["indicator", "period", "officer"],
                condition=~models.Q(officer=None), name="assessment_one_per_officer",
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period} {self.value}"

    @property
    def scope_path(self) -> str:
        return self.node.path


class Criterion(models.TextChoices):
    """双向评价的评价项: how a station rates a department of its bureau."""

    ATTITUDE = "attitude", _("服务态度")
    RESPONSE = "response", _("响应速度")
    COOPERATION = "cooperation", _("协作质量")


class DepartmentRating(models.Model):
    """双向评价: one station's rating of one department (警种部门) of its bureau for one
    month, 1–5 on each :class:`Criterion`. The station is kept only so that it rates
    each department once a period and may correct its rating until the period closes;
    no page, export or API shows which station gave which rating (see
    :func:`fengqiao.scoring.selectors.evaluation_results`)."""

    period = models.CharField(_("考核期"), max_length=8)  # a month: 2026-11
    station = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+"
    )
    department = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, related_name="+"
    )
    attitude = models.PositiveSmallIntegerField(_("服务态度"))
    response = models.PositiveSmallIntegerField(_("响应速度"))
    cooperation = models.PositiveSmallIntegerField(_("协作质量"))
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    rated_at = models.DateTimeField(_("评价时间"))

    class Meta:
        verbose_name = _("双向评价")
        verbose_name_plural = _("双向评价")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "station", "department"], name="one_rating_per_station"
            ),
            models.CheckConstraint(
                condition=models.Q(attitude__range=(1, 5), response__range=(1, 5),
                                   cooperation__range=(1, 5)),
                name="rating_one_to_five",
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["department", "period"], name="rating_department")]

    def __str__(self) -> str:
        return f"{self.period} → {self.department_id}"
