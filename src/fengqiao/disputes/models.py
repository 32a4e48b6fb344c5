"""矛盾纠纷多元化解: dispute cases, their parties, the mediators who take them, sessions,
agreements and what follows them (performance, judicial confirmation, notarisation,
follow-up visits), screening rounds and the escalation warning.

Scope: a case belongs to ``jurisdiction`` (the police district of its address, else the
station that took it); a mediator account reads only the cases he is assigned to."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.core.models import TimeStampedModel, VersionedModel, related_label
from fengqiao.core.timeline import TimelineEvent
from fengqiao.core.validators import validate_id_number, validate_mobile, validate_uscc

TEXT_MAX_LENGTH = 5000


def _local(at: Any) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}" if at else ""


class Category(models.TextChoices):
    """The categories of the people's-mediation statistics (人民调解统计)."""

    MARRIAGE_FAMILY = "marriage_family", _("婚姻家庭")
    NEIGHBOURS = "neighbours", _("邻里")
    HOUSING_LAND = "housing_land", _("房屋宅基地")
    CONTRACT = "contract", _("合同")
    BUSINESS = "business", _("生产经营")
    DAMAGES = "damages", _("损害赔偿")
    FOREST_LAND = "forest_land", _("山林土地")
    EXPROPRIATION = "expropriation", _("征地拆迁")
    LABOUR = "labour", _("劳动争议")
    CONSUMER = "consumer", _("消费")
    MEDICAL = "medical", _("医疗")
    TRAFFIC = "traffic", _("道路交通事故")
    PROPERTY_MANAGEMENT = "property_management", _("物业")
    OTHER = "other", _("其他")


class Source(models.TextChoices):
    INCIDENT = "incident", _("警情转入")
    WALK_IN = "walk_in", _("来访")
    VOLUNTEER = "volunteer", _("群防群治力量报告")
    HOTLINE_12348 = "12348", _("12348法律服务热线")
    COURT = "court", _("法院委派（诉非联动）")
    PETITION = "petition", _("信访部门移交（访调对接）")
    SCREENING = "screening", _("排查发现")


class Track(models.TextChoices):
    """The two legal tracks: 人民调解 (人民调解法) and 治安调解 (公安机关治安调解工作规范)."""

    PEOPLE = "people", _("人民调解")
    POLICE = "police", _("治安调解")


class Status(models.TextChoices):
    REGISTERED = "registered", _("已登记")
    ACCEPTED = "accepted", _("调解中")
    SUSPENDED = "suspended", _("中止")
    AGREED = "agreed", _("已达成协议")
    RESOLVED = "resolved", _("已化解")
    FAILED = "failed", _("调解不成")
    TO_PENALTY = "to_penalty", _("转治安处罚程序")
    REFUSED = "refused", _("不予受理/当事人拒绝")
    REFERRED = "referred", _("已移交其他机构")
    WITHDRAWN = "withdrawn", _("已撤回")


# A closed case is one of these; the resolution rate counts RESOLVED among them.
CLOSED_STATUSES = sorted([Status.RESOLVED, Status.FAILED, Status.TO_PENALTY, Status.REFUSED,
                          Status.REFERRED, Status.WITHDRAWN])  # fmt: skip
OPEN_STATUSES = frozenset(Status.values) - set(CLOSED_STATUSES)


class RiskLevel(models.TextChoices):
    LOW = "low", _("低")
    MEDIUM = "medium", _("中")
    HIGH = "high", _("高")


class DisputeCase(VersionedModel):
    """矛盾纠纷: one dispute from intake to its last follow-up visit."""

    code = models.CharField(_("案号"), max_length=10, unique=True, editable=False)
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("责任单位"), on_delete=models.PROTECT,
        related_name="disputes", db_index=False,
    )  # fmt: skip
    address = models.ForeignKey(
        "addresses.StandardAddress", verbose_name=_("标准地址"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="disputes",
    )  # fmt: skip
    location_text = models.CharField(_("地点"), max_length=200, blank=True)
    category = models.CharField(_("纠纷类别"), max_length=24, choices=Category.choices)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    source_incident = models.ForeignKey(
        "incidents.Incident", verbose_name=_("来源警情"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="disputes",
    )  # fmt: skip
    screening_round = models.ForeignKey(
        "ScreeningRound", verbose_name=_("排查"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="disputes",
    )  # fmt: skip
    referred_by = models.CharField(_("移交/委派机构"), max_length=100, blank=True)
    track = models.CharField(_("调解类型"), max_length=8, choices=Track.choices)
    status = models.CharField(
        _("状态"), max_length=12, choices=Status.choices, default=Status.REGISTERED
    )
    status_changed_at = models.DateTimeField(_("状态变更时间"))
    narrative = models.TextField(_("纠纷简要情况"), max_length=TEXT_MAX_LENGTH)
    amount = models.DecimalField(
        _("涉及金额（元）"), max_digits=14, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )  # fmt: skip
    languages = models.JSONField(_("所需语言"), default=list, blank=True)
    registered_at = models.DateTimeField(_("登记时间"))
    accepted_at = models.DateTimeField(_("受理时间"), null=True, blank=True)
    # The track's clock: 30 days (people's mediation, extendable with consent) or three
    # working days (police mediation) from acceptance. Paused while suspended.
    due_at = models.DateTimeField(_("调解期限"), null=True, blank=True)
    extended_days = models.PositiveSmallIntegerField(_("已延长天数"), default=0)
    suspended_at = models.DateTimeField(_("中止时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    # Police track: the minor public-order offence behind the dispute (违法行为).
    offence = models.CharField(_("违反治安管理行为"), max_length=200, blank=True)
    # Escalation warning (民转刑 prevention), recomputed by fengqiao.disputes.risk.
    risk_score = models.PositiveSmallIntegerField(_("风险分"), default=0)
    risk_level = models.CharField(
        _("风险等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    risk_reasons = models.JSONField(_("风险因素"), default=list, blank=True)
    risk_computed_at = models.DateTimeField(_("风险评估时间"), null=True, blank=True)
    turned_criminal = models.BooleanField(_("已转为刑事案件"), default=False)
    prevented_people = models.PositiveSmallIntegerField(
        _("防止民转刑涉及人数"), default=0,
        help_text=_("化解后避免了民转刑的当事人人数（统计“防止民转刑N件M人”）"),
    )  # fmt: skip
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="registered_disputes",
    )  # fmt: skip

    class Meta:
        verbose_name = _("矛盾纠纷")
        verbose_name_plural = _("矛盾纠纷")
        indexes = [
            models.Index(fields=["jurisdiction", "registered_at"], name="dispute_scope_time"),
            models.Index(fields=["address", "registered_at"], name="dispute_address_time"),
            models.Index(fields=["jurisdiction", "due_at"], name="dispute_open",
                         condition=~Q(status__in=CLOSED_STATUSES)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.code} {self.get_category_display()}"

    @property
    def scope_path(self) -> str:
        return self.jurisdiction.path

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class PartyKind(models.TextChoices):
    PERSON = "person", _("自然人")
    ORGANISATION = "organisation", _("单位")


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", _("申请人")
    RESPONDENT = "respondent", _("被申请人")
    THIRD_PARTY = "third_party", _("第三人")


class Consent(models.TextChoices):
    PENDING = "pending", _("未表态")
    GIVEN = "given", _("同意调解")
    REFUSED = "refused", _("拒绝调解")


class Party(VersionedModel):
    """当事人: a person or an organisation in a dispute. ``party_key`` is the normalised
    identity (ID number, credit code, else name and phone) that finds the same party in
    other disputes without scanning names."""

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="parties")
    kind = models.CharField(
        _("类型"), max_length=12, choices=PartyKind.choices, default=PartyKind.PERSON
    )
    role = models.CharField(_("身份"), max_length=12, choices=PartyRole.choices)
    name = models.CharField(_("姓名/名称"), max_length=100)
    id_number = models.CharField(
        _("身份证号"), max_length=18, blank=True, validators=[validate_id_number]
    )
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, validators=[validate_uscc]
    )
    phone = models.CharField(_("联系电话"), max_length=11, blank=True, validators=[validate_mobile])
    gender = models.CharField(_("性别"), max_length=2, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=20, blank=True)
    occupation = models.CharField(_("职业或职务"), max_length=50, blank=True)
    home_address = models.CharField(_("住所"), max_length=200, blank=True)
    language = models.CharField(_("使用语言"), max_length=20, blank=True)
    representative = models.CharField(_("法定代表人/代理人"), max_length=50, blank=True)
    # 治安调解: a party under 16 takes part only with a guardian present.
    guardian_name = models.CharField(_("监护人"), max_length=50, blank=True)
    guardian_present = models.BooleanField(_("监护人到场"), default=False)
    consent = models.CharField(
        _("调解意愿"), max_length=8, choices=Consent.choices, default=Consent.PENDING
    )
    consent_at = models.DateTimeField(_("表态时间"), null=True, blank=True)
    vulnerable = models.BooleanField(
        _("弱势当事人"), default=False, help_text=_("老人、残疾人、孕妇、未成年人等")
    )
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("实有人口"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="dispute_parties",
    )  # fmt: skip
    # The strongest of the party's keys (ID number, credit code, phone, name).
    party_key = models.CharField(_("当事人标识"), max_length=40, editable=False)

    PERSONAL_FIELDS = {"name": "name", "id_number": "id_number", "phone": "phone"}

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = _("当事人")
        ordering = ["role", "pk"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} {self.name}"

    @property
    def scope_path(self) -> str:
        return self.case.scope_path


class PartyKey(models.Model):
    """Every key a party can be found by (:mod:`fengqiao.disputes.parties`): his ID
    number, credit code, phone and name, hashed. Finding prior disputes of the same
    parties is one index lookup per key."""

    key = models.CharField(max_length=40)
    party = models.ForeignKey(Party, on_delete=models.CASCADE, related_name="keys")
    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["key", "case"], name="party_key_case")]

    def __str__(self) -> str:
        return self.key


class MediatorKind(models.TextChoices):
    OFFICER = "officer", _("民警")
    PEOPLES_MEDIATOR = "peoples_mediator", _("人民调解员")
    LAWYER = "lawyer", _("律师")
    FOREIGN = "foreign", _("外籍调解员（洋娘舅）")
    GUARDIAN = "guardian", _("守户员")
    HOUSEHOLD_HEAD = "household_head", _("治安户长")
    OTHER = "other", _("其他")


class MediationRoom(TimeStampedModel):
    """调解室: the mediation room of a station, with the judicial office (司法所)."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("所属单位"), on_delete=models.PROTECT,
        related_name="mediation_rooms",
    )  # fmt: skip
    name = models.CharField(_("名称"), max_length=100)
    committee = models.CharField(_("人民调解委员会"), max_length=100, blank=True)
    judicial_office = models.CharField(_("司法所"), max_length=100, blank=True)
    place = models.CharField(_("地点"), max_length=200, blank=True)
    phone = models.CharField(_("电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("调解室")
        verbose_name_plural = _("调解室")

    def __str__(self) -> str:
        return self.name


class Mediator(VersionedModel):
    """调解员: whoever mediates — officers, people's mediators, duty lawyers, foreign
    mediators, 守户员, 治安户长. ``account`` is his login, if he has one: a mediator
    account sees only the cases he is assigned to."""

    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("类别"), max_length=16, choices=MediatorKind.choices)
    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("账号"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="mediator",
    )  # fmt: skip
    person = models.ForeignKey(
        "registry.Person", verbose_name=_("实有人口"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="mediator_roles",
    )  # fmt: skip
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("服务辖区"), on_delete=models.PROTECT,
        related_name="mediators",
    )  # fmt: skip
    room = models.ForeignKey(
        MediationRoom, verbose_name=_("调解室"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="mediators",
    )  # fmt: skip
    phone = models.CharField(_("电话"), max_length=11, blank=True, validators=[validate_mobile])
    id_number = models.CharField(
        _("身份证号"), max_length=18, blank=True, validators=[validate_id_number]
    )
    languages = models.JSONField(_("语言"), default=list, blank=True)
    specialities = models.JSONField(_("擅长类别"), default=list, blank=True)
    organisation = models.CharField(_("所在单位/律所"), max_length=100, blank=True)
    available = models.BooleanField(_("可接案"), default=True)
    max_open_cases = models.PositiveSmallIntegerField(_("同时办理上限"), default=10)

    PERSONAL_FIELDS = {"phone": "phone", "id_number": "id_number"}

    class Meta:
        verbose_name = _("调解员")
        verbose_name_plural = _("调解员")
        ordering = ["jurisdiction__path", "name"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"

    @property
    def scope_path(self) -> str:
        return self.jurisdiction.path


class ConflictKind(models.TextChoices):
    RELATIVE = "relative", _("近亲属")
    LANDLORD = "landlord", _("房东/租户")
    EMPLOYER = "employer", _("雇佣关系")
    OTHER = "other", _("其他利害关系")


class MediatorConflict(TimeStampedModel):
    """A declared interest: the mediator is related to someone (by party key), so he
    never mediates a case that person is party to. Registry links (same household, his
    tenant) are found without a declaration."""

    mediator = models.ForeignKey(Mediator, on_delete=models.CASCADE, related_name="conflicts")
    party_key = models.CharField(_("当事人标识"), max_length=40, db_index=True)
    kind = models.CharField(_("关系"), max_length=10, choices=ConflictKind.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("利害关系")
        verbose_name_plural = _("利害关系")

    def __str__(self) -> str:
        return gettext("利害关系：%(mediator)s（%(kind)s）") % {
            "mediator": related_label(self, "mediator", "name"),
            "kind": self.get_kind_display(),
        }


class DutyShift(TimeStampedModel):
    """律师值班: one lawyer on duty in a mediation room on one day."""

    room = models.ForeignKey(MediationRoom, on_delete=models.CASCADE, related_name="shifts")
    day = models.DateField(_("日期"))
    mediator = models.ForeignKey(
        Mediator, verbose_name=_("值班律师"), on_delete=models.PROTECT, related_name="shifts"
    )
    swapped_from = models.ForeignKey(
        Mediator, verbose_name=_("原值班人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    swap_reason = models.CharField(_("调班原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("值班")
        verbose_name_plural = _("值班")
        ordering = ["day"]
        constraints = [
            models.UniqueConstraint(fields=["room", "day"], name="one_lawyer_per_room_day")
        ]

    def __str__(self) -> str:
        return gettext("值班：%(day)s %(mediator)s") % {
            "day": self.day,
            "mediator": related_label(self, "mediator", "name"),
        }


class Assignment(TimeStampedModel):
    """A mediator on a case: proposed by the platform with its reasons, decided by a person."""

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="assignments")
    mediator = models.ForeignKey(Mediator, on_delete=models.PROTECT, related_name="assignments")
    lead = models.BooleanField(_("主调解员"), default=True)
    reason = models.CharField(_("推荐理由"), max_length=300, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("指派人"), null=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    ended_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("指派")
        verbose_name_plural = _("指派")
        indexes = [models.Index(fields=["mediator", "ended_at"], name="assignment_load")]

    def __str__(self) -> str:
        return gettext("调解指派：%(case)s → %(mediator)s") % {
            "case": related_label(self, "case", "code"),
            "mediator": related_label(self, "mediator", "name"),
        }


class EventKind(models.TextChoices):
    INTAKE = "intake", _("登记")
    TRANSITION = "transition", _("状态变更")
    CONSENT = "consent", _("当事人表态")
    ASSIGNMENT = "assignment", _("指派调解员")
    SESSION = "session", _("调解")
    EXTENSION = "extension", _("延长期限")
    REFERRAL = "referral", _("移交")
    AGREEMENT = "agreement", _("调解协议")
    PERFORMANCE = "performance", _("履行")
    CONFIRMATION = "confirmation", _("司法确认")
    NOTARISATION = "notarisation", _("公证")
    FOLLOW_UP = "follow_up", _("回访")
    WARNING = "warning", _("预警")
    NOTE = "note", _("备注")


class CaseEvent(TimelineEvent):
    """One line of a case's timeline (see :class:`~fengqiao.core.timeline.TimelineEvent`;
    its sentences are in :mod:`fengqiao.disputes.timeline`)."""

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("类型"), max_length=14, choices=EventKind.choices)
    from_status = models.CharField(_("原状态"), max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=12, choices=Status.choices, blank=True)
    note = models.TextField(_("说明"), blank=True, max_length=TEXT_MAX_LENGTH)

    class Meta(TimelineEvent.Meta):
        verbose_name = _("纠纷记录")
        verbose_name_plural = _("纠纷记录")


class MediationSession(TimeStampedModel):
    """调解记录: one sitting — when, where, who was there, what was said."""

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("调解时间"))
    place = models.CharField(_("地点"), max_length=200)
    attendees = models.TextField(_("参加人员"), max_length=1000)
    summary = models.TextField(_("调解情况"), max_length=TEXT_MAX_LENGTH)
    mediator = models.ForeignKey(
        Mediator, verbose_name=_("调解员"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="sessions",
    )  # fmt: skip
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("调解记录")
        verbose_name_plural = _("调解记录")
        ordering = ["held_at", "pk"]

    def __str__(self) -> str:
        return gettext("调解记录：%(case)s %(at)s") % {
            "case": related_label(self, "case", "code"),
            "at": _local(self.held_at),
        }


class Attachment(TimeStampedModel):
    """证据材料: a file kept outside the web root under a random name, served only
    through the case's scope check."""

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="attachments")
    session = models.ForeignKey(
        MediationSession, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="attachments",
    )  # fmt: skip
    file = models.FileField(_("文件"), upload_to="disputes/%Y/%m/")
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小（字节）"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), null=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("证据材料")
        verbose_name_plural = _("证据材料")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return gettext("证据材料：%(case)s %(name)s") % {
            "case": related_label(self, "case", "code"),
            "name": self.original_name,
        }


class ReferralKind(models.TextChoices):
    REFER = "refer", _("移交")  # the case goes to another body
    TRANSFER = "transfer", _("转办")  # another unit of ours takes it


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("待接收")
    ACCEPTED = "accepted", _("已接收")
    REJECTED = "rejected", _("已退回")


class Referral(TimeStampedModel):
    """Hand-off (Primero-style): referred → accepted or rejected, each with its reason."""

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="referrals")
    kind = models.CharField(_("方式"), max_length=10, choices=ReferralKind.choices)
    to_body = models.CharField(_("接收机构"), max_length=100, blank=True)
    to_unit = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("接收单位"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    reason = models.TextField(_("移交理由"), max_length=1000)
    status = models.CharField(
        _("状态"), max_length=10, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    response = models.TextField(_("接收/退回意见"), max_length=1000, blank=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("移交人"), null=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("移交")
        verbose_name_plural = _("移交")

    def __str__(self) -> str:
        return gettext("%(kind)s：%(case)s（%(status)s）") % {
            "kind": self.get_kind_display(),
            "case": related_label(self, "case", "code"),
            "status": self.get_status_display(),
        }


class AgreementForm(models.TextChoices):
    WRITTEN = "written", _("书面协议")
    ORAL = "oral", _("口头协议")


class MediationAgreement(VersionedModel):
    """调解协议书 (人民调解法 第二十八、二十九条) or 治安调解协议书: the facts, the matters
    in dispute and each side's responsibility, and the agreed terms (each with its
    method and deadline of performance). It takes effect when signed by the parties."""

    case = models.OneToOneField(DisputeCase, on_delete=models.CASCADE, related_name="agreement")
    form = models.CharField(
        _("协议形式"), max_length=8, choices=AgreementForm.choices, default=AgreementForm.WRITTEN
    )
    facts = models.TextField(_("纠纷主要事实"), max_length=TEXT_MAX_LENGTH)
    matters = models.TextField(_("争议事项"), max_length=TEXT_MAX_LENGTH)
    responsibilities = models.TextField(_("各方责任"), max_length=TEXT_MAX_LENGTH)
    signed_on = models.DateField(_("签订日期"))
    effective_on = models.DateField(_("生效日期"))
    committee = models.CharField(_("人民调解委员会/公安机关"), max_length=100)
    copies = models.PositiveSmallIntegerField(_("份数"), default=3)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("记录人"), null=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("调解协议")
        verbose_name_plural = _("调解协议")

    def __str__(self) -> str:
        return gettext("调解协议：%(case)s") % {"case": related_label(self, "case", "code")}

    @property
    def scope_path(self) -> str:
        return self.case.scope_path


class TermStatus(models.TextChoices):
    PENDING = "pending", _("待履行")
    DONE = "done", _("已履行")
    NOT_DONE = "not_done", _("未履行")


class AgreementTerm(models.Model):
    """One agreed term: who does what, how, by when — and whether he did."""

    agreement = models.ForeignKey(
        MediationAgreement, on_delete=models.CASCADE, related_name="terms"
    )
    text = models.TextField(_("协议内容"), max_length=2000)
    obligor = models.ForeignKey(
        Party, verbose_name=_("履行人"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="terms",
    )  # fmt: skip
    method = models.CharField(_("履行方式"), max_length=200)
    due_on = models.DateField(_("履行期限"))
    status = models.CharField(
        _("履行情况"), max_length=10, choices=TermStatus.choices, default=TermStatus.PENDING
    )
    checked_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("协议条款")
        verbose_name_plural = _("协议条款")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.text[:40]


class StepOutcome(models.TextChoices):
    PENDING = "pending", _("待结果")
    GRANTED = "granted", _("已确认/已公证")
    REFUSED = "refused", _("不予确认/不予公证")


class JudicialConfirmation(TimeStampedModel):
    """司法确认: the parties' joint application to the court, which must reach it within
    30 days of the agreement taking effect (民事诉讼法 第二百零五条)."""

    agreement = models.OneToOneField(
        MediationAgreement, on_delete=models.CASCADE, related_name="confirmation"
    )
    court = models.CharField(_("人民法院"), max_length=100)
    applied_on = models.DateField(_("申请日期"))
    outcome = models.CharField(
        _("结果"), max_length=8, choices=StepOutcome.choices, default=StepOutcome.PENDING
    )
    outcome_on = models.DateField(_("结果日期"), null=True, blank=True)
    ruling_number = models.CharField(_("裁定书编号"), max_length=60, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("司法确认")
        verbose_name_plural = _("司法确认")

    def __str__(self) -> str:
        return gettext("司法确认：%(court)s（%(outcome)s）") % {
            "court": self.court,
            "outcome": self.get_outcome_display(),
        }


class Notarisation(TimeStampedModel):
    """公证+: notarising the agreement (e.g. to make a debt enforceable)."""

    agreement = models.OneToOneField(
        MediationAgreement, on_delete=models.CASCADE, related_name="notarisation"
    )
    office = models.CharField(_("公证机构"), max_length=100)
    applied_on = models.DateField(_("申请日期"))
    outcome = models.CharField(
        _("结果"), max_length=8, choices=StepOutcome.choices, default=StepOutcome.PENDING
    )
    outcome_on = models.DateField(_("结果日期"), null=True, blank=True)
    certificate_number = models.CharField(_("公证书编号"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("公证")
        verbose_name_plural = _("公证")

    def __str__(self) -> str:
        return gettext("公证：%(office)s（%(outcome)s）") % {
            "office": self.office,
            "outcome": self.get_outcome_display(),
        }


class VisitOutcome(models.TextChoices):
    STABLE = "stable", _("纠纷已息，关系稳定")
    PERFORMING = "performing", _("正在履行")
    NOT_PERFORMED = "not_performed", _("协议未履行")
    RECURRED = "recurred", _("纠纷复发")
    UNREACHABLE = "unreachable", _("未联系上")


FAILED_VISITS = frozenset({VisitOutcome.NOT_PERFORMED, VisitOutcome.RECURRED})


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class FollowUp(TimeStampedModel):
    """回访: a visit scheduled after closing (by default 7 and 30 days) and its record. A
    visit that finds the agreement unperformed or the dispute back reopens the case."""

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="follow_ups")
    due_on = models.DateField(_("计划回访日期"))
    done_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    method = models.CharField(_("回访方式"), max_length=20, blank=True)
    visitor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("回访人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    outcome = models.CharField(_("回访情况"), max_length=14, choices=VisitOutcome.choices,
                               blank=True)  # fmt: skip
    satisfaction = models.CharField(
        _("满意度"), max_length=12, choices=Satisfaction.choices, blank=True
    )
    note = models.TextField(_("回访记录"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("回访")
        verbose_name_plural = _("回访")
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["due_on"], name="follow_up_due",
                         condition=Q(done_at__isnull=True)),
        ]  # fmt: skip

    def __str__(self) -> str:
        return gettext("回访：%(case)s %(due)s") % {
            "case": related_label(self, "case", "code"),
            "due": self.due_on,
        }


class ScreeningRound(TimeStampedModel):
    """排查: a campaign where officers and volunteers visit a grid and record the latent
    disputes they find (each a case with source ``screening``)."""

    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("排查范围"), on_delete=models.PROTECT,
        related_name="screening_rounds",
    )  # fmt: skip
    title = models.CharField(_("名称"), max_length=100)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    participants = models.TextField(_("参加人员"), max_length=1000, blank=True)
    households_visited = models.PositiveIntegerField(_("走访户数"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("组织人"), null=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip

    class Meta:
        verbose_name = _("排查")
        verbose_name_plural = _("排查")
        ordering = ["-started_on"]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_path(self) -> str:
        return self.jurisdiction.path


class WarningNotice(TimeStampedModel):
    """预警通知: a high-risk case brought to someone who must act — the community officer
    of the case's district, the judicial office."""

    case = models.ForeignKey(DisputeCase, on_delete=models.CASCADE, related_name="notices")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("接收人"), null=True, blank=True,
        on_delete=models.CASCADE, related_name="dispute_notices",
    )  # fmt: skip
    recipient_body = models.CharField(_("接收机构"), max_length=100, blank=True)
    score = models.PositiveSmallIntegerField(_("风险分"))
    reasons = models.JSONField(_("风险因素"), default=list)
    read_at = models.DateTimeField(_("已读时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预警通知")
        verbose_name_plural = _("预警通知")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case} {self.score}"
