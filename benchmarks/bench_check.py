"""Benchmark of `Checker.check` on this machine (not a test: numbers, not pass/fail).

    .venv/bin/python benchmarks/bench_check.py [--lexical-replies N]

Replies are the labelled eval sets (dev + test, all unique). The embedding cache is off for
the cold figures, so every suspicious clause is embedded as it would be for new text.
The command line's batch rate (``assistant check --lexical --json --workers N``, one process
and one per core) is timed on the same replies. Prints one JSON object; the README quotes it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

from assistant.checker import Checker
from assistant.config import ROOT, get_settings
from assistant.embeddings import CachedEmbedder, load_embedder
from assistant.evaluation import CheckCase, load_cases
from assistant.knowledge import load_knowledge


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def single_latency(checker: Checker, items: list[tuple[str, str | None]]) -> dict[str, float]:
    times = []
    for text, context in items:
        started = time.perf_counter()
        checker.check(text, context)
        times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": round(statistics.median(times), 2), "p99_ms": round(percentile(times, 0.99), 2)}


def batch_rate(checker: Checker, items: list[tuple[str, str | None]], batch: int = 64) -> float:
    started = time.perf_counter()
    for i in range(0, len(items), batch):
        checker.check_many(items[i : i + batch])
    return round(len(items) / (time.perf_counter() - started), 1)


def cli_rate(items: list[tuple[str, str | None]], workers: int) -> dict[str, float]:
    """``assistant check --lexical --json --workers N`` over the replies as JSON lines, as a
    trainer scores a batch: lines/s after the process start, and the start itself."""
    def wall(path: str) -> float:
        started = time.perf_counter()
        with open(path, "rb") as stdin:
            subprocess.run([sys.executable, "-m", "assistant", "check", "--lexical", "--json", "--workers", str(workers)],
                           stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                           env={**os.environ, "HF_HUB_OFFLINE": "1"})  # fmt: skip
        return time.perf_counter() - started

    with tempfile.TemporaryDirectory() as folder:
        lines, one = os.path.join(folder, "lines.jsonl"), os.path.join(folder, "one.jsonl")
        with open(lines, "w", encoding="utf-8") as out:
            for i, (text, context) in enumerate(items):
                out.write(json.dumps({"id": str(i), "text": text, "context": context}, ensure_ascii=False) + "\n")
        with open(one, "w", encoding="utf-8") as out:
            out.write(json.dumps({"id": "0", "text": items[0][0]}, ensure_ascii=False) + "\n")
        start = min(wall(one) for _ in range(2))
        total = wall(lines)
    return {"lines_per_s_after_start": round(len(items) / (total - start), 1), "start_s": round(start, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lexical-replies", type=int, default=20000)
    args = parser.parse_args()
    settings = get_settings()
    kb = load_knowledge(settings.knowledge_dir)
    cases = [c for f in ("check_dev.jsonl", "check_test.jsonl") for c in load_cases(ROOT / "evals" / f, CheckCase)]
    items = [(c.text, c.context) for c in cases]
    # as `assistant check --lexical` runs: with the etiquette veto head (n-grams, no model)
    lexical = Checker.from_settings(settings.model_copy(update={"semantic": False}))
    lexical.check_many(items[:10])  # warm the converters
    repeated = (items * (args.lexical_replies // len(items) + 1))[: args.lexical_replies]
    report: dict[str, object] = {"model": settings.model_dir.name, "replies": len(items)}
    report["lexical"] = {"batch_replies_per_s": batch_rate(lexical, repeated), **single_latency(lexical, items)}
    cores = os.cpu_count() or 1
    report["lexical_cli"] = {f"workers_{n}": cli_rate(repeated, n) for n in sorted({1, cores})}
    started = time.perf_counter()
    cached = load_embedder(settings)
    # as users get it: the heads fitted once (the model released while they fit), then kept
    loaded = Checker.from_settings(settings, cached)
    model = cached.load() if isinstance(cached, CachedEmbedder) else cached
    semantic = Checker(kb, model, cache_size=0, stance=loaded.stance)  # cold: no vector cache at all
    semantic.etiquette.veto = loaded.etiquette.veto
    report["model_and_checker_load_s"] = round(time.perf_counter() - started, 2)
    report["semantic_cold"] = {"batch_replies_per_s": batch_rate(semantic, items), **single_latency(semantic, items)}
    gated = sum(len(semantic._analyse(t).pending) for t, _ in items)
    report["clauses_embedded_per_reply"] = round(gated / len(items), 3)
    warm = Checker(kb, CachedEmbedder(model), stance=semantic.stance)
    warm.etiquette.veto = semantic.etiquette.veto
    warm.check_many(items)
    report["semantic_warm_cache"] = single_latency(warm, items)
    report["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(report, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
