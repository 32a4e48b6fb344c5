"""台账导入任务: one upload of a ledger file and its way through mapping, dry run and commit."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.models import TimeStampedModel


class ImportKind(models.TextChoices):
    ADDRESSES = "addresses", _("标准地址")
    HOUSES = "houses", _("实有房屋")
    PEOPLE = "people", _("实有人口")
    ORGANISATIONS = "organisations", _("实有单位")


class ImportStatus(models.TextChoices):
    READING = "reading", _("读取中")
    UPLOADED = "uploaded", _("已上传")
    VALIDATING = "validating", _("校验中")
    VALIDATED = "validated", _("已校验")
    COMMITTING = "committing", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


RUNNING = frozenset({ImportStatus.READING, ImportStatus.VALIDATING, ImportStatus.COMMITTING})


class ImportJob(TimeStampedModel):
    """导入任务: who uploaded which ledger, how its columns map to fields, where the dry
    run and the commit stand (rows done of total) and their report (counts and errors)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), on_delete=models.PROTECT,
        related_name="import_jobs",
    )  # fmt: skip
    kind = models.CharField(_("导入类别"), max_length=16, choices=ImportKind.choices)
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    headers = models.JSONField(_("表头"), default=list, blank=True)
    mapping = models.JSONField(_("字段对应"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ImportStatus.choices, default=ImportStatus.UPLOADED
    )
    rows_done = models.PositiveIntegerField(_("已处理行数"), default=0)
    rows_total = models.PositiveIntegerField(_("总行数"), default=0)
    report = models.JSONField(_("报告"), default=dict, blank=True)
    validated_at = models.DateTimeField(_("校验时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def scope_path(self) -> str:
        return self.user.scope_path

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    @property
    def progress_path(self) -> Path:
        """Beside the upload: how far the running step got. A SQLite commit holds the
        database's only write lock for its whole transaction, so its progress cannot be
        written to this row where the page would see it; a file can."""
        return Path(self.file.path).with_suffix(".progress")

    @property
    def live_rows_done(self) -> int:
        """Rows handled so far: the row's count, or the progress file's while running."""
        if not self.is_running:
            return self.rows_done
        try:
            written = int(self.progress_path.read_text() or 0)
        except (OSError, ValueError):
            written = 0
        return max(self.rows_done, written)

    @property
    def percent(self) -> int:
        if not self.rows_total:
            return 0
        return min(100, round(100 * self.live_rows_done / self.rows_total))

    @property
    def can_commit(self) -> bool:
        report: dict[str, Any] = self.report or {}
        return (
            self.status == ImportStatus.VALIDATED
            and report.get("error_count") == 0
            and report.get("total_rows", 0) > 0
        )
