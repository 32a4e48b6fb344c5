"""How well the escalation score (民转刑预警) ranks a labelled set it was not written from.

    .venv/bin/python bench/dispute_risk_eval.py [--cases 5000] [--seeds 3]

The labelled set is :mod:`fengqiao.disputes.risk.labelled` (its docstring states how it is
built: a latent hostility and a chance trigger decide the outcome "turned criminal within
90 days"; the records the score reads are noisy, partial traces of them). For each seed a
fresh SQLite database in ``bench/out/`` gets the cases, ``risk.recompute_all`` scores them
through the production code path, and the ranking is compared with simple baselines:

* time open only (days since registration), what a list sorted by age shows;
* random order (seeded);
* the score with a naive threat lexicon (plain substring match: no negation, title or
  everyday-compound handling), to show what those rules are worth;
* the score without the threat lines, and without the history lines (repeat parties,
  address, incidents, failed mediation), to show where the ranking comes from.

Reported: ROC AUC, precision among the top 5 % and 10 %, and how many positives the
``high`` level catches (recall) at what precision. Median over the seeds.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT / "src"))


DATABASE = OUT / "dispute_risk_eval.sqlite3"


def setup(path: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ["FENGQIAO_VAR"] = str(OUT)
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "fengqiao.settings"
    import django

    django.setup()


def fresh_database() -> None:
    """A new file per seed (``flush`` is refused: the audit log is append-only)."""
    from django.core.management import call_command
    from django.db import connection

    connection.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{DATABASE}{suffix}").unlink(missing_ok=True)
    call_command("migrate", verbosity=0)


def places() -> tuple[Any, Any]:
    from fengqiao.jurisdictions.models import Kind
    from fengqiao.jurisdictions.services import create_jurisdiction, set_coverage

    make = create_jurisdiction
    department = make(actor=None, kind=Kind.POLICE_DEPARTMENT, name="厅")
    bureau = make(actor=None, kind=Kind.COUNTY_BUREAU, name="分局", parent=department)
    station = make(actor=None, kind=Kind.STATION, name="派出所", parent=bureau)
    district = make(actor=None, kind=Kind.POLICE_DISTRICT, name="警务区", parent=station)
    province = make(actor=None, kind=Kind.PROVINCE, name="山西省", code="140000")
    city = make(actor=None, kind=Kind.CITY, name="晋城市", code="140500", parent=province)
    county = make(actor=None, kind=Kind.COUNTY, name="城区", code="140502", parent=city)
    township = make(actor=None, kind=Kind.TOWNSHIP, name="街道", parent=county)
    community = make(actor=None, kind=Kind.COMMUNITY, name="社区", parent=township)
    set_coverage(actor=None, district=district, areas=[community])
    return district, community


def naive_threat_words(text: str) -> list[str]:
    from fengqiao.disputes.risk import services as risk

    return [w for w in risk.THREAT_WORDS if w in (text or "")]


def scores_with(variant: str, ids: list[int], now: Any) -> dict[int, int]:
    """Scores of the cases under a variant of the scorer (the stored ones untouched)."""
    from fengqiao.disputes.models import DisputeCase
    from fengqiao.disputes.risk import services as risk

    result: dict[int, int] = {}
    original = risk.threat_words
    if variant == "naive lexicon":
        risk.threat_words = naive_threat_words  # type: ignore[assignment]
    try:
        for start in range(0, len(ids), 2000):
            cases = list(DisputeCase.objects.filter(pk__in=ids[start : start + 2000]))
            facts = risk._bulk_facts(cases, now=now)
            for case in cases:
                f = facts[case.pk]
                if variant == "without threats":
                    f.narrative, f.session_texts = "", [""] * len(f.session_texts)
                if variant == "without history":
                    f.pair_cases = f.party_cases = f.address_cases = 0
                    f.incidents = f.failed_cases = 0
                result[case.pk] = risk.score_facts(f, now=now).score
    finally:
        risk.threat_words = original  # type: ignore[assignment]
    return result


def evaluate(cases: int, seed: int) -> dict[str, Any]:
    from django.utils import timezone

    from fengqiao.disputes.models import DisputeCase, RiskLevel
    from fengqiao.disputes.risk import labelled
    from fengqiao.disputes.risk import services as risk

    fresh_database()
    district, community = places()
    now = timezone.now()
    sample = labelled.build(district=district, community=community, cases=cases, seed=seed,
                            now=now)  # fmt: skip
    risk.recompute_all(now=now)
    stored = dict(
        DisputeCase.objects.filter(pk__in=[s.case_id for s in sample]).values_list(
            "pk", "risk_score"
        )
    )
    levels = dict(
        DisputeCase.objects.filter(pk__in=[s.case_id for s in sample]).values_list(
            "pk", "risk_level"
        )
    )
    outcome = [s.turned_criminal for s in sample]
    rng = random.Random(seed)
    ids = [s.case_id for s in sample]
    rankings: dict[str, list[float]] = {
        "risk score": [stored[i] for i in ids],
        "time open only": [s.days_open for s in sample],
        "random": [rng.random() for _ in sample],
        "hidden log-odds (ceiling: sees the latent hostility)": [s.hidden_log_odds for s in sample],
    }
    for variant in ("naive lexicon", "without threats", "without history"):
        found = scores_with(variant, ids, now)
        rankings[f"risk score, {variant}"] = [found[i] for i in ids]
    rows = {
        name: {
            "auc": labelled.auc(values, outcome),
            "p5": labelled.precision_at(values, outcome, 0.05, seed=seed),
            "p10": labelled.precision_at(values, outcome, 0.10, seed=seed),
        }
        for name, values in rankings.items()
    }
    high = [levels[i] == RiskLevel.HIGH for i in ids]
    medium_up = [levels[i] != RiskLevel.LOW for i in ids]
    positives = sum(outcome)

    def caught(flags: list[bool]) -> tuple[float, float, float]:
        hits = sum(1 for f, y in zip(flags, outcome, strict=True) if f and y)
        flagged = sum(flags)
        return flagged / len(ids), hits / positives, hits / flagged if flagged else float("nan")

    return {
        "seed": seed,
        "cases": len(sample),
        "positives": positives,
        "rows": rows,
        "high": caught(high),
        "medium_up": caught(medium_up),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=5000)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--first-seed", type=int, default=20261124)
    args = parser.parse_args()
    setup(DATABASE)
    results = [evaluate(args.cases, args.first_seed + n) for n in range(args.seeds)]
    for r in results:
        print(f"seed {r['seed']}: {r['cases']} cases, {r['positives']} positive "
              f"({r['positives'] / r['cases']:.1%})")  # fmt: skip
    print(f"\nmedian of {len(results)} seeds\n")
    print("| ranking | ROC AUC | precision top 5 % | precision top 10 % |")
    print("|---|---|---|---|")
    for name in results[0]["rows"]:
        cells = [
            statistics.median(r["rows"][name][k] for r in results) for k in ("auc", "p5", "p10")
        ]
        print(f"| {name} | {cells[0]:.3f} | {cells[1]:.1%} | {cells[2]:.1%} |")
    base = statistics.median(r["positives"] / r["cases"] for r in results)
    print(f"\nbase rate (precision of a random pick): {base:.1%}\n")
    print("| level | share of cases flagged | positives caught (recall) | precision |")
    print("|---|---|---|---|")
    for key, label in (("high", "high"), ("medium_up", "medium or high")):
        share, recall, precision = (statistics.median(r[key][i] for r in results) for i in range(3))
        print(f"| {label} | {share:.1%} | {recall:.1%} | {precision:.1%} |")


if __name__ == "__main__":
    main()
