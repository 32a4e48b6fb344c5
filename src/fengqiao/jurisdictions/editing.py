"""Maintaining the police tree from the browser (辖区维护): add, edit, move, coverage,
中心派出所, merge, retire — each change versioned against concurrent edits, audited, and
kept in :class:`TreeChange` with the node's state before and after, so that
:func:`undo` can apply the counter-change (a new, audited change of its own).

Scope: the actor needs ``MANAGE_JURISDICTIONS`` and every node he touches must lie in
his scope (his own node's subtree; a root-level administrator sees every tree). Views
fetch nodes through the scoped selectors (404 outside); the checks here are the second
wall (403).

**Merging** moves the source's children under the target, re-points every record that
belongs to the source (:data:`MERGE_KEEPS` lists the relations that stay: history and
caches) and retires the source. The rollups follow through :data:`signals.counts_moved`.
A merge is not undone automatically: which records were the source's is no longer
known once new ones arrive under the target, so :func:`undo` refuses it and says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.audit import services as audit
from fengqiao.core.concurrency import StaleEditError, save_versioned
from fengqiao.core.roles import Capability, require
from fengqiao.core.text import join_list
from fengqiao.jurisdictions import selectors, signals
from fengqiao.jurisdictions.models import (
    ALLOWED_PARENTS,
    POLICE_KINDS,
    ChangeKind,
    Jurisdiction,
    Kind,
    RoomClass,
    TreeChange,
)
from fengqiao.jurisdictions.services import check_parent, lineage, move_subtree

# --- open work: what keeps a unit from being retired ------------------------------------


@dataclass(frozen=True)
class OpenWork:
    """A kind of unfinished record a domain keeps at a unit (警情, 纠纷…): ``count`` of
    those held by the unit itself; ``label`` a sentence with ``%(n)d``."""

    label: Any  # a lazy translation
    count: Callable[[Jurisdiction], int]


OPEN_WORK: dict[str, OpenWork] = {}


def register_open_work(name: str, *, label: Any, count: Callable[[Jurisdiction], int]) -> None:
    """Called by each domain from its ``AppConfig.ready``: the tree may not import them."""
    OPEN_WORK[name] = OpenWork(label, count)


def open_work_of(node: Jurisdiction) -> list[str]:
    """Sentences naming what still sits at ``node``: active staff, registered open work."""
    found = []
    staff = get_user_model().objects.filter(jurisdiction=node, is_active=True).count()
    if staff:
        found.append(_("%(n)d 名在岗人员") % {"n": staff})
    for work in OPEN_WORK.values():
        n = work.count(node)
        if n:
            found.append(str(work.label) % {"n": n})
    return found


# --- merge: which relations follow the source's records ---------------------------------

# (model label, field name) of the relations to Jurisdiction that stay with the source
# when it is merged: history (closed periods' scores and ratings, the setup record, the
# tree's own change log), caches recomputed elsewhere (a district's population count:
# ``registry.population`` recounts it) and what the merge handles itself (the tree's own
# links, the rollups). Every other relation is re-pointed to the target; a new one is
# re-pointed too unless listed here (``tests/test_tree_editing.py`` lists them all).
MERGE_KEEPS: frozenset[tuple[str, str]] = frozenset(
    {
        ("jurisdictions.Jurisdiction", "parent"),
        ("jurisdictions.Jurisdiction", "lead_station"),
        ("jurisdictions.Jurisdiction_covers", "from_jurisdiction"),
        ("jurisdictions.Jurisdiction_covers", "to_jurisdiction"),
        ("jurisdictions.TreeChange", "node"),
        ("rollups.Rollup", "node"),
        ("registry.DistrictPopulation", "district"),
        ("scoring.Score", "node"),
        ("scoring.Score", "peer_group"),
        ("scoring.ManualAssessment", "node"),
        ("scoring.DepartmentRating", "station"),
        ("scoring.DepartmentRating", "department"),
        ("setup.SetupRecord", "bureau"),
    }
)


def merge_relations() -> list[tuple[Any, str]]:
    """(model, field name) of every foreign key to Jurisdiction a merge re-points."""
    found = []
    for relation in Jurisdiction._meta.get_fields(include_hidden=True):
        if not (relation.is_relation and relation.auto_created and not relation.concrete):
            continue
        field = relation.field  # type: ignore[union-attr]
        model = relation.related_model
        if field.many_to_many or (model._meta.label, field.name) in MERGE_KEEPS:  # type: ignore[union-attr]
            continue
        found.append((model, field.name))
    return found


# --- the shared steps -------------------------------------------------------------------


def _require_scope(actor: Any, *nodes: Jurisdiction) -> None:
    require(actor, Capability.MANAGE_JURISDICTIONS)
    in_scope = set(
        selectors.editable_for(actor)
        .filter(pk__in=[n.pk for n in nodes])
        .values_list("pk", flat=True)
    )
    outside = [n.name for n in nodes if n.pk not in in_scope]
    if outside:
        raise PermissionDenied(_("“%s”不在您的管辖范围内。") % join_list(outside))


def _require_active(*nodes: Jurisdiction) -> None:
    retired = [n.name for n in nodes if n.retired_at is not None]
    if retired:
        raise ValidationError(_("“%s”已撤销，请先恢复。") % join_list(retired))


def _bump(node: Jurisdiction, expected_version: int | None) -> None:
    """Take the node's next version (refused when someone saved it since the edit began;
    ``None``: a write that does not depend on what the actor saw, such as a merge target)."""
    rows = Jurisdiction.objects.filter(pk=node.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    if rows.update(version=F("version") + 1, updated_at=timezone.now()) != 1:
        raise StaleEditError(node)
    node.version = (expected_version or node.version) + 1


def _reread(*nodes: Jurisdiction) -> None:
    """Where the nodes are now: a move of an ancestor since the page was drawn rewrote
    their paths without touching their versions, and a subtree is moved by its path."""
    for node in nodes:
        node.refresh_from_db(fields=["path", "depth", "parent", "retired_at", "kind"])


def _log(
    *,
    actor: Any,
    kind: str,
    node: Jurisdiction,
    before: dict[str, Any],
    after: dict[str, Any],
    undoes: TreeChange | None,
    fields: Iterable[str],
    action: str = "update",
) -> TreeChange:
    change = TreeChange.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        kind=kind,
        node=node,
        before=before,
        after=after,
        undoes=undoes,
    )
    reason = f"tree change #{change.pk}" + (f", undoes #{undoes.pk}" if undoes else "")
    audit.record(
        actor=actor, action=action, obj=node, fields=fields, reason=reason, scope_path=node.path
    )
    return change


DETAIL_FIELDS = ("name", "code", "duty_phone", "room_class", "named_officer")


def _details(node: Jurisdiction) -> dict[str, Any]:
    return {
        "name": node.name,
        "code": node.code,
        "duty_phone": node.duty_phone,
        "room_class": node.room_class,
        "named_officer": node.named_officer_id,
    }


def _check_room(
    actor: Any, kind: str, parent: Jurisdiction | None, room_class: str, named_officer: Any
) -> None:
    if kind != Kind.POLICE_ROOM:
        if room_class or named_officer is not None:
            raise ValidationError(_("只有警务室可以设置等级和命名民警。"))
        return
    if room_class and room_class not in RoomClass.values:
        raise ValidationError({"room_class": _("请选择一类或二类警务室。")})
    if named_officer is not None and parent is not None:
        station = selectors.nearest(parent, (Kind.STATION,)) or parent
        if not named_officer.jurisdiction.path.startswith(station.path):
            raise ValidationError({"named_officer": _("命名民警须是“%s”的人员。") % station.name})


# --- the changes ------------------------------------------------------------------------


@transaction.atomic
def add_child(
    *,
    actor: Any,
    parent: Jurisdiction,
    kind: str,
    name: str,
    code: str = "",
    duty_phone: str = "",
    room_class: str = "",
    named_officer: Any = None,
) -> Jurisdiction:
    """新增下级: a node of an allowed kind under an active ``parent`` in scope."""
    _require_scope(actor, parent)
    _require_active(parent)
    check_parent(kind, parent)
    _check_room(actor, kind, parent, room_class, named_officer)
    if not name.strip():
        raise ValidationError({"name": _("请填写名称。")})
    node = Jurisdiction(
        kind=kind,
        name=name.strip(),
        code=code.strip(),
        parent=parent,
        duty_phone=duty_phone.strip(),
        room_class=room_class,
        named_officer=named_officer,
        depth=parent.depth + 1,
        path=f"~new~{id(parent)}~{name}"[:255],  # unique placeholder until the id is known
    )
    node.full_clean(exclude=["path"])
    node.save()
    node.path = f"{parent.path}{node.pk}/"
    Jurisdiction.objects.filter(pk=node.pk).update(path=node.path)
    _log(
        actor=actor,
        kind=ChangeKind.CREATE,
        node=node,
        before={},
        after={"parent": parent.pk, **_details(node)},
        undoes=None,
        fields=["kind", "parent", *DETAIL_FIELDS],
        action="create",
    )
    return node


@transaction.atomic
def edit_details(
    *,
    actor: Any,
    node: Jurisdiction,
    expected_version: int,
    name: str,
    code: str = "",
    duty_phone: str = "",
    room_class: str = "",
    named_officer: Any = None,
    undoes: TreeChange | None = None,
) -> Jurisdiction:
    """更名: name, code, duty phone (and a police room's class and named officer)."""
    _require_scope(actor, node)
    _check_room(actor, node.kind, node.parent, room_class, named_officer)
    if not name.strip():
        raise ValidationError({"name": _("请填写名称。")})
    before = _details(node)
    node.name, node.code, node.duty_phone = name.strip(), code.strip(), duty_phone.strip()
    node.room_class, node.named_officer = room_class, named_officer
    node.full_clean(exclude=["path", "parent", "lead_station", "named_officer"])
    after = _details(node)
    changed = [name for name in DETAIL_FIELDS if before[name] != after[name]]
    if not changed and undoes is None:
        return node
    save_versioned(node, expected_version=expected_version, fields=DETAIL_FIELDS)
    _log(actor=actor, kind=ChangeKind.EDIT, node=node, before=before, after=after,
         undoes=undoes, fields=changed)  # fmt: skip
    return node


@transaction.atomic
def move(
    *,
    actor: Any,
    node: Jurisdiction,
    new_parent: Jurisdiction,
    expected_version: int,
    undoes: TreeChange | None = None,
) -> Jurisdiction:
    """调整上级: hang ``node`` and its subtree under ``new_parent``. Refused under the
    node's own subtree, under a parent of the wrong kind, under a retired unit."""
    _require_scope(actor, node, new_parent)
    _bump(node, expected_version)  # first: from here the node's row is ours
    _reread(node, new_parent)
    if new_parent.path.startswith(node.path):
        raise ValidationError(
            {"new_parent": _("不能把“%(node)s”移到它自己的下级“%(parent)s”之下。")
             % {"node": node.name, "parent": new_parent.name}}
        )  # fmt: skip
    check_parent(node.kind, new_parent)
    _require_active(new_parent)
    if new_parent.pk == node.parent_id:
        raise ValidationError({"new_parent": _("“%s”已在该上级之下。") % node.name})
    before = {"parent": node.parent_id}
    move_subtree(node, new_parent)
    _log(actor=actor, kind=ChangeKind.MOVE, node=node, before=before,
         after={"parent": new_parent.pk}, undoes=undoes, fields=["parent"])  # fmt: skip
    return node


@transaction.atomic
def set_coverage(
    *,
    actor: Any,
    district: Jurisdiction,
    areas: list[Jurisdiction],
    expected_version: int,
    undoes: TreeChange | None = None,
) -> Jurisdiction:
    """覆盖范围: the communities and grids a police district covers."""
    _require_scope(actor, district)
    if district.kind != Kind.POLICE_DISTRICT:
        raise ValidationError(_("只有警务区可以设置覆盖的社区和网格。"))
    wrong = [area.name for area in areas if area.kind not in {Kind.COMMUNITY, Kind.GRID}]
    if wrong:
        raise ValidationError(_("警务区只能覆盖社区、村或网格：%s") % join_list(wrong))
    if undoes is None:  # an undo puts back what was there, even an area since retired
        allowed = set(selectors.coverage_choices(actor, district).values_list("pk", flat=True))
        outside = [area.name for area in areas if area.pk not in allowed]
        if outside:
            raise ValidationError(_("不能选择这些区划：%s") % join_list(outside))
    before = {"covers": sorted(district.covers.values_list("pk", flat=True))}
    after = {"covers": sorted(area.pk for area in areas)}
    if before == after and undoes is None:
        return district
    _bump(district, expected_version)
    district.covers.set(areas)
    _log(actor=actor, kind=ChangeKind.COVERAGE, node=district, before=before, after=after,
         undoes=undoes, fields=["covers"])  # fmt: skip
    return district


@transaction.atomic
def set_lead_station(
    *,
    actor: Any,
    station: Jurisdiction,
    lead: Jurisdiction | None,
    expected_version: int,
    undoes: TreeChange | None = None,
) -> Jurisdiction:
    """中心派出所: ``station`` is led by ``lead`` (another station; None: by nobody).
    Refused when either is not a station or the leads would go round in a circle."""
    _require_scope(actor, station, *([lead] if lead else []))
    if station.kind != Kind.STATION or (lead is not None and lead.kind != Kind.STATION):
        raise ValidationError(_("只有派出所之间可以设置中心派出所。"))
    if lead is not None:
        _require_active(lead)
        seen, current = {station.pk}, lead
        while current is not None:  # the chain above ``lead``: short, one query a step
            if current.pk in seen:
                raise ValidationError(
                    {"lead": _("“%(lead)s”已由“%(station)s”带领，不能反过来带领它。")
                     % {"lead": lead.name, "station": station.name}}
                )  # fmt: skip
            seen.add(current.pk)
            current = current.lead_station
    before = {"lead_station": station.lead_station_id}
    after = {"lead_station": lead.pk if lead else None}
    if before == after and undoes is None:
        return station
    station.lead_station = lead
    save_versioned(station, expected_version=expected_version, fields=["lead_station"])
    _log(actor=actor, kind=ChangeKind.LEAD, node=station, before=before, after=after,
         undoes=undoes, fields=["lead_station"])  # fmt: skip
    return station


def retire_blockers(node: Jurisdiction) -> list[str]:
    """Why ``node`` cannot be retired now (empty: it can)."""
    reasons = []
    children = list(
        node.children.filter(retired_at=None).order_by("name").values_list("name", flat=True)
    )
    if children:
        more = "…" if len(children) > 5 else ""
        reasons.append(_("下级未撤销或移走：%s") % (join_list(children[:5]) + more))
    led = list(node.led_stations.filter(retired_at=None).values_list("name", flat=True))
    if led:
        reasons.append(_("仍是这些派出所的中心派出所：%s") % join_list(led))
    work = open_work_of(node)
    if work:
        reasons.append(_("还有未移交的工作：%s") % join_list(work))
    return reasons


@transaction.atomic
def retire(
    *,
    actor: Any,
    node: Jurisdiction,
    expected_version: int,
    on: dt.date | None = None,
    undoes: TreeChange | None = None,
) -> Jurisdiction:
    """撤销: the unit leaves the pickers; its records and history stay. Refused while it
    has active children, leads stations, or holds staff or open work."""
    _require_scope(actor, node)
    _require_active(node)
    blockers = retire_blockers(node)
    if blockers:
        raise ValidationError(
            _("“%(node)s”不能撤销：%(why)s。请先移走后再撤销。")
            % {"node": node.name, "why": "；".join(blockers)}
        )
    node.retired_at = on or timezone.localdate()
    save_versioned(node, expected_version=expected_version, fields=["retired_at"])
    _log(actor=actor, kind=ChangeKind.RETIRE, node=node, before={"retired_at": None},
         after={"retired_at": node.retired_at.isoformat()}, undoes=undoes,
         fields=["retired_at"])  # fmt: skip
    return node


@transaction.atomic
def restore(
    *, actor: Any, node: Jurisdiction, expected_version: int, undoes: TreeChange | None = None
) -> Jurisdiction:
    """恢复: a retired unit back in service (its parent must be active)."""
    _require_scope(actor, node)
    if node.retired_at is None:
        raise ValidationError(_("“%s”未撤销。") % node.name)
    if node.parent is not None:
        _require_active(node.parent)
    before = {"retired_at": node.retired_at.isoformat()}
    node.retired_at = None
    save_versioned(node, expected_version=expected_version, fields=["retired_at"])
    _log(actor=actor, kind=ChangeKind.RESTORE, node=node, before=before,
         after={"retired_at": None}, undoes=undoes, fields=["retired_at"])  # fmt: skip
    return node


@transaction.atomic
def merge(
    *, actor: Any, source: Jurisdiction, target: Jurisdiction, expected_version: int
) -> Jurisdiction:
    """合并: ``source`` into ``target`` (same kind). Its children move under the target,
    its records (incidents, disputes, addresses, people, staff…: every relation but
    :data:`MERGE_KEEPS`) are re-pointed, a district's coverage joins the target's, the
    stations it led are led by the target, and the source is retired. Not undoable."""
    _require_scope(actor, source, target)
    if source.pk == target.pk:
        raise ValidationError({"target": _("不能把单位合并到它自己。")})
    _bump(source, expected_version)
    _bump(target, None)
    _reread(source, target)
    _require_active(source, target)
    if source.kind != target.kind:
        raise ValidationError({"target": _("只能合并到同一类别的单位。")})
    if target.path.startswith(source.path):
        raise ValidationError({"target": _("不能合并到它自己的下级。")})
    children = list(source.children.order_by("path"))
    for child in children:
        move_subtree(child, target)
    moved: dict[str, int] = {}
    for model, field in merge_relations():
        n = model._default_manager.filter(**{field: source}).update(**{field: target})
        if n:
            moved[f"{model._meta.label}.{field}"] = n
    signals.counts_moved.send(
        sender=Jurisdiction,
        node=source,
        old_lineage=lineage(source.path),
        new_lineage=lineage(target.path),
    )
    # Coverage passes to the target and leaves the source: a retired district claiming a
    # community would count in the staffing checks (一区一警). The change log keeps it.
    covers = list(source.covers.values_list("pk", flat=True))
    covered_by = list(source.covered_by.values_list("pk", flat=True))
    target.covers.add(*covers)
    source.covers.clear()
    for district in Jurisdiction.objects.filter(pk__in=covered_by):
        district.covers.add(target)
        district.covers.remove(source)
    source.led_stations.exclude(pk=target.pk).update(lead_station=target)
    if target.lead_station_id == source.pk:
        Jurisdiction.objects.filter(pk=target.pk).update(lead_station=None)
    source.retired_at = timezone.localdate()
    Jurisdiction.objects.filter(pk=source.pk).update(retired_at=source.retired_at)
    _log(actor=actor, kind=ChangeKind.MERGE, node=source,
         before={"parent": source.parent_id, "retired_at": None},
         after={"into": target.pk, "children": [c.pk for c in children], "records": moved,
                "covers": covers, "covered_by": covered_by,
                "retired_at": source.retired_at.isoformat()},
         undoes=None, fields=["retired_at", "merged_into"])  # fmt: skip
    audit.record(
        actor=actor, action="update", obj=target, fields=["merged_from"],
        reason=f"merged from {source.pk}", scope_path=target.path,
    )  # fmt: skip
    return target


# --- undo -------------------------------------------------------------------------------

NOT_UNDOABLE = gettext_lazy(
    "合并不能自动撤回：源单位的记录、人员和下级已并入目标单位，此后新增的记录无法区分归属。"
    "如需恢复，请恢复源单位后逐项调整。"
)


def undo_refusal(change: TreeChange) -> str:
    """Why ``change`` cannot be undone now, in a sentence (empty: it can)."""
    if TreeChange.objects.filter(undoes=change).exists():
        return _("这项调整已经撤回。")
    if change.kind == ChangeKind.MERGE:
        return str(NOT_UNDOABLE)
    node = change.node
    now = _state(node, change.kind)
    if now != _comparable(change.kind, change.after):
        return _("“%s”此后又有调整，请先撤回后面的调整。") % node.name
    return ""


def _state(node: Jurisdiction, kind: str) -> dict[str, Any]:
    node.refresh_from_db()
    if kind == ChangeKind.EDIT:
        return _details(node)
    if kind == ChangeKind.MOVE:
        return {"parent": node.parent_id}
    if kind == ChangeKind.COVERAGE:
        return {"covers": sorted(node.covers.values_list("pk", flat=True))}
    if kind == ChangeKind.LEAD:
        return {"lead_station": node.lead_station_id}
    if kind in (ChangeKind.RETIRE, ChangeKind.RESTORE):
        return {"retired_at": node.retired_at.isoformat() if node.retired_at else None}
    if kind == ChangeKind.CREATE:
        return {"retired_at": node.retired_at.isoformat() if node.retired_at else None}
    return {}


def _comparable(kind: str, after: dict[str, Any]) -> dict[str, Any]:
    if kind == ChangeKind.CREATE:  # undoing an addition retires the new node
        return {"retired_at": None}
    if kind == ChangeKind.COVERAGE:
        return {"covers": sorted(after.get("covers", []))}
    return dict(after)


@transaction.atomic
def undo(*, actor: Any, change: TreeChange) -> TreeChange:
    """撤回: apply the inverse of ``change`` as a new change (audited, itself undoable).
    Refused when it was undone already, when the node changed since, and for a merge."""
    TreeChange.objects.select_for_update().filter(pk=change.pk).first()  # one undo at a time
    node = Jurisdiction.objects.get(pk=change.node_id)
    _require_scope(actor, node)
    refusal = undo_refusal(change)
    if refusal:
        raise ValidationError(refusal)
    before, version = change.before, node.version
    if change.kind == ChangeKind.EDIT:
        officer = get_user_model().objects.filter(pk=before["named_officer"]).first()
        edit_details(actor=actor, node=node, expected_version=version, name=before["name"],
                     code=before["code"], duty_phone=before["duty_phone"],
                     room_class=before["room_class"], named_officer=officer,
                     undoes=change)  # fmt: skip
    elif change.kind == ChangeKind.MOVE:
        parent = Jurisdiction.objects.get(pk=before["parent"])
        move(actor=actor, node=node, new_parent=parent, expected_version=version, undoes=change)
    elif change.kind == ChangeKind.COVERAGE:
        areas = list(Jurisdiction.objects.filter(pk__in=before["covers"]))
        set_coverage(actor=actor, district=node, areas=areas, expected_version=version,
                     undoes=change)  # fmt: skip
    elif change.kind == ChangeKind.LEAD:
        lead = Jurisdiction.objects.filter(pk=before["lead_station"]).first()
        set_lead_station(actor=actor, station=node, lead=lead, expected_version=version,
                         undoes=change)  # fmt: skip
    elif change.kind in (ChangeKind.RETIRE,):
        restore(actor=actor, node=node, expected_version=version, undoes=change)
    elif change.kind in (ChangeKind.RESTORE, ChangeKind.CREATE):
        retire(actor=actor, node=node, expected_version=version, undoes=change)
    return TreeChange.objects.get(undoes=change)


def is_police(node: Jurisdiction) -> bool:
    return node.kind in POLICE_KINDS


def child_kinds(parent: Jurisdiction) -> list[tuple[str, str]]:
    """The kinds that may hang under ``parent`` (ALLOWED_PARENTS), as form choices."""
    return [(kind.value, str(kind.label)) for kind in Kind if parent.kind in ALLOWED_PARENTS[kind]]
