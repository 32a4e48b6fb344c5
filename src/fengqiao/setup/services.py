"""The first run: the first administrator, the bureau's place in the national divisions
and the bureau itself, in one transaction that can succeed once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from fengqiao.accounts import services as accounts
from fengqiao.accounts.models import Post, User
from fengqiao.addresses.reading.divisions import CITY, COUNTY, PROVINCE, TOWNSHIP, gazetteer
from fengqiao.audit import services as audit
from fengqiao.core.roles import Role
from fengqiao.jurisdictions import services as jurisdictions
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.setup.models import SetupRecord

_KIND_OF_LEVEL = {PROVINCE: Kind.PROVINCE, CITY: Kind.CITY, COUNTY: Kind.COUNTY,
                  TOWNSHIP: Kind.TOWNSHIP}  # fmt: skip


def setup_done() -> bool:
    """Whether the deployment is past its first run: set up here, or holding accounts
    already (the demo, a restored backup, an account made on the command line)."""
    return SetupRecord.objects.exists() or User.objects.exists()


@dataclass(frozen=True)
class SetupResult:
    administrator: User
    bureau: Jurisdiction
    divisions: list[Jurisdiction]


def _division_node(code: str, parent: Jurisdiction | None) -> tuple[Jurisdiction, bool]:
    """The node of the gazetteer's division ``code``, created under ``parent`` unless a
    node with that code exists (``fengqiao divisions`` may have loaded it)."""
    division = gazetteer().by_code[code]  # checked by check_place
    kind = _KIND_OF_LEVEL[division.level]
    existing = Jurisdiction.objects.filter(kind=kind, code=code).first()
    if existing is not None:
        return existing, False
    node = jurisdictions.create_jurisdiction(
        actor=None, kind=kind, name=division.name, parent=parent, code=code
    )
    return node, True


def _police_node(kind: str, name: str, parent: Jurisdiction | None) -> Jurisdiction:
    existing = Jurisdiction.objects.filter(kind=kind, name=name, parent=parent).first()
    return existing or jurisdictions.create_jurisdiction(
        actor=None, kind=kind, name=name, parent=parent
    )


def department_name(province_code: str) -> str:
    """The province's police department: 公安厅, or a municipality's 市公安局."""
    province = gazetteer().by_code[province_code]
    # Stored names are Chinese whatever the language of the page that made them.
    if province.name.endswith("市"):  # 北京市 … 重庆市
        return f"{province.name}公安局"
    return f"{province.name}公安厅"


def check_place(*, county_code: str, township_codes: Sequence[str] = ()) -> None:
    """Refuse a county that is not one in force, or townships not in it."""
    county = gazetteer().get(county_code)
    if county is None or county.level != COUNTY:
        raise ValidationError({"county": _("请选择区/县。")})
    inside = {d.code for d in gazetteer().children.get(county_code, [])}
    if any(code not in inside for code in township_codes):
        raise ValidationError({"townships": _("所选乡镇/街道不属于该区/县。")})


def check_password(*, password: str, username: str, full_name: str) -> None:
    """Django's password validators (length, common, numeric, like the name)."""
    try:
        validate_password(password, user=User(username=username, full_name=full_name))
    except ValidationError as error:
        raise ValidationError({"password": error.messages}) from None


@transaction.atomic
def complete_setup(
    *,
    username: str,
    full_name: str,
    password: str,
    county_code: str,
    township_codes: Sequence[str] = (),
    bureau_name: str,
    origin: str = "",
) -> SetupResult:
    """Create the divisions down to the county (and the chosen townships) with their
    GB codes, the police bureau under its province's department and city bureau, and
    the first administrator scoped to the bureau; audited. Refused once done."""
    if setup_done():
        raise ValidationError(_("首次运行设置已经完成。"))
    try:
        # Taken first: a second setup running at the same time waits here, then fails.
        with transaction.atomic():
            record = SetupRecord.objects.create()
    except IntegrityError:
        raise ValidationError(_("首次运行设置已经完成。")) from None
    bureau_name = bureau_name.strip()
    if not bureau_name:
        raise ValidationError({"bureau_name": _("请填写公安机关名称。")})
    check_place(county_code=county_code, township_codes=township_codes)
    check_password(password=password, username=username, full_name=full_name)

    chain = gazetteer().ancestors(county_code)  # province, [city,] county
    created: list[Jurisdiction] = []
    parent: Jurisdiction | None = None
    for division in chain:
        parent, new = _division_node(division.code, parent)
        if new:
            created.append(parent)
    county = parent
    for code in dict.fromkeys(township_codes):
        node, new = _division_node(code, county)
        if new:
            created.append(node)

    police: Jurisdiction | None = _police_node(
        Kind.POLICE_DEPARTMENT, department_name(chain[0].code), None
    )
    if len(chain) == 3:  # a city level: the county bureau hangs under the city's bureau
        police = _police_node(Kind.CITY_BUREAU, f"{chain[1].name}公安局", police)
    bureau = _police_node(Kind.COUNTY_BUREAU, bureau_name, police)

    administrator = accounts.create_staff(
        actor=None, username=username, password=password, full_name=full_name,
        role=Role.ADMIN, jurisdiction=bureau, post=Post.OFFICE,
    )  # fmt: skip
    record.bureau, record.administrator = bureau, administrator
    record.save(update_fields=["bureau", "administrator"])
    audit.record(
        actor=None, actor_name=f"setup {origin}".strip(), action="create", obj=record,
        fields=["administrator", "bureau", "divisions"],
        reason=f"首次运行设置：{bureau.name}，管理员 {administrator.username}",
    )  # fmt: skip
    return SetupResult(administrator, bureau, created)
