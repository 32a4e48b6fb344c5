"""警情: incidents from every source, their handling, clocks, the reporter's view
(阳光坐席) and cross-unit requests (吹哨报到)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.core.models import TimeStampedModel, VersionedModel, related_label
from fengqiao.core.timeline import Message, TimelineEvent
from fengqiao.incidents import taxonomy

DESCRIPTION_MAX_LENGTH = 5000


class Category(models.Model):
    """警情类别: a two-level taxonomy (刑事 → 盗窃, 诈骗, 电信网络诈骗 …) as used in
    police statistics. Configurable: stations may add sub-types; codes never change."""

    code = models.CharField(_("代码"), max_length=20, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级类别"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )  # fmt: skip
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("警情类别")
        verbose_name_plural = _("警情类别")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return f"{self.parent.label}/{self.label}" if self.parent_id else self.label

    @property
    def label(self) -> str:
        """The name in the user's language (seeded names are translated)."""
        return taxonomy.label(self.name)

    @property
    def top(self) -> Category:
        return self.parent if self.parent_id else self


class Source(models.TextChoices):
    CALL_110 = "110", _("110报警")
    WALK_IN = "walk_in", _("来所报警")
    PHONE = "phone", _("电话报警")
    ONLINE = "online", _("网上报警")
    VOLUNTEER = "volunteer", _("群防群治力量报告")
    VIDEO_PATROL = "video_patrol", _("视频巡逻发现")
    TRANSFER = "transfer", _("其他单位移交")


class Validity(models.TextChoices):
    VALID = "valid", _("有效警情")
    INVALID = "invalid", _("无效警情")


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    CRITICAL = "critical", _("特急")


class Status(models.TextChoices):
    RECEIVED = "received", _("已接警")
    DISPATCHED = "dispatched", _("已派警")
    ON_SCENE = "on_scene", _("已到场")
    LINKED = "linked", _("已联动120/119")
    HANDLED = "handled", _("已处置")
    CASE_REGISTERED = "case_registered", _("已立案")
    TO_DISPUTE = "to_dispute", _("已转矛盾纠纷调解")
    TRANSFERRED = "transferred", _("已移交")
    INVALID = "invalid", _("无效警情")
    CLOSED = "closed", _("已办结")


# Where the workflow ends (checked against the transition table by the tests). One fixed
# order: the open list's filter must read exactly like the partial index's condition for
# SQLite to use it.
FINAL_STATUSES = sorted([Status.CLOSED, Status.INVALID, Status.TRANSFERRED])
OPEN_STATUSES = frozenset(Status.values) - set(FINAL_STATUSES)


class Incident(VersionedModel):
    """警情: one report, from whatever source, and its handling. ``jurisdiction`` is the
    unit responsible (the police district of the resolved address, else the receiving
    station) and the scope every read checks."""

    tracking_code = models.CharField(_("查询码"), max_length=10, unique=True, editable=False)
    received_at = models.DateTimeField(_("接警时间"), db_index=True)
    occurred_at = models.DateTimeField(_("发案时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=Source.choices)
    reporter_name = models.CharField(_("报警人"), max_length=50, blank=True)
    reporter_phone = models.CharField(_("报警人电话"), max_length=11, blank=True)
    location_text = models.CharField(_("地点"), max_length=200)
    address = models.ForeignKey(
        "addresses.StandardAddress", verbose_name=_("标准地址"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="incidents",
    )  # fmt: skip
    grid = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("网格"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="grid_incidents",
    )  # fmt: skip
    # Indexed by incident_scope_time, which leads with it: a lone index on it would tempt
    # SQLite into reading a station's whole history to sort it for the first page.
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("责任单位"), on_delete=models.PROTECT,
        related_name="incidents", db_index=False,
    )  # fmt: skip
    description = models.TextField(_("简要警情"), max_length=DESCRIPTION_MAX_LENGTH)
    category = models.ForeignKey(
        Category, verbose_name=_("警情类别"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="incidents",
    )  # fmt: skip
    suggested_category = models.ForeignKey(
        Category, verbose_name=_("建议类别"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    validity = models.CharField(
        _("有效性"), max_length=10, choices=Validity.choices, default=Validity.VALID
    )
    urgency = models.CharField(
        _("紧急程度"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL
    )
    status = models.CharField(
        _("状态"), max_length=16, choices=Status.choices, default=Status.RECEIVED
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"))
    case_number = models.CharField(_("案件编号"), max_length=40, blank=True)
    transferred_to = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("移交单位"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="transferred_incidents",
    )  # fmt: skip
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接警人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="received_incidents",
    )  # fmt: skip

    PERSONAL_FIELDS = {"reporter_name": "name", "reporter_phone": "phone"}

    class Meta:
        verbose_name = _("警情")
        verbose_name_plural = _("警情")
        indexes = [
            # Covering for the brief's repeat addresses (grouped without reading rows).
            models.Index(fields=["jurisdiction", "received_at", "address"],
                         name="incident_scope_time"),
            models.Index(fields=["address", "received_at"], name="incident_address_time"),
            models.Index(fields=["jurisdiction", "received_at"], name="incident_open",
                         condition=~Q(status__in=FINAL_STATUSES)),
            # Dispute intake finds the parties' earlier calls by phone.
            models.Index(fields=["reporter_phone", "received_at"], name="incident_reporter",
                         condition=~Q(reporter_phone="")),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.location_text}"

    @property
    def scope_path(self) -> str:
        return self.jurisdiction.path

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventKind(models.TextChoices):
    INTAKE = "intake", _("接警")
    TRANSITION = "transition", _("处置")
    CORRECTION = "correction", _("更正")
    CATEGORY = "category", _("定类")
    NOTE = "note", _("备注")
    REPORTER = "reporter", _("报警人补充")
    SURVEY = "survey", _("满意度评价")


class IncidentEvent(TimelineEvent):
    """One line of an incident's timeline (see :class:`~fengqiao.core.timeline.TimelineEvent`;
    its sentences are :data:`INCIDENT_MESSAGES`)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=12, choices=EventKind.choices)
    from_status = models.CharField(_("原状态"), max_length=16, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16, choices=Status.choices, blank=True)
    note = models.TextField(_("说明"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("警情记录")
        verbose_name_plural = _("警情记录")


class ClockKind(models.TextChoices):
    DISPATCH = "dispatch", _("派警时限")
    ARRIVAL = "arrival", _("到场时限")
    QUICK_SOLVE = "quick_solve", _("快侦快破时限")
    SOLVE = "solve", _("破案时限")
    CLOSE = "close", _("办结时限")


class DeadlineRule(models.Model):
    """时限规则: a clock that starts at ``received_at`` for incidents of a category (and
    its sub-types; none = every category) and stops when the incident reaches one of
    ``stop_statuses``. ``reported_within_minutes`` restricts it to incidents reported that
    soon after they happened (金华's 3-hour quick solve for thefts reported in the first
    hour)."""

    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("时限类型"), max_length=12, choices=ClockKind.choices)
    category = models.ForeignKey(
        Category, verbose_name=_("适用类别"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="deadline_rules",
    )  # fmt: skip
    minutes = models.PositiveIntegerField(_("时限（分钟）"))
    reported_within_minutes = models.PositiveIntegerField(
        _("发案后多久内报警才适用（分钟）"), null=True, blank=True
    )
    stop_statuses = models.JSONField(_("停止计时的状态"), default=list)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("时限规则")
        verbose_name_plural = _("时限规则")
        ordering = ["minutes", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return taxonomy.label(self.name)


class Deadline(models.Model):
    """A running (or met) clock of one incident. ``jurisdiction`` is copied from the
    incident so the duty list is one index range: open clocks of a scope by due time."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="deadlines")
    rule = models.ForeignKey(DeadlineRule, on_delete=models.PROTECT, related_name="+")
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(_("到期时间"))
    met_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("时限")
        verbose_name_plural = _("时限")
        indexes = [
            models.Index(fields=["jurisdiction", "due_at"], name="deadline_running",
                         condition=Q(met_at__isnull=True)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.rule} {self.due_at:%Y-%m-%d %H:%M}"


class ReporterAddition(models.Model):
    """What the reporter added from the public page: a clue, a correction, a photo."""

    class Kind(models.TextChoices):
        CLUE = "clue", _("线索")
        CORRECTION = "correction", _("更正")
        PHOTO = "photo", _("照片")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="additions")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    kind = models.CharField(_("类型"), max_length=12, choices=Kind.choices)
    text = models.TextField(_("内容"), blank=True, max_length=2000)
    photo = models.FileField(_("照片"), upload_to="incident-photos/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("报警人补充")
        verbose_name_plural = _("报警人补充")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.at:%Y-%m-%d %H:%M}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    FAIRLY = "fairly", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")


class SurveyResponse(models.Model):
    """The reporter's satisfaction after the incident was closed (one per incident)."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="survey")
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    rating = models.CharField(_("评价"), max_length=12, choices=Satisfaction.choices)
    comment = models.TextField(_("意见"), blank=True, max_length=1000)

    class Meta:
        verbose_name = _("满意度评价")
        verbose_name_plural = _("满意度评价")

    def __str__(self) -> str:
        return str(self.get_rating_display())


class SmsMessage(TimeStampedModel):
    """An SMS prepared for a citizen (tracking code at intake), sent through the
    configured gateway (:mod:`fengqiao.incidents.sms`)."""

    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="sms"
    )
    phone = models.CharField(_("手机号"), max_length=11)
    text = models.TextField(_("内容"), max_length=500)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    error = models.CharField(_("失败原因"), max_length=200, blank=True)

    PERSONAL_FIELDS = {"phone": "phone"}

    class Meta:
        verbose_name = _("短信")
        verbose_name_plural = _("短信")

    def __str__(self) -> str:  # the number is personal: never in a label
        return gettext("短信：%(incident)s") % {
            "incident": related_label(self, "incident", "tracking_code")
        }


class WhistleStatus(models.TextChoices):
    RAISED = "raised", _("已吹哨")
    ACCEPTED = "accepted", _("已报到")
    REPORTED = "reported", _("已反馈")
    CLOSED = "closed", _("已办结")
    DECLINED = "declined", _("已退回")


OPEN_WHISTLES = ["raised", "accepted", "reported"]


class WhistleRequest(VersionedModel):
    """吹哨报到: a station "blows the whistle" — a request to a specialised unit (警种)
    or another station — and the unit reports for duty, reports back, and the station
    closes it. Overdue requests are escalated to the bureau above the station."""

    code = models.CharField(_("编号"), max_length=10, unique=True, editable=False)
    raised_by_unit = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("吹哨单位"), on_delete=models.PROTECT,
        related_name="whistles_raised",
    )  # fmt: skip
    to_unit = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("报到单位"), on_delete=models.PROTECT,
        related_name="whistles_received",
    )  # fmt: skip
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("吹哨人"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    raised_at = models.DateTimeField(_("吹哨时间"))
    title = models.CharField(_("事项"), max_length=100)
    location_text = models.CharField(_("地点"), max_length=200, blank=True)
    reason = models.TextField(_("原因与要求"), max_length=DESCRIPTION_MAX_LENGTH)
    incident = models.ForeignKey(
        Incident, verbose_name=_("关联警情"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="whistles",
    )  # fmt: skip
    case_number = models.CharField(_("关联案件编号"), max_length=40, blank=True)
    due_at = models.DateTimeField(_("要求完成时间"))
    status = models.CharField(
        _("状态"), max_length=10, choices=WhistleStatus.choices, default=WhistleStatus.RAISED
    )
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("吹哨报到")
        verbose_name_plural = _("吹哨报到")
        indexes = [
            models.Index(fields=["to_unit", "due_at"], name="whistle_inbox",
                         condition=Q(status__in=OPEN_WHISTLES)),
            models.Index(fields=["raised_by_unit", "raised_at"], name="whistle_board",
                         condition=Q(status__in=OPEN_WHISTLES)),
            models.Index(fields=["due_at"], name="whistle_unescalated",
                         condition=Q(status__in=OPEN_WHISTLES, escalated_at__isnull=True)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    @property
    def scope_path(self) -> str:
        return self.raised_by_unit.path


class WhistleEvent(models.Model):
    """One line of a whistle's history: raised, accepted, reported back, closed,
    declined, escalated — with who and a note."""

    whistle = models.ForeignKey(WhistleRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    from_status = models.CharField(
        _("原状态"), max_length=10, choices=WhistleStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("新状态"), max_length=10, choices=WhistleStatus.choices, blank=True
    )
    escalation = models.BooleanField(_("升级"), default=False)
    note = models.TextField(_("说明"), blank=True, max_length=DESCRIPTION_MAX_LENGTH)

    class Meta:
        verbose_name = _("吹哨记录")
        verbose_name_plural = _("吹哨记录")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.to_status} {self.at:%Y-%m-%d %H:%M}"


def _category_path(names: list[str]) -> str:
    """A category stored by its names (top level first), as it was named when the line
    was written; seeded names in the reader's language."""
    return "/".join(taxonomy.label(name) for name in names)


# The sentences the incident services write into a timeline (``IncidentEvent.message``).
INCIDENT_MESSAGES = {
    "category_set": Message("%(category)s", {"category": _category_path}),
    "category_changed": Message(
        "%(previous)s → %(category)s", {"previous": _category_path, "category": _category_path}
    ),
    "address_linked": Message(_("关联标准地址：%(address)s")),
    "reporter_added": Message(
        _("报警人补充了%(addition)s"),
        {"addition": ReporterAddition.Kind},
        suffixes={"photo": _("（附照片）")},
    ),
    "survey": Message(_("报警人评价：%(rating)s"), {"rating": Satisfaction}),
}
IncidentEvent.messages = INCIDENT_MESSAGES
