"""Evaluators: each takes labelled cases and returns a dict of metrics with a primary metric.

Gold sets live in ``evals/``; ``assistant eval …`` prints these dicts as the tables the
README quotes. Cases are validated like every other data file (``extra="forbid"``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.checker import Checker
from assistant.errors import KnowledgeError
from assistant.jsonl import read_lines
from assistant.knowledge import KnowledgeBase, format_validation_error

C = TypeVar("C", bound=BaseModel)
Metrics = dict[str, Any]


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CheckCase(Case):
    id: str
    text: str
    context: str | None = None
    labels: list[str]
    kind: Literal["exact", "obfuscated", "paraphrase", "embedded", "clean", "hard_negative"]
    why: str


class PairCase(Case):
    id: str
    context: str
    better: str
    worse: str
    why: str


def load_cases(path: Path, model: type[C]) -> list[C]:
    """Every line of a gold file as ``model``; the first bad line fails with its number."""
    cases: list[C] = []
    if not path.is_file():
        raise KnowledgeError(f"{path}: no such file")
    with path.open("rb") as stream:
        for line in read_lines(stream):
            if line.error is not None:
                raise KnowledgeError(f"{path}: {line.error}")
            try:
                cases.append(model.model_validate(line.data))
            except ValidationError as exc:
                raise KnowledgeError(format_validation_error(f"{path} line {line.number}", line.data, exc)) from exc
    return cases


def prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


def score_predictions(cases: Sequence[CheckCase], predicted: Sequence[set[str]]) -> Metrics:
    """Micro P/R/F1 over (reply, rule) pairs, overall, per rule and per kind."""
    totals: Counter[str] = Counter()
    per_rule: dict[str, Counter[str]] = defaultdict(Counter)
    per_kind: dict[str, Counter[str]] = defaultdict(Counter)
    flagged_clean = Counter[str]()
    for case, found in zip(cases, predicted, strict=True):
        gold = set(case.labels)
        for rule in found | gold:
            outcome = "tp" if rule in found and rule in gold else ("fp" if rule in found else "fn")
            totals[outcome] += 1
            per_rule[rule][outcome] += 1
            per_kind[case.kind][outcome] += 1
        per_kind[case.kind]["n"] += 1
        if not gold:
            flagged_clean["n"] += 1
            flagged_clean["flagged"] += bool(found)
    metrics: Metrics = {"primary_metric": "f1", "cases": len(cases)}
    metrics.update(prf(totals["tp"], totals["fp"], totals["fn"]))
    metrics["per_rule"] = {r: prf(c["tp"], c["fp"], c["fn"]) for r, c in sorted(per_rule.items())}
    metrics["per_kind"] = {k: {**prf(c["tp"], c["fp"], c["fn"]), "n": c["n"]} for k, c in sorted(per_kind.items())}
    metrics["clean_flagged"] = round(flagged_clean["flagged"] / flagged_clean["n"], 4) if flagged_clean["n"] else 0.0
    return metrics


def evaluate_checker(checker: Checker, cases: Sequence[CheckCase], batch: int = 64) -> Metrics:
    predicted: list[set[str]] = []
    for i in range(0, len(cases), batch):
        chunk = cases[i : i + batch]
        results = checker.check_many([(c.text, c.context) for c in chunk])
        predicted += [{v.rule for v in r.violations} for r in results]
    return score_predictions(cases, predicted)


def substring_baseline(kb: KnowledgeBase) -> Callable[[str], set[str]]:
    """The naive tool we replace: a rule fires when one of its manual phrases is a substring."""
    phrases = [(r.id, p) for r in kb.rules for p in r.phrases]
    return lambda text: {rule for rule, phrase in phrases if phrase in text}


def evaluate_baseline(kb: KnowledgeBase, cases: Sequence[CheckCase]) -> Metrics:
    find = substring_baseline(kb)
    return score_predictions(cases, [find(c.text) for c in cases])


def evaluate_pairs(checker: Checker, pairs: Sequence[PairCase]) -> Metrics:
    """Share of pairs where the etiquette score strictly prefers the better reply (ties fail)."""
    items = [(text, p.context) for p in pairs for text in (p.better, p.worse)]
    results = checker.check_many(items)
    wrong: list[str] = []
    for index, pair in enumerate(pairs):
        if results[2 * index].score <= results[2 * index + 1].score:
            wrong.append(pair.id)
    accuracy = 1 - len(wrong) / len(pairs) if pairs else 0.0
    return {"primary_metric": "pairwise_accuracy", "pairwise_accuracy": round(accuracy, 4),
            "pairs": len(pairs), "wrong": wrong}  # fmt: skip


def failures(checker: Checker, cases: Iterable[CheckCase]) -> list[dict[str, Any]]:
    """The cases the checker gets wrong, with what it found: for tuning on the dev split."""
    out = []
    for case in cases:
        result = checker.check(case.text, case.context)
        found = {v.rule for v in result.violations}
        if found != set(case.labels):
            out.append({"id": case.id, "kind": case.kind, "text": case.text, "gold": case.labels,
                        "found": [(v.rule, v.matched, v.evidence.kind, v.evidence.variant) for v in result.violations]})  # fmt: skip
    return out


# -- retrieval and answers -------------------------------------------------------------------
class AskCase(Case):
    id: str
    question: str
    keywords: list[str] = Field(default_factory=list, description="a right passage contains all")
    in_scope: bool
    passage: str | None = Field(default=None, description="id of the passage that answers it")
    why: str = ""


def _contains_all(text: str, keywords: list[str]) -> bool:
    from assistant.text import normalise

    flat = normalise(text).text
    return all(normalise(k).text in flat for k in keywords)


def rank_of_answer(hits: Sequence[Any], keywords: list[str]) -> int | None:
    for rank, hit in enumerate(hits, start=1):
        if _contains_all(hit.passage.body, keywords):
            return rank
    return None


def evaluate_ask(answerer: Any, cases: Sequence[AskCase], modes: Sequence[str] = ("lexical", "dense", "hybrid", "answer")) -> Metrics:
    """hit@1, hit@3 and MRR per ranker over answerable passages (``answer``: the hybrid ranking
    reordered by the passage head, what ``ask`` uses); decline rates of ``ask``."""
    from assistant.answers import ANSWER_KINDS

    in_scope = [c for c in cases if c.in_scope]
    out_scope = [c for c in cases if not c.in_scope]
    metrics: Metrics = {"primary_metric": "answer_hit@1", "in_scope": len(in_scope), "out_of_scope": len(out_scope)}
    misses: list[str] = []
    for mode in modes:
        ranks = []
        for case in in_scope:
            if mode == "answer":
                hits = answerer.rank(case.question)
            else:
                hits = [h for h in answerer.retriever.search(case.question, k=20, mode=mode) if h.passage.kind in ANSWER_KINDS]
            ranks.append(rank_of_answer(hits[:10], case.keywords))
            if mode == "answer" and ranks[-1] != 1:
                misses.append(case.id)
        n = len(ranks) or 1
        metrics[f"{mode}_hit@1"] = round(sum(r == 1 for r in ranks) / n, 4)
        metrics[f"{mode}_hit@3"] = round(sum(r is not None and r <= 3 for r in ranks) / n, 4)
        metrics[f"{mode}_mrr"] = round(sum(1 / r for r in ranks if r) / n, 4)
    answered = {c.id: answerer.ask(c.question).answered for c in cases}
    declined_out = [c.id for c in out_scope if not answered[c.id]]
    declined_in = [c.id for c in in_scope if not answered[c.id]]
    metrics["out_of_scope_declined"] = round(len(declined_out) / (len(out_scope) or 1), 4)
    metrics["in_scope_declined"] = round(len(declined_in) / (len(in_scope) or 1), 4)
    metrics["answer_misses"] = misses
    metrics["wrongly_declined"] = declined_in
    metrics["wrongly_answered"] = [c.id for c in out_scope if c.id not in declined_out]
    return metrics


# -- behaviour recognition -------------------------------------------------------------------
class BehaviourCase(Case):
    id: str
    text: str
    behaviours: list[str]
    why: str = ""


def check_examples(path: Path) -> list[tuple[str, list[str]]]:
    """The labelled replies the checker's stance head learns from: (text, rule ids)."""
    return [(c.text, c.labels) for c in load_cases(path, CheckCase)]


def pair_examples(path: Path) -> list[tuple[str, str, str]]:
    """Labelled pairs as (criterion the pair is about, better, worse); the criterion is the
    word before the colon of ``why`` ("no_arguing: …"), or "" when ``why`` names none."""
    return [(p.why.split(":", 1)[0].strip() if ":" in p.why else "", p.better, p.worse)
            for p in load_cases(path, PairCase)]  # fmt: skip


def behaviour_examples(path: Path | None) -> list[tuple[str, list[str]]]:
    """The labelled replies the behaviour recogniser learns from (none without a file)."""
    return [(c.text, c.behaviours) for c in load_cases(path, BehaviourCase)] if path is not None else []


def evaluate_behaviours(recogniser: Any, cases: Sequence[BehaviourCase]) -> Metrics:
    """Micro P/R/F1 over (reply, behaviour) pairs for cues only, the learned head only, and both."""
    metrics: Metrics = {"primary_metric": "combined_f1", "cases": len(cases)}
    ids = list(recogniser.behaviours)
    per_behaviour: dict[str, Counter[str]] = defaultdict(Counter)
    for mode in ("cues", "learned", "combined"):
        counts: Counter[str] = Counter()
        for case in cases:
            found = _recognised(recogniser, case.text, ids, mode)
            gold = set(case.behaviours)
            for b in found | gold:
                outcome = "tp" if b in found and b in gold else ("fp" if b in found else "fn")
                counts[outcome] += 1
                if mode == "combined":
                    per_behaviour[b][outcome] += 1
        scores = prf(counts["tp"], counts["fp"], counts["fn"])
        metrics.update({f"{mode}_{k}": v for k, v in scores.items() if k in ("precision", "recall", "f1")})
    metrics["per_behaviour"] = {b: prf(c["tp"], c["fp"], c["fn"]) for b, c in sorted(per_behaviour.items())}
    return metrics


def _recognised(recogniser: Any, text: str, ids: list[str], mode: str) -> set[str]:
    from assistant.text import normalise

    if mode == "cues":
        return {b for b in ids if recogniser.by_cue(normalise(text).text, b)}
    if mode == "learned":
        display = normalise(text).text
        return set(recogniser.by_head(display, recogniser.embedder.embed([display])[0], ids))
    return set(recogniser.recognise(text, ids))
