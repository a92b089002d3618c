"""A learned linear head over sentence embeddings: the behaviour recogniser's and the help
answers' "is this in scope" decision. Small labelled sets (hundreds of texts) are enough for a
regularised logistic regression on e5 vectors, and its decisions carry evidence: the nearest
training text with the label."""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import numpy as np


class LinearHead:
    """One logistic regression per label folded into one affine map, so scoring a text is a
    single matrix-vector product: ``sigmoid(weights @ vector + bias)``."""

    def __init__(self, ids: list[str], weights: np.ndarray, bias: np.ndarray,
                 texts: list[str], vectors: np.ndarray, labels: np.ndarray, exclusive: bool = False) -> None:  # fmt: skip
        self.ids, self.weights, self.bias, self.exclusive = ids, weights, bias, exclusive
        self._column = {b: i for i, b in enumerate(ids)}
        # the training texts, to show the nearest positive one as evidence
        self._texts, self._vectors, self._labels = texts, vectors, labels

    @classmethod
    def fit(cls, ids: list[str], texts: list[str], vectors: np.ndarray, labels: np.ndarray,
            regularisation: float) -> LinearHead:  # fmt: skip
        """``labels[i, j]``: training text i has label ``ids[j]``; vectors are standardised
        (e5 cosines crowd into a narrow band) and ``regularisation`` is sklearn's C."""
        from sklearn.linear_model import LogisticRegression

        mean, scale = _moments(vectors)
        standard = (vectors - mean) / scale
        models = [LogisticRegression(C=regularisation, max_iter=3000).fit(standard, labels[:, j]) for j in range(len(ids))]
        weights, bias = _unstandardise(np.array([m.coef_[0] for m in models]),
                                       np.array([m.intercept_[0] for m in models]), mean, scale)  # fmt: skip
        return cls(ids, weights, bias, texts, vectors, labels)

    @classmethod
    def fit_exclusive(cls, ids: list[str], texts: list[str], vectors: np.ndarray, targets: list[str],
                      regularisation: float) -> LinearHead:  # fmt: skip
        """One multinomial regression: each text has exactly one of ``ids`` (``targets[i]``)."""
        from sklearn.linear_model import LogisticRegression

        mean, scale = _moments(vectors)
        model = LogisticRegression(C=regularisation, max_iter=3000).fit((vectors - mean) / scale, targets)
        order = [list(model.classes_).index(b) for b in ids]
        coef = model.coef_ if len(ids) > 2 else np.vstack([-model.coef_[0] / 2, model.coef_[0] / 2])
        intercept = model.intercept_ if len(ids) > 2 else np.array([-model.intercept_[0] / 2, model.intercept_[0] / 2])
        weights, bias = _unstandardise(coef[order], intercept[order], mean, scale)
        labels = np.array([[t == b for b in ids] for t in targets], dtype=bool)
        return cls(ids, weights, bias, texts, vectors, labels, exclusive=True)

    def probabilities(self, vector: np.ndarray) -> dict[str, float]:
        logits = self.weights @ vector + self.bias
        if self.exclusive:  # softmax over the classes
            shifted = np.exp(logits - logits.max())
            return dict(zip(self.ids, (shifted / shifted.sum()).tolist(), strict=True))
        return dict(zip(self.ids, (1.0 / (1.0 + np.exp(-logits))).tolist(), strict=True))

    def like(self, label: str, vector: np.ndarray) -> str:
        """The training text with ``label`` nearest to ``vector`` (evidence for a user)."""
        rows = np.flatnonzero(self._labels[:, self._column[label]])
        return self._texts[int(rows[np.argmax(self._vectors[rows] @ vector)])]


def _moments(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return vectors.mean(axis=0), vectors.std(axis=0) + 1e-6


def _unstandardise(coef: np.ndarray, intercept: np.ndarray, mean: np.ndarray,
                   scale: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Fold the standardisation into the affine map: w·((x - mean) / scale) + b
    = (w / scale)·x + (b - w·mean / scale), so scoring needs raw vectors only."""
    weights = (coef / scale).astype(np.float32)
    return weights, (intercept - weights @ mean).astype(np.float32)


def head_key(*parts: object) -> str:
    """A digest of everything a fit depends on (training texts and labels, model, settings)."""
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False, default=str).encode()).hexdigest()[:20]


def load_head(folder: Path, key: str) -> LinearHead | None:
    """A head saved by ``save_head`` under ``key``; None when absent or unreadable (refit)."""
    path = folder / f"{key}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return LinearHead([str(i) for i in data["ids"]], data["weights"], data["bias"],
                              [str(t) for t in data["texts"]], data["vectors"], data["labels"],
                              exclusive=bool(data["exclusive"]))  # fmt: skip
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile):
        return None


def save_head(folder: Path, key: str, head: LinearHead) -> None:
    """Keep a fitted head (fitting costs seconds, mostly importing scikit-learn; loading ~10 ms)."""
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{key}.{os.getpid()}.tmp.npz"
    np.savez(tmp, ids=np.array(head.ids), weights=head.weights, bias=head.bias, texts=np.array(head._texts),
             vectors=head._vectors, labels=head._labels, exclusive=np.array(head.exclusive))  # fmt: skip
    tmp.replace(folder / f"{key}.npz")
