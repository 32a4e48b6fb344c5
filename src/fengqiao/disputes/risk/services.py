"""民转刑 prevention: an explained escalation-risk score (0–100) for every open dispute.

The score is a sum of points, one line per signal, each kept with its evidence so the
case page can say *why* ("同一当事人近12个月内另有3起纠纷", "叙述中出现威胁用语：同归于尽").
No model is trained: every weight below is a number a station can read and argue with.

Signals and points (``WEIGHTS``; the window is the 12 months before the computation):

=====================  ==============================================================
repeat_pair            another case whose parties include two or more of this case's
                       parties (the same feud again): 12 each, at most 24
repeat_party           another case sharing one party: 5 each, at most 15
repeat_address         another dispute at the same standard address: 4 each, at most 12
incidents              incidents (警情) at the address or called in from a party's phone,
                       the case's own source incident not counted: 4 each, at most 16
threats_narrative      threat or violence words in the narrative: the strongest word's
                       weight (30 for killing, maiming, arson, explosives; 20 for
                       retaliation, weapons, self-harm, curses) + 5 per further word,
                       at most 35
threats_sessions       the same in the session summaries (threats said *during*
                       mediation); both threat lines together at most 45
failed_before          an earlier case of the same party ended 调解不成, 拒绝调解 or
                       转治安处罚 (any time): 10 each, at most 20
many_sessions          three or more sessions and still no agreement: 6, +2 per further
                       session, at most 12
terms_not_done         agreement terms recorded as not performed: 15, +5 each further,
                       at most 25
terms_overdue          terms still pending after their deadline: 8, +4 each, at most 16
overdue                past the track's clock (30 days people's mediation, 3 working
                       days police mediation; for a case not yet accepted, counted from
                       registration): 5, +2 per full week, at most 15
vulnerable             vulnerable parties (elderly, minors, disabled …): 8, +3 each
                       further, at most 14
category               婚姻家庭, 邻里, 房屋宅基地, 山林土地, 征地拆迁: 10
amount                 at stake ≥ 20,000 yuan: 3; ≥ 100,000: 6; ≥ 1,000,000: 10
=====================  ==============================================================

The score is the sum, at most 100. Levels: ``high`` from ``DISPUTES_RISK_HIGH``
(default 55), ``medium`` from ``DISPUTES_RISK_MEDIUM`` (default 30), else ``low``.
With the defaults one explicit death threat (30) in a neighbours' quarrel (10) is
medium; add one earlier dispute of the same two parties (12) and some calls to the
police (8) and it is high.

Party keys: only the strong keys (ID number, credit code, phone) link cases; a bare
name is too weak (see :mod:`fengqiao.disputes.parties`), and disputes at the same
address are counted by the address signal instead.

Threat words (``THREAT_WORDS``) are found with three simple, documented rules:

1. *Benign compounds are masked first* (``BENIGN``): 砍价, 砍树 (砍 followed in the
   same clause, within twelve characters and with no person — 人你我他她 — between, by
   树/木/竹/柴/林/苗), 杀价, 杀毒, 秒杀, 杀熟, 炸鸡, 一刀切, 开刀, 发烧 …
2. *Negation*: a word is ignored when a negator (没, 未, 不会, 不再, 否认, 从未 …)
   stands at most six characters before it in the same clause (clauses end at
   ，。；！？ and line breaks): "双方均表示不会再报复" does not count, "否认曾说要弄死对方"
   does not count, "你不让路，我就砍死你" counts (the negator is in another clause).
3. *Quotes*: reported speech in quotation marks (“…” 「…」 "…") counts — that is how a
   threat is written down ("对方扬言“要跟你同归于尽”"); a title in 《…》 does not.

Writing: :func:`recompute_all` scores every open case in batches with about ten queries
per batch (grouped where a count is enough; never one per case) and one batched UPDATE
(100,000 cases: 20 s on SQLite, 43 s on PostgreSQL, see ``bench/RESULTS.md``); :func:`score_case`
is the same score computed case by case with plain queries — the readable reference the
bulk path is tested against. :func:`refresh_case` scores one case and stores it (call it
after intake or a session). A case that *becomes* high risk (it was not high before)
raises :class:`~fengqiao.disputes.models.WarningNotice` rows for the community
officers of its police district and for the judicial office (``DISPUTES_WARNING_NOTIFY``,
default on) and a line on its timeline. The risk fields are derived data: writing them
does not bump the case's version, so a recompute never makes someone's open form stale.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    Model,
    Q,
    QuerySet,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fengqiao.accounts.models import User
from fengqiao.audit import services as audit
from fengqiao.core.roles import Capability, Role, require
from fengqiao.core.text import join_list
from fengqiao.disputes import clocks, parties, selectors
from fengqiao.disputes.models import (
    CLOSED_STATUSES,
    OPEN_STATUSES,
    AgreementTerm,
    CaseEvent,
    Category,
    DisputeCase,
    EventKind,
    MediationAgreement,
    MediationRoom,
    MediationSession,
    Party,
    PartyKey,
    RiskLevel,
    Status,
    TermStatus,
    WarningNotice,
)
from fengqiao.disputes.services import add_event, check_scope
from fengqiao.incidents.models import Incident
from fengqiao.jurisdictions.models import Jurisdiction, Kind

WINDOW = dt.timedelta(days=365)
BATCH = 2000
DEFAULT_MEDIUM = 30
DEFAULT_HIGH = 55
JUDICIAL_OFFICE = "司法所"  # the recipient when the station's mediation room names none

# (points for the first, points for each further one, cap)
WEIGHTS: dict[str, tuple[int, int, int]] = {
    "repeat_pair": (12, 12, 24),
    "repeat_party": (5, 5, 15),
    "repeat_address": (4, 4, 12),
    "incidents": (4, 4, 16),
    "failed_before": (10, 10, 20),
    "many_sessions": (6, 2, 12),
    "terms_not_done": (15, 5, 25),
    "terms_overdue": (8, 4, 16),
    "overdue": (5, 2, 15),  # further = per full week past the clock
    "vulnerable": (8, 3, 14),
}
THREAT_EXTRA, THREAT_CAP, THREATS_CAP = 5, 35, 45
MANY_SESSIONS = 3
CATEGORY_POINTS = 10
PRONE_CATEGORIES = frozenset({Category.MARRIAGE_FAMILY, Category.NEIGHBOURS,
                              Category.HOUSING_LAND, Category.FOREST_LAND,
                              Category.EXPROPRIATION})  # fmt: skip
AMOUNT_POINTS = ((Decimal("1000000"), 10), (Decimal("100000"), 6), (Decimal("20000"), 3))
FAILED_ENDINGS = frozenset({Status.FAILED, Status.REFUSED, Status.TO_PENALTY})

# The curated lexicon: 30 for killing, maiming, arson and explosives; 20 for retaliation,
# weapons, self-harm and curses. Longer words are tried first (砍死 before 砍).
THREAT_WORDS: dict[str, int] = {
    "同归于尽": 30, "弄死": 30, "打死": 30, "砍死": 30, "捅死": 30, "杀了": 30, "杀": 30,
    "砍": 30, "捅": 30, "灭门": 30, "放火": 30, "烧死": 30, "烧了": 30, "炸": 30,
    "泼硫酸": 30, "泼汽油": 30, "浇汽油": 30,
    "报复": 20, "刀": 20, "跳楼": 20, "喝农药": 20, "上吊": 20, "自杀": 20, "寻死": 20,
    "不得好死": 20, "不会放过": 20, "走着瞧": 20, "打断腿": 20, "要你命": 30,
}  # fmt: skip
# Everyday words that contain a threat character; masked before the search.
BENIGN = (
    r"砍(?=[^，。；！？,;!?\n人你我他她]{0,12}[树木竹柴林苗])", "砍价", "砍伐", "砍掉预算",
    "杀价", "杀毒", "杀虫", "杀菌", "杀猪", "杀鸡", "宰杀", "抹杀", "扼杀", "封杀", "秒杀",
    "杀熟", "炸鸡", "炸酱", "油炸", "炸串", "炸货", "气炸", "刀削", "开刀", "刀口", "刀工",
    "一刀切", "捅娄子", "捅破", "报复性消费", "发烧",
)  # fmt: skip
NEGATORS = ("没有", "没", "未", "并未", "不会", "不再", "不是", "不想", "不曾", "不愿",
            "否认", "从未", "从没", "无意")  # fmt: skip
NEGATION_WINDOW = 6
_CLAUSE_END = "，。；！？,;!?\n"
_WORDS = re.compile("|".join(re.escape(w) for w in sorted(THREAT_WORDS, key=len, reverse=True)))
_BENIGN = re.compile("|".join(BENIGN))
_TITLES = re.compile(r"《[^》]*》")
_NEGATOR = re.compile("|".join(re.escape(n) for n in sorted(NEGATORS, key=len, reverse=True)))
_LONGEST_NEGATOR = max(len(n) for n in NEGATORS)

# What each reason says; the stored reason keeps the code and its evidence, the text is
# rendered in the reader's language (see :func:`explain`).
REASON_TEXTS: dict[str, Any] = {
    "repeat_pair": gettext_lazy("双方当事人之间近12个月内另有%(n)d起纠纷"),
    "repeat_party": gettext_lazy("同一当事人近12个月内另有%(n)d起纠纷"),
    "repeat_address": gettext_lazy("同一地址近12个月内另有%(n)d起纠纷"),
    "incidents": gettext_lazy("同一地址或当事人电话近12个月内有%(n)d起警情"),
    "threats_narrative": gettext_lazy("叙述中出现威胁用语：%(words)s"),
    "threats_sessions": gettext_lazy("调解记录中出现威胁用语：%(words)s"),
    "failed_before": gettext_lazy("同一当事人此前有%(n)d起纠纷调解不成、拒绝调解或转治安处罚"),
    "many_sessions": gettext_lazy("已调解%(n)d次仍未达成协议"),
    "terms_not_done": gettext_lazy("调解协议有%(n)d项未履行"),
    "terms_overdue": gettext_lazy("调解协议有%(n)d项已过履行期限仍未履行"),
    "overdue": gettext_lazy("已超过调解期限%(days)d天"),
    "vulnerable": gettext_lazy("当事人中有%(n)d名弱势人员（老人、未成年人、残疾人等）"),
    "category": gettext_lazy("纠纷类别易激化：%(category)s"),
    "amount": gettext_lazy("涉及金额较大：%(amount)s元"),
}

# The partial index dispute_open's condition, spelled with literals: SQLite only uses a
# partial index when the query repeats its condition, and a bound parameter does not.
_OPEN_CONDITION = 'NOT ("disputes_disputecase"."status" IN ({}))'.format(
    ", ".join(f"'{status}'" for status in CLOSED_STATUSES if status.isidentifier())
)
# Likewise for incident_reporter (incidents with a caller's phone).
_PHONE_CONDITION = 'NOT ("incidents_incident"."reporter_phone" = \'\')'


def medium_threshold() -> int:
    return int(getattr(settings, "DISPUTES_RISK_MEDIUM", DEFAULT_MEDIUM))


def high_threshold() -> int:
    return int(getattr(settings, "DISPUTES_RISK_HIGH", DEFAULT_HIGH))


def notify_enabled() -> bool:
    return bool(getattr(settings, "DISPUTES_WARNING_NOTIFY", True))


def level_for(score: int) -> str:
    if score >= high_threshold():
        return RiskLevel.HIGH
    if score >= medium_threshold():
        return RiskLevel.MEDIUM
    return RiskLevel.LOW


# --- Threat words ------------------------------------------------------------------------


def _mask(match: re.Match[str]) -> str:
    return "□" * len(match.group(0))  # same length, so positions stay put


def threat_words(text: str) -> list[str]:
    """The lexicon's words in ``text``, in order of first appearance, without the
    negated ones, benign compounds and titles (rules in the module's docstring)."""
    if not text:
        return []
    text = _TITLES.sub(_mask, _BENIGN.sub(_mask, text))
    found: list[str] = []
    for match in _WORDS.finditer(text):
        start = match.start()
        clause = start
        while clause > 0 and text[clause - 1] not in _CLAUSE_END:
            clause -= 1
        before = text[max(clause, start - NEGATION_WINDOW - _LONGEST_NEGATOR) : start]
        # the gap between a negator's end and the word, in characters
        negated = any(len(before) - m.end() <= NEGATION_WINDOW for m in _NEGATOR.finditer(before))
        if not negated and match.group(0) not in found:
            found.append(match.group(0))
    return found


def _threat_points(words: list[str]) -> int:
    if not words:
        return 0
    strongest = max(THREAT_WORDS[w] for w in words)
    return min(THREAT_CAP, strongest + THREAT_EXTRA * (len(words) - 1))


# --- The score from the facts --------------------------------------------------------


@dataclass
class Facts:
    """What the score reads about one case; gathered per case or in bulk."""

    category: str
    amount: Decimal | None
    track: str
    status: str
    registered_at: dt.datetime
    due_at: dt.datetime | None
    suspended_at: dt.datetime | None
    narrative: str
    pair_cases: int = 0
    party_cases: int = 0
    failed_cases: int = 0
    address_cases: int = 0
    incidents: int = 0
    session_texts: list[str] = field(default_factory=list)
    has_agreement: bool = False
    terms_not_done: int = 0
    terms_overdue: int = 0
    vulnerable: int = 0


@dataclass(frozen=True)
class Score:
    score: int
    level: str
    reasons: list[dict[str, Any]]


def _counted(name: str, n: int) -> int:
    first, further, cap = WEIGHTS[name]
    return 0 if n <= 0 else min(cap, first + further * (n - 1))


def overdue_days(facts: Facts, now: dt.datetime) -> int | None:
    """Whole days past the track's clock, or None if it is not a full day past (or the
    clock does not run: an agreement has been reached). A case not yet accepted is measured from
    its registration; a suspended one stood still when it was suspended."""
    if facts.status not in (Status.REGISTERED, Status.ACCEPTED, Status.SUSPENDED):
        return None
    due = facts.due_at or clocks.mediation_due(facts.track, facts.registered_at)
    at = facts.suspended_at if facts.status == Status.SUSPENDED and facts.suspended_at else now
    days = (at - due).days
    return days if days >= 1 else None  # a full day late: hours are the clock's business


def score_facts(facts: Facts, *, now: dt.datetime) -> Score:
    """The score, its level and its reasons (highest points first) from ``facts``."""
    reasons: list[dict[str, Any]] = []

    def add(code: str, points: int, **params: Any) -> None:
        if points > 0:
            reasons.append({"code": code, "points": points, "params": params})

    for name in ("repeat_pair", "repeat_party", "repeat_address", "incidents",
                 "failed_before", "terms_not_done", "terms_overdue", "vulnerable"):  # fmt: skip
        attribute = {"repeat_pair": "pair_cases", "repeat_party": "party_cases",
                     "repeat_address": "address_cases", "failed_before": "failed_cases"
                     }.get(name, name)  # fmt: skip
        n = getattr(facts, attribute)
        add(name, _counted(name, n), n=n)
    narrative_words = threat_words(facts.narrative)
    session_words: list[str] = []
    for text in facts.session_texts:
        session_words += [w for w in threat_words(text) if w not in session_words]
    narrative_points = _threat_points(narrative_words)
    add("threats_narrative", narrative_points, words=narrative_words)
    add("threats_sessions", min(_threat_points(session_words), THREATS_CAP - narrative_points),
        words=session_words)  # fmt: skip
    sessions = len(facts.session_texts)
    if sessions >= MANY_SESSIONS and not facts.has_agreement:
        first, further, cap = WEIGHTS["many_sessions"]
        add("many_sessions", min(cap, first + further * (sessions - MANY_SESSIONS)), n=sessions)
    days = overdue_days(facts, now)
    if days is not None:
        first, per_week, cap = WEIGHTS["overdue"]
        add("overdue", min(cap, first + per_week * (days // 7)), days=days)
    if facts.category in PRONE_CATEGORIES:
        add("category", CATEGORY_POINTS, category=facts.category)
    if facts.amount is not None:
        points = next((p for limit, p in AMOUNT_POINTS if facts.amount >= limit), 0)
        add("amount", points, amount=f"{facts.amount:.2f}")
    reasons.sort(key=lambda r: (-r["points"], r["code"]))
    score = min(100, sum(r["points"] for r in reasons))
    return Score(score=score, level=level_for(score), reasons=reasons)


@dataclass(frozen=True)
class Reason:
    """One reason as shown: its text in the reader's language and its points."""

    code: str
    points: int
    text: str


def reason_text(reason: dict[str, Any]) -> str:
    """A stored reason in the active language."""
    template = REASON_TEXTS.get(reason.get("code", ""))
    if template is None:
        return str(reason.get("code", ""))
    params = dict(reason.get("params") or {})
    if "words" in params:
        params["words"] = join_list(params["words"])
    if "category" in params:
        params["category"] = str(Category(params["category"]).label)
    if "amount" in params:
        params["amount"] = f"{Decimal(params['amount']):,.2f}"
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return str(template)


def explain(reasons: Iterable[dict[str, Any]]) -> list[Reason]:
    """Stored reasons, rendered for a page (highest points first)."""
    return [Reason(r.get("code", ""), int(r.get("points", 0)), reason_text(r)) for r in reasons]


# --- One case, with plain queries (the reference) ------------------------------------


_NAME_KEY = parties.KEY_NAME + ":"


def _strong(key: str) -> bool:
    return not key.startswith(_NAME_KEY)


def _linked_counts(
    case_id: int, mine: list[tuple[int, str]], others: Iterable[tuple[str, int, str, bool]]
) -> tuple[int, int, int]:
    """(pair cases, one-party cases, failed cases) from this case's (party, key) pairs
    and the rows (key, case, its status, registered within the window) of every case
    holding one of those keys."""
    parties_of_key: dict[str, set[int]] = defaultdict(set)
    for party_id, key in mine:
        parties_of_key[key].add(party_id)
    matched: dict[int, set[int]] = defaultdict(set)
    facts: dict[int, tuple[str, bool]] = {}
    for key, other_id, status, recent in others:
        if other_id == case_id:
            continue
        matched[other_id] |= parties_of_key[key]
        facts[other_id] = (status, recent)
    pair = one = failed = 0
    for other_id, party_ids in matched.items():
        status, recent = facts[other_id]
        if recent:
            if len(party_ids) >= 2:
                pair += 1
            else:
                one += 1
        if status in FAILED_ENDINGS:
            failed += 1
    return pair, one, failed


def facts_of(case: DisputeCase, *, now: dt.datetime) -> Facts:
    """The facts of one case, one plain query per signal."""
    since = now - WINDOW
    facts = Facts(
        category=case.category, amount=case.amount, track=case.track, status=case.status,
        registered_at=case.registered_at, due_at=case.due_at, suspended_at=case.suspended_at,
        narrative=case.narrative,
    )  # fmt: skip
    case_parties = list(Party.objects.filter(case=case).values_list("id", "phone", "vulnerable"))
    facts.vulnerable = sum(1 for _, _, vulnerable in case_parties if vulnerable)
    mine = [(p, k) for p, k in PartyKey.objects.filter(case=case).values_list("party_id", "key")
            if _strong(k)]  # fmt: skip
    others = [
        (key, other, status, registered >= since)
        for key, other, status, registered in PartyKey.objects.filter(
            key__in={k for _, k in mine}
        ).values_list("key", "case_id", "case__status", "case__registered_at")
    ]
    facts.pair_cases, facts.party_cases, facts.failed_cases = _linked_counts(case.pk, mine, others)
    if case.address_id:
        facts.address_cases = (
            DisputeCase.objects.filter(address_id=case.address_id, registered_at__gte=since)
            .exclude(pk=case.pk)
            .count()
        )
    phones = {phone for _, phone, _ in case_parties if phone}
    linked = Q(reporter_phone__in=phones) if phones else Q(pk__in=[])
    if case.address_id:
        linked |= Q(address_id=case.address_id)
    incidents = Incident.objects.filter(linked, received_at__gte=since)
    if case.source_incident_id:
        incidents = incidents.exclude(pk=case.source_incident_id)
    facts.incidents = incidents.count() if (phones or case.address_id) else 0
    facts.session_texts = list(
        MediationSession.objects.filter(case=case).order_by("pk").values_list("summary", flat=True)
    )
    facts.has_agreement = MediationAgreement.objects.filter(case=case).exists()
    terms = AgreementTerm.objects.filter(agreement__case=case)
    today = timezone.localdate(now)
    facts.terms_not_done = terms.filter(status=TermStatus.NOT_DONE).count()
    facts.terms_overdue = terms.filter(status=TermStatus.PENDING, due_on__lt=today).count()
    return facts


def score_case(case: DisputeCase, *, now: dt.datetime | None = None) -> Score:
    """The score of one case, computed now (nothing is stored)."""
    now = now or timezone.now()
    return score_facts(facts_of(case, now=now), now=now)


# --- Many cases, a few grouped queries per batch --------------------------------------


@dataclass(slots=True)
class _Row:
    """The columns of a case the bulk path reads and writes (a model instance costs
    three times as much to build, and a hundred thousand are built each night)."""

    pk: int
    jurisdiction_id: int
    address_id: int | None
    category: str
    amount: Decimal | None
    track: str
    status: str
    registered_at: dt.datetime
    due_at: dt.datetime | None
    suspended_at: dt.datetime | None
    narrative: str
    source_incident_id: int | None
    risk_level: str
    risk_score: int = 0
    risk_reasons: list[dict[str, Any]] = field(default_factory=list)


_ROW_FIELDS = ("id", "jurisdiction_id", "address_id", "category", "amount", "track", "status",
               "registered_at", "due_at", "suspended_at", "narrative", "source_incident_id",
               "risk_level")  # fmt: skip


def _among(model: type[Model], column: str, values: Iterable[Any],
           *, but: tuple[str, Iterable[Any]] | None = None) -> QuerySet[Any]:  # fmt: skip
    """``column IN (values)`` on the model's table, the values handed to the driver as
    they are: Django's ``__in`` prepares each value in Python (~5 µs), which adds up to
    seconds over the million values of a night's run. On PostgreSQL the list is one
    array parameter (``= ANY(%s)``) rather than thousands of placeholders for the
    client-side binding to splice in. ``but=(column, values)`` leaves those rows out."""
    queryset = model._default_manager.all()
    values = list(values)
    if not values:
        return queryset.none()
    table = connection.ops.quote_name(model._meta.db_table)
    conditions = [(f"{table}.{connection.ops.quote_name(column)}", "", values)]
    if but is not None:
        conditions.append((f"{table}.{connection.ops.quote_name(but[0])}", "NOT ", list(but[1])))
    where: list[str] = []
    params: list[Any] = []
    for target, negation, listed in conditions:
        if not listed:
            continue
        if connection.vendor == "postgresql":
            where.append(f"{negation}({target} = ANY(%s))")
            params.append(listed)
        else:
            where.append(f"{target} {negation}IN ({', '.join(['%s'] * len(listed))})")
            params.extend(listed)
    return queryset.extra(where=where, params=params)  # noqa: S610 - placeholders only


def _bulk_facts(cases: Sequence[Any], *, now: dt.datetime) -> dict[int, Facts]:
    """The facts of a batch of cases (model instances or rows): every signal gathered
    with one query for the whole batch (grouped where only a count is needed)."""
    since = now - WINDOW
    today = timezone.localdate(now)
    ids = [c.pk for c in cases]
    facts = {
        c.pk: Facts(
            category=c.category, amount=c.amount, track=c.track, status=c.status,
            registered_at=c.registered_at, due_at=c.due_at, suspended_at=c.suspended_at,
            narrative=c.narrative,
        )
        for c in cases
    }  # fmt: skip
    phones: dict[int, set[str]] = defaultdict(set)
    for case_id, phone, vulnerable in _among(Party, "case_id", ids).values_list(
        "case_id", "phone", "vulnerable"
    ):
        if phone:
            phones[case_id].add(phone)
        facts[case_id].vulnerable += bool(vulnerable)
    # Shared party keys: this batch's strong keys, then every case holding one of them.
    mine: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for case_id, party_id, key in _among(PartyKey, "case_id", ids).values_list(
        "case_id", "party_id", "key"
    ):
        if _strong(key):
            mine[case_id].append((party_id, key))
    holders: dict[str, list[tuple[str, int, str, bool]]] = defaultdict(list)
    keys = {k for pairs in mine.values() for _, k in pairs}
    if keys:
        # Two index-driven queries, not a join: PostgreSQL misjudges how many cases a list
        # of keys finds (bare-name keys skew its statistics) and would hash-join the whole
        # case table. Whether a holder is recent is decided in SQL: parsing a timestamp per
        # row would cost more than the query.
        # The batch's own cases hold each of its keys: left out in the index, added below.
        holding = list(
            _among(PartyKey, "key", keys, but=("case_id", ids)).values_list("key", "case_id")
        )
        recent = ExpressionWrapper(Q(registered_at__gte=since), output_field=BooleanField())
        state = {
            pk: (status, fresh)
            for pk, status, fresh in _among(DisputeCase, "id", {c for _, c in holding})
            .annotate(recent=recent)
            .values_list("id", "status", "recent")
        }  # fmt: skip
        for key, case_id in holding:
            holders[key].append((key, case_id, *state[case_id]))
        for case in cases:  # and the batch's cases from what was read already
            for _, key in mine.get(case.pk, ()):
                holders[key].append((key, case.pk, case.status, case.registered_at >= since))
    for case in cases:
        pairs = mine.get(case.pk, [])
        rows = [row for k in {k for _, k in pairs} for row in holders[k]]
        f = facts[case.pk]
        f.pair_cases, f.party_cases, f.failed_cases = _linked_counts(case.pk, pairs, rows)
    # The same address: disputes and incidents, counted per address.
    addresses = {c.address_id for c in cases if c.address_id}
    dispute_counts: dict[int, int] = {}
    incident_counts: dict[int, int] = {}
    if addresses:
        dispute_counts = dict(
            _among(DisputeCase, "address_id", addresses)
            .filter(registered_at__gte=since)
            .order_by()
            .values_list("address_id")
            .annotate(n=Count("id"))
        )
        incident_counts = dict(
            _among(Incident, "address_id", addresses)
            .filter(received_at__gte=since)
            .order_by()
            .values_list("address_id")
            .annotate(n=Count("id"))
        )
    # Incidents called in from the parties' phones (few per phone: fetched, not counted,
    # so one found by both phone and address is counted once).
    all_phones = {p for found in phones.values() for p in found}
    by_phone: dict[str, list[tuple[int, int | None]]] = defaultdict(list)
    if all_phones:
        called = (
            _among(Incident, "reporter_phone", all_phones)
            .filter(received_at__gte=since)
            .extra(where=[_PHONE_CONDITION])  # noqa: S610 - a constant, see above
            .values_list("reporter_phone", "id", "address_id")
        )
        for phone, pk, address_id in called:
            by_phone[phone].append((pk, address_id))
    sources = {c.source_incident_id for c in cases if c.source_incident_id}
    source_rows = {
        pk: (address_id, phone, received)
        for pk, address_id, phone, received in Incident.objects.filter(pk__in=sources)
        .values_list("id", "address_id", "reporter_phone", "received_at")
    }  # fmt: skip
    for case in cases:
        f = facts[case.pk]
        if case.address_id:
            own = 1 if case.registered_at >= since else 0
            f.address_cases = dispute_counts.get(case.address_id, 0) - own
        found = {pk for phone in phones.get(case.pk, ()) for pk, address_id in by_phone[phone]
                 if not case.address_id or address_id != case.address_id}  # fmt: skip
        f.incidents = incident_counts.get(case.address_id, 0) if case.address_id else 0
        f.incidents += len(found)
        if case.source_incident_id in source_rows:
            address_id, phone, received = source_rows[case.source_incident_id]
            at_address = bool(case.address_id) and address_id == case.address_id
            if received >= since and (at_address or case.source_incident_id in found):
                f.incidents -= 1
    for case_id, summary in (
        _among(MediationSession, "case_id", ids)
        .order_by("case_id", "pk")
        .values_list("case_id", "summary")
    ):
        facts[case_id].session_texts.append(summary)
    for case_id, not_done, overdue in (
        _among(MediationAgreement, "case_id", ids)
        .order_by()
        .values_list("case_id")
        .annotate(
            not_done=Count("terms", filter=Q(terms__status=TermStatus.NOT_DONE)),
            overdue=Count(
                "terms", filter=Q(terms__status=TermStatus.PENDING, terms__due_on__lt=today)
            ),
        )
    ):
        f = facts[case_id]
        f.has_agreement, f.terms_not_done, f.terms_overdue = True, not_done, overdue
    return facts


# --- Warnings --------------------------------------------------------------------------


@dataclass
class Recipients:
    officers: list[User]
    body: str


def _recipients(units: Iterable[int]) -> dict[int, Recipients]:
    """For each case unit: the community officers of the unit or its nearest police
    district, and the judicial office of its station's mediation room."""
    nodes = {j.pk: j for j in Jurisdiction.objects.filter(pk__in=set(units))}
    ancestors = {a for j in nodes.values() for a in j.ancestor_ids}
    kinds = dict(Jurisdiction.objects.filter(pk__in=ancestors).values_list("id", "kind"))
    kinds |= {pk: j.kind for pk, j in nodes.items()}

    def nearest(node: Jurisdiction, kind: str) -> int | None:
        for pk in [node.pk, *reversed(node.ancestor_ids)]:
            if kinds.get(pk) == kind:
                return pk
        return None

    district = {pk: nearest(j, Kind.POLICE_DISTRICT) for pk, j in nodes.items()}
    station = {pk: nearest(j, Kind.STATION) for pk, j in nodes.items()}
    wanted = set(nodes) | {d for d in district.values() if d}
    officers: dict[int, list[User]] = defaultdict(list)
    for user in User.objects.filter(
        role=Role.COMMUNITY_OFFICER, is_active=True, jurisdiction_id__in=wanted
    ).order_by("pk"):
        officers[user.jurisdiction_id or 0].append(user)
    offices: dict[int, str] = {}
    for unit_id, office in (
        MediationRoom.objects.filter(jurisdiction_id__in={s for s in station.values() if s})
        .exclude(judicial_office="")
        .order_by("-pk")
        .values_list("jurisdiction_id", "judicial_office")
    ):
        offices[unit_id] = office  # the oldest room wins (last written)
    result = {}
    for pk in nodes:
        people = officers.get(pk, []) + (
            officers.get(district[pk] or 0, []) if district[pk] != pk else []
        )
        body = offices.get(station[pk] or 0, JUDICIAL_OFFICE)
        result[pk] = Recipients(officers=people, body=body)
    return result


def _insert(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """Append rows (JSON as text, times as datetimes): COPY on PostgreSQL, one statement
    executed per row on SQLite. ``bulk_create`` quotes every value of a warning night's
    tens of thousands of rows in Python (0.3 s a batch on PostgreSQL)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            adapt = connection.ops.adapt_datetimefield_value
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({marks})",  # noqa: S608
                [[adapt(v) if isinstance(v, dt.datetime) else v for v in row] for row in rows],
            )


def _warn(cases: Sequence[tuple[Any, Score]], *, actor: Any = None) -> int:
    """WarningNotice rows, a timeline line per case and one audit event for cases that
    have just become high risk. Returns how many notices were written."""
    if not cases or not notify_enabled():
        return 0
    recipients = _recipients(c.jurisdiction_id for c, _ in cases)
    notices: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    now = timezone.now()
    actor_id = getattr(actor, "pk", None)
    for case, score in cases:
        who = recipients[case.jurisdiction_id]
        reasons = json.dumps(score.reasons)
        for officer in who.officers:
            notices.append((now, now, case.pk, officer.pk, "", score.score, reasons))
        notices.append((now, now, case.pk, None, who.body, score.score, reasons))
        names = [u.full_name or u.get_username() for u in who.officers] + [who.body]
        params = json.dumps({"score": score.score, "who": names}, ensure_ascii=False)
        events.append(
            (case.pk, now, actor_id, EventKind.WARNING.value, "", "", "risk_warned", params, "")
        )
    _insert(WarningNotice, ["created_at", "updated_at", "case_id", "recipient_id",
                            "recipient_body", "score", "reasons"], notices)  # fmt: skip
    _insert(CaseEvent, ["case_id", "at", "actor_id", "kind", "from_status", "to_status",
                        "message", "params", "note"], events)  # fmt: skip
    audit.record(
        actor=actor, action="create", object_type="disputes.warningnotice",
        object_ids=[c.pk for c, _ in cases], object_repr=f"{len(notices)} notices",
        fields=["risk_level"], reason=_("民转刑风险预警"), actor_name="recompute_dispute_risk",
    )  # fmt: skip
    return len(notices)


# --- Storing -----------------------------------------------------------------------------


@dataclass
class RecomputeReport:
    cases: int = 0
    high: int = 0
    medium: int = 0
    newly_high: int = 0
    notices: int = 0


def _open_ids() -> list[int]:
    return list(
        DisputeCase.objects.extra(where=[_OPEN_CONDITION])  # noqa: S610 - constants
        .order_by("pk")
        .values_list("pk", flat=True)
    )


_STORED = (("risk_score", "integer"), ("risk_level", "text"), ("risk_reasons", "jsonb"),
           ("risk_computed_at", "timestamptz"))  # fmt: skip


def _store(cases: list[_Row], now: dt.datetime) -> None:
    """Write the batch's risk fields. Django's ``bulk_update`` builds a CASE expression per
    field and row (2 ms a case in Python alone), so: on PostgreSQL one ``UPDATE … FROM
    (VALUES …)`` for the batch, on SQLite (in-process, no round trips) one statement
    executed per row. The JSON is written as Django's JSONField writes it."""
    if not cases:
        return
    at = connection.ops.adapt_datetimefield_value(now)
    rows = [[c.risk_score, c.risk_level, json.dumps(c.risk_reasons), at, c.pk] for c in cases]
    table = DisputeCase._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            marks = ", ".join(["(%s, %s, %s, %s, %s)"] * len(rows))
            assigned = ", ".join(f"{name} = v.{name}::{kind}" for name, kind in _STORED)
            names = ", ".join(name for name, _ in _STORED)
            cursor.execute(
                f"UPDATE {table} AS t SET {assigned} FROM (VALUES {marks})"  # noqa: S608
                f" AS v({names}, id) WHERE t.id = v.id::bigint",
                [value for row in rows for value in row],
            )
        else:
            columns = ", ".join(f"{name} = %s" for name, _ in _STORED)
            cursor.executemany(f"UPDATE {table} SET {columns} WHERE id = %s", rows)  # noqa: S608


def recompute_all(*, progress: Callable[[int, int], None] | None = None, batch: int = BATCH,
                  now: dt.datetime | None = None) -> RecomputeReport:  # fmt: skip
    """Score every open case and store score, level, reasons and time, ``batch`` cases
    per transaction (a dozen queries each, whatever the batch size); warn about the
    cases that became high risk. ``progress(done, total)`` is called after each batch.
    Idempotent: a case already high is not warned about again."""
    now = now or timezone.now()
    ids = _open_ids()
    report = RecomputeReport()
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        with transaction.atomic():
            if connection.vendor == "postgresql":
                # Short index-driven queries: compiling them (JIT) costs more than it saves.
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL jit = off")
            cases = [
                _Row(*row) for row in _among(DisputeCase, "id", chunk).values_list(*_ROW_FIELDS)
            ]
            facts = _bulk_facts(cases, now=now)
            newly: list[tuple[_Row, Score]] = []
            for case in cases:
                score = score_facts(facts[case.pk], now=now)
                if score.level == RiskLevel.HIGH and case.risk_level != RiskLevel.HIGH:
                    newly.append((case, score))
                case.risk_score, case.risk_level, case.risk_reasons = (
                    score.score, score.level, score.reasons)  # fmt: skip
                report.high += score.level == RiskLevel.HIGH
                report.medium += score.level == RiskLevel.MEDIUM
            _store(cases, now)
            report.notices += _warn(newly)
            report.newly_high += len(newly)
        report.cases += len(cases)
        if progress is not None:
            progress(report.cases, len(ids))
    return report


def refresh_case(case: DisputeCase, *, actor: Any = None,
                 now: dt.datetime | None = None) -> Score:  # fmt: skip
    """Score one case and store it (also closed ones: the stored level stays what it was
    when the case closed); warn if it has just become high risk. For the services to call
    after intake, a session, a term's performance — inside their transaction."""
    now = now or timezone.now()
    score = score_case(case, now=now)
    with transaction.atomic():
        previous = (
            DisputeCase.objects.select_for_update().filter(pk=case.pk)
            .values_list("risk_level", flat=True).first()
        )  # fmt: skip
        DisputeCase.objects.filter(pk=case.pk).update(
            risk_score=score.score, risk_level=score.level, risk_reasons=score.reasons,
            risk_computed_at=now,
        )  # fmt: skip
        case.risk_score, case.risk_level = score.score, score.level
        case.risk_reasons, case.risk_computed_at = score.reasons, now
        if case.is_open and score.level == RiskLevel.HIGH and previous != RiskLevel.HIGH:
            _warn([(case, score)], actor=actor)
    return score


# --- Staff actions and reads ---------------------------------------------------------


@transaction.atomic
def refresh(*, actor: Any, case: DisputeCase) -> Score:
    """重新评估: someone asks for the case's score now rather than at the next run."""
    check_scope(actor, case)
    score = refresh_case(case, actor=actor)
    add_event(case, actor, EventKind.NOTE, message="risk_reassessed",
              params={"score": score.score, "level": score.level})  # fmt: skip
    audit.record(actor=actor, action="update", obj=case, fields=["risk_score", "risk_level"])
    return score


def warning_list(user: Any, *, level: str = "") -> QuerySet[DisputeCase]:
    """预警列表: the open medium- and high-risk cases in the user's scope, highest score
    first; ``level`` keeps one level."""
    levels = [level] if level in (RiskLevel.HIGH, RiskLevel.MEDIUM) else [
        RiskLevel.HIGH, RiskLevel.MEDIUM]  # fmt: skip
    return (
        selectors.cases_for(user)
        .filter(status__in=OPEN_STATUSES, risk_level__in=levels)
        .order_by("-risk_score", "-registered_at", "-pk")
    )


def notices_for(user: Any) -> QuerySet[WarningNotice]:
    """My notices: those addressed to the user, unread first, newest first."""
    require(user, Capability.HANDLE_DISPUTES)
    return (
        WarningNotice.objects.filter(recipient=user)
        .select_related("case", "case__jurisdiction")
        .order_by(Case(When(read_at__isnull=True, then=0), default=1), "-created_at", "-pk")
    )


def case_notices(case: DisputeCase) -> QuerySet[WarningNotice]:
    """The notices sent about a case (its page shows who was told and who read it)."""
    return (
        WarningNotice.objects.filter(case=case)
        .select_related("recipient")
        .order_by("recipient_body", "pk")
    )


@transaction.atomic
def mark_read(*, actor: Any, notice_id: int) -> WarningNotice:
    """已阅: the recipient marks his notice read; the case's timeline says so."""
    require(actor, Capability.HANDLE_DISPUTES)
    notice = (
        WarningNotice.objects.select_for_update().select_related("case")
        .filter(pk=notice_id, recipient=actor).first()
    )  # fmt: skip
    if notice is None:
        raise PermissionDenied(_("这条预警不是发给您的。"))
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at", "updated_at"])
        who = actor.full_name or actor.get_username()
        add_event(notice.case, actor, EventKind.WARNING, message="risk_read", params={"who": who})
        audit.record(actor=actor, action="update", obj=notice, fields=["read_at"],
                     scope_path=notice.case.scope_path)  # fmt: skip
    return notice
