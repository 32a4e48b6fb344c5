"""调解文书: each PDF read back with pypdf carries its legally required content in real,
extractable Chinese; documents the case cannot have are refused with the reason;
downloads are scoped and audited as exports of the parties' personal details."""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import quote

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.disputes import services
from fengqiao.disputes.documents import services as documents
from fengqiao.disputes.documents import views as document_views
from fengqiao.disputes.models import (
    AgreementForm,
    AgreementTerm,
    Assignment,
    FollowUp,
    JudicialConfirmation,
    MediationAgreement,
    MediationRoom,
    Mediator,
    MediatorKind,
    Party,
    Satisfaction,
    VisitOutcome,
)
from fengqiao.disputes.services import PartyInput

pytestmark = pytest.mark.django_db

COMMITTEE = "凤台社区人民调解委员会"


def pdf_text(content: bytes) -> str:
    """All text of the PDF, whitespace removed, so wrapped lines join again."""
    reader = PdfReader(io.BytesIO(content))
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def officer(world):
    return world.a[Role.COMMUNITY_OFFICER]


def local_today() -> dt.date:
    return timezone.localdate()


def give_details(case) -> tuple[Party, Party]:
    applicant = case.parties.get(role="applicant")
    respondent = case.parties.get(role="respondent")
    Party.objects.filter(pk=applicant.pk).update(
        ethnicity="汉族", occupation="退休教师", home_address="晋城市城区阳头路12号3单元502"
    )
    Party.objects.filter(pk=respondent.pk).update(
        gender="男", birth_date=dt.date(1980, 3, 7), ethnicity="回族", occupation="个体工商户",
        home_address="晋城市城区阳头路12号3单元602", id_number="140502198003070512",
    )  # fmt: skip
    applicant.refresh_from_db()
    respondent.refresh_from_db()
    return applicant, respondent


def assign(world, case, name: str = "王调解", *, account=None) -> Mediator:
    mediator = Mediator.objects.create(
        name=name, kind=MediatorKind.PEOPLES_MEDIATOR, jurisdiction=world.station_a,
        account=account,
    )  # fmt: skip
    Assignment.objects.create(case=case, mediator=mediator, lead=True)
    return mediator


def make_agreement(
    case, *, form=AgreementForm.WRITTEN, terms=True, signed=None, committee=COMMITTEE
):
    signed = signed or local_today() - dt.timedelta(days=2)
    agreement = MediationAgreement.objects.create(
        case=case, form=form, committee=committee, signed_on=signed, effective_on=signed,
        facts="楼上602卫生间水管渗漏，致楼下502天花板受损，双方多次争吵。",
        matters="维修费用由谁承担以及损失赔偿数额。",
        responsibilities="被申请人未及时维修水管，应承担主要责任。",
    )  # fmt: skip
    if terms:
        respondent = case.parties.get(role="respondent")
        AgreementTerm.objects.create(
            agreement=agreement, text="被申请人赔偿申请人天花板维修费一千二百元。",
            obligor=respondent, method="银行转账", due_on=signed + dt.timedelta(days=10),
        )  # fmt: skip
        AgreementTerm.objects.create(
            agreement=agreement, text="被申请人负责更换渗漏水管。",
            obligor=respondent, method="自行请工人上门维修", due_on=signed + dt.timedelta(days=20),
        )  # fmt: skip
    return agreement


def date_cn(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@pytest.fixture
def agreed(world, make_dispute):
    """A people's-mediation case with full party details, a mediator and a written
    agreement of two terms."""
    case = make_dispute()
    give_details(case)
    assign(world, case)
    make_agreement(case)
    return case


@pytest.fixture
def police_case(world, make_dispute):
    case = make_dispute(
        track="police", offence="殴打他人（情节较轻）", category="neighbours",
        party_list=[
            PartyInput(name="赵大", role="applicant", id_number="11010519491231002X"),
            PartyInput(name="钱小", role="respondent", birth_date=local_today().replace(
                year=local_today().year - 15) - dt.timedelta(days=30),
                guardian_name="钱父", guardian_present=True),
        ],
    )  # fmt: skip
    assign(world, case, "孙民警")
    make_agreement(case, committee="甲派出所")
    return case


# --- 人民调解协议书 ------------------------------------------------------------------------


def test_people_agreement_carries_every_required_item(agreed):
    text = pdf_text(documents.agreement_pdf(agreed))
    agreement = agreed.agreement
    assert text.startswith("人民调解协议书")
    assert f"案号：{agreed.code}" in text and f"人民调解委员会：{COMMITTEE}" in text
    # 当事人的基本情况: the full details, unmasked, on the document to be signed.
    for expected in (
        "申请人：张三", "姓名：张三", "性别：女", "出生日期：1949年12月31日", "民族：汉族",
        "职业：退休教师", "住所：晋城市城区阳头路12号3单元502", "公民身份号码：11010519491231002X",
        "被申请人：李四", "性别：男", "出生日期：1980年3月7日", "民族：回族", "职业：个体工商户",
        "公民身份号码：140502198003070512",
    ):  # fmt: skip
        assert expected in text, expected
    # 纠纷的主要事实、争议事项以及各方当事人的责任
    assert flat(agreement.facts) in text
    assert flat(agreement.matters) in text
    assert flat(agreement.responsibilities) in text
    # 当事人达成调解协议的内容，履行的方式、期限: every term with its method and deadline.
    for term in agreement.terms.all():
        assert flat(term.text) in text
        assert f"履行人：李四；履行方式：{term.method}；履行期限：{date_cn(term.due_on)}前" in text
    assert flat(documents.PEOPLE_EFFECT) in text
    assert "本协议一式三份，当事人各执一份，人民调解委员会留存一份。" in text
    # Signature, seal and thumbprint blocks.
    assert "当事人签名申请人：张三签名、盖章或按指印：" in text
    assert "被申请人：李四签名、盖章或按指印：" in text
    assert "人民调解员签名人民调解员：王调解签名：" in text
    assert f"人民调解委员会（印章）{COMMITTEE}{date_cn(agreement.signed_on)}" in text


def test_copies_are_one_per_party_plus_one_kept(world, agreed):
    services.add_party(
        actor=officer(world), case=agreed, data=PartyInput(name="周物业", role="third_party")
    )
    text = pdf_text(documents.agreement_pdf(agreed))
    assert "本协议一式四份，当事人各执一份，人民调解委员会留存一份。" in text
    assert "第三人：周物业签名、盖章或按指印：" in text


def test_missing_details_are_left_blank_for_the_pen_not_left_out(world, make_dispute):
    case = make_dispute()  # 李四 has no ID number, address or birth date
    make_agreement(case)
    text = pdf_text(documents.agreement_pdf(case))
    assert "被申请人：李四" in text
    assert f"出生日期：{documents.BLANK}" in text
    assert f"公民身份号码：{documents.BLANK}" in text
    assert f"人民调解员：{documents.BLANK}签名：" in text  # no mediator assigned yet


def test_an_organisation_party_shows_its_name_credit_code_and_representative(world, make_dispute):
    case = make_dispute(
        party_list=[
            PartyInput(name="张三", role="applicant"),
            PartyInput(name="晋城市安居物业服务有限公司", role="respondent", kind="organisation",
                       credit_code="91350100M000100Y43", representative="吴经理"),
        ]
    )  # fmt: skip
    make_agreement(case)
    text = pdf_text(documents.agreement_pdf(case))
    assert "名称：晋城市安居物业服务有限公司" in text
    assert "统一社会信用代码：91350100M000100Y43" in text
    assert "法定代表人或主要负责人：吴经理" in text


def test_chinese_is_real_text_in_the_embedded_noto_font(agreed):
    content = documents.agreement_pdf(agreed)
    reader = PdfReader(io.BytesIO(content))
    raw = "".join(page.extract_text() for page in reader.pages)
    # Every character comes back as itself: no replacement characters, no boxes.
    assert "\ufffd" not in raw and "□" not in raw
    cjk = [ch for ch in raw if "\u4e00" <= ch <= "\u9fff"]
    assert len(cjk) > 300
    fonts = {
        str(font["/BaseFont"])
        for page in reader.pages
        for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("NotoSansSC" in name for name in fonts)
    assert reader.metadata.title == f"人民调解协议书 {agreed.code}"


def test_the_document_is_chinese_even_for_an_english_user(agreed):
    from django.utils import translation

    with translation.override("en"):
        text = pdf_text(documents.agreement_pdf(agreed))
    assert "申请人：张三" in text and "Applicant" not in text


# --- 治安调解协议书 ------------------------------------------------------------------------


def test_police_agreement_has_its_own_title_and_clauses(police_case):
    text = pdf_text(documents.agreement_pdf(police_case))
    assert text.startswith("治安调解协议书")
    assert "人民调解协议书" not in text and flat(documents.PEOPLE_EFFECT) not in text
    assert "治安调解机关：甲派出所" in text and "主持人：孙民警" in text
    assert "申请人：赵大" in text and "被申请人：钱小" in text
    # A party under 16 took part with his guardian there: he is named as present.
    assert "其他在场人员：钱父（钱小的监护人，到场）" in text
    assert "案件发生时间、地点、人员、起因、经过、情节、结果等情况" in text
    assert "发生地点：阳头路12号3单元502" in text and "涉及人员：赵大、钱小" in text
    assert "违反治安管理行为：殴打他人（情节较轻）" in text
    assert flat(police_case.agreement.facts) in text
    for term in police_case.agreement.terms.all():
        assert f"履行人：钱小；履行期限：{date_cn(term.due_on)}前；履行方式：{term.method}" in text
    assert flat(documents.POLICE_CONSEQUENCE) in text and "治安管理处罚法》第九条" in text
    assert flat(documents.POLICE_EFFECT) in text
    assert "本协议书一式三份，双方当事人各执一份，治安调解机关留存一份备查。" in text
    assert "主持人签名主持人：孙民警签名：" in text
    assert "赵大签名（捺指印）：" in text and "钱小签名（捺指印）：" in text
    assert "其他参加人：钱父签名（捺指印）：" in text
    assert "治安调解机关（印章）甲派出所" in text


def test_police_case_offers_only_its_agreement(police_case):
    offers = documents.document_offers(police_case)
    assert [(o.kind, o.label, o.available) for o in offers] == [
        (documents.AGREEMENT, "治安调解协议书", True)
    ]
    with pytest.raises(ValidationError, match="治安调解不使用人民调解申请书"):
        documents.application_pdf(police_case)
    with pytest.raises(ValidationError, match="治安调解协议不能申请司法确认"):
        documents.confirmation_pdf(police_case)


# --- refusals ---------------------------------------------------------------------------


def test_a_case_without_an_agreement_is_refused(make_dispute):
    case = make_dispute()
    with pytest.raises(ValidationError, match="尚未登记调解协议"):
        documents.agreement_pdf(case)
    with pytest.raises(ValidationError, match="尚未登记调解协议"):
        documents.confirmation_pdf(case)


def test_a_written_agreement_without_terms_is_refused(make_dispute):
    case = make_dispute()
    make_agreement(case, terms=False)
    with pytest.raises(ValidationError, match="履行方式、期限"):
        documents.agreement_pdf(case)


def test_an_oral_agreement_has_no_agreement_document(make_dispute):
    case = make_dispute()
    make_agreement(case, form=AgreementForm.ORAL)
    with pytest.raises(ValidationError, match="口头协议"):
        documents.agreement_pdf(case)


# --- 人民调解申请书 ------------------------------------------------------------------------


def test_application_form_is_made_from_the_case_at_intake(world, make_dispute):
    MediationRoom.objects.create(
        jurisdiction=world.station_a, name="甲所调解室", committee=COMMITTEE
    )
    case = make_dispute(amount="1200")
    text = pdf_text(documents.application_pdf(case))
    registered = timezone.localtime(case.registered_at).date()
    assert text.startswith("人民调解申请书") and f"案号：{case.code}" in text
    assert "当事人基本情况申请人：张三" in text and "公民身份号码：11010519491231002X" in text
    assert "联系电话：13800001111" in text
    assert "被申请人：李四" in text and "联系电话：13900002222" in text
    assert "纠纷事实及申请事项" in text and "纠纷类别：邻里" in text
    assert "涉及金额：1200.00元" in text and flat(case.narrative) in text
    assert f"请求{COMMITTEE}依法主持调解" in text
    assert f"此致{COMMITTEE}" in text
    assert f"申请人：张三签名或按指印：{date_cn(registered)}" in text
    assert "第三人" not in text


# --- 司法确认申请书 ------------------------------------------------------------------------


def test_confirmation_application_names_both_applicants_the_agreement_and_the_request(agreed):
    agreement = agreed.agreement
    JudicialConfirmation.objects.create(
        agreement=agreement, court="晋城市城区人民法院", applied_on=local_today()
    )
    text = pdf_text(documents.confirmation_pdf(agreed))
    assert text.startswith("司法确认申请书")
    assert "申请人：张三" in text and "申请人：李四" in text
    assert "公民身份号码：11010519491231002X" in text and "公民身份号码：140502198003070512" in text
    assert f"于{date_cn(agreement.signed_on)}经{COMMITTEE}主持调解，达成调解协议" in text
    assert f"该协议于{date_cn(agreement.effective_on)}生效" in text
    for term in agreement.terms.all():
        assert flat(term.text) in text and term.method in text
    assert "请求人民法院确认上述调解协议有效。" in text
    assert "申请人于调解协议生效之日起三十日内共同向人民法院提出本申请" in text
    assert "民事诉讼法》第二百零五条" in text
    assert "此致晋城市城区人民法院" in text
    today = date_cn(local_today())
    assert f"申请人：张三签名（盖章）或按指印：{today}" in text
    assert f"申请人：李四签名（盖章）或按指印：{today}" in text


def test_confirmation_application_after_thirty_days_is_refused(make_dispute):
    case = make_dispute()
    make_agreement(case, signed=local_today() - dt.timedelta(days=31))
    with pytest.raises(ValidationError, match="期限已于"):
        documents.confirmation_pdf(case)
    # The thirtieth day is still in time.
    MediationAgreement.objects.filter(case=case).update(
        effective_on=local_today() - dt.timedelta(days=30)
    )
    case.refresh_from_db()
    assert documents.confirmation_pdf(case).startswith(b"%PDF")


def test_an_application_made_in_time_still_prints_later(make_dispute):
    case = make_dispute()
    agreement = make_agreement(case, signed=local_today() - dt.timedelta(days=60))
    JudicialConfirmation.objects.create(
        agreement=agreement, court="晋城市城区人民法院",
        applied_on=agreement.effective_on + dt.timedelta(days=29),
    )  # fmt: skip
    case.refresh_from_db()
    text = pdf_text(documents.confirmation_pdf(case))
    applied = date_cn(agreement.effective_on + dt.timedelta(days=29))
    assert f"申请人：张三签名（盖章）或按指印：{applied}" in text


# --- 回访记录 ------------------------------------------------------------------------------


def test_follow_up_record_has_the_visit_and_names_only(world, agreed):
    visit = FollowUp.objects.create(
        case=agreed, due_on=local_today(), done_at=timezone.now(), method="电话回访",
        visitor=officer(world), outcome=VisitOutcome.PERFORMING,
        satisfaction=Satisfaction.SATISFIED, note="维修费已支付，水管下周更换。",
    )  # fmt: skip
    text = pdf_text(documents.follow_up_pdf(visit))
    assert text.startswith("回访记录") and f"案号：{agreed.code}" in text
    assert "当事人：申请人张三；被申请人李四。" in text
    assert "达成书面协议，共2项" in text and "银行转账" in text and "待履行" in text
    assert "回访方式：电话回访" in text and f"回访人：{officer(world).full_name}" in text
    assert "回访结果：正在履行" in text and "满意度：满意" in text
    assert "维修费已支付，水管下周更换。" in text
    assert "回访人签名" in text and "被回访人签名申请人：张三签名或按指印：" in text
    assert "11010519491231002X" not in text  # a visit record names, it does not identify


def test_a_visit_not_yet_done_has_no_record(agreed):
    visit = FollowUp.objects.create(case=agreed, due_on=local_today())
    with pytest.raises(ValidationError, match="尚未记录"):
        documents.follow_up_pdf(visit)


# --- the service: who may print, and the audit ---------------------------------------------


def test_printing_is_audited_as_an_export_of_the_personal_fields(world, agreed):
    before = AuditEvent.objects.count()
    printed = documents.print_document(actor=officer(world), case=agreed, kind=documents.AGREEMENT)
    assert printed.content.startswith(b"%PDF")
    assert printed.filename == f"mediation-agreement-{agreed.code}.pdf"
    assert printed.display_name == f"人民调解协议书-{agreed.code}.pdf"
    event = AuditEvent.objects.order_by("-seq").first()
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "export" and event.reason == "打印调解协议书"
    assert event.actor_id == officer(world).pk and event.object_id == str(agreed.pk)
    assert {"name", "id_number", "home_address", "birth_date"} <= set(event.fields)
    assert sorted(event.object_ids) == sorted(f"party:{p.pk}" for p in agreed.parties.all())


def test_a_refused_document_is_not_audited(world, make_dispute):
    case = make_dispute()
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError):
        documents.print_document(actor=officer(world), case=case, kind=documents.AGREEMENT)
    assert AuditEvent.objects.count() == before


def test_only_those_who_work_the_case_may_print(world, agreed):
    with pytest.raises(PermissionDenied):  # reads records, does not handle disputes
        documents.print_document(
            actor=world.a[Role.CASE_OFFICER], case=agreed, kind=documents.AGREEMENT
        )
    with pytest.raises(PermissionDenied):  # a mediator not on the case
        documents.print_document(
            actor=world.a[Role.MEDIATOR], case=agreed, kind=documents.AGREEMENT
        )
    assign(world, agreed, "甲所调解员", account=world.a[Role.MEDIATOR])
    printed = documents.print_document(
        actor=world.a[Role.MEDIATOR], case=agreed, kind=documents.AGREEMENT
    )
    assert printed.content.startswith(b"%PDF")


def test_a_visit_of_another_case_is_refused(world, agreed, make_dispute):
    other = make_dispute()
    visit = FollowUp.objects.create(case=other, due_on=local_today(), done_at=timezone.now())
    with pytest.raises(ValidationError):
        documents.print_document(
            actor=officer(world), case=agreed, kind=documents.FOLLOW_UP, follow_up=visit
        )


# --- the downloads -----------------------------------------------------------------------


def test_download_is_a_pdf_with_an_ascii_and_a_chinese_name_and_is_audited(client, world, agreed):
    client.force_login(officer(world))
    before = AuditEvent.objects.filter(action="export").count()
    response = client.get(reverse("disputes:document_agreement", args=[agreed.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment; ")
    assert f'filename="mediation-agreement-{agreed.code}.pdf"' in disposition
    assert f"filename*=UTF-8''{quote(f'人民调解协议书-{agreed.code}.pdf')}" in disposition
    assert disposition.isascii()
    assert "申请人：张三" in pdf_text(response.content)
    assert AuditEvent.objects.filter(action="export", reason="打印调解协议书").count() == before + 1


@pytest.mark.parametrize(
    "name", ["document_agreement", "document_application", "document_confirmation"]
)
def test_another_stations_chief_gets_404_and_nothing_is_recorded(client, world, agreed, name):
    client.force_login(world.b_chief)
    before = AuditEvent.objects.filter(action="export").count()
    response = client.get(reverse(f"disputes:{name}", args=[agreed.code]))
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="export").count() == before


def test_each_document_downloads(client, world, agreed):
    visit = FollowUp.objects.create(
        case=agreed, due_on=local_today(), done_at=timezone.now(), method="上门",
        outcome=VisitOutcome.STABLE, satisfaction=Satisfaction.BASIC,
    )  # fmt: skip
    client.force_login(officer(world))
    for url, title in (
        (reverse("disputes:document_application", args=[agreed.code]), "人民调解申请书"),
        (reverse("disputes:document_confirmation", args=[agreed.code]), "司法确认申请书"),
        (reverse("disputes:document_follow_up", args=[agreed.code, visit.pk]), "回访记录"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert pdf_text(response.content).startswith(title)


def test_follow_up_download_of_another_cases_visit_is_404(client, world, agreed, make_dispute):
    other = make_dispute()
    visit = FollowUp.objects.create(case=other, due_on=local_today(), done_at=timezone.now())
    client.force_login(officer(world))
    response = client.get(reverse("disputes:document_follow_up", args=[agreed.code, visit.pk]))
    assert response.status_code == 404


def test_a_refused_download_goes_back_to_the_case_with_the_reason(client, world, make_dispute):
    case = make_dispute()
    client.force_login(officer(world))
    response = client.get(reverse("disputes:document_agreement", args=[case.code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("disputes:detail", args=[case.code])
    notes = [str(m) for m in response.wsgi_request._messages]
    assert any("尚未登记调解协议" in note for note in notes)


def test_a_reader_who_does_not_handle_disputes_may_not_download(client, world, agreed):
    client.force_login(world.a[Role.CASE_OFFICER])
    response = client.get(reverse("disputes:document_agreement", args=[agreed.code]))
    assert response.status_code == 403


# --- the panel ---------------------------------------------------------------------------


def _panel(user, case):
    request = RequestFactory().get("/")
    request.user = user
    return document_views.panel(request, case, {})


def test_panel_offers_what_the_case_state_allows(world, make_dispute):
    case = make_dispute()
    context = _panel(officer(world), case)
    offers = {o["label"]: o for o in context["documents_offers"]}
    assert offers["人民调解申请书"]["url"] == reverse(
        "disputes:document_application", args=[case.code]
    )
    assert (
        offers["人民调解协议书"]["url"] == "" and "尚未登记" in offers["人民调解协议书"]["problem"]
    )
    assert offers["司法确认申请书"]["url"] == ""
    assert context["documents_visits"] == []

    make_agreement(case)
    FollowUp.objects.create(case=case, due_on=local_today())  # planned, not done
    done = FollowUp.objects.create(
        case=case, due_on=local_today(), done_at=timezone.now(), outcome=VisitOutcome.STABLE
    )
    case.refresh_from_db()
    context = _panel(officer(world), case)
    assert all(o["url"] for o in context["documents_offers"])
    assert [v["url"] for v in context["documents_visits"]] == [
        reverse("disputes:document_follow_up", args=[case.code, done.pk])
    ]


def test_panel_renders_links_and_tells_readers_they_cannot_print(world, agreed):
    from django.template.loader import render_to_string

    html = render_to_string("disputes/_panel_documents.html", _panel(officer(world), agreed))
    assert reverse("disputes:document_agreement", args=[agreed.code]) in html
    assert "审计" in html
    html = render_to_string(
        "disputes/_panel_documents.html", _panel(world.a[Role.CASE_OFFICER], agreed)
    )
    assert "只有承办本案的人员可以打印文书" in html and "href" not in html


def test_the_case_page_shows_the_documents_panel(client, world, agreed):
    client.force_login(officer(world))
    response = client.get(reverse("disputes:detail", args=[agreed.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="documents"' in page
    assert reverse("disputes:document_agreement", args=[agreed.code]) in page
    assert reverse("disputes:document_confirmation", args=[agreed.code]) in page


def test_lines_never_start_with_closing_punctuation_nor_split_an_id_number(world, make_dispute):
    case = make_dispute(
        party_list=[
            PartyInput(name="张三", role="applicant", id_number="11010519491231002X",
                       home_address="晋城市城区凤台街道阳头路十二号院三号楼三单元五〇二室"),
            PartyInput(name="李四", role="respondent", id_number="140502198003070512",
                       home_address="晋城市城区阳头路12号"),
        ]
    )  # fmt: skip
    make_agreement(case)
    reader = PdfReader(io.BytesIO(documents.agreement_pdf(case)))
    lines = [line.strip() for page in reader.pages for line in page.extract_text().splitlines()]
    assert not [line for line in lines if line[:1] in set("，。、；：）》")]
    assert any("11010519491231002X" in line for line in lines)
    assert any("140502198003070512" in line for line in lines)
