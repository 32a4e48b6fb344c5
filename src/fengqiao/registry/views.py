"""一标三实 pages: browse 社区 → 楼栋 → 房屋 → 人员, search, record pages, the tenant flow."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.accounts.selectors import audited_page
from fengqiao.addresses import selectors as address_selectors
from fengqiao.addresses import services as address_services
from fengqiao.audit.personal import masked_fields, reveal
from fengqiao.core.forms import refusal_text
from fengqiao.core.pagination import keyset_page
from fengqiao.core.roles import Capability, require
from fengqiao.registry import selectors, services
from fengqiao.registry.forms import (
    AddressForm,
    MoveOutForm,
    OrganisationForm,
    PersonForm,
    TenantForm,
)
from fengqiao.registry.models import House, Residence, ResidenceStatus


def _get_or_404(fetch: Callable[[], Model]) -> Any:
    try:
        return fetch()
    except ObjectDoesNotExist:
        raise Http404 from None


def _form_error(form: Any, error: Exception) -> None:
    form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Search people and addresses, or browse by community."""
    query = request.GET.get("q", "").strip()
    context: dict[str, Any] = {"q": query}
    if query:
        people = keyset_page(
            selectors.people_for(user=request.user, search=query), order=("name", "pk"), size=20
        )
        addresses = address_selectors.addresses_for(user=request.user, search=query)[:20]
        context |= {"people": people.items, "addresses": list(addresses)}
        audited_page(
            user=request.user, objects=people.items, fields=["name"], label="registry.person"
        )
    else:  # the browse table counts every address: only when not searching
        context["communities"] = selectors.communities_for(user=request.user)
    return render(request, "registry/overview.html", context)


@login_required
def people(request: HttpRequest) -> HttpResponse:
    """实有人口 list: keyset pages, so the millionth row costs what the first does."""
    query = request.GET.get("q", "").strip()
    page = keyset_page(
        selectors.people_for(user=request.user, search=query),
        order=("name", "pk"),
        cursor=request.GET.get("after", ""),
    )
    audited_page(user=request.user, objects=page.items, fields=["name"], label="registry.person")
    return render(
        request,
        "registry/people.html",
        {"page": page, "q": query, "cursor": request.GET.get("after", "")},
    )


@login_required
def community(request: HttpRequest, pk: int) -> HttpResponse:
    node = _get_or_404(lambda: selectors.communities_for(user=request.user).get(pk=pk))
    return render(
        request,
        "registry/community.html",
        {
            "community": node,
            "buildings": selectors.buildings_of(user=request.user, community=node),
            "can_edit": request.user.can(Capability.EDIT_RECORDS),
        },
    )


@login_required
def house(request: HttpRequest, pk: int) -> HttpResponse:
    record = _get_or_404(lambda: selectors.house_detail(user=request.user, pk=pk))
    residences = list(record.residences.all())
    return render(
        request,
        "registry/house.html",
        {
            "house": record,
            "current": [
                r
                for r in residences
                if r.moved_out is None and r.status != ResidenceStatus.REJECTED
            ],
            "past": [
                r
                for r in residences
                if r.moved_out is not None or r.status == ResidenceStatus.REJECTED
            ],
            "organisations": record.address.organisations.all(),
            "personal": masked_fields(request, record, "registry:house_reveal"),
            "history": selectors.history_of(user=request.user, obj=record)[:20],
            "can_edit": request.user.can(Capability.EDIT_RECORDS),
            "move_out_form": MoveOutForm(),
        },
    )


@login_required
def person(request: HttpRequest, pk: int) -> HttpResponse:
    record = _get_or_404(lambda: selectors.person_detail(user=request.user, pk=pk))
    return render(
        request,
        "registry/person.html",
        {
            "person": record,
            "stays": record.residences.all(),
            "personal": masked_fields(request, record, "registry:person_reveal"),
            "history": selectors.history_of(user=request.user, obj=record)[:20],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def person_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    record = _get_or_404(lambda: selectors.people_for(user=request.user).get(pk=pk))
    return reveal(request, obj=record, field=field, url_name="registry:person_reveal")


@login_required
@require_http_methods(["GET", "POST"])
def house_reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    record = _get_or_404(lambda: selectors.houses_for(user=request.user).get(pk=pk))
    return reveal(request, obj=record, field=field, url_name="registry:house_reveal")


@login_required
@require_http_methods(["GET", "POST"])
def address_create(request: HttpRequest) -> HttpResponse:
    """登记标准地址 (and, usually, the house at it)."""
    require(request.user, Capability.EDIT_RECORDS)
    form = AddressForm(
        request.POST or None,
        initial={"community": request.GET.get("community")},
        communities=selectors.communities_for(user=request.user),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        elements = {k: data[k] for k in address_services.ELEMENTS}
        try:
            address = address_services.create_address(
                actor=request.user,
                community=data["community"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                **elements,
            )
            if data["with_house"]:
                created = services.register_house(
                    actor=request.user, address=address, use=data["use"]
                )
                messages.success(request, _("已登记：%(address)s") % {"address": address})
                return redirect("registry:house", pk=created.pk)
        except (ValidationError, PermissionDenied) as error:
            _form_error(form, error)
        else:
            messages.success(request, _("已登记：%(address)s") % {"address": address})
            return redirect("registry:community", pk=address.community_id)
    return render(request, "registry/form.html", {"form": form, "title": _("登记标准地址")})


def _register_at_house(
    request: HttpRequest,
    house_pk: int,
    form_class: type[Any],
    title: str,
    register: Callable[[House, dict[str, Any]], Any],
) -> HttpResponse:
    """The shared form flow for what is registered at a house (people, organisations)."""
    record = _get_or_404(lambda: selectors.houses_for(user=request.user).get(pk=house_pk))
    require(request.user, Capability.EDIT_RECORDS)
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            register(record, form.cleaned_data)
        except (ValidationError, PermissionDenied) as error:
            _form_error(form, error)
        else:
            messages.success(request, _("已登记。"))
            return redirect("registry:house", pk=record.pk)
    context = {"form": form, "title": title, "subtitle": record.address}
    return render(request, "registry/form.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def person_create(request: HttpRequest, house_pk: int) -> HttpResponse:
    """登记实有人口 living at a house."""
    return _register_at_house(
        request,
        house_pk,
        PersonForm,
        _("登记居住人员"),
        lambda house, data: services.register_person(actor=request.user, house=house, **data),
    )


@login_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest, house_pk: int) -> HttpResponse:
    """登记实有单位 at a house's address."""
    return _register_at_house(
        request,
        house_pk,
        OrganisationForm,
        _("登记单位"),
        lambda house, data: services.register_organisation(
            actor=request.user, address=house.address, **data
        ),
    )


@login_required
def organisations(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    key_only = request.GET.get("key") == "1"
    page = keyset_page(
        selectors.organisations_for(user=request.user, search=query, key_only=key_only),
        order=("name", "pk"),
        cursor=request.GET.get("after", ""),
    )
    return render(
        request, "registry/organisations.html", {"page": page, "q": query, "key_only": key_only}
    )


@login_required
@require_POST
def move_out(request: HttpRequest, pk: int) -> HttpResponse:
    stay = _get_or_404(
        lambda: Residence.objects.select_related("house__address__police_district").get(
            pk=pk, house__in=selectors.houses_for(user=request.user)
        )
    )
    form = MoveOutForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("请填写正确的迁出日期。"))
        services.move_out(
            actor=request.user, residence=stay, moved_out=form.cleaned_data["moved_out"]
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, _("已登记迁出。"))
    return redirect("registry:house", pk=stay.house_id)


@login_required
def tenant_reviews(request: HttpRequest) -> HttpResponse:
    """租户登记审核: what landlords registered, waiting for the grid worker and the officer."""
    return render(
        request,
        "registry/tenant_reviews.html",
        {"waiting": selectors.tenant_reviews_for(user=request.user), "statuses": ResidenceStatus},
    )


@login_required
@require_POST
def tenant_review(request: HttpRequest, pk: int) -> HttpResponse:
    stay = _get_or_404(lambda: selectors.tenant_reviews_for(user=request.user).get(pk=pk))
    try:
        services.review_tenant(
            actor=request.user,
            residence=stay,
            to=request.POST.get("to", ""),
            note=request.POST.get("note", ""),
        )
    except (ValidationError, PermissionDenied, ValueError) as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, _("已处理：%(name)s") % {"name": stay.person.name})
    return redirect("registry:tenant_reviews")


@login_required
@require_http_methods(["GET", "POST"])
def my_houses(request: HttpRequest) -> HttpResponse:
    """守户员: the landlord's own houses, his tenants, and registering a new one."""
    require(request.user, Capability.REGISTER_TENANTS)
    houses = House.objects.filter(guardian_account=request.user).select_related("address")
    form = TenantForm(request.POST or None)
    if request.method == "POST":
        target = houses.filter(pk=request.POST.get("house")).first()
        if target is None:
            raise Http404
        if form.is_valid():
            try:
                services.register_tenant(actor=request.user, house=target, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as error:
                _form_error(form, error)
            else:
                messages.success(request, _("已提交，等待社区民警核实。"))
                return redirect("registry:my_houses")
    # The landlord sees his own tenants' names and status only: no identifiers.
    tenants = Residence.objects.filter(house__in=houses, moved_out__isnull=True).select_related(
        "person"
    )
    return render(
        request, "registry/my_houses.html", {"houses": houses, "tenants": tenants, "form": form}
    )
