"""Small text helpers shared by every app."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import pgettext

__all__ = ["join_list"]


def join_list(items: Iterable[object]) -> str:
    """The items as one list in the active language: 张三、李四 in Chinese, "a, b" in
    English. "、" (the enumeration comma) is Chinese only; an English reader sees it as
    a stray character, so the separator is a translatable string, not a literal."""
    return pgettext("list separator", "、").join(str(item) for item in items)
