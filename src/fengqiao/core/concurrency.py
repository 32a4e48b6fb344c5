"""Optimistic locking: a save names the version it was edited from."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import F, Model
from django.db.models.signals import post_save, pre_save
from django.utils import formats, timezone
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class LastChange:
    """Who last wrote a record, and when (UTC)."""

    who: str
    at: dt.datetime


# Set by the audit app (core imports no app): finds a record's last write in the log.
last_change_finder: Callable[[Model], LastChange | None] | None = None


def stale_message(instance: Model) -> str:
    """ "<who> 在 <when> 修改了这条记录…" in the reader's language and time zone; the
    generic sentence when nobody is known to have changed it."""
    change = last_change_finder(instance) if last_change_finder and instance.pk else None
    if change is None or not change.who:
        return _("这条记录已被他人修改，请刷新后重新编辑。")
    when = formats.date_format(timezone.localtime(change.at), "DATETIME_FORMAT")
    return _("%(who)s 在 %(when)s 修改了这条记录，请刷新后重新编辑。") % {
        "who": change.who,
        "when": when,
    }


class StaleEditError(Exception):
    """Someone else saved the record after this edit began. ``str()`` names who and
    when, worked out when read (after the refused transaction, in the reader's locale)."""

    def __init__(self, instance: Model) -> None:
        self.instance = instance
        super().__init__(instance._meta.label_lower, instance.pk)

    def __str__(self) -> str:
        return self.message

    @property
    def message(self) -> str:
        return stale_message(self.instance)


def save_versioned(instance: Model, *, expected_version: int, fields: Iterable[str]) -> None:
    """Write ``fields`` of ``instance`` only if the stored version is still
    ``expected_version``; bump the version in the same UPDATE. The model carries a
    ``version`` field (see :class:`fengqiao.core.models.VersionedModel`)."""
    values = {name: getattr(instance, name) for name in fields}
    if hasattr(instance, "updated_at"):
        values["updated_at"] = instance.updated_at = timezone.now()
    # The UPDATE is a save of these fields: listeners (the rollups) hear of it as of one.
    model = type(instance)
    saved = frozenset([*values, "version"])
    pre_save.send(sender=model, instance=instance, raw=False, using=None, update_fields=saved)
    updated = model._default_manager.filter(pk=instance.pk, version=expected_version).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        raise StaleEditError(instance)
    instance.version = expected_version + 1  # type: ignore[attr-defined]
    post_save.send(
        sender=model, instance=instance, created=False, raw=False, using=None, update_fields=saved
    )
