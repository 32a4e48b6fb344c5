"""Mediators, the duty-lawyer rota and assignment proposals: ranking with reasons,
conflict exclusion (declared, same household, landlord), the rota's fairness and swaps,
scoping, and the pages."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from fengqiao.addresses import services as address_services
from fengqiao.audit.models import AuditEvent
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.roles import Role
from fengqiao.disputes import clocks, selectors
from fengqiao.disputes.mediators import rota
from fengqiao.disputes.mediators import services as mediators
from fengqiao.disputes.models import (
    Assignment,
    CaseEvent,
    DutyShift,
    MediationRoom,
    Mediator,
    MediatorConflict,
    MediatorKind,
    Status,
)
from fengqiao.registry import services as registry_services
from fengqiao.registry.models import House, Relation

pytestmark = pytest.mark.django_db

MOVED_IN = dt.date(2024, 3, 1)


def chief(world):
    return world.a[Role.STATION_CHIEF]


def make_mediator(world, name, **values):
    values.setdefault("kind", MediatorKind.PEOPLES_MEDIATOR)
    values.setdefault("jurisdiction", world.district_a)
    return mediators.create_mediator(actor=values.pop("actor", chief(world)), name=name, **values)


def names(items):
    return [item.mediator.name for item in items]


def make_room(world, name="甲所调解室"):
    return mediators.create_room(actor=chief(world), jurisdiction=world.station_a, name=name)


def occupy(world, make_dispute, mediator, count):
    """Give ``mediator`` ``count`` open cases (rows, not the service: load is the point)."""
    for _ in range(count):
        Assignment.objects.create(case=make_dispute(), mediator=mediator)


# --- the registry ---------------------------------------------------------------------


def test_create_mediator_validates_every_field_at_once(world):
    with pytest.raises(ValidationError) as error:
        make_mediator(
            world, " ", kind="wizard", languages=["en", "klingon"], specialities=["gossip"],
            phone="123", id_number="110105194912310021", max_open_cases=0,
            jurisdiction=world.station_b,
        )  # fmt: skip
    assert set(error.value.message_dict) == {
        "name", "kind", "languages", "specialities", "phone", "id_number", "max_open_cases",
        "jurisdiction",
    }  # fmt: skip
    assert not Mediator.objects.exists()


def test_update_is_versioned_and_audited(world):
    lawyer = make_mediator(world, "律师甲", kind=MediatorKind.LAWYER)
    version = lawyer.version
    mediators.update_mediator(
        actor=chief(world), mediator=lawyer, expected_version=version, languages=["EN", "ar"]
    )
    assert Mediator.objects.get(pk=lawyer.pk).languages == ["ar", "en"]
    assert AuditEvent.objects.filter(action="update", object_id=str(lawyer.pk)).exists()
    with pytest.raises(StaleEditError):
        mediators.update_mediator(
            actor=chief(world), mediator=lawyer, expected_version=version, available=False
        )


def test_account_link_must_be_a_mediator_login_used_once(world):
    first = make_mediator(world, "调解员甲", account=world.a[Role.MEDIATOR])
    with pytest.raises(ValidationError) as error:
        make_mediator(world, "调解员乙", account=world.a[Role.MEDIATOR])
    assert "account" in error.value.message_dict
    with pytest.raises(ValidationError):
        make_mediator(world, "调解员丙", account=world.a[Role.CASE_OFFICER])
    assert first.account == world.a[Role.MEDIATOR]


def test_station_b_chief_cannot_see_or_edit_station_a_mediators(world):
    mine = make_mediator(world, "甲所调解员")
    theirs = make_mediator(world, "乙所调解员", actor=world.b_chief, jurisdiction=world.district_b)
    assert list(mediators.mediators_for(world.b_chief)) == [theirs]
    assert list(mediators.mediators_for(chief(world))) == [mine]
    with pytest.raises(Mediator.DoesNotExist):
        mediators.mediator_detail(world.b_chief, mine.pk)
    with pytest.raises(PermissionDenied):
        mediators.update_mediator(
            actor=world.b_chief, mediator=mine, expected_version=mine.version, available=False
        )
    with pytest.raises(PermissionDenied):
        mediators.declare_conflict(
            actor=world.b_chief, mediator=mine, kind="relative", phone="13800001111"
        )
    with pytest.raises(ValidationError) as error:
        make_mediator(world, "越权登记", actor=world.b_chief, jurisdiction=world.district_a)
    assert "jurisdiction" in error.value.message_dict


def test_roles_without_the_capability_cannot_manage_mediators(world):
    for user in (world.a[Role.CASE_OFFICER], world.a[Role.COMMAND_ROOM], world.analyst):
        with pytest.raises(PermissionDenied):
            make_mediator(world, "某人", actor=user)


def test_a_mediator_account_sees_only_his_own_record(world):
    own = make_mediator(world, "调解员甲", account=world.a[Role.MEDIATOR])
    make_mediator(world, "调解员乙")
    assert list(mediators.mediators_for(world.a[Role.MEDIATOR])) == [own]


def test_declared_conflict_stores_only_the_hashed_key(world):
    lawyer = make_mediator(world, "律师甲")
    conflict = mediators.declare_conflict(
        actor=chief(world), mediator=lawyer, kind="relative", name="张三",
        id_number="11010519491231002x", note="表兄",
    )  # fmt: skip
    assert conflict.party_key.startswith("id:")
    assert "11010519491231002X" not in conflict.party_key
    with pytest.raises(ValidationError):  # the same person twice
        mediators.declare_conflict(actor=chief(world), mediator=lawyer, kind="relative",
                                   id_number="11010519491231002X")  # fmt: skip


def test_a_conflict_declared_by_name_alone_is_refused(world):
    lawyer = make_mediator(world, "律师甲")
    with pytest.raises(ValidationError) as error:
        mediators.declare_conflict(actor=chief(world), mediator=lawyer, kind="relative",
                                   name="张三")  # fmt: skip
    assert "id_number" in error.value.message_dict
    assert not MediatorConflict.objects.exists()


# --- proposals: ranking with reasons ---------------------------------------------------


def test_language_match_ranks_first_with_the_reason(world, make_dispute):
    case = make_dispute(languages=["ar"])
    make_mediator(world, "普通调解员")
    make_mediator(world, "阿语调解员", kind=MediatorKind.FOREIGN, languages=["ar", "zh"])
    proposals = mediators.propose(case, user=chief(world))
    assert names(proposals.candidates) == ["阿语调解员", "普通调解员"]
    assert "会说所需语言：阿拉伯语" in proposals.candidates[0].reasons
    assert "不会说：阿拉伯语" in proposals.candidates[1].reasons


def test_a_partys_language_counts_as_needed(world, make_dispute):
    case = make_dispute()
    case.parties.filter(role="respondent").update(language="俄语")
    make_mediator(world, "普通调解员")
    make_mediator(world, "俄语调解员", languages=["ru"])
    proposals = mediators.propose(case, user=chief(world))
    assert proposals.languages == ["ru"]
    assert names(proposals.candidates)[0] == "俄语调解员"


def test_speciality_ranks_first_with_the_reason(world, make_dispute):
    case = make_dispute(category="labour")
    make_mediator(world, "婚姻家庭专长", specialities=["marriage_family"])
    make_mediator(world, "劳动争议专长", specialities=["labour", "contract"])
    proposals = mediators.propose(case, user=chief(world))
    assert names(proposals.candidates) == ["劳动争议专长", "婚姻家庭专长"]
    assert "擅长劳动争议纠纷" in proposals.candidates[0].reasons


def test_nearer_units_rank_higher_district_station_bureau(world, make_dispute):
    case = make_dispute()
    make_mediator(world, "乙所调解员", actor=world.admin, jurisdiction=world.district_b)
    make_mediator(world, "甲所调解员", jurisdiction=world.station_a)
    make_mediator(world, "甲一警务区调解员", jurisdiction=world.district_a)
    make_mediator(world, "分局调解员", actor=world.admin, jurisdiction=world.bureau)
    proposals = mediators.propose(case, user=chief(world))
    ranked = names(proposals.candidates)
    assert ranked[:2] == ["甲一警务区调解员", "甲所调解员"]
    assert set(ranked[2:]) == {"分局调解员", "乙所调解员"}  # both of the same bureau
    reasons = {c.mediator.name: c.reasons for c in proposals.candidates}
    assert "同一警务区" in reasons["甲一警务区调解员"]
    assert "同一派出所" in reasons["甲所调解员"]
    assert "同一分局" in reasons["乙所调解员"] and "同一分局" in reasons["分局调解员"]


def test_a_lighter_load_ranks_higher_and_a_full_one_is_excluded(world, make_dispute):
    case = make_dispute()
    busy = make_mediator(world, "忙碌调解员", max_open_cases=4)
    make_mediator(world, "空闲调解员", max_open_cases=4)
    full = make_mediator(world, "满员调解员", max_open_cases=2)
    occupy(world, make_dispute, busy, 3)
    occupy(world, make_dispute, full, 2)
    closed = make_dispute()
    Assignment.objects.create(case=closed, mediator=full)
    closed.__class__.objects.filter(pk=closed.pk).update(status=Status.RESOLVED)
    proposals = mediators.propose(case, user=chief(world))
    assert names(proposals.candidates) == ["空闲调解员", "忙碌调解员"]
    assert "在办3件（上限4件）" in proposals.candidates[1].reasons
    assert names(proposals.excluded) == ["满员调解员"]
    assert proposals.excluded[0].reasons == ["已满负荷（在办2件，上限2件）"]  # closed not counted


def test_an_unavailable_mediator_is_excluded_with_the_reason(world, make_dispute):
    case = make_dispute()
    make_mediator(world, "休假调解员", available=False)
    proposals = mediators.propose(case, user=chief(world))
    assert not proposals.candidates
    assert proposals.excluded[0].reasons == ["暂停接案"]


def test_the_duty_lawyer_gets_a_bonus_when_legal_advice_is_needed(world, make_dispute):
    room = make_room(world)
    on_duty = make_mediator(world, "值班律师", kind=MediatorKind.LAWYER, room=room)
    make_mediator(world, "另一律师", kind=MediatorKind.LAWYER, room=room)
    DutyShift.objects.create(room=room, day=clocks.local_date(dt.datetime.now(dt.UTC)),
                             mediator=on_duty)  # fmt: skip
    small = mediators.propose(make_dispute(), user=chief(world))
    assert all("今日值班律师（本案涉及法律问题）" not in c.reasons for c in small.candidates)
    large = mediators.propose(make_dispute(amount=Decimal("80000")), user=chief(world))
    assert large.needs_legal_advice
    assert names(large.candidates)[0] == "值班律师"
    assert "今日值班律师（本案涉及法律问题）" in large.candidates[0].reasons


def test_propose_takes_the_same_few_queries_for_many_mediators(world, make_dispute):
    case = make_dispute(languages=["en"])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            mediators.propose(case, user=chief(world))
        return len(queries)

    for index in range(2):
        make_mediator(world, f"调解员{index}")
    few = count()
    for index in range(2, 30):
        occupy(world, make_dispute, make_mediator(world, f"调解员{index}"), 1)
    assert count() == few <= 10


# --- proposals: conflicts of interest --------------------------------------------------


def test_a_declared_conflict_excludes_with_the_reason(world, make_dispute):
    case = make_dispute()
    cousin = make_mediator(world, "表哥调解员")
    make_mediator(world, "无关调解员")
    mediators.declare_conflict(actor=chief(world), mediator=cousin, kind="relative",
                               name="张三", id_number="11010519491231002X")  # fmt: skip
    proposals = mediators.propose(case, user=chief(world))
    assert names(proposals.candidates) == ["无关调解员"]
    assert proposals.excluded[0].reasons == ["申报了与当事人申请人张*的利害关系（近亲属）"]


def test_a_conflict_declared_by_phone_matches_the_party_by_phone(world, make_dispute):
    case = make_dispute()
    boss = make_mediator(world, "老板调解员")
    mediators.declare_conflict(actor=chief(world), mediator=boss, kind="employer",
                               phone="139 0000 2222")  # fmt: skip
    proposals = mediators.propose(case, user=chief(world))
    assert proposals.excluded[0].reasons == ["申报了与当事人被申请人李*的利害关系（雇佣关系）"]


@pytest.fixture
def house(world, places):
    address = address_services.create_address(
        actor=None, community=places.community_a, road="阳头路", door_number="12"
    )
    return registry_services.register_house(actor=None, address=address)


def live(house, name, relation, **values):
    return registry_services.register_person(
        actor=None, house=house, name=name, relation=relation, moved_in=MOVED_IN, **values
    )


def link_party(case, role, person):
    case.parties.filter(role=role).update(person=person)


def test_a_relative_in_the_same_household_is_excluded(world, make_dispute, house):
    case = make_dispute()
    party = live(house, "李四", Relation.OWNER).person
    wife = live(house, "王芳", Relation.FAMILY).person
    link_party(case, "respondent", party)
    make_mediator(world, "王芳", person=wife)
    make_mediator(world, "无关调解员")
    proposals = mediators.propose(case, user=chief(world))
    assert names(proposals.candidates) == ["无关调解员"]
    assert proposals.excluded[0].reasons == ["与当事人被申请人李*同户居住（家庭成员）"]


def test_someone_who_moved_out_is_no_longer_a_household(world, make_dispute, house):
    case = make_dispute()
    party = live(house, "李四", Relation.OWNER).person
    stay = live(house, "王芳", Relation.FAMILY)
    registry_services.move_out(actor=None, residence=stay, moved_out=dt.date(2025, 1, 1))
    link_party(case, "respondent", party)
    make_mediator(world, "王芳", person=stay.person)
    assert names(mediators.propose(case, user=chief(world)).candidates) == ["王芳"]


def test_a_tenant_in_the_same_house_is_not_family(world, make_dispute, house):
    case = make_dispute()
    party = live(house, "李四", Relation.TENANT).person
    other = live(house, "赵七", Relation.TENANT).person
    link_party(case, "respondent", party)
    make_mediator(world, "赵七", person=other)
    assert names(mediators.propose(case, user=chief(world)).candidates) == ["赵七"]


def test_the_landlord_of_a_partys_house_is_excluded(world, make_dispute, house):
    case = make_dispute()
    tenant = live(house, "李四", Relation.TENANT).person
    owner = live(house, "房东", Relation.OWNER, phone="13700009999")  # owns and lives there
    House.objects.filter(pk=house.pk).update(landlord=owner.person)
    link_party(case, "respondent", tenant)
    make_mediator(world, "房东", kind=MediatorKind.GUARDIAN, person=owner.person)
    proposals = mediators.propose(case, user=chief(world))
    assert not proposals.candidates
    assert proposals.excluded[0].reasons == ["是当事人被申请人李*所住房屋的房东"]


def test_the_landlord_is_found_without_living_there(world, make_dispute, house, places):
    case = make_dispute()
    tenant = live(house, "李四", Relation.TENANT).person
    elsewhere = address_services.create_address(
        actor=None, community=places.community_a, road="阳头路", door_number="14"
    )
    landlord = live(registry_services.register_house(actor=None, address=elsewhere), "房东",
                    Relation.OWNER).person  # fmt: skip
    House.objects.filter(pk=house.pk).update(landlord=landlord)
    link_party(case, "respondent", tenant)
    make_mediator(world, "房东", person=landlord)
    proposals = mediators.propose(case, user=chief(world))
    assert proposals.excluded[0].reasons == ["是当事人被申请人李*所住房屋的房东"]


def test_a_mediator_who_is_a_party_is_excluded(world, make_dispute, house):
    case = make_dispute()
    person = live(house, "张三", Relation.OWNER).person
    link_party(case, "applicant", person)
    make_mediator(world, "张三", person=person)
    reasons = mediators.propose(case, user=chief(world)).excluded[0].reasons
    assert reasons[0] == "本人即本案当事人（申请人张*）"


# --- assignment -----------------------------------------------------------------------


def test_assign_refuses_an_excluded_mediator_with_the_reason(world, make_dispute, house):
    case = make_dispute()
    party = live(house, "李四", Relation.OWNER).person
    wife = live(house, "王芳", Relation.FAMILY).person
    link_party(case, "respondent", party)
    relative = make_mediator(world, "王芳", person=wife)
    with pytest.raises(ValidationError) as error:
        mediators.assign(actor=chief(world), case=case, mediator=relative)
    assert "同户居住" in error.value.message_dict["mediator"][0]
    assert not Assignment.objects.exists()


def test_assign_records_the_proposals_reasons_timeline_and_audit(world, make_dispute):
    case = make_dispute(languages=["en"])
    chosen = make_mediator(world, "英语调解员", languages=["en"])
    assignment = mediators.assign(actor=chief(world), case=case, mediator=chosen,
                                  reason="当事人为外籍")  # fmt: skip
    assert assignment.lead and assignment.assigned_by == chief(world)
    assert "会说所需语言：英语" in assignment.reason
    event = CaseEvent.objects.get(case=case, kind="assignment")
    assert "英语调解员" in event.text and event.note == "当事人为外籍"
    assert AuditEvent.objects.filter(object_type="disputes.assignment").exists()
    with pytest.raises(ValidationError):  # already on the case
        mediators.assign(actor=chief(world), case=case, mediator=chosen, lead=False)


def test_one_lead_at_a_time_and_helpers_beside_him(world, make_dispute):
    case = make_dispute()
    first, second = make_mediator(world, "甲"), make_mediator(world, "乙")
    mediators.assign(actor=chief(world), case=case, mediator=first)
    with pytest.raises(ValidationError) as error:
        mediators.assign(actor=chief(world), case=case, mediator=second)
    assert "lead" in error.value.message_dict
    helper = mediators.assign(actor=chief(world), case=case, mediator=second, lead=False)
    assert not helper.lead
    assert mediators.current_assignments(case)[0].mediator == first


def test_assign_needs_the_capability_and_the_scope(world, make_dispute):
    case = make_dispute()
    someone = make_mediator(world, "甲")
    with pytest.raises(PermissionDenied):
        mediators.assign(actor=world.a[Role.COMMAND_ROOM], case=case, mediator=someone)
    with pytest.raises(PermissionDenied):
        mediators.assign(actor=world.b_chief, case=case, mediator=someone)


def test_a_mediator_account_sees_only_his_cases_after_assignment(world, make_dispute):
    account = world.a[Role.MEDIATOR]
    mine, other = make_dispute(), make_dispute()
    mediator = make_mediator(world, "调解员甲", account=account)
    assert not selectors.cases_for(account).exists()
    assignment = mediators.assign(actor=chief(world), case=mine, mediator=mediator)
    assert list(selectors.cases_for(account)) == [mine]
    assert other not in selectors.cases_for(account)
    mediators.end_assignment(actor=chief(world), assignment=assignment, reason="当事人申请回避")
    with pytest.raises(PermissionDenied):  # no longer his to work on
        from fengqiao.disputes.services import check_scope

        check_scope(account, mine)


def test_end_assignment_needs_a_reason_and_frees_the_load(world, make_dispute):
    case = make_dispute()
    mediator = make_mediator(world, "甲", max_open_cases=1)
    assignment = mediators.assign(actor=chief(world), case=case, mediator=mediator)
    with pytest.raises(ValidationError):
        mediators.end_assignment(actor=chief(world), assignment=assignment, reason="")
    assert names(mediators.propose(make_dispute(), user=chief(world)).excluded) == ["甲"]
    mediators.end_assignment(actor=chief(world), assignment=assignment, reason="当事人申请回避")
    assignment.refresh_from_db()
    assert assignment.ended_at is not None
    assert names(mediators.propose(make_dispute(), user=chief(world)).candidates) == ["甲"]
    with pytest.raises(ValidationError):
        mediators.end_assignment(actor=chief(world), assignment=assignment, reason="再次结束")


# --- the duty-lawyer rota -------------------------------------------------------------

# October 2025: National Day and Mid-Autumn off on the 1st to 8th, Saturday the 11th a
# make-up working day (State Council calendar).
OCTOBER_2025_WORKING_DAYS = [9, 10, 11, 13, 14, 15, 16, 17, 20, 21, 22, 23, 24, 27, 28, 29, 30, 31]


@pytest.fixture
def room(world):
    return make_room(world)


@pytest.fixture
def lawyers(world, room):
    return [
        make_mediator(world, name, kind=MediatorKind.LAWYER, room=room)
        for name in ("律师甲", "律师乙", "律师丙")
    ]


def generate(world, room, year=2025, month=10):
    return rota.generate_rota(actor=chief(world), room=room, year=year, month=month)


def test_rota_puts_one_lawyer_on_each_working_day_and_skips_holidays(world, room, lawyers):
    shifts = generate(world, room)
    assert [s.day.day for s in shifts] == OCTOBER_2025_WORKING_DAYS
    assert all(s.mediator in lawyers for s in shifts)


def test_rota_is_balanced_and_round_robin(world, room, lawyers):
    shifts = generate(world, room)
    counts = Counter(s.mediator.name for s in shifts)
    assert set(counts.values()) == {6}
    order = [m.name for m in rota.room_lawyers(room)]  # by name: 丙, 乙, 甲
    assert [s.mediator.name for s in shifts[:4]] == [*order, order[0]]


def test_rota_balance_holds_when_days_do_not_divide_evenly(world, room, lawyers):
    make_mediator(world, "律师丁", kind=MediatorKind.LAWYER, room=room)
    counts = Counter(s.mediator_id for s in generate(world, room))
    assert max(counts.values()) - min(counts.values()) <= 1 and len(counts) == 4


def test_rota_continues_from_last_months_last_lawyer(world, room, lawyers):
    september = generate(world, room, month=9)
    last = september[-1].mediator
    october = generate(world, room)
    order = rota.room_lawyers(room)
    assert october[0].mediator == order[(order.index(last) + 1) % 3]


def test_regenerating_keeps_swapped_and_existing_shifts(world, room, lawyers):
    shifts = generate(world, room)
    first, second = shifts[0], shifts[1]
    rota.swap_shifts(actor=chief(world), shift_a=first, shift_b=second, reason="律师甲出庭")
    before = {s.day: (s.mediator_id, s.swapped_from_id) for s in DutyShift.objects.all()}
    again = generate(world, room)
    assert {s.day: (s.mediator_id, s.swapped_from_id) for s in again} == before
    assert len(again) == len(OCTOBER_2025_WORKING_DAYS)


def test_regenerating_fills_only_empty_days_fairly(world, room, lawyers):
    generate(world, room)
    DutyShift.objects.filter(day__in=[dt.date(2025, 10, 30), dt.date(2025, 10, 31)]).delete()
    kept = {s.day: s.mediator_id for s in DutyShift.objects.all()}
    shifts = generate(world, room)
    assert {s.day: s.mediator_id for s in shifts if s.day in kept} == kept
    counts = Counter(s.mediator_id for s in shifts)
    assert max(counts.values()) - min(counts.values()) <= 1


def test_rota_without_a_lawyer_is_refused_with_a_message(world, room):
    make_mediator(world, "不可值班律师", kind=MediatorKind.LAWYER, room=room, available=False)
    make_mediator(world, "人民调解员", room=room)
    with pytest.raises(ValidationError) as error:
        generate(world, room)
    assert "没有可值班的律师" in error.value.messages[0]
    assert not DutyShift.objects.exists()


def test_swap_exchanges_two_days_and_is_audited(world, room, lawyers):
    shifts = generate(world, room)
    a, b = shifts[0], shifts[1]
    was_a, was_b = a.mediator_id, b.mediator_id
    with pytest.raises(ValidationError):
        rota.swap_shifts(actor=chief(world), shift_a=a, shift_b=b, reason="")
    rota.swap_shifts(actor=chief(world), shift_a=a, shift_b=b, reason="律师甲出庭")
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.mediator_id, a.swapped_from_id) == (was_b, was_a)
    assert (b.mediator_id, b.swapped_from_id) == (was_a, was_b)
    assert a.swap_reason == "律师甲出庭"
    audited = AuditEvent.objects.filter(object_type="disputes.dutyshift", action="update")
    assert {e.object_id for e in audited} == {str(a.pk), str(b.pk)}
    assert all(e.reason == "律师甲出庭" for e in audited)


def test_replace_puts_another_lawyer_on_a_day_and_is_audited(world, room, lawyers):
    shift = generate(world, room)[0]
    replacement = next(lawyer for lawyer in lawyers if lawyer.pk != shift.mediator_id)
    original = shift.mediator_id
    rota.replace_on_shift(actor=chief(world), shift=shift, mediator=replacement,
                               reason="原值班律师生病")  # fmt: skip
    shift.refresh_from_db()
    assert shift.mediator == replacement and shift.swapped_from_id == original
    assert shift.swap_reason == "原值班律师生病"
    assert AuditEvent.objects.filter(object_type="disputes.dutyshift", object_id=str(shift.pk),
                                     reason="原值班律师生病").exists()  # fmt: skip


def test_replace_only_by_an_available_lawyer_of_the_room(world, room, lawyers):
    shift = generate(world, room)[0]
    mediator = make_mediator(world, "人民调解员")
    with pytest.raises(ValidationError) as error:
        rota.replace_on_shift(actor=chief(world), shift=shift, mediator=mediator,
                                   reason="临时替班")  # fmt: skip
    assert "mediator" in error.value.message_dict


def test_another_station_cannot_touch_the_rota(world, room, lawyers):
    shifts = generate(world, room)
    with pytest.raises(PermissionDenied):
        rota.generate_rota(actor=world.b_chief, room=room, year=2025, month=11)
    with pytest.raises(PermissionDenied):
        rota.swap_shifts(actor=world.b_chief, shift_a=shifts[0], shift_b=shifts[1],
                              reason="越权调班")  # fmt: skip
    assert room not in mediators.rooms_for(world.b_chief)


def test_who_is_on_duty_today(world, room, lawyers):
    today = dt.date(2025, 10, 9)
    generate(world, room)
    [shift] = mediators.duty_today(chief(world), day=today)
    assert shift.room == room and shift.day == today
    assert mediators.duty_today(world.b_chief, day=today) == []


def test_rota_month_is_a_calendar_with_counts(world, room, lawyers):
    generate(world, room)
    month = rota.rota_month(chief(world), room=room, year=2025, month=10)
    assert all(len(week) == 7 for week in month.weeks)
    assert month.weeks[0][0].day == dt.date(2025, 9, 29)  # from Monday
    assert month.uncovered == 0
    assert sorted(n for _m, n in month.counts) == [6, 6, 6]
    holiday = next(d for week in month.weeks for d in week if d.day == dt.date(2025, 10, 1))
    assert not holiday.working and holiday.shift is None


def test_rooms_of_other_jurisdictions_have_their_own_lawyers(world, room, lawyers):
    other = MediationRoom.objects.create(jurisdiction=world.station_b, name="乙所调解室")
    make_mediator(world, "乙所律师", actor=world.b_chief, kind=MediatorKind.LAWYER,
                  jurisdiction=world.station_b)  # fmt: skip
    assert [m.name for m in rota.room_lawyers(other)] == ["乙所律师"]
    assert {m.name for m in rota.room_lawyers(room)} == {"律师甲", "律师乙", "律师丙"}


# --- the pages ------------------------------------------------------------------------


@pytest.fixture
def chief_client(client, world):
    client.force_login(chief(world))
    return client


def test_list_masks_phones_and_hides_other_stations(client, world):
    make_mediator(world, "甲所律师", kind=MediatorKind.LAWYER, phone="13812345678")
    client.force_login(chief(world))
    page = client.get(reverse("disputes:mediator_list")).content.decode()
    assert "甲所律师" in page and "138****5678" in page and "13812345678" not in page
    client.force_login(world.b_chief)
    assert "甲所律师" not in client.get(reverse("disputes:mediator_list")).content.decode()


def test_another_stations_mediator_page_is_a_404(client, world):
    mine = make_mediator(world, "甲所调解员")
    client.force_login(world.b_chief)
    assert client.get(reverse("disputes:mediator_detail", args=[mine.pk])).status_code == 404
    url = reverse("disputes:mediator_edit", args=[mine.pk])
    assert client.post(url, {"name": "改名"}).status_code == 404


def test_detail_page_reveals_the_phone_only_with_a_reason(chief_client, world):
    lawyer = make_mediator(world, "甲所律师", phone="13812345678")
    page = chief_client.get(reverse("disputes:mediator_detail", args=[lawyer.pk]))
    assert "138****5678" in page.content.decode() and "13812345678" not in page.content.decode()
    url = reverse("disputes:mediator_reveal", args=[lawyer.pk, "phone"])
    assert chief_client.post(url, {"reason": ""}).status_code == 422
    shown = chief_client.post(url, {"reason": "联系值班事宜"})
    assert "13812345678" in shown.content.decode()
    assert AuditEvent.objects.filter(action="reveal", object_id=str(lawyer.pk)).exists()


def mediator_form(world, **overrides):
    data = {
        "name": "新调解员", "kind": "foreign", "jurisdiction": str(world.station_a.pk),
        "languages": ["ar", "fa"], "specialities": ["business"], "available": "on",
        "max_open_cases": "5", "phone": "13812345678",
    }  # fmt: skip
    data.update(overrides)
    return data


def test_create_form_registers_and_a_refused_form_keeps_the_input(chief_client, world):
    refused = chief_client.post(
        reverse("disputes:mediator_create"), mediator_form(world, phone="12345")
    )
    assert refused.status_code == 422
    body = refused.content.decode()
    assert 'value="新调解员"' in body and "12345" in body
    assert not Mediator.objects.exists()
    done = chief_client.post(reverse("disputes:mediator_create"), mediator_form(world))
    created = Mediator.objects.get()
    assert done.status_code == 302 and done["Location"].endswith(f"/mediators/{created.pk}/")
    assert created.languages == ["ar", "fa"] and created.kind == "foreign"


def test_edit_form_keeps_personal_fields_left_empty_and_refuses_a_stale_version(
    chief_client, world
):
    mediator = make_mediator(world, "甲", phone="13812345678")
    url = reverse("disputes:mediator_edit", args=[mediator.pk])
    data = mediator_form(world, name="甲改", phone="", version=str(mediator.version))
    assert chief_client.post(url, data).status_code == 302
    mediator.refresh_from_db()
    assert (mediator.name, mediator.phone) == ("甲改", "13812345678")
    stale = chief_client.post(url, mediator_form(world, name="再改", version="1"))
    assert stale.status_code == 409 and "修改了这条记录" in stale.content.decode()


def test_conflict_form_declares_and_refuses_a_bare_name(chief_client, world):
    mediator = make_mediator(world, "甲")
    url = reverse("disputes:mediator_conflict_add", args=[mediator.pk])
    refused = chief_client.post(url, {"kind": "relative", "name": "张三"})
    assert refused.status_code == 422 and "身份证号或手机号" in refused.content.decode()
    chief_client.post(url, {"kind": "relative", "phone": "13800001111", "note": "舅舅"})
    assert mediator.conflicts.count() == 1


def test_case_page_shows_proposals_with_reasons_and_the_excluded(chief_client, world,
                                                                 make_dispute):  # fmt: skip
    case = make_dispute(languages=["ar"])
    make_mediator(world, "阿语调解员", languages=["ar"])
    busy = make_mediator(world, "休假调解员", available=False)
    page = chief_client.get(reverse("disputes:detail", args=[case.code])).content.decode()
    assert "阿语调解员" in page and "会说所需语言：阿拉伯语" in page
    assert "休假调解员" in page and "暂停接案" in page
    assert reverse("disputes:mediator_assign", args=[case.code]) in page
    assert busy.name in page


def test_assign_from_the_case_page_and_refusal_of_an_excluded_one(chief_client, world,
                                                                   make_dispute):  # fmt: skip
    case = make_dispute()
    good = make_mediator(world, "甲")
    cousin = make_mediator(world, "乙")
    mediators.declare_conflict(actor=chief(world), mediator=cousin, kind="relative",
                               phone="13800001111")  # fmt: skip
    url = reverse("disputes:mediator_assign", args=[case.code])
    refused = chief_client.post(url, {"mediator": cousin.pk, "lead": "on", "reason": "试试"})
    assert refused.status_code == 422
    assert "不能指派乙" in refused.content.decode() and "近亲属" in refused.content.decode()
    done = chief_client.post(url, {"mediator": good.pk, "lead": "on"})
    assert done.status_code == 302 and done["Location"].endswith(f"/{case.code}/")
    assignment = Assignment.objects.get()
    end = reverse("disputes:mediator_end_assignment", args=[case.code, assignment.pk])
    assert chief_client.post(end, {"reason": "短"}).status_code == 422
    assert chief_client.post(end, {"reason": "当事人申请回避"}).status_code == 302
    assignment.refresh_from_db()
    assert assignment.ended_at is not None


def test_a_mediator_account_sees_his_case_without_proposals(client, world, make_dispute):
    case = make_dispute()
    own = make_mediator(world, "调解员甲", account=world.a[Role.MEDIATOR])
    make_mediator(world, "同事乙")
    mediators.assign(actor=chief(world), case=case, mediator=own)
    client.force_login(world.a[Role.MEDIATOR])
    page = client.get(reverse("disputes:detail", args=[case.code])).content.decode()
    assert "调解员甲" in page and "同事乙" not in page
    assert reverse("disputes:mediator_assign", args=[case.code]) not in page


def test_rota_page_generate_and_swap(chief_client, world, room, lawyers):
    url = reverse("disputes:rota", args=[room.pk, 2025, 10])
    empty = chief_client.get(url).content.decode()
    assert "还有 18 个工作日无人值班" in empty
    generate_url = reverse("disputes:rota_generate", args=[room.pk, 2025, 10])
    assert chief_client.post(generate_url).status_code == 302
    assert DutyShift.objects.count() == 18
    page = chief_client.get(url).content.decode()
    assert "律师甲" in page and "6 天" in page
    first, second = DutyShift.objects.order_by("day")[:2]
    swap = reverse("disputes:rota_swap", args=[room.pk])
    data = {"year": "2025", "month": "10", "shift_a": first.pk, "shift_b": second.pk}
    refused = chief_client.post(swap, {**data, "reason": "短"})
    assert refused.status_code == 422
    assert chief_client.post(swap, {**data, "reason": "律师出庭调班"}).status_code == 302
    first.refresh_from_db()
    assert first.swapped_from_id is not None


def test_rota_generate_without_lawyers_shows_the_message(chief_client, world, room):
    generate_url = reverse("disputes:rota_generate", args=[room.pk, 2025, 10])
    response = chief_client.post(generate_url, follow=True)
    assert "没有可值班的律师" in response.content.decode()


def test_rooms_page_shows_who_is_on_duty_today(chief_client, world, room, lawyers):
    today = clocks.local_date(dt.datetime.now(dt.UTC))
    DutyShift.objects.create(room=room, day=today, mediator=lawyers[1])
    page = chief_client.get(reverse("disputes:room_list")).content.decode()
    assert room.name in page and "律师乙" in page


def test_another_station_cannot_open_the_rota(client, world, room):
    client.force_login(world.b_chief)
    assert client.get(reverse("disputes:rota", args=[room.pk, 2025, 10])).status_code == 404


def test_a_reader_without_dispute_handling_sees_the_mediators_but_no_proposals(
    client, world, make_dispute
):
    case = make_dispute()
    mediators.assign(actor=chief(world), case=case, mediator=make_mediator(world, "调解员甲"))
    make_mediator(world, "同事乙")
    client.force_login(world.a[Role.CASE_OFFICER])
    response = client.get(reverse("disputes:detail", args=[case.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "调解员甲" in page and "同事乙" not in page


def test_the_form_links_the_registry_person_by_id_number(chief_client, world, house):
    person = live(house, "王芳", Relation.FAMILY, id_number="11010519491231002X").person
    unknown = chief_client.post(
        reverse("disputes:mediator_create"),
        mediator_form(world, person_id_number="110105194912310038"),
    )
    assert unknown.status_code == 422 and "没有该身份证号" in unknown.content.decode()
    chief_client.post(
        reverse("disputes:mediator_create"),
        mediator_form(world, person_id_number="11010519491231002x"),
    )
    assert Mediator.objects.get().person == person
