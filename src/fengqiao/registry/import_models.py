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
    # 只导入通过校验的行: chosen at commit after a dry run with errors; the rest are listed
    good_rows_only = models.BooleanField(_("只导入通过校验的行"), default=False)
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
        """A dry run passed without an error: the whole file can go in."""
        report: dict[str, Any] = self.report or {}
        return (
            self.status == ImportStatus.VALIDATED
            and report.get("error_count") == 0
            and report.get("total_rows", 0) > 0
        )

    @property
    def can_commit_good_rows(self) -> bool:
        """A dry run found errors but also good rows: those may go in, if asked for."""
        report: dict[str, Any] = self.report or {}
        return (
            self.status == ImportStatus.VALIDATED
            and not report.get("refused")
            and report.get("error_count", 0) > 0
            and report.get("valid_rows", 0) > 0
        )

    @property
    def rejects_path(self) -> Path:
        """Beside the upload: the refused rows with their reasons, as .xlsx."""
        return Path(self.file.path).with_suffix(".rejects.xlsx")


class ReviewStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认为已有地址")
    CREATED = "created", _("已新建地址")
    SKIPPED = "skipped", _("已忽略")


class AddressReview(TimeStampedModel):
    """地址待确认: a free-text address from an import that the matcher could not settle
    (no confident match, or a new address it could not place), waiting for an officer.

    ``payload`` holds the rest of the ledger row (a person, a house, an organisation),
    written once the address is settled; an address list's row has none."""

    job = models.ForeignKey(
        ImportJob, verbose_name=_("导入任务"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="reviews",
    )  # fmt: skip
    kind = models.CharField(_("导入类别"), max_length=16, choices=ImportKind.choices)
    # the importer's unit: the item is seen by him and by those whose scope contains it
    scope = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("所属辖区"), on_delete=models.PROTECT,
        related_name="+",
    )  # fmt: skip
    row = models.PositiveIntegerField(_("行号"))
    text = models.CharField(_("地址原文"), max_length=300)
    group = models.CharField(_("街路巷/小区"), max_length=100, blank=True, db_index=True)
    elements = models.JSONField(_("解析结果"), default=dict, blank=True)
    community = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("社区/村"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    candidates = models.JSONField(_("候选地址"), default=list, blank=True)
    payload = models.JSONField(_("台账行"), default=dict, blank=True)
    status = models.CharField(
        _("状态"), max_length=12, choices=ReviewStatus.choices, default=ReviewStatus.PENDING
    )
    address = models.ForeignKey(
        "addresses.StandardAddress", verbose_name=_("确认的地址"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    record_id = models.PositiveBigIntegerField(_("写入的记录"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )  # fmt: skip
    resolved_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("地址待确认")
        verbose_name_plural = _("地址待确认")
        ordering = ["group", "row", "pk"]
        indexes = [models.Index(fields=["scope", "status", "group"])]

    def __str__(self) -> str:
        return self.text

    @property
    def is_pending(self) -> bool:
        return self.status == ReviewStatus.PENDING
