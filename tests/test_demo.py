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
