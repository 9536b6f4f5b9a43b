"""Reading documents from plain-text and JSONL files, and writing results atomically.

Why strict here: a de-identification run that silently skips a malformed line leaves personal
data in clear somewhere downstream. Every bad input (invalid UTF-8, malformed JSON, missing or
non-text field) is an ``InputError`` naming the file and the line; empty documents are valid and
processed (they have no entities). JSONL is read line by line, so memory does not grow with the
file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from bulle.errors import InputError, Where


@dataclass
class Document:
    """One document: its text, where it came from, and the JSON record it was read from."""

    id: Any
    text: str
    line: int | None
    record: dict | None = None


def kind_of(path: Path) -> str:
    return "jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "txt"


def read_documents(
    path: str | Path, text_field: str = "text", id_field: str = "id"
) -> Iterator[Document]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"input file not found: {p}", where=Where(file=str(p)))
    if kind_of(p) == "jsonl":
        yield from _read_jsonl(p, text_field, id_field)
    else:
        yield _read_txt(p)


def _read_txt(p: Path) -> Document:
    data = p.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"not valid UTF-8 (byte {exc.start}: {exc.reason})", where=Where(file=str(p), line=line)
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return Document(p.name, text, None)


def _read_jsonl(p: Path, text_field: str, id_field: str) -> Iterator[Document]:
    with p.open("rb") as f:
        for n, raw in enumerate(f, start=1):
            where = Where(file=str(p), line=n)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(
                    f"not valid UTF-8 (column {exc.start + 1}: {exc.reason})", where=where
                ) from None
            if n == 1 and line.startswith("\ufeff"):
                line = line[1:]
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"malformed JSON: {exc.msg} (column {exc.colno})", where=where
                ) from None
            if not isinstance(obj, dict):
                raise InputError(f"expected a JSON object, found {type(obj).__name__}", where=where)
            if text_field not in obj:
                raise InputError(
                    f"missing text field {text_field!r} (use --text-field to name another)",
                    where=Where(file=str(p), line=n, field=text_field),
                )
            text = obj[text_field]
            if text is None:
                text = ""
            if not isinstance(text, str):
                raise InputError(
                    f"field {text_field!r} must be a string, found {type(text).__name__}",
                    where=Where(file=str(p), line=n, field=text_field),
                )
            yield Document(obj.get(id_field, n), text, n, obj)


@contextmanager
def atomic_output(path: str | Path) -> Iterator[TextIO]:
    """A text file written to a private temporary name, fsynced and renamed only if all went well
    (``bulle.outputs``: only a regular file is replaced, mode 0600)."""
    from bulle.outputs import open_output

    with open_output(path) as f:
        yield f
