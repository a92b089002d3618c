"""Hybrid retrieval over the knowledge base and a hall's own documents.

Two rankers, fused by reciprocal rank fusion (RRF):

* lexical — BM25 over jieba words (with a user dictionary of service terms such as 首问负责,
  一次性告知) plus character bigrams, so a question and a passage that share no segmented
  word can still meet; kept as a sparse matrix so 100k passages score in milliseconds.
* dense — the checker's embedding model (``query: ``/``passage: `` prompts) in faiss: exact
  inner product for small corpora, HNSW above ``HNSW_THRESHOLD`` passages.

A ranker whose scores are all zero for a query is skipped rather than adding noise. The
index is persisted under the cache, keyed by a hash of the passages and the model.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.embeddings import Embedder, Kind
from assistant.text import query_form

INDEX_VERSION = 3
HNSW_THRESHOLD = 20_000  # measured: flat search passes 10 ms here near 20k passages (README)
RRF_K = 5  # tuned on evals/ask_dev.jsonl (145 questions; differences of 1–3 questions)
LEXICAL_WEIGHT = 2.0  # relative to dense (weaker on colloquial questions); tuned on ask_dev
CANDIDATES = 50
Mode = Literal["hybrid", "lexical", "dense"]
_HAN_RUN = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]{2,}")
# Words that carry no topic in a citizen's question.
STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 么 嘛 我 你 您 他 她 它 们 是 在 有 和 与 及 或 就 都 也 还 要 会 能 可以 "
    "这 那 个 一 什么 怎么 怎样 如何 请问 请 一下 哪 哪里 哪儿 多少 几 为什么 是不是 能不能 可不可以 "
    "没 不 人 去 来 到 给 让 被 把 对 上 下 中 里 吗 得 着 过 想 问 说 办 事".split()
)


class Passage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    text: str
    source: str  # human-readable citation: document and section
    kind: str  # procedure, principle, stage, rule, situation, hall, document
    collection: str = "knowledge"
    points: list[str] = []
    questions: list[str] = []  # example citizen questions: indexed, never shown

    @property
    def searchable(self) -> str:
        return self.body + ("\n" + "\n".join(self.questions) if self.questions else "")

    @property
    def body(self) -> str:
        return f"{self.title}\n{self.text}"


class Hit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    passage: Passage
    score: float
    lexical: float
    dense: float


@lru_cache(maxsize=1)
def _base_jieba() -> Any:
    import jieba

    jieba.setLogLevel(60)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


class Tokenizer:
    """jieba words (search mode) plus character bigrams; its own jieba instance, no globals."""

    def __init__(self, terms: Sequence[str] = ()) -> None:
        import jieba

        base = _base_jieba()
        self._jieba = jieba.Tokenizer()
        # share the loaded dictionary (1.5 s to load) instead of reading it again
        self._jieba.FREQ, self._jieba.total, self._jieba.initialized = dict(base.FREQ), base.total, True
        for term in terms:
            self._jieba.add_word(term, freq=20000)

    def __call__(self, text: str) -> list[str]:
        return list(self._tokens(text))

    @lru_cache(maxsize=4096)  # noqa: B019 - one tokenizer per index; answers re-tokenize passages
    def _tokens(self, text: str) -> tuple[str, ...]:
        lowered = text.lower()
        words = [w for w in self._jieba.lcut_for_search(lowered) if _WORD.match(w) and w not in STOPWORDS]
        bigrams = [
            "#" + run[i : i + 2] for run in _HAN_RUN.findall(lowered) for i in range(len(run) - 1)
        ]
        return tuple(words + bigrams)


class LexicalIndex:
    """BM25 weights in a sparse (passages × terms) matrix."""

    def __init__(self, vocab: dict[str, int], matrix: Any) -> None:
        self.vocab = vocab
        self.matrix = matrix.tocsc()

    @classmethod
    def build(cls, docs: list[list[str]], k1: float = 1.2, b: float = 0.75) -> LexicalIndex:
        from scipy import sparse

        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        for row, tokens in enumerate(docs):
            for token in tokens:
                rows.append(row)
                cols.append(vocab.setdefault(token, len(vocab)))
        n = len(docs)
        tf = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, max(len(vocab), 1)))
        tf.sum_duplicates()
        lengths = np.array([max(len(d), 1) for d in docs], np.float32)
        df = np.bincount(tf.indices, minlength=tf.shape[1]).astype(np.float32)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
        norm = k1 * (1 - b + b * lengths / lengths.mean()) if n else lengths
        coo = tf.tocoo()
        weights = idf[coo.col] * coo.data * (k1 + 1) / (coo.data + norm[coo.row])
        return cls(vocab, sparse.csr_matrix((weights, (coo.row, coo.col)), shape=coo.shape))

    def scores(self, tokens: list[str]) -> np.ndarray:
        ids = sorted({self.vocab[t] for t in tokens if t in self.vocab})
        if not ids:
            return np.zeros(self.matrix.shape[0], np.float32)
        return np.asarray(self.matrix[:, ids].sum(axis=1)).ravel()


def chunks(passage: Passage) -> list[tuple[str, Kind]]:
    """What the dense index embeds for a passage: its head, each point under its title, and
    its example questions (as queries, so question meets question symmetrically).

    A question usually targets one point of a long procedure; scoring a passage by its best
    chunk (max-sim) keeps that point from being diluted by the rest of the passage."""
    head = f"{passage.title}: {passage.text.split(chr(10))[0]}"
    return [(head, "passage"), *((f"{passage.title}: {p}", "passage") for p in passage.points),
            *((q, "query") for q in passage.questions)]  # fmt: skip


class DenseIndex:
    def __init__(self, index: Any, owners: np.ndarray) -> None:
        self.index = index
        self.owners = owners  # chunk row → passage index

    @classmethod
    def build(cls, vectors: np.ndarray, owners: np.ndarray | None = None) -> DenseIndex:
        import faiss

        dim = vectors.shape[1]
        index: Any
        if len(vectors) >= HNSW_THRESHOLD:
            index = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = 80
            index.hnsw.efSearch = 96
        else:
            index = faiss.IndexFlatIP(dim)
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(index, owners if owners is not None else np.arange(len(vectors)))

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top ``k`` passages by their best chunk: (passage ids, cosines), best first."""
        wanted = min(k * 4, self.index.ntotal)
        scores, ids = self.index.search(vector.reshape(1, -1).astype(np.float32), wanted)
        best: dict[int, float] = {}
        for chunk, score in zip(ids[0], scores[0], strict=True):
            if chunk >= 0:  # faiss pads missing neighbours with -1
                owner = int(self.owners[chunk])
                best.setdefault(owner, float(score))  # results are sorted: first is the max
        top = list(best.items())[:k]
        return np.array([o for o, _ in top], dtype=np.int64), np.array([v for _, v in top], dtype=np.float32)


def rrf(rankings: list[list[int]], k: int = RRF_K, weights: list[float] | None = None) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings), strict=True):
        for rank, doc in enumerate(ranking):
            fused[doc] = fused.get(doc, 0.0) + weight / (k + rank + 1)
    return fused


def corpus_key(passages: Sequence[Passage], model_name: str) -> str:
    digest = hashlib.sha256(f"v{INDEX_VERSION}|{model_name}|".encode())
    for passage in passages:
        digest.update(passage.model_dump_json().encode())
    return digest.hexdigest()[:20]


class Retriever:
    def __init__(self, passages: list[Passage], embedder: Embedder, tokenizer: Tokenizer,
                 lexical: LexicalIndex, dense: DenseIndex) -> None:  # fmt: skip
        self.passages = passages
        self.embedder = embedder
        self.tokenizer = tokenizer
        self.lexical = lexical
        self.dense = dense
        self.lexical_weight = LEXICAL_WEIGHT
        self.rrf_k = RRF_K

    @classmethod
    def build(cls, passages: list[Passage], embedder: Embedder, terms: Sequence[str] = (),
              vectors: np.ndarray | None = None) -> Retriever:  # fmt: skip
        tokenizer = Tokenizer(terms)
        lexical = LexicalIndex.build([tokenizer(p.searchable) for p in passages])
        pieces = [(text, kind, index) for index, p in enumerate(passages) for text, kind in chunks(p)]
        owners = [index for _, _, index in pieces]
        if vectors is None:
            vectors = np.zeros((len(pieces), embedder.dim), np.float32)
            for kind in ("passage", "query"):
                rows = [i for i, piece in enumerate(pieces) if piece[1] == kind]
                if rows:
                    vectors[rows] = embedder.embed([pieces[i][0] for i in rows], kind=kind)
        else:
            owners = list(range(len(passages)))  # precomputed: one vector per passage
        return cls(passages, embedder, tokenizer, lexical, DenseIndex.build(vectors, np.array(owners)))

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid", vector: np.ndarray | None = None) -> list[Hit]:
        """Top ``k`` passages; pass ``vector`` if the query (in ``query_form``) is already embedded."""
        if not self.passages:
            return []
        query = query_form(query)
        lexical = self.lexical.scores(self.tokenizer(query)) if mode != "dense" else None
        dense_ids: np.ndarray = np.array([], dtype=np.int64)
        dense_scores: np.ndarray = np.array([], dtype=np.float32)
        if mode != "lexical":
            if vector is None:
                vector = self.embedder.embed([query], kind="query")[0]
            dense_ids, dense_scores = self.dense.search(vector, CANDIDATES)
        rankings: list[list[int]] = []
        weights: list[float] = []
        if lexical is not None and lexical.max() > 0:  # an all-zero ranker would add noise
            top = np.argsort(-lexical)[:CANDIDATES]
            rankings.append([int(i) for i in top if lexical[i] > 0])
            weights.append(self.lexical_weight)
        if len(dense_ids):
            rankings.append([int(i) for i in dense_ids])
            weights.append(1.0)
        fused = rrf(rankings, self.rrf_k, weights)
        dense_of = {int(i): float(s) for i, s in zip(dense_ids, dense_scores, strict=True)}
        best = sorted(fused, key=lambda d: -fused[d])[:k]
        return [
            Hit(passage=self.passages[d], score=round(fused[d], 5),
                lexical=round(float(lexical[d]) if lexical is not None else 0.0, 4),
                dense=round(dense_of.get(d, 0.0), 4))  # fmt: skip
            for d in best
        ]

    # -- persistence ------------------------------------------------------------------------
    def save(self, directory: Path) -> None:
        import faiss
        from scipy import sparse

        directory.mkdir(parents=True, exist_ok=True)
        (directory / "passages.json").write_text(
            json.dumps([p.model_dump() for p in self.passages], ensure_ascii=False), encoding="utf-8"
        )
        (directory / "vocab.json").write_text(json.dumps(self.lexical.vocab, ensure_ascii=False), encoding="utf-8")
        sparse.save_npz(directory / "bm25.npz", self.lexical.matrix.tocsr())
        faiss.write_index(self.dense.index, str(directory / "dense.faiss"))
        np.save(directory / "owners.npy", self.dense.owners)

    @classmethod
    def load(cls, directory: Path, embedder: Embedder, terms: Sequence[str] = ()) -> Retriever:
        import faiss
        from scipy import sparse

        passages = [Passage.model_validate(p) for p in json.loads((directory / "passages.json").read_text("utf-8"))]
        vocab = json.loads((directory / "vocab.json").read_text("utf-8"))
        lexical = LexicalIndex(vocab, sparse.load_npz(directory / "bm25.npz"))
        dense = DenseIndex(faiss.read_index(str(directory / "dense.faiss")), np.load(directory / "owners.npy"))
        return cls(passages, embedder, Tokenizer(terms), lexical, dense)


def open_index(passages: list[Passage], embedder: Embedder, cache_dir: Path,
               terms: Sequence[str] = ()) -> Retriever:  # fmt: skip
    """Load the persisted index for these passages and model, building it if absent or stale."""
    directory = cache_dir / "index" / corpus_key(passages, embedder.name)
    if (directory / "dense.faiss").is_file():
        return Retriever.load(directory, embedder, terms)
    retriever = Retriever.build(passages, embedder, terms)
    tmp = directory.with_name(directory.name + ".tmp")
    retriever.save(tmp)
    tmp.replace(directory) if not directory.exists() else None
    return retriever
