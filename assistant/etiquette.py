"""The etiquette score: how courteous one reply is, criterion by criterion (0–100).

Which criteria apply depends on the moment: a greeting is expected when the citizen arrives,
an apology after a long wait, a farewell when they leave. ``Context`` says so explicitly (the
drills know the stage); from a bare citizen utterance we infer it with the named signals of
``knowledge/criteria.yaml``. Whether a criterion was *met* is read from the reply with the
criteria's cues and the reply signals there. Cues can look met when a criterion is not: a vague
list ("还差一两样东西"), an agency named without a window, blame in polite words ("您可能没注意到").
For those criteria a head learned from labelled pairs of replies (the worse of a pair fails its
criterion) can veto the cue: ``fit_veto_head``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.heads import LinearHead
from assistant.knowledge import KnowledgeBase
from assistant.prefilter import LiteralGate

# When a criterion applies, and much of what a reply did, is read by the named signals in
# knowledge/criteria.yaml (citizen side: OPENING, WAITED…; reply side: REDIRECT, REFUSAL…).
# 你们 can be neutral ("你们单位"), but 你们俩 / 你们几个 addresses the citizens themselves (二位 is polite)
YOU_R = re.compile(r"你(?!们)|你们(?=俩|两|几个)")


@dataclass(frozen=True)
class Context:
    """What the checker knows about the moment of a reply. ``None`` means: infer it."""

    citizen: str = ""
    opening: bool | None = None
    closing: bool | None = None
    waited: bool | None = None
    missing_items: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, value: Context | str | None) -> Context:
        if isinstance(value, Context):
            return value
        return cls(citizen=value or "")


class CriterionResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    applicable: bool
    met: float  # 0..1, meaningful when applicable
    weight: float
    note: str
    explanation: str
    source: str


# The criteria whose "met" ``assess`` reads from their cues; only these cues are searched
# (honorific and one-time notice are judged by the counts and regexes above).
MET_BY_CUES = ("greeting", "apology", "farewell", "redirect_named", "refusal_reason", "time_given",
               "thanks_feedback", "no_arguing")  # fmt: skip


class _Searches:
    """Named regexes (a name may have several); ``found(text)`` names those with a regex that
    matches somewhere in ``text``."""

    def __init__(self, regexes: list[tuple[str, re.Pattern[str]]]) -> None:
        self._names = [name for name, _ in regexes]
        self._gate = LiteralGate([regex for _, regex in regexes])

    def found(self, text: str) -> set[str]:
        return {self._names[i] for i in self._gate.search(text)} if text else set()


NOT_ASSESSED = (False, 1.0, "")  # a criterion ``assess`` does not judge: not applicable

# The criteria a learned head may veto, and its fit. On 150 unseen pairs (README) these three
# gained and vetoing the others changed nothing. n-grams only: no model call per reply.
VETO_CRITERIA = ("one_time_notice", "redirect_named", "no_arguing")
VETO_C = 1000.0  # weak regularisation: a pair differs in a few words, which must carry weight
VETO_P = 0.4
_NO_VECTOR = np.zeros(0, dtype=np.float32)


def veto_rows(pairs: Sequence[tuple[str, str, str]],
              clean: Sequence[str]) -> tuple[list[str], list[list[bool]]]:  # fmt: skip
    """Training rows of the veto head from ``(criterion, better, worse)`` pairs and replies
    known to be clean: the worse reply of a pair fails its criterion (when a vetoed one);
    better replies and clean replies fail none."""
    texts, rows = list(clean), [[False] * len(VETO_CRITERIA) for _ in clean]
    for criterion, better, worse in pairs:
        texts.append(better)
        rows.append([False] * len(VETO_CRITERIA))
        if criterion in VETO_CRITERIA:
            texts.append(worse)
            rows.append([c == criterion for c in VETO_CRITERIA])
    return texts, rows


def fit_veto_head(pairs: Sequence[tuple[str, str, str]], clean: Sequence[str]) -> LinearHead:
    """A head giving, per vetoed criterion, the probability that a reply fails it."""
    texts, rows = veto_rows(pairs, clean)
    vectors = np.zeros((len(texts), 0), dtype=np.float32)
    labels = np.array(rows, dtype=bool)
    return LinearHead.fit(list(VETO_CRITERIA), texts, vectors, labels, VETO_C, gram_weight=1.0)


def _flag(explicit: bool | None, name: str, heard: set[str]) -> bool:
    return explicit if explicit is not None else name in heard


class EtiquetteScorer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        # a criterion's cues are searched with the reply regexes, each behind its own literals:
        # one alternation of them all tried every cue at every position (~12 µs a reply)
        cues = [(c.id, re.compile(cue)) for c in kb.criteria if c.id in MET_BY_CUES for cue in c.cues]
        # every reply and citizen utterance is searched for all signals, each behind its literals
        signals = {side: [(s.id, re.compile(s.regex)) for s in kb.signals if s.reads == side] for side in ("reply", "citizen")}
        self._reply = _Searches(cues + signals["reply"])
        self._citizen = _Searches(signals["citizen"])
        self.sources = {c.id: kb.cite(c.sources[0]) for c in kb.criteria}  # cited once, not per reply
        self._ids = [c.id for c in kb.criteria]
        # results repeat (few notes, few fractions) and are frozen: build each once, not per
        # reply; whole assessments repeat too (≈ 80% of new eval replies share one with another)
        self._result = lru_cache(maxsize=4096)(self._build_result)
        self._scored = lru_cache(maxsize=4096)(self._score)
        self.veto: LinearHead | None = None  # see ``fit_veto_head``

    def vetoes(self, keys: Sequence[str]) -> list[dict[str, float]] | None:
        """The veto head's reading of many replies (their matching keys) at once, for
        ``assess``'s ``veto``: scored as a batch it costs a fraction of one reply at a time."""
        return None if self.veto is None else self.veto.probabilities_many(np.zeros((len(keys), 0), dtype=np.float32), keys)

    def assess(self, reply: str, ctx: Context, banned_rules: list[str], reply_key: str | None = None,
               veto: dict[str, float] | None = None) -> dict[str, tuple[bool, float, str]]:  # fmt: skip
        """criterion id → (applicable, met 0..1, note). ``reply`` is the display form and
        ``reply_key`` its matching key (``text.key``) when the caller has it; ``veto`` the
        veto head's reading of it when already computed (``vetoes``)."""
        found, heard = self._reply.found(reply), self._citizen.found(ctx.citizen)
        out: dict[str, tuple[bool, float, str]] = {}
        opening = _flag(ctx.opening, "OPENING", heard) and not _flag(ctx.closing, "CLOSING", heard)
        out["greeting"] = (opening, float("greeting" in found), "citizen just arrived")
        out["honorific"] = self._honorific(reply, found)
        inconvenienced = _flag(ctx.waited, "WAITED", heard) or "REFUSAL" in found or "OFFICE_ERROR" in found
        out["apology"] = (inconvenienced, float("apology" in found), "citizen waited or is refused/delayed")
        closing = _flag(ctx.closing, "CLOSING", heard)
        out["farewell"] = (closing, float("farewell" in found), "citizen is leaving")
        out["one_time_notice"] = self._one_time(reply, ctx, found, heard)
        redirect = "REDIRECT" in found or "pass_the_buck" in banned_rules
        named = 1.0 if "redirect_named" in found else 0.5 if "FLOOR" in found else 0.0
        out["redirect_named"] = (redirect, named, "reply sends the citizen elsewhere: the window, room or office, not just a floor")
        refusing = "REFUSAL" in found
        # "按规定不能办" names no rule and no reason: half of 讲明原因和依据
        vague = "VAGUE_BASIS" in found and "SPECIFIC_BASIS" not in found
        out["refusal_reason"] = (refusing, (0.5 if vague else 1.0) if "refusal_reason" in found else 0.0,
                                 "reply refuses or says it cannot be done: the reason and the rule it rests on")  # fmt: skip
        out["time_given"] = ("ASKS_WHEN" in heard, float("time_given" in found), "citizen asks when or how long")
        thanked = 0.0 if "thanks_feedback" not in found else 1.0 if "FOLLOW_UP" in found else 0.5
        out["thanks_feedback"] = ("FEEDBACK" in heard, thanked, "citizen criticises or suggests: thanks, and what happens next")
        arguing = "no_arguing" in found  # its cues are the failures
        out["no_arguing"] = (True, 0.0 if arguing else 1.0, "argues or blames" if arguing else "")
        out["no_banned"] = (True, 0.0 if banned_rules else 1.0,
                            ", ".join(sorted(set(banned_rules))))  # fmt: skip
        if self.veto is not None and any(out[c][0] and out[c][1] > 0 for c in VETO_CRITERIA):
            reading = veto if veto is not None else self.veto.probabilities(_NO_VECTOR, reply, reply_key)
            for criterion, p in reading.items():
                applicable, met, note = out[criterion]
                if applicable and met > 0 and p >= VETO_P:
                    what = "argues or blames" if criterion == "no_arguing" else note
                    out[criterion] = (True, 0.0, f"{what} (learned from labelled pairs, p={p:.2f})")
        return out

    def _honorific(self, reply: str, found: set[str]) -> tuple[bool, float, str]:
        informal = len(YOU_R.findall(reply))
        formal = reply.count("您")
        if informal + formal:
            if not informal and "REQUEST" in found and "PLEASE" not in found:
                # the manuals ask for 请 before a request, not only 您 ("请您输一下密码")
                return True, 0.75, f"您 ×{formal}, but a request without 请"
            return True, formal / (formal + informal), f"您 ×{formal}, 你 ×{informal}"
        if found & {"BARE_ORDER", "REQUEST"} and "SOFTENED" not in found:
            return True, 0.5, "an order without 请"
        return False, 1.0, ""  # Chinese drops pronouns freely: only 你 or a bare order costs points

    def _one_time(self, reply: str, ctx: Context, found: set[str], heard: set[str]) -> tuple[bool, float, str]:
        if ctx.missing_items:
            named = [item for item in ctx.missing_items if item in reply]
            return True, len(named) / len(ctx.missing_items), f"named {len(named)}/{len(ctx.missing_items)}"
        # applies when the reply talks about missing items or the citizen asks what to bring
        deferred = "DEFERRED" in found
        applies = deferred or "MISSING" in found or "MATERIALS" in heard
        listed = not deferred and ("ENUMERATION" in found or "COMPLETE" in found)
        return applies, float(listed), "should list every missing item at once"

    def score(self, reply: str, ctx: Context, banned_rules: list[str], reply_key: str | None = None,
              veto: dict[str, float] | None = None) -> tuple[int, dict[str, CriterionResult]]:  # fmt: skip
        assessed = self.assess(reply, ctx, banned_rules, reply_key, veto)
        score, results = self._scored(tuple([assessed.get(i, NOT_ASSESSED) for i in self._ids]))
        return score, dict(results)

    def _score(self, assessed: tuple[tuple[bool, float, str], ...]) -> tuple[int, dict[str, CriterionResult]]:
        """The score and results of one assessment (a tuple in the order of the criteria)."""
        results: dict[str, CriterionResult] = {}
        total = earned = 0.0
        for criterion, (applicable, met, note) in zip(self.kb.criteria, assessed, strict=True):
            results[criterion.id] = self._result(criterion.id, applicable, round(met, 3), note)
            if applicable:
                total += criterion.weight
                earned += criterion.weight * met
        return (round(100 * earned / total) if total else 100), results

    def _build_result(self, criterion_id: str, applicable: bool, met: float, note: str) -> CriterionResult:
        criterion = self.kb.criterion(criterion_id)
        # model_construct: every field comes from validated knowledge, skip re-validation
        return CriterionResult.model_construct(
            id=criterion.id, title=criterion.title, applicable=applicable, met=met,
            weight=criterion.weight, note=note, explanation=criterion.explanation,
            source=self.sources[criterion.id],
        )  # fmt: skip
