"""台账导入的后台任务, and the job steps the pages and the tasks share.

A job moves uploaded → validating → validated → committing → done (or failed). Small
files are worked inline, in the request; larger ones go to a django-tasks worker
(``python manage.py db_worker``) while the page polls the job's progress.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from fengqiao.core.roles import Capability, require
from fengqiao.registry import imports
from fengqiao.registry.import_models import ImportJob, ImportKind, ImportStatus

logger = logging.getLogger(__name__)

# Files up to this size are validated and committed in the request: a few thousand rows,
# about a second. Larger ones go to the background worker.
INLINE_MAX_BYTES = 512 * 1024


def jobs_for(*, user: Any) -> QuerySet[ImportJob]:
    """The user's own import jobs, newest first (nobody sees another's uploads)."""
    require(user, Capability.EDIT_RECORDS)
    return ImportJob.objects.filter(user=user).order_by("-created_at", "-pk")


def create_job(*, user: Any, kind: str, upload: UploadedFile) -> ImportJob:
    """Store an uploaded ledger under MEDIA_ROOT/imports/ and propose a column mapping.
    A file that cannot be read becomes a failed job whose report says why."""
    require(user, Capability.EDIT_RECORDS)
    if kind not in ImportKind.values:
        raise ValidationError(_("请选择导入类别。"))
    if upload.size is not None and upload.size > imports.max_import_bytes():
        raise ValidationError(
            _("文件过大，上限为 %(limit)d MB，请拆分后分批导入。")
            % {"limit": imports.max_import_bytes() // 1024 // 1024}
        )
    name = (upload.name or "ledger")[-200:]
    job = ImportJob(user=user, kind=kind, original_name=name)
    job.file.save(name, upload, save=False)
    try:
        headers = imports.read_headers(job.file.path, name=name)
    except imports.ImportFileError as error:
        job.status = ImportStatus.FAILED
        job.report = _file_report(kind, str(error))
        job.save()
        return job
    job.headers = headers
    job.mapping = imports.propose_mapping(kind, headers)
    job.save()
    return job


def _file_report(kind: str, reason: str) -> dict[str, Any]:
    report = imports.Report(kind=kind)
    report.add(None, "", reason)
    return report.to_dict()


def _own(user: Any, job: ImportJob) -> None:
    require(user, Capability.EDIT_RECORDS)
    if job.user_id != user.pk:
        raise PermissionDenied


def set_mapping(*, user: Any, job: ImportJob, mapping: dict[str, Any]) -> ImportJob:
    """Save the user's column mapping; refused (MappingError) if a required field has no
    column. A changed mapping needs a new dry run."""
    _own(user, job)
    if job.is_running or job.status == ImportStatus.DONE:
        raise ValidationError(_("该导入任务正在进行或已完成，不能修改。"))
    job.mapping = imports.check_mapping(job.kind, job.headers, mapping)
    job.status = ImportStatus.UPLOADED
    job.report = {}
    job.save(update_fields=["mapping", "status", "report", "updated_at"])
    return job


def start_validation(*, user: Any, job: ImportJob, inline: bool | None = None) -> ImportJob:
    """Run the dry run: in the request for a small file, else as a background task."""
    _own(user, job)
    if job.is_running or job.status == ImportStatus.DONE:
        raise ValidationError(_("该导入任务正在进行或已完成。"))
    imports.check_mapping(job.kind, job.headers, job.mapping)
    job.status, job.rows_done, job.report = ImportStatus.VALIDATING, 0, {}
    job.save(update_fields=["status", "rows_done", "report", "updated_at"])
    if inline if inline is not None else job.file.size <= INLINE_MAX_BYTES:
        run_validation(job.pk)
    else:
        validate_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


def start_commit(*, user: Any, job: ImportJob, inline: bool | None = None) -> ImportJob:
    """Import for real: only after a dry run without a single error."""
    _own(user, job)
    if not job.can_commit:
        raise ValidationError(_("试导入全部通过后才能正式导入。"))
    job.status, job.rows_done = ImportStatus.COMMITTING, 0
    job.save(update_fields=["status", "rows_done", "updated_at"])
    if inline if inline is not None else job.file.size <= INLINE_MAX_BYTES:
        run_commit(job.pk)
    else:
        commit_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


def _progress(job: ImportJob) -> imports.Progress:
    """Report progress to the job's row and to its progress file (which the page also
    reads: see :attr:`ImportJob.progress_path`); the file is replaced atomically."""
    path = job.progress_path
    scratch = path.with_suffix(".progress-new")

    def update(rows: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(rows_done=rows)
        try:
            scratch.write_text(str(rows))
            os.replace(scratch, path)
        except OSError:  # progress is a courtesy: never fail an import over it
            logger.warning("cannot write import progress to %s", path)

    return update


def _run(job_id: int, *, commit: bool) -> None:
    job = ImportJob.objects.select_related("user__jurisdiction").get(pk=job_id)
    try:
        with imports.TableFile(job.file.path, name=job.original_name) as table:
            total = table.estimated_rows()
        ImportJob.objects.filter(pk=job_id).update(rows_total=total)
        step = imports.commit_file if commit else imports.validate_file
        report = step(
            kind=job.kind, path=job.file.path, mapping=job.mapping, user=job.user,
            name=job.original_name, progress=_progress(job),
        )  # fmt: skip
    except imports.ImportFileError as error:
        report = imports.Report(kind=job.kind)
        report.add(None, "", str(error))
    except Exception:
        logger.exception("import job %s failed", job_id)
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED,
            report=_file_report(job.kind, _("导入时发生系统错误，未导入任何数据。")),
            finished_at=timezone.now(),
        )
        job.progress_path.unlink(missing_ok=True)
        raise
    now = timezone.now()
    if commit:
        status = ImportStatus.DONE if report.committed else ImportStatus.FAILED
        extra = {"finished_at": now}
    else:
        status = ImportStatus.VALIDATED
        extra = {"validated_at": now}
    ImportJob.objects.filter(pk=job_id).update(
        status=status, report=report.to_dict(), rows_done=report.total_rows,
        rows_total=report.total_rows, **extra,
    )  # fmt: skip
    job.progress_path.unlink(missing_ok=True)


def run_validation(job_id: int) -> None:
    """The dry run of one job, its report saved on the job."""
    _run(job_id, commit=False)


def run_commit(job_id: int) -> None:
    """The commit of one job: done with the counts, or failed with the report."""
    _run(job_id, commit=True)


@task()
def validate_import(job_id: int) -> None:
    """Background dry run of an import job."""
    run_validation(job_id)


@task()
def commit_import(job_id: int) -> None:
    """Background commit of an import job (one transaction)."""
    run_commit(job_id)
