"""The regex prefilter: the literals a match needs, and a gate that never skips a match."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest

from assistant.evaluation import BehaviourCase, CheckCase, PairCase, load_cases
from assistant.knowledge import KnowledgeBase
from assistant.prefilter import LiteralGate, required_literals
from assistant.text import key, normalise, pinyin_key
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        pytest.param("不(归|是)我管", {"不归我管", "不是我管"}, id="a fixed sequence spells each of its alternatives"),
        pytest.param("(你|自己)去问(别人|他人)", {"你去问别人", "你去问他人", "自己去问别人", "自己去问他人"}, id="groups multiply out"),
        pytest.param("滚(蛋|开)|^滚$", {"滚蛋", "滚开", "滚"}, id="branches: the union of what each branch needs"),
        pytest.param("(好的)?明天[再在]来", {"明天再来", "明天在来"}, id="an optional group is not needed but does not break the run"),
        pytest.param("说.{0,3}(不知道)?", {"说"}, id="any-character ends a run"),
        pytest.param("[a-c]x?", {"a", "b", "c"}, id="a short range is a set of characters"),
        pytest.param(r"\d+号窗口", {"号窗口"}, id="a digit class is not expanded"),
        pytest.param("(?<!申)请(?!示|假)", {"请"}, id="look-arounds consume nothing"),
        pytest.param("我(是|就是)?外行", {"我外行", "我是外行", "我就是外行"}, id="an optional part spells nothing or itself"),
        pytest.param("(去|吧)+$", {"去", "吧"}, id="an unbounded repeat needs one copy"),
        pytest.param("x{2,3}", {"xx", "xxx"}, id="a bounded repeat is spelled out"),
        pytest.param(r"\w+呢", {"呢"}, id="a word class is unknown"),
        pytest.param("(我|俺)?[^,]{0,3}(吧|啊)?", None, id="nothing mandatory: always run"),
        pytest.param(".+", None, id="may match anything"),
        pytest.param("(?i)abc", None, id="case-insensitive patterns are not gated"),
    ],
)
def test_required_literals_are_read_from_the_parse_tree(pattern: str, literals: set[str] | None) -> None:
    assert required_literals(pattern) == (None if literals is None else frozenset(literals))


def test_required_literals_prefer_long_literals_over_a_blow_up() -> None:
    # 5 subjects × 12 adverbs × 6 × 4 spellings is too many: the rarer tail is kept instead
    literals = required_literals("(我|俺|咱|我们|咱们)(也|真|真的|确实|实在|可|都|根本|压根|一概|完全|是)?不(太|大|是很|怎么|咋)?(知道|清楚|晓得|了解)")
    assert literals is not None and "不知道" in literals and min(map(len, literals)) == 3


def test_gate_keeps_order_and_always_runs_patterns_without_literals() -> None:
    gate = LiteralGate(["不知道", ".+", "滚(蛋|开)", "知道"])
    assert gate.candidates("我不知道") == [0, 1, 3]
    assert gate.candidates("您好") == [1]
    assert gate.search("我知道了") == [1, 3]
    assert LiteralGate(["滚"]).candidates("您好") == []


@lru_cache(maxsize=1)
def _typed_texts() -> list[str]:
    """Every reply and citizen utterance in the dev/test sets."""
    texts: list[str] = []
    for name in ("check_dev.jsonl", "check_test.jsonl"):
        texts += [t for c in load_cases(ROOT / "evals" / name, CheckCase) for t in (c.text, c.context or "")]
    for name in ("pairs_dev.jsonl", "pairs_test.jsonl"):
        texts += [t for c in load_cases(ROOT / "evals" / name, PairCase) for t in (c.better, c.worse, c.context)]
    texts += [c.text for c in load_cases(ROOT / "evals" / "behaviours_dev.jsonl", BehaviourCase)]
    return [t for t in dict.fromkeys(texts) if t]


@lru_cache(maxsize=1)
def _eval_texts() -> list[str]:
    """The eval texts as typed, in display form (etiquette cues) and as skeletons (patterns)."""
    typed = _typed_texts()
    return typed + [normalise(t).text for t in typed] + [key(t) for t in typed]


def _assert_gate_never_skips_a_match(patterns: list[str], texts: list[str]) -> None:
    gate = LiteralGate(patterns)
    regexes = [re.compile(p) for p in patterns]
    for text in texts:
        matching = [i for i, regex in enumerate(regexes) if regex.search(text)]
        assert set(matching) <= set(gate.candidates(text)), (text, [patterns[i] for i in matching])


def test_gate_never_skips_a_banned_pattern_that_matches(kb: KnowledgeBase) -> None:
    """Sound for the bundled patterns over every eval text, and every pattern is gated."""
    patterns = [p for rule in kb.rules for p in rule.patterns]
    assert all(required_literals(p) is not None for p in patterns)
    _assert_gate_never_skips_a_match(patterns, _eval_texts())
    # the same patterns over syllables, as the matcher runs them when pinyin letters were typed
    _assert_gate_never_skips_a_match([pinyin_key(p) for p in patterns], [pinyin_key(key(t)) for t in _typed_texts()])


def test_gate_never_skips_an_etiquette_cue_that_matches(kb: KnowledgeBase) -> None:
    cues = [p for criterion in kb.criteria for p in criterion.cues]
    regexes = [signal.regex for signal in kb.signals]
    _assert_gate_never_skips_a_match(cues + regexes, _eval_texts())


def test_gate_over_a_sentence_never_skips_an_exemption_that_matches_part_of_it(kb: KnowledgeBase) -> None:
    """Exemptions search the text before or after a hit, but are gated by the whole sentence."""
    patterns = list(dict.fromkeys(e.pattern for rule in kb.rules for e in rule.exemptions))
    gate = LiteralGate(patterns)
    for text in _typed_texts():
        candidates = set(gate.candidates(text))
        parts = {text[:cut] for cut in range(0, len(text), 3)} | {text[cut:] for cut in range(0, len(text), 3)}
        for index, regex in enumerate(gate.regexes):
            if index not in candidates:
                assert not any(regex.search(part) for part in parts), (patterns[index], text)
