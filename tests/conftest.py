"""Shared fixtures: the knowledge loaded once, fake-embedder checkers for fast tests, and one
real multilingual-e5-small model per session for behaviour tests (marked ``slow``)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from assistant.checker import Checker  # noqa: E402
from assistant.config import ROOT, Settings  # noqa: E402
from assistant.embeddings import Embedder, FakeEmbedder, load_embedder  # noqa: E402
from assistant.knowledge import KnowledgeBase, load_knowledge  # noqa: E402
from assistant.scenarios import Library, load_library  # noqa: E402

DATA = Path(__file__).parent / "data"


def cases(name: str, key: str = "cases") -> list[Any]:
    """Rows of a tests/data YAML table as pytest params, each with its `why` as the id."""
    rows = yaml.safe_load((DATA / name).read_text(encoding="utf-8"))[key]
    return [pytest.param(row, id=row["why"]) for row in rows]


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(ROOT / "knowledge")


@pytest.fixture(scope="session")
def library() -> Library:
    return load_library(ROOT / "dialogs")


@pytest.fixture(scope="session")
def lexical_checker(kb: KnowledgeBase) -> Checker:
    return Checker(kb)


@pytest.fixture(scope="session")
def fake_embedder() -> FakeEmbedder:
    return FakeEmbedder()


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Real knowledge and model cache, but a private data dir and index cache per session."""
    tmp = tmp_path_factory.mktemp("assistant")
    (tmp / "cache").mkdir()
    # Shared with the real cache: the converted model and its ONNX export (made once by
    # scripts/setup.sh), reference vectors and fitted heads (both keyed by what they depend on).
    for name in ("models", "vectors", "heads"):
        (ROOT / ".cache" / name).mkdir(parents=True, exist_ok=True)
        (tmp / "cache" / name).symlink_to(ROOT / ".cache" / name)
    return Settings(cache_dir=tmp / "cache", data_dir=tmp / "data")


@pytest.fixture(scope="session")
def e5(settings: Settings) -> Embedder:
    """The real model, loaded once per test session."""
    return load_embedder(settings)


@pytest.fixture(scope="session")
def checker(settings: Settings, e5: Embedder) -> Checker:
    """The checker as users get it: the real model and the stance head fitted on dev."""
    return Checker.from_settings(settings, e5)


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Any attempt to open a non-local connection fails the test."""
    real_connect = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else str(address)
        if host not in ("127.0.0.1", "localhost", "::1") and not str(host).startswith("/"):
            raise AssertionError(f"network access attempted: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: (_ for _ in ()).throw(AssertionError(f"network access attempted: {a}")))
    yield
