"""After the agreement: its required content, concurrent edits, performance of each term
(the police track's penalty rule, reopening on the people's track), judicial
confirmation's 30 days, notarisation, follow-up visits (scheduling, reopening on a
failed visit) and the after-care panel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from fengqiao.audit.models import AuditEvent
from fengqiao.core.concurrency import StaleEditError
from fengqiao.core.roles import Role
from fengqiao.disputes import clocks, services
from fengqiao.disputes.aftercare import services as aftercare
from fengqiao.disputes.aftercare.services import TermInput
from fengqiao.disputes.models import (
    AgreementTerm,
    CaseEvent,
    DisputeCase,
    FollowUp,
    MediationAgreement,
    Status,
    StepOutcome,
    TermStatus,
)

pytestmark = pytest.mark.django_db


def officer(world):
    return world.a[Role.COMMUNITY_OFFICER]


def today():
    return timezone.localdate()


def fresh(case):
    return DisputeCase.objects.get(pk=case.pk)


@pytest.fixture
def accept(world):
    def accept(case):
        return services.accept_case(actor=officer(world), case=case, expected_version=case.version)

    return accept


@pytest.fixture
def people_case(make_dispute, accept):
    return accept(make_dispute())


@pytest.fixture
def police_case(make_dispute, accept):
    return accept(make_dispute(track="police", offence="因漏水纠纷推搡对方（殴打他人，情节轻微）"))


def term(case, **values):
    values.setdefault("text", "李四赔偿张三房屋维修费800元")
    values.setdefault("obligor_party_id", case.parties.get(role="respondent").pk)
    values.setdefault("method", "现金当面支付")
    values.setdefault("due_on", today() + dt.timedelta(days=10))
    return TermInput(**values)


def agree(world, case, *, terms=None, **values):
    values.setdefault("form", "written")
    values.setdefault("facts", "楼上卫生间漏水，致楼下天花板受损。")
    values.setdefault("matters", "维修费用的承担。")
    values.setdefault("responsibilities", "楼上住户负主要责任。")
    values.setdefault("signed_on", today())
    values.setdefault("committee", "凤台社区人民调解委员会")
    return aftercare.record_agreement(
        actor=values.pop("actor", officer(world)),
        case=case,
        terms=[term(case)] if terms is None else terms,
        **values,
    )


def age_agreement(agreement, days):
    """Make the agreement signed and effective ``days`` ago."""
    day = today() - dt.timedelta(days=days)
    MediationAgreement.objects.filter(pk=agreement.pk).update(signed_on=day, effective_on=day)
    agreement.refresh_from_db()
    return agreement


def resolve(world, case):
    agreement = agree(world, case)
    for t in agreement.terms.all():
        aftercare.mark_term(actor=officer(world), term=t, status="done")
    return fresh(case)


# --- the agreement's content ------------------------------------------------------------


@pytest.mark.parametrize("form", ["written", "oral"])
def test_agreement_without_terms_is_refused_and_nothing_is_stored(world, people_case, form):
    with pytest.raises(ValidationError) as error:
        agree(world, people_case, form=form, terms=[])
    assert "协议没有约定内容" in error.value.message_dict["terms"][0]
    assert not MediationAgreement.objects.exists()
    assert fresh(people_case).status == Status.ACCEPTED


def test_every_term_needs_a_method_and_a_deadline_not_before_signing(world, people_case):
    terms = [
        term(people_case, method=" "),
        term(people_case, due_on=None),
        term(people_case, due_on=today() - dt.timedelta(days=1)),
    ]
    with pytest.raises(ValidationError) as error:
        agree(world, people_case, terms=terms)
    fields = error.value.message_dict
    assert {"terms-0-method", "terms-1-due_on", "terms-2-due_on"} <= set(fields)
    assert "不能早于协议签订日期" in fields["terms-2-due_on"][0]


def test_obligor_must_be_a_party_of_the_case(world, people_case, make_dispute):
    stranger = make_dispute().parties.first()
    with pytest.raises(ValidationError) as error:
        agree(world, people_case, terms=[term(people_case, obligor_party_id=stranger.pk)])
    assert "terms-0-obligor" in error.value.message_dict


def test_written_agreement_needs_facts_and_matters_an_oral_one_records_its_terms(
    world, people_case
):
    with pytest.raises(ValidationError) as error:
        agree(world, people_case, facts="", matters="")
    assert {"facts", "matters"} <= set(error.value.message_dict)
    oral = agree(world, people_case, form="oral", facts="", matters="", responsibilities="")
    assert oral.get_form_display() == "口头协议"
    assert oral.terms.get().method == "现金当面支付"


def test_agreement_moves_the_case_to_agreed_with_its_terms(world, people_case):
    agreement = agree(world, people_case)
    case = fresh(people_case)
    assert case.status == Status.AGREED
    assert agreement.effective_on == agreement.signed_on == today()
    assert agreement.copies == 3  # one per party and one kept
    assert agreement.terms.get().obligor.name == "李四"
    assert CaseEvent.objects.filter(case=case, kind="agreement").exists()
    assert AuditEvent.objects.filter(
        object_type="disputes.mediationagreement", action="create"
    ).exists()


def test_agreement_only_for_a_case_under_mediation(world, make_dispute, people_case):
    with pytest.raises(ValidationError, match="只有调解中"):
        agree(world, make_dispute())
    agree(world, people_case)
    with pytest.raises(ValidationError):
        agree(world, fresh(people_case))


def test_agreement_outside_scope_is_refused(world, people_case):
    with pytest.raises(PermissionDenied):
        agree(world, people_case, actor=world.b_chief)


def test_signing_in_the_future_is_refused(world, people_case):
    with pytest.raises(ValidationError) as error:
        agree(world, people_case, signed_on=today() + dt.timedelta(days=1))
    assert "signed_on" in error.value.message_dict


def test_police_agreement_takes_effect_on_signing(world, police_case):
    with pytest.raises(ValidationError) as error:
        agree(world, police_case, effective_on=today() - dt.timedelta(days=1))
    assert "签字之日起生效" in error.value.message_dict["effective_on"][0]
    agreement = agree(world, police_case, committee="")
    assert agreement.effective_on == agreement.signed_on
    assert agreement.committee == world.district_a.name  # the police organ that mediated


def test_two_mediators_saving_the_same_agreement_at_once(world, people_case):
    agree(world, people_case)
    first = MediationAgreement.objects.get()
    second = MediationAgreement.objects.get()
    terms = [term(people_case, id=first.terms.get().pk)]

    def save(agreement, facts):
        return aftercare.update_agreement(
            actor=officer(world),
            agreement=agreement,
            expected_version=agreement.version,
            form="written",
            facts=facts,
            matters="维修费用。",
            responsibilities="",
            signed_on=today(),
            committee="凤台社区人民调解委员会",
            terms=terms,
        )

    save(first, "第一位调解员的修改。")
    with pytest.raises(StaleEditError):
        save(second, "第二位调解员的修改。")
    assert MediationAgreement.objects.get().facts == "第一位调解员的修改。"


def test_recording_on_a_case_changed_meanwhile_is_refused_and_stores_nothing(world, people_case):
    stale = fresh(people_case)
    services.transition(
        actor=officer(world),
        case=fresh(people_case),
        to_status="suspended",
        expected_version=people_case.version,
        note="当事人住院，暂停调解",
    )
    with pytest.raises(StaleEditError):
        agree(world, stale)
    assert not MediationAgreement.objects.exists()


def test_agreement_cannot_change_once_taken_to_court(world, people_case):
    agreement = agree(world, people_case)
    aftercare.apply_confirmation(
        actor=officer(world), agreement=agreement, court="城区人民法院", applied_on=today()
    )
    with pytest.raises(ValidationError, match="司法确认"):
        aftercare.update_agreement(
            actor=officer(world),
            agreement=agreement,
            expected_version=agreement.version,
            form="written",
            facts="改",
            matters="改",
            responsibilities="",
            signed_on=today(),
            committee="委员会",
            terms=[term(people_case)],
        )


# --- performance ---------------------------------------------------------------------------


def test_all_terms_done_resolves_the_case_and_schedules_visits_after_7_and_30_days(
    world, people_case
):
    agreement = agree(world, people_case, terms=[term(people_case), term(people_case, text="道歉")])
    first, second = agreement.terms.all()
    aftercare.mark_term(actor=officer(world), term=first, status="done")
    assert fresh(people_case).status == Status.AGREED
    aftercare.mark_term(actor=officer(world), term=second, status="done")
    case = fresh(people_case)
    assert case.status == Status.RESOLVED and case.closed_at is not None
    closed = clocks.local_date(case.closed_at)
    assert [v.due_on for v in case.follow_ups.all()] == [
        closed + dt.timedelta(days=7),
        closed + dt.timedelta(days=30),
    ]


def test_follow_up_days_are_configurable(world, people_case, settings):
    settings.DISPUTES_FOLLOW_UP_DAYS = (3,)
    case = resolve(world, people_case)
    assert [v.due_on for v in case.follow_ups.all()] == [
        clocks.local_date(case.closed_at) + dt.timedelta(days=3)
    ]


def test_unperformed_police_agreement_goes_to_the_penalty_procedure(world, police_case):
    agreement = agree(world, police_case)
    aftercare.mark_term(
        actor=officer(world),
        term=agreement.terms.get(),
        status="not_done",
        note="期限届满，李四拒不赔偿。",
    )
    case = fresh(police_case)
    assert case.status == Status.TO_PENALTY and case.closed_at is not None
    event = case.events.filter(to_status=Status.TO_PENALTY).get()
    assert "公安机关应当依法对违反治安管理行为人予以处罚" in event.text


def test_unperformed_term_reopens_peoples_mediation_with_a_new_deadline(world, people_case):
    agreement = agree(world, people_case)
    before = timezone.now() - dt.timedelta(days=3)  # the first round's deadline has passed
    DisputeCase.objects.filter(pk=people_case.pk).update(due_at=before)
    t = agreement.terms.get()
    aftercare.mark_term(actor=officer(world), term=t, status="not_done", note="李四拒绝支付。")
    case = fresh(people_case)
    assert case.status == Status.ACCEPTED and case.closed_at is None
    assert case.due_at > before
    assert case.due_at == clocks.mediation_due(case.track, timezone.now())
    assert AgreementTerm.objects.get(pk=t.pk).status == TermStatus.NOT_DONE


def test_unperformed_term_without_reopening_points_the_parties_to_the_court(world, people_case):
    agreement = agree(world, people_case)
    aftercare.mark_term(
        actor=officer(world),
        term=agreement.terms.get(),
        status="not_done",
        note="李四拒绝支付。",
        reopen=False,
    )
    case = fresh(people_case)
    assert case.status == Status.AGREED
    assert any("向人民法院提起诉讼" in e.text for e in case.events.all())


def test_not_done_needs_a_note_and_a_term_is_not_marked_twice(world, people_case):
    agreement = agree(world, people_case, terms=[term(people_case), term(people_case, text="道歉")])
    first = agreement.terms.first()
    with pytest.raises(ValidationError) as error:
        aftercare.mark_term(actor=officer(world), term=first, status="not_done")
    assert "note" in error.value.message_dict
    aftercare.mark_term(actor=officer(world), term=first, status="done")
    with pytest.raises(ValidationError, match="已登记"):
        aftercare.mark_term(actor=officer(world), term=first, status="done")


def test_reopened_case_is_agreed_again_by_updating_the_agreement(world, people_case):
    agreement = agree(world, people_case, terms=[term(people_case), term(people_case, text="道歉")])
    paid, apology = agreement.terms.all()
    aftercare.mark_term(actor=officer(world), term=apology, status="done")
    aftercare.mark_term(actor=officer(world), term=paid, status="not_done", note="未按期支付。")
    assert fresh(people_case).status == Status.ACCEPTED
    agreement.refresh_from_db()

    def update(terms):
        return aftercare.update_agreement(
            actor=officer(world),
            agreement=agreement,
            expected_version=agreement.version,
            form="written",
            facts=agreement.facts,
            matters=agreement.matters,
            responsibilities="",
            signed_on=agreement.signed_on,
            committee=agreement.committee,
            terms=terms,
        )

    with pytest.raises(ValidationError, match="已履行的条款不能删除"):
        update([term(people_case, id=paid.pk)])
    later = today() + dt.timedelta(days=20)
    update(
        [
            term(people_case, id=paid.pk, due_on=later, method="分两期转账"),
            term(people_case, id=apology.pk, text="道歉"),
        ]
    )
    assert fresh(people_case).status == Status.AGREED
    paid.refresh_from_db()
    assert paid.status == TermStatus.PENDING and paid.due_on == later  # performance restarts
    assert AgreementTerm.objects.get(pk=apology.pk).status == TermStatus.DONE


# --- judicial confirmation and notarisation ------------------------------------------------


def test_confirmation_within_thirty_days_of_taking_effect(world, people_case):
    agreement = age_agreement(agree(world, people_case), 30)
    assert aftercare.confirmation_days_left(agreement) == 0
    confirmation = aftercare.apply_confirmation(
        actor=officer(world), agreement=agreement, court="城区人民法院", applied_on=today()
    )
    assert confirmation.outcome == StepOutcome.PENDING
    assert fresh(people_case).events.filter(kind="confirmation").exists()


def test_confirmation_application_after_thirty_days_is_refused(world, people_case):
    agreement = age_agreement(agree(world, people_case), 31)
    with pytest.raises(ValidationError) as error:
        aftercare.apply_confirmation(
            actor=officer(world), agreement=agreement, court="城区人民法院", applied_on=today()
        )
    message = error.value.message_dict["applied_on"][0]
    assert "须自调解协议生效之日起三十日内共同提出" in message
    assert (today() - dt.timedelta(days=1)).isoformat() in message  # the last day
    assert not hasattr(MediationAgreement.objects.get(), "confirmation")


def test_confirmation_before_the_agreement_takes_effect_is_refused(world, people_case):
    agreement = agree(world, people_case)
    with pytest.raises(ValidationError, match="早于协议生效日期"):
        aftercare.apply_confirmation(
            actor=officer(world),
            agreement=agreement,
            court="法院",
            applied_on=today() - dt.timedelta(days=1),
        )


def test_confirmation_only_for_written_peoples_mediation_agreements(
    world, police_case, people_case
):
    police = agree(world, police_case)
    with pytest.raises(ValidationError, match="只适用于人民调解协议"):
        aftercare.apply_confirmation(
            actor=officer(world), agreement=police, court="法院", applied_on=today()
        )
    oral = agree(world, people_case, form="oral")
    with pytest.raises(ValidationError, match="口头协议"):
        aftercare.apply_confirmation(
            actor=officer(world), agreement=oral, court="法院", applied_on=today()
        )


def test_court_outcome_is_recorded_once_with_its_ruling_number(world, people_case):
    agreement = agree(world, people_case)
    confirmation = aftercare.apply_confirmation(
        actor=officer(world), agreement=agreement, court="城区人民法院", applied_on=today()
    )
    with pytest.raises(ValidationError) as error:
        aftercare.record_confirmation_outcome(
            actor=officer(world), confirmation=confirmation, outcome="granted", outcome_on=today()
        )
    assert "ruling_number" in error.value.message_dict
    aftercare.record_confirmation_outcome(
        actor=officer(world),
        confirmation=confirmation,
        outcome="granted",
        outcome_on=today(),
        ruling_number="（2025）晋0502民特12号",
    )
    confirmation.refresh_from_db()
    assert confirmation.outcome == StepOutcome.GRANTED
    with pytest.raises(ValidationError, match="已登记过"):
        aftercare.record_confirmation_outcome(
            actor=officer(world), confirmation=confirmation, outcome="refused", outcome_on=today()
        )


def test_closing_confirmation_windows_are_listed_in_scope(world, people_case, make_dispute, accept):
    closing = age_agreement(agree(world, people_case), 25)  # 5 days left
    fresh_one = agree(world, accept(make_dispute()))  # 30 days left
    expired = age_agreement(agree(world, accept(make_dispute())), 31)
    applied = age_agreement(agree(world, accept(make_dispute())), 26)
    aftercare.apply_confirmation(
        actor=officer(world), agreement=applied, court="法院", applied_on=today()
    )
    listed = list(aftercare.confirmations_closing(officer(world)))
    assert listed == [closing]
    assert fresh_one not in listed and expired not in listed
    assert not aftercare.confirmations_closing(world.b_chief).exists()


def test_notarisation_is_tracked_without_a_time_limit(world, police_case):
    agreement = age_agreement(agree(world, police_case), 90)
    notarisation = aftercare.apply_notarisation(
        actor=officer(world), agreement=agreement, office="城区公证处", applied_on=today()
    )
    with pytest.raises(ValidationError, match="已申请过公证"):
        aftercare.apply_notarisation(
            actor=officer(world), agreement=agreement, office="另一处", applied_on=today()
        )
    with pytest.raises(ValidationError) as error:
        aftercare.record_notarisation_outcome(
            actor=officer(world), notarisation=notarisation, outcome="granted", outcome_on=today()
        )
    assert "certificate_number" in error.value.message_dict
    aftercare.record_notarisation_outcome(
        actor=officer(world),
        notarisation=notarisation,
        outcome="granted",
        outcome_on=today(),
        certificate_number="（2025）晋城证字第88号",
    )
    notarisation.refresh_from_db()
    assert notarisation.outcome == StepOutcome.GRANTED


# --- follow-up visits ------------------------------------------------------------------------


def visit(world, case, **values):
    values.setdefault("done_at", timezone.now())
    values.setdefault("method", "phone")
    values.setdefault("outcome", "stable")
    values.setdefault("satisfaction", "satisfied")
    values.setdefault("note", "双方关系缓和。")
    follow_up = values.pop("follow_up", None) or case.follow_ups.first()
    return aftercare.record_follow_up(
        actor=values.pop("actor", officer(world)), follow_up=follow_up, **values
    )


def test_stable_visit_is_recorded_with_satisfaction(world, people_case):
    case = resolve(world, people_case)
    done = visit(world, case)
    assert done.done_at and done.visitor == officer(world) and done.satisfaction == "satisfied"
    assert fresh(case).status == Status.RESOLVED
    assert case.events.filter(kind="follow_up").exists()
    with pytest.raises(ValidationError, match="已经记录过"):
        visit(world, case, follow_up=done)


def test_reached_visit_needs_satisfaction_and_a_failed_one_its_finding(world, people_case):
    case = resolve(world, people_case)
    with pytest.raises(ValidationError) as error:
        visit(world, case, satisfaction="", outcome="recurred", note="")
    assert {"satisfaction", "note"} <= set(error.value.message_dict)


def test_failed_visit_reopens_a_peoples_mediation_case(world, people_case):
    case = resolve(world, people_case)
    visit(
        world, case, outcome="recurred", satisfaction="unsatisfied", note="双方又因漏水发生争吵。"
    )
    case = fresh(case)
    assert case.status == Status.ACCEPTED and case.closed_at is None
    assert case.due_at == clocks.mediation_due(case.track, timezone.now())
    reopening = case.events.filter(from_status=Status.RESOLVED, to_status=Status.ACCEPTED).get()
    assert "纠纷复发" in reopening.text and reopening.note == "双方又因漏水发生争吵。"
    # The visit still planned for the old closing is dropped; closing again plans anew.
    assert case.follow_ups.filter(done_at__isnull=True).count() == 0


def test_failed_visit_on_the_police_track_sends_the_case_to_penalty(world, police_case):
    case = resolve(world, police_case)
    visit(world, case, outcome="not_performed", satisfaction="unsatisfied", note="李四称不再赔偿。")
    assert fresh(case).status == Status.TO_PENALTY


def test_recurred_police_dispute_stays_closed_and_asks_for_a_new_registration(world, police_case):
    case = resolve(world, police_case)
    visit(world, case, outcome="recurred", satisfaction="basic", note="双方又有口角。")
    case = fresh(case)
    assert case.status == Status.RESOLVED
    assert any("新的警情或纠纷登记" in e.text for e in case.events.all())


def test_unreachable_visit_stays_due_with_the_attempt_noted(world, people_case):
    case = resolve(world, people_case)
    follow_up = visit(world, case, outcome="unreachable", satisfaction="", note="电话无人接听")
    assert follow_up.done_at is None
    assert "未联系上" in follow_up.note and "电话无人接听" in follow_up.note
    assert follow_up in aftercare.follow_ups_due(officer(world), within_days=30)
    assert fresh(case).status == Status.RESOLVED


def test_visit_in_the_future_is_refused(world, people_case):
    case = resolve(world, people_case)
    with pytest.raises(ValidationError) as error:
        visit(world, case, done_at=timezone.now() + dt.timedelta(hours=1))
    assert "done_at" in error.value.message_dict


def test_visits_due_are_listed_in_scope(world, people_case):
    case = resolve(world, people_case)
    first, second = case.follow_ups.all()
    assert list(aftercare.follow_ups_due(officer(world), within_days=7)) == [first]
    assert list(aftercare.follow_ups_due(officer(world), within_days=30)) == [first, second]
    FollowUp.objects.filter(pk=first.pk).update(due_on=today() - dt.timedelta(days=2))
    assert list(aftercare.follow_ups_due(officer(world), within_days=0)) == [first]
    assert not aftercare.follow_ups_due(world.b_chief, within_days=30).exists()


# --- pages -----------------------------------------------------------------------------------


@pytest.fixture
def officer_client(client, world):
    client.force_login(officer(world))
    return client


def agreement_post(case, *, rows, version=""):
    data = {
        "version": version,
        "form": "written",
        "facts": "楼上漏水致楼下受损。",
        "matters": "维修费。",
        "responsibilities": "",
        "signed_on": today().isoformat(),
        "effective_on": "",
        "committee": "凤台社区人民调解委员会",
        "copies": "",
        "terms-TOTAL_FORMS": str(len(rows) + 1),
        "terms-INITIAL_FORMS": "0",
        "terms-MIN_NUM_FORMS": "0",
        "terms-MAX_NUM_FORMS": "50",
    }
    for index, row in enumerate([*rows, {}]):  # one blank row, as the page has
        for name in ("id", "text", "obligor", "method", "due_on"):
            data[f"terms-{index}-{name}"] = row.get(name, "")
    return data


def test_agreement_form_without_terms_comes_back_with_the_reason(officer_client, people_case):
    url = reverse("disputes:aftercare_agreement", args=[people_case.code])
    response = officer_client.post(url, agreement_post(people_case, rows=[]))
    assert response.status_code == 422
    page = response.content.decode()
    assert "协议没有约定内容" in page and "楼上漏水致楼下受损。" in page
    assert fresh(people_case).status == Status.ACCEPTED


def test_agreement_form_records_the_agreement_and_shows_its_clock(officer_client, people_case):
    url = reverse("disputes:aftercare_agreement", args=[people_case.code])
    due = (today() + dt.timedelta(days=5)).isoformat()
    row = {"text": "赔偿800元", "method": "转账", "due_on": due}
    response = officer_client.post(url, agreement_post(people_case, rows=[row]))
    assert response.status_code == 302
    assert fresh(people_case).status == Status.AGREED
    page = officer_client.get(reverse("disputes:detail", args=[people_case.code]))
    text = page.content.decode()
    assert "赔偿800元" in text and "剩余5天" in text  # the term's deadline
    assert "剩余30天" in text  # the judicial-confirmation clock


def test_agreement_form_with_a_half_filled_term_marks_that_row(officer_client, people_case):
    url = reverse("disputes:aftercare_agreement", args=[people_case.code])
    response = officer_client.post(url, agreement_post(people_case, rows=[{"text": "道歉"}]))
    assert response.status_code == 422
    assert "请写明履行方式" in response.content.decode()


def test_stale_agreement_edit_on_the_page_is_refused_with_409(officer_client, world, people_case):
    agreement = agree(world, people_case)
    t = agreement.terms.get()
    row = {"id": str(t.pk), "text": t.text, "method": t.method, "due_on": t.due_on.isoformat()}
    data = agreement_post(people_case, rows=[row], version=str(agreement.version))
    data["terms-INITIAL_FORMS"] = "1"
    first = officer_client.post(
        reverse("disputes:aftercare_agreement", args=[people_case.code]), data
    )
    assert first.status_code == 302
    second = officer_client.post(
        reverse("disputes:aftercare_agreement", args=[people_case.code]), data
    )
    assert second.status_code == 409
    assert "修改了这条记录" in second.content.decode()


def test_term_buttons_and_follow_up_form_on_the_page(officer_client, world, people_case):
    agreement = agree(world, people_case)
    t = agreement.terms.get()
    url = reverse("disputes:aftercare_term_mark", args=[people_case.code, t.pk])
    assert officer_client.post(url, {"status": "done", "note": ""}).status_code == 302
    case = fresh(people_case)
    assert case.status == Status.RESOLVED
    follow_up = case.follow_ups.first()
    url = reverse("disputes:aftercare_follow_up", args=[case.code, follow_up.pk])
    refused = officer_client.post(
        url,
        {
            "done_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "method": "phone",
            "outcome": "stable",
            "satisfaction": "",
            "note": "保留这段回访记录",
        },
    )
    assert refused.status_code == 422 and "保留这段回访记录" in refused.content.decode()
    done = officer_client.post(
        url,
        {
            "done_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "method": "visit",
            "outcome": "stable",
            "satisfaction": "satisfied",
            "note": "关系稳定",
        },
    )
    assert done.status_code == 302
    assert FollowUp.objects.get(pk=follow_up.pk).done_at is not None


def test_other_station_cannot_post_to_the_case(client, world, people_case):
    client.force_login(world.b_chief)
    url = reverse("disputes:aftercare_agreement", args=[people_case.code])
    assert client.post(url, agreement_post(people_case, rows=[])).status_code == 404


def test_case_page_shows_every_after_care_step(officer_client, world, people_case):
    case = resolve(world, people_case)
    agreement = MediationAgreement.objects.get(case=case)
    aftercare.apply_confirmation(
        actor=officer(world), agreement=agreement, court="城区人民法院", applied_on=today()
    )
    aftercare.apply_notarisation(
        actor=officer(world), agreement=agreement, office="城区公证处", applied_on=today()
    )
    page = officer_client.get(reverse("disputes:detail", args=[case.code])).content.decode()
    assert "向城区人民法院申请" in page and "向城区公证处申请" in page
    assert reverse("disputes:aftercare_confirmation_outcome", args=[case.code]) in page
    for visit_ in case.follow_ups.all():
        assert reverse("disputes:aftercare_follow_up", args=[case.code, visit_.pk]) in page


def test_reopened_and_police_cases_render_their_after_care(
    officer_client, world, people_case, police_case
):
    agreement = agree(world, people_case)
    aftercare.mark_term(
        actor=officer(world), term=agreement.terms.get(), status="not_done", note="拒不支付。"
    )
    page = officer_client.get(reverse("disputes:detail", args=[people_case.code]))
    assert "纠纷已重新调解" in page.content.decode()
    agree(world, police_case)
    page = officer_client.get(reverse("disputes:detail", args=[police_case.code]))
    text = page.content.decode()
    assert page.status_code == 200 and "治安调解协议不适用司法确认" in text


def test_unperformed_agreement_before_the_court_is_for_enforcement_not_reopening(
    world, people_case
):
    agreement = agree(world, people_case)
    confirmation = aftercare.apply_confirmation(
        actor=officer(world), agreement=agreement, court="城区人民法院", applied_on=today()
    )
    aftercare.record_confirmation_outcome(
        actor=officer(world),
        confirmation=confirmation,
        outcome="granted",
        outcome_on=today(),
        ruling_number="（2025）晋0502民特12号",
    )
    aftercare.mark_term(
        actor=officer(world), term=agreement.terms.get(), status="not_done", note="拒不支付。"
    )
    case = fresh(people_case)
    assert case.status == Status.AGREED
    assert any("申请强制执行" in e.text for e in case.events.all())
