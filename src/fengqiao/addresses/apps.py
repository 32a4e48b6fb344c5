from django.apps import AppConfig


class AddressesConfig(AppConfig):
    name = "fengqiao.addresses"
    label = "addresses"
