"""The tree maintenance forms: each parses one change's input for
:mod:`fengqiao.jurisdictions.editing`; ``version`` carries the optimistic lock."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.jurisdictions.models import Jurisdiction, Kind, RoomClass


def node_label(node: Jurisdiction) -> str:
    """A picker's line: indented by depth, the kind, the name (the path shows in the
    indentation, so two 第1警务区 of different stations are told apart by their place)."""
    return f"{'　' * node.depth}{node.get_kind_display()} · {node.name}"


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class DetailsForm(VersionedForm):
    name = forms.CharField(label=_("名称"), max_length=100)
    code = forms.CharField(
        label=_("代码"),
        max_length=20,
        required=False,
        help_text=_("行政区划代码或公安机关机构代码，可不填"),
    )
    duty_phone = forms.CharField(label=_("值班电话"), max_length=20, required=False)
    room_class = forms.ChoiceField(
        label=_("警务室等级"),
        choices=[("", _("未定级")), *RoomClass.choices],
        required=False,
    )
    named_officer = forms.ModelChoiceField(
        label=_("以民警命名"),
        queryset=Jurisdiction.objects.none(),
        required=False,
        empty_label=_("不以民警命名"),
        help_text=_("以英模民警命名的警务室：选择该民警（含已停用的账号）"),
    )

    def __init__(self, *args: Any, is_room: bool, officers: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_room:
            field = self.fields["named_officer"]
            field.queryset = officers
            field.label_from_instance = lambda user: (  # type: ignore[attr-defined]
                user.full_name + ("" if user.is_active else str(_("（已停用）")))
            )
        else:
            del self.fields["room_class"], self.fields["named_officer"]


class AddChildForm(DetailsForm):
    kind = forms.ChoiceField(label=_("类别"))

    field_order = ["kind", "name", "code", "duty_phone", "room_class", "named_officer"]

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["version"]  # adding a child changes nothing the actor saw
        self.fields["kind"].choices = kinds
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0][0]


class NodeChoiceForm(VersionedForm):
    """One node picked from a scoped queryset (new parent, merge target, lead station)."""

    def __init__(
        self,
        *args: Any,
        field: str,
        label: str,
        queryset: Any,
        required: bool = True,
        empty_label: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields[field] = forms.ModelChoiceField(
            label=label, queryset=queryset, required=required, empty_label=empty_label
        )
        self.fields[field].label_from_instance = node_label  # type: ignore[attr-defined]
        self.order_fields([field])


class CoverageForm(VersionedForm):
    areas = forms.ModelMultipleChoiceField(
        label=_("覆盖的社区、村和网格"),
        queryset=Jurisdiction.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, choices: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["areas"].queryset = choices
        self.fields["areas"].label_from_instance = area_label  # type: ignore[attr-defined]


def area_label(node: Jurisdiction) -> str:
    """A coverage box: a community by its name, its grids indented under it (the list is
    in tree order, so a grid follows its community)."""
    return f"　　{node.name}" if node.kind == Kind.GRID else node.name
