"""The record that the first-run setup (首次运行设置) was done: at most one row, ever."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SetupRecord(models.Model):
    """首次运行设置记录. The fixed primary key makes "once" hold in the database itself:
    a second setup racing the first fails on the key, whatever the server does."""

    ONLY = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ONLY, editable=False)
    done_at = models.DateTimeField(_("完成时间"), auto_now_add=True)
    bureau = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        verbose_name=_("公安机关"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    administrator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("管理员"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("首次运行设置")
        verbose_name_plural = _("首次运行设置")

    def __str__(self) -> str:
        return str(_("首次运行设置"))

    @property
    def scope_path(self) -> str:
        return self.bureau.path if self.bureau_id else ""
