"""Recognising what a trainee's reply *does*: greets, lists every missing item, names the window…

Two kinds of evidence, measured on ``evals/behaviours_*.jsonl``: lexical cues (specific
regexes per behaviour, cheap) and nearest neighbours in embedding space — a clause counts as a
behaviour when it is close to that behaviour's exemplars and closer to them than to its
look-alike negatives. The drill asks only about behaviours a stage expects, and embeds only
when a cue has not already settled it, which keeps a turn fast on a slow CPU.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from assistant.embeddings import Embedder
from assistant.scenarios import Behaviour
from assistant.text import clauses, normalise


@dataclass(frozen=True)
class BehaviourThresholds:
    """Tuned on evals/behaviours_dev.jsonl (README, `assistant eval behaviours`)."""

    similarity: float = 0.94  # cosine of a clause to the behaviour's nearest exemplar
    margin: float = 0.0  # … over its nearest negative look-alike


@dataclass(frozen=True)
class Recognition:
    behaviour: str
    evidence: str  # "cue: <pattern>" or "semantic: <exemplar> (0.93)"


class Recogniser:
    def __init__(self, behaviours: list[Behaviour], embedder: Embedder | None = None,
                 thresholds: BehaviourThresholds | None = None) -> None:  # fmt: skip
        self.behaviours = {b.id: b for b in behaviours}
        self.thresholds = thresholds or BehaviourThresholds()
        self._cues = {b.id: [re.compile(c) for c in b.cues] for b in behaviours}
        self.embedder = embedder
        self._vectors: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if embedder is not None:
            for b in behaviours:
                negatives = embedder.embed(b.negatives) if b.negatives else np.zeros((0, embedder.dim), np.float32)
                self._vectors[b.id] = (embedder.embed(b.exemplars), negatives)

    def by_cue(self, display: str, behaviour_id: str) -> Recognition | None:
        for cue in self._cues[behaviour_id]:
            if cue.search(display):
                return Recognition(behaviour_id, f"cue: {cue.pattern}")
        return None

    def by_similarity(self, vectors: np.ndarray, texts: list[str], behaviour_id: str) -> Recognition | None:
        if behaviour_id not in self._vectors or not len(vectors):
            return None
        exemplars, negatives = self._vectors[behaviour_id]
        sims = vectors @ exemplars.T  # (clauses, exemplars)
        row, col = np.unravel_index(int(np.argmax(sims)), sims.shape)
        best = float(sims[row, col])
        rival = float((vectors[row] @ negatives.T).max()) if len(negatives) else -1.0
        if best >= self.thresholds.similarity and best - rival >= self.thresholds.margin:
            exemplar = self.behaviours[behaviour_id].exemplars[col]
            return Recognition(behaviour_id, f"semantic: {texts[row]} ≈ {exemplar} ({best:.3f})")
        return None

    def units(self, reply: str) -> list[str]:
        """The clauses of a reply plus the whole reply, as embedded."""
        display = normalise(reply).text
        parts = [display[s:e] for s, e in clauses(display) if e - s >= 2]
        return list(dict.fromkeys([*parts, display]))

    def recognise(self, reply: str, wanted: Iterable[str] | None = None,
                  semantic: bool = True) -> dict[str, Recognition]:  # fmt: skip
        """Which of ``wanted`` (default: all) behaviours the reply shows, with evidence."""
        display = normalise(reply).text
        wanted = list(wanted) if wanted is not None else list(self.behaviours)
        found = {b: r for b in wanted if (r := self.by_cue(display, b)) is not None}
        missing = [b for b in wanted if b not in found]
        if missing and semantic and self.embedder is not None:
            texts = self.units(reply)
            vectors = self.embedder.embed(texts)
            for b in missing:
                if (r := self.by_similarity(vectors, texts, b)) is not None:
                    found[b] = r
        return found
