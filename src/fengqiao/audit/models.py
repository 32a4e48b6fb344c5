"""审计: the append-only, hash-chained audit log."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.fields import MaterialisedPathField


class AppendOnlyError(Exception):
    """The audit log is never updated or deleted."""


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("the audit log is append-only")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("the audit log is append-only")


class Action(models.TextChoices):
    CREATE = "create", _("新建")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")
    VIEW = "view", _("查看")
    REVEAL = "reveal", _("查看明文")
    EXPORT = "export", _("导出")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOGOUT = "logout", _("退出")


class AuditEvent(models.Model):
    """审计记录: who did what to which object, from where, and why.

    ``hash`` = SHA-256 over the event's content and the previous event's hash, so an
    edited, removed or inserted row breaks the chain at that point. ``mac`` = HMAC-SHA256
    of the hash under the audit key, which is not in the database: whoever can write the
    table but lacks the key cannot recompute a chain after an edit. Events written before
    MACs existed have none (``NULL``); the first checkpoint seals them (see checkpoints.py).
    """

    seq = models.PositiveBigIntegerField(_("序号"), unique=True)
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,  # accountability outlives the account: deactivate, never delete
        related_name="+",
    )
    actor_name = models.CharField(_("操作人账号"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=20, choices=Action.choices, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=60, blank=True)
    object_id = models.CharField(_("对象编号"), max_length=64, blank=True, db_index=True)
    # A list, search or export reads many records at once: their ids, in the order shown.
    object_ids = models.JSONField(_("涉及记录"), default=list, blank=True)
    object_repr = models.CharField(_("对象"), max_length=200, blank=True)
    scope_path = MaterialisedPathField(_("所属辖区路径"), max_length=255, blank=True, db_index=True)
    fields = models.JSONField(_("字段"), default=list)
    reason = models.TextField(_("事由"), blank=True)
    ip_address = models.GenericIPAddressField(_("来源地址"), null=True, blank=True)
    user_agent = models.CharField(_("客户端"), max_length=200, blank=True)
    request_path = models.CharField(_("请求路径"), max_length=200, blank=True)
    prev_hash = models.CharField(_("前一条哈希"), max_length=64)
    hash = models.CharField(_("哈希"), max_length=64, unique=True)
    # Nullable so that adding it is an ALTER TABLE on SQLite: a table rebuild would drop
    # the append-only triggers.
    mac = models.CharField(_("密钥签名"), max_length=64, null=True, blank=True)  # noqa: DJ001

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-seq"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.seq} {self.actor_name} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("the audit log is append-only")


class AuditCheckpoint(models.Model):
    """审计链检查点: the chain's head, count and time, signed with the audit key.

    A copy of the checkpoint file's lines (``settings.AUDIT_CHECKPOINT_FILE``), which is
    the authority: this table is in the audited database, so it only serves to notice a
    truncated or replaced file. ``legacy_until`` is the last event written before MACs
    existed (0: none), fixed by the first checkpoint."""

    number = models.PositiveIntegerField(_("检查点编号"), unique=True)
    seq = models.PositiveBigIntegerField(_("链头序号"))
    count = models.PositiveBigIntegerField(_("记录数"))
    head_hash = models.CharField(_("链头哈希"), max_length=64)
    at = models.DateTimeField(_("时间"))
    legacy_until = models.PositiveBigIntegerField(_("无签名记录截至"), default=0)
    key_id = models.CharField(_("密钥标识"), max_length=16)
    prev_mac = models.CharField(_("前一检查点签名"), max_length=64)
    mac = models.CharField(_("签名"), max_length=64)
    restore = models.BooleanField(_("恢复检查点"), default=False)

    objects = AuditQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计链检查点")
        verbose_name_plural = _("审计链检查点")
        ordering = ["-number"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"#{self.number} {self.head_hash[:12]} ({self.count})"
