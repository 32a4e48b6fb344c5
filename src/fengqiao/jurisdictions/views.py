from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.forms import refusal_text, show_refusal
from fengqiao.core.roles import Capability, require
from fengqiao.jurisdictions import editing, forms, selectors
from fengqiao.jurisdictions.models import Jurisdiction, Kind, TreeChange


def _node_or_404(request: HttpRequest, pk: int) -> Jurisdiction:
    try:
        return selectors.jurisdiction_for(request.user, pk)
    except Jurisdiction.DoesNotExist:
        raise Http404 from None


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    require(request.user, Capability.VIEW_AGGREGATES)
    roots = selectors.roots_for(request.user)
    if not roots:
        raise Http404
    trees = [
        {
            "root": root,
            "children": selectors.children_for(request.user, root),
            "size": selectors.subtree(root).count(),
        }
        for root in roots
    ]
    return render(
        request,
        "jurisdictions/tree.html",
        {
            "ancestors": selectors.ancestors(roots[0]),
            "trees": trees,
            "can_edit": selectors.can_edit_tree(request.user),
        },
    )


@login_required
def children(request: HttpRequest, pk: int) -> HttpResponse:
    """The htmx partial that expands one node of the tree."""
    require(request.user, Capability.VIEW_AGGREGATES)
    node = _node_or_404(request, pk)
    covers = selectors.coverage_of(node) if node.kind == Kind.POLICE_DISTRICT else None
    return render(
        request,
        "jurisdictions/_children.html",
        {
            "node": node,
            "children": selectors.children_for(request.user, node),
            "covers": covers,
            "can_edit": selectors.can_edit_tree(request.user),
        },
    )


# --- maintaining the tree (administrators) -----------------------------------------------


def _editable_or_404(request: HttpRequest, pk: int) -> Jurisdiction:
    """A node the user may change; outside his scope (or without the capability) a 404,
    as for any record he cannot see."""
    try:
        return selectors.editable_node(request.user, pk)
    except Jurisdiction.DoesNotExist:
        raise Http404 from None


def _form_page(
    request: HttpRequest,
    node: Jurisdiction,
    form: django_forms.Form,
    *,
    title: str,
    save: Callable[[dict[str, Any]], object],
    done: str,
    intro: str = "",
    warning: str = "",
    button: str = "",
    danger: bool = False,
    blocked: bool = False,
) -> HttpResponse:
    """The shared shape of a change: GET shows the form; a valid POST calls ``save`` with
    the cleaned data; a refusal stays on the form with the input kept (409 when stale)."""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            save(form.cleaned_data)
        except StaleEditError as error:
            form.add_error(None, str(error))
            status = 409
        except (ValidationError, PermissionDenied) as error:
            show_refusal(form, error)
        else:
            messages.success(request, done)
            return redirect("jurisdictions:manage", pk=node.pk)
    context = {"node": node, "form": form, "title": title, "intro": intro, "warning": warning,
               "button": button or _("保存"), "danger": danger, "blocked": blocked}  # fmt: skip
    return render(request, "jurisdictions/form.html", context, status=status)


def _initial(node: Jurisdiction) -> dict[str, Any]:
    return {"version": node.version}


@login_required
def manage(request: HttpRequest, pk: int) -> HttpResponse:
    """One node's maintenance page: its facts and the changes it allows."""
    node = _editable_or_404(request, pk)
    context = {
        "node": node,
        "ancestors": selectors.ancestors(node),
        "covers": selectors.coverage_of(node) if node.kind == Kind.POLICE_DISTRICT else None,
        "child_kinds": editing.child_kinds(node),
        "blockers": editing.retire_blockers(node) if node.retired_at is None else [],
        "changes": node.changes.select_related("actor")[:10],
    }
    return render(request, "jurisdictions/manage.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def add(request: HttpRequest, pk: int) -> HttpResponse:
    parent = _editable_or_404(request, pk)
    kinds = editing.child_kinds(parent)
    form = forms.AddChildForm(
        request.POST or None,
        kinds=kinds,
        is_room=any(kind == Kind.POLICE_ROOM for kind, _label in kinds),
        officers=selectors.officer_choices(request.user, parent),
    )

    def save(data: dict[str, Any]) -> object:
        return editing.add_child(actor=request.user, parent=parent, **data)

    return _form_page(request, parent, form, title=_("新增下级"), save=save,
                      done=_("已新增下级单位。"),
                      intro=_("警务室可设等级，并可以民警姓名命名。"))  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    node = _editable_or_404(request, pk)
    initial = {"name": node.name, "code": node.code, "duty_phone": node.duty_phone,
               "room_class": node.room_class, "named_officer": node.named_officer_id,
               "version": node.version}  # fmt: skip
    form = forms.DetailsForm(
        request.POST or None,
        initial=initial,
        is_room=node.kind == Kind.POLICE_ROOM,
        officers=selectors.officer_choices(request.user, node),
    )

    def save(data: dict[str, Any]) -> object:
        version = data.pop("version")
        return editing.edit_details(actor=request.user, node=node, expected_version=version,
                                    **data)  # fmt: skip

    return _form_page(request, node, form, title=_("修改名称、代码和值班电话"), save=save,
                      done=_("已保存。"))  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def move(request: HttpRequest, pk: int) -> HttpResponse:
    node = _editable_or_404(request, pk)
    form = forms.NodeChoiceForm(
        request.POST or None, initial=_initial(node), field="new_parent",
        label=_("新的上级"), queryset=selectors.move_targets(request.user, node),
    )  # fmt: skip

    def save(data: dict[str, Any]) -> object:
        return editing.move(actor=request.user, node=node, new_parent=data["new_parent"],
                            expected_version=data["version"])  # fmt: skip

    return _form_page(request, node, form, title=_("调整上级"), save=save,
                      done=_("已调整上级，下级单位随之移动。"),
                      intro=_("本单位及其全部下级一起移到新的上级之下。"))  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def coverage(request: HttpRequest, pk: int) -> HttpResponse:
    node = _editable_or_404(request, pk)
    if node.kind != Kind.POLICE_DISTRICT:
        raise Http404
    initial = {**_initial(node), "areas": list(node.covers.values_list("pk", flat=True))}
    form = forms.CoverageForm(
        request.POST or None,
        initial=initial,
        choices=selectors.coverage_choices(request.user, node),
    )

    def save(data: dict[str, Any]) -> object:
        return editing.set_coverage(actor=request.user, district=node, areas=list(data["areas"]),
                                    expected_version=data["version"])  # fmt: skip

    intro = _("可选的是本局各警务区已覆盖社区所在街道（乡镇）的社区和网格。")
    return _form_page(request, node, form, title=_("覆盖的社区和网格"), save=save,
                      done=_("已保存覆盖范围。"), intro=intro)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def lead(request: HttpRequest, pk: int) -> HttpResponse:
    node = _editable_or_404(request, pk)
    if node.kind != Kind.STATION:
        raise Http404
    form = forms.NodeChoiceForm(
        request.POST or None,
        initial={**_initial(node), "lead": node.lead_station_id},
        field="lead", label=_("中心派出所"), required=False, empty_label=_("不设中心派出所"),
        queryset=selectors.lead_station_choices(request.user, node),
    )  # fmt: skip

    def save(data: dict[str, Any]) -> object:
        return editing.set_lead_station(actor=request.user, station=node, lead=data["lead"],
                                        expected_version=data["version"])  # fmt: skip

    return _form_page(request, node, form, title=_("设置中心派出所"), save=save,
                      done=_("已保存。"),
                      intro=_("中心派出所带领本局其他派出所（“中心所带一般所”）。"))  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def merge(request: HttpRequest, pk: int) -> HttpResponse:
    node = _editable_or_404(request, pk)
    form = forms.NodeChoiceForm(
        request.POST or None, initial=_initial(node), field="target",
        label=_("并入单位"), queryset=selectors.merge_targets(request.user, node),
    )  # fmt: skip

    def save(data: dict[str, Any]) -> object:
        return editing.merge(actor=request.user, source=node, target=data["target"],
                             expected_version=data["version"])  # fmt: skip

    warning = _(
        "合并后，本单位的下级、人员、警情、矛盾纠纷、标准地址和人口登记等记录全部转到并入单位，"
        "覆盖范围并入，本单位撤销。合并不能自动撤回。考核得分、评价等历史记录仍留在本单位。"
    )
    return _form_page(request, node, form, title=_("合并到同类单位"), save=save,
                      done=_("已合并。"), warning=warning, button=_("确认合并"),
                      danger=True)  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def retire(request: HttpRequest, pk: int) -> HttpResponse:
    node = _editable_or_404(request, pk)
    form = forms.VersionedForm(request.POST or None, initial=_initial(node))
    restoring = node.retired_at is not None

    def save(data: dict[str, Any]) -> object:
        if restoring:
            return editing.restore(actor=request.user, node=node,
                                   expected_version=data["version"])  # fmt: skip
        return editing.retire(actor=request.user, node=node, expected_version=data["version"])

    if restoring:
        return _form_page(request, node, form, title=_("恢复单位"), save=save,
                          done=_("已恢复。"), button=_("确认恢复"))  # fmt: skip
    blockers = editing.retire_blockers(node)
    warning = (
        _("暂不能撤销：%s。请先移走后再撤销。") % "；".join(blockers)
        if blockers
        else _("撤销后，本单位不再出现在选择列表中，记录和历史全部保留，可以撤回。")
    )
    return _form_page(request, node, form, title=_("撤销单位"), save=save, done=_("已撤销。"),
                      warning=warning, button=_("确认撤销"), danger=True,
                      blocked=bool(blockers))  # fmt: skip


@login_required
def changes(request: HttpRequest) -> HttpResponse:
    """调整记录: the latest changes in the user's scope, each with its undo button or the
    reason it cannot be undone."""
    require(request.user, Capability.MANAGE_JURISDICTIONS)
    rows = [
        (change, editing.undo_refusal(change))
        for change in selectors.recent_changes_for(request.user)
    ]
    return render(request, "jurisdictions/changes.html", {"rows": rows})


@login_required
@require_POST
def undo(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, Capability.MANAGE_JURISDICTIONS)
    try:
        change = selectors.change_for(request.user, pk)
    except TreeChange.DoesNotExist:
        raise Http404 from None
    try:
        editing.undo(actor=request.user, change=change)
    except StaleEditError as error:
        messages.error(request, str(error))
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, refusal_text(error))
    else:
        messages.success(request, _("已撤回，撤回本身也记入调整记录。"))
    return redirect("jurisdictions:changes")
