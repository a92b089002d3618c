"""The command line as a user runs it: real subprocesses, exit codes, stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import ROOT
from tests.conftest import DATA


def run(*args: str, stdin: bytes = b"", env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    return subprocess.run([sys.executable, "-m", "assistant", *args], input=stdin, capture_output=True,
                          cwd=ROOT, env=environment, timeout=600)  # fmt: skip


def lines(out: bytes) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.decode().splitlines() if line.strip()]


def test_check_one_reply_as_json() -> None:
    result = run("check", "--text", "不知道,你去问别人。", "--context", "社保卡在哪补办?", "--json", "--lexical")
    assert result.returncode == 0, result.stderr
    (obj,) = lines(result.stdout)
    assert {v["rule"] for v in obj["violations"]} == {"dont_know", "pass_the_buck"}  # type: ignore[union-attr]
    violation = obj["violations"][0]  # type: ignore[index]
    assert set(violation) == {"rule", "start", "end", "matched", "suggestion", "source", "evidence"}
    assert 0 <= obj["score"] <= 100  # type: ignore[operator]


def test_batch_reports_each_bad_line_and_processes_the_rest() -> None:
    good = json.dumps({"id": "a", "text": "您好,请坐。"}, ensure_ascii=False).encode()
    bad = [
        b"{not json",
        json.dumps({"id": "no-text"}).encode(),
        json.dumps({"id": "blank", "text": "   "}).encode(),
        b'{"id": "big", "text": "' + "好".encode() * 400_000 + b'"}',
        b"\x00\x01\x02binary",
        json.dumps({"id": "gbk", "text": "x"}).encode().replace(b'"x"', b'"' + "不知道".encode("gbk") + b'"'),
        json.dumps(["not", "an", "object"]).encode(),
        json.dumps({"id": "long", "text": "好" * 6000}, ensure_ascii=False).encode(),  # under 1 MB, over the checker's limit
    ]
    good2 = json.dumps({"id": "b", "text": "神经病", "context": "请问在哪办?"}, ensure_ascii=False).encode()
    result = run("check", "--json", "--lexical", stdin=b"\n".join([good, *bad, good2]) + b"\n")
    assert result.returncode == 1
    assert [o["id"] for o in lines(result.stdout)] == ["a", "b"]
    errors = result.stderr.decode()
    for number, message in [(2, "invalid JSON"), (3, "missing field 'text'"), (4, "field 'text' is empty"),
                            (5, "byte limit"), (6, "binary"), (7, "not UTF-8"), (8, "expected a JSON object"),
                            (9, "6000 characters; at most 5000")]:  # fmt: skip
        line = next((x for x in errors.splitlines() if f"line {number}:" in x), "")
        assert message in line, errors
    assert "2 processed, 8 failed" in errors


def test_batch_in_worker_processes_keeps_order_and_reports_bad_lines() -> None:
    """More lines than one window of chunks, a bad line among them: the same output, in input
    order, from one process and from several."""
    from tests.conftest import cases

    texts = [c.values[0]["text"] for c in cases("checker_cases.yaml", "flag") + cases("checker_cases.yaml", "pass")]
    rows = [json.dumps({"id": f"r{i}", "text": texts[i % len(texts)]}, ensure_ascii=False).encode() for i in range(1300)]
    rows.insert(700, b"{not json")
    stdin = b"\n".join(rows) + b"\n"
    one, many = (run("check", "--json", "--lexical", "--workers", n, stdin=stdin) for n in ("1", "3"))
    assert one.returncode == many.returncode == 1
    assert [o["id"] for o in lines(many.stdout)] == [f"r{i}" for i in range(1300)]
    assert many.stdout == one.stdout
    assert "line 701: invalid JSON" in many.stderr.decode() and "1300 processed, 1 failed" in many.stderr.decode()


def test_batch_of_good_lines_exits_zero() -> None:
    stdin = "\n".join(json.dumps({"id": i, "text": t}, ensure_ascii=False) for i, t in enumerate(["您好", "再见"]))
    result = run("check", "--json", "--lexical", stdin=stdin.encode())
    assert result.returncode == 0, result.stderr
    assert len(lines(result.stdout)) == 2


def test_empty_or_null_context_means_no_context() -> None:
    rows = [{"id": "e", "text": "不知道", "context": ""}, {"id": "n", "text": "不知道", "context": None},
            {"id": "w", "text": "不知道", "context": "  "}]  # fmt: skip
    stdin = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    result = run("check", "--json", "--lexical", stdin=stdin.encode())
    assert [o["id"] for o in lines(result.stdout)] == ["e", "n", "w"]
    assert all(o["violations"][0]["rule"] == "dont_know" for o in lines(result.stdout))
    assert result.returncode == 0, result.stderr


def test_context_of_the_wrong_type_is_reported() -> None:
    stdin = json.dumps({"id": "x", "text": "不知道", "context": 3}).encode()
    result = run("check", "--json", "--lexical", stdin=stdin)
    assert result.returncode == 1
    assert "line 1: field 'context' must be a string, got int" in result.stderr.decode()


def test_human_report_shows_the_violation_and_suggestion() -> None:
    result = run("check", "--text", "有牌子,自己看", "--lexical")
    text = result.stdout.decode()
    assert result.returncode == 0
    assert "read_it_yourself" in text and "建议" in text and "依据" in text


def test_scenarios_are_listed_as_json() -> None:
    result = run("scenarios", "--json")
    rows = json.loads(result.stdout)
    assert len(rows) >= 12 and {"id", "title", "persona", "difficulty"} <= set(rows[0])


def test_scripted_drill_writes_one_json_object(tmp_path: Path) -> None:
    replies = tmp_path / "replies.txt"
    replies.write_text("神经病\n你有完没完\n我就是这个态度,你告去\n不知道\n有牌子自己看\n拎不清\n再见\n再见\n", encoding="utf-8")
    result = run("drill", "angry_complaint", "--replies", str(replies), "--seed", "5", "--json",
                 env={"ASSISTANT_SEMANTIC": "false"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    obj = json.loads(result.stdout)
    assert obj["outcome"] == "complaint" and obj["seed"] == 5
    assert set(obj["turns"][0]) == {"citizen", "trainee", "violations", "behaviours", "feedback"}
    assert obj["ignored_replies"] > 0 and "ignored" in result.stderr.decode()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["drill", "nope", "--replies", str(DATA / "drill_paths.yaml")], "unknown scenario 'nope'", id="unknown scenario"),
        pytest.param(["drill", "first_time", "--replies", "/no/such/file"], "no such file", id="missing replies file"),
        pytest.param(["ingest", "/no/such/file.txt"], "no such file", id="missing document"),
        pytest.param(["eval", "check", "/no/such/file.jsonl"], "no such file", id="missing eval file"),
        pytest.param(["check", "--json", "--workers", "2"], "--workers needs --lexical", id="workers with the model"),
    ],
)
def test_errors_are_one_clear_line_and_exit_two(args: list[str], message: str) -> None:
    result = run(*args, env={"ASSISTANT_SEMANTIC": "false"})
    assert result.returncode == 2
    assert message in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        pytest.param("ASSISTANT_MODEL_LAYERS", "11,3", id="layers out of order"),
        pytest.param("ASSISTANT_MODEL_LAYERS", "0,12", id="a layer e5-small does not have"),
        pytest.param("ASSISTANT_MODEL_LAYERS", "quick", id="an unknown preset"),
        pytest.param("ASSISTANT_THREADS", "0", id="no threads"),
        pytest.param("ASSISTANT_EMBEDDER", "gpt", id="an engine that does not exist"),
    ],
)
def test_a_bad_setting_is_named_in_one_line(variable: str, value: str) -> None:
    result = run("check", "--text", "您好", env={variable: value})
    assert result.returncode == 2
    assert f"invalid setting: {variable}" in result.stderr.decode()
    assert "Traceback" not in result.stderr.decode()


def test_eval_check_prints_metrics_next_to_the_baseline(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    rows = [
        {"id": "a", "text": "不知道。", "labels": ["dont_know"], "kind": "exact", "why": "verbatim"},
        {"id": "b", "text": "您不知道也没关系,我来告诉您。", "labels": [], "kind": "hard_negative", "why": "citizen"},
        {"id": "c", "text": "有牌子 自 己 看", "labels": ["read_it_yourself"], "kind": "obfuscated", "why": "spaces"},
    ]
    gold.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    table = run("eval", "check", str(gold), "--lexical")
    assert table.returncode == 0, table.stderr
    assert "overall" in table.stdout.decode() and "baseline" in table.stdout.decode()
    metrics = json.loads(run("eval", "check", str(gold), "--lexical", "--json").stdout)
    assert metrics["checker"]["f1"] == 1.0
    assert metrics["baseline"]["clean_flagged"] == 1.0  # the substring baseline flags case b


def test_eval_pairs_reports_accuracy_and_the_wrong_pairs(tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(json.dumps({"id": "p1", "context": "我等了一个小时了!", "better": "对不起,让您久等了,我马上给您办。",
                                 "worse": "等着吧你。", "why": "apology"}, ensure_ascii=False), encoding="utf-8")
    result = run("eval", "pairs", str(pairs), "--lexical")
    assert result.returncode == 0, result.stderr
    assert "pairwise_accuracy = 1.000" in result.stdout.decode()


def test_eval_file_with_a_bad_line_names_it(tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "a", "text": "x", "labels": [], "kind": "clean", "why": "w", "extra": 1}\n', encoding="utf-8")
    result = run("eval", "check", str(gold), "--lexical")
    assert result.returncode == 2
    assert "line 1" in result.stderr.decode() and "extra" in result.stderr.decode()


@pytest.mark.slow
def test_ask_batch_reports_bad_lines_by_number_and_answers_the_rest() -> None:
    rows = [
        {"id": "a", "question": "材料没带齐怎么办"},
        {"id": "long", "question": "好" * 600},  # valid JSON, over the answerer's limit
        {"id": "none"},
        {"id": "b", "question": "你们几点上班?"},
    ]
    stdin = b"\n".join(json.dumps(r, ensure_ascii=False).encode() for r in rows) + b"\n"
    result = run("ask", "--json", stdin=stdin)
    assert result.returncode == 1
    assert [o["id"] for o in lines(result.stdout)] == ["a", "b"]
    errors = result.stderr.decode()
    assert "line 2: field 'question': the question is 600 characters; at most 500" in errors
    assert "line 3: missing field 'question'" in errors and "2 processed, 2 failed" in errors
