"""The embedding cache: each text is embedded once, reference vectors outlive the process,
the model loads only when a text is missing, and what users type is never written to disk."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from assistant.embeddings import CachedEmbedder, Embedder, FakeEmbedder, Kind


class CountingEmbedder(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        self.calls.append(list(texts))
        return super().embed(texts, kind)


def never_loaded() -> Embedder:
    raise AssertionError("the model was loaded although every text was cached")


def test_each_text_is_embedded_once_and_vectors_match_the_model() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner)
    first = cached.embed(["您好", "不知道", "您好"])
    again = cached.embed(["不知道", "请稍等"])
    assert inner.calls == [["您好", "不知道"], ["请稍等"]]
    np.testing.assert_allclose(first, FakeEmbedder().embed(["您好", "不知道", "您好"]))
    np.testing.assert_allclose(again[0], first[1])


def test_query_and_passage_prompts_are_cached_apart() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner)
    cached.embed(["首问负责"], kind="query")
    cached.embed(["首问负责"], kind="passage")
    assert len(inner.calls) == 2


def test_reference_vectors_are_reloaded_without_loading_the_model(tmp_path: Path) -> None:
    path = tmp_path / "vectors.npz"
    first = CachedEmbedder(FakeEmbedder(), path=path)
    with first.reference():
        reference = first.embed(["请您出示身份证", "不知道"])
    first.save()
    later = CachedEmbedder(loader=never_loaded, name="fake-256", path=path)
    assert later.dim == 256 and not later.loaded
    np.testing.assert_allclose(later.embed(["不知道", "请您出示身份证"]), reference[::-1])
    assert not later.loaded


def _counting_loader(loads: list[int]) -> Callable[[], Embedder]:
    """A loader of the fake model that notes each load in ``loads``."""

    def loader() -> Embedder:
        loads.append(1)
        return FakeEmbedder()

    return loader


def test_the_model_loads_on_the_first_text_that_is_not_cached(tmp_path: Path) -> None:
    loads: list[int] = []
    cached = CachedEmbedder(loader=_counting_loader(loads), name="fake-256", path=tmp_path / "none.npz")
    assert not loads
    cached.embed(["您好"])
    cached.embed(["再见"])
    assert loads == [1]


def test_a_released_model_loads_again_on_the_next_missing_text(tmp_path: Path) -> None:
    loads: list[int] = []
    cached = CachedEmbedder(loader=_counting_loader(loads), name="fake-256", path=tmp_path / "none.npz")
    first = cached.embed(["您好"])
    cached.release()
    assert not cached.loaded
    np.testing.assert_allclose(cached.embed(["您好"]), first)  # cached: no reload
    assert loads == [1]
    cached.embed(["再见"])
    assert loads == [1, 1] and cached.loaded


def test_a_model_given_without_a_loader_is_kept_on_release() -> None:
    cached = CachedEmbedder(FakeEmbedder())
    cached.release()
    assert cached.loaded and cached.embed(["再见"]).shape == (1, 256)


def test_what_users_type_is_not_saved(tmp_path: Path) -> None:
    path = tmp_path / "vectors.npz"
    cached = CachedEmbedder(FakeEmbedder(), path=path)
    with cached.reference():
        cached.embed(["您好,请问您办理什么业务?"])
    cached.embed(["我叫张三,身份证号码是110101199001011234"])
    cached.save()
    later = CachedEmbedder(loader=never_loaded, name="fake-256", path=path)
    assert ("query", "您好,请问您办理什么业务?") in later
    assert ("query", "我叫张三,身份证号码是110101199001011234") not in later


@pytest.mark.parametrize(
    ("content", "why"),
    [(b"not an npz file", "torn or foreign file"), (b"", "empty file")],
)
def test_a_damaged_cache_file_is_ignored_not_fatal(
    tmp_path: Path, content: bytes, why: str
) -> None:
    path = tmp_path / "vectors.npz"
    path.write_bytes(content)
    cached = CachedEmbedder(FakeEmbedder(), path=path)
    assert len(cached) == 0, why
    assert cached.embed(["您好"]).shape == (1, 256)


def test_the_lru_bound_evicts_the_oldest_text() -> None:
    inner = CountingEmbedder()
    cached = CachedEmbedder(inner, size=2)
    cached.embed(["一"])
    cached.embed(["二"])
    cached.embed(["一"])  # refreshes 一
    cached.embed(["三"])  # evicts 二
    assert ("query", "一") in cached and ("query", "二") not in cached
