"""The stance head: it learns which clause of a reply is rude, it survives a save, and the
checker turns a confident reading into a cited violation."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from assistant.checker import Checker
from assistant.embeddings import Embedder, FakeEmbedder
from assistant.knowledge import KnowledgeBase
from assistant.stance import NONE, RUDE, ReplyHead, StanceHead, fit_stance, neutral, training_rows
from assistant.text import key

TRAINING = [
    ("你问别人去", "pass_the_buck"), ("这事你找别人", "pass_the_buck"), ("别人管这个你去找", "pass_the_buck"),
    ("墙上贴着自己看", "read_it_yourself"), ("自己看公告", "read_it_yourself"), ("网上有你自己查", "read_it_yourself"),
    ("您好请坐", NONE), ("我帮您查一下", NONE), ("请您稍等", NONE), ("材料我帮您核对", NONE),
]  # fmt: skip


def fake_vectors(texts: list[str]) -> dict[str, np.ndarray]:
    return dict(zip(texts, FakeEmbedder().embed(texts), strict=True))


@pytest.fixture(scope="module")
def head() -> StanceHead:
    texts = [t for t, _ in TRAINING]
    return fit_stance(TRAINING, [], {t: key(t) for t in texts}, fake_vectors(texts), 16.0, 1.0)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        pytest.param("你去问别人", "pass_the_buck", id="pushing away, words reordered"),
        pytest.param("自己看墙上", "read_it_yourself", id="read it yourself, reordered"),
        pytest.param("我帮您核对一下", NONE, id="polite help"),
    ],
)
def test_the_head_reads_stance_from_words_it_has_seen(head: StanceHead, text: str, label: str) -> None:
    probabilities = head.probabilities(key(text), FakeEmbedder().embed([text])[0])
    assert max(probabilities, key=probabilities.__getitem__) == label
    assert sum(probabilities.values()) == pytest.approx(1.0)


def test_the_head_reads_your_and_yours_alike() -> None:
    # clean replies say 您 far more often: the n-gram view must not learn 您 as politeness
    assert neutral("刚才不是跟您说过了吗") == neutral("刚才不是跟你说过了吗")
    polite = TRAINING + [("您慢走", NONE), ("您请坐", NONE), ("您好", NONE)]
    texts = [t for t, _ in polite] + ["您问别人去"]
    fitted = fit_stance(polite, [], {t: key(t) for t in texts}, fake_vectors(texts), 16.0, 0.0)
    assert fitted.probabilities(key("您问别人去"), fake_vectors(["您问别人去"])["您问别人去"])["pass_the_buck"] > 0.5


REPLIES = [
    ("您好,材料收到了,您别老在这儿问了,烦", ["impatient"]), ("您别问了,问得我头疼", ["impatient"]),
    ("一遍遍问,烦死了", ["impatient"]), ("怎么又问,说了别问了", ["impatient"]),
    ("您好,材料收到了,请稍等", []), ("您问的这个我帮您查", []), ("请问还有什么要问的吗", []), ("您慢走", []),
]  # fmt: skip


def test_the_reply_head_learns_rules_of_whole_replies_and_survives_a_save(tmp_path: Path) -> None:
    reply = ReplyHead.fit([key(t) for t, _ in REPLIES], [labels for _, labels in REPLIES])
    assert reply is not None and reply.labels == ["impatient"]
    rude, polite = reply.probabilities(key("别问了,烦")), reply.probabilities(key("请稍等,我帮您查"))
    assert rude["impatient"] > 0.5 > polite["impatient"]
    texts = [t for t, _ in TRAINING]
    head = fit_stance(TRAINING, [], {t: key(t) for t in texts}, fake_vectors(texts), 16.0, 1.0)
    head.reply = reply
    head.save(tmp_path / "stance.npz")
    loaded = StanceHead.load(tmp_path / "stance.npz")
    assert loaded is not None and loaded.reply is not None
    assert loaded.reply.probabilities(key("别问了,烦")) == pytest.approx(rude)


def test_no_reply_head_without_a_rule_to_tell_apart() -> None:
    assert ReplyHead.fit([key("您好"), key("请坐")], [[], []]) is None
    assert ReplyHead.fit([key("不知道")], [["dont_know"]]) is None  # no counter-example


def test_training_rows_follow_the_shape_of_each_reply() -> None:
    rows, undecided = training_rows(
        [("不知道", "dont_know")],
        [(["您好", "请坐"], []), (["问别人去"], ["pass_the_buck", "impatient"]), (["您好", "问别人去"], ["pass_the_buck"])],
    )
    assert rows == [("不知道", "dont_know"), ("您好", NONE), ("请坐", NONE),
                    ("问别人去", "pass_the_buck"), ("问别人去", "impatient")]  # fmt: skip
    assert undecided == [(["您好", "问别人去"], ["pass_the_buck"])]


def test_a_longer_rude_reply_teaches_its_rude_clause_not_its_polite_one() -> None:
    # The first fit knows 别人 from the known rows; it must pick "叫别人弄" (not "您好啊") as the
    # rude clause of the longer reply, so after the refit "您好啊" still reads as polite.
    replies = [(["您好啊", "叫别人弄"], ["pass_the_buck"])] * 6
    texts = [t for t, _ in TRAINING] + ["您好啊", "叫别人弄"]
    fitted = fit_stance(TRAINING, replies, {t: key(t) for t in texts}, fake_vectors(texts), 16.0, 1.0)
    polite = fitted.probabilities(key("您好啊"), FakeEmbedder().embed(["您好啊"])[0])
    rude = fitted.probabilities(key("叫别人弄"), FakeEmbedder().embed(["叫别人弄"])[0])
    assert rude["pass_the_buck"] > 0.5 > polite["pass_the_buck"]


def test_a_saved_head_loads_with_the_same_probabilities(head: StanceHead, tmp_path: Path) -> None:
    path = tmp_path / "heads" / "stance.npz"
    head.save(path)
    loaded = StanceHead.load(path)
    assert loaded is not None
    vector = FakeEmbedder().embed(["你问别人去"])[0]
    assert loaded.probabilities("你问别人去", vector) == pytest.approx(head.probabilities("你问别人去", vector))


@pytest.mark.parametrize(
    "content",
    [pytest.param(None, id="no file"), pytest.param(b"not a zip", id="garbage"), pytest.param(b"", id="empty file")],
)
def test_an_unreadable_head_is_refitted_not_fatal(tmp_path: Path, content: bytes | None) -> None:
    path = tmp_path / "stance.npz"
    if content is not None:
        path.write_bytes(content)
    assert StanceHead.load(path) is None


def test_the_checker_cites_a_confident_stance_reading_with_the_rules_nearest_wording(kb: KnowledgeBase) -> None:
    embedder: Embedder = FakeEmbedder()
    plain = Checker(kb, embedder)
    reply = "这种事情你们找街道那边去弄"
    assert plain.check(reply).violations == []  # nearest neighbours alone do not see it
    clauses = plain.clause_texts(reply)
    texts = [t for t, _ in TRAINING] + clauses
    head = fit_stance([*TRAINING, *[(c, "pass_the_buck") for c in clauses]], [], {t: key(t) for t in texts},
                      fake_vectors(texts), 16.0, 1.0)  # fmt: skip
    violation, = Checker(kb, embedder, stance=head).check(reply).violations
    assert (violation.rule, violation.matched, violation.evidence.kind) == ("pass_the_buck", reply, "semantic")
    assert violation.evidence.detail.startswith("stance head p=")
    wordings = {w for r in kb.rules if r.id == "pass_the_buck" for w in (*r.phrases, *r.variants)}
    assert violation.evidence.variant in wordings


@pytest.mark.slow
@pytest.mark.parametrize(
    "reply",
    [
        pytest.param("您不知道也没关系,我来告诉您", id="the citizen does not know: polite"),
        pytest.param("这个我不太清楚,我马上问一下同事再答复您", id="admits not knowing, then finds out"),
        pytest.param("我们下班前一定给您办完", id="closing time as a promise"),
        pytest.param("这个要到三号窗口办理,我带您过去", id="names the window and helps"),
    ],
)
def test_the_shipped_head_leaves_the_polite_replies_of_the_brief_alone(checker: Checker, reply: str) -> None:
    assert checker.stance is not None
    assert checker.check(reply).violations == []


@pytest.mark.slow
def test_the_shipped_head_vetoes_a_nearest_neighbour_hit_of_a_rule_it_does_not_see(checker: Checker) -> None:
    # The citizen's own words (您说今天不想办了) sit near 今天不办了 wordings; the head, which
    # learned whose words such clauses are, gives closing_time little and the hit is dropped.
    reply = "您说今天不想办了?没问题,材料您收好,下次来直接找我。"
    assert checker.stance is not None and checker.thresholds.veto > 0
    shipped = checker.thresholds
    checker.thresholds = dataclasses.replace(shipped, veto=0.0, skip=0.0, agree=0.0)  # the gate would not even embed it
    try:
        unvetoed = checker.check(reply).violations
    finally:
        checker.thresholds = shipped
    assert [(v.rule, v.evidence.kind) for v in unvetoed] == [("closing_time", "semantic")]
    assert "nearest polite wording" in unvetoed[0].evidence.detail  # the neighbours' hit, not the head's
    assert checker.check(reply).violations == []


@pytest.mark.slow
def test_the_manuals_own_procedures_and_headings_pass_the_checker(checker: Checker) -> None:
    # Answers quote them and cite the headings ("五、处理投诉"); the head learns them as "none"
    # (before it did, six read as defiant, insult or curt and answers about complaints were declined).
    kb = checker.kb
    texts = sorted({kb.cite(s) for p in (*kb.procedures, *kb.situations, *kb.rules) for s in p.sources})
    texts += [t for p in kb.procedures if p.kind != "rule" for t in (p.title, p.summary, *p.points)]
    flagged = {t: [v.rule for v in r.violations] for t, r in zip(texts, checker.check_many([(t, None) for t in texts]), strict=True)
               if r.violations}  # fmt: skip
    assert flagged == {}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("reply", "rules"),
    [
        pytest.param("加急?不受理。", ["curt"], id="a two-character refusal as a whole sentence"),
        pytest.param("复印件?不提供。", ["curt"], id="a three-character refusal as a whole sentence"),
        pytest.param("不客气。", [], id="a short polite negation"),
        pytest.param("没关系。", [], id="short reassurance"),
        pytest.param("别着急。", [], id="short comfort"),
        pytest.param("老年卡代办是吧?不受理,拿回去吧。", ["curt"], id="a short refusal inside a longer sentence"),
        pytest.param("没问题,这个业务全程免费。", [], id="a short negation that agrees"),
    ],
)
def test_short_sentences_that_negate_are_read_by_the_head(checker: Checker, reply: str, rules: list[str]) -> None:
    # which rules, not how many spans: "不受理,拿回去吧" may be read as one curt clause or two
    assert sorted({v.rule for v in checker.check(reply).violations}) == rules


@pytest.mark.slow
def test_the_reply_head_catches_a_rude_clause_the_stance_head_alone_doubts(checker: Checker) -> None:
    # "后面还有二十多号呢" alone is a fact about the queue; after "写快点" the whole reply is plainly
    # impatient (reply head p≈0.95, far from its 0.25 threshold: a borderline example flipped when
    # the heads were refitted on more data)
    reply = "写快点，后面还有二十多号呢。"
    assert checker.stance is not None and checker.stance.reply is not None
    shipped = checker.thresholds
    checker.thresholds = dataclasses.replace(shipped, reply=1.01)
    try:
        assert checker.check(reply).violations == []
    finally:
        checker.thresholds = shipped
    violation, = checker.check(reply).violations
    assert violation.rule == "impatient" and violation.evidence.detail.startswith("reply head p=")
    assert "二十多号" in violation.matched


@pytest.mark.slow
def test_a_model_hit_the_reply_head_rules_out_is_dropped(checker: Checker) -> None:
    # "您快点儿" read alone sounds like closing time to the stance head; the whole reply (a queue
    # behind, an old man typing slowly) is impatience, and the reply head gives closing_time ~0.
    reply = "大爷,您快点儿,后面还有人等着呢,一个字一个字敲到什么时候,来,我帮您输。"
    assert checker.stance is not None and checker.stance.reply is not None and checker.thresholds.agree > 0
    shipped = checker.thresholds
    checker.thresholds = dataclasses.replace(shipped, agree=0.0)
    try:
        alone = checker.check(reply).violations
    finally:
        checker.thresholds = shipped
    assert any(v.rule == "closing_time" and v.matched == "您快点儿" for v in alone)
    rules = {v.rule for v in checker.check(reply).violations}
    assert "closing_time" not in rules and "impatient" in rules


@pytest.mark.slow
def test_the_reply_heads_own_rule_takes_the_dropped_clause(checker: Checker) -> None:
    # the hand-over itself, on a fixed reading of the whole reply (the fitted heads' readings of
    # any one wording move when they are refitted on more data): closing_time ruled out, impatient
    # sure, nothing else found, so the clause keeps a hit under the reply head's rule
    reply = "大爷,您快点儿,一个字一个字敲到什么时候,来,我帮您输。"
    a = checker._analyse(reply)
    span = next((s, e, c) for s, e, c, _, _ in a.pending if c.startswith("您快点儿"))
    vectors = {span[2]: checker.embedder.embed([span[2]])[0]}  # type: ignore[union-attr]
    a.hits = [checker._rule_hit("closing_time", vectors[span[2]], span[0], span[1], 0.97, "stance head p=0.97")]
    a.reply = dict.fromkeys(checker.rules, 0.0) | {"impatient": 0.9}
    checker._agree(a, vectors)
    (hit,) = a.hits
    assert hit.rule == "impatient" and (hit.start, hit.end) == span[:2]
    assert "not the closing_time" in hit.detail
    a.reply = dict.fromkeys(checker.rules, 0.0) | {"impatient": checker.thresholds.reply / 2}
    a.hits = [checker._rule_hit("closing_time", vectors[span[2]], span[0], span[1], 0.97, "stance head p=0.97")]
    checker._agree(a, vectors)
    assert a.hits == []  # a reply head unsure of its own rule only drops


@pytest.mark.slow
def test_the_reply_head_adds_nothing_beside_other_findings(checker: Checker) -> None:
    # beside other hits it mostly added a wrong second rule: it speaks only for clean-looking replies
    result = checker.check("您好,这事不归我们管,你问别人去吧,问得我手都乱了。")
    assert not any(v.evidence.detail.startswith("reply head") for v in result.violations)


@pytest.mark.slow
@pytest.mark.parametrize(
    "reply",
    [
        pytest.param("您要投诉的话,电话是12345,我写给您。", id="a polite pointer to the complaint line"),
        pytest.param("投诉与意见处理(怎么投诉)", id="a manual's heading about complaints"),
        pytest.param("您慢慢填,有不明白的地方随时问我。", id="an offer to answer questions"),
    ],
)
def test_the_reply_head_does_not_flag_polite_replies_about_touchy_topics(checker: Checker, reply: str) -> None:
    assert checker.check(reply).violations == []


@pytest.mark.slow
def test_short_sentences_without_a_negation_cost_no_model_call(checker: Checker) -> None:
    assert checker.semantic_clauses(["好的。", "您好!", "谢谢。"]) == []
    assert checker.semantic_clauses(["不提供。"]) == ["不提供"]


def test_the_gate_reads_rude_clauses_from_their_words_and_survives_a_save(head: StanceHead, tmp_path: Path) -> None:
    assert head.gate is not None and head.gate.labels == [RUDE]
    rude, polite = head.gate.probabilities(key("你去问别人"))[RUDE], head.gate.probabilities(key("我帮您核对一下"))[RUDE]
    assert rude > 0.5 > polite
    head.save(tmp_path / "stance.npz")
    loaded = StanceHead.load(tmp_path / "stance.npz")
    assert loaded is not None and loaded.gate is not None
    assert loaded.gate.probabilities(key("你去问别人"))[RUDE] == pytest.approx(rude)


@pytest.mark.slow
@pytest.mark.parametrize(
    "reply",
    [
        pytest.param("您好,您的材料我都核对过了,身份证和户口本都齐了,我现在就给您录入,大概十分钟,您先坐一下。", id="a long polite reply"),
        pytest.param("这个问题我不太清楚,我马上问一下同事再答复您。", id="not sure, then finding out"),
        pytest.param("您先别急,听我说,这个业务不在我们窗口,在二楼12号窗口,我带您过去。", id="a redirect with the window named"),
    ],
)
def test_clauses_the_gate_reads_as_polite_cost_no_model_call(checker: Checker, reply: str) -> None:
    shipped = checker.thresholds
    checker.thresholds = dataclasses.replace(shipped, skip=0.0, most=0)
    try:
        ungated = checker.semantic_clauses([reply])
    finally:
        checker.thresholds = shipped
    assert ungated  # the lexical gate alone would embed them
    assert checker.semantic_clauses([reply]) == []
    assert checker.check(reply).violations == []


@pytest.mark.slow
def test_a_long_rude_reply_embeds_its_likeliest_rude_clauses_up_to_the_limit(checker: Checker) -> None:
    reply = "您好,材料我看了,我这忙着呢,你自己想办法,别在这儿站着,我没工夫陪你耗,下一位。"
    shipped = checker.thresholds
    try:
        checker.thresholds = dataclasses.replace(shipped, skip=0.0, most=0)
        every = checker.semantic_clauses([reply])
        checker.thresholds = dataclasses.replace(shipped, most=1)
        one = checker.semantic_clauses([reply])
    finally:
        checker.thresholds = shipped
    assert len(every) >= 2 and len(one) == 1 and one[0] in every
    assert checker.check(reply).violations  # and it is still flagged
