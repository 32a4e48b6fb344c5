"""律师值班: the duty-lawyer rota of a mediation room — one lawyer on every working day
(the State Council calendar, :mod:`fengqiao.disputes.clocks`), turns kept balanced across
months, swaps and replacements recorded with their reasons and never undone by a later
generation."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fengqiao.accounts.selectors import covers
from fengqiao.audit import services as audit
from fengqiao.core.roles import Capability, require
from fengqiao.disputes import clocks
from fengqiao.disputes.mediators.services import clean_reason, require_any
from fengqiao.disputes.models import (
    DutyShift,
    MediationRoom,
    Mediator,
    MediatorKind,
)


def room_lawyers(room: MediationRoom) -> list[Mediator]:
    """The lawyers who take the room's duty: available lawyers of the room, or of its
    unit's subtree when not attached to another room. In rota order (name, then id)."""
    return list(
        Mediator.objects.filter(kind=MediatorKind.LAWYER, available=True)
        .filter(
            Q(room=room) | Q(room__isnull=True, jurisdiction__path__within=room.jurisdiction.path)
        )
        .order_by("name", "pk")
    )


def _month_days(year: int, month: int) -> list[dt.date]:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise ValidationError(_("月份不正确。"))
    return [dt.date(year, month, day) for day in range(1, calendar.monthrange(year, month)[1] + 1)]


def _check_room_scope(actor: Any, room: MediationRoom) -> None:
    require(actor, Capability.MANAGE_MEDIATORS)
    if not covers(actor, room.jurisdiction):
        raise PermissionDenied(_("该调解室不在您的管理范围内。"))


@transaction.atomic
def generate_rota(*, actor: Any, room: MediationRoom, year: int, month: int) -> list[DutyShift]:
    """排班: one available lawyer on each working day of the month that has nobody yet.

    Round-robin in rota order, continuing after whoever the rota last put on duty
    before the month; each day goes to the lawyer with the fewest days this month
    (counting the days already set), so the counts differ by at most one. Days already
    set — generated earlier, swapped, replaced — are never changed. Returns the
    month's shifts."""
    _check_room_scope(actor, room)
    days = _month_days(year, month)
    # Two people generating at once would both fill the same free days: one waits.
    MediationRoom.objects.select_for_update().filter(pk=room.pk).first()
    lawyers = room_lawyers(room)
    if not lawyers:
        raise ValidationError(
            _("%(room)s没有可值班的律师：请先登记律师调解员（类别为律师、可接案）。")
            % {"room": room.name}
        )
    existing = {s.day: s for s in DutyShift.objects.filter(room=room, day__in=days)}
    counts = {lawyer.pk: 0 for lawyer in lawyers}
    for shift in existing.values():
        if shift.mediator_id in counts:
            counts[shift.mediator_id] += 1
    index = {lawyer.pk: i for i, lawyer in enumerate(lawyers)}
    before = DutyShift.objects.filter(room=room, day__lt=days[0]).order_by("-day").first()
    pointer = 0
    if before is not None:
        # Continue after the lawyer the rota put there (a swap does not move the turn).
        last = before.swapped_from_id or before.mediator_id
        pointer = (index[last] + 1) % len(lawyers) if last in index else 0
    created = []
    for day in days:
        if day in existing or not clocks.is_working_day(day):
            continue
        fewest = min(counts.values())
        turn = [lawyers[(pointer + step) % len(lawyers)] for step in range(len(lawyers))]
        lawyer = next(one for one in turn if counts[one.pk] == fewest)
        counts[lawyer.pk] += 1
        pointer = (index[lawyer.pk] + 1) % len(lawyers)
        created.append(DutyShift(room=room, day=day, mediator=lawyer))
    DutyShift.objects.bulk_create(created)
    shifts = list(DutyShift.objects.filter(room=room, day__in=days).select_related("mediator"))
    audit.record(
        actor=actor,
        action="create",
        object_type="disputes.dutyshift",
        object_ids=[s.pk for s in shifts if s.day not in existing],
        object_repr=f"{room.name} {year}-{month:02d}",
        scope_path=room.jurisdiction.path,
        fields=["day", "mediator"],
        reason=_("生成%(year)d年%(month)d月值班表") % {"year": year, "month": month},
    )
    return shifts


def _locked_shift(shift: DutyShift) -> DutyShift:
    return (
        DutyShift.objects.select_for_update().select_related("room__jurisdiction").get(pk=shift.pk)
    )


def _audit_shift(actor: Any, shift: DutyShift, reason: str) -> None:
    audit.record(
        actor=actor,
        action="update",
        obj=shift,
        fields=["mediator", "swapped_from"],
        reason=reason,
        scope_path=shift.room.jurisdiction.path,
    )


@transaction.atomic
def swap_shifts(
    *, actor: Any, shift_a: DutyShift, shift_b: DutyShift, reason: str
) -> tuple[DutyShift, DutyShift]:
    """调班: two lawyers of the same room exchange their days; each day keeps who was
    there before (``swapped_from``) and why."""
    first, second = _locked_shift(shift_a), _locked_shift(shift_b)
    _check_room_scope(actor, first.room)
    if first.room_id != second.room_id:
        raise ValidationError(_("只能调换同一调解室的班次。"))
    if first.pk == second.pk or first.mediator_id == second.mediator_id:
        raise ValidationError(_("两个班次是同一位律师，无需调换。"))
    reason = clean_reason(reason)
    first.swapped_from_id, second.swapped_from_id = first.mediator_id, second.mediator_id
    first.mediator_id, second.mediator_id = second.mediator_id, first.mediator_id
    for shift in (first, second):
        shift.swap_reason = reason
        shift.save(update_fields=["mediator", "swapped_from", "swap_reason", "updated_at"])
        _audit_shift(actor, shift, reason)
    return first, second


@transaction.atomic
def replace_on_shift(*, actor: Any, shift: DutyShift, mediator: Mediator, reason: str) -> DutyShift:
    """替班: another of the room's lawyers takes the day; who was there and why is kept."""
    shift = _locked_shift(shift)
    _check_room_scope(actor, shift.room)
    if mediator.pk == shift.mediator_id:
        raise ValidationError({"mediator": _("该律师已在此班次值班。")})
    if mediator.pk not in {lawyer.pk for lawyer in room_lawyers(shift.room)}:
        raise ValidationError({"mediator": _("只能由本调解室可值班的律师替班。")})
    reason = clean_reason(reason)
    shift.swapped_from_id, shift.mediator = shift.mediator_id, mediator
    shift.swap_reason = reason
    shift.save(update_fields=["mediator", "swapped_from", "swap_reason", "updated_at"])
    _audit_shift(actor, shift, reason)
    return shift


@dataclass(frozen=True)
class RotaDay:
    day: dt.date
    in_month: bool
    working: bool
    shift: DutyShift | None


@dataclass(frozen=True)
class RotaMonth:
    """One month of a room's rota as a calendar (weeks from Monday), with each lawyer's
    count of days and the working days nobody covers yet."""

    room: MediationRoom
    year: int
    month: int
    weeks: list[list[RotaDay]]
    counts: list[tuple[Mediator, int]]
    shifts: list[DutyShift]
    uncovered: int
    lawyers: list[Mediator]


def rota_month(user: Any, *, room: MediationRoom, year: int, month: int) -> RotaMonth:
    """The room's rota for a month (the room must come from :func:`rooms_for`)."""
    require_any(user, Capability.MANAGE_MEDIATORS, Capability.HANDLE_DISPUTES)
    days = _month_days(year, month)
    shifts = list(
        DutyShift.objects.filter(room=room, day__in=days).select_related("mediator", "swapped_from")
    )
    by_day = {s.day: s for s in shifts}
    first = days[0] - dt.timedelta(days=days[0].weekday())
    last = days[-1] + dt.timedelta(days=6 - days[-1].weekday())
    weeks: list[list[RotaDay]] = []
    day = first
    while day <= last:
        if day.weekday() == 0:
            weeks.append([])
        in_month = day.month == month
        weeks[-1].append(
            RotaDay(
                day,
                in_month,
                in_month and clocks.is_working_day(day),
                by_day.get(day) if in_month else None,
            )
        )
        day += dt.timedelta(days=1)
    tally: dict[int, int] = defaultdict(int)
    people: dict[int, Mediator] = {}
    for shift in shifts:
        tally[shift.mediator_id] += 1
        people[shift.mediator_id] = shift.mediator
    uncovered = sum(1 for d in days if clocks.is_working_day(d) and d not in by_day)
    return RotaMonth(
        room=room,
        year=year,
        month=month,
        weeks=weeks,
        shifts=shifts,
        uncovered=uncovered,
        counts=sorted(((people[pk], n) for pk, n in tally.items()), key=lambda p: p[0].name),
        lawyers=room_lawyers(room),
    )
