from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from fengqiao.setup import places, services


class SetupForm(forms.Form):
    """The first-run form. The place selects are filled from the gazetteer for what is
    chosen above them, so a post re-renders with the right options (htmx or not)."""

    full_name = forms.CharField(label=_("姓名"), max_length=50)
    username = forms.CharField(
        label=_("用户名"), max_length=150, validators=[UnicodeUsernameValidator()]
    )
    password = forms.CharField(label=_("密码"), strip=False, widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("再次输入密码"), strip=False, widget=forms.PasswordInput)
    province = forms.ChoiceField(label=_("省"), choices=())
    city = forms.ChoiceField(label=_("市"), choices=())
    county = forms.ChoiceField(label=_("区/县"), choices=())
    townships = forms.MultipleChoiceField(
        label=_("乡镇/街道（可选）"), choices=(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    bureau_name = forms.CharField(
        label=_("公安机关名称"), max_length=100, help_text=_("例如：××县公安局、××公安分局")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.place = places.Place.chosen(self.data)
        if self.is_bound:
            # What the selects show and what is validated: the levels that still hold.
            self.data = self.data.copy()
            for level in ("province", "city", "county"):
                self.data[level] = getattr(self.place, level)
        blank = [("", "---------")]
        self.fields["province"].choices = blank + places.provinces()
        self.fields["city"].choices = blank + places.cities(self.place.province)
        self.fields["county"].choices = blank + places.counties(self.place.city)
        self.fields["townships"].choices = places.townships(self.place.county)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        password, again = data.get("password"), data.get("password2")
        if password and again and password != again:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif password:
            try:
                services.check_password(
                    password=password,
                    username=data.get("username", ""),
                    full_name=data.get("full_name", ""),
                )
            except ValidationError as error:
                self.add_error(None, error)
        if not ({"password", "password2"} & set(self.errors)):
            # Only a refused password is typed again; any other mistake keeps it.
            for name in ("password", "password2"):
                self.fields[name].widget.render_value = True
        return data
