"""台账导入导出 pages: upload, map the columns, dry run, commit; export to Excel."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.core.roles import Capability
from fengqiao.registry import blanks, imports, tasks
from fengqiao.registry.import_models import ImportJob, ImportKind, ReviewStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _job(request: HttpRequest, pk: int) -> ImportJob:
    try:
        return tasks.jobs_for(user=request.user).get(pk=pk)
    except ImportJob.DoesNotExist:
        raise Http404 from None


def _fields(job: ImportJob) -> list[dict[str, Any]]:
    """The mapping form's rows: each target field with its chosen column."""
    spec = imports.spec_for(job.kind)
    mapping = job.mapping or {}
    return [
        {"name": f.name, "label": _(f.label), "required": f.required,
         "column": mapping.get(f.name)}
        for f in spec.fields
    ]  # fmt: skip


def _context(job: ImportJob) -> dict[str, Any]:
    report = imports.Report.from_dict(job.report) if job.report else None
    pending = job.reviews.filter(status=ReviewStatus.PENDING).count() if job.pk else 0
    return {
        "job": job,
        "has_rejects": bool(job.file) and not job.is_running and job.rejects_path.exists(),
        "pending_reviews": pending,
        "fields": _fields(job),
        "headers": list(enumerate(job.headers or [])),
        "report": report,
        "max_errors": imports.MAX_REPORTED_ERRORS,
    }


@login_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    """Upload a ledger (and see recent imports); export links for those who may export."""
    user: Any = request.user  # login_required: a staff User
    can_import = user.can(Capability.EDIT_RECORDS)
    can_export = user.can(Capability.EXPORT_RECORDS)
    if not (can_import or can_export):
        raise PermissionDenied
    if request.method == "POST":
        if not can_import:
            raise PermissionDenied
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "")
        if upload is None:
            messages.error(request, _("请选择要上传的文件。"))
        else:
            try:
                job = tasks.create_job(user=request.user, kind=kind, upload=upload)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                return redirect("registry_import:job", pk=job.pk)
    jobs = tasks.jobs_for(user=request.user)[:20] if can_import else []
    return render(
        request,
        "registry/import/index.html",
        {
            "kinds": ImportKind.choices,
            "jobs": jobs,
            "can_import": can_import,
            "can_export": can_export,
            "max_mb": imports.max_import_bytes() // 1024 // 1024,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def job(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: the mapping form, then the dry-run report, then the commit."""
    record = _job(request, pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "validate":
                mapping = {
                    f.name: request.POST.get(f"map_{f.name}", "")
                    for f in imports.spec_for(record.kind).fields
                }
                tasks.set_mapping(user=request.user, job=record, mapping=mapping)
                tasks.start_validation(user=request.user, job=record)
            elif action == "commit":
                tasks.start_commit(user=request.user, job=record)
            elif action == "commit_good_rows":
                tasks.start_commit(user=request.user, job=record, good_rows_only=True)
        except imports.MappingError as error:
            messages.error(request, str(error))
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("registry_import:job", pk=record.pk)
    return render(request, "registry/import/job.html", _context(record))


@login_required
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The job panel alone, for htmx polling while the job runs."""
    return render(request, "registry/import/_job.html", _context(_job(request, pk)))


@login_required
@require_POST
def export(request: HttpRequest, kind: str) -> HttpResponse:
    """导出 Excel of one ledger in the user's scope (masked, audited)."""
    if kind not in imports.KINDS:
        raise Http404
    result = imports.export_xlsx(kind=kind, user=request.user)
    return _xlsx(result.content, result.filename)


@login_required
def template(request: HttpRequest, kind: str) -> HttpResponse:
    """台账模板: the blank .xlsx of one ledger, with an example row and drop-down lists."""
    if kind not in imports.KINDS:
        raise Http404
    user: Any = request.user
    if not user.can(Capability.EDIT_RECORDS):
        raise PermissionDenied
    filename, content = blanks.template_xlsx(kind)
    return _xlsx(content, filename)


@login_required
def rejects(request: HttpRequest, pk: int) -> HttpResponse:
    """The rows of an import that were refused, with a reason column, to fix and re-import.
    The user's own upload comes back to him: his cells as he wrote them, not audited
    again beyond the import itself."""
    record = _job(request, pk)
    if not record.file or record.is_running or not record.rejects_path.exists():
        raise Http404
    return _xlsx(record.rejects_path.read_bytes(), f"import-{record.pk}-rejects.xlsx")
