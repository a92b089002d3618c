"""Per-turn latency of a drill on this machine (numbers, not pass/fail).

    .venv/bin/python benchmarks/bench_drill.py

Plays the exemplary, mediocre and rude scripted paths of every scenario (tests/data) and
times each `Drill.reply` call: checker + behaviour recognition + citizen reaction.
"""

from __future__ import annotations

import json
import resource
import statistics
import time

import yaml

from assistant.config import ROOT, get_settings
from assistant.drill import Drill


def main() -> None:
    paths = yaml.safe_load((ROOT / "tests" / "data" / "drill_paths.yaml").read_text("utf-8"))["paths"]
    started = time.perf_counter()
    settings = get_settings()
    drill = Drill.from_settings(settings)
    load_s = time.perf_counter() - started
    times: list[float] = []
    for scenario, kinds in paths.items():
        for replies in kinds.values():
            state = drill.start(scenario, seed=1)
            for text in replies:
                if state.outcome != "in_progress":
                    break
                t = time.perf_counter()
                state = drill.reply(state, text)
                times.append((time.perf_counter() - t) * 1000)
    ordered = sorted(times)
    print(json.dumps({"model": settings.model_dir.name, "load_s": round(load_s, 2), "turns": len(times), "p50_ms": round(statistics.median(ordered), 2),
                      "p99_ms": round(ordered[int(0.99 * (len(ordered) - 1))], 2),
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}, indent=1))


if __name__ == "__main__":
    main()
