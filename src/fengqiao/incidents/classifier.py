"""Category suggestion (类别建议) from the free-text 简要警情: a multinomial naive Bayes over
character 1- and 2-grams, pure Python (no numpy).

Why this model: Chinese needs no word segmentation when characters and character pairs
are the features (盗/被盗, 诈骗/转账, 噪音/扰民); naive Bayes trains in one counting pass
and scores a text with one dictionary look-up per feature and a column sum per class.
Features count once per text (binarised NB, better on short texts); features training
never saw are ignored. Its raw posteriors are absurdly sure, so they are tempered (see
``TEMPERATURE``).

Why trained at first use rather than loaded from a JSON file: the labelled examples come
from :mod:`fengqiao.incidents.data.training`, a deterministic generator shipped with the
code, and training takes under half a second, so the model cannot drift from the
generator and there is no artefact to regenerate and keep in step. It happens once per
process, under a lock; then a text of typical length scores in well under a millisecond.

Texts are normalised: NFKC, lower case, each run of digits one ``0`` (amounts do not
matter), whitespace dropped; punctuation ends a run of characters (no 2-gram across it).
Only the first 500 characters count: a 简要警情 says what happened first.

Accuracy (:func:`evaluate`, printed by ``bench/classifier.py``) is measured twice. On
examples generated with another seed than the training set it is near-perfect, because
both come from the same templates: it shows the model copes with new slot values, noise
and overlapping categories. With whole templates held out it is far lower: that is the
figure for phrasings nobody wrote a template for, closer to what real records will
score. The suggestion is only a suggestion: staff confirm the category (定类).
"""

from __future__ import annotations

import math
import threading
import unicodedata
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

MAX_CHARS = 500
ALPHA = 0.1  # additive (Lidstone) smoothing
# Naive Bayes counts every character pair as independent evidence, so its raw posteriors
# are absurdly sure (1 - 1e-30). Scores are divided by this temperature, the one with the
# least log-loss on held-out templates (see evaluate): there the mean top-1 probability
# is close to the top-1 accuracy, so a 0.6 means about 60 %.
TEMPERATURE = 7.0
TRAIN_SEED = 20240501
TRAIN_PER_CODE = 300
TEST_PER_CODE = 100
_DOCUMENTS = "\0documents"  # a counter key no feature can be


@dataclass(frozen=True)
class Suggestion:
    code: str  # a sub-type code such as "0103"
    probability: float  # 0..1, the model's posterior for that code


def features(text: str) -> set[str]:
    """The distinct character 1- and 2-grams of the normalised text."""
    text = unicodedata.normalize("NFKC", text[:MAX_CHARS]).lower()
    found: set[str] = set()
    previous = ""
    for char in text:
        if char.isdigit():
            if previous == "0":
                continue
            char = "0"
        elif char.isspace():  # dropped: 被骗 3000 元 reads as 被骗3000元
            continue
        elif not char.isalnum():  # punctuation ends a run: no pair across it
            previous = ""
            continue
        found.add(char)
        if previous:
            found.add(previous + char)
        previous = char
    return found


class Model:
    """A trained naive Bayes: the classes, their log priors and, per known feature, an
    array of its log-probability in each class."""

    def __init__(self, pairs: Iterable[tuple[str, str]], alpha: float = ALPHA) -> None:
        per_class: dict[str, Counter[str]] = {}
        for text, code in pairs:
            per_class.setdefault(code, Counter()).update(features(text))
            per_class[code][_DOCUMENTS] += 1
        self.codes: list[str] = sorted(per_class)
        documents = [per_class[code].pop(_DOCUMENTS) for code in self.codes]
        self.priors = [math.log(count / sum(documents)) for count in documents]
        vocabulary = set().union(*per_class.values())
        totals = [sum(per_class[code].values()) + alpha * len(vocabulary) for code in self.codes]
        self.table: dict[str, array[float]] = {
            feature: array(
                "d",
                (math.log((per_class[code][feature] + alpha) / total)
                 for code, total in zip(self.codes, totals, strict=True)),
            )
            for feature in vocabulary
        }  # fmt: skip

    def top(self, text: str, n: int = 3) -> list[Suggestion]:
        """The ``n`` most likely codes, best first; none when no feature is known.
        Features the training never saw are left out (they say nothing about a class)."""
        known = [self.table[f] for f in features(text) if f in self.table]
        if not known:
            return []
        # zip(*known) walks the columns: one class's log-probabilities of the features.
        scores = [
            prior + sum(column)
            for prior, column in zip(self.priors, zip(*known, strict=True), strict=True)
        ]
        best = max(scores)
        weights = [math.exp((score - best) / TEMPERATURE) for score in scores]
        total = sum(weights)
        ranked = sorted(range(len(scores)), key=lambda i: (-scores[i], self.codes[i]))
        return [Suggestion(self.codes[i], weights[i] / total) for i in ranked[: max(n, 0)]]


_model: Model | None = None
_lock = threading.Lock()


def model() -> Model:
    """The process's model, trained on first use from the shipped generator."""
    global _model
    if _model is None:
        with _lock:
            if _model is None:
                from fengqiao.incidents.data.training import examples

                _model = Model(examples(TRAIN_PER_CODE, TRAIN_SEED))
    return _model


def top(text: str, n: int = 3) -> list[Suggestion]:
    """The ``n`` most likely sub-types of a 简要警情, best first (empty for blank text)."""
    if not text or not text.strip():
        return []
    return model().top(text, n)


def suggest(text: str) -> Suggestion | None:
    """The most likely sub-type, or None for blank text or text with nothing known."""
    found = top(text, 1)
    return found[0] if found else None


def _accuracy(trained: Model, pairs: list[tuple[str, str]]) -> list[float]:
    """Top-1 sub-type, top-1 top-level (the first two digits) and top-3 sub-type accuracy,
    and the mean probability of the top-1 suggestion."""
    top1 = top_level = top3 = 0
    confidence = 0.0
    for text, code in pairs:
        ranked = trained.top(text, 3)
        codes = [s.code for s in ranked]
        top1 += bool(codes) and codes[0] == code
        top_level += bool(codes) and codes[0][:2] == code[:2]
        top3 += code in codes
        confidence += ranked[0].probability if ranked else 0.0
    return [value / len(pairs) for value in (top1, top_level, top3, confidence)]


def evaluate(seed: int = TRAIN_SEED, folds: int = 5) -> dict[str, float]:
    """Held-out accuracy of a model trained like the production one.

    ``top1``, ``top1_top_level``, ``top3``: trained on examples generated with ``seed``,
    tested on examples generated with another seed (new slot values and noise, the same
    templates). ``unseen_*``: each code's templates dealt into ``folds`` folds, a fold's
    templates tested on a model trained on the other folds' (phrasings it never saw).
    ``*_mean_probability`` next to ``*top1`` shows how well calibrated the probabilities
    are."""
    from fengqiao.incidents.data.training import TEMPLATES, examples

    trained = Model(examples(TRAIN_PER_CODE, seed))
    held_out = examples(TEST_PER_CODE, seed + 1)
    same = _accuracy(trained, held_out)
    unseen = [0.0] * 4
    for fold in range(folds):
        split = [
            {code: [t for i, t in enumerate(ts) if (i % folds == fold) == testing]
             for code, ts in TEMPLATES.items()}
            for testing in (False, True)
        ]  # fmt: skip
        fold_model = Model(examples(TRAIN_PER_CODE // 2, seed + 2 + fold, split[0]))
        scores = _accuracy(fold_model, examples(TEST_PER_CODE // 2, seed + 100 + fold, split[1]))
        unseen = [total + score / folds for total, score in zip(unseen, scores, strict=True)]
    names = ("top1", "top1_top_level", "top3", "mean_probability")
    return {
        "train_size": len(trained.codes) * TRAIN_PER_CODE,
        "test_size": len(held_out),
        **dict(zip(names, same, strict=True)),
        **{f"unseen_{name}": value for name, value in zip(names, unseen, strict=True)},
    }
