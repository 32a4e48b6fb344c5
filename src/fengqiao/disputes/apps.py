from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "fengqiao.disputes"
    label = "disputes"

    def ready(self) -> None:
        # The timeline's sentences: they name enums of several modules of the app.
        from fengqiao.disputes import timeline  # noqa: F401
