"""Names registered at standard addresses by the apps above (实有单位: a shop, a school), so
that the matcher finds an address by them. Those apps announce a source here when they load;
addresses never imports them (dependencies point down, tests/test_layers.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet


@dataclass(frozen=True)
class NameSource:
    # (address id, name) for the open records at ``addresses``
    names: Callable[[QuerySet[Any]], Iterable[tuple[int, str]]]
    # what changes when those names change (a count and the latest edit): the index's stamp
    stamp: Callable[[QuerySet[Any]], tuple[Any, ...]]


_SOURCES: list[NameSource] = []


def register(source: NameSource) -> None:
    if source not in _SOURCES:
        _SOURCES.append(source)


def names_at(addresses: QuerySet[Any]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for source in _SOURCES:
        for address_id, name in source.names(addresses):
            found.setdefault(address_id, []).append(name)
    return found


def stamp(addresses: QuerySet[Any]) -> tuple[Any, ...]:
    return tuple(part for source in _SOURCES for part in source.stamp(addresses))
