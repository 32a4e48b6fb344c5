from django.apps import AppConfig


class DisputesConfig(AppConfig):
    name = "fengqiao.disputes"
    label = "disputes"

    def ready(self) -> None:
        from fengqiao.disputes import facts

        facts.connect()  # the disputes' counts, kept by the rollups
        # The timeline's sentences: they name enums of several modules of the app.
        from fengqiao.disputes import timeline  # noqa: F401
