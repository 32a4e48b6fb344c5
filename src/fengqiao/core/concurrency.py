"""Optimistic locking: a save names the version it was edited from."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, Model
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django.utils.translation import gettext as _


class StaleEditError(Exception):
    """Someone else saved the record after this edit began."""

    def __init__(self, instance: Model) -> None:
        self.instance = instance
        super().__init__(
            _("这条记录已被他人修改，请刷新后重新编辑。")
            + f" ({instance._meta.verbose_name} #{instance.pk})"
        )


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
