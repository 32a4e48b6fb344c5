from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "fengqiao.scoring"
    label = "scoring"

    def ready(self) -> None:
        from fengqiao.scoring import rollups

        rollups.connect()
