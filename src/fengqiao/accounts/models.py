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
    # An account opened with an initial password (a batch import's) must choose its own
    # before anything else: the password was on a printed list (PasswordChangeRequired).
    # db_default: the province generator inserts users without the model
    must_change_password = models.BooleanField(_("须修改密码"), default=False, db_default=False)

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


class ApiToken(models.Model):
    """接口令牌: how another system — a 110 接处警系统's feed — calls the API as an account
    of its own, whose role and jurisdiction bound what it may do. Only a digest of the
    secret is kept; the secret is shown once, when the token is issued."""

    user = models.ForeignKey(
        User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("名称"), max_length=100)
    prefix = models.CharField(_("前缀"), max_length=12)  # the secret's start, to tell tokens apart
    digest = models.CharField(max_length=64, unique=True, editable=False)  # SHA-256, hex
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def scope_path(self) -> str:
        return self.user.scope_path


ACTIVATION_DAYS = 7


class AccountActivation(models.Model):
    """激活链接: a one-time link by which a new account sets its own password. Only a
    digest of the token is kept (the link is shown once, to whoever opened the account);
    it works once and for :data:`ACTIVATION_DAYS` days."""

    user = models.ForeignKey(
        User, verbose_name=_("账号"), on_delete=models.CASCADE, related_name="activations"
    )
    digest = models.CharField(max_length=64, unique=True, editable=False)  # SHA-256, hex
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        User, verbose_name=_("签发人"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("激活链接")
        verbose_name_plural = _("激活链接")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.user} ({self.created_at:%Y-%m-%d})"

    @property
    def scope_path(self) -> str:
        return self.user.scope_path
