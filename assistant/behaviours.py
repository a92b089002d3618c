"""Recognising what a trainee's reply *does*: greets, lists every missing item, names the window…

Two kinds of evidence, measured on ``evals/behaviours_*.jsonl``: lexical cues (specific
regexes per behaviour, cheap and explainable) and a learned head — one logistic regression
per behaviour over the embedding of the whole reply, fitted on the behaviour exemplars, their
look-alike negatives and the labelled development replies. Cues decide first; the head is
asked only about expected behaviours no cue has shown, so a drill turn costs at most one
model call for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.embeddings import Embedder
from assistant.errors import KnowledgeError
from assistant.heads import LinearHead
from assistant.scenarios import Behaviour
from assistant.text import normalise


@dataclass(frozen=True)
class BehaviourThresholds:
    """Chosen by 5-fold cross-validation on evals/behaviours_dev.jsonl
    (``evals/tune_behaviours.py``; README has the grid's best rows)."""

    probability: float = 0.5  # the head's probability that the reply shows the behaviour
    regularisation: float = 0.05  # C of each logistic regression (standardised vectors)


@dataclass(frozen=True)
class Recognition:
    behaviour: str
    evidence: str  # "cue: <pattern>" or "learned: p=0.83, like “<labelled reply>”"


Example = tuple[str, Sequence[str]]  # a reply and the behaviours it shows (may be none)


class Recogniser:
    def __init__(self, behaviours: list[Behaviour], embedder: Embedder | None = None,
                 thresholds: BehaviourThresholds | None = None, examples: Sequence[Example] = ()) -> None:  # fmt: skip
        self.behaviours = {b.id: b for b in behaviours}
        self.thresholds = thresholds or BehaviourThresholds()
        self._cues = {b.id: [re.compile(c) for c in b.cues] for b in behaviours}
        self.embedder = embedder
        self.head = self._fit(embedder, examples) if embedder is not None else None

    def _fit(self, embedder: Embedder, examples: Sequence[Example]) -> LinearHead:
        ids = list(self.behaviours)
        rows: list[tuple[str, set[str]]] = []
        for b in self.behaviours.values():  # exemplars show their behaviour; negatives none
            rows += [(text, {b.id}) for text in b.exemplars] + [(text, set()) for text in b.negatives]
        for text, shown in examples:
            if unknown := sorted(set(shown) - set(ids)):
                raise KnowledgeError(f"labelled reply {text!r}: unknown behaviours {unknown}")
            rows.append((text, set(shown)))
        texts = [normalise(text).text for text, _ in rows]
        labels = np.array([[b in shown for b in ids] for _, shown in rows], dtype=bool)
        vectors = embedder.embed(texts)
        return LinearHead.fit(ids, texts, vectors, labels, self.thresholds.regularisation)

    def by_cue(self, display: str, behaviour_id: str) -> Recognition | None:
        for cue in self._cues[behaviour_id]:
            if cue.search(display):
                return Recognition(behaviour_id, f"cue: {cue.pattern}")
        return None

    def by_head(self, vector: np.ndarray, wanted: Iterable[str]) -> dict[str, Recognition]:
        """The wanted behaviours the learned head sees in a reply's (whole-reply) vector."""
        if self.head is None:
            return {}
        probabilities = self.head.probabilities(vector)
        return {
            b: Recognition(b, f"learned: p={probabilities[b]:.2f}, like “{self.head.like(b, vector)}”")
            for b in wanted
            if probabilities[b] >= self.thresholds.probability
        }

    def recognise(self, reply: str, wanted: Iterable[str] | None = None,
                  semantic: bool = True) -> dict[str, Recognition]:  # fmt: skip
        """Which of ``wanted`` (default: all) behaviours the reply shows, with evidence."""
        display = normalise(reply).text
        wanted = list(wanted) if wanted is not None else list(self.behaviours)
        found = {b: r for b in wanted if (r := self.by_cue(display, b)) is not None}
        missing = [b for b in wanted if b not in found]
        if missing and semantic and self.embedder is not None:
            found.update(self.by_head(self.embedder.embed([display])[0], missing))
        return found
