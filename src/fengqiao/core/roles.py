"""Roles and what each may do: the single table the rest of the platform asks.

It lives in the kernel so every app can ask ``require(user, capability)`` without
depending on the accounts app."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STATION_CHIEF = "station_chief", _("所长")
    COMMUNITY_OFFICER = "community_officer", _("社区民警")
    CASE_OFFICER = "case_officer", _("办案民警")
    COMMAND_ROOM = "command_room", _("指挥室值班员")
    UNIT_LIAISON = "unit_liaison", _("警种联络员")
    MEDIATOR = "mediator", _("调解员")
    VOLUNTEER = "volunteer", _("群防群治队员")
    ANALYST = "analyst", _("分析员")
    ADMIN = "admin", _("管理员")


class Capability(models.TextChoices):
    VIEW_RECORDS = "view_records", _("查看辖区内的记录")
    EDIT_RECORDS = "edit_records", _("维护辖区内的基础信息")
    REGISTER_TENANTS = "register_tenants", _("登记本人房屋的租户")
    REVIEW_TENANTS = "review_tenants", _("核实、确认租户登记")
    REVEAL_PERSONAL = "reveal_personal", _("查看身份证号、手机号明文")
    EXPORT_RECORDS = "export_records", _("导出记录")
    VIEW_AGGREGATES = "view_aggregates", _("查看统计汇总")
    VIEW_AUDIT = "view_audit", _("查看审计日志")
    MANAGE_STAFF = "manage_staff", _("管理人员账号")
    MANAGE_JURISDICTIONS = "manage_jurisdictions", _("管理辖区")
    RECEIVE_INCIDENTS = "receive_incidents", _("接警登记")
    HANDLE_INCIDENTS = "handle_incidents", _("处置警情")
    RAISE_WHISTLES = "raise_whistles", _("吹哨：向警种或其他单位提出协作请求")
    ANSWER_WHISTLES = "answer_whistles", _("报到：接收并反馈协作请求")
    HANDLE_DISPUTES = "handle_disputes", _("登记、调解矛盾纠纷")
    MANAGE_MEDIATORS = "manage_mediators", _("管理调解员、值班与指派")
    MANAGE_SCORING = "manage_scoring", _("维护考核指标、录入手工考评、关闭考核期")
    RATE_DEPARTMENTS = "rate_departments", _("双向评价：评价本局机关警种部门")


C = Capability
CAPABILITIES: dict[str, frozenset[str]] = {
    Role.STATION_CHIEF: frozenset(
        {C.VIEW_RECORDS, C.EDIT_RECORDS, C.REVIEW_TENANTS, C.REVEAL_PERSONAL, C.EXPORT_RECORDS,
         C.VIEW_AGGREGATES, C.VIEW_AUDIT, C.MANAGE_STAFF, C.RECEIVE_INCIDENTS,
         C.HANDLE_INCIDENTS, C.RAISE_WHISTLES, C.ANSWER_WHISTLES, C.HANDLE_DISPUTES,
         C.MANAGE_MEDIATORS, C.RATE_DEPARTMENTS}
    ),
    Role.COMMUNITY_OFFICER: frozenset(
        {C.VIEW_RECORDS, C.EDIT_RECORDS, C.REVIEW_TENANTS, C.REVEAL_PERSONAL, C.VIEW_AGGREGATES,
         C.RECEIVE_INCIDENTS, C.HANDLE_INCIDENTS, C.RAISE_WHISTLES, C.HANDLE_DISPUTES,
         C.MANAGE_MEDIATORS}
    ),
    Role.CASE_OFFICER: frozenset(
        {C.VIEW_RECORDS, C.REVEAL_PERSONAL, C.VIEW_AGGREGATES, C.HANDLE_INCIDENTS,
         C.RAISE_WHISTLES}
    ),
    Role.COMMAND_ROOM: frozenset(
        {C.VIEW_RECORDS, C.REVEAL_PERSONAL, C.EXPORT_RECORDS, C.VIEW_AGGREGATES,
         C.RECEIVE_INCIDENTS, C.HANDLE_INCIDENTS, C.RAISE_WHISTLES, C.HANDLE_DISPUTES}
    ),
    Role.UNIT_LIAISON: frozenset({C.VIEW_RECORDS, C.VIEW_AGGREGATES, C.ANSWER_WHISTLES}),
    # A mediator reads and works only the dispute cases he is assigned to and their
    # parties (see fengqiao.disputes.selectors): his scope is his cases, not his unit.
    # Without VIEW_RECORDS no incident, person, house, staff list or brief is his to read.
    Role.MEDIATOR: frozenset({C.HANDLE_DISPUTES}),
    # Volunteers report and patrol; they never browse other people's records. A landlord
    # acting as 守户员 registers his own tenants, which an officer then confirms.
    Role.VOLUNTEER: frozenset({C.REGISTER_TENANTS}),
    # Analysts read aggregates only: no record, no name.
    Role.ANALYST: frozenset({C.VIEW_AGGREGATES}),
    Role.ADMIN: frozenset(set(Capability)),
}  # fmt: skip


def require(user: Any, capability: str) -> None:
    """Refuse (403) a user whose role lacks ``capability``."""
    if not user.can(capability):
        raise PermissionDenied(Capability(capability).label)
