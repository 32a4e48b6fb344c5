"""The demo station: a fictional county bureau modelled on the seed articles.

The province the demo sits in (山西省) comes with its real cities and counties from the
shipped GB/T 2260 list; the townships, communities, grids, stations and people below the
district 城区 (140502) are invented. The first
station is shaped like 南街派出所 in the seeds (5.68 km², 8 communities, 7 police
rooms, 19 officers, 22 auxiliaries). Loading is idempotent: every node and account is
found by its natural key before it is created, so a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from fengqiao.accounts import services as account_services
from fengqiao.accounts.models import Post, StaffKind, User
from fengqiao.addresses import services as address_services
from fengqiao.addresses.models import StandardAddress
from fengqiao.core.roles import Role
from fengqiao.core.validators import id_number_check_character
from fengqiao.demo.history import QUIET_HOURS, History, Rhythm
from fengqiao.jurisdictions import services as jurisdiction_services
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.registry import services as registry_services
from fengqiao.registry.models import HouseholdType, HouseUse, Industry, Relation

DEMO_PASSWORD = "fengqiao-demo"  # noqa: S105  (printed by the run command; demo data only)
DEMO_REGION = "140502"  # 山西省晋城市城区 (GB/T 2260)


@dataclass(frozen=True)
class StationPlan:
    key: str  # login prefix
    name: str
    township: str
    communities: list[str]
    # each police district covers these community indexes; one police room each
    districts: list[list[int]]
    officers: int
    auxiliaries: int
    # community officers (社区民警) per district: 1 is 一区一警, 2 一区多警, 0 a vacancy
    community_officers: list[int]
    # how busy the station is and how well it keeps its clocks (history.py)
    rhythm: Rhythm
    # the station's size beyond its communities: grids per community, doors per road
    grids: int = 4
    doors: int = 4


STATIONS = [
    StationPlan(
        key="nanjie",
        name="南街派出所",
        township="南街街道",
        communities=[
            "凤台社区",
            "书院社区",
            "景西社区",
            "泽州社区",
            "文昌社区",
            "红星社区",
            "新市社区",
            "钟楼社区",
        ],
        districts=[[0], [1], [2], [3], [4], [5], [6, 7]],
        officers=19,
        auxiliaries=22,
        # the district of two communities has two officers: 8 of 19 police (42 %)
        community_officers=[1, 1, 1, 1, 1, 1, 2],
        rhythm=Rhythm(per_day=9.0, on_time=0.93, travel_minutes=8, trend=-0.06),
    ),
    StationPlan(
        key="xijie",
        name="西街派出所",
        township="西街街道",
        communities=["白马社区", "西巷社区", "青莲社区", "太行社区", "梨园社区"],
        districts=[[0, 1, 2], [3, 4]],
        officers=12,
        auxiliaries=14,
        community_officers=[3, 2],  # 5 of 12 (42 %), two officers or more in each
        rhythm=Rhythm(per_day=5.5, on_time=0.9, travel_minutes=10, trend=0.04),
        grids=3,
        doors=3,
    ),
    StationPlan(
        key="beishidian",
        name="北石店派出所",
        township="北石店镇",
        communities=["北石店村", "南石店村", "吕匠村", "小张村", "司徒村", "东武匠村"],
        districts=[[0, 1], [2, 3], [4], [5]],
        officers=9,
        auxiliaries=8,
        # a rural station short of officers: 3 of 9 (33 %), the third district vacant, so
        # the demo bureau fails 两个40% (2) and 一区一警 where the records say it does
        community_officers=[1, 1, 0, 1],
        rhythm=Rhythm(per_day=3.2, on_time=0.87, travel_minutes=16, trend=-0.1),
        grids=2,
        doors=5,
    ),
]

UNITS = ["刑侦大队", "治安大队", "交警大队", "禁毒大队", "网安大队", "经侦大队"]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"  # noqa: E501
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建国晓东海燕鹏辉波宁丹斌浩凯琳雪梅亮俊峰新林文博宇晨"  # noqa: E501


@dataclass
class DemoResult:
    created_nodes: int = 0
    created_users: int = 0
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, unit)


class _Loader:
    def __init__(self, progress: Callable[[str], None] | None) -> None:
        self.random = random.Random(20201001)  # fixed seed: the same demo every time
        self.result = DemoResult()
        self.progress = progress or (lambda step: None)
        self.password_hash = make_password(DEMO_PASSWORD)
        self.badge = 100000

    def node(
        self, kind: str, name: str, parent: Jurisdiction | None, code: str = ""
    ) -> Jurisdiction:
        existing = Jurisdiction.objects.filter(kind=kind, name=name, parent=parent).first()
        if existing:
            return existing
        self.result.created_nodes += 1
        return jurisdiction_services.create_jurisdiction(
            actor=None, kind=kind, name=name, parent=parent, code=code
        )

    def person_name(self) -> str:
        given = self.random.choice(GIVEN) + (
            self.random.choice(GIVEN) if self.random.random() < 0.7 else ""
        )
        return self.random.choice(SURNAMES) + given

    def id_number(self) -> str:
        year, month, day = (self.random.randint(*span) for span in ((1965, 2001), (1, 12), (1, 28)))
        first17 = f"{DEMO_REGION}{year}{month:02d}{day:02d}{self.random.randint(0, 999):03d}"
        return first17 + id_number_check_character(first17)

    def phone(self) -> str:
        return self.random.choice(
            ["135", "138", "139", "150", "152", "158", "187", "188", "199"]
        ) + (f"{self.random.randint(0, 99_999_999):08d}")

    def user(
        self,
        username: str,
        role: str,
        unit: Jurisdiction,
        *,
        kind: str = StaffKind.POLICE,
        post: str = "",
        listed: bool = False,
    ) -> User:
        # Draw the random fields even for existing users so reruns stay deterministic.
        full_name, id_number, phone = self.person_name(), self.id_number(), self.phone()
        self.badge += 1
        if listed:
            self.result.logins.append((username, str(Role(role).label), unit.name))
        existing = User.objects.filter(username=username).first()
        if existing:
            if post and not existing.post:
                # A demo loaded before posts existed: complete it (demo data, no audit).
                User.objects.filter(pk=existing.pk).update(post=post)
                existing.post = post
            return existing
        self.result.created_users += 1
        return account_services.create_staff(
            actor=None,
            username=username,
            password_hash=self.password_hash,
            full_name=full_name,
            role=role,
            staff_kind=kind,
            post=post,
            jurisdiction=unit,
            badge_number=f"{self.badge:06d}" if kind == StaffKind.POLICE else "",
            id_number=id_number,
            phone=phone,
        )

    def load_registry(
        self, plan: StationPlan, communities: list[Jurisdiction], districts: list[Jurisdiction]
    ) -> None:
        """一标三实 for the station: a few roads per community, houses on them, people in the
        houses, some rented out under the demo landlord, a few shops and a guesthouse."""
        if StandardAddress.objects.filter(community__in=communities).exists():
            return
        landlord = User.objects.get(username=f"{plan.key}.volunteer")
        for number, district in enumerate(districts, start=1):
            for police_room in district.children.filter(kind=Kind.POLICE_ROOM):
                police_room.duty_phone = f"0356-20{self.random.randint(10, 99)}{number:03d}"
                police_room.save(update_fields=["duty_phone"])
        moved_in = dt.date(2026, 1, 1)
        grids = {
            g.name: g for g in Jurisdiction.objects.filter(parent__in=communities, kind=Kind.GRID)
        }
        for c_index, community in enumerate(communities):
            road = ROADS[(c_index + len(plan.key)) % len(ROADS)]
            compound = COMPOUNDS[c_index % len(COMPOUNDS)]
            for door in range(1, plan.doors + 1):
                for building in ["1", "2"] if compound else [""]:
                    for room in ["101", "201", "301"] if building else [""]:
                        address = address_services.create_address(
                            actor=None,
                            community=community,
                            # a door number's houses in one grid: the maps and the
                            # zero-case communities of 一屏尽览 count by grid
                            grid=grids[f"{community.name}第{(door - 1) % plan.grids + 1}网格"],
                            road=road,
                            door_number=str(door * 2),
                            compound=compound,
                            building=building,
                            unit="1" if room else "",
                            room=room,
                        )
                        rental = self.random.random() < 0.3
                        house = registry_services.register_house(
                            actor=None,
                            address=address,
                            owner_name=self.person_name(),
                            owner_phone=self.phone(),
                            use=HouseUse.RENTAL if rental else HouseUse.SELF,
                            rental_rooms=2 if rental else None,
                            guardian_account=landlord if rental and c_index == 0 else None,
                            landlord_is_guardian=rental and c_index == 0,
                        )
                        for n in range(self.random.randint(1, 4)):
                            registry_services.register_person(
                                actor=None,
                                house=house,
                                name=self.person_name(),
                                id_number=self.id_number(),
                                phone=self.phone(),
                                relation=Relation.TENANT
                                if rental
                                else (Relation.OWNER if n == 0 else Relation.FAMILY),
                                household_type=HouseholdType.FLOATING
                                if rental
                                else HouseholdType.REGISTERED,
                                moved_in=moved_in,
                            )
                        if door == 1 and room in ("", "101") and c_index < len(ORGANISATIONS):
                            name, industry = ORGANISATIONS[c_index]
                            registry_services.register_organisation(
                                actor=None,
                                address=address,
                                name=community.name.removesuffix("社区").removesuffix("村") + name,
                                industry=industry,
                                responsible_name=self.person_name(),
                                responsible_phone=self.phone(),
                            )

    def load_incidents(
        self, station: Jurisdiction, bureau: Jurisdiction, plan: StationPlan
    ) -> None:
        """警情 at the station: two years of history (history.py), then the live
        stories of the last hours through the services — handled, open and just-received
        ones, repeat addresses, a whistle to the criminal investigation unit — and, at
        南街, the two deliberately overdue cases of :data:`OVERDUE_STORIES`."""
        from django.utils import timezone

        from fengqiao.incidents import services as incidents
        from fengqiao.incidents import whistles
        from fengqiao.incidents.models import Category, Incident

        if Incident.objects.filter(jurisdiction__path__within=station.path).exists():
            return
        duty = User.objects.filter(jurisdiction=station, role=Role.COMMAND_ROOM).first()
        if duty is None:
            return
        now = timezone.now()
        History(self.random, actor=duty).load(station, plan.rhythm, now=now)
        addresses = list(
            StandardAddress.objects.filter(police_district__parent=station).order_by("code")[:12]
        )
        # One of each story: the history gives the volume; more would crowd today.
        # (n, text, code, source, steps[, hours ago for an overdue case])
        stories: list[tuple[Any, ...]] = [(n, *story) for n, story in enumerate(INCIDENTS)]
        if plan is STATIONS[0]:
            stories += [(len(stories) + k, *story) for k, story in enumerate(OVERDUE_STORIES)]
        for n, text, code, source, steps, *age in stories:
            if age:  # a deliberate overdue case: received that many hours ago
                received = now - dt.timedelta(hours=age[0])
            elif steps in ([], ["dispatched"]):  # live: just received, its clocks running
                received = now - dt.timedelta(minutes=2 + n % 5)
            else:  # handled within the last hours (history stops QUIET_HOURS ago)
                received = now - dt.timedelta(minutes=(n * 53) % (QUIET_HOURS * 60 - 90) + 90)
            address = addresses[n % 7] if addresses else None  # some addresses call again
            incident = incidents.intake(
                actor=duty, source=source, description=text, received_at=received,
                occurred_at=received - dt.timedelta(minutes=30),
                location_text=address.local_text if address else "南街",
                address=address, jurisdiction=station, reporter_name=self.person_name(),
                reporter_phone=self.phone(),
                category=Category.objects.get(code=code) if code else None,
            )  # fmt: skip
            for step in steps:
                case = f"A{station.pk:04d}{n:06d}" if step == "case_registered" else ""
                note = "误拨，回拨无人接听" if step == "invalid" else ""
                incident = incidents.transition(
                    actor=duty, incident=incident, to_status=step, case_number=case,
                    expected_version=incident.version, note=note,
                )  # fmt: skip
            _replay(incident, now)
            if code == "0103" and n < len(INCIDENTS):
                unit = Jurisdiction.objects.filter(parent=bureau, kind=Kind.UNIT).first()
                if unit is not None:
                    whistles.raise_whistle(
                        actor=duty, to_unit=unit, title="协查电信诈骗资金流向",
                        reason="受害人被骗转账，请网安、刑侦协助查询资金流向、止付冻结。",
                        due_at=now + dt.timedelta(hours=20), incident=incident,
                        case_number=incident.case_number, location_text=incident.location_text,
                    )  # fmt: skip

    def load(self) -> DemoResult:
        self.progress("divisions")
        loaded = jurisdiction_services.load_divisions(actor=None, provinces=[DEMO_REGION])
        self.result.created_nodes += loaded.created
        county = Jurisdiction.objects.get(kind=Kind.COUNTY, code=DEMO_REGION)

        self.progress("police")
        department = self.node(Kind.POLICE_DEPARTMENT, "山西省公安厅（演示）", None)
        city_bureau = self.node(Kind.CITY_BUREAU, "晋城市公安局（演示）", department)
        bureau = self.node(Kind.COUNTY_BUREAU, "城区公安分局（演示）", city_bureau)
        units = [self.node(Kind.UNIT, name, bureau) for name in UNITS]

        self.user("admin", Role.ADMIN, department, post=Post.OFFICE, listed=True)
        self.user(
            "analyst", Role.ANALYST, bureau, kind=StaffKind.CIVILIAN, post=Post.OFFICE, listed=True
        )
        for index, unit in enumerate(units):
            self.user(
                f"unit{index + 1}", Role.UNIT_LIAISON, unit, post=Post.SPECIALIST,
                listed=index == 0,
            )  # fmt: skip

        for plan in STATIONS:
            self.progress(plan.name)
            self.load_station(plan, county, bureau)
        from fengqiao.demo.boundaries import draw_demo_boundaries  # the 一屏尽览 maps' outlines

        draw_demo_boundaries(bureau)
        self.progress("scores")
        _rollups_and_scores()
        return self.result

    def load_station(self, plan: StationPlan, county: Jurisdiction, bureau: Jurisdiction) -> None:
        township = self.node(Kind.TOWNSHIP, plan.township, county)
        communities = [self.node(Kind.COMMUNITY, name, township) for name in plan.communities]
        grids = {
            community.pk: [
                self.node(Kind.GRID, f"{community.name}第{n}网格", community)
                for n in range(1, plan.grids + 1)
            ]
            for community in communities
        }
        station = self.node(Kind.STATION, plan.name, bureau)
        districts = []
        for number, covered in enumerate(plan.districts, start=1):
            district = self.node(Kind.POLICE_DISTRICT, f"第{number}警务区", station)
            areas = [communities[i] for i in covered]
            self.node(Kind.POLICE_ROOM, f"{areas[0].name}警务室", district)
            if not district.covers.exists():
                jurisdiction_services.set_coverage(
                    actor=None,
                    district=district,
                    areas=areas + [grid for area in areas for grid in grids[area.pk]],
                )
            districts.append(district)

        key, first = plan.key, plan is STATIONS[0]
        # Officers: the chief, the community officers of the plan (first one per staffed
        # district, then the second officers), the rest split between the case team and
        # the command room.
        self.user(f"{key}.chief", Role.STATION_CHIEF, station, post=Post.LEADERSHIP, listed=True)
        placed = [
            d
            for level in range(1, max(plan.community_officers) + 1)
            for d, n in zip(districts, plan.community_officers, strict=True)
            if n >= level
        ]
        for number, district in enumerate(placed, start=1):
            self.user(
                f"{key}.community{number}",
                Role.COMMUNITY_OFFICER,
                district,
                post=Post.COMMUNITY,
                listed=first and number == 1,
            )
        remaining = plan.officers - 1 - len(placed)
        for number in range(1, remaining + 1):
            role, post = (
                (Role.CASE_OFFICER, Post.CASE) if number % 2 else (Role.COMMAND_ROOM, Post.COMMAND)
            )
            self.user(
                f"{key}.officer{number}", role, station, post=post, listed=first and number <= 2
            )
        for number in range(1, plan.auxiliaries + 1):
            district = districts[(number - 1) % len(districts)]
            self.user(
                f"{key}.aux{number}", Role.COMMUNITY_OFFICER, district, kind=StaffKind.AUXILIARY,
                post=Post.COMMUNITY,
            )  # fmt: skip
        self.user(
            f"{key}.mediator", Role.MEDIATOR, station, kind=StaffKind.CIVILIAN, post=Post.OTHER,
            listed=first,
        )  # fmt: skip
        self.user(
            f"{key}.volunteer", Role.VOLUNTEER, districts[0], kind=StaffKind.VOLUNTEER, listed=first
        )
        self.load_registry(plan, communities, districts)
        self.load_incidents(station, bureau, plan)
        self.load_disputes(station, districts)

    def load_disputes(self, station: Jurisdiction, districts: list[Jurisdiction]) -> None:
        """The station's mediation room: mediators (a people's mediator with the demo
        mediator account, two duty lawyers on this month's rota, a foreign mediator, a
        household guardian) and a dozen disputes at every stage — waiting for consent,
        under mediation on both tracks (one with threats), agreed,
        resolved with follow-ups due, failed — and one taken over from an incident."""
        from django.utils import timezone

        from fengqiao.disputes import services as disputes
        from fengqiao.disputes.aftercare import services as aftercare
        from fengqiao.disputes.mediators import rota
        from fengqiao.disputes.mediators import services as mediators
        from fengqiao.disputes.models import DisputeCase, MediationRoom, MediatorKind
        from fengqiao.disputes.risk import services as risk
        from fengqiao.incidents.models import Incident
        from fengqiao.incidents.models import Status as IncidentStatus

        if DisputeCase.objects.filter(jurisdiction__path__within=station.path).exists():
            return
        chief = User.objects.filter(jurisdiction=station, role=Role.STATION_CHIEF).first()
        if chief is None:
            return
        room = MediationRoom.objects.filter(jurisdiction=station).first() or (
            mediators.create_room(
                actor=chief, jurisdiction=station, name=f"{station.name}人民调解室",
                committee=f"{station.name.removesuffix('派出所')}人民调解委员会",
                judicial_office=f"{station.name.removesuffix('派出所')}司法所",
                place=f"{station.name}一楼", phone="0356-2020110",
            )
        )  # fmt: skip
        account = User.objects.filter(jurisdiction=station, role=Role.MEDIATOR).first()
        people = {
            "mediator": (self.person_name(), MediatorKind.PEOPLES_MEDIATOR, ["zh"],
                         ["neighbours", "marriage_family", "property_management"], account),
            "lawyer1": (self.person_name(), MediatorKind.LAWYER, ["zh", "en"],
                        ["contract", "labour", "damages"], None),
            "lawyer2": (self.person_name(), MediatorKind.LAWYER, ["zh"],
                        ["housing_land", "consumer", "traffic"], None),
            "foreign": ("Ahmad Karimi", MediatorKind.FOREIGN, ["fa", "ar", "en", "zh"],
                        ["contract", "business", "consumer"], None),
            "guardian": (self.person_name(), MediatorKind.GUARDIAN, ["zh"],
                         ["neighbours", "property_management"], None),
        }  # fmt: skip
        made = {
            key: mediators.create_mediator(
                actor=chief, name=name, kind=kind, jurisdiction=station, room=room,
                languages=langs, specialities=fields, account=user, phone=self.phone(),
            )
            for key, (name, kind, langs, fields, user) in people.items()
        }  # fmt: skip
        today = timezone.localdate()
        rota.generate_rota(actor=chief, room=room, year=today.year, month=today.month)
        now = timezone.now()

        def party(role: str) -> disputes.PartyInput:
            return disputes.PartyInput(
                name=self.person_name(), role=role, phone=self.phone(), id_number=self.id_number()
            )

        def register(days_ago: int, **values: object) -> DisputeCase:
            values.setdefault("party_list", [party("applicant"), party("respondent")])
            values.setdefault("source", "walk_in")
            values.setdefault("track", "people")
            return disputes.register_case(
                actor=chief, jurisdiction=districts[days_ago % len(districts)],
                registered_at=now - dt.timedelta(days=days_ago), **values,  # type: ignore[arg-type]
            )  # fmt: skip

        def accept(case: DisputeCase, mediator: str) -> DisputeCase:
            case.parties.update(consent="given")
            case = disputes.accept_case(actor=chief, case=case, expected_version=case.version)
            mediators.assign(actor=chief, case=case, mediator=made[mediator])
            return case

        def agree(case: DisputeCase, terms: list[str]) -> None:
            obligor = case.parties.get(role="respondent").pk
            aftercare.record_agreement(
                actor=chief, case=case, form="written", facts=case.narrative,
                matters="赔偿数额及履行期限", responsibilities="被申请人负主要责任",
                signed_on=today, committee=room.committee,
                terms=[aftercare.TermInput(text=t, obligor_party_id=obligor, method="现金或转账",
                                           due_on=today + dt.timedelta(days=7)) for t in terms],
            )  # fmt: skip

        register(1, category="neighbours", location_text="阳头路12号3单元",
                 narrative="楼上住户卫生间漏水，楼下天花板受损，双方就维修费用争执。")  # fmt: skip
        waiting = register(2, category="labour", source="12348", location_text="泽州路工地",
                           narrative="六名务工人员反映工程完工后仍被拖欠工资共计四万二千元。",
                           amount="42000")  # fmt: skip
        accept(waiting, "lawyer1")
        quarrel = register(6, category="marriage_family", location_text="书院巷7号",
                           narrative="夫妻因家务和子女抚养问题多次争吵，丈夫扬言要同归于尽，"
                                     "妻子已回娘家居住。")  # fmt: skip
        accept(quarrel, "mediator")
        mediated = register(4, category="contract", languages=["fa", "en"],
                            location_text="国际商贸城", amount="86000",
                            narrative="外商与本地供货商就货物质量和货款支付发生纠纷。")  # fmt: skip
        accept(mediated, "foreign")
        police = register(3, category="neighbours", track="police",
                          offence="因停车位争执互相推搡，一方轻微伤",
                          narrative="两户邻居因车位争执发生推搡，一方面部轻微伤。")  # fmt: skip
        accept(police, "mediator")
        agreed = register(9, category="damages", narrative="快递车倒车撞坏小卖部雨棚。",
                          location_text="凤台街18号", amount="3500")  # fmt: skip
        agree(accept(agreed, "guardian"), ["被申请人赔偿雨棚修复费用3500元"])
        resolved = register(40, category="property_management",
                            narrative="业主与物业因停车管理费收取标准发生争议。")  # fmt: skip
        agree(accept(resolved, "mediator"), ["物业公司退还多收停车费600元"])
        for term in resolved.agreement.terms.all():
            aftercare.mark_term(actor=chief, term=term, status="done")
        failed = register(50, category="housing_land",
                          narrative="两户因宅基地边界围墙位置争执，调解未果。")  # fmt: skip
        failed = accept(failed, "lawyer2")
        disputes.transition(
            actor=chief, case=failed, to_status="failed", expected_version=failed.version,
            note="双方分歧大，告知可诉讼",
        )  # fmt: skip
        incident = Incident.objects.filter(
            jurisdiction__path__within=station.path, status=IncidentStatus.ON_SCENE
        ).first()
        if incident is not None:
            disputes.take_from_incident(
                actor=chief, incident=incident, expected_version=incident.version,
                category="neighbours", track="people",
            )  # fmt: skip
        risk.recompute_all()


ROADS = [
    "阳头路",
    "凤台街",
    "书院巷",
    "泽州路",
    "文昌街",
    "红星路",
    "新市街",
    "钟楼巷",
    "太行路",
    "白马街",
    "青莲路",
    "梨园巷",
    "建设路",
    "迎宾街",
]
COMPOUNDS = ["", "", "富春花园", "锦绣苑", "书香小区", ""]
ORGANISATIONS = [
    ("宾馆", Industry.HOTEL),
    ("便民超市", Industry.SMALL_SHOP),
    ("小吃店", Industry.SMALL_RESTAURANT),
    ("快递驿站", Industry.DELIVERY),
    ("网吧", Industry.SMALL_INTERNET_CAFE),
]


# (description, confirmed category or "", source, the handling steps taken so far)
INCIDENTS = [
    (
        "报警人称其停放在楼下的电动车被盗。",
        "0101",
        "110",
        ["dispatched", "on_scene", "handled", "closed"],
    ),
    (
        "报警人称接到自称银行客服的电话，被骗转账6800元。",
        "0103",
        "110",
        ["dispatched", "on_scene", "case_registered"],
    ),
    (
        "报警人称楼上邻居深夜装修，噪音扰民。",
        "0205",
        "phone",
        ["dispatched", "on_scene", "handled"],
    ),
    (
        "报警人称与邻居因楼道堆放杂物发生争吵，要求调解。",
        "0502",
        "110",
        ["dispatched", "on_scene", "to_dispute"],
    ),
    (
        "一名老人在公园走失，家属求助。",
        "0601",
        "110",
        ["dispatched", "on_scene", "handled", "closed"],
    ),
    (
        "两车在路口发生刮擦，无人员受伤。",
        "0301",
        "110",
        ["linked", "on_scene", "handled", "closed"],
    ),
    ("报警人称钥匙锁在屋内，求助开锁。", "0603", "walk_in", ["handled", "closed"]),
    ("报警人称店铺门口有人打架。", "", "video_patrol", ["dispatched"]),
    ("报警人称手机在超市被偷。", "", "110", []),
    ("无声电话，回拨无人接听。", "", "110", ["invalid"]),
]


# Deliberately overdue (the chief's 督办 story): (description, category, source, steps,
# hours since received). Nothing else on a duty list is overdue by more than hours.
OVERDUE_STORIES = [
    (
        "报警人称其店内收银台现金被盗，监控已调取，嫌疑人尚未查获（超期督办示例）。",
        "0101",
        "110",
        ["dispatched", "on_scene"],
        75,
    ),
    (
        "报警人称与物业因漏水维修费用争执多日，多次调解未果（超期督办示例）。",
        "0505",
        "phone",
        ["dispatched", "on_scene"],
        100,
    ),
]
STEP_MINUTES = [3.0, 9.0, 35.0, 80.0]  # a live story's steps, minutes after the one before


def _replay(incident: Any, now: dt.datetime) -> None:
    """Give a story's steps plausible times: the services stamp each with the moment of
    loading, which would put every step at once and make the long clocks look late or
    met in no time. Steps are spread after the call (squeezed to fit before ``now``),
    and the clocks they stopped take those times."""
    from fengqiao.incidents.models import Deadline, EventKind, Incident, IncidentEvent
    from fengqiao.incidents.workflow import TERMINAL

    received = incident.received_at
    steps = list(
        IncidentEvent.objects.filter(incident=incident, kind=EventKind.TRANSITION).order_by("pk")
    )
    offsets = [sum(STEP_MINUTES[: i + 1]) for i in range(len(steps))]
    room = (now - received).total_seconds() / 60 - 1
    squeeze = min(1.0, room / offsets[-1]) if offsets and offsets[-1] > 0 else 1.0
    times = [received + dt.timedelta(minutes=m * squeeze) for m in offsets]
    for event, at in zip(steps, times, strict=True):
        IncidentEvent.objects.filter(pk=event.pk).update(at=at)
    IncidentEvent.objects.filter(incident=incident, kind=EventKind.INTAKE).update(at=received)
    if times:
        Incident.objects.filter(pk=incident.pk).update(status_changed_at=times[-1])
    for deadline in Deadline.objects.filter(incident=incident, met_at__isnull=False).select_related(
        "rule"
    ):
        stops = set(deadline.rule.stop_statuses) | TERMINAL
        met = next((at for e, at in zip(steps, times, strict=True) if e.to_status in stops), None)
        if met is not None:
            Deadline.objects.filter(pk=deadline.pk).update(met_at=met)


def load_demo(*, progress: Callable[[str], None] | None = None) -> DemoResult:
    """Create (or complete) the demo bureau in one transaction: all of it or nothing."""
    with transaction.atomic():
        return _Loader(progress).load()


def _rollups_and_scores() -> None:
    """Recount the rollups (the history and the stories' times were written around the
    signals that keep them) and score 一表通考 for every month of the history, so the
    scoring pages and the dashboards' trends are filled from the first login."""
    from django.utils import timezone

    from fengqiao.rollups import store as rollups
    from fengqiao.scoring import periods
    from fengqiao.scoring import services as scoring
    from fengqiao.scoring.models import Level

    rollups.rebuild()
    today = timezone.localdate()
    period = periods.containing(today, periods.MONTH)
    for _ in range(SCORED_MONTHS):
        for level in Level.values:
            scoring.compute_scores(period=period, level=level, today=today)
        period = period.previous()


SCORED_MONTHS = 14
DEMO_STEPS = 4 + len(STATIONS)
