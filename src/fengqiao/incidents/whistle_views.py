"""吹哨报到 pages: the unit's inbox (报到、退回、反馈 right from the list), the requests a
station raised, the bureau's board of open requests by age, the raise form and one
request with its history and next steps.

Thin: a form parses, :mod:`fengqiao.incidents.whistles` writes or reads, a template
renders."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.forms import refusal_text, show_refusal
from fengqiao.core.roles import Capability, require
from fengqiao.incidents import codes, whistles
from fengqiao.incidents import selectors as incident_selectors
from fengqiao.incidents.models import (
    DESCRIPTION_MAX_LENGTH,
    OPEN_WHISTLES,
    Incident,
    WhistleRequest,
    WhistleStatus,
)
from fengqiao.incidents.templatetags.incident_tags import duration_text
from fengqiao.jurisdictions.models import Jurisdiction

LIST_LIMIT = 200  # an inbox longer than this is a backlog to clear, not a page to scroll
DATETIME_FORMAT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
DEFAULT_DUE = dt.timedelta(hours=24)
BACK_TO = {"detail", "inbox"}


def _default_due() -> dt.datetime:
    """Tomorrow at this minute, on the local (Asia/Shanghai) clock."""
    return (timezone.localtime() + DEFAULT_DUE).replace(second=0, microsecond=0)


class TargetField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Jurisdiction) -> str:
        return f"{obj.name}（{obj.get_kind_display()}）"


class WhistleForm(forms.Form):
    """吹哨: what, where, why, the linked incident or case, by when."""

    to_unit = TargetField(
        label=gettext_lazy("报到单位"),
        queryset=Jurisdiction.objects.none(),
        empty_label=gettext_lazy("请选择警种部门或派出所"),
    )
    title = forms.CharField(label=gettext_lazy("事项"), max_length=100)
    location_text = forms.CharField(label=gettext_lazy("地点"), max_length=200, required=False)
    reason = forms.CharField(
        label=gettext_lazy("原因与要求"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    incident_code = forms.CharField(
        label=gettext_lazy("关联警情查询码"),
        max_length=20,
        required=False,
        help_text=gettext_lazy("可选：填写本所警情的查询码。"),
    )
    case_number = forms.CharField(label=gettext_lazy("关联案件编号"), max_length=40, required=False)
    due_at = forms.DateTimeField(
        label=gettext_lazy("要求完成时间"),
        initial=_default_due,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "step": 60}, format=DATETIME_FORMAT
        ),
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["to_unit"].queryset = whistles.targets_for(user=user)  # type: ignore[attr-defined]
        self.fields["title"].widget.attrs.update(
            {"autofocus": True, "placeholder": _("如：请刑侦大队协助现场勘查")}
        )

    def clean_incident_code(self) -> Incident | None:
        code = codes.normalise(self.cleaned_data.get("incident_code") or "")
        if not code:
            return None
        found = incident_selectors.incidents_for(user=self.user).filter(tracking_code=code)
        incident = found.first()
        if incident is None:
            raise forms.ValidationError(_("没有找到该查询码的警情，或不在您的辖区内。"))
        return incident

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["incident"] = data.pop("incident_code")
        return data


class ActForm(forms.Form):
    """One step of a request, named with the version the page showed."""

    to_status = forms.ChoiceField(choices=WhistleStatus.choices, widget=forms.HiddenInput)
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(max_length=DESCRIPTION_MAX_LENGTH, required=False)
    back = forms.ChoiceField(
        choices=[(name, name) for name in sorted(BACK_TO)], required=False, widget=forms.HiddenInput
    )


def _with_steps(user: Any, items: Any) -> list[dict[str, Any]]:
    return [{"whistle": w, "steps": whistles.next_steps(actor=user, whistle=w)} for w in items]


def _nav(user: Any) -> dict[str, bool]:
    return {
        "can_answer": user.can(Capability.ANSWER_WHISTLES),
        "can_raise": user.can(Capability.RAISE_WHISTLES),
    }


@login_required
@require_GET
def whistle_home(request: HttpRequest) -> HttpResponse:
    """The section's entry: the inbox for a unit that only answers, the requests raised
    for a station, the board for everyone else who may look."""
    user = request.user
    if user.can(Capability.RAISE_WHISTLES):
        return redirect("incidents:whistle_raised")
    if user.can(Capability.ANSWER_WHISTLES):
        return redirect("incidents:whistle_inbox")
    return redirect("incidents:whistle_board")


@login_required
@require_GET
def whistle_inbox(request: HttpRequest) -> HttpResponse:
    """收件箱 of the unit: requests to it, open first by due time, each with the steps
    the user may take right there (报到、退回、反馈)."""
    return _list_page(request, whistles.inbox(user=request.user), "inbox")


def _list_page(request: HttpRequest, found: Any, template: str) -> HttpResponse:
    context = {
        "rows": _with_steps(request.user, list(found[:LIST_LIMIT])),
        "now": timezone.now(),
        "open_statuses": OPEN_WHISTLES,
        "limit": LIST_LIMIT,
        **_nav(request.user),
    }
    return render(request, f"incidents/whistles/{template}.html", context)


@login_required
@require_GET
def whistle_raised(request: HttpRequest) -> HttpResponse:
    """The requests the user's station raised, open first."""
    return _list_page(request, whistles.raised(user=request.user), "raised")


@login_required
@require_GET
def whistle_board(request: HttpRequest) -> HttpResponse:
    """督办看板: open requests of the stations in scope, oldest first, overdue in red,
    escalated ones flagged."""
    rows = whistles.board(user=request.user)
    context = {
        "rows": [{"row": r, "age": duration_text(r.age)} for r in rows],
        "total": len(rows),
        "overdue": sum(r.overdue for r in rows),
        "escalated": sum(r.escalated for r in rows),
        **_nav(request.user),
    }
    return render(request, "incidents/whistles/board.html", context)


def _incident_from_query(request: HttpRequest) -> Incident | None:
    """The incident named by ``?incident=<pk>`` (in scope, else 404), to prefill from."""
    value = request.GET.get("incident", "")
    if not value:
        return None
    if not value.isdigit():
        raise Http404
    incident = incident_selectors.incidents_for(user=request.user).filter(pk=int(value)).first()
    if incident is None:
        raise Http404
    return incident


@login_required
@require_http_methods(["GET", "POST"])
def whistle_new(request: HttpRequest) -> HttpResponse:
    """吹哨: the raise form; ``?incident=<pk>`` fills in the incident's code, place and
    case number. A refused form comes back with what was typed."""
    require(request.user, Capability.RAISE_WHISTLES)
    if request.method == "POST":
        form = WhistleForm(request.POST, user=request.user)
        incident = None
        if form.is_valid():
            try:
                whistle = whistles.raise_whistle(actor=request.user, **form.service_arguments())
            except (ValidationError, PermissionDenied) as error:
                show_refusal(form, error, aliases={"incident": "incident_code"})
            else:
                messages.success(
                    request,
                    _("已吹哨，编号 %(code)s，已送达%(unit)s。")
                    % {"code": codes.grouped(whistle.code), "unit": whistle.to_unit.name},
                )
                return redirect("incidents:whistle_detail", pk=whistle.pk)
    else:
        incident = _incident_from_query(request)
        initial = {}
        if incident is not None:
            initial = {
                "incident_code": incident.tracking_code,
                "location_text": incident.location_text,
                "case_number": incident.case_number,
            }
        form = WhistleForm(initial=initial, user=request.user)
    context = {"form": form, "incident": incident, **_nav(request.user)}
    return render(request, "incidents/whistles/form.html", context)


def _visible(user: Any, pk: int) -> WhistleRequest:
    try:
        return whistles.whistle_detail(user=user, pk=pk)
    except WhistleRequest.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def whistle_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: the facts, the history, and the forms of the steps the user may
    take now."""
    whistle = _visible(request.user, pk)
    events = [
        {
            "event": e,
            "from": whistles.status_label(e.from_status) if e.from_status else "",
            "to": whistles.status_label(e.to_status) if e.to_status else "",
        }
        for e in whistle.events.all()
    ]
    is_open = whistle.status in whistles.OPEN_STATUSES
    context = {
        "whistle": whistle,
        "events": events,
        "steps": whistles.next_steps(actor=request.user, whistle=whistle),
        "is_open": is_open,
        "overdue": is_open and whistle.due_at < timezone.now(),
        **_nav(request.user),
    }
    return render(request, "incidents/whistles/detail.html", context)


@login_required
@require_POST
def whistle_act(request: HttpRequest, pk: int) -> HttpResponse:
    """One step (报到、退回、反馈、办结、退回补充); back to the request or the inbox
    with what happened."""
    whistle = _visible(request.user, pk)
    form = ActForm(request.POST)
    back = request.POST.get("back") if request.POST.get("back") in BACK_TO else "detail"
    if not form.is_valid():
        messages.error(request, _("提交的内容有误，请刷新后重试。"))
    else:
        data = form.cleaned_data
        try:
            whistles.act(
                actor=request.user,
                whistle=whistle,
                to_status=data["to_status"],
                expected_version=data["version"],
                note=data["note"],
            )
        except StaleEditError as error:
            messages.error(request, str(error))
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, refusal_text(error))
        else:
            messages.success(
                request,
                _("%(code)s 已变更为“%(status)s”。")
                % {"code": codes.grouped(whistle.code), "status": whistle.get_status_display()},
            )
    if back == "inbox":
        return redirect("incidents:whistle_inbox")
    return redirect("incidents:whistle_detail", pk=whistle.pk)
