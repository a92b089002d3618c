"""Tune the checker's agreement threshold on the *development* split only.

    .venv/bin/python evals/tune_checker.py [evals/check_dev.jsonl]

Five-fold cross-validation as `evals/tune_stance.py` runs it: each fold's stance and
reply heads are fitted on the other four folds. Every held-out reply is checked with the
agreement filter off, and its violations (rule, evidence kind) are kept with the reply head's
reading of the whole reply; the grid then replays `Thresholds.agree` (a model-based hit's rule
must get at least this from the reply head, whose likeliest rule stands in for a dropped hit) and
`Thresholds.reply` (the reply head's own threshold, from the lowest in the grid up) in seconds. Takes about ten minutes on two cores.
The test split is never read.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

from assistant.checker import Checker
from assistant.config import ROOT, get_settings
from assistant.evaluation import CheckCase, load_cases, score_predictions

FOLDS = 5
GRID = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
REPLY = (0.25, 0.3, 0.35, 0.4, 0.5)  # the reply head's threshold; the CV runs at the shipped 0.25


def replay(hits: list[tuple[str, bool, float]], reading: dict[str, float], agree: float, floor: float) -> set[str]:
    """The rules `Checker._agree` would leave: model-based hits the reply head gives less than
    ``agree`` are dropped, and its likeliest rule (if at least ``floor``) stands in for them;
    a reply-head hit needs ``floor`` too."""
    hits = [h for h in hits if h[2] >= floor]
    kept = {rule for rule, model, _ in hits if not model or reading.get(rule, 1.0) >= agree}
    if reading and any(model and reading.get(rule, 1.0) < agree for rule, model, _ in hits):
        likeliest = max(reading, key=reading.__getitem__)
        if reading[likeliest] >= floor:
            kept.add(likeliest)
    return kept


def main(path: Path) -> None:
    cases = load_cases(path, CheckCase)
    checker = Checker.from_settings(get_settings())
    checker.thresholds = dataclasses.replace(checker.thresholds, agree=0.0, reply=min(REPLY))
    found: list[list[tuple[str, bool, float]]] = [[] for _ in cases]
    readings: list[dict[str, float]] = [{} for _ in cases]
    folds = [list(range(k, len(cases), FOLDS)) for k in range(FOLDS)]
    for k, held in enumerate(folds):
        train = [(cases[i].text, cases[i].labels) for j, fold in enumerate(folds) if j != k for i in fold]
        checker.stance = checker.fit_stance(train)
        assert checker.stance.reply is not None, "the reply head needs labelled replies"
        results = checker.check_many([(cases[i].text, cases[i].context) for i in held])
        for i, result in zip(held, results, strict=True):
            # a reply-head hit's score is its probability, so higher `reply` thresholds replay (all
            # but the gate, which embeds a few more clauses when the reply head may speak)
            found[i] = [(v.rule, v.evidence.kind == "semantic",
                         v.evidence.score if v.evidence.detail.startswith("reply head") else 1.0)
                        for v in result.violations]  # fmt: skip
            readings[i] = checker.stance.reply.probabilities(checker._analyse(cases[i].text).sk.text)
        print(f"fold {k + 1}/{FOLDS} done", file=sys.stderr, flush=True)
    print(f"{len(cases)} replies, 5-fold CV; agree = the reply head's least probability for a model-based hit's rule")
    for floor in REPLY:
        for agree in GRID:
            predicted = [replay(hits, readings[i], agree, floor) for i, hits in enumerate(found)]
            m = score_predictions(cases, predicted)
            print(f"reply={floor:<5} agree={agree:<5} precision {m['precision']:.4f}  recall {m['recall']:.4f}  F1 {m['f1']:.4f}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "evals" / "check_dev.jsonl")
