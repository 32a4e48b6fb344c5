"""Forms of the 警情 pages. They parse what was typed; the rules (times not in the future,
scope, the workflow table) are the services' and come back as their errors."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fengqiao.addresses import codes as address_codes
from fengqiao.addresses import picker as address_picker
from fengqiao.addresses.models import StandardAddress
from fengqiao.incidents import selectors
from fengqiao.incidents.models import (
    DESCRIPTION_MAX_LENGTH,
    Category,
    Source,
    Status,
    Urgency,
)
from fengqiao.jurisdictions.models import Jurisdiction, Kind

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows


def _datetime_widget(**attrs: Any) -> forms.DateTimeInput:
    return forms.DateTimeInput(
        attrs={"type": "datetime-local", "step": 60, **attrs}, format=DATETIME_FORMAT
    )


def _now_to_the_minute() -> dt.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


ChoiceList = list[tuple[Any, Any]]


def category_choices(items: Iterable[Category], *, tops_selectable: bool) -> ChoiceList:
    """The taxonomy as <optgroup>s, one per top level. A filter may pick a whole top level
    (它的子类一并算入); intake and confirmation pick a sub-type, or a top level that has
    none."""
    tops: list[Category] = []
    children: dict[int, list[Category]] = defaultdict(list)
    for category in items:
        if category.parent_id is None:
            tops.append(category)
        else:
            children[category.parent_id].append(category)
    choices: ChoiceList = []
    for top in tops:
        kids = children.get(top.pk, [])
        if not kids:
            choices.append((top.code, top.label))
            continue
        options: ChoiceList = [(k.code, k.label) for k in kids]
        if tops_selectable:
            options.insert(0, (top.code, _("%(name)s（全部）") % {"name": top.label}))
        choices.append((top.label, options))
    return choices


def selectable_codes(choices: ChoiceList) -> set[str]:
    codes: set[str] = set()
    for value, label in choices:
        if isinstance(label, list | tuple):
            codes |= {str(v) for v, _label in label}
        elif value:
            codes.add(str(value))
    return codes


class CategoryField(forms.ChoiceField):
    """A category picked by its code (codes never change), grouped by top level; cleans to
    the :class:`Category` or ``None``. The taxonomy is read when a form is made (see
    :func:`load_categories`), never at import."""

    def __init__(
        self, *, tops_selectable: bool = False, blank_label: Any = "", **kwargs: Any
    ) -> None:
        self.tops_selectable, self.blank_label = tops_selectable, blank_label
        self.by_code: dict[str, Category] = {}
        self.allowed: set[str] = set()
        super().__init__(choices=[], **kwargs)

    def load(self, items: Iterable[Category]) -> None:
        self.by_code = {c.code: c for c in items}
        grouped = category_choices(self.by_code.values(), tops_selectable=self.tops_selectable)
        self.allowed = selectable_codes(grouped)
        self.choices = [("", self.blank_label), *grouped] if self.blank_label else grouped

    def clean(self, value: Any) -> Category | None:  # type: ignore[override]
        code = super().clean(value)
        return self.by_code.get(code) if code else None


def load_categories(form: forms.Form) -> None:
    """Give every category field of ``form`` the active taxonomy (one query)."""
    fields = [f for f in form.fields.values() if isinstance(f, CategoryField)]
    if fields:
        items = selectors.categories()
        for field in fields:
            field.load(items)


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Jurisdiction) -> str:
        # Districts are listed under their station (ordered by path): indent them.
        return f"\u3000{obj.name}" if obj.kind == Kind.POLICE_DISTRICT else obj.name


def responsible_units(user: Any) -> QuerySet[Jurisdiction]:
    """Stations and police districts in the user's scope: where an incident may be put."""
    from fengqiao.jurisdictions.selectors import police_units_for

    return police_units_for(user).filter(kind__in=[Kind.STATION, Kind.POLICE_DISTRICT])


class IntakeForm(forms.Form):
    """接警登记. The fields follow a call: where and what first (the responsible unit, which
    the picked address decides, after them as an override), then the source and the
    reporter; the times, which default to now, come last, as each datetime-local
    input costs five Tab stops. Enter in any text field submits."""

    location_text = forms.CharField(label=_("地点"), max_length=200)
    address = forms.CharField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(
        label=_("简要警情"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = CategoryField(label=_("警情类别"), required=False, blank_label=_("暂不定类"))
    jurisdiction = UnitChoiceField(
        label=_("责任单位"),
        queryset=Jurisdiction.objects.none(),
        required=False,
        empty_label=_("本人所在单位"),
        help_text=_("选中标准地址时，以该地址所属警务区为准。"),
    )
    source = forms.ChoiceField(label=_("来源"), choices=Source.choices, initial=Source.CALL_110)
    urgency = forms.ChoiceField(
        label=_("紧急程度"), choices=Urgency.choices, initial=Urgency.NORMAL
    )
    reporter_name = forms.CharField(label=_("报警人"), max_length=50, required=False)
    reporter_phone = forms.CharField(
        label=_("报警人电话"),
        max_length=20,
        required=False,
        help_text=_("手机号将收到查询码短信。"),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    received_at = forms.DateTimeField(
        label=_("接警时间"), required=False, initial=_now_to_the_minute, widget=_datetime_widget()
    )
    occurred_at = forms.DateTimeField(
        label=_("发案时间"), required=False, widget=_datetime_widget()
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # a Chinese label needs no colon
        super().__init__(*args, **kwargs)
        self.user = user
        load_categories(self)
        units = self.fields["jurisdiction"]
        units.queryset = responsible_units(user).order_by("path")  # type: ignore[attr-defined]
        if user.jurisdiction and user.jurisdiction.kind in (Kind.STATION, Kind.POLICE_DISTRICT):
            units.initial = user.jurisdiction.pk
        self.fields["location_text"].widget.attrs.update(
            {
                "autofocus": True,
                "autocomplete": "off",
                "placeholder": _("如：凤台社区阳头路12号3单元"),
                "hx-get": reverse("incidents:address_options"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#address-options",
                # the picker as it stands: a pick survives editing the text
                "hx-include": "#address-options",
                "data-arrow-into": "#address-options",  # ↓ goes to the list (app.js)
            }
        )
        self.fields["description"].widget.attrs.update(
            {
                "placeholder": _("时间、地点、人物、事由、损失，随听随记"),
                "hx-post": reverse("incidents:suggest_category"),
                # "input", not "keyup": text committed by a Chinese input method, pasted or
                # dictated arrives without key events.
                "hx-trigger": "input changed delay:300ms",
                "hx-target": "#category-suggestion",
                "hx-sync": "this:replace",
            }
        )

    def clean_address(self) -> StandardAddress | None:
        code = address_codes.normalise(self.cleaned_data.get("address") or "")
        if not code:
            return None
        # Not limited to the user's scope here: an address of another station is the
        # service's to refuse, with its advice to transfer the call.
        address = StandardAddress.objects.select_related("police_district", "grid").filter(
            code=code
        )
        found = address.first()
        if found is None:
            raise forms.ValidationError(_("没有找到该标准地址，请重新选择或只填写地点文字。"))
        return found

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        address_picker.check_form(self, user=self.user)
        return cleaned

    def focus_first_error(self) -> None:
        """After a refused save the cursor goes to the first field to fix."""
        for name in self.fields:
            if name in self.errors and not self.fields[name].widget.is_hidden:
                self.fields["location_text"].widget.attrs.pop("autofocus", None)
                self.fields[name].widget.attrs["autofocus"] = True
                return


class CategoryPickForm(forms.Form):
    """The category select alone: swapped into the intake form when a suggestion is
    taken, focused so the officer goes on with Tab."""

    category = CategoryField(label=_("警情类别"), required=False, blank_label=_("暂不定类"))

    def __init__(self, *args: Any, focus: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        load_categories(self)
        if focus:
            self.fields["category"].widget.attrs["autofocus"] = True


class VersionedForm(forms.Form):
    """An edit of an incident names the version it was made on (optimistic lock)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class TransitionForm(VersionedForm):
    to_status = forms.ChoiceField(choices=Status.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("说明"), max_length=DESCRIPTION_MAX_LENGTH, required=False)
    case_number = forms.CharField(label=_("案件编号"), max_length=40, required=False)
    transferred_to = forms.ModelChoiceField(
        label=_("接收单位"),
        queryset=Jurisdiction.objects.none(),
        required=False,
        empty_label=_("请选择接收单位"),
    )

    def __init__(self, *args: Any, targets: QuerySet[Jurisdiction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["transferred_to"]
        field.queryset = targets  # type: ignore[attr-defined]
        # Required for this one step only (the service says so for the others).
        field.widget.attrs.update({"required": True, "aria-label": field.label})


class CorrectionForm(VersionedForm):
    to_status = forms.ChoiceField(label=_("更正为"))
    reason = forms.CharField(
        label=_("更正理由"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("必填，至少4个字")}),
    )

    def __init__(self, *args: Any, held: Iterable[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in Status.choices if value in set(held)
        ]


class CategoryConfirmForm(VersionedForm):
    category = CategoryField(label=_("警情类别"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        load_categories(self)


class IncidentFilterForm(forms.Form):
    """The list's filters, kept in the address bar (GET) so a filtered list can be
    bookmarked and shared."""

    date_from = forms.DateField(label=_("接警日期从"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("至"), required=False, widget=DATE)
    category = CategoryField(
        label=_("类别"), required=False, tops_selectable=True, blank_label=_("全部类别")
    )
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部状态")), (selectors.OPEN, _("在办（未办结）")), *Status.choices],
    )
    source = forms.ChoiceField(
        label=_("来源"), required=False, choices=[("", _("全部来源")), *Source.choices]
    )
    grid = forms.TypedChoiceField(label=_("网格"), required=False, coerce=int, empty_value=None)
    code = forms.CharField(
        label=_("查询码"),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("查询码")}),
    )

    def __init__(self, *args: Any, grids: Iterable[Jurisdiction], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        load_categories(self)
        grid_choices = [(g.pk, g.name) for g in grids]
        if grid_choices:
            self.fields["grid"].choices = [("", _("全部网格")), *grid_choices]  # type: ignore[attr-defined]
        else:
            del self.fields["grid"]

    def to_filter(self) -> selectors.IncidentFilter:
        """The valid filters; a malformed one is shown with its error and left out."""
        self.is_valid()
        data = self.cleaned_data
        category = data.get("category")
        return selectors.IncidentFilter(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            category=category.code if category else "",
            status=data.get("status") or "",
            source=data.get("source") or "",
            grid=data.get("grid"),
            code=data.get("code") or "",
        )

    @property
    def is_filtered(self) -> bool:
        return any(self.data.get(name) for name in self.fields)
