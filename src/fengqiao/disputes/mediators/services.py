"""调解员、律师值班与指派: the mediator registry, the duty-lawyer rota of a mediation room,
and the assignment proposals a person decides on.

* Registry: who mediates (kind, languages, specialities, where, how many cases at
  once), the interests each has declared (:class:`MediatorConflict`, stored as a hashed
  party key only), his login and his registry person.
* Rota: one available lawyer per working day of a month, round-robin, never touching a
  day already set; swaps and replacements keep who was there before and why.
* Proposals: every mediator who may serve the case, ranked by language, speciality,
  proximity, load and the duty lawyer, each with the reasons in words; beside them the
  mediators who may not, with the reason (a declared interest, the registry showing him
  a party, in a party's household or a party's landlord, unavailable, full).

Writes check the capability (:data:`Capability.MANAGE_MEDIATORS`) and the scope, run in
one transaction, leave a line on the case's timeline when they concern a case, and an
event in the audit log. Reads take the user."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.accounts.selectors import covers, scoped
from fengqiao.audit import services as audit
from fengqiao.core.concurrency import save_versioned
from fengqiao.core.masking import mask_name
from fengqiao.core.roles import Capability, Role, require
from fengqiao.core.text import join_list
from fengqiao.core.timeline import Message, render_message
from fengqiao.core.validators import normalise_id_number, validate_id_number, validate_mobile
from fengqiao.disputes import parties
from fengqiao.disputes.models import (
    CLOSED_STATUSES,
    Assignment,
    Category,
    ConflictKind,
    DisputeCase,
    DutyShift,
    EventKind,
    MediationRoom,
    Mediator,
    MediatorConflict,
    MediatorKind,
    Party,
    PartyKey,
    Track,
)
from fengqiao.disputes.services import add_event, check_scope
from fengqiao.incidents.services import clean_text
from fengqiao.jurisdictions.models import Jurisdiction, Kind
from fengqiao.jurisdictions.selectors import BUREAU_KINDS
from fengqiao.registry.models import Person, Relation, Residence, ResidenceStatus

MIN_REASON_LENGTH = 4
MAX_OPEN_CASES_LIMIT = 200
ASSIGNMENT_REASON_LENGTH = 300  # Assignment.reason

# Languages a mediator may work in, by code (ISO 639). Mandarin is the working language
# of every station; the Chinese dialects and minority languages matter as much as the
# foreign ones (Yiwu's 洋娘舅 speak the traders' languages).
LANGUAGES: dict[str, Promise] = {
    "zh": gettext_lazy("普通话"),
    "yue": gettext_lazy("粤语"),
    "wuu": gettext_lazy("吴语"),
    "nan": gettext_lazy("闽南语"),
    "hak": gettext_lazy("客家话"),
    "ug": gettext_lazy("维吾尔语"),
    "bo": gettext_lazy("藏语"),
    "mn": gettext_lazy("蒙古语"),
    "kk": gettext_lazy("哈萨克语"),
    "za": gettext_lazy("壮语"),
    "ii": gettext_lazy("彝语"),
    "en": gettext_lazy("英语"),
    "ar": gettext_lazy("阿拉伯语"),
    "es": gettext_lazy("西班牙语"),
    "ru": gettext_lazy("俄语"),
    "fr": gettext_lazy("法语"),
    "ko": gettext_lazy("韩语"),
    "ja": gettext_lazy("日语"),
    "fa": gettext_lazy("波斯语"),
    "pt": gettext_lazy("葡萄牙语"),
    "de": gettext_lazy("德语"),
    "it": gettext_lazy("意大利语"),
    "tr": gettext_lazy("土耳其语"),
    "hi": gettext_lazy("印地语"),
    "ur": gettext_lazy("乌尔都语"),
    "bn": gettext_lazy("孟加拉语"),
    "th": gettext_lazy("泰语"),
    "vi": gettext_lazy("越南语"),
    "id": gettext_lazy("印尼语"),
    "ms": gettext_lazy("马来语"),
    "my": gettext_lazy("缅甸语"),
    "km": gettext_lazy("高棉语"),
    "lo": gettext_lazy("老挝语"),
    "uk": gettext_lazy("乌克兰语"),
    "uz": gettext_lazy("乌兹别克语"),
    "sw": gettext_lazy("斯瓦希里语"),
    "am": gettext_lazy("阿姆哈拉语"),
    "ha": gettext_lazy("豪萨语"),
}
MANDARIN = "zh"

# --- how a proposal is scored (points; the reasons say which applied) -----------------
# A common language is worth most: without one there is no mediation at all.
LANGUAGE_POINTS = 30
SPECIALITY_POINTS = 20
DISTRICT, STATION, BUREAU, ABOVE = "district", "station", "bureau", "above"
PROXIMITY_POINTS = {DISTRICT: 20, STATION: 12, BUREAU: 5, ABOVE: 2}
PROXIMITY_LABELS: dict[str, Promise] = {
    DISTRICT: gettext_lazy("同一警务区"),
    STATION: gettext_lazy("同一派出所"),
    BUREAU: gettext_lazy("同一分局"),
    ABOVE: gettext_lazy("上级单位"),
}
LOAD_POINTS = 15  # taken off in proportion to how full his caseload is
DUTY_LAWYER_POINTS = 15
POLICE_TRACK_OFFICER_POINTS = 10  # 治安调解 is conducted by the police themselves
# A case needs legal advice when much money is at stake or it turns on a contract or
# on labour law: then the lawyer on duty in the mediation room is worth asking.
LEGAL_ADVICE_AMOUNT = Decimal("50000")
LEGAL_CATEGORIES = frozenset({Category.CONTRACT, Category.LABOUR})
# The registry relations that make a household (a tenant is not family).
HOUSEHOLD_RELATIONS = (Relation.FAMILY, Relation.OWNER)


def language_label(code: str) -> str:
    return str(LANGUAGES[code]) if code in LANGUAGES else code


def _language_list(codes: list[str]) -> str:
    return join_list(language_label(c) for c in codes)


def _proximity_label(tier: str) -> str:
    return str(PROXIMITY_LABELS[tier]) if tier in PROXIMITY_LABELS else tier


# Why a mediator is proposed: kept with the assignment's timeline line as keys and
# parameters, so the line reads in its reader's language.
REASON_MESSAGES = {
    "speaks": Message(gettext_lazy("会说所需语言：%(langs)s"), {"langs": _language_list}),
    "not_speaks": Message(gettext_lazy("不会说：%(langs)s"), {"langs": _language_list}),
    "speciality": Message(gettext_lazy("擅长%(category)s纠纷"), {"category": Category}),
    "proximity": Message("%(tier)s", {"tier": _proximity_label}),
    "load": Message(gettext_lazy("在办%(load)d件（上限%(max)d件）")),
    "duty_lawyer": Message(gettext_lazy("今日值班律师（本案涉及法律问题）")),
    "officer_hosts": Message(gettext_lazy("治安调解由民警主持")),
}


def reasons_text(why: list[dict[str, Any]]) -> str:
    """Stored proposal reasons (:attr:`Candidate.why`) as text in the active language."""
    return _("；").join(
        render_message(
            REASON_MESSAGES, item.get("m", ""), {k: v for k, v in item.items() if k != "m"}
        )
        for item in why
    )


def normalise_language(value: str) -> str:
    """A party's language as typed (``en``, ``EN``, ``英语``) → its code, or the text."""
    text = (value or "").strip()
    if text.lower() in LANGUAGES:
        return text.lower()
    for code, label in LANGUAGES.items():
        if str(label) == text:
            return code
    return text


def require_any(user: Any, *capabilities: str) -> None:
    if not any(user.can(c) for c in capabilities):
        raise PermissionDenied(Capability(capabilities[0]).label)


# --- the registry: reads ----------------------------------------------------------------


def mediators_for(user: Any) -> QuerySet[Mediator]:
    """调解员名册 in the user's scope (by the mediator's jurisdiction); a mediator
    account sees only his own record."""
    require_any(user, Capability.MANAGE_MEDIATORS, Capability.HANDLE_DISPUTES)
    mediators = Mediator.objects.select_related("jurisdiction", "room", "account")
    if user.role == Role.MEDIATOR:
        return mediators.filter(account=user)
    return scoped(mediators, user=user)


def with_loads(mediators: QuerySet[Mediator]) -> QuerySet[Mediator]:
    """Each mediator with ``open_load``: his current assignments to open cases, counted
    in the same query."""
    return mediators.annotate(
        open_load=Count(
            "assignments",
            filter=Q(assignments__ended_at__isnull=True)
            & ~Q(assignments__case__status__in=CLOSED_STATUSES),
        )
    )


def mediator_detail(user: Any, pk: int) -> Mediator:
    """One mediator in scope (``Mediator.DoesNotExist`` otherwise); the read audited."""
    mediator = with_loads(mediators_for(user)).get(pk=pk)
    audit.record(actor=user, action="view", obj=mediator)
    return mediator


def rooms_for(user: Any) -> QuerySet[MediationRoom]:
    """调解室 in the user's scope; a mediator account sees the rooms he belongs to or
    has shifts in."""
    require_any(user, Capability.MANAGE_MEDIATORS, Capability.HANDLE_DISPUTES)
    rooms = MediationRoom.objects.select_related("jurisdiction")
    if user.role == Role.MEDIATOR:
        mine = Q(mediators__account=user) | Q(shifts__mediator__account=user)
        return rooms.filter(pk__in=MediationRoom.objects.filter(mine).values("pk"))
    return scoped(rooms, user=user)


def duty_today(user: Any, *, day: dt.date | None = None) -> list[DutyShift]:
    """今日值班律师: who is on duty today in each room the user may see."""
    day = day or timezone.localdate()
    return list(
        DutyShift.objects.filter(day=day, room__in=rooms_for(user))
        .select_related("room", "mediator")
        .order_by("room__name", "room_id")
    )


# --- the registry: writes ---------------------------------------------------------------

EDITABLE_FIELDS = (
    "name",
    "kind",
    "jurisdiction",
    "room",
    "phone",
    "id_number",
    "languages",
    "specialities",
    "organisation",
    "available",
    "max_open_cases",
    "account",
    "person",
)


def _clean_mediator(
    actor: Any, values: dict[str, Any], *, current: Mediator | None
) -> dict[str, Any]:
    """Validate the given fields of a mediator; every problem at once, keyed by field."""
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}

    def fail(name: str, message: str) -> None:
        errors.setdefault(name, message)

    for name in ("name", "organisation"):
        if name in values:
            try:
                limit = 50 if name == "name" else 100
                cleaned[name] = clean_text(
                    values[name], field=name, limit=limit, required=name == "name", plain=True
                )
            except ValidationError as error:
                fail(name, error.message_dict[name][0])
    if "kind" in values:
        if values["kind"] not in MediatorKind.values:
            fail("kind", _("请选择调解员类别。"))
        cleaned["kind"] = values["kind"]
    if "phone" in values:
        phone = parties.clean_phone(values["phone"] or "")
        if phone:
            try:
                validate_mobile(phone)
            except ValidationError as error:
                fail("phone", str(error.messages[0]))
        cleaned["phone"] = phone
    if "id_number" in values:
        id_number = normalise_id_number(values["id_number"] or "")
        if id_number:
            try:
                validate_id_number(id_number)
            except ValidationError as error:
                fail("id_number", str(error.messages[0]))
        cleaned["id_number"] = id_number
    if "languages" in values:
        codes = [str(code).strip().lower() for code in values["languages"] or []]
        unknown = [code for code in codes if code and code not in LANGUAGES]
        if unknown:
            fail("languages", _("未知的语言代码：%(codes)s。") % {"codes": join_list(unknown)})
        cleaned["languages"] = sorted({code for code in codes if code})
    if "specialities" in values:
        chosen = [str(value) for value in values["specialities"] or []]
        if any(value not in Category.values for value in chosen):
            fail("specialities", _("擅长类别须为纠纷类别之一。"))
        cleaned["specialities"] = sorted(set(chosen))
    if "available" in values:
        cleaned["available"] = bool(values["available"])
    if "max_open_cases" in values:
        try:
            limit = int(values["max_open_cases"])
        except (TypeError, ValueError):
            limit = 0
        if not 1 <= limit <= MAX_OPEN_CASES_LIMIT:
            fail(
                "max_open_cases",
                _("同时办理上限须在1到%(n)d件之间。") % {"n": MAX_OPEN_CASES_LIMIT},
            )
        cleaned["max_open_cases"] = limit
    if "jurisdiction" in values:
        unit = values["jurisdiction"]
        if not isinstance(unit, Jurisdiction) or not unit.is_police:
            fail("jurisdiction", _("请选择调解员服务的公安机关辖区。"))
        elif not covers(actor, unit):
            fail("jurisdiction", _("该辖区不在您的管理范围内。"))
        cleaned["jurisdiction"] = unit
    if "room" in values:
        room = values["room"]
        if room is not None and not covers(actor, room.jurisdiction):
            fail("room", _("该调解室不在您的管理范围内。"))
        cleaned["room"] = room
    if "account" in values:
        account = values["account"]
        if account is not None:
            if account.role != Role.MEDIATOR:
                fail("account", _("只能关联角色为“调解员”的账号。"))
            elif account.jurisdiction is None or not covers(actor, account.jurisdiction):
                fail("account", _("该账号不在您的管理范围内。"))
            else:
                taken = Mediator.objects.filter(account=account)
                if current is not None:
                    taken = taken.exclude(pk=current.pk)
                if taken.exists():
                    fail("account", _("该账号已关联其他调解员。"))
        cleaned["account"] = account
    if "person" in values:
        person = values["person"]
        if person is not None and not covers(actor, person.police_district):
            fail("person", _("该实有人口不在您的辖区内。"))
        cleaned["person"] = person
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_mediator_scope(actor: Any, mediator: Mediator) -> None:
    require(actor, Capability.MANAGE_MEDIATORS)
    if not covers(actor, mediator.jurisdiction):
        raise PermissionDenied(_("该调解员不在您的管理范围内。"))


@transaction.atomic
def create_mediator(
    *,
    actor: Any,
    name: str,
    kind: str,
    jurisdiction: Jurisdiction,
    room: MediationRoom | None = None,
    phone: str = "",
    id_number: str = "",
    languages: list[str] | None = None,
    specialities: list[str] | None = None,
    organisation: str = "",
    available: bool = True,
    max_open_cases: int = 10,
    account: Any = None,
    person: Person | None = None,
) -> Mediator:
    """登记调解员 in a jurisdiction the actor manages. Languages are codes of
    :data:`LANGUAGES`, specialities categories of :class:`Category`; ``account`` is a
    login with the mediator role, ``person`` his 实有人口 record (it lets the registry
    find his household and the houses he lets)."""
    require(actor, Capability.MANAGE_MEDIATORS)
    values = _clean_mediator(
        actor,
        {
            "name": name,
            "kind": kind,
            "jurisdiction": jurisdiction,
            "room": room,
            "phone": phone,
            "id_number": id_number,
            "languages": languages or [],
            "specialities": specialities or [],
            "organisation": organisation,
            "available": available,
            "max_open_cases": max_open_cases,
            "account": account,
            "person": person,
        },
        current=None,
    )
    mediator = Mediator.objects.create(**values)
    audit.record(actor=actor, action="create", obj=mediator, fields=list(values))
    return mediator


@transaction.atomic
def update_mediator(
    *, actor: Any, mediator: Mediator, expected_version: int, **changes: Any
) -> Mediator:
    """Edit a mediator (any of :data:`EDITABLE_FIELDS`); refused if someone saved him
    since ``expected_version``. Moving him to another jurisdiction needs both in scope."""
    _check_mediator_scope(actor, mediator)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    values = _clean_mediator(actor, changes, current=mediator)
    changed = [name for name, value in values.items() if getattr(mediator, name) != value]
    for name in changed:
        setattr(mediator, name, values[name])
    save_versioned(mediator, expected_version=expected_version, fields=changed)
    audit.record(actor=actor, action="update", obj=mediator, fields=changed)
    return mediator


@transaction.atomic
def declare_conflict(
    *,
    actor: Any,
    mediator: Mediator,
    kind: str,
    name: str = "",
    id_number: str = "",
    phone: str = "",
    note: str = "",
) -> MediatorConflict:
    """申报利害关系: someone the mediator must never mediate for. Only the hashed party
    key (:func:`fengqiao.disputes.parties.party_key`) is kept, never the identifiers.
    A bare name would exclude him from every case of a namesake, so an ID number or a
    mobile number is required."""
    _check_mediator_scope(actor, mediator)
    errors: dict[str, str] = {}
    if kind not in ConflictKind.values:
        errors["kind"] = _("请选择关系。")
    id_number = normalise_id_number(id_number or "")
    phone = parties.clean_phone(phone or "")
    for key, value, check in (
        ("id_number", id_number, validate_id_number),
        ("phone", phone, validate_mobile),
    ):
        if value:
            try:
                check(value)
            except ValidationError as error:
                errors[key] = str(error.messages[0])
    if not id_number and not phone:
        errors["id_number"] = _("仅凭姓名无法可靠识别，请填写对方的身份证号或手机号。")
    try:
        note = clean_text(note, field="note", limit=200, plain=True)
    except ValidationError as error:
        errors.update({k: v[0] for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    key = parties.party_key(name=name, id_number=id_number, phone=phone)
    if mediator.conflicts.filter(party_key=key).exists():
        raise ValidationError(_("已申报过与此人的利害关系。"))
    conflict = MediatorConflict.objects.create(
        mediator=mediator, party_key=key, kind=kind, note=note
    )
    audit.record(
        actor=actor,
        action="create",
        obj=conflict,
        fields=["party_key", "kind"],
        scope_path=mediator.scope_path,
    )
    return conflict


@transaction.atomic
def withdraw_conflict(*, actor: Any, conflict: MediatorConflict, reason: str) -> None:
    """撤销利害关系申报 (e.g. entered for the wrong person), with the reason audited."""
    _check_mediator_scope(actor, conflict.mediator)
    reason = clean_reason(reason)
    audit.record(
        actor=actor,
        action="delete",
        obj=conflict,
        fields=["party_key", "kind"],
        reason=reason,
        scope_path=conflict.mediator.scope_path,
    )
    conflict.delete()


def clean_reason(reason: str, field_name: str = "reason") -> str:
    text = clean_text(reason, field=field_name, limit=200, plain=True)
    if len(text) < MIN_REASON_LENGTH:
        raise ValidationError({field_name: _("请写明理由（至少4个字）。")})
    return text


@transaction.atomic
def create_room(
    *,
    actor: Any,
    jurisdiction: Jurisdiction,
    name: str,
    committee: str = "",
    judicial_office: str = "",
    place: str = "",
    phone: str = "",
) -> MediationRoom:
    """设立调解室 of a station (with its 人民调解委员会 and 司法所)."""
    require(actor, Capability.MANAGE_MEDIATORS)
    errors: dict[str, str] = {}
    if not jurisdiction.is_police:
        errors["jurisdiction"] = _("请选择调解室所属的公安机关。")
    texts: dict[str, str] = {}
    for key, value, limit in (
        ("name", name, 100),
        ("committee", committee, 100),
        ("judicial_office", judicial_office, 100),
        ("place", place, 200),
        ("phone", phone, 20),
    ):
        try:
            texts[key] = clean_text(
                value, field=key, limit=limit, required=key == "name", plain=True
            )
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    if errors:
        raise ValidationError(errors)
    if not covers(actor, jurisdiction):
        raise PermissionDenied(_("该单位不在您的管理范围内。"))
    room = MediationRoom.objects.create(jurisdiction=jurisdiction, **texts)
    audit.record(
        actor=actor, action="create", obj=room, fields=list(texts), scope_path=jurisdiction.path
    )
    return room


# --- proposals ------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A mediator who may take the case, with his score and why."""

    mediator: Mediator
    score: int
    reasons: list[str]
    load: int
    # The reasons as message keys and parameters (a timeline line renders them in its
    # reader's language; ``reasons`` is the text in the language of this request).
    why: list[dict[str, Any]] = field(default_factory=list)

    @property
    def reason_text(self) -> str:
        return "；".join(self.reasons)


@dataclass(frozen=True)
class Excluded:
    """A mediator who may not take the case, and why."""

    mediator: Mediator
    reasons: list[str]

    @property
    def reason_text(self) -> str:
        return "；".join(self.reasons)


@dataclass(frozen=True)
class Proposals:
    """推荐调解员: candidates best first, and those excluded with their reasons."""

    candidates: list[Candidate]
    excluded: list[Excluded]
    languages: list[str] = field(default_factory=list)
    needs_legal_advice: bool = False

    def candidate(self, mediator_id: int) -> Candidate | None:
        return next((c for c in self.candidates if c.mediator.pk == mediator_id), None)

    def exclusion(self, mediator_id: int) -> Excluded | None:
        return next((e for e in self.excluded if e.mediator.pk == mediator_id), None)


def needs_legal_advice(case: DisputeCase) -> bool:
    """Much money at stake, or a contract or labour dispute: worth a lawyer's advice."""
    return case.category in LEGAL_CATEGORIES or (
        case.amount is not None and case.amount >= LEGAL_ADVICE_AMOUNT
    )


def _who(party: Party) -> str:
    # The reasons are shown on the page: the party's role and a masked name only.
    return f"{party.get_role_display()}{mask_name(party.name)}"


def _registry_conflicts(case_parties: list[Party], pool: list[Mediator]) -> dict[int, list[str]]:
    """Conflicts the registry shows without anyone declaring them: the mediator is a
    party, lives in a party's household (both family or owner of the same house, not
    moved out), is the landlord of the house a party lives in, or lives in a house a
    party lets. Two queries, whatever the number of mediators."""
    found: dict[int, list[str]] = defaultdict(list)
    parties_of: dict[int, list[Party]] = defaultdict(list)
    for party in case_parties:
        if party.person_id:
            parties_of[party.person_id].append(party)
    mediators_of: dict[int, list[Mediator]] = defaultdict(list)
    for mediator in pool:
        if mediator.person_id:
            mediators_of[mediator.person_id].append(mediator)
    if not parties_of or not mediators_of:
        return found

    def add(mediator_person: int, party_person: int, message: str) -> None:
        for party in parties_of[party_person]:
            for mediator in mediators_of[mediator_person]:
                found[mediator.pk].append(message % {"who": _who(party)})

    for person in parties_of.keys() & mediators_of.keys():
        add(person, person, _("本人即本案当事人（%(who)s）"))
    current = Q(moved_out__isnull=True) & ~Q(status=ResidenceStatus.REJECTED)
    party_stays = list(
        Residence.objects.filter(current, person_id__in=list(parties_of)).values_list(
            "person_id", "house_id", "relation", "house__landlord_id"
        )
    )
    mediator_stays = list(
        Residence.objects.filter(current, person_id__in=list(mediators_of))
        .filter(
            Q(house_id__in={house for _p, house, _r, _l in party_stays})
            | Q(house__landlord_id__in=list(parties_of))
        )
        .values_list("person_id", "house_id", "relation", "house__landlord_id")
    )
    landlord = _("是当事人%(who)s所住房屋的房东")
    for party_person, house, relation, house_landlord in party_stays:
        if house_landlord in mediators_of and house_landlord != party_person:
            add(house_landlord, party_person, landlord)
        for mediator_person, mediator_house, mediator_relation, _l in mediator_stays:
            if mediator_person == party_person or mediator_house != house:
                continue
            if relation in HOUSEHOLD_RELATIONS and mediator_relation in HOUSEHOLD_RELATIONS:
                add(mediator_person, party_person, _("与当事人%(who)s同户居住（家庭成员）"))
            elif mediator_relation == Relation.OWNER and relation == Relation.TENANT:
                add(mediator_person, party_person, landlord)
    for mediator_person, _h, _r, house_landlord in mediator_stays:
        if house_landlord in parties_of and house_landlord != mediator_person:
            add(mediator_person, house_landlord, _("租住当事人%(who)s的房屋（当事人是其房东）"))
    return found


def _proximity(case_units: dict[str, int | None], mediator: Mediator) -> str:
    ids = set(mediator.jurisdiction.ancestor_ids) | {mediator.jurisdiction_id}
    for tier in (DISTRICT, STATION, BUREAU):
        if case_units[tier] is not None and case_units[tier] in ids:
            return tier
    return ABOVE


def _case_units(case: DisputeCase) -> tuple[dict[str, int | None], str | None, list[int]]:
    """The case's police district, station and bureau (ids), the bureau's path, and
    the ids of the unit and its ancestors: one query."""
    unit = case.jurisdiction
    chain = [*unit.ancestor_ids, unit.pk]
    nodes = list(
        Jurisdiction.objects.filter(pk__in=chain).values_list("pk", "kind", "path", "depth")
    )
    nodes.sort(key=lambda node: node[3], reverse=True)  # nearest first
    units: dict[str, int | None] = {DISTRICT: None, STATION: None, BUREAU: None}
    bureau_path = None
    for pk, kind, path, _depth in nodes:
        if kind == Kind.POLICE_DISTRICT and units[DISTRICT] is None:
            units[DISTRICT] = pk
        elif kind == Kind.STATION and units[STATION] is None:
            units[STATION] = pk
        elif kind in BUREAU_KINDS and units[BUREAU] is None:
            units[BUREAU], bureau_path = pk, path
    return units, bureau_path, chain


def _pool(case: DisputeCase, bureau_path: str | None, chain: list[int]) -> QuerySet[Mediator]:
    """Who may be asked: every mediator of the case's bureau, and those registered at a
    unit above the case's (who serve all below it)."""
    near = Q(jurisdiction_id__in=chain)
    if bureau_path is not None:
        near |= Q(jurisdiction__path__within=bureau_path)
    else:
        near |= Q(jurisdiction__path__within=case.jurisdiction.path)
    return with_loads(Mediator.objects.filter(near).select_related("jurisdiction"))


def propose(case: DisputeCase, *, user: Any) -> Proposals:
    """推荐调解员 for ``case``: candidates ranked by score, each with the reasons in
    words — the languages needed (the case's and the parties'), the category among his
    specialities, how near his unit is (same police district > station > bureau), his
    current load against his limit, the duty lawyer when the case needs legal advice,
    an officer for police mediation — and the excluded with theirs: a declared
    interest in a party, the registry showing him a party, in a party's household or a
    party's landlord (or tenant), unavailable or at full load.

    A fixed handful of queries whatever the number of mediators: the loads are counted
    in the query that loads the pool."""
    check_scope(user, case)
    case_parties = list(case.parties.all())
    keys: dict[str, list[int]] = defaultdict(list)
    for key, party_id in PartyKey.objects.filter(case=case).values_list("key", "party_id"):
        keys[key].append(party_id)
    party_by_id = {p.pk: p for p in case_parties}
    needed = sorted(
        {normalise_language(code) for code in case.languages}
        | {normalise_language(p.language) for p in case_parties if p.language.strip()}
    )
    # Mandarin is every station's working language: asking for it tells nobody apart.
    foreign = [code for code in needed if code != MANDARIN]
    legal = needs_legal_advice(case)
    units, bureau_path, chain = _case_units(case)
    active = set(
        case.assignments.filter(ended_at__isnull=True).values_list("mediator_id", flat=True)
    )
    pool = [m for m in _pool(case, bureau_path, chain) if m.pk not in active]
    declared: dict[int, list[str]] = defaultdict(list)
    if keys:
        rows = MediatorConflict.objects.filter(
            party_key__in=list(keys), mediator_id__in=[m.pk for m in pool]
        ).values_list("mediator_id", "party_key", "kind")
        for mediator_id, key, kind in rows:
            for party_id in keys[key]:
                declared[mediator_id].append(
                    _("申报了与当事人%(who)s的利害关系（%(kind)s）")
                    % {"who": _who(party_by_id[party_id]), "kind": ConflictKind(kind).label}
                )
    registry = _registry_conflicts(case_parties, pool)
    on_duty: set[int] = set()
    if legal:
        on_duty = set(
            DutyShift.objects.filter(
                day=timezone.localdate(), room__jurisdiction_id__in=chain
            ).values_list("mediator_id", flat=True)
        )
    candidates: list[Candidate] = []
    excluded: list[Excluded] = []
    for mediator in pool:
        load: int = mediator.open_load  # type: ignore[attr-defined]
        refusals = list(dict.fromkeys([*declared[mediator.pk], *registry[mediator.pk]]))
        if not mediator.available:
            refusals.append(_("暂停接案"))
        if load >= mediator.max_open_cases:
            refusals.append(
                _("已满负荷（在办%(load)d件，上限%(max)d件）")
                % {"load": load, "max": mediator.max_open_cases}
            )
        if refusals:
            excluded.append(Excluded(mediator, refusals))
            continue
        score = 0
        reasons: list[str] = []
        why: list[dict[str, Any]] = []

        def because(
            key: str, why: list[dict[str, Any]] = why, reasons: list[str] = reasons, **params: Any
        ) -> None:
            why.append({"m": key, **params})
            reasons.append(REASON_MESSAGES[key].format(params))

        speaks = [code for code in foreign if code in mediator.languages]
        missing = [code for code in foreign if code not in mediator.languages]
        if speaks:
            score += LANGUAGE_POINTS * len(speaks)
            because("speaks", langs=speaks)
        if missing:
            because("not_speaks", langs=missing)
        if case.category in mediator.specialities:
            score += SPECIALITY_POINTS
            because("speciality", category=case.category)
        tier = _proximity(units, mediator)
        score += PROXIMITY_POINTS[tier]
        because("proximity", tier=tier)
        score -= round(LOAD_POINTS * load / mediator.max_open_cases)
        because("load", load=load, max=mediator.max_open_cases)
        if mediator.pk in on_duty:
            score += DUTY_LAWYER_POINTS
            because("duty_lawyer")
        if case.track == Track.POLICE and mediator.kind == MediatorKind.OFFICER:
            score += POLICE_TRACK_OFFICER_POINTS
            because("officer_hosts")
        candidates.append(Candidate(mediator, score, reasons, load, why))
    candidates.sort(key=lambda c: (-c.score, c.load, c.mediator.name, c.mediator.pk))
    excluded.sort(key=lambda e: (e.mediator.name, e.mediator.pk))
    return Proposals(candidates, excluded, needed, legal)


# --- assignment -----------------------------------------------------------------------


def current_assignments(case: DisputeCase) -> list[Assignment]:
    """The case's mediators now, lead first (the case comes from a scoped selector)."""
    return list(
        case.assignments.filter(ended_at__isnull=True)
        .select_related("mediator", "assigned_by")
        .order_by("-lead", "created_at")
    )


def past_assignments(case: DisputeCase) -> list[Assignment]:
    """The case's earlier mediators, most recently ended first."""
    return list(
        case.assignments.filter(ended_at__isnull=False)
        .select_related("mediator", "assigned_by")
        .order_by("-ended_at")
    )


@transaction.atomic
def assign(
    *, actor: Any, case: DisputeCase, mediator: Mediator, lead: bool = True, reason: str = ""
) -> Assignment:
    """指派调解员: a person's decision on the proposals. A mediator the proposals exclude
    is refused with the exclusion's reason; the assignment keeps the proposal's reasons,
    ``reason`` is the decider's own note. One lead mediator at a time."""
    require(actor, Capability.MANAGE_MEDIATORS)
    check_scope(actor, case)
    # Two people assigning at once: the second waits and sees the first's lead.
    DisputeCase.objects.select_for_update().filter(pk=case.pk).first()
    Mediator.objects.select_for_update().filter(pk=mediator.pk).first()
    if not case.is_open:
        raise ValidationError(_("纠纷已结案，不能再指派调解员。"))
    note = clean_text(reason, field="reason", limit=200, plain=True)
    if case.assignments.filter(mediator=mediator, ended_at__isnull=True).exists():
        raise ValidationError({"mediator": _("%(name)s已是本案调解员。") % {"name": mediator.name}})
    if lead and case.assignments.filter(lead=True, ended_at__isnull=True).exists():
        raise ValidationError(
            {"lead": _("本案已有主调解员：请先结束其指派，或以协助调解员身份指派。")}
        )
    proposals = propose(case, user=actor)
    exclusion = proposals.exclusion(mediator.pk)
    if exclusion is not None:
        raise ValidationError(
            {
                "mediator": _("不能指派%(name)s：%(why)s。")
                % {"name": mediator.name, "why": exclusion.reason_text}
            }
        )
    candidate = proposals.candidate(mediator.pk)
    if candidate is None:
        raise ValidationError(
            {"mediator": _("%(name)s不在本案可选调解员范围内。") % {"name": mediator.name}}
        )
    assignment = Assignment.objects.create(
        case=case,
        mediator=mediator,
        lead=lead,
        assigned_by=actor,
        reason=candidate.reason_text[:ASSIGNMENT_REASON_LENGTH],
    )
    add_event(case, actor, EventKind.ASSIGNMENT, note, message="assigned", params={
        "role": lead, "name": mediator.name, "kind": mediator.kind, "why": candidate.why,
    })  # fmt: skip
    audit.record(
        actor=actor,
        action="create",
        obj=assignment,
        fields=["mediator", "lead", "reason"],
        reason=note,
        scope_path=case.scope_path,
    )
    return assignment


@transaction.atomic
def end_assignment(*, actor: Any, assignment: Assignment, reason: str) -> Assignment:
    """结束指派: the mediator leaves the case (replaced, withdrew, recused), with why."""
    require(actor, Capability.MANAGE_MEDIATORS)
    case = assignment.case
    check_scope(actor, case)
    assignment = (
        Assignment.objects.select_for_update().select_related("mediator").get(pk=assignment.pk)
    )
    if assignment.ended_at is not None:
        raise ValidationError(_("该指派已结束。"))
    reason = clean_reason(reason)
    assignment.ended_at = timezone.now()
    assignment.save(update_fields=["ended_at", "updated_at"])
    add_event(case, actor, EventKind.ASSIGNMENT, reason, message="assignment_ended",
              params={"name": assignment.mediator.name})  # fmt: skip
    audit.record(
        actor=actor,
        action="update",
        obj=assignment,
        fields=["ended_at"],
        reason=reason,
        scope_path=case.scope_path,
    )
    return assignment
