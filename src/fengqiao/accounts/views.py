from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.accounts import selectors, services, tokens
from fengqiao.accounts.forms import LoginForm, NewStaffForm, StaffForm
from fengqiao.accounts.models import Post, StaffKind, User
from fengqiao.audit import services as audit
from fengqiao.audit.personal import masked_fields, reveal
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.exports import to_csv, to_xlsx
from fengqiao.core.masking import mask_phone
from fengqiao.core.roles import Capability, Role, require
from fengqiao.jurisdictions import selectors as jurisdiction_selectors
from fengqiao.jurisdictions.models import Jurisdiction


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def _staff_or_404(request: HttpRequest, pk: int, *, audited: bool = False) -> User:
    try:
        if audited:
            return selectors.staff_detail(user=request.user, pk=pk)
        return selectors.staff_list(user=request.user).get(pk=pk)
    except User.DoesNotExist:
        raise Http404 from None


STATUS_FILTER = {"active": True, "inactive": False}


def _filtered_staff(
    request: HttpRequest,
) -> tuple[QuerySet[User], dict[str, str], Jurisdiction | None]:
    """The list's filters. ``unit`` and ``level`` come from the staffing checks' links
    (the officers behind a figure); a unit outside the user's scope is 404."""
    allowed = {"role": Role.values, "kind": StaffKind.values, "post": Post.values,
               "status": list(STATUS_FILTER), "level": ["station"]}  # fmt: skip
    filters = {"q": request.GET.get("q", "").strip()}
    for name, values in allowed.items():
        value = request.GET.get(name, "")
        filters[name] = value if value in values else ""
    unit = None
    if request.GET.get("unit", "").isdigit():
        try:
            unit = jurisdiction_selectors.jurisdiction_for(request.user, int(request.GET["unit"]))
        except Jurisdiction.DoesNotExist:
            raise Http404 from None
        filters["unit"] = str(unit.pk)
    staff = selectors.staff_list(
        user=request.user,
        search=filters["q"],
        role=filters["role"],
        staff_kind=filters["kind"],
        post=filters["post"],
        unit=unit,
        in_station=filters["level"] == "station",
        active=STATUS_FILTER.get(filters["status"]),
    )
    return staff, filters, unit


@login_required
def staff_list(request: HttpRequest) -> HttpResponse:
    staff, filters, unit = _filtered_staff(request)
    page = Paginator(staff, 25).get_page(request.GET.get("page"))
    selectors.audited_page(
        user=request.user, objects=page, fields=["full_name", "badge_number"], label="accounts.user"
    )
    rows = [(person, masked_fields(request, person, "accounts:staff_reveal")) for person in page]
    query = urlencode({key: value for key, value in filters.items() if value})
    context = {
        "rows": rows,
        "page_obj": page,
        "filters": filters,
        "roles": Role.choices,
        "kinds": StaffKind.choices,
        "posts": Post.choices,
        "unit": unit,
        "query_prefix": f"{query}&" if query else "",
        "can_export": request.user.can(Capability.EXPORT_RECORDS),
        "can_manage": request.user.can(Capability.MANAGE_STAFF),
    }
    partial = request.headers.get("HX-Target") == "staff-table"
    return render(
        request, "accounts/_staff_table.html" if partial else "accounts/staff_list.html", context
    )


@login_required
def staff_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _staff_or_404(request, pk, audited=True))


def _detail(request: HttpRequest, person: User, **extra: object) -> HttpResponse:
    """The account's page, with its API tokens for those who manage accounts."""
    return render(
        request,
        "accounts/staff_detail.html",
        {
            "person": person,
            "personal": masked_fields(request, person, "accounts:staff_reveal"),
            "can_manage": request.user.can(Capability.MANAGE_STAFF),
            "api_tokens": selectors.api_tokens(user=request.user, account=person),
            "awaits_activation": person.is_active and not person.has_usable_password(),
            **extra,
        },
    )


@login_required
@require_POST
def token_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """签发接口令牌: the secret is in this one answer (not stored, not cached)."""
    person = _staff_or_404(request, pk, audited=True)
    name = request.POST.get("name", "")
    try:
        token, secret = tokens.issue(actor=request.user, user=person, name=name)
    except ValidationError as error:
        response = _detail(request, person, token_name=name, token_errors=error.messages)
        response.status_code = 422
        return response
    response = _detail(request, person, new_token=token, new_secret=secret)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def activation_issue(request: HttpRequest, pk: int) -> HttpResponse:
    """重新签发激活链接: for an account that has not set its password yet (the earlier
    link lost or expired); the new link is in this one answer, the old ones stop working."""
    person = _staff_or_404(request, pk, audited=True)
    if not person.is_active or person.has_usable_password():
        raise Http404
    _activation, token = services.issue_activation(actor=request.user, user=person)
    link = request.build_absolute_uri(reverse("accounts:activate", args=[token]))
    response = _detail(request, person, activation_link=link)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int, token_pk: int) -> HttpResponse:
    person = _staff_or_404(request, pk)
    token = selectors.api_tokens(user=request.user, account=person).filter(pk=token_pk).first()
    if token is None:
        raise Http404
    tokens.revoke(actor=request.user, token=token)
    messages.success(request, _("令牌“%(name)s”已吊销，持有它的系统将无法再调用接口。")
                     % {"name": token.name})  # fmt: skip
    page = reverse("accounts:staff_detail", args=[person.pk])
    if request.headers.get("HX-Request"):  # asked to confirm first (hx-confirm): load the page
        return HttpResponse(status=204, headers={"HX-Redirect": page})
    return redirect(page)


@login_required
@require_http_methods(["GET", "POST"])
def staff_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    person = _staff_or_404(request, pk)
    return reveal(request, obj=person, field=field, url_name="accounts:staff_reveal")


@login_required
def staff_export(request: HttpRequest, fmt: str) -> HttpResponse:
    require(request.user, Capability.EXPORT_RECORDS)
    queryset, filters, _unit = _filtered_staff(request)
    staff = list(queryset)
    headers = [
        _("姓名"),
        _("登录名"),
        _("角色"),
        _("人员类别"),
        _("岗位"),
        _("所属辖区"),
        _("警号/工号"),
        _("手机号"),
        _("状态"),
    ]
    rows = [
        [p.full_name, p.username, p.get_role_display(), p.get_staff_kind_display(),
         p.get_post_display(), p.jurisdiction.name,
         p.badge_number, mask_phone(p.phone), _("启用") if p.is_active else _("停用")]
        for p in staff
    ]  # fmt: skip
    audit.record(
        actor=request.user, action="export", object_type="accounts.user",
        object_ids=[p.pk for p in staff], object_repr=f"{len(rows)} records ({fmt})",
        scope_path=request.user.scope_path,
        fields=["full_name", "username", "role", "staff_kind", "post", "jurisdiction",
                "badge_number", "phone"],
        reason=" ".join(f"{k}={v}" for k, v in filters.items() if v),
    )  # fmt: skip
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        response = HttpResponse(to_csv(headers, rows), content_type="text/csv; charset=utf-8")
    else:
        response = HttpResponse(
            to_xlsx(headers, rows, title=_("工作人员")),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["Content-Disposition"] = f'attachment; filename="staff-{stamp}.{fmt}"'
    return response


def _staff_form_view(request: HttpRequest, person: User | None) -> HttpResponse:
    require(request.user, Capability.MANAGE_STAFF)
    units = jurisdiction_selectors.police_units_for(request.user)
    form_class = StaffForm if person else NewStaffForm
    initial = {}
    if person:
        initial = {name: getattr(person, name) for name in services.EDITABLE_FIELDS}
        initial["version"] = person.version
    form = form_class(
        request.POST or None,
        initial=initial,
        jurisdictions=units,
        actor=request.user,
        person=person,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.service_arguments()
        try:
            if person:
                version = data.pop("version") or 0
                person = services.update_staff(
                    actor=request.user, user=person, expected_version=version, **data
                )
            else:
                data.pop("version", None)
                data.pop("is_active", None)
                person = services.create_staff(actor=request.user, **data)
        except StaleEditError as error:
            form.add_error(None, str(error))  # the input stays on the page
            status = 409
        except ValidationError as error:
            form.add_error(None, error.messages)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已保存。"))
            return redirect("accounts:staff_detail", pk=person.pk)
    return render(
        request, "accounts/staff_form.html", {"form": form, "person": person}, status=status
    )


@login_required
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    return _staff_form_view(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_form_view(request, _staff_or_404(request, pk))


class _OwnPasswordForm(SetPasswordForm):
    """Django's set-password form (the settings' validators), saved by our services."""

    def save(self, commit: bool = True) -> User:  # the services write, and audit
        raise NotImplementedError


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, token: str) -> HttpResponse:
    """激活账号: the holder of a one-time link sets his own password. A used, expired or
    wrong link says so, with no hint of whose it was."""
    activation = services.activation_for(token)
    if activation is None:
        response = render(request, "accounts/activate.html", {"invalid": True}, status=410)
        response["Cache-Control"] = "no-store"
        return response
    form = _OwnPasswordForm(activation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.activate(token=token, password=form.cleaned_data["new_password1"])
        except ValidationError as error:
            form.add_error("new_password2", error)
        else:
            messages.success(request, _("账号已激活，请用新密码登录。"))
            return redirect("accounts:login")
    response = render(request, "accounts/activate.html", {"form": form, "person": activation.user})
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"  # the token is in this page's address
    return response


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """修改密码: required at the first login after an initial password, open any time."""
    user: User = request.user  # type: ignore[assignment]
    form = _OwnPasswordForm(user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_own_password(user=user, password=form.cleaned_data["new_password1"])
        except ValidationError as error:
            form.add_error("new_password2", error)
        else:
            update_session_auth_hash(request, user)  # stay logged in with the new password
            messages.success(request, _("密码已修改。"))
            return redirect(settings.LOGIN_REDIRECT_URL)
    return render(
        request,
        "accounts/password_change.html",
        {"form": form, "required": user.must_change_password},
    )
