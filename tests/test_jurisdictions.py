from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fengqiao.accounts.selectors import staff_list
from fengqiao.jurisdictions import selectors, services
from fengqiao.jurisdictions.models import ALLOWED_PARENTS, Jurisdiction, Kind
from tests.conftest import make_node


def test_path_encodes_the_ancestry(world):
    assert world.district_a.path == f"{world.station_a.path}{world.district_a.pk}/"
    assert world.district_a.depth == world.station_a.depth + 1
    assert world.district_a.ancestor_ids == [
        int(p) for p in world.station_a.path.strip("/").split("/")
    ]


def test_subtree_is_one_query_whatever_the_depth(world, django_assert_num_queries):
    make_node(Kind.POLICE_ROOM, "甲一警务室", world.district_a)
    with django_assert_num_queries(1):
        names = [node.name for node in selectors.subtree(world.station_a)]
    assert names == ["甲派出所", "甲一警务区", "甲一警务室"]
    with django_assert_num_queries(1):
        assert [n.name for n in selectors.ancestors(world.district_a)] == [
            "测试省公安厅", "测试市局", "测试分局", "甲派出所",
        ]  # fmt: skip


@pytest.mark.parametrize(
    "kind, parent_name",
    [(Kind.STATION, None), (Kind.GRID, "station_a"), (Kind.POLICE_ROOM, "bureau"),
     (Kind.CITY, "department")],
)  # fmt: skip
def test_wrong_parent_kind_is_refused(world, kind, parent_name):
    parent = getattr(world, parent_name) if parent_name else None
    with pytest.raises(ValidationError):
        services.create_jurisdiction(actor=None, kind=kind, name="x", parent=parent)


def test_every_kind_has_a_parent_rule():
    assert set(ALLOWED_PARENTS) == set(Kind)


def test_official_code_is_unique_per_kind(db):
    make_node(Kind.PROVINCE, "山西省", code="140000")
    with pytest.raises(ValidationError):
        make_node(Kind.PROVINCE, "重复", code="140000")


def test_move_rewrites_the_whole_subtree(world):
    room = make_node(Kind.POLICE_ROOM, "甲一警务室", world.district_a)
    services.move_jurisdiction(actor=world.admin, node=world.district_a, new_parent=world.station_b)
    room.refresh_from_db()
    assert room.path.startswith(world.station_b.path)
    assert room.depth == world.station_b.depth + 2
    # the district's officer now falls in station B's scope
    assert world.a["community_officer"] in staff_list(user=world.b_chief)


def test_cannot_move_under_own_descendant(world):
    with pytest.raises(ValidationError):
        services.move_jurisdiction(
            actor=world.admin, node=world.station_a, new_parent=world.district_a
        )


def test_police_district_covers_communities_and_grids(world):
    county = make_node(
        Kind.COUNTY, "城区", make_node(Kind.CITY, "市", make_node(Kind.PROVINCE, "省"))
    )
    community = make_node(Kind.COMMUNITY, "凤台社区", make_node(Kind.TOWNSHIP, "南街街道", county))
    grid = make_node(Kind.GRID, "第1网格", community)
    services.set_coverage(actor=world.admin, district=world.district_a, areas=[community, grid])
    assert list(selectors.coverage_of(world.district_a)) == [community, grid]
    with pytest.raises(ValidationError):
        services.set_coverage(actor=world.admin, district=world.district_a, areas=[county])
    with pytest.raises(ValidationError):
        services.set_coverage(actor=world.admin, district=world.station_a, areas=[community])


def test_children_counts_come_from_one_query(world, django_assert_num_queries):
    chief = world.a["station_chief"]
    with django_assert_num_queries(1):
        children = list(selectors.children_for(chief, world.station_a))
    assert [(c.name, c.staff_count) for c in children] == [("甲一警务区", 2)]


def test_root_admin_browses_both_hierarchies_others_only_their_own(client, world):
    province = make_node(Kind.PROVINCE, "测试省", code="990000")
    client.force_login(world.admin)
    page = client.get(reverse("jurisdictions:tree")).content.decode()
    assert "测试省公安厅" in page and "测试省" in page
    assert client.get(reverse("jurisdictions:children", args=[province.pk])).status_code == 200
    client.force_login(world.analyst)
    assert "测试省</h1>" not in client.get(reverse("jurisdictions:tree")).content.decode()
    assert client.get(reverse("jurisdictions:children", args=[province.pk])).status_code == 404


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    ids=st.lists(st.integers(min_value=1, max_value=120), min_size=1, max_size=40, unique=True),
    picks=st.lists(st.integers(min_value=0, max_value=1000), min_size=40, max_size=40),
)
def test_within_returns_exactly_the_descendants(db, ids, picks):
    """For any tree, ``path__within`` agrees with walking parent links in Python. Ids are
    drawn small so prefixes collide (4 vs 40 vs 41): a range or LIKE that forgets the
    closing slash is caught. Each example rolls back, so ids can repeat across examples."""
    with transaction.atomic():
        nodes: list[Jurisdiction] = []
        for index, pk in enumerate(ids):
            parent = nodes[picks[index] % len(nodes)] if nodes else None
            prefix = parent.path if parent else "/"
            nodes.append(
                Jurisdiction.objects.create(
                    id=pk,
                    kind=Kind.STATION,
                    name=str(pk),
                    parent=parent,
                    path=f"{prefix}{pk}/",
                    depth=parent.depth + 1 if parent else 0,
                )
            )
        parents = {node.pk: node.parent_id for node in nodes}

        def descends(pk: int | None, ancestor: int) -> bool:
            while pk is not None:
                if pk == ancestor:
                    return True
                pk = parents[pk]
            return False

        for node in nodes:
            expected = {pk for pk in parents if descends(pk, node.pk)}
            assert set(selectors.subtree(node).values_list("pk", flat=True)) == expected
        transaction.set_rollback(True)


def test_shipped_divisions_are_the_2024_list():
    rows = services.division_rows()
    levels = [row["level"] for row in rows]
    assert (levels.count("province"), levels.count("city"), levels.count("county")) == (
        34,
        333,
        2846,
    )
    codes = {row["code"] for row in rows}
    assert all(row["parent_code"] in codes for row in rows if row["parent_code"])
    assert {"140502", "330702", "350981", "350206", "620102"} <= codes  # the seeds' places


def test_loading_divisions_builds_the_tree_once(db):
    first = services.load_divisions(actor=None, provinces=["35"])  # 福建省
    assert first.created == len(services.division_rows(["35"]))
    fuan = Jurisdiction.objects.get(kind=Kind.COUNTY, code="350981")
    assert fuan.name == "福安市"
    assert [a.name for a in selectors.ancestors(fuan)] == ["福建省", "宁德市"]
    again = services.load_divisions(actor=None, provinces=["35"])
    assert (again.created, again.renamed) == (0, 0)


def test_a_renamed_division_is_renamed_not_duplicated(db):
    services.load_divisions(actor=None, provinces=["14"])
    Jurisdiction.objects.filter(code="140502").update(name="旧名")
    result = services.load_divisions(actor=None, provinces=["14"])
    assert result.renamed == 1
    assert Jurisdiction.objects.get(kind=Kind.COUNTY, code="140502").name == "城区"
