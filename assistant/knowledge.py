"""The knowledge base: the manuals distilled into validated YAML under ``knowledge/``.

Each file is a pydantic model with ``extra="forbid"`` so a typo fails at load with the file,
the entry and the field named. Every entry cites the manual and section it comes from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from assistant.errors import KnowledgeError

M = TypeVar("M", bound=BaseModel)

RULE_IDS = (
    "dont_know",
    "pass_the_buck",
    "read_it_yourself",
    "closing_time",
    "impatient",
    "defiant",
    "insult",
    "curt",
)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Citation(Model):
    manual: str = Field(description="id of a manual in manuals.yaml, e.g. m000")
    section: str = Field(min_length=1, description="the heading or clause in that manual")


class Manual(Model):
    id: str
    file: str
    title: str


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from exc
    return pattern


def _check_optional_regex(pattern: str | None) -> str | None:
    return None if pattern is None else _check_regex(pattern)


def _check_regexes(patterns: list[str]) -> list[str]:
    return [_check_regex(p) for p in patterns]


class Exemption(Model):
    """A context in which a matched phrase is not a violation (e.g. 您不知道也没关系)."""

    pattern: str
    where: Literal["before", "after", "sentence", "later", "match"] = Field(
        description="text searched: the sentence before the match, after it, the whole sentence, "
        "the sentences that follow it (a remedy offered next: 我查好后给您回过去), or the matched "
        "words themselves (a semantic hit on 还有别的事吗 is an offer of more help)"
    )
    unless: str | None = Field(
        default=None, description="a regex over the same text that cancels the exemption "
        "(an apology with 马上下班了 in the sentence still turns the citizen away)"
    )
    why: str

    _valid = field_validator("pattern")(_check_regex)
    _valid_unless = field_validator("unless")(_check_optional_regex)


class BannedRule(Model):
    id: str
    title: str
    principle: str = Field(description="why the phrase is banned, in our own words")
    severity: int = Field(ge=1, le=3, description="1 curt … 3 insulting; drives drill patience")
    phrases: list[str] = Field(min_length=1, description="the banned phrases as the manuals word them")
    variants: list[str] = Field(default_factory=list, description="paraphrases we wrote")
    patterns: list[str] = Field(
        default_factory=list, description="regexes over each sentence's skeleton (^ $ = sentence)"
    )
    exemptions: list[Exemption] = Field(default_factory=list)
    semantic: bool = Field(default=True, description="also match paraphrases by embedding")
    near_misses: list[str] = Field(
        default_factory=list, description="polite replies that look alike; semantic negatives"
    )
    alternatives: list[str] = Field(min_length=1, description="civil replies to suggest instead")
    questions: list[str] = Field(default_factory=list, description="what citizens ask about it")
    sources: list[Citation] = Field(min_length=1)

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        for pattern in value:
            # The skeleton a pattern runs on has repeats collapsed (看看 -> 看): a doubled
            # character in a pattern could never match.
            if doubled := re.search(r"([\u3400-\u9fff])\1", pattern):
                raise ValueError(f"pattern {pattern!r} repeats {doubled.group(1)!r}: patterns match text whose "
                                 f"repeated characters are collapsed, so write {doubled.group(1)!r} once")  # fmt: skip
        return [_check_regex(p) for p in value]


class Situation(Model):
    id: str
    title: str
    when: str
    phrases: list[str] = Field(min_length=1)
    questions: list[str] = Field(default_factory=list)  # citizens' wording: indexed, never shown
    sources: list[Citation] = Field(min_length=1)


class Procedure(Model):
    id: str
    title: str
    kind: Literal["procedure", "principle", "stage", "rule"]
    summary: str
    points: list[str] = Field(default_factory=list)
    phrases: list[str] = Field(default_factory=list)
    questions: list[str] = Field(default_factory=list, description="what citizens ask about it")
    sources: list[Citation] = Field(min_length=1)


class Criterion(Model):
    id: str
    title: str
    explanation: str
    weight: float = Field(gt=0)
    cues: list[str] = Field(default_factory=list, description="regexes that show it was met")
    sources: list[Citation] = Field(min_length=1)

    _valid = field_validator("cues")(_check_regexes)


# The signals etiquette.py reads: the moment from the citizen's words, what the reply did
SIGNAL_IDS = ("OPENING", "WAITED", "CLOSING", "MATERIALS", "ASKS_WHEN", "FEEDBACK", "MISSING", "REDIRECT",
              "REFUSAL", "ENUMERATION", "COMPLETE", "DEFERRED", "BARE_ORDER", "SOFTENED", "REQUEST", "PLEASE", "FOLLOW_UP", "FLOOR")  # fmt: skip


class Signal(Model):
    """A named regex (the alternation of ``patterns``) over the citizen's words or the reply."""

    id: str
    reads: Literal["citizen", "reply"]
    why: str
    patterns: list[str] = Field(min_length=1)

    _valid = field_validator("patterns")(_check_regexes)

    @property
    def regex(self) -> str:
        return "|".join(self.patterns)


class OfficeHours(Model):
    text: str
    source: Citation


class Hall(Model):
    name: str
    office_hours: OfficeHours
    office_hours_variants: list[OfficeHours] = Field(default_factory=list)
    hotline: str
    consultation_desk: str
    questions: list[str] = Field(default_factory=list, description="what citizens ask about it")


class ScopeTopic(Model):
    topic: str
    examples: list[str] = Field(min_length=1)


class ScopeFile(Model):
    out_of_scope: list[ScopeTopic]


class ManualsFile(Model):
    manuals: list[Manual]


class BannedFile(Model):
    rules: list[BannedRule]


class PhrasesFile(Model):
    situations: list[Situation]


class ProceduresFile(Model):
    procedures: list[Procedure]


class CriteriaFile(Model):
    criteria: list[Criterion]
    signals: list[Signal] = Field(default_factory=list)


class HallFile(Model):
    hall: Hall


class KnowledgeBase(Model):
    manuals: list[Manual]
    rules: list[BannedRule]
    situations: list[Situation]
    procedures: list[Procedure]
    criteria: list[Criterion]
    signals: list[Signal] = Field(default_factory=list)
    hall: Hall
    out_of_scope: list[ScopeTopic] = Field(default_factory=list)

    def rule(self, rule_id: str) -> BannedRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KnowledgeError(f"no banned-phrase rule {rule_id!r}")

    def situation(self, situation_id: str) -> Situation:
        for situation in self.situations:
            if situation.id == situation_id:
                return situation
        raise KnowledgeError(f"no situation {situation_id!r}")

    def criterion(self, criterion_id: str) -> Criterion:
        for criterion in self.criteria:
            if criterion.id == criterion_id:
                return criterion
        raise KnowledgeError(f"no criterion {criterion_id!r}")

    def manual_title(self, manual_id: str) -> str:
        return next((m.title for m in self.manuals if m.id == manual_id), manual_id)

    def cite(self, citation: Citation) -> str:
        """A human-readable citation: ``《title》(file) section``."""
        manual = next((m for m in self.manuals if m.id == citation.manual), None)
        if manual is None:
            return citation.section
        return f"《{manual.title}》{citation.section}"


FILES: dict[str, type[Model]] = {
    "manuals.yaml": ManualsFile,
    "banned.yaml": BannedFile,
    "phrases.yaml": PhrasesFile,
    "procedures.yaml": ProceduresFile,
    "criteria.yaml": CriteriaFile,
    "hall.yaml": HallFile,
    "scope.yaml": ScopeFile,
}


def describe_location(data: Any, loc: tuple[int | str, ...]) -> str:
    """Turn a pydantic error location into ``rules[3] (id=dont_know).alternatives``."""
    parts: list[str] = []
    node = data
    for key in loc:
        if isinstance(key, int):
            label = f"[{key}]"
            node = node[key] if isinstance(node, list) and key < len(node) else None
            if isinstance(node, dict) and "id" in node:
                label += f" (id={node['id']})"
            parts.append(label)
        else:
            parts.append(("." if parts else "") + key)
            node = node.get(key) if isinstance(node, dict) else None
    return "".join(parts) or "(top level)"


def format_validation_error(path: Path | str, data: Any, exc: ValidationError) -> str:
    lines = [f"{path}: invalid"]
    for err in exc.errors():
        lines.append(f"  {describe_location(data, tuple(err['loc']))}: {err['msg']}")
    return "\n".join(lines)


def read_yaml(path: Path) -> Any:
    if not path.is_file():
        raise KnowledgeError(f"{path}: file not found")
    try:
        # libyaml's loader when built in: the same documents, ~8× faster (0.8 s of a CLI start)
        return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: not valid UTF-8 YAML: {exc}") from exc


def parse_file(path: Path, model: type[M]) -> M:
    data = read_yaml(path)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise KnowledgeError(format_validation_error(path, data, exc)) from exc


def load_knowledge(directory: Path | str) -> KnowledgeBase:
    """Read and validate every file of a knowledge directory, then cross-check references."""
    root = Path(directory)
    parsed = {name: parse_file(root / name, model) for name, model in FILES.items()}
    kb = KnowledgeBase(
        manuals=parsed["manuals.yaml"].manuals,  # type: ignore[attr-defined]
        rules=parsed["banned.yaml"].rules,  # type: ignore[attr-defined]
        situations=parsed["phrases.yaml"].situations,  # type: ignore[attr-defined]
        procedures=parsed["procedures.yaml"].procedures,  # type: ignore[attr-defined]
        criteria=parsed["criteria.yaml"].criteria,  # type: ignore[attr-defined]
        signals=parsed["criteria.yaml"].signals,  # type: ignore[attr-defined]
        hall=parsed["hall.yaml"].hall,  # type: ignore[attr-defined]
        out_of_scope=parsed["scope.yaml"].out_of_scope,  # type: ignore[attr-defined]
    )
    _cross_check(root, kb)
    return kb


def _cross_check(root: Path, kb: KnowledgeBase) -> None:
    manual_ids = {m.id for m in kb.manuals}
    problems: list[str] = []
    cited: tuple[tuple[str, Sequence[BannedRule | Situation | Procedure | Criterion]], ...] = (
        ("banned.yaml rules", kb.rules),
        ("phrases.yaml situations", kb.situations),
        ("procedures.yaml procedures", kb.procedures),
        ("criteria.yaml criteria", kb.criteria),
    )
    for label, entries in cited:
        seen: set[str] = set()
        for index, entry in enumerate(entries):
            if entry.id in seen:
                problems.append(f"{label}[{index}] (id={entry.id}): duplicate id")
            seen.add(entry.id)
            for citation in entry.sources:
                if citation.manual not in manual_ids:
                    problems.append(
                        f"{label}[{index}] (id={entry.id}).sources: unknown manual "
                        f"{citation.manual!r} (known: {', '.join(sorted(manual_ids))})"
                    )
    signal_ids = [s.id for s in kb.signals]
    for name in sorted({i for i in signal_ids if signal_ids.count(i) > 1}):
        problems.append(f"criteria.yaml signals (id={name}): duplicate id")
    absent = [name for name in SIGNAL_IDS if name not in signal_ids]
    if absent:
        problems.append(f"criteria.yaml signals: missing {', '.join(absent)} (the etiquette score reads them)")
    missing = set(RULE_IDS) - {r.id for r in kb.rules}
    if missing:
        problems.append(f"banned.yaml rules: missing required rule ids {sorted(missing)}")
    if problems:
        raise KnowledgeError(f"{root}: inconsistent knowledge\n  " + "\n  ".join(problems))


def load_for_hall(directory: Path | str, hall_file: Path | None = None) -> KnowledgeBase:
    """The knowledge base with a hall's own settings (office hours, hotline…) applied."""
    kb = load_knowledge(directory)
    if hall_file is None:
        return kb
    hall = parse_file(hall_file, HallFile).hall
    return kb.model_copy(update={"hall": hall})
