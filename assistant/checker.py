"""The reply checker: banned phrases with spans, evidence and suggestions, plus the etiquette score.

Evidence comes in four strengths (exact > normalised > fuzzy > semantic). The lexical passes
(``matching.py``) run on every reply. The semantic pass embeds clauses with the embedding
model and decides by nearest neighbours — the closest banned wording against the closest
polite one — because e5 similarities are bunched and a fixed cut-off alone misfires. The model
is slow on this hardware (~20–40 ms a call), so only clauses that the lexical gate finds
suspicious are embedded, in one batch per call of ``check_many``, with a cache. The same
clauses go to the stance head (``stance.py``), which reads their words as well as their
vector and catches rude wording unlike any we wrote.

A matched phrase is dropped when an exemption of its rule fits the sentence around it
(您不知道也没关系; …我马上问一下同事再答复您) or when it stands in quotation marks.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.config import Settings
from assistant.embeddings import CachedEmbedder, Embedder
from assistant.errors import InputError
from assistant.etiquette import (
    VETO_C,
    VETO_CRITERIA,
    Context,
    CriterionResult,
    EtiquetteScorer,
    fit_veto_head,
    veto_rows,
)
from assistant.grams import NGRAMS
from assistant.heads import head_key, load_head, save_head
from assistant.knowledge import BannedRule, KnowledgeBase, load_for_hall
from assistant.matching import EvidenceKind, Hit, LexicalMatcher
from assistant.prefilter import LiteralGate
from assistant.stance import (
    FIT_SETTINGS,
    NONE,
    RUDE,
    STANCE_C,
    STANCE_VECTOR_WEIGHT,
    StanceHead,
    fit_stance,
)
from assistant.text import Normalised, clauses, key, normalise, sentences, skeleton_with_indices

STRENGTH = {"exact": 3, "normalised": 2, "fuzzy": 1, "semantic": 0}
QUOTES = re.compile(r"[\"'“”‘’「」『』《》]")
# an echo question: at most a few characters around the span, then a denial or reassurance
ECHO_BEFORE = 8
ECHO_ASKED = re.compile(r"[^,。!;]{0,8}\?\s*$")
ECHO_DENIED = re.compile(r"\s*(不用|不会的|没事|没关系|不要紧|当然(不是|不会|可以|能)|哪能|哪会|谁说|怎么会|放心|别担心|不是的|不不)")
# reported words (see ``_reported``): 您说(您)… just before the span, a phrase named as forbidden,
# or a colleague's words in a sentence that disowns them
REPORTED_CITIZEN = re.compile(r"您(刚才|是|别|不要|可别|千万别)?(说|讲|觉得|嫌|担心|怕)(您|自己)?[^，,。!?你您]{0,6}(?<![那就便])$")  # not 您觉得…那您爱办不办
REPORTED_CLAIM = re.compile(r"您(刚才|是)?(说|觉得|嫌|担心|怕)(我们|我)[^，,。!?那就便]{0,6}(?<![您你])$")  # 您说我们把您当…
REPORTED_OPENS = re.compile(r"您(刚才|是|别|不要|可别|千万别)?(说|讲|觉得)(您|自己|别人|有人|同事|人家|他们)")  # a clause that is itself the report
FORBIDDEN_BEFORE = re.compile(r"(不能|不许|不准|不可以|不要|严禁|禁止|别)(对群众|跟群众|对您|跟您)?(说|讲)(一句|什么)?$")
FORBIDDEN_AFTER = re.compile(r"的(态度|话|说法|字眼|用语)|这(种|样的)话|[—–-]*这?是?[^，,。!?]{0,10}(原话|转述)")
REPORTED_OTHER = re.compile(r"(工作人员|同事|窗口人员|那位|他|她|有人|对方|接线员|话务员|客服)[^，,。!?]{0,8}(跟您|对您|跟你|对你)?(说|让|叫)(您|你)?[^，,。!?]{0,2}$")
DISOWNED = re.compile(r"不对|道歉|对不起|抱歉|处理|通报|禁语|批评|不允许|不应该|不该")
PAIRED_QUOTES = ("“”", "‘’", "「」", "『』", "《》")
# words put in quotes after a verb of saying, closed within the same clause
SPOKEN_QUOTE = re.compile(r"(说|讲|喊|嚷)[^,。!?“”\"]{0,4}:?(“[^”]+”|‘[^’]+’|「[^」]+」|『[^』]+』|\"[^\"]+\")")
MAX_REPLY_CHARS = 5000
SPEECH_QUOTES = re.compile(r"[\"'“”‘’「」『』]")  # QUOTES without 《》, which cite books, not speech
MIN_CLAUSE = 4  # e5 cannot tell 没关系 from 跟我没关系: shorter clauses are left to lexical passes
MIN_SHORT = 2  # …but a shorter one that negates ("不受理，请让一让") goes to the stance head
_NEGATION = re.compile("[不没甭别免拒莫冇无否]")  # (好的 / 您好 / 谢谢 cost no model call)


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds, tuned on evals/check_dev.jsonl (see README, `assistant eval check`)."""

    fuzzy: float = 84.0  # rapidfuzz ratio (0–100) of a clause to one of our wordings
    gate: float = 0.34  # lexical suspicion a clause needs before it is embedded
    semantic: float = 0.88  # cosine of a clause to its nearest banned wording
    margin: float = 0.02  # … which must beat the nearest polite wording by this much
    context: float = 0.01  # and the whole sentence must lean banned by this much (in context)
    stance: float = 0.6  # the stance head's probability that a gated clause breaks a rule
    veto: float = 0.3  # a nearest-neighbour hit whose rule the stance head gives less is dropped
    reply: float = 0.25  # the reply head's probability that an otherwise clean reply breaks a rule…
    reply_clause: float = 0.05  # …fires on its likeliest clause if the stance head gives it this
    skip: float = 0.3  # a clause the stance head's n-gram gate gives less than this is not embedded
    most: int = 2  # at most this many clauses of a reply are embedded (0: no limit)
    agree: float = 0.15  # a model-based hit's rule must get this much from the reply head (0: off;
    # 5-fold CV on 19,108 dev replies: F1 0.9425 at 0.15, 0.9423 at 0.1 with precision 0.967 vs 0.964)


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: EvidenceKind
    variant: str  # the banned phrase, variant or pattern that fired
    score: float
    detail: str


class Violation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    title: str
    severity: int
    start: int  # span in the original reply, [start, end)
    end: int
    matched: str
    suggestion: str
    source: str
    evidence: Evidence


class CheckResult(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    violations: list[Violation]
    score: int
    criteria: dict[str, CriterionResult]


# skeleton clause span, clause and sentence text, and whether nearest neighbours may read it
_Pending = tuple[int, int, str, str, bool]
# a reply after the lexical pass: display text, skeleton, kept indices, sentence spans, hits
_Lexical = tuple[Normalised, Normalised, list[int], list[tuple[int, int]], list[Hit]]


@dataclass
class _Analysis:
    disp: Normalised
    sk: Normalised
    kept: list[int]  # skeleton index → display index
    sentences: list[tuple[int, int]]  # display spans
    hits: list[Hit]
    pending: list[_Pending]
    # the reply head's reading, taken when clauses are pending and nothing lexical was found
    reply: dict[str, float] | None = None


class Checker:
    """Built once from a knowledge base (and optionally an embedder); ``check`` is pure."""

    def __init__(self, kb: KnowledgeBase, embedder: Embedder | None = None,
                 thresholds: Thresholds | None = None, cache_size: int = 20000,
                 stance: StanceHead | None = None) -> None:  # fmt: skip
        """``stance``: a head fitted by ``fit_stance`` for this knowledge and model (see
        ``from_settings``); without it only nearest neighbours decide the semantic pass."""
        self.kb = kb
        self.stance = stance
        self.thresholds = thresholds or Thresholds()
        self.lexical = LexicalMatcher(kb, self.thresholds.fuzzy)
        self.etiquette = EtiquetteScorer(kb)
        self.rules: dict[str, BannedRule] = {r.id: r for r in kb.rules}
        self._sources = {r.id: kb.cite(r.sources[0]) for r in kb.rules}  # cited once, not per violation
        # a rule's exemptions (each over the text before, after or around a hit in its sentence, or
        # the sentences after it, each with what cancels it there) behind one literal gate
        self._exemptions = {
            r.id: ([(e.where, re.compile(e.unless) if e.unless else None) for e in r.exemptions],
                   LiteralGate([e.pattern for e in r.exemptions]))
            for r in kb.rules
        }  # fmt: skip
        if embedder is not None and cache_size and not isinstance(embedder, CachedEmbedder):
            embedder = CachedEmbedder(embedder, cache_size)
        self.embedder = embedder
        if embedder is not None:
            semantic_rules = {r.id for r in kb.rules if r.semantic}
            self._banned = [(e.rule, e.text) for e in self.lexical.entries if e.rule in semantic_rules]
            self._banned_vecs = embedder.embed([t for _, t in self._banned])
            self._banned_of = {r: np.array([i for i, (rule, _) in enumerate(self._banned) if rule == r], dtype=int)
                               for r in semantic_rules}  # fmt: skip
            self._polite = sorted({p for r in kb.rules for p in (*r.near_misses, *r.alternatives)}
                                  | {p for s in kb.situations for p in s.phrases})  # fmt: skip
            self._polite_vecs = embedder.embed(self._polite)

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Checker:
        """Load the hall's knowledge and, unless ``settings.semantic`` is off, the model (or use
        ``embedder``, already loaded from these settings) and the stance head: kept under
        ``cache_dir/heads``, fitted there on first use."""
        from assistant.embeddings import load_embedder, reference, save_cache
        from assistant.evaluation import check_examples

        kb = load_for_hall(settings.knowledge_dir, settings.hall_file)
        if not settings.semantic:
            embedder = None
        elif embedder is None:
            embedder = load_embedder(settings)
        # read once: both heads learn from the labelled replies
        examples = check_examples(settings.check_examples) if settings.check_examples is not None else []
        with reference(embedder):
            checker = cls(kb, embedder)
            checker.load_stance(settings, examples)
        save_cache(checker.embedder)
        checker.load_veto(settings, examples)
        return checker

    def load_veto(self, settings: Settings, examples: Sequence[tuple[str, list[str]]] | None = None) -> None:
        """Take the etiquette veto head for ``settings.pair_examples`` (and the clean replies
        of ``settings.check_examples``, or of ``examples`` already read from it) from
        ``cache_dir/heads``, or fit and keep it there. It reads n-grams only, so the lexical
        checker has it too."""
        from assistant.evaluation import check_examples, pair_examples

        if settings.pair_examples is None:
            return
        pairs = pair_examples(settings.pair_examples)
        if examples is None:
            examples = check_examples(settings.check_examples) if settings.check_examples is not None else []
        clean = [text for text, labels in examples if not labels]
        key = head_key("veto", *veto_rows(pairs, clean), VETO_CRITERIA, VETO_C, NGRAMS)
        folder = settings.cache_dir / "heads"
        self.etiquette.veto = load_head(folder, key)
        if self.etiquette.veto is None:
            self.etiquette.veto = fit_veto_head(pairs, clean)
            save_head(folder, key, self.etiquette.veto)

    def load_stance(self, settings: Settings, examples: Sequence[tuple[str, list[str]]] | None = None) -> None:
        """Take the stance head for ``settings.check_examples`` (or ``examples`` already read
        from it) from ``cache_dir/heads``, or fit and keep it there (fitting takes seconds,
        loading milliseconds); none without a model."""
        from assistant.evaluation import check_examples

        if self.embedder is None or settings.check_examples is None:
            return
        if examples is None:
            examples = check_examples(settings.check_examples)
        path = settings.cache_dir / "heads" / f"{self.stance_key(examples)}.npz"
        self.stance = StanceHead.load(path)
        if self.stance is None:
            self.stance = self.fit_stance(examples)
            self.stance.save(path)

    def _stance_data(self, examples: Sequence[tuple[str, list[str]]]
                     ) -> tuple[list[tuple[str, str]], list[tuple[list[str], list[str]]]]:  # fmt: skip
        knowledge = [(text, rule) for rule, text in self._banned] + [(text, NONE) for text in self._polite]
        return knowledge + [(text, NONE) for text in self.manual_clauses()], \
            [(self.clause_texts(text), labels) for text, labels in examples]

    def manual_clauses(self) -> list[str]:
        """Clauses of the procedures and of the manuals' section headings: staff and answers
        talk like this ("通过投诉电话投诉", "五、处理投诉") without breaking a rule. Clauses that
        quote a banned phrase or that the lexical passes flag are left out."""
        texts = [t for p in self.kb.procedures if p.kind != "rule" for t in (p.title, p.summary, *p.points)]
        sources = [c for p in self.kb.procedures for c in p.sources] + [c for s in self.kb.situations for c in s.sources]
        texts += [self.kb.cite(c) for c in sources + [c for r in self.kb.rules for c in r.sources]]
        clauses_ = dict.fromkeys(c for t in texts for c in self.clause_texts(t) if not SPEECH_QUOTES.search(c))
        return [c for c in clauses_ if len(c) >= MIN_CLAUSE and not self._analyse(c).hits]

    def stance_key(self, examples: Sequence[tuple[str, list[str]]]) -> str:
        """A digest of what a stance head fitted on ``examples`` depends on."""
        assert self.embedder is not None
        return head_key("stance", *self._stance_data(examples), self.embedder.name, *FIT_SETTINGS)

    def fit_stance(self, examples: Sequence[tuple[str, list[str]]], regularisation: float = STANCE_C,
                   vector_weight: float = STANCE_VECTOR_WEIGHT) -> StanceHead:  # fmt: skip
        """A stance head learned from the knowledge base and labelled replies ``(text, rules)``."""
        assert self.embedder is not None
        knowledge, replies = self._stance_data(examples)
        texts = list(dict.fromkeys([t for t, _ in knowledge] + [c for clauses_, _ in replies for c in clauses_]))
        vector_of = dict(zip(texts, self.embedder.embed(texts), strict=True))
        if isinstance(self.embedder, CachedEmbedder):
            self.embedder.release()  # the fit's transient and the model together near 1.5 GB
        reply_keys = [key(normalise(text).text) for text, _ in examples]
        return fit_stance(knowledge, replies, {t: key(t) for t in texts}, vector_of, regularisation, vector_weight,
                          reply_keys)  # fmt: skip

    @staticmethod
    def clause_texts(reply: str) -> list[str]:
        """The clauses of a reply as the semantic pass sees them (normalised display text)."""
        disp = normalise(reply).text
        return [disp[s:e] for s, e in clauses(disp)]

    # -- public API -------------------------------------------------------------------------
    def check(self, reply: str, context: Context | str | None = None) -> CheckResult:
        return self.check_many([(reply, context)])[0]

    def check_many(self, items: Sequence[tuple[str, Context | str | None]]) -> list[CheckResult]:
        """Check several replies; the semantic pass embeds all their suspicious clauses at once."""
        analyses = self._analyse_many([reply for reply, _ in items])
        self._semantic_pass(analyses)
        vetoes: Sequence[dict[str, float] | None] = self.etiquette.vetoes([a.sk.text for a in analyses]) or [None] * len(analyses)
        return [self._result(a, Context.of(ctx), veto) for a, (_, ctx), veto in zip(analyses, items, vetoes, strict=True)]

    # -- passes -----------------------------------------------------------------------------
    def _analyse(self, reply: str) -> _Analysis:
        return self._analyse_many([reply])[0]

    def _analyse_many(self, replies: Sequence[str]) -> list[_Analysis]:
        """Lexical hits of each reply, then fuzzy hits of all their unmatched clauses in one
        call, then each reply's clauses pending for the semantic pass."""
        partial = [self._lexical_pass(reply) for reply in replies]
        wanted = [self._fuzzy_clauses(*p) for p in partial]
        found = iter(self.lexical.fuzzy_hits([c for w in wanted for c in w]))
        for p, w in zip(partial, wanted, strict=True):
            p[-1].extend(hit for hit in (next(found) for _ in w) if hit is not None)
        return [self._pending(*p) for p in partial]

    def _lexical_pass(self, reply: str) -> _Lexical:
        validate_reply(reply)
        disp = normalise(reply)
        sk, kept = skeleton_with_indices(disp)
        sent_spans = sentences(disp.text)
        sk_sentences = [self._to_skeleton(kept, s, e) for s, e in sent_spans]
        return disp, sk, kept, sent_spans, self.lexical.hits(sk, sk_sentences)

    def _fuzzy_clauses(self, disp: Normalised, sk: Normalised, kept: list[int], _sentences: list[tuple[int, int]],
                       hits: list[Hit]) -> list[tuple[str, int]]:  # fmt: skip
        """(skeleton text, offset) of the clauses fuzzy matching reads: long enough, no hit yet.
        It reads typed clauses whole: chat breaks would cut a spaced-out phrase."""
        wanted = []
        for c_start, c_end in clauses(disp.text, chat_breaks=False):
            s, e = self._to_skeleton(kept, c_start, c_end)
            if e - s >= MIN_CLAUSE and not any(h.start < e and s < h.end for h in hits):
                wanted.append((sk.text[s:e], s))
        return wanted

    def _pending(self, disp: Normalised, sk: Normalised, kept: list[int], sent_spans: list[tuple[int, int]],
                 hits: list[Hit]) -> _Analysis:  # fmt: skip
        pending: list[_Pending] = []
        # without a model nor a stance head nothing is ever pending: skip the clause walk
        for c_start, c_end in clauses(disp.text) if self.embedder is not None or self.stance is not None else ():
            s, e = self._to_skeleton(kept, c_start, c_end)
            if any(h.start < e and s < h.end for h in hits):
                continue
            if e - s < MIN_CLAUSE:
                # a short negating clause ("拒收。", "不提供，请回吧") is how curt replies look: the
                # stance head reads it (its n-grams tell 不提供 from 不客气); neighbours do not
                if self.stance is not None and e - s >= MIN_SHORT and _NEGATION.search(sk.text, s, e):
                    pending.append((s, e, disp.text[c_start:c_end], "", False))
                continue
            if self.embedder is not None and self.lexical.suspicion(sk.text[s:e], self.thresholds.gate) >= self.thresholds.gate:
                sentence = next((disp.text[a:b] for a, b in sent_spans if a <= c_start < b), "")
                pending.append((s, e, disp.text[c_start:c_end], sentence, True))
        reading = None
        if pending and not hits and self.stance is not None and self.stance.reply is not None:
            reading = self.stance.reply.probabilities(sk.text)
        if pending and self.stance is not None and self.stance.gate is not None:
            reply_may_fire = reading is not None and max(reading.values()) >= self.thresholds.reply
            pending = self._worth_embedding(sk.text, pending, reply_may_fire)
        return _Analysis(disp, sk, kept, sent_spans, hits, pending, reading)

    def _worth_embedding(self, key: str, pending: list[_Pending], reply_may_fire: bool) -> list[_Pending]:
        """A model call costs ~100× the rest of a check: clauses whose words say "polite"
        plainly enough to the stance head's n-gram gate are not embedded (unless the reply head
        may speak: it reads every clause), and of the rest at most ``Thresholds.most``, the
        likeliest rude ones, so a long reply costs a few calls, not one per clause."""
        assert self.stance is not None and self.stance.gate is not None
        rude = [self.stance.gate.probabilities(key[p[0] : p[1]])[RUDE] for p in pending]
        keep = list(range(len(pending)))
        if not reply_may_fire:
            keep = [i for i in keep if rude[i] >= self.thresholds.skip]
        if self.thresholds.most and len(keep) > self.thresholds.most:
            keep = sorted(sorted(keep, key=lambda i: -rude[i])[: self.thresholds.most])
        return [pending[i] for i in keep]

    @staticmethod
    def _to_skeleton(kept: list[int], start: int, end: int) -> tuple[int, int]:
        return bisect.bisect_left(kept, start), bisect.bisect_left(kept, end)

    def semantic_clauses(self, replies: Sequence[str]) -> list[str]:
        """The clauses the semantic pass will embed for these replies, found by the cheap
        lexical analysis: callers that know their texts in advance can embed them early."""
        return list(dict.fromkeys(c for r in replies for _, _, c, _, _ in self._analyse(r).pending))

    def _semantic_pass(self, analyses: list[_Analysis]) -> None:
        """Embed the suspicious clauses; only for those that look banned, embed the sentence
        around them too (most clauses are cleared by the first step, so it saves model calls)."""
        if self.embedder is None:
            return
        clauses_ = list(dict.fromkeys(c for a in analyses for _, _, c, _, _ in a.pending))
        if not clauses_:
            return
        vectors = dict(zip(clauses_, self.embedder.embed(clauses_), strict=True))
        near = {c for a in analyses for _, _, c, _, nn in a.pending if nn}
        verdicts = {c: self._clause_verdict(v) if c in near else None for c, v in vectors.items()}
        sentences_ = list(dict.fromkeys(s for a in analyses for _, _, c, s, _ in a.pending if verdicts[c] is not None))
        sentence_vecs = dict(zip(sentences_, self.embedder.embed(sentences_), strict=True)) if sentences_ else {}
        for a in analyses:
            stances: list[dict[str, float]] = []
            for start, end, clause, sentence, neighbours in a.pending:
                verdict = verdicts[clause] if neighbours else None
                stance = None if self.stance is None else self.stance.probabilities(a.sk.text[start:end], vectors[clause])
                if verdict is not None:
                    hit = self._decide(verdict, sentence_vecs[sentence], start, end)
                    # the head, trained on labelled replies, knows which rule such clauses break
                    # better than the single nearest wording does
                    if hit is not None and (stance is None or stance.get(hit.rule, 0.0) >= self.thresholds.veto):
                        a.hits.append(hit)
                if stance is not None:
                    stances.append(stance)
                    hit = self._stance_hit(stance, vectors[clause], start, end)
                    if hit is not None:
                        a.hits.append(hit)
            if stances:
                a.hits += self._reply_hits(a, stances, vectors)
            self._agree(a, vectors)

    def _agree(self, a: _Analysis, vectors: dict[str, np.ndarray]) -> None:
        """Drop a model-based hit whose rule the reply head, reading the whole reply, all but
        rules out: two views that disagree were mostly a polite clause read alone or a wrong
        rule. The reply head's own likeliest rule, if it is sure enough, takes the dropped
        clause instead (5-fold CV on dev, evals/tune_checker.py)."""
        if not self.thresholds.agree or self.stance is None or self.stance.reply is None:
            return
        if not any(h.kind == "semantic" for h in a.hits):
            return
        reading = a.reply if a.reply is not None else self.stance.reply.probabilities(a.sk.text)
        dropped = [h for h in a.hits if h.kind == "semantic" and reading.get(h.rule, 1.0) < self.thresholds.agree]
        if not dropped:
            return
        a.hits = [h for h in a.hits if h not in dropped]
        rule = max(reading, key=reading.__getitem__)
        p = reading[rule]
        clause = next((c for s, e, c, _, _ in a.pending if (s, e) == (dropped[0].start, dropped[0].end)), None)
        if p >= self.thresholds.reply and clause is not None and all(h.rule != rule for h in a.hits):
            a.hits.append(self._rule_hit(rule, vectors[clause], dropped[0].start, dropped[0].end, round(p, 3),
                                         f"reply head p={p:.2f}, not the {dropped[0].rule} read in this clause alone"))  # fmt: skip

    def _reply_hits(self, a: _Analysis, stances: list[dict[str, float]], vectors: dict[str, np.ndarray]) -> list[Hit]:
        """For a reply nothing else found rude: the rule the reply head finds likeliest in the
        whole reply, on the clause the stance head thinks likeliest to break it, if it gives that
        clause enough. (Letting it add rules beside other hits mostly added wrong second rules.)"""
        probabilities = a.reply
        if probabilities is None or a.hits:
            return []
        rule = max(probabilities, key=probabilities.__getitem__)
        p = probabilities[rule]
        best = int(np.argmax([s.get(rule, 0.0) for s in stances]))
        clause_p = stances[best].get(rule, 0.0)
        if p < self.thresholds.reply or clause_p < self.thresholds.reply_clause:
            return []
        start, end, clause, _, _ = a.pending[best]
        return [self._rule_hit(rule, vectors[clause], start, end, round(p, 3),
                               f"reply head p={p:.2f}, this clause's stance p={clause_p:.2f}")]  # fmt: skip

    def nearest(self, vec: np.ndarray) -> tuple[int, float, int, float]:
        """(banned index, its cosine, polite index, its cosine) for one vector."""
        banned_sims = self._banned_vecs @ vec
        polite_sims = self._polite_vecs @ vec
        best, polite = int(np.argmax(banned_sims)), int(np.argmax(polite_sims))
        return best, float(banned_sims[best]), polite, float(polite_sims[polite])

    def _clause_verdict(self, clause: np.ndarray) -> tuple[int, float, int, float] | None:
        """The clause's nearest wordings if it is close enough to a banned one, else None."""
        best, score, polite, rival = self.nearest(clause)
        if score < self.thresholds.semantic or score - rival < self.thresholds.margin:
            return None
        return best, score, polite, rival

    def _decide(self, verdict: tuple[int, float, int, float], sentence: np.ndarray, start: int, end: int) -> Hit | None:
        best, score, polite, rival = verdict
        _, s_score, _, s_rival = self.nearest(sentence)
        if s_score - s_rival < self.thresholds.context:  # rude-looking clause in a polite sentence
            return None
        rule, variant = self._banned[best]
        detail = f"nearest polite wording: {self._polite[polite]} ({rival:.3f}); sentence lean {s_score - s_rival:+.3f}"
        return Hit(rule, start, end, "semantic", variant, round(score, 3), detail)

    def _stance_hit(self, stance: dict[str, float], vector: np.ndarray, start: int, end: int) -> Hit | None:
        """A hit when the stance head is confident the clause breaks a rule; its evidence
        names the rule's wording nearest to the clause."""
        rule, p = max(((r, p) for r, p in stance.items() if r != NONE),
                      key=lambda pair: pair[1])  # fmt: skip
        if p < self.thresholds.stance:
            return None
        return self._rule_hit(rule, vector, start, end, round(p, 3), f"stance head p={p:.2f}")

    def _rule_hit(self, rule: str, vector: np.ndarray, start: int, end: int, score: float, why: str) -> Hit:
        """A learned head's hit; its evidence names the rule's wording nearest to the clause."""
        rows = self._banned_of.get(rule)
        if rows is not None and len(rows):
            sims = self._banned_vecs[rows] @ vector
            variant, detail = self._banned[int(rows[int(np.argmax(sims))])][1], f"nearest wording of the rule ({float(sims.max()):.3f})"
        else:  # a rule without semantic wordings (curt): cite its first phrase
            variant, detail = self.rules[rule].phrases[0], "first phrase of the rule"
        return Hit(rule, start, end, "semantic", variant, score, f"{why}; {detail}")

    # -- decisions --------------------------------------------------------------------------
    def _exempt(self, a: _Analysis, hit: Hit) -> bool:
        d_start, d_end = a.kept[hit.start], a.kept[hit.end - 1] + 1
        s_start, s_end = next(((s, e) for s, e in a.sentences if s <= d_start < e), (0, len(a.disp.text)))
        before, after = a.disp.text[s_start:d_start], a.disp.text[d_end:s_end]
        if _quoted(before, after):
            return True  # quoted: the reply talks *about* the phrase (reports, rules, apologies)
        mark = QUOTES.search(a.disp.text, d_start, d_end)
        if mark and _quoted(a.disp.text[s_start : mark.end()], after):
            return True  # the skeleton folded 说“说了… into one 说: the phrase still starts inside the quote
        if _echoed(before, after, a.disp.text[s_end:]) or _reported(before, after, a.disp.text[s_start:s_end]):
            return True
        if (not before or before[-1] in ",;:") and REPORTED_OPENS.match(a.disp.text[d_start:d_end]):
            return True  # a clause hit that is itself the report: "您说自己看不懂,没事"
        if hit.kind == "semantic" and SPOKEN_QUOTE.search(a.disp.text, d_start, d_end):
            return True  # a clause read whole that reports words in quotes: "您儿子说“不归这儿管”其实不对"
        texts = {"before": before, "after": after, "sentence": a.disp.text[s_start:s_end], "later": a.disp.text[s_end:],
                 "match": a.disp.text[d_start:d_end]}  # fmt: skip
        scopes, gate = self._exemptions[hit.rule]
        inside = (d_start - s_start, d_end - s_start)
        # the gate reads the sentence and what follows it: a superset of every searched text
        for i in gate.candidates(a.disp.text[s_start:]):
            where, unless = scopes[i]
            text = texts[where]
            if _redeems(gate.regexes[i], text, inside if where == "sentence" else None) and not (
                unless and unless.search(text)
            ):
                return True
        return False

    def _select(self, a: _Analysis) -> list[Hit]:
        """Drop exempt hits, then keep the strongest of overlapping hits of one rule."""
        ranked = sorted(
            (h for h in a.hits if not self._exempt(a, h)),
            key=lambda h: (-STRENGTH[h.kind], -h.score, -(h.end - h.start)),
        )
        chosen: list[Hit] = []
        for hit in ranked:
            if not any(c.rule == hit.rule and c.start < hit.end and hit.start < c.end for c in chosen):
                chosen.append(hit)
        return sorted(chosen, key=lambda h: (h.start, h.rule))

    def _result(self, a: _Analysis, ctx: Context, veto: dict[str, float] | None) -> CheckResult:
        violations = [self._violation(a, hit) for hit in self._select(a)]
        score, criteria = self.etiquette.score(a.disp.text, ctx, [v.rule for v in violations], a.sk.text, veto)
        return CheckResult(text=a.disp.original, violations=violations, score=score, criteria=criteria)

    def _violation(self, a: _Analysis, hit: Hit) -> Violation:
        rule = self.rules[hit.rule]
        start, end = a.sk.span(hit.start, hit.end)
        return Violation(
            rule=rule.id, title=rule.title, severity=rule.severity, start=start, end=end,
            matched=a.disp.original[start:end], suggestion=rule.alternatives[0],
            source=self._sources[rule.id],
            evidence=Evidence(kind=hit.kind, variant=hit.variant, score=hit.score, detail=hit.detail),
        )  # fmt: skip


def validate_reply(reply: object) -> None:
    """Raise ``InputError`` for what ``Checker.check`` refuses (not text, empty, too long), so a
    batch can set such a reply aside before checking the rest."""
    if not isinstance(reply, str) or not reply.strip():
        raise InputError("the reply is empty")
    if len(reply) > MAX_REPLY_CHARS:
        raise InputError(f"the reply is {len(reply)} characters; at most {MAX_REPLY_CHARS}")


def _redeems(regex: re.Pattern[str], text: str, inside: tuple[int, int] | None) -> bool:
    """Whether an exemption matches ``text``; in the sentence, a match lying within the flagged
    span ``inside`` does not count: what redeems a phrase is said around it ("我马上要走了"
    is not "我马上给您办")."""
    if inside is None:
        return regex.search(text) is not None
    return any(not (inside[0] <= m.start() and m.end() <= inside[1]) for m in regex.finditer(text))


def _echoed(before: str, after: str, later: str) -> bool:
    """Whether the span is the citizen's words put back as a short question and at once denied:
    "找别的窗口?不用,我这儿就能办", "您说您这都不会?没关系,我教您"."""
    return len(before) <= ECHO_BEFORE and ECHO_ASKED.match(after) is not None and ECHO_DENIED.match(later) is not None


def _reported(before: str, after: str, sentence: str) -> bool:
    """Whether the span is someone's words reported rather than said: the citizen's own
    ("您说您没文化看不懂表,没关系"), a colleague's being apologised for ("那位同事跟您说自己上网查,
    这是不对的"), or a phrase named as forbidden ("不能说一句烦不烦", "你去投诉吧的态度") — in
    speech, where no quotation marks show it."""
    if REPORTED_CITIZEN.search(before) or REPORTED_CLAIM.search(before) or FORBIDDEN_BEFORE.search(before) or FORBIDDEN_AFTER.match(after):
        return True
    return REPORTED_OTHER.search(before) is not None and DISOWNED.search(sentence) is not None


def _quoted(before: str, after: str) -> bool:
    """Whether a span with ``before`` and ``after`` it in its sentence lies inside quotation
    marks: right between two, or after an unclosed opening mark that closes later on."""
    if not QUOTES.search(before):  # each case needs a mark before the span
        return False
    if QUOTES.search(before[-1:]) and QUOTES.search(after[:1]):
        return True
    for pair in PAIRED_QUOTES:
        if before.count(pair[0]) > before.count(pair[1]) and pair[1] in after:
            return True
    return any(before.count(mark) % 2 == 1 and mark in after for mark in "\"'")
