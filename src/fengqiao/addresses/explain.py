"""Why the resolver ranked an address, as a page shows it: a few short lines, conflicts
first, in the reader's language.

The resolver writes its explanation as Chinese lines (``门牌不符：输入3号，标准地址为2号``).
They are read back here by their shape and rendered through the catalogue, so an English
reader sees English; a line of an unknown shape is shown as written. Values (the names
and numbers of the address) are data and stay as written."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from fengqiao.core.text import join_list

MAX_REASONS = 3  # more lines than this is a report, not a reason

# The resolver's element labels (resolver._LABEL) with their translation.
ELEMENT_LABELS: dict[str, Any] = {
    "省": pgettext_lazy("address element", "省"),
    "市": pgettext_lazy("address element", "市"),
    "区县": pgettext_lazy("address element", "区县"),
    "乡镇街道": pgettext_lazy("address element", "乡镇街道"),
    "社区": pgettext_lazy("address element", "社区"),
    "道路": pgettext_lazy("address element", "道路"),
    "门牌": pgettext_lazy("address element", "门牌"),
    "小区": pgettext_lazy("address element", "小区"),
    "楼栋": pgettext_lazy("address element", "楼栋"),
    "单元": pgettext_lazy("address element", "单元"),
    "楼层": pgettext_lazy("address element", "楼层"),
    "室": pgettext_lazy("address element", "室"),
}

# How much a line says about the choice: a conflict decides it, a correction or an
# unread part warns, an element left out explains a lower score, an agreement least.
CONFLICT, NOTE, MISSING, AGREEMENT, OTHER = range(5)

_L = "(?P<label>" + "|".join(sorted(ELEMENT_LABELS, key=len, reverse=True)) + ")"
_V = "(?P<value>.+?)"

Render = Callable[[dict[str, str]], str]


def _label(found: dict[str, str]) -> str:
    return str(ELEMENT_LABELS[found["label"]])


# (pattern, rank, render): the shapes resolver._explain writes, and the short phrases of
# the reading matcher (门牌一致, 楼栋不符).
_SHAPES: tuple[tuple[re.Pattern[str], int, Render], ...] = tuple(
    (re.compile(pattern), rank, render)
    for pattern, rank, render in (
        (
            rf"^{_L}不符：输入(?P<typed>.*)，标准地址为{_V}$",
            CONFLICT,
            lambda f: (
                _("%(element)s不符：输入%(typed)s，标准地址为%(value)s")
                % {"element": _label(f), "typed": f["typed"], "value": f["value"]}
            ),
        ),
        (
            rf"^{_L}：标准地址无此项（输入(?P<typed>.*)）$",
            CONFLICT,
            lambda f: (
                _("%(element)s：标准地址无此项（输入%(typed)s）")
                % {"element": _label(f), "typed": f["typed"]}
            ),
        ),
        (
            rf"^{_L}不符$",
            CONFLICT,
            lambda f: _("%(element)s不符") % {"element": _label(f)},
        ),
        (
            rf"^{_L}“{_V}”由“(?P<typed>.*)”纠正$",
            NOTE,
            lambda f: (
                _("%(element)s“%(value)s”由“%(typed)s”纠正")
                % {"element": _label(f), "value": f["value"], "typed": f["typed"]}
            ),
        ),
        (
            rf"^{_L}“{_V}”由“(?P<typed>.*)”识别（同名多处）$",
            NOTE,
            lambda f: (
                _("%(element)s“%(value)s”由“%(typed)s”识别（同名多处）")
                % {"element": _label(f), "value": f["value"], "typed": f["typed"]}
            ),
        ),
        (
            rf"^{_L}“{_V}”由简称“(?P<typed>.*)”识别$",
            NOTE,
            lambda f: (
                _("%(element)s“%(value)s”由简称“%(typed)s”识别")
                % {"element": _label(f), "value": f["value"], "typed": f["typed"]}
            ),
        ),
        (
            rf"^{_L}“{_V}”不在标准地址库中，未作限定$",
            NOTE,
            lambda f: (
                _("%(element)s“%(value)s”不在标准地址库中，未作限定")
                % {"element": _label(f), "value": f["value"]}
            ),
        ),
        (
            r"^未识别：(?P<value>.*)$",
            NOTE,
            lambda f: _("未识别：%(text)s") % {"text": f["value"]},
        ),
        (
            rf"^{_L}未写明$",
            MISSING,
            _label,
        ),
        (
            rf"^{_L}一致$",
            AGREEMENT,
            _label,
        ),
        (
            rf"^{_L}：{_V}$",
            AGREEMENT,
            _label,
        ),
    )
)


def reason(line: str) -> tuple[int, str]:
    """One explanation line: its rank (CONFLICT … OTHER) and its text in the active
    language; for an agreement or an element left out, the element's label alone."""
    for pattern, rank, render in _SHAPES:
        found = pattern.match(line)
        if found:
            return rank, render(found.groupdict())
    return OTHER, line


def short_reasons(lines: Iterable[str], limit: int = MAX_REASONS) -> list[str]:
    """The few lines that say most about a match: conflicts, corrections, then what the
    text left out and what agrees, each on one line of element names (the address itself
    shows the values). Divisions left out are not worth a line: people routinely omit
    省, 市, 区县, 乡镇街道 and 社区. The resolver's own order is kept within a rank."""
    ranked = [reason(line) for line in lines]
    shown = [text for rank, text in sorted(ranked, key=lambda r: r[0]) if rank < MISSING]
    shown += [text for rank, text in ranked if rank == OTHER]
    missing = [text for rank, text in ranked if rank == MISSING and text not in _division_labels()]
    agreeing = [text for rank, text in ranked if rank == AGREEMENT]
    if missing:
        shown.append(_("未写明：%(elements)s") % {"elements": join_list(missing)})
    if agreeing:
        shown.append(_("一致：%(elements)s") % {"elements": join_list(agreeing)})
    return shown[:limit]


def _division_labels() -> set[str]:  # in the active language
    return {str(ELEMENT_LABELS[k]) for k in ("省", "市", "区县", "乡镇街道", "社区")}
