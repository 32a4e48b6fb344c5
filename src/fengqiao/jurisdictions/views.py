from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from fengqiao.core.roles import Capability, require
from fengqiao.jurisdictions import selectors
from fengqiao.jurisdictions.models import Jurisdiction, Kind


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
        {"ancestors": selectors.ancestors(roots[0]), "trees": trees},
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
        {"node": node, "children": selectors.children_for(request.user, node), "covers": covers},
    )
