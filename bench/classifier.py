"""Category suggestion from the 简要警情 (src/fengqiao/incidents/classifier.py): held-out
accuracy and the time to suggest, on one core.

    .venv/bin/python bench/classifier.py [--runs 7]

Accuracy: trained on generated examples, tested on examples generated with another seed
(same templates), and with whole templates held out (phrasings the model never saw).
Speed: the process is pinned to one core; each run suggests a category for every
held-out text, and the median over runs of the mean time per text is reported, next to
the first-use training time and the time for a 5,000-character text (the longest a
description may be). Target from the issue: under 5 ms per text. No Django needed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from fengqiao.incidents import classifier  # noqa: E402
from fengqiao.incidents.data.training import examples  # noqa: E402


def pin_to_one_core() -> str:
    if not hasattr(os, "sched_setaffinity"):
        return "not pinned (no sched_setaffinity)"
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    return f"pinned to core {core}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"process {pin_to_one_core()}")

    started = time.perf_counter()
    figures = classifier.evaluate()
    print(f"evaluate: {time.perf_counter() - started:.1f} s")
    print(
        f"held out (other seed, {figures['test_size']:.0f} texts, "
        f"trained on {figures['train_size']:.0f}): "
        f"top-1 sub-type {figures['top1']:.2%}, top-1 top level {figures['top1_top_level']:.2%}, "
        f"top-3 sub-type {figures['top3']:.2%}, mean top-1 probability "
        f"{figures['mean_probability']:.2f}"
    )
    print(
        "held out (unseen templates, 5 folds): "
        f"top-1 sub-type {figures['unseen_top1']:.2%}, "
        f"top-1 top level {figures['unseen_top1_top_level']:.2%}, "
        f"top-3 sub-type {figures['unseen_top3']:.2%}, mean top-1 probability "
        f"{figures['unseen_mean_probability']:.2f}"
    )

    started = time.perf_counter()
    classifier.model()
    print(f"first use (training): {(time.perf_counter() - started) * 1000:.0f} ms")

    texts = [text for text, _ in examples(classifier.TEST_PER_CODE, classifier.TRAIN_SEED + 1)]
    mean_length = statistics.mean(map(len, texts))
    per_text = []
    for _ in range(args.runs):
        started = time.perf_counter()
        for text in texts:
            classifier.suggest(text)
        per_text.append((time.perf_counter() - started) / len(texts) * 1000)
    print(
        f"suggest: median {statistics.median(per_text):.3f} ms per text over {args.runs} runs "
        f"of {len(texts)} texts (mean length {mean_length:.0f} characters; "
        f"runs {min(per_text):.3f}–{max(per_text):.3f} ms)"
    )

    longest = "".join(texts)[:5000]
    timings = []
    for _ in range(args.runs * 10):
        started = time.perf_counter()
        classifier.suggest(longest)
        timings.append((time.perf_counter() - started) * 1000)
    print(
        f"suggest, 5,000 characters (first {classifier.MAX_CHARS} read): "
        f"median {statistics.median(timings):.3f} ms"
    )


if __name__ == "__main__":
    main()
