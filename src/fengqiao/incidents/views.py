"""警情 pages for staff: intake at the phone, the filtered list, one incident with its
timeline and handling, and the duty list of clocks about to breach (值班提醒).

Thin: a form parses, a service writes or a selector reads, a template renders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Prefetch, Q, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.addresses import codes as address_codes
from fengqiao.addresses import picker as address_picker
from fengqiao.addresses import selectors as address_selectors
from fengqiao.audit import personal
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.forms import refusal_text, show_refusal
from fengqiao.core.roles import Capability, require
from fengqiao.incidents import codes, selectors, services
from fengqiao.incidents.forms import (
    CategoryConfirmForm,
    CategoryPickForm,
    CorrectionForm,
    IncidentFilterForm,
    IntakeForm,
    TransitionForm,
    category_choices,
    selectable_codes,
)
from fengqiao.incidents.models import (
    DESCRIPTION_MAX_LENGTH,
    Deadline,
    Incident,
    IncidentEvent,
    Status,
)
from fengqiao.incidents.workflow import TRANSITIONS
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.jurisdictions.selectors import bureau_peers, police_units_for

MIN_SUGGEST_LENGTH = 4  # fewer characters say nothing about the category
MAX_GRID_CHOICES = 300  # above that (a bureau and up) a grid picker is no help


def _get_or_404(fetch: Callable[[], Any]) -> Any:
    try:
        return fetch()
    except ObjectDoesNotExist:
        raise Http404 from None


def _scoped_incident(user: Any, pk: int) -> Incident:
    """The incident for a write: in scope (404 otherwise), no audited read (the write
    is audited by the service)."""
    return _get_or_404(lambda: selectors.incidents_for(user=user).get(pk=pk))


def _form_error_text(form: Any) -> str:
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        parts.append(f"{label}：{' '.join(errors)}" if label else " ".join(errors))
    return "；".join(parts)


# --- Intake ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """接警登记: one screen, keyboard only; the code to read to the caller comes next."""
    require(request.user, Capability.RECEIVE_INCIDENTS)
    form = IntakeForm(request.POST or None, user=request.user)
    if request.method == "POST":
        if form.is_valid():
            try:
                incident = services.intake(actor=request.user, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                show_refusal(form, error)
            else:
                _announce_intake(request, incident)
                return redirect("incidents:detail", pk=incident.pk)
        form.focus_first_error()
    # A refused form comes back as it was sent, the picked address included.
    context: dict[str, Any] = {"form": form}
    if request.method == "POST":
        context |= address_picker.form_choices(request.user, request.POST)
    return render(request, "incidents/intake.html", context)


def _announce_intake(request: HttpRequest, incident: Incident) -> None:
    messages.success(
        request,
        _("已登记。查询码 %(code)s，请告知报警人。")
        % {"code": codes.grouped(incident.tracking_code)},
    )
    message = incident.sms.order_by("-pk").first()
    if message is not None:
        messages.info(request, _("已发短信，可向报警人读出：%(text)s") % {"text": message.text})


@login_required
@require_GET
def address_options(request: HttpRequest) -> HttpResponse:
    """The intake form's address autocomplete: the same resolver as the registry's
    ``addresses:suggest``, rendered as a radio group inside the form, so picking one
    (arrow keys) submits its code and picking "none" keeps the free text. The request
    carries the picker as it stands (hx-include), so a pick survives editing the text."""
    context = address_picker.form_choices(request.user, request.GET)
    return render(request, "incidents/_address_options.html", context)


@login_required
@require_POST
def suggest_category(request: HttpRequest) -> HttpResponse:
    """htmx: the classifier's category for the description typed so far; with
    ``accept=<code>`` the category select with that category chosen."""
    require(request.user, Capability.RECEIVE_INCIDENTS)
    accept = request.POST.get("accept", "")
    if accept:
        pick = CategoryPickForm(initial={"category": accept}, focus=True)
        return render(request, "incidents/_category_field.html", {"field": pick["category"]})
    text = request.POST.get("description", "").strip()[:DESCRIPTION_MAX_LENGTH]
    if len(text) < MIN_SUGGEST_LENGTH:
        return HttpResponse("")
    from fengqiao.incidents import classifier  # the model loads on first use

    suggestion = classifier.suggest(text)
    items = selectors.categories()
    category = None
    if suggestion is not None:
        category = next((c for c in items if c.code == suggestion.code), None)
    selectable = selectable_codes(category_choices(items, tops_selectable=False))
    return render(
        request,
        "incidents/_suggestion.html",
        {
            "category": category,
            # A model is never certain: 99.8 % is shown as 99 %, not 100 %.
            "percent": min(99, round(suggestion.probability * 100)) if suggestion else None,
            "selectable": category is not None and category.code in selectable,
        },
    )


# --- List -----------------------------------------------------------------------------


def _grids_in_scope(user: Any) -> list[Jurisdiction]:
    """网格 the user's police districts cover (directly, or through their community)."""
    districts = police_units_for(user).filter(kind=Kind.POLICE_DISTRICT)
    grids = (
        Jurisdiction.objects.filter(kind=Kind.GRID)
        .filter(Q(covered_by__in=districts) | Q(parent__covered_by__in=districts))
        .distinct()
        .order_by("path")
    )
    found = list(grids[: MAX_GRID_CHOICES + 1])
    return found if len(found) <= MAX_GRID_CHOICES else []


def _attach_worst_clock(incidents: list[Incident], *, now: dt.datetime) -> None:
    """Give each incident ``worst_clock``: its running clock with the least time left."""
    running = Deadline.objects.filter(met_at__isnull=True).select_related("rule")
    prefetch_related_objects(
        incidents, Prefetch("deadlines", queryset=running, to_attr="running_clocks")
    )
    for incident in incidents:
        states = [selectors.clock_state(d, now=now) for d in incident.running_clocks]  # type: ignore[attr-defined]
        incident.worst_clock = min(states, key=lambda s: s.remaining, default=None)  # type: ignore[attr-defined]


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    """警情 list: filters in the address bar, newest first, keyset pages. No reporter
    name or number is shown, so the read is not a personal-data read."""
    require(request.user, Capability.VIEW_RECORDS)
    form = IncidentFilterForm(request.GET, grids=_grids_in_scope(request.user))
    page = selectors.incident_page(
        user=request.user, filters=form.to_filter(), cursor=request.GET.get("after", "")
    )
    _attach_worst_clock(page.items, now=timezone.now())
    return render(
        request,
        "incidents/list.html",
        {
            "form": form,
            "page": page,
            "cursor": request.GET.get("after", ""),
            "can_receive": request.user.can(Capability.RECEIVE_INCIDENTS),
        },
    )


# --- One incident ---------------------------------------------------------------------


def transfer_targets(incident: Incident) -> QuerySet[Jurisdiction]:
    """Where a call can be transferred: the stations and specialised units (警种) of the
    bureau above the responsible unit, except the station that holds it."""
    return bureau_peers(incident.jurisdiction)


def _held_statuses(events: Iterable[IncidentEvent], current: str) -> list[str]:
    held = {e.to_status for e in events if e.to_status}
    return [s for s in Status.values if s in held and s != current]


def _survey(incident: Incident) -> Any:
    try:
        return incident.survey
    except ObjectDoesNotExist:
        return None


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One incident: facts (reporter masked), clocks, handling, timeline (audited read)."""
    incident = _get_or_404(lambda: selectors.incident_detail(user=request.user, pk=pk))
    events = list(incident.events.all())
    now = timezone.now()
    clocks = sorted(
        (selectors.clock_state(d, now=now) for d in incident.deadlines.all()),
        key=lambda s: (s.deadline.met_at is not None, s.deadline.due_at),
    )
    context: dict[str, Any] = {
        "incident": incident,
        "personal": personal.masked_fields(request, incident, "incidents:reveal"),
        "events": events,
        "clocks": clocks,
        "additions": incident.additions.all(),
        "survey": _survey(incident),
        "can_handle": request.user.can(Capability.HANDLE_INCIDENTS),
        "can_raise": request.user.can(Capability.RAISE_WHISTLES),
    }
    if context["can_handle"]:
        nexts = [s for s in Status.values if s in TRANSITIONS[incident.status]]
        targets = (
            transfer_targets(incident)
            if Status.TRANSFERRED in nexts
            else Jurisdiction.objects.none()
        )
        held = _held_statuses(events, incident.status)
        initial_category = incident.category or incident.suggested_category
        context |= {
            "next_statuses": [(s, Status(s).label) for s in nexts],
            "transfer_form": TransitionForm(targets=targets),
            "correction_form": CorrectionForm(held=held, initial={"version": incident.version})
            if held
            else None,
            "category_form": CategoryConfirmForm(
                initial={
                    "version": incident.version,
                    "category": initial_category.code if initial_category else "",
                }
            ),
        }
    return render(request, "incidents/detail.html", context)


def _write(
    request: HttpRequest, incident: Incident, action: Callable[[], Any], done: str
) -> HttpResponse:
    """Run one service write and come back to the incident with what happened."""
    try:
        action()
    except StaleEditError as error:
        messages.error(request, str(error))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, done)
    return redirect("incidents:detail", pk=incident.pk)


@login_required
@require_POST
def transition(request: HttpRequest, pk: int) -> HttpResponse:
    """处置: one step of the workflow table (立案 with its number, 移交 with the unit,
    无效 with the reason)."""
    require(request.user, Capability.HANDLE_INCIDENTS)
    incident = _scoped_incident(request.user, pk)
    form = TransitionForm(request.POST, targets=transfer_targets(incident))
    if not form.is_valid():
        messages.error(request, _form_error_text(form))
        return redirect("incidents:detail", pk=pk)
    data = form.cleaned_data
    target = Status(data["to_status"]).label
    return _write(
        request,
        incident,
        lambda: services.transition(
            actor=request.user,
            incident=incident,
            to_status=data["to_status"],
            expected_version=data["version"],
            note=data["note"],
            case_number=data["case_number"],
            transferred_to=data["transferred_to"],
        ),
        _("已变更为“%(status)s”。") % {"status": target},
    )


@login_required
@require_POST
def locate(request: HttpRequest, pk: int) -> HttpResponse:
    """落地: link the incident to the standard address picked from the resolver."""
    require(request.user, Capability.HANDLE_INCIDENTS)
    incident = _scoped_incident(request.user, pk)
    code = address_codes.normalise(request.POST.get("address", ""))
    address = address_selectors.addresses_for(user=request.user).filter(code=code).first()
    version = request.POST.get("version", "")
    if address is None or not version.isdigit():
        messages.error(request, _("请先输入地点并从标准地址中选择一个。"))
        return redirect("incidents:detail", pk=pk)
    return _write(
        request,
        incident,
        lambda: services.locate(
            actor=request.user, incident=incident, address=address, expected_version=int(version)
        ),
        _("已关联标准地址。"),
    )


@login_required
@require_POST
def correct(request: HttpRequest, pk: int) -> HttpResponse:
    """更正: back to a status the incident held, with the reason on the timeline."""
    require(request.user, Capability.HANDLE_INCIDENTS)
    incident = _scoped_incident(request.user, pk)
    form = CorrectionForm(request.POST, held=Status.values)  # the service checks "held"
    if not form.is_valid():
        messages.error(request, _form_error_text(form))
        return redirect("incidents:detail", pk=pk)
    data = form.cleaned_data
    return _write(
        request,
        incident,
        lambda: services.correct_status(
            actor=request.user,
            incident=incident,
            to_status=data["to_status"],
            expected_version=data["version"],
            reason=data["reason"],
        ),
        _("已更正为“%(status)s”。") % {"status": Status(data["to_status"]).label},
    )


@login_required
@require_POST
def categorise(request: HttpRequest, pk: int) -> HttpResponse:
    """定类: confirm the suggested category or pick another."""
    require(request.user, Capability.HANDLE_INCIDENTS)
    incident = _scoped_incident(request.user, pk)
    form = CategoryConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_error_text(form))
        return redirect("incidents:detail", pk=pk)
    category = form.cleaned_data["category"]
    return _write(
        request,
        incident,
        lambda: services.confirm_category(
            actor=request.user,
            incident=incident,
            category=category,
            expected_version=form.cleaned_data["version"],
        ),
        _("已定类为“%(category)s”。") % {"category": category},
    )


@login_required
@require_http_methods(["GET", "POST"])
def reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """查看明文 of the reporter's name or number, with a reason (the shared flow)."""
    incident = _scoped_incident(request.user, pk)
    return personal.reveal(request, obj=incident, field=field, url_name="incidents:reveal")


# --- Duty list ------------------------------------------------------------------------


@login_required
@require_GET
def duty(request: HttpRequest) -> HttpResponse:
    """值班提醒: clocks breached or due within two hours, most urgent first. The page
    refreshes its table every minute (htmx asks again with ``HX-Request``)."""
    rows = selectors.duty_list(user=request.user)
    context = {"rows": rows, "now": timezone.now()}
    partial = request.headers.get("HX-Request") == "true"
    template = "incidents/_duty_rows.html" if partial else "incidents/duty.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
