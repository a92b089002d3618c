"""Lexical evidence of banned phrases: exact, normalised, homophone, pattern and fuzzy hits.

Everything is matched on the *skeleton* of a reply (see ``text.py``) with a character-level
Aho–Corasick automaton, so obfuscation (spaces, zero-width characters, full-width forms,
traditional characters, repeats, emoji) does not hide a phrase, and spans map back to the
original text. Homophone typos are found by a second automaton over pinyin keys.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import ahocorasick
import numpy as np
from rapidfuzz import fuzz, process

from assistant.knowledge import KnowledgeBase
from assistant.prefilter import LiteralGate
from assistant.text import Normalised, key, pinyin_key

EvidenceKind = Literal["exact", "normalised", "fuzzy", "semantic"]
SHORT_KEY = 2  # keys this short ("不行", "没有") only count when they are a whole sentence
TYPED_SYLLABLE = re.compile("[\ue000-\uf8ff]")  # a syllable typed in pinyin letters (text.pinyin_runs)
HOMOPHONE_MIN = 3  # shorter homophones collide with ordinary words (不行 / 步行): whole sentences only
_NEGATIONS = frozenset("不没别甭莫勿无非")  # a fuzzy match must keep every one its wording has
CACHE_CLAUSES = 16384  # clauses whose closest wording is remembered (answers and drills repeat them)
FEW_CLAUSES = 8  # fewer new clauses than this are compared one by one: ``cdist``'s threads cost more


@dataclass(frozen=True, slots=True)
class Entry:
    """One banned wording: a manual phrase or one of our variants, under its rule."""

    rule: str
    text: str
    key: str
    origin: Literal["phrase", "variant"]


@dataclass(frozen=True, slots=True)
class Hit:
    """A candidate violation in skeleton coordinates ``[start, end)``."""

    rule: str
    start: int
    end: int
    kind: EvidenceKind
    variant: str
    score: float
    detail: str


def _automaton(pairs: list[tuple[str, Entry]]) -> ahocorasick.Automaton:
    auto = ahocorasick.Automaton()
    for word, entry in pairs:
        if auto.exists(word):
            auto.get(word).append(entry)
        else:
            auto.add_word(word, [entry])
    auto.make_automaton()
    return auto


class LexicalMatcher:
    """Built once from the knowledge base; ``hits`` is pure and thread-safe."""

    def __init__(self, kb: KnowledgeBase, fuzzy_cutoff: float = 84.0) -> None:
        self.entries: list[Entry] = []
        for rule in kb.rules:
            for origin, texts in (("phrase", rule.phrases), ("variant", rule.variants)):
                for text in texts:
                    if k := key(text):
                        self.entries.append(Entry(rule.id, text, k, origin))  # type: ignore[arg-type]
        self._exact = _automaton([(e.key, e) for e in self.entries])
        self._sound = _automaton(
            [(pinyin_key(e.key), e) for e in self.entries if len(e.key) >= SHORT_KEY]
        )
        patterns = [_Pattern(rule.id, p, re.compile(p)) for rule in kb.rules for p in rule.patterns]
        self._patterns = _Patterns(patterns)
        # The same patterns over syllables, for sentences where a syllable was typed in pinyin
        # letters ("随便投su"): regex syntax is ASCII, so only the Han characters change.
        self._sound_patterns = _Patterns([_Pattern(p.rule, p.text, re.compile(pinyin_key(p.text))) for p in patterns])
        # fuzzy matching compares whole clauses with our longer wordings only
        self._fuzzy = [e for e in self.entries if len(e.key) >= 4]
        self._fuzzy_keys = [e.key for e in self._fuzzy]
        self.fuzzy_cutoff = fuzzy_cutoff
        # Both scans compare a clause with many wordings (~0.05–0.5 ms); answers and drills repeat
        # clauses (knowledge sentences, stock phrases), so each clause is scanned once.
        self._closest: dict[str, tuple[int, float] | None] = {}  # ``fuzzy_hits``' cache, CACHE_CLAUSES at most
        self._suspicion = lru_cache(maxsize=16384)(self._suspicion_uncached)
        self._fuzzy_window = lru_cache(maxsize=256)(self._fuzzy_window_uncached)

    def hits(self, sk: Normalised, sentence_spans: list[tuple[int, int]]) -> list[Hit]:
        """All lexical hits in a skeleton; ``sentence_spans`` are skeleton sentence spans."""
        found = self._exact_hits(sk, sentence_spans)
        found += self._homophone_hits(sk, sentence_spans)
        for s_start, s_end in sentence_spans:  # per sentence, so ^ and $ anchor to a sentence
            sentence = sk.text[s_start:s_end]
            found += self._patterns.hits(sentence, s_start, "normalised", 1.0, "pattern")
            if TYPED_SYLLABLE.search(sentence):
                found += self._sound_patterns.hits(pinyin_key(sentence), s_start, "fuzzy", 0.9,
                                                   "pattern, with pinyin letters")  # fmt: skip
        return found

    def _exact_hits(self, sk: Normalised, sentences: list[tuple[int, int]]) -> list[Hit]:
        found: list[Hit] = []
        for end_index, entries in self._exact.iter(sk.text):
            for entry in entries:
                start, end = end_index - len(entry.key) + 1, end_index + 1
                if len(entry.key) <= SHORT_KEY and not _is_whole_sentence(start, end, sentences):
                    continue
                o_start, o_end = sk.span(start, end)
                verbatim = sk.original[o_start:o_end] in (entry.text, entry.key)
                kind: EvidenceKind = "exact" if verbatim else "normalised"
                found.append(Hit(entry.rule, start, end, kind, entry.text, 1.0, entry.origin))
        return found

    def _homophone_hits(self, sk: Normalised, sentences: list[tuple[int, int]]) -> list[Hit]:
        found: list[Hit] = []
        for end_index, entries in self._sound.iter(pinyin_key(sk.text)):
            for entry in entries:
                start = end_index - len(entry.key) + 1
                if len(entry.key) < HOMOPHONE_MIN and not _is_whole_sentence(start, end_index + 1, sentences):
                    continue
                typed = sk.text[start : end_index + 1]
                # a syllable typed in letters counts as right: the writer spelled that sound
                same = sum(a == b or TYPED_SYLLABLE.match(a) is not None for a, b in zip(typed, entry.key, strict=True))
                # at least half the characters must be right, or 布置到 would be 不知道
                if typed != entry.key and same * 2 >= len(entry.key):
                    score = same / len(entry.key)
                    found.append(Hit(entry.rule, start, end_index + 1, "fuzzy", entry.text,
                                     score, f"homophone of {entry.text}"))  # fmt: skip
        return found

    def fuzzy_hit(self, clause_key: str, offset: int) -> Hit | None:
        """The closest of our wordings to a whole clause, if close enough."""
        return self.fuzzy_hits([(clause_key, offset)])[0]

    def fuzzy_hits(self, clauses: Sequence[tuple[str, int]]) -> list[Hit | None]:
        """``fuzzy_hit`` of many (clause key, offset) at once: the clauses not seen before are
        compared with every wording in one ``cdist`` call, on every core (a quarter of the
        cost a clause of ``extractOne`` one by one, on two)."""
        wanted = {k for k, _ in clauses if len(k) >= 4}
        known = {k: self._closest[k] for k in wanted if k in self._closest}
        new = list(dict.fromkeys(k for k, _ in clauses if k in wanted and k not in known))
        if len(new) >= FEW_CLAUSES:
            scores = process.cdist(new, self._fuzzy_keys, scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff,
                                   dtype=np.float64, workers=-1)  # fmt: skip
            best = scores.argmax(axis=1)  # the first of equals, as ``extractOne`` picks
            top = scores[np.arange(len(new)), best]
            found = [(int(b), float(t)) if t > 0 else None for b, t in zip(best, top, strict=True)]
        else:
            found = [self._closest_uncached(k) for k in new]
        known.update(zip(new, found, strict=True))
        if len(self._closest) + len(new) > CACHE_CLAUSES:  # answers come from ``known``, not the cache
            self._closest.clear()
        self._closest.update(zip(new, found, strict=True))
        return [self._fuzzy_hit(k, offset, known.get(k)) for k, offset in clauses]

    def _fuzzy_hit(self, clause_key: str, offset: int, best: tuple[int, float] | None) -> Hit | None:
        if best is None:
            return None
        entry = self._fuzzy[best[0]]
        if not _NEGATIONS.intersection(entry.key) <= _NEGATIONS.intersection(clause_key):
            return None  # one character off, but the one that turns 不是我的事 into 是我的事
        return Hit(entry.rule, offset, offset + len(clause_key), "fuzzy", entry.text,
                   round(best[1] / 100, 3), "similar wording")  # fmt: skip

    def _closest_uncached(self, clause_key: str) -> tuple[int, float] | None:
        if len(clause_key) < 4:
            return None
        indices, keys = self._fuzzy_window(len(clause_key), self.fuzzy_cutoff)
        best = process.extractOne(clause_key, keys, scorer=fuzz.ratio, score_cutoff=self.fuzzy_cutoff)
        return None if best is None else (indices[int(best[2])], float(best[1]))

    def _fuzzy_window_uncached(self, length: int, cutoff: float) -> tuple[list[int], list[str]]:
        """The wordings (indices, keys, in order) long enough and short enough to reach the
        ratio ``cutoff`` with a clause of ``length``: at best 200·min/(sum of lengths). Ties go
        to the first wording either way; a point of margin keeps float rounding out."""
        fits = [i for i, k in enumerate(self._fuzzy_keys) if 200 * min(length, len(k)) / (length + len(k)) >= cutoff - 1]
        return fits, [self._fuzzy_keys[i] for i in fits]

    def suspicion(self, clause_key: str, floor: float = 0.0) -> float:
        """How much a clause resembles any banned wording (0–1): the gate of the semantic pass.
        Below ``floor`` the answer is 0 (rapidfuzz can then skip most comparisons)."""
        return self._suspicion(clause_key, floor)

    def _suspicion_uncached(self, clause_key: str, floor: float) -> float:
        if not clause_key:
            return 0.0
        best = process.extractOne(clause_key, self._fuzzy_keys, scorer=fuzz.partial_ratio, score_cutoff=floor * 100)
        return float(best[1]) / 100 if best else 0.0


@dataclass(frozen=True, slots=True)
class _Pattern:
    rule: str
    text: str  # as written in the rule, for the evidence
    regex: re.Pattern[str]


class _Patterns:
    """Banned-phrase regexes behind a literal gate (``prefilter.py``): most sentences contain
    none of the words a pattern is built around, and then it is not run."""

    def __init__(self, patterns: list[_Pattern]) -> None:
        self.patterns = patterns
        self._gate = LiteralGate([p.regex for p in patterns])

    def hits(self, text: str, offset: int, kind: EvidenceKind, score: float, detail: str) -> list[Hit]:
        return [Hit(p.rule, offset + m.start(), offset + m.end(), kind, p.text, score, detail)
                for p in map(self.patterns.__getitem__, self._gate.candidates(text))
                for m in p.regex.finditer(text) if m.end() > m.start()]  # fmt: skip


def _is_whole_sentence(start: int, end: int, sentences: list[tuple[int, int]]) -> bool:
    return any(s_start == start and s_end == end for s_start, s_end in sentences)
