"""Reading JSON lines robustly: one bad line is reported with its number, the rest go on.

Lines are read as bytes so that wrong encodings, binary garbage and oversized lines are
reported per line instead of aborting the whole batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from assistant.errors import InputError

MAX_LINE_BYTES = 1_000_000


@dataclass(frozen=True)
class Line:
    number: int
    data: dict[str, Any] | None
    error: InputError | None


def decode_utf8(raw: bytes, where: str) -> str:
    """User-supplied bytes as text, or ``InputError`` saying where they are binary or not UTF-8."""
    if b"\x00" in raw:
        raise InputError(f"{where}: binary data (NUL byte), not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc


def decode_line(raw: bytes, number: int) -> dict[str, Any]:
    """Parse one line into a JSON object or raise ``InputError`` naming the line."""
    if len(raw) > MAX_LINE_BYTES:
        raise InputError(f"line {number}: {len(raw):,} bytes is over the {MAX_LINE_BYTES:,}-byte limit")
    text = decode_utf8(raw, f"line {number}")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"line {number}: invalid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise InputError(f"line {number}: expected a JSON object, got {type(data).__name__}")
    return data


def read_lines(stream: Iterable[bytes]) -> Iterator[Line]:
    """Yield every non-blank line, parsed or with its error."""
    for number, raw in enumerate(stream, start=1):
        stripped = raw.strip()
        if not stripped:
            continue
        try:
            yield Line(number, decode_line(stripped, number), None)
        except InputError as exc:
            yield Line(number, None, exc)


def require_text(data: dict[str, Any], field: str, number: int) -> str:
    value = data.get(field)
    if value is None:
        raise InputError(f"line {number}: missing field {field!r}")
    if not isinstance(value, str):
        raise InputError(f"line {number}: field {field!r} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise InputError(f"line {number}: field {field!r} is empty")
    return value


def line_id(data: dict[str, Any], number: int) -> str:
    value = data.get("id")
    return str(value) if value is not None else str(number)
