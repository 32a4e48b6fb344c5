"""Reads of the audit log, scoped like every other record."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from fengqiao.audit.models import AuditEvent
from fengqiao.core.concurrency import LastChange
from fengqiao.core.roles import Capability, Role, require


def events_for(*, user: Any, action: str = "", actor: str = "") -> QuerySet[AuditEvent]:
    """Events about objects in the user's scope; an admin at the root also sees events
    with no scope (logins, command-line work)."""
    require(user, Capability.VIEW_AUDIT)
    if not user.jurisdiction_id:
        return AuditEvent.objects.none()
    scope = Q(scope_path__within=user.jurisdiction.path)
    if user.role == Role.ADMIN and user.jurisdiction.parent_id is None:
        scope |= Q(scope_path="")
    events = AuditEvent.objects.filter(scope)
    if action:
        events = events.filter(action=action)
    if actor:
        events = events.filter(actor_name__icontains=actor)
    return events.order_by("-seq")


WRITE_ACTIONS = ("create", "update", "delete")


def last_change(obj: Any) -> LastChange | None:
    """The last write of ``obj`` in the chain (who, by display name, and when): what a
    refused stale edit tells the person. No scope check: the caller already holds the
    record, and only a name and a time leave."""
    event = (
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower, object_id=str(obj.pk), action__in=WRITE_ACTIONS
        )
        .select_related("actor")
        .order_by("-seq")
        .first()
    )
    if event is None:
        return None
    who = str(event.actor) if event.actor is not None else event.actor_name
    return LastChange(who=who, at=event.at)
