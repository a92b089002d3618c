"""Normalisation sees through obfuscation and keeps offsets into what was typed."""

from __future__ import annotations

import re

import pytest

from assistant.text import (
    clauses,
    key,
    normalise,
    pinyin_key,
    pinyin_runs,
    sentences,
    skeleton,
    skeleton_indices,
    skeleton_with_indices,
)

# what the skeleton drops, spelled out again here so the test does not trust the module's regex
PUNCT = r"[!-/:-@\[-`{-~\u00a1-\u00bf\u00d7\u00f7\u2010-\u2027\u2030-\u205e\u3000-\u303f\uff00-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65\u30fb\ufe30-\ufe4f]"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("不 知 道", "不知道", id="spaces inside a phrase"),
        pytest.param("不\u200b知\u200d道", "不知道", id="zero-width characters"),
        pytest.param("不.知.道!", "不知道", id="punctuation inside a phrase"),
        pytest.param("問別人去", "问别人去", id="traditional characters"),
        pytest.param("ｎｃ神经病", "nc神经病", id="full-width letters"),
        pytest.param("不知知道道道", "不知道", id="repeated characters"),
        pytest.param("下班了🙄明天再来", "下班了明天再来", id="emoji"),
    ],
)
def test_key_sees_through_obfuscation(typed: str, expected: str) -> None:
    assert key(typed) == expected


def test_skeleton_offsets_point_into_the_original() -> None:
    typed = "您好!你去 問\u200b別人吧"
    sk = skeleton(normalise(typed))
    start = sk.text.index("你去问别人")
    o_start, o_end = sk.span(start, start + len("你去问别人"))
    assert typed[o_start:o_end] == "你去 問\u200b別人"


def test_display_form_keeps_sentence_punctuation() -> None:
    display = normalise("您好，请稍等。我帮您查一下！").text
    assert [display[s:e] for s, e in sentences(display)] == ["您好,请稍等。", "我帮您查一下!"]
    assert [display[s:e] for s, e in clauses(display)] == ["您好", "请稍等", "我帮您查一下"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("嗯我看一下您这卡……不行。下一位。", ["嗯我看一下您这卡......", "不行。", "下一位。"],
                     id="a pause of dots between two stretches ends a sentence"),
        pytest.param("不……行。重……填。", ["不......行。", "重......填。"], id="dots inside a short phrase do not"),
        pytest.param("大约3.5个工作日...好的", ["大约3.5个工作日...", "好的"], id="a single dot is no end"),
    ],
)
def test_dots_end_a_sentence_only_between_stretches(typed: str, expected: list[str]) -> None:
    display = normalise(typed).text
    assert [display[s:e] for s, e in sentences(display)] == expected


@pytest.mark.parametrize(
    ("typed", "chat", "typed_only"),
    [
        pytest.param("下班了亲 要啥材料公众号上都有 自己看", ["下班了亲", "要啥材料公众号上都有", "自己看"],
                     ["下班了亲，要啥材料公众号上都有，自己看"], id="spaces end clauses in chat"),
        pytest.param("白跑了吧🙄下次带齐", ["白跑了吧", "下次带齐"], ["白跑了吧，下次带齐"], id="an emoji ends a clause"),
        pytest.param("有牌子 自 己 看", ["有牌子自己看"], ["有牌子自己看"], id="a spaced-out phrase stays one clause"),
        pytest.param("不\u200b知道 你去问别人", ["不知道", "你去问别人"], ["不知道，你去问别人"],
                     id="zero-width marks are no break"),
        pytest.param("您在 APP 上提交", ["您在app上提交"], ["您在app上提交"], id="no break beside Latin letters"),
    ],
)
def test_chat_breaks_split_clauses_but_not_typed_clauses(typed: str, chat: list[str], typed_only: list[str]) -> None:
    display = normalise(typed).text
    assert [display[s:e] for s, e in clauses(display)] == chat
    assert [display[s:e] for s, e in clauses(display, chat_breaks=False)] == typed_only
    assert key(typed) == key(typed.replace(" ", ""))  # the matching key never sees a break


def test_a_chat_break_maps_back_to_the_space_it_replaced() -> None:
    typed = "忙着呢 问别的窗口去"
    display = normalise(typed)
    at = display.text.index("，")
    assert typed[display.offsets[at]] == " "
    assert display.span(at + 1, len(display.text)) == (typed.index("问"), len(typed))


def test_homophones_share_a_pinyin_key_and_unrelated_words_do_not() -> None:
    assert pinyin_key("不知到") == pinyin_key("不知道")
    assert pinyin_key("神精病") == pinyin_key("神经病")
    assert pinyin_key("请稍等") != pinyin_key("不知道")
    assert len(pinyin_key("abc不知道")) == len("abc不知道")


def test_a_pinyin_syllable_typed_for_a_character_spans_all_its_letters() -> None:
    typed = "不zhi道,问bie人去"
    sk = skeleton(normalise(typed))
    assert pinyin_key(sk.text[:3]) == pinyin_key("不知道")
    assert typed.__getitem__(slice(*sk.span(0, 3))) == "不zhi道"


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        pytest.param("xia ban le, ming tian zai lai", "下班了明天再来", id="a reply typed all in pinyin, syllable by syllable"),
        pytest.param("buzhidao", "不知道", id="syllables run together"),
        pytest.param("我们xianzai办不了", "我们现在办不了", id="a run of syllables beside Han characters"),
        pytest.param("ting bu dong ren hua a", "听不懂人话啊", id="a one-vowel syllable at the end"),
    ],
)
def test_a_reply_typed_in_pinyin_reads_as_its_characters(typed: str, meant: str) -> None:
    assert pinyin_key(skeleton(normalise(typed)).text) == pinyin_key(meant)


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param("APP上有", id="an English word is not a syllable"),
        pytest.param("你是sb吧", id="letters that are not a syllable"),
        pytest.param("a岗休假", id="single letters are too ambiguous"),
        pytest.param("zhi", id="no Han character beside it"),
        pytest.param("Please wait a moment, he can help you.", id="an English sentence: not every word splits into syllables"),
        pytest.param("请下载app,扫码ok", id="app and ok are no syllables"),
    ],
)
def test_latin_letters_that_are_not_a_typed_syllable_stay(typed: str) -> None:
    assert not pinyin_runs(normalise(typed).text)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        pytest.param("阿拉勿晓得", "我们不晓得", id="Shanghainese: we do not know"),
        pytest.param("唔關我事", "不关我事", id="Cantonese in traditional characters"),
        pytest.param("你自己睇啦", "你自己看啦", id="Cantonese verb"),
        pytest.param("我晓不得", "我不晓得", id="Sichuanese word order"),
        pytest.param("唔该晒", "谢谢晒", id="Cantonese thanks is not 不该"),
        pytest.param("请勿吸烟", "请勿吸烟", id="Mandarin 请勿 stays"),
        pytest.param("阿拉伯语翻译", "阿拉伯语翻译", id="Mandarin 阿拉伯 stays"),
        pytest.param("有牌子自已看", "有牌子自己看", id="look-alike typo 自已"),
        pytest.param("我而家即刻帮你问", "我现在马上帮你问", id="Cantonese now and at once"),
        pytest.param("投訴電話幾多號?", "投诉电话多少号?", id="Cantonese how many"),
        pytest.param("有人打尖点算啊", "有人打尖怎么办啊", id="Cantonese what to do, with its particle"),
        pytest.param("契税按几个点算?", "契税按几个点算?", id="Mandarin 点算 (count by points) stays"),
        pytest.param("俺去问问俺们主任", "我去问问我们主任", id="Henan 俺 for 我"),
        pytest.param("恁不清楚也中", "您不清楚也中", id="Henan 恁 for 您"),
        pytest.param("有牌子,自己👀", "有牌子,自己看", id="the eyes emoji for 看"),
        pytest.param("自己康康", "自己看看", id="internet 康康 after 自己"),
        pytest.param("健康康复中心", "健康康复中心", id="健康康复 stays"),
        pytest.param("着神马急", "着什么急", id="internet 神马 for 什么"),
        pytest.param("肿么办", "怎么办", id="internet 肿么 for 怎么"),
    ],
)
def test_dialect_words_read_as_mandarin(typed: str, expected: str) -> None:
    assert normalise(typed).text == expected


def test_a_dialect_word_maps_back_to_what_was_typed() -> None:
    shown = normalise("好,唔知啊")  # 唔知 (2 characters) reads as 不知道 (3)
    assert shown.text == "好,不知道啊"
    assert shown.span(2, 5) == (2, 4)  # 不知道 covers 唔知 in the original


@pytest.mark.parametrize(
    ("display", "kept"),
    [
        pytest.param("不知道", "不知道", id="nothing to drop: the text is its own key"),
        pytest.param("不.知.道!", "不知道", id="punctuation between characters"),
        pytest.param("谢谢,谢谢您", "谢您", id="a repeat is dropped even across punctuation"),
        pytest.param("好好好。", "好", id="a run of repeats keeps its first character"),
        pytest.param("!?", "", id="punctuation only"),
        pytest.param("不zhi道", "不z道", id="a typed syllable keeps its first letter's index"),
    ],
)
def test_skeleton_indices_drop_punctuation_and_repeats(display: str, kept: str) -> None:
    assert "".join(display[i] for i in skeleton_indices(display)) == kept


def test_skeleton_indices_match_the_character_by_character_rule() -> None:
    """The sliced fast path equals the plain rule on every eval reply and obfuscations of it:
    keep a character unless it is punctuation or repeats the last one kept."""
    from assistant.evaluation import CheckCase, load_cases
    from tests.conftest import ROOT

    texts = [c.text for f in ("check_dev.jsonl", "check_test.jsonl") for c in load_cases(ROOT / "evals" / f, CheckCase)]
    for typed in texts + [" ".join(t) for t in texts] + [t.replace("，", "，，") + t for t in texts]:
        display = normalise(typed).text
        if pinyin_runs(display):
            continue  # typed syllables take the character-by-character path anyway
        expected: list[int] = []
        for index, char in enumerate(display):
            if not re.match(PUNCT, char) and (not expected or display[expected[-1]] != char):
                expected.append(index)
        assert skeleton_indices(display) == expected, typed
        sk, kept = skeleton_with_indices(normalise(typed))
        assert kept == expected and sk.text == "".join(display[i] for i in kept), typed


def test_full_width_punctuation_folded_early_is_exactly_what_nfkc_does() -> None:
    """The str.replace shortcut is only valid for characters NFKC maps one to one (not …)."""
    import unicodedata

    from assistant.text import _FULL_WIDTH

    for char in _FULL_WIDTH:
        assert chr(ord(char) - 0xFEE0) == unicodedata.normalize("NFKC", char), char
    typed = "您好，请问～（急）：能办吗？！…"
    assert normalise(typed).text == unicodedata.normalize("NFKC", typed)
    assert normalise(typed).offsets == (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 15, 15)
