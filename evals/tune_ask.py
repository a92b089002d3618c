"""Tune retrieval fusion and the answer/decline rule on the *development* questions only.

    .venv/bin/python evals/tune_ask.py evals/ask_dev.jsonl [--grams] [--scope] [--by-set]
    (--grams: the head grids with n-grams; --scope: only the decline rule, minutes instead of an
    hour; --by-set: the decline rule's folds take whole question sets (id prefix), not questions)

Retrieval features are computed once per question; the grids replay the decisions. The
answer-or-decline head is cross-validated (it learns from these very questions).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

from assistant.answers import ANSWER_KINDS, Answerer, AskThresholds
from assistant.config import get_settings
from assistant.evaluation import AskCase, load_cases, rank_of_answer
from assistant.heads import LinearHead
from assistant.retrieval import LEXICAL_WEIGHT, RRF_K

FOLDS = 5


def main(path: str) -> None:
    cases = load_cases(Path(path), AskCase)
    answerer = Answerer.from_settings(get_settings())
    if "--scope" not in sys.argv:
        rankings(cases, answerer)
    decline_rule(cases, answerer)


def rankings(cases: list[AskCase], answerer: Answerer) -> None:
    """The fusion, passage-head and reranker grids (hit@1, hit@3, MRR of the answer ranking)."""
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
    retriever.lexical_weight, retriever.rrf_k = LEXICAL_WEIGHT, RRF_K  # back to the shipped fusion
    # The passage head learns from these questions too: cross-validate it the same way.
    print("passage head (5-fold CV): C, weight, n-gram weight -> hit@1 hit@3 mrr of the answer ranking")
    answerable = [c for c in cases if c.in_scope]
    fold_of = np.random.default_rng(0).permutation(len(answerable)) % FOLDS
    grid = [(c, w, g) for c in (0.2, 1.0) for w in (0.5, 1.0) for g in (0.0, 10.0, 40.0)] if "--grams" in sys.argv else \
        [(c, w, 0.0) for c, w in itertools.product((0.05, 0.2, 1.0), (0.25, 0.5, 1.0))]  # fmt: skip
    reranker, answerer.reranker = answerer.reranker, None  # this grid is the RRF fusion's
    for c_value, weight, grams in grid:
        answerer.thresholds = AskThresholds(passage_regularisation=c_value, passage_weight=weight, passage_grams=grams)
        ranks = []
        for f in range(FOLDS):
            answerer.passage_head = answerer._fit_passages(
                [(c.question, True, c.passage) for c, k in zip(answerable, fold_of, strict=True) if k != f])
            ranks += [rank_of_answer(answerer.rank(c.question)[:10], c.keywords)
                      for c, k in zip(answerable, fold_of, strict=True) if k == f]  # fmt: skip
        n = len(ranks)
        print(f"  {c_value:>4} {weight:>4} {grams:>4}  {sum(r == 1 for r in ranks) / n:.3f} {sum(bool(r and r <= 3) for r in ranks) / n:.3f}"
              f" {sum(1 / r for r in ranks if r) / n:.3f}")
    answerer.thresholds = AskThresholds()
    # The reranker learns from these questions as well (through heads fitted on folds of them):
    # each fifth is ranked by a passage head and a reranker fitted on the other four fifths.
    print("reranker (5-fold CV, inner folds for its features): C -> hit@1 hit@3 mrr")
    examples = [(c.question, True, c.passage) for c in answerable]
    outer = [(answerer._fit_passages([e for e, k in zip(examples, fold_of, strict=True) if k != f]),
              answerer.rerank_rows([e for e, k in zip(examples, fold_of, strict=True) if k != f])) for f in range(FOLDS)]
    for c_value in (0.01, 0.1, 1.0, 10.0):
        ranks = []
        for f, (head, rows) in enumerate(outer):
            assert rows is not None
            answerer.passage_head = head
            answerer.reranker = LinearHead.fit(["answer"], rows[2], rows[0], rows[1][:, None], c_value)
            ranks += [rank_of_answer(answerer.rank(c.question)[:10], c.keywords)
                      for c, k in zip(answerable, fold_of, strict=True) if k == f]  # fmt: skip
        n = len(ranks)
        print(f"  {c_value:>5}  {sum(r == 1 for r in ranks) / n:.3f} {sum(bool(r and r <= 3) for r in ranks) / n:.3f}"
              f" {sum(1 / r for r in ranks if r) / n:.3f}")
    answerer.reranker = reranker


def decline_rule(cases: list[AskCase], answerer: Answerer) -> None:
    """The answer-or-decline grid: scope head threshold, margin and the margin that answers alone."""
    retriever = answerer.retriever
    # The scope head learns from these questions (ASSISTANT_ASK_EXAMPLES), so each fifth is
    # judged by a head fitted on the other four fifths (plus the knowledge's own examples).
    features = []
    for case in cases:
        hits = [h for h in retriever.search(case.question, k=12) if h.passage.kind in ANSWER_KINDS][:3]
        features.append((case.in_scope, answerer.scope_margin(case.question, hits), answerer.coverage(case.question, hits)))
    vectors = retriever.embedder.embed([c.question for c in cases], kind="query")
    fold = np.random.default_rng(0).permutation(len(cases)) % FOLDS
    if "--by-set" in sys.argv:  # whole sets to a fold: a writer's style never on both sides
        set_of = [c.id.rstrip("0123456789") for c in cases]
        sets = sorted(set(set_of))
        fold_of_set = dict(zip(sets, np.random.default_rng(0).permutation(len(sets)) % FOLDS, strict=True))
        fold = np.array([fold_of_set[s] for s in set_of])
    print("decline rule (5-fold CV): scope head >= p and margin >= a -> out declined, in declined")
    rows = []
    scope_grid = [(c, g) for c in (0.01, 0.05, 0.2) for g in ((0.0, 10.0, 40.0) if "--grams" in sys.argv else (0.0,))]
    for regularisation, grams in scope_grid:
        answerer.thresholds = AskThresholds(regularisation=regularisation, scope_grams=grams)
        probability = np.zeros(len(cases))
        for f in range(FOLDS):
            head = answerer._fit_scope([(c.question, c.in_scope, c.passage) for c, k in zip(cases, fold, strict=True) if k != f])
            for i in np.flatnonzero(fold == f):
                probability[i] = head.probabilities(vectors[i], cases[i].question)["in_scope"]
        grid = itertools.product((0.0, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9), (-1.0, 0.0, 0.005, 0.01), (0.03, 0.04, 0.05, 1.0))
        for p, a, rescue in grid:
            # answered: the head and the margin agree, or the margin alone is decisive
            answered = [(pr >= p and m >= a) or m >= rescue for pr, (_, m, _) in zip(probability, features, strict=True)]
            n_out = sum(1 for f in features if not f[0]) or 1
            n_in = sum(1 for f in features if f[0]) or 1
            out_ok = sum(1 for ans, f in zip(answered, features, strict=True) if not f[0] and not ans) / n_out
            in_bad = sum(1 for ans, f in zip(answered, features, strict=True) if f[0] and not ans) / n_in
            rows.append((out_ok >= 0.9 and in_bad <= 0.05, out_ok - in_bad, out_ok, in_bad, regularisation, grams, p, a, rescue))
    rows.sort(reverse=True)
    for _, _, out, bad, c, g, p, a, rescue in rows[:12]:
        print(f"  C={c} n-grams={g} head>={p} margin>={a} (or margin>={rescue}): out-of-scope declined {out:.3f}, in-scope declined {bad:.3f}")
    shipped = AskThresholds()
    for _, _, out, bad, c, g, p, a, rescue in rows:
        if (c, g, p, a, rescue) == (shipped.regularisation, shipped.scope_grams, shipped.scope, shipped.margin, shipped.sure):
            print(f"  shipped: out-of-scope declined {out:.3f}, in-scope declined {bad:.3f}")


if __name__ == "__main__":
    main(next((a for a in sys.argv[1:] if not a.startswith("--")), "evals/ask_dev.jsonl"))
