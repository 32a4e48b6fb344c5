"""A labelled set for the escalation score (民转刑预警): synthetic case histories whose
outcome — "turned criminal within 90 days" — is drawn from a latent process that is
*not* the score's formula, so the measurement says how well the score's observable
signals rank a world it was not written from.

How a case is made (every draw from one ``random.Random(seed)``):

1. **Latent hostility** ``h ~ N(0, 1)`` plus a category shift (婚姻家庭 +0.35,
   房屋宅基地/山林土地 +0.3, 邻里/征地拆迁 +0.25, 损害赔偿 +0.1, 合同/物业/生产经营 −0.2,
   消费 −0.5 …); categories drawn with rough real-world frequencies.
2. **History**, generated from ``h`` and observed with noise:
   earlier disputes of the same two households, Poisson(0.35·e^(0.8h)) over the last
   two years (so some fall outside the 12-month window), each failed with probability
   σ(−1.2 + 0.9h); one party's disputes with third parties, Poisson(0.2·e^(0.4h)); in
   every earlier record each party's ID number is written down with p = 0.5 and his
   phone with p = 0.7, so some links are invisible (name only). Earlier disputes are at
   the same address with p = 0.7. Unrelated households' disputes at the address,
   Poisson(0.4), and unrelated incidents there, Poisson(0.5), are pure noise. Calls to
   the police from the parties' phones: Poisson(0.3·e^(0.9h)) in the last year plus
   Poisson(0.3) older ones.
3. **A threat actually made**, ``t ~ Bernoulli(σ(−2.3 + 1.4h))``. It is written in the
   narrative with p = 0.6 — in quotation marks half the time (“…”), as reported speech
   otherwise — else in a session summary with p = 0.5, else nowhere. Independently of
   ``h``: a negated or denied threat (双方均表示不会报复, 否认说过“弄死你”) with p = 0.12,
   a hyperbolic outburst of a calm party (真想跳楼) with p = 0.04, and the category's
   everyday words that look like threats (砍了三棵树, 砍价, 秒杀, 开刀, 一刀切).
4. **Mediation**: sessions 1 + Poisson(0.8 + 0.6·max(h, 0)); an agreement with
   p = σ(0.8 − 0.9h), its 1–3 terms each unperformed with p = σ(−1.5 + h) once due; days
   open Exponential(mean 18·e^(0.15h)), at most 90; a vulnerable party with p = 0.12;
   the amount log-normal around e^(8 + 0.2h) yuan.
5. **Outcome**: turned criminal within 90 days with probability
   σ(−4.4 + 1.5h + 0.8t + 0.5·vulnerable + 0.6·unperformed + 2.2·trigger), where
   ``trigger ~ Bernoulli(0.06)`` is an unobservable chance event (a drunken encounter, a
   new provocation). About 7 % of cases are positive.

The score never sees ``h``, ``t``, ``trigger`` or the label; it reads only the records
written here through the same tables as production data. :func:`auc` and
:func:`precision_at` measure the ranking; ``bench/dispute_risk_eval.py`` runs it at
scale and ``bench/RESULTS.md`` records the figures."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from fengqiao.addresses import codes as address_codes
from fengqiao.addresses.models import StandardAddress
from fengqiao.core.validators import id_number_check_character
from fengqiao.disputes import parties
from fengqiao.disputes.models import (
    AgreementTerm,
    Category,
    Consent,
    DisputeCase,
    MediationAgreement,
    MediationSession,
    Party,
    PartyKey,
    PartyRole,
    Source,
    Status,
    TermStatus,
    Track,
)
from fengqiao.incidents import codes
from fengqiao.incidents.models import Incident
from fengqiao.jurisdictions.models import Jurisdiction

C = Category
CATEGORIES: list[tuple[str, float, float]] = [  # (category, frequency, hostility shift)
    (C.NEIGHBOURS, 0.22, 0.25), (C.MARRIAGE_FAMILY, 0.18, 0.35), (C.HOUSING_LAND, 0.08, 0.3),
    (C.FOREST_LAND, 0.04, 0.3), (C.EXPROPRIATION, 0.03, 0.25), (C.DAMAGES, 0.10, 0.1),
    (C.CONTRACT, 0.08, -0.2), (C.LABOUR, 0.06, 0.0), (C.CONSUMER, 0.06, -0.5),
    (C.PROPERTY_MANAGEMENT, 0.05, -0.2), (C.TRAFFIC, 0.04, -0.1), (C.MEDICAL, 0.02, 0.0),
    (C.BUSINESS, 0.02, -0.2), (C.OTHER, 0.02, 0.0),
]  # fmt: skip
STORIES: dict[str, list[str]] = {
    C.NEIGHBOURS: ["楼上楼下因漏水发生争执，双方多次争吵。", "两户因公共通道堆放杂物发生口角。",
                   "邻居装修噪音扰民，双方多次发生冲突。"],
    C.MARRIAGE_FAMILY: ["夫妻因家庭琐事长期不和，女方要求离婚，男方不同意。",
                        "兄弟二人因赡养老人费用分摊发生争执。"],
    C.HOUSING_LAND: ["两户因宅基地边界发生争执，一方砌墙占用通道。",
                     "兄弟因老宅继承分割发生纠纷。"],
    C.FOREST_LAND: ["两村民因山林界址不清发生争执，一方砍了对方承包地边的三棵树。",
                    "村民因承包地灌溉用水发生争执。"],
    C.EXPROPRIATION: ["村民对征地补偿标准不满，认为补偿方案一刀切，与村委会发生争执。"],
    C.DAMAGES: ["双方因车辆刮擦后的赔偿问题发生争执。", "饲养的狗咬伤邻居，双方就赔偿争执不下。"],
    C.CONTRACT: ["双方因货款结算发生纠纷，欠款一直未付。"],
    C.LABOUR: ["工人讨要拖欠的工资，与包工头发生争执。"],
    C.CONSUMER: ["消费者称商家先砍价后又以秒杀价虚假宣传，要求退款。",
                 "顾客在炸鸡店用餐后身体不适，要求赔偿。"],
    C.PROPERTY_MANAGEMENT: ["业主拒交物业费，与物业公司发生纠纷。"],
    C.TRAFFIC: ["两车在路口发生碰撞，双方就赔偿数额争执不下。"],
    C.MEDICAL: ["患者家属认为医院开刀后护理不当，要求赔偿。"],
    C.BUSINESS: ["合伙经营的小店散伙，双方对分账有争议。"],
    C.OTHER: ["双方因琐事发生口角。"],
}  # fmt: skip
SAID = ["我弄死你", "大不了同归于尽", "我一把火烧了你家", "你等着，我砍死你", "我要报复你全家",
        "不给钱我就去跳楼", "我喝农药死给你看", "你不得好死", "我拿刀捅了你"]  # fmt: skip
THREATENED = ["弄死对方", "放火烧对方的房子", "报复对方", "拿刀砍人", "跟对方同归于尽"]
QUOTED = ["被申请人扬言“{}”。", "对方在电话里说“{}”。", "申请人称对方曾当面说“{}”。"]
REPORTED = ["申请人反映对方多次扬言要{}。", "据邻居反映，被申请人曾扬言要{}。"]
NEGATED = ["双方均表示不会报复对方。", "被申请人否认说过“弄死你”之类的话。",
           "申请人称对方并未扬言报复。", "经劝导，双方表示不再争吵。"]  # fmt: skip
OUTBURST = "申请人情绪激动，说“再这样下去真想跳楼”。"
ROUTINE = ["调解员向双方释法说理，双方各自陈述意见。",
           "双方就赔偿数额分歧较大，约定下次再谈。",
           "双方情绪平稳，对主要事实无异议。",
           "调解员分别做双方工作，双方同意继续调解。"]  # fmt: skip
SESSION_THREAT = "调解中被申请人情绪激动，称“{}”，调解员当场制止。"
SESSION_NEGATED = "双方均表示不会再报复，同意继续调解。"
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰志红建国晓东海燕鹏辉波宁丹斌浩凯"
FAILED = [Status.FAILED, Status.REFUSED, Status.TO_PENALTY]


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: means here are small (< 10).
    limit, k, p = math.exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


@dataclass(frozen=True)
class Labelled:
    """One scored case of the set and its outcome."""

    case_id: int
    turned_criminal: bool
    days_open: float
    # The outcome's log-odds without the chance trigger: what a score that could see the
    # hidden hostility and the threat actually made would rank by (the ceiling).
    hidden_log_odds: float


@dataclass
class _Person:
    name: str
    id_number: str
    phone: str


class _World:
    """The records being written, collected for bulk inserts."""

    def __init__(self, rng: random.Random, district: Jurisdiction, community: Jurisdiction,
                 now: dt.datetime) -> None:  # fmt: skip
        self.rng, self.district, self.community, self.now = rng, district, community, now
        self.serial = rng.randrange(10**6, 10**8)
        self.cases: list[DisputeCase] = []
        self.people: list[list[tuple[_Person, str, bool, bool, bool]]] = []
        self.sessions: list[tuple[int, str]] = []
        self.terms: list[tuple[int, dt.date, str]] = []
        self.incidents: list[Incident] = []
        self.addresses: list[StandardAddress] = []

    def person(self) -> _Person:
        rng = self.rng
        self.serial += 1
        birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(20000))
        first17 = f"140502{birth:%Y%m%d}{rng.randrange(1000):03d}"
        return _Person(
            name=rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(2)),
            id_number=first17 + id_number_check_character(first17),
            phone=f"13{self.serial % 10**9:09d}",
        )

    def address(self) -> StandardAddress:
        self.serial += 1
        local = f"试验路{self.serial}号"
        address = StandardAddress(
            code=address_codes.make_code("140502", self.serial), community=self.community,
            police_district=self.district, road="试验路", door_number=str(self.serial),
            full_text=local, local_key=local,
        )  # fmt: skip
        self.addresses.append(address)
        return address

    def case(self, *, category: str, narrative: str, status: str, registered: dt.datetime,
             address: StandardAddress | None,
             people: list[tuple[_Person, str, bool, bool, bool]], **extra: Any) -> int:  # fmt: skip
        """Queue a case; ``people`` is (person, role, ID written, phone written, vulnerable)."""
        closed = status not in (Status.REGISTERED, Status.ACCEPTED, Status.SUSPENDED,
                                Status.AGREED)  # fmt: skip
        self.cases.append(DisputeCase(
            code=codes.new_code(), jurisdiction=self.district, address=address,
            location_text=address.full_text if address else "试验路", category=category,
            source=Source.WALK_IN, track=extra.pop("track", Track.PEOPLE), status=status,
            status_changed_at=registered, narrative=narrative, registered_at=registered,
            closed_at=registered + dt.timedelta(days=20) if closed else None, **extra,
        ))  # fmt: skip
        self.people.append(people)
        return len(self.cases) - 1

    def incident(self, *, at: dt.datetime, phone: str = "",
                 address: StandardAddress | None = None) -> None:  # fmt: skip
        self.incidents.append(Incident(
            tracking_code=codes.new_code(), received_at=at, source="110", reporter_phone=phone,
            location_text=address.full_text if address else "试验路", address=address,
            jurisdiction=self.district, description="报警人称与邻居发生纠纷。",
            status="closed", status_changed_at=at,
        ))  # fmt: skip

    def save(self) -> list[int]:
        """Write everything; the database ids of the queued cases, in order."""
        StandardAddress.objects.bulk_create(self.addresses, batch_size=500)
        saved = DisputeCase.objects.bulk_create(self.cases, batch_size=500)
        ids = [c.pk for c in saved]
        party_rows: list[Party] = []
        for case_id, people in zip(ids, self.people, strict=True):
            for person, role, with_id, with_phone, vulnerable in people:
                identity = {"name": person.name, "id_number": person.id_number if with_id else "",
                            "phone": person.phone if with_phone else ""}  # fmt: skip
                party_rows.append(Party(
                    case_id=case_id, role=role, consent=Consent.GIVEN, vulnerable=vulnerable,
                    party_key=parties.party_key(**identity), **identity,
                ))  # fmt: skip
        saved_parties = Party.objects.bulk_create(party_rows, batch_size=500)
        PartyKey.objects.bulk_create(
            [PartyKey(key=key, party_id=p.pk, case_id=p.case_id)
             for p in saved_parties
             for key in parties.party_keys(name=p.name, id_number=p.id_number,
                                           phone=p.phone)],
            batch_size=1000,
        )  # fmt: skip
        MediationSession.objects.bulk_create(
            [MediationSession(case_id=ids[i], held_at=self.now, place="调解室",
                              attendees="双方当事人", summary=text) for i, text in self.sessions],
            batch_size=500,
        )  # fmt: skip
        agreements: dict[int, MediationAgreement] = {}
        for i, _, _ in self.terms:
            agreements.setdefault(i, MediationAgreement(
                case_id=ids[i], facts="—", matters="—", responsibilities="—",
                signed_on=self.now.date(), effective_on=self.now.date(), committee="调委会",
            ))  # fmt: skip
        MediationAgreement.objects.bulk_create(list(agreements.values()), batch_size=500)
        AgreementTerm.objects.bulk_create(
            [AgreementTerm(agreement=agreements[i], text="赔偿", method="现金", due_on=due,
                           status=status) for i, due, status in self.terms],
            batch_size=500,
        )  # fmt: skip
        Incident.objects.bulk_create(self.incidents, batch_size=500)
        return ids


def build(*, district: Jurisdiction, community: Jurisdiction, cases: int = 3000,
          seed: int = 20261124, now: dt.datetime | None = None) -> list[Labelled]:  # fmt: skip
    """Write ``cases`` open labelled cases (and their histories) under ``district``;
    return each scored case with its outcome. The same seed gives the same set (the
    display codes apart), whenever it is built."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
    now = now or timezone.now()
    world = _World(rng, district, community, now)
    categories = [c for c, _, _ in CATEGORIES]
    weights = [w for _, w, _ in CATEGORIES]
    shift = {c: s for c, _, s in CATEGORIES}
    labels: list[tuple[int, bool, float, float]] = []
    for _ in range(cases):
        category = rng.choices(categories, weights)[0]
        h = rng.gauss(0, 1) + shift[category]
        a, b = world.person(), world.person()
        vulnerable = rng.random() < 0.12
        address = world.address() if rng.random() < 0.8 else None
        days_open = min(90.0, rng.expovariate(1 / (18 * math.exp(0.15 * h))))
        registered = now - dt.timedelta(days=days_open)

        def seen(person: _Person, role: str, vulnerable: bool = False) -> tuple[Any, ...]:
            return (person, role, rng.random() < 0.5, rng.random() < 0.7, vulnerable)

        # History: the same two households, one of them with others, the address.
        for _ in range(_poisson(rng, 0.35 * math.exp(0.8 * h))):
            at = now - dt.timedelta(days=rng.uniform(30, 720))
            ended = rng.choice(FAILED) if rng.random() < _sigmoid(-1.2 + 0.9 * h) else (
                Status.RESOLVED)  # fmt: skip
            world.case(category=category, narrative=rng.choice(STORIES[category]), status=ended,
                       registered=at, address=address if rng.random() < 0.7 else None,
                       people=[seen(a, PartyRole.APPLICANT),
                               seen(b, PartyRole.RESPONDENT)])  # fmt: skip
        for _ in range(_poisson(rng, 0.2 * math.exp(0.4 * h))):
            at = now - dt.timedelta(days=rng.uniform(30, 720))
            world.case(category=rng.choice(categories), narrative="双方因琐事发生口角。",
                       status=Status.RESOLVED, registered=at, address=None,
                       people=[seen(b, PartyRole.APPLICANT),
                               seen(world.person(), PartyRole.RESPONDENT)])  # fmt: skip
        if address is not None:
            for _ in range(_poisson(rng, 0.4)):
                world.case(category=rng.choice(categories), narrative="双方因琐事发生口角。",
                           status=Status.RESOLVED, address=address,
                           registered=now - dt.timedelta(days=rng.uniform(1, 720)),
                           people=[seen(world.person(), PartyRole.APPLICANT),
                                   seen(world.person(), PartyRole.RESPONDENT)])  # fmt: skip
            for _ in range(_poisson(rng, 0.5)):
                world.incident(at=now - dt.timedelta(days=rng.uniform(1, 720)), address=address)
        for _ in range(_poisson(rng, 0.3 * math.exp(0.9 * h))):
            world.incident(at=now - dt.timedelta(days=rng.uniform(1, 360)),
                           phone=rng.choice((a, b)).phone)  # fmt: skip
        for _ in range(_poisson(rng, 0.3)):
            world.incident(at=now - dt.timedelta(days=rng.uniform(370, 720)),
                           phone=rng.choice((a, b)).phone)  # fmt: skip
        # The narrative and the sessions: a threat made (or not), written down (or not).
        threat = rng.random() < _sigmoid(-2.3 + 1.4 * h)
        story = [rng.choice(STORIES[category])]
        in_sessions = False
        if threat:
            if rng.random() < 0.6:
                story.append(rng.choice(QUOTED).format(rng.choice(SAID)) if rng.random() < 0.5
                             else rng.choice(REPORTED).format(rng.choice(THREATENED)))  # fmt: skip
            else:
                in_sessions = rng.random() < 0.5
        if rng.random() < 0.12:
            story.append(rng.choice(NEGATED))
        if rng.random() < 0.04:
            story.append(OUTBURST)
        agreed = rng.random() < _sigmoid(0.8 - 0.9 * h)
        n_sessions = 1 + _poisson(rng, 0.8 + 0.6 * max(h, 0.0))
        if days_open < 2:
            n_sessions, agreed = 0, False
        unperformed = 0
        status = Status.AGREED if agreed and n_sessions else rng.choice(
            [Status.ACCEPTED] * 6 + [Status.SUSPENDED, Status.REGISTERED])  # fmt: skip
        accepted = registered + dt.timedelta(hours=rng.uniform(1, 48))
        index = world.case(
            category=category, narrative="".join(story), status=status, registered=registered,
            address=address, amount=Decimal(round(rng.lognormvariate(8 + 0.2 * h, 1.2), 2)),
            accepted_at=None if status == Status.REGISTERED else accepted,
            due_at=None if status == Status.REGISTERED else accepted + dt.timedelta(days=30),
            suspended_at=now - dt.timedelta(days=2) if status == Status.SUSPENDED else None,
            people=[seen(a, PartyRole.APPLICANT, vulnerable), seen(b, PartyRole.RESPONDENT)],
        )  # fmt: skip
        texts = [rng.choice(ROUTINE) for _ in range(n_sessions)]
        if texts and in_sessions:
            texts[rng.randrange(len(texts))] = SESSION_THREAT.format(rng.choice(SAID))
        if texts and rng.random() < 0.08:
            texts[rng.randrange(len(texts))] = SESSION_NEGATED
        world.sessions += [(index, text) for text in texts]
        if status == Status.AGREED:
            for _ in range(rng.randint(1, 3)):
                # Decided on the drawn number, not on the date: the same seed then gives
                # the same set at any time of day.
                days_ago = rng.uniform(-20, min(days_open, 40))
                due = (now - dt.timedelta(days=days_ago)).date()
                if days_ago < 1:
                    term_status = TermStatus.PENDING
                elif rng.random() < _sigmoid(-1.5 + h):
                    term_status = rng.choice([TermStatus.NOT_DONE, TermStatus.PENDING])
                    unperformed = 1
                else:
                    term_status = TermStatus.DONE
                world.terms.append((index, due, term_status))
        trigger = rng.random() < 0.06
        logit = -4.4 + 1.5 * h + 0.8 * threat + 0.5 * vulnerable + 0.6 * unperformed
        outcome = rng.random() < _sigmoid(logit + 2.2 * trigger)
        labels.append((index, outcome, days_open, logit))
    ids = world.save()
    return [Labelled(ids[i], outcome, days, logit) for i, outcome, days, logit in labels]


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """ROC AUC: the probability that a random positive outranks a random negative (ties
    count half), by the rank-sum formula."""
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    ranks = [0.0] * len(scores)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and scores[order[j + 1]] == scores[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    positives = sum(labels)
    negatives = len(labels) - positives
    if not positives or not negatives:
        return float("nan")
    rank_sum = sum(r for r, y in zip(ranks, labels, strict=True) if y)
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def precision_at(scores: Sequence[float], labels: Sequence[bool], fraction: float,
                 *, seed: int = 0) -> float:  # fmt: skip
    """Share of positives among the top ``fraction`` of cases by score; ties at the cut
    are broken at random (seeded), as a duty officer reading a list would meet them."""
    rng = random.Random(seed)  # noqa: S311 - reproducible tie-breaking
    keys = [(-s, rng.random()) for s in scores]
    order = sorted(range(len(scores)), key=lambda i: keys[i])
    top = order[: max(1, round(len(scores) * fraction))]
    return sum(labels[i] for i in top) / len(top)
