from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "fengqiao.registry"
    label = "registry"
