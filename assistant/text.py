"""Chinese text normalisation that keeps a map back to what the trainee typed.

Two views of a reply are used for matching, each carrying ``offsets`` into the original:

* ``normalise(text)`` — the *display* form: NFKC (full-width → half-width), traditional →
  simplified, lower case, common Cantonese, Wu and Henan function words → Mandarin (唔知 → 不知道,
  侬 → 你, 俺 → 我: window staff type as they speak), look-alike typos (自已 → 自己) and chat
  spellings (👀 → 看); whitespace,
  zero-width characters, emoji and variation selectors removed, except that spaces or emoji
  between two runs of Han characters become ``CHAT_BREAK`` (chat ends clauses so); punctuation
  kept, so sentences and clauses can still be split.
* ``skeleton(display)`` — the *matching key*: punctuation and symbols removed too, and runs
  of a repeated character collapsed ("不知知道道" → "不知道"), so "不 . 知 . 道" matches.

``pinyin_key`` maps each Han character of a skeleton to its toneless syllable (one private-use
code point per syllable), so homophone typos ("不知到", "神精病") align character for character;
a syllable spelled out in Latin letters ("不zhi道", "ｂｕ行") becomes that code point in the
skeleton already.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from operator import itemgetter
from typing import Any

# Characters that carry no meaning in a typed reply: whitespace, zero-width and bidi marks,
# variation selectors, emoji and pictographs.
_INVISIBLE = (
    r"\s\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202f"
    r"\u205f-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0"
    r"\u2190-\u21ff\u2300-\u23ff\u2460-\u24ff\u25a0-\u27bf\u2900-\u297f\u2b00-\u2bff"
    r"\u3030\u303d\u3297\u3299\U0001f000-\U0001faff\U000e0000-\U000e007f"
)
_INVISIBLE_RUN = re.compile(f"(?P<cut>[{_INVISIBLE}]+)")
# Punctuation and symbols dropped from the skeleton (after NFKC, so only half-width ASCII
# forms and CJK punctuation remain).
_PUNCT = re.compile(
    r"[!-/:-@\[-`{-~\u00a1-\u00bf\u00d7\u00f7\u2010-\u2027\u2030-\u205e"
    r"\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u30fb\ufe30-\ufe4f]"
)
_PUNCT_RUN = re.compile(f"(?P<cut>{_PUNCT.pattern}+)")
_REPEATS = re.compile(r"(.)(?P<cut>\1+)", re.DOTALL)  # a run of one character: all but the first
SENTENCE_END = "。!?;…\n"
# "..." (NFKC's form of …) ends a sentence too: a pause in chat, "嗯我看一下您这卡...不行。";
# a single dot does not (3.5 个工作日)
_SENTENCE = re.compile(r"(?:[^。!?;…\n.]|(?<!\.)\.(?!\.))+(?:[。!?;…\n]|\.{2,})*")
_DOTS_END = re.compile(r"\.{2,}$")
_CLAUSE = re.compile(r"[^,，。!?;…、\n]+")
_TYPED_CLAUSE = re.compile(r"[^,。!?;…、\n]+")  # ignores chat breaks
CHAT_BREAK = "，"  # NFKC folds every typed full-width comma, so this one marks a chat break


@dataclass(frozen=True, slots=True)
class Normalised:
    """Normalised text plus, for each of its characters, the index in the original."""

    text: str
    offsets: tuple[int, ...]
    original: str
    ends: tuple[int, ...] | None = None  # where a character ends in the original, if not offset+1

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Original ``[start, end)`` covering normalised characters ``[start, end)``."""
        if start >= end:
            at = self.offsets[start] if start < len(self.offsets) else len(self.original)
            return at, at
        last = self.ends[end - 1] if self.ends is not None else self.offsets[end - 1] + 1
        return self.offsets[start], last


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc  # imported lazily: building the converter reads its dictionaries

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_t2s().convert(text))


# Full-width punctuation common in typed Chinese, each its own one-character NFKC form (，→ ,):
# folded first with str.replace, NFKC meets an already normal text and takes its fast path
# (~0.2 µs instead of ~6 µs a reply); the result is the same.
_FULL_WIDTH = "，？～：（）！；"


def _nfkc_with_offsets(text: str) -> tuple[str, list[int]]:
    for char in _FULL_WIDTH:
        if char in text:
            text = text.replace(char, chr(ord(char) - 0xFEE0))
    folded = unicodedata.normalize("NFKC", text)
    if len(folded) == len(text):
        return folded, list(range(len(text)))
    chars: list[str] = []
    offsets: list[int] = []
    for index, char in enumerate(text):
        piece = unicodedata.normalize("NFKC", char)
        chars.append(piece)
        offsets.extend([index] * len(piece))
    return "".join(chars), offsets


def _simplify_with_offsets(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    simplified = to_simplified(text)
    if len(simplified) == len(text):
        return simplified, offsets
    # Phrase-level conversion changed the length: fall back to character by character.
    chars: list[str] = []
    new_offsets: list[int] = []
    for char, offset in zip(text, offsets, strict=True):
        piece = to_simplified(char)
        chars.append(piece)
        new_offsets.extend([offset] * len(piece))
    return "".join(chars), new_offsets


# Dialect words → Mandarin, longest first. Only words that are not also everyday Mandarin:
# identities shield Mandarin words that contain a dialect key (请勿, 阿拉伯, 步伐…).
DIALECT = {
    # Cantonese
    "唔该": "谢谢", "唔紧要": "不要紧", "唔使": "不用", "唔好意思": "不好意思", "唔知道": "不知道",
    "唔知": "不知道", "唔晓得": "不晓得", "唔关": "不关", "唔系": "不是", "唔得": "不行", "唔": "不",
    "冇得": "没得", "冇": "没有", "睇": "看", "嘅": "的", "喺": "在", "咗": "了", "佢哋": "他们",
    "佢": "他", "俾": "给", "啲": "些", "乜嘢": "什么", "乜": "什么", "边个": "谁", "边度": "哪里",
    "喺呢度": "在这里", "喺度": "在这里", "呢度": "这里", "嗰度": "那里", "嗰": "那", "咁": "这么", "咩": "吗", "攞": "拿", "搵": "找",
    "听日": "明天", "琴日": "昨天", "我哋": "我们", "你哋": "你们", "而家": "现在", "即刻": "马上",
    # 点算 only with a particle: bare 点算 is Mandarin "count by" (契税按几个点算)
    "几多": "多少", "点算啊": "怎么办啊", "点算呀": "怎么办呀", "点算好": "怎么办好", "点算呢": "怎么办呢", "边几个": "哪几个", "嗌交": "吵架", "跌咗": "丢了",
    # Wu (Shanghainese)
    "阿拉伯": "阿拉伯", "阿拉善": "阿拉善", "阿拉斯加": "阿拉斯加", "阿拉": "我们", "侬": "你",
    "请勿": "请勿", "切勿": "切勿", "勿忘": "勿忘", "勿来三": "不行", "勿晓得": "不晓得", "勿": "不",
    "覅": "不要", "落班": "下班", "明朝": "明天", "今朝": "今天",
    "可以伐": "可以吗", "好伐": "好吗", "对伐": "对吗", "是伐": "是吗", "晓得伐": "晓得吗", "要伐": "要吗",
    # Southwestern / northern Mandarin word order
    "晓不得": "不晓得", "认不到": "不认识",
    # Henan / Shandong: 俺 for 我, 恁 for 您
    "俺们": "我们", "俺": "我", "恁": "您",
    # look-alike typos too common to leave to chance (not homophones, so pinyin keys miss them)
    "自已": "自己", "自巳": "自己", "己经": "已经",
    # chat spellings: the eyes emoji for 看, internet 康康 for 看看 (only after 自己: 健康康复)
    "👀": "看", "自己康康": "自己看看",
    # internet spellings of 什么 / 怎么 (着神马急, 肿么办)
    "神马": "什么", "肿么": "怎么",
}
_DIALECT = re.compile("|".join(re.escape(k) for k in sorted(DIALECT, key=len, reverse=True)))


def _substitute(text: str, offsets: list[int], regex: re.Pattern[str],
               word_of: Callable[[re.Match[str]], str]) -> tuple[str, list[int]]:  # fmt: skip
    """``text`` with each match of ``regex`` replaced by ``word_of(match)``; each new character
    points at the original character in its place (or at the match's last one)."""
    if not regex.search(text):
        return text, offsets
    chars: list[str] = []
    new_offsets: list[int] = []
    at = 0
    for m in regex.finditer(text):
        chars.append(text[at : m.start()])
        new_offsets.extend(offsets[at : m.start()])
        word = word_of(m)
        chars.append(word)
        new_offsets.extend(offsets[min(m.start() + i, m.end() - 1)] for i in range(len(word)))
        at = m.end()
    chars.append(text[at:])
    new_offsets.extend(offsets[at:])
    return "".join(chars), new_offsets


def _dialect_with_offsets(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    return _substitute(text, offsets, _DIALECT, lambda m: DIALECT[m.group()])


# Spaces or emoji between two runs of Han characters: how chat and phone transcripts end a
# clause ("下班了亲 要啥材料公众号上都有 自己看"). Zero-width marks do not count (they hide inside
# a phrase), nor does a gap beside a single character ("有牌子 自 己 看" spaces out one phrase).
_CHAT_BREAK = re.compile(
    r"(?<=[\u4e00-\u9fff]{2})[\s\U0001f000-\U0001faff\u2600-\u27bf]+(?=[\u4e00-\u9fff]{2})"
)


def _chat_breaks(text: str, offsets: list[int]) -> tuple[str, list[int]]:
    """``text`` with each chat break made ``CHAT_BREAK`` (at the break's first character)."""
    return _substitute(text, offsets, _CHAT_BREAK, lambda m: CHAT_BREAK)


# pinyin typed with tone marks ("bù xíng") reads as the toneless letters the pinyin keys use
_TONELESS = str.maketrans("āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüĀÁǍÀĒÉĚÈĪÍǏÌŌÓǑÒŪÚǓÙ", "aaaaeeeeiiiioooouuuuuuuuuAAAAEEEEIIIIOOOOUUUU")


def normalise(text: str) -> Normalised:
    """The display form of ``text`` (see module docstring)."""
    folded, offsets = _nfkc_with_offsets(text)
    folded = folded.translate(_TONELESS)  # one letter for one: the offsets still hold
    simplified, offsets = _simplify_with_offsets(folded.lower(), offsets)
    simplified, offsets = _dialect_with_offsets(simplified, offsets)
    simplified, offsets = _chat_breaks(simplified, offsets)
    shown, kept_offsets = _cut(simplified, _INVISIBLE_RUN, offsets)
    return Normalised(text=shown, offsets=tuple(kept_offsets), original=text)


@lru_cache(maxsize=4096)  # a question passes several entry points (ask, rank, search)
def query_form(text: str) -> str:
    """A citizen's question or a search query as the index and the answer heads read it: the
    display form (simplified, half-width, lower case, Cantonese function words in Mandarin),
    since the knowledge is written so ("系統故障要等多久", "有冇咨询电话")."""
    return normalise(text).text


def _cut(text: str, regex: re.Pattern[str], indices: Sequence[int]) -> tuple[str, Sequence[int]]:
    """``text`` without the ``cut`` group of each match of ``regex``, and ``indices`` (one per
    character) without theirs. Slicing between the few matches is far cheaper than testing
    every character in Python."""
    pieces: list[str] = []
    kept: list[int] = []
    at = 0
    for m in regex.finditer(text):
        start, end = m.span("cut")
        pieces.append(text[at:start])
        kept.extend(indices[at:start])
        at = end
    if not pieces:
        return text, indices
    pieces.append(text[at:])
    kept.extend(indices[at:])
    return "".join(pieces), kept


def _pick(values: Sequence[Any], indices: list[int]) -> tuple[Any, ...]:
    if len(indices) < 2:  # itemgetter returns a bare value for one index
        return tuple(values[i] for i in indices)
    return itemgetter(*indices)(values)  # type: ignore[no-any-return]


_LATIN_RUN = re.compile(r"[a-z]{2,}")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def pinyin_runs(display_text: str) -> dict[int, tuple[int, str]]:
    """Latin runs typed for Han characters ("不zhi道", "问bie人", "xia ban le"): start → (end,
    syllable code), one entry per syllable. A run counts when it is a whole toneless syllable
    of two or more letters next to a Han character, or splits into syllables and sits next to
    a Han character or in a text whose every Latin run splits so (a reply typed all in pinyin:
    spaces are gone by now). So "APP", "ok", "sb" or English words stay as typed."""
    runs: dict[int, tuple[int, str]] = {}
    found = [(m.start(), m.end(), m.group()) for m in _LATIN_RUN.finditer(display_text)]
    if not found:
        return runs
    syllables = _syllables()
    split = [_split_syllables(word) for _, _, word in found]
    all_pinyin = all(split)
    for (start, end, word), parts in zip(found, split, strict=True):
        beside_han = (start > 0 and _HAN.match(display_text[start - 1])) or (
            end < len(display_text) and _HAN.match(display_text[end]))  # fmt: skip
        if word in syllables and beside_han:  # the run pattern asks for two letters or more
            runs[start] = (end, syllables[word])
        elif parts and len(parts) >= 2 and (beside_han or all_pinyin):
            for offset, length in parts:
                runs[start + offset] = (start + offset + length, syllables[word[offset : offset + length]])
    return runs


@lru_cache(maxsize=4096)
def _split_syllables(word: str) -> tuple[tuple[int, int], ...] | None:
    """(offset, length) of each syllable of ``word`` spelled out in pinyin, longest syllables
    first (xian is 先, not 西安), or None when it does not split into syllables. One-letter
    syllables are the vowels a, e, o only (not n or m, which would split English words)."""
    if len(word) > 40:
        return None
    syllables = _syllables()
    best: list[tuple[tuple[int, int], ...] | None] = [None] * (len(word) + 1)
    best[len(word)] = ()
    for i in range(len(word) - 1, -1, -1):
        for length in range(min(6, len(word) - i), 0, -1):
            rest = best[i + length]
            part = word[i : i + length]
            if rest is not None and part in syllables and (length > 1 or part in "aeo"):
                best[i] = ((i, length), *rest)
                break
    return best[0]


def skeleton_indices(display_text: str) -> list[int]:
    """Indices of the display characters the skeleton keeps, in order."""
    return _skeleton_parts(display_text, pinyin_runs(display_text))[1]


def _skeleton_parts(display_text: str, runs: dict[int, tuple[int, str]]) -> tuple[str, list[int]]:
    """The skeleton string and the display indices it keeps."""
    if runs:
        kept = _indices_with_runs(display_text, runs)
        return "".join(runs[i][1] if i in runs else display_text[i] for i in kept), kept
    stripped, no_punct = _cut(display_text, _PUNCT_RUN, range(len(display_text)))
    # then a character repeating the previous kept one, across punctuation too (不.不)
    text, collapsed = _cut(stripped, _REPEATS, no_punct)
    return text, list(collapsed)


def _indices_with_runs(display_text: str, runs: dict[int, tuple[int, str]]) -> list[int]:
    kept: list[int] = []
    previous = ""
    skip_to = -1
    for index, char in enumerate(display_text):
        if index < skip_to:
            continue
        if index in runs:  # a spelled-out syllable stands for one character
            skip_to = runs[index][0]
            kept.append(index)
            previous = ""
            continue
        if char == previous or _PUNCT.match(char):
            continue
        kept.append(index)
        previous = char
    return kept


def skeleton(display: Normalised) -> Normalised:
    """The matching key of a display form, with offsets into the *original* text."""
    return skeleton_with_indices(display)[0]


def skeleton_with_indices(display: Normalised) -> tuple[Normalised, list[int]]:
    """The matching key of a display form, with offsets into the *original* text, and the
    indices of the display characters it keeps. A pinyin run becomes its syllable's
    private-use code point, which ``pinyin_key`` keeps as is."""
    runs = pinyin_runs(display.text)
    text, kept = _skeleton_parts(display.text, runs)
    if runs:
        ends = tuple(display.offsets[runs[i][0] - 1] + 1 if i in runs else display.offsets[i] + 1 for i in kept)
        return Normalised(text, _pick(display.offsets, kept), display.original, ends), kept
    if len(kept) == len(display.text):  # nothing dropped: the display form is the key
        return Normalised(text, display.offsets, display.original), kept
    return Normalised(text, _pick(display.offsets, kept), display.original), kept


def key(text: str) -> str:
    """The skeleton string of a phrase, for building matchers."""
    return skeleton(normalise(text)).text


def sentences(text: str) -> list[tuple[int, int]]:
    """Spans of the sentences of a display text, split at 。!?;… and newlines, and at a pause
    of dots between two stretches of at least two characters ("…您这卡...不行。" but not the
    obfuscated "不...行")."""
    spans: list[tuple[int, int]] = []
    for m in _SENTENCE.finditer(text):
        if spans and _DOTS_END.search(text, *spans[-1]) and min(
            _letters(text[slice(*spans[-1])]), _letters(m.group())
        ) < 2:
            spans[-1] = (spans[-1][0], m.end())
        else:
            spans.append((m.start(), m.end()))
    return spans


def _letters(text: str) -> int:
    return len(_PUNCT.sub("", text).strip())


def clauses(text: str, chat_breaks: bool = True) -> list[tuple[int, int]]:
    """Spans of the clauses of a display text, split at commas and sentence ends too, and at
    chat breaks unless ``chat_breaks`` is false (a spaced-out phrase, "有牌子 自已看", is whole)."""
    regex = _CLAUSE if chat_breaks else _TYPED_CLAUSE
    return [(m.start(), m.end()) for m in regex.finditer(text) if m.group().strip()]


@lru_cache(maxsize=1)
def _pinyin_tables() -> tuple[dict[int, str], dict[str, str]]:
    """(Han character → private-use code point of its first toneless reading, and
    toneless syllable → that code point)."""
    from pypinyin.pinyin_dict import pinyin_dict

    syllables: dict[str, str] = {}
    table: dict[int, str] = {}
    for code_point, readings in pinyin_dict.items():
        first = unicodedata.normalize("NFKD", readings.split(",")[0])
        toneless = "".join(c for c in first if not unicodedata.combining(c))
        if toneless not in syllables:
            syllables[toneless] = chr(0xE000 + len(syllables))
        table[code_point] = syllables[toneless]
    return table, syllables


def _pinyin_table() -> dict[int, str]:
    return _pinyin_tables()[0]


def _syllables() -> dict[str, str]:
    return _pinyin_tables()[1]


def pinyin_key(text: str) -> str:
    """Same length as ``text``: each Han character replaced by its syllable's code point."""
    return text.translate(_pinyin_table())


def chinese_ratio(text: str) -> float:
    """Share of Han characters, used to tell Chinese text from binary garbage."""
    if not text:
        return 0.0
    han = sum(1 for c in text if "\u4e00" <= c <= "\u9fff")
    return han / len(text)
