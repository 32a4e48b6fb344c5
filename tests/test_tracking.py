"""阳光坐席: the reporter follows his incident on the public pages with the tracking code
and the last four digits of his phone — plain words, nobody else's data, guessing
throttled — adds clues and photos, and rates the handling once it is closed."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.incidents import codes, public, ratelimit, services
from fengqiao.incidents.models import (
    EventKind,
    Incident,
    IncidentEvent,
    ReporterAddition,
    Status,
    SurveyResponse,
)

PHONE = "13800001234"
REPORTER = "王小明"
DESCRIPTION = "报警人称邻居李四深夜在楼道里砸门吵闹。"
STAFF_NOTE = "民警向对门住户赵大妈了解了情况"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 32

TRACK = reverse("portal:track")
PROGRESS = reverse("portal:track_progress")
ADD = reverse("portal:track_add")
SURVEY = reverse("portal:track_survey")
LEAVE = reverse("portal:track_leave")


@pytest.fixture(autouse=True)
def _fresh_cache_and_media(settings, tmp_path):
    """Rate-limit counters live in the cache: every test starts with none. Photos go to
    a temporary media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def incident(world, make_incident) -> Incident:
    world.district_a.duty_phone = "0356-1234567"
    world.district_a.save()
    return make_incident(reporter_phone=PHONE, reporter_name=REPORTER, description=DESCRIPTION)


def step(incident: Incident, to_status: str, world, note: str = "") -> Incident:
    incident.refresh_from_db()
    services.transition(
        actor=world.a[Role.COMMAND_ROOM], incident=incident, to_status=to_status,
        expected_version=incident.version, note=note,
    )  # fmt: skip
    incident.refresh_from_db()
    return incident


def close(incident: Incident, world) -> Incident:
    step(incident, Status.HANDLED, world, note=STAFF_NOTE)
    return step(incident, Status.CLOSED, world, note="已调解，双方无异议")


def lookup(client: Client, code: str, last4: str, ip: str = "203.0.113.7"):
    return client.post(TRACK, {"code": code, "phone_last4": last4}, REMOTE_ADDR=ip)


def proven(client: Client, incident: Incident) -> Client:
    response = lookup(client, incident.tracking_code, PHONE[-4:])
    assert response.status_code == 302 and response.url == PROGRESS
    return client


def unknown_code() -> str:
    while True:
        code = codes.new_code()
        if not Incident.objects.filter(tracking_code=code).exists():
            return code


def wrong_check_character(code: str) -> str:
    from fengqiao.addresses.codes import ALPHABET

    return code[:-1] + next(ch for ch in ALPHABET if ch != code[-1])


def neutral(html: str, *codes_shown: str) -> str:
    """The page with what differs by nature blanked: CSRF tokens and the typed code."""
    html = re.sub(r'value="[A-Za-z0-9]{32,}"', 'value="TOKEN"', html)
    for code in codes_shown:
        html = html.replace(code, "CODE")
    return html


# --- Finding the incident ---------------------------------------------------------------


def test_the_right_pair_shows_progress_in_plain_words_with_the_unit_name(client, incident, world):
    step(incident, Status.DISPATCHED, world)
    page = proven(client, incident).get(PROGRESS)
    html = page.content.decode()
    assert page.status_code == 200
    assert "您的报警已登记，正在安排民警处理。" in html
    assert "已安排民警前往处理。" in html
    assert "当前进度：已派警" in html
    assert "甲派出所 · 甲一警务区" in html
    assert "0356-1234567" in html
    assert codes.grouped(incident.tracking_code) in html
    assert timezone.localtime(incident.received_at).strftime("%Y-%m-%d %H:%M") in html


def test_the_code_may_be_typed_loosely(client, incident):
    typed = codes.grouped(incident.tracking_code).lower()
    response = lookup(client, typed, " 1234 ")
    assert response.status_code == 302


def test_the_page_shows_nobody_and_no_staff_notes(client, incident, world, make_incident):
    other = make_incident(
        reporter_phone="13911112222", reporter_name="钱七", description="另一起：钱七的车被刮",
        location_text="书院街8号",
    )  # fmt: skip
    close(incident, world)
    proven(client, incident)
    client.post(ADD, {"kind": "clue", "text": "砸门的人穿红色外套"})
    html = client.get(PROGRESS).content.decode()
    assert "已办结。" in html
    for secret in (
        REPORTER, PHONE, "138****1234", DESCRIPTION, "李四", STAFF_NOTE, "赵大妈",
        "已调解，双方无异议", "砸门的人穿红色外套",  # the reporter's own clue text stays in
        incident.location_text, other.tracking_code, codes.grouped(other.tracking_code),
        "钱七", "13911112222", "书院街8号",
    ):  # fmt: skip
        assert secret not in html, secret
    for user in [*world.a.values(), world.b_chief, world.b_officer, world.admin]:
        assert user.username not in html and user.full_name not in html


def test_only_the_top_level_category_is_shown(client, incident, world):
    from fengqiao.incidents.models import Category

    top = Category.objects.create(code="T99", name="治安")
    sub = Category.objects.create(code="T99.1", name="噪音扰民", parent=top)
    services.confirm_category(
        actor=world.a[Role.COMMAND_ROOM], incident=incident, category=sub,
        expected_version=incident.version,
    )  # fmt: skip
    html = proven(client, incident).get(PROGRESS).content.decode()
    assert "治安" in html and "噪音扰民" not in html


def test_a_wrong_phone_and_an_unknown_code_get_identical_answers(client, incident):
    stranger = unknown_code()
    wrong_phone = lookup(client, incident.tracking_code, "9999")
    no_such_code = lookup(client, stranger, "1234")
    assert wrong_phone.status_code == no_such_code.status_code == 200
    assert "没有查到对应的警情" in wrong_phone.content.decode()
    assert neutral(wrong_phone.content.decode(), incident.tracking_code) == neutral(
        no_such_code.content.decode(), stranger
    )
    assert 'value="1234"' not in no_such_code.content.decode()  # the digits are not echoed


def test_both_misses_cost_one_query_and_no_audit_line(incident, django_assert_num_queries):
    before, stranger = AuditEvent.objects.count(), unknown_code()
    with django_assert_num_queries(1):
        assert public.find_for_reporter(incident.tracking_code, "9999") is None
    with django_assert_num_queries(1):
        assert public.find_for_reporter(stranger, "1234") is None
    assert AuditEvent.objects.count() == before


def test_a_wrong_check_character_is_refused_without_a_query(
    client, incident, django_assert_num_queries
):
    typo = wrong_check_character(incident.tracking_code)
    with django_assert_num_queries(0):
        assert public.find_for_reporter(typo, "1234") is None
    with django_assert_num_queries(0):
        response = lookup(client, typo, "1234")
    assert response.status_code == 200
    assert "查询码有误" in response.content.decode()


def test_an_incident_without_a_reporter_phone_cannot_be_found(client, make_incident):
    silent = make_incident(reporter_phone="")
    for last4 in ("", "0000", "    "):
        assert public.find_for_reporter(silent.tracking_code, last4) is None
    response = lookup(client, silent.tracking_code, "0000")
    assert response.status_code == 200 and PROGRESS not in response.get("Location", "")


def test_a_successful_lookup_is_audited_as_the_reporter(incident):
    assert public.find_for_reporter(incident.tracking_code, "1234") == incident
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.actor_id, event.actor_name, event.action) == (None, "reporter", "view")
    assert event.object_id == str(incident.pk)


# --- Throttling -----------------------------------------------------------------------


def test_after_five_failures_from_one_address_the_sixth_is_refused_even_when_right(
    client, incident, django_assert_max_num_queries
):
    for _ in range(5):
        assert lookup(client, incident.tracking_code, "0000", ip="198.51.100.9").status_code == 200
    with django_assert_max_num_queries(0):  # the pair is not even looked at
        limited = lookup(client, incident.tracking_code, "1234", ip="198.51.100.9")
    assert limited.status_code == 429
    assert "尝试次数过多" in limited.content.decode()
    assert lookup(client, incident.tracking_code, "1234", ip="198.51.100.10").status_code == 302


def test_an_unknown_code_counts_like_a_wrong_phone(client, incident):
    for _ in range(5):
        lookup(client, unknown_code(), "1234", ip="198.51.100.9")
    assert lookup(client, incident.tracking_code, "1234", ip="198.51.100.9").status_code == 429


def test_one_code_cannot_be_guessed_from_many_addresses(client, incident):
    for n in range(10):
        assert lookup(client, incident.tracking_code, "0000", ip=f"10.0.0.{n}").status_code == 200
    limited = lookup(client, incident.tracking_code, "1234", ip="10.0.1.1")
    assert limited.status_code == 429
    other = unknown_code()  # other codes from that address are not affected
    assert lookup(client, other, "1234", ip="10.0.1.1").status_code == 200


def test_the_limit_page_is_the_same_for_a_right_and_a_wrong_pair(client, incident):
    for _ in range(5):
        lookup(client, incident.tracking_code, "0000", ip="198.51.100.9")
    right = lookup(client, incident.tracking_code, "1234", ip="198.51.100.9")
    wrong = lookup(client, unknown_code(), "0000", ip="198.51.100.9")
    assert right.status_code == wrong.status_code == 429
    assert neutral(right.content.decode()) == neutral(wrong.content.decode())


def test_a_success_does_not_count_against_the_limits(client, incident):
    for _ in range(4):
        lookup(client, incident.tracking_code, "0000")
    for _ in range(3):
        assert lookup(client, incident.tracking_code, "1234").status_code == 302
    assert lookup(client, incident.tracking_code, "0000").status_code == 200
    assert lookup(client, incident.tracking_code, "1234").status_code == 429


def test_ipv6_clients_are_limited_per_64_network():
    assert ratelimit.client_subject("2001:db8:1:2::5") == ratelimit.client_subject(
        "2001:db8:1:2:ffff::1"
    )
    assert ratelimit.client_subject("2001:db8:1:3::5") != ratelimit.client_subject(
        "2001:db8:1:2::5"
    )
    assert ratelimit.client_subject("::ffff:192.0.2.1") == "192.0.2.1"
    assert ratelimit.client_subject(None) == "unknown"


def test_a_limit_window_closes(monkeypatch):
    limit = ratelimit.Limit("test", attempts=2, window=60)
    now = [1_000_000.0]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now[0])
    assert ratelimit.consume(limit, "x") and ratelimit.consume(limit, "x")
    assert not ratelimit.consume(limit, "x")
    assert ratelimit.is_limited(limit, "x")
    ratelimit.reset(limit, "x")
    assert not ratelimit.is_limited(limit, "x")


# --- The session ----------------------------------------------------------------------


def test_the_progress_page_needs_a_proof_in_this_session(client, incident):
    assert client.get(PROGRESS).url == TRACK
    assert client.post(ADD, {"kind": "clue", "text": "x"}).url == TRACK
    assert not ReporterAddition.objects.exists()


def test_leaving_forgets_the_proof(client, incident):
    proven(client, incident)
    assert client.post(LEAVE).url == TRACK
    assert client.get(PROGRESS).url == TRACK


def test_posts_need_the_csrf_token(incident):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(TRACK, {"code": incident.tracking_code, "phone_last4": "1234"})
    assert response.status_code == 403


# --- Additions ------------------------------------------------------------------------


def test_adding_a_clue_creates_an_addition_and_a_timeline_event(client, incident):
    proven(client, incident)
    response = client.post(ADD, {"kind": "clue", "text": "砸门的人<b>穿红色外套</b>"})
    assert response.status_code == 302 and response.url == PROGRESS
    addition = ReporterAddition.objects.get(incident=incident)
    assert (addition.kind, addition.text) == ("clue", "砸门的人穿红色外套")  # tags stripped
    event = IncidentEvent.objects.filter(incident=incident, kind=EventKind.REPORTER).get()
    assert event.actor is None and event.text == "报警人补充了线索"
    assert event.note == "砸门的人穿红色外套"  # the reporter's words, as typed
    audit = AuditEvent.objects.order_by("-seq").first()
    assert (audit.actor_id, audit.actor_name, audit.action) == (None, "reporter", "create")
    assert audit.scope_path == incident.jurisdiction.path
    html = client.get(PROGRESS).content.decode()
    assert "已收到您的补充" in html and "线索" in html


def test_a_real_photo_is_kept_under_a_name_of_ours(client, incident):
    proven(client, incident)
    photo = SimpleUploadedFile("../../etc/现场.php", PNG, content_type="text/html")
    assert client.post(ADD, {"kind": "photo", "text": "", "photo": photo}).status_code == 302
    addition = ReporterAddition.objects.get()
    assert re.fullmatch(r"incident-photos/\d{4}/\d{2}/[0-9a-f]{32}\.png", addition.photo.name)
    assert addition.photo.read() == PNG


@pytest.mark.parametrize(
    "content",
    [b"<html><script>alert(1)</script></html>", b"GIF89a" + b"\x00" * 20, b"RIFF1234WAVE"],
)
def test_a_photo_that_is_not_a_jpeg_png_or_webp_is_refused(client, incident, content):
    proven(client, incident)
    photo = SimpleUploadedFile("photo.jpg", content, content_type="image/jpeg")
    response = client.post(ADD, {"kind": "photo", "photo": photo})
    assert response.status_code == 200
    assert "只能上传JPG、PNG或WebP格式的照片" in response.content.decode()
    assert not ReporterAddition.objects.exists()


def test_a_photo_over_five_megabytes_is_refused(client, incident):
    proven(client, incident)
    photo = SimpleUploadedFile("big.png", PNG + b"\x00" * (5 * 1024 * 1024), "image/png")
    response = client.post(ADD, {"kind": "photo", "photo": photo})
    assert "照片不能超过5MB" in response.content.decode()
    assert not ReporterAddition.objects.exists()


def test_a_too_long_text_is_refused_and_what_was_typed_is_kept(client, incident):
    proven(client, incident)
    typed = "线" * 2001
    response = client.post(ADD, {"kind": "correction", "text": typed})
    html = response.content.decode()
    assert response.status_code == 200
    assert "最多 2000 字" in html
    assert typed in html and 'value="correction" selected' in html
    assert not ReporterAddition.objects.exists()
    assert not IncidentEvent.objects.filter(kind=EventKind.REPORTER).exists()


def test_a_clue_needs_text(client, incident):
    proven(client, incident)
    response = client.post(ADD, {"kind": "clue", "text": "  <p></p> "})
    assert "请填写内容" in response.content.decode()
    assert not ReporterAddition.objects.exists()


def test_additions_end_seven_days_after_closing(client, incident, world):
    close(incident, world)
    public.add_from_reporter(incident=incident, kind="clue", text="刚办结也可以补充")
    Incident.objects.filter(pk=incident.pk).update(
        status_changed_at=timezone.now() - dt.timedelta(days=8)
    )
    incident.refresh_from_db()
    with pytest.raises(ValidationError, match="超过7天"):
        public.add_from_reporter(incident=incident, kind="clue", text="太晚了")
    proven(client, incident)
    html = client.get(PROGRESS).content.decode()
    assert "不能再补充" in html and 'data-testid="addition-form"' not in html


def test_additions_are_limited_per_incident(client, incident):
    proven(client, incident)
    for n in range(ratelimit.ADDITIONS_BY_INCIDENT.attempts):
        assert client.post(ADD, {"kind": "clue", "text": f"线索{n}"}).status_code == 302
    response = client.post(ADD, {"kind": "clue", "text": "再来一条"})
    assert "太频繁" in response.content.decode()
    assert ReporterAddition.objects.count() == ratelimit.ADDITIONS_BY_INCIDENT.attempts


# --- The survey -----------------------------------------------------------------------


def test_the_survey_is_offered_only_after_closing(client, incident, world):
    proven(client, incident)
    assert 'data-testid="survey-form"' not in client.get(PROGRESS).content.decode()
    response = client.post(SURVEY, {"rating": "satisfied"})
    assert "办结后才能评价" in response.content.decode()
    assert not SurveyResponse.objects.exists()
    step(incident, Status.HANDLED, world)
    assert 'data-testid="survey-form"' not in client.get(PROGRESS).content.decode()


def test_the_survey_is_taken_once(client, incident, world):
    close(incident, world)
    proven(client, incident)
    assert 'data-testid="survey-form"' in client.get(PROGRESS).content.decode()
    response = client.post(SURVEY, {"rating": "fairly", "comment": "来得挺快<script>x</script>"})
    assert response.status_code == 302
    survey = SurveyResponse.objects.get(incident=incident)
    assert (survey.rating, survey.comment) == ("fairly", "来得挺快x")
    event = IncidentEvent.objects.get(incident=incident, kind=EventKind.SURVEY)
    assert event.actor is None and "基本满意" in event.text
    html = client.get(PROGRESS).content.decode()
    assert 'data-testid="survey-done"' in html and 'data-testid="survey-form"' not in html
    again = client.post(SURVEY, {"rating": "dissatisfied"})
    assert again.status_code == 200 and "您已经评价过了" in again.content.decode()
    assert SurveyResponse.objects.get(incident=incident).rating == "fairly"
    assert IncidentEvent.objects.filter(kind=EventKind.SURVEY).count() == 1


def test_the_survey_refuses_an_unknown_rating(incident, world):
    close(incident, world)
    with pytest.raises(ValidationError, match="请选择您的评价"):
        public.submit_survey(incident=incident, rating="great")


def test_the_duty_phone_is_the_nearest_one_set(world, places):
    world.district_a.duty_phone = ""
    world.district_a.save()
    assert public.public_unit(world.district_a) == {
        "name": "甲派出所 · 甲一警务区", "duty_phone": ""
    }  # fmt: skip
    world.station_a.duty_phone = "0356-110110"
    world.station_a.save()
    assert public.public_unit(world.district_a)["duty_phone"] == "0356-110110"
    places.room_a.duty_phone = "0356-7654321"
    places.room_a.save()
    assert public.public_unit(world.district_a)["duty_phone"] == "0356-7654321"
    assert public.public_unit(world.station_a) == {"name": "甲派出所", "duty_phone": "0356-110110"}
