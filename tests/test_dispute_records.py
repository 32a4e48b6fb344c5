"""The mediation record: sittings, attachments (stored safely, judged by content, size
limits without reading), hand-offs (refer / transfer, accept / reject), the scoped
download and the record panel on the case page."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.files.uploadhandler import StopUpload
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.disputes import selectors, services
from fengqiao.disputes.models import (
    Assignment,
    Attachment,
    CaseEvent,
    DisputeCase,
    MediationSession,
    Mediator,
    MediatorKind,
    Referral,
    ReferralStatus,
    Status,
)
from fengqiao.disputes.records import services as records
from fengqiao.disputes.records.views import AttachmentLimitHandler, attachment_download

pytestmark = pytest.mark.django_db

GIGABYTE = 1024**3


def officer(world):
    return world.a[Role.COMMUNITY_OFFICER]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def accepted(world, make_dispute):
    # registered yesterday: a session a minute ago is never "before the registration day",
    # whenever (local midnight included) the test runs
    case = make_dispute(registered_at=timezone.now() - dt.timedelta(days=1))
    return services.accept_case(actor=officer(world), case=case, expected_version=case.version)


def add_session(world, case, **values):
    values.setdefault("held_at", timezone.now())  # never before the registration day
    values.setdefault("place", "甲派出所调解室")
    values.setdefault("attendees", "申请人、被申请人、调解员")
    values.setdefault("summary", "双方陈述了漏水经过，同意由物业查明漏水点。")
    return records.add_session(actor=values.pop("actor", officer(world)), case=case, **values)


def upload(world, case, name, content, content_type="application/octet-stream", **values):
    file = SimpleUploadedFile(name, content, content_type=content_type)
    return records.add_attachment(
        actor=values.pop("actor", officer(world)), case=case, upload=file, **values
    )


# --- sittings -------------------------------------------------------------------------


def test_session_is_recorded_with_a_timeline_line_and_an_audit_record(world, accepted):
    session = add_session(world, accepted)
    assert session.recorded_by == officer(world)
    event = CaseEvent.objects.get(case=accepted, kind="session")
    assert "甲派出所调解室" in event.text
    assert AuditEvent.objects.filter(
        object_type="disputes.mediationsession", object_id=str(session.pk), action="create"
    ).exists()


def test_session_is_refused_unless_mediation_is_under_way(world, make_dispute):
    registered = make_dispute()
    with pytest.raises(ValidationError, match="只有调解中"):
        add_session(world, registered)
    assert not MediationSession.objects.exists()


def test_session_in_the_future_is_refused_but_clock_drift_is_tolerated(world, accepted):
    with pytest.raises(ValidationError) as error:
        add_session(world, accepted, held_at=timezone.now() + dt.timedelta(minutes=10))
    assert "held_at" in error.value.message_dict
    add_session(world, accepted, held_at=timezone.now() + dt.timedelta(minutes=3))
    assert accepted.sessions.count() == 1


def test_session_before_registration_and_empty_fields_are_refused_together(world, accepted):
    with pytest.raises(ValidationError) as error:
        add_session(
            world,
            accepted,
            held_at=accepted.registered_at - dt.timedelta(days=2),
            place=" ",
            summary="",
        )
    assert {"held_at", "place", "summary"} <= set(error.value.message_dict)


def test_session_mediator_must_be_assigned_to_the_case(world, accepted):
    stranger = Mediator.objects.create(
        name="钱七", kind=MediatorKind.PEOPLES_MEDIATOR, jurisdiction=world.station_a
    )
    with pytest.raises(ValidationError) as error:
        add_session(world, accepted, mediator=stranger)
    assert "mediator" in error.value.message_dict
    Assignment.objects.create(case=accepted, mediator=stranger, assigned_by=officer(world))
    assert add_session(world, accepted, mediator=stranger).mediator == stranger


def test_session_outside_scope_is_refused(world, accepted):
    with pytest.raises(PermissionDenied):
        add_session(world, accepted, actor=world.b_chief)


# --- attachments ----------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def office_file(main: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types><Override PartName="/word/document.xml" '
            f'ContentType="{main}"/></Types>',
        )
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"


def test_attachment_is_stored_under_a_random_name_with_its_hash(world, accepted, settings):
    attachment = upload(
        world,
        accepted,
        "../../etc/现场\x00照片 <1>.pdf",
        PDF,
        content_type="text/html",
        description="报警回执",
    )
    stored = Path(attachment.file.path)
    assert stored.is_relative_to(Path(settings.MEDIA_ROOT))
    assert stored.read_bytes() == PDF
    assert "现场" not in stored.name and stored.suffix == ".pdf"
    assert attachment.sha256 == hashlib.sha256(PDF).hexdigest()
    assert attachment.size == len(PDF)
    # The type is what the content is, not what the browser claimed.
    assert attachment.content_type == "application/pdf"
    assert attachment.original_name == "现场照片 _1.pdf"
    assert AuditEvent.objects.filter(object_type="disputes.attachment", action="create").exists()


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("photo.jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg"),
        ("scan.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png"),
        ("pic.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        ("iphone.heic", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "image/heic"),
        ("talk.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio/mpeg"),
        ("raw.mp3", b"\xff\xfb\x90\x64\x00\x00\x00\x00", "audio/mpeg"),
        ("voice.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio/mp4"),
        ("scene.mp4", b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", "video/mp4"),
        (
            "iou.docx",
            office_file(DOCX_MAIN),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        (
            "list.xlsx",
            office_file(XLSX_MAIN),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("note.txt", "双方约定于月底前赔偿。\n".encode(), "text/plain; charset=utf-8"),
    ],
)
def test_allowed_formats_are_recognised_by_their_content(
    world, accepted, name, content, content_type
):
    attachment = upload(world, accepted, name, content)
    assert attachment.content_type == content_type


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("invoice.pdf", b"MZ\x90\x00\x03\x00\x00\x00"),  # a Windows program named as a PDF
        ("photo.jpg", b"\x7fELF\x02\x01\x01\x00"),
        ("tool", b"\xcf\xfa\xed\xfe\x07\x00\x00\x01"),
        ("notes.txt", b"#!/bin/sh\nrm -rf /\n"),
        ("setup.exe", PDF),  # refused by name whatever it holds
        ("run.bat", b"echo hello"),
        ("x.sh", b"echo hello"),
        ("app.js", b"alert(1)"),
        ("page.html", b"hello"),
        ("page.txt", b"<!DOCTYPE html><script>alert(1)</script>"),
    ],
)
def test_executables_and_scripts_are_refused_with_a_clear_reason(world, accepted, name, content):
    with pytest.raises(ValidationError) as error:
        upload(world, accepted, name, content, content_type="application/pdf")
    assert "可执行程序或脚本" in error.value.message_dict["file"][0]
    assert not Attachment.objects.exists()


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("macro.docx", office_file(DOCM_MAIN)),
        ("archive.zip", office_file("application/xml")),
        ("blob.dat", bytes(range(256))),
        ("latin1.txt", "café".encode("latin-1")),
    ],
)
def test_other_formats_are_refused_listing_what_is_allowed(world, accepted, name, content):
    with pytest.raises(ValidationError) as error:
        upload(world, accepted, name, content)
    assert "不支持的文件格式" in error.value.message_dict["file"][0]


class GigabyteUpload(UploadedFile):
    """An upload that says it is 1 GB and fails the test if anything reads it."""

    def __init__(self) -> None:
        super().__init__(file=None, name="scene.mp4", content_type="video/mp4", size=GIGABYTE)

    def read(self, *args, **kwargs):
        raise AssertionError("a 1 GB upload was read")

    def chunks(self, chunk_size=None):
        raise AssertionError("a 1 GB upload was read")

    def seek(self, *args, **kwargs):
        raise AssertionError("a 1 GB upload was touched")


def test_one_gigabyte_upload_is_refused_on_its_size_without_reading_it(world, accepted):
    with pytest.raises(ValidationError) as error:
        records.add_attachment(actor=officer(world), case=accepted, upload=GigabyteUpload())
    assert "20 MB" in error.value.message_dict["file"][0]
    assert not Attachment.objects.exists()


def test_size_limit_comes_from_settings_and_a_lying_size_is_caught(world, accepted, settings):
    settings.DISPUTES_ATTACHMENT_MAX_BYTES = 16
    with pytest.raises(ValidationError, match="上限"):
        upload(world, accepted, "big.pdf", PDF)
    liar = SimpleUploadedFile("big.pdf", PDF)
    liar.size = 10  # the sender claims less than he sends
    with pytest.raises(ValidationError, match="上限"):
        records.add_attachment(actor=officer(world), case=accepted, upload=liar)
    assert not Attachment.objects.exists()


def test_empty_file_is_refused(world, accepted):
    with pytest.raises(ValidationError, match="空"):
        upload(world, accepted, "empty.txt", b"")


def test_attachment_session_must_belong_to_the_case(world, accepted, make_dispute):
    other = make_dispute()
    other = services.accept_case(actor=officer(world), case=other, expected_version=other.version)
    with pytest.raises(ValidationError) as error:
        upload(world, accepted, "a.pdf", PDF, session=add_session(world, other))
    assert "session" in error.value.message_dict


def test_upload_handler_stops_reading_as_soon_as_the_limit_is_passed():
    handler = AttachmentLimitHandler(None, 100)
    assert handler.receive_data_chunk(b"x" * 60, 0) == b"x" * 60
    with pytest.raises(StopUpload) as stop:
        handler.receive_data_chunk(b"x" * 60, 60)
    assert stop.value.connection_reset and handler.exceeded


def test_upload_handler_refuses_a_gigabyte_body_before_reading_it():
    handler = AttachmentLimitHandler(None, 100)

    class Unreadable:
        def read(self, *args):
            raise AssertionError("the body was read")

    post, files = handler.handle_raw_input(Unreadable(), {}, GIGABYTE, b"x")
    assert handler.exceeded and not post and not files
    assert AttachmentLimitHandler(None, 100).handle_raw_input(None, {}, 500, b"x") is None


# --- download ---------------------------------------------------------------------------


def _download(user, case, attachment):
    request = RequestFactory().get("/")
    request.user = user
    return attachment_download(request, case.code, attachment.pk)


def test_download_streams_the_file_as_an_attachment_and_is_audited(world, accepted):
    attachment = upload(world, accepted, "协议.pdf", PDF)
    response = _download(world.a[Role.STATION_CHIEF], accepted, attachment)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(
        object_type="disputes.attachment", action="view", object_id=str(attachment.pk)
    ).exists()


def test_download_outside_scope_is_404_even_for_a_chief(world, accepted, make_dispute):
    attachment = upload(world, accepted, "协议.pdf", PDF)
    with pytest.raises(Http404):
        _download(world.b_chief, accepted, attachment)
    # Nor through another case's code that the user may read.
    mine = make_dispute()
    with pytest.raises(Http404):
        _download(officer(world), mine, attachment)
    assert not AuditEvent.objects.filter(object_type="disputes.attachment", action="view").exists()


def test_mediator_downloads_only_from_his_cases(world, accepted):
    attachment = upload(world, accepted, "协议.pdf", PDF)
    account = world.a[Role.MEDIATOR]
    with pytest.raises(Http404):
        _download(account, accepted, attachment)
    mediator = Mediator.objects.create(
        name="调解员甲",
        kind=MediatorKind.PEOPLES_MEDIATOR,
        jurisdiction=world.station_a,
        account=account,
    )
    Assignment.objects.create(case=accepted, mediator=mediator, assigned_by=officer(world))
    assert _download(account, accepted, attachment).status_code == 200


# --- referrals and transfers ------------------------------------------------------------


def test_referral_to_another_body_waits_then_closes_the_case_when_accepted(world, accepted):
    referral = records.refer(
        actor=officer(world),
        case=accepted,
        kind="refer",
        to_body="区劳动人事争议仲裁委员会",
        reason="属于劳动争议，应当仲裁。",
    )
    assert referral.status == ReferralStatus.PENDING
    assert DisputeCase.objects.get(pk=accepted.pk).status == Status.ACCEPTED
    records.respond(actor=officer(world), referral=referral, accept=True, response="已立案受理")
    case = DisputeCase.objects.get(pk=accepted.pk)
    assert case.status == Status.REFERRED and case.closed_at is not None
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACCEPTED and referral.responded_at
    assert CaseEvent.objects.filter(case=case, kind="referral").count() == 2


def test_rejected_referral_keeps_the_case_and_needs_a_reason(world, accepted):
    referral = records.refer(
        actor=officer(world),
        case=accepted,
        kind="refer",
        to_body="司法所",
        reason="涉及专业问题，请司法所调解。",
    )
    with pytest.raises(ValidationError) as error:
        records.respond(actor=officer(world), referral=referral, accept=False, response="")
    assert "response" in error.value.message_dict
    records.respond(
        actor=officer(world), referral=referral, accept=False, response="不属于本所受理范围，退回。"
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REJECTED
    assert referral.response == "不属于本所受理范围，退回。"
    assert DisputeCase.objects.get(pk=accepted.pk).status == Status.ACCEPTED
    with pytest.raises(ValidationError, match="已答复"):
        records.respond(actor=officer(world), referral=referral, accept=True, response="")


def test_one_pending_hand_off_at_a_time_and_each_needs_its_target(world, accepted):
    with pytest.raises(ValidationError) as error:
        records.refer(actor=officer(world), case=accepted, kind="refer", reason="短")
    assert {"to_body", "reason"} <= set(error.value.message_dict)
    with pytest.raises(ValidationError) as error:
        records.refer(
            actor=officer(world),
            case=accepted,
            kind="transfer",
            to_unit=world.district_a,
            reason="请本警务区办理。",
        )
    assert "to_unit" in error.value.message_dict  # it is the case's own unit
    with pytest.raises(ValidationError):
        records.refer(
            actor=officer(world),
            case=accepted,
            kind="transfer",
            to_unit=world.unit,
            reason="请刑侦大队办理。",
        )
    records.refer(
        actor=officer(world),
        case=accepted,
        kind="refer",
        to_body="法院",
        reason="当事人要求诉讼解决。",
    )
    with pytest.raises(ValidationError, match="等待答复"):
        records.refer(
            actor=officer(world),
            case=accepted,
            kind="refer",
            to_body="司法所",
            reason="再移交一次试试。",
        )


def test_transfer_is_answered_by_the_receiving_unit_which_then_owns_the_case(world, accepted):
    mediator = Mediator.objects.create(
        name="调解员甲", kind=MediatorKind.PEOPLES_MEDIATOR, jurisdiction=world.station_a
    )
    Assignment.objects.create(case=accepted, mediator=mediator, assigned_by=officer(world))
    referral = records.refer(
        actor=officer(world),
        case=accepted,
        kind="transfer",
        to_unit=world.district_b,
        reason="当事人均居住在乙所辖区。",
    )
    assert list(records.incoming_transfers(world.b_officer)) == [referral]
    assert not records.incoming_transfers(officer(world)).exists()
    # The referring side cannot accept on the receiver's behalf.
    with pytest.raises(PermissionDenied):
        records.respond(actor=officer(world), referral=referral, accept=True, response="")
    records.respond(actor=world.b_officer, referral=referral, accept=True, response="同意接收")
    case = DisputeCase.objects.get(pk=accepted.pk)
    assert case.jurisdiction == world.district_b and case.status == Status.ACCEPTED
    assert selectors.cases_for(world.b_officer).filter(pk=case.pk).exists()
    assert not selectors.cases_for(officer(world)).filter(pk=case.pk).exists()
    assert not case.assignments.filter(ended_at__isnull=True).exists()


def test_rejected_transfer_leaves_the_case_where_it_was(world, accepted):
    referral = records.refer(
        actor=officer(world),
        case=accepted,
        kind="transfer",
        to_unit=world.station_b,
        reason="纠纷发生地在乙所辖区。",
    )
    records.respond(
        actor=world.b_chief, referral=referral, accept=False, response="经核实发生地在甲所辖区。"
    )
    case = DisputeCase.objects.get(pk=accepted.pk)
    assert case.jurisdiction == world.district_a and case.status == Status.ACCEPTED


# --- pages ------------------------------------------------------------------------------


@pytest.fixture
def officer_client(client, world):
    client.force_login(officer(world))
    return client


def test_case_page_shows_the_record_panel_with_limits(officer_client, world, accepted):
    add_session(world, accepted)
    upload(world, accepted, "协议.pdf", PDF)
    response = officer_client.get(reverse("disputes:detail", args=[accepted.code]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "双方陈述了漏水经过" in page and "协议.pdf" in page
    assert "20 MB" in page
    assert reverse("disputes:records_session_add", args=[accepted.code]) in page


def test_session_form_posts_back_to_the_case(officer_client, world, accepted):
    url = reverse("disputes:records_session_add", args=[accepted.code])
    data = {
        "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "place": "调解室",
        "attendees": "双方当事人",
        "summary": "初次调解，双方各执一词。",
    }
    response = officer_client.post(url, data)
    assert response.status_code == 302
    assert accepted.sessions.count() == 1


def test_refused_session_form_comes_back_with_the_input(officer_client, world, accepted):
    url = reverse("disputes:records_session_add", args=[accepted.code])
    future = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = officer_client.post(
        url, {"held_at": future, "place": "调解室", "attendees": "双方", "summary": "留住这段输入"}
    )
    assert response.status_code == 422
    assert "留住这段输入" in response.content.decode()
    assert not accepted.sessions.exists()


def test_upload_page_refuses_an_executable_and_accepts_a_pdf(officer_client, world, accepted):
    url = reverse("disputes:records_attachment_add", args=[accepted.code])
    bad = SimpleUploadedFile("scan.pdf", b"MZ\x90\x00", content_type="application/pdf")
    response = officer_client.post(url, {"file": bad, "description": "扫描件"})
    assert response.status_code == 422
    assert "可执行程序或脚本" in response.content.decode()
    good = SimpleUploadedFile("scan.pdf", PDF, content_type="application/pdf")
    assert officer_client.post(url, {"file": good, "description": "扫描件"}).status_code == 302
    assert accepted.attachments.count() == 1


def test_upload_page_answers_an_oversized_body_with_413(officer_client, world, accepted, settings):
    settings.DISPUTES_ATTACHMENT_MAX_BYTES = 1024
    url = reverse("disputes:records_attachment_add", args=[accepted.code])
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * 200_000, content_type="application/pdf")
    response = officer_client.post(url, {"file": big})
    assert response.status_code == 413
    assert "上限" in response.content.decode()
    assert not Attachment.objects.exists()


def test_download_url_of_another_station_is_404(client, world, accepted):
    attachment = upload(world, accepted, "协议.pdf", PDF)
    client.force_login(world.b_chief)
    url = reverse("disputes:records_attachment_download", args=[accepted.code, attachment.pk])
    assert client.get(url).status_code == 404


def test_receiving_unit_answers_a_transfer_from_its_inbox(client, world, accepted):
    referral = records.refer(
        actor=officer(world),
        case=accepted,
        kind="transfer",
        to_unit=world.district_b,
        reason="当事人均居住在乙所辖区。",
    )
    client.force_login(world.b_officer)
    inbox = client.get(reverse("disputes:records_transfers"))
    assert inbox.status_code == 200 and accepted.code in inbox.content.decode()
    url = reverse("disputes:records_referral_respond", args=[referral.pk])
    refused = client.post(url, {"decision": "reject", "response": "", "back": "inbox"})
    assert refused.status_code == 422
    response = client.post(url, {"decision": "accept", "response": "接收", "back": "inbox"})
    assert response.status_code == 302
    assert response["Location"] == reverse("disputes:detail", args=[accepted.code])
    assert Referral.objects.get(pk=referral.pk).status == ReferralStatus.ACCEPTED
