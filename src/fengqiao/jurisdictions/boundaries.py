"""辖区边界: reading GeoJSON and KML outlines, checking them against the tree, drawing the
preview and saving them — for one unit, or for a unit and its whole subtree from one file.

The steps, each usable alone (the bench and the tests call them directly):

* :func:`read_features` — bytes → features (properties + raw geometry). KML is parsed by
  expat with every DTD refused, so no entity can be declared (no billion laughs, no
  external entity).
* :func:`match_options` / :func:`match_features` — which unit each feature is: by code,
  by name or by name path, read from a property the user picks.
* :func:`check` — the whole verdict: geometry, matching, inside the parent, no overlap
  with siblings. Vectorised shapely 2 (validity, prepared ``covers``, an STRtree for
  neighbours), so a bureau's 10,000 outlines take seconds, not minutes.
* :func:`render_svg` — the preview, drawn here (no tiles, no internet).
* the services :func:`create_upload`, :func:`choose_match`, :func:`start_save` and the
  runners the background tasks call (:mod:`fengqiao.jurisdictions.boundary_tasks`).

Errors are stored as a kind and parameters and put into words when shown
(:func:`error_message`), in the reader's language.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.parsers import expat
from xml.sax.saxutils import escape as xml_escape

import numpy as np
import shapely
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.audit import services as audit
from fengqiao.core.roles import Capability, require
from fengqiao.jurisdictions import selectors
from fengqiao.jurisdictions.boundary_models import BoundaryUpload, UploadMode, UploadStatus
from fengqiao.jurisdictions.models import Jurisdiction

logger = logging.getLogger(__name__)

# --- Tolerances ------------------------------------------------------------------------
# Outlines drawn from different surveys disagree along shared edges by a few metres: a
# grid's edge digitised on one map and its community's on another. A part of a unit
# outside its parent (or shared with a sibling) is therefore an error only when it is
# BOTH more than this share of the unit's area (of the smaller sibling's, for an overlap)
# AND wider than EDGE_TOLERANCE_METRES somewhere: a long thin sliver along an edge is
# noise, a lump is a mistake.
AREA_TOLERANCE = 0.01
EDGE_TOLERANCE_METRES = 20.0
# Degrees of latitude per metre; used for longitude too, which makes the width test
# stricter (a degree of longitude is shorter than a degree of latitude away from the equator).
DEGREES_PER_METRE = 1 / 111_320.0

# An upload above this is refused before it is stored (settings.FENGQIAO_BOUNDARY_MAX_BYTES).
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
# Files up to this are checked in the request; larger ones by the background worker.
INLINE_MAX_BYTES = 512 * 1024
# Errors kept in a report (the count is always exact).
MAX_REPORTED_ERRORS = 500

GEOMETRY_TYPES = ("Polygon", "MultiPolygon")
MATCH_KEYS = ("code", "name", "path")
MATCH_KEY_LABELS = {
    "code": gettext_lazy("代码"),
    "name": gettext_lazy("名称"),
    "path": gettext_lazy("名称路径（如 城区分局/南街派出所）"),
}

Progress = Callable[[str, int, int], None]

# --- Errors: a kind and parameters, worded when shown -----------------------------------
_MESSAGES: dict[str, Any] = {
    "empty": gettext_lazy("文件是空的。"),
    "not_readable": gettext_lazy("不是 GeoJSON 或 KML 文件：无法识别文件内容。"),
    "json": gettext_lazy(
        "不是有效的 GeoJSON：第 %(line)s 行第 %(column)s 列 JSON 格式错误（%(detail)s）。"
    ),
    "not_geojson": gettext_lazy(
        "不是 GeoJSON：顶层应为 FeatureCollection、Feature 或几何对象，实际为 %(found)s。"
    ),
    "xml": gettext_lazy("KML 文件无法解析：第 %(line)s 行第 %(column)s 列（%(detail)s）。"),
    "xml_dtd": gettext_lazy("KML 文件含有 DOCTYPE 或实体声明，出于安全原因不予读取。"),
    "not_kml": gettext_lazy("不是 KML 文件：根元素为 %(found)s。"),
    "no_features": gettext_lazy("文件中没有任何要素。"),
    "too_large": gettext_lazy("文件过大，上限为 %(limit)d MB。"),
    "one_feature": gettext_lazy("为单个辖区上传时文件只能含一个要素，实际有 %(count)d 个。"),
    "no_geometry": gettext_lazy("%(feature)s 没有几何图形。"),
    "wrong_type": gettext_lazy(
        "%(feature)s 的几何类型为 %(found)s，应为 Polygon 或 MultiPolygon。"
    ),
    "bad_coordinates": gettext_lazy("%(feature)s 的坐标格式不正确（第 %(ring)d 个环）。"),
    "ring_too_short": gettext_lazy("%(feature)s 的第 %(ring)d 个环少于 4 个点。"),
    "ring_not_closed": gettext_lazy("%(feature)s 的第 %(ring)d 个环没有闭合（首点与末点不同）。"),
    "out_of_range": gettext_lazy(
        "%(feature)s 的坐标 (%(lng)s, %(lat)s) 超出经纬度范围（经度 −180…180，"
        "纬度 −90…90）；坐标应为 WGS-84 经度、纬度。"
    ),
    "invalid": gettext_lazy("%(feature)s 的边界不合法（自相交等）：%(reason)s。"),
    "kml_coordinates": gettext_lazy("%(feature)s 的 KML 坐标无法读取。"),
    "unmatched": gettext_lazy("%(feature)s 的 %(property)s=“%(value)s” 没有对应的辖区。"),
    "no_value": gettext_lazy("%(feature)s 没有属性 %(property)s，无法对应辖区。"),
    "ambiguous": gettext_lazy(
        "%(feature)s 的 %(property)s=“%(value)s” 对应了 %(count)d 个辖区：%(units)s。"
    ),
    "duplicate": gettext_lazy("%(feature)s 与 %(other)s 都对应辖区 %(unit)s。"),
    "outside_parent": gettext_lazy(
        "%(unit)s 超出上级 %(parent)s 的边界（超出部分占其面积的 %(percent)s%%，"
        "超过容差：面积 %(tolerance)s%% 且宽 %(metres)s 米）。"
    ),
    "child_outside": gettext_lazy(
        "原有下级 %(unit)s 的边界超出新上传的 %(parent)s 边界（超出部分占 %(percent)s%%）。"
    ),
    "overlap": gettext_lazy(
        "%(unit)s 与 %(other)s 的边界重叠（重叠部分占较小者面积的 %(percent)s%%，"
        "超过容差：面积 %(tolerance)s%% 且宽 %(metres)s 米）。"
    ),
}


def error_message(error: dict[str, Any]) -> str:
    """An error of a report in the reader's language."""
    template = _MESSAGES.get(error.get("kind", ""), gettext_lazy("未知错误。"))
    params = dict(error.get("params") or {})
    if "feature_number" in params:
        params["feature"] = feature_label(params["feature_number"], params.get("feature_name", ""))
    if "other_number" in params:
        params["other"] = feature_label(params["other_number"], params.get("other_name", ""))
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def feature_label(number: int, name: str = "") -> str:
    if name:
        return _("第 %(number)d 个要素（%(name)s）") % {"number": number, "name": name}
    return _("第 %(number)d 个要素") % {"number": number}


class BoundaryFileError(Exception):
    """The file as a whole cannot be read; ``kind``/``params`` say why."""

    def __init__(self, kind: str, **params: Any) -> None:
        super().__init__(kind)
        self.kind, self.params = kind, params

    def as_error(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": self.params}

    def __str__(self) -> str:
        return error_message(self.as_error())


# --- Reading ---------------------------------------------------------------------------
@dataclass
class Feature:
    """One outline of the file: its 1-based position, its properties (as text) and its
    raw GeoJSON geometry (KML is translated to it)."""

    number: int
    properties: dict[str, str]
    geometry: Any
    error: dict[str, Any] | None = None  # set by reading (KML coordinates)

    @property
    def name(self) -> str:
        for key in ("name", "名称", "NAME", "Name", "code", "代码", "id"):
            if self.properties.get(key):
                return self.properties[key][:60]
        return ""


def read_features(data: bytes) -> list[Feature]:
    """The features of a GeoJSON (FeatureCollection, Feature or bare geometry) or KML
    file; :class:`BoundaryFileError` if it is neither or cannot be parsed."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head:
        raise BoundaryFileError("empty")
    if head[:1] in (b"{", b"["):
        features = _read_geojson(data)
    elif head[:1] == b"<":
        features = _read_kml(data)
    else:
        raise BoundaryFileError("not_readable")
    if not features:
        raise BoundaryFileError("no_features")
    return features


def _text_properties(raw: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        return {}
    return {
        str(key): str(value).strip()
        for key, value in raw.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }


def _read_geojson(data: bytes) -> list[Feature]:
    try:
        document = json.loads(data)
    except UnicodeDecodeError as error:
        raise BoundaryFileError("json", line=1, column=error.start + 1, detail="UTF-8") from None
    except json.JSONDecodeError as error:
        raise BoundaryFileError(
            "json", line=error.lineno, column=error.colno, detail=error.msg
        ) from None
    found = document.get("type") if isinstance(document, dict) else type(document).__name__
    if found == "FeatureCollection":
        raw = document.get("features")
        if not isinstance(raw, list):
            raise BoundaryFileError("not_geojson", found="FeatureCollection (features?)")
    elif found == "Feature":
        raw = [document]
    elif isinstance(found, str) and isinstance(document, dict) and "coordinates" in document:
        raw = [{"type": "Feature", "properties": {}, "geometry": document}]
    else:
        raise BoundaryFileError("not_geojson", found=str(found)[:40])
    features = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            features.append(Feature(number, {}, None))
            continue
        properties = _text_properties(item.get("properties"))
        if item.get("id") is not None and "id" not in properties:
            properties["id"] = str(item["id"])
        features.append(Feature(number, properties, item.get("geometry")))
    return features


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _Node:
    """A small element tree (expat builds it; ElementTree's C parser cannot refuse DTDs)."""

    __slots__ = ("attrs", "children", "tag", "text")

    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs = tag, attrs
        self.children: list[_Node] = []
        self.text: list[str] = []

    def find(self, tag: str) -> _Node | None:
        return next((child for child in self.children if child.tag == tag), None)

    def iter(self, tag: str) -> Iterable[_Node]:
        stack = [self]
        while stack:
            node = stack.pop()
            if node.tag == tag:
                yield node
            stack.extend(reversed(node.children))

    @property
    def value(self) -> str:
        return "".join(self.text).strip()


def _parse_xml(data: bytes) -> _Node:
    parser = expat.ParserCreate(namespace_separator="}")

    def forbid(*args: Any) -> None:
        raise BoundaryFileError("xml_dtd")

    parser.StartDoctypeDeclHandler = forbid
    parser.EntityDeclHandler = forbid
    parser.UnparsedEntityDeclHandler = forbid
    parser.ExternalEntityRefHandler = forbid  # type: ignore[assignment]
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    root = _Node("", {})
    stack = [root]

    def start(tag: str, attrs: dict[str, str]) -> None:
        node = _Node(_local(tag), {_local(k): v for k, v in attrs.items()})
        stack[-1].children.append(node)
        stack.append(node)

    def end(tag: str) -> None:
        stack.pop()

    def text(value: str) -> None:
        stack[-1].text.append(value)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise BoundaryFileError(
            "xml", line=error.lineno, column=error.offset + 1,
            detail=expat.ErrorString(error.code),
        ) from None  # fmt: skip
    if not root.children:
        raise BoundaryFileError("not_kml", found="—")
    return root.children[0]


def _kml_ring(node: _Node | None) -> list[list[float]]:
    coordinates = node.find("LinearRing") if node else None
    text = coordinates.find("coordinates") if coordinates else None
    if text is None:
        raise ValueError("no coordinates")
    ring = []
    for position in text.value.split():
        parts = position.split(",")
        if len(parts) < 2:
            raise ValueError(position)
        ring.append([float(parts[0]), float(parts[1])])
    return ring


def _read_kml(data: bytes) -> list[Feature]:
    document = _parse_xml(data)
    if document.tag != "kml":
        raise BoundaryFileError("not_kml", found=document.tag[:40])
    features = []
    for number, placemark in enumerate(document.iter("Placemark"), start=1):
        properties: dict[str, str] = {}
        name = placemark.find("name")
        if name is not None and name.value:
            properties["name"] = name.value
        for data_node in placemark.iter("Data"):
            value = data_node.find("value")
            if data_node.attrs.get("name") and value is not None:
                properties[data_node.attrs["name"]] = value.value
        for simple in placemark.iter("SimpleData"):
            if simple.attrs.get("name"):
                properties[simple.attrs["name"]] = simple.value
        feature = Feature(number, properties, None)
        polygons = list(placemark.iter("Polygon"))
        try:
            shapes = [
                [_kml_ring(polygon.find("outerBoundaryIs"))]
                + [_kml_ring(inner) for inner in polygon.children if inner.tag == "innerBoundaryIs"]
                for polygon in polygons
            ]
        except ValueError:
            feature.error = {"kind": "kml_coordinates", "params": {}}
            shapes = []
        if len(shapes) == 1:
            feature.geometry = {"type": "Polygon", "coordinates": shapes[0]}
        elif shapes:
            feature.geometry = {"type": "MultiPolygon", "coordinates": shapes}
        elif not polygons:
            other = _other_kml_geometry(placemark)
            feature.geometry = {"type": other, "coordinates": []} if other else None
        features.append(feature)
    return features


_KML_GEOMETRIES = ("Point", "LineString", "LinearRing", "Model", "Track")


def _other_kml_geometry(placemark: _Node) -> str | None:
    for tag in _KML_GEOMETRIES:
        if next(iter(placemark.iter(tag)), None) is not None:
            return tag
    return None


# --- Geometry --------------------------------------------------------------------------
def _error(kind: str, feature: Feature | None = None, **params: Any) -> dict[str, Any]:
    if feature is not None:
        params = {"feature_number": feature.number, "feature_name": feature.name, **params}
    return {"kind": kind, "params": params, "feature": feature.number if feature else None}


def build_shape(feature: Feature) -> tuple[Any, dict[str, Any] | None, Any]:
    """(shapely geometry, error, the GeoJSON geometry to store): rings checked as arrays
    (closed, ≥ 4 points, finite, in lng/lat range) before shapely sees them, because
    shapely would silently close an open ring."""
    if feature.error:
        return None, {**feature.error, **_error(feature.error["kind"], feature)}, None
    geometry = feature.geometry
    if not isinstance(geometry, dict) or not geometry.get("type"):
        return None, _error("no_geometry", feature), None
    kind = geometry["type"]
    if kind not in GEOMETRY_TYPES:
        return None, _error("wrong_type", feature, found=str(kind)[:40]), None
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        return None, _error("bad_coordinates", feature, ring=1), None
    shapes, ring_number, flattened = [], 0, False
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return None, _error("bad_coordinates", feature, ring=ring_number + 1), None
        rings = []
        for ring in polygon:
            ring_number += 1
            try:
                # No dtype: numbers written as strings ("112.8") must be refused, not cast,
                # or they would be stored as strings and break the maps.
                array = np.asarray(ring)
            except (TypeError, ValueError):
                return None, _error("bad_coordinates", feature, ring=ring_number), None
            if array.dtype.kind not in "iuf":
                return None, _error("bad_coordinates", feature, ring=ring_number), None
            array = array.astype(float, copy=False)
            if array.ndim != 2 or array.shape[1] not in (2, 3) or not np.isfinite(array).all():
                return None, _error("bad_coordinates", feature, ring=ring_number), None
            if len(array) < 4:
                return None, _error("ring_too_short", feature, ring=ring_number), None
            if array.shape[1] == 3:
                array, flattened = array[:, :2], True
            if not (array[0] == array[-1]).all():
                return None, _error("ring_not_closed", feature, ring=ring_number), None
            bad = (np.abs(array[:, 0]) > 180) | (np.abs(array[:, 1]) > 90)
            if bad.any():
                lng, lat = array[int(np.argmax(bad))]
                return None, _error("out_of_range", feature, lng=f"{lng:g}", lat=f"{lat:g}"), None
            rings.append(array)
        shapes.append(shapely.Polygon(rings[0], rings[1:]))
    shape = shapes[0] if kind == "Polygon" else shapely.MultiPolygon(shapes)
    stored = geometry if not flattened else json.loads(shapely.to_geojson(shape))
    return shape, None, {"type": stored["type"], "coordinates": stored["coordinates"]}


def _stored_shape(boundary: Any) -> Any:
    """A stored outline as shapely (repaired if it is invalid); None if unusable."""
    if not (isinstance(boundary, dict) and boundary.get("type") in GEOMETRY_TYPES):
        return None
    try:
        shape = shapely.geometry.shape(boundary)
    except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
        return None
    if shape.is_empty:
        return None
    return shape if shape.is_valid else shapely.make_valid(shape)


def _beyond_tolerance(parts: np.ndarray, reference_areas: np.ndarray) -> np.ndarray:
    """Which ``parts`` (outside pieces, overlaps) are errors: more than AREA_TOLERANCE
    of their reference area and wider than EDGE_TOLERANCE_METRES."""
    share = shapely.area(parts) / np.maximum(reference_areas, 1e-18)
    result = share > AREA_TOLERANCE
    if result.any():
        half_width = EDGE_TOLERANCE_METRES * DEGREES_PER_METRE / 2
        core = shapely.buffer(parts[result], -half_width)
        result[np.flatnonzero(result)] = ~shapely.is_empty(core)
    return result


# --- Matching --------------------------------------------------------------------------
@dataclass
class Unit:
    pk: int
    parent_id: int | None
    name: str
    code: str
    has_boundary: bool
    paths: tuple[str, ...] = ()


_PATH_SEPARATORS = re.compile(r"\s*[/>›\\|]\s*")


def normalise_path(value: str) -> str:
    return "/".join(part for part in _PATH_SEPARATORS.split(value.strip()) if part)


def tree_units(anchor: Jurisdiction) -> dict[int, Unit]:
    """The anchor's subtree, its ancestors and its siblings, one query, as :class:`Unit`
    (paths: the names from the root and from the anchor)."""
    ids = set(anchor.ancestor_ids)
    rows = Jurisdiction.objects.filter(
        models_q_subtree_or(anchor, ids)
    ).values_list("pk", "parent_id", "name", "code", "boundary__isnull", "path")  # fmt: skip
    units = {}
    paths = {}
    for pk, parent_id, name, code, no_boundary, path in rows:
        units[pk] = Unit(pk, parent_id, name, code, not no_boundary)
        paths[pk] = path
    for pk, unit in units.items():
        chain = [int(p) for p in paths[pk].strip("/").split("/") if p]
        names = [units[p].name for p in chain if p in units]
        if anchor.pk in chain:
            relative = [units[p].name for p in chain[chain.index(anchor.pk) :]]
            unit.paths = ("/".join(names), "/".join(relative))
        else:
            unit.paths = ("/".join(names),)
    return units


def models_q_subtree_or(anchor: Jurisdiction, extra_ids: set[int]) -> Any:
    from django.db.models import Q

    condition = Q(path__within=anchor.path) | Q(pk__in=extra_ids)
    if anchor.parent_id is not None:
        condition |= Q(parent_id=anchor.parent_id)
    return condition


def _candidates(units: dict[int, Unit]) -> list[Unit]:
    """The units a subtree upload may name: the anchor and everything under it (the only
    ones :func:`tree_units` gives a path from the anchor)."""
    return [unit for unit in units.values() if len(unit.paths) == 2]


def _index(candidates: Sequence[Unit], key: str) -> dict[str, list[int]]:
    index: dict[str, list[int]] = defaultdict(list)
    for unit in candidates:
        if key == "code":
            values: Iterable[str] = (unit.code,) if unit.code else ()
        elif key == "name":
            values = (unit.name,)
        else:
            values = set(unit.paths)
        for value in values:
            index[value].append(unit.pk)
    return index


def _lookup_value(key: str, raw: str) -> str:
    return normalise_path(raw) if key == "path" else raw.strip()


@dataclass(frozen=True)
class MatchOption:
    property: str
    key: str
    matched: int  # features it matches to exactly one unit


def match_options(features: Sequence[Feature], candidates: Sequence[Unit]) -> list[MatchOption]:
    """Every (property, code/name/path) pair with how many features it matches to exactly
    one unit, best first."""
    indexes = {key: _index(candidates, key) for key in MATCH_KEYS}
    names = Counter(name for feature in features for name in feature.properties)
    options = []
    for name in names:
        for key in MATCH_KEYS:
            index = indexes[key]
            matched = sum(
                1
                for feature in features
                if len(index.get(_lookup_value(key, feature.properties.get(name, "")), ())) == 1
            )
            if matched:
                options.append(MatchOption(name, key, matched))
    options.sort(key=lambda o: (-o.matched, MATCH_KEYS.index(o.key), o.property))
    return options


def match_features(
    features: Sequence[Feature], candidates: Sequence[Unit], *, prop: str, key: str
) -> tuple[dict[int, int], list[dict[str, Any]]]:
    """feature number → unit id, and the errors: no unit, two units, two features for
    one unit (all named)."""
    index = _index(candidates, key)
    by_pk = {unit.pk: unit for unit in candidates}
    matched: dict[int, int] = {}
    errors = []
    first_for: dict[int, Feature] = {}
    for feature in features:
        raw = feature.properties.get(prop, "")
        if not raw:
            errors.append(_error("no_value", feature, property=prop))
            continue
        hits = index.get(_lookup_value(key, raw), [])
        if not hits:
            errors.append(_error("unmatched", feature, property=prop, value=raw[:60]))
        elif len(hits) > 1:
            units = "、".join(by_pk[pk].paths[-1] for pk in hits[:5])
            errors.append(_error(
                "ambiguous", feature, property=prop, value=raw[:60], count=len(hits), units=units
            ))  # fmt: skip
        elif hits[0] in first_for:
            other = first_for[hits[0]]
            errors.append(_error(
                "duplicate", feature, other_number=other.number, other_name=other.name,
                unit=by_pk[hits[0]].name,
            ))  # fmt: skip
        else:
            first_for[hits[0]] = feature
            matched[feature.number] = hits[0]
    return matched, errors


# --- The whole check -------------------------------------------------------------------
@dataclass
class Verdict:
    """What :func:`check` found: errors (kind + params + feature + unit ids), the
    features' units, their new outlines (GeoJSON, for saving) and shapes (for drawing)."""

    features: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    matched: dict[int, int] = field(default_factory=dict)  # feature number → unit id
    stored: dict[int, Any] = field(default_factory=dict)  # unit id → GeoJSON geometry
    shapes: dict[int, Any] = field(default_factory=dict)  # feature number → shapely
    bad_features: set[int] = field(default_factory=set)
    bad_units: set[int] = field(default_factory=set)
    context: dict[int, Any] = field(default_factory=dict)  # unit id → stored shape drawn
    labels: dict[int, str] = field(default_factory=dict)  # feature number → its label

    def add(self, error: dict[str, Any]) -> None:
        self.errors.append(error)
        if error.get("feature"):
            self.bad_features.add(error["feature"])
        self.bad_units.update(error.get("units", ()))

    def report(self, *, options: Sequence[MatchOption] = ()) -> dict[str, Any]:
        return {
            "features": self.features,
            "error_count": len(self.errors),
            "errors": self.errors[:MAX_REPORTED_ERRORS],
            "matched": sorted(self.matched.items()),
            "options": [[o.property, o.key, o.matched] for o in options[:30]],
        }


def _noop(stage: str, done: int, total: int) -> None:
    return None


def check(
    *,
    anchor: Jurisdiction,
    mode: str,
    features: Sequence[Feature],
    prop: str = "",
    key: str = "",
    progress: Progress = _noop,
    units: dict[int, Unit] | None = None,
) -> Verdict:
    """All the checks of an upload, in the order a person fixes them: each geometry, the
    matching, then inside the parent and no overlap with siblings (new or stored)."""
    verdict = Verdict(features=len(features))
    total = len(features)
    progress("geometry", 0, total)
    shapes: dict[int, Any] = {}
    geojson: dict[int, Any] = {}
    by_number = {feature.number: feature for feature in features}
    verdict.labels = {
        feature.number: feature_label(feature.number, feature.name) for feature in features
    }
    for done, feature in enumerate(features, start=1):
        shape, error, stored = build_shape(feature)
        if error:
            verdict.add(error)
        else:
            shapes[feature.number], geojson[feature.number] = shape, stored
        if done % 500 == 0:
            progress("geometry", done, total)
    numbers = np.array(list(shapes), dtype=int)
    array = np.array(list(shapes.values()), dtype=object)
    if len(array):
        valid = shapely.is_valid(array)
        reasons = shapely.is_valid_reason(array[~valid])
        for number, reason in zip(numbers[~valid], reasons, strict=True):
            verdict.add(_error("invalid", by_number[int(number)], reason=reason))
            del shapes[int(number)]
    verdict.shapes = shapes
    progress("matching", 0, total)
    units = units if units is not None else tree_units(anchor)
    if mode == UploadMode.UNIT:
        if len(features) != 1:
            verdict.add({"kind": "one_feature", "params": {"count": len(features)}})
            return verdict
        matched = {features[0].number: anchor.pk}
    else:
        matched, errors = match_features(features, _candidates(units), prop=prop, key=key)
        for error in errors:
            verdict.add(error)
    verdict.matched = matched
    new_shapes = {matched[n]: s for n, s in shapes.items() if n in matched}
    verdict.stored = {matched[n]: g for n, g in geojson.items() if n in matched}
    feature_of = {unit: number for number, unit in matched.items()}
    _check_places(verdict, units, new_shapes, feature_of, progress)
    return verdict


def _load_shapes(ids: Iterable[int]) -> dict[int, Any]:
    ids = list(ids)
    shapes = {}
    for start in range(0, len(ids), 500):
        for pk, boundary in Jurisdiction.objects.filter(
            pk__in=ids[start : start + 500]
        ).values_list("pk", "boundary"):
            shape = _stored_shape(boundary)
            if shape is not None:
                shapes[pk] = shape
    return shapes


def _check_places(
    verdict: Verdict,
    units: dict[int, Unit],
    new: dict[int, Any],
    feature_of: dict[int, int],
    progress: Progress,
) -> None:
    """Inside the parent, children inside their new parent, no overlap with siblings."""
    total = len(new)
    children: dict[int, list[int]] = defaultdict(list)
    for unit in units.values():
        if unit.parent_id is not None:
            children[unit.parent_id].append(unit.pk)
    # The outline each new one must lie in: the nearest ancestor with one (new or stored).
    reference: dict[int, int] = {}
    wanted: set[int] = set()
    for pk in new:
        parent = units[pk].parent_id if pk in units else None
        while parent is not None and parent in units:
            if parent in new or units[parent].has_boundary:
                reference[pk] = parent
                if parent not in new:
                    wanted.add(parent)
                break
            parent = units[parent].parent_id
    stored_children = {
        child for pk in new for child in children.get(pk, ())
        if child not in new and units[child].has_boundary
    }  # fmt: skip
    siblings = {
        sibling for pk in new if units.get(pk) and units[pk].parent_id is not None
        for sibling in children[units[pk].parent_id]  # type: ignore[index]
        if sibling not in new and units[sibling].has_boundary
    }  # fmt: skip
    stored = _load_shapes(wanted | stored_children | siblings)
    verdict.context = {pk: stored[pk] for pk in siblings if pk in stored}

    def outline(pk: int) -> Any:
        return new[pk] if pk in new else stored.get(pk)

    def feature_params(pk: int) -> dict[str, Any]:
        number = feature_of.get(pk)
        return {"feature": number} if number else {}

    progress("parents", 0, total)
    # 1. Inside the parent: a prepared ``covers`` settles almost all at once.
    pairs = [(pk, ref) for pk, ref in reference.items() if outline(ref) is not None]
    pairs += [(child, parent) for child in stored_children if child in stored
              for parent in [units[child].parent_id] if parent is not None]  # fmt: skip
    if pairs:
        inner = np.array([outline(a) for a, _b in pairs], dtype=object)
        outer = np.array([outline(b) for _a, b in pairs], dtype=object)
        shapely.prepare(outer)
        suspect = np.flatnonzero(~shapely.covers(outer, inner))
        if len(suspect):
            outside = shapely.difference(inner[suspect], outer[suspect])
            bad = _beyond_tolerance(outside, shapely.area(inner[suspect]))
            shares = shapely.area(outside) / np.maximum(shapely.area(inner[suspect]), 1e-18)
            for position, is_bad, share in zip(suspect, bad, shares, strict=True):
                if not is_bad:
                    continue
                pk, parent = pairs[position]
                kind = "outside_parent" if pk in new else "child_outside"
                named = pk if pk in new else parent
                verdict.add({
                    "kind": kind, "units": [pk, parent], **feature_params(named),
                    "params": {"unit": units[pk].name, "parent": units[parent].name,
                               "percent": f"{share * 100:.1f}", **_tolerance_params()},
                })  # fmt: skip
    progress("parents", total, total)
    # 2. No overlap among siblings: an STRtree finds the neighbours, DE-9IM ``T********``
    # (interiors meet) drops those that only touch, the area test the rest.
    progress("overlaps", 0, total)
    ids = list(new) + [pk for pk in siblings if pk in stored]
    if len(ids) > 1:
        geoms = np.array([outline(pk) for pk in ids], dtype=object)
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms[: len(new)], predicate="intersects")
        parents = np.array([units[pk].parent_id if pk in units else -1 for pk in ids])
        parents = np.where(parents == None, -1, parents).astype(int)  # noqa: E711
        keep = (left != right) & (parents[left] == parents[right])
        keep &= (right >= len(new)) | (left < right)
        left, right = left[keep], right[keep]
        if len(left):
            meet = shapely.relate_pattern(geoms[left], geoms[right], "T********")
            left, right = left[meet], right[meet]
        if len(left):
            overlap = shapely.intersection(geoms[left], geoms[right])
            smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
            bad = _beyond_tolerance(overlap, smaller)
            shares = shapely.area(overlap) / np.maximum(smaller, 1e-18)
            for a, b, is_bad, share in zip(left, right, bad, shares, strict=True):
                if is_bad:
                    pa, pb = ids[a], ids[b]
                    verdict.add({
                        "kind": "overlap", "units": [pa, pb], **feature_params(pa),
                        "params": {"unit": units[pa].name, "other": units[pb].name,
                                   "percent": f"{share * 100:.1f}", **_tolerance_params()},
                    })  # fmt: skip
    progress("overlaps", total, total)


def _tolerance_params() -> dict[str, str]:
    return {"tolerance": f"{AREA_TOLERANCE * 100:g}", "metres": f"{EDGE_TOLERANCE_METRES:g}"}


# --- Saving ----------------------------------------------------------------------------
def store(*, actor: Any, outlines: dict[int, Any], progress: Progress = _noop) -> int:
    """Write the outlines (unit id → GeoJSON geometry) in batches, one audit event per
    unit; inside the caller's transaction."""
    total = len(outlines)
    now = timezone.now()
    items = sorted(outlines.items())
    # One prepared UPDATE run for each row: bulk_update's CASE WHEN over 500 ids per
    # statement took 2.6 times as long for a bureau's 10,000 outlines (bench/boundaries.py).
    meta = Jurisdiction._meta
    boundary, updated_at = meta.get_field("boundary"), meta.get_field("updated_at")
    quote = connection.ops.quote_name
    table, pk_column = quote(meta.db_table), quote(meta.pk.column or "id")
    # Identifiers from the model, values bound as parameters.
    sql = f"UPDATE {table} SET boundary = %s, updated_at = %s WHERE {pk_column} = %s"  # noqa: S608
    stamp = updated_at.get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        for start in range(0, total, 1000):
            batch = items[start : start + 1000]
            cursor.executemany(
                sql, [(boundary.get_db_prep_save(g, connection), stamp, pk) for pk, g in batch]
            )
            progress("saving", min(total, start + 1000), total)
    # One event per unit, as record() would write them, under one lock in one insert.
    named: list[Jurisdiction] = []
    for start in range(0, total, 500):
        chunk = [pk for pk, _geometry in items[start : start + 500]]
        named += Jurisdiction.objects.filter(pk__in=chunk).only("pk", "name", "path")
    if len(named) == 1:
        audit.record(actor=actor, action="update", obj=named[0], fields=["boundary"])
    elif named:
        audit.record_each(actor=actor, action="update", objs=named, fields=["boundary"])
    return total


# --- Preview ---------------------------------------------------------------------------
SVG_WIDTH = 800
SVG_MAX_HEIGHT = 800


def render_svg(verdict: Verdict, *, frame: Any = None, frame_name: str = "") -> str:
    """An SVG of the new outlines (red where an error names them) over the parent's
    outline (dashed) and the stored neighbours (grey); lng/lat projected plate carrée
    with the longitude scaled by the cosine of the middle latitude."""
    new = [(n, s) for n, s in verdict.shapes.items()]
    unit_of = verdict.matched
    context = [(pk, s) for pk, s in verdict.context.items()]
    everything = [s for _n, s in new] + [s for _p, s in context] + ([frame] if frame else [])
    if not everything:
        return ""
    bounds = shapely.total_bounds(np.array(everything, dtype=object))
    west, south, east, north = (float(v) for v in bounds)
    scale_x = math.cos(math.radians((south + north) / 2)) or 1.0
    span_x = max((east - west) * scale_x, 1e-9)
    span_y = max(north - south, 1e-9)
    # At most square (the page draws it 100 % wide: a tall area must not make it taller
    # than wide); the drawing is centred in the box.
    width = SVG_WIDTH
    height = min(SVG_MAX_HEIGHT, max(200, round(width * span_y / span_x)))
    pad = 8
    factor = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    left = (width - span_x * factor) / 2
    top = (height - span_y * factor) / 2
    tolerance = 0.5 / factor  # half a pixel, in degrees

    def project(coords: np.ndarray) -> np.ndarray:
        x = left + (coords[:, 0] - west) * scale_x * factor
        y = top + (north - coords[:, 1]) * factor
        return np.column_stack([x, y])

    def path(shape: Any) -> str:
        simple = shapely.simplify(shape, tolerance, preserve_topology=False)
        if simple.is_empty:
            simple = shape.envelope
        projected = shapely.transform(simple, project)
        out = []
        for polygon in shapely.get_parts(projected):
            for ring in (
                [polygon.exterior, *polygon.interiors] if hasattr(polygon, "exterior") else []
            ):
                points = np.asarray(ring.coords)
                out.append("M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in points[:-1]) + "Z")
        return "".join(out)

    lines = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" class="boundary-map" aria-label="{xml_escape(_("边界预览"))}">',
        f'<rect width="{width}" height="{height}" fill="#f8fafc"/>',
    ]
    for _pk, shape in context:
        lines.append(f'<path d="{path(shape)}" fill="#e4e7eb" stroke="#9aa5b1" stroke-width="1"/>')
    if frame is not None:
        lines.append(
            f'<path d="{path(frame)}" fill="none" stroke="#334e68" stroke-width="2" '
            f'stroke-dasharray="6 4"><title>{xml_escape(frame_name)}</title></path>'
        )
    bad_units = verdict.bad_units
    for number, shape in new:
        bad = number in verdict.bad_features or unit_of.get(number) in bad_units
        colour = 'fill="#fdecea" stroke="#c81e1e" stroke-width="2"' if bad else (
            'fill="#e3f6ec" fill-opacity="0.7" stroke="#1f7a4d" stroke-width="1"'
        )  # fmt: skip
        label = xml_escape(verdict.labels.get(number, str(number)))
        lines.append(f'<path d="{path(shape)}" {colour}><title>{label}</title></path>')
    lines.append("</svg>")
    return "\n".join(lines)


# --- The upload's life: services and runners ---------------------------------------------
def max_upload_bytes() -> int:
    return int(getattr(settings, "FENGQIAO_BOUNDARY_MAX_BYTES", DEFAULT_MAX_BYTES))


def uploads_for(*, user: Any, unit: Jurisdiction) -> Any:
    """The user's own uploads for ``unit``, newest first."""
    require(user, Capability.MANAGE_JURISDICTIONS)
    return BoundaryUpload.objects.filter(user=user, unit=unit).order_by("-created_at", "-pk")


def upload_for(*, user: Any, unit: Jurisdiction, pk: int) -> BoundaryUpload:
    """One of the user's uploads for ``unit`` (BoundaryUpload.DoesNotExist otherwise)."""
    return uploads_for(user=user, unit=unit).get(pk=pk)


def _own(user: Any, upload: BoundaryUpload) -> None:
    require(user, Capability.MANAGE_JURISDICTIONS)
    if upload.user_id != user.pk:
        raise PermissionDenied
    try:
        selectors.jurisdiction_for(user, upload.unit_id)
    except Jurisdiction.DoesNotExist:
        raise PermissionDenied from None


def create_upload(
    *, user: Any, unit: Jurisdiction, mode: str, upload: UploadedFile, inline: bool | None = None
) -> BoundaryUpload:
    """Keep an uploaded outline file (MEDIA_ROOT/boundaries/) and check it: in the
    request when small, else in the background."""
    require(user, Capability.MANAGE_JURISDICTIONS)
    selectors.jurisdiction_for(user, unit.pk)  # DoesNotExist outside the user's scope
    if mode not in UploadMode.values:
        raise ValidationError(_("请选择上传方式。"))
    if upload.size is not None and upload.size > max_upload_bytes():
        raise ValidationError(
            str(BoundaryFileError("too_large", limit=max_upload_bytes() // 2**20))
        )
    name = (upload.name or "boundary.geojson")[-200:]
    record = BoundaryUpload(user=user, unit=unit, mode=mode, original_name=name)
    record.file.save(name, upload, save=False)
    record.save()
    audit.record(actor=user, action="create", obj=record, fields=["file", "mode", "unit"])
    _enqueue_or_run(record, inline)
    record.refresh_from_db()
    return record


def _enqueue_or_run(record: BoundaryUpload, inline: bool | None, *, save: bool = False) -> None:
    small = record.file.size <= INLINE_MAX_BYTES
    if inline if inline is not None else small:
        (run_save if save else run_check)(record.pk)
        return
    from fengqiao.jurisdictions import boundary_tasks

    (boundary_tasks.save_boundaries if save else boundary_tasks.check_boundaries).enqueue(record.pk)


def choose_match(
    *, user: Any, upload: BoundaryUpload, prop: str, key: str, inline: bool | None = None
) -> BoundaryUpload:
    """Match features to units by ``prop`` read as ``key`` (code/name/path), then check."""
    _own(user, upload)
    if upload.is_running or upload.status == UploadStatus.DONE:
        raise ValidationError(_("该上传正在处理或已保存。"))
    if key not in MATCH_KEYS or not prop:
        raise ValidationError(_("请选择对应字段和对应方式。"))
    upload.match_property, upload.match_key = prop[:100], key
    upload.status = UploadStatus.CHECKING
    upload.save(update_fields=["match_property", "match_key", "status", "updated_at"])
    _enqueue_or_run(upload, inline)
    upload.refresh_from_db()
    return upload


def start_save(*, user: Any, upload: BoundaryUpload, inline: bool | None = None) -> BoundaryUpload:
    """Save the checked outlines: checked again in the same transaction (the tree may
    have changed since the preview), all or nothing."""
    _own(user, upload)
    if not upload.can_save:
        raise ValidationError(_("校验全部通过后才能保存。"))
    upload.status = UploadStatus.SAVING
    upload.save(update_fields=["status", "updated_at"])
    _enqueue_or_run(upload, inline, save=True)
    upload.refresh_from_db()
    return upload


def _progress_writer(upload: BoundaryUpload) -> Progress:
    path = upload.progress_path
    scratch = path.with_suffix(".progress-new")

    def update(stage: str, done: int, total: int) -> None:
        try:
            scratch.write_text(json.dumps({"stage": stage, "done": done, "total": total}))
            os.replace(scratch, path)
        except OSError:  # progress is a courtesy
            logger.warning("cannot write boundary progress to %s", path)

    return update


def _finish(upload_id: int, **values: Any) -> None:
    BoundaryUpload.objects.filter(pk=upload_id).update(updated_at=timezone.now(), **values)


def _verdict_for(upload: BoundaryUpload, progress: Progress) -> tuple[Verdict, list[MatchOption]]:
    progress("reading", 0, 0)
    features = read_features(Path(upload.file.path).read_bytes())
    progress("reading", len(features), len(features))  # parsed: the longest silent step
    anchor = upload.unit
    options: list[MatchOption] = []
    prop, key = upload.match_property, upload.match_key
    units = tree_units(anchor)
    if upload.mode == UploadMode.SUBTREE:
        options = match_options(features, _candidates(units))
        if not prop:
            chosen = _unambiguous(features, _candidates(units), options)
            if chosen is None:
                return Verdict(features=len(features)), options
            prop, key = chosen
    verdict = check(anchor=anchor, mode=upload.mode, features=features, prop=prop, key=key,
                    progress=progress, units=units)  # fmt: skip
    verdict.matched = verdict.matched or {}
    return verdict, options


def _unambiguous(
    features: Sequence[Feature], candidates: Sequence[Unit], options: Sequence[MatchOption]
) -> tuple[str, str] | None:
    """The (property, key) to use without asking: the options that match every feature,
    when they all give the same units; None when the user must choose."""
    complete = [o for o in options if o.matched == len(features)]
    if not complete:
        return None
    mappings = [
        match_features(features, candidates, prop=o.property, key=o.key)[0] for o in complete
    ]
    if any(mapping != mappings[0] for mapping in mappings[1:]):
        return None
    return complete[0].property, complete[0].key


def _frame(upload: BoundaryUpload, verdict: Verdict) -> tuple[Any, str]:
    """The outline the preview is framed by: the anchor's parent's for one unit; the
    anchor's (new or stored) for a subtree."""
    anchor = upload.unit
    if upload.mode == UploadMode.UNIT:
        parent = anchor.parent
        return (_stored_shape(parent.boundary), parent.name) if parent else (None, "")
    number = next((n for n, pk in verdict.matched.items() if pk == anchor.pk), None)
    if number is not None and number in verdict.shapes:
        return None, anchor.name  # drawn among the new ones
    return _stored_shape(anchor.boundary), anchor.name


def run_check(upload_id: int) -> None:
    """Read, match, check and draw one upload; its report and preview saved."""
    upload = BoundaryUpload.objects.select_related("unit", "unit__parent").get(pk=upload_id)
    progress = _progress_writer(upload)
    try:
        verdict, options = _verdict_for(upload, progress)
    except BoundaryFileError as error:
        _finish(upload_id, status=UploadStatus.FAILED, report={"errors": [error.as_error()],
                "error_count": 1, "features": 0}, checked_at=timezone.now())  # fmt: skip
        upload.progress_path.unlink(missing_ok=True)
        return
    except BaseException:
        logger.exception("boundary check %s failed", upload_id)
        _finish(upload_id, status=UploadStatus.FAILED, report={"errors": [
            {"kind": "system", "params": {}}], "error_count": 1})  # fmt: skip
        upload.progress_path.unlink(missing_ok=True)
        raise
    report = verdict.report(options=options)
    if upload.mode == UploadMode.SUBTREE and not verdict.matched and not verdict.errors:
        _finish(upload_id, status=UploadStatus.NEEDS_MATCH, report=report)
    else:
        progress("drawing", 0, 0)
        frame, frame_name = _frame(upload, verdict)
        upload.preview_path.write_text(
            render_svg(verdict, frame=frame, frame_name=frame_name), encoding="utf-8"
        )
        _finish(upload_id, status=UploadStatus.CHECKED, report=report, checked_at=timezone.now())
    upload.progress_path.unlink(missing_ok=True)


def run_save(upload_id: int) -> None:
    """Check again and store, in one transaction; any error and nothing is stored."""
    upload = BoundaryUpload.objects.select_related("unit", "user").get(pk=upload_id)
    progress = _progress_writer(upload)
    try:
        with transaction.atomic():
            verdict, options = _verdict_for(upload, progress)
            if verdict.errors or not verdict.matched:
                report = verdict.report(options=options)
                _finish(upload_id, status=UploadStatus.CHECKED, report=report)
                return
            saved = store(actor=upload.user, outlines=verdict.stored, progress=progress)
            # The units' own events (one each) were written by store(); this one ties
            # them to the file they came from.
            audit.record(actor=upload.user, action="update", obj=upload, fields=["status"])
            _finish(upload_id, status=UploadStatus.DONE, finished_at=timezone.now(),
                    report={**verdict.report(options=options), "saved": saved})  # fmt: skip
    except BoundaryFileError as error:
        _finish(upload_id, status=UploadStatus.FAILED, report={"errors": [error.as_error()],
                "error_count": 1, "features": 0})  # fmt: skip
    except BaseException:
        logger.exception("boundary save %s failed", upload_id)
        _finish(upload_id, status=UploadStatus.FAILED, report={"errors": [
            {"kind": "system", "params": {}}], "error_count": 1})  # fmt: skip
        raise
    finally:
        upload.progress_path.unlink(missing_ok=True)


_MESSAGES["system"] = gettext_lazy("处理时发生系统错误，未保存任何边界。")
