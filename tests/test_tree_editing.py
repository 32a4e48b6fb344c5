"""Maintaining the police tree from the browser (issue 18 item 2): each change, its
refusals, the change log and its undo, the audit entries, merges moving the records."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fengqiao.audit.models import AuditEvent
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.roles import Role
from fengqiao.jurisdictions import editing, selectors
from fengqiao.jurisdictions.models import ChangeKind, Jurisdiction, Kind, TreeChange
from fengqiao.rollups import store
from fengqiao.rollups.models import Rollup
from tests.conftest import make_node, make_user


def fresh(node: Jurisdiction) -> Jurisdiction:
    return Jurisdiction.objects.get(pk=node.pk)


@pytest.fixture
def bureau_admin(world):
    return make_user(Role.ADMIN, world.bureau, username="bureau.admin")


def events_for(node: Jurisdiction) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="jurisdictions.jurisdiction", object_id=str(node.pk)
        ).order_by("seq")
    )


def all_rollups() -> list[tuple[object, ...]]:
    """Every non-zero count, comparable with the counts after a rebuild."""
    fields = ("node", "fact", "grain", "day", "category", "status", "n")
    return sorted(Rollup.objects.exclude(n=0).values_list(*fields))


# --- add a child ------------------------------------------------------------------------


def test_adding_a_named_police_room_records_class_officer_and_change(world):
    officer = world.a[Role.COMMUNITY_OFFICER]
    room = editing.add_child(
        actor=world.admin, parent=world.district_a, kind=Kind.POLICE_ROOM, name="张三警务室",
        duty_phone="0356-1234567", room_class="1", named_officer=officer,
    )  # fmt: skip
    room = fresh(room)
    assert room.path == f"{world.district_a.path}{room.pk}/"
    assert (room.room_class, room.named_officer, room.version) == ("1", officer, 1)
    change = TreeChange.objects.get(node=room)
    assert change.kind == ChangeKind.CREATE and change.actor == world.admin
    assert [e.action for e in events_for(room)][-1] == "create"


def test_a_kind_not_allowed_under_the_parent_is_refused(world):
    with pytest.raises(ValidationError, match="派出所 不能设在 警务区 之下"):
        editing.add_child(actor=world.admin, parent=world.district_a, kind=Kind.STATION, name="x")
    assert [k for k, _ in editing.child_kinds(world.station_a)] == [
        Kind.POLICE_DISTRICT,
        Kind.POLICE_ROOM,
    ]


def test_room_class_only_for_police_rooms_and_officer_from_its_station(world):
    with pytest.raises(ValidationError):
        editing.add_child(actor=world.admin, parent=world.station_a,
                          kind=Kind.POLICE_DISTRICT, name="甲二警务区", room_class="1")  # fmt: skip
    with pytest.raises(ValidationError, match="甲派出所"):
        editing.add_child(actor=world.admin, parent=world.district_a, kind=Kind.POLICE_ROOM,
                          name="乙民警警务室", named_officer=world.b_officer)  # fmt: skip


# --- edit, move ---------------------------------------------------------------------------


def test_rename_is_versioned_audited_and_undone(world):
    station = world.station_a
    editing.edit_details(actor=world.admin, node=station, expected_version=1, name="甲街派出所",
                         code="140502001", duty_phone="0356-2020110")  # fmt: skip
    station = fresh(station)
    assert (station.name, station.code, station.version) == ("甲街派出所", "140502001", 2)
    change = TreeChange.objects.get(node=station, kind=ChangeKind.EDIT)
    assert change.before["name"] == "甲派出所" and change.after["name"] == "甲街派出所"
    assert "name" in events_for(station)[-1].fields
    back = editing.undo(actor=world.admin, change=change)
    assert back.undoes == change and fresh(station).name == "甲派出所"
    assert fresh(station).code == ""
    with pytest.raises(ValidationError, match="已经撤回"):
        editing.undo(actor=world.admin, change=change)


def test_a_stale_edit_is_refused(world):
    editing.edit_details(actor=world.admin, node=world.station_a, expected_version=1, name="新名")
    with pytest.raises(StaleEditError):
        editing.edit_details(actor=world.admin, node=fresh(world.station_a),
                             expected_version=1, name="另一个名")  # fmt: skip
    with pytest.raises(StaleEditError):
        editing.move(actor=world.admin, node=fresh(world.district_a),
                     new_parent=world.station_b, expected_version=0)  # fmt: skip
    assert fresh(world.station_a).name == "新名"


def test_move_and_its_undo_rewrite_the_subtree(world):
    room = make_node(Kind.POLICE_ROOM, "甲一警务室", world.district_a)
    editing.move(actor=world.admin, node=world.district_a, new_parent=world.station_b,
                 expected_version=1)  # fmt: skip
    assert fresh(room).path.startswith(world.station_b.path)
    change = TreeChange.objects.get(kind=ChangeKind.MOVE)
    editing.undo(actor=world.admin, change=change)
    assert fresh(room).path.startswith(world.station_a.path)
    assert fresh(world.district_a).parent == world.station_a
    kinds = list(TreeChange.objects.order_by("pk").values_list("kind", "undoes"))
    assert kinds == [(ChangeKind.MOVE, None), (ChangeKind.MOVE, change.pk)]


def test_a_move_uses_where_the_unit_is_now_not_where_the_page_saw_it(world):
    district = fresh(world.district_a)  # the page is drawn
    other = make_node(Kind.COUNTY_BUREAU, "另一分局", world.department.children.get())
    editing.move(actor=world.admin, node=fresh(world.station_a), new_parent=other,
                 expected_version=1)  # fmt: skip
    editing.move(actor=world.admin, node=district, new_parent=fresh(world.station_b),
                 expected_version=1)  # fmt: skip
    assert fresh(world.district_a).path == f"{world.station_b.path}{district.pk}/"
    assert (
        not Jurisdiction.objects.filter(path__startswith=world.station_a.path)
        .exclude(pk=world.station_a.pk)
        .exists()
    )


def test_moving_a_unit_under_its_own_child_names_the_unit(world):
    with pytest.raises(ValidationError, match=r"甲派出所.*甲一警务区"):
        editing.move(actor=world.admin, node=world.station_a, new_parent=world.district_a,
                     expected_version=1)  # fmt: skip


def test_moving_under_a_wrong_kind_is_refused(world):
    with pytest.raises(ValidationError, match="警务区 不能设在 公安分局/县局 之下"):
        editing.move(actor=world.admin, node=world.district_a, new_parent=world.bureau,
                     expected_version=1)  # fmt: skip


def test_an_undo_after_a_later_change_is_refused(world):
    editing.edit_details(actor=world.admin, node=world.station_a, expected_version=1, name="一")
    first = TreeChange.objects.get()
    editing.edit_details(actor=world.admin, node=fresh(world.station_a), expected_version=2,
                         name="二")  # fmt: skip
    assert "此后又有调整" in editing.undo_refusal(first)
    with pytest.raises(ValidationError):
        editing.undo(actor=world.admin, change=first)


# --- coverage, lead station -------------------------------------------------------------


def test_coverage_change_is_undone_to_the_areas_before(world, places):
    district = fresh(world.district_a)
    editing.set_coverage(actor=world.admin, district=district, areas=[places.community_b],
                         expected_version=district.version)  # fmt: skip
    assert list(selectors.coverage_of(district)) == [places.community_b]
    editing.undo(actor=world.admin, change=TreeChange.objects.get(kind=ChangeKind.COVERAGE))
    assert set(selectors.coverage_of(district)) == {places.community_a, places.grid_a}


def test_bureau_admin_picks_coverage_near_his_bureau_only(world, places, bureau_admin):
    county = places.community_a.parent.parent
    far = make_node(Kind.COMMUNITY, "远方社区", make_node(Kind.TOWNSHIP, "远方镇", county))
    choices = set(selectors.coverage_choices(bureau_admin, world.district_a))
    assert {places.community_a, places.community_b, places.grid_a} <= choices
    assert far not in choices
    assert far not in selectors.coverage_choices(world.admin, world.district_a)  # near only
    with pytest.raises(ValidationError, match="远方社区"):
        editing.set_coverage(actor=bureau_admin, district=world.district_a, areas=[far],
                             expected_version=1)  # fmt: skip


def test_lead_station_must_be_a_station_and_not_a_circle(world):
    editing.set_lead_station(actor=world.admin, station=world.station_b, lead=world.station_a,
                             expected_version=1)  # fmt: skip
    assert fresh(world.station_b).lead_station == world.station_a
    with pytest.raises(ValidationError, match="不能反过来"):
        editing.set_lead_station(actor=world.admin, station=fresh(world.station_a),
                                 lead=fresh(world.station_b), expected_version=1)  # fmt: skip
    with pytest.raises(ValidationError, match="只有派出所"):
        editing.set_lead_station(actor=world.admin, station=world.station_a,
                                 lead=world.district_a, expected_version=1)  # fmt: skip
    editing.undo(actor=world.admin, change=TreeChange.objects.get(kind=ChangeKind.LEAD))
    assert fresh(world.station_b).lead_station is None


# --- retire, restore --------------------------------------------------------------------


def test_retiring_a_unit_with_staff_or_children_is_refused_with_reasons(world):
    with pytest.raises(ValidationError) as refused:
        editing.retire(actor=world.admin, node=world.station_a, expected_version=1)
    text = refused.value.messages[0]
    assert "甲一警务区" in text and "在岗人员" in text


def test_retiring_with_open_incidents_is_refused(world, make_incident):
    room = make_node(Kind.POLICE_ROOM, "空警务室", world.district_b)
    make_incident(jurisdiction=room, actor=world.admin)
    with pytest.raises(ValidationError, match="未办结警情"):
        editing.retire(actor=world.admin, node=fresh(room), expected_version=1)


def test_retired_unit_leaves_the_pickers_keeps_its_history_and_comes_back(world):
    room = make_node(Kind.POLICE_ROOM, "旧警务室", world.district_a)
    editing.retire(actor=world.admin, node=room, expected_version=1)
    assert fresh(room).retired_at is not None
    assert room not in selectors.police_units_for(world.admin)
    assert Jurisdiction.objects.filter(pk=room.pk).exists()
    with pytest.raises(ValidationError, match="已撤销"):
        editing.add_child(actor=world.admin, parent=fresh(room), kind=Kind.POLICE_ROOM, name="x")
    editing.undo(actor=world.admin, change=TreeChange.objects.get(kind=ChangeKind.RETIRE))
    assert fresh(room).retired_at is None
    assert room in selectors.police_units_for(world.admin)


def test_undoing_an_addition_retires_the_new_unit(world):
    room = editing.add_child(actor=world.admin, parent=world.district_a,
                             kind=Kind.POLICE_ROOM, name="误建警务室")  # fmt: skip
    editing.undo(actor=world.admin, change=TreeChange.objects.get(kind=ChangeKind.CREATE))
    assert fresh(room).retired_at is not None


# --- merge --------------------------------------------------------------------------------


def test_merge_moves_records_staff_children_coverage_and_counts(world, places, make_incident,
                                                                make_dispute):  # fmt: skip
    from fengqiao.disputes.models import DisputeCase
    from fengqiao.incidents.models import Incident

    incident = make_incident(jurisdiction=world.district_a)
    dispute = make_dispute(jurisdiction=world.district_a)
    officer = world.a[Role.COMMUNITY_OFFICER]
    room = places.room_a
    source = fresh(world.district_a)
    target = make_node(Kind.POLICE_DISTRICT, "甲二警务区", world.station_a)
    before = Rollup.objects.filter(node=world.station_a).values_list("fact", "n")
    station_counts = sorted(before)
    editing.merge(actor=world.admin, source=source, target=target,
                  expected_version=source.version)  # fmt: skip
    assert Incident.objects.get(pk=incident.pk).jurisdiction_id == target.pk
    assert DisputeCase.objects.get(pk=dispute.pk).jurisdiction_id == target.pk
    officer.refresh_from_db()
    assert officer.jurisdiction_id == target.pk
    assert fresh(room).parent_id == target.pk and fresh(room).path.startswith(target.path)
    assert set(selectors.coverage_of(target)) == {places.community_a, places.grid_a}
    assert not selectors.coverage_of(fresh(source)).exists()
    assert fresh(source).retired_at is not None
    change = TreeChange.objects.get(kind=ChangeKind.MERGE)
    assert change.after["records"]["incidents.Incident.jurisdiction"] == 1
    assert "合并不能自动撤回" in editing.undo_refusal(change)
    with pytest.raises(ValidationError, match="合并不能自动撤回"):
        editing.undo(actor=world.admin, change=change)
    # the rollups followed: what the on-write counts say is what a rebuild says
    kept = all_rollups()
    assert sorted(Rollup.objects.filter(node=world.station_a).values_list("fact", "n"))
    store.rebuild()
    assert kept == all_rollups()
    assert not Rollup.objects.filter(node=source).exclude(n=0).exists()
    assert station_counts == sorted(
        Rollup.objects.filter(node=world.station_a).values_list("fact", "n")
    )


def test_move_keeps_rollups_equal_to_a_rebuild(world, make_incident):
    make_incident(jurisdiction=world.district_a)
    editing.move(actor=world.admin, node=world.district_a, new_parent=world.station_b,
                 expected_version=1)  # fmt: skip
    kept = all_rollups()
    assert Rollup.objects.filter(node=world.station_b).exclude(n=0).exists()
    store.rebuild()
    assert kept == all_rollups()


def test_merging_communities_moves_grids_and_coverage_and_recounts(world, places,
                                                                    make_incident):  # fmt: skip
    incident = make_incident(jurisdiction=world.district_a)
    incident.grid = places.grid_a
    incident.save(update_fields=["grid"])  # the rollups count it for the grid and community
    assert Rollup.objects.filter(node=places.community_a).exclude(n=0).exists()
    source, target = places.community_a, places.community_b
    editing.merge(actor=world.admin, source=source, target=target, expected_version=1)
    assert fresh(places.grid_a).parent_id == target.pk
    assert target in selectors.coverage_of(world.district_a)
    assert source not in selectors.coverage_of(world.district_a)
    assert Rollup.objects.filter(node=target).exclude(n=0).exists()
    kept = all_rollups()
    store.rebuild()
    assert kept == all_rollups()


def test_undo_is_audited_as_its_own_change(world):
    editing.edit_details(actor=world.admin, node=world.station_a, expected_version=1, name="一")
    change = TreeChange.objects.get()
    back = editing.undo(actor=world.admin, change=change)
    reasons = [e.reason for e in events_for(world.station_a)]
    assert reasons[-2:] == [
        f"tree change #{change.pk}",
        f"tree change #{back.pk}, undoes #{change.pk}",
    ]


def test_merge_refuses_another_kind_and_itself(world):
    with pytest.raises(ValidationError, match="同一类别"):
        editing.merge(actor=world.admin, source=world.district_a, target=world.station_b,
                      expected_version=1)  # fmt: skip
    with pytest.raises(ValidationError, match="它自己"):
        editing.merge(actor=world.admin, source=world.district_a, target=world.district_a,
                      expected_version=1)  # fmt: skip


def test_every_relation_to_the_tree_is_either_moved_or_kept_by_a_merge():
    moved = {(model._meta.label, field) for model, field in editing.merge_relations()}
    assert ("incidents.Incident", "jurisdiction") in moved
    assert ("accounts.User", "jurisdiction") in moved
    assert ("addresses.StandardAddress", "police_district") in moved
    assert ("disputes.DisputeCase", "jurisdiction") in moved
    assert not moved & editing.MERGE_KEEPS


# --- scope ----------------------------------------------------------------------------------


def test_bureau_admin_cannot_touch_nodes_outside_his_bureau(world, bureau_admin):
    other = make_node(Kind.COUNTY_BUREAU, "另一分局", world.department.children.get())
    with pytest.raises(PermissionDenied):
        editing.edit_details(actor=bureau_admin, node=other, expected_version=1, name="x")
    with pytest.raises(PermissionDenied):
        editing.move(actor=bureau_admin, node=world.station_a, new_parent=other,
                     expected_version=1)  # fmt: skip
    editing.edit_details(actor=bureau_admin, node=world.station_a, expected_version=1, name="y")


def test_non_admin_cannot_change_the_tree(world):
    with pytest.raises(PermissionDenied):
        editing.edit_details(actor=world.a[Role.STATION_CHIEF], node=world.station_a,
                             expected_version=1, name="x")  # fmt: skip


# --- the pages ------------------------------------------------------------------------------


def test_admin_sees_the_actions_others_the_tree_read_only(client, world):
    client.force_login(world.admin)
    page = client.get(reverse("jurisdictions:children", args=[world.bureau.pk])).content.decode()
    assert reverse("jurisdictions:manage", args=[world.station_a.pk]) in page
    assert client.get(reverse("jurisdictions:manage", args=[world.station_a.pk])).status_code == 200
    client.force_login(world.a[Role.STATION_CHIEF])
    page = client.get(reverse("jurisdictions:tree")).content.decode()
    assert "甲一警务区" in page
    assert "node-manage" not in page and "维护" not in page
    url = reverse("jurisdictions:edit", args=[world.district_a.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "x", "version": 1}).status_code == 404


def test_rename_page_saves_and_a_stale_form_keeps_the_input(client, world):
    client.force_login(world.admin)
    url = reverse("jurisdictions:edit", args=[world.station_a.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "甲街派出所", "code": "", "duty_phone": "", "version": 1})
    assert response.status_code == 302 and fresh(world.station_a).name == "甲街派出所"
    response = client.post(url, {"name": "又一个名字", "code": "", "duty_phone": "", "version": 1})
    assert response.status_code == 409
    assert "又一个名字" in response.content.decode()
    assert fresh(world.station_a).name == "甲街派出所"


def test_move_page_refuses_own_child_with_the_units_name(client, world):
    client.force_login(world.admin)
    url = reverse("jurisdictions:move", args=[world.station_a.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"new_parent": world.bureau.pk, "version": 1})
    assert response.status_code == 200  # already there: not a choice
    district_url = reverse("jurisdictions:move", args=[world.district_a.pk])
    response = client.post(district_url, {"new_parent": world.station_b.pk, "version": 1})
    assert response.status_code == 302 and fresh(world.district_a).parent == world.station_b


def test_add_child_page_offers_only_allowed_kinds_and_keeps_input(client, world):
    client.force_login(world.admin)
    url = reverse("jurisdictions:add", args=[world.district_a.pk])
    page = client.get(url).content.decode()
    assert 'value="police_room"' in page and 'value="station"' not in page
    response = client.post(url, {"kind": "station", "name": "不该有的所"})
    assert response.status_code == 200 and "不该有的所" in response.content.decode()
    response = client.post(url, {"kind": "police_room", "name": "新警务室", "room_class": "2"})
    assert response.status_code == 302
    assert Jurisdiction.objects.get(name="新警务室").room_class == "2"


def test_out_of_scope_admin_gets_404(client, world, bureau_admin):
    other = make_node(Kind.COUNTY_BUREAU, "另一分局", world.department.children.get())
    client.force_login(bureau_admin)
    for name in ("edit", "move", "add", "retire", "merge"):
        assert client.get(reverse(f"jurisdictions:{name}", args=[other.pk])).status_code == 404
    assert client.get(reverse("jurisdictions:edit", args=[world.station_a.pk])).status_code == 200


def test_changes_page_lists_and_undoes_and_explains_a_merge(client, world):
    client.force_login(world.admin)
    editing.edit_details(actor=world.admin, node=world.station_a, expected_version=1, name="一")
    room = make_node(Kind.POLICE_ROOM, "甲室", world.district_a)
    other = make_node(Kind.POLICE_ROOM, "乙室", world.district_a)
    editing.merge(actor=world.admin, source=room, target=other, expected_version=1)
    page = client.get(reverse("jurisdictions:changes")).content.decode()
    assert "合并不能自动撤回" in page
    rename = TreeChange.objects.get(kind=ChangeKind.EDIT)
    response = client.post(reverse("jurisdictions:undo", args=[rename.pk]))
    assert response.status_code == 302 and fresh(world.station_a).name == "甲派出所"
    merge = TreeChange.objects.get(kind=ChangeKind.MERGE)
    response = client.post(reverse("jurisdictions:undo", args=[merge.pk]), follow=True)
    assert "合并不能自动撤回" in response.content.decode()
    client.force_login(world.a[Role.STATION_CHIEF])
    assert client.get(reverse("jurisdictions:changes")).status_code == 403


def test_every_maintenance_page_opens_for_its_kind(client, world, places):
    client.force_login(world.admin)
    pages = [("manage", world.station_a), ("add", world.station_a), ("edit", places.room_a),
             ("move", world.district_a), ("coverage", world.district_a), ("lead", world.station_b),
             ("merge", world.district_a), ("retire", places.room_a)]  # fmt: skip
    for name, node in pages:
        assert client.get(reverse(f"jurisdictions:{name}", args=[node.pk])).status_code == 200
    # coverage is a police district's, a lead station a station's
    assert (
        client.get(reverse("jurisdictions:coverage", args=[world.station_a.pk])).status_code == 404
    )
    assert client.get(reverse("jurisdictions:lead", args=[world.district_a.pk])).status_code == 404


def test_retire_page_names_what_blocks_it_and_coverage_saves_through_the_page(client, world,
                                                                               places):  # fmt: skip
    client.force_login(world.admin)
    page = client.get(reverse("jurisdictions:retire", args=[world.station_a.pk])).content.decode()
    assert "暂不能撤销" in page and "甲一警务区" in page and "确认撤销" not in page
    response = client.post(reverse("jurisdictions:retire", args=[world.station_a.pk]),
                           {"version": 1})  # fmt: skip
    assert response.status_code == 200 and fresh(world.station_a).retired_at is None
    district = fresh(world.district_a)
    url = reverse("jurisdictions:coverage", args=[district.pk])
    response = client.post(url, {"version": district.version, "areas": [places.community_b.pk]})
    assert response.status_code == 302
    assert list(selectors.coverage_of(district)) == [places.community_b]


def test_the_pages_speak_english_when_asked(client, world):
    client.force_login(world.admin)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("jurisdictions:manage", args=[world.station_a.pk])).content.decode()
    assert "Set lead station" in page and "Retire unit" in page and "撤销单位" not in page
