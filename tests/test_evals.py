"""The labelled splits: the heads learn from dev, so a test case also in dev would be scored on
what the heads were trained on."""

from __future__ import annotations

import json

import pytest

from assistant.config import ROOT

# what makes a case the same case in each split
IDENTITY = {
    "check": lambda case: case["text"],
    "pairs": lambda case: (case["better"], case["worse"]),
    "ask": lambda case: case["question"],
    "behaviours": lambda case: case["text"],
}


def _cases(name: str) -> list[dict[str, object]]:
    with open(ROOT / "evals" / f"{name}.jsonl", encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.mark.parametrize("kind", sorted(IDENTITY))
def test_dev_and_test_splits_share_no_case_and_no_id(kind: str) -> None:
    dev, test = _cases(f"{kind}_dev"), _cases(f"{kind}_test")
    same = IDENTITY[kind]
    assert not {same(c) for c in dev} & {same(c) for c in test}  # type: ignore[no-untyped-call]
    assert not {c["id"] for c in dev} & {c["id"] for c in test}
    assert len({c["id"] for c in dev}) == len(dev), "an id repeats within dev"
