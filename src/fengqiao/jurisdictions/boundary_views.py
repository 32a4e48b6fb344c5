"""辖区边界 pages: a unit's outline, uploading GeoJSON/KML for it or its subtree, the
preview with the check's errors, and the save."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from fengqiao.core.roles import Capability, require
from fengqiao.jurisdictions import boundaries, selectors
from fengqiao.jurisdictions.boundary_models import BoundaryUpload, UploadMode, UploadStatus
from fengqiao.jurisdictions.models import Jurisdiction

# A preview bigger than this is linked, not inlined (a 10,000-unit map).
INLINE_SVG_MAX_BYTES = 1024 * 1024


def _unit_or_404(request: HttpRequest, pk: int) -> Jurisdiction:
    require(request.user, Capability.MANAGE_JURISDICTIONS)
    try:
        return selectors.jurisdiction_for(request.user, pk)
    except Jurisdiction.DoesNotExist:
        raise Http404 from None


def _upload_or_404(request: HttpRequest, unit: Jurisdiction, upload_pk: int) -> BoundaryUpload:
    try:
        return boundaries.upload_for(user=request.user, unit=unit, pk=upload_pk)
    except BoundaryUpload.DoesNotExist:
        raise Http404 from None


def _current_map(unit: Jurisdiction) -> str:
    """The unit's stored outline with its children's, drawn like a preview."""
    verdict = boundaries.Verdict()
    children = unit.children.exclude(boundary=None).only("pk", "boundary")
    for child in children[:2000]:
        shape = boundaries._stored_shape(child.boundary)
        if shape is not None:
            verdict.context[child.pk] = shape
    frame = boundaries._stored_shape(unit.boundary)
    return boundaries.render_svg(verdict, frame=frame, frame_name=unit.name) if (
        frame is not None or verdict.context
    ) else ""  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def unit_boundaries(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit's outline, the upload form (this unit, or this unit and its subtree from
    one file) and the user's recent uploads for it."""
    unit = _unit_or_404(request, pk)
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, _("请选择要上传的文件。"))
        else:
            try:
                record = boundaries.create_upload(
                    user=request.user, unit=unit, mode=request.POST.get("mode", ""), upload=upload
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                return redirect("jurisdictions:boundary_upload", pk=unit.pk, upload_pk=record.pk)
    return render(
        request,
        "jurisdictions/boundaries.html",
        {
            "unit": unit,
            "ancestors": selectors.ancestors(unit),
            # Our own SVG: coordinates we format and names we escape (render_svg).
            "map": mark_safe(_current_map(unit)),  # noqa: S308
            "modes": UploadMode.choices,
            "uploads": boundaries.uploads_for(user=request.user, unit=unit)[:10],
            "max_mb": boundaries.max_upload_bytes() // 2**20,
            "area_tolerance": f"{boundaries.AREA_TOLERANCE * 100:g}",
            "edge_metres": f"{boundaries.EDGE_TOLERANCE_METRES:g}",
        },
    )


_STAGES = {
    "reading": gettext_lazy("读取文件"),
    "geometry": gettext_lazy("检查几何图形"),
    "matching": gettext_lazy("对应辖区"),
    "parents": gettext_lazy("检查是否超出上级边界"),
    "overlaps": gettext_lazy("检查相邻辖区重叠"),
    "drawing": gettext_lazy("绘制预览"),
    "saving": gettext_lazy("保存"),
}


def _context(unit: Jurisdiction, upload: BoundaryUpload) -> dict[str, Any]:
    report = upload.report or {}
    errors = [boundaries.error_message(error) for error in report.get("errors", [])]
    preview = ""
    preview_linked = False
    if upload.status in (UploadStatus.CHECKED, UploadStatus.DONE):
        path = upload.preview_path
        if path.exists():
            if path.stat().st_size <= INLINE_SVG_MAX_BYTES:
                preview = path.read_text(encoding="utf-8")
            else:
                preview_linked = True
    progress = upload.progress
    stage = progress.get("stage", "")
    options = [
        {"property": prop, "key": key, "label": str(boundaries.MATCH_KEY_LABELS[key]),
         "matched": matched}
        for prop, key, matched in report.get("options", [])
        if key in boundaries.MATCH_KEY_LABELS
    ]  # fmt: skip
    properties = sorted({option["property"] for option in options})
    total = int(progress.get("total") or 0)
    return {
        "unit": unit,
        "upload": upload,
        "report": report,
        "errors": errors,
        "hidden_errors": max(0, int(report.get("error_count", 0)) - len(errors)),
        "matched_count": len(report.get("matched", [])),
        "preview": mark_safe(preview),  # noqa: S308 — render_svg's own output, names escaped
        "preview_linked": preview_linked,
        "stage": str(_STAGES.get(stage, "")),
        "done": int(progress.get("done") or 0),
        "total": total,
        "percent": min(100, round(100 * int(progress.get("done") or 0) / total)) if total else 0,
        "options": options,
        "properties": properties,
        "keys": [(key, str(label)) for key, label in boundaries.MATCH_KEY_LABELS.items()],
        "chosen_property": upload.match_property or (options[0]["property"] if options else ""),
        "chosen_key": upload.match_key or (options[0]["key"] if options else "code"),
    }


@login_required
@require_http_methods(["GET", "POST"])
def boundary_upload(request: HttpRequest, pk: int, upload_pk: int) -> HttpResponse:
    """One upload: its progress, the matching choice, the preview and errors, the save."""
    unit = _unit_or_404(request, pk)
    upload = _upload_or_404(request, unit, upload_pk)
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "match":
                boundaries.choose_match(
                    user=request.user, upload=upload,
                    prop=request.POST.get("property", ""), key=request.POST.get("key", ""),
                )  # fmt: skip
            elif action == "save":
                upload = boundaries.start_save(user=request.user, upload=upload)
                if upload.status == UploadStatus.DONE:
                    messages.success(
                        request,
                        _("已保存 %(n)d 个辖区的边界。") % {"n": upload.report.get("saved", 0)},
                    )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("jurisdictions:boundary_upload", pk=unit.pk, upload_pk=upload.pk)
    return render(request, "jurisdictions/boundaries_upload.html", _context(unit, upload))


@login_required
def boundary_upload_status(request: HttpRequest, pk: int, upload_pk: int) -> HttpResponse:
    """The upload's panel alone, for htmx polling while it is checked or saved."""
    unit = _unit_or_404(request, pk)
    upload = _upload_or_404(request, unit, upload_pk)
    return render(request, "jurisdictions/boundaries_panel.html", _context(unit, upload))


@login_required
def boundary_preview(request: HttpRequest, pk: int, upload_pk: int) -> HttpResponse:
    """The preview SVG itself (linked when too big to inline)."""
    unit = _unit_or_404(request, pk)
    upload = _upload_or_404(request, unit, upload_pk)
    try:
        svg = upload.preview_path.read_bytes()
    except OSError:
        raise Http404 from None
    return HttpResponse(svg, content_type="image/svg+xml")
