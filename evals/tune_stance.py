"""Cross-validate the checker's stance head on the *development* split only.

    .venv/bin/python evals/tune_stance.py evals/check_dev.jsonl [--c 4,16] [--w 1,2] [--reply 0.3,1]

``--veto`` drops a nearest-neighbour hit whose rule the head gives less than this probability;
``--reply`` / ``--reply-clause`` are the reply head's thresholds (``--reply 1`` turns it off).
Five folds over the replies: the head is fitted on four (plus the knowledge base) and the
full checker — lexical passes, nearest neighbours and the head — runs on the fifth, so the
figures are those of the shipped code on replies its head never saw. Prints precision, recall
and F1 per (C, vector weight, probability threshold), then the same without the head. The test
split is never read.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
from pathlib import Path

from assistant.checker import Checker, Thresholds
from assistant.config import get_settings
from assistant.embeddings import load_embedder
from assistant.evaluation import CheckCase, load_cases, score_predictions
from assistant.knowledge import load_knowledge
from assistant.stance import STANCE_C

FOLDS = 5
PROBABILITIES = (0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path", type=Path)
    parser.add_argument("--c", default=str(STANCE_C), help="regularisation values (comma-separated)")
    parser.add_argument("--w", default="1", help="vector weights (comma-separated)")
    parser.add_argument("--veto", default=str(Thresholds().veto), help="vetoes of nearest-neighbour hits (comma-separated)")
    parser.add_argument("--p", default=",".join(map(str, PROBABILITIES)), help="stance thresholds (comma-separated)")
    parser.add_argument("--gate", default=str(Thresholds().gate), help="lexical gates before the model (comma-separated)")
    parser.add_argument("--reply", default=str(Thresholds().reply), help="reply head thresholds (comma-separated; 1 = off)")
    parser.add_argument("--reply-clause", default=str(Thresholds().reply_clause),
                        help="the stance its clause then needs (comma-separated)")
    parser.add_argument("--skip", default=str(Thresholds().skip),
                        help="the n-gram gate's probability a clause needs to be embedded (comma-separated; 0 = all)")
    parser.add_argument("--most", default=str(Thresholds().most), help="clauses embedded per reply at most (comma-separated; 0 = all)")
    args = parser.parse_args()
    settings = get_settings()
    cases = load_cases(args.path, CheckCase)
    checker = Checker(load_knowledge(settings.knowledge_dir), load_embedder(settings))
    items = [(c.text, c.context) for c in cases]
    base = [{v.rule for v in r.violations} for r in checker.check_many(items)]
    print("without the head:", _line(score_predictions(cases, base)))
    folds = [list(range(k, len(cases), FOLDS)) for k in range(FOLDS)]
    for c, w in itertools.product(map(float, args.c.split(",")), map(float, args.w.split(","))):
        grid = list(itertools.product(*(map(float, a.split(",")) for a in
                                        (args.p, args.veto, args.gate, args.reply, args.reply_clause, args.skip, args.most))))  # fmt: skip
        predicted: dict[tuple[float, ...], list[set[str]]] = {g: [set() for _ in cases] for g in grid}
        embedded: dict[tuple[float, ...], int] = dict.fromkeys(grid, 0)
        for k, held_out in enumerate(folds):
            train = [(cases[i].text, cases[i].labels) for j, fold in enumerate(folds) if j != k for i in fold]
            checker.stance = checker.fit_stance(train, c, w)
            for g in grid:
                p, veto, gate, reply, reply_clause, skip, most = g
                checker.thresholds = dataclasses.replace(Thresholds(), stance=p, veto=veto, gate=gate, reply=reply,
                                                         reply_clause=reply_clause, skip=skip, most=int(most))  # fmt: skip
                embedded[g] += sum(len(checker.semantic_clauses([items[i][0]])) for i in held_out)
                for i, result in zip(held_out, checker.check_many([items[i] for i in held_out]), strict=True):
                    predicted[g][i] = {v.rule for v in result.violations}
        for g in grid:
            p, veto, gate, reply, reply_clause, skip, most = g
            print(f"C={c:g} vector weight={w:g} p>={p:g} veto<{veto:g} gate>={gate:g} reply>={reply:g}/{reply_clause:g}"
                  f" skip<{skip:g} most {most:g}:", _line(score_predictions(cases, predicted[g])),
                  f"clauses embedded per reply {embedded[g] / len(cases):.2f}")


def _line(metrics: dict[str, object]) -> str:
    return " ".join(f"{k} {metrics[k]:.3f}" for k in ("precision", "recall", "f1"))  # type: ignore[str-format]


if __name__ == "__main__":
    main()
