"""Dashboard figures equal counts taken directly from the raw records, at every level,
and each number's records are exactly the records it counts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from fengqiao.core.roles import Role
from fengqiao.dashboards import figures
from fengqiao.disputes.models import CLOSED_STATUSES, DisputeCase
from fengqiao.incidents import public
from fengqiao.incidents import services as incident_services
from fengqiao.incidents.models import Category, Deadline, Incident
from fengqiao.jurisdictions.models import Jurisdiction
from fengqiao.scoring import periods
from tests.conftest import make_user


def local(day: dt.date, hour: int = 10) -> dt.datetime:
    """``hour`` o'clock of a local day; today's hours are minutes ago instead (never future)."""
    if day == timezone.localdate() and hour:
        return timezone.now() - dt.timedelta(minutes=hour)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def records(world, places, make_incident, make_dispute):
    """Incidents this month, last month and a year ago in both stations, some with
    confirmed categories, handled, surveyed; disputes resolved, failed and criminal."""
    today = timezone.localdate()
    officer = world.a[Role.COMMAND_ROOM]
    theft = Category.objects.get(code="0101")
    fight = Category.objects.get(code="0201")
    days = [today, today.replace(day=1), (today.replace(day=1) - dt.timedelta(days=3)),
            today.replace(year=today.year - 1, day=1)]  # fmt: skip
    made = []
    for n, day in enumerate(days):
        made.append(make_incident(received_at=local(day, 1 + n), category=theft))
        made.append(make_incident(received_at=local(day, 2 + n), category=fight))
        made.append(make_incident(received_at=local(day, 3 + n), description="有人求助开锁。"))
        made.append(make_incident(received_at=local(day, 4 + n), jurisdiction=world.district_b,
                                  actor=world.b_officer, category=theft))  # fmt: skip
    handled = made[0]
    for status in ("dispatched", "on_scene", "handled", "closed"):
        handled = incident_services.transition(
            actor=officer, incident=handled, to_status=status,
            expected_version=handled.version, note="已处置",
        )  # fmt: skip
    public.submit_survey(incident=handled, rating="satisfied")
    resolved = make_dispute()
    DisputeCase.objects.filter(pk=resolved.pk).update(status="resolved")  # bypasses the signal
    failed = make_dispute(category="marriage_family")
    failed.status = "failed"
    failed.turned_criminal = True
    failed.save()
    make_dispute(jurisdiction=world.district_b, actor=world.b_officer)
    from fengqiao.rollups import store as rollups

    rollups.rebuild()  # the raw update above went round the signals on purpose
    return made


def raw_incidents(node: Jurisdiction, span: figures.Span, prefix: str = ""):
    found = Incident.objects.filter(
        jurisdiction__path__within=node.path,
        received_at__gte=local(span.start, 0), received_at__lt=local(span.end, 0),
    )  # fmt: skip
    if prefix:
        found = [
            i for i in found.select_related("category", "suggested_category")
            if (i.category or i.suggested_category).code.startswith(prefix)
        ]  # fmt: skip
    return len(found) if isinstance(found, list) else found.count()


@pytest.mark.parametrize("level", ["district_a", "station_a", "bureau", "department"])
@pytest.mark.parametrize("kind", ["month", "year"])
def test_dashboard_numbers_equal_raw_counts(world, records, level, kind):
    node = getattr(world, level)
    today = timezone.localdate()
    period = periods.containing(today, kind)
    board = figures.node_dashboard(world.admin, node, period)
    current, previous, year_before = figures.comparisons(period, today=today)
    assert board.incidents.value == raw_incidents(node, current)
    assert board.incidents.previous == raw_incidents(node, previous)
    assert board.incidents.year_before == raw_incidents(node, year_before)
    assert board.criminal.value == raw_incidents(node, current, "01")
    for row in board.by_category:
        assert row.figure.value == raw_incidents(node, current, row.code)
    cases = DisputeCase.objects.filter(
        jurisdiction__path__within=node.path, registered_at__gte=local(current.start, 0),
        registered_at__lt=local(current.end, 0),
    )  # fmt: skip
    assert board.disputes.value == cases.count()
    assert board.disputes_closed.value == cases.filter(status__in=CLOSED_STATUSES).count()
    assert board.disputes_resolved.value == cases.filter(status="resolved").count()
    assert board.turned_criminal.value == cases.filter(turned_criminal=True).count()
    clocks = Deadline.objects.filter(
        jurisdiction__path__within=node.path, due_at__gte=local(current.start, 0),
        due_at__lt=local(current.end, 0),
    )  # fmt: skip
    met = [d for d in clocks if d.met_at and d.met_at <= d.due_at]
    late = [d for d in clocks if d.met_at and d.met_at > d.due_at]
    overdue = [d for d in clocks if not d.met_at and timezone.localdate(d.due_at) < today]
    assert board.clocks_met.value == len(met)
    assert sum(x.figure.value for x in board.clocks_late) == len(late)
    assert sum(x.figure.value for x in board.clocks_overdue) == len(overdue)


def test_every_number_lists_exactly_its_records(world, records):
    board = figures.node_dashboard(world.admin, world.bureau, periods.current())
    shown = [board.incidents, board.criminal, board.disputes, board.disputes_closed,
             board.disputes_resolved, board.turned_criminal, board.surveys,
             board.surveys_satisfied, board.clocks_met,
             *[x.figure for x in board.by_category + board.clocks_late + board.clocks_overdue],
             *[row.incidents for row in board.children]]  # fmt: skip
    assert any(f.value for f in shown)
    for figure in shown:
        from django.http import QueryDict

        query = figures.parse_record_query(world.admin, QueryDict(figure.query))
        assert figures.count_behind(query) == figure.value, figure.query
        listed = figures.records_behind(world.admin, query)
        if query.fact in ("clock", "followup") and not query.category:
            # Clocks of every kind (or visits) per incident (or case): each record once.
            assert 0 < listed.count() <= figure.value or figure.value == 0
        else:
            assert listed.count() == figure.value, figure.query


def test_the_records_behind_a_number_stay_in_the_users_scope(world, records):
    chief = world.a[Role.STATION_CHIEF]
    from django.http import QueryDict

    with pytest.raises(Http404):
        figures.parse_record_query(chief, QueryDict(f"node={world.bureau.pk}&fact=incident&"
                                                    "from=2020-01-01&to=2030-01-01"))  # fmt: skip
    query = figures.parse_record_query(
        chief, QueryDict(f"node={world.station_a.pk}&fact=incident&from=2020-01-01&to=2030-01-01")
    )
    listed = figures.records_behind(chief, query)
    assert listed.count() == 12
    assert not listed.filter(jurisdiction=world.district_b).exists()


def test_a_node_outside_scope_is_not_found_and_figures_need_the_capability(world):
    with pytest.raises(Http404):
        figures.dashboard_node(world.a[Role.STATION_CHIEF], world.station_b.pk)
    with pytest.raises(PermissionDenied):
        figures.dashboard_node(world.a[Role.VOLUNTEER], None)


def test_zero_case_communities_are_those_without_criminal_incidents(world, places, records):
    board = figures.node_dashboard(world.admin, world.department, periods.current())
    # Incidents were taken without an address: no grid, so no community has any.
    assert board.communities == 2 and board.zero_case_count == 2
    assert {c.pk for c in board.zero_case} == {places.community_a.pk, places.community_b.pk}


def test_a_community_with_a_criminal_incident_is_not_zero_case(world, places, make_incident):
    from fengqiao.addresses import services as address_services

    address = address_services.create_address(
        actor=None, community=places.community_a, grid=places.grid_a,
        road="阳头路", door_number="12",
    )  # fmt: skip
    make_incident(address=address, category=Category.objects.get(code="0101"))
    make_incident(jurisdiction=world.district_b, actor=world.b_officer,
                  category=Category.objects.get(code="0601"))  # help is not crime  # fmt: skip
    board = figures.node_dashboard(world.admin, world.department, periods.current())
    assert [c.pk for c in board.zero_case] == [places.community_b.pk]
    assert board.zero_case_count == 1


def test_a_running_month_compares_like_for_like_spans():
    period = periods.parse("2026-03")
    current, previous, year_before = figures.comparisons(period, today=dt.date(2026, 3, 10))
    assert (current.start, current.end) == (dt.date(2026, 3, 1), dt.date(2026, 3, 11))
    assert (previous.start, previous.end) == (dt.date(2026, 2, 1), dt.date(2026, 2, 11))
    assert (year_before.start, year_before.end) == (dt.date(2025, 3, 1), dt.date(2025, 3, 11))
    done = figures.comparisons(periods.parse("2026-02"), today=dt.date(2026, 3, 10))
    assert (done[0].days, done[1].days) == (28, 31)  # a month that is over: whole months
    leap = figures.comparisons(periods.parse("2025"), today=dt.date(2026, 3, 10))
    assert leap[2] == figures.Span(dt.date(2024, 1, 1), dt.date(2025, 1, 1))
    assert figures.comparisons(periods.parse("2026"), today=dt.date(2026, 3, 10))[0].end == (
        dt.date(2026, 3, 11)
    )
    for text in ("garbage", "", "2026-Q1", "2026-13"):
        assert figures.parse_period(text, today=dt.date(2026, 3, 10)).key == "2026-03"
    assert figures.parse_period("2025", today=dt.date(2026, 3, 10)) == periods.year(2025)


def test_an_analyst_without_records_access_still_gets_figures(world, records):
    analyst = make_user(Role.ANALYST, world.bureau)
    board = figures.node_dashboard(analyst, world.bureau, periods.current())
    assert board.incidents.value > 0
