"""人员批量导入, activation links and initial passwords, and 离岗交接 (deactivation with
hand-over of open work)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from fengqiao.accounts import services as account_services
from fengqiao.accounts.models import AccountActivation, StaffKind, User
from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.core.validators import id_number_check_character
from fengqiao.personnel import handover, imports
from fengqiao.personnel.models import StaffImport
from tests.conftest import PASSWORD, make_user

HEADERS = imports.TEMPLATE_HEADERS  # 姓名 身份证号 手机号 警号/工号 岗位 角色 所属单位 人员类别


def id_number(serial: int) -> str:
    """A valid ID number (a real birth date, the right check character)."""
    first17 = f"14050219850101{serial:03d}"
    return first17 + id_number_check_character(first17)


def row(n: int, *, unit: str = "甲派出所", role: str = "社区民警", **changes: str) -> list[str]:
    values = {
        "姓名": f"民警{n}", "身份证号": id_number(n), "手机号": f"139{n:08d}",
        "警号/工号": f"1400{n:02d}", "岗位": "社区民警", "角色": role, "所属单位": unit,
        "人员类别": "民警",
    }  # fmt: skip
    values.update({key.replace("_", "/"): value for key, value in changes.items()})
    return [values[h] for h in HEADERS]


def xlsx_file(tmp_path, rows: list[list[str]], headers: list[str] = HEADERS, name="staff.xlsx"):
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for values in rows:
        sheet.append(values)
    path = tmp_path / name
    book.save(path)
    return path


def upload(client, path, **form: str):
    with open(path, "rb") as handle:
        return client.post(reverse("personnel:import"), {"file": handle, **form})


@pytest.fixture
def chief(world):
    return world.a[Role.STATION_CHIEF]


def login(client, username: str, password: str) -> bool:
    """Through the login page (the lockout backend wants a request)."""
    response = client.post(reverse("accounts:login"), {"username": username, "password": password})
    return response.status_code == 302


def run_import(chief, path, **options):
    return imports.import_staff(actor=chief, path=path, name=path.name, **options)


def test_template_downloads_with_headers_example_and_drop_down_lists(client, chief, world):
    client.force_login(chief)
    response = client.get(reverse("personnel:template"))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]] == ["姓名", "身份证号", "手机号", "警号/工号", "岗位",
                                           "角色", "所属单位", "人员类别"]  # fmt: skip
    assert sheet["B2"].value == imports.EXAMPLE_ID_NUMBER
    assert sheet["B3"].number_format == "@"  # ID numbers stay text
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert "社区民警" in lists["F2"] and "管理员" not in lists["F2"]  # roles he may give
    assert "辅警" in lists["H2"]
    assert "社区民警" in lists["E2"]
    units = [c.value for c in book.worksheets[1]["A"]][1:]
    assert "甲派出所" in units and "乙派出所" not in units  # his own units only


def test_all_or_nothing_refuses_everything_on_one_bad_row(chief, tmp_path):
    bad = row(2, 身份证号=id_number(2)[:-1] + ("0" if id_number(2)[-1] != "0" else "1"))
    path = xlsx_file(tmp_path, [row(1), bad, row(3)])
    outcome = run_import(chief, path)
    assert outcome.accounts == []
    assert not User.objects.filter(full_name__in=["民警1", "民警3"]).exists()
    assert [(e.row, e.column) for e in outcome.report.errors] == [(3, "身份证号")]
    assert "校验位" in outcome.report.errors[0].reason
    assert len(outcome.run.rejects) == 3  # the whole file comes back, to fix and re-import


def test_good_rows_mode_creates_good_ones_and_rejects_file_has_reason_column(
    client, chief, tmp_path
):
    path = xlsx_file(tmp_path, [row(1), row(2, 所属单位="不存在的所"), row(3)])
    client.force_login(chief)
    response = upload(client, path, mode="good", credentials="password")
    assert response.status_code == 200
    names = User.objects.filter(full_name__startswith="民警").values_list("full_name", flat=True)
    assert set(names) == {"民警1", "民警3"}
    run = StaffImport.objects.get()
    rejects = client.get(reverse("personnel:rejects", args=[run.pk]))
    sheet = load_workbook(io.BytesIO(rejects.content)).worksheets[0]
    rows = list(sheet.values)
    assert list(rows[0]) == [*HEADERS, "未导入原因"]  # the file's own columns, then why
    assert len(rows) == 2 and rows[1][0] == "民警2"
    assert "找不到单位“不存在的所”" in rows[1][-1]
    # Fixed and imported again: the reason column is ignored.
    fixed = xlsx_file(tmp_path, [[*list(rows[1])[:-1]]], headers=list(rows[0]), name="fixed.xlsx")
    book = load_workbook(fixed)
    book.active["G2"] = "甲派出所"
    book.save(fixed)
    assert len(run_import(chief, fixed).accounts) == 1


def test_duplicate_id_number_names_both_rows_and_the_existing_account(chief, world, tmp_path):
    existing = make_user(Role.CASE_OFFICER, world.station_a, id_number=id_number(9),
                         full_name="老民警", username="old.one")  # fmt: skip
    path = xlsx_file(
        tmp_path, [row(1), row(2, 身份证号=id_number(1)), row(3, 身份证号=id_number(9))]
    )
    outcome = run_import(chief, path, mode="good")
    reasons = {e.row: e.reason for e in outcome.report.errors}
    assert "第 3 行" in reasons[2] and "第 2 行" in reasons[3]
    assert "老民警" in reasons[4] and existing.username in reasons[4]
    assert outcome.accounts == []


def test_gbk_csv_is_read(chief, tmp_path):
    path = tmp_path / "名册.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADERS)
    writer.writerow(row(1, 人员类别="辅警"))
    path.write_bytes(buffer.getvalue().encode("gbk"))
    outcome = run_import(chief, path)
    assert outcome.report.errors == []
    user = outcome.accounts[0].user
    assert (user.full_name, user.staff_kind, user.username) == (
        "民警1",
        StaffKind.AUXILIARY,
        "140001",
    )


def test_unit_outside_scope_and_role_not_allowed_are_refused(chief, world, tmp_path):
    path = xlsx_file(tmp_path, [row(1, 所属单位="乙派出所"), row(2, 角色="管理员")])
    outcome = run_import(chief, path, mode="good")
    reasons = {(e.row, e.column): e.reason for e in outcome.report.errors}
    assert "不在您的辖区内" in reasons[(2, "所属单位")]
    assert "只有管理员可以设置管理员" in reasons[(3, "角色")]
    assert outcome.accounts == []


def test_bureau_admin_cannot_open_a_province_admin(world, tmp_path):
    bureau_admin = make_user(Role.ADMIN, world.bureau)
    path = xlsx_file(tmp_path, [row(1, 所属单位="测试省公安厅", 角色="管理员")])
    outcome = imports.import_staff(actor=bureau_admin, path=path, name="x.xlsx")
    assert "不在您的辖区内" in outcome.report.errors[0].reason
    assert outcome.accounts == []


def test_a_title_row_above_the_headers_is_skipped_and_merged_headers_explained(chief, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["甲派出所人员名册", None, None])
    sheet.merge_cells("A1:C1")
    sheet.append(HEADERS)
    sheet.append(row(1))
    path = tmp_path / "titled.xlsx"
    book.save(path)
    assert run_import(chief, path).report.error_count == 0
    sheet.merge_cells("A2:B2")
    book.save(path)
    outcome = run_import(chief, path)
    assert "表头有合并单元格" in outcome.report.errors[0].reason
    assert outcome.accounts == []


def test_formula_cells_and_the_template_example_row_are_refused(chief, tmp_path):
    path = xlsx_file(
        tmp_path, [row(1, 姓名='=HYPERLINK("x")'), row(2, 身份证号=imports.EXAMPLE_ID_NUMBER)]
    )
    outcome = run_import(chief, path, mode="good")
    reasons = {e.row: e.reason for e in outcome.report.errors}
    assert "公式" in reasons[2]
    assert "示例行" in reasons[3]


def test_activation_link_is_single_use_and_expires(client, chief, tmp_path):
    outcome = run_import(chief, xlsx_file(tmp_path, [row(1), row(2)]), credentials="link")
    first, second = outcome.accounts
    assert not first.user.has_usable_password()
    assert AccountActivation.objects.filter(digest=first.secret).count() == 0  # only digests
    url = reverse("accounts:activate", args=[first.secret])
    assert client.get(url).status_code == 200
    new = "a-longer-Pass-2026"
    response = client.post(url, {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert login(client, first.user.username, new)
    client.logout()
    assert client.get(url).status_code == 410  # used
    AccountActivation.objects.filter(user=second.user).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert client.get(reverse("accounts:activate", args=[second.secret])).status_code == 410


def test_activation_enforces_the_password_validators(client, chief, tmp_path):
    outcome = run_import(chief, xlsx_file(tmp_path, [row(1)]), credentials="link")
    url = reverse("accounts:activate", args=[outcome.accounts[0].secret])
    response = client.post(url, {"new_password1": "12345678901", "new_password2": "12345678901"})
    assert response.status_code == 200
    assert not User.objects.get(pk=outcome.accounts[0].user.pk).has_usable_password()


def test_initial_password_forces_a_change_at_first_login(client, chief, tmp_path):
    outcome = run_import(chief, xlsx_file(tmp_path, [row(1)]), credentials="password")
    account = outcome.accounts[0]
    assert account.user.must_change_password
    assert login(client, account.user.username, account.secret)
    response = client.get(reverse("accounts:staff_list"))
    assert response.status_code == 302 and response["Location"] == reverse(
        "accounts:password_change"
    )
    new = "my-own-Secret-77"
    response = client.post(reverse("accounts:password_change"),
                           {"new_password1": new, "new_password2": new})  # fmt: skip
    assert response.status_code == 302
    assert not User.objects.get(pk=account.user.pk).must_change_password
    assert client.get(reverse("accounts:staff_list")).status_code == 200  # still logged in


def test_result_page_shows_secrets_once_and_the_list_downloads_once(client, chief, tmp_path):
    client.force_login(chief)
    response = upload(client, xlsx_file(tmp_path, [row(1)]), credentials="password")
    html = response.content.decode()
    assert response["Cache-Control"] == "no-store"
    sheet = re.search(r'name="sheet" value="([^"]+)"', html).group(1)
    run = StaffImport.objects.get()
    url = reverse("personnel:sheet", args=[run.pk])
    first = client.post(url, {"sheet": sheet})
    assert first.status_code == 200
    listed = list(load_workbook(io.BytesIO(first.content)).worksheets[0].values)
    assert listed[1][0] == "民警1" and listed[1][3] in html
    assert client.post(url, {"sheet": sheet}).status_code == 410
    later = client.get(reverse("personnel:result", args=[run.pk])).content.decode()
    assert listed[1][3] not in later  # never shown again
    stored = [*StaffImport.objects.values_list(), *AuditEvent.objects.values_list()]
    assert listed[1][3] not in str(stored)  # nor kept anywhere in clear
    created = User.objects.get(full_name="民警1")
    assert AuditEvent.objects.filter(object_type="accounts.user", object_id=str(created.pk),
                                     action="create").exists()  # fmt: skip


def test_a_non_manager_cannot_import(client, world, tmp_path):
    client.force_login(world.a[Role.COMMUNITY_OFFICER])
    assert upload(client, xlsx_file(tmp_path, [row(1)])).status_code == 403
    assert client.get(reverse("personnel:template")).status_code == 403
    assert not User.objects.filter(full_name="民警1").exists()


def test_another_importer_cannot_read_an_import(client, chief, world, tmp_path):
    run_import(chief, xlsx_file(tmp_path, [row(1, 所属单位="x")]))
    run = StaffImport.objects.get()
    client.force_login(world.b_chief)
    assert client.get(reverse("personnel:rejects", args=[run.pk])).status_code == 404


# --- 离岗交接 -----------------------------------------------------------------------------


@pytest.fixture
def mediation(world, make_dispute):
    """A case at station A mediated by the mediator account, and a colleague mediator."""
    from fengqiao.disputes.mediators import services as mediator_services

    chief = world.a[Role.STATION_CHIEF]
    leaving = world.a[Role.MEDIATOR]
    colleague = make_user(Role.MEDIATOR, world.station_a, full_name="接手调解员")
    profiles = {
        person: mediator_services.create_mediator(
            actor=chief,
            name=person.full_name,
            kind="peoples_mediator",
            jurisdiction=world.station_a,
            account=person,
        )
        for person in (leaving, colleague)
    }
    case = make_dispute()
    mediator_services.assign(actor=chief, case=case, mediator=profiles[leaving])
    return leaving, colleague, case, profiles


def test_deactivate_is_refused_while_open_work_has_no_successor(world, mediation):
    leaving, _colleague, _case, _profiles = mediation
    chief = world.a[Role.STATION_CHIEF]
    work = handover.open_work(user=chief, person=leaving)
    assert len(work.assignments) == 1
    with pytest.raises(Exception, match="请选择接手人"):
        handover.deactivate(actor=chief, person=leaving)
    leaving.refresh_from_db()
    assert leaving.is_active


def test_deactivate_with_hand_over_reassigns_open_work_and_keeps_history(client, world, mediation):
    from fengqiao.disputes.models import Assignment

    leaving, colleague, case, profiles = mediation
    chief = world.a[Role.STATION_CHIEF]
    client.force_login(chief)
    page = client.get(reverse("personnel:deactivate", args=[leaving.pk]))
    assert case.code in page.content.decode()
    response = client.post(reverse("personnel:deactivate", args=[leaving.pk]),
                           {"successor": colleague.pk, "reason": "调离"})  # fmt: skip
    assert response.status_code == 302
    leaving.refresh_from_db()
    assert not leaving.is_active and User.objects.filter(pk=leaving.pk).exists()
    current = Assignment.objects.get(case=case, ended_at__isnull=True)
    assert current.mediator == profiles[colleague]
    assert Assignment.objects.filter(case=case, mediator=profiles[leaving],
                                     ended_at__isnull=False).exists()  # history kept  # fmt: skip
    profiles[leaving].refresh_from_db()
    assert not profiles[leaving].available
    assert AuditEvent.objects.filter(object_type="accounts.user", object_id=str(leaving.pk),
                                     action="update", reason="调离").exists()  # fmt: skip


def test_deactivate_without_open_work_needs_no_successor(world):
    chief = world.a[Role.STATION_CHIEF]
    officer = world.a[Role.CASE_OFFICER]
    handover.deactivate(actor=chief, person=officer, reason="退休")
    officer.refresh_from_db()
    assert not officer.is_active


def test_deactivate_outside_scope_is_refused(client, world):
    client.force_login(world.a[Role.STATION_CHIEF])
    assert client.get(reverse("personnel:deactivate", args=[world.b_officer.pk])).status_code == 404


def test_initial_password_passes_the_validators():
    from django.contrib.auth.password_validation import validate_password

    for _ in range(20):
        validate_password(account_services.initial_password(), User(username="x", full_name="y"))


def test_an_existing_must_change_account_cannot_use_the_api(client, world):
    user = make_user(Role.CASE_OFFICER, world.station_a)
    User.objects.filter(pk=user.pk).update(must_change_password=True)
    assert login(client, user.username, PASSWORD)
    assert client.get("/api/v1/accounts/me").status_code == 403


def test_a_lost_activation_link_is_reissued_and_the_old_one_stops(client, chief, tmp_path):
    outcome = run_import(chief, xlsx_file(tmp_path, [row(1)]), credentials="link")
    account = outcome.accounts[0]
    client.force_login(chief)
    page = client.post(reverse("accounts:activation_issue", args=[account.user.pk]))
    link = re.search(r'<code class="secret">([^<]+)</code>', page.content.decode()).group(1)
    assert client.get(reverse("accounts:activate", args=[account.secret])).status_code == 410
    client.logout()
    assert client.get(link).status_code == 200


def test_the_edit_form_no_longer_deactivates_an_active_account(client, world):
    officer = world.a[Role.CASE_OFFICER]
    client.force_login(world.a[Role.STATION_CHIEF])
    page = client.get(reverse("accounts:staff_edit", args=[officer.pk])).content.decode()
    assert 'name="is_active"' not in page
    assert (
        reverse("personnel:deactivate", args=[officer.pk])
        in client.get(reverse("accounts:staff_detail", args=[officer.pk])).content.decode()
    )
