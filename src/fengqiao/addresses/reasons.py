"""Why an address was ranked (匹配说明): one :class:`Reason` a line.

A reason is a ``str`` — its Chinese sentence, as the API and the logs show it — that also
keeps its kind and parameters, so that a page renders it in the reader's language from the
same template (``fengqiao.addresses.explain``) instead of reading the sentence back. Pure
Python: the resolver and the matcher import it without Django."""

from __future__ import annotations

from typing import Any


def gettext_noop(message: str) -> str:
    """Marks a template for the catalogue (makemessages finds it by this name)."""
    return message


# kind → its Chinese template. ``element`` is the element's Chinese label (门牌, 楼栋…);
# values (names, numbers) are data and stay as written.
TEMPLATES: dict[str, str] = {
    "conflict": gettext_noop("%(element)s不符：输入%(typed)s，标准地址为%(value)s"),
    "absent": gettext_noop("%(element)s：标准地址无此项（输入%(typed)s）"),
    "differs": gettext_noop("%(element)s不符"),
    "corrected": gettext_noop("%(element)s“%(value)s”由“%(typed)s”纠正"),
    "ambiguous": gettext_noop("%(element)s“%(value)s”由“%(typed)s”识别（同名多处）"),
    "alias": gettext_noop("%(element)s“%(value)s”由简称“%(typed)s”识别"),
    "unknown": gettext_noop("%(element)s“%(value)s”不在标准地址库中，未作限定"),
    "unread": gettext_noop("未识别：%(text)s"),
    # shown by the pages as the element's name alone, in one grouped line
    "missing": "%(element)s未写明",
    "agrees": "%(element)s一致",
    "matched": "%(element)s：%(value)s",
}


class Reason(str):
    kind: str
    params: dict[str, Any]

    def __new__(cls, kind: str, element: str = "", **params: Any) -> Reason:
        params = {"element": element, **params}
        reason = super().__new__(cls, TEMPLATES[kind] % params)
        reason.kind = kind
        reason.params = params
        return reason
