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

Scoring needs no scikit-learn: the tf-idf transform is re-done here with the fitted vocabulary
and idf, so a clause costs a few dictionary lookups and one 384-wide dot product per rule.
"""

from __future__ import annotations

import math
import os
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np

NONE = "none"
NGRAMS = (1, 3)
STANCE_C = 4.0  # chosen with the threshold by 5-fold CV on dev (evals/tune_stance.py)
STANCE_VECTOR_WEIGHT = 1.0


class StanceHead:
    """Softmax over ``labels`` (``NONE`` and rule ids) of ``text_weights · tfidf(key) +
    vector_weights · vector + bias``."""

    def __init__(self, labels: list[str], vocabulary: list[str], idf: np.ndarray, text_weights: np.ndarray,
                 vector_weights: np.ndarray, bias: np.ndarray) -> None:  # fmt: skip
        self.labels, self.vocabulary, self.idf = labels, vocabulary, idf
        self.text_weights, self.vector_weights, self.bias = text_weights, vector_weights, bias
        self._column = {gram: i for i, gram in enumerate(vocabulary)}

    @classmethod
    def fit(cls, keys: Sequence[str], vectors: np.ndarray, targets: Sequence[str], regularisation: float,
            vector_weight: float) -> StanceHead:  # fmt: skip
        """``keys[i]`` (a clause skeleton) with e5 ``vectors[i]`` has label ``targets[i]``;
        ``regularisation`` is scikit-learn's C, ``vector_weight`` scales the vector's columns
        against the unit-length n-gram part."""
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        tfidf = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, lowercase=False)
        grams = tfidf.fit_transform(keys)
        features = sparse.hstack([grams, sparse.csr_matrix(vectors * vector_weight)]).tocsr()
        model = LogisticRegression(C=regularisation, max_iter=3000).fit(features, list(targets))
        labels = [str(c) for c in model.classes_]
        width = grams.shape[1]
        coef = np.asarray(model.coef_, dtype=np.float32)
        vocabulary = [str(g) for g in tfidf.get_feature_names_out()]
        return cls(labels, vocabulary, np.asarray(tfidf.idf_, dtype=np.float32), coef[:, :width],
                   coef[:, width:] * vector_weight, np.asarray(model.intercept_, dtype=np.float32))  # fmt: skip

    def features(self, key: str) -> tuple[list[int], np.ndarray]:
        """The clause's tf-idf as (columns, values), exactly as scikit-learn computes it."""
        counts = Counter(key[i : i + n] for n in range(NGRAMS[0], NGRAMS[1] + 1) for i in range(len(key) - n + 1))
        columns = [self._column[g] for g in counts if g in self._column]
        values = np.array([1.0 + math.log(counts[self.vocabulary[c]]) for c in columns], dtype=np.float32)
        values *= self.idf[columns]
        norm = float(np.linalg.norm(values))
        return columns, values / norm if norm else values

    def probabilities(self, key: str, vector: np.ndarray) -> dict[str, float]:
        columns, values = self.features(key)
        logits = self.text_weights[:, columns] @ values + self.vector_weights @ vector + self.bias
        shifted = np.exp(logits - logits.max())
        return dict(zip(self.labels, (shifted / shifted.sum()).tolist(), strict=True))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, labels=np.array(self.labels), vocabulary=np.array(self.vocabulary), idf=self.idf,
                 text_weights=self.text_weights, vector_weights=self.vector_weights, bias=self.bias)  # fmt: skip
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> StanceHead | None:
        """A head saved by ``save``; None when absent or unreadable (then it is refitted)."""
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls([str(x) for x in data["labels"]], [str(x) for x in data["vocabulary"]], data["idf"],
                           data["text_weights"], data["vector_weights"], data["bias"])  # fmt: skip
        except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
            return None


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
