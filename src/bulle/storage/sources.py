"""Opening an input file as a stream of bytes, decompressing ``.gz`` and ``.zst`` on the fly.

Exports are often compressed; a custodian should not have to write a decompressed copy of
personal data to disk to import it. Every reader of an input file (sniffing, the locators that
report line numbers, transcoding) goes through :func:`open_source`, so line numbers count lines
of the decompressed text.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import IO

COMPRESSIONS = {".gz": "gzip", ".zst": "zstd"}  # the extensions DuckDB and Arrow recognise too


def compression_of(path: Path) -> str | None:
    return COMPRESSIONS.get(path.suffix.lower())


def inner_suffix(path: Path) -> str:
    """The format suffix: ``.csv`` for ``t.csv.gz`` as for ``t.csv``."""
    if compression_of(path) and len(path.suffixes) >= 2:
        return path.suffixes[-2].lower()
    return path.suffix.lower()


def open_source(path: Path, text: str | None = None) -> IO:
    """A binary stream (or a text stream in encoding ``text``, bad bytes replaced) of the content."""
    kind = compression_of(path)
    if kind == "gzip":
        raw: IO = gzip.open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    elif kind == "zstd":
        import pyarrow as pa

        raw = io.BufferedReader(pa.CompressedInputStream(pa.OSFile(str(path), "rb"), "zstd"))
    else:
        raw = open(path, "rb")  # noqa: SIM115 - returned to the caller, who closes it
    if text is None:
        return raw
    return io.TextIOWrapper(raw, encoding=text, errors="replace", newline="")
