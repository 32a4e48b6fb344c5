from django.apps import AppConfig


class SetupConfig(AppConfig):
    name = "fengqiao.setup"
    label = "setup"
