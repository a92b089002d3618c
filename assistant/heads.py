"""A learned linear head over sentence embeddings: the behaviour recogniser's and the help
answers' "is this in scope" decision. Small labelled sets (hundreds of texts) are enough for a
regularised logistic regression on e5 vectors — optionally beside the text's character n-grams
(``grams.py``), which keep the exact words e5 blurs — and its decisions carry evidence: the
nearest training text with the label."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.grams import CharGrams, dense_csr
from assistant.text import key


class LinearHead:
    """One logistic regression per label folded into one affine map, so scoring a text is a
    single matrix-vector product: ``sigmoid(weights @ vector + bias)`` (plus ``gram_weights``
    applied to the text's n-grams when the head has them)."""

    def __init__(self, ids: list[str], weights: np.ndarray, bias: np.ndarray, grams: CharGrams | None,
                 gram_weights: np.ndarray | None, texts: list[str], vectors: np.ndarray, labels: np.ndarray,
                 exclusive: bool = False) -> None:  # fmt: skip
        self.ids, self.weights, self.bias, self.exclusive = ids, weights, bias, exclusive
        self.grams, self.gram_weights = grams, gram_weights
        self._column = {b: i for i, b in enumerate(ids)}
        # the training texts, to show the nearest positive one as evidence
        self._texts, self._vectors, self._labels = texts, vectors, labels
        self._groups: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # for ``nearest``

    @classmethod
    def fit(cls, ids: list[str], texts: list[str], vectors: np.ndarray, labels: np.ndarray,
            regularisation: float, gram_weight: float = 0.0) -> LinearHead:  # fmt: skip
        """``labels[i, j]``: training text i has label ``ids[j]``; vectors are standardised
        (e5 cosines crowd into a narrow band) and ``regularisation`` is sklearn's C. With
        ``gram_weight`` > 0 the texts' n-gram tf-idf, scaled by it, are features too."""
        from sklearn.linear_model import LogisticRegression

        features, mean, scale, grams = _features(texts, vectors, gram_weight)
        models = [LogisticRegression(C=regularisation, max_iter=3000).fit(features, labels[:, j]) for j in range(len(ids))]
        coef, intercept = np.array([m.coef_[0] for m in models]), np.array([m.intercept_[0] for m in models])
        return cls(ids, *_fold(coef, intercept, mean, scale, grams, gram_weight), texts, vectors, labels)

    @classmethod
    def fit_exclusive(cls, ids: list[str], texts: list[str], vectors: np.ndarray, targets: list[str],
                      regularisation: float, gram_weight: float = 0.0) -> LinearHead:  # fmt: skip
        """One multinomial regression: each text has exactly one of ``ids`` (``targets[i]``)."""
        from sklearn.linear_model import LogisticRegression

        features, mean, scale, grams = _features(texts, vectors, gram_weight)
        model = LogisticRegression(C=regularisation, max_iter=3000).fit(features, targets)
        order = [list(model.classes_).index(b) for b in ids]
        coef = model.coef_ if len(ids) > 2 else np.vstack([-model.coef_[0] / 2, model.coef_[0] / 2])
        intercept = model.intercept_ if len(ids) > 2 else np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2])
        labels = np.array([[t == b for b in ids] for t in targets], dtype=bool)
        return cls(ids, *_fold(coef[order], intercept[order], mean, scale, grams, gram_weight), texts, vectors, labels,
                   exclusive=True)  # fmt: skip

    def probabilities(self, vector: np.ndarray, text: str = "", text_key: str | None = None) -> dict[str, float]:
        """Per label, for a text's vector (and the text itself, which a head with n-grams reads;
        callers that hold its matching key already pass it as ``text_key``)."""
        logits = self.weights @ vector + self.bias
        if self.grams is not None and self.gram_weights is not None:
            logits = logits + self.grams.score(self.gram_weights, key(text) if text_key is None else text_key)
        if self.exclusive:  # softmax over the classes
            shifted = np.exp(logits - logits.max())
            return dict(zip(self.ids, (shifted / shifted.sum()).tolist(), strict=True))
        return dict(zip(self.ids, (1.0 / (1.0 + np.exp(-logits))).tolist(), strict=True))

    def probabilities_many(self, vectors: np.ndarray, keys: Sequence[str]) -> list[dict[str, float]]:
        """``probabilities`` of many texts: their vectors as rows (width 0 for a head of
        n-grams only) and their matching keys."""
        logits = vectors @ self.weights.T + self.bias
        if self.grams is not None and self.gram_weights is not None:
            logits = logits + self.grams.scores(self.gram_weights, keys)
        if self.exclusive:
            shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs = shifted / shifted.sum(axis=1, keepdims=True)
        else:
            probs = 1.0 / (1.0 + np.exp(-logits))
        return [dict(zip(self.ids, row, strict=True)) for row in probs.tolist()]

    def nearest(self, vector: np.ndarray) -> dict[str, float]:
        """Per label, the cosine of ``vector`` with the nearest training text of that label: a
        neighbour's reading, which a linear head smooths away for rarely asked passages."""
        # einsum, not BLAS: a threaded OpenBLAS gemv leaves its threads spinning, and on two
        # cores they starve the model run that follows (ask p50 18 → 38 ms when it was ``@``)
        sims = np.einsum("ij,j->i", self._vectors, vector)
        if self.exclusive:  # one label a row: the rows grouped by label once, then one reduceat
            if self._groups is None:
                order = np.argsort(self._labels.argmax(axis=1), kind="stable")
                counts = self._labels.sum(axis=0)
                self._groups = (order, np.concatenate([[0], np.cumsum(counts)[:-1]]), counts > 0)
            order, starts, present = self._groups
            best = np.maximum.reduceat(sims[order], np.minimum(starts, len(order) - 1))
            similarity = np.where(present, best, -1.0)
        else:
            similarity = np.where(self._labels, sims[:, None], -1.0).max(axis=0)
        return dict(zip(self.ids, similarity.tolist(), strict=True))

    def logits(self, vectors: np.ndarray) -> np.ndarray:
        """(len(vectors), labels) raw scores for rows of features, for a head without n-grams."""
        return np.asarray(vectors @ self.weights.T + self.bias)

    def like(self, label: str, vector: np.ndarray) -> str:
        """The training text with ``label`` nearest to ``vector`` (evidence for a user)."""
        rows = np.flatnonzero(self._labels[:, self._column[label]])
        return self._texts[int(rows[np.argmax(self._vectors[rows] @ vector)])]


def _moments(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return vectors.mean(axis=0), vectors.std(axis=0) + 1e-6


def _features(texts: list[str], vectors: np.ndarray, gram_weight: float) -> tuple[Any, np.ndarray, np.ndarray, CharGrams | None]:
    """Standardised vectors, beside the texts' n-grams scaled by ``gram_weight`` when > 0."""
    mean, scale = _moments(vectors)
    standard = (vectors - mean) / scale
    if gram_weight <= 0:
        return standard, mean, scale, None
    from scipy import sparse

    keys = [key(t) for t in texts]
    grams = CharGrams.fit(keys)
    return sparse.hstack([dense_csr(standard), grams.matrix(keys) * gram_weight], format="csr"), mean, scale, grams


def _fold(coef: np.ndarray, intercept: np.ndarray, mean: np.ndarray, scale: np.ndarray, grams: CharGrams | None,
          gram_weight: float) -> tuple[np.ndarray, np.ndarray, CharGrams | None, np.ndarray | None]:  # fmt: skip
    """Weights, bias, n-grams and their weights of a head, from a fit over ``_features``."""
    width = len(mean)
    weights, bias = _unstandardise(coef[:, :width], intercept, mean, scale)
    return weights, bias, grams, None if grams is None else (coef[:, width:] * gram_weight).astype(np.float32)


def _unstandardise(coef: np.ndarray, intercept: np.ndarray, mean: np.ndarray,
                   scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Fold the standardisation into the affine map: w·((x - mean) / scale) + b
    = (w / scale)·x + (b - w·mean / scale), so scoring needs raw vectors only."""
    weights = (coef / scale).astype(np.float32)
    return weights, (intercept - weights @ mean).astype(np.float32)


def head_key(*parts: object) -> str:
    """A digest of everything a fit depends on (training texts and labels, model, settings)."""
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()[:20]


def read_arrays(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays of an ``.npz`` written by ``write_arrays``; None when absent or unreadable
    (torn, empty, foreign: the caller refits)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def write_arrays(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write through a temporary file, so a concurrent reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
    savez: Any = np.savez  # its stubs type **kwds as if one could be ``allow_pickle``
    savez(tmp, **arrays)
    tmp.replace(path)


def load_head(folder: Path, key: str) -> LinearHead | None:
    """A head saved by ``save_head`` under ``key``; None when absent or unreadable (refit)."""
    data = read_arrays(folder / f"{key}.npz")
    try:
        if data is None:
            return None
        grams = CharGrams([str(g) for g in data["vocabulary"]], data["idf"]) if len(data["idf"]) else None
        return LinearHead([str(i) for i in data["ids"]], data["weights"], data["bias"], grams,
                          data["gram_weights"] if grams is not None else None, [str(t) for t in data["texts"]],
                          data["vectors"], data["labels"], exclusive=bool(data["exclusive"]))  # fmt: skip
    except KeyError:  # written by an older version
        return None


def save_head(folder: Path, key: str, head: LinearHead) -> None:
    """Keep a fitted head (fitting costs seconds, mostly importing scikit-learn; loading ~10 ms)."""
    grams = head.grams or CharGrams([], np.zeros(0, dtype=np.float32))
    gram_weights = np.zeros((len(head.ids), 0), dtype=np.float32) if head.gram_weights is None else head.gram_weights
    write_arrays(folder / f"{key}.npz", {
        "ids": np.array(head.ids), "weights": head.weights, "bias": head.bias, "texts": np.array(head._texts),
        "vectors": head._vectors, "labels": head._labels, "exclusive": np.array(head.exclusive),
        "vocabulary": np.array(grams.vocabulary, dtype=str), "idf": grams.idf, "gram_weights": gram_weights,
    })  # fmt: skip
