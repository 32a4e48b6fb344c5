from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db.models import Max, QuerySet


def _organisations(addresses: QuerySet[Any]) -> QuerySet[Any]:
    from fengqiao.registry.models import Organisation

    return Organisation.objects.filter(address__in=addresses.values("pk"))


def _organisation_names(addresses: QuerySet[Any]) -> Any:
    open_ones = _organisations(addresses).filter(closed_on__isnull=True)
    return open_ones.values_list("address_id", "name").iterator(chunk_size=5000)


def _organisation_stamp(addresses: QuerySet[Any]) -> tuple[Any, ...]:
    organisations = _organisations(addresses)
    return (organisations.count(), organisations.aggregate(latest=Max("updated_at"))["latest"])


class RegistryConfig(AppConfig):
    name = "fengqiao.registry"
    label = "registry"

    def ready(self) -> None:
        from fengqiao.addresses import names

        # a shop's or a school's name finds its standard address in the resolver
        names.register(names.NameSource(_organisation_names, _organisation_stamp))
