"""The reply checker: what it must catch, what it must leave alone, and what it reports."""

from __future__ import annotations

from typing import Any

import pytest

from assistant.checker import Checker
from assistant.errors import InputError
from tests.conftest import cases

FLAG = cases("checker_cases.yaml", "flag")
LEXICAL_FLAG = [c for c in FLAG if not c.values[0].get("model")]
PASS = cases("checker_cases.yaml", "pass")


@pytest.mark.parametrize("case", LEXICAL_FLAG)
def test_lexical_passes_catch_obfuscated_phrases(lexical_checker: Checker, case: dict[str, Any]) -> None:
    result = lexical_checker.check(case["text"])
    hits = [v for v in result.violations if v.rule == case["rule"]]
    assert hits, f"missed {case['rule']}: {result.violations}"
    spans = [case["text"][h.start : h.end] for h in hits]
    assert case["span"] in spans
    assert case["span"] in [h.matched for h in hits]
    if "not" in case:  # the phrase belongs to one rule and must not be counted under another too
        assert case["not"] not in {v.rule for v in result.violations}


@pytest.mark.slow
@pytest.mark.parametrize("case", FLAG)
def test_real_checker_catches_violations_and_paraphrases(checker: Checker, case: dict[str, Any]) -> None:
    result = checker.check(case["text"])
    assert case["rule"] in {v.rule for v in result.violations}


@pytest.mark.slow
@pytest.mark.parametrize("case", PASS)
def test_polite_replies_are_not_flagged(checker: Checker, case: dict[str, Any]) -> None:
    assert checker.check(case["text"]).violations == []


def test_violation_reports_suggestion_source_and_evidence(lexical_checker: Checker) -> None:
    (violation,) = lexical_checker.check("不知道。").violations
    assert violation.suggestion in lexical_checker.kb.rule("dont_know").alternatives
    assert violation.source.startswith("《")
    assert violation.evidence.kind == "exact"
    assert violation.evidence.variant == "不知道"


def test_obfuscated_match_is_reported_as_normalised(lexical_checker: Checker) -> None:
    (violation,) = lexical_checker.check("不 知 道").violations
    assert violation.evidence.kind == "normalised"


def test_homophone_match_is_reported_as_fuzzy_with_the_phrase(lexical_checker: Checker) -> None:
    (violation,) = lexical_checker.check("神精病").violations
    assert violation.evidence.kind == "fuzzy"
    assert "神经病" in violation.evidence.detail


@pytest.mark.slow
def test_semantic_match_names_the_nearest_banned_variant(checker: Checker) -> None:
    # a paraphrase that is in none of our wordings, so only the embedding pass can catch it
    result = checker.check("我也摸不着头脑,没法回答你。")
    wordings = checker.kb.rule("dont_know").variants + checker.kb.rule("dont_know").phrases
    # both clauses are caught, each by the semantic pass: one by nearest neighbours, which name
    # the closest polite wording too, the other by the stance head
    by_neighbours, by_head = sorted((v for v in result.violations if v.rule == "dont_know"),
                                    key=lambda v: v.evidence.detail.startswith("stance"))  # fmt: skip
    assert {by_neighbours.matched, by_head.matched} == {"我也摸不着头脑", "没法回答你"}
    assert all(v.evidence.kind == "semantic" and v.evidence.variant in wordings for v in (by_neighbours, by_head))
    assert "nearest polite wording" in by_neighbours.evidence.detail
    assert by_head.evidence.detail.startswith("stance head p=")


@pytest.mark.parametrize("reply", ["", "   ", "\n"])
def test_empty_reply_is_an_input_error(lexical_checker: Checker, reply: str) -> None:
    with pytest.raises(InputError, match="empty"):
        lexical_checker.check(reply)


@pytest.mark.parametrize(
    "replies",
    [
        pytest.param([("不知道", None), ("您好,请稍等。", "你好"), ("神经病", None)], id="a few: scored one by one"),
        pytest.param([(c.values[0]["text"], None) for c in FLAG + PASS], id="every case: the batched n-gram and fuzzy passes"),
    ],
)
def test_check_many_equals_check_one_by_one(lexical_checker: Checker, replies: list[tuple[str, str | None]]) -> None:
    batch = lexical_checker.check_many(replies)
    assert batch == [lexical_checker.check(r, c) for r, c in replies]


def test_fuzzy_hits_answer_cached_clauses_when_the_cache_is_cleared(lexical_checker: Checker,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    """A clause answered from the cache keeps its hit in the call that clears the cache."""
    import assistant.matching

    matcher = lexical_checker.lexical
    keys = matcher._fuzzy_keys
    typo = next(k[:-1] + "啊" for k in keys if len(k) >= 8)  # one character off a wording: a hit
    expected = matcher._fuzzy_hit(typo, 0, matcher._closest_uncached(typo))
    assert expected is not None
    assert matcher.fuzzy_hits([(typo, 0)]) == [expected]  # now cached
    monkeypatch.setattr(assistant.matching, "CACHE_CLAUSES", 4)
    others = [(k[:3] + "的话呢" + k[-1], 0) for k in keys[:20]]  # new clauses that overflow the cache
    assert matcher.fuzzy_hits([(typo, 0), *others])[0] == expected


def test_json_line_is_the_json_of_the_result_byte_for_byte(lexical_checker: Checker) -> None:
    """``check_json_line`` reuses serialised criteria; the line must not differ from a fresh dump."""
    import json

    from assistant import render

    replies = [(c.values[0]["text"], context) for c in FLAG + PASS for context in (None, "我等了一个小时了,材料要交哪些?")]
    for i, result in enumerate(lexical_checker.check_many(replies)):
        line = render.check_json_line(f"r{i}", result)
        parsed = json.loads(line)
        assert line == json.dumps(parsed, ensure_ascii=False)  # what json.dumps of the object writes
        assert parsed["criteria"] == {k: c.model_dump(exclude={"explanation"}) for k, c in result.criteria.items()}
        assert parsed == render.check_json(f"r{i}", result) and parsed["score"] == result.score


def test_fuzzy_hits_of_many_clauses_equal_fuzzy_hit_of_each(lexical_checker: Checker) -> None:
    """One ``cdist`` over many new clauses picks the wording ``extractOne`` picks for each."""
    matcher = lexical_checker.lexical
    keys = matcher._fuzzy_keys
    clauses = list(dict.fromkeys(k[:n] + k[-m:] for k in keys for n in (3, 5) for m in (1, 2)))
    clauses += ["您好请坐", "完全无关的一句话"]
    requests = [(c, i) for i, c in enumerate(clauses)] + [(clauses[0], 99)]  # a clause asked twice
    assert len(requests) > 100  # the batched path, not the few-clauses loop
    expected = [matcher._fuzzy_hit(c, offset, matcher._closest_uncached(c)) for c, offset in requests]
    assert any(expected) and not all(expected)
    assert matcher.fuzzy_hits(requests) == expected


def test_fuzzy_match_never_drops_the_negation(lexical_checker: Checker) -> None:
    # one character off is close enough, unless that character is the 不 that makes it rude
    matcher = lexical_checker.lexical
    key = next(e.key for e in matcher._fuzzy if "不" in e.key[1:-1] and len(e.key) >= 8 and e.key.count("不") == 1)
    typo = key[:-1] + "啊"
    hit = matcher.fuzzy_hit(typo, 0)
    assert hit is not None and hit.kind == "fuzzy"
    dropped = matcher.fuzzy_hit(key.replace("不", ""), 0)
    assert dropped is None or "不" not in dropped.variant
    assert lexical_checker.check("是我的事,我一定跟到底。").violations == []


def test_fuzzy_window_skips_only_wordings_that_cannot_reach_the_cutoff(lexical_checker: Checker) -> None:
    """Over every clause length, the closest wording is the one a scan of all wordings finds."""
    from rapidfuzz import fuzz, process

    lexical = lexical_checker.lexical
    keys = lexical._fuzzy_keys
    for clause in dict.fromkeys(k[:n] + k[-m:] for k in keys for n in (2, 4, 7) for m in (0, 1, 3)):
        if len(clause) < 4:
            continue
        full = process.extractOne(clause, keys, scorer=fuzz.ratio, score_cutoff=lexical.fuzzy_cutoff)
        expected = None if full is None else (int(full[2]), float(full[1]))
        assert lexical._closest_uncached(clause) == expected, clause
