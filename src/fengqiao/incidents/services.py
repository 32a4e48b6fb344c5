"""Writes of incidents: intake, the handling workflow, corrections, category, clocks.

Every function checks the actor's capability and scope, runs in one transaction,
leaves a line on the incident's timeline and an event in the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from fengqiao.accounts.selectors import covers
from fengqiao.addresses.models import StandardAddress
from fengqiao.audit import services as audit
from fengqiao.core import bulk
from fengqiao.core.concurrency import save_versioned
from fengqiao.core.roles import Capability, require
from fengqiao.core.validators import validate_mobile
from fengqiao.incidents import codes, sms
from fengqiao.incidents.models import (
    DESCRIPTION_MAX_LENGTH,
    Category,
    Deadline,
    DeadlineRule,
    EventKind,
    Incident,
    IncidentEvent,
    Source,
    Status,
    Urgency,
    Validity,
)
from fengqiao.incidents.workflow import TERMINAL, TRANSITIONS, allowed
from fengqiao.jurisdictions.models import Jurisdiction
from fengqiao.rollups import store as rollups

FUTURE_TOLERANCE = dt.timedelta(minutes=5)  # clocks of two machines are never equal
MIN_REASON_LENGTH = 4
# The classifier's probabilities are calibrated (a suggestion at p is right about p of the
# time): below this a suggestion is closer to a guess than a help, and none is shown.
SUGGESTION_MIN_PROBABILITY = 0.25


def clean_text(
    value: str,
    *,
    field: str,
    limit: int,
    required: bool | str | Promise | None = False,
    plain: bool = False,
) -> str:
    """A text field as stored: trimmed, within ``limit``, present if ``required`` (which
    may be the message to show), HTML tags removed if ``plain``."""
    text = (strip_tags(value or "") if plain else (value or "")).strip()
    if required and not text:
        message = _("此项不能为空。") if required is True else str(required)
        raise ValidationError({field: message})
    if len(text) > limit:
        raise ValidationError(
            {
                field: _("内容过长：最多 %(limit)d 字，现有 %(n)d 字。")
                % {"limit": limit, "n": len(text)}
            }
        )
    return text


@transaction.atomic
def intake(
    *,
    actor: Any,
    source: str,
    description: str,
    location_text: str,
    received_at: dt.datetime | None = None,
    occurred_at: dt.datetime | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    address: StandardAddress | None = None,
    jurisdiction: Jurisdiction | None = None,
    category: Category | None = None,
    urgency: str = Urgency.NORMAL,
) -> Incident:
    """接警: register an incident. The responsible unit is the police district of the
    resolved standard address, else ``jurisdiction`` (by default the actor's own unit).
    The category is suggested from the description and kept apart from the confirmed
    one. If the reporter gave a mobile number, an SMS with the tracking code is sent
    through the configured gateway."""
    require(actor, Capability.RECEIVE_INCIDENTS)
    now = timezone.now()
    checked = _checked(
        actor, now, source=source, description=description, location_text=location_text,
        received_at=received_at, occurred_at=occurred_at, reporter_name=reporter_name,
        reporter_phone=reporter_phone, address=address, jurisdiction=jurisdiction,
        category=category, urgency=urgency,
    )  # fmt: skip
    return _store(actor, now, [checked])[0]


@transaction.atomic
def intake_many(
    *, actor: Any, items: Sequence[dict[str, Any]], errors: dict[str, list[str]] | None = None
) -> list[Incident]:
    """接警, a batch (a 110 system's feed): each item as :func:`intake`'s arguments. All
    or nothing: if any item is refused, nothing is stored and the errors name the item
    (``"3.description"``), out-of-scope places included, reported together with the
    ``errors`` the caller found already (codes that name nothing)."""
    require(actor, Capability.RECEIVE_INCIDENTS)
    now = timezone.now()
    checked, errors = [], dict(errors or {})
    for i, item in enumerate(items):
        try:
            checked.append(_checked(actor, now, **item))
        except ValidationError as error:
            errors.update({f"{i}.{field}": m for field, m in error.message_dict.items()})
        except PermissionDenied as error:
            errors[f"{i}.jurisdiction"] = [str(error)]
    if errors:
        raise ValidationError(errors)
    return _store(actor, now, checked)


def _checked(
    actor: Any,
    now: dt.datetime,
    *,
    source: str,
    description: str,
    location_text: str,
    received_at: dt.datetime | None = None,
    occurred_at: dt.datetime | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    address: StandardAddress | None = None,
    jurisdiction: Jurisdiction | None = None,
    category: Category | None = None,
    urgency: str = Urgency.NORMAL,
) -> Incident:
    """The incident an intake asks for, validated and placed in scope (not saved):
    every problem at once, so a form is corrected in one pass."""
    received_at = received_at or now
    errors: dict[str, str] = {}
    if received_at > now + FUTURE_TOLERANCE:
        errors["received_at"] = _("接警时间不能晚于当前时间。")
    if occurred_at is not None and occurred_at > received_at + FUTURE_TOLERANCE:
        errors["occurred_at"] = _("发案时间不能晚于接警时间。")
    if source not in Source.values:
        errors["source"] = _("未知的警情来源。")
    if urgency not in Urgency.values:
        errors["urgency"] = _("未知的紧急程度。")
    if category is not None and not category.active:
        errors["category"] = _("该警情类别已停用。")
    phone = (reporter_phone or "").strip().replace(" ", "").replace("-", "")
    if phone:
        try:
            validate_mobile(phone)
        except ValidationError as error:
            errors["reporter_phone"] = str(error.messages[0])
    texts = {}
    for field, value, required, limit in (
        ("description", description, True, DESCRIPTION_MAX_LENGTH),
        ("location_text", location_text, True, 200),
        ("reporter_name", reporter_name, False, 50),
    ):
        try:
            texts[field] = clean_text(value, field=field, required=required, limit=limit)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    unit = address.police_district if address is not None else (jurisdiction or actor.jurisdiction)
    if unit is None or not covers(actor, unit):
        raise PermissionDenied(_("该地点不在您的辖区内，请移交有管辖权的单位。"))
    return Incident(
        received_at=received_at,
        occurred_at=occurred_at,
        source=source,
        reporter_name=texts["reporter_name"],
        reporter_phone=phone,
        location_text=texts["location_text"],
        address=address,
        grid=address.grid if address is not None else None,
        jurisdiction=unit,
        description=texts["description"],
        category=category,
        urgency=urgency,
        status=Status.RECEIVED,
        status_changed_at=received_at,
        received_by=actor,
    )


def _store(actor: Any, now: dt.datetime, incidents: list[Incident]) -> list[Incident]:
    """Write checked incidents with what comes with each: the suggested category, the
    tracking code, the first line of the timeline, the clocks, the rollup counts, the
    audit event and the tracking SMS — one statement per kind for the whole batch."""
    from fengqiao.incidents import classifier  # the model loads on first use

    suggestions = [classifier.suggest(incident.description) for incident in incidents]
    wanted = {s.code for s in suggestions if s and s.probability >= SUGGESTION_MIN_PROBABILITY}
    by_code = {c.code: c for c in Category.objects.filter(code__in=wanted)} if wanted else {}
    for incident, suggestion in zip(incidents, suggestions, strict=True):
        if suggestion is not None and suggestion.probability >= SUGGESTION_MIN_PROBABILITY:
            incident.suggested_category = by_code.get(suggestion.code)
        incident.tracking_code = codes.new_code()  # 31^9 codes: the unique index guards the rest
    incidents = bulk.insert(incidents)
    bulk.insert(
        [IncidentEvent(incident=incident, at=now, actor=actor, kind=EventKind.INTAKE,
                       to_status=Status.RECEIVED) for incident in incidents],
        ids=False,
    )  # fmt: skip
    active = list(DeadlineRule.objects.filter(active=True))
    deadlines = bulk.insert(
        [Deadline(incident=incident, rule=rule, jurisdiction_id=incident.jurisdiction_id,
                  due_at=due_time(incident.received_at, rule.minutes))
         for incident in incidents for rule in rules_for(incident, active)],
        ids=False,
    )  # fmt: skip
    sms.prepare_tracking_messages([i for i in incidents if i.reporter_phone])
    # Last, as they take the audit chain's lock that serialises writers until commit.
    # bulk_create bypasses the signals that keep the rollups: count the new rows here.
    rollups.records_added([*incidents, *deadlines])
    fields = ["description", "location_text", "reporter_name", "reporter_phone"]
    audit.record_each(actor=actor, action="create", objs=incidents, fields=fields)
    return incidents


@transaction.atomic
def transition(
    *,
    actor: Any,
    incident: Incident,
    to_status: str,
    expected_version: int,
    note: str = "",
    case_number: str = "",
    transferred_to: Jurisdiction | None = None,
) -> Incident:
    """处置: move the incident along the workflow table. Registering a case needs the
    case number, a transfer the receiving unit, an invalid call the reason."""
    require(actor, Capability.HANDLE_INCIDENTS)
    if not covers(actor, incident.jurisdiction):
        raise PermissionDenied(_("该警情不在您的辖区内。"))
    if not allowed(incident.status, to_status):
        raise ValidationError(
            _("警情当前为“%(current)s”，不能变为“%(target)s”。")
            % {"current": Status(incident.status).label, "target": _status_label(to_status)}
        )
    note = clean_text(note, field="note", limit=DESCRIPTION_MAX_LENGTH, plain=True)
    fields = ["status", "status_changed_at"]
    if to_status == Status.CASE_REGISTERED:
        case_number = (case_number or "").strip()
        if not case_number:
            raise ValidationError({"case_number": _("立案须填写案件编号。")})
        incident.case_number = case_number[:40]
        fields.append("case_number")
    if to_status == Status.TRANSFERRED:
        if transferred_to is None or transferred_to.pk == incident.jurisdiction_id:
            raise ValidationError({"transferred_to": _("请选择接收移交的其他单位。")})
        incident.transferred_to = transferred_to
        fields.append("transferred_to")
    if to_status == Status.INVALID:
        if len(note) < MIN_REASON_LENGTH:
            raise ValidationError({"note": _("请说明判为无效警情的理由。")})
        incident.validity = Validity.INVALID
        fields.append("validity")
    return _change_status(actor, incident, to_status, expected_version, fields,
                          kind=EventKind.TRANSITION, note=note)  # fmt: skip


def _change_status(
    actor: Any, incident: Incident, to_status: str, expected_version: int,
    fields: list[str], *, kind: str, note: str,
) -> Incident:  # fmt: skip
    """Save the new status (and ``fields``) if nobody saved first, add the timeline line,
    follow with the clocks, audit."""
    now = timezone.now()
    from_status = incident.status
    incident.status, incident.status_changed_at = to_status, now
    save_versioned(incident, expected_version=expected_version, fields=fields)
    IncidentEvent.objects.create(
        incident=incident, at=now, actor=actor, kind=kind,
        from_status=from_status, to_status=to_status, note=note,
    )  # fmt: skip
    update_clocks(incident, now=now)
    audit.record(actor=actor, action="update", obj=incident, fields=fields, reason=note)
    return incident


def _category_names(category: Category) -> list[str]:
    """The names a timeline line keeps of a category (top level first): the line says
    what the category was called then."""
    parent = category.parent
    return [parent.name, category.name] if parent is not None else [category.name]


def _status_label(value: str) -> str:
    return str(Status(value).label) if value in Status.values else value


@transaction.atomic
def correct_status(
    *, actor: Any, incident: Incident, to_status: str, expected_version: int, reason: str
) -> Incident:
    """更正: put the incident back to a status it held before (a mistaken click, a
    closed incident that must be reopened). The wrong step stays in the timeline; the
    correction is a new line with its reason."""
    require(actor, Capability.HANDLE_INCIDENTS)
    if not covers(actor, incident.jurisdiction):
        raise PermissionDenied(_("该警情不在您的辖区内。"))
    reason = clean_text(reason, field="reason", limit=DESCRIPTION_MAX_LENGTH, plain=True)
    if len(reason) < MIN_REASON_LENGTH:
        raise ValidationError({"reason": _("更正须写明理由（至少4个字）。")})
    held = set(incident.events.exclude(to_status="").values_list("to_status", flat=True))
    if to_status == incident.status or to_status not in held:
        raise ValidationError({"to_status": _("只能更正为该警情此前经历过的状态。")})
    fields = ["status", "status_changed_at"]
    if incident.status == Status.INVALID:
        incident.validity = Validity.VALID
        fields.append("validity")
    return _change_status(actor, incident, to_status, expected_version, fields,
                          kind=EventKind.CORRECTION, note=reason)  # fmt: skip


@transaction.atomic
def confirm_category(
    *, actor: Any, incident: Incident, category: Category, expected_version: int
) -> Incident:
    """定类: staff confirm (or change) the category; the clocks follow the new one."""
    require(actor, Capability.HANDLE_INCIDENTS)
    if not covers(actor, incident.jurisdiction):
        raise PermissionDenied(_("该警情不在您的辖区内。"))
    if not category.active:
        raise ValidationError({"category": _("该警情类别已停用。")})
    previous = incident.category
    incident.category = category
    save_versioned(incident, expected_version=expected_version, fields=["category"])
    params = {"category": _category_names(category)}
    if previous is not None:
        params["previous"] = _category_names(previous)
    IncidentEvent.objects.create(
        incident=incident, at=timezone.now(), actor=actor, kind=EventKind.CATEGORY,
        message="category_changed" if previous is not None else "category_set", params=params,
    )  # fmt: skip
    plan_clocks(incident)
    audit.record(actor=actor, action="update", obj=incident, fields=["category"])
    return incident


@transaction.atomic
def locate(
    *, actor: Any, incident: Incident, address: StandardAddress, expected_version: int
) -> Incident:
    """落地: link an incident taken as free text to its standard address afterwards. The
    address's police district becomes responsible (with its clocks), if it lies in the
    actor's scope; outside it the incident must be transferred instead."""
    require(actor, Capability.HANDLE_INCIDENTS)
    if not covers(actor, incident.jurisdiction):
        raise PermissionDenied(_("该警情不在您的辖区内。"))
    if not covers(actor, address.police_district):
        raise ValidationError({"address": _("该地址属于其他单位辖区，请移交该单位办理。")})
    incident.address, incident.grid = address, address.grid
    incident.jurisdiction = address.police_district
    fields = ["address", "grid", "jurisdiction"]
    save_versioned(incident, expected_version=expected_version, fields=fields)
    for deadline in incident.deadlines.all():  # saved one by one: the rollups count clocks
        deadline.jurisdiction = incident.jurisdiction
        deadline.save(update_fields=["jurisdiction"])
    IncidentEvent.objects.create(
        incident=incident, at=timezone.now(), actor=actor, kind=EventKind.NOTE,
        message="address_linked", params={"address": address.full_text},
    )  # fmt: skip
    audit.record(actor=actor, action="update", obj=incident, fields=fields)
    return incident


# --- Clocks ---------------------------------------------------------------------------


def rules_for(
    incident: Incident, active: Iterable[DeadlineRule] | None = None
) -> list[DeadlineRule]:
    """The active rules (``active``, read if not given) that apply: those for every
    category, for the incident's category or its parent, and — for the quick-solve kind
    — only if it was reported within the rule's window after it happened."""
    categories: set[int | None] = {None}
    if incident.category is not None:
        categories |= {incident.category.pk, incident.category.parent_id}
    rules = []
    for rule in DeadlineRule.objects.filter(active=True) if active is None else active:
        if rule.category_id not in categories:
            continue
        if rule.reported_within_minutes is not None:
            if incident.occurred_at is None:
                continue
            delay = incident.received_at - incident.occurred_at
            if delay > dt.timedelta(minutes=rule.reported_within_minutes):
                continue
        rules.append(rule)
    return rules


def due_time(received_at: dt.datetime, minutes: int) -> dt.datetime:
    """The deadline, counted on the Asia/Shanghai wall clock and stored in UTC. (China
    has kept one offset without daylight saving since 1991, so this equals adding the
    minutes in UTC; doing it in local time keeps it right should a rule ever name a
    local hour.)"""
    local = timezone.localtime(received_at)
    return (local + dt.timedelta(minutes=minutes)).astimezone(dt.UTC)


def plan_clocks(incident: Incident) -> None:
    """Create the deadlines the incident's rules ask for; drop running ones no rule
    asks for any more (after a category change). Met deadlines stay as history."""
    wanted = {rule.pk: rule for rule in rules_for(incident)}
    existing = {d.rule_id: d for d in incident.deadlines.all()}
    for rule_id, deadline in existing.items():
        if rule_id not in wanted and deadline.met_at is None:
            deadline.delete()
    for rule_id, rule in wanted.items():
        if rule_id not in existing:
            Deadline.objects.create(
                incident=incident, rule=rule, jurisdiction_id=incident.jurisdiction_id,
                due_at=due_time(incident.received_at, rule.minutes),
            )  # fmt: skip
    update_clocks(incident)


def update_clocks(incident: Incident, *, now: dt.datetime | None = None) -> None:
    """Stop the clocks the current status satisfies; restart those a correction undid."""
    now = now or timezone.now()
    for deadline in incident.deadlines.select_related("rule"):
        stops = incident.status in TERMINAL or incident.status in deadline.rule.stop_statuses
        if stops and deadline.met_at is None:
            deadline.met_at = now
            deadline.save(update_fields=["met_at"])
        elif not stops and deadline.met_at is not None:
            deadline.met_at = None
            deadline.save(update_fields=["met_at"])


__all__ = [
    "TRANSITIONS",
    "clean_text",
    "confirm_category",
    "correct_status",
    "due_time",
    "intake",
    "locate",
    "plan_clocks",
    "rules_for",
    "transition",
    "update_clocks",
]
