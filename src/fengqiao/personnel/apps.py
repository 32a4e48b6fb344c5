from __future__ import annotations

from django.apps import AppConfig


class PersonnelConfig(AppConfig):
    """人员管理: staff accounts from a spreadsheet, and the hand-over when someone leaves.
    Above the domains (it reads the ledger import's file reader and hands over the
    domains' open work), below the pages that link to it."""

    name = "fengqiao.personnel"
    label = "personnel"
