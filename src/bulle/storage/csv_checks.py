"""Reading a CSV file's dialect, and finding exactly where a bad file goes wrong.

Sniffing looks only at the head of the file, so it costs nothing on a 5 GB import. The locators
stream the whole file in Python and are called only after the fast path (DuckDB) has failed: they
turn "the import failed" into "line 300002: expected 3 fields, found 2".
"""

from __future__ import annotations

import codecs
import csv
import os
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bulle.errors import InputError, Problem, ValidationError, Where
from bulle.storage.sources import open_source

HEAD_BYTES = 1 << 20
# Python's csv module refuses fields over 131,072 characters by default; a clinical note is
# longer, and is legal CSV. The limit is per process, so raising it here raises it for all.
csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
DELIMITERS = [",", ";", "\t", "|"]
_NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d*)?|[.,]\d+)([eE][-+]?\d+)?\s*$")


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    header: bool
    columns: list[str]
    encoding: str
    quote: str = '"'


def check_regular_file(path: Path) -> None:
    if not path.exists():
        raise InputError("no such file", Where(file=str(path)))
    if path.is_dir():
        raise InputError("is a directory, not a file", Where(file=str(path)))
    if not os.access(path, os.R_OK):
        raise InputError("file is not readable (permission denied)", Where(file=str(path)))


def check_delimiter(delimiter: str | None, quote: str = '"') -> None:
    """One character that cannot be mistaken for a line end or a quote (DuckDB accepts more)."""
    if delimiter is None:
        return
    where = Where(field="--delimiter")
    if len(delimiter) != 1:
        raise InputError(f"--delimiter must be exactly one character, got {delimiter!r}", where)
    if delimiter in "\r\n" or delimiter == quote or delimiter == "\0":
        raise InputError(
            f"--delimiter {delimiter!r} cannot be used: it is a line end, the quote or NUL", where
        )


def utf16_without_bom(raw: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the head looks like UTF-16 text without a byte-order mark.

    ASCII text in UTF-16 has a NUL byte in every other position; in UTF-8 text NUL is rare.
    """
    head = raw[:4096]
    if len(head) < 4 or b"\0" not in head:
        return None
    even, odd = head[0::2].count(0) / len(head[0::2]), head[1::2].count(0) / len(head[1::2])
    if odd > 0.3 and even < 0.05:
        return "utf-16-le"
    if even > 0.3 and odd < 0.05:
        return "utf-16-be"
    return None


def sniff(path: Path, options) -> Dialect:
    """Detect encoding (BOM), delimiter, header and column names from the head of the file."""
    check_regular_file(path)
    check_delimiter(options.delimiter)
    where = Where(file=str(path))
    if path.stat().st_size == 0:
        raise InputError("empty file: no header and no rows", where)
    with open_source(path) as f:
        raw = f.read(HEAD_BYTES)
    if not raw:
        raise InputError("empty file: no header and no rows", where)
    encoding = options.encoding or "utf-8"
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
        encoding = (
            "utf-8"
            if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
            else encoding
        )
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif _is_utf8(encoding) and (wide := utf16_without_bom(raw)):
        raise InputError(
            f"the file looks like UTF-16 text without a byte-order mark (NUL bytes every "
            f"other byte): import it with --encoding {wide}",
            where,
        )
    try:
        decoder = codecs.getincrementaldecoder(encoding)()
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", Where(field="--encoding")) from None
    try:
        text = decoder.decode(raw, final=len(raw) < HEAD_BYTES)
    except UnicodeDecodeError:
        found = locate_problem(path, Dialect(",", False, [], encoding))
        raise found or InputError(f"bytes invalid in {encoding}", where) from None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(raw) >= HEAD_BYTES and len(lines) > 1:
        lines = lines[:-1]  # the last line of the head may be cut
    if not lines:
        raise InputError("empty file: no header and no rows", where)
    delimiter = options.delimiter or _sniff_delimiter(lines[:200])
    first = next(csv.reader([lines[0]], delimiter=delimiter))
    header = (
        options.header if options.header is not None else not any(_NUMBER.match(v) for v in first)
    )
    if header:
        columns = [unicodedata.normalize("NFC", c.strip()) for c in first]
        problems = column_name_problems(columns, path)
        if problems:
            raise ValidationError.from_problems(f"bad header in {path}", problems)
        if len(lines) < 2 and _count_data_lines(path, encoding) == 0:
            raise InputError("header only: the file has no data rows", where)
    else:
        columns = [f"column{i + 1}" for i in range(len(first))]
    return Dialect(delimiter=delimiter, header=bool(header), columns=columns, encoding=encoding)


def _sniff_delimiter(lines: list[str]) -> str:
    best, best_score = ",", -1.0
    for d in DELIMITERS:
        counts = [len(next(csv.reader([ln], delimiter=d))) for ln in lines]
        if counts[0] < 2:
            continue
        consistent = sum(1 for c in counts if c == counts[0]) / len(counts)
        score = consistent * 1000 + counts[0]
        if score > best_score:
            best, best_score = d, score
    return best


def _is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")


def _count_data_lines(path: Path, encoding: str) -> int:
    with open_source(path, text=encoding) as f:
        return sum(1 for i, ln in enumerate(f) if i > 0 and ln.strip())


def column_name_problems(columns: list[str], path: Path | str) -> list[Problem]:
    """Empty names and names equal once in NFC and lower case (one rule for every format)."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, name in enumerate(columns, start=1):
        if not name:
            problems.append(Problem("empty column name", Where(file=str(path), line=1, column=i)))
            continue
        # SQL names are case-insensitive (Nom and nom collide), and "é" has two spellings
        # (NFC and NFD) that look alike: both would be two columns no one can tell apart.
        key = unicodedata.normalize("NFC", name).lower()
        if key in seen:
            problems.append(
                Problem(
                    f"duplicate column name {name!r} (also column {seen[key]})",
                    Where(file=str(path), line=1, column=i),
                )
            )
        else:
            seen[key] = i
    return problems


def check_column_names(columns: list[str], path: Path | str) -> None:
    problems = column_name_problems(columns, path)
    if problems:
        raise ValidationError.from_problems(f"bad column names in {path}", problems)


def locate_problem(path: Path, dialect: Dialect) -> InputError | None:
    """Stream the file and return an error for the first invalid byte or ragged row, if any."""
    encoding = dialect.encoding
    decoder_factory = codecs.getincrementaldecoder(encoding)
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8", "latin-1", "latin1", "iso-8859-1"):
        with open_source(path) as f:
            for lineno, raw in enumerate(f, start=1):
                if lineno == 1 and raw.startswith(codecs.BOM_UTF8):
                    raw = raw[3:]
                try:
                    decoder_factory().decode(raw, final=True)
                except UnicodeDecodeError as exc:
                    col = len(raw[: exc.start].decode(encoding, errors="replace")) + 1
                    return InputError(
                        f"bytes invalid in {encoding} (byte 0x{raw[exc.start]:02x}); use --encoding "
                        "if the file is in another encoding",
                        Where(file=str(path), line=lineno, column=col),
                    )
    if not dialect.columns:
        return None
    expected = len(dialect.columns)
    with open_source(path, text=encoding) as f:
        reader = csv.reader(f, delimiter=dialect.delimiter, quotechar=dialect.quote, strict=False)
        try:
            for i, row in enumerate(reader):
                if i == 0 and dialect.header:
                    continue
                if not row:
                    continue
                if len(row) != expected:
                    return InputError(
                        f"expected {expected} fields, found {len(row)}",
                        Where(file=str(path), line=reader.line_num),
                    )
        except csv.Error as exc:
            return InputError(f"malformed CSV: {exc}", Where(file=str(path), line=reader.line_num))
    return None


def transcode_to_utf8(src: Path, dest: Path, encoding: str) -> None:
    """Stream-transcode a file to UTF-8 (for encodings DuckDB cannot read natively)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lineno = 1
    with open_source(src) as fin, open(dest, "w", encoding="utf-8", newline="") as fout:
        while chunk := fin.read(1 << 22):
            try:
                text = decoder.decode(chunk)
            except UnicodeDecodeError:
                raise locate_problem(src, Dialect(",", False, [], encoding)) or InputError(
                    f"bytes invalid in {encoding}", Where(file=str(src), line=lineno)
                ) from None
            lineno += text.count("\n")
            fout.write(text)
        fout.write(decoder.decode(b"", final=True))
