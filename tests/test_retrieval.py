"""Hybrid retrieval plumbing with the fake embedder: ranking, fusion, persistence, faiss."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant import retrieval
from assistant.embeddings import FakeEmbedder
from assistant.retrieval import (
    LexicalIndex,
    Passage,
    Retriever,
    Tokenizer,
    corpus_key,
    open_index,
    rrf,
)
from assistant.text import query_form

PASSAGES = [
    Passage(id="p1", title="一次性告知", text="材料不齐全时,一次性告知需要补正的全部材料,并出具补正材料告知书。", source="m002 事项受理", kind="procedure"),
    Passage(id="p2", title="限时办结", text="即办件当场办结;承诺件在承诺时限内办结。", source="m003 限时办结制度", kind="procedure"),
    Passage(id="p3", title="首问负责", text="第一个接待群众的工作人员负责解答或引导到相关窗口。", source="m003 首问负责制度", kind="procedure"),
    Passage(id="p4", title="办公时间", text="周一至周五上午九点至十二点,下午一点半至五点。", source="m000 考勤制度", kind="hall"),
]


@pytest.fixture
def retriever(fake_embedder: FakeEmbedder) -> Retriever:
    return Retriever.build(PASSAGES, fake_embedder, terms=["一次性告知", "首问负责"])


def test_tokenizer_adds_character_bigrams_and_keeps_service_terms() -> None:
    tokens = Tokenizer(["一次性告知"])("一次性告知的材料")
    assert "一次性告知" in tokens
    assert "#材料" in tokens and "的" not in tokens


@pytest.mark.parametrize("mode", ["hybrid", "lexical", "dense"])
def test_each_ranker_finds_the_passage_that_shares_the_words(retriever: Retriever, mode: str) -> None:
    hits = retriever.search("材料不齐全要补正什么", k=2, mode=mode)  # type: ignore[arg-type]
    assert hits[0].passage.id == "p1"


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("材料不齊全要補正什麼", id="traditional characters"),
        pytest.param("材料ＢＵ齐全要补正什么", id="full-width letters"),
        pytest.param("材料唔齐全要补正咩嘢", id="Cantonese function words"),
    ],
)
def test_a_query_is_read_in_the_form_the_knowledge_is_written_in(retriever: Retriever, typed: str) -> None:
    # jieba and the bigrams only match what the passages spell: 齊全 must meet 齐全
    hits = retriever.search(typed, k=1, mode="lexical")
    assert hits and hits[0].passage.id == "p1"
    assert hits[0].lexical == retriever.search(query_form(typed), k=1, mode="lexical")[0].lexical


def test_a_lexical_ranker_with_no_overlap_is_skipped_not_fused(retriever: Retriever) -> None:
    lexical_only = retriever.search("xyz", k=4, mode="lexical")
    assert lexical_only == []
    hybrid = retriever.search("xyz", k=4)
    dense = retriever.search("xyz", k=4, mode="dense")
    assert [h.passage.id for h in hybrid] == [h.passage.id for h in dense]


def test_rrf_rewards_agreement_between_rankers() -> None:
    fused = rrf([[1, 2, 3], [2, 1, 4]])
    assert fused[1] == fused[2] > fused[3] > 0
    assert fused[3] == fused[4]


def test_bm25_prefers_rare_terms() -> None:
    index = LexicalIndex.build([["a", "common"], ["b", "common"], ["rare", "common"]])
    scores = index.scores(["rare", "common"])
    assert int(np.argmax(scores)) == 2


def test_index_is_persisted_and_reloaded_by_content_hash(tmp_path: Path, fake_embedder: FakeEmbedder) -> None:
    first = open_index(PASSAGES, fake_embedder, tmp_path)
    folders = list((tmp_path / "index").iterdir())
    assert len(folders) == 1
    again = open_index(PASSAGES, fake_embedder, tmp_path)
    assert [h.passage.id for h in again.search("办公时间")] == [h.passage.id for h in first.search("办公时间")]
    changed = [*PASSAGES[:3], PASSAGES[3].model_copy(update={"text": "周一至周六全天"})]
    assert corpus_key(changed, fake_embedder.name) != corpus_key(PASSAGES, fake_embedder.name)
    open_index(changed, fake_embedder, tmp_path)
    assert len(list((tmp_path / "index").iterdir())) == 2


def test_large_corpora_use_hnsw_and_still_find_exact_neighbours(monkeypatch: pytest.MonkeyPatch) -> None:
    import faiss

    monkeypatch.setattr(retrieval, "HNSW_THRESHOLD", 100)
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(500, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    index = retrieval.DenseIndex.build(vectors)
    assert isinstance(index.index, faiss.IndexHNSWFlat)
    ids, _ = index.search(vectors[123], 5)
    assert ids[0] == 123


def test_faiss_padding_is_dropped_when_k_exceeds_the_corpus(fake_embedder: FakeEmbedder) -> None:
    small = Retriever.build(PASSAGES[:2], fake_embedder)
    hits = small.search("材料", k=10, mode="dense")
    assert sorted(h.passage.id for h in hits) == ["p1", "p2"]
