"""Shared base models: timestamps and the optimistic-lock version."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimeStampedModel):
    """A record people edit: a stale save (older ``version``) is refused by
    :func:`fengqiao.core.concurrency.save_versioned`, never silently overwritten."""

    version = models.PositiveIntegerField(_("版本"), default=1, editable=False)

    class Meta:
        abstract = True


def related_label(instance: models.Model, field: str, attribute: str) -> str:
    """``attribute`` of a related object for a label, read only when that object is
    already loaded (an audit line or an admin list then costs no query per row); its id
    otherwise."""
    descriptor = instance._meta.get_field(field)
    if descriptor.is_cached(instance):  # type: ignore[union-attr]
        related = getattr(instance, field)
        return str(getattr(related, attribute)) if related is not None else "—"
    pk = getattr(instance, descriptor.attname)  # type: ignore[union-attr]
    return f"#{pk}" if pk is not None else "—"
