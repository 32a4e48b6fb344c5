"""The first run: one administrator, the bureau and its divisions, once, from this machine."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from fengqiao.accounts.models import User
from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.setup import services
from fengqiao.setup.models import SetupRecord

pytestmark = pytest.mark.django_db

STRONG = "qiaotou-Lane-7781"
FORM = {
    "full_name": "王建国",
    "username": "wangjg",
    "password": STRONG,
    "password2": STRONG,
    "province": "140000",
    "city": "140500",
    "county": "140502",
    "townships": ["140502001", "140502003"],
    "bureau_name": "晋城市公安局城区分局",
}


@pytest.fixture(autouse=True)
def _first_run(settings):
    # As `fengqiao serve` runs it. Each test client loads its own middleware, so the
    # middleware's "done" memory starts afresh per test.
    settings.FENGQIAO_FIRST_RUN = True


def setup_via(client, **changes):
    return client.post("/setup/", {**FORM, **changes}, REMOTE_ADDR="127.0.0.1")


def test_setup_creates_divisions_with_codes_bureau_and_scoped_administrator(client):
    response = setup_via(client)
    assert response.status_code == 302 and response["Location"] == "/"
    province = Jurisdiction.objects.get(kind=Kind.PROVINCE, code="140000")
    city = Jurisdiction.objects.get(kind=Kind.CITY, code="140500", parent=province)
    county = Jurisdiction.objects.get(kind=Kind.COUNTY, code="140502", parent=city)
    assert (province.name, city.name, county.name) == ("山西省", "晋城市", "城区")
    townships = Jurisdiction.objects.filter(kind=Kind.TOWNSHIP, parent=county)
    assert sorted(townships.values_list("code", "name")) == [
        ("140502001", "东街街道"), ("140502003", "南街街道"),
    ]  # fmt: skip
    bureau = Jurisdiction.objects.get(kind=Kind.COUNTY_BUREAU)
    assert bureau.name == "晋城市公安局城区分局"
    assert bureau.parent.kind == Kind.CITY_BUREAU and bureau.parent.name == "晋城市公安局"
    assert bureau.parent.parent.kind == Kind.POLICE_DEPARTMENT
    assert bureau.parent.parent.name == "山西省公安厅"
    admin = User.objects.get()
    assert (admin.username, admin.role, admin.jurisdiction) == ("wangjg", Role.ADMIN, bureau)
    assert admin.check_password(STRONG)
    # logged in straight away
    assert client.get("/").status_code == 200


def test_setup_is_audited(client):
    setup_via(client)
    record = SetupRecord.objects.get()
    event = AuditEvent.objects.get(object_type="setup.setuprecord")
    assert event.action == "create" and event.object_id == str(record.pk)
    assert "晋城市公安局城区分局" in event.reason and "wangjg" in event.reason
    assert event.actor_name.startswith("setup")
    created = AuditEvent.objects.filter(object_type="jurisdictions.jurisdiction", action="create")
    assert created.count() == Jurisdiction.objects.count()
    assert AuditEvent.objects.filter(object_type="accounts.user", action="create").count() == 1


def test_setup_can_be_done_once_then_the_page_is_gone(client):
    setup_via(client)
    client.logout()
    assert client.get("/setup/", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert setup_via(client, username="second").status_code == 404
    assert client.get("/setup/place/?province=140000", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert User.objects.count() == 1
    # and nothing leads there any more
    assert client.get("/accounts/login/").status_code == 200
    with pytest.raises(ValidationError):
        services.complete_setup(username="x", full_name="x", password=STRONG,
                                county_code="140502", bureau_name="x")  # fmt: skip


def test_a_deployment_with_accounts_is_already_set_up(client, world):
    assert services.setup_done()
    assert client.get("/setup/", REMOTE_ADDR="127.0.0.1").status_code == 404


def test_before_setup_every_page_leads_to_it(client):
    for path in ("/", "/accounts/login/", "/jurisdictions/", "/registry/"):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/setup/", path
    htmx = client.get("/jurisdictions/", headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"] == "/setup/"
    assert client.get("/healthz").status_code == 200


def test_without_the_first_run_switch_nothing_is_redirected(client, settings):
    settings.FENGQIAO_FIRST_RUN = False
    assert client.get("/accounts/login/").status_code == 200


@pytest.mark.parametrize(
    "meta",
    [
        {"REMOTE_ADDR": "10.0.0.5"},
        {"REMOTE_ADDR": "192.168.1.20"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
    ],
)
def test_setup_refuses_other_machines(client, meta):
    assert client.get("/setup/", **meta).status_code == 403
    response = client.post("/setup/", FORM, **meta)
    assert response.status_code == 403
    assert "127.0.0.1" in response.content.decode()
    assert not User.objects.exists() and not Jurisdiction.objects.exists()


def test_setup_accepts_loopback(client):
    assert client.get("/setup/", REMOTE_ADDR="127.0.0.1").status_code == 200
    assert client.get("/setup/", REMOTE_ADDR="::1").status_code == 200


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short1A", "10"),  # too short
        ("1234567890123", "数字"),  # numeric only
        ("password1234", "常见"),  # common
        ("wangjg2024x", "相似"),  # like the username
    ],
)
def test_weak_passwords_are_refused_and_the_input_kept(client, password, fragment):
    response = setup_via(client, password=password, password2=password)
    assert response.status_code == 422
    page = response.content.decode()
    assert fragment in page
    assert 'value="王建国"' in page and 'value="晋城市公安局城区分局"' in page
    assert '<option value="140502" selected>' in page
    assert 'value="140502003"' in page and "checked" in page
    assert password not in page  # a refused password is typed again
    assert not User.objects.exists() and not Jurisdiction.objects.exists()


def test_other_mistakes_keep_the_password(client):
    response = setup_via(client, bureau_name="")
    assert response.status_code == 422
    assert f'value="{STRONG}"' in response.content.decode()


def test_mismatched_passwords(client):
    response = setup_via(client, password2=STRONG + "x")
    assert "两次输入的密码不一致" in response.content.decode()
    assert not User.objects.exists()


def test_place_selects_follow_the_choice_above(client):
    page = client.get("/setup/place/?province=140000", REMOTE_ADDR="127.0.0.1").content.decode()
    assert "晋城市" in page and "城区" not in page
    page = client.get(
        "/setup/place/?province=140000&city=140500", REMOTE_ADDR="127.0.0.1"
    ).content.decode()
    assert '<option value="140502">城区</option>' in page
    page = client.get(
        "/setup/place/?province=140000&city=140500&county=140502", REMOTE_ADDR="127.0.0.1"
    ).content.decode()
    assert "东街街道" in page
    # a county left over from another city is dropped
    page = client.get(
        "/setup/place/?province=140000&city=140100&county=140502", REMOTE_ADDR="127.0.0.1"
    ).content.decode()
    assert "东街街道" not in page


def test_a_municipality_has_no_city_level(client):
    response = setup_via(client, province="110000", city="", county="110105", townships=[],
                         bureau_name="北京市公安局朝阳分局")  # fmt: skip
    assert response.status_code == 302
    county = Jurisdiction.objects.get(kind=Kind.COUNTY, code="110105")
    assert county.parent.code == "110000"
    bureau = Jurisdiction.objects.get(kind=Kind.COUNTY_BUREAU)
    assert bureau.parent.kind == Kind.POLICE_DEPARTMENT and bureau.parent.name == "北京市公安局"


def test_townships_of_another_county_are_refused():
    with pytest.raises(ValidationError):
        services.complete_setup(username="wangjg", full_name="王建国", password=STRONG,
                                county_code="140502", township_codes=["140521100"],
                                bureau_name="城区分局")  # fmt: skip
    assert not Jurisdiction.objects.exists() and not SetupRecord.objects.exists()


def test_existing_division_nodes_are_reused(client):
    from fengqiao.jurisdictions.services import load_divisions

    load_divisions(actor=None, provinces=["140000"])
    before = Jurisdiction.objects.count()
    setup_via(client, townships=[])
    assert Jurisdiction.objects.count() == before + 3  # department, city bureau, bureau


def test_english_page(client):
    client.cookies["fengqiao_language"] = "en"
    page = client.get("/setup/", REMOTE_ADDR="127.0.0.1").content.decode()
    assert "First-run setup" in page
