from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.core.validators import validate_id_number, validate_mobile, validate_uscc
from fengqiao.jurisdictions.models import Jurisdiction
from fengqiao.registry.models import HouseholdType, HouseUse, Industry, Relation

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AddressForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区/村"), queryset=Jurisdiction.objects.none())
    road = forms.CharField(label=_("街路巷"), max_length=60, required=False)
    door_number = forms.CharField(label=_("门牌号"), max_length=20, required=False)
    compound = forms.CharField(label=_("小区/院"), max_length=60, required=False)
    building = forms.CharField(label=_("楼栋"), max_length=20, required=False)
    unit = forms.CharField(label=_("单元"), max_length=10, required=False)
    floor = forms.CharField(label=_("楼层"), max_length=10, required=False)
    room = forms.CharField(label=_("户室"), max_length=20, required=False)
    latitude = forms.DecimalField(
        label=_("纬度（WGS-84）"),
        max_digits=9,
        decimal_places=6,
        min_value=-90,
        max_value=90,
        required=False,
    )
    longitude = forms.DecimalField(
        label=_("经度（WGS-84）"),
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
    )
    with_house = forms.BooleanField(label=_("同时登记房屋"), required=False, initial=True)
    use = forms.ChoiceField(label=_("用途"), choices=HouseUse.choices, initial=HouseUse.SELF)

    def __init__(self, *args: Any, communities: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = communities


class PersonForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(
        label=_("身份证号"), max_length=18, required=False, validators=[validate_id_number]
    )
    phone = forms.CharField(
        label=_("手机号"), max_length=11, required=False, validators=[validate_mobile]
    )
    household_type = forms.ChoiceField(label=_("人口类别"), choices=HouseholdType.choices)
    relation = forms.ChoiceField(label=_("与房屋关系"), choices=Relation.choices)
    moved_in = forms.DateField(label=_("迁入日期"), widget=DATE, initial=timezone.localdate)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class TenantForm(forms.Form):
    """What a landlord (守户员) fills in for a new tenant."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    id_number = forms.CharField(label=_("身份证号"), max_length=18, validators=[validate_id_number])
    phone = forms.CharField(label=_("手机号"), max_length=11, validators=[validate_mobile])
    moved_in = forms.DateField(label=_("迁入日期"), widget=DATE, initial=timezone.localdate)


class MoveOutForm(forms.Form):
    moved_out = forms.DateField(label=_("迁出日期"), widget=DATE, initial=timezone.localdate)


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("单位名称"), max_length=100)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=18, required=False, validators=[validate_uscc]
    )
    industry = forms.ChoiceField(label=_("行业"), choices=Industry.choices)
    responsible_name = forms.CharField(label=_("负责人"), max_length=50, required=False)
    responsible_id_number = forms.CharField(
        label=_("负责人身份证号"), max_length=18, required=False, validators=[validate_id_number]
    )
    responsible_phone = forms.CharField(
        label=_("负责人电话"), max_length=11, required=False, validators=[validate_mobile]
    )
