"""Forms of the 一表通考 pages. They parse input only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fengqiao.scoring.models import Criterion, Direction, Indicator, Level
from fengqiao.scoring.services import IndicatorInput

PERIOD_HELP = _("月度写作2026-11，季度写作2026-Q4，年度写作2026")


class TableForm(forms.Form):
    level = forms.ChoiceField(label=_("层级"), choices=Level.choices)
    period = forms.CharField(
        label=_("考核期"), max_length=8, help_text=PERIOD_HELP,
        widget=forms.TextInput(attrs={"placeholder": "2026-11", "size": 8}),
    )  # fmt: skip

    def __init__(self, *args: Any, levels: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = levels  # type: ignore[attr-defined]


class IndicatorForm(forms.Form):
    """考核指标: the definition. Problems with the formula come back from the service
    (checked at definition time) and are shown at the formula, the input kept."""

    code = forms.CharField(label=_("代码"), max_length=32, help_text=Indicator._meta.get_field(
        "code").help_text)  # fmt: skip
    name = forms.CharField(label=_("名称"), max_length=60)
    levels = forms.MultipleChoiceField(
        label=_("适用层级"), choices=Level.choices, widget=forms.CheckboxSelectMultiple
    )
    manual = forms.BooleanField(label=_("手工录入（党建、执法质量等考评）"), required=False)
    formula = forms.CharField(
        label=_("公式"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "class": "mono"}),
        help_text=_("例：percent(disputes_resolved, disputes_closed)。可用 + − × ÷、括号、"
                    "ratio(a, b)、percent(a, b)、min、max、ifnone(a, b)，以及其他指标的代码；"
                    "除以事实请用 ratio 或 percent。"),
    )  # fmt: skip
    unit = forms.CharField(label=_("计量单位"), max_length=8, required=False)
    direction = forms.ChoiceField(label=_("方向"), choices=Direction.choices)
    target = forms.DecimalField(label=_("目标值"), max_digits=12, decimal_places=4)
    zero_at = forms.DecimalField(
        label=_("零分值"), max_digits=12, decimal_places=4, initial=0,
        help_text=_("达到目标值得满分，达到（或差于）零分值得0分，其间按比例得分"),
    )  # fmt: skip
    weight = forms.DecimalField(label=_("分值"), max_digits=6, decimal_places=2)
    description = forms.CharField(
        label=_("说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )
    sort = forms.IntegerField(label=_("排序"), min_value=0, max_value=32000, initial=0)
    active = forms.BooleanField(label=_("启用"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].widget.attrs["readonly"] = True

    def to_input(self) -> IndicatorInput:
        data = self.cleaned_data
        return IndicatorInput(
            code=data["code"], name=data["name"], levels=list(data["levels"]),
            manual=data["manual"], formula=data["formula"], unit=data["unit"],
            direction=data["direction"], target=data["target"], zero_at=data["zero_at"],
            weight=data["weight"], description=data["description"], sort=data["sort"] or 0,
            active=data["active"],
        )  # fmt: skip


def indicator_initial(indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code, "name": indicator.name, "levels": indicator.levels,
        "manual": indicator.manual, "formula": indicator.formula, "unit": indicator.unit,
        "direction": indicator.direction, "target": indicator.target.normalize(),
        "zero_at": indicator.zero_at.normalize(), "weight": indicator.weight.normalize(),
        "description": indicator.description, "sort": indicator.sort,
        "active": indicator.active, "version": indicator.version,
    }  # fmt: skip


class AssessmentScopeForm(forms.Form):
    """Which manual indicator, period, level and part of the tree to enter values for."""

    indicator = forms.ModelChoiceField(label=_("指标"), queryset=Indicator.objects.none())
    period = forms.CharField(label=_("考核期"), max_length=8, help_text=PERIOD_HELP)
    level = forms.ChoiceField(label=_("层级"), choices=Level.choices)
    under = forms.TypedChoiceField(label=_("范围"), coerce=int)

    def __init__(
        self, *args: Any, indicators: Any, units: list[tuple[int, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["indicator"].queryset = indicators  # type: ignore[attr-defined]
        self.fields["under"].choices = units  # type: ignore[attr-defined]


RATING_CHOICES = [("", "—"), *[(str(n), str(n)) for n in range(1, 6)]]
CRITERIA = Criterion.choices
