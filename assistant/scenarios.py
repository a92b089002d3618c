"""Drill scenarios and trainee behaviours: ``dialogs/*.yaml`` as validated models.

``dialogs/behaviours.yaml`` defines what a trainee can do (greet, list every missing item…)
with exemplars the recogniser compares against; every other file is one scenario.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from assistant.errors import KnowledgeError, UnknownScenarioError
from assistant.knowledge import Citation, Model, _check_regex, parse_file

ScorecardArea = Literal["sansheng", "civil", "onetime", "first_inquiry", "service"]


class Behaviour(Model):
    id: str
    title: str
    description: str
    area: ScorecardArea = Field(description="scorecard criterion the behaviour counts towards")
    cues: list[str] = Field(default_factory=list, description="regexes over normalised text")
    exemplars: list[str] = Field(min_length=3)
    negatives: list[str] = Field(default_factory=list, description="look-alikes that don't count")
    sources: list[Citation] = Field(min_length=1)

    @field_validator("cues")
    @classmethod
    def _cues_compile(cls, value: list[str]) -> list[str]:
        return [_check_regex(p) for p in value]


class BehavioursFile(Model):
    behaviours: list[Behaviour]


class Persona(Model):
    name: str
    age: int = Field(ge=1, le=120)
    mood: str
    patience: int = Field(ge=1, le=10, description="how many strikes before the citizen leaves")
    description: str


class Reference(Model):
    text: str
    source: Citation


class Stage(Model):
    id: str
    title: str
    citizen: list[str] = Field(min_length=1, description="wordings of the citizen's opening line")
    expects: list[str] = Field(min_length=1, description="behaviour ids the trainee should show")
    reference: Reference
    prompts: dict[str, list[str]] = Field(
        description="per expected behaviour, how the citizen asks for it when it is missing"
    )

    @model_validator(mode="after")
    def _prompt_for_each_expectation(self) -> Stage:
        missing = [b for b in self.expects if not self.prompts.get(b)]
        if missing:
            raise ValueError(f"stage {self.id!r}: no prompts for expected behaviours {missing}")
        return self


class Scenario(Model):
    id: str
    title: str
    difficulty: int = Field(ge=1, le=3)
    persona: Persona
    goal: str
    hidden_facts: dict[str, str | list[str]] = Field(default_factory=dict)
    stages: list[Stage] = Field(min_length=1)
    objections: list[str] = Field(min_length=2, description="citizen lines after rudeness")
    complaint: list[str] = Field(min_length=1, description="lines when leaving with a complaint")
    abandon: list[str] = Field(min_length=1, description="lines when giving up without complaint")
    thanks: list[str] = Field(min_length=1, description="lines when the visit completes")


class Library(Model):
    behaviours: list[Behaviour]
    scenarios: list[Scenario]

    def scenario(self, scenario_id: str) -> Scenario:
        for scenario in self.scenarios:
            if scenario.id == scenario_id:
                return scenario
        known = ", ".join(s.id for s in self.scenarios)
        raise UnknownScenarioError(f"unknown scenario {scenario_id!r}; known: {known}")

    def behaviour(self, behaviour_id: str) -> Behaviour:
        for behaviour in self.behaviours:
            if behaviour.id == behaviour_id:
                return behaviour
        raise KnowledgeError(f"no behaviour {behaviour_id!r}")


def load_library(directory: Path | str) -> Library:
    """Read ``behaviours.yaml`` and every scenario file, checking cross references."""
    root = Path(directory)
    behaviours = parse_file(root / "behaviours.yaml", BehavioursFile).behaviours
    scenarios = [
        parse_file(path, Scenario)
        for path in sorted(root.glob("*.yaml"))
        if path.name != "behaviours.yaml"
    ]
    library = Library(behaviours=behaviours, scenarios=scenarios)
    _cross_check(root, library)
    return library


def _cross_check(root: Path, library: Library) -> None:
    known = {b.id for b in library.behaviours}
    problems: list[str] = []
    seen: set[str] = set()
    for scenario in library.scenarios:
        if scenario.id in seen:
            problems.append(f"scenario {scenario.id!r}: duplicate id")
        seen.add(scenario.id)
        for stage in scenario.stages:
            unknown = [b for b in stage.expects if b not in known]
            if unknown:
                problems.append(
                    f"{scenario.id}.yaml stage {stage.id!r}: unknown behaviours {unknown}"
                )
    if problems:
        raise KnowledgeError(f"{root}: inconsistent dialogs\n  " + "\n  ".join(problems))
