"""标准地址: one standard address for every house, "把地址当姓名用"."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fengqiao.core.models import VersionedModel


class AddressStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    MERGED = "merged", _("已合并")
    DEMOLISHED = "demolished", _("已拆除")


class StandardAddress(VersionedModel):
    """标准地址. The structured elements below the community are free text as the
    doorplate reads; the levels above come from the jurisdiction tree. ``police_district``
    (警务区) is where the address falls for policing, and the scope every read checks."""

    code = models.CharField(_("地址编码"), max_length=14, unique=True, editable=False)
    community = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        verbose_name=_("社区/村"),
        on_delete=models.PROTECT,
        related_name="addresses",
    )
    grid = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        verbose_name=_("网格"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grid_addresses",
    )
    police_district = models.ForeignKey(
        "jurisdictions.Jurisdiction",
        verbose_name=_("警务区"),
        on_delete=models.PROTECT,
        related_name="district_addresses",
    )
    road = models.CharField(_("街路巷"), max_length=60, blank=True)
    door_number = models.CharField(_("门牌号"), max_length=20, blank=True)
    compound = models.CharField(_("小区/院"), max_length=60, blank=True)
    building = models.CharField(_("楼栋"), max_length=20, blank=True)
    unit = models.CharField(_("单元"), max_length=10, blank=True)
    floor = models.CharField(_("楼层"), max_length=10, blank=True)
    room = models.CharField(_("户室"), max_length=20, blank=True)
    # The printed form of the whole address, and of the part below the community (what a
    # person types: 阳头路12号3栋…), both kept for prefix search from their indexes.
    full_text = models.CharField(_("标准地址"), max_length=300, db_index=True)
    local_key = models.CharField(_("门牌地址"), max_length=160, db_index=True, editable=False)
    latitude = models.DecimalField(
        _("纬度（WGS-84）"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("经度（WGS-84）"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    status = models.CharField(
        _("状态"), max_length=12, choices=AddressStatus.choices, default=AddressStatus.ACTIVE
    )
    successor = models.ForeignKey(
        "self",
        verbose_name=_("继承地址"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="predecessors",
    )

    class Meta:
        verbose_name = _("标准地址")
        verbose_name_plural = _("标准地址")
        ordering = ["full_text"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="merged", successor__isnull=False) | ~Q(status="merged"),
                name="merged_address_has_successor",
            ),
            models.UniqueConstraint(
                fields=[
                    "community",
                    "road",
                    "door_number",
                    "compound",
                    "building",
                    "unit",
                    "floor",
                    "room",
                ],
                condition=Q(status="active"),
                name="one_active_address_per_place",
            ),
        ]

    def __str__(self) -> str:
        return self.full_text

    @property
    def scope_path(self) -> str:
        return self.police_district.path

    @property
    def local_text(self) -> str:
        """Below the community: what the doorplate says (阳头路12号3栋2单元502室)."""
        parts = [self.road, f"{self.door_number}号" if self.door_number else "", self.compound]
        parts += [f"{self.building}栋" if self.building else "",
                  f"{self.unit}单元" if self.unit else "",
                  f"{self.floor}层" if self.floor and not self.room else "",
                  f"{self.room}室" if self.room else ""]  # fmt: skip
        return "".join(parts)
