"""The life of a dispute case, one table per legal track.

Both tracks: registered → accepted (mediation under way) → agreed → resolved, with
suspension, referral, withdrawal and refusal. Where they differ is the law:

* 人民调解 (人民调解法): a party who refuses ends the mediation (第十七条); a failed
  mediation closes as 调解不成 and the parties keep every other remedy (第二十六条).
* 治安调解 (公安机关治安调解工作规范): if no agreement is reached, or the agreement is not
  performed, the case goes back to the public-order penalty procedure (转治安处罚).

Anything not in the table is refused; a closed case comes back only by a failed
follow-up visit or an unperformed agreement (reopening), which the table allows."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from fengqiao.disputes.models import Status, Track

S = Status
_COMMON: dict[str, frozenset[str]] = {
    S.REGISTERED: frozenset({S.ACCEPTED, S.REFUSED, S.REFERRED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.SUSPENDED, S.AGREED, S.FAILED, S.REFUSED, S.REFERRED,
                           S.WITHDRAWN}),
    S.SUSPENDED: frozenset({S.ACCEPTED, S.FAILED, S.WITHDRAWN}),
    S.AGREED: frozenset({S.RESOLVED, S.ACCEPTED, S.FAILED}),
    S.RESOLVED: frozenset({S.ACCEPTED}),  # reopened by a failed follow-up visit
    S.FAILED: frozenset(),
    S.TO_PENALTY: frozenset(),
    S.REFUSED: frozenset(),
    S.REFERRED: frozenset(),
    S.WITHDRAWN: frozenset(),
}  # fmt: skip


def _police_track() -> dict[str, frozenset[str]]:
    """治安调解: every way of failing leads back to the penalty procedure instead."""
    table = {}
    for status, nexts in _COMMON.items():
        table[status] = frozenset(S.TO_PENALTY if n in (S.FAILED, S.REFUSED) and
                                  status != S.REGISTERED else n for n in nexts)  # fmt: skip
    # An excluded case never enters police mediation: it goes to the penalty procedure.
    table[S.REGISTERED] = table[S.REGISTERED] | {S.TO_PENALTY}
    # A resolved police-mediation case whose agreement goes unperformed returns to the
    # penalty procedure, not to another round of mediation.
    table[S.RESOLVED] = frozenset({S.TO_PENALTY})
    return table


TRANSITIONS: dict[str, dict[str, frozenset[str]]] = {
    Track.PEOPLE: _COMMON,
    Track.POLICE: _police_track(),
}

TERMINAL = frozenset(
    status for table in TRANSITIONS.values() for status, nexts in table.items() if not nexts
)

# Why each step exists, shown on the refusal when someone tries an illegal one.
TRACK_RULE: dict[str, Any] = {
    Track.PEOPLE: _("人民调解法"),
    Track.POLICE: _("公安机关治安调解工作规范"),
}


def allowed(track: str, from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(track, {}).get(from_status, frozenset())
