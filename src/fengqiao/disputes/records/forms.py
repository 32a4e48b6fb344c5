"""Forms of the case page's mediation record (sessions, attachments, hand-offs) and of
what follows the agreement (the agreement and its terms, performance, judicial
confirmation, notarisation, follow-up visits).

They parse what was typed; the rules belong to :mod:`fengqiao.disputes.records.services` and
:mod:`fengqiao.disputes.aftercare.services` and come back as their errors. Each form has its own
``auto_id`` so several forms on one page never share an element id."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.text import join_list
from fengqiao.disputes.aftercare import services as aftercare
from fengqiao.disputes.models import (
    TEXT_MAX_LENGTH,
    AgreementForm,
    AgreementTerm,
    DisputeCase,
    MediationAgreement,
    MediationSession,
    Mediator,
    ReferralKind,
    Satisfaction,
    StepOutcome,
    TermStatus,
    Track,
    VisitOutcome,
)
from fengqiao.disputes.records import services as records
from fengqiao.jurisdictions.models import Jurisdiction

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=DATE_FORMAT)


def _datetime_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local", "step": 60},
                               format=DATETIME_FORMAT)  # fmt: skip


def _now_to_the_minute() -> dt.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class PanelForm(forms.Form):
    """A form of the case page: ids prefixed with ``id_prefix`` (and the object's pk
    for forms repeated per row), and ``target`` naming the row it belongs to."""

    id_prefix = "rec"

    def __init__(self, *args: Any, target: int | None = None, **kwargs: Any) -> None:
        suffix = f"{target}_" if target is not None else ""
        kwargs.setdefault("auto_id", f"{self.id_prefix}_{suffix}%s")
        super().__init__(*args, **kwargs)
        self.target = target


# --- the mediation record ---------------------------------------------------------------


class MediatorField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Mediator) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class SessionForm(PanelForm):
    """调解记录: one sitting."""

    id_prefix = "session"
    held_at = forms.DateTimeField(
        label=_("调解时间"), initial=_now_to_the_minute, widget=_datetime_widget()
    )
    place = forms.CharField(label=_("地点"), max_length=200)
    attendees = forms.CharField(
        label=_("参加人员"), max_length=1000, widget=_textarea(2),
        help_text=_("当事人、调解员、记录人、其他到场人员"),
    )  # fmt: skip
    summary = forms.CharField(label=_("调解情况"), max_length=TEXT_MAX_LENGTH, widget=_textarea(5))
    mediator = MediatorField(
        label=_("调解员"), queryset=Mediator.objects.none(), required=False,
        empty_label=_("（不指定）"),
    )  # fmt: skip

    def __init__(self, *args: Any, case: DisputeCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mediator"].queryset = Mediator.objects.filter(  # type: ignore[attr-defined]
            assignments__case=case
        ).distinct()
        if not self.is_bound and case.jurisdiction_id:
            room = case.jurisdiction.mediation_rooms.first()
            if room is not None:
                self.initial.setdefault("place", room.place or room.name)


class AttachmentForm(PanelForm):
    """证据材料: a file and what it is."""

    id_prefix = "attachment"
    file = forms.FileField(label=_("文件"), allow_empty_file=False)
    description = forms.CharField(label=_("说明"), max_length=200, required=False)
    session = forms.ModelChoiceField(
        label=_("对应调解记录"), queryset=MediationSession.objects.none(), required=False,
        empty_label=_("（无）"),
    )  # fmt: skip

    def __init__(self, *args: Any, case: DisputeCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = case.sessions.order_by("-held_at")  # type: ignore[attr-defined]
        self.fields["file"].help_text = _(
            "单个文件不超过 %(limit)s MB。可上传：%(types)s（按文件内容识别格式）。"
            "不接收可执行程序和脚本。"
        ) % {
            "limit": records.megabytes(records.max_attachment_bytes()),
            "types": join_list(records.ALLOWED_LABELS),
        }  # fmt: skip


class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Jurisdiction) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class ReferralForm(PanelForm):
    """移交 to another body, or 转办 to another station or district."""

    id_prefix = "referral"
    kind = forms.ChoiceField(
        label=_("方式"), choices=ReferralKind.choices, initial=ReferralKind.REFER,
        widget=forms.RadioSelect,
    )  # fmt: skip
    to_body = forms.CharField(
        label=_("接收机构（移交）"), max_length=100, required=False,
        help_text=_("如：人民法院、司法所、劳动人事争议仲裁委员会、12348"),
    )  # fmt: skip
    to_unit = UnitField(
        label=_("接收单位（转办）"), queryset=Jurisdiction.objects.none(), required=False,
        empty_label=_("请选择派出所或警务区"),
    )  # fmt: skip
    reason = forms.CharField(label=_("移交理由"), max_length=1000, widget=_textarea(2))

    def __init__(self, *args: Any, case: DisputeCase, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = records.transfer_targets(case)  # type: ignore[attr-defined]


class RespondForm(PanelForm):
    """接收 or 退回 a hand-off, with the answer."""

    id_prefix = "respond"
    decision = forms.ChoiceField(
        choices=[("accept", _("接收")), ("reject", _("退回"))], widget=forms.HiddenInput
    )
    response = forms.CharField(label=_("意见"), max_length=1000, required=False)

    @property
    def accept(self) -> bool:
        return self.cleaned_data.get("decision") == "accept"


# --- the agreement ----------------------------------------------------------------------


class AgreementEditForm(PanelForm):
    """调解协议: its form, content and signing (the terms are :data:`TermFormSet`)."""

    id_prefix = "agreement"
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    form = forms.ChoiceField(
        label=_("协议形式"), choices=AgreementForm.choices, initial=AgreementForm.WRITTEN,
        widget=forms.RadioSelect,
        help_text=_("口头协议由调解员记录协议内容（人民调解法 第二十八条）。"),
    )  # fmt: skip
    facts = forms.CharField(label=_("纠纷主要事实"), max_length=TEXT_MAX_LENGTH,
                            required=False, widget=_textarea(4))  # fmt: skip
    matters = forms.CharField(label=_("争议事项"), max_length=TEXT_MAX_LENGTH, required=False,
                              widget=_textarea(3))  # fmt: skip
    responsibilities = forms.CharField(label=_("各方责任"), max_length=TEXT_MAX_LENGTH,
                                       required=False, widget=_textarea(3))  # fmt: skip
    signed_on = forms.DateField(label=_("签订日期"), initial=timezone.localdate,
                                widget=_date_widget())  # fmt: skip
    effective_on = forms.DateField(
        label=_("生效日期"), required=False, widget=_date_widget(),
        help_text=_("不填即为签订日期。治安调解协议自签字之日起生效。"),
    )  # fmt: skip
    committee = forms.CharField(label=_("人民调解委员会/公安机关"), max_length=100, required=False)
    copies = forms.IntegerField(
        label=_("份数"), min_value=1, max_value=20, required=False,
        help_text=_("不填即为每方当事人一份、调解组织留存一份。"),
    )  # fmt: skip

    def __init__(self, *args: Any, case: DisputeCase,
                 agreement: MediationAgreement | None = None, **kwargs: Any) -> None:  # fmt: skip
        if agreement is not None and not args and "data" not in kwargs:
            kwargs.setdefault("initial", {
                "version": agreement.version, "form": agreement.form, "facts": agreement.facts,
                "matters": agreement.matters, "responsibilities": agreement.responsibilities,
                "signed_on": agreement.signed_on, "effective_on": agreement.effective_on,
                "committee": agreement.committee, "copies": agreement.copies,
            })  # fmt: skip
        super().__init__(*args, **kwargs)
        if case.track == Track.POLICE:
            self.fields["committee"].help_text = _("不填即为本单位名称。")
        elif not self.is_bound and agreement is None:
            room = case.jurisdiction.mediation_rooms.exclude(committee="").first()
            if room is not None:
                self.initial.setdefault("committee", room.committee)

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return data


class TermForm(forms.Form):
    """One agreed term. Every field is optional here: a blank row is ignored, and a
    half-filled one is answered by the service (每项条款须有履行方式和期限)."""

    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    text = forms.CharField(label=_("协议内容"), max_length=2000, required=False,
                           widget=_textarea(2))  # fmt: skip
    obligor = forms.TypedChoiceField(label=_("履行人"), coerce=int, empty_value=None,
                                     required=False)  # fmt: skip
    method = forms.CharField(label=_("履行方式"), max_length=200, required=False)
    due_on = forms.DateField(label=_("履行期限"), required=False, widget=_date_widget())

    def __init__(self, *args: Any, obligors: list[tuple[int, str]] | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self.fields["obligor"].choices = [("", _("（不指定）")), *(obligors or [])]  # type: ignore[attr-defined]

    def to_input(self) -> aftercare.TermInput:
        data = self.cleaned_data
        return aftercare.TermInput(
            text=data.get("text") or "", obligor_party_id=data.get("obligor"),
            method=data.get("method") or "", due_on=data.get("due_on"), id=data.get("id"),
        )  # fmt: skip


class BaseTermFormSet(BaseFormSet):
    """The agreement's terms; rows left blank or ticked for deletion do not count."""

    def filled(self) -> list[TermForm]:
        rows = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if not data or data.get("DELETE"):
                continue
            if not any(data.get(k) for k in ("text", "method", "due_on", "obligor")):
                continue
            rows.append(form)
        return rows

    def to_inputs(self) -> list[aftercare.TermInput]:
        return [form.to_input() for form in self.filled()]

    def add_service_errors(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        """Put ``terms-<i>-<field>`` errors on the i-th filled row; return the rest."""
        rows = self.filled()
        rest: dict[str, list[str]] = {}
        for key, texts in errors.items():
            parts = key.split("-")
            if parts[0] == "terms" and len(parts) == 3 and parts[1].isdigit():
                index, field = int(parts[1]), parts[2]
                if index < len(rows):
                    rows[index].add_error(field if field in rows[index].fields else None, texts)
                    continue
            rest[key] = texts
        return rest


TermFormSet = formset_factory(TermForm, formset=BaseTermFormSet, extra=2, can_delete=True,
                              max_num=50, validate_max=True)  # fmt: skip
TERMS_PREFIX = "terms"


def term_formset(data: Any = None, *, case: DisputeCase,
                 agreement: MediationAgreement | None = None) -> BaseTermFormSet:  # fmt: skip
    """The terms' formset: the agreement's terms as initial rows when editing."""
    initial = []
    if agreement is not None:
        initial = [
            {"id": t.pk, "text": t.text, "obligor": t.obligor_id, "method": t.method,
             "due_on": t.due_on}
            for t in agreement.terms.all()
        ]  # fmt: skip
    return TermFormSet(  # type: ignore[return-value]
        data, prefix=TERMS_PREFIX, initial=initial,
        form_kwargs={"obligors": aftercare.term_obligor_choices(case)},
    )  # fmt: skip


class MarkTermForm(PanelForm):
    """履行情况 of one term."""

    id_prefix = "term"
    status = forms.ChoiceField(
        choices=[(TermStatus.DONE, TermStatus.DONE.label),
                 (TermStatus.NOT_DONE, TermStatus.NOT_DONE.label)],
        widget=forms.HiddenInput,
    )  # fmt: skip
    note = forms.CharField(label=_("说明"), max_length=200, required=False)
    reopen = forms.BooleanField(
        label=_("未履行时重新调解"), required=False, initial=True,
        help_text=_("不勾选则保持现状，告知当事人可向人民法院申请执行或起诉。"),
    )  # fmt: skip


class ConfirmationForm(PanelForm):
    """司法确认申请."""

    id_prefix = "confirmation"
    court = forms.CharField(label=_("人民法院"), max_length=100)
    applied_on = forms.DateField(label=_("申请日期"), initial=timezone.localdate,
                                 widget=_date_widget())  # fmt: skip


_OUTCOMES = [(StepOutcome.GRANTED, StepOutcome.GRANTED.label),
             (StepOutcome.REFUSED, StepOutcome.REFUSED.label)]  # fmt: skip


class ConfirmationOutcomeForm(PanelForm):
    """The court's ruling."""

    id_prefix = "confirmation_outcome"
    outcome = forms.ChoiceField(label=_("结果"), choices=_OUTCOMES)
    outcome_on = forms.DateField(label=_("结果日期"), initial=timezone.localdate,
                                 widget=_date_widget())  # fmt: skip
    ruling_number = forms.CharField(label=_("裁定书编号"), max_length=60, required=False)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class NotarisationForm(PanelForm):
    """公证申请."""

    id_prefix = "notarisation"
    office = forms.CharField(label=_("公证机构"), max_length=100)
    applied_on = forms.DateField(label=_("申请日期"), initial=timezone.localdate,
                                 widget=_date_widget())  # fmt: skip


class NotarisationOutcomeForm(PanelForm):
    """The notary's answer."""

    id_prefix = "notarisation_outcome"
    outcome = forms.ChoiceField(label=_("结果"), choices=_OUTCOMES)
    outcome_on = forms.DateField(label=_("结果日期"), initial=timezone.localdate,
                                 widget=_date_widget())  # fmt: skip
    certificate_number = forms.CharField(label=_("公证书编号"), max_length=60, required=False)


class FollowUpForm(PanelForm):
    """回访记录 of one planned visit."""

    id_prefix = "follow_up"
    done_at = forms.DateTimeField(label=_("回访时间"), initial=_now_to_the_minute,
                                  widget=_datetime_widget())  # fmt: skip
    method = forms.ChoiceField(label=_("回访方式"), choices=aftercare.VisitMethod.choices)
    outcome = forms.ChoiceField(label=_("回访情况"), choices=VisitOutcome.choices)
    satisfaction = forms.ChoiceField(
        label=_("满意度"), choices=[("", _("（未联系上可不填）")), *Satisfaction.choices],
        required=False,
    )  # fmt: skip
    note = forms.CharField(label=_("回访记录"), max_length=2000, required=False,
                           widget=_textarea(2))  # fmt: skip


def term_deadline(term: AgreementTerm, today: dt.date) -> dict[str, Any]:
    """A term's deadline as the page shows it: days left, due today, or overdue."""
    days = (term.due_on - today).days
    if term.status != TermStatus.PENDING:
        return {"level": "met" if term.status == TermStatus.DONE else "late", "days": days}
    if days < 0:
        return {"level": "red", "days": days, "overdue": -days}
    return {"level": "amber" if days <= 3 else "ok", "days": days}
