from __future__ import annotations

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
