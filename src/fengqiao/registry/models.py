"""三实: 实有房屋, 实有人口, 实有单位 — the houses, people and organisations actually there.

Scope: a house or an organisation lies where its standard address lies (the address's
police district); a person is kept by the police district of his current (or last) home,
stored on the person so lists need no join through residences.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core.models import VersionedModel
from fengqiao.core.validators import validate_id_number, validate_mobile, validate_uscc


class HouseUse(models.TextChoices):
    SELF = "self", _("自住")
    RENTAL = "rental", _("出租")
    SHOP = "shop", _("商铺")
    VACANT = "vacant", _("空置")
    OTHER = "other", _("其他")


class House(VersionedModel):
    """实有房屋: the house at one standard address, its owner and use. A landlord who
    keeps watch over his tenants acts as 守户员 (household guardian)."""

    address = models.OneToOneField(
        "addresses.StandardAddress", verbose_name=_("标准地址"), on_delete=models.PROTECT,
        related_name="house",
    )  # fmt: skip
    owner_name = models.CharField(_("产权人"), max_length=50, blank=True)
    owner_phone = models.CharField(
        _("产权人电话"), max_length=11, blank=True, validators=[validate_mobile]
    )
    use = models.CharField(
        _("用途"), max_length=10, choices=HouseUse.choices, default=HouseUse.SELF
    )
    area_m2 = models.DecimalField(
        _("面积（平方米）"), max_digits=8, decimal_places=2, null=True, blank=True
    )
    rental_rooms = models.PositiveSmallIntegerField(_("出租间数"), null=True, blank=True)
    rented_since = models.DateField(_("出租起始"), null=True, blank=True)
    landlord = models.ForeignKey(
        "Person", verbose_name=_("房东"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="let_houses",
    )  # fmt: skip
    landlord_is_guardian = models.BooleanField(_("房东为守户员"), default=False)
    # The landlord's own volunteer account: he may register this house's tenants.
    guardian_account = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("守户员账号"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="guarded_houses",
    )  # fmt: skip

    PERSONAL_FIELDS = {"owner_phone": "phone"}

    class Meta:
        verbose_name = _("实有房屋")
        verbose_name_plural = _("实有房屋")

    def __str__(self) -> str:
        return str(self.address)

    @property
    def scope_path(self) -> str:
        return self.address.police_district.path


class HouseholdType(models.TextChoices):
    REGISTERED = "registered", _("户籍人口")
    TEMPORARY = "temporary", _("暂住人口")
    FLOATING = "floating", _("流动人口")


class Person(VersionedModel):
    """实有人口: a person actually living (or having lived) in the jurisdiction."""

    name = models.CharField(_("姓名"), max_length=50, db_index=True)
    id_number = models.CharField(
        _("身份证号"), max_length=18, blank=True, validators=[validate_id_number]
    )
    phone = models.CharField(
        _("手机号"), max_length=11, blank=True, validators=[validate_mobile], db_index=True
    )
    household_type = models.CharField(
        _("人口类别"), max_length=12, choices=HouseholdType.choices,
        default=HouseholdType.REGISTERED,
    )  # fmt: skip
    police_district = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("所属警务区"), on_delete=models.PROTECT,
        related_name="people",
    )  # fmt: skip
    note = models.CharField(_("备注"), max_length=200, blank=True)

    PERSONAL_FIELDS = {"id_number": "id_number", "phone": "phone"}

    class Meta:
        verbose_name = _("实有人口")
        verbose_name_plural = _("实有人口")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"], condition=~Q(id_number=""), name="one_person_per_id_number"
            ),
        ]
        indexes = [models.Index(fields=["id_number"], name="person_id_number")]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_path(self) -> str:
        return self.police_district.path


class Relation(models.TextChoices):
    OWNER = "owner", _("产权人")
    FAMILY = "family", _("家庭成员")
    TENANT = "tenant", _("租住")
    EMPLOYEE = "employee", _("单位员工")
    OTHER = "other", _("其他")


class ResidenceStatus(models.TextChoices):
    """The rental-housing flow (福安): the landlord registers a tenant, the grid worker
    verifies, the community officer approves. Staff entries are approved at once."""

    PENDING = "pending", _("待核实")
    VERIFIED = "verified", _("已核实")
    APPROVED = "approved", _("已确认")
    REJECTED = "rejected", _("已退回")


class Residence(VersionedModel):
    """A person's stay at a house: moved in, moved out (never deleted)."""

    person = models.ForeignKey(
        Person, verbose_name=_("居民"), on_delete=models.PROTECT, related_name="residences"
    )
    house = models.ForeignKey(
        House, verbose_name=_("房屋"), on_delete=models.PROTECT, related_name="residences"
    )
    relation = models.CharField(_("与房屋关系"), max_length=10, choices=Relation.choices)
    moved_in = models.DateField(_("迁入日期"))
    moved_out = models.DateField(_("迁出日期"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=ResidenceStatus.choices,
        default=ResidenceStatus.APPROVED,
    )  # fmt: skip
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("登记人"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("审核人"), on_delete=models.PROTECT,
        null=True, blank=True, related_name="+",
    )  # fmt: skip
    review_note = models.CharField(_("审核意见"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("居住登记")
        verbose_name_plural = _("居住登记")
        ordering = ["-moved_in"]
        constraints = [
            models.CheckConstraint(
                condition=Q(moved_out__isnull=True) | Q(moved_out__gte=models.F("moved_in")),
                name="moved_out_after_moved_in",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.house}"

    @property
    def scope_path(self) -> str:
        return self.house.scope_path


class Industry(models.TextChoices):
    # 重点行业
    HOTEL = "hotel", _("旅馆业")
    PAWN = "pawn", _("典当业")
    ENTERTAINMENT = "entertainment", _("娱乐场所")
    DELIVERY = "delivery", _("寄递物流")
    ONLINE_RENTAL = "online_rental", _("网约房")
    SECOND_HAND = "second_hand", _("废旧金属收购")
    # 九小场所
    SMALL_SCHOOL = "small_school", _("小学校/幼儿园")
    SMALL_CLINIC = "small_clinic", _("小医院/诊所")
    SMALL_SHOP = "small_shop", _("小商店")
    SMALL_RESTAURANT = "small_restaurant", _("小餐饮")
    SMALL_HOTEL = "small_hotel", _("小旅馆")
    SMALL_KARAOKE = "small_karaoke", _("小歌舞娱乐")
    SMALL_INTERNET_CAFE = "small_internet_cafe", _("小网吧")
    SMALL_BEAUTY_BATH = "small_beauty_bath", _("小美容洗浴")
    SMALL_WORKSHOP = "small_workshop", _("小生产加工")
    OTHER = "other", _("其他")


KEY_INDUSTRIES = frozenset(
    {Industry.HOTEL, Industry.PAWN, Industry.ENTERTAINMENT, Industry.DELIVERY,
     Industry.ONLINE_RENTAL, Industry.SECOND_HAND}
)  # fmt: skip
NINE_SMALL_VENUES = frozenset(i for i in Industry if i.value.startswith("small_"))


class Organisation(VersionedModel):
    """实有单位: an organisation or business at a standard address."""

    name = models.CharField(_("单位名称"), max_length=100, db_index=True)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, blank=True, validators=[validate_uscc]
    )
    industry = models.CharField(_("行业"), max_length=24, choices=Industry.choices)
    address = models.ForeignKey(
        "addresses.StandardAddress", verbose_name=_("标准地址"), on_delete=models.PROTECT,
        related_name="organisations",
    )  # fmt: skip
    responsible_name = models.CharField(_("负责人"), max_length=50, blank=True)
    responsible_id_number = models.CharField(
        _("负责人身份证号"), max_length=18, blank=True, validators=[validate_id_number]
    )
    responsible_phone = models.CharField(
        _("负责人电话"), max_length=11, blank=True, validators=[validate_mobile]
    )
    closed_on = models.DateField(_("注销/停业日期"), null=True, blank=True)

    PERSONAL_FIELDS = {"responsible_id_number": "id_number", "responsible_phone": "phone"}

    class Meta:
        verbose_name = _("实有单位")
        verbose_name_plural = _("实有单位")
        constraints = [
            models.UniqueConstraint(
                fields=["credit_code"], condition=~Q(credit_code=""), name="one_org_per_credit_code"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def scope_path(self) -> str:
        return self.address.police_district.path

    @property
    def is_key_industry(self) -> bool:
        return self.industry in KEY_INDUSTRIES

    @property
    def is_nine_small_venue(self) -> bool:
        return self.industry in NINE_SMALL_VENUES


class DistrictPopulation(models.Model):
    """实有人口 of a police district as last counted (:mod:`fengqiao.registry.population`):
    the staffing checks read it instead of counting a province's people on every page."""

    district = models.OneToOneField(
        "jurisdictions.Jurisdiction", on_delete=models.CASCADE, primary_key=True,
        related_name="+", verbose_name=_("警务区"),
    )  # fmt: skip
    residents = models.PositiveIntegerField(_("实有人口"), default=0)
    counted_at = models.DateTimeField(_("统计时间"))

    class Meta:
        verbose_name = _("警务区实有人口")
        verbose_name_plural = _("警务区实有人口")

    def __str__(self) -> str:
        return f"{self.district_id}: {self.residents}"


from fengqiao.registry.import_models import AddressReview, ImportJob  # noqa: E402, F401
