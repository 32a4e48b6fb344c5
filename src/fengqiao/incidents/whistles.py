"""吹哨报到: a station blows the whistle, a specialised unit (警种) or another station
reports for duty.

The flow, as one table (:data:`TRANSITIONS`)::

    raised ──报到──▶ accepted ──反馈──▶ reported ──办结──▶ closed
       │                 ▲                  │
       └──退回──▶ declined └──── 退回补充 ───┘

The receiving unit (``to_unit``) takes the steps out of ``raised`` and ``accepted``; the
raising station takes those out of ``reported``. Requests still open after their due
time are escalated to the bureau by :func:`escalate_overdue`, which a cron line or the
django-tasks worker runs every few minutes (see
:mod:`fengqiao.incidents.management.commands.escalate_whistles`).

Writes check capability and scope, run in one transaction, add a line to the request's
history (:class:`WhistleEvent`) and an event to the audit log. Reads take the user and
apply his scope: a request is visible to both sides, the raiser's and the receiver's.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_noop as N_

from fengqiao.accounts.selectors import covers, scoped
from fengqiao.audit import services as audit
from fengqiao.core.concurrency import save_versioned
from fengqiao.core.roles import Capability, require
from fengqiao.incidents import codes
from fengqiao.incidents.models import (
    DESCRIPTION_MAX_LENGTH,
    OPEN_WHISTLES,
    Incident,
    WhistleEvent,
    WhistleRequest,
    WhistleStatus,
)
from fengqiao.incidents.services import clean_text
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.jurisdictions.selectors import bureau_peers, nearest

W = WhistleStatus
RAISER, RECEIVER = "raiser", "receiver"  # the two sides of a request
OPEN_STATUSES = frozenset(OPEN_WHISTLES)
# Stored as written here (the source language) and translated when shown.
ESCALATION_NOTE = N_("逾期未办结，已提请分局督办")
ESCALATION_ACTOR = "escalate_whistles"  # the audit log's actor_name for escalations


@dataclass(frozen=True)
class Step:
    """One allowed move: which side takes it, its name on the button, and whether a
    note is required (``note_required`` is then the message asking for it)."""

    side: str
    verb: Promise
    note_label: Promise
    note_required: Promise | None = None


TRANSITIONS: dict[str, dict[str, Step]] = {
    W.RAISED: {
        W.ACCEPTED: Step(RECEIVER, gettext_lazy("报到"), gettext_lazy("报到说明")),
        W.DECLINED: Step(
            RECEIVER, gettext_lazy("退回"), gettext_lazy("退回理由"),
            gettext_lazy("退回须写明理由。"),
        ),
    },
    W.ACCEPTED: {
        W.REPORTED: Step(
            RECEIVER, gettext_lazy("反馈"), gettext_lazy("办理情况"),
            gettext_lazy("反馈须写明办理情况。"),
        ),
    },
    W.REPORTED: {
        W.CLOSED: Step(RAISER, gettext_lazy("办结"), gettext_lazy("办结意见")),
        W.ACCEPTED: Step(
            RAISER, gettext_lazy("退回补充"), gettext_lazy("需补充办理的内容"),
            gettext_lazy("退回补充须写明还需办理的内容。"),
        ),
    },
    W.DECLINED: {},
    W.CLOSED: {},
}  # fmt: skip

TERMINAL = frozenset(status for status, steps in TRANSITIONS.items() if not steps)


def allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, {})


def status_label(value: str) -> str:
    return str(W(value).label) if value in W.values else value


# --- Where a request comes from and where it may go ------------------------------------


def station_of(user: Any) -> Jurisdiction | None:
    """The station a user raises requests for: his own unit if it is a station, else
    the station above it (an officer of a police district raises for his station)."""
    unit = getattr(user, "jurisdiction", None)
    return nearest(unit, (Kind.STATION,)) if unit is not None else None


def targets_for(*, user: Any) -> QuerySet[Jurisdiction]:
    """Where the user's station may blow the whistle: the specialised units (警种部门)
    and the other stations of its bureau, units first."""
    station = station_of(user)
    return bureau_peers(station) if station is not None else Jurisdiction.objects.none()


# --- Writes ---------------------------------------------------------------------------


@transaction.atomic
def raise_whistle(
    *,
    actor: Any,
    to_unit: Jurisdiction,
    title: str,
    reason: str,
    due_at: dt.datetime,
    location_text: str = "",
    incident: Incident | None = None,
    case_number: str = "",
) -> WhistleRequest:
    """吹哨: the actor's station asks a specialised unit or another station of its
    bureau for help — what (``title``), where, why, the linked incident or case, and by
    when. The request starts ``raised`` and lands in the receiving unit's inbox."""
    require(actor, Capability.RAISE_WHISTLES)
    station = station_of(actor)
    if station is None:
        raise PermissionDenied(_("只有派出所（含所属警务区）可以吹哨。"))
    if to_unit.pk == station.pk:
        raise ValidationError({"to_unit": _("不能向本所吹哨。")})
    if not bureau_peers(station).filter(pk=to_unit.pk).exists():
        raise ValidationError({"to_unit": _("只能向本分局的警种部门或其他派出所吹哨。")})
    now = timezone.now()
    if due_at <= now:
        raise ValidationError({"due_at": _("要求完成时间须晚于当前时间。")})
    if incident is not None and not covers(actor, incident.jurisdiction):
        raise PermissionDenied(_("关联警情不在您的辖区内。"))
    title = clean_text(title, field="title", limit=100, required=_("请填写事项。"))
    reason = clean_text(reason, field="reason", limit=DESCRIPTION_MAX_LENGTH,
                         required=_("请写明原因与要求。"))  # fmt: skip
    location_text = clean_text(location_text, field="location_text", limit=200, required=False)
    case_number = clean_text(case_number, field="case_number", limit=40, required=False)
    whistle = WhistleRequest.objects.create(
        code=codes.new_code(),  # random: the unique index guards the rest
        raised_by_unit=station, to_unit=to_unit, raised_by=actor,
        raised_at=now, title=title, location_text=location_text, reason=reason,
        incident=incident, case_number=case_number, due_at=due_at, status=W.RAISED,
    )  # fmt: skip
    WhistleEvent.objects.create(
        whistle=whistle, at=now, actor=actor, to_status=W.RAISED,
        note=f"{station.name} → {to_unit.name}",
    )  # fmt: skip
    fields = ["title", "location_text", "reason", "to_unit", "incident", "case_number", "due_at"]
    audit.record(actor=actor, action="create", obj=whistle, fields=fields)
    return whistle


def _may_take(actor: Any, whistle: WhistleRequest, step: Step) -> bool:
    if step.side == RECEIVER:
        return actor.can(Capability.ANSWER_WHISTLES) and covers(actor, whistle.to_unit)
    return actor.can(Capability.RAISE_WHISTLES) and covers(actor, whistle.raised_by_unit)


def next_steps(*, actor: Any, whistle: WhistleRequest) -> list[tuple[str, Step]]:
    """The moves the actor may take on the request now, in the table's order."""
    steps = TRANSITIONS.get(whistle.status, {})
    return [(to, step) for to, step in steps.items() if _may_take(actor, whistle, step)]


@transaction.atomic
def act(
    *, actor: Any, whistle: WhistleRequest, to_status: str, expected_version: int, note: str = ""
) -> WhistleRequest:
    """One step of the table: 报到 or 退回 (the receiving unit), 反馈 (the receiving
    unit, with what was done), 办结 or 退回补充 (the raising station). Declining, the
    report and a send-back need their text. ``expected_version`` is the version the
    page showed; a request changed since is refused (``StaleEditError``)."""
    if not (covers(actor, whistle.to_unit) or covers(actor, whistle.raised_by_unit)):
        raise PermissionDenied(_("该请求不在您的辖区内。"))
    step = TRANSITIONS.get(whistle.status, {}).get(to_status)
    if step is None:
        current = status_label(whistle.status)
        if whistle.status in TERMINAL:
            message = _("该请求已“%(current)s”，不能再变更。") % {"current": current}
        else:
            message = _("该请求当前为“%(current)s”，不能变为“%(target)s”。") % {
                "current": current,
                "target": status_label(to_status),
            }
        raise ValidationError(message)
    if not _may_take(actor, whistle, step):
        who = _("报到单位") if step.side == RECEIVER else _("吹哨单位")
        raise PermissionDenied(
            _("只有%(who)s才能“%(verb)s”该请求。") % {"who": who, "verb": step.verb}
        )
    note = clean_text(note, field="note", limit=DESCRIPTION_MAX_LENGTH,
                       required=step.note_required)  # fmt: skip
    now = timezone.now()
    from_status = whistle.status
    whistle.status = to_status
    fields = ["status"]
    if to_status == W.CLOSED:
        whistle.closed_at = now
        fields.append("closed_at")
    save_versioned(whistle, expected_version=expected_version, fields=fields)
    WhistleEvent.objects.create(
        whistle=whistle, at=now, actor=actor, from_status=from_status, to_status=to_status,
        note=note,
    )  # fmt: skip
    audit.record(actor=actor, action="update", obj=whistle, fields=fields, reason=note)
    return whistle


@transaction.atomic
def escalate_overdue(*, now: dt.datetime | None = None) -> int:
    """升级督办: flag every open request past its due time that was not flagged yet,
    with a line in its history and an event in the audit log; return how many. Running
    it again changes nothing (each request is escalated once), and two runs at the same
    time do not both flag a request: the flag is set by a conditional UPDATE.

    The version is left alone: escalation is the system's note, not an edit, and must
    not make the unit's open page stale."""
    now = now or timezone.now()
    overdue = (
        WhistleRequest.objects.filter(
            status__in=OPEN_STATUSES, due_at__lt=now, escalated_at__isnull=True
        )
        .select_related("raised_by_unit")
        .order_by("due_at", "pk")
    )
    count = 0
    for whistle in overdue:
        flagged = WhistleRequest.objects.filter(pk=whistle.pk, escalated_at__isnull=True).update(
            escalated_at=now, updated_at=now
        )
        if not flagged:
            continue
        whistle.escalated_at = now
        WhistleEvent.objects.create(
            whistle=whistle, at=now, actor=None, from_status=whistle.status,
            to_status=whistle.status, escalation=True, note=ESCALATION_NOTE,
        )  # fmt: skip
        audit.record(
            actor=None, actor_name=ESCALATION_ACTOR, action="update", obj=whistle,
            fields=["escalated_at"], reason=ESCALATION_NOTE,
        )  # fmt: skip
        count += 1
    return count


# --- Reads ----------------------------------------------------------------------------


def _open_first() -> Case:
    return Case(
        When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1), output_field=IntegerField()
    )


def _with_units(found: QuerySet[WhistleRequest]) -> QuerySet[WhistleRequest]:
    return found.select_related("raised_by_unit", "to_unit", "raised_by", "incident")


def inbox(*, user: Any) -> QuerySet[WhistleRequest]:
    """收件箱: requests to units in the user's scope — open ones first, soonest due
    first; then the finished ones, latest due first."""
    require(user, Capability.ANSWER_WHISTLES)
    found = scoped(WhistleRequest.objects.all(), user=user, via="to_unit")
    return _with_units(found).order_by(_open_first(), "due_at", "pk")


def raised(*, user: Any) -> QuerySet[WhistleRequest]:
    """Requests raised by stations in the user's scope, open first, newest first."""
    require(user, Capability.VIEW_RECORDS)
    found = scoped(WhistleRequest.objects.all(), user=user, via="raised_by_unit")
    return _with_units(found).order_by(_open_first(), "-raised_at", "-pk")


@dataclass(frozen=True)
class BoardRow:
    whistle: WhistleRequest
    age: dt.timedelta  # since it was raised
    overdue: bool
    escalated: bool


def board(*, user: Any, now: dt.datetime | None = None, limit: int = 500) -> list[BoardRow]:
    """督办看板: every open request raised by a station in the user's scope (for the
    bureau, all of its stations), oldest first, with its age; overdue and escalated
    ones flagged."""
    require(user, Capability.VIEW_RECORDS)
    now = now or timezone.now()
    found = scoped(
        WhistleRequest.objects.filter(status__in=OPEN_STATUSES), user=user, via="raised_by_unit"
    )
    rows = _with_units(found).order_by("raised_at", "pk")[:limit]
    return [
        BoardRow(w, now - w.raised_at, w.due_at < now, w.escalated_at is not None) for w in rows
    ]


def whistle_detail(*, user: Any, pk: int) -> WhistleRequest:
    """One request with its history, for either side: the raiser's scope or the
    receiver's (``WhistleRequest.DoesNotExist`` otherwise)."""
    require(user, Capability.VIEW_RECORDS)
    base = WhistleRequest.objects.all()
    visible = scoped(base, user=user, via="raised_by_unit") | scoped(base, user=user, via="to_unit")
    events = WhistleEvent.objects.select_related("actor").order_by("at", "pk")
    return (
        _with_units(visible)
        .select_related("incident__jurisdiction")
        .prefetch_related(Prefetch("events", queryset=events))
        .get(pk=pk)
    )


__all__ = [
    "ESCALATION_NOTE",
    "OPEN_STATUSES",
    "TERMINAL",
    "TRANSITIONS",
    "BoardRow",
    "Step",
    "act",
    "allowed",
    "board",
    "escalate_overdue",
    "inbox",
    "next_steps",
    "raise_whistle",
    "raised",
    "station_of",
    "status_label",
    "targets_for",
    "whistle_detail",
]
