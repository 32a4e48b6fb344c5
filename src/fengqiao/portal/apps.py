from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "fengqiao.portal"
    label = "portal"
