"""The linear head: with character n-grams it learns words a hashing vector cannot tell
apart, and a kept head (with or without n-grams) scores exactly like the fitted one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.heads import LinearHead, load_head, save_head

# The label is carried by one word (出示) in otherwise similar texts; the vectors are noise,
# so only the n-grams can learn it.
TEXTS = ["请出示身份证", "麻烦出示一下户口本", "请您出示营业执照", "出示一下结婚证",
         "请您稍等一下", "麻烦等一下", "请您坐一下", "户口本在这里"]  # fmt: skip
LABELS = np.array([[True]] * 4 + [[False]] * 4)
NOISE = np.random.default_rng(0).normal(size=(len(TEXTS), 16)).astype(np.float32)


@pytest.mark.parametrize(
    ("gram_weight", "learns"),
    [pytest.param(0.0, False, id="vector only: noise, nothing to learn"), pytest.param(10.0, True, id="with n-grams")],
)
def test_n_grams_let_the_head_learn_a_word(gram_weight: float, learns: bool) -> None:
    head = LinearHead.fit(["request_documents"], TEXTS, NOISE, LABELS, 1.0, gram_weight)
    vector = np.zeros(16, dtype=np.float32)  # a new text whose vector says nothing
    shown = head.probabilities(vector, "您好,请出示社保卡")["request_documents"]
    hidden = head.probabilities(vector, "您好,请您稍坐")["request_documents"]
    assert (shown > 0.5 > hidden) is learns


@pytest.mark.parametrize("gram_weight", [pytest.param(0.0, id="vector only"), pytest.param(10.0, id="with n-grams")])
def test_a_kept_head_scores_like_the_fitted_one(tmp_path: Path, gram_weight: float) -> None:
    head = LinearHead.fit(["request_documents"], TEXTS, NOISE, LABELS, 1.0, gram_weight)
    save_head(tmp_path, "k", head)
    kept = load_head(tmp_path, "k")
    assert kept is not None and (kept.grams is None) == (gram_weight == 0.0)
    for text, vector in zip(TEXTS, NOISE, strict=True):
        assert kept.probabilities(vector, text) == pytest.approx(head.probabilities(vector, text), abs=1e-6)


def test_nearest_reads_the_closest_training_text_of_each_label() -> None:
    vectors = np.eye(4, dtype=np.float32)
    head = LinearHead.fit_exclusive(["a", "b"], ["w", "x", "y", "z"], vectors, ["a", "a", "b", "b"], 1.0)
    query = np.array([0.6, 0.0, 0.8, 0.0], dtype=np.float32)  # nearest "a" text is w, nearest "b" is y
    assert head.nearest(query) == pytest.approx({"a": 0.6, "b": 0.8})
    kept_vectors = np.array([[0.0, 1.0, 0.0, 0.0]], dtype=np.float32)
    assert head.nearest(kept_vectors[0]) == pytest.approx({"a": 1.0, "b": 0.0})


def test_nearest_of_a_multinomial_head_matches_the_brute_force_reading() -> None:
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    ids = [f"p{i}" for i in range(7)]
    targets = [ids[(i * 5) % 7] for i in range(300)]  # labels interleaved, not grouped
    head = LinearHead.fit_exclusive(ids, [str(i) for i in range(300)], vectors, targets, 1.0)
    for query in rng.normal(size=(20, 16)).astype(np.float32):
        brute = np.where(head._labels, (vectors @ query)[:, None], -1.0).max(axis=0)
        assert [head.nearest(query)[i] for i in ids] == pytest.approx(brute.tolist(), abs=1e-5)
