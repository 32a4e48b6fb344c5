"""Ledgers as stations keep them: free-text 现住址 settled by the matcher, the review queue,
the good-rows mode and its rejects file, re-imports that update, blank templates."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from fengqiao.addresses import services as address_services
from fengqiao.addresses.models import StandardAddress
from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.registry import blanks, imports, review, tasks
from fengqiao.registry.import_models import AddressReview, ImportJob, ReviewStatus
from fengqiao.registry.models import Organisation, Person, Residence
from tests.test_imports import id_number, uscc, write_csv, write_xlsx

HEADERS = ["姓名", "身份证号", "手机号", "现住址", "与房屋关系", "迁入日期"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def chief(world):
    return world.a[Role.STATION_CHIEF]


@pytest.fixture
def street(places):
    """阳头路 1–3号 and 书香苑 1栋 in station A; 书院街9号 in station B."""

    def make(community, **elements):
        return address_services.create_address(actor=None, community=community, **elements)

    return {
        "doors": [make(places.community_a, road="阳头路", door_number=str(n)) for n in (1, 2, 3)],
        "building": make(places.community_a, compound="书香苑", building="1"),
        "b": make(places.community_b, road="书院街", door_number="9"),
    }


def person_row(n: int, text: str, phone: str = "") -> list[object]:
    return [f"居民{n}", id_number(n), phone or f"1380000{n:04d}", text, "家庭成员", "2024-05-01"]


def run(kind, path, user, *, good_rows_only=False, job=None):
    mapping = imports.propose_mapping(kind, imports.read_headers(path))
    checked = imports.validate_file(kind=kind, path=path, mapping=mapping, user=user)
    if not checked.ok and not good_rows_only:
        return checked
    return imports.commit_file(
        kind=kind, path=path, mapping=mapping, user=user, good_rows_only=good_rows_only, job=job
    )


def test_a_free_text_address_that_the_matcher_is_sure_of_is_used(chief, street, tmp_path):
    path = write_csv(
        tmp_path / "p.csv",
        [HEADERS, person_row(1, "阳头路2号"), person_row(2, "凤台社区阳头路3号")],
    )
    report = run("people", path, chief)
    assert report.committed and report.created == 2 and report.to_review == 0
    homes = Residence.objects.filter(person__id_number__in=[id_number(1), id_number(2)])
    assert {r.house.address.pk for r in homes} == {street["doors"][1].pk, street["doors"][2].pk}


def test_an_unsure_address_waits_in_the_review_queue_and_the_row_is_written_when_settled(
    chief, street, tmp_path
):
    path = write_csv(
        tmp_path / "p.csv", [HEADERS, person_row(1, "阳头路2号"), person_row(2, "阳头路9号")]
    )
    checked = imports.validate_file(
        kind="people",
        path=path,
        user=chief,
        mapping=imports.propose_mapping("people", imports.read_headers(path)),
    )
    assert checked.ok and checked.to_review == 1  # waiting is not an error
    report = run("people", path, chief)
    assert report.created == 1 and report.to_review == 1
    item = AddressReview.objects.get()
    assert item.group == "阳头路" and item.elements["door_number"] == "9"
    assert item.payload["id_number"] == id_number(2) and item.candidates
    assert not Person.objects.filter(id_number=id_number(2)).exists()

    review.create_new(
        user=chief,
        item=item,
        community=item.community or street["doors"][0].community,
        elements=item.elements,
    )
    item.refresh_from_db()
    assert item.status == ReviewStatus.CREATED and item.address.local_key == "阳头路9号"
    person = Person.objects.get(id_number=id_number(2))
    assert item.record_id == person.pk
    assert person.residences.get().house.address == item.address
    assert AuditEvent.objects.filter(object_type="registry.addressreview", action="update").exists()


def test_the_queue_is_scoped_to_the_importers_unit(chief, world, street, tmp_path):
    path = write_csv(tmp_path / "p.csv", [HEADERS, person_row(2, "阳头路9号")])
    run("people", path, chief)
    item = AddressReview.objects.get()
    assert list(review.reviews_for(user=chief)) == [item]
    other = world.b_chief
    assert not review.reviews_for(user=other).exists()
    with pytest.raises(Exception):  # noqa: B017 — PermissionDenied
        review.confirm(user=other, item=item, address=street["b"])


def test_a_whole_group_is_settled_to_its_first_candidates(chief, street, tmp_path):
    rows = [
        HEADERS,
        person_row(1, "书香苑1栋"),
        person_row(2, "书香苑1幢(东门)"),
        person_row(3, "书香苑一栋"),
    ]
    run("people", write_csv(tmp_path / "p.csv", rows), chief)
    waiting = AddressReview.objects.filter(group="书香苑").count()
    outcome = review.settle_group(user=chief, group="书香苑", how="first")
    assert outcome.settled == waiting and not outcome.left
    assert Person.objects.filter(residences__house__address=street["building"]).count() == 3


def test_good_rows_only_keeps_the_good_and_lists_the_rest_with_reasons(chief, street, tmp_path):
    bad = person_row(3, "阳头路1号")
    bad[1] = "140502198001010000"  # wrong check digit
    rows = [HEADERS, person_row(1, "阳头路1号"), bad, person_row(2, "阳头路2号")]
    path = write_xlsx(tmp_path / "p.xlsx", rows)
    refused = run("people", path, chief)
    assert not refused.committed and refused.rejected_rows == 1 and Person.objects.count() == 0

    rejects = tmp_path / "rejects.xlsx"
    mapping = imports.propose_mapping("people", imports.read_headers(path))
    report = imports.commit_file(
        kind="people",
        path=path,
        mapping=mapping,
        user=chief,
        good_rows_only=True,
        rejects_path=rejects,
    )
    assert report.committed and report.created == 2 and report.rejected_rows == 1
    assert report.total_rows == 3 and report.valid_rows == 2
    assert Person.objects.count() == 2
    sheet = load_workbook(rejects).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][-1] == "错误原因" and list(lines[0][:-1]) == HEADERS
    assert len(lines) == 2 and lines[1][1] == bad[1] and "身份证号" in lines[1][-1]


def test_a_file_error_keeps_nothing_even_with_good_rows_only(chief, street, tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"")
    mapping = {"name": 0}
    report = imports.commit_file(
        kind="people", path=path, mapping=mapping, user=chief, good_rows_only=True
    )
    assert not report.committed and Person.objects.count() == 0


def test_reimporting_a_ledger_updates_instead_of_duplicating(chief, street, tmp_path):
    first = [HEADERS, person_row(1, "阳头路1号"), person_row(2, "阳头路2号")]
    assert run("people", write_csv(tmp_path / "a.csv", first), chief).created == 2
    again = [HEADERS, person_row(1, "阳头路1号", phone="13900000001"), person_row(2, "阳头路3号")]
    report = run("people", write_csv(tmp_path / "b.csv", again), chief)
    assert report.committed and report.created == 0 and report.updated == 2
    assert Person.objects.count() == 2
    assert Person.objects.get(id_number=id_number(1)).phone == "13900000001"
    moved = Person.objects.get(id_number=id_number(2))
    stays = {(r.house.address.pk, r.moved_out is None) for r in moved.residences.all()}
    assert stays == {(street["doors"][1].pk, False), (street["doors"][2].pk, True)}


def test_a_person_registered_in_another_station_is_refused_not_taken_over(
    chief, world, street, tmp_path
):
    Person.objects.create(name="外所人", id_number=id_number(5), police_district=world.district_b)
    report = run(
        "people", write_csv(tmp_path / "p.csv", [HEADERS, person_row(5, "阳头路1号")]), chief
    )
    assert not report.committed
    assert "其他辖区" in report.errors[0].reason


def test_an_organisation_ledger_reimported_updates_by_credit_code(chief, street, tmp_path):
    headers = ["单位名称", "统一社会信用代码", "行业", "地址"]
    run(
        "organisations",
        write_csv(tmp_path / "a.csv", [headers, ["老店", uscc(1), "小商店", "阳头路1号"]]),
        chief,
    )
    report = run(
        "organisations",
        write_csv(tmp_path / "b.csv", [headers, ["老店新名", uscc(1), "小商店", "阳头路2号"]]),
        chief,
    )
    assert report.updated == 1
    shop = Organisation.objects.get()
    assert shop.name == "老店新名" and shop.address == street["doors"][1]


def test_an_address_list_in_free_text_creates_new_recognises_known_and_asks_the_rest(
    chief, street, tmp_path
):
    rows = [["地址"], ["阳头路2号"], ["阳头路18号"], ["书香苑2栋"], ["阳头路18号"], ["东门那边"]]
    report = run("addresses", write_csv(tmp_path / "a.csv", rows), chief)
    assert report.existing == 1  # 阳头路2号
    assert {e.row: e.reason for e in report.errors} == {5: "该地址在文件中重复。"}
    path = write_csv(tmp_path / "b.csv", [r for i, r in enumerate(rows) if i != 4])
    report = run("addresses", path, chief)
    assert report.committed and report.existing == 1
    created = set(StandardAddress.objects.values_list("local_key", flat=True))
    assert {"阳头路18号", "书香苑2栋"} <= created and report.created == 2
    # a new door is placed where the road's other doors are; a text without one waits
    assert StandardAddress.objects.get(local_key="阳头路18号").community == (
        street["doors"][0].community
    )
    assert list(AddressReview.objects.values_list("text", flat=True)) == ["东门那边"]


def test_the_mapping_needs_an_address_code_or_an_address_column(chief, tmp_path):
    with pytest.raises(imports.MappingError, match="至少"):
        imports.check_mapping(
            "people", ["姓名", "与房屋关系", "迁入日期"], {"name": 0, "relation": 1, "moved_in": 2}
        )


@pytest.mark.parametrize("kind", imports.KINDS)
def test_each_blank_template_has_its_headers_an_example_row_that_passes_and_drop_downs(
    kind, chief, street, tmp_path
):
    filename, content = blanks.template_xlsx(kind)
    book = load_workbook(io.BytesIO(content))
    sheet = book.worksheets[0]
    headers = [c.value for c in sheet[1]]
    spec = imports.spec_for(kind)
    assert headers[: len(spec.fields)] == [
        f.label + ("*" if f.required else "") for f in spec.fields
    ]
    choice_fields = [f for f in spec.fields if getattr(f.convert, "choices", None) is not None]
    assert len(sheet.data_validations.dataValidation) == len(choice_fields)
    path = tmp_path / filename
    path.write_bytes(content)
    mapping = imports.propose_mapping(kind, imports.read_headers(path))
    report = imports.validate_file(kind=kind, path=path, mapping=mapping, user=chief)
    assert report.total_rows == 1 and report.error_count == 0, report.errors


def test_the_pages_walk_from_the_job_to_the_queue_and_back(client, chief, street, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(chief)
    path = write_csv(
        tmp_path / "p.csv", [HEADERS, person_row(1, "阳头路2号"), person_row(2, "阳头路9号")]
    )
    upload = SimpleUploadedFile("p.csv", path.read_bytes())
    job = tasks.create_job(user=chief, kind="people", upload=upload)
    tasks.start_validation(user=chief, job=job, inline=True)
    tasks.start_commit(user=chief, job=ImportJob.objects.get(pk=job.pk), inline=True)
    page = client.get(f"/registry/import/{job.pk}/")
    assert "去确认" in page.content.decode()
    queue = client.get(f"/registry/import/review/?job={job.pk}")
    assert "阳头路" in queue.content.decode()
    group = client.get("/registry/import/review/group/", {"name": "阳头路", "job": job.pk})
    assert "阳头路9号" in group.content.decode() and "138" not in group.content.decode()
    item = AddressReview.objects.get()
    answer = client.post(
        f"/registry/import/review/{item.pk}/",
        {
            "action": "new",
            "community": str(street["doors"][0].community_id),
            **{
                name: item.elements.get(name, "")
                for name in ("road", "door_number", "compound", "building", "unit", "floor", "room")
            },
        },
    )
    assert answer.status_code == 302
    assert Person.objects.filter(id_number=id_number(2)).exists()
    assert client.get("/registry/import/template/people/").status_code == 200


def test_a_ledger_with_its_title_row_above_the_headers_is_read(chief, street, tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["凤台社区实有人口登记表"])
    sheet.merge_cells("A1:F1")
    sheet.append([])
    sheet.append(HEADERS)
    sheet.append(person_row(1, "阳头路2号"))
    path = tmp_path / "titled.xlsx"
    book.save(path)
    assert imports.read_headers(path) == HEADERS
    report = run("people", path, chief)
    assert report.committed and report.created == 1
    assert report.errors == []


def test_merged_header_cells_are_a_file_error_even_for_good_rows_only(chief, street, tmp_path):
    path = write_xlsx(tmp_path / "m.xlsx", [HEADERS, person_row(1, "阳头路2号")], merge="F1:G1")
    report = run("people", path, chief, good_rows_only=True)
    assert not report.committed and Person.objects.count() == 0
    assert "表头有合并单元格" in report.errors[0].reason
