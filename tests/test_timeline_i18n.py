"""Timelines read in the reader's language: every line the services write renders in
English without a Chinese character, except what people typed and proper names (units,
people, mediators, addresses). The people's inputs here are English, so whatever Chinese
is left on a line was written by the system."""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.utils import timezone, translation

from fengqiao.accounts.models import User
from fengqiao.addresses.models import StandardAddress
from fengqiao.core.roles import Role
from fengqiao.disputes import services
from fengqiao.disputes.aftercare import services as aftercare
from fengqiao.disputes.mediators import services as mediators
from fengqiao.disputes.models import (
    CaseEvent,
    DisputeCase,
    MediationRoom,
    Mediator,
    MediatorKind,
    Party,
    PartyRole,
)
from fengqiao.disputes.records import services as records
from fengqiao.disputes.risk import services as risk
from fengqiao.disputes.timeline import CASE_MESSAGES
from fengqiao.incidents import public
from fengqiao.incidents import services as incident_services
from fengqiao.incidents.models import INCIDENT_MESSAGES, Category, Incident, IncidentEvent, Status
from fengqiao.jurisdictions.models import Jurisdiction
from tests.test_aftercare import age_agreement, fresh
from tests.test_dispute_risk import _make_high

pytestmark = pytest.mark.django_db

# Han ideographs and the full-width punctuation of Chinese sentences (“、”, “：”, “（”).
CHINESE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff01-\uff5e]")
TAG = re.compile(r"<[^>]+>")


def _proper_names() -> list[str]:
    """Names the system did not write: units, staff, parties, mediators, rooms, addresses,
    longest first (a unit's name may contain another's)."""
    names = [
        *Jurisdiction.objects.values_list("name", flat=True),
        *User.objects.values_list("full_name", flat=True),
        *Party.objects.values_list("name", flat=True),
        *Mediator.objects.values_list("name", flat=True),
        *MediationRoom.objects.values_list("name", flat=True),
        *MediationRoom.objects.values_list("judicial_office", flat=True),
        *StandardAddress.objects.values_list("full_text", flat=True),
    ]
    return sorted({n for n in names if n}, key=len, reverse=True)


def _chinese_left(events) -> list[str]:
    """Each timeline line rendered as the record's page renders it, in English, with the
    proper names taken out: the lines that still hold Chinese."""
    names = _proper_names()
    with translation.override("en"):
        html = render_to_string("core/_timeline.html", {"events": list(events)})
    lines = []
    for item in html.split("<li")[1:]:
        text = TAG.sub(" ", "<li" + item)
        for name in names:
            text = text.replace(name, "")
        if CHINESE.search(text):
            lines.append(" ".join(text.split()))
    return lines


def officer(world):
    return world.a[Role.COMMUNITY_OFFICER]


def chief(world):
    return world.a[Role.STATION_CHIEF]


def today():
    return timezone.localdate()


def _agree(world, case, *, form="written"):
    term = aftercare.TermInput(
        text="Li pays Zhang 800 yuan for the repairs",
        obligor_party_id=case.parties.filter(role="respondent").first().pk,
        method="cash in person",
        due_on=today() + dt.timedelta(days=10),
    )
    return aftercare.record_agreement(
        actor=officer(world), case=case, form=form, facts="A leaking bathroom upstairs.",
        matters="Who pays the repairs.", responsibilities="Upstairs mainly.", signed_on=today(),
        committee="Fengtai mediation committee", terms=[term],
    )  # fmt: skip


def _accept(world, case):
    return services.accept_case(actor=officer(world), case=case, expected_version=case.version)


@pytest.fixture
def written_case(world, make_dispute, settings, tmp_path):
    """A people's mediation case taken through most of what a case goes through."""
    settings.MEDIA_ROOT = tmp_path / "media"
    MediationRoom.objects.create(jurisdiction=world.station_a, name="甲所调解室",
                                 judicial_office="凤台司法所")  # fmt: skip
    case = make_dispute(registered_at=timezone.now() - dt.timedelta(days=1), languages=["en"])
    services.add_party(actor=officer(world), case=case, data=services.PartyInput(
        name="王五", role=PartyRole.RESPONDENT, phone="13700003333"))  # fmt: skip
    party = case.parties.get(name="王五")
    services.record_consent(actor=officer(world), party=party, consent="given",
                            expected_version=party.version, note="agreed on the phone")  # fmt: skip
    case = _accept(world, fresh(case))
    services.extend(actor=officer(world), case=case, days=10, expected_version=case.version,
                    parties_consent=True, reason="waiting for the survey")  # fmt: skip
    mediator = mediators.create_mediator(
        actor=chief(world), name="英语调解员", kind=MediatorKind.PEOPLES_MEDIATOR,
        jurisdiction=world.district_a, languages=["en"],
    )  # fmt: skip
    assignment = mediators.assign(actor=chief(world), case=case, mediator=mediator,
                                  reason="speaks English")  # fmt: skip
    records.add_session(
        actor=officer(world), case=case, held_at=timezone.now(), place="Room 3",
        attendees="both parties", summary="Both spoke.",
    )  # fmt: skip
    pdf = SimpleUploadedFile("ceiling.pdf", b"%PDF-1.4\n%%EOF\n")
    records.add_attachment(
        actor=officer(world), case=case, description="photo of the ceiling", upload=pdf
    )
    referral = records.refer(
        actor=officer(world), case=case, kind="refer", to_body="Labour arbitration",
        reason="a labour question, maybe",
    )  # fmt: skip
    records.respond(actor=officer(world), referral=referral, accept=False,
                    response="not a labour case")  # fmt: skip
    mediators.end_assignment(actor=chief(world), assignment=assignment, reason="he moved away")
    risk.refresh(actor=officer(world), case=fresh(case))
    agreement = _agree(world, fresh(case))
    aftercare.mark_term(actor=officer(world), term=agreement.terms.get(), status="not_done",
                        note="has not paid yet")  # fmt: skip
    return fresh(case)


def test_every_dispute_timeline_line_reads_in_english(world, make_dispute, written_case):
    # A second case: agreed, performed, visited, confirmed by the court and notarised.
    case = _accept(world, make_dispute())
    agreement = age_agreement(_agree(world, case), 5)
    confirmation = aftercare.apply_confirmation(
        actor=officer(world), agreement=agreement, court="Chengqu court", applied_on=today()
    )
    aftercare.record_confirmation_outcome(
        actor=officer(world), confirmation=confirmation, outcome="refused", outcome_on=today(),
        note="the court wants more facts",
    )  # fmt: skip
    notarisation = aftercare.apply_notarisation(
        actor=officer(world), agreement=agreement, office="Chengqu notary", applied_on=today()
    )
    aftercare.record_notarisation_outcome(
        actor=officer(world), notarisation=notarisation, outcome="granted", outcome_on=today(),
        certificate_number="N-1",
    )  # fmt: skip
    aftercare.mark_term(actor=officer(world), term=agreement.terms.get(), status="done")
    case = fresh(case)
    first, *_ = case.follow_ups.order_by("due_on")
    aftercare.record_follow_up(actor=officer(world), follow_up=first, done_at=timezone.now(),
                               method="phone", outcome="unreachable", note="no answer")  # fmt: skip
    aftercare.record_follow_up(actor=officer(world), follow_up=first, done_at=timezone.now(),
                               method="phone", outcome="recurred", satisfaction="unsatisfied",
                               note="they quarrel again")  # fmt: skip
    # A police case not performed, and a refusal.
    police = _accept(world, make_dispute(track="police", offence="pushing (minor)"))
    term = _agree(world, police).terms.get()
    aftercare.mark_term(actor=officer(world), term=term, status="not_done", note="did not pay")
    refused = make_dispute(consent=False)
    party = refused.parties.first()
    services.record_consent(actor=officer(world), party=party, consent="refused",
                            expected_version=party.version)  # fmt: skip
    # A warning and its reading.
    warned = make_dispute()
    _make_high(warned)
    risk.refresh_case(warned)
    risk.mark_read(actor=officer(world), notice_id=risk.notices_for(officer(world)).get().pk)

    written = set(CaseEvent.objects.exclude(message="").values_list("message", flat=True))
    assert written <= set(CASE_MESSAGES)
    assert len(written) >= 25, sorted(set(CASE_MESSAGES) - written)  # most kinds exercised
    for each in DisputeCase.objects.all():
        events = CaseEvent.objects.filter(case=each).select_related("actor")
        assert _chinese_left(events) == [], each.code


def test_every_incident_timeline_line_reads_in_english(make_incident, places, world, settings):
    from fengqiao.addresses.services import create_address

    settings.FENGQIAO_TRACKING_PUBLIC = True
    handler = world.a[Role.COMMAND_ROOM]
    incident = make_incident(jurisdiction=world.station_a, reporter_phone="13800138000")
    address = create_address(actor=None, community=places.community_a, grid=places.grid_a,
                             road="阳头路", door_number="12")  # fmt: skip
    incident = incident_services.locate(actor=handler, incident=incident, address=address,
                                        expected_version=incident.version)  # fmt: skip
    theft, fraud = (Category.objects.get(name=n) for n in ("盗窃", "诈骗"))
    for category in (theft, fraud):
        incident.refresh_from_db()
        incident_services.confirm_category(actor=handler, incident=incident, category=category,
                                           expected_version=incident.version)  # fmt: skip
    for to_status, note in [(Status.DISPATCHED, ""), (Status.ON_SCENE, "arrived"),
                            (Status.HANDLED, "settled on the spot")]:  # fmt: skip
        incident.refresh_from_db()
        incident_services.transition(actor=handler, incident=incident, to_status=to_status,
                                     expected_version=incident.version, note=note)  # fmt: skip
    incident.refresh_from_db()
    incident_services.correct_status(
        actor=handler,
        incident=incident,
        to_status=Status.ON_SCENE,
        expected_version=incident.version,
        reason="clicked too early",
    )
    public.add_from_reporter(incident=incident, kind="clue", text="the man wore a red coat")
    public.add_from_reporter(
        incident=incident,
        kind="clue",
        text="and a cap",
        photo=SimpleUploadedFile("p.png", b"\x89PNG\r\n\x1a\n" + b"0" * 16),
    )
    for to_status in (Status.HANDLED, Status.CLOSED):
        incident.refresh_from_db()
        incident_services.transition(actor=handler, incident=incident, to_status=to_status,
                                     expected_version=incident.version, note="done")  # fmt: skip
    public.submit_survey(incident=Incident.objects.get(pk=incident.pk), rating="fairly",
                         comment="quick")  # fmt: skip

    written = set(IncidentEvent.objects.exclude(message="").values_list("message", flat=True))
    assert written == set(INCIDENT_MESSAGES)
    events = IncidentEvent.objects.filter(incident=incident).select_related("actor")
    assert _chinese_left(events) == []


def test_a_line_renders_in_the_language_of_its_reader_not_of_its_writer(world, make_dispute):
    case = make_dispute()
    with translation.override("zh-hans"):
        services.add_party(actor=officer(world), case=case, data=services.PartyInput(
            name="王五", role=PartyRole.RESPONDENT))  # fmt: skip
    line = CaseEvent.objects.get(case=case, message="party_added")
    assert line.params == {"role": "respondent"} and line.note == ""
    with translation.override("en"):
        english = line.text
    with translation.override("zh-hans"):
        chinese = line.text
    assert chinese == "增加当事人：被申请人"
    assert english != chinese and not CHINESE.search(english)


# --- lines stored as sentences before (migrations incidents 0006, disputes 0002) ---------


def _migration(app: str, name: str):
    return importlib.import_module(f"fengqiao.{app}.migrations.{name}")


def test_stored_sentences_become_messages_and_come_back(world, make_dispute, make_incident):
    from django.apps import apps

    case = make_dispute()
    old = {
        "增加当事人：第三人": ("note", "party_added", {"role": "third_party"}, ""),
        "被申请人 拒绝调解 不想谈": (
            "consent", "consent", {"role": "respondent", "consent": "refused"}, "不想谈"),
        "延长10天（双方同意）：等待鉴定": ("extension", "extended", {"days": 10}, "等待鉴定"),
        "当事人拒绝调解（人民调解法 第十七条）。": (
            "transition", "refused", {"rule": "people_refusal"}, ""),
        "转办：责任单位由甲派出所变更为乙派出所。原调解员指派已结束，请接收单位重新指派。": (
            "note", "transferred", {"old": "甲派出所", "new": "乙派出所", "ended": True}, ""),
        "重新评估风险：35分（中）": (
            "note", "risk_reassessed", {"score": 35, "level": "medium"}, ""),
    }  # fmt: skip
    unknown = "指派主调解员：某某（人民调解员）。推荐理由：同一警务区"
    for sentence, (kind, *_rest) in old.items():
        CaseEvent.objects.create(case=case, at=timezone.now(), kind=kind, note=sentence)
    CaseEvent.objects.create(case=case, at=timezone.now(), kind="assignment", note=unknown)
    migration = _migration("disputes", "0002_timeline_messages")
    stored = {e.pk: e.note for e in CaseEvent.objects.filter(case=case)}

    migration.forwards(apps, None)
    for line in CaseEvent.objects.filter(case=case).exclude(kind="intake"):
        if stored[line.pk] == unknown:  # no pattern: kept as stored, shown as stored
            assert (line.message, line.params, line.note) == ("", {}, unknown)
            continue
        kind, message, params, note = old[stored[line.pk]]
        assert (line.kind, line.message, line.params, line.note) == (kind, message, params, note)
    with translation.override("en"):
        texts = [e.text for e in CaseEvent.objects.filter(case=case).exclude(message="")]
    assert texts and not any(CHINESE.search(t.replace("甲派出所", "").replace("乙派出所", ""))
                             for t in texts)  # fmt: skip

    migration.backwards(apps, None)
    assert {e.pk: e.note for e in CaseEvent.objects.filter(case=case)} == stored
    assert not CaseEvent.objects.filter(case=case).exclude(message="").exists()


def test_stored_incident_sentences_become_messages_and_come_back(make_incident):
    from django.apps import apps

    incident = make_incident()
    old = [
        ("reporter", "报警人补充了线索（附照片）：穿红色外套",
         "reporter_added", {"addition": "clue", "photo": True}, "穿红色外套"),
        ("survey", "报警人评价：基本满意", "survey", {"rating": "fairly"}, ""),
        ("category", "刑事/盗窃 → 刑事/诈骗", "category_changed",
         {"previous": ["刑事", "盗窃"], "category": ["刑事", "诈骗"]}, ""),
        ("note", "关联标准地址：阳头路12号", "address_linked", {"address": "阳头路12号"}, ""),
    ]  # fmt: skip
    for kind, sentence, *_rest in old:
        IncidentEvent.objects.create(incident=incident, at=timezone.now(), kind=kind, note=sentence)
    migration = _migration("incidents", "0006_timeline_messages")
    lines = IncidentEvent.objects.filter(incident=incident).exclude(kind="intake").order_by("pk")
    migration.forwards(apps, None)
    assert [(e.kind, e.note, e.message, e.params) for e in lines] == [
        (kind, note, message, params) for kind, _sentence, message, params, note in old
    ]
    with translation.override("en"):
        assert not any(CHINESE.search(e.text.replace("阳头路12号", "")) for e in lines.all())
    migration.backwards(apps, None)
    assert [(e.note, e.message) for e in lines.all()] == [(s, "") for _k, s, *_r in old]


# --- indicator names and units -------------------------------------------------------------


def test_seeded_indicators_read_in_english_and_typed_ones_as_typed(world, client):
    from django.urls import reverse

    from fengqiao.scoring.models import Indicator

    seeded = list(Indicator.objects.all())
    assert len(seeded) >= 12  # migration 0003's table
    Indicator.objects.create(code="own_rate", name="本所自定指标", unit="件", formula="",
                             manual=True, target=1, weight=1, levels=["station"])  # fmt: skip
    with translation.override("en"):
        for indicator in seeded:
            assert not CHINESE.search(indicator.label + indicator.unit_label), indicator.code
        own = Indicator.objects.get(code="own_rate")
        assert (own.label, own.unit_label) == ("本所自定指标", "件")
    client.force_login(chief(world))
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client.get(reverse("scoring:indicators"))
    html = page.content.decode()
    assert page.status_code == 200 and "Dispute resolution rate" in html
    for indicator in seeded:
        assert (f">{indicator.name}<" not in html and f"{indicator.unit}</td>" not in html) or (
            not CHINESE.search(indicator.unit)
        ), indicator.code
