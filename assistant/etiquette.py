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
from assistant.prefilter import LiteralGate

# When does a criterion apply? Cues over the citizen's words (c) or the reply itself (r).
OPENING_C = re.compile(r"你好|您好|[早上下中晚]午?上?好|请问|同志|我想|我要|我是来|来[领办交取给上开换补]|想办|要办|办个|办理|在这|是这里|在哪|怎么办"
                       r"|头一回|第一次来|^喂|有人吗|想问(一)?下|^是[^,。!?]{2,12}吗"
                       # stage directions in the context: "(走到窗口)换驾照", "(电话)喂?"
                       r"|走到|走近|走过来|来到[^,。!?)）]{0,6}窗口|到窗口前|坐下|^[(（](电话|来电)[^)）]{0,6}[)）]|[)）]喂|来报"
                       r"|新会话|走进|进门|进了?大厅|在吗|[Ee]xcuse|[Hh]ello|这里吗|是这儿吗|推门|接通|[\]】]喂|我来(问|办|咨询)|侬好|想问问|听说|^(小伙子|姑娘|同志|师傅|大姐|大哥)|赶过来|赶来"
                       r"|回到[^,。!?)）]{0,6}窗口|打开门|开门|上门|你们是[^,。!?]{0,8}来的"
                       # someone hesitating who has not spoken yet: approached by the staff
                       r"|面露(困惑|难色|迷茫)|东张西望|四处张望|左顾右盼|徘徊|来回(点|走|转|看)|探头|[走行]到[^,。!?)）]{0,8}(前|跟前|窗口)")
WAITED_C = re.compile(r"等了|排了|排到|等到|排队|还没叫|没叫到|都[^,。!?]{0,4}了还没|超时|都第?[一二三四五六七八九十\d]+天了|(给我|你们)[^,。!?]{0,10}错|半天|好久|多久|这么久|一直|\d+分钟|[一二三四五六七八九十几半]+(分钟|个?小时)|白跑|又跑|跑一趟|又来|跑了|第[二三四两]次|怎么还|又退|退回|坏了|出错|系统|怎么回事|太慢"
                      r"|打不通|没人|才回|打成|[录弄搞写]错|又说|又要|又被|结果[^,。!?]{0,6}又|怎么又|又没|上次(说|不是说)|说好的|[打印寄算]错|转了|转来转去"
                      r"|卡住|卡纸|卡[在到]?里|死机|没反应|故障|来回跑|跑了?[一二三四五六七八九十两\d]+趟|[印写录]成|(你们|昨天|之前|上次)[^。!?]{0,12}说[^。!?]{0,24}(说|结果)[^。!?]{0,6}不(能|行|可以|让)"
                      r"|(写的是|说的是|明明)[^。!?]{0,16}(结果|却|怎么|点解)|断了|中断|掉线|断线|说好|才来|搁置|白预约|[两几]分钟|打发|又(叫|让)我|找不到了|(你们|给我)[^,。!?]{0,8}丢|放错|弄混|被取消|取消了|推来推去|来回指|打了[^,。!?]{0,4}(遍|次)|才打通|占线|好一会|那么久|现在(你|又)[^,。!?]{0,2}说|我来了[^,。!?]{0,2}说|还没批|打不出来|拿不到了|又坏|第[二三四两]回|写错了|指示牌|贴歪|歪了|怎么[^,。!?]{0,8}(错|反|漏)了")
CLOSING_C = re.compile(r"谢谢|再见|走了(?![一二两三四五六七八九十几\d]+[趟回遍次])|先走|我知道了|明白了|好的|行吧|那就这样|就这样吧|没有了|没别的"
                       r"|(我|俺)[^,。!?]{0,6}(回去|(?<![一二两三四五六七八九十几\d])回了|回家|回单位|回公司|走啦)|这就回|改天再来|下次再来"
                       r"|(明天|后天|改天|下次|回头|过两天)[^,。!?]{0,10}再(来|带|拿|送|交|过来)|离开|起身|准备走"
                       r"|(麻烦|辛苦)(你们|您|你)了|[到出]门口|[Tt]hank|[Bb]ye|(预审|通话|视频|会话|核查|面谈)结束|回头[^,。!?]{0,3}(把|再)|我撤了|送送|先回去了|(拿|领|取)到了|办(完|好)了(?![吗没么])|添麻烦了|[(（\[【][^)）\]】]{0,16}办(完|好)|耽误你们下班|领完|拿完|谢了|走先|搞掂|办得真快|办结(后|了)|不用再来|就这些了|(就算|算是?)[^,。!?]{0,3}(完成|办完|弄完|搞定)|递(出|给)")
MATERIALS_C = re.compile(r"(什么|啥|哪些|哪几样)(材料|证件|东西|手续)|(材料|证件|手续)[^,。!?]{0,6}(齐|够|全|对吗|行吗|还差|少|缺|带来|在这|拿来)|看看[^,。!?]{0,4}(行不行|可以吗|对不对|够不够)|(就|只|光)带了|带齐|缺|还要|需要(什么|啥)|要(什么|啥)|要带|带(什么|啥)|够了吗|齐了吗|准备(什么|啥|哪些)|复印件")
MISSING_R = re.compile(r"缺|补(齐|交|正|充|上|全)|还需要|还要|还差(?![\d一二两三四五六七八九十几半]+(年|岁|天|个月|周|分钟|小时))|少了(?![一二两三\d]位)|不齐|不全|没带")
# vague places ("税务那边", "交税的地方") send the citizen off too: the criterion applies, unmet
REDIRECT_R = re.compile(r"(去|(?<![记映报转来遇收想得做办听感迟达拿见看找没])到(?!时候|期)|找|前往|(?<![我先就现正实存好])在(?!我们|咱们|本|这))[^,。!?]{0,14}(?<!错)(?<!错了)(窗口(?!例会|会议)|部门|科|局|(?<![错好用坏难之益一二两三四五六七八九十几\d])处(?!理)|所|中心|大厅(?!公告|公示)|服务台|楼|柜台)|不归|不属于|不在我们|别的窗口|其他窗口|在那边|那边有"
                        r"|(去|到|在|找)(?![这此][一二两三四五六七八九十几]?处)[^,。!?]{0,8}(那边|的地方|地点)|(去|到|找)(其他|别的|别)(地方|处)|(咨询|问问?|联系|转到|转给|转交)[^,。!?]{0,6}(相关|有关|其他|别的)(部门|单位|窗口)"
                        r"|(另外|其他|别)的?(部门|单位)(负责|管)|(别|其他)的?(区域|楼层)|往里(面|边)?(走|找)|(到|去)[^,。!?]{1,8}问问|再打听|打听一下|(对应|相应|相关)的?窗口|这(事|个事|项业务|个)儿?属于|(?<!我)(?<!帮您)(?<!给您)(拨打|(请您?|您可以|可以)打)[^,。!?]{0,12}(电话|热线)")
REFUSAL_R = re.compile(r"(?<!能)不能|不可以|无法|不予|不方便(告诉|透露|查|给)|不给[^,。!?]{0,4}(办|登记|受理|开|批|补|换)|(?<!少)(?<!免)[办拿查开做批给领取改用换迁转补退替废]不了|[办拿领取提]不(到|成|出来)|登记不了|(办理|受理|处理|提取|申请)不了|不行|不符合|不允许|不受理|没办法|没法|通不过|过不了|不认|回去排队|(不能|没法)(给您)?插队|[删改撤退换]不(掉|了|成)")
ENUMERATION_R = re.compile(r"[、;]|和|以及|还有|另外|[两三四五六](处|项|个地方)|第[一二三]|[1-9][.)]|一是|[两三四五六]样|一次性|全部|所有|告知书|告知单|清单|以下|这几")
COMPLETE_R = re.compile(r"都齐了|齐全|都带了|(材料|手续)(已经)?够了|不缺")
# one item now and "the rest later": the opposite of 一次性告知, whatever else is listed
DEFERRED_R = re.compile(r"先[^,。!?]{0,12}再(说|看)|(别的|其他的?|其余的?)[^,。!?]{0,6}(等|再|回头)|有缺的再|到时候再(说|看|告诉)"
                        r"|(来了|拿来了?|带来了?|发过来|看了|到时候|后面|之后|以后)[^,。!?]{0,8}再[^,。!?]{0,3}(看|说|告诉|补|上传|交|提交)"
                        r"|一(样|项|点|步)一(样|项|点|步)(来|补|告诉|说)"
                        r"|(还|再)缺(什么|啥|哪样)[^。!?]{0,12}(再|会)|(会|再)(告诉|通知)(您|你)?还要?(补|差|缺|要)(什么|啥|哪些)?|再看还(缺|差|要)|再往下看|(办好|弄好|改好)[^,。!?]{0,3}再来看|还(差|缺|少)(一份|一个|一些|几样|点)[^,。!?]{0,6}(材料|东西|证明)|有(的|些)材料[^,。!?]{0,4}(不|没)|有点小?问题|(回去|再)检查检查|还有问题[^。!?]{0,6}再(通知|告诉)")
ASKS_WHEN_C = re.compile(r"几时|几点|[办做弄]了没|好了(没|吗)|做好了吗|到了没|多久|几天|多长时间|什么时候|啥时候|哪天|几号|几点能|到哪(一)?步|怎么还没|怎么还[^,。!?]{0,4}不|还没好|还没到|等多久|要等|(今天|当天|马上|现在|明天)就?能(拿|取|领|办|出|弄|做|好|完)|怎么[^,。!?]{0,6}还没|当场就?(给|拿|领|办)|回家等|能不能办完|来得及|赶得(上|及)")
FEEDBACK_C = re.compile(r"意见|建议|过期|老是?[^,。!?]{0,3}不(好|行|灵)|(应该|最好|能不能|可不可以)(多|少|再|增加|延长)|都不开|批评|反映|投诉|提醒|态度(很|太)?差|太(小|难|慢|乱|差|折腾|冷|热|吵|挤|暗)|老(是)?(卡|坏|出错|断)|卡纸|不好用|(?<!腿脚)(?<!行动)(?<!身体)不方便|不一样|没(有)?水|看不清|推不进|难找|折腾"
                      r"|不耐烦|太少|非得|(字|牌子|屏幕)[^,。!?]{0,4}(这么|那么|太)小|(太|也太)(多|少|远|麻烦)了吧|浪费|没有?(英文|外文)"
                      r"|字(又|也)?小|(老人|我们)[^,。!?]{0,6}(怎么|咋)用|(声音|音量)[^,。!?]{0,4}(太|好)?(轻|小)|标识不清|不清楚嘛|这不是白"
                      r"|(能不能|可不可以)[^,。!?]{0,6}(那天|周末|晚上|多|加(?!急)|改成|换成|调)|瞅不清|就开[一二三两几\d]+个|这不是让人|(能不能|可不可以)有"
                      r"|不满意|(还|也)?没(修|弄|处理|解决|办)好|我觉得你们|(要是|如果)[^,。!?]{0,16}就好了|老是?[^,。!?]{0,2}(锁门|关门|没人)|都没人|跳号|太晚|态度(真|很|特别|太)好|(专门|特地|特意)[^,。!?]{0,4}来?谢|连个[^,。!?]{0,6}都没有|(真|很|特别)(耐心|热情|贴心)|崩|登不进|打不开|进不去|(能不能|可不可以)[^,。!?]{0,6}(留|开|延长)|写错了|(能不能|可不可以)[^,。!?]{0,8}(放|设|装|贴|安排)|谢谢你们|表扬|差评|还不改|特别(贴心|好|耐心|热情|负责)|对不上|还是去年的|过时|没更新|打不通|占线|没人接|你们(应该|最好)(让|把|多|少|增加|设|搞|安排|提供|开)|(能不能|可不可以)[^,。!?]{0,8}(合并|合成|一起办|少跑|简化)")
# 你们 can be neutral ("你们单位"), but 你们俩 / 你们几个 addresses the citizens themselves (二位 is polite)
YOU_R = re.compile(r"你(?!们)|你们(?=俩|两|几个)")
# an order to the citizen with no 请/麻烦/您 softening it ("拿出来给我", "过来", "等着")
BARE_ORDER_R = re.compile(r"(拿|交|递|给)(出来|过来|上来)?给我|(拿|递)(出来|过来)|填(一下|好)|签(个|一下)字|^过来|等着|让一让|让开"
                          r"|^签(这|那)|按(个|一下)?手印|坐(正|好|直)|看镜头|看(这儿|这里|这边|摄像头)|别动|(往|朝)[^,。!?]{0,4}(拨|挪|靠)|(^|[,。])拿[^,。!?]{0,20}来|盖上(公章|章)")
# a floor or a zone with nothing more precise: half of naming the place
FLOOR_R = re.compile(r"[一二三四五六七八九十\d]+(楼|层)|[A-Za-z]区")
SOFTENED_R = re.compile(r"请|麻烦|您|劳驾")
# what happens next with a complaint or suggestion: thanks alone is half of 虚心听取并说明会如何处理
FOLLOW_UP_R = re.compile(r"(会|将|马上|立即|立刻|这就|今天|本周|这周|[一二两三\d]+个?工作日)[^。!?]{0,16}(回复|答复|告诉您|回电|通知|核实|复查|调|改(?!进|善)|换|放|补|更新|报给|转给|派单)"
                         r"|(马上|立即|这就|今天)[^。!?]{0,4}(反映|报|转)给|(已经|已)[^。!?]{0,8}(提交|转|反映|报|派)给|排查|给您回(电话|复|话)|有(答复|结果|结论|进展)[^。!?]{0,8}(告诉|通知|回复)|(记|登记|报|反映|转)[^。!?]{0,4}(上去|给[^,。!?]{1,8}(办|室|组|科|部|中心|领导|主任|负责人|值班长|站长|所长))|记(到|在|进)[^,。!?]{0,6}(簿|本|台账|记录)|(会|将|马上|这就)[^。!?]{0,10}(转达|分享)")


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


# Every reply and citizen utterance is searched for all of these: behind a literal gate
# (prefilter.py) only those whose words occur in the text are run.
REPLY_R = {"MISSING": MISSING_R, "REDIRECT": REDIRECT_R, "REFUSAL": REFUSAL_R, "ENUMERATION": ENUMERATION_R,
           "COMPLETE": COMPLETE_R, "DEFERRED": DEFERRED_R, "BARE_ORDER": BARE_ORDER_R, "SOFTENED": SOFTENED_R,
           "FOLLOW_UP": FOLLOW_UP_R, "FLOOR": FLOOR_R}  # fmt: skip
CITIZEN_C = {"OPENING": OPENING_C, "WAITED": WAITED_C, "CLOSING": CLOSING_C, "MATERIALS": MATERIALS_C,
             "ASKS_WHEN": ASKS_WHEN_C, "FEEDBACK": FEEDBACK_C}  # fmt: skip
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


def _flag(explicit: bool | None, name: str, heard: set[str]) -> bool:
    return explicit if explicit is not None else name in heard


class EtiquetteScorer:
    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        # a criterion's cues are searched with the reply regexes, each behind its own literals:
        # one alternation of them all tried every cue at every position (~12 µs a reply)
        cues = [(c.id, re.compile(cue)) for c in kb.criteria if c.id in MET_BY_CUES for cue in c.cues]
        self._reply = _Searches(cues + list(REPLY_R.items()))
        self._citizen = _Searches(list(CITIZEN_C.items()))
        self.sources = {c.id: kb.cite(c.sources[0]) for c in kb.criteria}  # cited once, not per reply
        self._ids = [c.id for c in kb.criteria]
        # results repeat (few notes, few fractions) and are frozen: build each once, not per
        # reply; whole assessments repeat too (≈ 80% of new eval replies share one with another)
        self._result = lru_cache(maxsize=4096)(self._build_result)
        self._scored = lru_cache(maxsize=4096)(self._score)

    def assess(self, reply: str, ctx: Context, banned_rules: list[str]) -> dict[str, tuple[bool, float, str]]:
        """criterion id → (applicable, met 0..1, note). ``reply`` is the display form."""
        found, heard = self._reply.found(reply), self._citizen.found(ctx.citizen)
        out: dict[str, tuple[bool, float, str]] = {}
        opening = _flag(ctx.opening, "OPENING", heard) and not _flag(ctx.closing, "CLOSING", heard)
        out["greeting"] = (opening, float("greeting" in found), "citizen just arrived")
        out["honorific"] = self._honorific(reply, found)
        inconvenienced = _flag(ctx.waited, "WAITED", heard) or "REFUSAL" in found
        out["apology"] = (inconvenienced, float("apology" in found), "citizen waited or is refused/delayed")
        closing = _flag(ctx.closing, "CLOSING", heard)
        out["farewell"] = (closing, float("farewell" in found), "citizen is leaving")
        out["one_time_notice"] = self._one_time(reply, ctx, found, heard)
        redirect = "REDIRECT" in found or "pass_the_buck" in banned_rules
        named = 1.0 if "redirect_named" in found else 0.5 if "FLOOR" in found else 0.0
        out["redirect_named"] = (redirect, named, "reply sends the citizen elsewhere: the window, room or office, not just a floor")
        refusing = "REFUSAL" in found
        out["refusal_reason"] = (refusing, float("refusal_reason" in found),
                                 "reply refuses or says it cannot be done")  # fmt: skip
        out["time_given"] = ("ASKS_WHEN" in heard, float("time_given" in found), "citizen asks when or how long")
        thanked = 0.0 if "thanks_feedback" not in found else 1.0 if "FOLLOW_UP" in found else 0.5
        out["thanks_feedback"] = ("FEEDBACK" in heard, thanked, "citizen criticises or suggests: thanks, and what happens next")
        arguing = "no_arguing" in found  # its cues are the failures
        out["no_arguing"] = (True, 0.0 if arguing else 1.0, "argues or blames" if arguing else "")
        out["no_banned"] = (True, 0.0 if banned_rules else 1.0,
                            ", ".join(sorted(set(banned_rules))))  # fmt: skip
        return out

    def _honorific(self, reply: str, found: set[str]) -> tuple[bool, float, str]:
        informal = len(YOU_R.findall(reply))
        formal = reply.count("您")
        if informal + formal:
            return True, formal / (formal + informal), f"您 ×{formal}, 你 ×{informal}"
        if "BARE_ORDER" in found and "SOFTENED" not in found:
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

    def score(self, reply: str, ctx: Context, banned_rules: list[str]) -> tuple[int, dict[str, CriterionResult]]:
        assessed = self.assess(reply, ctx, banned_rules)
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
