from django.apps import AppConfig


class ScoringConfig(AppConfig):
    name = "fengqiao.scoring"
    label = "scoring"
