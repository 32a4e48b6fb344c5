"""矛盾纠纷 pages for staff: the case list with its clocks, quick intake with the
parties' earlier disputes and calls, the case page with its timeline and the panels of
each part of the work (mediators, record, agreement and after-care, documents, risk),
screening rounds.

Thin: a form parses, a service writes or a selector reads, a template renders."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.addresses import codes as address_codes
from fengqiao.addresses import picker as address_picker
from fengqiao.addresses import selectors as address_selectors
from fengqiao.audit import personal
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.forms import refusal_text, show_refusal
from fengqiao.core.masking import mask_phone
from fengqiao.core.roles import Capability, Role, require
from fengqiao.disputes import selectors, services
from fengqiao.disputes.aftercare import services as aftercare
from fengqiao.disputes.intake.forms import (
    AcceptForm,
    CaseFilterForm,
    CaseForm,
    ConsentForm,
    ExtendForm,
    PartyFormSet,
    ScreeningRoundForm,
    TransitionForm,
    party_initial,
)
from fengqiao.disputes.models import (
    CLOSED_STATUSES,
    DisputeCase,
    Party,
    Source,
    Status,
    Track,
)
from fengqiao.disputes.workflow import TRANSITIONS
from fengqiao.incidents import selectors as incident_selectors
from fengqiao.incidents.models import Incident
from fengqiao.jurisdictions.selectors import police_units_for

PAGE_SIZE = 30
REMINDERS = 5  # due follow-up visits and closing confirmation windows shown on the list
# The case page's panels, in order: (template, context function). Each part of the work
# keeps its page section and its forms in its own module.
PANELS = (
    ("disputes/_panel_risk.html", "fengqiao.disputes.risk.views.panel"),
    ("disputes/_panel_mediators.html", "fengqiao.disputes.mediators.views.panel"),
    ("disputes/_panel_records.html", "fengqiao.disputes.records.views.panel"),
    ("disputes/_panel_aftercare.html", "fengqiao.disputes.records.views.aftercare_panel"),
    ("disputes/_panel_documents.html", "fengqiao.disputes.documents.views.panel"),
)
# Steps that end the mediation: their buttons are red and need a reason.
_ENDINGS = {Status.REFUSED, Status.FAILED, Status.TO_PENALTY, Status.WITHDRAWN}


def scoped_case(user: Any, code: str) -> DisputeCase:
    """The case for a write: in the user's scope (404 otherwise), no audited read (the
    write is audited by its service)."""
    return get_object_or_404(selectors.cases_for(user), code=code)


# --- List -----------------------------------------------------------------------------


@login_required
@require_GET
def case_list(request: HttpRequest) -> HttpResponse:
    """纠纷 list: filters in the address bar (the statistics link here), newest first,
    with each open case's clock and risk. No party is named, so no personal read."""
    form = CaseFilterForm(request.GET)
    cases = selectors.case_list(request.user, form.to_filter())
    page = Paginator(cases, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "disputes/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "now": timezone.now(),
            "today": timezone.localdate(),
            # What falls due this week beside the list: visits, court applications.
            "visits_due": list(aftercare.follow_ups_due(request.user)[:REMINDERS]),
            "confirmations_closing": list(
                aftercare.confirmations_closing(request.user)[:REMINDERS]
            ),
            "can_register": request.user.can(Capability.HANDLE_DISPUTES)
            and request.user.role != Role.MEDIATOR,
        },
    )


# --- Intake ---------------------------------------------------------------------------


def _picked_address(user: Any, code: str) -> Any:
    code = address_codes.normalise(code or "")
    if not code:
        return None
    return address_selectors.addresses_for(user=user).filter(code=code).first()


def _source_incident(user: Any, pk: int | None) -> Incident | None:
    if not pk:
        return None
    return incident_selectors.incidents_for(user=user).filter(pk=pk).first()


@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """受理登记: the dispute, its parties, and beside them the parties' and the
    address's earlier disputes and calls. ``?incident=<id>`` takes an incident over
    (警情转纠纷), ``?round=<id>`` records a dispute found by a screening round."""
    require(request.user, Capability.HANDLE_DISPUTES)
    if request.user.role == Role.MEDIATOR:
        raise PermissionDenied
    user = request.user
    data = request.POST.copy() if request.method == "POST" else None
    adding = data is not None and "add_party" in data
    if adding:  # one more party form, nothing checked yet (no script needed)
        data["parties-TOTAL_FORMS"] = str((_int(data.get("parties-TOTAL_FORMS")) or 0) + 1)
    initial: dict[str, Any] = {}
    incident = _source_incident(user, _int(request.GET.get("incident")))
    if incident is not None:
        initial = {
            "source": Source.INCIDENT,
            "incident": incident.pk,
            "narrative": incident.description,
            "location_text": incident.location_text,
        }
    if round_id := _int(request.GET.get("round")):
        initial |= {"source": Source.SCREENING, "screening_round": round_id}
    form = CaseForm(data, user=user, initial=initial)
    parties_initial = party_initial()
    if incident is not None and incident.reporter_name:
        # The reporter's phone stays on the server: shown masked, carried over when the
        # first party is saved with the reporter's name and no other phone (_register).
        parties_initial[0] |= {"name": incident.reporter_name}
    party_forms = PartyFormSet(data, prefix="parties", initial=parties_initial)
    if request.method == "POST" and not adding and form.is_valid() & party_forms.is_valid():
        case = _register(request, form, party_forms)
        if case is not None:
            messages.success(request, _("已登记，案号 %(code)s。") % {"code": case.code})
            return redirect("disputes:detail", code=case.code)
    context: dict[str, Any] = {
        "form": form, "party_forms": party_forms, "incident": incident,
        "reporter_phone": mask_phone(incident.reporter_phone) if incident else "",
    }  # fmt: skip
    # The address picker comes back as it was sent (an error, or one more party), and a
    # case taken over from an incident starts with the incident's standard address.
    if data is not None:
        context |= address_picker.form_choices(user, data)
    elif incident is not None and incident.address_id:
        context |= address_picker.address_choices(
            user=user, text=incident.location_text, picked=incident.address.code
        )
    return render(
        request,
        "disputes/intake.html",
        context,
        status=422 if request.method == "POST" and not adding else 200,
    )


def _int(value: Any) -> int | None:
    return int(value) if str(value or "").isdigit() else None


def _register(request: HttpRequest, form: CaseForm, party_forms: Any) -> DisputeCase | None:
    data = form.cleaned_data
    user = request.user
    incident = _source_incident(user, data.get("incident"))
    kwargs: dict[str, Any] = {
        "actor": user, "source": data["source"], "category": data["category"],
        "track": data["track"], "narrative": data["narrative"],
        "party_list": _with_reporter_phone(
            [f.to_input() for f in party_forms if f.cleaned_data], incident
        ),
        "location_text": data["location_text"], "address": _picked_address(user, data["address"]),
        "amount": data["amount"], "languages": data["languages"],
        "referred_by": data["referred_by"], "offence": data["offence"],
        "screening_round": data["screening_round"], "source_incident": incident,
    }  # fmt: skip
    try:
        if incident is not None and incident.is_open:  # 警情转纠纷: the incident moves too
            for name in ("actor", "source", "source_incident"):
                kwargs.pop(name)
            return services.take_from_incident(
                actor=user, incident=incident, expected_version=incident.version, **kwargs
            )
        return services.register_case(**kwargs)
    except (ValidationError, PermissionDenied) as error:
        _party_errors(party_forms, error)
        show_refusal(form, _without_party_errors(error))
    return None


def _with_reporter_phone(party_list: list[Any], incident: Incident | None) -> list[Any]:
    """The first party is the reporter taken over from the incident: his phone, never
    put in the page, comes from the incident unless another was typed."""
    if incident is None or not party_list or not incident.reporter_phone:
        return party_list
    first = party_list[0]
    if first.phone or first.name != incident.reporter_name:
        return party_list
    return [dataclasses.replace(first, phone=incident.reporter_phone), *party_list[1:]]


def _party_errors(party_forms: Any, error: Exception) -> None:
    """``parties-<i>-<field>`` errors from the service go to the party's own form."""
    if not (isinstance(error, ValidationError) and hasattr(error, "error_dict")):
        return
    filled = [f for f in party_forms if f.cleaned_data]
    for key, texts in error.message_dict.items():
        parts = key.split("-")
        if parts[0] == "parties" and len(parts) == 3 and parts[1].isdigit():
            index, field = int(parts[1]), parts[2]
            if index < len(filled):
                filled[index].add_error(field if field in filled[index].fields else None, texts)


def _without_party_errors(error: ValidationError | PermissionDenied) -> Any:
    if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
        rest = {k: v for k, v in error.message_dict.items() if not k.startswith("parties-")}
        return ValidationError(rest) if rest else ValidationError({})
    return error


@login_required
@require_POST
def prior(request: HttpRequest) -> HttpResponse:
    """htmx, from the intake form: earlier disputes and calls of these parties or at
    this address, as the officer types."""
    require(request.user, Capability.HANDLE_DISPUTES)
    people = []
    for index in range(int(request.POST.get("parties-TOTAL_FORMS", "0") or 0)):
        prefix = f"parties-{index}-"
        people.append({f: request.POST.get(prefix + f, "").strip()[:30]
                       for f in ("name", "id_number", "credit_code", "phone")})  # fmt: skip
    address = _picked_address(request.user, request.POST.get("address", ""))
    since = timezone.now() - dt.timedelta(days=3 * 365)
    found = selectors.prior_matches(
        request.user, people=people, address_id=address.pk if address else None, since=since
    )
    return render(request, "disputes/_prior.html", {"found": found})


# --- One case -------------------------------------------------------------------------


def render_detail(
    request: HttpRequest, case: DisputeCase, *, forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    """The case page: facts, parties (masked), clock, timeline, the workflow's next steps
    and every panel. ``forms`` carries a refused form back to its panel, input kept."""
    forms = forms or {}
    user = request.user
    can_handle = user.can(Capability.HANDLE_DISPUTES)
    case_parties = list(case.parties.all())
    # Agreeing and accepting have their own forms (the agreement, the acceptance checks).
    own_form = {Status.AGREED} | ({Status.ACCEPTED} if case.status == Status.REGISTERED else set())
    nexts = [s for s in Status.values
             if s in TRANSITIONS[case.track][case.status] and s not in own_form]  # fmt: skip
    context: dict[str, Any] = {
        "case": case,
        "parties": [
            (p, personal.masked_fields(request, p, "disputes:reveal_party")) for p in case_parties
        ],
        "events": case.events.select_related("actor"),
        "now": timezone.now(),
        "can_handle": can_handle,
        "next_statuses": [(s, _step_label(case, s), s in _ENDINGS) for s in nexts],
        "transition_form": forms.get("transition") or TransitionForm(),
        "accept_form": forms.get("accept") or AcceptForm(initial={"version": case.version}),
        "extend_form": forms.get("extend") or ExtendForm(initial={"version": case.version}),
        "acceptance_problems": (
            services.acceptance_problems(case) if case.status == Status.REGISTERED else []
        ),
        "is_police": case.track == Track.POLICE,
        "closed": case.status in CLOSED_STATUSES,
        "panels": [],
    }
    for template, function in PANELS:
        context |= import_string(function)(request, case, forms)
        context["panels"].append(template)
    return render(request, "disputes/detail.html", context, status=status)


def _step_label(case: DisputeCase, status: str) -> str:
    if status == Status.ACCEPTED:  # back to mediation: from a pause, or reopened
        return _("恢复调解") if case.status == Status.SUSPENDED else _("重新调解")
    return str(Status(status).label)


@login_required
@require_GET
def detail(request: HttpRequest, code: str) -> HttpResponse:
    """One case (audited read of its parties)."""
    return render_detail(request, selectors.case_detail(request.user, code))


def _write(request: HttpRequest, case: DisputeCase, action: Callable[[], Any], done: str,
           *, form_key: str = "", form: Any = None) -> HttpResponse:  # fmt: skip
    """Run one service write; come back to the case, or show the refused form again."""
    try:
        action()
    except StaleEditError as error:
        if form is None:
            messages.error(request, str(error))
        else:  # the refused form comes back with what was typed, like any refusal
            form.add_error(None, str(error))
            return render_detail(request, case, forms={form_key: form}, status=409)
    except (ValidationError, PermissionDenied) as error:
        if form is None:
            messages.error(request, refusal_text(error))
        else:
            show_refusal(form, error)
            return render_detail(request, case, forms={form_key: form}, status=422)
    else:
        messages.success(request, done)
    return redirect("disputes:detail", code=case.code)


@login_required
@require_POST
def transition(request: HttpRequest, code: str) -> HttpResponse:
    """One step of the track's table (suspend, resume, refuse, fail, withdraw…)."""
    case = scoped_case(request.user, code)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        return render_detail(request, case, forms={"transition": form}, status=422)
    data = form.cleaned_data
    return _write(
        request, case,
        lambda: services.transition(actor=request.user, case=case, to_status=data["to_status"],
                                    expected_version=data["version"], note=data["note"]),
        _("已变更为“%(status)s”。") % {"status": Status(data["to_status"]).label},
        form_key="transition", form=form,
    )  # fmt: skip


@login_required
@require_POST
def accept(request: HttpRequest, code: str) -> HttpResponse:
    """受理: the track's conditions are checked by the service, each refusal with its rule."""
    case = scoped_case(request.user, code)
    form = AcceptForm(request.POST)
    if not form.is_valid():
        return render_detail(request, case, forms={"accept": form}, status=422)
    data = form.cleaned_data
    return _write(
        request, case,
        lambda: services.accept_case(
            actor=request.user, case=case, expected_version=data["version"],
            exclusions=frozenset(data["exclusions"]),
            committee_initiated=data["committee_initiated"], note=data["note"],
        ),
        _("已受理，调解期限已开始计算。"), form_key="accept", form=form,
    )  # fmt: skip


@login_required
@require_POST
def consent(request: HttpRequest, code: str, party_id: int) -> HttpResponse:
    """当事人表态: agrees to mediation or refuses (a refusal ends it)."""
    case = scoped_case(request.user, code)
    party = get_object_or_404(Party, pk=party_id, case=case)
    form = ConsentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择同意或拒绝调解。"))
        return redirect("disputes:detail", code=case.code)
    data = form.cleaned_data
    return _write(
        request, case,
        lambda: services.record_consent(actor=request.user, party=party, consent=data["consent"],
                                        expected_version=data["version"], note=data["note"]),
        _("已记录当事人意愿。"),
    )  # fmt: skip


@login_required
@require_POST
def extend(request: HttpRequest, code: str) -> HttpResponse:
    """延长调解期限, with the parties' consent (people's mediation only)."""
    case = scoped_case(request.user, code)
    form = ExtendForm(request.POST)
    if not form.is_valid():
        return render_detail(request, case, forms={"extend": form}, status=422)
    data = form.cleaned_data
    return _write(
        request, case,
        lambda: services.extend(actor=request.user, case=case, days=data["days"],
                                expected_version=data["version"],
                                parties_consent=data["parties_consent"], reason=data["reason"]),
        _("已延长调解期限。"), form_key="extend", form=form,
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def reveal_party(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """查看明文 of a party's name, ID number or phone, with a reason."""
    party = Party.objects.filter(pk=pk, case__in=selectors.cases_for(request.user)).first()
    if party is None:
        raise Http404
    return personal.reveal(request, obj=party, field=field, url_name="disputes:reveal_party")


# --- Screening rounds -----------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def screening(request: HttpRequest) -> HttpResponse:
    """排查: the rounds of the user's units with the disputes each found; a new round."""
    require(request.user, Capability.HANDLE_DISPUTES)
    require(request.user, Capability.VIEW_RECORDS)  # not a mediator's: see the service
    rounds = selectors.screening_rounds_for(request.user)
    units = police_units_for(request.user)
    form = ScreeningRoundForm(request.POST or None, units=units,
                              initial={"started_on": timezone.localdate()})  # fmt: skip
    if request.method == "POST" and form.is_valid():
        try:
            services.create_screening_round(actor=request.user, **form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("已创建排查活动。"))
            return redirect("disputes:screening")
    page = Paginator(rounds.annotate(found=Count("disputes")), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "disputes/screening.html", {"page": page, "form": form},
                  status=422 if form.errors else 200)  # fmt: skip
