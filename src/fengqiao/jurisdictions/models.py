"""辖区: the administrative and the police hierarchies, one tree table.

Each node keeps a materialised path of ancestor ids (``/1/4/17/``) so a subtree is one
indexed query (``path__within``, see :mod:`fengqiao.core.fields`) on SQLite and PostgreSQL.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.fields import MaterialisedPathField
from fengqiao.core.models import TimeStampedModel


class Kind(models.TextChoices):
    # 行政区划 (GB/T 2260 codes down to county, 统计用区划代码 below)
    PROVINCE = "province", _("省")
    CITY = "city", _("市")
    COUNTY = "county", _("区/县")
    TOWNSHIP = "township", _("乡镇/街道")
    COMMUNITY = "community", _("社区/村")
    GRID = "grid", _("网格")
    # 公安机关
    POLICE_DEPARTMENT = "police_department", _("公安厅")
    CITY_BUREAU = "city_bureau", _("市公安局")
    COUNTY_BUREAU = "county_bureau", _("公安分局/县局")
    UNIT = "unit", _("警种部门")
    STATION = "station", _("派出所")
    POLICE_DISTRICT = "police_district", _("警务区")
    POLICE_ROOM = "police_room", _("警务室")


ADMINISTRATIVE_KINDS = frozenset(
    {Kind.PROVINCE, Kind.CITY, Kind.COUNTY, Kind.TOWNSHIP, Kind.COMMUNITY, Kind.GRID}
)
POLICE_KINDS = frozenset(set(Kind) - ADMINISTRATIVE_KINDS)

# The single table of which kind may hang under which; None is a root.
ALLOWED_PARENTS: dict[str, frozenset[str | None]] = {
    Kind.PROVINCE: frozenset({None}),
    Kind.CITY: frozenset({Kind.PROVINCE}),
    Kind.COUNTY: frozenset({Kind.CITY, Kind.PROVINCE}),  # 省直辖县级行政区
    Kind.TOWNSHIP: frozenset({Kind.COUNTY}),
    Kind.COMMUNITY: frozenset({Kind.TOWNSHIP}),
    Kind.GRID: frozenset({Kind.COMMUNITY}),
    Kind.POLICE_DEPARTMENT: frozenset({None}),
    Kind.CITY_BUREAU: frozenset({Kind.POLICE_DEPARTMENT}),
    Kind.COUNTY_BUREAU: frozenset({Kind.CITY_BUREAU, Kind.POLICE_DEPARTMENT}),
    Kind.UNIT: frozenset({Kind.POLICE_DEPARTMENT, Kind.CITY_BUREAU, Kind.COUNTY_BUREAU}),
    Kind.STATION: frozenset({Kind.COUNTY_BUREAU, Kind.CITY_BUREAU}),
    Kind.POLICE_DISTRICT: frozenset({Kind.STATION}),
    Kind.POLICE_ROOM: frozenset({Kind.POLICE_DISTRICT, Kind.STATION}),
}


class Jurisdiction(TimeStampedModel):
    """辖区节点: a division (省/市/区县/乡镇街道/社区村/网格) or a police body
    (公安厅/市局/分局/警种/派出所/警务区/警务室)."""

    kind = models.CharField(_("类别"), max_length=24, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=100)
    code = models.CharField(
        _("代码"),
        max_length=20,
        blank=True,
        help_text=_("行政区划代码（GB/T 2260、统计用区划代码）或公安机关机构代码"),
    )
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = MaterialisedPathField(_("路径"), max_length=255, unique=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("层级"), editable=False)
    duty_phone = models.CharField(
        _("值班电话"),
        max_length=20,
        blank=True,
        help_text=_("对外公开的值班电话（警务室、派出所），显示在二维码门牌页面上"),
    )
    # The node's outline for the dashboards' maps: a GeoJSON Polygon or MultiPolygon in
    # WGS-84 (lng, lat), drawn by the deployment or generated; no tile server needed.
    boundary = models.JSONField(_("边界（GeoJSON）"), null=True, blank=True)
    covers = models.ManyToManyField(
        "self",
        verbose_name=_("覆盖社区/网格"),
        symmetrical=False,
        blank=True,
        related_name="covered_by",
        help_text=_("警务区负责的社区、村或网格"),
    )

    class Meta:
        verbose_name = _("辖区")
        verbose_name_plural = _("辖区")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "code"],
                condition=~models.Q(code=""),
                name="jurisdiction_unique_code_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_police(self) -> bool:
        return self.kind in POLICE_KINDS

    @property
    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]

    def contains(self, other: Jurisdiction) -> bool:
        return other.path.startswith(self.path)


from fengqiao.jurisdictions.boundary_models import BoundaryUpload  # noqa: E402, F401
