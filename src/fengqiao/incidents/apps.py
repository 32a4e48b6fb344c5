from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "fengqiao.incidents"
    label = "incidents"

    def ready(self) -> None:
        from fengqiao.incidents import facts

        facts.connect()  # the incidents' counts, kept by the rollups
