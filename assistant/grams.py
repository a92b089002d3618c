"""Character n-grams of a text's skeleton, weighted by tf-idf: the view of a reply that keeps
the exact words carrying its stance or act (别人, 自己看, 请出示, 还需要), which e5 vectors
blur. The learned heads (``stance.py``, ``heads.py``) read it beside the e5 vector.

The vocabulary and idf come from scikit-learn's ``TfidfVectorizer`` at fit time; the transform
is re-done here (tested equal), so scoring needs neither scikit-learn nor a sparse matrix.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from itertools import chain
from typing import Any, cast

import numpy as np

NGRAMS = (1, 3)
FEW = 8  # below this many texts ``scores`` loops: the array passes' fixed cost outweighs a text's


@lru_cache(maxsize=4096)
def _slices(n: int, length: int) -> tuple[slice, ...]:
    """The slices of every n-gram of a text ``length`` long."""
    return tuple(slice(i, i + n) for i in range(length - n + 1))


class CharGrams:
    def __init__(self, vocabulary: list[str], idf: np.ndarray) -> None:
        self.vocabulary, self.idf = vocabulary, idf
        self._column = {gram: i for i, gram in enumerate(vocabulary)}
        self._idf = idf.tolist()
        self._tables: list[tuple[np.ndarray, np.ndarray]] | None = None  # for ``scores``

    @classmethod
    def fit(cls, keys: Sequence[str]) -> CharGrams:
        from sklearn.feature_extraction.text import TfidfVectorizer

        tfidf = TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, lowercase=False).fit(keys)
        return cls([str(g) for g in tfidf.get_feature_names_out()], np.asarray(tfidf.idf_, dtype=np.float32))

    def features(self, key: str) -> tuple[list[int], np.ndarray]:
        """The text's sublinear tf-idf, L2-normalised, as (columns, values)."""
        # slicing by mapping str.__getitem__ over cached slices, looking the grams up with
        # map(dict.get) and counting them all run in C (grams outside the vocabulary count
        # under None, dropped after); plain Python beats numpy for the few dozen grams of a reply
        get, idf = self._column.get, self._idf
        found = Counter(chain.from_iterable(map(get, map(key.__getitem__, _slices(n, len(key))))
                                            for n in range(NGRAMS[0], NGRAMS[1] + 1)))  # fmt: skip
        found.pop(None, None)
        counts = cast("Counter[int]", found)
        columns = list(counts)
        weights = [idf[j] * (1.0 + math.log(c)) if c > 1 else idf[j] for j, c in counts.items()]
        norm = math.sqrt(sum(w * w for w in weights))
        return columns, np.array([w / norm for w in weights] if norm else weights, dtype=np.float32)

    def scores(self, weights: np.ndarray, keys: Sequence[str]) -> np.ndarray:
        """``score`` of many texts at once, (texts × labels), in numpy: every gram of every
        text is hashed to an integer (code points, 21 bits each), looked up in the sorted
        hashes of the vocabulary and counted in one pass, so a batch costs a few array
        operations instead of a Python loop per text (71 → 14 µs a reply in batches of 64)."""
        out = np.zeros((len(keys), weights.shape[0]), dtype=np.float64)
        if len(keys) < FEW:
            for i, k in enumerate(keys):
                out[i] = self.score(weights, k)
            return out
        lengths = np.fromiter(map(len, keys), dtype=np.int64, count=len(keys))
        if not lengths.sum():
            return out
        points = np.frombuffer("".join(keys).encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        row = np.repeat(np.arange(len(keys)), lengths)
        room = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(points))  # chars left in its text
        rows, columns = [], []
        for n, (hashes, ids) in enumerate(self._hash_tables(), start=NGRAMS[0]):
            at = np.flatnonzero(room >= n)
            gram = points[at]
            for step in range(1, n):
                gram = (gram << np.uint64(21)) | points[at + step]
            # distinct grams, sorted, are looked up far faster than all of them in text order
            distinct, where = np.unique(gram, return_inverse=True)
            place = np.minimum(np.searchsorted(hashes, distinct), max(len(hashes) - 1, 0))
            known = (hashes[place] == distinct)[where] if len(hashes) else np.zeros(len(gram), dtype=bool)
            rows.append(row[at[known]])
            columns.append(ids[place[where[known]]])
        width = len(self.vocabulary)
        cells, counts = np.unique(np.concatenate(rows) * width + np.concatenate(columns), return_counts=True)
        if not len(cells):
            return out
        cell_row, cell_column = cells // width, cells % width
        tfidf = self.idf[cell_column].astype(np.float64) * (1.0 + np.log(counts))
        norm = np.sqrt(np.bincount(cell_row, tfidf * tfidf, minlength=len(keys)))
        tfidf /= norm[cell_row]
        for label in range(weights.shape[0]):
            out[:, label] = np.bincount(cell_row, weights[label, cell_column] * tfidf, minlength=len(keys))
        return out

    def _hash_tables(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per gram length 1..3, the vocabulary's grams hashed as ``scores`` hashes them
        (sorted) and their columns, built on first use."""
        if self._tables is None:
            self._tables = []
            for n in range(NGRAMS[0], NGRAMS[1] + 1):
                ids = np.array([i for i, g in enumerate(self.vocabulary) if len(g) == n], dtype=np.int64)
                hashes = np.zeros(len(ids), dtype=np.uint64)
                for k in range(n):
                    chars = [ord(self.vocabulary[i][k]) for i in ids]
                    hashes = (hashes << np.uint64(21)) | np.array(chars, dtype=np.uint64)
                order = np.argsort(hashes, kind="stable")
                self._tables.append((hashes[order], ids[order]))
        return self._tables

    def matrix(self, keys: Sequence[str]) -> Any:
        """A (texts × vocabulary) sparse matrix of ``features``, for fitting."""
        from scipy import sparse

        rows = [self.features(k) for k in keys]
        indptr = np.cumsum([0] + [len(c) for c, _ in rows])
        columns = np.array([c for cs, _ in rows for c in cs], dtype=np.int64)
        values = np.concatenate([v for _, v in rows]) if rows else np.zeros(0, dtype=np.float32)
        return sparse.csr_matrix((values, columns, indptr), shape=(len(keys), len(self.vocabulary)))

    def beside(self, keys: Sequence[str], dense: np.ndarray) -> Any:
        """``matrix(keys)`` with ``dense`` (one row per key) as extra columns on the right, in CSR."""
        from scipy import sparse

        return sparse.hstack([self.matrix(keys), dense_csr(dense)], format="csr")

    def score(self, weights: np.ndarray, key: str) -> np.ndarray:
        """``weights`` (labels × vocabulary) applied to the text's features."""
        columns, values = self.features(key)
        return np.asarray(weights[:, columns] @ values)


def dense_csr(dense: np.ndarray) -> Any:
    """A dense matrix as CSR, built directly: ``csr_matrix(dense)`` goes through COO with int64
    row and column arrays, ≈ 450 MB at its peak for the stance head's 27k × 384 vectors, and set
    the fitting start's peak RSS."""
    from scipy import sparse

    rows, width = dense.shape
    dtype = np.int32 if rows * width < 2**31 else np.int64
    indptr = np.arange(rows + 1, dtype=dtype) * width  # (a head may have no vector columns)
    indices = np.tile(np.arange(width, dtype=indptr.dtype), rows)
    return sparse.csr_matrix((np.ascontiguousarray(dense).ravel(), indices, indptr), shape=dense.shape)
