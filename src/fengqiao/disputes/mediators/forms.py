"""Forms of the mediator pages: the registry, declared interests, rooms, the rota's
swaps and replacements, and the case panel's assign and end buttons. They parse; the
services in :mod:`fengqiao.disputes.mediators.services` decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.accounts.models import User
from fengqiao.accounts.selectors import scoped
from fengqiao.core.masking import mask
from fengqiao.core.roles import Capability, Role
from fengqiao.core.validators import normalise_id_number
from fengqiao.disputes.mediators import services as mediators
from fengqiao.disputes.models import (
    Category,
    ConflictKind,
    DutyShift,
    MediationRoom,
    Mediator,
    MediatorKind,
)
from fengqiao.jurisdictions.models import Jurisdiction
from fengqiao.jurisdictions.selectors import police_units_for
from fengqiao.registry import selectors as registry_selectors

REASON_MAX_LENGTH = 200


class UnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Jurisdiction) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class AccountField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name}（{obj.username}）"


class MediatorForm(forms.Form):
    """登记/编辑调解员. On an edit the phone and ID number start empty (they are
    personal data, not shown in clear): left empty they stay as they are."""

    name = forms.CharField(label=gettext_lazy("姓名"), max_length=50)
    kind = forms.ChoiceField(label=gettext_lazy("类别"), choices=MediatorKind.choices)
    jurisdiction = UnitField(label=gettext_lazy("服务辖区"), queryset=Jurisdiction.objects.none())
    room = forms.ModelChoiceField(
        label=gettext_lazy("调解室"),
        queryset=MediationRoom.objects.none(),
        required=False,
    )
    organisation = forms.CharField(
        label=gettext_lazy("所在单位/律所"), max_length=100, required=False
    )
    phone = forms.CharField(label=gettext_lazy("电话"), max_length=13, required=False)
    id_number = forms.CharField(label=gettext_lazy("身份证号"), max_length=18, required=False)
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("语言"),
        choices=list(mediators.LANGUAGES.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    specialities = forms.MultipleChoiceField(
        label=gettext_lazy("擅长类别"),
        choices=Category.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    available = forms.BooleanField(label=gettext_lazy("可接案"), required=False, initial=True)
    max_open_cases = forms.IntegerField(
        label=gettext_lazy("同时办理上限"),
        min_value=1,
        max_value=mediators.MAX_OPEN_CASES_LIMIT,
        initial=10,
    )
    account = AccountField(
        label=gettext_lazy("登录账号"),
        queryset=User.objects.none(),
        required=False,
        help_text=gettext_lazy("角色为“调解员”的账号：登录后只能看到指派给他的纠纷。"),
    )
    person_id_number = forms.CharField(
        label=gettext_lazy("关联实有人口（身份证号）"),
        max_length=18,
        required=False,
        help_text=gettext_lazy("用于自动识别同户亲属、房东等利害关系。"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self, *args: Any, user: Any, instance: Mediator | None = None, **kwargs: Any
    ) -> None:
        if instance is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": instance.name,
                "kind": instance.kind,
                "jurisdiction": instance.jurisdiction_id,
                "room": instance.room_id,
                "organisation": instance.organisation,
                "languages": instance.languages,
                "specialities": instance.specialities,
                "available": instance.available,
                "max_open_cases": instance.max_open_cases,
                "account": instance.account_id,
                "version": instance.version,
            }
        super().__init__(*args, **kwargs)
        self.user, self.instance = user, instance
        self.fields["jurisdiction"].queryset = police_units_for(user)  # type: ignore[attr-defined]
        self.fields["room"].queryset = mediators.rooms_for(user)  # type: ignore[attr-defined]
        accounts = scoped(User.objects.filter(role=Role.MEDIATOR, is_active=True), user=user)
        self.fields["account"].queryset = accounts.order_by("full_name")  # type: ignore[attr-defined]
        if instance is not None:
            keep = _("留空则不修改（当前：%(value)s）。")
            for name in ("phone", "id_number"):
                current = mask(Mediator.PERSONAL_FIELDS[name], getattr(instance, name))
                self.fields[name].help_text = keep % {"value": current or "—"}
            if instance.person_id:
                self.fields["person_id_number"].help_text = _("已关联实有人口；留空则不修改。")

    def clean_person_id_number(self) -> Any:
        value = normalise_id_number(self.cleaned_data.get("person_id_number") or "")
        if not value:
            return None
        if not self.user.can(Capability.VIEW_RECORDS):
            raise forms.ValidationError(_("您无权查询实有人口。"))
        person = registry_selectors.people_for(user=self.user, search=value).first()
        if person is None:
            raise forms.ValidationError(_("辖区实有人口中没有该身份证号的人员。"))
        return person

    def service_arguments(self) -> dict[str, Any]:
        """The fields as the service takes them; on an edit, empty personal fields and
        an empty person are left out (unchanged)."""
        data = dict(self.cleaned_data)
        data.pop("version", None)
        data["person"] = data.pop("person_id_number")
        if self.instance is not None:
            for name in ("phone", "id_number", "person"):
                if not data[name]:
                    data.pop(name)
        return data


class ConflictForm(forms.Form):
    """申报利害关系: only the hashed key of the person is stored."""

    kind = forms.ChoiceField(label=gettext_lazy("关系"), choices=ConflictKind.choices)
    name = forms.CharField(label=gettext_lazy("对方姓名"), max_length=50, required=False)
    id_number = forms.CharField(label=gettext_lazy("对方身份证号"), max_length=18, required=False)
    phone = forms.CharField(label=gettext_lazy("对方手机号"), max_length=13, required=False)
    note = forms.CharField(label=gettext_lazy("说明"), max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("理由"), max_length=REASON_MAX_LENGTH)


class RoomForm(forms.Form):
    """设立调解室."""

    jurisdiction = UnitField(label=gettext_lazy("所属单位"), queryset=Jurisdiction.objects.none())
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    committee = forms.CharField(
        label=gettext_lazy("人民调解委员会"), max_length=100, required=False
    )
    judicial_office = forms.CharField(label=gettext_lazy("司法所"), max_length=100, required=False)
    place = forms.CharField(label=gettext_lazy("地点"), max_length=200, required=False)
    phone = forms.CharField(label=gettext_lazy("电话"), max_length=20, required=False)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["jurisdiction"].queryset = police_units_for(user)  # type: ignore[attr-defined]


def _shift_label(shift: DutyShift) -> str:
    return f"{shift.day:%m-%d} {shift.mediator.name}"


class SwapForm(forms.Form):
    """调班: two of the month's shifts exchange their lawyers."""

    shift_a = forms.TypedChoiceField(label=gettext_lazy("班次"), coerce=int)
    shift_b = forms.TypedChoiceField(label=gettext_lazy("与班次"), coerce=int)
    reason = forms.CharField(label=gettext_lazy("调班原因"), max_length=REASON_MAX_LENGTH)

    def __init__(self, *args: Any, shifts: list[DutyShift], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(s.pk, _shift_label(s)) for s in shifts]
        self.fields["shift_a"].choices = choices  # type: ignore[attr-defined]
        self.fields["shift_b"].choices = choices  # type: ignore[attr-defined]


class ReplaceForm(forms.Form):
    """替班: another of the room's lawyers takes one day."""

    shift = forms.TypedChoiceField(label=gettext_lazy("班次"), coerce=int)
    mediator = forms.TypedChoiceField(label=gettext_lazy("替班律师"), coerce=int)
    reason = forms.CharField(label=gettext_lazy("替班原因"), max_length=REASON_MAX_LENGTH)

    def __init__(
        self, *args: Any, shifts: list[DutyShift], lawyers: list[Mediator], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["shift"].choices = [(s.pk, _shift_label(s)) for s in shifts]  # type: ignore[attr-defined]
        self.fields["mediator"].choices = [(m.pk, m.name) for m in lawyers]  # type: ignore[attr-defined]


class AssignForm(forms.Form):
    """指派: the chosen candidate, lead or helper, and the decider's note."""

    mediator = forms.IntegerField(widget=forms.HiddenInput)
    lead = forms.BooleanField(label=gettext_lazy("主调解员"), required=False, initial=True)
    reason = forms.CharField(label=gettext_lazy("指派说明"), max_length=200, required=False)


class EndAssignmentForm(forms.Form):
    """结束指派, with the reason."""

    reason = forms.CharField(label=gettext_lazy("结束理由"), max_length=REASON_MAX_LENGTH)
