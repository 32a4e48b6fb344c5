"""The navigation frame that domains plug into: one entry per page, shown to the
roles that hold its capability."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fengqiao.core.roles import Capability


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    capability: str | None = None  # None: every signed-in user


NAVIGATION: list[NavItem] = [
    NavItem(_("首页"), "dashboards:home"),
    NavItem(_("一屏尽览"), "dashboards:dashboard", Capability.VIEW_AGGREGATES),
    NavItem(_("警情"), "incidents:list", Capability.VIEW_RECORDS),
    NavItem(_("吹哨报到"), "incidents:whistle_home", Capability.VIEW_RECORDS),
    NavItem(_("矛盾纠纷"), "disputes:list", Capability.HANDLE_DISPUTES),
    NavItem(_("研判"), "incidents:brief", Capability.VIEW_AGGREGATES),
    NavItem(_("一标三实"), "registry:overview", Capability.VIEW_RECORDS),
    NavItem(_("租户审核"), "registry:tenant_reviews", Capability.REVIEW_TENANTS),
    NavItem(_("我的房屋"), "registry:my_houses", Capability.REGISTER_TENANTS),
    NavItem(_("一表通考"), "scoring:table", Capability.VIEW_AGGREGATES),
    NavItem(_("辖区"), "jurisdictions:tree", Capability.VIEW_AGGREGATES),
    NavItem(_("警力配置"), "staffing:page", Capability.VIEW_AGGREGATES),
    NavItem(_("人员"), "accounts:staff_list", Capability.VIEW_RECORDS),
    NavItem(_("审计"), "audit:event_list", Capability.VIEW_AUDIT),
]
