from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "fengqiao.incidents"
    label = "incidents"
