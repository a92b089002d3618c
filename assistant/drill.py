"""Role-play drills: a simulated citizen reacting to the trainee, turn by turn.

``DrillState`` is a plain pydantic model: everything a drill is (scenario, seed, stage,
patience, turns) serialises to JSON, so a web route or a stored drill is a thin layer on top.
``Drill.reply(state, text)`` is pure: it returns a new state. Randomness (which wording the
citizen uses) is derived from (seed, turn, purpose), so the same seed and replies give the
same drill without storing a random generator.

Per turn: the checker finds violations; the recogniser checks the behaviours the stage
expects. Expected behaviour done → the visit moves on; missing → the citizen asks for it;
rudeness → patience drops by the rule's severity and the citizen objects; patience gone →
the citizen leaves, with a complaint if the trainee was rude.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.behaviours import Recogniser
from assistant.checker import Checker, Violation
from assistant.config import Settings
from assistant.embeddings import load_embedder, reference, save_cache
from assistant.errors import InputError, ScenarioError
from assistant.etiquette import Context
from assistant.heads import load_head, save_head
from assistant.jsonl import decode_utf8
from assistant.scenarios import Library, Scenario, Stage, load_library

if TYPE_CHECKING:
    from assistant.scorecard import Scorecard

Outcome = Literal["in_progress", "completed", "complaint", "abandoned"]
Event = Literal["advance", "prompt", "objection", "complaint", "abandon", "completed"]
MISSES_BEFORE_PATIENCE_DROPS = 2


class Turn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    stage: str
    citizen: str  # what the citizen said before this reply
    trainee: str
    violations: list[Violation]
    behaviours: dict[str, str]  # behaviour id → evidence
    expected: list[str]
    missing: list[str]
    score: int  # etiquette score of the reply
    reference: str
    reference_source: str
    feedback: list[str]
    event: Event
    patience: int  # after this turn


class DrillState(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str
    seed: int
    stage: int = 0
    patience: int
    done: list[str] = Field(default_factory=list, description="behaviours shown in this stage")
    misses: int = 0  # replies in this stage that left an expected behaviour missing
    citizen: str  # the citizen's current line, waiting for the trainee
    turns: list[Turn] = Field(default_factory=list)
    outcome: Outcome = "in_progress"
    closing: str = ""  # the citizen's last words when the drill ended


def pick(options: list[str], seed: int, turn: int, purpose: str) -> str:
    """A seeded, stateless choice: same (seed, turn, purpose) → same wording."""
    return random.Random(f"{seed}:{turn}:{purpose}").choice(options)


class Drill:
    def __init__(self, library: Library, checker: Checker, recogniser: Recogniser) -> None:
        self.library = library
        self.checker = checker
        self.recogniser = recogniser

    def start(self, scenario_id: str, seed: int = 0) -> DrillState:
        scenario = self.library.scenario(scenario_id)
        line = pick(scenario.stages[0].citizen, seed, 0, "stage")
        return DrillState(scenario=scenario.id, seed=seed, patience=scenario.persona.patience, citizen=line)

    def reply(self, state: DrillState, text: str) -> DrillState:
        if state.outcome != "in_progress":
            raise ScenarioError(f"the drill has ended ({state.outcome}); start a new one")
        scenario = self.library.scenario(state.scenario)
        stage = scenario.stages[state.stage]
        result = self.checker.check(text, self._context(scenario, stage, state))
        found = self.recogniser.recognise(text, [b for b in stage.expects if b not in state.done])
        done = [*state.done, *[b for b in stage.expects if b in found and b not in state.done]]
        missing = [b for b in stage.expects if b not in done]
        new = state.model_copy(deep=True, update={"done": done})
        turn_no = len(state.turns) + 1
        severity = max((v.severity for v in result.violations), default=0)
        arguing = result.criteria["no_arguing"].met < 1 if "no_arguing" in result.criteria else False
        rude = severity > 0 or arguing
        event: Event
        if rude:
            new.patience -= max(severity, 1)
        if not missing:
            new.stage, new.done, new.misses = state.stage + 1, [], 0
        else:
            new.misses += 1
            if new.misses >= MISSES_BEFORE_PATIENCE_DROPS and not rude:
                new.patience -= 1
        if new.patience <= 0:
            event = "complaint" if rude or any(t.violations for t in state.turns) else "abandon"
            new.outcome = "complaint" if event == "complaint" else "abandoned"
            new.closing = pick(scenario.complaint if event == "complaint" else scenario.abandon, state.seed, turn_no, event)
            new.citizen = new.closing
        elif not missing and new.stage >= len(scenario.stages):
            event, new.outcome = "completed", "completed"
            new.closing = new.citizen = pick(scenario.thanks, state.seed, turn_no, "thanks")
        else:
            line = (pick(scenario.stages[new.stage].citizen, state.seed, turn_no, "stage") if not missing
                    else pick(stage.prompts[missing[0]], state.seed, turn_no, "prompt"))  # fmt: skip
            event = "objection" if rude else ("advance" if not missing else "prompt")
            new.citizen = (pick(scenario.objections, state.seed, turn_no, "objection") + " " + line) if rude else line
        new.turns.append(Turn(
            stage=stage.id, citizen=state.citizen, trainee=text, violations=result.violations,
            behaviours={b: r.evidence for b, r in found.items()}, expected=list(stage.expects),
            missing=missing, score=result.score, reference=stage.reference.text,
            reference_source=self.checker.kb.cite(stage.reference.source),
            feedback=self._feedback(result.violations, missing, stage), event=event, patience=new.patience,
        ))  # fmt: skip
        return new

    def _context(self, scenario: Scenario, stage: Stage, state: DrillState) -> Context:
        first = state.stage == 0 and not state.turns
        last = state.stage == len(scenario.stages) - 1
        missing_items = scenario.hidden_facts.get("missing", []) if "list_all_missing" in stage.expects else []
        items = tuple(missing_items) if isinstance(missing_items, list) else (missing_items,)
        return Context(citizen=state.citizen, opening=first, closing=last and "farewell" in stage.expects,
                       missing_items=items)  # fmt: skip

    def _feedback(self, violations: list[Violation], missing: list[str], stage: Stage) -> list[str]:
        notes = [f"禁语「{v.matched}」({v.title}): 建议说「{v.suggestion}」— {v.source}" for v in violations]
        for b in missing:
            behaviour = self.library.behaviour(b)
            notes.append(f"还没有做到: {behaviour.title} — {behaviour.description}")
        if missing or violations:
            notes.append(f"参考说法: {stage.reference.text}")
        return notes or ["做得好: 这一步符合规范。"]

    # -- conveniences for the edges ---------------------------------------------------------
    @classmethod
    def from_settings(cls, settings: Settings) -> Drill:
        from assistant.evaluation import behaviour_examples

        checker = Checker.from_settings(settings)
        library = load_library(settings.dialogs_dir)
        embedder = checker.embedder
        if embedder is None and settings.semantic:
            embedder = load_embedder(settings)
        embedder = embedder if settings.semantic else None
        examples = behaviour_examples(settings.behaviour_examples) if embedder is not None else []
        heads, key = settings.cache_dir / "heads", ""
        head = None
        if embedder is not None:  # the fitted head is kept: fitting takes seconds, loading ms
            key = Recogniser(library.behaviours).head_key(embedder, examples)
            head = load_head(heads, key)
        with reference(embedder):
            recogniser = Recogniser(library.behaviours, embedder, examples=examples, head=head)
            drill = cls(library, checker, recogniser)
        if head is None and recogniser.head is not None:
            save_head(heads, key, recogniser.head)
        save_cache(embedder)
        return drill

    def run(self, scenario_id: str, replies: list[str], seed: int = 0) -> tuple[DrillState, int]:
        """Play scripted replies; returns the final state and how many replies came too late."""
        state = self.start(scenario_id, seed)
        for index, text in enumerate(replies):
            if state.outcome != "in_progress":
                return state, len(replies) - index
            state = self.reply(state, text)
        return state, 0

    def scorecard(self, state: DrillState) -> Scorecard:
        from assistant.scorecard import scorecard

        return scorecard(state, self.library)


def read_replies(path: Path) -> list[str]:
    """Trainee replies, one per line, from a UTF-8 text file."""
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    text = decode_utf8(path.read_bytes(), str(path))
    replies = [line.strip() for line in text.splitlines() if line.strip()]
    if not replies:
        raise InputError(f"{path}: no replies in the file")
    return replies
