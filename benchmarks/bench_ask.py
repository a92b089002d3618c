"""Benchmark of retrieval and `ask` on this machine (numbers, not pass/fail).

    .venv/bin/python benchmarks/bench_ask.py            # bundled knowledge
    .venv/bin/python benchmarks/bench_ask.py --scale    # plus 1k/10k/100k synthetic clauses

Scale runs embed synthetic clauses once with the real model up to 2,000 clauses; beyond that
the vectors are real clause embeddings plus small noise (the embedding rate is measured and
reported, so full build time is `clauses / rate` plus the index time shown). The index,
BM25 matrix, memory and query latency at each size are measured for real.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import time
from pathlib import Path

import numpy as np

from assistant.answers import Answerer, knowledge_passages
from assistant.config import ROOT, get_settings
from assistant.evaluation import AskCase, load_cases
from assistant.retrieval import Passage, Retriever


def ms(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {"p50_ms": round(statistics.median(ordered), 2), "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))], 2)}


def rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def synthetic(n: int, seed: int = 0) -> list[Passage]:
    rng = random.Random(seed)
    subjects = ["营业执照", "居住证", "社保卡", "公积金", "不动产登记", "户口迁移", "医保", "税务登记", "出生登记", "残疾证"]
    verbs = ["申请", "变更", "注销", "补办", "续期", "查询", "转移", "备案"]
    tails = ["应当提交身份证明和申请表", "承诺在五个工作日内办结", "材料不全的一次性告知补正内容", "可以委托他人代办并提交委托书",
             "需本人到场核验身份", "办结后通过短信通知领取", "可以选择邮寄送达", "由综合窗口统一受理后分送"]
    return [Passage(id=f"s{i}", title=f"第{i}条", text=f"{rng.choice(subjects)}{rng.choice(verbs)}{rng.choice(tails)},编号{i}。",
                    source=f"synthetic 第{i}条", kind="document", collection="scale") for i in range(n)]


def scale_run(embedder: object, sizes: list[int], queries: list[str]) -> list[dict[str, object]]:
    base = synthetic(2000)
    started = time.perf_counter()
    base_vectors = embedder.embed([p.body for p in base], kind="passage")  # type: ignore[attr-defined]
    rate = len(base) / (time.perf_counter() - started)
    rows = []
    rng = np.random.default_rng(0)
    for n in sizes:
        passages = synthetic(n)
        vectors = base_vectors[np.arange(n) % len(base)] + rng.normal(scale=0.01, size=(n, base_vectors.shape[1])).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        started = time.perf_counter()
        retriever = Retriever.build(passages, embedder, vectors=vectors)  # type: ignore[arg-type]
        build_s = time.perf_counter() - started
        retriever.search(queries[0])
        times = []
        for q in queries:
            t = time.perf_counter()
            retriever.search(q, k=5)
            times.append((time.perf_counter() - t) * 1000)
        rows.append({"clauses": n, "index": type(retriever.dense.index).__name__, "index_build_s": round(build_s, 2),
                     "embed_rate_per_s": round(rate, 1), "full_build_estimate_s": round(build_s + n / rate, 1),
                     "query": ms(times), "peak_rss_mb": rss_mb()})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", action="store_true")
    args = parser.parse_args()
    settings = get_settings()
    # Dev questions train the answerer's heads, so their vectors are cached: ask them reworded
    # ("请问…") so every question costs a model call, as a new citizen's would.
    questions = [c.question for c in load_cases(ROOT / "evals" / "ask_test.jsonl", AskCase)]
    questions += [f"请问{c.question}" for c in load_cases(ROOT / "evals" / "ask_dev.jsonl", AskCase)]
    started = time.perf_counter()
    answerer = Answerer.from_settings(settings)
    report: dict[str, object] = {"model": settings.model_dir.name, "answerer_load_s": round(time.perf_counter() - started, 2)}
    passages = knowledge_passages(answerer.kb)
    started = time.perf_counter()
    fresh = Retriever.build(passages, answerer.retriever.embedder)
    report["bundled_index"] = {"passages": len(passages), "chunks": int(fresh.dense.index.ntotal),
                               "build_s": round(time.perf_counter() - started, 2)}
    cache = Path(settings.cache_dir) / "index"
    report["bundled_index"]["size_kb"] = round(sum(f.stat().st_size for d in cache.glob("*") for f in d.glob("*")) / 1024 / max(1, len(list(cache.glob("*")))), 1)  # type: ignore[index]
    answerer.ask(questions[0])
    times = []
    for q in questions:
        t = time.perf_counter()
        answerer.ask(q)
        times.append((time.perf_counter() - t) * 1000)
    report["ask_warm"] = ms(times)
    report["peak_rss_mb"] = rss_mb()
    if args.scale:
        report["scale"] = scale_run(answerer.retriever.embedder, [1_000, 10_000, 100_000], questions[:60])
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
