"""Choose the behaviour head's settings by 5-fold cross-validation on the *development* split.

    .venv/bin/python evals/tune_behaviours.py evals/behaviours_dev.jsonl

The head learns from the dev replies (``ASSISTANT_BEHAVIOUR_EXAMPLES``), so dev figures from
``assistant eval behaviours`` are in-sample. Here each fifth of dev is scored by a head fitted
on the exemplars plus the other four fifths; decisions are cue OR head, as in the drill. Cues
were written against dev, so their share of these figures is still optimistic: the test split
is the honest measure.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from assistant.behaviours import BehaviourThresholds, Recogniser
from assistant.config import get_settings
from assistant.embeddings import load_embedder
from assistant.evaluation import BehaviourCase, load_cases, prf
from assistant.scenarios import load_library
from assistant.text import normalise

FOLDS = 5


def main(path: str) -> None:
    settings = get_settings()
    cases = load_cases(Path(path), BehaviourCase)
    library = load_library(settings.dialogs_dir)
    embedder = load_embedder(settings)
    ids = [b.id for b in library.behaviours]
    gold = np.array([[b in c.behaviours for b in ids] for c in cases])
    cues = Recogniser(library.behaviours)
    cued = np.array([[cues.by_cue(normalise(c.text).text, b) is not None for b in ids] for c in cases])
    vectors = embedder.embed([normalise(c.text).text for c in cases])
    fold = np.random.default_rng(0).permutation(len(cases)) % FOLDS
    rows = []
    grid = [(c, g) for c in (0.05, 0.1) for g in (0.0, 20.0, 40.0)]
    for regularisation, grams in grid:
        probability = np.zeros(gold.shape)
        for f in range(FOLDS):
            train = [(c.text, c.behaviours) for c, k in zip(cases, fold, strict=True) if k != f]
            thresholds = BehaviourThresholds(regularisation=regularisation, grams=grams)
            head = Recogniser(library.behaviours, embedder, thresholds, examples=train).head
            assert head is not None
            for i in np.flatnonzero(fold == f):
                p = head.probabilities(vectors[i], normalise(cases[i].text).text)
                probability[i] = [p[b] for b in ids]
        for threshold in (0.3, 0.4, 0.5, 0.6, 0.7):
            for mode, found in (("cue OR head", cued | (probability >= threshold)), ("head only", probability >= threshold)):
                m = prf(int((found & gold).sum()), int((found & ~gold).sum()), int((~found & gold).sum()))
                rows.append((m["f1"], m["precision"], m["recall"], mode, (regularisation, grams), threshold))
    m = prf(int((cued & gold).sum()), int((cued & ~gold).sum()), int((~cued & gold).sum()))
    print(f"cues only: F1={m['f1']:.3f} P={m['precision']:.3f} R={m['recall']:.3f}")
    shipped = BehaviourThresholds()
    for f1, p, r, mode, c, t in rows:
        if (c, t) == ((shipped.regularisation, shipped.grams), shipped.probability):
            print(f"shipped, {mode}: F1={f1:.3f} P={p:.3f} R={r:.3f}")
    for mode in ("cue OR head", "head only"):
        for f1, p, r, _, c, t in sorted((row for row in rows if row[3] == mode), reverse=True)[:5]:
            print(f"{mode}: F1={f1:.3f} P={p:.3f} R={r:.3f} (regularisation, n-gram weight)={c} probability>={t}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "evals/behaviours_dev.jsonl")
