"""Recognising what a trainee's reply *does*: greets, lists every missing item, names the window…

Two kinds of evidence, measured on ``evals/behaviours_*.jsonl``: lexical cues (specific
regexes per behaviour, cheap and explainable) and a learned head — one logistic regression
per behaviour over the embedding of the whole reply and its character n-grams, fitted on the behaviour exemplars, their
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
from assistant.heads import LinearHead, head_key
from assistant.scenarios import Behaviour
from assistant.text import normalise


@dataclass(frozen=True)
class BehaviourThresholds:
    """Chosen by 5-fold cross-validation on evals/behaviours_dev.jsonl
    (``evals/tune_behaviours.py``; README has the grid's best rows)."""

    probability: float = 0.4  # the head's probability that the reply shows the behaviour
    regularisation: float = 0.1  # C of each logistic regression (standardised vectors)
    grams: float = 40.0  # weight of the reply's character n-grams beside its vector (0: vector only)


@dataclass(frozen=True)
class Recognition:
    behaviour: str
    evidence: str  # "cue: <pattern>" or "learned: p=0.83, like “<labelled reply>”"


Example = tuple[str, Sequence[str]]  # a reply and the behaviours it shows (may be none)


class Recogniser:
    def __init__(self, behaviours: list[Behaviour], embedder: Embedder | None = None,
                 thresholds: BehaviourThresholds | None = None, examples: Sequence[Example] = (),
                 head: LinearHead | None = None) -> None:  # fmt: skip
        """With a model, the head is ``head`` if given (one fitted earlier on the same training
        set: see ``head_key``), else fitted here on the exemplars and ``examples``."""
        self.behaviours = {b.id: b for b in behaviours}
        self.thresholds = thresholds or BehaviourThresholds()
        self._cues = {b.id: [re.compile(c) for c in b.cues] for b in behaviours}
        self.embedder = embedder
        self.head = None
        if embedder is not None:
            self.head = head or self._fit(embedder, *self.training_set(examples))

    def training_set(self, examples: Sequence[Example]) -> tuple[list[str], np.ndarray]:
        """Normalised texts and their (texts × behaviours) labels: exemplars show their
        behaviour, look-alike negatives none, labelled replies what they are labelled with."""
        ids = list(self.behaviours)
        rows: list[tuple[str, set[str]]] = []
        for b in self.behaviours.values():
            rows += [(text, {b.id}) for text in b.exemplars] + [(text, set()) for text in b.negatives]
        for text, shown in examples:
            if unknown := sorted(set(shown) - set(ids)):
                raise KnowledgeError(f"labelled reply {text!r}: unknown behaviours {unknown}")
            rows.append((text, set(shown)))
        labels = np.array([[b in shown for b in ids] for _, shown in rows], dtype=bool).reshape(len(rows), len(ids))
        return [normalise(text).text for text, _ in rows], labels

    def head_key(self, embedder: Embedder, examples: Sequence[Example]) -> str:
        texts, labels = self.training_set(examples)
        return head_key("behaviours", list(self.behaviours), texts, labels.tolist(), embedder.name,
                        self.thresholds.regularisation, self.thresholds.grams)  # fmt: skip

    def _fit(self, embedder: Embedder, texts: list[str], labels: np.ndarray) -> LinearHead:
        return LinearHead.fit(list(self.behaviours), texts, embedder.embed(texts), labels, self.thresholds.regularisation,
                              self.thresholds.grams)  # fmt: skip

    def by_cue(self, display: str, behaviour_id: str) -> Recognition | None:
        for cue in self._cues[behaviour_id]:
            if cue.search(display):
                return Recognition(behaviour_id, f"cue: {cue.pattern}")
        return None

    def by_head(self, display: str, vector: np.ndarray, wanted: Iterable[str]) -> dict[str, Recognition]:
        """The wanted behaviours the learned head sees in a reply (normalised ``display`` text
        and its whole-reply vector)."""
        if self.head is None:
            return {}
        probabilities = self.head.probabilities(vector, display)
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
            found.update(self.by_head(display, self.embedder.embed([display])[0], missing))
        return found
