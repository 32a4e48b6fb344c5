"""辖区: the administrative and the police hierarchies, one tree table.

Each node keeps a materialised path of ancestor ids (``/1/4/17/``) so a subtree is one
indexed query (``path__within``, see :mod:`fengqiao.core.fields`) on SQLite and PostgreSQL.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from fengqiao.core.fields import MaterialisedPathField
from fengqiao.core.models import VersionedModel


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


class RoomClass(models.TextChoices):
    """警务室等级 (一类/二类), set on police rooms only."""

    FIRST = "1", _("一类警务室")
    SECOND = "2", _("二类警务室")


class Jurisdiction(VersionedModel):
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
    # 中心派出所: a station may be led by another station of the bureau (中心所带一般所).
    lead_station = models.ForeignKey(
        "self",
        verbose_name=_("中心派出所"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_stations",
    )
    room_class = models.CharField(
        _("警务室等级"), max_length=1, choices=RoomClass.choices, blank=True, db_default=""
    )
    # 以英模命名的警务室: the officer it is named after, often retired or fallen, so the
    # account may be inactive; never deleted while a room bears his name.
    named_officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("命名民警"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="named_rooms",
    )
    # The optimistic lock (VersionedModel's), with a database default as well: the province
    # generator writes nodes with a bulk COPY/INSERT that names its columns.
    version = models.PositiveIntegerField(_("版本"), default=1, db_default=1, editable=False)
    # 撤销: a retired unit keeps its records and history; it only leaves the pickers.
    retired_at = models.DateField(_("撤销日期"), null=True, blank=True)

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

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None


class ChangeKind(models.TextChoices):
    CREATE = "create", _("新增")
    EDIT = "edit", _("修改名称信息")
    MOVE = "move", _("调整上级")
    COVERAGE = "coverage", _("调整覆盖范围")
    LEAD = "lead", _("设置中心派出所")
    MERGE = "merge", _("合并")
    RETIRE = "retire", _("撤销")
    RESTORE = "restore", _("恢复")


class TreeChange(models.Model):
    """辖区调整记录: one change an administrator made to the tree, with the node's state
    before and after (JSON), so it can be shown and undone by a counter-change. The audit
    chain says that a change happened; this says what to put back."""

    at = models.DateTimeField(_("时间"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    kind = models.CharField(_("调整类别"), max_length=16, choices=ChangeKind.choices)
    node = models.ForeignKey(
        Jurisdiction, verbose_name=_("辖区"), on_delete=models.PROTECT, related_name="changes"
    )
    before = models.JSONField(_("调整前"), default=dict, blank=True)
    after = models.JSONField(_("调整后"), default=dict, blank=True)
    # The change this one undid (a counter-change), and the one that undid this.
    undoes = models.OneToOneField(
        "self",
        verbose_name=_("撤回的调整"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="undone_by",
    )

    class Meta:
        verbose_name = _("辖区调整记录")
        verbose_name_plural = _("辖区调整记录")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.node_id}"


from fengqiao.jurisdictions.boundary_models import BoundaryUpload  # noqa: E402, F401
