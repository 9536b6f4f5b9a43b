"""Reading JSON inputs: which shape a file has, and exactly where a bad one goes wrong.

Two shapes import: JSON Lines (one object per line) and a file whose top level is an array of
objects (each element is a row: that is what someone exporting "a list of records" means). Any
other value where a record is expected is refused, never turned into a one-column table.

DuckDB refuses documents nested deeper than about 128 levels; the locator reports the line of the
first such record. It never recurses (Python's parser would, and overflow at ~1,000 levels), so a
document nested 10,000 deep gets a message, not a crash.
"""

from __future__ import annotations

import json
from pathlib import Path

from bulle.errors import InputError, Where

MAX_DEPTH = 127  # DuckDB's reader fails at 128 levels of objects
MAX_ARRAY_FILE_CHECK = 256 << 20  # the array-file locator holds the file in memory


def is_array_file(path: Path) -> bool:
    """Whether the first value of the file (after a BOM and white space) is an array."""
    with open(path, "rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"[")


def depth(value) -> int:
    """Nesting depth of a parsed value (an object holding a scalar is 1), without recursion."""
    best, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, dict):
            best = max(best, d)
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            best = max(best, d)
            stack.extend((x, d + 1) for x in v)
    return best


def _record_problem(value, where: Where) -> InputError | None:
    if not isinstance(value, dict):
        return InputError(f"each record must be a JSON object, found {_kind(value)}", where)
    if depth(value) > MAX_DEPTH:
        return InputError(f"JSON nested more than {MAX_DEPTH} levels deep", where)
    return None


def _kind(value) -> str:
    return {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _loads(text: str, where: Where):
    try:
        return json.loads(text), None
    except RecursionError:
        return None, InputError(f"JSON nested more than {MAX_DEPTH} levels deep", where)
    except json.JSONDecodeError as exc:
        return None, InputError(
            f"malformed JSON: {exc.msg}", Where(file=where.file, line=where.line, column=exc.colno)
        )


def locate_lines_problem(path: Path) -> InputError | None:
    """JSON Lines: the first line that is not valid UTF-8, not JSON, not an object, or too deep."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, start=1):
            if lineno == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return InputError(
                    "bytes invalid in utf-8",
                    Where(file=str(path), line=lineno, column=exc.start + 1),
                )
            if not line.strip():
                continue
            where = Where(file=str(path), line=lineno)
            value, err = _loads(line, where)
            err = err or _record_problem(value, where)
            if err is not None:
                return err
    return None


def locate_array_problem(path: Path) -> InputError | None:
    """A top-level array: the first element that is malformed, not an object, or too deep."""
    if path.stat().st_size > MAX_ARRAY_FILE_CHECK:
        return None
    raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return InputError("bytes invalid in utf-8", Where(file=str(path), line=line))
    decoder = json.JSONDecoder()
    pos = _skip(text, 0) + 1  # after "["
    while True:
        pos = _skip(text, pos)
        where = Where(file=str(path), line=text.count("\n", 0, pos) + 1)
        if pos < len(text) and text[pos] == "]":
            return None
        try:
            value, pos = decoder.raw_decode(text, pos)
        except RecursionError:
            return InputError(f"JSON nested more than {MAX_DEPTH} levels deep", where)
        except json.JSONDecodeError as exc:
            return InputError(
                f"malformed JSON: {exc.msg}",
                Where(file=str(path), line=exc.lineno, column=exc.colno),
            )
        err = _record_problem(value, where)
        if err is not None:
            return err
        pos = _skip(text, pos)
        if pos < len(text) and text[pos] == ",":
            pos += 1
        elif pos >= len(text) or text[pos] != "]":
            return InputError(
                "malformed JSON: expected ',' or ']' after an element",
                Where(file=str(path), line=text.count("\n", 0, pos) + 1),
            )


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos
