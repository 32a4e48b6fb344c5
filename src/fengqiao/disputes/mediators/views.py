"""调解员 pages: the registry (list, record with its declared interests, forms), the
mediation rooms with today's duty lawyer, a room's monthly rota (generate, swap,
replace), and the case page's panel (current mediators, the proposals with their
reasons and an assign button each, the excluded with theirs, ending an assignment).

Thin: a form parses, :mod:`fengqiao.disputes.mediators.services` writes or reads, a template
renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.audit import personal
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.forms import refusal_text, show_refusal
from fengqiao.core.masking import mask
from fengqiao.core.roles import Capability, Role, require
from fengqiao.core.text import join_list
from fengqiao.disputes import selectors
from fengqiao.disputes.mediators import rota as duty_rota
from fengqiao.disputes.mediators import services as mediators
from fengqiao.disputes.mediators.forms import (
    AssignForm,
    ConflictForm,
    EndAssignmentForm,
    MediatorForm,
    ReasonForm,
    ReplaceForm,
    RoomForm,
    SwapForm,
)
from fengqiao.disputes.models import (
    Assignment,
    Category,
    DisputeCase,
    DutyShift,
    MediationRoom,
    Mediator,
    MediatorConflict,
    MediatorKind,
)
from fengqiao.disputes.parties import KEY_ID, KEY_PHONE

PAGE_SIZE = 30
SHOWN_CANDIDATES = 3  # the best few; the rest fold away
INVALID = 422
# The service names the registry person; the form asks for his ID number.
PERSON_FIELD = {"person": "person_id_number"}


def _labels(codes: list[str], table: dict[str, Any]) -> str:
    return join_list(table.get(code, code) for code in codes)


CATEGORY_LABELS = dict(Category.choices)


def _describe(mediator: Mediator) -> dict[str, Any]:
    return {
        "mediator": mediator,
        "languages": _labels(mediator.languages, mediators.LANGUAGES),
        "specialities": _labels(mediator.specialities, CATEGORY_LABELS),
        "phone": mask("phone", mediator.phone),
        "load": getattr(mediator, "open_load", None),
    }


# --- The case panel -------------------------------------------------------------------


def panel(request: HttpRequest, case: DisputeCase, forms: dict[str, Any]) -> dict[str, Any]:
    """Context of ``disputes/_panel_mediators.html`` on the case page. A mediator
    account sees who mediates the case, not the proposals about his colleagues."""
    user: Any = request.user
    may_propose = user.role != Role.MEDIATOR and user.can(Capability.HANDLE_DISPUTES)
    can_assign = may_propose and user.can(Capability.MANAGE_MEDIATORS) and case.is_open
    proposals = mediators.propose(case, user=user) if may_propose and case.is_open else None
    current = mediators.current_assignments(case)
    return {
        "mediators_current": current,
        "mediators_past": mediators.past_assignments(case),
        "mediators_proposals": proposals,
        "mediators_shown": proposals.candidates[:SHOWN_CANDIDATES] if proposals else [],
        "mediators_more": proposals.candidates[SHOWN_CANDIDATES:] if proposals else [],
        "mediators_can_assign": can_assign,
        "mediators_can_end": user.can(Capability.MANAGE_MEDIATORS) and user.role != Role.MEDIATOR,
        "mediators_has_lead": any(a.lead for a in current),
        "mediators_assign_form": forms.get("mediators_assign") or AssignForm(),
        "mediators_end_form": forms.get("mediators_end") or EndAssignmentForm(),
        "mediators_language_labels": _labels(proposals.languages, mediators.LANGUAGES)
        if proposals
        else "",
    }


def _case_for_write(request: HttpRequest, code: str) -> DisputeCase:
    return get_object_or_404(selectors.cases_for(request.user), code=code)


def _refused(request: HttpRequest, case: DisputeCase, key: str, form: Any) -> HttpResponse:
    from fengqiao.disputes.intake.views import render_detail

    return render_detail(request, case, forms={key: form}, status=INVALID)


@login_required
@require_POST
def assign(request: HttpRequest, code: str) -> HttpResponse:
    """指派: the person's choice among the proposals (an excluded one is refused with
    the reason)."""
    case = _case_for_write(request, code)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, "mediators_assign", form)
    data = form.cleaned_data
    # Any mediator of the bureau may be proposed, not only those of the user's unit: the
    # service checks he is one of this case's candidates.
    mediator = Mediator.objects.filter(pk=data["mediator"]).first()
    if mediator is None:
        form.add_error(None, _("没有找到该调解员。"))
        return _refused(request, case, "mediators_assign", form)
    try:
        mediators.assign(
            actor=request.user,
            case=case,
            mediator=mediator,
            lead=data["lead"],
            reason=data["reason"],
        )
    except (ValidationError, PermissionDenied) as error:
        show_refusal(form, error, aliases=PERSON_FIELD)
        return _refused(request, case, "mediators_assign", form)
    messages.success(request, _("已指派%(name)s。") % {"name": mediator.name})
    return redirect(reverse("disputes:detail", args=[case.code]))


@login_required
@require_POST
def end_assignment(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """结束指派, with the reason."""
    case = _case_for_write(request, code)
    assignment = get_object_or_404(Assignment.objects.select_related("mediator"), pk=pk, case=case)
    form = EndAssignmentForm(request.POST)
    if not form.is_valid():
        return _refused(request, case, "mediators_end", form)
    try:
        mediators.end_assignment(
            actor=request.user, assignment=assignment, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, PermissionDenied) as error:
        show_refusal(form, error, aliases=PERSON_FIELD)
        return _refused(request, case, "mediators_end", form)
    messages.success(request, _("已结束%(name)s的指派。") % {"name": assignment.mediator.name})
    return redirect(reverse("disputes:detail", args=[case.code]))


# --- The registry ---------------------------------------------------------------------


def _nav(user: Any) -> dict[str, bool]:
    return {"can_manage": user.can(Capability.MANAGE_MEDIATORS) and user.role != Role.MEDIATOR}


@login_required
@require_GET
def mediator_list(request: HttpRequest) -> HttpResponse:
    """调解员名册: filter by kind, availability and name; loads counted in the query."""
    found = mediators.with_loads(mediators.mediators_for(request.user))
    kind = request.GET.get("kind", "")
    query = request.GET.get("q", "").strip()
    availability = request.GET.get("available", "")
    if kind in MediatorKind.values:
        found = found.filter(kind=kind)
    if query:
        found = found.filter(name__prefix=query)
    if availability in ("1", "0"):
        found = found.filter(available=availability == "1")
    page = Paginator(found.order_by("jurisdiction__path", "name", "pk"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    params = request.GET.copy()
    params.pop("page", None)
    context = {
        "page_obj": page,
        "rows": [_describe(m) for m in page.object_list],
        "kinds": MediatorKind.choices,
        "kind": kind,
        "q": query,
        "available": availability,
        "query_prefix": f"{params.urlencode()}&" if params else "",
        **_nav(request.user),
    }
    return render(request, "disputes/mediators/list.html", context)


def _visible(user: Any, pk: int) -> Mediator:
    try:
        return mediators.mediator_detail(user, pk)
    except Mediator.DoesNotExist:
        raise Http404 from None


def _key_kind(key: str) -> str:
    if key.startswith(f"{KEY_ID}:"):
        return _("身份证号")
    if key.startswith(f"{KEY_PHONE}:"):
        return _("手机号")
    return _("其他")


def _render_detail(
    request: HttpRequest, mediator: Mediator, *, conflict_form: Any = None, status: int = 200
) -> HttpResponse:
    user: Any = request.user
    visible_cases = selectors.cases_for(user)
    assignments = (
        mediator.assignments.filter(ended_at__isnull=True, case__in=visible_cases)
        .select_related("case")
        .order_by("-created_at")
    )
    context = {
        **_describe(mediator),
        "personal": personal.masked_fields(request, mediator, "disputes:mediator_reveal"),
        "conflicts": [
            {"conflict": c, "key_kind": _key_kind(c.party_key)}
            for c in mediator.conflicts.order_by("-created_at")
        ],
        "conflict_form": conflict_form or ConflictForm(),
        "withdraw_form": ReasonForm(),
        "assignments": assignments,
        "upcoming": mediator.shifts.filter(day__gte=timezone.localdate())
        .select_related("room")
        .order_by("day")[:10],
        **_nav(user),
    }
    return render(request, "disputes/mediators/detail.html", context, status=status)


@login_required
@require_GET
def mediator_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One mediator: masked personal fields, declared interests, current cases, shifts."""
    return _render_detail(request, _visible(request.user, pk))


@login_required
@require_http_methods(["GET", "POST"])
def mediator_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """查看明文 of a mediator's phone or ID number, with a reason."""
    mediator = mediators.mediators_for(request.user).filter(pk=pk).first()
    if mediator is None:
        raise Http404
    return personal.reveal(request, obj=mediator, field=field, url_name="disputes:mediator_reveal")


def _form_page(
    request: HttpRequest, form: Any, title: str, *, subtitle: str = "", status: int = 200
) -> HttpResponse:
    context = {"form": form, "title": title, "subtitle": subtitle, **_nav(request.user)}
    return render(request, "disputes/mediators/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def mediator_create(request: HttpRequest) -> HttpResponse:
    """登记调解员."""
    require(request.user, Capability.MANAGE_MEDIATORS)
    form = MediatorForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                created = mediators.create_mediator(actor=request.user, **form.service_arguments())
            except (ValidationError, PermissionDenied) as error:
                show_refusal(form, error, aliases=PERSON_FIELD)
            else:
                messages.success(request, _("已登记调解员%(name)s。") % {"name": created.name})
                return redirect("disputes:mediator_detail", pk=created.pk)
        return _form_page(request, form, _("登记调解员"), status=INVALID)
    return _form_page(request, form, _("登记调解员"))


@login_required
@require_http_methods(["GET", "POST"])
def mediator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """编辑调解员; a version saved by someone else meanwhile is refused."""
    require(request.user, Capability.MANAGE_MEDIATORS)
    mediator = _visible(request.user, pk)
    form = MediatorForm(request.POST or None, user=request.user, instance=mediator)
    if request.method == "POST":
        if form.is_valid():
            version = form.cleaned_data.get("version") or mediator.version
            status = INVALID
            try:
                mediators.update_mediator(
                    actor=request.user,
                    mediator=mediator,
                    expected_version=version,
                    **form.service_arguments(),
                )
            except StaleEditError as error:
                form.add_error(None, str(error))
                status = 409
            except (ValidationError, PermissionDenied) as error:
                show_refusal(form, error, aliases=PERSON_FIELD)
            else:
                messages.success(request, _("已保存。"))
                return redirect("disputes:mediator_detail", pk=mediator.pk)
            return _form_page(request, form, _("编辑调解员"), subtitle=mediator.name,
                              status=status)  # fmt: skip
        return _form_page(request, form, _("编辑调解员"), subtitle=mediator.name, status=INVALID)
    return _form_page(request, form, _("编辑调解员"), subtitle=mediator.name)


@login_required
@require_POST
def conflict_add(request: HttpRequest, pk: int) -> HttpResponse:
    """申报利害关系; a refused form comes back with what was typed."""
    mediator = _visible(request.user, pk)
    form = ConflictForm(request.POST)
    if form.is_valid():
        try:
            mediators.declare_conflict(actor=request.user, mediator=mediator, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            show_refusal(form, error, aliases=PERSON_FIELD)
        else:
            messages.success(request, _("已登记利害关系。"))
            return redirect("disputes:mediator_detail", pk=mediator.pk)
    return _render_detail(request, mediator, conflict_form=form, status=INVALID)


@login_required
@require_POST
def conflict_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    """撤销利害关系申报, with the reason."""
    conflict = get_object_or_404(
        MediatorConflict.objects.select_related("mediator__jurisdiction"),
        pk=pk,
        mediator__in=mediators.mediators_for(request.user),
    )
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请写明理由（至少4个字）。"))
        mediators.withdraw_conflict(
            actor=request.user, conflict=conflict, reason=form.cleaned_data["reason"]
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, _("已撤销该利害关系申报。"))
    return redirect("disputes:mediator_detail", pk=conflict.mediator_id)


# --- Rooms and the rota ---------------------------------------------------------------


@login_required
@require_GET
def room_list(request: HttpRequest) -> HttpResponse:
    """调解室 with today's duty lawyer in each."""
    today = timezone.localdate()
    rooms = list(mediators.rooms_for(request.user).order_by("jurisdiction__path", "name"))
    on_duty = {s.room_id: s for s in mediators.duty_today(request.user, day=today)}
    context = {
        "rows": [{"room": r, "shift": on_duty.get(r.pk)} for r in rooms],
        "today": today,
        **_nav(request.user),
    }
    return render(request, "disputes/mediators/rooms.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def room_create(request: HttpRequest) -> HttpResponse:
    """设立调解室."""
    require(request.user, Capability.MANAGE_MEDIATORS)
    form = RoomForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                room = mediators.create_room(actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                show_refusal(form, error, aliases=PERSON_FIELD)
            else:
                messages.success(request, _("已设立%(room)s。") % {"room": room.name})
                return redirect("disputes:room_list")
        return _form_page(request, form, _("设立调解室"), status=INVALID)
    return _form_page(request, form, _("设立调解室"))


def _room(user: Any, pk: int) -> MediationRoom:
    room = mediators.rooms_for(user).filter(pk=pk).first()
    if room is None:
        raise Http404
    return room


def _month_or_404(year: int, month: int) -> None:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise Http404


@login_required
@require_GET
def rota_current(request: HttpRequest, pk: int) -> HttpResponse:
    """This month's rota of the room."""
    today = timezone.localdate()
    return redirect("disputes:rota", pk=pk, year=today.year, month=today.month)


def _render_rota(
    request: HttpRequest,
    room: MediationRoom,
    year: int,
    month: int,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    forms = forms or {}
    month_rota = duty_rota.rota_month(request.user, room=room, year=year, month=month)
    first = dt.date(year, month, 1)
    previous = first - dt.timedelta(days=1)
    following = first + dt.timedelta(days=32)
    context = {
        "rota": month_rota,
        "today": timezone.localdate(),
        "previous": previous,
        "following": following,
        "swap_form": forms.get("swap") or SwapForm(shifts=month_rota.shifts),
        "replace_form": forms.get("replace")
        or ReplaceForm(shifts=month_rota.shifts, lawyers=month_rota.lawyers),
        "weekdays": [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")],
        **_nav(request.user),
    }
    return render(request, "disputes/mediators/rota.html", context, status=status)


@login_required
@require_GET
def rota(request: HttpRequest, pk: int, year: int, month: int) -> HttpResponse:
    """律师值班表: a room's month as a calendar, with each lawyer's count of days."""
    _month_or_404(year, month)
    return _render_rota(request, _room(request.user, pk), year, month)


@login_required
@require_POST
def rota_generate(request: HttpRequest, pk: int, year: int, month: int) -> HttpResponse:
    """排班: fill the month's empty working days (days already set are kept)."""
    _month_or_404(year, month)
    room = _room(request.user, pk)
    try:
        before = DutyShift.objects.filter(room=room, day__year=year, day__month=month).count()
        shifts = duty_rota.generate_rota(actor=request.user, room=room, year=year, month=month)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(
            request,
            _("已排班：新增%(new)d天，共%(total)d天。")
            % {"new": len(shifts) - before, "total": len(shifts)},
        )
    return redirect("disputes:rota", pk=room.pk, year=year, month=month)


def _rota_write(
    request: HttpRequest, room: MediationRoom, key: str, form: Any, write: Any, done: str
) -> HttpResponse:
    """Run a swap or a replacement; back to the shift's month, or the form again."""
    if form.is_valid():
        try:
            shift = write(form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            show_refusal(form, error, aliases=PERSON_FIELD)
        else:
            messages.success(request, done)
            return redirect("disputes:rota", pk=room.pk, year=shift.day.year, month=shift.day.month)
    year, month = _form_month(request)
    return _render_rota(request, room, year, month, forms={key: form}, status=INVALID)


def _form_month(request: HttpRequest) -> tuple[int, int]:
    today = timezone.localdate()
    try:
        year, month = int(request.POST.get("year", "")), int(request.POST.get("month", ""))
    except ValueError:
        return today.year, today.month
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return today.year, today.month
    return year, month


def _month_shifts(request: HttpRequest, room: MediationRoom) -> list[DutyShift]:
    year, month = _form_month(request)
    return list(
        DutyShift.objects.filter(room=room, day__year=year, day__month=month)
        .select_related("mediator")
        .order_by("day")
    )


@login_required
@require_POST
def rota_swap(request: HttpRequest, pk: int) -> HttpResponse:
    """调班 between two days of the month shown."""
    room = _room(request.user, pk)
    shifts = _month_shifts(request, room)
    by_pk = {s.pk: s for s in shifts}
    form = SwapForm(request.POST, shifts=shifts)

    def write(data: dict[str, Any]) -> DutyShift:
        first, _second = duty_rota.swap_shifts(
            actor=request.user,
            shift_a=by_pk[data["shift_a"]],
            shift_b=by_pk[data["shift_b"]],
            reason=data["reason"],
        )
        return first

    return _rota_write(request, room, "swap", form, write, _("已调班。"))


@login_required
@require_POST
def rota_replace(request: HttpRequest, pk: int) -> HttpResponse:
    """替班: another lawyer of the room takes a day of the month shown."""
    room = _room(request.user, pk)
    shifts = _month_shifts(request, room)
    lawyers = duty_rota.room_lawyers(room)
    by_pk, lawyer_by_pk = {s.pk: s for s in shifts}, {m.pk: m for m in lawyers}
    form = ReplaceForm(request.POST, shifts=shifts, lawyers=lawyers)

    def write(data: dict[str, Any]) -> DutyShift:
        return duty_rota.replace_on_shift(
            actor=request.user,
            shift=by_pk[data["shift"]],
            mediator=lawyer_by_pk[data["mediator"]],
            reason=data["reason"],
        )

    return _rota_write(request, room, "replace", form, write, _("已替班。"))
