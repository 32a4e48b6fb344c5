"""The rollups live in their own app below the domains: the move from ``scoring`` keeps an
existing database's counts, and the facts are the ones the domains announce."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.rollups import store
from fengqiao.rollups.models import Rollup

BEFORE_THE_MOVE = [("scoring", "0005_crime_area_found_index"), ("rollups", None)]


def _node(kind: str, parent: Jurisdiction | None = None) -> Jurisdiction:
    """A node written without the service: its audit event would outlive a transactional
    test on SQLite, whose flush the append-only log refuses."""
    node = Jurisdiction.objects.create(kind=kind, name=kind, parent=parent, path=f"~{kind}",
                                       depth=parent.depth + 1 if parent else 0)  # fmt: skip
    node.path = f"{parent.path if parent else '/'}{node.pk}/"
    node.save(update_fields=["path"])
    return node


@pytest.mark.django_db(transaction=True)  # migrations change the schema: no test transaction
def test_migrating_from_the_old_head_keeps_the_rollup_rows():
    """A database at the head before the move, with counts in ``scoring_rollup``, migrates
    to the rollups app with every row kept, and the upsert's unique key still in place."""
    bureau = _node(Kind.COUNTY_BUREAU)
    station = _node(Kind.STATION, bureau)
    district = _node(Kind.POLICE_DISTRICT, station)
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE_THE_MOVE)
    old = executor.loader.project_state(BEFORE_THE_MOVE[:1]).apps.get_model("scoring", "Rollup")
    assert old._meta.db_table == "scoring_rollup"
    day = dt.date(2026, 3, 1)
    rows = [
        old(node_id=station.pk, fact="incident", grain="d", day=day, category="0101",
            status="received", n=3),
        old(node_id=bureau.pk, fact="incident", grain="m", day=day, category="0101",
            status="received", n=7),
        old(node_id=bureau.pk, fact="crime_area", grain="d", day=day, n=1),
    ]  # fmt: skip
    old.objects.bulk_create(rows)

    executor = MigrationExecutor(connection)  # a fresh loader sees what is applied now
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert Rollup._meta.db_table == "rollups_rollup"
    kept = {(r.node_id, r.fact, r.grain, r.day, r.category, r.status, r.n)
            for r in Rollup.objects.all()}  # fmt: skip
    assert kept == {(r.node_id, r.fact, r.grain, r.day, r.category, r.status, r.n) for r in rows}
    # The store's ON CONFLICT needs the unique key: a write adds to the moved row.
    key = ("incident", district.pk, None, day, "0101", "received")
    store.apply(Counter({key: 1}))
    moved = Rollup.objects.get(node=station, grain="d", fact="incident")
    assert moved.n == 4
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "scoring_rollup" not in tables


def test_every_fact_is_announced_by_the_domain_that_owns_its_model():
    """The store defines no fact: incidents and disputes register theirs when they load."""
    from fengqiao.disputes import facts as dispute_facts
    from fengqiao.incidents import facts as incident_facts

    announced = {f.name: f for f in [*incident_facts.FACTS, *dispute_facts.FACTS]}
    assert announced == store.FACTS
    assert {f.model_path.split(".")[0] for f in incident_facts.FACTS} == {"incidents"}
    assert {f.model_path.split(".")[0] for f in dispute_facts.FACTS} == {"disputes"}


def test_a_second_definition_under_a_taken_name_is_refused():
    taken = store.FACTS["incident"]
    store.register(taken)  # the same definition again: harmless (a ready() run twice)
    other = store.Fact("incident", "disputes.DisputeCase", taken.rows, frozenset(), "", "",
                       "dispute", "pk")  # fmt: skip
    with pytest.raises(ValueError, match="already registered"):
        store.register(other)
    assert store.FACTS["incident"] is taken
