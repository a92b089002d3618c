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
STANCE_VERSION = 4  # bump when the features change: kept heads are refitted


def neutral(key: str) -> str:
    """The n-gram view of a clause with 您 read as 你: the honorific says nothing about the
    stance ("刚才不是跟您说过了吗" is as impatient as with 你), but clean replies say 您 far
    more often, so without this the head learns 您 as a sign of a clean clause. The e5
    vector still sees the original; the etiquette score judges the pronoun."""
    return key.replace("您", "你")


REPLY_C = 16.0  # the reply head's regularisation, by 5-fold CV on dev (evals/tune_stance.py)
GATE_C = 4.0  # the model gate's regularisation: the stance head's C, not tuned (its threshold was, by CV)
RUDE = "rude"  # the model gate's one label: the clause breaks some rule
FIT_SETTINGS = (STANCE_C, STANCE_VECTOR_WEIGHT, REPLY_C, GATE_C, STANCE_VERSION)  # what a kept head's key includes


class ReplyHead:
    """Which rules a whole reply breaks, from its character n-grams alone: one logistic
    regression per rule (``sigmoid(weights · tfidf(key) + bias)``). A rude clause that the
    stance head alone doubts ("问得我手都乱了", 0.33) is often plain from the whole reply
    ("您别在边上一直问了，问得我手都乱了"); the checker fires when both agree (see
    ``Thresholds.reply``). No model call: the reply's n-grams are a few dictionary lookups."""

    def __init__(self, labels: list[str], grams: CharGrams, weights: np.ndarray, bias: np.ndarray) -> None:
        self.labels, self.grams, self.weights, self.bias = labels, grams, weights, bias

    @classmethod
    def fit(cls, keys: Sequence[str], labels: Sequence[Sequence[str]], regularisation: float = REPLY_C) -> ReplyHead | None:
        """``keys[i]`` (a reply's skeleton) breaks the rules ``labels[i]``; None when fewer than
        two replies are labelled or no rule has both examples and counter-examples."""
        from sklearn.linear_model import LogisticRegression

        keys = [neutral(k) for k in keys]
        rules = sorted({r for ls in labels for r in ls if r != NONE})
        rules = [r for r in rules if 0 < sum(r in ls for ls in labels) < len(labels)]
        if not rules:
            return None
        grams = CharGrams.fit(keys)
        matrix = grams.matrix(keys)
        models = [LogisticRegression(C=regularisation, max_iter=3000).fit(matrix, [r in ls for ls in labels]) for r in rules]
        return cls(rules, grams, np.array([m.coef_[0] for m in models], dtype=np.float32),
                   np.array([m.intercept_[0] for m in models], dtype=np.float32))  # fmt: skip

    def probabilities(self, key: str) -> dict[str, float]:
        logits = self.grams.score(self.weights, neutral(key)) + self.bias
        return dict(zip(self.labels, (1.0 / (1.0 + np.exp(-logits))).tolist(), strict=True))

    def arrays(self, prefix: str = "reply") -> dict[str, np.ndarray]:
        return {f"{prefix}_labels": np.array(self.labels), f"{prefix}_vocabulary": np.array(self.grams.vocabulary),
                f"{prefix}_idf": self.grams.idf, f"{prefix}_weights": self.weights, f"{prefix}_bias": self.bias}  # fmt: skip

    @classmethod
    def from_arrays(cls, data: dict[str, np.ndarray], prefix: str = "reply") -> ReplyHead | None:
        names = [f"{prefix}_{part}" for part in ("labels", "vocabulary", "idf", "weights", "bias")]
        if not set(names) <= set(data):
            return None
        labels, vocabulary, idf, weights, bias = (data[n] for n in names)
        return cls([str(x) for x in labels], CharGrams([str(x) for x in vocabulary], idf), weights, bias)


class StanceHead:
    """Softmax over ``labels`` (``NONE`` and rule ids) of ``text_weights · tfidf(key) +
    vector_weights · vector + bias``, with the ``reply`` head learned beside it, and the
    ``gate``: the probability that a clause breaks any rule from its n-grams alone, which
    decides whether the clause is worth a model call at all (``Thresholds.skip``)."""

    def __init__(self, labels: list[str], grams: CharGrams, text_weights: np.ndarray,
                 vector_weights: np.ndarray, bias: np.ndarray, reply: ReplyHead | None = None,
                 gate: ReplyHead | None = None) -> None:  # fmt: skip
        self.labels, self.grams = labels, grams
        self.text_weights, self.vector_weights, self.bias = text_weights, vector_weights, bias
        self.reply, self.gate = reply, gate

    @classmethod
    def fit(cls, keys: Sequence[str], vectors: np.ndarray, targets: Sequence[str], regularisation: float,
            vector_weight: float) -> StanceHead:  # fmt: skip
        """``keys[i]`` (a clause skeleton) with e5 ``vectors[i]`` has label ``targets[i]``;
        ``regularisation`` is scikit-learn's C, ``vector_weight`` scales the vector's columns
        against the unit-length n-gram part."""
        from sklearn.linear_model import LogisticRegression

        keys = [neutral(k) for k in keys]
        grams = CharGrams.fit(keys)
        features = grams.beside(keys, vectors * vector_weight)
        model = LogisticRegression(C=regularisation, max_iter=3000).fit(features, list(targets))
        width = len(grams.vocabulary)
        coef = np.asarray(model.coef_, dtype=np.float32)
        return cls([str(c) for c in model.classes_], grams, coef[:, :width], coef[:, width:] * vector_weight,
                   np.asarray(model.intercept_, dtype=np.float32))  # fmt: skip

    def probabilities(self, key: str, vector: np.ndarray) -> dict[str, float]:
        logits = self.grams.score(self.text_weights, neutral(key)) + self.vector_weights @ vector + self.bias
        shifted = np.exp(logits - logits.max())
        return dict(zip(self.labels, (shifted / shifted.sum()).tolist(), strict=True))

    def save(self, path: Path) -> None:
        write_arrays(path, {"labels": np.array(self.labels), "vocabulary": np.array(self.grams.vocabulary),
                            "idf": self.grams.idf, "text_weights": self.text_weights,
                            "vector_weights": self.vector_weights, "bias": self.bias,
                            **(self.reply.arrays() if self.reply is not None else {}),
                            **(self.gate.arrays("gate") if self.gate is not None else {})})  # fmt: skip

    @classmethod
    def load(cls, path: Path) -> StanceHead | None:
        """A head saved by ``save``; None when absent or unreadable (then it is refitted)."""
        data = read_arrays(path)
        if data is None or not {"labels", "vocabulary", "idf", "text_weights", "vector_weights", "bias"} <= set(data):
            return None
        grams = CharGrams([str(x) for x in data["vocabulary"]], data["idf"])
        return cls([str(x) for x in data["labels"]], grams, data["text_weights"], data["vector_weights"], data["bias"],
                   ReplyHead.from_arrays(data), ReplyHead.from_arrays(data, "gate"))  # fmt: skip


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
               vector_weight: float, reply_keys: Sequence[str] = ()) -> StanceHead:  # fmt: skip
    """Fit on the known rows, let that fit pick each longer reply's rude clause per label, refit;
    with ``reply_keys`` (the skeleton of each of ``replies``) fit the reply head too, on those
    replies and the ``knowledge`` rows."""
    rows, undecided = training_rows(knowledge, replies)

    def fit(data: list[tuple[str, str]]) -> StanceHead:
        return StanceHead.fit([key_of[t] for t, _ in data], np.stack([vector_of[t] for t, _ in data]),
                              [label for _, label in data], regularisation, vector_weight)  # fmt: skip

    first = fit(rows)
    picked = []
    for clauses, labels in undecided:
        probabilities = [first.probabilities(key_of[c], vector_of[c]) for c in clauses]
        picked += [(clauses[int(np.argmax([p.get(label, 0.0) for p in probabilities]))], label) for label in labels]
    head = fit(rows + picked)
    # the gate learns from the same clauses whether one breaks any rule, without the vector
    head.gate = ReplyHead.fit([key_of[t] for t, _ in rows + picked],
                              [[RUDE] if label != NONE else [] for _, label in rows + picked], GATE_C)  # fmt: skip
    if reply_keys:  # the knowledge's wordings are short replies too (the manuals' headings among them)
        head.reply = ReplyHead.fit([key_of[t] for t, _ in knowledge] + list(reply_keys),
                                   [[label] if label != NONE else [] for _, label in knowledge]
                                   + [labels for _, labels in replies])  # fmt: skip
    return head
