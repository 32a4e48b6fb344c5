"""Public pages (no login): what a citizen reaches by scanning a doorplate, and the
reporter's tracking pages (阳光坐席)."""

from __future__ import annotations

import logging
import time
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_cookie

from fengqiao.addresses import codes, selectors
from fengqiao.addresses.models import AddressStatus
from fengqiao.incidents import codes as incident_codes
from fengqiao.incidents import public, ratelimit
from fengqiao.incidents.models import Incident, ReporterAddition, Satisfaction

logger = logging.getLogger(__name__)


@cache_control(public=True, max_age=300)
@vary_on_cookie  # the language comes from a cookie
def address_page(request: HttpRequest, code: str) -> HttpResponse:
    """二维码门牌落地页: the address, the police room and its duty phone, services.
    Only public facts; an unknown or mistyped code gets the same polite 404."""
    address = selectors.public_address(code)
    if address is None:
        return render(request, "portal/address_unknown.html", {"code": code[:20]}, status=404)
    now = selectors.current(address)
    if now.code != code:  # merged, or typed loosely (spaces, dashes, lower case)
        return redirect("portal:address", code=now.code)
    return render(
        request,
        "portal/address.html",
        {
            "address": address,
            "grouped_code": codes.grouped(address.code),
            "demolished": address.status == AddressStatus.DEMOLISHED,
            **selectors.public_contacts(address),
        },
    )


# --- 阳光坐席: the reporter's tracking pages -------------------------------------------

TRACK_SESSION_KEY = "fengqiao.track"
PROOF_MAX_AGE = 2 * 3600  # seconds: a proof kept in a forgotten browser does not last
NOT_FOUND = gettext_lazy(
    "没有查到对应的警情。请核对查询码和手机号后四位；报警时未留手机号的，无法在此查询。"
)
LIMITED = gettext_lazy("尝试次数过多，请稍后再试。如需帮助，请联系办理单位或拨打110。")


class TrackForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("查询码"), max_length=30)
    phone_last4 = forms.CharField(label=gettext_lazy("手机号后四位"), max_length=10)

    def clean_code(self) -> str:
        # The check character catches a typo without asking the database; that it
        # exists is printed on every SMS, so saying so reveals nothing.
        code = incident_codes.normalise(self.cleaned_data["code"])
        if not incident_codes.is_valid(code):
            raise ValidationError(_("查询码有误，请核对短信中的10位查询码。"))
        return code

    def clean_phone_last4(self) -> str:
        digits = "".join(self.cleaned_data["phone_last4"].split())
        if len(digits) != 4 or not (digits.isascii() and digits.isdigit()):
            raise ValidationError(_("请输入报警时所留手机号的后四位数字。"))
        return digits


class AdditionForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("补充类型"),
        choices=ReporterAddition.Kind.choices,
        initial=ReporterAddition.Kind.CLUE,
    )
    text = forms.CharField(label=gettext_lazy("内容"), required=False, widget=forms.Textarea)
    photo = forms.FileField(label=gettext_lazy("照片"), required=False)


class SurveyForm(forms.Form):
    rating = forms.ChoiceField(
        label=gettext_lazy("您对办理结果满意吗？"), choices=Satisfaction.choices
    )
    comment = forms.CharField(
        label=gettext_lazy("意见和建议（可不填）"), required=False, widget=forms.Textarea
    )


def _client(request: HttpRequest) -> str:
    # REMOTE_ADDR, as for the login throttle: behind trusted proxies it already holds the
    # client's own address (core.middleware.ClientAddressMiddleware), not the proxy's.
    return ratelimit.client_subject(request.META.get("REMOTE_ADDR"))


def _prove(request: HttpRequest, incident: Incident) -> None:
    request.session.cycle_key()  # a new session id on proof: no fixation
    request.session[TRACK_SESSION_KEY] = {"incident": incident.pk, "at": int(time.time())}
    if not request.user.is_authenticated:  # don't shorten a staff member's own session
        request.session.set_expiry(0)  # the proof ends with the browser


def _proven_incident(request: HttpRequest) -> Incident | None:
    proof = request.session.get(TRACK_SESSION_KEY)
    if not isinstance(proof, dict) or not isinstance(proof.get("incident"), int):
        return None
    if time.time() - float(proof.get("at", 0)) > PROOF_MAX_AGE:
        del request.session[TRACK_SESSION_KEY]
        return None
    return public.reporter_incident(proof["incident"])


def _track_page(
    request: HttpRequest, form: TrackForm, *, error: Any = "", status: int = 200
) -> HttpResponse:
    context = {"form": form, "page_error": error, "proven": TRACK_SESSION_KEY in request.session}
    return render(request, "portal/track.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    """查询办理进度: the tracking code and the last four digits of the phone. A wrong
    pair and an unknown code get the same answer; too many failures from one address or
    for one code get 429 before the pair is even looked at."""
    if request.method == "GET":
        return _track_page(request, TrackForm(initial={"code": request.GET.get("code", "")[:30]}))
    client = _client(request)
    if ratelimit.is_limited(ratelimit.TRACK_BY_CLIENT, client):
        return _track_page(request, TrackForm(), error=LIMITED, status=429)
    form = TrackForm(request.POST)
    if not form.is_valid():
        return _track_page(request, form)
    code = form.cleaned_data["code"]
    if not (
        ratelimit.consume(ratelimit.TRACK_BY_CLIENT, client)
        and ratelimit.consume(ratelimit.TRACK_BY_CODE, code)
    ):
        logger.warning("tracking lookups limited (too many failures)")
        return _track_page(request, TrackForm(), error=LIMITED, status=429)
    incident = public.find_for_reporter(code, form.cleaned_data["phone_last4"])
    if incident is None:
        # The typed code is shown again, the digits are not: nothing here says which
        # of the two was wrong.
        retry = TrackForm(initial={"code": request.POST.get("code", "")[:30]})
        return _track_page(request, retry, error=NOT_FOUND)
    ratelimit.refund(ratelimit.TRACK_BY_CLIENT, client)
    ratelimit.refund(ratelimit.TRACK_BY_CODE, code)
    _prove(request, incident)
    return redirect("portal:track_progress")


def _progress_page(
    request: HttpRequest,
    incident: Incident,
    *,
    addition_form: AdditionForm | None = None,
    survey_form: SurveyForm | None = None,
) -> HttpResponse:
    context = {
        "progress": public.public_progress(incident),
        "addition_form": addition_form or AdditionForm(),
        "survey_form": survey_form or SurveyForm(),
        "text_limit": public.TEXT_LIMIT,
    }
    return render(request, "portal/track_progress.html", context)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, field_messages in error.message_dict.items():
            form.add_error(field if field in form.fields else None, field_messages)
    else:
        form.add_error(None, error.messages)


@never_cache
@require_http_methods(["GET"])
def track_progress(request: HttpRequest) -> HttpResponse:
    """办理进度: stages and times, the handling unit, the forms to add and to rate."""
    incident = _proven_incident(request)
    if incident is None:
        return redirect("portal:track")
    return _progress_page(request, incident)


@never_cache
@require_POST
def track_add(request: HttpRequest) -> HttpResponse:
    """报警人补充: a clue, a correction or a photo. On a refusal the page comes back with
    what was typed."""
    incident = _proven_incident(request)
    if incident is None:
        return redirect("portal:track")
    form = AdditionForm(request.POST, request.FILES)
    if form.is_valid():
        subject = str(incident.pk)
        if not ratelimit.consume(ratelimit.ADDITIONS_BY_INCIDENT, subject):
            form.add_error(None, _("补充得太频繁了，请稍后再试。"))
        else:
            try:
                public.add_from_reporter(
                    incident=incident,
                    kind=form.cleaned_data["kind"],
                    text=form.cleaned_data["text"],
                    photo=form.cleaned_data["photo"],
                )
            except ValidationError as error:
                ratelimit.refund(ratelimit.ADDITIONS_BY_INCIDENT, subject)
                _add_errors(form, error)
            else:
                messages.success(request, _("已收到您的补充，办理单位会看到。谢谢！"))
                return redirect("portal:track_progress")
    return _progress_page(request, incident, addition_form=form)


@never_cache
@require_POST
def track_survey(request: HttpRequest) -> HttpResponse:
    """满意度评价, once, after the incident was closed."""
    incident = _proven_incident(request)
    if incident is None:
        return redirect("portal:track")
    form = SurveyForm(request.POST)
    if form.is_valid():
        try:
            public.submit_survey(
                incident=incident,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("感谢您的评价！"))
            return redirect("portal:track_progress")
    return _progress_page(request, incident, survey_form=form)


@never_cache
@require_POST
def track_leave(request: HttpRequest) -> HttpResponse:
    """退出查询: forget which incident this browser proved (a shared phone)."""
    request.session.pop(TRACK_SESSION_KEY, None)
    messages.success(request, _("已退出查询。"))
    return redirect("portal:track")
