"""A hall's own documents: read, strip page noise, split into clauses under their headings.

Supported: UTF-8 ``.txt`` and ``.md``, and ``.docx``. Files are checked first and written only
if every one is usable, so a bad file changes nothing. A collection is one JSON file under the
data directory; re-ingesting a file of the same name replaces its clauses.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from assistant.errors import IngestError
from assistant.text import chinese_ratio

MAX_BYTES = 20 * 1024 * 1024
MAX_CLAUSE_CHARS = 400
SUFFIXES = (".txt", ".md", ".docx")
COLLECTION_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_NUM = "一二三四五六七八九十百零〇两"
CHAPTER = re.compile(rf"^(第[{_NUM}\d]+[章节编部分]|#+\s|[{_NUM}]+、|[{_NUM}]+是)")
ARTICLE = re.compile(rf"^(第[{_NUM}\d]+条|[(（][{_NUM}\d]+[)）]|\d+[.、．](?!\d)|[①-⑳]|[⑴-⒇])")
NOISE = re.compile(
    r"下载|原创力文档|book118|仅供.{0,8}(学习|参考)|版权|侵权|https?://|www\.|"
    r"^第?\s*\d+\s*页|共\s*\d+\s*页|^\d+$|^[-—_=*·\s]+$|收藏|分享到|扫码|点击"
)


class Clause(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    section: str  # the headings above the clause, joined with " › "
    text: str


class Document(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    sha256: str
    clauses: list[Clause]


class Collection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    documents: dict[str, Document] = {}


class IngestReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collection: str
    added: dict[str, int]  # file name → clauses
    replaced: list[str]
    total_clauses: int


def read_text(path: Path) -> str:
    """The text of one document, or ``IngestError`` saying what is wrong with it."""
    if not path.is_file():
        raise IngestError(f"{path}: no such file")
    if path.suffix.lower() not in SUFFIXES:
        raise IngestError(f"{path}: unsupported type {path.suffix or '(none)'}; use {', '.join(SUFFIXES)}")
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"{path}: the file is empty")
    if size > MAX_BYTES:
        raise IngestError(f"{path}: {size / 1e6:.1f} MB is over the {MAX_BYTES // 2**20} MB limit")
    text = _read_docx(path) if path.suffix.lower() == ".docx" else _read_plain(path)
    if not text.strip():
        raise IngestError(f"{path}: no text in the file")
    return text


def _read_plain(path: Path) -> str:
    raw = path.read_bytes()
    if b"\x00" in raw[:65536]:
        raise IngestError(f"{path}: binary data, not a text file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise IngestError(f"{path}: not UTF-8 (invalid byte at {exc.start}); save it as UTF-8") from exc
    if len(text) > 200 and chinese_ratio(text) < 0.05 and sum(c.isprintable() or c.isspace() for c in text) < 0.9 * len(text):
        raise IngestError(f"{path}: does not look like text")
    return text


def _read_docx(path: Path) -> str:
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise IngestError(f"{path}: not a valid .docx file ({exc})") from exc
    return "\n".join(p.text for p in document.paragraphs)


def clean_lines(text: str) -> list[str]:
    """Lines without page noise: download notices, page numbers, titles repeated ≥ 3 times."""
    lines = [re.sub(r"\s+", " ", line).strip() for line in text.splitlines()]
    lines = [line.lstrip("#").strip() if line.startswith("#") else line for line in lines]
    counts = Counter(line for line in lines if line)
    return [line for line in lines if line and counts[line] < 3 and not NOISE.search(line)]


def split_clauses(text: str) -> list[Clause]:
    """Clauses with their headings: 第X章 / 一、 / # headings, 第X条 / (一) / 1. clauses."""
    clauses: list[Clause] = []
    heading = ""
    current: list[str] = []
    label = ""

    def flush() -> None:
        body = "".join(current).strip()
        if len(body) >= 6:
            section = " › ".join(p for p in (heading, label) if p)
            for piece in _chunks(body):
                clauses.append(Clause(section=section or "正文", text=piece))
        current.clear()

    for line in clean_lines(text):
        if CHAPTER.match(line) and len(line) <= 30 and not line.endswith("。"):
            flush()
            heading, label = line.lstrip("# "), ""
        elif (m := ARTICLE.match(line)) is not None:
            flush()
            label = m.group(1)
            current.append(line)
        else:
            current.append(line)
    flush()
    return clauses


def _chunks(body: str) -> list[str]:
    if len(body) <= MAX_CLAUSE_CHARS:
        return [body]
    pieces, chunk = [], ""
    for sentence in re.findall(r"[^。!?！？;；]+[。!?！？;；]?", body):
        if chunk and len(chunk) + len(sentence) > MAX_CLAUSE_CHARS:
            pieces.append(chunk)
            chunk = ""
        chunk += sentence
    return pieces + ([chunk] if chunk else [])


def collection_path(data_dir: Path, name: str) -> Path:
    if not COLLECTION_NAME.match(name):
        raise IngestError(f"collection name {name!r}: use 1–40 lower-case letters, digits, - or _")
    return data_dir / "collections" / f"{name}.json"


def load_collection(data_dir: Path, name: str) -> Collection:
    path = collection_path(data_dir, name)
    if not path.is_file():
        return Collection(name=name)
    return Collection.model_validate_json(path.read_text(encoding="utf-8"))


def load_collections(data_dir: Path) -> list[Collection]:
    folder = data_dir / "collections"
    return [load_collection(data_dir, p.stem) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []


def ingest(paths: list[Path], collection: str, data_dir: Path) -> IngestReport:
    """Add documents to a collection; all files are checked before anything is written."""
    target = collection_path(data_dir, collection)
    parsed: list[Document] = []
    problems: list[str] = []
    for path in paths:
        try:
            text = read_text(path)
            clauses = split_clauses(text)
            if not clauses:
                raise IngestError(f"{path}: no clauses found after removing page noise")
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            parsed.append(Document(name=path.name, sha256=digest, clauses=clauses))
        except IngestError as exc:
            problems.append(str(exc))
    if problems:
        raise IngestError("nothing was ingested:\n  " + "\n  ".join(problems))
    store = load_collection(data_dir, collection)
    replaced = [d.name for d in parsed if d.name in store.documents]
    for document in parsed:
        store.documents[document.name] = document
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_text(store.model_dump_json(), encoding="utf-8")
    tmp.replace(target)
    return IngestReport(
        collection=collection, added={d.name: len(d.clauses) for d in parsed}, replaced=replaced,
        total_clauses=sum(len(d.clauses) for d in store.documents.values()),
    )  # fmt: skip
