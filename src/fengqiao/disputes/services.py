"""Writes of dispute cases: intake, parties and their consent, acceptance on one of the
two legal tracks (with each track's rules), the workflow, extensions and suspension.

Every function checks the actor's capability and the case's scope, runs in one
transaction, leaves a line on the case's timeline and an event in the audit log.
Mediation records, agreements and follow-ups are in :mod:`fengqiao.disputes.records.services`
and :mod:`fengqiao.disputes.aftercare.services`; mediators and assignment in
:mod:`fengqiao.disputes.mediators.services`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.accounts.selectors import covers
from fengqiao.addresses.models import StandardAddress
from fengqiao.audit import services as audit
from fengqiao.core.concurrency import save_versioned
from fengqiao.core.roles import Capability, Role, require
from fengqiao.core.text import join_list
from fengqiao.core.validators import (
    normalise_id_number,
    validate_id_number,
    validate_mobile,
    validate_uscc,
)
from fengqiao.disputes import clocks, parties
from fengqiao.disputes.models import (
    CLOSED_STATUSES,
    TEXT_MAX_LENGTH,
    CaseEvent,
    Category,
    Consent,
    DisputeCase,
    EventKind,
    FollowUp,
    Party,
    PartyKey,
    PartyKind,
    PartyRole,
    ScreeningRound,
    Source,
    Status,
    Track,
)
from fengqiao.disputes.workflow import TRACK_RULE, allowed
from fengqiao.incidents import codes
from fengqiao.incidents.models import Incident
from fengqiao.incidents.services import clean_text
from fengqiao.jurisdictions.models import Jurisdiction

MIN_REASON_LENGTH = 4
MAX_EXTENSION_DAYS = 30  # in total, on top of the people's-mediation target
GUARDIAN_AGE = 16  # 治安调解: a party under 16 needs a guardian present

# 公安机关治安调解工作规范 第三条: cases that may not be settled by police mediation.
# Each code is offered as a tick box at acceptance; a ticked one refuses with its rule.
EXCLUSIONS: dict[str, Any] = {
    "hired": gettext_lazy("雇凶伤害他人的"),
    "gang": gettext_lazy("结伙斗殴或者其他寻衅滋事的"),
    "repeat": gettext_lazy("多次实施违反治安管理行为的"),
    "prior_mediation": gettext_lazy("当事人明确表示不愿意调解处理的"),
    "evasion": gettext_lazy("当事人在治安调解过程中又针对对方实施违反治安管理行为的"),
    "discredited": gettext_lazy("调解过程中，违法嫌疑人逃跑的"),
    "other": gettext_lazy("其他不宜调解处理的"),
}
EXCLUSION_RULE = gettext_lazy("公安机关治安调解工作规范 第三条")


@dataclass
class PartyInput:
    """One party as entered at intake."""

    name: str
    role: str = PartyRole.APPLICANT
    kind: str = PartyKind.PERSON
    id_number: str = ""
    credit_code: str = ""
    phone: str = ""
    gender: str = ""
    birth_date: dt.date | None = None
    ethnicity: str = ""
    occupation: str = ""
    home_address: str = ""
    language: str = ""
    representative: str = ""
    guardian_name: str = ""
    guardian_present: bool = False
    vulnerable: bool = False


def check_scope(actor: Any, case: DisputeCase) -> None:
    """Refuse a write on ``case`` by someone who may not work it: the capability, then
    the scope — his assigned cases for a mediator account, his subtree for staff."""
    require(actor, Capability.HANDLE_DISPUTES)
    if actor.role == Role.MEDIATOR:
        if not case.assignments.filter(mediator__account=actor, ended_at__isnull=True).exists():
            raise PermissionDenied(_("您不是该纠纷的调解员。"))
    elif not covers(actor, case.jurisdiction):
        raise PermissionDenied(_("该纠纷不在您的辖区内。"))


def add_event(case: DisputeCase, actor: Any, kind: str, note: str = "", *,
              from_status: str = "", to_status: str = "", message: str = "",
              params: dict[str, Any] | None = None) -> CaseEvent:  # fmt: skip
    """One line on the case's timeline (never edited afterwards). ``note`` is what a
    person typed; what the system says is ``message`` (a key of
    :data:`fengqiao.disputes.timeline.CASE_MESSAGES`) with its ``params``, rendered
    when read, in the reader's language."""
    return CaseEvent.objects.create(
        case=case, at=timezone.now(), actor=actor if getattr(actor, "pk", None) else None,
        kind=kind, from_status=from_status, to_status=to_status, note=note[:TEXT_MAX_LENGTH],
        message=message, params=params or {},
    )  # fmt: skip


def _birth_date_from_id(id_number: str) -> dt.date | None:
    try:
        return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except (ValueError, IndexError):
        return None


def age_on(birth_date: dt.date, day: dt.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def _clean_party(data: PartyInput, index: int) -> dict[str, Any]:
    """Validate one party; errors are keyed ``parties-<index>-<field>`` like a formset."""
    errors: dict[str, str] = {}

    def key(name: str) -> str:
        return f"parties-{index}-{name}"

    values: dict[str, Any] = {}
    try:
        values["name"] = clean_text(data.name, field=key("name"), limit=100, required=True,
                                    plain=True)  # fmt: skip
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    if data.role not in PartyRole.values:
        errors[key("role")] = _("未知的当事人身份。")
    if data.kind not in PartyKind.values:
        errors[key("kind")] = _("未知的当事人类型。")
    id_number = normalise_id_number(data.id_number)
    for name, value, check in (
        ("id_number", id_number, validate_id_number),
        ("credit_code", (data.credit_code or "").strip().upper(), validate_uscc),
        ("phone", parties.clean_phone(data.phone), validate_mobile),
    ):
        if value:
            try:
                check(value)
            except ValidationError as error:
                errors[key(name)] = str(error.messages[0])
        values[name] = value
    birth_date = data.birth_date or (_birth_date_from_id(id_number) if id_number else None)
    if errors:
        raise ValidationError(errors)
    values.update(
        role=data.role, kind=data.kind, birth_date=birth_date,
        gender=data.gender[:2], ethnicity=data.ethnicity[:20], occupation=data.occupation[:50],
        home_address=data.home_address[:200], language=data.language[:20],
        representative=data.representative[:50], guardian_name=data.guardian_name[:50],
        guardian_present=data.guardian_present, vulnerable=data.vulnerable,
    )  # fmt: skip
    if birth_date and age_on(birth_date, timezone.localdate()) < GUARDIAN_AGE:
        values["vulnerable"] = True
    return values


def _save_party(case: DisputeCase, values: dict[str, Any]) -> Party:
    identity = {k: values[k] for k in ("name", "id_number", "credit_code", "phone")}
    keys = parties.party_keys(**identity)
    party = Party.objects.create(case=case, party_key=keys[0] if keys else "", **values)
    PartyKey.objects.bulk_create(PartyKey(key=k, party=party, case=case) for k in keys)
    return party


def _clean_amount(amount: Any) -> Decimal | None:
    if amount in (None, ""):
        return None
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValidationError({"amount": _("金额格式不正确。")}) from None
    if value < 0 or value >= Decimal("1e12"):
        raise ValidationError({"amount": _("金额须在0到1万亿元之间。")})
    return value


@transaction.atomic
def register_case(
    *,
    actor: Any,
    source: str,
    category: str,
    track: str,
    narrative: str,
    party_list: list[PartyInput],
    location_text: str = "",
    address: StandardAddress | None = None,
    jurisdiction: Jurisdiction | None = None,
    amount: Any = None,
    languages: list[str] | None = None,
    source_incident: Incident | None = None,
    screening_round: ScreeningRound | None = None,
    referred_by: str = "",
    offence: str = "",
    registered_at: dt.datetime | None = None,
) -> DisputeCase:
    """受理登记: register a dispute with its parties. The responsible unit is the police
    district of the standard address, else ``jurisdiction`` (by default the actor's
    unit). Every problem is reported at once, keyed by field."""
    require(actor, Capability.HANDLE_DISPUTES)
    errors: dict[str, str] = {}
    if source not in Source.values:
        errors["source"] = _("未知的纠纷来源。")
    if category not in Category.values:
        errors["category"] = _("请选择纠纷类别。")
    if track not in Track.values:
        errors["track"] = _("请选择人民调解或治安调解。")
    if source == Source.INCIDENT and source_incident is None:
        errors["source_incident"] = _("警情转入须关联来源警情。")
    if source == Source.SCREENING and screening_round is None:
        errors["screening_round"] = _("排查发现须关联排查活动。")
    if source in (Source.COURT, Source.PETITION) and not referred_by.strip():
        errors["referred_by"] = _("请填写委派或移交的机构。")
    if not party_list:
        errors["parties"] = _("至少登记一方当事人。")
    texts: dict[str, str] = {}
    for name, value, required, limit in (
        ("narrative", narrative, True, TEXT_MAX_LENGTH),
        ("location_text", location_text, False, 200),
        ("referred_by", referred_by, False, 100),
        ("offence", offence, False, 200),
    ):
        try:
            texts[name] = clean_text(value, field=name, limit=limit, required=required, plain=True)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    try:
        amount = _clean_amount(amount)
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    cleaned_parties = []
    for index, data in enumerate(party_list):
        try:
            cleaned_parties.append(_clean_party(data, index))
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    unit = address.police_district if address is not None else (jurisdiction or actor.jurisdiction)
    if unit is None or not covers(actor, unit):
        raise PermissionDenied(_("该纠纷不在您的辖区内，请移交有管辖权的单位。"))
    now = timezone.now()
    case = DisputeCase.objects.create(
        code=codes.new_code(),
        jurisdiction=unit,
        address=address,
        location_text=texts["location_text"] or (str(address) if address else ""),
        category=category,
        source=source,
        source_incident=source_incident,
        screening_round=screening_round,
        referred_by=texts["referred_by"],
        track=track,
        status=Status.REGISTERED,
        status_changed_at=now,
        narrative=texts["narrative"],
        amount=amount,
        languages=sorted({lang.strip() for lang in languages or [] if lang.strip()}),
        registered_at=registered_at or now,
        offence=texts["offence"],
        registered_by=actor,
    )
    for values in cleaned_parties:
        _save_party(case, values)
    add_event(case, actor, EventKind.INTAKE, to_status=Status.REGISTERED)
    audit.record(actor=actor, action="create", obj=case, fields=["parties", "narrative"])
    from fengqiao.disputes.risk import services as risk  # risk builds on this module

    risk.refresh_case(case, actor=actor)  # a death threat at intake warns at once
    return case


@transaction.atomic
def add_party(*, actor: Any, case: DisputeCase, data: PartyInput) -> Party:
    """Add a party to a case still being mediated."""
    check_scope(actor, case)
    if not case.is_open:
        raise ValidationError(_("纠纷已结案，不能再增加当事人。"))
    party = _save_party(case, _clean_party(data, 0))
    add_event(case, actor, EventKind.NOTE, message="party_added", params={"role": party.role})
    audit.record(actor=actor, action="create", obj=party, fields=list(Party.PERSONAL_FIELDS))
    return party


@transaction.atomic
def record_consent(*, actor: Any, party: Party, consent: str, expected_version: int,
                   note: str = "") -> Party:  # fmt: skip
    """当事人表态: a party agrees to mediation or refuses it. On the people's track a
    refusal ends the mediation (人民调解法 第十七条); on the police track it sends the
    case back to the penalty procedure."""
    case = party.case
    check_scope(actor, case)
    if consent not in (Consent.GIVEN, Consent.REFUSED):
        raise ValidationError({"consent": _("请选择同意或拒绝调解。")})
    party.consent, party.consent_at = consent, timezone.now()
    save_versioned(party, expected_version=expected_version, fields=["consent", "consent_at"])
    add_event(case, actor, EventKind.CONSENT, note, message="consent",
              params={"role": party.role, "consent": consent})  # fmt: skip
    audit.record(actor=actor, action="update", obj=party, fields=["consent"], reason=note)
    if consent == Consent.REFUSED and case.is_open and case.status != Status.AGREED:
        ending = Status.TO_PENALTY if case.track == Track.POLICE else Status.REFUSED
        if allowed(case.track, case.status, ending):
            rule = "people_refusal" if case.track == Track.PEOPLE else "police_exclusion"
            move_to(actor, case, ending, case.version, "", message="refused",
                    params={"rule": rule})  # fmt: skip
    return party


def acceptance_problems(case: DisputeCase, *, exclusions: frozenset[str] = frozenset(),
                        committee_initiated: bool = False) -> list[str]:  # fmt: skip
    """Why ``case`` may not (yet) be accepted on its track, each with the rule; an empty
    list means it may. Shown on the case page before anyone presses the button."""
    problems = []
    principal = [p for p in case.parties.all() if p.role != PartyRole.THIRD_PARTY]
    if len({p.role for p in principal}) < 2:
        problems.append(_("须有申请人和被申请人双方当事人。"))
    refused = [p for p in principal if p.consent == Consent.REFUSED]
    pending = [p for p in principal if p.consent == Consent.PENDING]
    if refused:
        problems.append(_("当事人一方明确拒绝调解的，不得调解（人民调解法 第十七条）。"))
    elif pending and not (case.track == Track.PEOPLE and committee_initiated):
        names = join_list(p.get_role_display() for p in pending)
        problems.append(_("尚未取得当事人同意调解：%(who)s（调解须双方自愿）。") % {"who": names})
    if case.track == Track.POLICE:
        if not case.offence:
            problems.append(_("治安调解须写明因民间纠纷引起的违反治安管理行为。"))
        for code in sorted(exclusions):
            if code in EXCLUSIONS:
                problems.append(
                    _("不适用治安调解：%(what)s（%(rule)s）。")
                    % {"what": EXCLUSIONS[code], "rule": EXCLUSION_RULE}
                )
        today = timezone.localdate()
        for party in case.parties.all():
            minor = party.birth_date and age_on(party.birth_date, today) < GUARDIAN_AGE
            if minor and not (party.guardian_name and party.guardian_present):
                problems.append(
                    _("当事人%(who)s未满十六周岁，调解时须有其监护人到场。")
                    % {"who": party.get_role_display()}
                )
    return problems


@transaction.atomic
def accept_case(*, actor: Any, case: DisputeCase, expected_version: int,
                exclusions: frozenset[str] = frozenset(), committee_initiated: bool = False,
                note: str = "") -> DisputeCase:  # fmt: skip
    """受理: open mediation on the case's track and start its clock. People's mediation
    may be initiated by the committee (人民调解法 第十七条) but still ends if a party
    refuses; police mediation needs every party's consent, no excluded circumstance
    and, for a party under 16, his guardian present."""
    check_scope(actor, case)
    if case.status != Status.REGISTERED:
        raise ValidationError(_("只有已登记的纠纷可以受理。"))
    problems = acceptance_problems(case, exclusions=exclusions,
                                   committee_initiated=committee_initiated)  # fmt: skip
    if problems:
        raise ValidationError(problems)
    now = timezone.now()
    case.accepted_at = now
    case.due_at = clocks.mediation_due(case.track, now)
    return move_to(actor, case, Status.ACCEPTED, expected_version, note,
                 fields=["accepted_at", "due_at"])  # fmt: skip


# Statuses only the agreement and after-care services may set: they need their records.
_SET_ELSEWHERE = {Status.ACCEPTED, Status.AGREED}


@transaction.atomic
def transition(*, actor: Any, case: DisputeCase, to_status: str, expected_version: int,
               note: str = "") -> DisputeCase:  # fmt: skip
    """Move the case along its track's table. Suspension pauses the clock; resuming
    moves the deadline by the time spent suspended. Refusal, failure, withdrawal and
    referral need a reason."""
    check_scope(actor, case)
    note = clean_text(note, field="note", limit=TEXT_MAX_LENGTH, plain=True)
    if to_status == Status.AGREED:
        raise ValidationError(_("请通过“调解协议”登记协议内容，协议签订后自动变为已达成协议。"))
    if to_status == Status.ACCEPTED and case.status == Status.REGISTERED:
        raise ValidationError(_("请通过“受理”办理，以核对当事人同意和适用条件。"))
    if to_status == Status.RESOLVED and not hasattr(case, "agreement"):
        raise ValidationError(_("没有调解协议的纠纷不能以“已化解”结案。"))
    if not allowed(case.track, case.status, to_status):
        raise ValidationError(
            _("纠纷当前为“%(current)s”，按%(rule)s不能变为“%(target)s”。")
            % {"current": Status(case.status).label, "rule": TRACK_RULE[case.track],
               "target": Status(to_status).label if to_status in Status.values else to_status}
        )  # fmt: skip
    needs_reason = {Status.REFUSED, Status.FAILED, Status.TO_PENALTY, Status.WITHDRAWN,
                    Status.SUSPENDED, Status.REFERRED}  # fmt: skip
    if to_status in needs_reason and len(note) < MIN_REASON_LENGTH:
        raise ValidationError({"note": _("请写明理由（至少4个字）。")})
    fields: list[str] = []
    now = timezone.now()
    if to_status == Status.SUSPENDED:
        case.suspended_at = now
        fields.append("suspended_at")
    if case.status == Status.SUSPENDED and to_status == Status.ACCEPTED:
        if case.due_at and case.suspended_at:
            case.due_at += now - case.suspended_at
        case.suspended_at = None
        fields += ["due_at", "suspended_at"]
    return move_to(actor, case, to_status, expected_version, note, fields=fields)


def move_to(actor: Any, case: DisputeCase, to_status: str, expected_version: int, note: str,
            *, fields: list[str] | None = None, message: str = "",
            params: dict[str, Any] | None = None) -> DisputeCase:  # fmt: skip
    """Save the new status if nobody saved first; set or clear the closing time;
    schedule the follow-up visits of a resolved case; timeline; audit."""
    from_status = case.status
    now = timezone.now()
    case.status, case.status_changed_at = to_status, now
    fields = [*(fields or []), "status", "status_changed_at", "closed_at"]
    case.closed_at = now if to_status in CLOSED_STATUSES else None
    save_versioned(case, expected_version=expected_version, fields=fields)
    event = add_event(case, actor, EventKind.TRANSITION, note, from_status=from_status,
                      to_status=to_status, message=message, params=params)  # fmt: skip
    if to_status == Status.RESOLVED:
        schedule_follow_ups(case)
    audit.record(actor=actor, action="update", obj=case, fields=["status"],
                 reason=note or event.text)  # fmt: skip
    return case


def schedule_follow_ups(case: DisputeCase) -> list[FollowUp]:
    """回访: one visit per configured offset after closing, unless already planned."""
    closed = clocks.local_date(case.closed_at or timezone.now())
    planned = set(case.follow_ups.filter(done_at__isnull=True).values_list("due_on", flat=True))
    visits = [
        FollowUp(case=case, due_on=closed + dt.timedelta(days=days))
        for days in clocks.follow_up_days()
        if closed + dt.timedelta(days=days) not in planned
    ]
    return FollowUp.objects.bulk_create(visits)


@transaction.atomic
def extend(*, actor: Any, case: DisputeCase, days: int, expected_version: int,
           parties_consent: bool, reason: str) -> DisputeCase:  # fmt: skip
    """延长调解期限 (people's mediation only), with the parties' consent recorded."""
    check_scope(actor, case)
    if case.track != Track.PEOPLE:
        raise ValidationError(_("治安调解须在受理后3个工作日内完成，不能延长。"))
    if case.status not in (Status.ACCEPTED, Status.SUSPENDED) or case.accepted_at is None:
        raise ValidationError(_("只有调解中的纠纷可以延长期限。"))
    if not parties_consent:
        raise ValidationError({"parties_consent": _("延长调解期限须经双方当事人同意。")})
    reason = clean_text(reason, field="reason", limit=1000, plain=True)
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError({"reason": _("请写明延长理由（至少4个字）。")})
    if not 1 <= days <= MAX_EXTENSION_DAYS - case.extended_days:
        raise ValidationError(
            {"days": _("可延长 1 至 %(n)d 天。") % {"n": MAX_EXTENSION_DAYS - case.extended_days}}
        )
    case.extended_days += days
    case.due_at = (case.due_at or clocks.mediation_due(case.track, case.accepted_at)) + (
        dt.timedelta(days=days)
    )
    save_versioned(case, expected_version=expected_version, fields=["extended_days", "due_at"])
    add_event(case, actor, EventKind.EXTENSION, reason, message="extended", params={"days": days})
    audit.record(actor=actor, action="update", obj=case, fields=["due_at"], reason=reason)
    return case


@transaction.atomic
def take_from_incident(*, actor: Any, incident: Incident, expected_version: int,
                       **case_fields: Any) -> DisputeCase:  # fmt: skip
    """警情转矛盾纠纷: the incident moves to “转矛盾纠纷调解” and a dispute case is
    registered from it (``case_fields`` as :func:`register_case` takes them); by default
    the same place, the same story and the caller as the first party."""
    from fengqiao.incidents import services as incident_services
    from fengqiao.incidents.models import Status as IncidentStatus

    incident_services.transition(
        actor=actor, incident=incident, to_status=IncidentStatus.TO_DISPUTE,
        expected_version=expected_version, note=_("转矛盾纠纷调解"),
    )  # fmt: skip
    case_fields.setdefault("narrative", incident.description)
    case_fields.setdefault("location_text", incident.location_text)
    case_fields.setdefault("address", incident.address)
    case_fields.setdefault("jurisdiction", incident.jurisdiction)
    case_fields.setdefault("party_list", [
        PartyInput(name=incident.reporter_name or _("报警人"), phone=incident.reporter_phone)
    ])  # fmt: skip
    return register_case(actor=actor, source=Source.INCIDENT, source_incident=incident,
                         **case_fields)  # fmt: skip


@transaction.atomic
def create_screening_round(*, actor: Any, jurisdiction: Jurisdiction, title: str,
                           started_on: dt.date, ended_on: dt.date | None = None,
                           participants: str = "", households_visited: int = 0,
                           ) -> ScreeningRound:  # fmt: skip
    """排查: open a screening round over a grid, community or district in scope; the
    latent disputes found are registered with source ``screening`` and this round. It is
    the station's work over its ground, not a mediator's, whose scope is his cases."""
    require(actor, Capability.HANDLE_DISPUTES)
    require(actor, Capability.VIEW_RECORDS)
    if not covers(actor, jurisdiction):
        raise PermissionDenied(_("排查范围不在您的辖区内。"))
    if ended_on is not None and ended_on < started_on:
        raise ValidationError({"ended_on": _("结束日期不能早于开始日期。")})
    title = clean_text(title, field="title", limit=100, required=True, plain=True)
    screening = ScreeningRound.objects.create(
        jurisdiction=jurisdiction, title=title, started_on=started_on, ended_on=ended_on,
        participants=clean_text(participants, field="participants", limit=1000, plain=True),
        households_visited=max(0, households_visited), created_by=actor,
    )  # fmt: skip
    audit.record(actor=actor, action="create", obj=screening)
    return screening
