"""台账导入导出: mapping, dry run, all-or-nothing commit, hostile files, scope, export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import struct
import time
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import Workbook, load_workbook

from fengqiao.addresses import services as address_services
from fengqiao.addresses.models import StandardAddress
from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.core.validators import id_number_check_character, uscc_check_character
from fengqiao.registry import imports, population, tasks
from fengqiao.registry.import_models import ImportStatus
from fengqiao.registry.models import (
    DistrictPopulation,
    House,
    Organisation,
    Person,
    Relation,
    Residence,
)

PEOPLE_HEADERS = ["姓名", "公民身份号码", "联系电话", "人口类别", "标准地址编码", "与房屋关系",
                  "迁入日期"]  # fmt: skip


def id_number(n: int) -> str:
    first17 = f"14050219800101{n:03d}"
    return first17 + id_number_check_character(first17)


def uscc(n: int) -> str:
    first17 = f"91140502MA{n:07d}"
    return first17 + uscc_check_character(first17)


def write_csv(path: Path, rows: list[list[object]], encoding: str = "utf-8-sig") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[list[object]], merge: str = "") -> Path:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    if merge:
        sheet.merge_cells(merge)
    workbook.save(path)
    return path


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def chief(world):
    return world.a[Role.STATION_CHIEF]


@pytest.fixture
def addresses(places):
    """Three addresses in station A's scope (the first with a house) and one in B's."""

    def make(community, road, door):
        return address_services.create_address(
            actor=None, community=community, road=road, door_number=door
        )

    a1 = make(places.community_a, "阳头路", "1")
    House.objects.create(address=a1)
    return {
        "a": [a1, make(places.community_a, "阳头路", "2"), make(places.community_a, "阳头路", "3")],
        "b": make(places.community_b, "书院街", "9"),
    }


def people_rows(addresses, count: int = 3) -> list[list[object]]:
    rows: list[list[object]] = [PEOPLE_HEADERS]
    for n in range(count):
        code = addresses["a"][n % 3].code
        rows.append([f"居民{n}", id_number(n), f"1380000{n:04d}", "户籍人口", code, "家庭成员",
                     "2024/5/1"])  # fmt: skip
    return rows


def run(kind, path, user, mapping=None):
    headers = imports.read_headers(path)
    mapping = mapping if mapping is not None else imports.propose_mapping(kind, headers)
    report = imports.validate_file(kind=kind, path=path, mapping=mapping, user=user)
    if report.ok:
        return imports.commit_file(kind=kind, path=path, mapping=mapping, user=user)
    return report


# --- Valid files of each kind ---------------------------------------------------------------


def test_a_valid_people_file_imports_every_row_with_one_audit_event(chief, world, addresses,
                                                                     tmp_path):  # fmt: skip
    path = write_csv(tmp_path / "people.csv", people_rows(addresses, 6))
    population.recount()  # every district counted (none lives anywhere yet)
    before = AuditEvent.objects.count()
    report = run("people", path, chief)
    assert report.committed and report.created == 6 and report.error_count == 0
    assert Person.objects.count() == 6
    person = Person.objects.get(id_number=id_number(0))
    assert person.police_district == world.district_a
    assert person.household_type == "registered"
    residence = Residence.objects.get(person=person)
    assert residence.relation == Relation.FAMILY and residence.moved_in == dt.date(2024, 5, 1)
    assert report.houses_created == 2  # addresses 2 and 3 had no house yet
    # the new people were added to their district's stored 实有人口
    assert DistrictPopulation.objects.get(district=world.district_a).residents == 6
    assert population.residents_by_district(world.district_a) == {world.district_a.pk: 6}
    events = AuditEvent.objects.filter(seq__gt=before)
    assert events.count() == 1
    event = events.get()
    assert (event.action, event.object_type, event.reason) == ("create", "registry.person",
                                                               "people.csv")  # fmt: skip
    assert event.object_repr == "导入 6 条"
    # A person created afterwards by the ordinary service does not collide with the ids.
    Person.objects.create(name="后来者", police_district=world.district_a)


def test_a_valid_address_file_imports_with_codes(chief, places, tmp_path):
    rows = [["社区", "街路巷", "门牌号", "小区", "楼栋", "单元", "楼层", "户室"],
            ["凤台社区", "泽州路", "5", "", "1", "2", "", "301"],
            [places.community_a.name, "泽州路", "7", "", "", "", "", ""]]  # fmt: skip
    report = run("addresses", write_xlsx(tmp_path / "a.xlsx", rows), chief)
    assert report.committed and report.created == 2
    made = StandardAddress.objects.get(road="泽州路", door_number="5")
    assert made.full_text.endswith("凤台社区泽州路5号1栋2单元301室")
    assert made.code.startswith("140502") and len(made.code) == 14
    other = StandardAddress.objects.get(road="泽州路", door_number="7")
    assert other.code != made.code


def test_a_valid_house_file_imports(chief, addresses, tmp_path):
    rows = [["地址编码", "房主", "房主电话", "用途", "面积", "出租间数", "出租日期"],
            [addresses["a"][1].code, "李建国", "13800001111", "出租", "85.5", "2",
             dt.datetime(2023, 3, 1)],
            [addresses["a"][2].code, "王芳", "", "自住", "", "", ""]]  # fmt: skip
    report = run("houses", write_xlsx(tmp_path / "h.xlsx", rows), chief)
    assert report.committed and report.created == 2, report.errors
    house = House.objects.get(address=addresses["a"][1])
    assert house.use == "rental" and house.rented_since == dt.date(2023, 3, 1)
    assert str(house.area_m2) == "85.50"


def test_a_valid_organisation_file_imports(chief, addresses, tmp_path):
    rows = [["单位名称", "统一社会信用代码", "行业", "标准地址编码", "法定代表人", "联系电话"],
            ["平安旅馆", uscc(1), "旅馆业", addresses["a"][0].code, "张三", "13900001111"],
            ["小卖部", "", "small_shop", addresses["a"][0].code, "", ""]]  # fmt: skip
    report = run("organisations", write_csv(tmp_path / "o.csv", rows), chief)
    assert report.committed and report.created == 2, report.errors
    assert Organisation.objects.get(credit_code=uscc(1)).industry == "hotel"


# --- All or nothing, row-level errors --------------------------------------------------------


def test_one_bad_row_imports_nothing_and_names_row_column_reason(chief, addresses, tmp_path):
    rows = people_rows(addresses, 5)
    rows[4][1] = rows[4][1][:-1] + ("0" if rows[4][1][-1] != "0" else "1")  # bad checksum
    path = write_csv(tmp_path / "people.csv", rows)
    report = imports.validate_file(
        kind="people", path=path, user=chief,
        mapping=imports.propose_mapping("people", rows[0]),
    )  # fmt: skip
    assert report.total_rows == 5 and report.valid_rows == 4 and report.error_count == 1
    error = report.errors[0]
    assert (error.row, error.column) == (5, "公民身份号码")
    assert "校验位" in error.reason
    committed = imports.commit_file(
        kind="people", path=path, user=chief, mapping=imports.propose_mapping("people", rows[0])
    )
    assert not committed.committed and Person.objects.count() == 0


def test_errors_are_all_counted_but_capped_in_display(chief, addresses, tmp_path):
    rows = people_rows(addresses, 1)
    rows += [["某人", "123", "", "", addresses["a"][0].code, "租住", "2024-05-01"]] * 250
    report = imports.validate_file(
        kind="people", path=write_csv(tmp_path / "p.csv", rows), user=chief,
        mapping=imports.propose_mapping("people", rows[0]),
    )  # fmt: skip
    assert report.error_count == 250
    assert len(report.errors) == imports.MAX_REPORTED_ERRORS
    assert report.hidden_errors == 50


# --- Hostile and malformed files -------------------------------------------------------------


def test_formula_cells_are_refused(chief, addresses, tmp_path):
    rows = people_rows(addresses, 2)
    rows[1][0] = '=HYPERLINK("http://evil","x")'
    rows[2][0] = "@SUM(1+1)"
    report = run("people", write_xlsx(tmp_path / "f.xlsx", rows), chief)
    assert not report.committed and Person.objects.count() == 0
    reasons = {e.row: e.reason for e in report.errors}
    assert "公式" in reasons[2]
    assert reasons[3] == "疑似公式注入，已拒绝。"


def test_a_gbk_csv_is_read(chief, addresses, tmp_path):
    path = write_csv(tmp_path / "gbk.csv", people_rows(addresses, 2), encoding="gbk")
    report = run("people", path, chief)
    assert report.committed and Person.objects.filter(name="居民1").exists()


def test_merged_cells_are_reported(chief, addresses, tmp_path):
    rows = people_rows(addresses, 3)
    rows[3][4] = None
    path = write_xlsx(tmp_path / "m.xlsx", rows, merge="E3:E4")
    report = imports.validate_file(
        kind="people", path=path, user=chief, mapping=imports.propose_mapping("people", rows[0])
    )
    assert any("合并单元格" in e.reason and e.row == 3 for e in report.errors)
    assert any(e.row == 4 and e.column == "标准地址编码" for e in report.errors)


def test_an_oversized_file_is_refused_without_reading_it(chief, tmp_path, settings):
    settings.FENGQIAO_IMPORT_MAX_BYTES = 1024
    path = tmp_path / "big.csv"
    path.write_bytes(b"x" * 2048)
    report = imports.validate_file(kind="people", path=path, user=chief, mapping={})
    assert report.error_count == 1 and "文件过大" in report.errors[0].reason


def test_an_old_xls_and_a_binary_file_are_refused(chief, tmp_path):
    xls = tmp_path / "old.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    with pytest.raises(imports.ImportFileError, match=r"\.xls"):
        imports.read_headers(xls)
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(128, 256)) * 10)
    with pytest.raises(imports.ImportFileError, match="编码"):
        imports.read_headers(junk)


# --- Mapping ------------------------------------------------------------------------------


def test_headers_map_automatically_including_aliases():
    headers = ["序号", "姓名", "身份证号码", "手机", "人员类别", "地址编码", "关系", "入住日期 *"]
    mapping = imports.propose_mapping("people", headers)
    assert mapping == {"name": 1, "id_number": 2, "phone": 3, "household_type": 4,
                       "address_code": 5, "relation": 6, "moved_in": 7}  # fmt: skip
    assert imports.propose_mapping("people", ["公民身份号码", "联系电话"]) == {
        "id_number": 0, "phone": 1}  # fmt: skip


def test_a_mapping_missing_a_required_field_is_refused(chief, addresses, tmp_path):
    rows = people_rows(addresses, 1)
    with pytest.raises(imports.MappingError, match="迁入日期"):
        imports.check_mapping("people", rows[0], {"name": 0, "address_code": 4, "relation": 5})
    path = write_csv(tmp_path / "p.csv", [[h for h in rows[0] if h != "迁入日期"]])
    report = run("people", path, chief)
    assert not report.ok and "迁入日期" in report.errors[0].reason


# --- Duplicates and scope -------------------------------------------------------------------


def test_duplicates_inside_the_file_are_refused_and_registered_ones_updated(
    chief, world, addresses, tmp_path
):
    Person.objects.create(name="老住户", id_number=id_number(7), police_district=world.district_a)
    Organisation.objects.create(name="老店", credit_code=uscc(2), industry="other",
                                address=addresses["a"][0])  # fmt: skip
    rows = people_rows(addresses, 2)
    rows.append(list(rows[1]))  # the same ID number twice
    rows.append(["老住户", id_number(7), "", "", addresses["a"][0].code, "租住", "2024-05-01"])
    report = run("people", write_csv(tmp_path / "p.csv", rows), chief)
    reasons = {e.row: e.reason for e in report.errors}
    assert reasons == {4: "身份证号在文件中重复。"}  # row 5 is registered: an update
    orgs = [["单位名称", "统一社会信用代码", "行业", "标准地址编码"],
            ["甲", uscc(3), "小商店", addresses["a"][0].code],
            ["乙", uscc(3), "小商店", addresses["a"][0].code],
            ["丙", uscc(2), "小商店", addresses["a"][0].code]]  # fmt: skip
    report = run("organisations", write_csv(tmp_path / "o.csv", orgs), chief)
    assert [e.row for e in report.errors] == [3]
    places_rows = [["社区", "街路巷", "门牌号"], ["凤台社区", "阳头路", "1"],
                   ["凤台社区", "泽州路", "1"], ["凤台社区", "泽州路", "1"]]  # fmt: skip
    report = run("addresses", write_csv(tmp_path / "a.csv", places_rows), chief)
    assert {e.row: e.reason for e in report.errors} == {
        2: "该地址已登记在系统中。", 4: "该地址在文件中重复。"}  # fmt: skip
    houses = [["标准地址编码"], [addresses["a"][0].code], [addresses["a"][1].code],
              [addresses["a"][1].code]]  # fmt: skip
    report = run("houses", write_csv(tmp_path / "h.csv", houses), chief)
    assert {e.row: e.reason for e in report.errors} == {4: "该地址在文件中重复。"}
    assert Person.objects.count() == 1 and House.objects.count() == 1


def test_an_address_out_of_the_users_scope_is_refused(chief, addresses, tmp_path):
    rows = people_rows(addresses, 1)
    rows.append(["外所人", id_number(9), "", "", addresses["b"].code, "租住", "2024-05-01"])
    report = run("people", write_csv(tmp_path / "p.csv", rows), chief)
    assert [(e.row, e.column) for e in report.errors] == [(3, "标准地址编码")]
    assert "不在您的辖区内" in report.errors[0].reason
    outside = write_csv(tmp_path / "a.csv", [["社区", "街路巷"], ["书院社区", "书院街"]])
    community = run("addresses", outside, chief)
    assert "不在您的辖区内" in community.errors[0].reason
    assert Person.objects.count() == 0


@pytest.mark.parametrize("who", ["volunteer", "analyst"])
def test_a_volunteer_or_analyst_may_not_import(world, addresses, tmp_path, client, who):
    user = world.a[Role.VOLUNTEER] if who == "volunteer" else world.analyst
    path = write_csv(tmp_path / "p.csv", people_rows(addresses, 1))
    with pytest.raises(PermissionDenied):
        imports.validate_file(kind="people", path=path, user=user, mapping={})
    client.force_login(user)
    assert client.get("/registry/import/").status_code == 403


# --- Export ---------------------------------------------------------------------------------


def test_export_holds_only_the_users_scope_with_ids_and_phones_masked(chief, world, addresses,
                                                                      client):  # fmt: skip
    Person.objects.create(name="甲所人", id_number=id_number(1), phone="13812345678",
                          police_district=world.district_a)  # fmt: skip
    Person.objects.create(name="乙所人", id_number=id_number(2), police_district=world.district_b)
    client.force_login(chief)
    response = client.post("/registry/import/export/people/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("姓名", "身份证号", "手机号")
    assert [r[0] for r in rows[1:]] == ["甲所人"]
    assert rows[1][1] == "140***********" + id_number(1)[-4:] and rows[1][2] == "138****5678"
    event = AuditEvent.objects.filter(action="export").get()
    assert event.object_type == "registry.person" and len(event.object_ids) == 1
    assert client.post("/registry/import/export/addresses/").status_code == 200
    client.force_login(world.a[Role.COMMUNITY_OFFICER])  # may edit, may not export
    assert client.post("/registry/import/export/people/").status_code == 403


# --- The job, the task and the command ------------------------------------------------------


def test_the_task_path_takes_the_job_to_done(chief, addresses, settings, client):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    buffer = io.StringIO()
    csv.writer(buffer).writerows(people_rows(addresses, 4))
    upload = SimpleUploadedFile("台账.csv", buffer.getvalue().encode("utf-8-sig"))
    client.force_login(chief)
    response = client.post("/registry/import/", {"kind": "people", "file": upload})
    job = tasks.jobs_for(user=chief).get()
    assert response.status_code == 302 and job.status == ImportStatus.UPLOADED
    assert job.mapping["id_number"] == 1
    assert client.get(f"/registry/import/{job.pk}/").status_code == 200
    job = tasks.start_validation(user=chief, job=job, inline=False)  # through the task
    assert job.status == ImportStatus.VALIDATED and job.can_commit
    job = tasks.start_commit(user=chief, job=job, inline=False)
    assert job.status == ImportStatus.DONE and job.report["created"] == 4
    assert job.rows_done == job.rows_total == 4 and not job.progress_path.exists()
    assert Person.objects.count() == 4
    page = client.get(f"/registry/import/{job.pk}/status/")
    assert "hx-trigger" not in page.content.decode()


def test_the_page_refuses_to_commit_before_a_clean_dry_run(chief, addresses, client):
    rows = people_rows(addresses, 2)
    rows[2][6] = "2024-02-30"
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    client.force_login(chief)
    client.post("/registry/import/", {"kind": "people", "file": SimpleUploadedFile(
        "p.csv", buffer.getvalue().encode())})  # fmt: skip
    job = tasks.jobs_for(user=chief).get()
    post = {"action": "validate", **{f"map_{k}": v for k, v in job.mapping.items()}}
    client.post(f"/registry/import/{job.pk}/", post)
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED and job.report["error_count"] == 1
    page = client.get(f"/registry/import/{job.pk}/").content.decode()
    assert "日期不存在" in page and "迁入日期" in page
    client.post(f"/registry/import/{job.pk}/", {"action": "commit"})
    job.refresh_from_db()
    assert job.status == ImportStatus.VALIDATED and Person.objects.count() == 0


def test_the_command_prints_the_report_and_commits(chief, addresses, tmp_path, capsys):
    path = write_csv(tmp_path / "p.csv", people_rows(addresses, 3))
    call_command("import_registry", "people", str(path), "--user", chief.username)
    assert Person.objects.count() == 0
    call_command("import_registry", "people", str(path), "--user", chief.username, "--commit")
    assert Person.objects.count() == 3
    assert "3" in capsys.readouterr().out


# --- The writer thread (a second connection: PostgreSQL or file SQLite) ----------------------

thread_only = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the in-memory SQLite test database cannot be shared with a writer thread",
)


@thread_only
@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_commits_a_valid_file_once(chief, addresses, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "BATCH_SIZE", 2)
    assert imports._can_use_thread()
    path = write_csv(tmp_path / "people.csv", people_rows(addresses, 7))
    seen = []
    report = imports.commit_file(
        kind="people",
        path=path,
        user=chief,
        progress=seen.append,
        mapping=imports.propose_mapping("people", PEOPLE_HEADERS),
    )
    assert report.committed and report.created == 7 and seen == [2, 4, 6, 7]
    assert Person.objects.count() == 7 and Residence.objects.count() == 7
    assert AuditEvent.objects.filter(object_type="registry.person", action="create").count() == 1


@thread_only
@pytest.mark.django_db(transaction=True)
def test_the_writer_thread_rolls_back_when_a_late_row_fails(chief, addresses, tmp_path,
                                                            monkeypatch):  # fmt: skip
    monkeypatch.setattr(imports, "BATCH_SIZE", 2)
    rows = people_rows(addresses, 7)
    rows[7][6] = "2024/2/30"  # the last row: its batch comes after three were written
    path = write_csv(tmp_path / "people.csv", rows)
    report = imports.commit_file(
        kind="people",
        path=path,
        user=chief,
        mapping=imports.propose_mapping("people", PEOPLE_HEADERS),
    )
    assert not report.committed and report.created == 0
    assert (report.errors[0].row, report.errors[0].column) == (8, "迁入日期")
    assert Person.objects.count() == 0 and Residence.objects.count() == 0


@thread_only
@pytest.mark.django_db(transaction=True)
def test_a_crash_while_validating_rolls_the_writer_back(chief, addresses, tmp_path,
                                                        monkeypatch):  # fmt: skip
    monkeypatch.setattr(imports, "BATCH_SIZE", 2)
    path = write_csv(tmp_path / "people.csv", people_rows(addresses, 7))

    def progress(rows):
        if rows > 4:
            raise RuntimeError("the worker was stopped")

    with pytest.raises(RuntimeError):
        imports.commit_file(kind="people", path=path, user=chief, progress=progress,
                            mapping=imports.propose_mapping("people", PEOPLE_HEADERS))  # fmt: skip
    assert Person.objects.count() == 0


def test_progress_inside_the_import_transaction_still_reaches_the_page(chief, addresses,
                                                                       tmp_path):  # fmt: skip
    """A SQLite commit writes its progress inside its own transaction, where no other
    connection sees it; the job's progress file carries it to the polling page."""
    buffer = io.StringIO()
    csv.writer(buffer).writerows(people_rows(addresses, 3))
    upload = SimpleUploadedFile("台账.csv", buffer.getvalue().encode("utf-8-sig"))
    job = tasks.create_job(user=chief, kind="people", upload=upload)
    job.status, job.rows_total = ImportStatus.COMMITTING, 10
    job.save()
    from django.db import transaction

    with transaction.atomic():
        tasks._progress(job)(7)
        transaction.set_rollback(True)  # as if the import were still running elsewhere
    job.refresh_from_db()
    assert job.rows_done == 0 and job.live_rows_done == 7 and job.percent == 70
    job.status = ImportStatus.DONE
    assert job.live_rows_done == 0  # a finished job trusts its row


# --- Bounds: what reading an upload may cost ---------------------------------------------


def _deflated(data: bytes) -> bytes:
    """Raw deflate of ``data``, ended with a full flush: the compressor starts afresh
    after it, so the same data always deflates to the same bytes and they can be
    repeated."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)


def zip_bomb(path: Path, *, megabytes: int = 900) -> Path:
    """A real workbook whose sheet XML — a header row, then ``megabytes`` MB of repeated
    ``<row>`` — is made small by deflate (about 350 times). The deflated chunk is
    computed once and repeated, and the zip written by hand, so building it costs a
    second rather than compressing 900 MB."""
    workbook = Workbook()
    workbook.active.append(["姓名", "公民身份号码"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(buffer)
    sheet_name = "xl/worksheets/sheet1.xml"
    head = (b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><sheetData><row r="1"><c t="inlineStr"><is><t>'
            + "姓名".encode() + b"</t></is></c></row>")  # fmt: skip
    chunk = b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * 20_000  # ~1 MB
    repeats = megabytes * 1024 * 1024 // len(chunk)
    tail = b"</sheetData></worksheet>"
    ender = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [_deflated(head), _deflated(chunk), ender.compress(tail) + ender.flush()]
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    unpacked = len(head) + repeats * len(chunk) + len(tail)
    packed = len(parts[0]) + repeats * len(parts[1]) + len(parts[2])
    central = []
    with path.open("wb") as out:

        def member(name: str, write: Callable[[], None], crc: int, packed: int, size: int,
                   method: int) -> None:  # fmt: skip
            offset, encoded = out.tell(), name.encode()
            out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc,
                                  packed, size, len(encoded), 0) + encoded)  # fmt: skip
            write()
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0,
                                       0x21, crc, packed, size, len(encoded), 0, 0, 0, 0, 0,
                                       offset) + encoded)  # fmt: skip

        for info in source.infolist():
            if info.filename != sheet_name:
                data = source.read(info.filename)
                member(info.filename, lambda d=data: out.write(d), zlib.crc32(data), len(data),
                       len(data), 0)  # fmt: skip

        def sheet() -> None:
            out.write(parts[0])
            for _ in range(repeats):
                out.write(parts[1])
            out.write(parts[2])

        member(sheet_name, sheet, crc, packed, unpacked, zipfile.ZIP_DEFLATED)
        start = out.tell()
        for entry in central:
            out.write(entry)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                              out.tell() - start, start, 0))  # fmt: skip
    return path


@pytest.fixture(scope="module")
def bomb(tmp_path_factory):
    return zip_bomb(tmp_path_factory.mktemp("bomb") / "台账.xlsx")


def _stored_files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "imports"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_zip_bomb_is_what_it_claims(bomb):
    with zipfile.ZipFile(bomb) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    assert sheet.file_size > 900 * 1000 * 1000 and bomb.stat().st_size < 3 * 1024 * 1024
    assert sheet.file_size / sheet.compress_size > 300


def test_an_uploaded_zip_bomb_is_refused_within_seconds_and_leaves_no_file(
    chief, bomb, client, settings
):
    client.force_login(chief)
    started = time.monotonic()
    with bomb.open("rb") as handle:
        response = client.post("/registry/import/", {"kind": "people", "file": handle})
    elapsed = time.monotonic() - started
    job = tasks.jobs_for(user=chief).get()
    assert response.status_code == 302 and elapsed < 5, elapsed
    assert job.status == ImportStatus.FAILED and not job.file and job.headers == []
    assert job.report["refused"] and "压缩炸弹" in job.report["errors"][0]["reason"]
    assert _stored_files(settings) == []  # no orphan upload
    page = client.get(f"/registry/import/{job.pk}/").content.decode()
    assert "压缩炸弹" in page and "失败" in page and "文件被拒绝" in page and "字段对应" not in page


def test_a_workbook_over_the_unpacked_limit_is_refused(chief, tmp_path, settings):
    settings.FENGQIAO_IMPORT_MAX_UNPACKED_BYTES = 4096
    path = write_xlsx(tmp_path / "p.xlsx", [PEOPLE_HEADERS])
    with pytest.raises(imports.ImportRefused, match="解压后"):
        imports.read_headers(path)
    upload = SimpleUploadedFile("p.xlsx", path.read_bytes())
    job = tasks.create_job(user=chief, kind="people", upload=upload)
    assert job.status == ImportStatus.FAILED and _stored_files(settings) == []


def test_a_workbook_of_too_many_parts_is_refused(tmp_path, settings):
    settings.FENGQIAO_IMPORT_MAX_ZIP_MEMBERS = 5
    path = write_xlsx(tmp_path / "p.xlsx", [PEOPLE_HEADERS])
    with pytest.raises(imports.ImportRefused, match="部件"):
        imports.unpacked_size(path)


def test_rows_past_the_limit_fail_the_job_and_delete_the_file(chief, addresses, settings):
    settings.FENGQIAO_IMPORT_MAX_ROWS = 5
    buffer = io.StringIO()
    csv.writer(buffer).writerows(people_rows(addresses, 8))
    upload = SimpleUploadedFile("p.csv", buffer.getvalue().encode("utf-8-sig"))
    job = tasks.create_job(user=chief, kind="people", upload=upload)
    assert job.status == ImportStatus.UPLOADED
    job = tasks.start_validation(user=chief, job=job)
    assert job.status == ImportStatus.FAILED and job.report["refused"]
    assert "5 行" in job.report["errors"][0]["reason"] and _stored_files(settings) == []


def test_reading_stops_at_the_time_budget(chief, addresses, tmp_path):
    path = write_csv(tmp_path / "p.csv", people_rows(addresses, 3) + [["x"] * 7] * 3000)
    with (
        imports.TableFile(path, time_limit=0) as table,
        pytest.raises(imports.ImportRefused, match="时限"),
    ):
        list(table.rows())
    mapping = imports.propose_mapping("people", imports.read_headers(path))
    report = imports.validate_file(kind="people", path=path, mapping=mapping, user=chief,
                                   time_limit=0)  # fmt: skip
    assert report.refused and not report.ok


def test_a_sheet_claiming_thousands_of_columns_is_read_at_the_column_limit(tmp_path):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(PEOPLE_HEADERS)
    sheet.cell(row=3, column=1, value="张三")
    sheet.cell(row=3, column=5000, value="far away")
    path = tmp_path / "wide.xlsx"
    workbook.save(path)
    with imports.TableFile(path) as table:
        widths = {len(values) for _number, values in table.rows()}
    assert widths == {imports.MAX_COLUMNS}


def test_a_big_workbook_is_not_opened_in_the_request(chief, addresses, tmp_path, settings):
    """Over the inline limit (unpacked) even the header row is read by the worker."""
    rows = people_rows(addresses, 3) + [[f"居民{n}", "", "", "", "", "", ""] for n in range(9000)]
    path = write_xlsx(tmp_path / "big.xlsx", rows)
    assert path.stat().st_size < tasks.INLINE_MAX_BYTES < imports.unpacked_size(path)
    upload = SimpleUploadedFile("big.xlsx", path.read_bytes())
    job = tasks.create_job(user=chief, kind="people", upload=upload)
    assert job.status == ImportStatus.READING and job.is_running and job.headers == []
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("read_import_headers") and queued.args_kwargs["args"] == [
        job.pk
    ]
    tasks.run_read_headers(job.pk)
    job.refresh_from_db()
    assert job.status == ImportStatus.UPLOADED and job.headers == PEOPLE_HEADERS
    assert job.mapping["id_number"] == 1
