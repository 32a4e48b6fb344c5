"""One batch import of staff accounts, kept so its rejected rows can be downloaded."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportMode(models.TextChoices):
    ALL_OR_NOTHING = "all", _("全部正确才导入")
    GOOD_ROWS = "good", _("导入正确的行，列出其余")


class Credentials(models.TextChoices):
    LINK = "link", _("激活链接（本人设置密码，7天内有效，仅可使用一次）")
    PASSWORD = "password", _("初始密码（首次登录须修改）")


class StaffImport(models.Model):
    """人员导入记录: what a file gave. The rejected rows are kept (the importer's own
    data, in his scope) so he can download them with the reasons, fix and re-import.
    No password or link is kept: they are shown once, in the answer to the upload."""

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    created_at = models.DateTimeField(_("导入时间"), auto_now_add=True)
    file_name = models.CharField(_("文件名"), max_length=200)
    mode = models.CharField(_("导入方式"), max_length=8, choices=ImportMode.choices)
    credentials = models.CharField(_("登录方式"), max_length=8, choices=Credentials.choices)
    total_rows = models.PositiveIntegerField(_("数据行数"), default=0)
    created_count = models.PositiveIntegerField(_("新建账号数"), default=0)
    committed = models.BooleanField(_("已导入"), default=False)
    report = models.JSONField(_("检查结果"), default=dict)
    headers = models.JSONField(_("表头"), default=list)
    rejects = models.JSONField(_("未导入的行"), default=list)  # [{row, values, reasons}]
    account_ids = models.JSONField(_("新建账号"), default=list)
    # The printable list of passwords or links downloads once (its content is never stored).
    sheet_downloaded_at = models.DateTimeField(_("名单下载时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("人员导入")
        verbose_name_plural = _("人员导入")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})"

    @property
    def scope_path(self) -> str:
        return self.created_by.scope_path
