"""How results look: JSON objects for machines, coloured reports for people (rich)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from assistant.answers import Answer
    from assistant.checker import CheckResult
    from assistant.drill import Drill, DrillState, Turn
    from assistant.etiquette import CriterionResult
    from assistant.retrieval import Hit
    from assistant.scorecard import Scorecard

DEMO_REPLIES = [
    ("您好,请问您要办理什么业务?", "你好,我想办个营业执照。"),
    ("不知道,你去问别人吧。", "请问社保卡补办在哪里?"),
    ("有牌子 自 己 看,下班了明天再來😒", "我等了一个多小时了,材料要交哪些?"),
    ("这事我说不上来,墙上贴着呢。", "办居住证要什么材料?"),
    ("您不知道也没关系,我来告诉您:需要身份证、租房合同和照片,请您一次带齐。", "我不知道要带什么。"),
    ("对不起,让您久等了。这个我不太清楚,我马上问一下同事再答复您。", "我等了半天了,这个到底能不能办?"),
]


def check_json(ident: str, result: CheckResult) -> dict[str, Any]:
    return {**_check_head(ident, result), "criteria": json.loads(_criteria_json(tuple(result.criteria.items())))}


def check_json_line(ident: str, result: CheckResult) -> str:
    """``json.dumps(check_json(ident, result))``, byte for byte, without its cost: the criteria
    (most of a line, and shared by many replies: the scorer builds each result once) are
    serialised once per distinct set, not once per reply (67 → ≈ 15 µs a line)."""
    head = json.dumps(_check_head(ident, result), ensure_ascii=False)
    return f'{head[:-1]}, "criteria": {_criteria_json(tuple(result.criteria.items()))}}}'


def _check_head(ident: str, result: CheckResult) -> dict[str, Any]:
    violations = [
        {"rule": v.rule, "start": v.start, "end": v.end, "matched": v.matched,
         "suggestion": v.suggestion, "source": v.source, "evidence": v.evidence.model_dump()}  # fmt: skip
        for v in result.violations
    ]
    return {"id": ident, "violations": violations, "score": result.score}


@lru_cache(maxsize=4096)
def _criteria_json(criteria: tuple[tuple[str, CriterionResult], ...]) -> str:
    return json.dumps({k: c.model_dump(exclude={"explanation"}) for k, c in criteria}, ensure_ascii=False)


def highlighted(result: CheckResult) -> Text:
    text = Text(result.text)
    for v in result.violations:
        text.stylize("bold red underline", v.start, v.end)
    return text


def check_report(console: Console, result: CheckResult, context: str | None = None) -> None:
    if context:
        console.print(Text("群众: ", style="dim") + Text(context))
    console.print(Text("回复: ", style="dim") + highlighted(result))
    colour = "green" if result.score >= 80 else ("yellow" if result.score >= 50 else "red")
    console.print(Text(f"礼仪得分 {result.score}/100", style=f"bold {colour}"))
    if not result.violations:
        console.print(Text("✓ 未发现服务禁语", style="green"))
    for v in result.violations:
        line = Text("✗ ", style="red")
        line.append(f"[{v.rule}] {v.title}: ", style="bold red")
        line.append(f"“{v.matched}” ({v.start}–{v.end}) ")
        variant = v.evidence.variant if len(v.evidence.variant) <= 24 else v.evidence.variant[:24] + "…"
        line.append(f"evidence {v.evidence.kind} ← {variant} ({v.evidence.score:.2f})", style="dim")
        console.print(line)
        console.print(Text("   建议: ", style="cyan") + Text(v.suggestion))
        console.print(Text(f"   依据: {v.source}", style="dim"))
    for c in result.criteria.values():
        if c.applicable and c.met < 1:
            console.print(Text(f"   △ {c.title} ({c.met:.0%}) {c.note} — {c.source}", style="yellow"))


def check_metrics(console: Console, file: Path, metrics: dict[str, Any], baseline: dict[str, Any]) -> None:
    table = Table(title=f"checker on {file} ({metrics['cases']} replies)")
    for column in ("slice", "precision", "recall", "F1", "baseline P", "baseline R", "baseline F1"):
        table.add_column(column, justify="right" if column != "slice" else "left")

    def row(label: str, m: dict[str, Any], b: dict[str, Any] | None) -> None:
        base = [f"{b['precision']:.3f}", f"{b['recall']:.3f}", f"{b['f1']:.3f}"] if b else ["", "", ""]
        table.add_row(label, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", *base)

    row("overall", metrics, baseline)
    for rule, m in metrics["per_rule"].items():
        row(f"rule {rule}", m, baseline["per_rule"].get(rule))
    for kind, m in metrics["per_kind"].items():
        row(f"kind {kind} (n={m['n']})", m, baseline["per_kind"].get(kind))
    console.print(table)
    console.print(f"clean replies flagged: {metrics['clean_flagged']:.1%} (baseline {baseline['clean_flagged']:.1%})")


def metrics_line(console: Console, file: Path, metrics: dict[str, Any]) -> None:
    primary = metrics["primary_metric"]
    console.print(f"{file}: {primary} = {metrics[primary]:.3f}")
    for key, value in metrics.items():
        if key not in (primary, "primary_metric"):
            console.print(f"  {key}: {value}")


# -- answers and search ----------------------------------------------------------------------
def answer_json(ident: str, answer: Answer) -> dict[str, Any]:
    return {"id": ident, "answer": answer.answer, "answered": answer.answered,
            "sources": [s.model_dump() for s in answer.sources]}  # fmt: skip


def answer_report(console: Console, answer: Answer) -> None:
    console.print(Text("问: ", style="dim") + Text(answer.question))
    console.print(Text("答: ", style="dim") + Text(answer.answer, style="bold" if answer.answered else "yellow"))
    if answer.answered:
        for s in answer.sources:
            console.print(Text(f"   来源: {s.title} — {s.source} ({s.score:.4f})", style="dim"))


def hit_json(hit: Hit) -> dict[str, Any]:
    p = hit.passage
    return {"id": p.id, "title": p.title, "source": p.source, "kind": p.kind, "collection": p.collection,
            "text": p.text, "score": hit.score, "lexical": hit.lexical, "dense": hit.dense}  # fmt: skip


def hits_table(console: Console, query: str, hits: list[Hit]) -> None:
    table = Table(title=f"“{query}”")
    for column in ("#", "fused", "bm25", "cosine", "kind", "title", "source"):
        table.add_column(column)
    for rank, h in enumerate(hits, start=1):
        table.add_row(str(rank), f"{h.score:.4f}", f"{h.lexical:.2f}", f"{h.dense:.3f}", h.passage.kind,
                      h.passage.title, h.passage.source)  # fmt: skip
    console.print(table)


# -- drills ----------------------------------------------------------------------------------
def scenarios_table(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="drill scenarios")
    for column in ("id", "title", "persona", "difficulty"):
        table.add_column(column)
    for row in rows:
        table.add_row(row["id"], row["title"], row["persona"], "★" * row["difficulty"])
    console.print(table)


def turn_json(turn: Turn) -> dict[str, Any]:
    return {"citizen": turn.citizen, "trainee": turn.trainee,
            "violations": [{"rule": v.rule, "start": v.start, "end": v.end, "matched": v.matched,
                            "suggestion": v.suggestion, "source": v.source,
                            "evidence": v.evidence.model_dump()} for v in turn.violations],
            "behaviours": {"expected": turn.expected, "shown": turn.behaviours, "missing": turn.missing},
            "feedback": {"notes": turn.feedback, "reference": turn.reference,
                         "reference_source": turn.reference_source, "score": turn.score,
                         "event": turn.event, "patience": turn.patience}}  # fmt: skip


def drill_json(state: DrillState, card: Scorecard, ignored: int) -> dict[str, Any]:
    return {"scenario": state.scenario, "seed": state.seed, "turns": [turn_json(t) for t in state.turns],
            "outcome": card.outcome, "closing": state.closing, "ignored_replies": ignored,
            "score": card.score, "criteria": {k: a.model_dump() for k, a in card.criteria.items()},
            "lost": [p.model_dump() for p in card.lost], "practise": card.practise}  # fmt: skip


def turn_feedback(console: Console, turn: Turn) -> None:
    for v in turn.violations:
        console.print(Text(f"  ✗ 禁语「{v.matched}」[{v.rule}] 建议: {v.suggestion}", style="red"))
        console.print(Text(f"    依据: {v.source}", style="dim"))
    for b in turn.expected:
        if b in turn.behaviours:
            console.print(Text(f"  ✓ {b}", style="green"))
        elif b in turn.missing:
            console.print(Text(f"  △ 还需要: {b}", style="yellow"))
    if turn.violations or turn.missing:
        console.print(Text(f"  参考: {turn.reference} ({turn.reference_source})", style="cyan"))
    console.print(Text(f"  礼仪得分 {turn.score}  耐心 {turn.patience}", style="dim"))


def drill_report(console: Console, state: DrillState, card: Scorecard) -> None:
    for turn in state.turns:
        console.print(Text("群众: ", style="bold magenta") + Text(turn.citizen))
        console.print(Text("学员: ", style="bold") + Text(turn.trainee))
        turn_feedback(console, turn)
    if state.closing:
        console.print(Text("群众: ", style="bold magenta") + Text(state.closing))
    scorecard_report(console, card)


def scorecard_report(console: Console, card: Scorecard) -> None:
    table = Table(title=f"成绩单 {card.scenario}: {card.score}/100 ({card.outcome})")
    for column in ("criterion", "score", "note"):
        table.add_column(column)
    for area in card.criteria.values():
        if area.applicable:
            table.add_row(area.title, str(area.score), area.note)
    console.print(table)
    for point in card.lost:
        console.print(Text(f"  第{point.turn}轮: {point.reason}", style="yellow"))
    for tip in card.practise:
        console.print(Text(f"  练习建议: {tip}", style="cyan"))


def interactive_drill(console: Console, drill: Drill, scenario_id: str, seed: int) -> None:
    scenario = drill.library.scenario(scenario_id)
    console.print(Text(f"{scenario.title} — {scenario.persona.name} ({scenario.persona.age}岁, {scenario.persona.mood})", style="bold"))
    console.print(Text("输入回复后回车; /quit 或 Ctrl-D 结束。", style="dim"))
    state = drill.start(scenario_id, seed)
    while state.outcome == "in_progress":
        console.print(Text("群众: ", style="bold magenta") + Text(state.citizen))
        try:
            text = console.input("[bold]您: [/bold]").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if text in ("/quit", "/exit"):
            break
        if not text:
            continue
        state = drill.reply(state, text)
        turn_feedback(console, state.turns[-1])
    if state.closing:
        console.print(Text("群众: ", style="bold magenta") + Text(state.closing))
    scorecard_report(console, drill.scorecard(state))
