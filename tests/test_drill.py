"""Role-play drills: paths through every scenario, determinism, serialisation, the scorecard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from assistant.behaviours import Recogniser
from assistant.checker import Checker
from assistant.drill import Drill, DrillState, read_replies
from assistant.embeddings import Embedder
from assistant.errors import InputError, ScenarioError, UnknownScenarioError
from assistant.evaluation import behaviour_examples
from assistant.scenarios import Library
from tests.conftest import DATA, ROOT

PATHS: dict[str, dict[str, list[str]]] = yaml.safe_load((DATA / "drill_paths.yaml").read_text("utf-8"))["paths"]


@pytest.fixture(scope="module")
def drill(library: Library, checker: Checker, e5: Embedder) -> Drill:
    examples = behaviour_examples(ROOT / "evals" / "behaviours_dev.jsonl")  # as shipped
    return Drill(library, checker, Recogniser(library.behaviours, e5, examples=examples))


@pytest.fixture(scope="module")
def lexical_drill(library: Library, lexical_checker: Checker) -> Drill:
    return Drill(library, lexical_checker, Recogniser(library.behaviours))


def test_every_scenario_has_three_paths(library: Library) -> None:
    assert {s.id for s in library.scenarios} == set(PATHS)
    assert len(library.scenarios) >= 12


@pytest.mark.slow
@pytest.mark.parametrize("scenario", sorted(PATHS))
def test_exemplary_beats_mediocre_beats_rude(drill: Drill, scenario: str) -> None:
    results: dict[str, Any] = {}
    for kind in ("exemplary", "mediocre", "rude"):
        state, _ = drill.run(scenario, PATHS[scenario][kind], seed=7)
        results[kind] = (state, drill.scorecard(state))
    exemplary, mediocre, rude = (results[k][1] for k in ("exemplary", "mediocre", "rude"))
    assert exemplary.outcome == "completed", results["exemplary"][0].turns[-1].feedback
    assert rude.outcome == "complaint"
    assert exemplary.score > mediocre.score > rude.score


def test_same_seed_and_replies_give_the_same_drill(lexical_drill: Drill) -> None:
    replies = PATHS["missing_materials"]["mediocre"]
    first, _ = lexical_drill.run("missing_materials", replies, seed=3)
    again, _ = lexical_drill.run("missing_materials", replies, seed=3)
    assert first == again
    citizen_lines = {lexical_drill.run("missing_materials", replies, seed=s)[0].turns[0].citizen for s in range(12)}
    assert len(citizen_lines) > 1, "different seeds should vary the citizen's wording"


def test_state_round_trips_through_json(lexical_drill: Drill) -> None:
    state = lexical_drill.start("wrong_window", seed=1)
    state = lexical_drill.reply(state, "您好,请问您要办理什么业务?")
    restored = DrillState.model_validate_json(state.model_dump_json())
    assert restored == state
    assert lexical_drill.reply(restored, "请您到3号窗口办理。") == lexical_drill.reply(state, "请您到3号窗口办理。")


def test_rudeness_costs_patience_and_the_citizen_objects(lexical_drill: Drill, library: Library) -> None:
    state = lexical_drill.start("first_time", seed=0)
    after = lexical_drill.reply(state, "不知道,你去问别人。")
    assert after.patience < state.patience
    assert after.turns[-1].event in ("objection", "complaint")
    assert after.turns[-1].violations
    assert any(line in after.citizen for line in library.scenario("first_time").objections + library.scenario("first_time").complaint)


def test_a_missing_behaviour_makes_the_citizen_ask_for_it(lexical_drill: Drill, library: Library) -> None:
    scenario = library.scenario("missing_materials")
    state = lexical_drill.reply(lexical_drill.start("missing_materials"), "嗯。")
    turn = state.turns[-1]
    assert turn.event == "prompt" and turn.missing
    assert state.citizen in scenario.stages[0].prompts[turn.missing[0]]
    assert state.stage == 0


def test_replies_after_the_end_are_ignored_and_counted(lexical_drill: Drill) -> None:
    rude = ["神经病", "你有完没完", "我就是这个态度,你告去", "不知道", "有牌子自己看", "下班了明天再来", "拎不清"]
    state, ignored = lexical_drill.run("angry_complaint", rude + ["您好"] * 3)
    assert state.outcome == "complaint"
    assert ignored == len(rude) + 3 - len(state.turns)
    with pytest.raises(ScenarioError, match="ended"):
        lexical_drill.reply(state, "您好")


def test_unknown_scenario_names_the_known_ones(lexical_drill: Drill) -> None:
    with pytest.raises(UnknownScenarioError, match="known: .*first_time"):
        lexical_drill.start("no_such_scenario")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"", "no replies", id="empty file"),
        pytest.param(b"\n  \n", "no replies", id="only blank lines"),
        pytest.param("您好".encode("gbk"), "not UTF-8", id="wrong encoding"),
        pytest.param(b"\x00\x01binary", "binary", id="binary data"),
    ],
)
def test_bad_reply_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "replies.txt"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_replies(path)


def test_scorecard_lists_lost_points_and_practice(lexical_drill: Drill) -> None:
    state, _ = lexical_drill.run("missing_materials", PATHS["missing_materials"]["mediocre"])
    card = lexical_drill.scorecard(state)
    assert set(card.criteria) == {"sansheng", "civil", "banned", "onetime", "first_inquiry", "outcome"}
    assert card.lost and card.practise
    assert all(1 <= p.turn <= len(state.turns) for p in card.lost)
