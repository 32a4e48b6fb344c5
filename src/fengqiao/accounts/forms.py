from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _

from fengqiao.accounts.models import Post, StaffKind, User
from fengqiao.accounts.services import assignable_roles
from fengqiao.core.masking import mask
from fengqiao.core.roles import Role
from fengqiao.core.validators import validate_id_number, validate_mobile
from fengqiao.jurisdictions.models import Jurisdiction


class LoginForm(AuthenticationForm):
    error_messages = {
        "invalid_login": _("用户名或密码不正确。连续输错多次将暂时锁定。"),
        "inactive": _("该账号已停用，请联系管理员。"),
    }


class StaffForm(forms.Form):
    """Both the new-account and the edit form; ``version`` carries the optimistic lock."""

    full_name = forms.CharField(label=_("姓名"), max_length=50)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    staff_kind = forms.ChoiceField(label=_("人员类别"), choices=StaffKind.choices)
    # 岗位 decides what the staffing checks count (两个40%, 一区一警).
    post = forms.ChoiceField(
        label=_("岗位"), choices=[("", "---------"), *Post.choices], required=False
    )
    jurisdiction = forms.ModelChoiceField(label=_("所属辖区"), queryset=Jurisdiction.objects.none())
    badge_number = forms.CharField(label=_("警号/工号"), max_length=20, required=False)
    id_number = forms.CharField(
        label=_("身份证号"), max_length=18, required=False, validators=[validate_id_number]
    )
    phone = forms.CharField(
        label=_("手机号"), max_length=11, required=False, validators=[validate_mobile]
    )
    is_active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        jurisdictions: Any,
        actor: User,
        person: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.person = person
        if person is not None:
            # An edit never puts the stored identifier in the page (that is the audited
            # reveal's job): the input starts empty, shows the masked value, and left
            # empty keeps what is stored.
            keep = _("留空则不修改（当前：%(value)s）。")
            for name, kind in User.PERSONAL_FIELDS.items():
                self.initial.pop(name, None)
                current = mask(kind, getattr(person, name))
                self.fields[name].help_text = keep % {"value": current or "—"}
                self.fields[name].widget.attrs["placeholder"] = current
        if person is not None and person.is_active:
            # Deactivating is the hand-over page's job (停用与交接): his open work first.
            del self.fields["is_active"]
        # Only an administrator may make administrators: don't offer what will be refused.
        self.fields["role"].choices = [("", "---------"), *assignable_roles(actor)]
        field = self.fields["jurisdiction"]
        field.queryset = jurisdictions
        field.label_from_instance = lambda node: f"{'　' * node.depth}{node.name}"

    def service_arguments(self) -> dict[str, Any]:
        """The fields as the service takes them; on an edit, an empty identifier is left
        out (unchanged)."""
        data = dict(self.cleaned_data)
        if self.person is not None:
            for name in User.PERSONAL_FIELDS:
                if not data.get(name):
                    data.pop(name, None)
        return data


class NewStaffForm(StaffForm):
    username = forms.CharField(
        label=_("登录名"), max_length=150, validators=[UnicodeUsernameValidator()]
    )
    password = forms.CharField(
        label=_("初始密码"),
        min_length=10,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    field_order = ["username", "password"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username=username).exists():
            raise forms.ValidationError(_("该登录名已被使用。"))
        return username

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password"):
            try:
                validate_password(data["password"], User(username=data.get("username", "")))
            except forms.ValidationError as error:
                self.add_error("password", error)
        return data
