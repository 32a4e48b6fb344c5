"""辖区边界: uploading GeoJSON/KML outlines, their checks, the preview and the save."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fengqiao.audit.models import AuditEvent
from fengqiao.core.roles import Role
from fengqiao.jurisdictions import boundaries
from fengqiao.jurisdictions.boundary_models import BoundaryUpload, UploadMode, UploadStatus
from fengqiao.jurisdictions.models import Jurisdiction
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def square(west: float, south: float, size: float) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [[[west, south], [west + size, south], [west + size, south + size],
                         [west, south + size], [west, south]]],
    }  # fmt: skip


def feature(name: str, geometry: dict, **properties: str) -> dict:
    return {"type": "Feature", "properties": {"name": name, **properties}, "geometry": geometry}


def collection(*features: dict) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


@pytest.fixture
def bureau_outline(world):
    """The bureau 112.80–112.90 E, 35.40–35.50 N; its stations get the halves."""
    Jurisdiction.objects.filter(pk=world.bureau.pk).update(boundary=square(112.80, 35.40, 0.10))
    world.bureau.refresh_from_db()
    return world


def halves() -> bytes:
    return collection(
        feature("甲派出所", square(112.80, 35.40, 0.05)),
        feature("乙派出所", square(112.85, 35.40, 0.05)),
    )


def upload(world, data: bytes, *, unit=None, mode=UploadMode.SUBTREE, name="outlines.geojson"):
    return boundaries.create_upload(
        user=world.admin, unit=unit or world.bureau, mode=mode,
        upload=SimpleUploadedFile(name, data), inline=True,
    )  # fmt: skip


def messages(record: BoundaryUpload) -> list[str]:
    return [boundaries.error_message(error) for error in record.report.get("errors", [])]


def stored(node: Jurisdiction):
    node.refresh_from_db()
    return node.boundary


def test_a_valid_file_is_previewed_then_saved_and_audited(bureau_outline):
    world = bureau_outline
    record = upload(world, halves())
    assert record.status == UploadStatus.CHECKED, messages(record)
    assert record.can_save
    svg = record.preview_path.read_text()
    assert svg.startswith("<svg") and svg.count("<path") == 3  # two stations + the bureau
    assert stored(world.station_a) is None  # nothing saved before the save
    record = boundaries.start_save(user=world.admin, upload=record, inline=True)
    assert record.status == UploadStatus.DONE
    assert stored(world.station_a) == square(112.80, 35.40, 0.05)
    assert stored(world.station_b) == square(112.85, 35.40, 0.05)
    events = AuditEvent.objects.filter(object_type="jurisdictions.jurisdiction", action="update")
    assert {e.object_id for e in events if e.fields == ["boundary"]} >= {
        str(world.station_a.pk),
        str(world.station_b.pk),
    }


def test_one_unit_upload_on_its_own_page(bureau_outline):
    world = bureau_outline
    data = json.dumps(square(112.81, 35.41, 0.02)).encode()  # a bare geometry
    record = upload(world, data, unit=world.station_a, mode=UploadMode.UNIT)
    assert record.status == UploadStatus.CHECKED, messages(record)
    boundaries.start_save(user=world.admin, upload=record, inline=True)
    assert stored(world.station_a)["type"] == "Polygon"


def _refused(world, data: bytes, expected: str, **kwargs) -> list[str]:
    before = list(Jurisdiction.objects.order_by("pk").values_list("boundary", flat=True))
    record = upload(world, data, **kwargs)
    found = messages(record)
    assert any(expected in message for message in found), found
    assert not record.can_save
    with pytest.raises(ValidationError):
        boundaries.start_save(user=world.admin, upload=record, inline=True)
    after = list(Jurisdiction.objects.order_by("pk").values_list("boundary", flat=True))
    assert after == before
    return found


def test_a_file_that_is_not_geojson_is_refused(bureau_outline):
    _refused(bureau_outline, b"hello, this is a spreadsheet", "不是 GeoJSON 或 KML")
    _refused(bureau_outline, b'{"type": "Feature", "geometry": ', "JSON 格式错误")
    _refused(bureau_outline, b'{"type": "Topology", "objects": {}}', "不是 GeoJSON")


def test_a_polygon_crossing_itself_is_refused(bureau_outline):
    bowtie = {"type": "Polygon", "coordinates": [[[112.81, 35.41], [112.84, 35.44],
              [112.84, 35.41], [112.81, 35.44], [112.81, 35.41]]]}  # fmt: skip
    found = _refused(bureau_outline, collection(feature("甲派出所", bowtie)), "自相交")
    assert "甲派出所" in found[0] and "Self-intersection" in found[0]


def test_an_open_ring_a_point_and_swapped_coordinates_are_refused(bureau_outline):
    ring = square(112.81, 35.41, 0.02)
    ring["coordinates"][0].pop()
    _refused(bureau_outline, collection(feature("甲派出所", ring)), "没有闭合")
    point = {"type": "Point", "coordinates": [112.8, 35.4]}
    _refused(bureau_outline, collection(feature("甲派出所", point)), "应为 Polygon")
    _refused(bureau_outline, collection(feature("甲派出所", square(35.41, 112.81, 0.02))),
             "超出经纬度范围")  # fmt: skip


def test_an_outline_leaving_its_parent_is_refused(bureau_outline):
    data = collection(
        feature("甲派出所", square(112.78, 35.40, 0.05)),  # 40 % west of the bureau
        feature("乙派出所", square(112.85, 35.40, 0.05)),
    )
    found = _refused(bureau_outline, data, "超出上级")
    assert "甲派出所" in found[0] and "测试分局" in found[0]


def test_a_thin_sliver_outside_the_parent_is_within_tolerance(bureau_outline):
    # 5 m beyond the bureau's west edge: digitising noise, not an error.
    sliver = 5 * boundaries.DEGREES_PER_METRE
    data = collection(feature("甲派出所", square(112.80 - sliver, 35.40, 0.05)))
    record = upload(bureau_outline, data)
    assert record.status == UploadStatus.CHECKED and record.can_save, messages(record)


def test_overlapping_siblings_are_refused_naming_both(bureau_outline):
    data = collection(
        feature("甲派出所", square(112.80, 35.40, 0.06)),
        feature("乙派出所", square(112.85, 35.40, 0.05)),
    )
    found = _refused(bureau_outline, data, "重叠")
    assert "甲派出所" in found[0] and "乙派出所" in found[0]


def test_an_overlap_with_a_stored_sibling_is_refused(bureau_outline):
    world = bureau_outline
    Jurisdiction.objects.filter(pk=world.station_b.pk).update(boundary=square(112.85, 35.40, 0.05))
    data = json.dumps(feature("甲", square(112.82, 35.40, 0.05))).encode()
    found = _refused(world, data, "重叠", unit=world.station_a, mode=UploadMode.UNIT)
    assert "乙派出所" in found[0]


def test_a_feature_matching_no_unit_or_two_units_is_refused(bureau_outline):
    world = bureau_outline
    data = collection(
        feature("甲派出所", square(112.80, 35.40, 0.05)),
        feature("丙派出所", square(112.85, 35.40, 0.05)),
    )
    record = upload(world, data, name="two.geojson")
    # Only one of two features matches by name: the user is asked which property to use.
    assert record.status == UploadStatus.NEEDS_MATCH
    record = boundaries.choose_match(
        user=world.admin, upload=record, prop="name", key="name", inline=True
    )
    assert any("丙派出所" in m and "没有对应的辖区" in m for m in messages(record))
    assert not record.can_save
    # Two police districts under different stations with the same name.
    Jurisdiction.objects.filter(pk=world.district_b.pk).update(name="甲一警务区")
    data = collection(feature("甲一警务区", square(112.81, 35.41, 0.01)))
    record = upload(world, data)
    record = boundaries.choose_match(
        user=world.admin, upload=record, prop="name", key="name", inline=True
    )
    assert any("对应了 2 个辖区" in m for m in messages(record)), messages(record)


def test_features_match_by_code_or_by_name_path(bureau_outline):
    world = bureau_outline
    Jurisdiction.objects.filter(pk=world.station_a.pk).update(code="140502001")
    data = collection(
        feature("x", square(112.80, 35.40, 0.05), 编码="140502001", 路径="测试分局/乙派出所"),
    )
    record = upload(world, data)
    record = boundaries.choose_match(
        user=world.admin, upload=record, prop="编码", key="code", inline=True
    )
    assert record.can_save and record.report["matched"] == [[1, world.station_a.pk]]
    record = upload(world, data)
    record = boundaries.choose_match(
        user=world.admin, upload=record, prop="路径", key="path", inline=True
    )
    assert record.report["matched"] == [[1, world.station_b.pk]], messages(record)


KML = b"""<?xml version="1.0" encoding="UTF-8"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document>
<Placemark><name>\xe7\x94\xb2\xe6\xb4\xbe\xe5\x87\xba\xe6\x89\x80</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>
112.80,35.40,0 112.85,35.40,0 112.85,35.45,0 112.80,35.45,0 112.80,35.40,0
</coordinates>
</LinearRing></outerBoundaryIs></Polygon></Placemark>
</Document></kml>"""


def test_kml_is_read_and_saved(bureau_outline):
    world = bureau_outline
    record = upload(world, KML, name="stations.kml")
    assert record.status == UploadStatus.CHECKED and record.can_save, messages(record)
    boundaries.start_save(user=world.admin, upload=record, inline=True)
    assert stored(world.station_a)["coordinates"][0][1] == [112.85, 35.40]


def test_broken_kml_and_kml_with_entities_are_refused(bureau_outline):
    _refused(bureau_outline, KML.replace(b"</Document>", b""), "KML 文件无法解析")
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b"<kml><Placemark><name>&b;</name></Placemark></kml>"
    )
    _refused(bureau_outline, bomb, "DOCTYPE")


def test_a_user_outside_the_units_subtree_gets_404(bureau_outline, client):
    world = bureau_outline
    admin_b = make_user(Role.ADMIN, world.station_b)
    client.force_login(admin_b)
    url = reverse("jurisdictions:boundaries", args=[world.station_a.pk])
    assert client.get(url).status_code == 404
    response = client.post(url, {"mode": "unit", "file": SimpleUploadedFile("a.geojson", halves())})
    assert response.status_code == 404
    assert not BoundaryUpload.objects.exists()
    # Nor can he open another admin's upload of a unit he does see.
    record = upload(world, halves(), unit=world.station_b, mode=UploadMode.UNIT)
    own = reverse("jurisdictions:boundary_upload", args=[world.station_b.pk, record.pk])
    assert client.get(own).status_code == 404


def test_only_administrators_manage_boundaries(bureau_outline, client):
    world = bureau_outline
    client.force_login(world.a[Role.STATION_CHIEF])
    url = reverse("jurisdictions:boundaries", args=[world.station_a.pk])
    assert client.get(url).status_code == 403
    response = client.post(url, {"mode": "unit", "file": SimpleUploadedFile("a.geojson", halves())})
    assert response.status_code == 403
    assert not BoundaryUpload.objects.exists()


def test_the_pages_upload_preview_and_save(bureau_outline, client):
    world = bureau_outline
    client.force_login(world.admin)
    url = reverse("jurisdictions:boundaries", args=[world.bureau.pk])
    page = client.get(url)
    assert page.status_code == 200 and "<svg" in page.content.decode()
    response = client.post(
        url, {"mode": "subtree", "file": SimpleUploadedFile("a.geojson", halves())}
    )
    assert response.status_code == 302
    page = client.get(response["Location"])
    body = page.content.decode()
    assert "<svg" in body and "保存边界" in body and "<script" not in body.split("<svg", 1)[1]
    response = client.post(response["Location"], {"action": "save"})
    assert response.status_code == 302
    assert stored(world.station_a) == square(112.80, 35.40, 0.05)
    status = reverse(
        "jurisdictions:boundary_upload_status",
        args=[world.bureau.pk, BoundaryUpload.objects.get().pk],
    )
    assert "已保存" in client.get(status).content.decode()


def test_a_large_upload_goes_to_the_background_with_progress(bureau_outline, settings):
    world = bureau_outline
    record = boundaries.create_upload(
        user=world.admin, unit=world.bureau, mode=UploadMode.SUBTREE,
        upload=SimpleUploadedFile("a.geojson", halves()), inline=False,
    )  # fmt: skip
    assert record.status == UploadStatus.CHECKING  # queued, not run in the request
    seen = []
    real = boundaries._progress_writer

    def spy(upload_record):
        write = real(upload_record)

        def update(stage, done, total):
            seen.append(stage)
            write(stage, done, total)

        return update

    boundaries._progress_writer = spy
    try:
        boundaries.run_check(record.pk)
    finally:
        boundaries._progress_writer = real
    record.refresh_from_db()
    assert record.status == UploadStatus.CHECKED
    assert {"reading", "geometry", "matching", "parents", "overlaps"} <= set(seen)


def test_the_preview_and_its_errors_read_in_english(bureau_outline, client):
    world = bureau_outline
    client.force_login(world.admin)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    data = collection(
        feature("甲派出所", square(112.80, 35.40, 0.06)),
        feature("乙派出所", square(112.85, 35.40, 0.05)),
    )
    url = reverse("jurisdictions:boundaries", args=[world.bureau.pk])
    assert "Upload boundaries" in client.get(url).content.decode()
    response = client.post(url, {"mode": "subtree", "file": SimpleUploadedFile("a.geojson", data)})
    body = client.get(response["Location"]).content.decode()
    assert "甲派出所 and 乙派出所 overlap" in body and "Save boundaries" not in body


def test_a_new_outline_leaving_out_a_stored_child_is_refused(bureau_outline):
    world = bureau_outline
    Jurisdiction.objects.filter(pk=world.district_a.pk).update(boundary=square(112.82, 35.42, 0.02))
    data = json.dumps(square(112.85, 35.40, 0.05)).encode()  # station A moved east of it
    found = _refused(world, data, "原有下级", unit=world.station_a, mode=UploadMode.UNIT)
    assert "甲一警务区" in found[0]


def test_two_features_for_one_unit_are_refused(bureau_outline):
    data = collection(
        feature("甲派出所", square(112.80, 35.40, 0.02)),
        feature("甲派出所", square(112.83, 35.40, 0.02)),
    )
    record = upload(bureau_outline, data)
    record = boundaries.choose_match(
        user=bureau_outline.admin, upload=record, prop="name", key="name", inline=True
    )
    assert any("都对应辖区 甲派出所" in m for m in messages(record)), messages(record)
    assert not record.can_save


def test_kml_multigeometry_with_extended_data_matches_by_code(bureau_outline):
    world = bureau_outline
    Jurisdiction.objects.filter(pk=world.station_b.pk).update(code="B2")
    ring = "{w},{s} {e},{s} {e},{n} {w},{n} {w},{s}"
    polygons = "".join(
        "<Polygon><outerBoundaryIs><LinearRing><coordinates>"
        + ring.format(w=w, s=35.40, e=w + 0.02, n=35.42)
        + "</coordinates></LinearRing></outerBoundaryIs></Polygon>"
        for w in (112.85, 112.88)
    )
    kml = (
        '<kml xmlns="http://www.opengis.net/kml/2.2"><Document><Placemark><name>x</name>'
        '<ExtendedData><Data name="编码"><value>B2</value></Data></ExtendedData>'
        f"<MultiGeometry>{polygons}</MultiGeometry></Placemark></Document></kml>"
    ).encode()
    record = upload(world, kml, name="b.kml")
    assert record.status == UploadStatus.CHECKED and record.can_save, messages(record)
    boundaries.start_save(user=world.admin, upload=record, inline=True)
    assert stored(world.station_b)["type"] == "MultiPolygon"


def test_coordinates_written_as_text_are_refused(bureau_outline):
    ring = [[str(x), str(y)] for x, y in square(112.81, 35.41, 0.02)["coordinates"][0]]
    data = collection(feature("甲派出所", {"type": "Polygon", "coordinates": [ring]}))
    _refused(bureau_outline, data, "坐标格式不正确")
