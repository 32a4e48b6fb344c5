"""The choices of the place selects, from the shipped national gazetteer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from fengqiao.addresses.reading.divisions import CITY, COUNTY, PROVINCE, TOWNSHIP, gazetteer

Choices = list[tuple[str, str]]


def _children(code: str, level: int) -> Choices:
    if not code:
        return []
    found = [d for d in gazetteer().children.get(code, []) if d.level == level]
    return [(d.code, d.name) for d in sorted(found, key=lambda d: d.code)]


def provinces() -> Choices:
    found = [d for d in gazetteer().by_code.values() if d.level == PROVINCE]
    return [(d.code, d.name) for d in sorted(found, key=lambda d: d.code)]


def cities(province: str) -> Choices:
    """The province's cities, and the province itself when counties hang under it
    directly (a municipality's districts, 仙桃市 and the like)."""
    choices = _children(province, CITY)
    if _children(province, COUNTY):
        choices.append((province, _("（省/市直辖的区县）")))
    return choices


def counties(parent: str) -> Choices:
    return _children(parent, COUNTY)


def townships(county: str) -> Choices:
    return _children(county, TOWNSHIP)


@dataclass(frozen=True)
class Place:
    province: str = ""
    city: str = ""
    county: str = ""

    @classmethod
    def chosen(cls, data: Mapping[str, Any]) -> Place:
        """What the form's data chose, each level dropped when it is not under the one
        above (the province changed after a county was picked)."""
        province = data.get("province", "")
        province = province if province in dict(provinces()) else ""
        city_choices = dict(cities(province))
        city = data.get("city", "")
        if city not in city_choices:
            # a municipality has only the one choice: take it
            city = next(iter(city_choices)) if len(city_choices) == 1 else ""
        county = data.get("county", "")
        county = county if county in dict(counties(city)) else ""
        return cls(province, city, county)
