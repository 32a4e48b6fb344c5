"""离岗交接: deactivate a staff account and hand his open work to a successor.

An account is never deleted (the audit log, the incidents he received, the cases he
mediated name him): it is deactivated, and what still waits on him moves to the
successor the administrator picks — his open mediation cases (the old assignment ends,
the successor is assigned through the mediators' own rules: conflicts of interest still
refuse him), his unread risk warnings, his duty shifts from today on (recorded as a
swap), and the houses he guards as 守户员. What is history stays his: who received an
incident, who registered a dispute or visited a party. Open incidents he received are
listed for information only: an incident belongs to its unit, not to the receiver."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fengqiao.accounts.models import User
from fengqiao.accounts.selectors import STATION_LEVEL_KINDS, covers, scoped
from fengqiao.audit import services as audit
from fengqiao.core.roles import Capability, require
from fengqiao.disputes.mediators import services as mediator_services
from fengqiao.disputes.models import (
    CLOSED_STATUSES,
    Assignment,
    DutyShift,
    Mediator,
    WarningNotice,
)
from fengqiao.incidents.models import FINAL_STATUSES, Incident
from fengqiao.registry.models import House


@dataclass
class OpenWork:
    """What waits on one person. The first four move to a successor; ``incidents`` is
    shown, not moved."""

    mediator: Mediator | None
    assignments: list[Assignment] = field(default_factory=list)
    notices: list[WarningNotice] = field(default_factory=list)
    shifts: list[DutyShift] = field(default_factory=list)
    houses: list[House] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)

    @property
    def to_hand_over(self) -> int:
        return len(self.assignments) + len(self.notices) + len(self.shifts) + len(self.houses)


def _check_manages(actor: User, person: User) -> None:
    require(actor, Capability.MANAGE_STAFF)
    if person.jurisdiction is None or not covers(actor, person.jurisdiction):
        raise PermissionDenied(_("只能管理本人辖区内的人员。"))


def open_work(*, user: User, person: User) -> OpenWork:
    """待交接的工作 of ``person``, for ``user`` who manages him."""
    _check_manages(user, person)
    mediator = Mediator.objects.filter(account=person).first()
    work = OpenWork(mediator=mediator)
    if mediator is not None:
        work.assignments = list(
            Assignment.objects.filter(mediator=mediator, ended_at__isnull=True)
            .exclude(case__status__in=CLOSED_STATUSES)
            .select_related("case", "mediator")
            .order_by("case__registered_at")
        )
        work.shifts = list(
            DutyShift.objects.filter(mediator=mediator, day__gte=timezone.localdate())
            .select_related("room")
            .order_by("day")
        )
    work.notices = list(
        WarningNotice.objects.filter(recipient=person, read_at__isnull=True).select_related("case")
    )
    work.houses = list(House.objects.filter(guardian_account=person).select_related("address"))
    work.incidents = list(
        Incident.objects.filter(received_by=person)
        .exclude(status__in=FINAL_STATUSES)
        .order_by("received_at")[:200]
    )
    return work


SUCCESSORS_LISTED = 500


def successors_for(*, user: User, person: User) -> list[User]:
    """Who may take over: active accounts in ``user``'s scope, ``person`` excepted, from
    his own station (or unit) down, those of his own unit first. A province's admin
    deactivating an officer is offered the officer's colleagues, not the province."""
    require(user, Capability.MANAGE_STAFF)
    near = person.jurisdiction
    while near is not None and near.kind in STATION_LEVEL_KINDS[1:] and near.parent_id:
        near = near.parent  # a district's officer: his whole station
    staff = scoped(User.objects.filter(is_active=True).exclude(pk=person.pk), user=user)
    if near is not None:
        staff = staff.filter(jurisdiction__path__within=near.path)
    people = list(
        staff.select_related("jurisdiction").order_by("jurisdiction__path", "full_name")[
            :SUCCESSORS_LISTED
        ]
    )
    people.sort(key=lambda p: p.jurisdiction_id != person.jurisdiction_id)
    return people


@transaction.atomic
def deactivate(
    *, actor: User, person: User, successor: User | None = None, reason: str = ""
) -> User:
    """停用账号: refused while open work is waiting and no successor is named; with one,
    every open item moves to him (each move audited, the mediation cases' timelines
    say so), then the account is deactivated — never deleted — and audited with the
    reason."""
    _check_manages(actor, person)
    reason = (reason or "").strip()[:200]
    if not person.is_active:
        raise ValidationError(_("该账号已停用。"))
    if person.pk == actor.pk:
        raise ValidationError(_("不能停用自己的账号。"))
    work = open_work(user=actor, person=person)
    if work.to_hand_over and successor is None:
        raise ValidationError(
            _("%(name)s还有 %(n)d 项未完成的工作：请选择接手人，交接后才能停用。")
            % {"name": person.full_name, "n": work.to_hand_over}
        )
    if successor is not None:
        if successor.pk == person.pk or not successor.is_active:
            raise ValidationError(_("接手人应为另一个启用中的账号。"))
        _check_manages(actor, successor)
        _hand_over(actor, person, successor, work, reason)
    person.is_active = False
    person.save(update_fields=["is_active"])
    audit.record(actor=actor, action="update", obj=person, fields=["is_active"],
                 reason=reason or _("离岗停用"))  # fmt: skip
    if work.mediator is not None and work.mediator.available:
        work.mediator.available = False  # never proposed for a new case again
        work.mediator.version += 1
        work.mediator.save(update_fields=["available", "version", "updated_at"])
        audit.record(actor=actor, action="update", obj=work.mediator, fields=["available"])
    return person


def _hand_over(actor: User, person: User, successor: User, work: OpenWork, reason: str) -> None:
    note = _("离岗交接：%(old)s → %(new)s") % {"old": person.full_name, "new": successor.full_name}
    if reason:
        note = f"{note}（{reason}）"
    note = note[:200]
    if work.assignments or work.shifts:
        takes_over = Mediator.objects.filter(account=successor).first()
        if takes_over is None:
            raise ValidationError(
                _("%(name)s没有调解员档案，不能接手调解案件和值班：请先为他建立调解员档案，"
                  "或选择其他接手人。") % {"name": successor.full_name}
            )  # fmt: skip
        _hand_over_mediation(actor, successor, takes_over, work, note)
    for notice in work.notices:
        notice.recipient = successor
        notice.save(update_fields=["recipient", "updated_at"])
        audit.record(actor=actor, action="update", obj=notice, fields=["recipient"], reason=note,
                     scope_path=notice.case.scope_path)  # fmt: skip
    for house in work.houses:
        house.guardian_account, house.version = successor, house.version + 1
        house.save(update_fields=["guardian_account", "version", "updated_at"])
        audit.record(actor=actor, action="update", obj=house, fields=["guardian_account"],
                     reason=note)  # fmt: skip


def _hand_over_mediation(
    actor: User, successor: User, takes_over: Mediator, work: OpenWork, note: str
) -> None:
    """His cases end for him and start for the successor (the case timelines say so);
    his duty shifts are swaps, so the rota shows who was on it first."""
    for assignment in work.assignments:
        mediator_services.end_assignment(actor=actor, assignment=assignment, reason=note)
        try:
            mediator_services.assign(
                actor=actor, case=assignment.case, mediator=takes_over,
                lead=assignment.lead, reason=note,
            )  # fmt: skip
        except ValidationError as error:
            raise ValidationError(
                _("案件 %(code)s 不能交给%(name)s：%(why)s")
                % {"code": assignment.case.code, "name": successor.full_name,
                   "why": "；".join(error.messages)}
            ) from None  # fmt: skip
    for shift in work.shifts:
        shift.swapped_from, shift.mediator, shift.swap_reason = shift.mediator, takes_over, note
        shift.save(update_fields=["swapped_from", "mediator", "swap_reason", "updated_at"])
        audit.record(actor=actor, action="update", obj=shift,
                     fields=["mediator", "swapped_from", "swap_reason"], reason=note)  # fmt: skip
