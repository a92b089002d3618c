"""The etiquette score: how courteous one reply is, criterion by criterion (0–100).

Which criteria apply depends on the moment: a greeting is expected when the citizen arrives,
an apology after a long wait, a farewell when they leave. ``Context`` says so explicitly (the
drills know the stage); from a bare citizen utterance we infer it with the cues below. Whether
a criterion was *met* is read from the reply with the cues in ``knowledge/criteria.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from assistant.knowledge import KnowledgeBase

# When does a criterion apply? Cues over the citizen's words (c) or the reply itself (r).
OPENING_C = re.compile(r"你好|您好|[早上下中晚]午?上?好|请问|同志|我想|我要|我是来|来[领办交取]|想办|要办|办个|办理|在这|是这里|在哪|怎么办")
WAITED_C = re.compile(r"等了|排了|排队|半天|好久|多久|这么久|一直|\d+分钟|[一二三四五六七八九十几半]+(分钟|个?小时)|白跑|又跑|跑一趟|又来|跑了|第[二三四两]次|怎么还|又退|退回|坏了|出错|系统|怎么回事|太慢")
CLOSING_C = re.compile(r"谢谢|再见|走了|先走|我知道了|明白了|好的|行吧|那就这样|没有了|没别的")
MATERIALS_C = re.compile(r"材料|证件|带齐|缺|还要|需要什么|要什么|要带|够了吗|齐了吗|准备|复印件")
MISSING_R = re.compile(r"缺|补(齐|交|正|充|上|全)|还需要|还要|还差|少了|不齐|不全|没带")
REDIRECT_R = re.compile(r"(去|到|找|前往|在)[^,。!?]{0,14}(窗口|部门|科|局|处|所|中心|大厅|服务台|楼|柜台)|不归|不属于|不在我们|别的窗口|其他窗口|在那边|那边有")
REFUSAL_R = re.compile(r"不能|不可以|无法|不予|[办拿查开做批给]不了|不行|不符合|不允许|不受理|没办法|没法")
ENUMERATION_R = re.compile(r"[、;]|和|以及|还有|第[一二三]|[1-9][.)]|一是|[两三四五六]样|一次性|全部|所有|告知书|告知单|清单|以下|这几")
COMPLETE_R = re.compile(r"都齐了|齐全|都带了|(材料|手续)(已经)?够了|不缺")
YOU_R = re.compile(r"你(?!们)")
# an order to the citizen with no 请/麻烦/您 softening it ("拿出来给我", "过来", "等着")
BARE_ORDER_R = re.compile(r"(拿|交|递|给)(出来|过来|上来)?给我|(拿|递)(出来|过来)|填(一下|好)|签(个|一下)字|^过来|等着|让一让|让开")
SOFTENED_R = re.compile(r"请|麻烦|您|劳驾")


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


def _flag(explicit: bool | None, pattern: re.Pattern[str], citizen: str) -> bool:
    return explicit if explicit is not None else bool(citizen and pattern.search(citizen))


class EtiquetteScorer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.cues = {c.id: re.compile("|".join(f"(?:{p})" for p in c.cues)) if c.cues else None
                     for c in kb.criteria}  # fmt: skip
        self.sources = {c.id: kb.cite(c.sources[0]) for c in kb.criteria}  # cited once, not per reply
        # results repeat (few notes, few fractions) and are frozen: build each once, not per reply
        self._result = lru_cache(maxsize=4096)(self._build_result)

    def _met(self, criterion: str, reply: str) -> bool:
        cue = self.cues.get(criterion)
        return bool(cue and cue.search(reply))

    def assess(self, reply: str, ctx: Context, banned_rules: list[str]) -> dict[str, tuple[bool, float, str]]:
        """criterion id → (applicable, met 0..1, note). ``reply`` is the display form."""
        c = ctx.citizen
        out: dict[str, tuple[bool, float, str]] = {}
        opening = _flag(ctx.opening, OPENING_C, c) and not _flag(ctx.closing, CLOSING_C, c)
        out["greeting"] = (opening, float(self._met("greeting", reply)), "citizen just arrived")
        out["honorific"] = self._honorific(reply)
        inconvenienced = _flag(ctx.waited, WAITED_C, c) or bool(REFUSAL_R.search(reply))
        out["apology"] = (inconvenienced, float(self._met("apology", reply)),
                          "citizen waited or is refused/delayed")  # fmt: skip
        closing = _flag(ctx.closing, CLOSING_C, c)
        out["farewell"] = (closing, float(self._met("farewell", reply)), "citizen is leaving")
        out["one_time_notice"] = self._one_time(reply, ctx)
        redirect = bool(REDIRECT_R.search(reply)) or "pass_the_buck" in banned_rules
        out["redirect_named"] = (redirect, float(self._met("redirect_named", reply)),
                                 "reply sends the citizen elsewhere")  # fmt: skip
        refusing = bool(REFUSAL_R.search(reply))
        out["refusal_reason"] = (refusing, float(self._met("refusal_reason", reply)),
                                 "reply refuses or says it cannot be done")  # fmt: skip
        arguing = self._met("no_arguing", reply)  # its cues are the failures
        out["no_arguing"] = (True, 0.0 if arguing else 1.0, "argues or blames" if arguing else "")
        out["no_banned"] = (True, 0.0 if banned_rules else 1.0,
                            ", ".join(sorted(set(banned_rules))))  # fmt: skip
        return out

    def _honorific(self, reply: str) -> tuple[bool, float, str]:
        informal = len(YOU_R.findall(reply))
        formal = reply.count("您")
        if informal + formal:
            return True, formal / (formal + informal), f"您 ×{formal}, 你 ×{informal}"
        if BARE_ORDER_R.search(reply) and not SOFTENED_R.search(reply):
            return True, 0.5, "an order without 请"
        return False, 1.0, ""  # Chinese drops pronouns freely: only 你 or a bare order costs points

    def _one_time(self, reply: str, ctx: Context) -> tuple[bool, float, str]:
        if ctx.missing_items:
            named = [item for item in ctx.missing_items if item in reply]
            return True, len(named) / len(ctx.missing_items), f"named {len(named)}/{len(ctx.missing_items)}"
        # applies when the reply talks about missing items or the citizen asks what to bring
        applies = bool(MISSING_R.search(reply)) or bool(ctx.citizen and MATERIALS_C.search(ctx.citizen))
        listed = bool(ENUMERATION_R.search(reply)) or bool(COMPLETE_R.search(reply))
        return applies, float(listed), "should list every missing item at once"

    def score(self, reply: str, ctx: Context, banned_rules: list[str]) -> tuple[int, dict[str, CriterionResult]]:
        results: dict[str, CriterionResult] = {}
        total = earned = 0.0
        assessed = self.assess(reply, ctx, banned_rules)
        for criterion in self.kb.criteria:
            applicable, met, note = assessed.get(criterion.id, (False, 1.0, ""))
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
