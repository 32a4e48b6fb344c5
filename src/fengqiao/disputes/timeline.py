"""The sentences the dispute services write into a case's timeline.

Each is a key of :data:`CASE_MESSAGES` stored on the line (``CaseEvent.message``) with
its parameters; the sentence is rendered when the line is read, in the reader's language
(see :mod:`fengqiao.core.timeline`). Parameters that are enum values are stored as values
and shown through their labels. Migration 0002 converted the sentences stored before."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from fengqiao.core.text import join_list
from fengqiao.core.timeline import Message
from fengqiao.disputes.aftercare.services import PENALTY_RULE, VisitMethod
from fengqiao.disputes.mediators.services import reasons_text
from fengqiao.disputes.models import (
    AgreementForm,
    CaseEvent,
    Consent,
    MediatorKind,
    PartyRole,
    ReferralKind,
    RiskLevel,
    Satisfaction,
    StepOutcome,
    TermStatus,
    VisitOutcome,
)
from fengqiao.disputes.risk.services import JUDICIAL_OFFICE
from fengqiao.disputes.services import EXCLUSION_RULE

RULES = {
    "people_refusal": _("人民调解法 第十七条"),
    "police_exclusion": EXCLUSION_RULE,
    "penalty": PENALTY_RULE,
}


def _rule(key: Any) -> str:
    return str(RULES.get(key, key))


def _lead(lead: Any) -> str:
    return str(_("主调解员") if lead else _("协助调解员"))  # the role is stored as lead or not


def _verdict(accepted: Any) -> str:
    return str(_("接收") if accepted else _("退回"))


def _recipients(names: Any) -> str:
    """Who was warned: officers by name and the judicial office (ours translated)."""
    names = names if isinstance(names, list) else [names]
    shown = [gettext(n) if n == JUDICIAL_OFFICE else str(n) for n in names]
    return join_list(shown)


_AGREEMENT = {"form": AgreementForm}

CASE_MESSAGES = {
    # intake and records
    "party_added": Message(_("增加当事人：%(role)s"), {"role": PartyRole}),
    "consent": Message(_("%(role)s %(consent)s"), {"role": PartyRole, "consent": Consent}),
    "refused": Message(_("当事人拒绝调解（%(rule)s）。"), {"rule": _rule}),
    "extended": Message(_("延长%(days)d天（双方同意）")),
    "session": Message(_("%(when)s 在%(place)s调解。参加人员：%(who)s")),
    "attachment": Message(_("上传材料：%(name)s（%(size)s MB）")),
    "referral": Message(_("%(kind)s至%(to)s，待接收"), {"kind": ReferralKind}),
    "referral_answered": Message(
        _("%(to)s%(verdict)s%(kind)s"), {"verdict": _verdict, "kind": ReferralKind}
    ),
    "referred": Message(_("移交%(to)s")),
    "transferred": Message(
        _("转办：责任单位由%(old)s变更为%(new)s。"),
        suffixes={"ended": _("原调解员指派已结束，请接收单位重新指派。")},
    ),
    # mediators
    "assigned": Message(
        _("指派%(role)s：%(name)s（%(kind)s）。推荐理由：%(why)s"),
        {"role": _lead, "kind": MediatorKind, "why": reasons_text},
    ),
    "assignment_ended": Message(_("结束指派：%(name)s。")),
    # agreements and aftercare
    "agreed": Message(_("达成调解协议。")),
    "agreed_again": Message(_("重新达成调解协议。")),
    "agreement": Message(
        _("%(form)s，%(n)d项条款，%(signed)s签订，%(effective)s生效。"), _AGREEMENT
    ),
    "agreement_amended": Message(
        _("修改调解协议：%(form)s，%(n)d项条款，%(signed)s签订，%(effective)s生效。"), _AGREEMENT
    ),
    "term": Message(_("条款“%(text)s”%(status)s"), {"status": TermStatus}),
    "all_performed": Message(_("协议条款全部履行完毕。")),
    "reopened": Message(
        _("协议条款未履行，重新调解，新的调解期限为%(due)s。"),
        suffixes={"dropped": _("（已取消%(dropped)d次尚未进行的回访）")},
    ),
    "reopened_after_visit": Message(
        _("回访发现%(outcome)s，重新调解，新的调解期限为%(due)s。"),
        {"outcome": VisitOutcome},
        suffixes={"dropped": _("（已取消%(dropped)d次尚未进行的回访）")},
    ),
    "to_penalty": Message(_("治安调解协议未履行，转治安处罚程序（%(rule)s）。"), {"rule": _rule}),
    "to_penalty_after_visit": Message(
        _("回访发现%(outcome)s，治安调解协议未履行，转治安处罚程序（%(rule)s）。"),
        {"outcome": VisitOutcome, "rule": _rule},
    ),
    "court_enforcement": Message(_("协议已经司法确认，当事人可以向人民法院申请强制执行。")),
    "court_action": Message(
        _("当事人可以就调解协议的履行或者内容向人民法院提起诉讼（人民调解法 第三十二条）。")
    ),
    "confirmation_applied": Message(_("%(date)s 共同向%(court)s申请司法确认。")),
    "confirmation_outcome": Message(
        _("%(court)s %(outcome)s %(number)s"),
        {"outcome": StepOutcome},
        suffixes={
            "refused": _(
                "。当事人可以通过人民调解方式变更原调解协议或者达成新的调解协议，也可以向人民法院提起诉讼。"
            )
        },
    ),
    "notarisation_applied": Message(_("%(date)s 向%(office)s申请公证。")),
    "notarisation_outcome": Message(
        _("%(office)s %(outcome)s %(number)s"), {"outcome": StepOutcome}
    ),
    "visit_missed": Message(_("%(when)s %(method)s未联系上。"), {"method": VisitMethod}),
    "visit": Message(
        _("%(when)s %(method)s：%(outcome)s，%(satisfaction)s。"),
        {"method": VisitMethod, "outcome": VisitOutcome, "satisfaction": Satisfaction},
    ),
    "police_relapse": Message(_("治安调解已结案，纠纷复发的，请作为新的警情或纠纷登记处理。")),
    # risk
    "risk_reassessed": Message(_("重新评估风险：%(score)d分（%(level)s）"), {"level": RiskLevel}),
    "risk_warned": Message(
        _("风险等级升为高（%(score)d分），已预警通知：%(who)s。"), {"who": _recipients}
    ),
    "risk_read": Message(_("%(who)s已阅风险预警。")),
}
CaseEvent.messages = CASE_MESSAGES
