"""After the agreement: the 调解协议 itself, whether each term is performed, 司法确认 and
公证 of the agreement, and the 回访 follow-up visits.

The law behind the rules:

* 人民调解法 第二十八条: an agreement may be written or, where the parties think it
  unnecessary, oral — the mediator then records its content. 第二十九条: a written
  agreement states the parties, the main facts, the matters in dispute and each side's
  responsibility, and the agreed terms with the method and deadline of performance; it
  takes effect when signed. 第三十条: an oral one takes effect when reached.
* 人民调解法 第三十三条 / 民事诉讼法 第二百零五条: the parties may jointly apply to the
  court for judicial confirmation within 30 days of the agreement taking effect.
* 公安机关治安调解工作规范: a police-mediation agreement takes effect when signed; if it
  is not performed, the police deal with the offence under the public-order law
  (不履行的，公安机关应当依法对违反治安管理行为人予以处罚).

What follows a failure, as implemented here:

* A term not performed — police track: the case goes to the penalty procedure. People's
  track: by default the mediation is reopened with a fresh deadline; the mediator may
  instead leave the case as it is, the parties being told they may apply to the court
  (for enforcement where the agreement was judicially confirmed, else by suit). An
  agreement taken to court for confirmation (not refused) is never reopened: its text
  is the court's, and enforcement is the remedy.
* A follow-up visit that finds the agreement unperformed or the dispute back reopens a
  people's-mediation case (an unperformed agreement before the court excepted, as
  above); on the police track an unperformed agreement goes to the
  penalty procedure, while a dispute that broke out again is a new offence to register
  (the table has no way back from a closed police mediation). A visit where nobody
  could be reached is not a visit: the attempt is written on the visit and the
  timeline, and the visit stays due until someone gets through.
* Reopening drops the visits still planned for the old closing; closing again plans
  new ones (:func:`fengqiao.disputes.services.schedule_follow_ups`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.audit import services as audit
from fengqiao.core.concurrency import save_versioned
from fengqiao.core.masking import mask_name
from fengqiao.disputes import clocks, selectors
from fengqiao.disputes.models import (
    FAILED_VISITS,
    TEXT_MAX_LENGTH,
    AgreementForm,
    AgreementTerm,
    DisputeCase,
    EventKind,
    FollowUp,
    JudicialConfirmation,
    MediationAgreement,
    Notarisation,
    Party,
    PartyRole,
    Satisfaction,
    Status,
    StepOutcome,
    TermStatus,
    Track,
    VisitOutcome,
)
from fengqiao.disputes.risk import services as risk
from fengqiao.disputes.services import MIN_REASON_LENGTH, add_event, check_scope, move_to
from fengqiao.disputes.workflow import allowed
from fengqiao.incidents.services import clean_text

CONFIRMATION_RULE = gettext_lazy("须自调解协议生效之日起三十日内共同提出")
PENALTY_RULE = gettext_lazy("不履行的，公安机关应当依法对违反治安管理行为人予以处罚")
CLOSING_WINDOW_DAYS = 7  # the case page warns this many days before the 30 days run out
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

# A terms' performance is followed while the agreement stands.
PERFORMANCE_STATUSES = frozenset({Status.AGREED, Status.RESOLVED})
# Confirmation and notarisation concern an agreement that stands.
STEP_STATUSES = frozenset({Status.AGREED, Status.RESOLVED})


class VisitMethod(models.TextChoices):
    """回访方式."""

    PHONE = "phone", gettext_lazy("电话回访")
    VISIT = "visit", gettext_lazy("上门回访")
    MESSAGE = "message", gettext_lazy("短信/微信")
    VIDEO = "video", gettext_lazy("视频")
    OTHER = "other", gettext_lazy("其他")


@dataclass
class TermInput:
    """One agreed term as entered: what, by whom, how and by when. ``id`` names an
    existing term when an agreement is edited (its performance record is kept)."""

    text: str
    obligor_party_id: int | None = None
    method: str = ""
    due_on: dt.date | None = None
    id: int | None = None


@dataclass(frozen=True)
class _Content:
    form: str
    facts: str
    matters: str
    responsibilities: str
    signed_on: dt.date
    effective_on: dt.date
    committee: str
    copies: int
    terms: list[dict[str, Any]]


def _errors_of(error: ValidationError) -> dict[str, str]:
    return {k: v[0] for k, v in error.message_dict.items()}


def _clean_terms(case: DisputeCase, terms: list[TermInput], signed_on: dt.date | None,
                 errors: dict[str, str]) -> list[dict[str, Any]]:  # fmt: skip
    """Every term: its text, the method and deadline of performance (not before the
    signing), the obliged party of this case. Errors keyed ``terms-<i>-<field>`` like a
    formset."""
    party_ids = set(case.parties.values_list("pk", flat=True))
    cleaned = []
    for index, term in enumerate(terms):

        def key(name: str, index: int = index) -> str:
            return f"terms-{index}-{name}"

        values: dict[str, Any] = {"id": term.id}
        for name, value, limit in (("text", term.text, 2000), ("method", term.method, 200)):
            try:
                values[name] = clean_text(value, field=key(name), limit=limit, required=True,
                                          plain=True)  # fmt: skip
            except ValidationError as error:
                errors.update(_errors_of(error))
        if not (term.method or "").strip():
            errors[key("method")] = _("请写明履行方式。")
        if term.due_on is None:
            errors[key("due_on")] = _("请写明履行期限。")
        elif signed_on is not None and term.due_on < signed_on:
            errors[key("due_on")] = _("履行期限不能早于协议签订日期。")
        values["due_on"] = term.due_on
        if term.obligor_party_id is not None and term.obligor_party_id not in party_ids:
            errors[key("obligor")] = _("履行人须是本纠纷的当事人。")
        values["obligor_id"] = term.obligor_party_id
        cleaned.append(values)
    return cleaned


def _clean_content(
    case: DisputeCase,
    *,
    form: str,
    facts: str,
    matters: str,
    responsibilities: str,
    signed_on: dt.date | None,
    effective_on: dt.date | None,
    committee: str,
    terms: list[TermInput],
    copies: int | None,
) -> _Content:
    """The content an agreement must have (人民调解法 第二十八、二十九条), every
    problem reported at once."""
    errors: dict[str, str] = {}
    if form not in AgreementForm.values:
        errors["form"] = _("请选择书面协议或口头协议。")
    written = form == AgreementForm.WRITTEN
    texts: dict[str, str] = {}
    for name, value, required in (
        ("facts", facts, written and _("书面协议须写明纠纷的主要事实。")),
        ("matters", matters, written and _("书面协议须写明争议事项。")),
        ("responsibilities", responsibilities, False),
        ("committee", committee, False),
    ):
        try:
            limit = 100 if name == "committee" else TEXT_MAX_LENGTH
            texts[name] = clean_text(value, field=name, limit=limit, required=required,
                                     plain=True)  # fmt: skip
        except ValidationError as error:
            errors.update(_errors_of(error))
    committee_name = texts.get("committee", "")
    if not committee_name and case.track == Track.POLICE:
        committee_name = case.jurisdiction.name  # the police organ that mediated
    elif not committee_name and "committee" not in errors:
        errors["committee"] = _("请填写人民调解委员会名称。")
    today = timezone.localdate()
    if signed_on is None:
        errors["signed_on"] = _("请填写协议签订日期。")
    elif signed_on > today:
        errors["signed_on"] = _("签订日期不能晚于今天。")
    elif signed_on < clocks.local_date(case.registered_at):
        errors["signed_on"] = _("签订日期不能早于纠纷登记日期。")
    if case.track == Track.POLICE:
        # 治安调解协议 takes effect when the parties sign it.
        if effective_on is not None and signed_on is not None and effective_on != signed_on:
            errors["effective_on"] = _("治安调解协议自签字之日起生效，生效日期即签订日期。")
        effective_on = signed_on
    elif effective_on is None:
        effective_on = signed_on
    elif signed_on is not None and effective_on < signed_on:
        errors["effective_on"] = _("生效日期不能早于签订日期。")
    elif effective_on > today:
        errors["effective_on"] = _("生效日期不能晚于今天。")
    if not terms:
        errors["terms"] = _("协议没有约定内容：请至少填写一项协议条款（履行内容、方式和期限）。")
    cleaned_terms = _clean_terms(case, terms, signed_on, errors)
    principal = case.parties.exclude(role=PartyRole.THIRD_PARTY).count()
    if copies is None:
        copies = max(principal, 2) + 1  # one per party, one kept by the committee
    elif not 1 <= copies <= 20:
        errors["copies"] = _("份数须在1到20之间。")
    if errors or signed_on is None or effective_on is None:
        raise ValidationError(errors)
    return _Content(
        form=form, facts=texts["facts"], matters=texts["matters"],
        responsibilities=texts["responsibilities"], signed_on=signed_on,
        effective_on=effective_on, committee=committee_name, copies=copies, terms=cleaned_terms,
    )  # fmt: skip


_CONTENT_FIELDS = ["form", "facts", "matters", "responsibilities", "signed_on", "effective_on",
                   "committee", "copies"]  # fmt: skip


def _summary(agreement: MediationAgreement, count: int) -> dict[str, Any]:
    """The parameters of the timeline's line on an agreement."""
    return {
        "form": agreement.form, "n": count,
        "signed": agreement.signed_on.isoformat(), "effective": agreement.effective_on.isoformat(),
    }  # fmt: skip


@transaction.atomic
def record_agreement(
    *,
    actor: Any,
    case: DisputeCase,
    form: str,
    facts: str,
    matters: str,
    responsibilities: str,
    signed_on: dt.date | None,
    committee: str,
    terms: list[TermInput],
    effective_on: dt.date | None = None,
    copies: int | None = None,
    expected_version: int | None = None,
) -> MediationAgreement:
    """调解协议: record the agreement reached in a case under mediation and move the case
    to “已达成协议”. A written agreement needs the facts and the matters in dispute; any
    agreement, oral ones included (recorded by the mediator), needs at least one term,
    each with its method and deadline of performance. A police-mediation agreement
    takes effect on signing; a people's one on ``effective_on`` (default: signing).
    ``expected_version`` is the case's, by default as the caller loaded it: two
    mediators recording at once cannot both succeed."""
    check_scope(actor, case)
    version = case.version if expected_version is None else expected_version
    if case.status != Status.ACCEPTED:
        raise ValidationError(
            _("纠纷当前为“%(status)s”，只有调解中的纠纷可以登记调解协议。")
            % {"status": case.get_status_display()}
        )
    if MediationAgreement.objects.filter(case=case).exists():
        raise ValidationError(_("本纠纷已有调解协议，请修改原协议。"))
    content = _clean_content(
        case, form=form, facts=facts, matters=matters, responsibilities=responsibilities,
        signed_on=signed_on, effective_on=effective_on, committee=committee, terms=terms,
        copies=copies,
    )  # fmt: skip
    # The case first: a concurrent second recording fails here, before anything is written.
    move_to(actor, case, Status.AGREED, version, "", message="agreed")
    agreement = MediationAgreement.objects.create(
        case=case, recorded_by=actor, **{name: getattr(content, name) for name in _CONTENT_FIELDS}
    )
    AgreementTerm.objects.bulk_create(
        AgreementTerm(agreement=agreement, text=t["text"], obligor_id=t["obligor_id"],
                      method=t["method"], due_on=t["due_on"])
        for t in content.terms
    )  # fmt: skip
    add_event(
        case,
        actor,
        EventKind.AGREEMENT,
        message="agreement",
        params=_summary(agreement, len(content.terms)),
    )
    audit.record(actor=actor, action="create", obj=agreement,
                 fields=[*_CONTENT_FIELDS, "terms"])  # fmt: skip
    return agreement


@transaction.atomic
def update_agreement(
    *,
    actor: Any,
    agreement: MediationAgreement,
    expected_version: int,
    form: str,
    facts: str,
    matters: str,
    responsibilities: str,
    signed_on: dt.date | None,
    committee: str,
    terms: list[TermInput],
    effective_on: dt.date | None = None,
    copies: int | None = None,
) -> MediationAgreement:
    """修改调解协议: correct an agreement, or record the new one reached when a reopened
    case is mediated again (the case goes back to “已达成协议”). Saved only if nobody
    saved it since ``expected_version`` (StaleEditError otherwise, nothing lost). Terms
    named by ``id`` keep their performance record; a performed term cannot be dropped.
    Refused once judicial confirmation has been applied for: the court has that text."""
    case = agreement.case
    check_scope(actor, case)
    if case.status not in (Status.AGREED, Status.ACCEPTED):
        raise ValidationError(
            _("纠纷当前为“%(status)s”，不能修改调解协议。") % {"status": case.get_status_display()}
        )
    if JudicialConfirmation.objects.filter(agreement=agreement).exists():
        raise ValidationError(_("已申请司法确认的调解协议不能修改。"))
    content = _clean_content(
        case, form=form, facts=facts, matters=matters, responsibilities=responsibilities,
        signed_on=signed_on, effective_on=effective_on, committee=committee, terms=terms,
        copies=copies,
    )  # fmt: skip
    existing = {t.pk: t for t in agreement.terms.all()}
    kept = {t["id"] for t in content.terms if t["id"] is not None}
    errors: dict[str, str] = {}
    for index, term in enumerate(content.terms):
        if term["id"] is not None and term["id"] not in existing:
            errors[f"terms-{index}-text"] = _("该条款不属于本协议，请刷新后重新编辑。")
    dropped = [t for pk, t in existing.items() if pk not in kept]
    if any(t.status == TermStatus.DONE for t in dropped):
        errors["terms"] = _("已履行的条款不能删除。")
    if errors:
        raise ValidationError(errors)
    for name in _CONTENT_FIELDS:
        setattr(agreement, name, getattr(content, name))
    save_versioned(agreement, expected_version=expected_version, fields=_CONTENT_FIELDS)
    AgreementTerm.objects.filter(pk__in=[t.pk for t in dropped]).delete()
    for values in content.terms:
        fields = {k: values[k] for k in ("text", "obligor_id", "method", "due_on")}
        if values["id"] is None:
            AgreementTerm.objects.create(agreement=agreement, **fields)
            continue
        stored = existing[values["id"]]
        if stored.status == TermStatus.NOT_DONE and values["due_on"] != stored.due_on:
            # A new deadline agreed for an unperformed term: its performance starts over.
            fields |= {"status": TermStatus.PENDING, "checked_at": None}
        AgreementTerm.objects.filter(pk=stored.pk).update(**fields)
    if case.status == Status.ACCEPTED:
        move_to(actor, case, Status.AGREED, case.version, "", message="agreed_again")
    add_event(
        case,
        actor,
        EventKind.AGREEMENT,
        message="agreement_amended",
        params=_summary(agreement, len(content.terms)),
    )
    audit.record(actor=actor, action="update", obj=agreement,
                 fields=[*_CONTENT_FIELDS, "terms"])  # fmt: skip
    return agreement


# --- performance ------------------------------------------------------------------------


def _drop_planned_visits(case: DisputeCase) -> int:
    deleted, _kinds = case.follow_ups.filter(done_at__isnull=True).delete()
    return deleted


def _reopen(actor: Any, case: DisputeCase, note: str, *, outcome: str = "") -> DisputeCase:
    """Back to mediation (people's track) with a fresh deadline from now: because a term
    was not performed, or a follow-up visit found ``outcome``; ``note`` is what the
    person wrote about it."""
    now = timezone.now()
    case.due_at = clocks.mediation_due(case.track, now)
    case.suspended_at = None
    dropped = _drop_planned_visits(case)
    params: dict[str, Any] = {"due": f"{timezone.localtime(case.due_at):%Y-%m-%d}"}
    if outcome:
        params["outcome"] = outcome
    if dropped:
        params["dropped"] = dropped
    return move_to(actor, case, Status.ACCEPTED, case.version, note,
                   fields=["due_at", "suspended_at"], params=params,
                   message="reopened_after_visit" if outcome else "reopened")  # fmt: skip


def _to_penalty(actor: Any, case: DisputeCase, note: str, *, outcome: str = "") -> DisputeCase:
    """Police track: an unperformed agreement goes to the penalty procedure."""
    _drop_planned_visits(case)
    return move_to(
        actor,
        case,
        Status.TO_PENALTY,
        case.version,
        note,
        message="to_penalty_after_visit" if outcome else "to_penalty",
        params={"rule": "penalty", **({"outcome": outcome} if outcome else {})},
    )


@transaction.atomic
def mark_term(
    *, actor: Any, term: AgreementTerm, status: str, note: str = "", reopen: bool = True
) -> AgreementTerm:
    """履行情况: a term done or not done. Not done — police track: the case goes to the
    penalty procedure; people's track: mediation is reopened with a new deadline, or
    with ``reopen=False`` the case stays and the parties are pointed to the court. All
    terms done on an agreed case: it is resolved (and its follow-up visits planned)."""
    case = DisputeCase.objects.select_for_update().get(pk=term.agreement.case_id)
    check_scope(actor, case)
    # Read again under the case's lock: two clicks on the same term are serialised.
    term = AgreementTerm.objects.select_related("agreement").get(pk=term.pk)
    if status not in (TermStatus.DONE, TermStatus.NOT_DONE):
        raise ValidationError({"status": _("请选择已履行或未履行。")})
    if case.status not in PERFORMANCE_STATUSES:
        raise ValidationError(
            _("纠纷当前为“%(status)s”，不能登记履行情况。") % {"status": case.get_status_display()}
        )
    note = clean_text(note, field="note", limit=200, plain=True)
    if status == TermStatus.NOT_DONE and len(note) < MIN_REASON_LENGTH:
        raise ValidationError({"note": _("请写明未履行的情况（至少4个字）。")})
    if term.status == status:
        raise ValidationError(_("该条款已登记为“%(s)s”。") % {"s": TermStatus(status).label})
    term.status, term.checked_at, term.note = status, timezone.now(), note
    term.save(update_fields=["status", "checked_at", "note"])
    add_event(case, actor, EventKind.PERFORMANCE, note, message="term",
              params={"text": term.text[:40], "status": status})  # fmt: skip
    audit.record(actor=actor, action="update", obj=term.agreement, fields=["terms"], reason=note)
    if status == TermStatus.NOT_DONE:
        if case.track == Track.POLICE:
            _to_penalty(actor, case, note)
        elif (
            reopen
            and not _before_court(term.agreement)
            and allowed(case.track, case.status, Status.ACCEPTED)
        ):
            _reopen(actor, case, note)
        else:
            add_event(case, actor, EventKind.NOTE, message=_court_remedy(term.agreement))
    elif (
        case.status == Status.AGREED
        and not term.agreement.terms.exclude(status=TermStatus.DONE).exists()
    ):
        move_to(actor, case, Status.RESOLVED, case.version, "", message="all_performed")
    risk.refresh_case(case, actor=actor)
    return term


def _before_court(agreement: MediationAgreement) -> bool:
    """Taken to court for judicial confirmation: its text is the court's now, so an
    unperformed term is for the court (enforcement), not for another round of mediation."""
    return (
        JudicialConfirmation.objects.filter(agreement=agreement)
        .exclude(outcome=StepOutcome.REFUSED)
        .exists()
    )


def _court_remedy(agreement: MediationAgreement) -> str:
    """The timeline message pointing the parties to the court."""
    confirmation = JudicialConfirmation.objects.filter(agreement=agreement).first()
    if confirmation is not None and confirmation.outcome == StepOutcome.GRANTED:
        return "court_enforcement"
    return "court_action"


# --- judicial confirmation and notarisation -----------------------------------------------


def confirmation_days_left(agreement: MediationAgreement, today: dt.date | None = None) -> int:
    """Days until the last day of the 30-day window (0 on the last day, negative after)."""
    today = today or timezone.localdate()
    return (clocks.confirmation_due(agreement.effective_on) - today).days


def _clean_step_date(value: dt.date | None, *, field: str, after: dt.date,
                     after_message: str) -> dt.date:  # fmt: skip
    if value is None:
        raise ValidationError({field: _("请填写日期。")})
    if value > timezone.localdate():
        raise ValidationError({field: _("日期不能晚于今天。")})
    if value < after:
        raise ValidationError({field: after_message})
    return value


@transaction.atomic
def apply_confirmation(
    *, actor: Any, agreement: MediationAgreement, court: str, applied_on: dt.date | None
) -> JudicialConfirmation:
    """司法确认申请: the parties' joint application to the court, for a written
    people's-mediation agreement, made within 30 days of the agreement taking effect
    (not before it takes effect)."""
    case = agreement.case
    check_scope(actor, case)
    if case.track != Track.PEOPLE:
        raise ValidationError(_("司法确认只适用于人民调解协议。"))
    if agreement.form != AgreementForm.WRITTEN:
        raise ValidationError(_("口头协议不能申请司法确认，请先制作书面调解协议书。"))
    if case.status not in STEP_STATUSES:
        raise ValidationError(
            _("纠纷当前为“%(status)s”，不能申请司法确认。") % {"status": case.get_status_display()}
        )
    if JudicialConfirmation.objects.filter(agreement=agreement).exists():
        raise ValidationError(_("已申请过司法确认。"))
    court = clean_text(court, field="court", limit=100, required=_("请填写受理的人民法院。"),
                       plain=True)  # fmt: skip
    applied_on = _clean_step_date(
        applied_on, field="applied_on", after=agreement.effective_on,
        after_message=_("申请日期不能早于协议生效日期。"),
    )  # fmt: skip
    due = clocks.confirmation_due(agreement.effective_on)
    if applied_on > due:
        raise ValidationError(
            {"applied_on": _("已超过司法确认申请期限：%(rule)s（协议%(effective)s生效，"
                             "最迟%(due)s）。")
             % {"rule": CONFIRMATION_RULE, "effective": agreement.effective_on.isoformat(),
                "due": due.isoformat()}}
        )  # fmt: skip
    confirmation = JudicialConfirmation.objects.create(
        agreement=agreement, court=court, applied_on=applied_on
    )
    add_event(case, actor, EventKind.CONFIRMATION, message="confirmation_applied",
              params={"date": applied_on.isoformat(), "court": court})  # fmt: skip
    audit.record(actor=actor, action="create", obj=confirmation, fields=["court", "applied_on"])
    return confirmation


def _check_outcome(outcome: str, outcome_on: dt.date | None, applied_on: dt.date) -> dt.date:
    if outcome not in (StepOutcome.GRANTED, StepOutcome.REFUSED):
        raise ValidationError({"outcome": _("请选择结果。")})
    if outcome_on is None:
        raise ValidationError({"outcome_on": _("请填写结果日期。")})
    if outcome_on > timezone.localdate():
        raise ValidationError({"outcome_on": _("日期不能晚于今天。")})
    if outcome_on < applied_on:
        raise ValidationError({"outcome_on": _("结果日期不能早于申请日期。")})
    return outcome_on


@transaction.atomic
def record_confirmation_outcome(
    *,
    actor: Any,
    confirmation: JudicialConfirmation,
    outcome: str,
    outcome_on: dt.date | None,
    ruling_number: str = "",
    note: str = "",
) -> JudicialConfirmation:
    """The court's ruling: confirmed (a 民事裁定书 number is required) or not. If the
    court refuses, the parties may change the agreement or reach a new one through
    mediation, or sue (人民调解法 第三十三条)."""
    case = confirmation.agreement.case
    check_scope(actor, case)
    outcome_on = _check_outcome(outcome, outcome_on, confirmation.applied_on)
    ruling_number = clean_text(ruling_number, field="ruling_number", limit=60, plain=True)
    note = clean_text(note, field="note", limit=200, plain=True)
    if outcome == StepOutcome.GRANTED and not ruling_number:
        raise ValidationError({"ruling_number": _("请填写民事裁定书编号。")})
    updated = JudicialConfirmation.objects.filter(
        pk=confirmation.pk, outcome=StepOutcome.PENDING
    ).update(outcome=outcome, outcome_on=outcome_on, ruling_number=ruling_number, note=note,
             updated_at=timezone.now())  # fmt: skip
    if updated != 1:
        raise ValidationError(_("已登记过司法确认结果。"))
    confirmation.refresh_from_db()
    add_event(case, actor, EventKind.CONFIRMATION, note, message="confirmation_outcome", params={
        "court": confirmation.court, "outcome": outcome, "number": ruling_number,
        "refused": outcome == StepOutcome.REFUSED,
    })  # fmt: skip
    audit.record(actor=actor, action="update", obj=confirmation,
                 fields=["outcome", "outcome_on", "ruling_number"])  # fmt: skip
    return confirmation


@transaction.atomic
def apply_notarisation(
    *, actor: Any, agreement: MediationAgreement, office: str, applied_on: dt.date | None
) -> Notarisation:
    """公证+: the agreement taken to a notary office (e.g. to make a debt directly
    enforceable). No time limit, but not before the agreement was signed."""
    case = agreement.case
    check_scope(actor, case)
    if case.status not in STEP_STATUSES:
        raise ValidationError(
            _("纠纷当前为“%(status)s”，不能申请公证。") % {"status": case.get_status_display()}
        )
    if Notarisation.objects.filter(agreement=agreement).exists():
        raise ValidationError(_("已申请过公证。"))
    office = clean_text(office, field="office", limit=100, required=_("请填写公证机构。"),
                        plain=True)  # fmt: skip
    applied_on = _clean_step_date(
        applied_on, field="applied_on", after=agreement.signed_on,
        after_message=_("申请日期不能早于协议签订日期。"),
    )  # fmt: skip
    notarisation = Notarisation.objects.create(
        agreement=agreement, office=office, applied_on=applied_on
    )
    add_event(case, actor, EventKind.NOTARISATION, message="notarisation_applied",
              params={"date": applied_on.isoformat(), "office": office})  # fmt: skip
    audit.record(actor=actor, action="create", obj=notarisation, fields=["office", "applied_on"])
    return notarisation


@transaction.atomic
def record_notarisation_outcome(
    *,
    actor: Any,
    notarisation: Notarisation,
    outcome: str,
    outcome_on: dt.date | None,
    certificate_number: str = "",
) -> Notarisation:
    """The notary's answer: notarised (with the 公证书 number) or refused."""
    case = notarisation.agreement.case
    check_scope(actor, case)
    outcome_on = _check_outcome(outcome, outcome_on, notarisation.applied_on)
    number = clean_text(certificate_number, field="certificate_number", limit=60, plain=True)
    if outcome == StepOutcome.GRANTED and not number:
        raise ValidationError({"certificate_number": _("请填写公证书编号。")})
    updated = Notarisation.objects.filter(
        pk=notarisation.pk, outcome=StepOutcome.PENDING
    ).update(outcome=outcome, outcome_on=outcome_on, certificate_number=number,
             updated_at=timezone.now())  # fmt: skip
    if updated != 1:
        raise ValidationError(_("已登记过公证结果。"))
    notarisation.refresh_from_db()
    add_event(
        case,
        actor,
        EventKind.NOTARISATION,
        message="notarisation_outcome",
        params={"office": notarisation.office, "outcome": outcome, "number": number},
    )
    audit.record(actor=actor, action="update", obj=notarisation,
                 fields=["outcome", "outcome_on", "certificate_number"])  # fmt: skip
    return notarisation


# --- follow-up visits ---------------------------------------------------------------------


@transaction.atomic
def record_follow_up(
    *,
    actor: Any,
    follow_up: FollowUp,
    done_at: dt.datetime | None,
    method: str,
    outcome: str,
    satisfaction: str = "",
    note: str = "",
) -> FollowUp:
    """回访记录: the visit, how it went and the parties' satisfaction. A visit finding
    the agreement unperformed or the dispute back reopens a people's-mediation case
    (new deadline, the reason on the timeline); on the police track an unperformed
    agreement goes to the penalty procedure. Nobody reached: the attempt is noted and
    the visit stays due."""
    case = DisputeCase.objects.select_for_update().get(pk=follow_up.case_id)
    check_scope(actor, case)
    follow_up = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if follow_up.done_at is not None:
        raise ValidationError(_("这次回访已经记录过了。"))
    if case.status != Status.RESOLVED:
        raise ValidationError(
            _("纠纷当前为“%(status)s”，不是已化解的纠纷，不能记录回访。")
            % {"status": case.get_status_display()}
        )
    errors: dict[str, str] = {}
    if method not in VisitMethod.values:
        errors["method"] = _("请选择回访方式。")
    if outcome not in VisitOutcome.values:
        errors["outcome"] = _("请选择回访情况。")
    reached = outcome != VisitOutcome.UNREACHABLE
    if reached and satisfaction not in Satisfaction.values:
        errors["satisfaction"] = _("请选择当事人的满意度。")
    try:
        note = clean_text(note, field="note", limit=2000, plain=True)
    except ValidationError as error:
        errors.update(_errors_of(error))
    if outcome in FAILED_VISITS and len(note) < MIN_REASON_LENGTH:
        errors["note"] = _("请写明回访发现的情况（至少4个字）。")
    if done_at is None:
        errors["done_at"] = _("请填写回访时间。")
    else:
        if timezone.is_naive(done_at):
            done_at = timezone.make_aware(done_at)
        if done_at > timezone.now() + FUTURE_TOLERANCE:
            errors["done_at"] = _("回访时间不能晚于现在。")
        # The form gives minutes: a visit in the minute of closing is not "before" it.
        elif case.closed_at and done_at < case.closed_at.replace(second=0, microsecond=0):
            errors["done_at"] = _("回访时间不能早于结案时间。")
    if errors or done_at is None:
        raise ValidationError(errors)
    when = f"{timezone.localtime(done_at):%Y-%m-%d %H:%M}"
    method_label = VisitMethod(method).label
    if not reached:
        # Not a visit: the attempt is kept on the record and the visit stays due.
        attempt = _("%(when)s %(method)s未联系上。%(note)s") % {
            "when": when, "method": method_label, "note": note,
        }  # fmt: skip
        follow_up.note = "\n".join(filter(None, [follow_up.note, attempt.strip()]))[-2000:]
        follow_up.save(update_fields=["note", "updated_at"])
        add_event(case, actor, EventKind.FOLLOW_UP, note, message="visit_missed",
                  params={"when": when, "method": method})  # fmt: skip
        audit.record(actor=actor, action="update", obj=follow_up, fields=["note"])
        return follow_up
    follow_up.done_at, follow_up.method, follow_up.visitor = done_at, method, actor
    follow_up.outcome, follow_up.satisfaction = outcome, satisfaction
    follow_up.note = "\n".join(filter(None, [follow_up.note, note]))[-2000:]
    follow_up.save(update_fields=["done_at", "method", "visitor", "outcome", "satisfaction",
                                  "note", "updated_at"])  # fmt: skip
    add_event(case, actor, EventKind.FOLLOW_UP, note, message="visit", params={
        "when": when, "method": method, "outcome": outcome, "satisfaction": satisfaction,
    })  # fmt: skip
    audit.record(actor=actor, action="update", obj=follow_up,
                 fields=["done_at", "outcome", "satisfaction", "note"])  # fmt: skip
    if outcome in FAILED_VISITS:
        agreement = MediationAgreement.objects.filter(case=case).first()
        if case.track == Track.POLICE and outcome == VisitOutcome.NOT_PERFORMED:
            _to_penalty(actor, case, note, outcome=outcome)
        elif case.track == Track.POLICE:
            add_event(case, actor, EventKind.NOTE, message="police_relapse")
        elif (
            outcome == VisitOutcome.NOT_PERFORMED
            and agreement is not None
            and _before_court(agreement)
        ):
            add_event(case, actor, EventKind.NOTE, message=_court_remedy(agreement))
        else:
            _reopen(actor, case, note, outcome=outcome)
        risk.refresh_case(case, actor=actor)
    return follow_up


# --- reads --------------------------------------------------------------------------------


def follow_ups_due(user: Any, within_days: int = 7) -> QuerySet[FollowUp]:
    """回访提醒: visits not yet made on resolved cases the user may read, due within
    ``within_days`` days from today (overdue ones included), earliest first."""
    until = timezone.localdate() + dt.timedelta(days=within_days)
    return (
        FollowUp.objects.filter(
            case__in=selectors.cases_for(user).values("pk"),
            case__status=Status.RESOLVED,
            done_at__isnull=True,
            due_on__lte=until,
        )
        .select_related("case", "case__jurisdiction")
        .order_by("due_on", "pk")
    )


def confirmations_closing(user: Any, within_days: int = CLOSING_WINDOW_DAYS
                          ) -> QuerySet[MediationAgreement]:  # fmt: skip
    """司法确认即将超期: written people's-mediation agreements the user may read, not
    yet taken to court, whose 30-day window ends within ``within_days`` days (and has
    not ended), the most urgent first."""
    today = timezone.localdate()
    window = dt.timedelta(days=clocks.JUDICIAL_CONFIRMATION_DAYS)
    return (
        MediationAgreement.objects.filter(
            case__in=selectors.cases_for(user).values("pk"),
            case__track=Track.PEOPLE,
            case__status__in=STEP_STATUSES,
            form=AgreementForm.WRITTEN,
            confirmation__isnull=True,
            effective_on__gte=today - window,
            effective_on__lte=today + dt.timedelta(days=within_days) - window,
        )
        .select_related("case")
        .order_by("effective_on", "pk")
    )


def agreement_of(user: Any, case: DisputeCase) -> MediationAgreement | None:
    """The case's agreement with its terms, for a user who may read the case."""
    if not selectors.cases_for(user).filter(pk=case.pk).exists():
        raise PermissionDenied
    return (
        MediationAgreement.objects.filter(case=case)
        .select_related("confirmation", "notarisation")
        .first()
    )


def term_obligor_choices(case: DisputeCase) -> list[tuple[int, str]]:
    """The parties who may be obliged by a term, by role and masked name (the page
    masks names; a term names its obligor by role first)."""
    return [
        (p.pk, f"{p.get_role_display()} {mask_name(p.name)}")
        for p in Party.objects.filter(case=case).order_by("role", "pk")
    ]
