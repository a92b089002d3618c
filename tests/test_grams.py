"""Character n-gram tf-idf: the transform done here equals scikit-learn's, one text or many."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.grams import CharGrams
from assistant.text import key

TRAINING = [key(t) for t in ("你问别人去", "这事你找别人", "墙上贴着自己看", "您好请坐", "我帮您查一下", "请您稍等")]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("你问别人去", id="a training text"),
        pytest.param("别人那边问问", id="n-grams seen in training, new order"),
        pytest.param("别人别人别人", id="a repeated n-gram: sublinear tf"),
        pytest.param("完全陌生的话", id="no known n-gram: an empty feature vector"),
        pytest.param("", id="an empty text"),
    ],
)
def test_features_are_the_tfidf_scikit_learn_computes(text: str) -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    expected = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False
                               ).fit(TRAINING).transform([text]).toarray()[0]  # fmt: skip
    grams = CharGrams.fit(TRAINING)
    columns, values = grams.features(text)
    got = np.zeros(len(grams.vocabulary))
    got[columns] = values
    assert np.allclose(got, expected, atol=1e-6)
    assert np.allclose(grams.matrix([text, "您好"]).toarray()[0], expected, atol=1e-6)


def test_score_applies_weights_to_the_features() -> None:
    grams = CharGrams.fit(TRAINING)
    weights = np.arange(2 * len(grams.vocabulary), dtype=np.float32).reshape(2, -1)
    dense = grams.matrix(["别人别人"]).toarray()[0]
    assert np.allclose(grams.score(weights, "别人别人"), weights @ dense, atol=1e-4)


@pytest.mark.parametrize(
    "texts",
    [
        pytest.param(["你问别人去", "别人那边问问"], id="fewer than FEW: scored one by one"),
        pytest.param(["你问别人去", "别人别人别人", "", "完全陌生的话", "您好请坐", "请您稍等", "墙上贴着自己看", "我帮您查一下",
                      "这事你找别人"], id="a batch: repeats, an empty text, unknown grams"),  # fmt: skip
        pytest.param(["别人😒去", "请您稍等😀😀", "自己看", "a", "别", "别人", "墙上贴着", "您好"] * 3,
                     id="a batch with characters beyond the BMP and one-character texts"),  # fmt: skip
    ],
)
def test_scores_of_many_texts_equal_score_of_each(texts: list[str]) -> None:
    grams = CharGrams.fit(TRAINING + ["别人😒"])
    weights = np.random.default_rng(0).normal(size=(3, len(grams.vocabulary))).astype(np.float32)
    expected = np.array([grams.score(weights, t) for t in texts])
    assert np.allclose(grams.scores(weights, texts), expected, atol=1e-5)


def test_scores_of_no_texts_is_an_empty_matrix() -> None:
    grams = CharGrams.fit(TRAINING)
    assert grams.scores(np.ones((2, len(grams.vocabulary)), dtype=np.float32), []).shape == (0, 2)


@pytest.mark.parametrize(
    ("rows", "width"),
    [
        pytest.param(3, 4, id="vectors beside the n-grams"),
        pytest.param(3, 0, id="a head without vector columns"),
        pytest.param(0, 4, id="no rows"),
    ],
)
def test_dense_columns_stand_beside_the_ngrams_unchanged(rows: int, width: int) -> None:
    grams = CharGrams.fit(TRAINING)
    keys = (["你问别人去", "别人那边问问", ""] * 2)[:rows]
    dense = np.arange(rows * width, dtype=np.float32).reshape(rows, width) - 2.5
    stacked = grams.beside(keys, dense)
    assert stacked.format == "csr" and stacked.shape == (rows, len(grams.vocabulary) + width)
    assert np.array_equal(stacked.toarray(), np.hstack([grams.matrix(keys).toarray(), dense]))
