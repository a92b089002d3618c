"""The stance head: a learned classifier that reads one clause and says which banned rule it
breaks, or none.

Nearest neighbours in e5 space find rude clauses that resemble a wording we wrote, but e5
vectors encode a clause's topic more than its stance, so unseen rude wording slips through
(dev recall 0.70). A multinomial logistic regression over two views of the clause does
better: character 1–3-grams of its skeleton (the words that carry stance — 别人, 不归, 自己看,
下班 — whatever surrounds them) and its e5 vector (meaning when the words differ). It learns
from the knowledge base (banned phrases and variants under their rule; polite wordings as
"none") and from labelled replies: every clause of a clean reply is "none"; a one-clause reply
takes its labels; in a longer reply the clause a first fit finds most likely carries each label
(the others are left out: which clause is rude is not labelled). Measured by 5-fold CV on dev
(``evals/tune_stance.py``); see README.

Scoring needs no scikit-learn (``grams.py``): a clause costs a few dictionary lookups and one
384-wide dot product per rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.grams import CharGrams
from assistant.heads import read_arrays, write_arrays

NONE = "none"
STANCE_C = 4.0  # chosen with the threshold by 5-fold CV on dev (evals/tune_stance.py)
STANCE_VECTOR_WEIGHT = 1.0


class StanceHead:
    """Softmax over ``labels`` (``NONE`` and rule ids) of ``text_weights · tfidf(key) +
    vector_weights · vector + bias``."""

    def __init__(self, labels: list[str], grams: CharGrams, text_weights: np.ndarray,
                 vector_weights: np.ndarray, bias: np.ndarray) -> None:  # fmt: skip
        self.labels, self.grams = labels, grams
        self.text_weights, self.vector_weights, self.bias = text_weights, vector_weights, bias

    @classmethod
    def fit(cls, keys: Sequence[str], vectors: np.ndarray, targets: Sequence[str], regularisation: float,
            vector_weight: float) -> StanceHead:  # fmt: skip
        """``keys[i]`` (a clause skeleton) with e5 ``vectors[i]`` has label ``targets[i]``;
        ``regularisation`` is scikit-learn's C, ``vector_weight`` scales the vector's columns
        against the unit-length n-gram part."""
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression

        grams = CharGrams.fit(keys)
        features = sparse.hstack([grams.matrix(keys), sparse.csr_matrix(vectors * vector_weight)]).tocsr()
        model = LogisticRegression(C=regularisation, max_iter=3000).fit(features, list(targets))
        width = len(grams.vocabulary)
        coef = np.asarray(model.coef_, dtype=np.float32)
        return cls([str(c) for c in model.classes_], grams, coef[:, :width], coef[:, width:] * vector_weight,
                   np.asarray(model.intercept_, dtype=np.float32))  # fmt: skip

    def probabilities(self, key: str, vector: np.ndarray) -> dict[str, float]:
        logits = self.grams.score(self.text_weights, key) + self.vector_weights @ vector + self.bias
        shifted = np.exp(logits - logits.max())
        return dict(zip(self.labels, (shifted / shifted.sum()).tolist(), strict=True))

    def save(self, path: Path) -> None:
        write_arrays(path, {"labels": np.array(self.labels), "vocabulary": np.array(self.grams.vocabulary),
                            "idf": self.grams.idf, "text_weights": self.text_weights,
                            "vector_weights": self.vector_weights, "bias": self.bias})  # fmt: skip

    @classmethod
    def load(cls, path: Path) -> StanceHead | None:
        """A head saved by ``save``; None when absent or unreadable (then it is refitted)."""
        data = read_arrays(path)
        if data is None or not {"labels", "vocabulary", "idf", "text_weights", "vector_weights", "bias"} <= set(data):
            return None
        grams = CharGrams([str(x) for x in data["vocabulary"]], data["idf"])
        return cls([str(x) for x in data["labels"]], grams, data["text_weights"], data["vector_weights"], data["bias"])


def training_rows(knowledge: Sequence[tuple[str, str]], replies: Sequence[tuple[list[str], list[str]]]
                  ) -> tuple[list[tuple[str, str]], list[tuple[list[str], list[str]]]]:  # fmt: skip
    """Rows ``(text, label)`` known outright, and the multi-clause rude replies ``(clauses,
    labels)`` whose rude clause a first fit must pick. ``knowledge`` holds ``(text, label)``
    pairs, ``replies`` the clauses of each labelled reply and its rule labels."""
    rows = list(knowledge)
    undecided: list[tuple[list[str], list[str]]] = []
    for clauses, labels in replies:
        if not labels:
            rows += [(c, NONE) for c in clauses]
        elif len(clauses) == 1:
            rows += [(clauses[0], label) for label in labels]
        else:
            undecided.append((clauses, labels))
    return rows, undecided


def fit_stance(knowledge: Sequence[tuple[str, str]], replies: Sequence[tuple[list[str], list[str]]],
               key_of: dict[str, str], vector_of: dict[str, np.ndarray], regularisation: float,
               vector_weight: float) -> StanceHead:  # fmt: skip
    """Fit on the known rows, let that fit pick each longer reply's rude clause per label, refit."""
    rows, undecided = training_rows(knowledge, replies)

    def fit(data: list[tuple[str, str]]) -> StanceHead:
        return StanceHead.fit([key_of[t] for t, _ in data], np.stack([vector_of[t] for t, _ in data]),
                              [label for _, label in data], regularisation, vector_weight)  # fmt: skip

    first = fit(rows)
    picked = []
    for clauses, labels in undecided:
        probabilities = [first.probabilities(key_of[c], vector_of[c]) for c in clauses]
        picked += [(clauses[int(np.argmax([p.get(label, 0.0) for p in probabilities]))], label) for label in labels]
    return fit(rows + picked)
