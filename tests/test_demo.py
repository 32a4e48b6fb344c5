from __future__ import annotations

import re

from django.db.models import Count

from fengqiao.accounts.models import StaffKind, User
from fengqiao.audit.services import verify_chain
from fengqiao.core.roles import Role
from fengqiao.demo.services import load_demo
from fengqiao.incidents.models import SmsMessage
from fengqiao.jurisdictions import selectors
from fengqiao.jurisdictions.models import Jurisdiction, Kind


def test_demo_has_a_user_of_every_role_and_is_idempotent(db, settings, capsys):
    # Its invented numbers reach no gateway and no console: the SMS are held in the outbox.
    settings.FENGQIAO_SMS_BACKEND = "fengqiao.incidents.sms.ConsoleBackend"
    first = load_demo()
    printed = capsys.readouterr().out
    assert SmsMessage.objects.exists() and "[SMS to" not in printed
    assert not re.search(r"1[3-9]\d{9}", printed)
    assert {role for _u, role, _unit in first.logins} == {str(role.label) for role in Role}
    counts = (Jurisdiction.objects.count(), User.objects.count())
    second = load_demo()
    assert (second.created_nodes, second.created_users) == (0, 0)
    assert (Jurisdiction.objects.count(), User.objects.count()) == counts
    assert second.logins == first.logins
    assert verify_chain().ok


def test_nanjie_station_has_the_shape_of_the_seed(db):
    load_demo()
    station = Jurisdiction.objects.get(kind=Kind.STATION, name="南街派出所")
    nodes = selectors.subtree(station)
    assert nodes.filter(kind=Kind.POLICE_ROOM).count() == 7
    covered = Jurisdiction.objects.filter(covered_by__in=nodes, kind=Kind.COMMUNITY).distinct()
    assert covered.count() == 8
    staff = User.objects.filter(jurisdiction__path__within=station.path)
    kinds = dict(
        staff.values_list("staff_kind").annotate(n=Count("id")).values_list("staff_kind", "n")
    )
    assert kinds[StaffKind.POLICE] == 19
    assert kinds[StaffKind.AUXILIARY] == 22


def test_demo_divisions_carry_real_gbt2260_codes(db):
    load_demo()
    county = Jurisdiction.objects.get(kind=Kind.COUNTY, code="140502")
    assert [node.name for node in selectors.ancestors(county)] == ["山西省", "晋城市"]
    assert county.name == "城区"
    # every node with a code is a real division; the invented ones below carry none
    coded = Jurisdiction.objects.exclude(code="")
    assert set(coded.values_list("kind", flat=True)) == {Kind.PROVINCE, Kind.CITY, Kind.COUNTY}
    assert coded.count() == 1 + 11 + 117  # 山西省 in the 2024 list


def test_demo_personal_data_is_valid(db):
    load_demo()
    for person in User.objects.all():
        person.full_clean(exclude=["password"])


def test_demo_reads_like_a_real_bureau(db):
    """Realism, measured: clocks mostly met, fourteen months of history, three stations
    of different size whose outlines do not overlap, scores and rollups ready, and nothing
    overdue by days but the two named cases."""
    import datetime as dt
    from itertools import combinations

    from django.db.models import F, Q
    from django.utils import timezone
    from shapely.geometry import shape

    from fengqiao.addresses.models import StandardAddress
    from fengqiao.demo.services import OVERDUE_STORIES
    from fengqiao.incidents.models import Deadline, Incident
    from fengqiao.registry.models import Person
    from fengqiao.rollups.models import Rollup
    from fengqiao.scoring.models import Scorecard

    load_demo()
    now = timezone.now()
    stations = list(Jurisdiction.objects.filter(kind=Kind.STATION).order_by("path"))
    assert len(stations) == 3

    # On time per clock: bureau-wide for every kind, per station for the frequent ones.
    def share(deadlines):
        done = deadlines.filter(met_at__isnull=False)
        return done.filter(met_at__lte=F("due_at")).count() / done.count()

    for kind in Deadline.objects.values_list("rule__kind", flat=True).distinct():
        assert 0.80 <= share(Deadline.objects.filter(rule__kind=kind)) <= 0.97, kind
    for station in stations:
        mine = Deadline.objects.filter(jurisdiction__path__within=station.path)
        for kind in ("dispatch", "arrival"):
            assert 0.80 <= share(mine.filter(rule__kind=kind)) <= 0.97, (station.name, kind)

    months = {
        (t.year, t.month)
        for t in (
            timezone.localtime(r) for r in Incident.objects.values_list("received_at", flat=True)
        )
    }
    assert len(months) >= 13

    # Three stations, no copies: every count differs between them.
    def counts(station):
        nodes = selectors.subtree(station)
        covered = Jurisdiction.objects.filter(covered_by__in=nodes).distinct()
        return (
            nodes.filter(kind=Kind.POLICE_DISTRICT).count(),
            covered.filter(kind=Kind.GRID).count(),
            StandardAddress.objects.filter(police_district__parent=station).count(),
            Person.objects.filter(residences__house__address__police_district__parent=station)
            .distinct()
            .count(),
            Incident.objects.filter(jurisdiction__path__within=station.path).count(),
        )

    figures = [counts(s) for s in stations]
    for column in zip(*figures, strict=True):
        assert len(set(column)) == 3, figures

    # Outlines: the stations', and each station's districts', are polygons that do not overlap.
    def outlines(nodes):
        return {n.name: shape(n.boundary) for n in nodes}

    groups = [outlines(stations)] + [
        outlines(s.children.filter(kind=Kind.POLICE_DISTRICT)) for s in stations
    ]
    for group in groups:
        for (a, pa), (b, pb) in combinations(group.items(), 2):
            assert pa.is_valid and pb.is_valid
            assert pa.intersection(pb).area < 1e-9 * min(pa.area, pb.area), (a, b)

    # The duty list: overdue by more than a day only the named cases.
    late = Deadline.objects.filter(met_at__isnull=True, due_at__lt=now - dt.timedelta(days=1))
    named = {story[0] for story in OVERDUE_STORIES}
    assert set(late.values_list("incident__description", flat=True)) == named

    # Computed at load: a scorecard per month of the history, rollups a year back.
    assert Scorecard.objects.filter(level="station").count() >= 13
    year_ago = timezone.localdate() - dt.timedelta(days=365)
    assert Rollup.objects.filter(Q(day__lte=year_ago)).exists()
