"""边界上传: one uploaded GeoJSON/KML file of unit outlines, kept between the preview and
the save (like the registry's ImportJob), with its check report and progress."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.models import TimeStampedModel


class UploadMode(models.TextChoices):
    UNIT = "unit", _("本辖区的边界")
    SUBTREE = "subtree", _("本辖区及下级的边界（一个文件）")


class UploadStatus(models.TextChoices):
    CHECKING = "checking", _("校验中")
    NEEDS_MATCH = "needs_match", _("待选择对应字段")
    CHECKED = "checked", _("已校验")
    SAVING = "saving", _("保存中")
    DONE = "done", _("已保存")
    FAILED = "failed", _("失败")


RUNNING = frozenset({UploadStatus.CHECKING, UploadStatus.SAVING})


class BoundaryUpload(TimeStampedModel):
    """边界上传任务: who uploaded which outlines for which unit (and, in ``subtree``
    mode, its descendants), how features are matched to units, and the check report."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.PROTECT,
        related_name="boundary_uploads",
    )  # fmt: skip
    unit = models.ForeignKey(
        "jurisdictions.Jurisdiction", verbose_name=_("辖区"), on_delete=models.CASCADE,
        related_name="boundary_uploads",
    )  # fmt: skip
    mode = models.CharField(_("上传方式"), max_length=8, choices=UploadMode.choices)
    file = models.FileField(_("文件"), upload_to="boundaries/%Y/%m/")
    original_name = models.CharField(_("原文件名"), max_length=200)
    status = models.CharField(
        _("状态"), max_length=12, choices=UploadStatus.choices, default=UploadStatus.CHECKING
    )
    match_property = models.CharField(_("对应字段"), max_length=100, blank=True)
    match_key = models.CharField(_("对应方式"), max_length=8, blank=True)
    report = models.JSONField(_("报告"), default=dict, blank=True)
    checked_at = models.DateTimeField(_("校验时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("边界上传")
        verbose_name_plural = _("边界上传")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def scope_path(self) -> str:
        return self.unit.path

    @property
    def is_running(self) -> bool:
        return self.status in RUNNING

    @property
    def progress_path(self) -> Path:
        """Beside the upload: the running step's stage and count, written by the worker
        (a SQLite save holds the only write lock, so the row cannot carry it)."""
        return Path(self.file.path).with_suffix(".progress")

    @property
    def preview_path(self) -> Path:
        return Path(self.file.path).with_suffix(".svg")

    @property
    def progress(self) -> dict[str, Any]:
        """``{"stage", "done", "total"}`` of the running step ({} when none is known)."""
        if not self.is_running:
            return {}
        try:
            value = json.loads(self.progress_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    @property
    def can_save(self) -> bool:
        report: dict[str, Any] = self.report or {}
        return (
            self.status == UploadStatus.CHECKED
            and not report.get("errors")
            and bool(report.get("matched"))
        )
