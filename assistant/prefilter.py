"""Which regexes could match a text at all, from one Aho–Corasick pass over it.

Python's ``re`` has no literal prefilter of its own: a pattern such as
``(我|俺)(也)?不(太|大)?(知道|清楚)`` is tried at every position of every sentence. From a
pattern's parse tree we read *required literals*: a set of strings one of which every match
contains (here its 24 spellings ``我不知道``, ``俺也不太清楚`` …; with too many spellings, a
shorter run of fixed parts such as ``不知道``). One automaton over the literals of all patterns
then names the few patterns worth running on a text; most texts contain none. Tested sound
over every bundled pattern and eval text (tests/test_prefilter.py).
"""

from __future__ import annotations

import re
import re._constants as sre  # type: ignore[import-not-found]  # the parser re itself uses
import re._parser as sre_parse  # type: ignore[import-not-found]
from collections.abc import Iterable, Sequence
from typing import Any

import ahocorasick

MAX_LITERALS = 256  # a pattern part with more spellings than this is not expanded
MAX_RANGE = 64  # character classes wider than this (\d, [一-龥]) are not expanded

Items = Iterable[tuple[Any, Any]]


def required_literals(pattern: str | re.Pattern[str]) -> frozenset[str] | None:
    """Non-empty strings one of which every match of ``pattern`` contains, preferring long
    ones; None when none are known (the pattern may match with no fixed text, as ``.+``)."""
    regex = re.compile(pattern)
    if regex.flags & re.IGNORECASE:
        return None
    try:
        return _required(sre_parse.parse(regex.pattern))
    except (re.error, TypeError, ValueError):  # an unusual construct: always run the pattern
        return None


def _required(items: Items) -> frozenset[str] | None:
    """For a sequence: the most selective set among its windows of consecutive fixed parts
    (every match spells one of their concatenations) and its mandatory variable parts."""
    items = list(items)
    spellings = [_spellings_of(op, arg) for op, arg in items]
    options = [_required_of(op, arg) for (op, arg), s in zip(items, spellings, strict=True) if s is None]
    for start in range(len(items)):
        window: frozenset[str] | None = frozenset({""})
        for part in spellings[start:]:
            window = None if part is None or window is None else _product(window, part)
            if window is None:
                break
            options.append(window)
    return max((o for o in options if o and "" not in o), key=_selectivity, default=None)


def _selectivity(literals: frozenset[str]) -> tuple[int, int]:
    """Longer literals are rarer; among equally long sets, fewer is better."""
    return min(map(len, literals)), -len(literals)


def _required_of(op: Any, arg: Any) -> frozenset[str] | None:
    """For one variable part that every match passes through."""
    if op is sre.SUBPATTERN and not arg[1] & re.IGNORECASE:
        return _required(arg[-1])
    if op is sre.ATOMIC_GROUP:
        return _required(arg)
    if op is sre.BRANCH:  # one branch matches: the union of what each needs
        union: set[str] = set()
        for branch in arg[1]:
            needs = _required(branch)
            if needs is None:
                return None
            union |= needs
        return frozenset(union)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and arg[0] >= 1:
        return _required(arg[2])
    return None  # optional parts, any-character, negated classes, back-references


def _spellings(items: Items) -> frozenset[str] | None:
    """Every string a sequence can match, if few (zero-width parts spell "")."""
    spelled: frozenset[str] | None = frozenset({""})
    for op, arg in items:
        part = _spellings_of(op, arg)
        if part is None or spelled is None:
            return None
        spelled = _product(spelled, part)
    return spelled


def _spellings_of(op: Any, arg: Any) -> frozenset[str] | None:
    if op is sre.LITERAL:
        return frozenset(chr(arg))
    if op in (sre.AT, sre.ASSERT, sre.ASSERT_NOT):  # anchors and look-arounds consume nothing
        return frozenset({""})
    if op is sre.IN:
        return _class_chars(arg)
    if op is sre.SUBPATTERN:
        return None if arg[1] & re.IGNORECASE else _spellings(arg[-1])
    if op is sre.ATOMIC_GROUP:
        return _spellings(arg)
    if op is sre.BRANCH:
        union: set[str] = set()
        for branch in arg[1]:
            spelled = _spellings(branch)
            if spelled is None or len(union | spelled) > MAX_LITERALS:
                return None
            union |= spelled
        return frozenset(union)
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT) and arg[1] is not sre.MAXREPEAT:
        return _repeat(arg[0], arg[1], _spellings(arg[2]))
    return None


def _class_chars(members: list[tuple[Any, Any]]) -> frozenset[str] | None:
    """A class of literals and short ranges; negated, category or wide classes: unknown."""
    chars: set[str] = set()
    for kind, value in members:
        if kind is sre.LITERAL:
            chars.add(chr(value))
        elif kind is sre.RANGE and value[1] - value[0] < MAX_RANGE:
            chars.update(map(chr, range(value[0], value[1] + 1)))
        else:
            return None
    return frozenset(chars)


def _repeat(low: int, high: int, unit: frozenset[str] | None) -> frozenset[str] | None:
    if unit is None:
        return None
    spelled: set[str] = set()
    power: frozenset[str] | None = frozenset({""})
    for count in range(high + 1):
        if power is None or len(spelled) > MAX_LITERALS:
            return None
        if count >= low:
            spelled |= power
        power = _product(power, unit) if count < high else power
    return frozenset(spelled) if len(spelled) <= MAX_LITERALS else None


def _product(heads: frozenset[str], tails: frozenset[str]) -> frozenset[str] | None:
    if len(heads) * len(tails) > MAX_LITERALS:
        return None
    return frozenset(h + t for h in heads for t in tails)


class LiteralGate:
    """Built once from regexes; ``candidates(text)`` lists, in order, the indices of those
    that may match ``text``: patterns without known literals are always candidates."""

    def __init__(self, patterns: Sequence[str | re.Pattern[str]]) -> None:
        self.regexes = [re.compile(p) for p in patterns]
        self._always: set[int] = set()
        self._automaton: Any = ahocorasick.Automaton()
        for index, pattern in enumerate(patterns):
            literals = required_literals(pattern)
            if literals is None:
                self._always.add(index)
                continue
            for literal in literals:
                if not self._automaton.exists(literal):
                    self._automaton.add_word(literal, set())
                self._automaton.get(literal).add(index)
        self._ordered = sorted(self._always)
        if len(self._automaton):
            self._automaton.make_automaton()
        else:
            self._automaton = None

    def candidates(self, text: str) -> list[int]:
        if self._automaton is None:
            return list(self._ordered)
        found = self._always.copy()
        for _, indices in self._automaton.iter(text):
            found |= indices
        return sorted(found) if found else []

    def search(self, text: str) -> list[int]:
        """Indices of the regexes that match somewhere in ``text``."""
        return [i for i in self.candidates(text) if self.regexes[i].search(text)]
