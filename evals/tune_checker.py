"""Grid-search the checker's thresholds on the *development* split only.

    .venv/bin/python evals/tune_checker.py evals/check_dev.jsonl

Prints the best settings: highest F1 among those with precision >= 0.97, preferring a higher
gate (fewer model calls) on ties. The test split is never read here.
"""

from __future__ import annotations

import itertools
import sys
import time
from pathlib import Path

from assistant.checker import Checker, Thresholds
from assistant.config import get_settings
from assistant.embeddings import load_embedder
from assistant.evaluation import CheckCase, evaluate_checker, load_cases
from assistant.knowledge import load_knowledge


def main(path: str) -> None:
    settings = get_settings()
    cases = load_cases(Path(path), CheckCase)
    checker = Checker(load_knowledge(settings.knowledge_dir), load_embedder(settings))
    results = []
    started = time.perf_counter()
    for fuzzy, gate, semantic, margin in itertools.product(
        (84.0, 88.0), (0.0, 0.34, 0.5, 0.6), [0.86 + i * 0.01 for i in range(10)], (0.0, 0.01, 0.02, 0.03)
    ):
        checker.thresholds = Thresholds(fuzzy=fuzzy, gate=gate, semantic=round(semantic, 3), margin=margin)
        checker.lexical.fuzzy_cutoff = fuzzy
        m = evaluate_checker(checker, cases)
        results.append((m["precision"] >= 0.97, m["f1"], gate, m["precision"], m["recall"], checker.thresholds))
    results.sort(key=lambda r: (r[0], r[1], r[2]), reverse=True)
    print(f"searched {len(results)} settings in {time.perf_counter() - started:.0f}s")
    for ok, f1, _, p, r, t in results[:10]:
        print(f"{'ok ' if ok else 'low'} F1={f1:.4f} P={p:.4f} R={r:.4f} {t}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "evals/check_dev.jsonl")
