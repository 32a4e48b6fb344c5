"""Staff accounts: 民警、辅警、调解员、群防群治队员… each with a role and a jurisdiction scope."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.roles import CAPABILITIES, Role
from fengqiao.core.validators import validate_id_number, validate_mobile


class StaffKind(models.TextChoices):
    POLICE = "police", _("民警")
    AUXILIARY = "auxiliary", _("辅警")
    CIVILIAN = "civilian", _("文职/调解员")
    VOLUNTEER = "volunteer", _("志愿者")


class Post(models.TextChoices):
    """岗位: what the staffing checks count (两个40%, 一区一警)."""

    LEADERSHIP = "leadership", _("领导")
    COMMUNITY = "community", _("社区民警")
    CASE = "case", _("办案民警")
    COMMAND = "command", _("指挥室/值班")
    OFFICE = "office", _("内勤")
    SPECIALIST = "specialist", _("警种民警")
    OTHER = "other", _("其他")


class User(AbstractUser):
    """工作人员账号. ``jurisdiction`` is the scope: the user reads only records inside
    that node's subtree. ``id_number`` and ``phone`` are personal data: masked on every
    page, revealed only with a reason, and every reveal is audited."""

    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    full_name = models.CharField(_("姓名"), max_length=50)
    role = models.CharField(_("角色"), max_length=24, choices=Role.choices)
    jurisdiction = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        verbose_name=_("所属辖区"),
        on_delete=models.PROTECT,
        null=True,
        related_name="staff",
    )
    staff_kind = models.CharField(
        _("人员类别"), max_length=12, choices=StaffKind.choices, default=StaffKind.POLICE
    )
    post = models.CharField(_("岗位"), max_length=12, choices=Post.choices, blank=True)
    badge_number = models.CharField(_("警号/工号"), max_length=20, blank=True)
    id_number = models.CharField(
        _("身份证号"), max_length=18, blank=True, validators=[validate_id_number]
    )
    phone = models.CharField(_("手机号"), max_length=11, blank=True, validators=[validate_mobile])
    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    # field → kind of identifier (core.masking): masked everywhere, revealed with a reason
    PERSONAL_FIELDS = {"id_number": "id_number", "phone": "phone"}
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("工作人员")
        verbose_name_plural = _("工作人员")
        ordering = ["jurisdiction__path", "full_name"]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def scope_path(self) -> str:
        """The audit log files events about this person under his unit."""
        return self.jurisdiction.path if self.jurisdiction_id else ""

    def can(self, capability: str) -> bool:
        return self.is_active and capability in CAPABILITIES.get(self.role, frozenset())
