"""调解文书: the documents of a dispute case as printable A4 PDFs.

* 人民调解协议书 (人民调解法 第二十八、二十九条) and 治安调解协议书 (公安机关治安调解
  工作规范 第十三条): the parties' full details, the facts, the matters in dispute and each
  side's responsibility, every agreed term with its method and deadline, the effect
  clause, the number of copies (one per party plus one kept) and the signature, seal and
  thumbprint blocks;
* 人民调解申请书, from the case as registered;
* 司法确认申请书, the parties' joint application to the court (民事诉讼法 第二百零五条);
* 回访记录, the record of one follow-up visit.

The ``*_pdf`` functions only render a case the caller already fetched through the scoped
selector. :func:`print_document` is the service a download goes through: it checks the
actor works the case and records the printing in the audit log as an export of the
personal fields the document carries — a signed legal document needs every party's
full ID number and address, which no page shows unmasked.

The statutory text is Chinese whatever the user's language: the parties sign a Chinese
document. Model labels (category, role …) are rendered in the default language for the
same reason. Fonts: the shared cache of Noto Sans SC subset to the characters used
(:mod:`fengqiao.core.pdf_fonts`), so the text is real, extractable text."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from fengqiao.audit import services as audit
from fengqiao.core.pdf_fonts import FONT_FAMILY, embedded_fonts
from fengqiao.disputes import clocks
from fengqiao.disputes.models import (
    AgreementForm,
    AgreementTerm,
    DisputeCase,
    FollowUp,
    MediationAgreement,
    MediationRoom,
    Mediator,
    Party,
    PartyKind,
    PartyRole,
    Track,
)
from fengqiao.disputes.services import age_on, check_scope
from fengqiao.jurisdictions.models import Kind
from fengqiao.jurisdictions.selectors import nearest

__all__ = [
    "AGREEMENT",
    "APPLICATION",
    "CONFIRMATION",
    "FOLLOW_UP",
    "DocumentOffer",
    "PrintedDocument",
    "agreement_pdf",
    "application_pdf",
    "confirmation_pdf",
    "document_offers",
    "follow_up_pdf",
    "print_document",
]

AGREEMENT = "agreement"
APPLICATION = "application"
CONFIRMATION = "confirmation"
FOLLOW_UP = "follow_up"

# What the panel calls each document (the PDF's own title is fixed Chinese text).
LABELS: dict[str, Any] = {
    AGREEMENT: gettext_lazy("人民调解协议书"),
    APPLICATION: gettext_lazy("人民调解申请书"),
    CONFIRMATION: gettext_lazy("司法确认申请书"),
    FOLLOW_UP: gettext_lazy("回访记录"),
}
POLICE_AGREEMENT_LABEL = gettext_lazy("治安调解协议书")

PEOPLE_AGREEMENT_TITLE = "人民调解协议书"
POLICE_AGREEMENT_TITLE = "治安调解协议书"
APPLICATION_TITLE = "人民调解申请书"
CONFIRMATION_TITLE = "司法确认申请书"
FOLLOW_UP_TITLE = "回访记录"

# 人民调解法 第二十九条, word for word.
PEOPLE_EFFECT = (
    "本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。"
)
PEOPLE_BINDING = (
    "本协议具有法律约束力，当事人应当按照约定履行（《中华人民共和国人民调解法》第三十一条）。"
)
PEOPLE_CONFIRMATION_NOTE = (
    "各方当事人认为有必要的，可以自本协议生效之日起三十日内共同向人民法院申请司法确认"
    "（《中华人民共和国人民调解法》第三十三条）。"
)
POLICE_EFFECT = (
    "本协议自双方当事人及其他参加人签名（捺指印）、主持人签名并加盖治安调解机关印章之日起生效。"
)
# 治安管理处罚法 第九条: what follows performance or non-performance.
POLICE_CONSEQUENCE = (
    "经公安机关调解，当事人达成协议并履行的，对违反治安管理行为人不予处罚；达成协议后不履行的，"
    "公安机关依法对违反治安管理行为人给予处罚，当事人可以就民事争议依法向人民法院提起民事诉讼"
    "（《中华人民共和国治安管理处罚法》第九条）。"
)
CONFIRMATION_REQUEST = "请求人民法院确认上述调解协议有效。"
CONFIRMATION_PROMISE = (
    "申请人出于解决纠纷的目的自愿达成调解协议，没有恶意串通、规避法律的行为；如因该协议内容"
    "给他人造成损害的，愿意承担相应的民事责任和其他法律责任。"
)

BLANK = "________"  # a field left for the pen
# Closes the text, so nothing can be added above the signatures on a later page.
NO_MORE_TEXT = "（以下无正文）"
BLANK_DATE = "　　　　年　　月　　日"

# The personal fields each document prints, as the audit log lists them.
FULL_DETAILS = (
    "name", "gender", "birth_date", "ethnicity", "occupation", "home_address", "id_number",
    "credit_code", "representative", "guardian_name",
)  # fmt: skip
AUDIT: dict[str, tuple[tuple[str, ...], str]] = {
    AGREEMENT: (FULL_DETAILS, "打印调解协议书"),
    APPLICATION: ((*FULL_DETAILS, "phone"), "打印人民调解申请书"),
    CONFIRMATION: ((*FULL_DETAILS, "phone"), "打印司法确认申请书"),
    FOLLOW_UP: (("name",), "打印回访记录"),
}


# --- What may be printed ---------------------------------------------------------------


def _agreement_of(case: DisputeCase) -> MediationAgreement | None:
    try:
        return case.agreement
    except MediationAgreement.DoesNotExist:
        return None


def _agreement_problem(case: DisputeCase) -> str:
    agreement = _agreement_of(case)
    if agreement is None:
        return _("本案尚未登记调解协议，不能制作调解协议书。")
    if agreement.form != AgreementForm.WRITTEN:
        return _(
            "本案为口头协议，协议内容记入调解记录，不制作调解协议书（人民调解法 第二十八条）。"
        )
    if not agreement.terms.exists():
        return _("书面调解协议须写明协议内容及履行方式、期限，该协议还没有任何条款。")
    return ""


def _application_problem(case: DisputeCase) -> str:
    if case.track != Track.PEOPLE:
        return _("治安调解不使用人民调解申请书。")
    if not case.parties.filter(role=PartyRole.APPLICANT).exists():
        return _("本案没有登记申请人，不能生成申请书。")
    return ""


def _application_day(agreement: MediationAgreement) -> dt.date:
    confirmation = getattr(agreement, "confirmation", None)
    return confirmation.applied_on if confirmation is not None else timezone.localdate()


def _confirmation_problem(case: DisputeCase) -> str:
    if case.track != Track.PEOPLE:
        return _("司法确认适用于人民调解协议，治安调解协议不能申请司法确认。")
    problem = _agreement_problem(case)
    if problem:
        return problem
    agreement = case.agreement
    due = clocks.confirmation_due(agreement.effective_on)
    if _application_day(agreement) > due:
        return _(
            "调解协议于%(effective)s生效，申请司法确认的期限已于%(due)s届满"
            "（民事诉讼法 第二百零五条：自调解协议生效之日起三十日内），不能再制作申请书。"
        ) % {"effective": agreement.effective_on.isoformat(), "due": due.isoformat()}
    return ""


def _follow_up_problem(follow_up: FollowUp) -> str:
    if follow_up.done_at is None:
        return _("该回访尚未记录结果，不能打印回访记录。")
    return ""


def _refuse(problem: str) -> None:
    if problem:
        raise ValidationError(problem)


@dataclass(frozen=True)
class DocumentOffer:
    """One document the case page offers: printable now, or the reason it is not."""

    kind: str
    label: str
    problem: str = ""

    @property
    def available(self) -> bool:
        return not self.problem


def document_offers(case: DisputeCase) -> list[DocumentOffer]:
    """The case's documents for its track — the application, the agreement and the
    judicial-confirmation application of people's mediation; the police agreement —
    each with the reason it cannot be printed yet, if any. Follow-up records are offered
    one per recorded visit by the caller."""
    if case.track == Track.POLICE:
        return [DocumentOffer(AGREEMENT, str(POLICE_AGREEMENT_LABEL), _agreement_problem(case))]
    return [
        DocumentOffer(APPLICATION, str(LABELS[APPLICATION]), _application_problem(case)),
        DocumentOffer(AGREEMENT, str(LABELS[AGREEMENT]), _agreement_problem(case)),
        DocumentOffer(CONFIRMATION, str(LABELS[CONFIRMATION]), _confirmation_problem(case)),
    ]


# --- The documents as blocks of text ---------------------------------------------------


@dataclass
class _Text:
    text: str
    bold: bool = False
    size: float = 11.0
    align: str = "L"  # L, C, R
    gap: float = 0.0  # millimetres above


@dataclass
class _Signer:
    who: str  # "申请人：张三"
    how: str  # "签名或按指印："
    date: str = BLANK_DATE


@dataclass
class _Signatures:
    title: str
    signers: list[_Signer] = field(default_factory=list)


@dataclass
class _Document:
    title: str
    code: str
    blocks: list[_Text | _Signatures] = field(default_factory=list)

    def heading(self, text: str) -> None:
        self.blocks.append(_Text(text, bold=True, size=11.5, gap=3.0))

    def line(self, text: str, *, align: str = "L", gap: float = 0.0, bold: bool = False) -> None:
        self.blocks.append(_Text(text, align=align, gap=gap, bold=bold))

    def paragraph(self, text: str) -> None:
        self.blocks.append(_Text("　　" + text))

    def all_text(self) -> str:
        parts = [self.title, self.code, _footer(self.code, 99, 99)]
        for block in self.blocks:
            if isinstance(block, _Text):
                parts.append(block.text)
            else:
                parts.append(block.title)
                parts += [s.who + s.how + s.date for s in block.signers]
        return string.printable + "".join(parts)


def _footer(code: str, page: int | str, pages: int | str) -> str:
    return f"案号 {code}　第 {page} / {pages} 页"


_CN_DIGITS = "零一二三四五六七八九"


def _cn(number: int) -> str:
    """1 → 一, 12 → 十二, 23 → 二十三: how 一式三份 and 第十二项 are written."""
    if 0 <= number < 10:
        return _CN_DIGITS[number]
    if number < 100:
        tens, ones = divmod(number, 10)
        return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")
    return str(number)


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _moment(at: dt.datetime) -> str:
    local = timezone.localtime(at)
    return f"{_date(local.date())} {local.hour}时{local.minute:02d}分"


def _filled(value: Any) -> str:
    text = str(value or "").strip()
    return text or BLANK


def _gender(party: Party) -> str:
    if party.gender:
        return party.gender
    # The 17th digit of an 18-digit ID number is odd for men, even for women.
    if len(party.id_number) == 18 and party.id_number[16].isdigit():
        return "男" if int(party.id_number[16]) % 2 else "女"
    return BLANK


def _details(party: Party, *, on: dt.date, phone: bool) -> str:
    """A party's basic details (当事人的基本情况) as one sentence, blanks for the pen
    where nothing was recorded: a signed legal document needs them all."""
    if party.kind == PartyKind.ORGANISATION:
        parts = [
            f"名称：{party.name}",
            f"统一社会信用代码：{_filled(party.credit_code)}",
            f"法定代表人或主要负责人：{_filled(party.representative)}",
            f"住所：{_filled(party.home_address)}",
        ]
    else:
        birth = BLANK
        if party.birth_date:
            birth = f"{_date(party.birth_date)}（{age_on(party.birth_date, on)}岁）"
        parts = [
            f"姓名：{party.name}",
            f"性别：{_gender(party)}",
            f"出生日期：{birth}",
            f"民族：{_filled(party.ethnicity)}",
            f"职业：{_filled(party.occupation)}",
            f"住所：{_filled(party.home_address)}",
            f"公民身份号码：{_filled(party.id_number)}",
        ]
        if party.representative:
            parts.append(f"委托代理人：{party.representative}")
        if party.guardian_name:
            present = "，到场" if party.guardian_present else ""
            parts.append(f"监护人：{party.guardian_name}{present}")
    if phone:
        parts.append(f"联系电话：{_filled(party.phone)}")
    return "；".join(parts) + "。"


def _add_parties(doc: _Document, parties: Sequence[Party], *, on: dt.date, phone: bool,
                 label: str = "") -> None:  # fmt: skip
    for party in parties:
        doc.line(f"{label or party.get_role_display()}：{party.name}", bold=True, gap=1.0)
        doc.paragraph(_details(party, on=on, phone=phone))


def _sides(parties: Sequence[Party]) -> str:
    return "双方" if len(parties) == 2 else "各方"


def _term_lines(doc: _Document, terms: Sequence[AgreementTerm], *, police: bool) -> None:
    for number, term in enumerate(terms, start=1):
        doc.paragraph(f"（{_cn(number)}）{term.text}")
        obligor = term.obligor.name if term.obligor else "各方当事人"
        due = f"{_date(term.due_on)}前"
        if police:
            doc.paragraph(f"履行人：{obligor}；履行期限：{due}；履行方式：{term.method}。")
        else:
            doc.paragraph(f"履行人：{obligor}；履行方式：{term.method}；履行期限：{due}。")


def _term_summary(terms: Sequence[AgreementTerm], *, status: bool = False) -> list[str]:
    lines = []
    for number, term in enumerate(terms, start=1):
        obligor = term.obligor.name if term.obligor else "各方当事人"
        state = f"，{term.get_status_display()}" if status else ""
        lines.append(
            f"{number}. {term.text}（{obligor}，{term.method}，{_date(term.due_on)}前履行{state}）"
        )
    return lines


def _mediators(case: DisputeCase) -> list[Mediator]:
    """The mediators on the case, lead first: those still assigned, else whoever was."""
    assignments = case.assignments.select_related("mediator").order_by("-lead", "created_at")
    current = [a.mediator for a in assignments if a.ended_at is None]
    chosen = current or [a.mediator for a in assignments]
    return list(dict.fromkeys(chosen))


def _committee(case: DisputeCase) -> str:
    """The body that mediates: the agreement's, else the committee of the nearest
    mediation room (or, on the police track, the station)."""
    agreement = _agreement_of(case)
    if agreement is not None and agreement.committee:
        return agreement.committee
    if case.track == Track.POLICE:
        station = nearest(case.jurisdiction, (Kind.STATION,))
        return station.name if station else case.jurisdiction.name
    units = [case.jurisdiction_id, *case.jurisdiction.ancestor_ids]
    room = (
        MediationRoom.objects.filter(jurisdiction_id__in=units)
        .order_by("-jurisdiction__depth", "pk")
        .first()
    )
    return (room.committee or room.name) if room else ""


def _people_agreement(case: DisputeCase, agreement: MediationAgreement,
                      parties: list[Party], terms: list[AgreementTerm]) -> _Document:  # fmt: skip
    doc = _Document(PEOPLE_AGREEMENT_TITLE, case.code)
    committee = agreement.committee or BLANK
    doc.line(f"案号：{case.code}", align="R")
    doc.line(f"人民调解委员会：{committee}")
    doc.heading("一、当事人的基本情况")
    _add_parties(doc, parties, on=agreement.signed_on, phone=False)
    doc.heading("二、纠纷的主要事实、争议事项以及各方当事人的责任")
    doc.line("纠纷主要事实：", bold=True)
    doc.paragraph(agreement.facts)
    doc.line("争议事项：", bold=True)
    doc.paragraph(agreement.matters)
    doc.line("各方当事人的责任：", bold=True)
    doc.paragraph(agreement.responsibilities)
    doc.heading("三、当事人达成调解协议的内容，履行的方式、期限")
    doc.paragraph(f"经{committee}调解，{_sides(parties)}当事人自愿达成如下协议：")
    _term_lines(doc, terms, police=False)
    doc.heading("四、其他事项")
    doc.paragraph(PEOPLE_BINDING)
    doc.paragraph(PEOPLE_CONFIRMATION_NOTE)
    doc.paragraph(PEOPLE_EFFECT)
    doc.paragraph(f"本协议一式{_cn(len(parties) + 1)}份，当事人各执一份，人民调解委员会留存一份。")
    doc.line(NO_MORE_TEXT, align="C", gap=1.0)
    signatures = _Signatures("当事人签名")
    signatures.signers = [
        _Signer(f"{p.get_role_display()}：{p.name}", "签名、盖章或按指印：") for p in parties
    ]
    doc.blocks.append(signatures)
    mediators = _mediators(case)
    doc.blocks.append(
        _Signatures(
            "人民调解员签名",
            [_Signer(f"人民调解员：{m.name}", "签名：") for m in mediators]
            or [_Signer(f"人民调解员：{BLANK}", "签名：")],
        )
    )
    doc.line("人民调解委员会（印章）", align="R", gap=8.0, bold=True)
    doc.line(committee, align="R")
    doc.line(_date(agreement.signed_on), align="R")
    return doc


def _police_agreement(case: DisputeCase, agreement: MediationAgreement,
                      parties: list[Party], terms: list[AgreementTerm]) -> _Document:  # fmt: skip
    doc = _Document(POLICE_AGREEMENT_TITLE, case.code)
    organ = agreement.committee or _committee(case) or BLANK
    hosts = _mediators(case)
    sides = _sides(parties)
    doc.line(f"案号：{case.code}", align="R")
    doc.heading("一、治安调解机关名称、主持人、当事人和其他在场人员的基本情况")
    doc.line(f"治安调解机关：{organ}")
    doc.line(f"主持人：{'、'.join(m.name for m in hosts) or BLANK}")
    _add_parties(doc, parties, on=agreement.signed_on, phone=False)
    guardians = [p for p in parties if p.guardian_name]
    present = [
        f"{p.guardian_name}（{p.name}的监护人{'，到场' if p.guardian_present else ''}）"
        for p in guardians
    ]
    doc.line(f"其他在场人员：{'；'.join(present) or BLANK}", gap=1.0)
    doc.heading("二、案件发生时间、地点、人员、起因、经过、情节、结果等情况")
    incident = case.source_incident
    occurred = (incident.occurred_at or incident.received_at) if incident else None
    doc.paragraph(f"发生时间：{_moment(occurred) if occurred else BLANK}")
    doc.paragraph(f"发生地点：{_filled(case.location_text or case.address)}")
    doc.paragraph(f"涉及人员：{'、'.join(p.name for p in parties)}")
    doc.paragraph(f"违反治安管理行为：{_filled(case.offence)}")
    doc.paragraph(f"起因、经过、情节、结果：{agreement.facts}")
    doc.paragraph(f"争议事项：{agreement.matters}")
    doc.paragraph(f"各方责任：{agreement.responsibilities}")
    doc.heading("三、协议内容、履行期限和方式")
    doc.paragraph(f"经{organ}主持调解，{sides}当事人自愿达成如下协议：")
    _term_lines(doc, terms, police=True)
    doc.heading("四、其他事项")
    doc.paragraph(POLICE_CONSEQUENCE)
    doc.paragraph(POLICE_EFFECT)
    doc.paragraph(
        f"本协议书一式{_cn(len(parties) + 1)}份，{sides}当事人各执一份，治安调解机关留存一份备查。"
    )
    doc.line(NO_MORE_TEXT, align="C", gap=1.0)
    doc.blocks.append(
        _Signatures(
            "主持人签名",
            [_Signer(f"主持人：{m.name}", "签名：") for m in hosts]
            or [_Signer(f"主持人：{BLANK}", "签名：")],
        )
    )
    doc.blocks.append(
        _Signatures(
            "当事人签名",
            [_Signer(f"{p.get_role_display()}：{p.name}", "签名（捺指印）：") for p in parties],
        )
    )
    doc.blocks.append(
        _Signatures(
            "其他参加人签名",
            [_Signer(f"其他参加人：{p.guardian_name}", "签名（捺指印）：") for p in guardians]
            or [_Signer(f"其他参加人：{BLANK}", "签名（捺指印）：")],
        )
    )
    doc.line("治安调解机关（印章）", align="R", gap=8.0, bold=True)
    doc.line(organ, align="R")
    doc.line(_date(agreement.signed_on), align="R")
    return doc


def _application(case: DisputeCase) -> _Document:
    doc = _Document(APPLICATION_TITLE, case.code)
    day = clocks.local_date(case.registered_at)
    parties = list(case.parties.all())
    committee = _committee(case)
    doc.line(f"案号：{case.code}", align="R")
    doc.heading("当事人基本情况")
    _add_parties(doc, parties, on=day, phone=True)
    if not any(p.role == PartyRole.RESPONDENT for p in parties):
        doc.line(f"被申请人：{BLANK}", bold=True, gap=1.0)
    category = case.get_category_display()
    doc.heading("纠纷事实及申请事项")
    facts = f"纠纷类别：{category}；发生地点：{_filled(case.location_text or case.address)}"
    if case.amount is not None:
        facts += f"；涉及金额：{case.amount}元"
    doc.paragraph(facts + "。")
    doc.line("纠纷事实：", bold=True)
    doc.paragraph(case.narrative)
    doc.line("申请事项：", bold=True)
    doc.paragraph(
        f"请求{committee or BLANK}依法主持调解，化解申请人与被申请人之间的{category}纠纷。"
    )
    doc.paragraph("申请人自愿申请人民调解，所述事实真实。")
    doc.line("此致", gap=3.0)
    doc.line(committee or f"{BLANK}人民调解委员会")
    doc.blocks.append(
        _Signatures(
            "申请人签名",
            [
                _Signer(f"申请人：{p.name}", "签名或按指印：", _date(day))
                for p in parties
                if p.role == PartyRole.APPLICANT
            ],
        )
    )
    return doc


def _confirmation(case: DisputeCase, agreement: MediationAgreement,
                  parties: list[Party], terms: list[AgreementTerm]) -> _Document:  # fmt: skip
    doc = _Document(CONFIRMATION_TITLE, case.code)
    day = _application_day(agreement)
    confirmation = getattr(agreement, "confirmation", None)
    court = confirmation.court if confirmation is not None else ""
    due = clocks.confirmation_due(agreement.effective_on)
    doc.line(f"案号：{case.code}", align="R")
    doc.heading("申请人基本情况")
    _add_parties(doc, parties, on=day, phone=True, label="申请人")
    doc.heading("调解协议")
    doc.paragraph(
        f"申请人之间因{case.get_category_display()}纠纷，于{_date(agreement.signed_on)}经"
        f"{agreement.committee}主持调解，达成调解协议，该协议于{_date(agreement.effective_on)}"
        "生效。协议的主要内容如下："
    )
    for line in _term_summary(terms):
        doc.paragraph(line)
    doc.heading("请求事项")
    doc.paragraph(CONFIRMATION_REQUEST)
    doc.heading("事实和理由")
    doc.paragraph(
        "申请人于调解协议生效之日起三十日内共同向人民法院提出本申请"
        f"（《中华人民共和国民事诉讼法》第二百零五条），申请期限至{_date(due)}。"
    )
    doc.paragraph(CONFIRMATION_PROMISE)
    doc.line("此致", gap=3.0)
    doc.line(court or f"{BLANK}人民法院")
    doc.blocks.append(
        _Signatures(
            "申请人签名",
            [_Signer(f"申请人：{p.name}", "签名（盖章）或按指印：", _date(day)) for p in parties],
        )
    )
    return doc


def _follow_up(case: DisputeCase, visit: FollowUp) -> _Document:
    doc = _Document(FOLLOW_UP_TITLE, case.code)
    parties = list(case.parties.all())
    agreement = _agreement_of(case)
    doc.line(f"案号：{case.code}", align="R")
    doc.heading("纠纷情况")
    doc.paragraph(
        f"纠纷类别：{case.get_category_display()}；调解类型：{case.get_track_display()}；"
        f"当前状态：{case.get_status_display()}。"
    )
    doc.paragraph(
        "当事人：" + "；".join(f"{p.get_role_display()} {p.name}" for p in parties) + "。"
    )
    doc.heading("调解协议")
    if agreement is None:
        doc.paragraph("本案未登记调解协议。")
    else:
        terms = list(agreement.terms.select_related("obligor"))
        doc.paragraph(
            f"{_date(agreement.signed_on)}达成{agreement.get_form_display()}，共{len(terms)}项："
        )
        for line in _term_summary(terms, status=True):
            doc.paragraph(line)
    doc.heading("回访情况")
    done_at = visit.done_at
    visitor = visit.visitor.full_name if visit.visitor else ""
    for label, value in (
        ("计划回访日期", _date(visit.due_on)),
        ("回访时间", _moment(done_at) if done_at else BLANK),
        ("回访方式", _filled(visit.method)),
        ("回访人", _filled(visitor)),
        ("回访结果", _filled(visit.get_outcome_display())),
        ("满意度", _filled(visit.get_satisfaction_display())),
    ):
        doc.paragraph(f"{label}：{value}")
    doc.line("回访记录：", bold=True)
    doc.paragraph(visit.note or "无")
    day = _date(clocks.local_date(done_at)) if done_at else BLANK_DATE
    visitor_row = _Signer(f"回访人：{_filled(visitor)}", "签名：", day)
    doc.blocks.append(_Signatures("回访人签名", [visitor_row]))
    doc.blocks.append(
        _Signatures(
            "被回访人签名",
            [_Signer(f"{p.get_role_display()}：{p.name}", "签名或按指印：") for p in parties],
        )
    )
    return doc


# --- The PDFs --------------------------------------------------------------------------


def _written_agreement(case: DisputeCase) -> tuple[MediationAgreement, list[Party],
                                                    list[AgreementTerm]]:  # fmt: skip
    _refuse(_agreement_problem(case))
    agreement = case.agreement
    return (
        agreement,
        list(case.parties.all()),
        list(agreement.terms.select_related("obligor")),
    )


def agreement_pdf(case: DisputeCase) -> bytes:
    """人民调解协议书, or 治安调解协议书 for a police-track case. Refused (ValidationError)
    without a written agreement that has terms."""
    agreement, parties, terms = _written_agreement(case)
    with translation.override(settings.LANGUAGE_CODE):
        build = _police_agreement if case.track == Track.POLICE else _people_agreement
        return _render(build(case, agreement, parties, terms))


def application_pdf(case: DisputeCase) -> bytes:
    """人民调解申请书 from the case as registered: the applicants, the respondents, the
    facts and what is asked, the applicants' signatures dated the day of intake."""
    _refuse(_application_problem(case))
    with translation.override(settings.LANGUAGE_CODE):
        return _render(_application(case))


def confirmation_pdf(case: DisputeCase) -> bytes:
    """司法确认申请书: every party as a joint applicant, the agreement and its terms, the
    request, the statement that it is made within 30 days of the agreement taking effect
    — refused once those 30 days are over."""
    _refuse(_confirmation_problem(case))
    agreement, parties, terms = _written_agreement(case)
    with translation.override(settings.LANGUAGE_CODE):
        return _render(_confirmation(case, agreement, parties, terms))


def follow_up_pdf(follow_up: FollowUp) -> bytes:
    """回访记录 of one recorded visit: the case, the parties by name, the agreement and
    how its terms stand, the visit and its outcome, signature lines."""
    _refuse(_follow_up_problem(follow_up))
    with translation.override(settings.LANGUAGE_CODE):
        return _render(_follow_up(follow_up.case, follow_up))


PAGE_W = 210.0
MARGIN = 20.0
WIDTH = PAGE_W - 2 * MARGIN
INK = (15, 15, 15)
MUTED = (95, 105, 115)
# The signature row: who, how, the line to sign on, the date.
WHO_W, HOW_W, LINE_W = 54.0, 42.0, 36.0
ROW_H = 9.0
DATE_W = WIDTH - WHO_W - HOW_W - LINE_W


class _DocumentPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(FONT_FAMILY, "", 8.5)
        self.set_text_color(*MUTED)
        self.cell(WIDTH, 5, self.footer_text.replace("{page}", str(self.page_no())), align="C")


def _render(doc: _Document) -> bytes:
    pdf = _DocumentPDF(orientation="portrait", unit="mm", format="A4")
    pdf.footer_text = _footer(doc.code, "{page}", "{nb}")
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.set_title(f"{doc.title} {doc.code}")
    pdf.set_creator("Fengqiao")
    pdf.set_lang("zh-CN")
    with embedded_fonts(pdf, doc.all_text()):
        pdf.add_page()
        pdf.set_text_color(*INK)
        pdf.set_font(FONT_FAMILY, "B", 20)
        pdf.cell(WIDTH, 12, doc.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(3)
        for block in doc.blocks:
            if isinstance(block, _Text):
                _draw_text(pdf, block)
            else:
                _draw_signatures(pdf, block)
        return bytes(pdf.output())


# Chinese line breaking (避头尾): closing punctuation never starts a line — it hangs in
# the margin instead — and an opening bracket never ends one. A run of Latin letters
# and digits (an ID number, a credit code, a blank) is kept whole when it fits a line.
_NO_START = frozenset("，。、；：？！）》」』”’】〕…,.;:?!)]%")
_NO_END = frozenset("（《「『“‘【〔([")
_TOKEN = re.compile(r"[0-9A-Za-z_./@+\-]+|.", re.DOTALL)


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """``text`` broken into lines no wider than ``width`` at the current font."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        tokens: list[str] = []
        for token in _TOKEN.findall(paragraph):
            tokens += list(token) if pdf.get_string_width(token) > width else [token]
        line, line_width = "", 0.0
        for token in tokens:
            token_width = pdf.get_string_width(token)
            if line and line_width + token_width > width and token not in _NO_START:
                carry = ""
                while len(line) > 1 and line[-1] in _NO_END:
                    line, carry = line[:-1], line[-1] + carry
                lines.append(line)
                line, line_width = carry, pdf.get_string_width(carry)
            line += token
            line_width += token_width
        lines.append(line)
    return lines


def _draw_text(pdf: FPDF, block: _Text) -> None:
    if block.gap:
        pdf.ln(block.gap)
    pdf.set_font(FONT_FAMILY, "B" if block.bold else "", block.size)
    for line in _wrap(pdf, block.text, WIDTH):
        pdf.cell(
            WIDTH, block.size * 0.62, line, align=block.align,
            new_x=XPos.LMARGIN, new_y=YPos.NEXT,
        )  # fmt: skip


def _draw_who(pdf: FPDF, text: str, x: float, y: float) -> None:
    """The signer's role and name in the row's first column: one line at 11 pt, else
    two lines, as large as fit (a company's full name is never cut)."""
    pdf.set_font(FONT_FAMILY, "", 11)
    if pdf.get_string_width(text) <= WHO_W - 1:
        pdf.set_xy(x, y)
        pdf.cell(WHO_W, ROW_H, text)
        return
    size = 10.0
    while True:
        pdf.set_font(FONT_FAMILY, "", size)
        lines = _wrap(pdf, text, WHO_W - 1)
        if len(lines) <= 2 or size <= 6:
            break
        size -= 0.5
    height = size * 0.45
    top = y + (ROW_H - len(lines) * height) / 2
    for index, line in enumerate(lines):
        pdf.set_xy(x, top + index * height)
        pdf.cell(WHO_W, height, line)


def _draw_signatures(pdf: FPDF, block: _Signatures) -> None:
    # A heading never stands alone at the foot of a page.
    if pdf.will_page_break(24):
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(FONT_FAMILY, "B", 11.5)
    pdf.cell(WIDTH, 7, block.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    for signer in block.signers:
        if pdf.will_page_break(ROW_H + 3):
            pdf.add_page()
        y = pdf.get_y() + 2
        _draw_who(pdf, signer.who, MARGIN, y)
        pdf.set_xy(MARGIN + WHO_W, y)
        size = 10.5
        pdf.set_font(FONT_FAMILY, "", size)
        while size > 7 and pdf.get_string_width(signer.how) > HOW_W - 2:
            size -= 0.5
            pdf.set_font(FONT_FAMILY, "", size)
        pdf.cell(HOW_W, ROW_H, signer.how, align="R")
        x = pdf.get_x()
        pdf.set_draw_color(*INK)
        pdf.set_line_width(0.3)
        pdf.line(x + 1, y + ROW_H - 1, x + LINE_W - 1, y + ROW_H - 1)
        pdf.set_x(x + LINE_W)
        pdf.set_font(FONT_FAMILY, "", 10.5)
        pdf.cell(DATE_W, ROW_H, signer.date, align="R")
        pdf.set_xy(MARGIN, y + ROW_H + 2)


# --- The service -----------------------------------------------------------------------


@dataclass(frozen=True)
class PrintedDocument:
    """A document ready to download: the PDF and its names."""

    kind: str
    title: str
    filename: str  # ASCII only, for the plain ``filename`` parameter
    display_name: str  # the Chinese name, sent as ``filename*``
    content: bytes

    @property
    def content_disposition(self) -> str:
        """``attachment`` with an ASCII name and the UTF-8 Chinese one (RFC 6266)."""
        return (
            f'attachment; filename="{self.filename}"; '
            f"filename*=UTF-8''{quote(self.display_name, safe='')}"
        )


_FILENAMES = {
    AGREEMENT: "mediation-agreement",
    APPLICATION: "mediation-application",
    CONFIRMATION: "judicial-confirmation-application",
    FOLLOW_UP: "follow-up-record",
}


@transaction.atomic
def print_document(*, actor: Any, case: DisputeCase, kind: str,
                   follow_up: FollowUp | None = None) -> PrintedDocument:  # fmt: skip
    """打印文书: the PDF of document ``kind`` of ``case`` (fetched by the caller through
    the scoped selector), for someone who works the case. The printed document carries
    the parties' full personal details, so it is recorded in the audit log as an export
    of those fields, with the parties printed and the reason. A document the case does
    not support yet is refused with the reason (ValidationError) and not recorded."""
    check_scope(actor, case)
    if kind == FOLLOW_UP:
        if follow_up is None or follow_up.case_id != case.pk:
            raise ValidationError(_("请选择本案的一次回访。"))
        content = follow_up_pdf(follow_up)
        title = FOLLOW_UP_TITLE
        suffix = f"-{follow_up.due_on.isoformat()}"
    elif kind == AGREEMENT:
        content = agreement_pdf(case)
        title = POLICE_AGREEMENT_TITLE if case.track == Track.POLICE else PEOPLE_AGREEMENT_TITLE
        suffix = ""
    elif kind == APPLICATION:
        content, title, suffix = application_pdf(case), APPLICATION_TITLE, ""
    elif kind == CONFIRMATION:
        content, title, suffix = confirmation_pdf(case), CONFIRMATION_TITLE, ""
    else:
        raise ValidationError(_("未知的文书类型。"))
    prefix = _FILENAMES[kind]
    if kind == AGREEMENT and case.track == Track.POLICE:
        prefix = "police-" + prefix
    fields, reason = AUDIT[kind]
    if kind == AGREEMENT and case.track == Track.POLICE:
        reason = "打印治安调解协议书"
    audit.record(
        actor=actor,
        action="export",
        obj=case,
        object_ids=[f"party:{pk}" for pk in case.parties.values_list("pk", flat=True)],
        fields=fields,
        reason=reason,
    )
    return PrintedDocument(
        kind=kind,
        title=title,
        filename=f"{prefix}-{case.code}{suffix}.pdf",
        display_name=f"{title}-{case.code}{suffix}.pdf",
        content=content,
    )
