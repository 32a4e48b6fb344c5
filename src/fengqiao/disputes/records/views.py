"""The case page's mediation record (sittings, evidence, hand-offs) and what follows the
agreement (the agreement, performance, judicial confirmation, notarisation, follow-up
visits): the two panels' context, their POST views, the attachment download and the
receiving unit's list of transfers waiting for an answer.

Thin: a form parses, :mod:`fengqiao.disputes.records.services` or
:mod:`fengqiao.disputes.aftercare.services` writes or reads. A refused form comes back on the
case page with what was typed (422); a success goes back to the case.

Uploads: Django streams a file larger than ``FILE_UPLOAD_MAX_MEMORY_SIZE`` to a
temporary file, so memory is never the problem, but it would still read a 1 GB body
to the end. :class:`AttachmentLimitHandler` stops reading as soon as the body (from its
Content-Length) or the file (counted as it arrives) passes the limit; the front proxy
should refuse such bodies even earlier (nginx ``client_max_body_size``).
``DATA_UPLOAD_MAX_MEMORY_SIZE`` does not count files, so it needs no change."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.core.paginator import Paginator
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    QueryDict,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.forms import show_refusal
from fengqiao.core.masking import mask_name
from fengqiao.core.roles import Capability, Role
from fengqiao.disputes import selectors, services
from fengqiao.disputes.aftercare import services as aftercare
from fengqiao.disputes.models import (
    AgreementForm,
    AgreementTerm,
    DisputeCase,
    FollowUp,
    JudicialConfirmation,
    MediationAgreement,
    Notarisation,
    Referral,
    Status,
    StepOutcome,
    Track,
)
from fengqiao.disputes.records import services as records
from fengqiao.disputes.records.forms import (
    AgreementEditForm,
    AttachmentForm,
    ConfirmationForm,
    ConfirmationOutcomeForm,
    FollowUpForm,
    MarkTermForm,
    NotarisationForm,
    NotarisationOutcomeForm,
    ReferralForm,
    RespondForm,
    SessionForm,
    term_deadline,
    term_formset,
)
from fengqiao.incidents import codes

SESSIONS_PER_PAGE = 10
ATTACHMENTS_PER_PAGE = 20
FORM_OVERHEAD = 64 * 1024  # the other fields of the upload form, and the multipart framing


# --- helpers ------------------------------------------------------------------------------


def _case(user: Any, code: str) -> DisputeCase:
    """The case for a write: in scope or 404; the write itself is audited."""
    return get_object_or_404(selectors.cases_for(user), code=codes.normalise(code))


def _back(case: DisputeCase) -> HttpResponse:
    return redirect("disputes:detail", code=case.code)


def _may_write(user: Any, case: DisputeCase) -> bool:
    try:
        services.check_scope(user, case)
    except PermissionDenied:
        return False
    return True


def _refused(request: HttpRequest, case: DisputeCase, forms: dict[str, Any],
             status: int = 422) -> HttpResponse:  # fmt: skip
    from fengqiao.disputes.intake.views import render_detail  # the page includes these panels

    return render_detail(request, case, forms=forms, status=status)


def _submit(request: HttpRequest, case: DisputeCase, key: str, form: Any, action: Any,
            done: str) -> HttpResponse:  # fmt: skip
    """Validate ``form``, run ``action(form.cleaned_data)``; back to the case on success,
    the form with its errors on the case page otherwise."""
    if not form.is_valid():
        return _refused(request, case, {key: form})
    try:
        action(form.cleaned_data)
    except StaleEditError as error:
        form.add_error(None, str(error))
        return _refused(request, case, {key: form}, status=409)
    except (ValidationError, PermissionDenied) as error:
        show_refusal(form, error)
        return _refused(request, case, {key: form})
    messages.success(request, done)
    return _back(case)


def _page(items: Any, size: int, number: str | None) -> Any:
    return Paginator(items, size).get_page(number)


# --- the record panel -------------------------------------------------------------------------


def panel(request: HttpRequest, case: DisputeCase, forms: dict[str, Any]) -> dict[str, Any]:
    """调解记录 panel: sittings (newest first, paginated) with the add form, attachments
    with the upload form and its limits, hand-offs with their answer buttons."""
    user = request.user
    can_write = _may_write(user, case)
    sessions = case.sessions.select_related("mediator", "recorded_by").order_by("-held_at", "-pk")
    respond_form = forms.get("records_respond")
    referrals: list[dict[str, Any]] = []
    for referral in records.referrals_of(user, case):
        may = records.may_respond(user, referral)
        bound = (
            respond_form
            if respond_form is not None and respond_form.target == referral.pk
            else None
        )
        referrals.append({"referral": referral, "may_respond": may,
                          "form": bound or RespondForm(target=referral.pk)})  # fmt: skip
    pending = any(r["referral"].status == "pending" for r in referrals)
    return {
        "records_can_write": can_write,
        "records_is_open": case.is_open,
        "records_can_add_session": can_write and case.status in records.SESSION_STATUSES,
        "records_sessions": _page(sessions, SESSIONS_PER_PAGE, request.GET.get("sessions_page")),
        "records_session_form": forms.get("records_session") or SessionForm(case=case),
        "records_attachments": _page(
            records.attachments_of(user, case),
            ATTACHMENTS_PER_PAGE,
            request.GET.get("attachments_page"),
        ),
        "records_attachment_form": forms.get("records_attachment") or AttachmentForm(case=case),
        "records_referrals": referrals,
        "records_can_refer": can_write
        and case.is_open
        and not pending
        and case.status in records.TRANSFERABLE_STATUSES,
        "records_referral_form": forms.get("records_referral") or ReferralForm(case=case),
    }


@login_required
@require_POST
def session_add(request: HttpRequest, code: str) -> HttpResponse:
    """调解记录: add one sitting."""
    case = _case(request.user, code)
    form = SessionForm(request.POST, case=case)
    return _submit(
        request, case, "records_session", form,
        lambda data: records.add_session(actor=request.user, case=case, **data),
        _("已记录本次调解。"),
    )  # fmt: skip


class AttachmentLimitHandler(FileUploadHandler):
    """Stops an upload as soon as it is too big: on the declared length of the whole
    body, else on the bytes of the file as they arrive. ``exceeded`` tells the view."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limit = limit
        self.exceeded = False

    def handle_raw_input(self, input_data: Any, META: Any, content_length: int,
                         boundary: Any, encoding: str | None = None) -> Any:  # fmt: skip
        if content_length and content_length > self.limit + FORM_OVERHEAD:
            self.exceeded = True
            # Parse nothing and read nothing: the view answers from the flag.
            return QueryDict(encoding=encoding), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        if start + len(raw_data) > self.limit:
            self.exceeded = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


@csrf_exempt  # the handler must be in place before anything reads the body (CSRF would)
@login_required
@require_POST
def attachment_add(request: HttpRequest, code: str) -> HttpResponse:
    """证据材料: upload one file. Too big: refused before the body is read (413)."""
    case = _case(request.user, code)
    handler = AttachmentLimitHandler(request, records.max_attachment_bytes())
    request.upload_handlers.insert(0, handler)
    request.FILES  # noqa: B018 - parse now, with the limit in place
    if handler.exceeded:
        # Nothing is written, so answering without the CSRF check is safe.
        form = AttachmentForm(request.POST, {}, case=case)
        form.is_valid()
        form.errors["file"] = form.error_class([records.too_big().message_dict["file"][0]])
        return _refused(request, case, {"records_attachment": form}, status=413)
    return _attachment_add(request, case)


@csrf_protect
def _attachment_add(request: HttpRequest, case: DisputeCase) -> HttpResponse:
    form = AttachmentForm(request.POST, request.FILES, case=case)
    return _submit(
        request, case, "records_attachment", form,
        lambda data: records.add_attachment(
            actor=request.user, case=case, upload=data["file"],
            description=data["description"], session=data["session"],
        ),
        _("已上传材料。"),
    )  # fmt: skip


@login_required
@require_GET
def attachment_download(request: HttpRequest, code: str, pk: int) -> HttpResponseBase:
    """Download one attachment of a case in scope (404 otherwise), audited; always as a
    download, never rendered by the browser."""
    attachment = records.attachment_for(request.user, code, pk)
    try:
        handle = records.open_attachment(actor=request.user, attachment=attachment)
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.original_name,
        content_type=attachment.content_type,
    )  # fmt: skip
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def referral_add(request: HttpRequest, code: str) -> HttpResponse:
    """移交/转办: hand the case over; it waits for the answer."""
    case = _case(request.user, code)
    form = ReferralForm(request.POST, case=case)
    return _submit(
        request, case, "records_referral", form,
        lambda data: records.refer(actor=request.user, case=case, **data),
        _("已提交移交，等待接收方答复。"),
    )  # fmt: skip


def _visible_referral(user: Any, pk: int) -> tuple[Referral, bool]:
    """The referral, and whether the user may read its case (else it is a transfer to
    his unit he sees in his inbox); 404 if neither."""
    referral = get_object_or_404(Referral.objects.select_related("case", "to_unit"), pk=pk)
    if selectors.cases_for(user).filter(pk=referral.case_id).exists():
        return referral, True
    if records.incoming_transfers(user).filter(pk=pk).exists():
        return referral, False
    raise Http404


@login_required
@require_POST
def referral_respond(request: HttpRequest, pk: int) -> HttpResponse:
    """接收/退回 a hand-off: from the case page, or from the receiving unit's inbox."""
    referral, reads_case = _visible_referral(request.user, pk)
    form = RespondForm(request.POST, target=referral.pk)
    from_inbox = request.POST.get("back") == "inbox" or not reads_case

    def answer() -> HttpResponse | None:
        if not form.is_valid():
            return None
        try:
            records.respond(actor=request.user, referral=referral, accept=form.accept,
                            response=form.cleaned_data["response"])  # fmt: skip
        except (ValidationError, PermissionDenied) as error:
            show_refusal(form, error)
            return None
        messages.success(request, _("已接收。") if form.accept else _("已退回。"))
        # An accepted transfer puts the case in the receiver's scope: go there.
        if selectors.cases_for(request.user).filter(pk=referral.case_id).exists():
            return redirect("disputes:detail", code=referral.case.code)
        return redirect("disputes:records_transfers")

    done = answer()
    if done is not None:
        return done
    if from_inbox:
        return _transfers_page(request, {referral.pk: form}, status=422)
    return _refused(request, referral.case, {"records_respond": form})


def _transfers_page(request: HttpRequest, forms: dict[int, RespondForm],
                    status: int = 200) -> HttpResponse:  # fmt: skip
    rows = [
        {"referral": r, "form": forms.get(r.pk) or RespondForm(target=r.pk)}
        for r in records.incoming_transfers(request.user)[:200]
    ]
    return render(request, "disputes/transfers.html", {"rows": rows}, status=status)


@login_required
@require_GET
def transfers(request: HttpRequest) -> HttpResponse:
    """转办待接收: transfers to the user's units waiting for an answer."""
    user: Any = request.user
    if user.role == Role.MEDIATOR or not user.can(Capability.HANDLE_DISPUTES):
        raise PermissionDenied
    return _transfers_page(request, {})


# --- the after-care panel ---------------------------------------------------------------------


def _one(model: Any, **lookup: Any) -> Any:
    try:
        return model.objects.get(**lookup)
    except ObjectDoesNotExist:
        return None


def _bound_for(forms: dict[str, Any], key: str, target: int) -> Any:
    form = forms.get(key)
    return form if form is not None and getattr(form, "target", None) == target else None


def aftercare_panel(request: HttpRequest, case: DisputeCase,
                    forms: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """调解协议与回访 panel: the agreement (or the form to record it), its terms with
    their deadlines and done/not-done buttons, judicial confirmation with its 30-day
    clock, notarisation, and the follow-up visits with their record forms."""
    user = request.user
    can_write = _may_write(user, case)
    agreement = aftercare.agreement_of(user, case)
    today = timezone.localdate()
    context: dict[str, Any] = {
        "aftercare_can_write": can_write,
        "aftercare_agreement": agreement,
        "aftercare_is_police": case.track == Track.POLICE,
    }
    confirmation = notarisation = None
    if agreement is not None:
        confirmation = _one(JudicialConfirmation, agreement=agreement)
        notarisation = _one(Notarisation, agreement=agreement)
    editable = can_write and (
        (agreement is None and case.status == Status.ACCEPTED)
        or (agreement is not None and case.status in (Status.ACCEPTED, Status.AGREED)
            and confirmation is None)
    )  # fmt: skip
    context["aftercare_can_edit_agreement"] = editable
    context["aftercare_reopened"] = agreement is not None and case.status == Status.ACCEPTED
    if editable:
        context["aftercare_agreement_form"] = forms.get("aftercare_agreement") or (
            AgreementEditForm(case=case, agreement=agreement)
        )
        context["aftercare_terms"] = forms.get("aftercare_terms") or term_formset(
            case=case, agreement=agreement
        )
    if agreement is None:
        return context
    performing = can_write and case.status in aftercare.PERFORMANCE_STATUSES
    terms = []
    for term in agreement.terms.select_related("obligor"):
        obligor = term.obligor
        terms.append({
            "term": term,
            "obligor": f"{obligor.get_role_display()} {mask_name(obligor.name)}" if obligor else "",
            "deadline": term_deadline(term, today),
            "form": _bound_for(forms, "aftercare_mark", term.pk) or MarkTermForm(target=term.pk),
        })  # fmt: skip
    context["aftercare_terms_list"] = terms
    context["aftercare_can_mark"] = performing
    steps_open = can_write and case.status in aftercare.STEP_STATUSES
    days_left = aftercare.confirmation_days_left(agreement, today)
    confirmable = case.track == Track.PEOPLE and agreement.form == AgreementForm.WRITTEN
    context |= {
        "aftercare_confirmable": confirmable,
        "aftercare_confirmation": confirmation,
        "aftercare_confirmation_due": aftercare.clocks.confirmation_due(agreement.effective_on),
        "aftercare_confirmation_days_left": days_left,
        "aftercare_confirmation_closing": confirmable and confirmation is None
        and 0 <= days_left <= aftercare.CLOSING_WINDOW_DAYS,
        "aftercare_confirmation_expired": confirmable and confirmation is None and days_left < 0,
        "aftercare_can_apply_confirmation": steps_open and confirmable and confirmation is None
        and days_left >= 0,
        "aftercare_confirmation_form": forms.get("aftercare_confirmation") or ConfirmationForm(),
        "aftercare_can_record_confirmation": can_write and confirmation is not None
        and confirmation.outcome == StepOutcome.PENDING,
        "aftercare_confirmation_outcome_form": forms.get("aftercare_confirmation_outcome")
        or ConfirmationOutcomeForm(),
        "aftercare_notarisation": notarisation,
        "aftercare_can_apply_notarisation": steps_open and notarisation is None,
        "aftercare_notarisation_form": forms.get("aftercare_notarisation") or NotarisationForm(),
        "aftercare_can_record_notarisation": can_write and notarisation is not None
        and notarisation.outcome == StepOutcome.PENDING,
        "aftercare_notarisation_outcome_form": forms.get("aftercare_notarisation_outcome")
        or NotarisationOutcomeForm(),
    }  # fmt: skip
    visits = []
    for visit in case.follow_ups.select_related("visitor").order_by("due_on", "pk"):
        visits.append({
            "visit": visit,
            "overdue": visit.done_at is None and visit.due_on < today,
            "may_record": can_write and visit.done_at is None and case.status == Status.RESOLVED,
            "form": _bound_for(forms, "aftercare_follow_up", visit.pk)
            or FollowUpForm(target=visit.pk),
        })  # fmt: skip
    context["aftercare_follow_ups"] = visits
    return context


def _agreement_of(case: DisputeCase) -> MediationAgreement | None:
    return MediationAgreement.objects.filter(case=case).first()


@login_required
@require_POST
def agreement_save(request: HttpRequest, code: str) -> HttpResponse:
    """调解协议: record it (the case becomes “已达成协议”) or save a correction; two
    people saving the same agreement at once: the second is refused (409), his input
    kept on the page."""
    case = _case(request.user, code)
    agreement = _agreement_of(case)
    form = AgreementEditForm(request.POST, case=case, agreement=agreement)
    terms = term_formset(request.POST, case=case, agreement=agreement)
    keys = {"aftercare_agreement": form, "aftercare_terms": terms}
    if not (form.is_valid() & terms.is_valid()):
        return _refused(request, case, keys)
    arguments = {"actor": request.user, **form.service_arguments(), "terms": terms.to_inputs()}
    try:
        if agreement is None:
            aftercare.record_agreement(case=case, **arguments)
        else:
            version = form.cleaned_data.get("version") or agreement.version
            aftercare.update_agreement(agreement=agreement, expected_version=version, **arguments)
    except StaleEditError as error:
        form.add_error(None, str(error))
        return _refused(request, case, keys, status=409)
    except (ValidationError, PermissionDenied) as error:
        if isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            # ``terms-<i>-<field>`` go to their row; the rest to the agreement form.
            rest = terms.add_service_errors(error.message_dict)
            if rest:
                show_refusal(form, ValidationError(rest))
        else:
            show_refusal(form, error)
        return _refused(request, case, keys)
    messages.success(request, _("已保存调解协议。"))
    return _back(case)


@login_required
@require_POST
def term_mark(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """履行情况 of one term."""
    case = _case(request.user, code)
    term = get_object_or_404(AgreementTerm, pk=pk, agreement__case=case)
    form = MarkTermForm(request.POST, target=term.pk)
    return _submit(
        request, case, "aftercare_mark", form,
        lambda data: aftercare.mark_term(actor=request.user, term=term, **data),
        _("已登记履行情况。"),
    )  # fmt: skip


def _agreement_or_404(case: DisputeCase) -> MediationAgreement:
    agreement = _agreement_of(case)
    if agreement is None:
        raise Http404
    return agreement


@login_required
@require_POST
def confirmation_apply(request: HttpRequest, code: str) -> HttpResponse:
    """司法确认申请 (within 30 days of the agreement taking effect)."""
    case = _case(request.user, code)
    agreement = _agreement_or_404(case)
    return _submit(
        request, case, "aftercare_confirmation", ConfirmationForm(request.POST),
        lambda data: aftercare.apply_confirmation(actor=request.user, agreement=agreement, **data),
        _("已登记司法确认申请。"),
    )  # fmt: skip


@login_required
@require_POST
def confirmation_outcome(request: HttpRequest, code: str) -> HttpResponse:
    """The court's ruling on the application."""
    case = _case(request.user, code)
    confirmation = get_object_or_404(JudicialConfirmation, agreement__case=case)
    return _submit(
        request, case, "aftercare_confirmation_outcome", ConfirmationOutcomeForm(request.POST),
        lambda data: aftercare.record_confirmation_outcome(
            actor=request.user, confirmation=confirmation, **data
        ),
        _("已登记司法确认结果。"),
    )  # fmt: skip


@login_required
@require_POST
def notarisation_apply(request: HttpRequest, code: str) -> HttpResponse:
    """公证申请."""
    case = _case(request.user, code)
    agreement = _agreement_or_404(case)
    return _submit(
        request, case, "aftercare_notarisation", NotarisationForm(request.POST),
        lambda data: aftercare.apply_notarisation(actor=request.user, agreement=agreement, **data),
        _("已登记公证申请。"),
    )  # fmt: skip


@login_required
@require_POST
def notarisation_outcome(request: HttpRequest, code: str) -> HttpResponse:
    """The notary's answer."""
    case = _case(request.user, code)
    notarisation = get_object_or_404(Notarisation, agreement__case=case)
    return _submit(
        request, case, "aftercare_notarisation_outcome", NotarisationOutcomeForm(request.POST),
        lambda data: aftercare.record_notarisation_outcome(
            actor=request.user, notarisation=notarisation, **data
        ),
        _("已登记公证结果。"),
    )  # fmt: skip


@login_required
@require_POST
def follow_up_record(request: HttpRequest, code: str, pk: int) -> HttpResponse:
    """回访记录 of one planned visit."""
    case = _case(request.user, code)
    visit = get_object_or_404(FollowUp, pk=pk, case=case)
    form = FollowUpForm(request.POST, target=visit.pk)
    return _submit(
        request, case, "aftercare_follow_up", form,
        lambda data: aftercare.record_follow_up(actor=request.user, follow_up=visit, **data),
        _("已记录回访。"),
    )  # fmt: skip
