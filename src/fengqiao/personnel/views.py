"""人员导入 and 离岗交接 pages: thin, over :mod:`imports` and :mod:`handover`."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.accounts import selectors as account_selectors
from fengqiao.accounts.models import User
from fengqiao.audit import services as audit
from fengqiao.core.roles import Capability, require
from fengqiao.personnel import handover, imports
from fengqiao.personnel.models import Credentials, ImportMode, StaffImport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEET_SALT = "fengqiao.personnel.sheet"
SHEET_MAX_AGE = 3600  # the printable list is for now, not for later


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _run(request: HttpRequest, pk: int) -> StaffImport:
    require(request.user, Capability.MANAGE_STAFF)
    try:  # an import's rows are its importer's: nobody else's to read
        return StaffImport.objects.get(pk=pk, created_by_id=request.user.pk)
    except StaffImport.DoesNotExist:
        raise Http404 from None


@login_required
def template(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return _xlsx(imports.template_xlsx(actor=user), "staff-import-template.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def import_page(request: HttpRequest) -> HttpResponse:
    """Upload the roster; the answer is the result page, the only one that shows the
    new accounts' passwords or links."""
    require(request.user, Capability.MANAGE_STAFF)
    user: Any = request.user
    context: dict[str, Any] = {
        "modes": ImportMode.choices, "credentials": Credentials.choices,
        "mode": request.POST.get("mode", ImportMode.ALL_OR_NOTHING),
        "credential": request.POST.get("credentials", Credentials.LINK),
        "max_rows": imports.MAX_ROWS,
        "recent": StaffImport.objects.filter(created_by=user)[:10],
    }  # fmt: skip
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要上传的文件。"))
        elif (
            context["mode"] not in ImportMode.values
            or context["credential"] not in Credentials.values
        ):
            messages.error(request, _("请选择导入方式和登录方式。"))
        else:
            suffix = Path(upload.name or "").suffix[:10]
            with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
                handle.flush()
                outcome = imports.import_staff(
                    actor=user, path=handle.name, name=upload.name or "",
                    mode=context["mode"], credentials=context["credential"],
                )  # fmt: skip
            return _result(request, outcome.run, outcome)
    return render(request, "personnel/import.html", context)


def _result(
    request: HttpRequest, run: StaffImport, outcome: imports.Outcome | None = None
) -> HttpResponse:
    accounts = []
    sheet = ""
    if outcome is not None and outcome.accounts:
        rows = []
        for account in outcome.accounts:
            secret = account.secret
            if run.credentials == Credentials.LINK:
                secret = request.build_absolute_uri(reverse("accounts:activate", args=[secret]))
            accounts.append((account.user, secret))
            unit = getattr(account.user.jurisdiction, "name", "")
            rows.append([account.user.full_name, unit, account.user.username, secret])
        # The list goes back with the download request, signed: the server keeps no copy.
        sheet = signing.dumps({"run": run.pk, "rows": rows}, salt=SHEET_SALT, compress=True)
    report = imports.Report.from_dict(run.report)
    response = render(
        request,
        "personnel/result.html",
        {"run": run, "report": report, "accounts": accounts, "sheet": sheet,
         "links": run.credentials == Credentials.LINK, "shown_once": outcome is not None},
    )  # fmt: skip
    response["Cache-Control"] = "no-store"
    return response


@login_required
def result(request: HttpRequest, pk: int) -> HttpResponse:
    return _result(request, _run(request, pk))


@login_required
def rejects(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    if not run.rejects:
        raise Http404
    audit.record(actor=request.user, action="export", obj=run, fields=["rejects"],
                 object_repr=f"{len(run.rejects)} rows")  # fmt: skip
    return _xlsx(imports.rejects_xlsx(run), f"staff-import-{run.pk}-rejects.xlsx")


@login_required
@require_POST
def sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable list of passwords or links, once: a second request is refused."""
    run = _run(request, pk)
    try:
        data = signing.loads(request.POST.get("sheet", ""), salt=SHEET_SALT, max_age=SHEET_MAX_AGE)
    except signing.BadSignature:
        raise PermissionDenied(_("名单已失效。")) from None
    if data.get("run") != run.pk:
        raise PermissionDenied(_("名单已失效。"))
    claimed = StaffImport.objects.filter(pk=run.pk, sheet_downloaded_at__isnull=True).update(
        sheet_downloaded_at=timezone.now()
    )
    if not claimed:
        return HttpResponse(_("名单已下载过一次，不能再次下载。"), status=410)
    audit.record(actor=request.user, action="export", obj=run, fields=["credentials"],
                 object_repr=f"{len(data['rows'])} accounts")  # fmt: skip
    content = imports.credentials_xlsx(data["rows"], credentials=run.credentials)
    return _xlsx(content, f"staff-import-{run.pk}-accounts.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """停用与交接: his open work, a successor to pick, and the deactivation."""
    require(request.user, Capability.MANAGE_STAFF)
    user: Any = request.user
    try:
        person = account_selectors.staff_list(user=user).get(pk=pk)
    except User.DoesNotExist:
        raise Http404 from None
    successors = handover.successors_for(user=user, person=person)
    errors: list[str] = []
    if request.method == "POST":
        successor = None
        chosen = request.POST.get("successor", "")
        if chosen:
            successor = next((p for p in successors if str(p.pk) == chosen), None)
            if successor is None:
                errors.append(_("请从列表中选择接手人。"))
        if not errors:
            try:
                handover.deactivate(actor=user, person=person, successor=successor,
                                    reason=request.POST.get("reason", ""))  # fmt: skip
            except ValidationError as error:
                errors.extend(error.messages)
            else:
                messages.success(request, _("%(name)s的账号已停用。") % {"name": person.full_name})
                return redirect("accounts:staff_detail", pk=person.pk)
    work = handover.open_work(user=user, person=person)
    return render(
        request,
        "personnel/deactivate.html",
        {"person": person, "work": work, "successors": successors, "errors": errors},
        status=422 if errors else 200,
    )
