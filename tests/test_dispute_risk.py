"""民转刑 early warning: the score's signals and explanations, the bulk recompute against
the per-case reference, the notices, the warning list's scope, the pages, and the
ranking quality on a small seeded labelled set."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fengqiao.addresses import codes as address_codes
from fengqiao.addresses.models import StandardAddress
from fengqiao.core.roles import Role
from fengqiao.disputes.models import (
    AgreementTerm,
    CaseEvent,
    DisputeCase,
    MediationAgreement,
    MediationRoom,
    MediationSession,
    RiskLevel,
    Status,
    TermStatus,
    WarningNotice,
)
from fengqiao.disputes.risk import labelled
from fengqiao.disputes.risk import services as risk
from fengqiao.disputes.services import PartyInput

from .conftest import make_user

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def officer(world):
    return world.a[Role.COMMUNITY_OFFICER]


def codes_of(score):
    return {r["code"] for r in score.reasons}


def texts_of(score):
    return [r.text for r in risk.explain(score.reasons)]


def address(world, places, serial=1):
    local = f"阳头路{serial}号"
    return StandardAddress.objects.create(
        code=address_codes.make_code("140502", 9000 + serial), community=places.community_a,
        police_district=world.district_a, road="阳头路", door_number=str(serial),
        full_text="凤台社区" + local, local_key=local,
    )  # fmt: skip


def people(*pairs):
    roles = ["applicant", "respondent", "third_party"]
    return [PartyInput(name=name, phone=phone, role=roles[i]) for i, (name, phone) in
            enumerate(pairs)]  # fmt: skip


def agree(case, *terms):
    agreement = MediationAgreement.objects.create(
        case=case, facts="事实", matters="争议", responsibilities="责任",
        signed_on=NOW.date(), effective_on=NOW.date(), committee="调委会",
    )  # fmt: skip
    for due_on, status in terms:
        AgreementTerm.objects.create(agreement=agreement, text="赔偿", method="现金",
                                     due_on=due_on, status=status)  # fmt: skip
    return agreement


def session(case, summary="双方各自陈述意见。"):
    return MediationSession.objects.create(
        case=case, held_at=NOW, place="调解室", attendees="双方", summary=summary
    )


# --- Explanations ----------------------------------------------------------------------


def test_every_signal_has_points_and_an_explanation_with_its_evidence():
    facts = risk.Facts(
        category="neighbours", amount=Decimal("250000"), track="people", status=Status.ACCEPTED,
        registered_at=NOW - dt.timedelta(days=60), due_at=NOW - dt.timedelta(days=15),
        suspended_at=None, narrative="被申请人扬言“大不了同归于尽”。",
        pair_cases=1, party_cases=2, failed_cases=1, address_cases=3, incidents=2,
        session_texts=["双方争吵", "对方称要报复", "未果"], has_agreement=False,
        terms_not_done=1, terms_overdue=2, vulnerable=1,
    )  # fmt: skip
    score = risk.score_facts(facts, now=NOW)
    assert codes_of(score) == set(risk.REASON_TEXTS)  # every signal fired, each explained
    assert score.score == 100 and score.level == RiskLevel.HIGH
    assert all(r["points"] > 0 for r in score.reasons)
    assert [r["points"] for r in score.reasons] == sorted(
        (r["points"] for r in score.reasons), reverse=True
    )
    texts = texts_of(score)
    for expected in ("双方当事人之间近12个月内另有1起纠纷", "同一当事人近12个月内另有2起纠纷",
                     "同一地址近12个月内另有3起纠纷", "同一地址或当事人电话近12个月内有2起警情",
                     "叙述中出现威胁用语：同归于尽", "调解记录中出现威胁用语：报复",
                     "同一当事人此前有1起纠纷调解不成", "已调解3次仍未达成协议",
                     "调解协议有1项未履行", "调解协议有2项已过履行期限仍未履行",
                     "已超过调解期限15天", "当事人中有1名弱势人员", "纠纷类别易激化：邻里",
                     "涉及金额较大：250,000.00元"):  # fmt: skip
        assert any(expected in t for t in texts), expected


def test_a_quiet_case_scores_low_with_no_reasons():
    facts = risk.Facts(
        category="contract", amount=Decimal("800"), track="people", status=Status.ACCEPTED,
        registered_at=NOW - dt.timedelta(days=3), due_at=NOW + dt.timedelta(days=27),
        suspended_at=None, narrative="双方因货款结算发生纠纷。",
    )  # fmt: skip
    assert risk.score_facts(facts, now=NOW) == risk.Score(0, RiskLevel.LOW, [])


def test_levels_follow_the_thresholds_in_settings(settings):
    assert (risk.level_for(29), risk.level_for(30), risk.level_for(55)) == ("low", "medium", "high")
    settings.DISPUTES_RISK_MEDIUM, settings.DISPUTES_RISK_HIGH = 20, 40
    assert (risk.level_for(19), risk.level_for(20), risk.level_for(40)) == ("low", "medium", "high")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("对方扬言“要跟你同归于尽”。", ["同归于尽"]),  # reported speech in quotes counts
        ("你不让路，我就砍死你", ["砍死"]),  # the 不 is in another clause
        ("被申请人称若不赔钱就放火烧了他家", ["放火", "烧了"]),
        ("他带了刀，还说你不得好死", ["刀", "不得好死"]),
        ("双方均表示不会再报复对方。", []),  # negated
        ("被申请人否认说过“弄死你”之类的话。", []),  # a denial, even of a quote
        ("他没有带刀", []),
        ("他在看《刀剑神域》", []),  # a title is not speech
        ("一方砍了对方承包地边的三棵树", []),  # trees, not people
        ("商家先砍价后又秒杀，政策一刀切，医院开刀后孩子发烧了", []),  # everyday compounds
        ("", []),
    ],
)
def test_threat_words_with_negation_quotes_and_everyday_compounds(text, words):
    assert risk.threat_words(text) == words


# --- Signals from the records ----------------------------------------------------------


def test_repeat_disputes_between_the_same_parties_raise_the_score(world, make_dispute):
    first = make_dispute()
    alone = risk.score_case(first)
    second = make_dispute(narrative="双方再次因漏水争吵。")
    score = risk.score_case(second)
    assert "repeat_pair" in codes_of(score) and "repeat_pair" not in codes_of(alone)
    assert score.score > alone.score
    assert "双方当事人之间近12个月内另有1起纠纷" in texts_of(score)
    # One shared party only (张三's ID number and phone) is the weaker signal.
    third = make_dispute(party_list=[
        PartyInput(name="张三", role="applicant", id_number="11010519491231002X"),
        PartyInput(name="王五", role="respondent", phone="13700007777"),
    ])  # fmt: skip
    assert "同一当事人近12个月内另有2起纠纷" in texts_of(risk.score_case(third))
    # A same name with another phone is not the same party.
    stranger = make_dispute(party_list=people(("张三", "13600006666"), ("赵六", "13600006667")))
    assert not {"repeat_pair", "repeat_party"} & codes_of(risk.score_case(stranger))


def test_a_dispute_older_than_twelve_months_is_not_a_repeat(world, make_dispute):
    old = make_dispute()
    DisputeCase.objects.filter(pk=old.pk).update(registered_at=NOW - dt.timedelta(days=400))
    assert "repeat_pair" not in codes_of(risk.score_case(make_dispute()))


def test_disputes_and_incidents_at_the_address_or_from_the_phones_raise_it(
    world, places, make_dispute, make_incident
):
    home = address(world, places)
    case = make_dispute(address=home, party_list=people(("甲", "13811110001"),
                                                        ("乙", "13811110002")))  # fmt: skip
    before = risk.score_case(case)
    make_dispute(address=home, party_list=people(("丙", "13811110003"), ("丁", "13811110004")))
    make_incident(address=home)
    make_incident(reporter_phone="13811110002", location_text="别处")
    make_incident(reporter_phone="13811110001", address=home)  # both: counted once
    old = make_incident(reporter_phone="13811110001", location_text="别处")
    old.received_at = NOW - dt.timedelta(days=400)
    old.save(update_fields=["received_at"])
    after = risk.score_case(case)
    assert after.score > before.score
    texts = texts_of(after)
    assert "同一地址近12个月内另有1起纠纷" in texts
    assert "同一地址或当事人电话近12个月内有3起警情" in texts


def test_the_incident_a_case_came_from_is_not_counted(world, make_incident):
    from fengqiao.disputes import services

    incident = make_incident(reporter_name="王五", reporter_phone="13700003333")
    case = services.take_from_incident(
        actor=world.a[Role.COMMAND_ROOM], incident=incident, category="neighbours",
        track="people", expected_version=incident.version,
    )  # fmt: skip
    assert "incidents" not in codes_of(risk.score_case(case))
    make_incident(reporter_phone="13700003333")
    assert "同一地址或当事人电话近12个月内有1起警情" in texts_of(risk.score_case(case))


def test_threats_in_the_narrative_and_sessions_are_quoted_in_the_reasons(make_dispute):
    case = make_dispute(narrative="被申请人扬言“大不了同归于尽”，双方均表示不会报复。")
    session(case, "调解中被申请人情绪激动，称要报复对方全家。")
    session(case, "双方情绪平稳。")
    score = risk.score_case(case)
    texts = texts_of(score)
    assert "叙述中出现威胁用语：同归于尽" in texts  # 报复 was negated there
    assert "调解记录中出现威胁用语：报复" in texts
    assert score.level in (RiskLevel.MEDIUM, RiskLevel.HIGH)


def test_unperformed_terms_and_the_overdue_clock_raise_it(world, make_dispute):
    case = make_dispute()
    base = risk.score_case(case)
    today = timezone.localdate()
    agree(case, (today - dt.timedelta(days=3), TermStatus.NOT_DONE),
          (today - dt.timedelta(days=1), TermStatus.PENDING),
          (today + dt.timedelta(days=5), TermStatus.PENDING),
          (today - dt.timedelta(days=9), TermStatus.DONE))  # fmt: skip
    with_terms = risk.score_case(case)
    assert {"terms_not_done", "terms_overdue"} <= codes_of(with_terms)
    assert "调解协议有1项未履行" in texts_of(with_terms)
    assert "调解协议有1项已过履行期限仍未履行" in texts_of(with_terms)
    assert with_terms.score > base.score
    DisputeCase.objects.filter(pk=case.pk).update(
        status=Status.ACCEPTED, accepted_at=NOW - dt.timedelta(days=45),
        due_at=NOW - dt.timedelta(days=15),
    )  # fmt: skip
    case.refresh_from_db()
    overdue = risk.score_case(case)
    assert "已超过调解期限15天" in texts_of(overdue)
    assert overdue.score > with_terms.score
    # A suspended case's clock stood still when it was suspended.
    DisputeCase.objects.filter(pk=case.pk).update(
        status=Status.SUSPENDED, suspended_at=NOW - dt.timedelta(days=20)
    )
    case.refresh_from_db()
    assert "overdue" not in codes_of(risk.score_case(case))


def test_a_case_never_accepted_is_measured_from_registration(make_dispute):
    case = make_dispute(registered_at=NOW - dt.timedelta(days=41))  # due at the 30th day's end
    assert "已超过调解期限10天" in texts_of(risk.score_case(case, now=NOW))


def test_failed_mediation_many_sessions_vulnerable_category_and_amount(world, make_dispute):
    earlier = make_dispute(category="contract")
    DisputeCase.objects.filter(pk=earlier.pk).update(status=Status.FAILED, closed_at=NOW)
    case = make_dispute(category="marriage_family", amount="1500000", party_list=[
        PartyInput(name="张三", role="applicant", phone="13800001111", vulnerable=True),
        PartyInput(name="李四", role="respondent", phone="13900002222"),
    ])  # fmt: skip
    for _ in range(4):
        session(case)
    texts = texts_of(risk.score_case(case))
    for expected in ("同一当事人此前有1起纠纷调解不成、拒绝调解或转治安处罚",
                     "已调解4次仍未达成协议", "当事人中有1名弱势人员（老人、未成年人、残疾人等）",
                     "纠纷类别易激化：婚姻家庭", "涉及金额较大：1,500,000.00元"):  # fmt: skip
        assert expected in texts


# --- Bulk recompute ----------------------------------------------------------------------


def _mixed_cases(world, places, make_dispute, make_incident):
    home = address(world, places)
    cases = [
        make_dispute(address=home),
        make_dispute(address=home, narrative="对方扬言“我弄死你”。"),
        make_dispute(party_list=people(("王五", "13700001111"), ("李四", "13900002222"))),
        make_dispute(category="contract", amount="30000",
                     party_list=people(("钱七", "13700002222"), ("孙八", "13700003333"))),
    ]  # fmt: skip
    make_incident(address=home)
    make_incident(reporter_phone="13700002222")
    session(cases[1], "对方称要报复")
    for _ in range(3):
        session(cases[3])
    agree(cases[2], (timezone.localdate() - dt.timedelta(days=2), TermStatus.NOT_DONE))
    DisputeCase.objects.filter(pk=cases[2].pk).update(status=Status.AGREED)
    closed = make_dispute(address=home)
    DisputeCase.objects.filter(pk=closed.pk).update(
        status=Status.REFUSED, closed_at=NOW, risk_computed_at=None
    )
    return cases, closed


def test_bulk_recompute_equals_the_per_case_score(world, places, make_dispute, make_incident):
    cases, closed = _mixed_cases(world, places, make_dispute, make_incident)
    report = risk.recompute_all(batch=3, now=NOW)  # batches split related cases
    assert report.cases == len(cases)
    for case in cases:
        case.refresh_from_db()
        expected = risk.score_case(case, now=NOW)
        assert (case.risk_score, case.risk_level, case.risk_reasons) == (
            expected.score, expected.level, expected.reasons)  # fmt: skip
        assert case.risk_computed_at == NOW
        assert case.version == 1  # derived data: nobody's open form goes stale
    assert len({c.risk_score for c in cases}) > 2  # the sample is not trivial
    closed.refresh_from_db()
    assert closed.risk_computed_at is None  # closed cases are left alone


def test_bulk_recompute_queries_do_not_grow_with_the_cases(world, places, make_dispute,
                                                            make_incident):  # fmt: skip
    _mixed_cases(world, places, make_dispute, make_incident)
    risk.recompute_all(batch=1000, now=NOW)  # the first run also warns; compare plain runs
    with CaptureQueriesContext(connection) as few:
        risk.recompute_all(batch=1000, now=NOW)
    for n in range(12):
        pair = people((f"甲{n}", f"1350000{n:04d}"), ("乙", "13500009999"))
        make_dispute(narrative=f"第{n}起纠纷", party_list=pair)
    with CaptureQueriesContext(connection) as many:
        risk.recompute_all(batch=1000, now=NOW)
    assert len(many.captured_queries) == len(few.captured_queries) <= 20


# --- Warnings ------------------------------------------------------------------------------


def _make_high(case):
    DisputeCase.objects.filter(pk=case.pk).update(
        narrative="被申请人扬言“大不了同归于尽”，还说要放火。", amount=Decimal("2000000"),
        status=Status.ACCEPTED, accepted_at=NOW - dt.timedelta(days=60),
        due_at=NOW - dt.timedelta(days=30),
    )  # fmt: skip
    case.refresh_from_db()


def test_a_newly_high_case_warns_the_district_officer_and_judicial_office_once(world, make_dispute):
    MediationRoom.objects.create(jurisdiction=world.station_a, name="甲所调解室",
                                 judicial_office="凤台司法所")  # fmt: skip
    other = make_user(Role.COMMUNITY_OFFICER, world.station_a)  # not the district's officer
    case = make_dispute()
    risk.recompute_all(now=NOW)
    assert not WarningNotice.objects.exists()  # low: nobody is told
    _make_high(case)
    report = risk.recompute_all(now=NOW)
    assert (report.high, report.newly_high, report.notices) == (1, 1, 2)
    notices = WarningNotice.objects.filter(case=case)
    assert {(n.recipient, n.recipient_body) for n in notices} == {
        (officer(world), ""),
        (None, "凤台司法所"),
    }
    assert all(n.score >= risk.high_threshold() and n.reasons for n in notices)
    assert not WarningNotice.objects.filter(recipient__in=[other, world.b_officer]).exists()
    warning = CaseEvent.objects.get(case=case, kind="warning")
    assert "凤台司法所" in warning.text and officer(world).full_name in warning.text
    # Still high: not warned again, by the bulk run or by a refresh.
    assert risk.recompute_all(now=NOW).notices == 0
    risk.refresh_case(case)
    assert WarningNotice.objects.count() == 2
    # Down to low and up again is new.
    DisputeCase.objects.filter(pk=case.pk).update(narrative="双方平和。", amount=None,
                                                  due_at=NOW + dt.timedelta(days=5))  # fmt: skip
    risk.recompute_all(now=NOW)
    _make_high(case)
    assert risk.recompute_all(now=NOW).notices == 2


def test_without_a_mediation_room_the_judicial_office_is_named_generically(world, make_dispute):
    case = make_dispute()
    _make_high(case)
    score = risk.refresh_case(case)
    assert score.level == RiskLevel.HIGH
    assert WarningNotice.objects.filter(case=case, recipient=None).get().recipient_body == "司法所"


def test_notifying_can_be_switched_off(world, make_dispute, settings):
    settings.DISPUTES_WARNING_NOTIFY = False
    case = make_dispute()
    _make_high(case)
    assert risk.recompute_all(now=NOW).newly_high == 1
    assert not WarningNotice.objects.exists()


def test_my_notices_and_marking_one_read(world, make_dispute):
    case = make_dispute()
    _make_high(case)
    risk.refresh_case(case)
    mine = risk.notices_for(officer(world)).get()
    assert list(risk.notices_for(world.b_officer)) == []
    with pytest.raises(PermissionDenied):
        risk.mark_read(actor=world.b_officer, notice_id=mine.pk)
    risk.mark_read(actor=officer(world), notice_id=mine.pk)
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert sum("已阅" in e.text for e in CaseEvent.objects.filter(case=case, kind="warning")) == 1


# --- The warning list and its scope ------------------------------------------------------


def test_the_warning_list_is_scoped_and_ordered_by_score(world, make_dispute):
    high = make_dispute()
    _make_high(high)
    pair = people(("王五", "13700001111"), ("赵六", "13700001112"))
    medium = make_dispute(narrative="对方扬言“我弄死你”。", party_list=pair)
    make_dispute(category="contract", party_list=people(("钱七", "13700002221"),
                                                         ("孙八", "13700002222")))  # fmt: skip
    risk.recompute_all(now=NOW)
    medium.refresh_from_db()
    assert medium.risk_level == RiskLevel.MEDIUM
    chief = world.a[Role.STATION_CHIEF]
    assert list(risk.warning_list(chief)) == [high, medium]
    assert list(risk.warning_list(chief, level="high")) == [high]
    assert list(risk.warning_list(world.b_chief)) == []
    assert list(risk.warning_list(world.b_officer)) == []
    DisputeCase.objects.filter(pk=high.pk).update(status=Status.RESOLVED, closed_at=NOW)
    assert list(risk.warning_list(chief)) == [medium]  # closed cases leave the list
    with pytest.raises(PermissionDenied):
        risk.warning_list(world.analyst)


# --- Pages ---------------------------------------------------------------------------------


@pytest.fixture
def login(client):
    def as_user(user):
        client.force_login(user)
        return client

    return as_user


def test_the_warning_list_page_shows_reasons_and_filters(world, make_dispute, login):
    case = make_dispute()
    _make_high(case)
    risk.recompute_all(now=NOW)
    page = login(world.a[Role.STATION_CHIEF]).get(reverse("disputes:risk_list"))
    assert page.status_code == 200
    html = page.content.decode()
    assert case.code in html and "叙述中出现威胁用语：同归于尽、放火" in html
    medium_only = login(world.a[Role.STATION_CHIEF]).get(reverse("disputes:risk_list"),
                                                           {"level": "medium"})  # fmt: skip
    assert case.code not in medium_only.content.decode()
    other = login(world.b_chief).get(reverse("disputes:risk_list"))
    assert other.status_code == 200 and case.code not in other.content.decode()


def test_the_notice_pages_and_mark_read(world, make_dispute, login):
    case = make_dispute()
    _make_high(case)
    risk.refresh_case(case)
    notice = WarningNotice.objects.get(recipient=officer(world))
    client = login(officer(world))
    page = client.get(reverse("disputes:risk_notices"))
    assert page.status_code == 200 and case.code in page.content.decode()
    response = client.post(reverse("disputes:risk_notice_read", args=[notice.pk]))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.read_at is not None
    stranger = login(world.b_officer)
    assert stranger.post(reverse("disputes:risk_notice_read", args=[notice.pk])).status_code == 403


def test_refresh_recomputes_one_case_and_returns_to_it(world, make_dispute, login):
    case = make_dispute(narrative="对方扬言“我弄死你”。")
    client = login(officer(world))
    response = client.post(reverse("disputes:risk_refresh", args=[case.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("disputes:detail", args=[case.code])
    case.refresh_from_db()
    assert case.risk_computed_at is not None and "threats_narrative" in {
        r["code"] for r in case.risk_reasons
    }
    assert any(e.text.startswith("重新评估风险") for e in CaseEvent.objects.filter(case=case))
    assert (
        login(world.b_chief).post(reverse("disputes:risk_refresh", args=[case.code])).status_code
        == 404
    )  # out of scope


def test_the_case_page_panel_shows_score_level_and_every_reason(world, make_dispute, login):
    case = make_dispute()
    _make_high(case)
    score = risk.refresh_case(case)
    page = login(officer(world)).get(reverse("disputes:detail", args=[case.code]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="risk"' in html
    for reason in risk.explain(score.reasons):
        assert reason.text in html
    assert reverse("disputes:risk_refresh", args=[case.code]) in html


# --- Command and task ----------------------------------------------------------------------


def test_the_command_and_the_task(world, make_dispute):
    case = make_dispute()
    _make_high(case)
    out = StringIO()
    call_command("recompute_dispute_risk", stdout=out)
    assert "cases: 1  high: 1" in out.getvalue() and "notices: 2" in out.getvalue()
    from fengqiao.disputes.tasks import recompute_dispute_risk, refresh_dispute_risk

    assert recompute_dispute_risk.call()["newly_high"] == 0
    assert refresh_dispute_risk.call(case.pk) == DisputeCase.objects.get(pk=case.pk).risk_score
    call_command("recompute_dispute_risk", "--enqueue", stdout=out)
    assert "enqueued task" in out.getvalue()


# --- Ranking quality on a labelled set -----------------------------------------------------


def test_the_score_ranks_a_seeded_labelled_sample_above_the_baselines(world, places):
    sample = labelled.build(district=world.district_a, community=places.community_a, cases=400,
                            seed=7, now=NOW)  # fmt: skip
    risk.recompute_all(now=NOW)
    scores = dict(DisputeCase.objects.filter(pk__in=[s.case_id for s in sample])
                  .values_list("pk", "risk_score"))  # fmt: skip
    outcome = [s.turned_criminal for s in sample]
    assert 10 <= sum(outcome) <= 80  # a few percent positive, as designed
    ours = labelled.auc([scores[s.case_id] for s in sample], outcome)
    time_open = labelled.auc([s.days_open for s in sample], outcome)
    assert ours > 0.70, ours
    assert ours > time_open + 0.1
    assert labelled.precision_at([scores[s.case_id] for s in sample], outcome, 0.1) > (
        2 * sum(outcome) / len(outcome)
    )


def test_auc_and_precision_helpers():
    assert labelled.auc([1, 2, 3, 4], [False, False, True, True]) == 1.0
    assert labelled.auc([4, 3, 2, 1], [False, False, True, True]) == 0.0
    assert labelled.auc([1, 1, 1, 1], [False, True, False, True]) == 0.5
    assert labelled.precision_at([9, 8, 1, 0], [True, False, False, False], 0.25) == 1.0
