"""Answers for citizens: extractive, templated, cited, and checked against our own rules.

The answer is composed from the best passages in the hall's voice (您好 … 还有什么可以帮您),
never generated freely. A question the knowledge does not cover is declined politely with the
hall's consultation desk and hotline. Every answer goes through the reply checker; a sentence
that would break a rule is dropped, and if that leaves nothing the question is declined.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from assistant.checker import Checker
from assistant.config import Settings
from assistant.embeddings import reference, save_cache
from assistant.errors import InputError
from assistant.heads import LinearHead, head_key, load_head, save_head
from assistant.ingest import load_collections
from assistant.knowledge import KnowledgeBase
from assistant.retrieval import (
    LEXICAL_WEIGHT,
    RRF_K,
    Hit,
    Passage,
    Retriever,
    corpus_key,
    open_index,
    rrf,
)
from assistant.text import query_form

# civil phrases by situation answer "what will the staff say when…": quoted, never said as ours
ANSWER_KINDS = frozenset({"procedure", "principle", "stage", "rule", "situation", "hall", "document"})
PLACEHOLDER = re.compile(r"[XＸx×]{2,}")  # the manuals' blanks ("请到XX窗口缴费")
MAX_QUESTION_CHARS = 500
CANDIDATES = 20  # hybrid hits the passage head may reorder
RERANK_FOLDS = 5  # the reranker learns from passage heads that did not see the question
RERANK_MIN = 20  # labelled answerable questions below which the fixed fusion is used
RERANK_VERSION = 2  # bump when ``rank_features`` changes: kept rerankers are refitted
AskExample = tuple[str, bool, str | None]  # a citizen question, answerable?, the passage that answers it


@dataclass(frozen=True)
class AskThresholds:
    """When to answer; tuned on evals/ask_dev.jsonl (evals/tune_ask.py)."""

    margin: float = 0.0  # best passage cosine minus best out-of-scope example cosine
    coverage: float = 0.0  # share of the question's content words found in the top passages
    scope: float = 0.85  # the scope head's probability that the question is one we answer
    sure: float = 1.0  # a scope margin this large answers whatever the head says (1.0: never; with
    # n-grams the head itself is surer than the margin: 5-fold CV on 4,509 dev questions)
    regularisation: float = 0.05  # C of the scope head's logistic regression
    scope_grams: float = 40.0  # weight of the question's character n-grams in the scope head ("投诉电话多少"
    # reads as 投诉 to them, not as one more "…电话多少"; CV: out of scope declined 93.4 → 97.1%,
    # in scope declined 3.8 → 2.0%)
    passage_weight: float = 1.0  # the passage head's ranking in the fusion (hybrid's is 1)
    passage_regularisation: float = 0.2  # C of the passage head's multinomial regression
    passage_grams: float = 10.0  # weight of the question's character n-grams in the passage head
    rerank_regularisation: float = 0.1  # C of the reranker's logistic regression


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str
    source: str
    text: str
    score: float


class Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str
    answer: str
    answered: bool
    sources: list[Source]


def knowledge_passages(kb: KnowledgeBase) -> list[Passage]:
    """Procedures, principles, stages, rule principles and civil phrases as cited passages."""
    out: list[Passage] = []
    for p in kb.procedures:
        text = p.summary + ("\n" + "\n".join(p.points) if p.points else "")
        out.append(Passage(id=f"procedure:{p.id}", title=p.title, text=text, source=kb.cite(p.sources[0]),
                           kind=p.kind, points=p.points, questions=p.questions))  # fmt: skip
    for r in kb.rules:
        text = f"{r.principle}\n可以这样说: " + " / ".join(r.alternatives)
        out.append(Passage(id=f"rule:{r.id}", title=f"服务禁语: {r.title}", text=text,
                           source=kb.cite(r.sources[0]), kind="rule", questions=r.questions))  # fmt: skip
    for s in kb.situations:
        out.append(Passage(id=f"situation:{s.id}", title=s.title, text=f"{s.when}\n" + "\n".join(s.phrases),
                           source=kb.cite(s.sources[0]), kind="situation", questions=s.questions))  # fmt: skip
    hall = kb.hall
    hall_text = (f"{hall.name}办公时间: {hall.office_hours.text}。咨询服务台: {hall.consultation_desk};"
                 f"服务热线: {hall.hotline}。")  # fmt: skip
    out.append(Passage(id="hall:info", title="办公时间与咨询方式", text=hall_text,
                       source=kb.cite(hall.office_hours.source), kind="hall",
                       points=[f"办公时间: {hall.office_hours.text}", f"咨询服务台: {hall.consultation_desk}",
                               f"服务热线: {hall.hotline}"], questions=hall.questions))  # fmt: skip
    return out


def hall_passages(settings: Settings) -> list[Passage]:
    return [
        Passage(id=f"{c.name}:{d.name}:{i}", title=clause.section, text=clause.text,
                source=f"{d.name} {clause.section}", kind="document", collection=c.name)  # fmt: skip
        for c in load_collections(settings.data_dir)
        for d in c.documents.values()
        for i, clause in enumerate(d.clauses)
    ]


def service_terms(kb: KnowledgeBase) -> list[str]:
    """jieba user dictionary: titles of procedures and situations plus the core terms."""
    core = ["首问负责", "首问责任", "一次性告知", "限时办结", "即办件", "承诺件", "受理通知书",
            "补正材料告知书", "业务事项告知单", "AB岗", "代办", "委托书", "满意度评价", "排队叫号",
            "办结", "补正", "服务热线", "咨询台", "工作日", "营业执照", "居住证", "身份证"]  # fmt: skip
    titles = [re.sub(r"[(（].*?[)）]", "", title) for title in [p.title for p in kb.procedures] + [s.title for s in kb.situations]]
    return core + [t for t in titles if 2 <= len(t) <= 8]


def passage_rows(passages: Sequence[Passage], labelled: Sequence[AskExample]) -> list[tuple[str, str]]:
    """The passage head's training set: (question, id of the passage that answers it); each
    passage's title and points count as questions too, so rarely asked passages have rows."""
    known = {p.id for p in passages if p.kind in ANSWER_KINDS}
    rows = [(q, p.id) for p in passages if p.id in known for q in (*p.questions, p.title, *p.points)]
    rows += [(q, answer) for q, answerable, answer in labelled if answerable and answer in known]
    return [(query_form(q), answer) for q, answer in rows]


def scope_rows(kb: KnowledgeBase, passages: Sequence[Passage], labelled: Sequence[AskExample]) -> list[tuple[str, bool]]:
    """The scope head's training set: (question, answerable?)."""
    rows = [(q, True) for p in passages for q in p.questions]
    rows += [(e, False) for topic in kb.out_of_scope for e in topic.examples]
    rows += [(q, answerable) for q, answerable, _ in labelled]
    return [(query_form(q), answerable) for q, answerable in rows]


class Answerer:
    def __init__(self, kb: KnowledgeBase, retriever: Retriever, checker: Checker,
                 thresholds: AskThresholds | None = None, examples: Sequence[AskExample] = (),
                 heads: dict[str, LinearHead] | None = None) -> None:  # fmt: skip
        """``examples`` train the scope and passage heads, unless ``heads`` holds them already
        (fitted earlier on the same rows, see ``from_settings``)."""
        self.kb = kb
        self.retriever = retriever
        self.checker = checker
        self.thresholds = thresholds or AskThresholds()
        self._lexical = Checker(kb)
        self._vetted: dict[str, bool] = {}
        self._checked: dict[str, bool] = {}
        off_topic = [e for topic in kb.out_of_scope for e in topic.examples]
        # passage-side vectors are "passage:"-prompted chunks, so embed the examples the same way
        self._scope_vecs = retriever.embedder.embed(off_topic, kind="passage")
        heads = heads or {}
        self.scope_head = (heads.get("scope") or self._fit_scope(examples)) if examples else None
        self.passage_head = (heads.get("passages") or self._fit_passages(examples)) if examples else None
        self.reranker = (heads.get("reranker") or self._fit_reranker(examples)) if examples and self.passage_head else None

    def _fit_passages(self, labelled: Sequence[AskExample]) -> LinearHead | None:
        """Which passage answers a question, learned from the passages' example questions and
        labelled questions: it knows how citizens ask, where words and vectors often miss."""
        rows = passage_rows(self.retriever.passages, labelled)
        ids = sorted({answer for _, answer in rows})
        if len(ids) < 2:
            return None
        vectors = self.retriever.embedder.embed([q for q, _ in rows], kind="query")
        return LinearHead.fit_exclusive(ids, [q for q, _ in rows], vectors, [a for _, a in rows],
                                        self.thresholds.passage_regularisation, self.thresholds.passage_grams)  # fmt: skip

    def candidates(self, question: str, vector: np.ndarray) -> list[Hit]:
        """The hybrid search's top ``CANDIDATES`` answerable passages."""
        hits = self.retriever.search(question, k=CANDIDATES * 2, vector=vector)
        return [h for h in hits if h.passage.kind in ANSWER_KINDS][:CANDIDATES]

    def rank(self, question: str, vector: np.ndarray | None = None) -> list[Hit]:
        """Answerable passages, best first: the hybrid's top ``CANDIDATES`` reordered by the
        reranker over both rankings (or, without one, the hybrid fused with the passage
        head's ranking by RRF)."""
        question = query_form(question)
        if vector is None:
            vector = self.retriever.embedder.embed([question], kind="query")[0]
        hits = self.candidates(question, vector)
        if self.passage_head is None or len(hits) < 2:
            return hits
        probability = self.passage_head.probabilities(vector, question)
        if self.reranker is not None:
            score = self.reranker.logits(rank_features(hits, probability, self.passage_head.nearest(vector)))[:, 0]
            return [hits[i].model_copy(update={"score": round(float(score[i]), 4)}) for i in np.argsort(-score, kind="stable")]
        by_head = sorted(range(len(hits)), key=lambda i: -probability.get(hits[i].passage.id, 0.0))
        fused = rrf([list(range(len(hits))), by_head], weights=[1.0, self.thresholds.passage_weight])
        return [hits[i].model_copy(update={"score": round(fused[i], 4)}) for i in sorted(fused, key=lambda i: -fused[i])]

    def _fit_reranker(self, labelled: Sequence[AskExample]) -> LinearHead | None:
        """How far to trust each ranking, candidate by candidate: a logistic regression over
        the ranks and scores of the hybrid search and the passage head (``rank_features``),
        learned from labelled questions. The head's readings come from heads fitted on the
        other folds, so they are as unsure as they are for a citizen's new question."""
        data = self.rerank_rows(labelled)
        if data is None:
            return None
        features, targets, texts = data
        return LinearHead.fit(["answer"], texts, features, targets[:, None], self.thresholds.rerank_regularisation)

    def rerank_rows(self, labelled: Sequence[AskExample]) -> tuple[np.ndarray, np.ndarray, list[str]] | None:
        """The reranker's training rows: features of every candidate of every labelled
        answerable question, whether it is the answer, and the question; None if too few."""
        known = {p.id for p in self.retriever.passages if p.kind in ANSWER_KINDS}
        answerable = [(query_form(q), a) for q, ok, a in labelled if ok and a in known]
        if len(answerable) < RERANK_MIN:
            return None
        rows: list[np.ndarray] = []
        targets: list[bool] = []
        texts: list[str] = []
        for fold in range(RERANK_FOLDS):
            head = self._fit_passages([(q, True, a) for i, (q, a) in enumerate(answerable) if i % RERANK_FOLDS != fold])
            held = [(q, a) for i, (q, a) in enumerate(answerable) if i % RERANK_FOLDS == fold]
            if head is None or not held:
                return None
            for (question, answer), vector in zip(held, self.retriever.embedder.embed([q for q, _ in held], kind="query"),
                                                  strict=True):  # fmt: skip
                hits = self.candidates(question, vector)
                if len(hits) >= 2:
                    rows.append(rank_features(hits, head.probabilities(vector, question), head.nearest(vector)))
                    targets += [h.passage.id == answer for h in hits]
                    texts += [question] * len(hits)
        if not any(targets) or all(targets):
            return None
        return np.vstack(rows), np.array(targets), texts

    def _fit_scope(self, labelled: Sequence[AskExample]) -> LinearHead:
        """A head over question vectors: answerable (the passages' example questions, labelled
        questions in scope) or not (the out-of-scope examples, labelled questions out of it).
        Nearest-neighbour margins alone decline too few off-topic questions in new voices."""
        rows = scope_rows(self.kb, self.retriever.passages, labelled)
        vectors = self.retriever.embedder.embed([q for q, _ in rows], kind="query")
        labels = np.array([[answerable] for _, answerable in rows], dtype=bool)
        return LinearHead.fit(["in_scope"], [q for q, _ in rows], vectors, labels, self.thresholds.regularisation,
                              self.thresholds.scope_grams)  # fmt: skip

    @classmethod
    def from_settings(cls, settings: Settings, checker: Checker | None = None) -> Answerer:
        checker = checker or Checker.from_settings(settings)
        if checker.embedder is None:
            from assistant.embeddings import load_embedder

            embedder = load_embedder(settings)
        else:
            embedder = checker.embedder
        passages = knowledge_passages(checker.kb) + hall_passages(settings)
        retriever = open_index(passages, embedder, settings.cache_dir, service_terms(checker.kb))
        from assistant.evaluation import AskCase, load_cases

        labelled = load_cases(settings.ask_examples, AskCase) if settings.ask_examples else []
        examples = [(c.question, c.in_scope, c.passage) for c in labelled]
        # fitted heads are kept (fitting takes seconds, loading ms); the keys need the passages
        thresholds, model = AskThresholds(), embedder.name
        keys = {"scope": head_key("scope", scope_rows(checker.kb, passages, examples), model, thresholds.regularisation,
                                  thresholds.scope_grams),
                "passages": head_key("passages", passage_rows(passages, examples), model, thresholds.passage_regularisation,
                                     thresholds.passage_grams),
                # its features are the hybrid's scores too: they change with any passage
                "reranker": head_key("reranker", RERANK_VERSION, passage_rows(passages, examples), corpus_key(passages, model),
                                     thresholds.passage_regularisation, thresholds.passage_grams,
                                     thresholds.rerank_regularisation, LEXICAL_WEIGHT, RRF_K)}
        folder = settings.cache_dir / "heads"
        kept = {name: head for name, key in keys.items() if (head := load_head(folder, key)) is not None}
        with reference(embedder), reference(checker.embedder):
            answerer = cls(checker.kb, retriever, checker, examples=examples, heads=kept)
            answerer.prepare()
        for name, head in (("scope", answerer.scope_head), ("passages", answerer.passage_head), ("reranker", answerer.reranker)):
            if head is not None and name not in kept:
                save_head(folder, keys[name], head)
        save_cache(checker.embedder)
        save_cache(embedder)  # when the checker runs without a model, the retriever still has one
        return answerer

    def vetting_answers(self) -> list[str]:
        """For every answerable passage, an answer built from all its lines, citing it alone and
        twice over: between them they hold (almost) every clause a composed answer can contain,
        whichever two sources it cites."""
        return [self._build(p, lines, cited)
                for p in self.retriever.passages if p.kind in ANSWER_KINDS
                for lines, cited in ((self._lines(p), p.source), (self._lines(p)[:1], f"{p.source}; {p.source}"))]  # fmt: skip

    def prepare(self) -> None:
        """Embed the clauses answers are made of ahead of time (the checker's cache, kept on
        disk by ``from_settings``), so answering a question costs one model call, not a dozen."""
        if self.checker.embedder is not None:
            self.checker.check_many([(text, None) for text in self.vetting_answers()])

    def coverage(self, question: str, hits: list[Hit]) -> float:
        words = {t for t in self.retriever.tokenizer(question) if not t.startswith("#")}
        if not words:
            return 0.0
        found = set().union(*(self.retriever.tokenizer(h.passage.body) for h in hits[:3]))
        bigrams = {t for t in self.retriever.tokenizer(question) if t.startswith("#")}
        word_share = len(words & found) / len(words)
        bigram_share = len(bigrams & found) / len(bigrams) if bigrams else word_share
        return max(word_share, bigram_share)

    def scope_margin(self, question: str, hits: list[Hit], vector: np.ndarray | None = None) -> float:
        """How much closer the question is to our passages than to the declared out-of-scope
        topics (nearest neighbours on both sides, as in the checker)."""
        best = max((h.dense for h in hits), default=0.0)
        if not len(self._scope_vecs):
            return best
        if vector is None:
            vector = self.retriever.embedder.embed([question], kind="query")[0]
        return best - float((self._scope_vecs @ vector).max())

    def in_scope(self, question: str, hits: list[Hit], vector: np.ndarray | None = None) -> bool:
        if not hits:
            return False
        t = self.thresholds
        if vector is None:
            vector = self.retriever.embedder.embed([question], kind="query")[0]
        margin = self.scope_margin(question, hits, vector)
        if self.coverage(question, hits) < t.coverage or margin < t.margin:
            return False
        # the head vetoes borderline questions; one far closer to a passage than to any
        # off-topic example is answered regardless (fewer answerable questions declined)
        return self.scope_head is None or margin >= t.sure or self.scope_head.probabilities(vector, question)["in_scope"] >= t.scope

    def ask(self, question: str, k: int = 3) -> Answer:
        validate_question(question)
        query = query_form(question)
        vector = self.retriever.embedder.embed([query], kind="query")[0]  # once, for both uses
        hits = self.rank(query, vector)[:k]
        sources = [Source(title=h.passage.title, source=h.passage.source, text=h.passage.text[:300], score=h.score)
                   for h in hits]  # fmt: skip
        if self.in_scope(query, hits, vector):
            text = self.compose(query, hits)
            if text is not None:
                return Answer(question=question, answer=text, answered=True, sources=sources)
        return Answer(question=question, answer=self.decline(), answered=False, sources=sources)

    def decline(self) -> str:
        hall = self.kb.hall
        return (f"您好,这个问题超出了本服务指南的范围,为避免给您不准确的答复,建议您到{hall.consultation_desk}"
                f"当面咨询,或拨打服务热线{hall.hotline}。还有什么可以帮您的吗?")  # fmt: skip

    @staticmethod
    def _lead(passage: Passage) -> str:
        return passage.text.split("\n")[0].strip().rstrip("。") if passage.kind != "hall" else ""

    @staticmethod
    def _candidates(passage: Passage) -> list[str]:
        if passage.kind == "situation":
            phrases = [PLACEHOLDER.sub("……", s.strip().rstrip("。")) for s in passage.text.split("\n")[1:]]
            return [f"“{s}{'' if s[-1] in '?!？！' else '。'}”" for s in phrases if s]
        lines = passage.points or [s for s in re.split(r"[\n。]", passage.text) if s.strip()]
        return [s.strip().rstrip("。") for s in lines]

    def _lines(self, passage: Passage) -> list[str]:
        return list(dict.fromkeys(s for s in [self._lead(passage), *self._candidates(passage)] if s))

    @staticmethod
    def _build(top: Passage, sentences: list[str], cited: str) -> str:
        if top.kind == "situation":
            # a situation's lines are the staff's words: quoted and introduced as theirs, so the
            # widget never seems to say "系统出了点问题" itself, even when its "when" is dropped
            quoted = [s for s in sentences if s.startswith("“")]
            plain = "".join(f"{s}。" for s in sentences if not s.startswith("“"))
            said = "工作人员会这样对您说:" + "".join(quoted) if quoted else ""
            return f"您好!关于“{top.title}”:{plain}{said}(依据: {cited})还有什么可以帮您的吗?"
        return f"您好!关于“{top.title}”:" + "。".join(sentences) + f"。(依据: {cited})还有什么可以帮您的吗?"

    def _points(self, question: str, passage: Passage, limit: int = 3) -> list[str]:
        asked = set(self.retriever.tokenizer(question))
        ranked = sorted(self._candidates(passage), key=lambda s: -len(asked & set(self.retriever.tokenizer(s))))
        return ranked[:limit]

    def _lexically_clean(self, sentence: str) -> bool:
        return _clean(self._lexical, self._vetted, sentence)

    def compose(self, question: str, hits: list[Hit]) -> str | None:
        top = hits[0].passage
        body = [s for s in [self._lead(top), *self._points(question, top)] if s]
        body = list(dict.fromkeys(body))  # keep order, drop repeats
        # sentences are vetted lexically (cheap); the composed answer gets the full check below
        clean = [s for s in body if self._lexically_clean(s)]
        if not clean:
            return None
        cited = "; ".join(dict.fromkeys(h.passage.source for h in hits[:2]))

        def build(sentences: list[str]) -> str:
            return self._build(top, sentences, cited)

        text = build(clean)
        if self._passes(text):
            return text
        # slow path: drop the sentences the full (semantic) checker objects to, then re-check
        clean = [s for s in clean if self._passes(s)]
        if not clean:
            return None
        text = build(clean)
        return text if self._passes(text) else None

    def _passes(self, text: str) -> bool:
        return _clean(self.checker, self._checked, text)


def rank_features(hits: Sequence[Hit], probability: dict[str, float], nearest: dict[str, float]) -> np.ndarray:
    """Per candidate: its place and scores in the hybrid search (fused, lexical, dense), the
    passage head's probability (and its log) and its place in the head's ranking, and the
    cosine of the nearest question the head learned for it (and how far below the best)."""
    p = np.array([probability.get(h.passage.id, 0.0) for h in hits])
    by_head = np.empty(len(hits))
    by_head[np.argsort(-p, kind="stable")] = np.arange(len(hits))
    near = np.array([nearest.get(h.passage.id, -1.0) for h in hits])
    return np.column_stack([1.0 / np.arange(1, len(hits) + 1), [h.score for h in hits], [h.lexical for h in hits],
                            [h.dense for h in hits], p, np.log(p + 1e-6), 1.0 / (by_head + 1), near,
                            near - near.max()])  # fmt: skip


def _clean(checker: Checker, verdicts: dict[str, bool], text: str) -> bool:
    """Whether ``checker`` finds no violation in ``text``, remembered in ``verdicts``: answers
    are built only from knowledge sentences, so sentences and composed answers repeat across
    questions (the memo stays small; it is capped anyway)."""
    if text not in verdicts:
        if len(verdicts) >= 50_000:
            verdicts.clear()
        verdicts[text] = not checker.check(text).violations
    return verdicts[text]


def validate_question(question: object) -> None:
    """Raise ``InputError`` for what ``Answerer.ask`` refuses (not text, empty, too long)."""
    if not isinstance(question, str) or not question.strip():
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is {len(question)} characters; at most {MAX_QUESTION_CHARS}")
