"""台账导入导出: import the station ledgers (标准地址, 实有房屋, 实有人口, 实有单位) from
.xlsx or .csv, and export them to .xlsx.

An import is three steps, each a plain function here (views, the background task and the
``import_registry`` command only call them):

1. :func:`read_headers` + :func:`propose_mapping`: the first row is the header; each target
   field is matched to a column by its Chinese label or an alias (身份证号码 → id_number).
2. :func:`validate_file` (试导入 / dry run): every row is checked, nothing is written. The
   :class:`Report` counts rows and lists errors as (spreadsheet row, column header, reason).
3. :func:`commit_file`: validates again while inserting in batches inside ONE transaction;
   any error rolls everything back (all or nothing), and one audit event records the import.

Files are streamed (csv reader, openpyxl read-only), rows are handled in batches of
:data:`BATCH_SIZE`, and people are inserted through a raw bulk path (executemany on SQLite,
COPY on PostgreSQL), so a million rows fit in a few hundred megabytes and a minute.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import queue
import re
import sys
import threading
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Field as DjangoField
from django.db.models import Max, Model, OuterRef, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from fengqiao.accounts.selectors import scoped
from fengqiao.addresses import codes
from fengqiao.addresses import selectors as address_selectors
from fengqiao.addresses.models import AddressStatus, StandardAddress
from fengqiao.addresses.services import county_of, police_district_of, printed_form
from fengqiao.audit import services as audit
from fengqiao.core.exports import to_xlsx
from fengqiao.core.masking import mask
from fengqiao.core.roles import Capability, require
from fengqiao.core.text import join_list
from fengqiao.core.validators import (
    normalise_id_number,
    validate_id_number,
    validate_mobile,
    validate_uscc,
)
from fengqiao.jurisdictions.models import Jurisdiction
from fengqiao.registry import population, selectors
from fengqiao.registry.address_texts import Settled, TextSettler
from fengqiao.registry.import_models import AddressReview
from fengqiao.registry.models import (
    House,
    HouseholdType,
    HouseUse,
    Industry,
    Organisation,
    Person,
    Relation,
    Residence,
    ResidenceStatus,
)

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
# A normal (not read-only) openpyxl load sees merged cells but holds the whole sheet in
# memory: only for files small enough for that to be cheap.
MERGE_CHECK_MAX_BYTES = 5 * 1024 * 1024
MAX_REPORTED_ERRORS = 200
MAX_TITLE_ROWS = 5  # rows above the header (a title, a date line, a blank) that are skipped
BATCH_SIZE = 5000
PROGRESS_EVERY = BATCH_SIZE
KINDS = ("addresses", "houses", "people", "organisations")

_FORMULA_TRIGGERS = ("=", "+", "-", "@")
_HEADER_NOISE = re.compile(r"[\s*＊:：]|[（(]必填[)）]")


def max_import_bytes() -> int:
    """The size limit for an uploaded ledger (settings.FENGQIAO_IMPORT_MAX_BYTES)."""
    return int(getattr(settings, "FENGQIAO_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


# What reading one upload may cost. A .xlsx is a zip: 0.9 MB of deflate can hold 900 MB
# of sheet XML, so the upload's size says nothing about the work. Its members are
# inspected before openpyxl opens it (their declared sizes bound what zipfile will
# inflate: it stops at the declared size and fails the CRC of a member that lied), then
# rows are streamed (read-only) up to a row and column limit, within a time budget.
# A real ledger's sheet XML deflates 5 to 20 times; a million rows unpack to ~400 MB.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_ABOVE = 1024 * 1024  # a few kB of styles may compress better: harmless
MAX_ROWS = 1_000_000
MAX_COLUMNS = 200
TIME_LIMIT_SECONDS = 30 * 60


def _limit(name: str, default: int) -> int:
    return int(getattr(settings, f"FENGQIAO_IMPORT_{name}", default))


class ImportFileError(Exception):
    """The file as a whole cannot be read (size, format, encoding): nothing is imported."""


class ImportRefused(ImportFileError):
    """The file would cost more to read than an import may (unpacked size, compression
    ratio, members, rows, time): refused as a whole, the stored file is deleted."""


def unpacked_size(source: Any) -> int:
    """The bytes a .xlsx (a zip; a path or an open binary file) unpacks to, read from its
    central directory only. Raises :class:`ImportRefused` for a zip bomb and
    :class:`ImportFileError` for a file that is not a zip."""
    try:
        with zipfile.ZipFile(source) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(_("无法读取 .xlsx 文件：%(error)s") % {"error": error}) from None
    if len(members) > _limit("MAX_ZIP_MEMBERS", MAX_ZIP_MEMBERS):
        raise ImportRefused(_("文件包含 %(n)d 个部件，不像台账，已拒绝。") % {"n": len(members)})
    ratio_limit = _limit("MAX_COMPRESSION_RATIO", MAX_COMPRESSION_RATIO)
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > RATIO_CHECKED_ABOVE and ratio > ratio_limit:
            raise ImportRefused(
                _(
                    "文件中的 %(name)s 解压后为 %(size).0f MB，是压缩后的 %(ratio).0f 倍"
                    "（上限 %(limit)d 倍），疑似压缩炸弹，已拒绝。"
                )
                % {
                    "name": member.filename[-60:],
                    "size": member.file_size / 1024 / 1024,
                    "ratio": ratio,
                    "limit": ratio_limit,
                }
            )
    total = sum(member.file_size for member in members)
    limit = _limit("MAX_UNPACKED_BYTES", MAX_UNPACKED_BYTES)
    if total > limit:
        raise ImportRefused(
            _("文件解压后为 %(size).0f MB，上限为 %(limit)d MB，请拆分后分批导入。")
            % {"size": total / 1024 / 1024, "limit": limit // 1024 // 1024}
        )
    return total


class MappingError(Exception):
    """The column mapping is incomplete or inconsistent."""


class CellError(Exception):
    """One cell's value is refused; the message is the reason shown to the user."""


# --- Reports ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    """One refused cell or row: ``row`` as numbered in the spreadsheet (header = 1),
    ``None`` for a problem with the file as a whole."""

    row: int | None
    column: str
    reason: str


@dataclass
class Report:
    """The outcome of a dry run or a commit. All errors are counted; the first
    :data:`MAX_REPORTED_ERRORS` are kept for display."""

    kind: str
    total_rows: int = 0
    valid_rows: int = 0
    error_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    rejected_rows: int = 0  # rows with at least one error (error_count counts cells)
    file_errors: int = 0  # problems with the file as a whole: nothing is ever written
    to_review: int = 0  # rows whose address waits in the review queue (not errors)
    existing: int = 0  # addresses of an address list already registered (not errors)
    created: int = 0
    updated: int = 0  # people and organisations already registered (same ID, same code)
    houses_created: int = 0
    committed: bool = False
    good_rows_only: bool = False  # committed the good rows, the rejected listed
    refused: bool = False  # the file itself was refused (ImportRefused): never importable

    def add(self, row: int | None, column: str, reason: str) -> None:
        self.error_count += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append(RowError(row, column, str(reason)))

    def add_file_error(self, error: Exception) -> None:
        self.add(None, "", str(error))
        self.file_errors += 1
        self.refused = self.refused or isinstance(error, ImportRefused)

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and self.total_rows > 0

    @property
    def hidden_errors(self) -> int:
        return self.error_count - len(self.errors)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        values = dict(data)
        values["errors"] = [RowError(**e) for e in values.get("errors", [])]
        return cls(**values)


# --- Target fields ----------------------------------------------------------------------

Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class FieldSpec:
    """One target field of an import: its English name, the Chinese label shown and
    matched against headers, other header texts that mean the same, and how a cell
    becomes a value (raising :class:`CellError`)."""

    name: str
    label: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    convert: Converter | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class KindSpec:
    """An importable kind (one ledger): its fields and the model it fills."""

    kind: str
    label: str
    model: type[Model]
    fields: tuple[FieldSpec, ...]
    # at least one of these columns must be mapped, and filled in each row
    one_of: tuple[str, ...] = ()

    def field(self, name: str) -> FieldSpec:
        return next(f for f in self.fields if f.name == name)

    @property
    def required(self) -> list[FieldSpec]:
        return [f for f in self.fields if f.required]


def _text(value: Any) -> str:
    """A cell as text: numbers without a spurious '.0', dates as ISO dates."""
    if isinstance(value, str):
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _message(error: ValidationError) -> str:
    return str(error.messages[0]) if error.messages else str(error)


def id_number_value(value: Any) -> str:
    if isinstance(value, float):  # Excel keeps 15 significant digits: the number is lost
        raise CellError(_("身份证号被存为数字，已失真，请将该列设为文本格式后重新填写。"))
    return _checked(normalise_id_number(_text(value)), validate_id_number)


def mobile_value(value: Any) -> str:
    return _checked(_text(value).replace(" ", "").replace("-", ""), validate_mobile)


def uscc_value(value: Any) -> str:
    return _checked(_text(value).upper(), validate_uscc)


def _checked(text: str, validator: Callable[[str], None]) -> str:
    """An optional identifier: empty stays empty, anything else must pass ``validator``."""
    if text:
        try:
            validator(text)
        except ValidationError as error:
            raise CellError(_message(error)) from None
    return text


def address_code_value(value: Any) -> str:
    text = _text(value)
    if not text:
        return ""
    code = _valid_code(text)
    if code is None:
        raise CellError(_("标准地址编码格式或校验位不正确。"))
    return code


@lru_cache(maxsize=100_000)  # a ledger names the same few thousand addresses again and again
def _valid_code(text: str) -> str | None:
    code = codes.normalise(text)
    return code if codes.is_valid(code) else None


_DATE_PATTERN = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def date_value(value: Any) -> dt.date | None:
    """2024-05-01, 2024/5/1, 2024.5.1, 2024年5月1日, 20240501, Excel dates and serials."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's serial day numbers (1900 date system)
            return _EXCEL_EPOCH + dt.timedelta(days=int(value))
        raise CellError(_("日期格式不正确，请写成 2024-05-01。"))
    text = _text(value)
    try:
        if match := _DATE_PATTERN.match(text):
            return dt.date(*(int(part) for part in match.groups()))
        if len(text) == 8 and text.isdigit():
            return dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
        if text.isdigit() and 3 <= len(text) <= 6:  # a serial saved as text in a CSV
            return _EXCEL_EPOCH + dt.timedelta(days=int(text))
    except ValueError:
        raise CellError(_("日期不存在：%(value)s。") % {"value": text}) from None
    raise CellError(_("日期格式不正确，请写成 2024-05-01。"))


def decimal_value(value: Any) -> Decimal | None:
    text = _text(value)
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(_("应为数字。")) from None
    if not number.is_finite() or number < 0 or number >= Decimal("1000000"):
        raise CellError(_("数值不在合理范围内。"))
    return number.quantize(Decimal("0.01"))


def count_value(value: Any) -> int | None:
    text = _text(value)
    if not text:
        return None
    if not text.isdigit() or int(text) > 32767:
        raise CellError(_("应为不大于32767的整数。"))
    return int(text)


@cache
def _choice_lookup(choices: Any) -> dict[str, str]:
    """Value, Chinese label and English label of each choice → the stored value."""
    lookup: dict[str, str] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in choices.choices:
                lookup[str(label).strip().lower()] = value
    for value in choices.values:
        lookup[value.lower()] = value
    return lookup


def choice_of(choices: Any) -> Converter:
    def convert(value: Any) -> str:
        text = _text(value)
        if not text:
            return ""
        found = _choice_lookup(choices).get(text.lower())
        if found is None:
            allowed = join_list(choices.labels)
            raise CellError(_("“%(value)s”不是可选值（%(allowed)s）。") % {
                "value": text, "allowed": allowed})  # fmt: skip
        return found

    convert.choices = choices  # type: ignore[attr-defined]  # the templates' drop-down lists
    return convert


def _length(model: type[Model], name: str) -> int | None:
    return getattr(model._meta.get_field(name), "max_length", None)


_CODE_ALIASES = ("标准地址编码", "地址编码", "标准地址代码", "地址代码", "地址码")
_TEXT_ALIASES = (
    "地址", "详细地址", "住址", "现住址", "现居住地址", "居住地址", "现住地址", "房屋地址",
    "门牌地址", "单位地址", "经营地址", "场所地址", "地址名称",
)  # fmt: skip
_ADDRESS_ONE_OF = ("address_code", "address_text")


def _address_text(label: str) -> FieldSpec:
    """The free-text address column (现住址, 地址): settled by the matcher."""
    return FieldSpec("address_text", label, aliases=_TEXT_ALIASES, max_length=300)


def _build_specs() -> dict[str, KindSpec]:
    A, H, P, O = StandardAddress, House, Person, Organisation  # noqa: E741
    return {
        "addresses": KindSpec("addresses", "标准地址", A, (
            FieldSpec("text", "地址", aliases=_TEXT_ALIASES, max_length=300),
            FieldSpec("community", "社区/村", False,
                      ("社区", "村", "社区名称", "所属社区", "社区（村）", "村（社区）", "社区村",
                       "社区编码", "社区代码")),
            FieldSpec("road", "街路巷", aliases=("街路巷名称", "街路巷名", "路", "街路", "道路"),
                      max_length=_length(A, "road")),
            FieldSpec("door_number", "门牌号", aliases=("门牌", "门楼牌号", "门（楼）牌号"),
                      max_length=_length(A, "door_number")),
            FieldSpec("compound", "小区/院", aliases=("小区", "小区名称", "院落", "小区（院）"),
                      max_length=_length(A, "compound")),
            FieldSpec("building", "楼栋", aliases=("楼栋号", "栋", "楼号", "幢"),
                      max_length=_length(A, "building")),
            FieldSpec("unit", "单元", aliases=("单元号",), max_length=_length(A, "unit")),
            FieldSpec("floor", "楼层", aliases=("层",), max_length=_length(A, "floor")),
            FieldSpec("room", "户室", aliases=("室", "户室号", "房间号", "房号", "门牌室号"),
                      max_length=_length(A, "room")),
        ), one_of=("text", "community")),
        "houses": KindSpec("houses", "实有房屋", H, (
            FieldSpec("address_code", "标准地址编码", False, _CODE_ALIASES, address_code_value),
            _address_text("房屋地址"),
            FieldSpec("owner_name", "产权人", aliases=("房主", "房主姓名", "产权人姓名", "业主"),
                      max_length=_length(H, "owner_name")),
            FieldSpec("owner_phone", "产权人电话",
                      aliases=("房主电话", "产权人手机", "业主电话", "联系电话", "手机", "手机号"),
                      convert=mobile_value),
            FieldSpec("use", "用途", aliases=("房屋用途", "使用性质", "房屋类别"),
                      convert=choice_of(HouseUse)),
            FieldSpec("area_m2", "面积（平方米）", aliases=("面积", "建筑面积", "房屋面积"),
                      convert=decimal_value),
            FieldSpec("rental_rooms", "出租间数", aliases=("出租房间数",), convert=count_value),
            FieldSpec("rented_since", "出租起始", aliases=("出租日期", "出租起始日期"),
                      convert=date_value),
        ), one_of=_ADDRESS_ONE_OF),
        "people": KindSpec("people", "实有人口", P, (
            FieldSpec("name", "姓名", True, ("名字", "人员姓名"), max_length=_length(P, "name")),
            FieldSpec("id_number", "身份证号",
                      aliases=("身份证号码", "公民身份号码", "公民身份证号码", "身份证",
                               "证件号码"),
                      convert=id_number_value),
            FieldSpec("phone", "手机号",
                      aliases=("联系电话", "手机", "手机号码", "电话", "联系方式"),
                      convert=mobile_value),
            FieldSpec("household_type", "人口类别",
                      aliases=("人员类别", "人口类型", "户籍类别", "人员类型"),
                      convert=choice_of(HouseholdType)),
            FieldSpec("address_code", "标准地址编码", False,
                      (*_CODE_ALIASES, "居住地址编码", "现住址编码"), address_code_value),
            _address_text("现住址"),
            FieldSpec("relation", "与房屋关系", True,
                      ("关系", "居住关系", "人房关系", "与房屋的关系"), choice_of(Relation)),
            FieldSpec("moved_in", "迁入日期", True,
                      ("入住日期", "迁入时间", "入住时间", "居住起始日期"), date_value),
            FieldSpec("note", "备注", max_length=_length(P, "note")),
        ), one_of=_ADDRESS_ONE_OF),
        "organisations": KindSpec("organisations", "实有单位", O, (
            FieldSpec("name", "单位名称", True, ("名称", "单位", "企业名称", "店名", "场所名称"),
                      max_length=_length(O, "name")),
            FieldSpec("credit_code", "统一社会信用代码",
                      aliases=("信用代码", "社会信用代码", "统一代码"), convert=uscc_value),
            FieldSpec("industry", "行业", True,
                      ("行业类别", "所属行业", "场所类别", "行业类型"), choice_of(Industry)),
            FieldSpec("address_code", "标准地址编码", False, _CODE_ALIASES, address_code_value),
            _address_text("地址"),
            FieldSpec("responsible_name", "负责人",
                      aliases=("法定代表人", "法人", "负责人姓名", "法人代表"),
                      max_length=_length(O, "responsible_name")),
            FieldSpec("responsible_id_number", "负责人身份证号",
                      aliases=("负责人身份证号码", "法人身份证号", "负责人公民身份号码"),
                      convert=id_number_value),
            FieldSpec("responsible_phone", "负责人电话",
                      aliases=("负责人手机", "联系电话", "手机", "法人电话", "手机号"),
                      convert=mobile_value),
            FieldSpec("closed_on", "注销/停业日期", aliases=("注销日期", "停业日期"),
                      convert=date_value),
        ), one_of=_ADDRESS_ONE_OF),
    }  # fmt: skip


SPECS: dict[str, KindSpec] = _build_specs()


def spec_for(kind: str) -> KindSpec:
    if kind not in SPECS:
        raise MappingError(_("不支持的导入类别：%(kind)s。") % {"kind": kind})
    return SPECS[kind]


# --- Mapping ----------------------------------------------------------------------------

Mapping = dict[str, int]  # target field name → column index (0-based)


def _normalise_header(text: str) -> str:
    text = (text or "").replace("（", "(").replace("）", ")")
    return _HEADER_NOISE.sub("", text).replace("(", "（").replace(")", "）").lower()


def propose_mapping(kind: str, headers: list[str]) -> Mapping:
    """Match each target field to the first column whose header is its label, its
    English name or one of its aliases (ignoring spaces, '*' and '(必填)')."""
    spec = spec_for(kind)
    normalised = [_normalise_header(h) for h in headers]
    mapping: Mapping = {}
    taken: set[int] = set()
    for stage in ("label", "alias"):  # exact labels win over aliases
        for target in spec.fields:
            if target.name in mapping:
                continue
            names = [target.label, target.name] if stage == "label" else list(target.aliases)
            wanted = {_normalise_header(n) for n in names}
            for index, header in enumerate(normalised):
                if index not in taken and header and header in wanted:
                    mapping[target.name] = index
                    taken.add(index)
                    break
    return mapping


def check_mapping(kind: str, headers: list[str], mapping: dict[str, Any]) -> Mapping:
    """Refuse a mapping that misses a required field, names an unknown field or column,
    or uses one column twice; return it with integer columns."""
    spec = spec_for(kind)
    known = {f.name for f in spec.fields}
    clean: Mapping = {}
    for name, column in mapping.items():
        if column in (None, ""):
            continue
        if name not in known:
            raise MappingError(_("未知的目标字段：%(name)s。") % {"name": name})
        try:
            index = int(column)
        except (TypeError, ValueError):
            raise MappingError(_("列号不正确：%(column)s。") % {"column": column}) from None
        if not 0 <= index < len(headers):
            raise MappingError(_("文件中没有第 %(n)d 列。") % {"n": index + 1})
        clean[name] = index
    missing = [f.label for f in spec.required if f.name not in clean]
    if missing:
        raise MappingError(_("缺少必填字段的对应列：%(fields)s。") % {"fields": join_list(missing)})
    if spec.one_of and not any(name in clean for name in spec.one_of):
        labels = [_(spec.field(name).label) for name in spec.one_of]
        raise MappingError(
            _("请至少为其中一项选择对应列：%(fields)s。") % {"fields": join_list(labels)}
        )
    columns = list(clean.values())
    if len(columns) != len(set(columns)):
        raise MappingError(_("同一列不能对应多个字段。"))
    return clean


# --- Reading files ----------------------------------------------------------------------


class TableFile:
    """A spreadsheet opened for streaming: ``headers`` and :meth:`rows`, which yields
    (spreadsheet row number, cell values) for every non-empty data row."""

    def __init__(
        self,
        path: Path | str,
        *,
        name: str = "",
        max_bytes: int | None = None,
        time_limit: float | None = None,
    ):
        self.path = Path(path)
        self.name = name or self.path.name
        limit = max_import_bytes() if max_bytes is None else max_bytes
        size = self.path.stat().st_size
        if size > limit:
            raise ImportFileError(
                _("文件过大（%(size).1f MB），上限为 %(limit)d MB，请拆分后分批导入。")
                % {"size": size / 1024 / 1024, "limit": limit // 1024 // 1024}
            )
        if size == 0:
            raise ImportFileError(_("文件是空的。"))
        self.size = size
        self.is_xlsx = self._looks_like_xlsx()
        # What parsing will read: the unpacked members of a .xlsx, the bytes of a CSV.
        self.unpacked = unpacked_size(self.path) if self.is_xlsx else size
        self.deadline = time.monotonic() + (
            time_limit if time_limit is not None else _limit("TIME_LIMIT", TIME_LIMIT_SECONDS)
        )
        self.max_rows = _limit("MAX_ROWS", MAX_ROWS)
        self.encoding = "" if self.is_xlsx else _detect_encoding(self.path)
        self._workbook: Any = None
        self.header_row = 1  # a title row above the headers is skipped (see _read_headers)
        self.headers = self._read_headers()

    def _looks_like_xlsx(self) -> bool:
        suffix = self.name.lower().rsplit(".", 1)[-1] if "." in self.name else ""
        with self.path.open("rb") as handle:
            magic = handle.read(8)
        if suffix == "xls" or magic.startswith(b"\xd0\xcf\x11\xe0"):
            raise ImportFileError(_("不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 或 CSV。"))
        if magic.startswith(b"PK"):
            return True
        if suffix == "xlsx":
            raise ImportFileError(_("文件不是有效的 .xlsx 文件。"))
        return False

    def _sheet(self) -> Any:
        from openpyxl import load_workbook

        if self._workbook is None:
            try:
                # data_only=False: a formula cell reads as its formula text, so it is seen.
                self._workbook = load_workbook(self.path, read_only=True, data_only=False)
            except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
                raise ImportFileError(
                    _("无法读取 .xlsx 文件：%(error)s") % {"error": error}
                ) from None
        if not self._workbook.worksheets:
            raise ImportFileError(_("工作簿中没有工作表。"))
        return self._workbook.worksheets[0]

    def _raw_rows(self) -> Iterator[list[Any]]:
        if self.is_xlsx:
            # max_col: a sheet whose dimension claims 16,384 columns would otherwise pad
            # every row to that width. max_row: one past the limit, to see it exceeded.
            sheet = self._sheet()
            for row in sheet.iter_rows(
                values_only=True, max_col=MAX_COLUMNS, max_row=self.max_rows + 2
            ):
                yield list(row)
        else:
            with self.path.open(encoding=self.encoding, newline="") as handle:
                reader = csv.reader(handle)
                try:
                    yield from reader
                except csv.Error as error:
                    raise ImportFileError(
                        _("第 %(row)d 行无法解析：%(error)s")
                        % {"row": reader.line_num, "error": error}
                    ) from None

    def _read_headers(self) -> list[str]:
        """The first row of two or more filled cells: a ledger as stations keep it often
        opens with its title (凤台社区实有人口登记表) in one merged cell, or a blank row.
        A file of one column (a list of addresses) has its header in row 1."""
        first: list[list[str]] = []
        for row in self._raw_rows():
            headers = [_text(value) for value in row]
            while headers and not headers[-1]:
                headers.pop()
            first.append(headers)
            if sum(1 for h in headers if h) >= 2:
                self.header_row = len(first)
                return headers
            if len(first) > MAX_TITLE_ROWS:
                break
        if first and any(first[0]):
            return first[0]
        raise ImportFileError(_("第 1 行应为表头，但它是空的。"))

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        rows = self._raw_rows()
        for _skipped in range(self.header_row):  # the title rows and the header
            next(rows, None)
        for number, values in enumerate(rows, start=self.header_row + 1):
            if number % 1000 == 0 and time.monotonic() > self.deadline:
                raise ImportRefused(
                    _(
                        "读取文件超过时限（第 %(row)d 行），已停止，未导入任何数据；"
                        "请拆分后分批导入。"
                    )
                    % {"row": number}
                )
            if number > self.max_rows + 1:
                raise ImportRefused(
                    _("文件超过 %(n)d 行数据的上限，请拆分后分批导入。") % {"n": self.max_rows}
                )
            if any(value not in (None, "") for value in values):
                yield number, values

    def estimated_rows(self) -> int:
        """Data rows, counted fast (newlines of a CSV, the sheet's dimension of a .xlsx)."""
        if self.is_xlsx:
            return max((self._sheet().max_row or 1) - 1, 0)
        lines = 0
        with self.path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                lines += chunk.count(b"\n")
        return max(lines - 1, 0)

    def merged_ranges(self) -> list[tuple[int, int]]:
        """(row, column index) of the top-left cell of each merged range, for files small
        enough to load fully; larger files rely on the empty-required-cell check."""
        # The unpacked size decides: a full load holds the whole sheet in memory.
        if not self.is_xlsx or self.unpacked > MERGE_CHECK_MAX_BYTES:
            return []
        from openpyxl import load_workbook

        sheet = load_workbook(self.path, read_only=False, data_only=False).worksheets[0]
        # a title above the header may be merged across the columns: that is no data
        return [
            (r.min_row, r.min_col - 1)
            for r in sheet.merged_cells.ranges
            if r.min_row >= self.header_row
        ]

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.close()
            self._workbook = None

    def __enter__(self) -> TableFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) first, then GB18030 — Chinese Excel saves CSV in GBK,
    a subset of GB18030. Decoded incrementally: the file is never held whole."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(1 << 20):
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("无法识别 CSV 文件的编码，请另存为 UTF-8 或 GBK 编码。"))


def read_headers(path: Path | str, *, name: str = "", max_bytes: int | None = None) -> list[str]:
    """The header row (row 1) of a ledger file."""
    with TableFile(path, name=name, max_bytes=max_bytes) as table:
        return table.headers


# --- Validation -------------------------------------------------------------------------


@dataclass
class ParsedRow:
    row: int
    values: dict[str, Any]
    ok: bool = True
    raw: list[Any] = field(default_factory=list)  # the cells as read, for the rejects file
    reasons: list[str] = field(default_factory=list)


MAX_REJECTS_LISTED = 200_000  # rows of the rejects file: beyond, fix the file and rerun


@dataclass
class _AddressInfo:
    pk: int
    district_id: int
    active: bool
    house_id: int | None


@dataclass
class ImportState:
    """What one import run remembers across batches: the user's communities, resolved
    address codes, and the keys already seen in the file (for duplicates)."""

    user: Any
    spec: KindSpec
    report: Report
    headers: list[str]
    mapping: Mapping
    addresses: dict[str, _AddressInfo | None] = field(default_factory=dict)
    seen: set[Any] = field(default_factory=set)
    districts: dict[int, Jurisdiction | None] = field(default_factory=dict)
    plan: list[tuple[FieldSpec, int | None]] = field(default_factory=list)
    settler: TextSettler | None = None
    rejects: list[ParsedRow] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.plan = [(target, self.mapping.get(target.name)) for target in self.spec.fields]
        self.settler = TextSettler(self.user)

    def column(self, name: str) -> str:
        index = self.mapping.get(name)
        if index is None or index >= len(self.headers):
            return self.spec.field(name).label
        return self.headers[index] or self.spec.field(name).label

    def error(self, parsed: ParsedRow, name: str, reason: str) -> None:
        parsed.ok = False
        column = self.column(name)
        parsed.reasons.append(f"{column}：{reason}")
        self.report.add(parsed.row, column, reason)


def _parse_row(state: ImportState, number: int, values: list[Any], *, xlsx: bool) -> ParsedRow:
    parsed = ParsedRow(number, {}, raw=values)
    width = len(values)
    for target, index in state.plan:
        raw = values[index] if index is not None and index < width else None
        if isinstance(raw, str):
            raw = raw.strip()
            if raw.startswith(_FORMULA_TRIGGERS):
                reason = (
                    _("单元格含公式，已拒绝（请粘贴为数值）。")
                    if xlsx and raw.startswith("=")
                    else _("疑似公式注入，已拒绝。")
                )
                state.error(parsed, target.name, reason)
                continue
        if raw is None or raw == "":
            if target.required:
                state.error(
                    parsed, target.name, _("必填项为空（若是合并单元格，请取消合并后逐行填写）。")
                )
            parsed.values[target.name] = target.convert(None) if target.convert else ""
            continue
        try:
            value = target.convert(raw) if target.convert else _text(raw)
        except CellError as error:
            state.error(parsed, target.name, str(error))
            continue
        if target.max_length and isinstance(value, str) and len(value) > target.max_length:
            state.error(parsed, target.name, _("超过 %(n)d 个字。") % {"n": target.max_length})
            continue
        parsed.values[target.name] = value
    return parsed


def _resolve_addresses(state: ImportState, batch: list[ParsedRow]) -> None:
    """Look up the batch's new address codes in the user's scope, one query per batch."""
    wanted = {
        p.values["address_code"]
        for p in batch
        if p.values.get("address_code") and p.values["address_code"] not in state.addresses
    }
    if not wanted:
        return
    found = scoped(
        StandardAddress.objects.filter(code__in=wanted), user=state.user, via="police_district"
    ).values_list("code", "pk", "police_district_id", "status", "house__id")
    for code, pk, district_id, status, house_id in found:
        state.addresses[code] = _AddressInfo(
            pk, district_id, status == AddressStatus.ACTIVE, house_id
        )
    for code in wanted - state.addresses.keys():
        state.addresses[code] = None


def _settle_texts(state: ImportState, batch: list[ParsedRow]) -> None:
    """Rows with a free-text address and no code: a confident match gives the code; any
    other row waits for an officer in the review queue (``_review``), not an error."""
    asking = [p for p in batch if not p.values.get("address_code") and p.values.get("address_text")]
    column = "address_code" if "address_code" in state.mapping else "address_text"
    for parsed in batch:
        if not parsed.values.get("address_code") and not parsed.values.get("address_text"):
            state.error(parsed, column, _("标准地址编码和地址至少填写一项。"))
    if not asking or state.settler is None:
        return
    for parsed, settled in zip(
        asking, state.settler.settle([p.values["address_text"] for p in asking]), strict=True
    ):
        if settled.code:
            parsed.values["address_code"] = settled.code
        else:
            parsed.values["_review"] = settled


def _check_address_code(state: ImportState, parsed: ParsedRow) -> _AddressInfo | None:
    code = parsed.values.get("address_code")
    if not code:
        return None
    info = state.addresses.get(code)
    if info is None:
        state.error(parsed, "address_code", _("标准地址编码不存在或不在您的辖区内。"))
    elif not info.active:
        state.error(parsed, "address_code", _("该地址已停用，请使用继承地址。"))
    parsed.values["_address"] = info
    return info


# Marked for translation here, translated only when a row is refused: a million calls to
# gettext would cost seconds.
_DUPLICATE_ID = gettext_noop("身份证号在文件中重复。")
_DUPLICATE_ADDRESS = gettext_noop("该地址在文件中重复。")
_DUPLICATE_CREDIT_CODE = gettext_noop("统一社会信用代码在文件中重复。")


def _duplicate(state: ImportState, parsed: ParsedRow, name: str, key: Any, reason: str) -> bool:
    if key in state.seen:
        state.error(parsed, name, _(reason))
        return True
    state.seen.add(key)
    return False


def _existing(model: type[Model], name: str, values: list[str]) -> set[str]:
    """Which of a batch's values the table already holds. Raw SQL: building Django's
    ``IN`` lookup for 5,000 values costs more than the indexed query itself."""
    if not values:
        return set()
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(_column(model, name))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = f"SELECT {column} FROM {table} WHERE {column} = ANY(%s)"  # noqa: S608
            cursor.execute(sql, [values])
        else:
            marks = ", ".join(["%s"] * len(values))
            cursor.execute(f"SELECT {column} FROM {table} WHERE {column} IN ({marks})", values)  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


def _registered(
    state: ImportState, model: type[Model], name: str, values: list[str], via: str
) -> dict[str, tuple[int, bool]]:
    """Which of a batch's keys are registered already: key → (pk, in the user's scope)."""
    keys = _existing(model, name, values)  # the fast check: usually none
    if not keys:
        return {}
    found = dict(model.objects.filter(**{f"{name}__in": keys}).values_list(name, "pk"))
    mine = set(
        scoped(model.objects.filter(pk__in=found.values()), user=state.user, via=via).values_list(
            "pk", flat=True
        )
    )
    return {key: (pk, pk in mine) for key, pk in found.items()}


def _check_people(state: ImportState, batch: list[ParsedRow]) -> None:
    _settle_texts(state, batch)
    _resolve_addresses(state, batch)
    numbers = [p.values["id_number"] for p in batch if p.values.get("id_number")]
    registered = _registered(state, Person, "id_number", numbers, "police_district")
    for parsed in batch:
        _check_address_code(state, parsed)
        number = parsed.values.get("id_number")
        if not number:
            continue
        if _duplicate(state, parsed, "id_number", number, _DUPLICATE_ID):
            continue
        if number in registered:
            pk, mine = registered[number]
            if mine:
                parsed.values["_update"] = pk  # the same ledger again: update, not twice
            else:
                state.error(
                    parsed, "id_number", _("此人已登记在其他辖区，请与该辖区核实后再登记。")
                )


def _check_houses(state: ImportState, batch: list[ParsedRow]) -> None:
    _settle_texts(state, batch)
    _resolve_addresses(state, batch)
    for parsed in batch:
        info = _check_address_code(state, parsed)
        code = parsed.values.get("address_code")
        if not code or _duplicate(state, parsed, "address_code", code, _DUPLICATE_ADDRESS):
            continue
        if info is not None and info.house_id is not None:
            parsed.values["_update"] = info.house_id  # the same ledger again: update


def _check_organisations(state: ImportState, batch: list[ParsedRow]) -> None:
    _settle_texts(state, batch)
    _resolve_addresses(state, batch)
    credit_codes = [p.values["credit_code"] for p in batch if p.values.get("credit_code")]
    registered = _registered(
        state, Organisation, "credit_code", credit_codes, "address__police_district"
    )
    for parsed in batch:
        _check_address_code(state, parsed)
        credit = parsed.values.get("credit_code")
        if not credit:
            continue
        if _duplicate(state, parsed, "credit_code", credit, _DUPLICATE_CREDIT_CODE):
            continue
        if credit in registered:
            pk, mine = registered[credit]
            if mine:
                parsed.values["_update"] = pk
            else:
                state.error(
                    parsed, "credit_code", _("该单位已登记在其他辖区，请与该辖区核实后再登记。")
                )


_ELEMENTS = ("road", "door_number", "compound", "building", "unit", "floor", "room")


def _district_of(state: ImportState, community: Jurisdiction) -> Jurisdiction | None:
    if community.pk not in state.districts:
        try:
            district = police_district_of(community)
        except ValidationError:
            district = None
        if district is not None and not state.user.jurisdiction.contains(district):
            district = None
        state.districts[community.pk] = district
    return state.districts[community.pk]


def _local_text(values: dict[str, Any]) -> str:
    return StandardAddress(**{name: values.get(name, "") for name in _ELEMENTS}).local_text


def _settle_address_texts(state: ImportState, batch: list[ParsedRow]) -> None:
    """An address list in free text: a text the matcher is sure of is registered already
    (``_existing``, counted, not an error); a clean reading near no existing address in a
    known community is new; the rest wait in the review queue (``_review``)."""
    asking = [p for p in batch if p.values.get("text")]
    for parsed in batch:
        if not parsed.values.get("text") and not parsed.values.get("community"):
            state.error(parsed, "community", _("请填写社区/村，或填写完整地址。"))
    if not asking or state.settler is None:
        return
    settled = state.settler.settle([p.values["text"] for p in asking], read_all=True)
    state.settler.place([s for s in settled if not s.code])
    for parsed, found in zip(asking, settled, strict=True):
        if found.code:
            parsed.values["_existing"] = found.code
            state.report.existing += 1
            continue
        fits = True
        for name in _ELEMENTS:
            if not parsed.values.get(name):
                value = found.elements[name]
                fits = fits and len(value) <= (_length(StandardAddress, name) or 0)
                parsed.values[name] = value
        if not parsed.values.get("community") and found.community is not None:
            parsed.values["community"] = found.community
        if (
            found.maybe_existing
            or not found.clean
            or not fits
            or not parsed.values.get("community")
        ):
            parsed.values["_review"] = found


def _check_addresses(state: ImportState, batch: list[ParsedRow]) -> None:
    _settle_address_texts(state, batch)
    communities = state.settler.communities() if state.settler else {}
    candidates: list[tuple[ParsedRow, Jurisdiction]] = []
    for parsed in batch:
        if not parsed.ok or "_existing" in parsed.values or "_review" in parsed.values:
            continue
        name = parsed.values.get("community")
        if not name:
            continue
        matches = [name] if isinstance(name, Jurisdiction) else communities.get(name, [])
        if not matches:
            state.error(parsed, "community", _("社区/村不存在或不在您的辖区内。"))
            continue
        if len(matches) > 1:
            state.error(parsed, "community", _("社区名称不唯一，请填写社区代码。"))
            continue
        community = matches[0]
        if _district_of(state, community) is None:
            state.error(parsed, "community", _("该社区没有划入您辖区内的警务区。"))
            continue
        parsed.values["community"] = community
        if not (parsed.values.get("road") or parsed.values.get("compound")):
            state.error(parsed, "road", _("地址至少需要街路巷或小区名称。"))
            continue
        key = (community.pk, *(parsed.values.get(n, "") for n in _ELEMENTS))
        if _duplicate(state, parsed, "road", key, _DUPLICATE_ADDRESS):
            continue
        candidates.append((parsed, community))
    if not candidates:
        return
    existing = StandardAddress.objects.filter(
        status=AddressStatus.ACTIVE,
        community_id__in={c.pk for _p, c in candidates},
        local_key__in={_local_text(p.values) for p, _c in candidates},
    ).values_list("community_id", *_ELEMENTS)
    known = set(existing)
    for parsed, community in candidates:
        if (community.pk, *(parsed.values.get(n, "") for n in _ELEMENTS)) in known:
            state.error(parsed, "road", _("该地址已登记在系统中。"))


_CHECKS: dict[str, Callable[[ImportState, list[ParsedRow]], None]] = {
    "addresses": _check_addresses,
    "houses": _check_houses,
    "people": _check_people,
    "organisations": _check_organisations,
}

Progress = Callable[[int], None]


def _authorise(user: Any) -> None:
    require(user, Capability.EDIT_RECORDS)
    if getattr(user, "jurisdiction", None) is None:
        raise PermissionDenied(_("您没有所属辖区，不能导入。"))


def _batches(
    table: TableFile, state: ImportState, progress: Progress | None
) -> Iterator[list[ParsedRow]]:
    """Parse and check the file batch by batch; yield each batch (rows marked ok or not)."""
    report = state.report
    merged: dict[int, str] = {}
    for row, column in table.merged_ranges():
        header = table.headers[column] if column < len(table.headers) else ""
        if row == table.header_row:  # which column is which cannot be told
            report.add(row, header, _("表头有合并单元格：请取消合并，每一列一个表头。"))
            report.file_errors += 1
            continue
        report.add(row, header, _("合并单元格，请取消合并后逐行填写。"))
        merged.setdefault(row, header)
    batch: list[ParsedRow] = []
    for number, values in table.rows():
        parsed = _parse_row(state, number, values, xlsx=table.is_xlsx)
        if number in merged:  # reported above: the row is refused, not counted twice
            parsed.ok = False
            parsed.reasons.append(f"{merged[number]}：" + _("合并单元格，请取消合并后逐行填写。"))
        batch.append(parsed)
        if len(batch) == BATCH_SIZE:
            yield _finish(state, batch, progress)
            batch = []
    if batch:
        yield _finish(state, batch, progress)
    if report.total_rows == 0:
        report.add(None, "", _("文件中没有数据行。"))
        report.file_errors += 1


def _finish(
    state: ImportState, batch: list[ParsedRow], progress: Progress | None
) -> list[ParsedRow]:
    _CHECKS[state.spec.kind](state, [p for p in batch if p.ok])
    state.report.total_rows += len(batch)
    valid = sum(1 for p in batch if p.ok)
    state.report.valid_rows += valid
    state.report.rejected_rows += len(batch) - valid
    state.report.to_review += sum(1 for p in batch if p.ok and "_review" in p.values)
    room = MAX_REJECTS_LISTED - len(state.rejects)
    if room > 0 and valid < len(batch):
        state.rejects.extend([p for p in batch if not p.ok][:room])
    if progress:
        progress(state.report.total_rows)
    return batch


def _open(
    kind: str,
    path: Path | str,
    name: str,
    mapping: dict[str, Any],
    max_bytes: int | None,
    time_limit: float | None,
) -> tuple[TableFile, KindSpec, Mapping]:
    spec = spec_for(kind)
    table = TableFile(path, name=name, max_bytes=max_bytes, time_limit=time_limit)
    try:
        clean = check_mapping(kind, table.headers, mapping)
    except MappingError:
        table.close()
        raise
    return table, spec, clean


def validate_file(
    *,
    kind: str,
    path: Path | str,
    mapping: dict[str, Any],
    user: Any,
    name: str = "",
    progress: Progress | None = None,
    max_bytes: int | None = None,
    time_limit: float | None = None,
    rejects_path: Path | None = None,
) -> Report:
    """试导入 (dry run): check every row, write nothing. File-level problems (size,
    format, encoding, mapping) come back as a report with one error and no rows. The
    refused rows, with their reasons, go to ``rejects_path`` (.xlsx) when given."""
    _authorise(user)
    report = Report(kind=kind)
    try:
        table, spec, clean = _open(kind, path, name, mapping, max_bytes, time_limit)
    except (ImportFileError, MappingError) as error:
        report.add_file_error(error)
        return report
    with table:
        state = ImportState(user, spec, report, table.headers, clean)
        for _batch in _file_errors_reported(_batches(table, state, progress), report):
            pass
    _write_rejects(state, rejects_path)
    return report


def _write_rejects(state: ImportState, path: Path | None) -> None:
    """The refused rows as they were, and why, in a sheet to fix and import again."""
    if path is None:
        return
    if not state.rejects:
        path.unlink(missing_ok=True)
        return
    headers = [*state.headers, _("错误原因")]
    width = len(state.headers)
    rows = ([*(list(p.raw) + [None] * width)[:width], "；".join(p.reasons)] for p in state.rejects)
    path.write_bytes(to_xlsx(headers, rows, title=_("未导入的行")))


class _Rollback(Exception):
    pass


SQLITE_IMPORT_CACHE_KIB = 128 * 1024


@contextmanager
def _big_page_cache() -> Iterator[None]:
    """SQLite's default 2 MB page cache thrashes while a million random keys go into the
    name, phone and ID-number indexes; 128 MB for the import's duration keeps them hot."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        previous = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def commit_file(
    *,
    kind: str,
    path: Path | str,
    mapping: dict[str, Any],
    user: Any,
    name: str = "",
    progress: Progress | None = None,
    max_bytes: int | None = None,
    time_limit: float | None = None,
    good_rows_only: bool = False,
    job: Any = None,
    rejects_path: Path | None = None,
) -> Report:
    """导入: validate again while inserting batch by batch in ONE transaction. If any row
    fails, the transaction is rolled back and the report says why: all or nothing. With
    ``good_rows_only`` (the user asked for it) the valid rows are kept and the refused
    ones listed (``rejects_path``); a problem with the file itself still keeps nothing.

    Rows whose free-text address is not settled go to the review queue (of ``job``) in
    the same transaction; rows of people, houses and organisations registered already in
    the user's scope (same ID number, address, credit code) are updated.

    On PostgreSQL the inserts run on a writer thread with its own connection and
    transaction, so the server indexes batch N while Python validates batch N+1, and the
    progress this thread reports is visible to other requests. On SQLite, and inside a
    caller's transaction, the import runs inline on the caller's connection."""
    _authorise(user)
    report = Report(kind=kind)
    try:
        table, spec, clean = _open(kind, path, name, mapping, max_bytes, time_limit)
    except (ImportFileError, MappingError) as error:
        report.add_file_error(error)
        return report

    def audit_import(context: _WriteContext) -> None:
        fields = [f.name for f in spec.fields if f.name in clean]
        audit.record(
            actor=user, action="create", object_type=spec.model._meta.label_lower,
            object_repr=_("导入 %(n)d 条") % {"n": context.created},
            scope_path=user.scope_path, fields=fields, reason=table.name,
        )  # fmt: skip
        if context.updated:
            audit.record(
                actor=user, action="update", object_type=spec.model._meta.label_lower,
                object_repr=_("导入时更新 %(n)d 条") % {"n": context.updated},
                scope_path=user.scope_path, fields=fields, reason=table.name,
            )  # fmt: skip

    report.good_rows_only = good_rows_only
    with table:
        state = ImportState(user, spec, report, table.headers, clean)
        batches = _file_errors_reported(_batches(table, state, progress), report)
        write = _write_on_thread if _can_use_thread() else _write_all
        context = write(
            kind, _WriteContext(user=user, job=job), _committable(batches, report),
            report, audit_import,
        )  # fmt: skip
    if context is not None:
        report.created = context.created
        report.updated = context.updated
        report.houses_created = context.houses_created
        report.committed = True
    _write_rejects(state, rejects_path)
    return report


def _keeps(report: Report) -> bool:
    """Whether what was written may stay: all rows good, or the good ones when asked."""
    if report.good_rows_only:
        return not report.file_errors and report.valid_rows > 0
    return report.ok


def _committable(batches: Iterable[list[ParsedRow]], report: Report) -> Iterator[list[ParsedRow]]:
    """The valid rows of each batch until the first error (all or nothing) or the first
    file error (good rows only); after it every row is still validated (for the report)
    but nothing more is handed to the writer."""
    for batch in batches:
        if (report.good_rows_only and not report.file_errors) or not report.error_count:
            yield [p for p in batch if p.ok]


def _write_all(
    kind: str,
    context: _WriteContext,
    batches: Iterable[list[ParsedRow]],
    report: Report,
    on_success: Callable[[_WriteContext], None],
) -> _WriteContext | None:
    """Write every batch in one transaction, kept only if :func:`_keeps` says so."""
    writer = _WRITERS[kind]
    try:
        with _big_page_cache(), transaction.atomic():
            if connection.vendor == "postgresql":
                # Check foreign keys as rows arrive (overlapping validation of the next
                # batch) rather than all at once at COMMIT.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for rows in batches:
                writer(context, _held(context, kind, rows))
            if not _keeps(report):
                raise _Rollback
            population.add(context.moved_in)
            if context.touched_districts:
                population.recount(districts=context.touched_districts - {None})
            on_success(context)
    except _Rollback:
        return None
    return context


def _can_use_thread() -> bool:
    # Only PostgreSQL gains: its server indexes on the other core while Python validates.
    # SQLite's inserts run in this process and contend for the GIL with the validation
    # (measured: no faster, often slower), and an in-memory database cannot be shared.
    return connection.vendor == "postgresql" and not connection.in_atomic_block


_DONE: list[ParsedRow] = []
_ABORT: list[ParsedRow] = []
WRITE_QUEUE_BATCHES = 2  # validated batches waiting for the writer: bounds the memory
IMPORT_SWITCH_INTERVAL = 0.0005


def _write_on_thread(
    kind: str,
    context: _WriteContext,
    batches: Iterable[list[ParsedRow]],
    report: Report,
    on_success: Callable[[_WriteContext], None],
) -> _WriteContext | None:
    """:func:`_write_all` on a writer thread fed through a short queue."""
    pending: queue.Queue[list[ParsedRow]] = queue.Queue(maxsize=WRITE_QUEUE_BATCHES)
    outcome: dict[str, Any] = {}

    def received() -> Iterator[list[ParsedRow]]:
        while (rows := pending.get()) is not _DONE:
            if rows is _ABORT:
                raise _Rollback
            yield rows

    def work() -> None:
        try:
            outcome["context"] = _write_all(kind, context, received(), report, on_success)
        except BaseException as error:  # handed to the caller's thread below
            outcome["error"] = error
            while pending.get() not in (_DONE, _ABORT):  # let the producer finish
                pass
        finally:
            connection.close()  # this thread's own connection

    writer = threading.Thread(target=work, name="fengqiao-import-writer", daemon=True)
    # The validating thread never waits, so each database round trip of the writer would
    # wait up to the 5 ms switch interval for the GIL: a shorter one keeps the writer fed.
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(min(switch_interval, IMPORT_SWITCH_INTERVAL))
    writer.start()
    last = _ABORT
    try:
        for rows in batches:
            if "error" not in outcome:
                pending.put(rows)
        last = _DONE
    finally:
        pending.put(last)
        writer.join()
        sys.setswitchinterval(switch_interval)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("context")


def _file_errors_reported(
    batches: Iterator[list[ParsedRow]], report: Report
) -> Iterator[list[ParsedRow]]:
    """A file that turns unreadable halfway (a broken CSV line) ends the batches with an
    error in the report, so nothing is kept."""
    try:
        yield from batches
    except ImportFileError as error:
        report.add_file_error(error)


# --- Writing ----------------------------------------------------------------------------


@dataclass
class _WriteContext:
    user: Any
    job: Any = None  # the ImportJob whose unsettled rows go to the review queue
    now: dt.datetime = field(default_factory=timezone.now)
    created: int = 0
    updated: int = 0
    touched_districts: set[int] = field(default_factory=set)  # by updates: recounted
    last_ids: list[int] = field(default_factory=list)  # the records of the last batch
    houses_created: int = 0
    houses: dict[int, int] = field(default_factory=dict)  # address pk → house pk
    serials: dict[str, int] = field(default_factory=dict)  # county code → last serial
    prefixes: dict[int, tuple[str, str]] = field(default_factory=dict)  # community → text
    moved_in: Counter[int] = field(default_factory=Counter)  # new residents by district


def _payload(values: dict[str, Any]) -> dict[str, Any]:
    """A row's values as JSON, for the review queue (dates ISO, decimals as text)."""
    out: dict[str, Any] = {}
    for name, value in values.items():
        if name.startswith("_") or name in ("address_text", "text"):
            continue
        if isinstance(value, dt.date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, Model):
            value = value.pk
        out[name] = value
    return out


def row_from_payload(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The inverse of :func:`_payload`: values ready for the writers."""
    values = dict(payload)
    for target in spec_for(kind).fields:
        value = values.get(target.name)
        if target.convert is date_value and isinstance(value, str) and value:
            values[target.name] = dt.date.fromisoformat(value)
        elif target.convert is decimal_value and isinstance(value, str) and value:
            values[target.name] = Decimal(value)
    return values


def _held(context: _WriteContext, kind: str, rows: list[ParsedRow]) -> list[ParsedRow]:
    """Put the rows whose address waits for an officer into the review queue; return the
    rows to write now (an address list's already registered ones are neither)."""
    waiting = [p for p in rows if "_review" in p.values]
    if waiting:
        AddressReview.objects.bulk_create(
            [_review_item(context, kind, parsed) for parsed in waiting], batch_size=1000
        )
    return [p for p in rows if "_review" not in p.values and "_existing" not in p.values]


def _review_item(context: _WriteContext, kind: str, parsed: ParsedRow) -> AddressReview:
    settled: Settled = parsed.values["_review"]
    community = parsed.values.get("community")
    return AddressReview(
        job=context.job, kind=kind, scope=context.user.jurisdiction, row=parsed.row,
        text=settled.text[:300], group=settled.group, elements=settled.elements,
        community=community if isinstance(community, Jurisdiction) else settled.community,
        candidates=settled.candidates,
        payload={} if kind == "addresses" else _payload(parsed.values),
    )  # fmt: skip


def _write_addresses(context: _WriteContext, rows: list[ParsedRow]) -> None:
    objects = []
    for parsed in rows:
        community: Jurisdiction = parsed.values["community"]
        if community.pk not in context.prefixes:
            county = county_of(community).code
            context.prefixes[community.pk] = (county, printed_form(community, StandardAddress()))
        county, prefix = context.prefixes[community.pk]
        if county not in context.serials:
            last = StandardAddress.objects.filter(code__startswith=county).aggregate(m=Max("code"))[
                "m"
            ]
            context.serials[county] = _decode_serial(last[6:-1]) if last else 0
        context.serials[county] += 1
        address = StandardAddress(
            community=community,
            police_district=police_district_of(community),
            code=codes.make_code(county, context.serials[county]),
            **{name: parsed.values.get(name, "") for name in _ELEMENTS},
        )
        address.local_key = address.local_text
        address.full_text = prefix + address.local_key
        objects.append(address)
    StandardAddress.objects.bulk_create(objects, batch_size=1000)
    context.created += len(objects)


def _decode_serial(text: str) -> int:
    number = 0
    for char in text:
        number = number * 31 + codes.ALPHABET.index(char)
    return number


_HOUSE_FIELDS = ("owner_name", "owner_phone", "use", "area_m2", "rental_rooms", "rented_since")


def _update_fields(
    context: _WriteContext, model: type[Model], rows: list[ParsedRow], names: Iterable[str]
) -> list[Any]:
    """Re-imported records: the row's filled-in values replace the stored ones (an empty
    cell keeps what is there), one UPDATE per field changed, the version raised."""
    found = model._default_manager.in_bulk([p.values["_update"] for p in rows])
    changed: set[str] = set()
    for parsed in rows:
        obj = found[parsed.values["_update"]]
        for name in names:
            value = parsed.values.get(name)
            if value not in (None, "") and getattr(obj, name) != value:
                setattr(obj, name, value)
                changed.add(name.removesuffix("_id"))
        obj.version += 1
        obj.updated_at = context.now
    objects = list(found.values())
    fields = [*changed, "version", "updated_at"]
    model._default_manager.bulk_update(objects, fields, batch_size=1000)
    context.updated += len(objects)
    return objects


def _write_houses(context: _WriteContext, rows: list[ParsedRow]) -> None:
    again = [p for p in rows if "_update" in p.values]
    if again:
        _update_fields(context, House, again, _HOUSE_FIELDS)
        rows = [p for p in rows if "_update" not in p.values]
    objects = [
        House(
            address_id=parsed.values["_address"].pk,
            **{name: parsed.values[name] for name in _HOUSE_FIELDS if name in parsed.values},
        )
        for parsed in rows
    ]
    for house in objects:
        house.use = house.use or HouseUse.SELF
    House.objects.bulk_create(objects, batch_size=1000)
    context.created += len(objects)
    context.last_ids = [house.pk for house in objects]


_ORGANISATION_FIELDS = ("name", "credit_code", "industry", "responsible_name",
                        "responsible_id_number", "responsible_phone", "closed_on")  # fmt: skip


def _write_organisations(context: _WriteContext, rows: list[ParsedRow]) -> None:
    again = [p for p in rows if "_update" in p.values]
    if again:
        for parsed in again:
            parsed.values["address_id"] = parsed.values["_address"].pk
        _update_fields(context, Organisation, again, (*_ORGANISATION_FIELDS, "address_id"))
        rows = [p for p in rows if "_update" not in p.values]
    objects = [
        Organisation(
            address_id=parsed.values["_address"].pk,
            **{name: parsed.values[name] for name in _ORGANISATION_FIELDS},
        )
        for parsed in rows
    ]
    Organisation.objects.bulk_create(objects, batch_size=1000)
    context.created += len(objects)
    context.last_ids = [organisation.pk for organisation in objects]


def _ensure_houses(context: _WriteContext, rows: list[ParsedRow]) -> None:
    """A person lives in a house: an address without one gets a plain 自住 house."""
    missing: dict[int, _AddressInfo] = {}
    for parsed in rows:
        info: _AddressInfo = parsed.values["_address"]
        if info.house_id is None and info.pk not in context.houses:
            missing[info.pk] = info
        elif info.house_id is not None:
            context.houses[info.pk] = info.house_id
    if missing:
        made = House.objects.bulk_create([House(address_id=pk) for pk in missing])
        for house in made:
            context.houses[house.address_id] = house.pk
            missing[house.address_id].house_id = house.pk
        context.houses_created += len(made)


def _reserve_ids(model: type[Model], count: int) -> list[int]:
    """Primary keys for raw inserts: from the sequence on PostgreSQL (safe beside other
    writers); after MAX(id) on SQLite, whose IMMEDIATE transaction holds the write lock."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = cursor.fetchone()[0]  # once: per row it costs five times the nextval
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count]
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name(table)  # a model's table name, not user input
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {quoted}")  # noqa: S608
        start = cursor.fetchone()[0] + 1
    return list(range(start, start + count))


def _column(model: type[Model], attname: str) -> str:
    found = model._meta.get_field(attname.removesuffix("_id"))
    if not isinstance(found, DjangoField) or not found.column:
        raise ValueError(f"{model.__name__}.{attname} is not a concrete column")
    return str(found.column)


def _raw_insert(model: type[Model], names: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Insert prepared rows without model instances: COPY on PostgreSQL, executemany on
    SQLite. ``names`` are field attnames; values must already be database-ready."""
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(_column(model, n)) for n in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join(["%s"] * len(names))
            sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608
            cursor.executemany(sql, rows)


_PERSON_COLUMNS = ("id", "created_at", "updated_at", "version", "name", "id_number", "phone",
                   "household_type", "police_district_id", "note")  # fmt: skip
_RESIDENCE_COLUMNS = ("id", "created_at", "updated_at", "version", "person_id", "house_id",
                      "relation", "moved_in", "status", "registered_by_id",
                      "review_note")  # fmt: skip


def _write_people(context: _WriteContext, rows: list[ParsedRow]) -> None:
    """The fast path: one person and one residence per row, ids reserved up front so the
    residences can point at people without reading them back."""
    if not rows:
        return
    _ensure_houses(context, rows)
    again = [p for p in rows if "_update" in p.values]
    if again:
        _update_people(context, again)
        rows = [p for p in rows if "_update" not in p.values]
        if not rows:
            return
    sqlite = connection.vendor == "sqlite"
    stamp: Any = connection.ops.adapt_datetimefield_value(context.now) if sqlite else context.now
    person_ids = _reserve_ids(Person, len(rows))
    residence_ids = _reserve_ids(Residence, len(rows))
    actor_id = context.user.pk if context.user is not None else None
    registered, approved = HouseholdType.REGISTERED.value, ResidenceStatus.APPROVED.value
    people, residences = [], []
    for parsed, person_id, residence_id in zip(rows, person_ids, residence_ids, strict=True):
        values = parsed.values
        info: _AddressInfo = values["_address"]
        moved_in: dt.date = values["moved_in"]
        people.append((person_id, stamp, stamp, 1, values["name"], values["id_number"],
                       values["phone"], values["household_type"] or registered,
                       info.district_id, values["note"]))  # fmt: skip
        residences.append((residence_id, stamp, stamp, 1, person_id, context.houses[info.pk],
                           values["relation"], moved_in.isoformat() if sqlite else moved_in,
                           approved, actor_id, ""))  # fmt: skip
    _raw_insert(Person, _PERSON_COLUMNS, people)
    _raw_insert(Residence, _RESIDENCE_COLUMNS, residences)
    context.moved_in.update(person[8] for person in people)  # police_district_id
    context.created += len(rows)
    context.last_ids = person_ids


_PERSON_FIELDS = ("name", "phone", "household_type", "note")


def _update_people(context: _WriteContext, rows: list[ParsedRow]) -> None:
    """People registered already (same ID number, in the user's scope): their details
    updated; one who now lives at another house gets a stay there, his open stays that
    began before it end on its move-in day, and he is kept by the new house's district."""
    people = {p.pk: p for p in _update_fields(context, Person, rows, _PERSON_FIELDS)}
    open_stays: dict[int, list[Residence]] = {}
    for stay in Residence.objects.filter(person_id__in=people, moved_out__isnull=True).exclude(
        status=ResidenceStatus.REJECTED
    ):
        open_stays.setdefault(stay.person_id, []).append(stay)
    ended, started, moved = [], [], []
    for parsed in rows:
        values = parsed.values
        person = people[values["_update"]]
        info: _AddressInfo = values["_address"]
        house_id = context.houses[info.pk]
        stays = open_stays.get(person.pk, [])
        if any(stay.house_id == house_id for stay in stays):
            continue
        for stay in stays:
            if stay.moved_in <= values["moved_in"]:
                stay.moved_out = values["moved_in"]
                stay.version += 1
                ended.append(stay)
        started.append(Residence(
            person_id=person.pk, house_id=house_id, relation=values["relation"],
            moved_in=values["moved_in"], status=ResidenceStatus.APPROVED,
            registered_by=context.user,
        ))  # fmt: skip
        context.touched_districts.update({person.police_district_id, info.district_id})
        if person.police_district_id != info.district_id:
            person.police_district_id = info.district_id
            moved.append(person)
    Residence.objects.bulk_update(ended, ["moved_out", "version", "updated_at"], batch_size=1000)
    Residence.objects.bulk_create(started, batch_size=1000)
    Person.objects.bulk_update(moved, ["police_district"], batch_size=1000)


_WRITERS: dict[str, Callable[[_WriteContext, list[ParsedRow]], None]] = {
    "addresses": _write_addresses,
    "houses": _write_houses,
    "people": _write_people,
    "organisations": _write_organisations,
}


def write_settled_row(
    *, kind: str, user: Any, row: int, payload: dict[str, Any], address: StandardAddress
) -> int | None:
    """A ledger row that waited in the review queue, written as the import would have
    written it, now that an officer settled its address. Returns the record's id."""
    values = row_from_payload(kind, payload)
    house = House.objects.filter(address=address).values_list("pk", flat=True).first()
    values["_address"] = _AddressInfo(address.pk, address.police_district_id, True, house)
    values["address_code"] = address.code
    key = {"people": "id_number", "organisations": "credit_code"}.get(kind)
    model = spec_for(kind).model
    if key and values.get(key):
        registered = model._default_manager.filter(**{key: values[key]}).first()
        if registered is not None:
            if not _in_scope(user, registered, kind):
                raise PermissionDenied(_("此记录已登记在其他辖区。"))
            values["_update"] = registered.pk
    if kind == "houses" and house is not None:
        values["_update"] = house
    context = _WriteContext(user=user)
    _WRITERS[kind](context, [ParsedRow(row, values)])
    population.add(context.moved_in)
    if context.touched_districts:
        population.recount(districts=context.touched_districts - {None})
    return values.get("_update") or (context.last_ids[0] if context.last_ids else None)


def _in_scope(user: Any, record: Model, kind: str) -> bool:
    via = "police_district" if kind == "people" else "address__police_district"
    return scoped(type(record)._default_manager.filter(pk=record.pk), user=user, via=via).exists()


# --- Export -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    content: bytes
    filename: str
    count: int


def _label(choices: type[Any], value: str) -> str:
    return str(choices(value).label) if value else ""


def _date(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def export_xlsx(*, kind: str, user: Any) -> Export:
    """导出 one ledger of the user's scope to .xlsx, identifiers masked, the export
    audited with the ids of every record in it. Headers are the import labels, so an
    exported file maps itself on re-import."""
    require(user, Capability.EXPORT_RECORDS)
    spec = spec_for(kind)
    rows: list[list[object]] = []
    ids: list[int] = []
    if kind == "addresses":
        headers = ["标准地址编码", "社区/村", *(spec.field(n).label for n in _ELEMENTS),
                   "标准地址", "警务区", "状态"]  # fmt: skip
        addresses = address_selectors.addresses_for(user=user)
        for a in addresses.iterator(chunk_size=2000):
            ids.append(a.pk)
            rows.append([a.code, a.community.name, *(getattr(a, n) for n in _ELEMENTS),
                         a.full_text, a.police_district.name, a.get_status_display()])  # fmt: skip
        fields = ["code", "community", *_ELEMENTS, "full_text", "police_district", "status"]
    elif kind == "houses":
        headers = ["标准地址编码", "标准地址", "产权人", "产权人电话", "用途", "面积（平方米）",
                   "出租间数", "出租起始"]  # fmt: skip
        for h in selectors.houses_for(user=user).iterator(chunk_size=2000):
            ids.append(h.pk)
            rows.append([h.address.code, h.address.full_text, h.owner_name,
                         mask("phone", h.owner_phone), h.get_use_display(),
                         str(h.area_m2) if h.area_m2 is not None else "",
                         h.rental_rooms if h.rental_rooms is not None else "",
                         _date(h.rented_since)])  # fmt: skip
        fields = ["address", "owner_name", "owner_phone", "use", "area_m2", "rental_rooms",
                  "rented_since"]  # fmt: skip
    elif kind == "people":
        headers = ["姓名", "身份证号", "手机号", "人口类别", "所属警务区", "标准地址编码",
                   "与房屋关系", "迁入日期", "备注"]  # fmt: skip
        home = Residence.objects.filter(person=OuterRef("pk"), moved_out__isnull=True).order_by(
            "-moved_in", "-pk"
        )
        people = selectors.people_for(user=user).annotate(
            home_code=Subquery(home.values("house__address__code")[:1]),
            home_relation=Subquery(home.values("relation")[:1]),
            home_since=Subquery(home.values("moved_in")[:1]),
        )
        for p in people.iterator(chunk_size=2000):
            ids.append(p.pk)
            rows.append([p.name, mask("id_number", p.id_number), mask("phone", p.phone),
                         p.get_household_type_display(), p.police_district.name,
                         p.home_code or "", _label(Relation, p.home_relation or ""),
                         _date(_as_date(p.home_since)), p.note])  # fmt: skip
        fields = ["name", "id_number", "phone", "household_type", "police_district",
                  "residences", "note"]  # fmt: skip
    else:
        headers = ["单位名称", "统一社会信用代码", "行业", "标准地址编码", "标准地址", "负责人",
                   "负责人身份证号", "负责人电话", "注销/停业日期"]  # fmt: skip
        for o in selectors.organisations_for(user=user).iterator(chunk_size=2000):
            ids.append(o.pk)
            rows.append([o.name, o.credit_code, o.get_industry_display(), o.address.code,
                         o.address.full_text, o.responsible_name,
                         mask("id_number", o.responsible_id_number),
                         mask("phone", o.responsible_phone), _date(o.closed_on)])  # fmt: skip
        fields = [*_ORGANISATION_FIELDS, "address"]
    translated = [_(h) for h in headers]
    content = to_xlsx(translated, rows, title=_(spec.label))
    audit.record(
        actor=user, action="export", object_type=spec.model._meta.label_lower, object_ids=ids,
        object_repr=f"{len(ids)} records (xlsx)", scope_path=user.scope_path, fields=fields,
    )  # fmt: skip
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return Export(content, f"{kind}-{stamp}.xlsx", len(ids))


def _as_date(value: Any) -> dt.date | None:
    # A subquery's date comes back as text on SQLite.
    if isinstance(value, str) and value:
        return dt.date.fromisoformat(value[:10])
    return value if isinstance(value, dt.date) else None


def iter_kinds() -> Iterable[KindSpec]:
    return SPECS.values()


__all__ = [
    "KINDS",
    "SPECS",
    "Export",
    "ImportFileError",
    "MappingError",
    "Report",
    "RowError",
    "TableFile",
    "check_mapping",
    "commit_file",
    "export_xlsx",
    "max_import_bytes",
    "propose_mapping",
    "read_headers",
    "spec_for",
    "validate_file",
]
