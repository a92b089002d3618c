"""The behaviour recogniser: cues first, then a head learned from exemplars and labelled replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.behaviours import Recogniser
from assistant.embeddings import FakeEmbedder
from assistant.errors import KnowledgeError
from assistant.evaluation import behaviour_examples
from assistant.scenarios import Library
from tests.conftest import ROOT

# No cue of any behaviour fires on it, and no exemplar resembles it.
ODD = "请把那盆绿萝往左边挪一挪"


def test_the_head_learns_a_behaviour_from_labelled_replies(library: Library, fake_embedder: FakeEmbedder) -> None:
    plain = Recogniser(library.behaviours, fake_embedder)
    assert plain.recognise(ODD, ["help_queue"]) == {}
    taught = Recogniser(library.behaviours, fake_embedder, examples=[(ODD, ["help_queue"])] * 20)
    found = taught.recognise(ODD, ["help_queue", "greet"])
    assert set(found) == {"help_queue"}
    assert found["help_queue"].evidence.startswith("learned: p=") and ODD in found["help_queue"].evidence


def test_cues_decide_before_the_head(library: Library, fake_embedder: FakeEmbedder) -> None:
    recogniser = Recogniser(library.behaviours, fake_embedder)
    assert recogniser.recognise("您好,请坐", ["greet"])["greet"].evidence.startswith("cue: ")


def test_without_a_model_only_cues_count(library: Library) -> None:
    recogniser = Recogniser(library.behaviours, examples=[(ODD, ["help_queue"])] * 20)
    assert recogniser.head is None and recogniser.recognise(ODD) == {}


def test_a_labelled_reply_with_an_unknown_behaviour_is_a_knowledge_error(
    library: Library, fake_embedder: FakeEmbedder
) -> None:
    with pytest.raises(KnowledgeError, match=r"unknown behaviours \['greeting'\]"):
        Recogniser(library.behaviours, fake_embedder, examples=[("您好", ["greeting"])])


def test_the_shipped_labelled_replies_load_and_use_known_behaviours(library: Library) -> None:
    examples = behaviour_examples(ROOT / "evals" / "behaviours_dev.jsonl")
    known = {b.id for b in library.behaviours}
    assert len(examples) >= 600
    assert all(set(shown) <= known for _, shown in examples)
    assert behaviour_examples(None) == []


def test_a_kept_head_decides_like_the_fitted_one(tmp_path: Path, library: Library, fake_embedder: FakeEmbedder) -> None:
    from assistant.heads import load_head, save_head

    examples = [(ODD, ["help_queue"])] * 20
    fitted = Recogniser(library.behaviours, fake_embedder, examples=examples)
    key = fitted.head_key(fake_embedder, examples)
    assert fitted.head is not None and load_head(tmp_path, key) is None
    save_head(tmp_path, key, fitted.head)
    kept = Recogniser(library.behaviours, fake_embedder, head=load_head(tmp_path, key))
    assert kept.recognise(ODD) == fitted.recognise(ODD) and "help_queue" in kept.recognise(ODD)
    # other training data, another key; a damaged file is refitted, not trusted
    assert fitted.head_key(fake_embedder, examples[:5]) != key
    for damaged in (b"not an npz", b""):  # garbage, and a file cut short before its first byte
        (tmp_path / f"{key}.npz").write_bytes(damaged)
        assert load_head(tmp_path, key) is None


def test_an_empty_examples_setting_turns_learning_from_labelled_replies_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import Settings

    monkeypatch.setenv("ASSISTANT_BEHAVIOUR_EXAMPLES", "")
    monkeypatch.setenv("ASSISTANT_ASK_EXAMPLES", "")
    settings = Settings()
    assert settings.behaviour_examples is None and settings.ask_examples is None
