"""A hall's documents: clauses under headings, page noise gone, bad files change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import IngestError
from assistant.ingest import MAX_BYTES, ingest, load_collection, split_clauses

MANUAL = """某某政务服务大厅管理办法
原创力文档下载,仅供学习参考
第一章 总则
第一条 为规范大厅秩序,提高办事效率,制定本办法。
第二条 本办法适用于大厅全体窗口工作人员,
包括临时顶岗人员。
第二章 服务规范
(一)首问责任人应当场解答群众咨询。
(二)材料不全的,应一次性告知需补正的全部材料。
第 3 页 共 9 页
某某政务服务大厅管理办法
某某政务服务大厅管理办法
"""


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_clauses_keep_their_headings_and_join_broken_lines() -> None:
    clauses = split_clauses(MANUAL)
    assert [c.section for c in clauses] == [
        "第一章 总则 › 第一条", "第一章 总则 › 第二条", "第二章 服务规范 › (一)", "第二章 服务规范 › (二)",
    ]
    assert clauses[1].text == "第二条 本办法适用于大厅全体窗口工作人员,包括临时顶岗人员。"


def test_page_noise_and_repeated_titles_are_dropped() -> None:
    text = " ".join(c.text for c in split_clauses(MANUAL))
    assert "原创力" not in text and "第 3 页" not in text and "管理办法" not in text


def test_reingesting_a_file_replaces_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    doc = write(tmp_path, "manual.txt", MANUAL)
    ingest([doc], "hall", data)
    write(tmp_path, "manual.txt", MANUAL.replace("第二章 服务规范\n(一)首问责任人应当场解答群众咨询。\n", ""))
    report = ingest([doc], "hall", data)
    assert report.replaced == ["manual.txt"]
    assert report.total_clauses == 3
    assert list(load_collection(data, "hall").documents) == ["manual.txt"]


def test_markdown_and_docx_are_read(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    for line in ("一、办事须知", "1. 请携带身份证原件和复印件。", "2. 代办的需提供委托书。"):
        document.add_paragraph(line)
    document.save(str(tmp_path / "guide.docx"))
    md = write(tmp_path, "faq.md", "# 常见问题\n\n1. 工作日上午九点开始办理业务。\n")
    report = ingest([tmp_path / "guide.docx", md], "hall", tmp_path / "data")
    assert report.added == {"guide.docx": 2, "faq.md": 1}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        pytest.param("blank.txt", b"", "empty", id="empty file"),
        pytest.param("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary", id="binary data"),
        pytest.param("gbk.txt", "第一条 窗口服务规范。".encode("gbk"), "not UTF-8", id="wrong encoding"),
        pytest.param("slides.pptx", b"PK\x03\x04", "unsupported type", id="unsupported type"),
        pytest.param("broken.docx", b"not a zip at all", "not a valid .docx", id="corrupt docx"),
    ],
)
def test_bad_files_are_refused_and_change_nothing(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    data = tmp_path / "data"
    good = write(tmp_path, "good.txt", MANUAL)
    ingest([good], "hall", data)
    before = (data / "collections" / "hall.json").read_bytes()
    bad = write(tmp_path, name, content)
    with pytest.raises(IngestError, match=message):
        ingest([good, bad], "hall", data)
    assert (data / "collections" / "hall.json").read_bytes() == before


def test_a_huge_file_is_refused(tmp_path: Path) -> None:
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as f:
        f.truncate(MAX_BYTES + 1)
    with pytest.raises(IngestError, match="over the 20 MB limit"):
        ingest([huge], "hall", tmp_path / "data")


def test_collection_names_are_validated(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="collection name"):
        ingest([write(tmp_path, "a.txt", MANUAL)], "../etc", tmp_path / "data")
