from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "fengqiao.audit"
    label = "audit"

    def ready(self) -> None:
        from fengqiao.audit import signals  # noqa: F401  (connects the receivers)
