"""Tune the checker's semantic thresholds on the *development* split only.

    .venv/bin/python evals/tune_checker.py evals/check_dev.jsonl

Every clause the gate lets through is embedded once (with its sentence); the grid search
then replays decisions from those cosines, so the whole grid takes seconds. It prints the
best settings with precision >= 0.97, then the best overall. The test split is never read.
"""

from __future__ import annotations

import itertools
import sys
from collections import defaultdict
from pathlib import Path

from assistant.checker import Checker, Thresholds
from assistant.config import get_settings
from assistant.embeddings import load_embedder
from assistant.evaluation import CheckCase, load_cases, score_predictions
from assistant.knowledge import load_knowledge


def main(path: str) -> None:
    settings = get_settings()
    cases = load_cases(Path(path), CheckCase)
    kb = load_knowledge(settings.knowledge_dir)
    embedder = load_embedder(settings)
    rows = []
    for fuzzy in (84.0, 88.0, 92.0):
        checker = Checker(kb, embedder, Thresholds(fuzzy=fuzzy, gate=0.0))
        lexical = [{v.rule for v in r.violations} for r in Checker(kb, None, Thresholds(fuzzy=fuzzy)).check_many([(c.text, c.context) for c in cases])]
        features: dict[int, list[tuple[str, float, float, float, float]]] = defaultdict(list)
        for index, case in enumerate(cases):
            analysis = checker._analyse(case.text)
            texts = list(dict.fromkeys(t for p in analysis.pending for t in p[2:]))
            vectors = dict(zip(texts, checker.embedder.embed(texts), strict=True)) if texts and checker.embedder else {}
            for start, end, clause, sentence in analysis.pending:
                best, score, _, rival = checker.nearest(vectors[clause])
                _, s_score, _, s_rival = checker.nearest(vectors[sentence])
                gate = checker.lexical.suspicion(analysis.sk.text[start:end])
                # exemptions still apply to a semantic hit: replay them
                from assistant.matching import Hit
                hit = Hit(checker._banned[best][0], start, end, "semantic", "", score, "")
                if not checker._exempt(analysis, hit):
                    features[index].append((hit.rule, score, rival, s_score - s_rival, gate))
        for gate, sem, margin, context in itertools.product(
            (0.0, 0.34, 0.5), (0.86, 0.88, 0.9, 0.92), (0.0, 0.02, 0.03, 0.04, 0.05, 0.06), (-1.0, -0.02, -0.01, 0.0, 0.01, 0.02)
        ):
            predicted = []
            for index in range(len(cases)):
                found = set(lexical[index])
                for rule, score, rival, lean, g in features[index]:
                    if g >= gate and score >= sem and score - rival >= margin and lean >= context:
                        found.add(rule)
                predicted.append(found)
            m = score_predictions(cases, predicted)
            rows.append((m["precision"] >= 0.97, m["f1"], gate, m["precision"], m["recall"],
                         Thresholds(fuzzy=fuzzy, gate=gate, semantic=sem, margin=margin, context=context)))
    rows.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
    print(f"searched {len(rows)} settings on {path}")
    for ok, f1, _, p, r, t in rows[:8]:
        print(f"{'ok ' if ok else 'low'} F1={f1:.4f} P={p:.4f} R={r:.4f} {t}")
    best_any = max(rows, key=lambda r: r[1])
    print(f"best F1 regardless of precision: F1={best_any[1]:.4f} P={best_any[3]:.4f} R={best_any[4]:.4f} {best_any[5]}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "evals/check_dev.jsonl")
