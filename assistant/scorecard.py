"""The end-of-drill scorecard: total, per criterion, the turns where points were lost, what next.

Criteria follow the manuals: 三声 (greet, answer, farewell), 文明用语 (courtesy of each
reply), 禁语 (banned phrases, weighted by severity), 一次性告知, 首问负责 (answer and handle
the matter, name the place), and the outcome of the visit. Expected behaviours of stages the
drill never reached count as not done: leaving early is not a way to score well.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from assistant.drill import DrillState
from assistant.scenarios import Library

AREAS: dict[str, tuple[str, float]] = {
    "sansheng": ("三声(来有迎声、问有答声、走有送声)", 1.0),
    "civil": ("文明用语", 1.0),
    "banned": ("服务禁语", 1.5),
    "onetime": ("一次性告知", 1.0),
    "first_inquiry": ("首问负责与办事规范", 1.0),
    "outcome": ("办事结果", 1.5),
}
OUTCOME_POINTS = {"completed": 100, "unfinished": 50, "abandoned": 20, "complaint": 0}
PENALTY_PER_SEVERITY = 25
FinalOutcome = Literal["completed", "complaint", "abandoned", "unfinished"]


class Area(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    applicable: bool
    score: int
    note: str


class LostPoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    turn: int
    reason: str


class Scorecard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scenario: str
    outcome: FinalOutcome
    score: int
    criteria: dict[str, Area]
    lost: list[LostPoint]
    practise: list[str]


def final_outcome(state: DrillState) -> FinalOutcome:
    return "unfinished" if state.outcome == "in_progress" else state.outcome


def _behaviour_areas(state: DrillState, library: Library) -> tuple[dict[str, list[bool]], dict[str, list[str]]]:
    scenario = library.scenario(state.scenario)
    shown = {b for t in state.turns for b in t.behaviours}
    done_by_stage: dict[str, set[str]] = {t.stage: set() for t in state.turns}
    for t in state.turns:
        done_by_stage[t.stage] |= set(t.behaviours)
    results: dict[str, list[bool]] = {}
    missed: dict[str, list[str]] = {}
    for stage in scenario.stages:
        for b in stage.expects:
            behaviour = library.behaviour(b)
            area = "first_inquiry" if behaviour.area == "service" else behaviour.area
            ok = b in done_by_stage.get(stage.id, set()) or (b in shown and stage.id in done_by_stage)
            results.setdefault(area, []).append(ok)
            if not ok:
                missed.setdefault(area, []).append(behaviour.title)
    return results, missed


def scorecard(state: DrillState, library: Library) -> Scorecard:
    behaviour_results, missed = _behaviour_areas(state, library)
    outcome = final_outcome(state)
    areas: dict[str, Area] = {}
    for area in ("sansheng", "onetime", "first_inquiry"):
        marks = behaviour_results.get(area, [])
        score = round(100 * sum(marks) / len(marks)) if marks else 100
        note = ("未做到: " + "、".join(dict.fromkeys(missed.get(area, [])))) if missed.get(area) else ""
        areas[area] = Area(title=AREAS[area][0], applicable=bool(marks), score=score, note=note)
    turn_scores = [t.score for t in state.turns]
    civil_marks = behaviour_results.get("civil", [])
    civil_parts = ([sum(turn_scores) / len(turn_scores)] if turn_scores else []) + (
        [100 * sum(civil_marks) / len(civil_marks)] if civil_marks else [])
    areas["civil"] = Area(title=AREAS["civil"][0], applicable=bool(civil_parts),
                          score=round(sum(civil_parts) / len(civil_parts)) if civil_parts else 0,
                          note="每轮礼仪得分与礼貌行为的平均")  # fmt: skip
    severity = sum(v.severity for t in state.turns for v in t.violations)
    count = sum(len(t.violations) for t in state.turns)
    areas["banned"] = Area(title=AREAS["banned"][0], applicable=True,
                           score=max(0, 100 - PENALTY_PER_SEVERITY * severity),
                           note=f"{count} 处禁语" if count else "")  # fmt: skip
    areas["outcome"] = Area(title=AREAS["outcome"][0], applicable=True,
                            score=OUTCOME_POINTS[outcome], note=outcome)  # fmt: skip
    weights = {k: AREAS[k][1] for k, a in areas.items() if a.applicable}
    total = round(sum(areas[k].score * w for k, w in weights.items()) / sum(weights.values()))
    return Scorecard(scenario=state.scenario, outcome=outcome, score=total, criteria=areas,
                     lost=_lost_points(state, library), practise=_practise(areas))  # fmt: skip


def _lost_points(state: DrillState, library: Library) -> list[LostPoint]:
    lost: list[LostPoint] = []
    for number, turn in enumerate(state.turns, start=1):
        for v in turn.violations:
            lost.append(LostPoint(turn=number, reason=f"禁语「{v.matched}」({v.title})"))
        for b in turn.missing:
            if b not in turn.behaviours:
                lost.append(LostPoint(turn=number, reason=f"未做到: {library.behaviour(b).title}"))
        if turn.score < 60 and not turn.violations:
            lost.append(LostPoint(turn=number, reason=f"礼仪得分偏低 ({turn.score})"))
    return lost


def _practise(areas: dict[str, Area]) -> list[str]:
    weak = sorted((a for a in areas.values() if a.applicable and a.score < 80), key=lambda a: a.score)
    return [f"{a.title}: {a.note or '多加练习'}" for a in weak] or ["整体表现良好, 可以尝试更难的场景。"]
