"""Tune retrieval fusion and the answer/decline rule on the *development* questions only.

    .venv/bin/python evals/tune_ask.py evals/ask_dev.jsonl

Retrieval features are computed once per question; the grids replay the decisions.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from assistant.answers import ANSWER_KINDS, Answerer
from assistant.config import get_settings
from assistant.evaluation import AskCase, load_cases, rank_of_answer


def main(path: str) -> None:
    cases = load_cases(Path(path), AskCase)
    answerer = Answerer.from_settings(get_settings())
    retriever = answerer.retriever
    print("fusion: lexical weight, rrf k -> hit@1 hit@3 mrr")
    for weight, k in itertools.product((1.0, 2.0, 3.0, 4.0, 6.0), (5, 10, 30)):
        retriever.lexical_weight, retriever.rrf_k = weight, k
        ranks = []
        for case in (c for c in cases if c.in_scope):
            hits = [h for h in retriever.search(case.question, k=20) if h.passage.kind in ANSWER_KINDS]
            ranks.append(rank_of_answer(hits[:10], case.keywords))
        n = len(ranks)
        print(f"  {weight:>4} {k:>3}  {sum(r == 1 for r in ranks) / n:.3f} {sum(bool(r and r <= 3) for r in ranks) / n:.3f}"
              f" {sum(1 / r for r in ranks if r) / n:.3f}")
    features = []
    for case in cases:
        hits = [h for h in retriever.search(case.question, k=12) if h.passage.kind in ANSWER_KINDS][:3]
        dense = max((h.dense for h in hits), default=0.0)
        features.append((case.in_scope, answerer.scope_margin(case.question, hits), answerer.coverage(case.question, hits), dense))
    print("decline rule: scope margin >= a and coverage >= b -> out declined, in declined")
    rows = []
    for a, b in itertools.product([-0.03 + i * 0.005 for i in range(15)], [0.0, 0.1, 0.2, 0.3]):
        out_ok = sum(1 for s, d, c, _ in features if not s and not (d >= a and c >= b))
        in_bad = sum(1 for s, d, c, _ in features if s and not (d >= a and c >= b))
        n_out = sum(1 for f in features if not f[0]) or 1
        n_in = sum(1 for f in features if f[0]) or 1
        rows.append((out_ok / n_out, -in_bad / n_in, a, b))
    rows.sort(key=lambda r: (r[0] >= 0.9, r[1], r[0]), reverse=True)
    for out, neg_in, a, b in rows[:8]:
        print(f"  margin>={a:.3f} coverage>={b:.2f}: out-of-scope declined {out:.3f}, in-scope declined {-neg_in:.3f}")
    for in_scope, m, c, d in sorted(features, key=lambda f: f[1]):
        print(f"    {'IN ' if in_scope else 'OUT'} margin={m:+.3f} cov={c:.2f} dense={d:.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "evals/ask_dev.jsonl")
