from __future__ import annotations

import re

from django import template
from django.apps import apps
from django.core.exceptions import FieldDoesNotExist

from fengqiao.audit.models import AuditEvent

register = template.Library()


@register.filter
def field_labels(event: AuditEvent) -> str:
    """The fields an event touched, by the names people know (姓名, 手机号…)."""
    try:
        meta = apps.get_model(event.object_type)._meta
    except (LookupError, ValueError):
        return ", ".join(event.fields)
    labels = []
    for name in event.fields:
        try:
            field = meta.get_field(name)
        except FieldDoesNotExist:
            labels.append(name)
            continue
        # A reverse relation (a case's parties, an agreement's terms) has no verbose
        # name of its own: the related model's plural names it.
        related = field.related_model
        label = getattr(field, "verbose_name", None) or related._meta.verbose_name_plural
        labels.append(str(label))
    return ", ".join(labels)


# Events written before every model had a label carry Django's default one.
_DEFAULT_LABEL = re.compile(r"^\w+ object \((\d+)\)$")


@register.filter
def object_label(event: AuditEvent) -> str:
    """The stored label, or for an old default one ("Assignment object (7)") the
    model's name and the id — read from the event itself, no query per line."""
    if not _DEFAULT_LABEL.match(event.object_repr):
        return event.object_repr
    try:
        name = apps.get_model(event.object_type)._meta.verbose_name
    except (LookupError, ValueError):
        return event.object_repr
    return f"{name} #{event.object_id}"
