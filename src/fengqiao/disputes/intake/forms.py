"""Forms of the dispute pages: intake with its parties, the list's filters, the
workflow's steps. They parse; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from fengqiao.addresses import picker as address_picker
from fengqiao.disputes import selectors
from fengqiao.disputes.models import (
    TEXT_MAX_LENGTH,
    Category,
    Consent,
    PartyKind,
    PartyRole,
    RiskLevel,
    ScreeningRound,
    Source,
    Status,
    Track,
)
from fengqiao.disputes.services import EXCLUSIONS, PartyInput

# Languages a mediator may need (ISO 639-1), as Yiwu's foreign mediators speak them.
LANGUAGES = [
    ("zh", _("中文")),
    ("en", _("英语")),
    ("ar", _("阿拉伯语")),
    ("fa", _("波斯语")),
    ("ru", _("俄语")),
    ("fr", _("法语")),
    ("es", _("西班牙语")),
    ("ko", _("韩语")),
    ("ja", _("日语")),
    ("hi", _("印地语")),
    ("ur", _("乌尔都语")),
    ("tr", _("土耳其语")),
    ("ug", _("维吾尔语")),
    ("bo", _("藏语")),
]


class CaseForm(forms.Form):
    """受理登记: the dispute itself (its parties come in :data:`PartyFormSet`)."""

    source = forms.ChoiceField(label=_("来源"), choices=Source.choices, initial=Source.WALK_IN)
    category = forms.ChoiceField(
        label=_("纠纷类别"), choices=[("", "---------"), *Category.choices]
    )
    track = forms.ChoiceField(
        label=_("调解类型"), choices=Track.choices, initial=Track.PEOPLE,
        widget=forms.RadioSelect,
    )  # fmt: skip
    narrative = forms.CharField(
        label=_("纠纷简要情况"), max_length=TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )  # fmt: skip
    location_text = forms.CharField(label=_("地点"), max_length=200, required=False)
    address = forms.CharField(required=False, widget=forms.HiddenInput)
    amount = forms.DecimalField(
        label=_("涉及金额（元）"), required=False, min_value=0, max_digits=14, decimal_places=2
    )
    languages = forms.MultipleChoiceField(
        label=_("所需语言"), choices=LANGUAGES, required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    referred_by = forms.CharField(label=_("委派/移交机构"), max_length=100, required=False)
    screening_round = forms.ModelChoiceField(
        label=_("排查"), queryset=ScreeningRound.objects.none(), required=False
    )
    offence = forms.CharField(
        label=_("违反治安管理行为（治安调解）"), max_length=200, required=False
    )
    incident = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["screening_round"].queryset = selectors.screening_rounds_for(user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        address_picker.check_form(self, user=self.user)
        return cleaned


class PartyForm(forms.Form):
    role = forms.ChoiceField(label=_("身份"), choices=PartyRole.choices)
    kind = forms.ChoiceField(label=_("类型"), choices=PartyKind.choices, initial=PartyKind.PERSON)
    name = forms.CharField(label=_("姓名/名称"), max_length=100)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, required=False)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=18, required=False)
    phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    gender = forms.ChoiceField(
        label=_("性别"), required=False, choices=[("", "—"), ("男", _("男")), ("女", _("女"))]
    )
    birth_date = forms.DateField(
        label=_("出生日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    occupation = forms.CharField(label=_("职业或职务"), max_length=50, required=False)
    home_address = forms.CharField(label=_("住所"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("使用语言"), required=False, choices=[("", "—"), *LANGUAGES]
    )
    guardian_name = forms.CharField(label=_("监护人"), max_length=50, required=False)
    guardian_present = forms.BooleanField(label=_("监护人到场"), required=False)
    vulnerable = forms.BooleanField(label=_("弱势当事人"), required=False)

    def to_input(self) -> PartyInput:
        data = self.cleaned_data
        return PartyInput(
            name=data["name"], role=data["role"], kind=data["kind"],
            id_number=data["id_number"], credit_code=data["credit_code"], phone=data["phone"],
            gender=data["gender"], birth_date=data["birth_date"],
            occupation=data["occupation"], home_address=data["home_address"],
            language=data["language"], guardian_name=data["guardian_name"],
            guardian_present=data["guardian_present"], vulnerable=data["vulnerable"],
        )  # fmt: skip


PartyFormSet = formset_factory(PartyForm, extra=0, min_num=1, validate_min=True, max_num=20)


def party_initial() -> list[dict[str, str]]:
    return [{"role": PartyRole.APPLICANT}, {"role": PartyRole.RESPONDENT}]


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("状态"), required=False,
        choices=[("", _("全部")), ("open", _("未结案")), ("closed", _("已结案")),
                 *Status.choices],
    )  # fmt: skip
    category = forms.ChoiceField(label=_("类别"), required=False,
                                 choices=[("", _("全部")), *Category.choices])  # fmt: skip
    track = forms.ChoiceField(label=_("调解类型"), required=False,
                              choices=[("", _("全部")), *Track.choices])  # fmt: skip
    source = forms.ChoiceField(label=_("来源"), required=False,
                               choices=[("", _("全部")), *Source.choices])  # fmt: skip
    risk = forms.ChoiceField(label=_("风险"), required=False,
                             choices=[("", _("全部")), *RiskLevel.choices])  # fmt: skip
    overdue = forms.BooleanField(label=_("已超期"), required=False)
    date_from = forms.DateField(label=_("登记自"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    date_to = forms.DateField(label=_("至"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    unit = forms.IntegerField(required=False, widget=forms.HiddenInput)
    mediator = forms.IntegerField(required=False, widget=forms.HiddenInput)
    code = forms.CharField(label=_("案号"), required=False, max_length=20)

    def to_filter(self) -> selectors.CaseFilter:
        if not self.is_valid():
            return selectors.CaseFilter()
        data = {k: v for k, v in self.cleaned_data.items() if v not in (None, "")}
        return selectors.CaseFilter(**data)


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class TransitionForm(VersionForm):
    to_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("说明"), max_length=TEXT_MAX_LENGTH, required=False)


class AcceptForm(VersionForm):
    exclusions = forms.MultipleChoiceField(
        label=_("不适用治安调解的情形"), required=False,
        choices=[(code, label) for code, label in EXCLUSIONS.items()],
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    committee_initiated = forms.BooleanField(
        label=_("调解委员会主动调解（人民调解法 第十七条）"), required=False
    )
    note = forms.CharField(label=_("说明"), max_length=1000, required=False)


class ConsentForm(VersionForm):
    consent = forms.ChoiceField(choices=[(Consent.GIVEN, Consent.GIVEN.label),
                                         (Consent.REFUSED, Consent.REFUSED.label)])  # fmt: skip
    note = forms.CharField(label=_("说明"), max_length=500, required=False)


class ExtendForm(VersionForm):
    days = forms.IntegerField(label=_("延长天数"), min_value=1, max_value=30)
    parties_consent = forms.BooleanField(label=_("双方当事人同意延长"), required=False)
    reason = forms.CharField(label=_("理由"), max_length=1000)


class ScreeningRoundForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=100)
    jurisdiction = forms.ModelChoiceField(label=_("排查范围"), queryset=None)  # type: ignore[arg-type]
    started_on = forms.DateField(label=_("开始日期"),
                                 widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    ended_on = forms.DateField(label=_("结束日期"), required=False,
                               widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    participants = forms.CharField(label=_("参加人员"), max_length=1000, required=False,
                                   widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    households_visited = forms.IntegerField(label=_("走访户数"), min_value=0, initial=0)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = units
