from __future__ import annotations

from django.http import Http404, HttpRequest
from ninja import Router, Schema

from fengqiao.core.roles import Capability, require
from fengqiao.jurisdictions import selectors
from fengqiao.jurisdictions.models import Jurisdiction

router = Router(tags=["jurisdictions"])


class NodeOut(Schema):
    id: int
    kind: str
    name: str
    code: str
    parent_id: int | None
    depth: int


@router.get("/{node_id}/children", response=list[NodeOut], summary="Children of a node in scope")
def children(request: HttpRequest, node_id: int) -> object:
    require(request.user, Capability.VIEW_AGGREGATES)
    try:
        node = selectors.jurisdiction_for(request.user, node_id)
    except Jurisdiction.DoesNotExist:
        raise Http404 from None
    return selectors.children_for(request.user, node)
