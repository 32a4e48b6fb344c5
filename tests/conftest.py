from __future__ import annotations

import itertools

import pytest
from django.contrib.auth.hashers import make_password
from django.utils import translation

from fengqiao.accounts import services as account_services
from fengqiao.accounts.models import StaffKind, User
from fengqiao.core.roles import Role
from fengqiao.jurisdictions import services as jurisdiction_services
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from tests.browser import browser, page, server  # noqa: F401 — one of each for the run

PASSWORD = "correct-horse-42"


@pytest.fixture(autouse=True)
def _fast_and_plain(settings):
    # A request in English leaves English active in this thread; every test starts Chinese.
    translation.activate(settings.LANGUAGE_CODE)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture(autouse=True)
def _own_audit_checkpoints(settings, tmp_path):
    """Each test has its own (empty) checkpoint file, never the developer's var/ one."""
    settings.AUDIT_CHECKPOINT_FILE = tmp_path / "audit-checkpoints.jsonl"


def make_node(
    kind: str, name: str, parent: Jurisdiction | None = None, code: str = ""
) -> Jurisdiction:
    return jurisdiction_services.create_jurisdiction(
        actor=None, kind=kind, name=name, parent=parent, code=code
    )


_counter = itertools.count(1)


def make_user(role: str, unit: Jurisdiction, *, username: str = "", **extra) -> User:
    number = next(_counter)
    extra.setdefault("phone", f"138{number:08d}")
    extra.setdefault("id_number", "11010519491231002X")
    return account_services.create_staff(
        actor=None,
        username=username or f"{role}{number}",
        password_hash=make_password(PASSWORD),
        full_name=extra.pop("full_name", f"{Role(role).label}{number:04d}号"),
        role=role,
        jurisdiction=unit,
        staff_kind=extra.pop("staff_kind", StaffKind.POLICE),
        **extra,
    )


class World:
    """A bureau with two stations, A and B, each with one police district, and a user
    of every role at station A (plus a chief at B)."""

    def __init__(self) -> None:
        self.department = make_node(Kind.POLICE_DEPARTMENT, "测试省公安厅")
        self.bureau = make_node(
            Kind.COUNTY_BUREAU, "测试分局", make_node(Kind.CITY_BUREAU, "测试市局", self.department)
        )
        self.unit = make_node(Kind.UNIT, "刑侦大队", self.bureau)
        self.station_a = make_node(Kind.STATION, "甲派出所", self.bureau)
        self.station_b = make_node(Kind.STATION, "乙派出所", self.bureau)
        self.district_a = make_node(Kind.POLICE_DISTRICT, "甲一警务区", self.station_a)
        self.district_b = make_node(Kind.POLICE_DISTRICT, "乙一警务区", self.station_b)
        self.a = {
            Role.STATION_CHIEF: make_user(Role.STATION_CHIEF, self.station_a, username="a.chief"),
            Role.COMMUNITY_OFFICER: make_user(Role.COMMUNITY_OFFICER, self.district_a),
            Role.CASE_OFFICER: make_user(Role.CASE_OFFICER, self.station_a),
            Role.COMMAND_ROOM: make_user(Role.COMMAND_ROOM, self.station_a),
            Role.MEDIATOR: make_user(Role.MEDIATOR, self.station_a),
            Role.VOLUNTEER: make_user(Role.VOLUNTEER, self.district_a),
        }
        self.b_chief = make_user(
            Role.STATION_CHIEF, self.station_b, username="b.chief", full_name="乙所所长赵六"
        )
        self.b_officer = make_user(
            Role.COMMUNITY_OFFICER,
            self.district_b,
            username="b.officer",
            phone="13912345678",
            full_name="乙所民警王五",
        )
        self.liaison = make_user(Role.UNIT_LIAISON, self.unit)
        self.analyst = make_user(Role.ANALYST, self.bureau)
        self.admin = make_user(Role.ADMIN, self.department, username="root.admin")


@pytest.fixture
def world(db) -> World:
    return World()


class Places:
    """Divisions under a real county code, with community A covered by station A's
    police district and community B by station B's."""

    def __init__(self, world: World) -> None:
        province = make_node(Kind.PROVINCE, "山西省", code="140000")
        county = make_node(
            Kind.COUNTY, "城区", make_node(Kind.CITY, "晋城市", province, "140500"), "140502"
        )
        township = make_node(Kind.TOWNSHIP, "南街街道", county)
        self.community_a = make_node(Kind.COMMUNITY, "凤台社区", township)
        self.community_b = make_node(Kind.COMMUNITY, "书院社区", township)
        self.grid_a = make_node(Kind.GRID, "凤台社区第1网格", self.community_a)
        self.room_a = make_node(Kind.POLICE_ROOM, "凤台社区警务室", world.district_a)
        jurisdiction_services.set_coverage(
            actor=None, district=world.district_a, areas=[self.community_a, self.grid_a]
        )
        jurisdiction_services.set_coverage(
            actor=None, district=world.district_b, areas=[self.community_b]
        )


@pytest.fixture
def places(world) -> Places:
    return Places(world)


@pytest.fixture(autouse=True)
def _audit_log_flushable(request, django_db_blocker):
    """A ``django_db(transaction=True)`` test really commits (other connections and threads
    see its data) and is cleaned up by a flush, which the append-only audit log refuses on
    PostgreSQL: its trigger is off from the end of such a test until the flush is done
    (the flush ends with ``post_migrate``)."""
    marker = request.node.get_closest_marker("django_db")
    if not (marker and marker.kwargs.get("transaction")):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up first, so torn down after this
    yield
    from django.db import connection
    from django.db.models.signals import post_migrate

    if connection.vendor != "postgresql":
        return

    def audit_trigger(state: str) -> None:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE audit_auditevent {state} TRIGGER audit_event_append_only")

    def enable(**kwargs: object) -> None:
        post_migrate.disconnect(dispatch_uid="audit-log-flushed")
        audit_trigger("ENABLE")

    audit_trigger("DISABLE")
    post_migrate.connect(enable, weak=False, dispatch_uid="audit-log-flushed")


@pytest.fixture
def make_incident(world, settings):
    """Register an incident through the intake service (defaults: a 110 call taken by
    station A's command room, in district A)."""
    from fengqiao.incidents import services as incident_services

    settings.FENGQIAO_SMS_BACKEND = "fengqiao.incidents.sms.MemoryBackend"

    def make(**values):
        values.setdefault("actor", world.a[Role.COMMAND_ROOM])
        values.setdefault("source", "110")
        values.setdefault("description", "报警人称其停放在楼下的电动车被盗。")
        values.setdefault("location_text", "阳头路12号")
        values.setdefault("jurisdiction", world.district_a)
        return incident_services.intake(**values)

    return make


@pytest.fixture
def make_dispute(world):
    """Register a dispute through the intake service (defaults: a neighbours' quarrel
    walked in at station A's district, people's mediation, applicant and respondent who
    both consented). ``consent=False`` leaves their consent pending."""
    from fengqiao.disputes import services as dispute_services
    from fengqiao.disputes.models import Consent

    def make(*, consent: bool = True, **values):
        values.setdefault("actor", world.a[Role.COMMUNITY_OFFICER])
        values.setdefault("source", "walk_in")
        values.setdefault("category", "neighbours")
        values.setdefault("track", "people")
        values.setdefault("narrative", "楼上楼下因漏水发生争执，双方多次争吵。")
        values.setdefault("location_text", "阳头路12号3单元502")
        values.setdefault("jurisdiction", world.district_a)
        values.setdefault(
            "party_list",
            [
                dispute_services.PartyInput(
                    name="张三",
                    role="applicant",
                    phone="13800001111",
                    id_number="11010519491231002X",
                ),
                dispute_services.PartyInput(name="李四", role="respondent", phone="13900002222"),
            ],
        )
        case = dispute_services.register_case(**values)
        if consent:
            case.parties.update(consent=Consent.GIVEN)
        return case

    return make
