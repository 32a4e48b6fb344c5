"""Shapes every API router shares, so the published schema names each once."""

from __future__ import annotations

from enum import StrEnum

from django.db import models
from ninja import Schema


class Problem(Schema):
    """A refused request: what is wrong in the reader's language, and the reasons by
    field (``"3.description"`` in a batch)."""

    detail: str
    errors: dict[str, list[str]] = {}


def api_enum(name: str, choices: type[models.TextChoices]) -> type[StrEnum]:
    """A model's choices as an enum named for the API: two domains' ``Source`` would
    otherwise share one schema component, and one would document the other's values."""
    return StrEnum(name, {value: value for value in choices.values})  # type: ignore[return-value]
