"""Keyset pagination: page N of a million rows costs what page 1 costs (no OFFSET)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, Q, QuerySet

M = TypeVar("M", bound=Model)


@dataclass
class KeysetPage(Generic[M]):
    items: list[M]
    next_cursor: str  # "" on the last page


def _encode(values: list[Any]) -> str:
    text = json.dumps(values, ensure_ascii=False, cls=DjangoJSONEncoder)  # dates as ISO text
    return base64.urlsafe_b64encode(text.encode()).decode()


def _decode(cursor: str, width: int) -> list[Any] | None:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except ValueError:
        return None
    return values if isinstance(values, list) and len(values) == width else None


def decode_cursor(cursor: str) -> list[Any] | None:
    """The (column value, tie-breaker) a cursor carries, or None if it is malformed."""
    return _decode(cursor, 2) if cursor else None


def keyset_page(queryset: QuerySet[M], *, order: tuple[str, str], cursor: str = "",
                size: int = 25) -> KeysetPage[M]:  # fmt: skip
    """``order`` is (a column, a unique tie-breaker), indexed together, both ascending or
    both descending (``("-received_at", "-pk")``). A malformed cursor starts from the
    beginning rather than failing."""
    first, tie = order
    descending = first.startswith("-")
    first, tie = first.lstrip("-"), tie.lstrip("-")
    rows = queryset.order_by(*order)
    after = _decode(cursor, 2) if cursor else None
    if after is not None:
        beyond = "lt" if descending else "gt"
        rows = rows.filter(
            Q(**{f"{first}__{beyond}": after[0]})
            | Q(**{first: after[0], f"{tie}__{beyond}": after[1]})
        )
    items = list(rows[: size + 1])
    more = len(items) > size
    items = items[:size]
    last = items[-1] if items and more else None
    return KeysetPage(items, _encode([getattr(last, first), getattr(last, tie)]) if last else "")
