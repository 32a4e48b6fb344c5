from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fengqiao.audit"
    label = "audit"

    def ready(self) -> None:
        from fengqiao.audit import selectors, signals  # noqa: F401  (connects the receivers)
        from fengqiao.core import concurrency

        concurrency.last_change_finder = selectors.last_change
