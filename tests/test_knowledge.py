"""The knowledge base: complete, cited, and a broken file names file, entry and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import ROOT
from assistant.errors import KnowledgeError
from assistant.knowledge import RULE_IDS, KnowledgeBase, load_for_hall, load_knowledge
from assistant.scenarios import load_library


def test_every_required_rule_is_there_with_alternatives(kb: KnowledgeBase) -> None:
    assert {r.id for r in kb.rules} >= set(RULE_IDS)
    assert all(r.alternatives and r.sources for r in kb.rules)


def test_the_manuals_banned_phrases_are_covered(kb: KnowledgeBase) -> None:
    phrases = {p for r in kb.rules for p in r.phrases}
    for phrase in ("不知道", "有意见找头头去", "上面不是写好了吗", "你有完没完", "拎不清", "神经病", "不归我管"):
        assert phrase in phrases


def test_there_are_at_least_twenty_situations_and_the_core_procedures(kb: KnowledgeBase) -> None:
    assert len(kb.situations) >= 20
    ids = {p.id for p in kb.procedures}
    assert {"first_inquiry", "one_time_notice", "time_limited", "ab_post", "three_voices"} <= ids
    assert len([p for p in kb.procedures if p.kind == "stage"]) == 6


def test_every_citation_names_a_known_manual_file(kb: KnowledgeBase) -> None:
    files = {m.file for m in kb.manuals}
    assert all((ROOT.parent / "shared" / "manuals" / f).exists() or f.endswith(".txt") for f in files)
    assert len(files) == 5


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", target)
    return target


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        pytest.param("    principle:", "    principal:", r"(?s)banned\.yaml.*rules\[0\] \(id=dont_know\)\.principal: Extra inputs", id="misspelt field"),
        pytest.param("    severity: 2", "    severity: 9", r"(?s)banned\.yaml.*rules\[\d\] \(id=\w+\)\.severity: .*less than or equal to 3", id="out-of-range value"),
        pytest.param("manual: m000", "manual: m999", r"unknown manual 'm999'", id="unknown manual in a citation"),
        pytest.param("      - '拎不清|", "      - '拎拎不清|", r"(?s)banned\.yaml.*patterns: .*repeats '拎'", id="doubled character in a pattern"),
        pytest.param("        unless: '(再来", "        unless: '((再来", r"(?s)banned\.yaml.*exemptions\[\d+\]\.unless: .*invalid regular expression", id="broken unless of an exemption"),
    ],
)
def test_a_broken_banned_file_names_file_entry_and_field(knowledge_copy: Path, old: str, new: str, message: str) -> None:
    path = knowledge_copy / "banned.yaml"
    path.write_text(path.read_text("utf-8").replace(old, new, 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=message):
        load_knowledge(knowledge_copy)


def test_an_invalid_regex_is_reported(knowledge_copy: Path) -> None:
    path = knowledge_copy / "banned.yaml"
    text = path.read_text("utf-8").replace("    patterns:\n", "    patterns:\n      - '(unclosed'\n", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"invalid regular expression '\(unclosed'"):
        load_knowledge(knowledge_copy)


def test_a_missing_etiquette_signal_is_named(knowledge_copy: Path) -> None:
    path = knowledge_copy / "criteria.yaml"
    path.write_text(path.read_text("utf-8").replace("  - id: FLOOR\n", "  - id: STOREY\n", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"criteria\.yaml signals: missing FLOOR"):
        load_knowledge(knowledge_copy)


def test_a_missing_file_is_named(knowledge_copy: Path) -> None:
    (knowledge_copy / "hall.yaml").unlink()
    with pytest.raises(KnowledgeError, match=r"hall\.yaml: file not found"):
        load_knowledge(knowledge_copy)


def test_a_hall_can_override_office_hours(tmp_path: Path, kb: KnowledgeBase) -> None:
    hall = tmp_path / "my_hall.yaml"
    hall.write_text(
        "hall:\n  name: 某区政务服务中心\n  office_hours: {text: 周一至周六 9:00-17:00, source: {manual: m000, section: 考勤制度}}\n"
        "  hotline: '0571-12345'\n  consultation_desk: 二楼咨询台\n",
        encoding="utf-8",
    )
    custom = load_for_hall(ROOT / "knowledge", hall)
    assert custom.hall.office_hours.text == "周一至周六 9:00-17:00"
    assert custom.rules == kb.rules


def test_a_broken_scenario_names_the_stage(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "dialogs", tmp_path / "dialogs")
    path = tmp_path / "dialogs" / "first_time.yaml"
    path.write_text(path.read_text("utf-8").replace("expects: [greet,", "expects: [gret,", 1), encoding="utf-8")
    with pytest.raises(KnowledgeError, match=r"first_time\.yaml stage '\w+': unknown behaviours \['gret'\]|no prompts"):
        load_library(tmp_path / "dialogs")
