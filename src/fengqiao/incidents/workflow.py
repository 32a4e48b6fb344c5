"""The handling state machine of an incident (接处警), as one table.

received → dispatched → on scene → handled → closed, with the branches the issue names:
linked to 120/119, registered as a case (立案), handed to dispute mediation, transferred
to another unit, invalid. Anything not in the table is refused; going back is only
possible through a correction (:func:`fengqiao.incidents.services.correct_status`)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fengqiao.incidents.models import Status

S = Status
TRANSITIONS: dict[str, frozenset[str]] = {
    S.RECEIVED: frozenset({S.DISPATCHED, S.LINKED, S.HANDLED, S.TO_DISPUTE, S.TRANSFERRED,
                           S.INVALID}),
    S.DISPATCHED: frozenset({S.ON_SCENE, S.LINKED, S.TRANSFERRED, S.INVALID}),
    S.ON_SCENE: frozenset({S.HANDLED, S.LINKED, S.CASE_REGISTERED, S.TO_DISPUTE,
                           S.TRANSFERRED}),
    S.LINKED: frozenset({S.ON_SCENE, S.HANDLED, S.TRANSFERRED}),
    S.HANDLED: frozenset({S.CLOSED, S.CASE_REGISTERED, S.TO_DISPUTE}),
    S.CASE_REGISTERED: frozenset({S.CLOSED}),
    S.TO_DISPUTE: frozenset({S.CLOSED}),
    S.TRANSFERRED: frozenset(),
    S.INVALID: frozenset(),
    S.CLOSED: frozenset(),
}  # fmt: skip

TERMINAL = frozenset(status for status, nexts in TRANSITIONS.items() if not nexts)

# What the reporter reads on the public page for each status: plain words, nobody named.
PUBLIC_WORDING: dict[str, Promise] = {
    S.RECEIVED: _("您的报警已登记，正在安排民警处理。"),
    S.DISPATCHED: _("已安排民警前往处理。"),
    S.ON_SCENE: _("民警已到达现场。"),
    S.LINKED: _("已联系120/119等部门共同处置。"),
    S.HANDLED: _("现场已处置完毕，正在整理办结。"),
    S.CASE_REGISTERED: _("已依法立案侦查。"),
    S.TO_DISPUTE: _("已转交矛盾纠纷调解。"),
    S.TRANSFERRED: _("已移交其他单位办理。"),
    S.INVALID: _("经核实，该警情不需要公安机关处理。"),
    S.CLOSED: _("已办结。"),
}


def allowed(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())
