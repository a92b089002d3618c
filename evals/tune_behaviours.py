"""Tune behaviour recognition thresholds on the *development* split only.

    .venv/bin/python evals/tune_behaviours.py evals/behaviours_dev.jsonl

Similarities are computed once per reply; the grid replays decisions (cue OR similarity).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import numpy as np

from assistant.behaviours import Recogniser
from assistant.config import get_settings
from assistant.embeddings import load_embedder
from assistant.evaluation import BehaviourCase, load_cases, prf
from assistant.scenarios import load_library
from assistant.text import normalise


def main(path: str) -> None:
    settings = get_settings()
    cases = load_cases(Path(path), BehaviourCase)
    library = load_library(settings.dialogs_dir)
    recogniser = Recogniser(library.behaviours, load_embedder(settings))
    ids = list(recogniser.behaviours)
    rows = []
    for case in cases:
        display = normalise(case.text).text
        units = recogniser.units(case.text)
        vectors = recogniser.embedder.embed(units)  # type: ignore[union-attr]
        for b in ids:
            exemplars, negatives = recogniser._vectors[b]
            sims = vectors @ exemplars.T
            row = int(np.argmax(sims.max(axis=1)))
            best = float(sims[row].max())
            rival = float((vectors[row] @ negatives.T).max()) if len(negatives) else -1.0
            rows.append((case.id, b, b in case.behaviours, recogniser.by_cue(display, b) is not None, best, best - rival))
    # Cues were written against dev, so dev cannot judge what similarity adds on top of them:
    # tune the similarity evidence on its own (cue=False), then use it as a fallback to cues.
    results = []
    for sim, margin in itertools.product([0.86 + i * 0.01 for i in range(12)], (-1.0, 0.0, 0.01, 0.02, 0.03, 0.05)):
        tp = fp = fn = 0
        for _, _, gold, _cue, best, lead in rows:
            found = best >= sim and lead >= margin
            tp += gold and found
            fp += found and not gold
            fn += gold and not found
        m = prf(tp, fp, fn)
        results.append((m["f1"], m["precision"], m["recall"], round(sim, 2), margin))
    cue_only = prf(sum(g and c for _, _, g, c, _, _ in rows), sum(c and not g for _, _, g, c, _, _ in rows), sum(g and not c for _, _, g, c, _, _ in rows))
    print(f"cues only: P={cue_only['precision']:.3f} R={cue_only['recall']:.3f} F1={cue_only['f1']:.3f}")
    for f1, p, r, sim, margin in sorted(results, reverse=True)[:8]:
        print(f"similarity only: F1={f1:.3f} P={p:.3f} R={r:.3f} similarity>={sim} margin>={margin}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "evals/behaviours_dev.jsonl")
