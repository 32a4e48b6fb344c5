"""The dispute pages: list, intake (with the prior-match panel), the case page and its
workflow buttons, screening rounds, the API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from fengqiao.core.roles import Role
from fengqiao.disputes.models import DisputeCase, ScreeningRound, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer_client(client, world):
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    return client


def intake_data(**overrides):
    data = {
        "source": "walk_in",
        "category": "neighbours",
        "track": "people",
        "narrative": "两户因公共楼道堆放杂物发生争吵。",
        "location_text": "阳头路12号",
        "amount": "",
        "parties-TOTAL_FORMS": "2",
        "parties-INITIAL_FORMS": "0",
        "parties-MIN_NUM_FORMS": "1",
        "parties-MAX_NUM_FORMS": "20",
        "parties-0-role": "applicant",
        "parties-0-kind": "person",
        "parties-0-name": "张三",
        "parties-0-phone": "13800001111",
        "parties-1-role": "respondent",
        "parties-1-kind": "person",
        "parties-1-name": "李四",
        "parties-1-phone": "13900002222",
    }
    data.update(overrides)
    return data


def test_intake_registers_and_shows_the_case(officer_client, world):
    response = officer_client.post(reverse("disputes:intake"), intake_data())
    case = DisputeCase.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{case.code}/")
    page = officer_client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert case.code in text and "两户因公共楼道" in text
    assert "13900002222" not in text  # phones masked
    assert case.parties.count() == 2


def test_intake_keeps_input_and_shows_errors_at_the_party(officer_client):
    response = officer_client.post(
        reverse("disputes:intake"), intake_data(**{"parties-1-phone": "12345", "category": ""})
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "两户因公共楼道" in text and 'value="12345"' in text
    assert not DisputeCase.objects.exists()


def test_intake_service_errors_come_back_at_the_party(officer_client):
    response = officer_client.post(
        reverse("disputes:intake"), intake_data(**{"parties-0-id_number": "110105194912310021"})
    )
    assert response.status_code == 422
    assert "110105194912310021" in response.content.decode()
    assert not DisputeCase.objects.exists()


def test_add_party_button_adds_a_form_without_saving(officer_client):
    response = officer_client.post(reverse("disputes:intake"), intake_data(add_party="1"))
    assert response.status_code == 200
    assert 'name="parties-2-name"' in response.content.decode()
    assert not DisputeCase.objects.exists()


def test_prior_panel_lists_earlier_cases_of_the_same_phone(officer_client, make_dispute):
    earlier = make_dispute()
    response = officer_client.post(reverse("disputes:prior"), intake_data())
    assert earlier.code in response.content.decode()


def test_list_filters_and_paginates(officer_client, make_dispute):
    for _ in range(3):
        make_dispute()
    make_dispute(category="labour")
    response = officer_client.get(reverse("disputes:list"), {"category": "labour"})
    assert response.status_code == 200
    assert response.content.decode().count("<tr>") == 2  # header + one row


def test_accept_refusal_is_shown_with_the_rule(officer_client, make_dispute):
    case = make_dispute(track="police", offence="推搡致轻微伤")
    response = officer_client.post(
        reverse("disputes:accept", args=[case.code]),
        {"version": case.version, "exclusions": ["gang"]},
    )
    assert response.status_code == 422
    assert "第三条" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Status.REGISTERED


def test_accept_then_suspend_from_the_page(officer_client, make_dispute):
    case = make_dispute()
    officer_client.post(reverse("disputes:accept", args=[case.code]), {"version": case.version})
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    response = officer_client.post(
        reverse("disputes:transition", args=[case.code]),
        {"version": case.version, "to_status": "suspended", "note": "一方外出务工"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == Status.SUSPENDED
    stale = officer_client.post(
        reverse("disputes:transition", args=[case.code]),
        {"version": case.version - 1, "to_status": "accepted"},
        follow=True,
    )
    assert "修改了这条记录" in stale.content.decode()


def test_other_station_gets_404(client, world, make_dispute):
    case = make_dispute()
    client.force_login(world.b_chief)
    assert client.get(reverse("disputes:detail", args=[case.code])).status_code == 404
    response = client.post(
        reverse("disputes:transition", args=[case.code]),
        {"version": case.version, "to_status": "withdrawn", "note": "申请人撤回"},
    )
    assert response.status_code == 404


def test_screening_round_and_its_disputes(officer_client, world):
    response = officer_client.post(
        reverse("disputes:screening"),
        {"title": "十一月邻里纠纷排查", "jurisdiction": world.district_a.pk,
         "started_on": "2026-11-01", "households_visited": "120"},
    )  # fmt: skip
    assert response.status_code == 302
    screening = ScreeningRound.objects.get()
    form = officer_client.get(reverse("disputes:intake"), {"round": screening.pk})
    assert "十一月邻里纠纷排查" in form.content.decode()
    officer_client.post(
        reverse("disputes:intake"),
        intake_data(source="screening", screening_round=screening.pk),
    )
    assert DisputeCase.objects.get().screening_round == screening


def test_a_mediator_neither_opens_nor_starts_a_screening_round(client, world):
    """排查 covers the station's ground; a mediator's scope is his cases."""
    from fengqiao.disputes import services

    mediator = world.a[Role.MEDIATOR]
    client.force_login(mediator)
    assert client.get(reverse("disputes:screening")).status_code == 403
    posted = {"title": "排查", "jurisdiction": world.district_a.pk, "started_on": "2026-11-01"}
    assert client.post(reverse("disputes:screening"), posted).status_code == 403
    with pytest.raises(PermissionDenied):
        services.create_screening_round(
            actor=mediator, jurisdiction=world.district_a, title="排查",
            started_on=dt.date(2026, 11, 1),
        )  # fmt: skip
    assert not ScreeningRound.objects.exists()


def test_incident_taken_over_from_the_intake_page(officer_client, world, make_incident):
    incident = make_incident(reporter_name="王五", reporter_phone="13700003333")
    page = officer_client.get(reverse("disputes:intake"), {"incident": incident.pk})
    assert "王五" in page.content.decode()
    officer_client.post(
        reverse("disputes:intake"), intake_data(source="incident", incident=incident.pk)
    )
    incident.refresh_from_db()
    assert incident.status == "to_dispute"
    assert DisputeCase.objects.get().source_incident == incident


def test_intake_from_an_incident_shows_the_reporters_phone_masked_and_keeps_it(
    officer_client, world, make_incident
):
    incident = make_incident(reporter_name="王五", reporter_phone="13700003333")
    page = officer_client.get(reverse("disputes:intake"), {"incident": incident.pk})
    body = page.content.decode()
    assert "13700003333" not in body
    assert "137****3333" in body
    officer_client.post(
        reverse("disputes:intake"),
        intake_data(source="incident", incident=incident.pk, **{
            "parties-0-name": "王五", "parties-0-phone": "",
        }),
    )  # fmt: skip
    reporter = DisputeCase.objects.get().parties.get(name="王五")
    assert reporter.phone == "13700003333"


def test_api_registers_lists_and_refuses_bad_input(officer_client):
    payload = {
        "source": "12348",
        "category": "labour",
        "narrative": "农民工讨要工资。",
        "location_text": "工地",
        "parties": [
            {"name": "工人甲", "role": "applicant", "phone": "13800001111"},
            {"name": "某建筑公司", "role": "respondent", "kind": "organisation"},
        ],
    }
    created = officer_client.post(
        "/api/v1/disputes/", json.dumps(payload), content_type="application/json"
    )
    assert created.status_code == 201, created.content
    code = created.json()["code"]
    assert officer_client.get("/api/v1/disputes/").json()[0]["code"] == code
    detail = officer_client.get(f"/api/v1/disputes/{code}").json()
    assert detail["parties"][0]["name_masked"] != "工人甲"
    payload["parties"] = []
    refused = officer_client.post(
        "/api/v1/disputes/", json.dumps(payload), content_type="application/json"
    )
    assert refused.status_code == 422 and "parties" in refused.json()["errors"]


def test_list_reminds_of_visits_due_this_week(officer_client, make_dispute):
    from django.utils import timezone

    from fengqiao.disputes.models import FollowUp

    case = make_dispute()
    DisputeCase.objects.filter(pk=case.pk).update(status=Status.RESOLVED)
    FollowUp.objects.create(case=case, due_on=timezone.localdate())
    later = make_dispute()
    DisputeCase.objects.filter(pk=later.pk).update(status=Status.RESOLVED)
    FollowUp.objects.create(case=later, due_on=timezone.localdate() + dt.timedelta(days=20))
    text = officer_client.get(reverse("disputes:list")).content.decode()
    reminders = text[text.index("本周待回访") : text.index("</div>", text.index("本周待回访"))]
    assert case.code in reminders and later.code not in reminders
