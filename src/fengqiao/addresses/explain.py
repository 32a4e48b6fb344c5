"""Why the resolver ranked an address, as a page shows it: a few short lines, conflicts
first, in the reader's language.

The resolver and the matcher give their reasons as :class:`~fengqiao.addresses.reasons.Reason`
(a Chinese sentence that keeps its kind and parameters); each is rendered here from its
template through the catalogue, so an English reader sees English. Values (the names and
numbers of the address) are data and stay as written."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from fengqiao.addresses.reasons import TEMPLATES, Reason
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

# kind → how much it says about the choice
_RANK = {"conflict": CONFLICT, "absent": CONFLICT, "differs": CONFLICT}
_RANK |= {"corrected": NOTE, "ambiguous": NOTE, "alias": NOTE, "unknown": NOTE, "unread": NOTE}
_RANK |= {"missing": MISSING, "agrees": AGREEMENT, "matched": AGREEMENT}


def reason(line: str) -> tuple[int, str]:
    """One explanation line: its rank (CONFLICT … OTHER) and its text in the active
    language; for an agreement or an element left out, the element's label alone. A line
    that is no :class:`Reason` is shown as written."""
    if not isinstance(line, Reason):
        return OTHER, line
    rank = _RANK[line.kind]
    label = ELEMENT_LABELS.get(line.params["element"], line.params["element"])
    if rank in (MISSING, AGREEMENT):
        return rank, str(label)
    return rank, _(TEMPLATES[line.kind]) % {**line.params, "element": label}


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
