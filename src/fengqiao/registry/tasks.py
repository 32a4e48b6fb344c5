"""台账导入的后台任务, and the job steps the pages and the tasks share.

A job moves (reading →) uploaded → validating → validated → committing → done (or
failed). Small files are worked inline, in the request; anything larger — judged by what
parsing will read, the unpacked size of a .xlsx, not the upload's — goes to the
django-tasks worker (``fengqiao worker``, which ``fengqiao serve`` starts itself) while
the page polls the job's progress. A request never opens a big workbook: not even for
its header row. A file refused as a whole (a zip bomb, too many rows, over the time
budget) is deleted and its job says why.
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

# Files that unpack to at most this are read, validated and committed in the request: a
# few thousand rows, about a second. Larger ones go to the background worker.
INLINE_MAX_BYTES = 512 * 1024
# A request thread gives up on even a small file after this long.
INLINE_TIME_LIMIT_SECONDS = 20.0


def jobs_for(*, user: Any) -> QuerySet[ImportJob]:
    """The user's own import jobs, newest first (nobody sees another's uploads)."""
    require(user, Capability.EDIT_RECORDS)
    return ImportJob.objects.filter(user=user).order_by("-created_at", "-pk")


def create_job(*, user: Any, kind: str, upload: UploadedFile) -> ImportJob:
    """Store an uploaded ledger under MEDIA_ROOT/imports/ and propose a column mapping
    (read in the background unless the file is small). A .xlsx is inspected before it is
    stored: one that would unpack beyond the limits is not kept, and its failed job says
    why; so does one that cannot be read."""
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
    try:
        cost = _upload_cost(upload)
    except imports.ImportFileError as error:
        job.status = ImportStatus.FAILED
        job.report = _file_report(kind, error)
        job.finished_at = timezone.now()
        job.save()
        return job
    job.file.save(name, upload, save=False)
    if cost > INLINE_MAX_BYTES:
        job.status = ImportStatus.READING
        job.save()
        read_import_headers.enqueue(job.pk)
        return job
    job.save()
    run_read_headers(job.pk, time_limit=INLINE_TIME_LIMIT_SECONDS)
    job.refresh_from_db()
    return job


def _upload_cost(upload: UploadedFile) -> int:
    """The bytes parsing the upload will read (a .xlsx's unpacked size)."""
    upload.seek(0)
    magic = upload.read(4)
    upload.seek(0)
    if magic != b"PK\x03\x04":
        return upload.size or 0
    try:
        return imports.unpacked_size(upload.file)
    finally:
        upload.seek(0)


def _parse_cost(job: ImportJob) -> int:
    try:
        with open(job.file.path, "rb") as handle:
            if handle.read(4) == b"PK\x03\x04":
                handle.seek(0)
                return imports.unpacked_size(handle)
    except imports.ImportFileError:
        pass  # the step itself reports it
    return job.file.size


def _fail_refused(job_id: int, report: dict[str, Any]) -> None:
    """A file refused as a whole is never importable: delete it, keep the job's reason."""
    job = ImportJob.objects.get(pk=job_id)
    if job.file:
        job.progress_path.unlink(missing_ok=True)
        job.rejects_path.unlink(missing_ok=True)
        job.file.delete(save=False)
    job.status, job.report, job.finished_at = ImportStatus.FAILED, report, timezone.now()
    job.save(update_fields=["file", "status", "report", "finished_at", "updated_at"])


def run_read_headers(job_id: int, *, time_limit: float | None = None) -> None:
    """Read the job's header row and propose the mapping; a file that cannot be read (or
    is refused) fails the job, its reason in the report, and is deleted."""
    job = ImportJob.objects.get(pk=job_id)
    try:
        with imports.TableFile(job.file.path, name=job.original_name, time_limit=time_limit) as t:
            headers = t.headers
    except imports.ImportFileError as error:
        _fail_refused(job_id, _file_report(job.kind, error))
        return
    ImportJob.objects.filter(pk=job_id).update(
        headers=headers, mapping=imports.propose_mapping(job.kind, headers),
        status=ImportStatus.UPLOADED, updated_at=timezone.now(),
    )  # fmt: skip


def _file_report(kind: str, reason: str | Exception) -> dict[str, Any]:
    report = imports.Report(kind=kind)
    if isinstance(reason, Exception):
        report.add_file_error(reason)
    else:
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
    if inline if inline is not None else _parse_cost(job) <= INLINE_MAX_BYTES:
        run_validation(job.pk, time_limit=INLINE_TIME_LIMIT_SECONDS)
    else:
        validate_import.enqueue(job.pk)
    job.refresh_from_db()
    return job


def start_commit(
    *, user: Any, job: ImportJob, inline: bool | None = None, good_rows_only: bool = False
) -> ImportJob:
    """Import for real: after a dry run without a single error, or, when the user asks for
    it (``good_rows_only``), the rows that passed while the others are listed."""
    _own(user, job)
    if not (job.can_commit_good_rows if good_rows_only else job.can_commit):
        raise ValidationError(_("试导入全部通过后才能正式导入。"))
    job.status, job.rows_done, job.good_rows_only = ImportStatus.COMMITTING, 0, good_rows_only
    job.save(update_fields=["status", "rows_done", "good_rows_only", "updated_at"])
    if inline if inline is not None else _parse_cost(job) <= INLINE_MAX_BYTES:
        run_commit(job.pk, time_limit=INLINE_TIME_LIMIT_SECONDS)
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


def _run(job_id: int, *, commit: bool, time_limit: float | None = None) -> None:
    job = ImportJob.objects.select_related("user__jurisdiction").get(pk=job_id)
    try:
        with imports.TableFile(job.file.path, name=job.original_name) as table:
            total = min(table.estimated_rows(), table.max_rows)
        ImportJob.objects.filter(pk=job_id).update(rows_total=total)
        common: dict[str, Any] = {
            "kind": job.kind, "path": job.file.path, "mapping": job.mapping, "user": job.user,
            "name": job.original_name, "progress": _progress(job), "time_limit": time_limit,
            "rejects_path": job.rejects_path,
        }  # fmt: skip
        if commit:
            report = imports.commit_file(**common, job=job, good_rows_only=job.good_rows_only)
        else:
            report = imports.validate_file(**common)
    except imports.ImportFileError as error:
        report = imports.Report(kind=job.kind)
        report.add_file_error(error)
    except BaseException as error:
        # Also a worker stopped mid-task (SystemExit): the transaction rolled back, and the
        # job must not stay "running" for ever.
        if isinstance(error, Exception):
            logger.exception("import job %s failed", job_id)
            reason = _("导入时发生系统错误，未导入任何数据。")
        else:
            reason = _("后台任务被中断（服务停止），未导入任何数据，请重新开始。")
        ImportJob.objects.filter(pk=job_id).update(
            status=ImportStatus.FAILED, report=_file_report(job.kind, reason),
            finished_at=timezone.now(),
        )  # fmt: skip
        job.progress_path.unlink(missing_ok=True)
        raise
    if report.refused:
        _fail_refused(job_id, report.to_dict())
        return
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


def run_validation(job_id: int, *, time_limit: float | None = None) -> None:
    """The dry run of one job, its report saved on the job."""
    _run(job_id, commit=False, time_limit=time_limit)


def run_commit(job_id: int, *, time_limit: float | None = None) -> None:
    """The commit of one job: done with the counts, or failed with the report."""
    _run(job_id, commit=True, time_limit=time_limit)


@task()
def read_import_headers(job_id: int) -> None:
    """Background reading of an uploaded ledger's header row."""
    run_read_headers(job_id)


@task()
def validate_import(job_id: int) -> None:
    """Background dry run of an import job."""
    run_validation(job_id)


@task()
def commit_import(job_id: int) -> None:
    """Background commit of an import job (one transaction)."""
    run_commit(job_id)
