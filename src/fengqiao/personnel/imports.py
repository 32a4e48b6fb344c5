"""人员批量导入: open staff accounts from the 人员名册 spreadsheet (.xlsx or .csv).

The file is read by the ledger import's reader (:class:`fengqiao.registry.imports.TableFile`:
size and zip-bomb limits, UTF-8 or GBK CSV, merged cells, formula cells refused) and its
rows parsed by the same cell converters (ID numbers with their check character, mobile
numbers, choices by Chinese or English label), so a roster and a ledger are refused for
the same reasons in the same words.

Two modes: all or nothing (the default: one bad row and nothing is created), or "import
the good rows, list the rest", whose rejected rows download as .xlsx with the file's own
columns and a reason column, to be fixed and imported again.

Usernames: the badge number (警号/工号) when the row has one, else ``fq`` and six random
digits. Not pinyin: a station has several 张伟 and 王芳, pinyin needs a dictionary, and a
name changes. Not the phone number: it is a personal identifier, masked on every page,
and a username is shown unmasked everywhere (lists, the audit log). The badge number is
what an officer already types into every police system, and unique per officer."""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from fengqiao.accounts import services as account_services
from fengqiao.accounts.models import Post, StaffKind, User
from fengqiao.accounts.selectors import covers
from fengqiao.audit import services as audit
from fengqiao.core.roles import Capability, Role, require
from fengqiao.jurisdictions import selectors as jurisdiction_selectors
from fengqiao.jurisdictions.models import ADMINISTRATIVE_KINDS, POLICE_KINDS, Jurisdiction
from fengqiao.personnel.models import Credentials, ImportMode, StaffImport

# The ledger import's reader and converters; the underscored ones are its row parser and
# header normaliser, used as they are so both imports refuse the same cells alike.
from fengqiao.registry.imports import (
    CellError,
    FieldSpec,
    ImportFileError,
    ImportState,
    KindSpec,
    ParsedRow,
    Report,
    TableFile,
    _normalise_header,
    _parse_row,
    _text,
    choice_of,
    id_number_value,
    mobile_value,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000  # a county bureau's whole roster
KIND = "staff"
# GB 11643's own example number: the template's example row carries it, and a file that
# still has that row is told to delete it (it would otherwise open an account for 张三).
EXAMPLE_ID_NUMBER = "11010519491231002X"
REASON_HEADER = "未导入原因"

_BADGE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]{0,19}$")
_YES = {"是", "y", "yes", "true", "1", "√", "辅警"}
_NO = {"否", "n", "no", "false", "0", "×", ""}


def badge_value(value: Any) -> str:
    text = _text(value)
    if text and not _BADGE.match(text):
        raise CellError(_("警号/工号只能包含字母、数字、点、横线和下划线，最多20位。"))
    return text


_staff_kind_choice = choice_of(StaffKind)


def staff_kind_value(value: Any) -> str:
    """人员类别 by label (民警、辅警…), or the template's older 是否辅警 column (是/否)."""
    text = _text(value).lower()
    if text in _YES:
        return str(StaffKind.AUXILIARY)
    if text in _NO or text == "民警":
        return str(StaffKind.POLICE)
    return str(_staff_kind_choice(value))


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("full_name", "姓名", True, ("名字", "人员姓名"), max_length=50),
    FieldSpec("id_number", "身份证号", True,
              ("身份证号码", "公民身份号码", "身份证", "证件号码"), id_number_value),
    FieldSpec("phone", "手机号", aliases=("手机", "手机号码", "联系电话", "电话"),
              convert=mobile_value),
    FieldSpec("badge_number", "警号/工号", aliases=("警号", "工号", "警号工号", "警号（工号）"),
              convert=badge_value),
    FieldSpec("post", "岗位", aliases=("工作岗位",), convert=choice_of(Post)),
    FieldSpec("role", "角色", True, ("系统角色", "账号角色"), choice_of(Role)),
    FieldSpec("unit", "所属单位", True,
              ("单位", "所属辖区", "单位名称", "单位代码", "所在单位", "所属单位代码"),
              max_length=100),
    FieldSpec("staff_kind", "人员类别", aliases=("是否辅警", "类别", "人员类型"),
              convert=staff_kind_value),
)  # fmt: skip
TEMPLATE_HEADERS = [f.label for f in FIELDS]
SPEC = KindSpec(KIND, "工作人员", User, FIELDS)


@dataclass
class _State(ImportState):
    """The ledger import's state, remembering every reason of every row (its report
    keeps only the first 200): the rejected rows' file lists them all."""

    reasons: dict[int, list[str]] = field(default_factory=dict)

    def error(self, parsed: ParsedRow, name: str, reason: str) -> None:
        super().error(parsed, name, reason)
        self.reasons.setdefault(parsed.row, []).append(f"{self.column(name)}：{reason}")

    def row_error(self, row: int, reason: str) -> None:
        self.report.add(row, "", reason)
        self.reasons.setdefault(row, []).append(reason)


@dataclass
class NewAccount:
    """An account the import opened and its one secret: the initial password, or the
    activation link's token. Neither is stored; both are shown once."""

    user: User
    secret: str


@dataclass
class Outcome:
    """What :func:`import_staff` did: the stored run (counts, rejected rows) and the
    accounts it opened with their secrets, for the one page that shows them."""

    run: StaffImport
    report: Report
    accounts: list[NewAccount] = field(default_factory=list)


def _mapping(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """Each field's column (by label or alias, as the ledger import matches them), and
    the labels of the required fields no column has."""
    normalised = [_normalise_header(h) for h in headers]
    mapping: dict[str, int] = {}
    for target in FIELDS:
        wanted = {_normalise_header(n) for n in (target.label, target.name, *target.aliases)}
        for index, header in enumerate(normalised):
            if header and header in wanted and index not in mapping.values():
                mapping[target.name] = index
                break
    missing = [f.label for f in FIELDS if f.required and f.name not in mapping]
    return mapping, missing


# --- Units --------------------------------------------------------------------------------


class _Units:
    """所属单位 by name, code or 上级/下级 name, among the police units in the importer's
    scope; a name found only outside it, or only as a division, is told as such."""

    def __init__(self, actor: User) -> None:
        self.actor = actor
        units = list(jurisdiction_selectors.police_units_for(actor).select_related("parent"))
        self.by_code = {u.code: u for u in units if u.code}
        self.by_name: dict[str, list[Jurisdiction]] = defaultdict(list)
        for unit in units:
            self.by_name[unit.name].append(unit)
        self.cache: dict[str, Jurisdiction | str] = {}

    def resolve(self, text: str) -> Jurisdiction | str:
        """The unit, or why there is none."""
        if text not in self.cache:
            self.cache[text] = self._resolve(text)
        return self.cache[text]

    def _resolve(self, text: str) -> Jurisdiction | str:
        parts = [p.strip() for p in re.split(r"[/／>＞]", text) if p.strip()]
        name = parts[-1] if parts else text
        if len(parts) > 1:
            found = [u for u in self.by_name.get(name, [])
                     if u.parent is not None and u.parent.name == parts[-2]]  # fmt: skip
        elif text in self.by_code:
            found = [self.by_code[text]]
        else:
            found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if found:
            return _("有 %(n)d 个单位叫“%(name)s”，请填写单位代码，或写成“上级单位/%(name)s”。") % {
                "n": len(found), "name": name}  # fmt: skip
        elsewhere = Jurisdiction.objects.filter(Q(name=name) | Q(code=text))
        if elsewhere.filter(kind__in=POLICE_KINDS).exists():
            return _("单位“%(name)s”不在您的辖区内：您只能在“%(scope)s”及其下级单位开设账号。") % {
                "name": text, "scope": getattr(self.actor.jurisdiction, "name", "")}  # fmt: skip
        if elsewhere.filter(kind__in=ADMINISTRATIVE_KINDS).exists():
            return _("“%(name)s”是行政区划，不是公安机关：请填写派出所、警务区等单位。") % {
                "name": text}  # fmt: skip
        return _("找不到单位“%(name)s”：请填写本辖区内公安机关的名称或代码。") % {"name": text}


# --- Checks -------------------------------------------------------------------------------


def _rows_text(rows: list[int]) -> str:
    return "、".join(_("第 %(n)d 行") % {"n": n} for n in rows)


def _check(state: _State, parsed: list[ParsedRow], units: _Units) -> None:
    """Unit and role for the importer; one account per ID number and per username, in the
    file and against the accounts already in the system."""
    actor = state.user
    for row in parsed:
        values = row.values
        if values.get("id_number") == EXAMPLE_ID_NUMBER:
            state.error(row, "id_number", _("这是模板中的示例行，请删除后再导入。"))
            continue
        if values.get("unit"):
            unit = units.resolve(values["unit"])
            if isinstance(unit, str):
                state.error(row, "unit", unit)
            else:
                values["_unit"] = unit
        if values.get("role"):
            refusal = account_services.role_refusal(actor=actor, role=values["role"])
            if refusal:
                state.error(row, "role", refusal)

    by_id: dict[str, list[ParsedRow]] = defaultdict(list)
    for row in parsed:
        if row.values.get("id_number") and row.values["id_number"] != EXAMPLE_ID_NUMBER:
            by_id[row.values["id_number"]].append(row)
    for rows in by_id.values():
        for row in rows if len(rows) > 1 else []:
            others = [r.row for r in rows if r is not row]
            state.error(row, "id_number", _("身份证号与%(rows)s相同：一人只能有一个账号。")
                        % {"rows": _rows_text(others)})  # fmt: skip
    existing = User.objects.filter(id_number__in=list(by_id)).select_related("jurisdiction")
    for account in existing:
        for row in by_id[account.id_number]:
            state.error(row, "id_number", _existing_account(actor, account))

    _usernames(state, parsed)


def _existing_account(actor: User, account: User) -> str:
    if account.jurisdiction is not None and covers(actor, account.jurisdiction):
        status = "" if account.is_active else _("（已停用，可在其页面重新启用）")
        return _("该身份证号已有账号：%(name)s（登录名 %(username)s，%(unit)s）%(status)s。") % {
            "name": account.full_name, "username": account.username,
            "unit": account.jurisdiction.name, "status": status}  # fmt: skip
    return _("系统中已有账号使用该身份证号（不在您的辖区内），请联系上级管理员。")


def _usernames(state: _State, parsed: list[ParsedRow]) -> None:
    """The badge number as username (lowercased), unique in the file and the system."""
    by_badge: dict[str, list[ParsedRow]] = defaultdict(list)
    for row in parsed:
        if row.values.get("badge_number"):
            by_badge[row.values["badge_number"].lower()].append(row)
    for rows in by_badge.values():
        for row in rows if len(rows) > 1 else []:
            others = [r.row for r in rows if r is not row]
            state.error(row, "badge_number", _("警号/工号与%(rows)s相同。")
                        % {"rows": _rows_text(others)})  # fmt: skip
    taken = User.objects.filter(username__in=list(by_badge)).values_list("username", flat=True)
    for username in taken:
        for row in by_badge[username]:
            state.error(row, "badge_number", _("警号/工号 %(badge)s 已是另一个账号的登录名。")
                        % {"badge": row.values["badge_number"]})  # fmt: skip
    for row in parsed:
        badge = row.values.get("badge_number")
        row.values["_username"] = badge.lower() if badge else ""


def _generated_username() -> str:
    while True:
        username = f"fq{secrets.randbelow(1_000_000):06d}"
        if not User.objects.filter(username=username).exists():
            return username


# --- The import ---------------------------------------------------------------------------


def _authorise(actor: User) -> None:
    require(actor, Capability.MANAGE_STAFF)
    if actor.jurisdiction is None:
        raise PermissionDenied(_("您没有所属辖区，不能导入。"))


def import_staff(
    *,
    actor: User,
    path: Path | str,
    name: str,
    mode: str = ImportMode.ALL_OR_NOTHING,
    credentials: str = Credentials.LINK,
) -> Outcome:
    """导入人员: check every row, then open the accounts — all of them or none
    (``mode="all"``), or the good rows only (``"good"``). Each account gets a one-time
    activation link or an initial password to change at first login (``credentials``).
    Every account's creation is audited, and the import as a whole."""
    _authorise(actor)
    mode = ImportMode(mode)
    credentials = Credentials(credentials)
    report = Report(kind=KIND)
    run = StaffImport(created_by=actor, file_name=name[:200], mode=mode, credentials=credentials)
    state: _State | None = None
    raw: dict[int, list[str]] = {}
    parsed: list[ParsedRow] = []
    try:
        with TableFile(path, name=name, max_bytes=MAX_BYTES) as table:
            run.headers = list(table.headers)
            mapping, missing = _mapping(table.headers)
            state = _State(actor, SPEC, report, table.headers, mapping)
            merges = table.merged_ranges()  # below a title row, if any (it is skipped)
            header_merges = [c for r, c in merges if r == table.header_row]
            if header_merges:
                report.add(1, "", _("表头有合并单元格（第 %(cols)s 列）：请取消合并，每列一个表头，"
                                    "表头放在第 1 行。") % {
                    "cols": "、".join(str(c + 1) for c in header_merges)})  # fmt: skip
            elif missing:
                report.add(1, "", _("缺少必填列：%(cols)s。请使用导入模板的表头。")
                           % {"cols": "、".join(missing)})  # fmt: skip
            else:
                merged_rows = {r for r, _c in merges if r > table.header_row}
                for number, values in table.rows():
                    if number > MAX_ROWS + 1:
                        raise ImportFileError(
                            _("一次最多导入 %(n)d 人，请拆分后分批导入。") % {"n": MAX_ROWS}
                        )
                    raw[number] = [_text(v) for v in values[: len(table.headers)]]
                    row = _parse_row(state, number, values, xlsx=table.is_xlsx)
                    if number in merged_rows:
                        state.row_error(number, _("合并单元格，请取消合并后逐行填写。"))
                        row.ok = False
                    parsed.append(row)
                report.total_rows = len(parsed)
                if not parsed:
                    report.add(None, "", _("文件中没有数据行。"))
                _check(state, parsed, _Units(actor))
    except ImportFileError as error:
        report.add_file_error(error)

    reasons: dict[int, list[str]] = state.reasons if state is not None else {}
    good = [p for p in parsed if p.ok and p.row not in reasons]
    report.valid_rows = len(good)
    file_ok = not any(e.row in (None, 1) for e in report.errors)
    outcome = Outcome(run=run, report=report)
    strict = mode == ImportMode.ALL_OR_NOTHING
    if state is not None and file_ok and good and not (strict and len(good) < len(parsed)):
        try:
            outcome.accounts = _create_all(actor, good, credentials, state, strict=strict)
        except _Refused as refused:  # all or nothing: the transaction is rolled back
            state.row_error(refused.row, refused.reason)
            report.valid_rows -= 1
    account_ids = sorted(a.user.pk for a in outcome.accounts)
    rejected = [p for p in parsed if p.row in reasons]
    if strict and not outcome.accounts:
        rejected = parsed  # nothing was imported: the whole file comes back, reasons added
    run.total_rows = len(parsed)
    run.created_count = len(account_ids)
    run.committed = bool(outcome.accounts)
    run.rejects = [
        {"row": p.row, "values": raw.get(p.row, []), "reasons": reasons.get(p.row, [])}
        for p in rejected
    ]
    run.account_ids = account_ids
    report.created = run.created_count
    report.committed = run.committed
    run.report = report.to_dict()
    with transaction.atomic():
        run.save()
        audit.record(
            actor=actor, action="create", obj=run, object_ids=run.account_ids,
            object_repr=_("导入人员 %(n)d 人") % {"n": run.created_count},
            fields=["mode", "credentials", "created_count"], reason=name[:200],
        )  # fmt: skip
    return outcome


class _Refused(Exception):
    def __init__(self, row: int, reason: str) -> None:
        super().__init__(reason)
        self.row, self.reason = row, reason


def _create_all(
    actor: User, rows: list[ParsedRow], credentials: str, state: _State, *, strict: bool
) -> list[NewAccount]:
    """Open the accounts of ``rows`` in one transaction. A row the account service still
    refuses (a rule the checks above do not know) fails the whole import when ``strict``
    (all or nothing); otherwise that row joins the rejected ones."""
    accounts: list[NewAccount] = []
    unusable = make_password(None)
    with transaction.atomic():
        for row in rows:
            values = row.values
            password = ""
            if credentials == Credentials.PASSWORD:
                password = account_services.initial_password()
            try:
                with transaction.atomic():
                    user = account_services.create_staff(
                        actor=actor,
                        username=values["_username"] or _generated_username(),
                        password=password,
                        password_hash="" if password else unusable,
                        full_name=values["full_name"],
                        role=values["role"],
                        jurisdiction=values["_unit"],
                        staff_kind=values.get("staff_kind") or StaffKind.POLICE,
                        post=values.get("post") or "",
                        badge_number=values.get("badge_number") or "",
                        id_number=values["id_number"],
                        phone=values.get("phone") or "",
                        must_change_password=bool(password),
                    )
                    secret = password
                    if not secret:
                        _activation, secret = account_services.issue_activation(
                            actor=actor, user=user
                        )
            except (ValidationError, PermissionDenied) as error:
                messages = getattr(error, "messages", None) or [str(error)]
                reason = "；".join(str(m) for m in messages)
                if strict:
                    raise _Refused(row.row, reason) from None
                state.row_error(row.row, reason)
                row.ok = False
                continue
            accounts.append(NewAccount(user, secret))
    return accounts


# --- Files --------------------------------------------------------------------------------


def template_xlsx(*, actor: User) -> bytes:
    """导入模板: the headers, an example row, drop-down lists for the choice columns (the
    roles the importer may give, 岗位, 人员类别, and his units on a second sheet), and
    text-formatted identifier columns (Excel would turn an ID number into 1.1e17)."""
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font
    from openpyxl.worksheet.datavalidation import DataValidation

    _authorise(actor)
    units = list(jurisdiction_selectors.police_units_for(actor).order_by("path")[:2000])
    book = Workbook()
    sheet = book.active
    sheet.title = _("人员名册")[:31]
    sheet.append(TEMPLATE_HEADERS)
    required = {f.label for f in FIELDS if f.required}
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="C00000" if cell.value in required else None)
        if cell.value in required:
            cell.comment = Comment(_("必填"), "fengqiao")
    example_unit = units[-1].name if units else ""
    sheet.append([
        "张三", EXAMPLE_ID_NUMBER, "13800138000", "012345", str(Post.COMMUNITY.label),
        str(Role.COMMUNITY_OFFICER.label), example_unit, str(StaffKind.POLICE.label),
    ])  # fmt: skip
    last = 1001
    column = {f.name: chr(ord("A") + i) for i, f in enumerate(FIELDS)}
    for name in ("id_number", "phone", "badge_number"):
        for row in range(2, last + 1):
            sheet[f"{column[name]}{row}"].number_format = "@"
    for name, width in (("full_name", 10), ("id_number", 21), ("phone", 14),
                        ("badge_number", 12), ("post", 12), ("role", 14), ("unit", 24),
                        ("staff_kind", 12)):  # fmt: skip
        sheet.column_dimensions[column[name]].width = width

    def choices(name: str, labels: list[str]) -> None:
        validation = DataValidation(
            type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True
        )
        validation.error = _("请从下拉列表中选择。")
        validation.errorTitle = _("不是可选值")
        validation.add(f"{column[name]}2:{column[name]}{last}")
        sheet.add_data_validation(validation)

    choices("role", [label for _value, label in account_services.assignable_roles(actor)])
    choices("post", [str(label) for label in Post.labels])
    choices("staff_kind", [str(label) for label in StaffKind.labels])
    unit_sheet = book.create_sheet(_("单位")[:31])
    unit_sheet.append([_("单位名称"), _("单位代码")])
    for unit in units:
        unit_sheet.append([unit.name, unit.code])
    if units:
        # A warning, not a stop: a unit code, or 上级/下级, is accepted too.
        validation = DataValidation(
            type="list", formula1=f"='{unit_sheet.title}'!$A$2:$A${len(units) + 1}",
            allow_blank=True, errorStyle="warning",
        )  # fmt: skip
        validation.error = _("不在本辖区单位列表中：也可填写单位代码或“上级单位/单位”。")
        validation.add(f"{column['unit']}2:{column['unit']}{last}")
        sheet.add_data_validation(validation)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rejects_xlsx(run: StaffImport) -> bytes:
    """未导入的行: the file's own columns and one more with the reasons, to fix and
    import again (the reason column is ignored by the import)."""
    from fengqiao.core.exports import to_xlsx

    headers = [*run.headers, _(REASON_HEADER)]
    width = len(run.headers)
    rows = [
        [*(reject["values"] + [""] * width)[:width], "；".join(reject["reasons"])]
        for reject in run.rejects
    ]
    return to_xlsx(headers, rows, title=_("未导入"))


def credentials_xlsx(rows: list[list[str]], *, credentials: str) -> bytes:
    """The printable list: name, unit, username and the password or link of each."""
    from fengqiao.core.exports import to_xlsx

    secret = _("初始密码") if credentials == Credentials.PASSWORD else _("激活链接")
    headers = [_("姓名"), _("所属单位"), _("登录名"), secret]
    return to_xlsx(headers, rows, title=_("账号名单"))
