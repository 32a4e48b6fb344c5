"""Dispute intake, the two legal tracks' rules and clocks, the workflow table, scoping."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.roles import Role
from fengqiao.disputes import clocks, selectors, services
from fengqiao.disputes.models import (
    CLOSED_STATUSES,
    CaseEvent,
    Consent,
    DisputeCase,
    FollowUp,
    MediationAgreement,
    Mediator,
    MediatorKind,
    Status,
    Track,
)
from fengqiao.disputes.services import PartyInput
from fengqiao.disputes.workflow import TERMINAL, TRANSITIONS, allowed

pytestmark = pytest.mark.django_db


def officer(world):
    return world.a[Role.COMMUNITY_OFFICER]


def accept(world, case, **kwargs):
    return services.accept_case(
        actor=officer(world), case=case, expected_version=case.version, **kwargs
    )


# --- intake ---------------------------------------------------------------------------


def test_intake_registers_case_with_parties_keys_and_timeline(world, make_dispute):
    case = make_dispute(amount="1200.5", languages=["zh", " en ", ""])
    assert case.status == Status.REGISTERED
    assert case.jurisdiction == world.district_a
    assert str(case.amount) == "1200.50"
    assert case.languages == ["en", "zh"]
    applicant = case.parties.get(role="applicant")
    assert applicant.birth_date == dt.date(1949, 12, 31)  # from the ID number
    assert applicant.party_key.startswith("id:") and applicant.keys.count() == 3
    assert CaseEvent.objects.filter(case=case, kind="intake").exists()


def test_intake_reports_every_problem_at_once_and_stores_nothing(world, make_dispute):
    with pytest.raises(ValidationError) as error:
        make_dispute(
            source="court",
            category="nonsense",
            narrative=" ",
            amount="-3",
            party_list=[PartyInput(name="", id_number="110105194912310021", phone="123")],
        )
    fields = set(error.value.message_dict)
    assert {"category", "narrative", "amount", "referred_by"} <= fields
    assert {"parties-0-name", "parties-0-id_number", "parties-0-phone"} <= fields
    assert not DisputeCase.objects.exists()


def test_intake_outside_scope_is_refused(world, make_dispute):
    with pytest.raises(PermissionDenied):
        make_dispute(jurisdiction=world.district_b)


def test_incident_transferred_to_dispute(world, make_incident):
    incident = make_incident(reporter_name="王五", reporter_phone="13700003333")
    actor = world.a[Role.COMMAND_ROOM]
    from fengqiao.incidents import services as incident_services

    incident_services.transition(
        actor=actor, incident=incident, to_status="dispatched", expected_version=incident.version
    )
    incident_services.transition(
        actor=actor, incident=incident, to_status="on_scene", expected_version=incident.version
    )
    case = services.take_from_incident(
        actor=actor,
        incident=incident,
        category="neighbours",
        track="people",
        expected_version=incident.version,
    )
    incident.refresh_from_db()
    assert incident.status == "to_dispute"
    assert case.source == "incident" and case.source_incident == incident
    assert case.parties.get().name == "王五"


# --- the workflow table ---------------------------------------------------------------


@pytest.mark.parametrize("track", Track.values)
def test_every_status_is_in_the_table_and_closed_ones_end_it(track):
    table = TRANSITIONS[track]
    assert set(table) == set(Status.values)
    for status, nexts in table.items():
        assert nexts <= set(Status.values)
        if status in CLOSED_STATUSES and status != Status.RESOLVED:
            assert not nexts, status
    assert Status.FAILED not in set().union(*TRANSITIONS[Track.POLICE].values())
    assert TERMINAL


def test_police_track_failure_goes_back_to_penalty():
    assert allowed(Track.POLICE, Status.ACCEPTED, Status.TO_PENALTY)
    assert not allowed(Track.POLICE, Status.ACCEPTED, Status.FAILED)
    assert allowed(Track.PEOPLE, Status.ACCEPTED, Status.FAILED)
    assert not allowed(Track.PEOPLE, Status.ACCEPTED, Status.TO_PENALTY)


@pytest.mark.parametrize(
    "from_status,to_status",
    [
        (a, b)
        for a, b in itertools.product(Status.values, Status.values)
        if not allowed(Track.PEOPLE, a, b) and b not in (Status.ACCEPTED, Status.AGREED)
    ][:40],
)
def test_illegal_transitions_are_refused_with_a_message(
    world, make_dispute, from_status, to_status
):
    case = make_dispute()
    DisputeCase.objects.filter(pk=case.pk).update(status=from_status)
    case.refresh_from_db()
    with pytest.raises(ValidationError):
        services.transition(
            actor=officer(world),
            case=case,
            to_status=to_status,
            expected_version=case.version,
            note="理由写在这里",
        )


# --- people's mediation -----------------------------------------------------------------


def test_people_track_needs_both_parties_consent(world, make_dispute):
    case = make_dispute(consent=False)
    with pytest.raises(ValidationError, match="尚未取得当事人同意"):
        accept(world, case)
    # committee-initiated mediation may start before the parties have answered …
    accepted = accept(world, case, committee_initiated=True)
    assert accepted.status == Status.ACCEPTED


def test_a_refusing_party_ends_peoples_mediation(world, make_dispute):
    case = make_dispute(consent=False)
    accept(world, case, committee_initiated=True)
    party = case.parties.get(role="respondent")
    services.record_consent(
        actor=officer(world), party=party, consent=Consent.REFUSED, expected_version=party.version
    )
    case.refresh_from_db()
    assert case.status == Status.REFUSED and case.closed_at is not None
    assert "第十七条" in case.events.last().text


def test_people_clock_is_thirty_days_and_extends_only_with_consent(world, make_dispute, settings):
    case = accept(world, make_dispute())
    local_accept = timezone.localtime(case.accepted_at).date()
    assert timezone.localtime(case.due_at).date() == local_accept + dt.timedelta(days=30)
    with pytest.raises(ValidationError, match="双方当事人同意"):
        services.extend(
            actor=officer(world), case=case, days=10, expected_version=case.version,
            parties_consent=False, reason="双方需要时间筹款",
        )  # fmt: skip
    services.extend(
        actor=officer(world), case=case, days=10, expected_version=case.version,
        parties_consent=True, reason="双方需要时间筹款",
    )  # fmt: skip
    assert timezone.localtime(case.due_at).date() == local_accept + dt.timedelta(days=40)
    with pytest.raises(ValidationError):
        services.extend(
            actor=officer(world), case=case, days=21, expected_version=case.version,
            parties_consent=True, reason="再延长一次试试",
        )  # fmt: skip
    settings.DISPUTES_PEOPLE_MEDIATION_DAYS = 15
    assert clocks.mediation_due(Track.PEOPLE, case.accepted_at).date() <= (
        local_accept + dt.timedelta(days=15)
    )


def test_suspension_pauses_the_clock(world, make_dispute):
    case = accept(world, make_dispute())
    due = case.due_at
    services.transition(
        actor=officer(world), case=case, to_status=Status.SUSPENDED,
        expected_version=case.version, note="一方住院治疗",
    )  # fmt: skip
    DisputeCase.objects.filter(pk=case.pk).update(
        suspended_at=case.suspended_at - dt.timedelta(days=5)
    )
    case.refresh_from_db()
    services.transition(
        actor=officer(world), case=case, to_status=Status.ACCEPTED, expected_version=case.version
    )
    assert case.due_at - due >= dt.timedelta(days=5)
    assert case.suspended_at is None


# --- police public-order mediation ----------------------------------------------------


def police_case(make_dispute, **values):
    values.setdefault("offence", "因琐事推搡对方致轻微伤")
    return make_dispute(track="police", **values)


def test_police_mediation_clock_is_three_working_days():
    # Thursday 2026-09-24: Mid-Autumn Festival Fri 25 – Sun 27 off → Mon 28, Tue 29, Wed 30
    accepted = timezone.make_aware(dt.datetime(2026, 9, 24, 10, 0))
    due = timezone.localtime(clocks.mediation_due(Track.POLICE, accepted))
    assert (due.date(), due.hour) == (dt.date(2026, 9, 30), 23)
    # over National Day: Tue Sep 29 → Wed 30, Oct 1–7 off, Thu Oct 8, Fri 9
    accepted = timezone.make_aware(dt.datetime(2026, 9, 29, 10, 0))
    assert clocks.mediation_due(Track.POLICE, accepted).date() == dt.date(2026, 10, 9)
    # Saturday Oct 10 is a make-up working day: accepted Thu Oct 8 → Fri 9, Sat 10, Mon 12
    assert clocks.add_working_days(dt.date(2026, 10, 8), 3) == dt.date(2026, 10, 12)
    # beyond the official calendar: Monday to Friday
    assert clocks.add_working_days(dt.date(2099, 1, 2), 3) == dt.date(2099, 1, 7)


def test_police_mediation_requires_an_offence(world, make_dispute):
    case = make_dispute(track="police")
    with pytest.raises(ValidationError, match="违反治安管理行为"):
        accept(world, case)


@pytest.mark.parametrize("code", sorted(services.EXCLUSIONS))
def test_excluded_cases_are_refused_with_the_rule_cited(world, make_dispute, code):
    case = police_case(make_dispute)
    with pytest.raises(ValidationError) as error:
        accept(world, case, exclusions=frozenset({code}))
    message = " ".join(error.value.messages)
    assert "第三条" in message and str(services.EXCLUSIONS[code]) in message
    case.refresh_from_db()
    assert case.status == Status.REGISTERED
    services.transition(
        actor=officer(world), case=case, to_status=Status.TO_PENALTY,
        expected_version=case.version, note="不适用治安调解，转治安处罚",
    )  # fmt: skip
    assert case.status == Status.TO_PENALTY


def test_police_mediation_needs_every_partys_consent(world, make_dispute):
    case = police_case(make_dispute, consent=False)
    with pytest.raises(ValidationError, match="尚未取得当事人同意"):
        accept(world, case, committee_initiated=True)  # no committee on this track


def test_a_party_under_sixteen_needs_a_guardian_present(world, make_dispute):
    today = timezone.localdate()
    minor_birth = today.replace(year=today.year - 15)
    parties = [
        PartyInput(name="小明", role="applicant", birth_date=minor_birth),
        PartyInput(name="李四", role="respondent", phone="13900002222"),
    ]
    case = police_case(make_dispute, party_list=parties)
    assert case.parties.get(name="小明").vulnerable
    with pytest.raises(ValidationError, match="未满十六周岁"):
        accept(world, case)
    case.parties.filter(name="小明").update(guardian_name="小明父亲")
    with pytest.raises(ValidationError, match="监护人到场"):
        accept(world, case)
    case.parties.filter(name="小明").update(guardian_present=True)
    assert accept(world, case).status == Status.ACCEPTED


def test_failed_police_mediation_returns_to_the_penalty_track(world, make_dispute):
    case = accept(world, police_case(make_dispute))
    with pytest.raises(ValidationError):
        services.transition(
            actor=officer(world), case=case, to_status=Status.FAILED,
            expected_version=case.version, note="双方未达成协议",
        )  # fmt: skip
    services.transition(
        actor=officer(world), case=case, to_status=Status.TO_PENALTY,
        expected_version=case.version, note="双方未达成协议",
    )  # fmt: skip
    assert case.status == Status.TO_PENALTY and case.closed_at is not None


def test_police_mediation_cannot_be_extended(world, make_dispute):
    case = accept(world, police_case(make_dispute))
    with pytest.raises(ValidationError, match="3个工作日"):
        services.extend(
            actor=officer(world), case=case, days=2, expected_version=case.version,
            parties_consent=True, reason="双方同意延长",
        )  # fmt: skip


# --- closing, concurrency -------------------------------------------------------------


def test_resolved_needs_an_agreement_and_schedules_follow_ups(world, make_dispute):
    case = accept(world, make_dispute())
    DisputeCase.objects.filter(pk=case.pk).update(status=Status.AGREED)
    case.refresh_from_db()
    with pytest.raises(ValidationError, match="调解协议"):
        services.transition(
            actor=officer(world), case=case, to_status=Status.RESOLVED,
            expected_version=case.version,
        )  # fmt: skip
    today = timezone.localdate()
    MediationAgreement.objects.create(
        case=case, facts="漏水", matters="赔偿", responsibilities="楼上负责",
        signed_on=today, effective_on=today, committee="凤台社区人民调解委员会",
    )  # fmt: skip
    services.transition(
        actor=officer(world), case=case, to_status=Status.RESOLVED, expected_version=case.version
    )
    assert sorted((v.due_on - today).days for v in FollowUp.objects.filter(case=case)) == [7, 30]


def test_two_people_saving_the_same_case_the_second_is_refused(world, make_dispute):
    case = accept(world, make_dispute())
    stale = DisputeCase.objects.get(pk=case.pk)
    services.transition(
        actor=officer(world), case=case, to_status=Status.SUSPENDED,
        expected_version=case.version, note="一方外出务工",
    )  # fmt: skip
    with pytest.raises(StaleEditError):
        services.transition(
            actor=world.a[Role.STATION_CHIEF], case=stale, to_status=Status.WITHDRAWN,
            expected_version=stale.version, note="申请人撤回申请",
        )  # fmt: skip
    assert DisputeCase.objects.get(pk=case.pk).status == Status.SUSPENDED


# --- scoping --------------------------------------------------------------------------


def test_station_b_sees_nothing_of_station_a(world, make_dispute):
    case = make_dispute()
    assert case in selectors.cases_for(world.a[Role.STATION_CHIEF])
    assert not selectors.cases_for(world.b_chief).exists()
    with pytest.raises(PermissionDenied):
        services.transition(
            actor=world.b_chief, case=case, to_status=Status.WITHDRAWN,
            expected_version=case.version, note="申请人撤回申请",
        )  # fmt: skip


def test_a_mediator_sees_only_his_cases(world, make_dispute):
    from fengqiao.disputes.models import Assignment

    account = world.a[Role.MEDIATOR]
    mine, other = make_dispute(), make_dispute()
    mediator = Mediator.objects.create(
        name="调解员甲", kind=MediatorKind.PEOPLES_MEDIATOR, account=account,
        jurisdiction=world.station_a,
    )  # fmt: skip
    Assignment.objects.create(case=mine, mediator=mediator, assigned_by=officer(world))
    assert list(selectors.cases_for(account)) == [mine]
    selectors.case_detail(account, mine.code)
    with pytest.raises(Exception):  # noqa: B017 — 404 for a case not his
        selectors.case_detail(account, other.code)
    with pytest.raises(PermissionDenied):
        services.transition(
            actor=account, case=other, to_status=Status.WITHDRAWN,
            expected_version=other.version, note="申请人撤回申请",
        )  # fmt: skip


def test_analysts_and_volunteers_read_no_case(world, make_dispute):
    make_dispute()
    for user in (world.analyst, world.a[Role.VOLUNTEER]):
        with pytest.raises(PermissionDenied):
            selectors.cases_for(user)


def test_reading_a_case_is_audited(world, make_dispute):
    from fengqiao.audit.models import AuditEvent

    case = make_dispute()
    selectors.case_detail(world.a[Role.STATION_CHIEF], case.code)
    event = AuditEvent.objects.filter(action="view", object_id=str(case.pk)).get()
    assert "id_number" in event.fields


# --- prior disputes and incidents -----------------------------------------------------


def test_prior_matches_find_same_party_and_same_address(world, make_dispute, make_incident):
    first = make_dispute()
    make_incident(reporter_phone="13900002222")  # the respondent called 110 before
    other = make_dispute(
        party_list=[PartyInput(name="赵七", role="applicant", phone="13600009999")]
    )
    found = selectors.prior_matches(
        officer(world), people=[{"name": "张三（不同写法）", "id_number": "11010519491231002x"},
                                {"name": "李四", "phone": "139 0000 2222"}],
    )  # fmt: skip
    assert found.disputes == [first] and found.dispute_count == 1
    assert found.incident_count == 1
    assert other not in found.disputes
    # the same name alone links nothing
    assert not selectors.prior_matches(officer(world), people=[{"name": "张三"}]).disputes
    # station B's officer sees none of it
    assert not selectors.prior_matches(world.b_officer, people=[{"phone": "13900002222"}]).disputes
