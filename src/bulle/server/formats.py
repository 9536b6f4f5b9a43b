"""A project's rows on the wire: Arrow IPC, Parquet, CSV or JSON lines, by ``?format=`` or Accept.

The file formats are written as the CLI writes ``--output`` (``cli/result_output.py``: dates
Python cannot hold as text, CSV cells a spreadsheet would run as formulas neutralised), into a
private temporary file of the workspace, then streamed in chunks and deleted; Arrow IPC is written
batch by batch as it is sent.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.responses import StreamingResponse

from bulle.errors import InputError, Where

if TYPE_CHECKING:
    import pyarrow as pa

MEDIA = {
    "arrow": "application/vnd.apache.arrow.stream",
    "parquet": "application/vnd.apache.parquet",
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson",
    "json": "application/json",
}
BY_MEDIA = {m.split(";")[0]: f for f, m in MEDIA.items()}
CHUNK = 1 << 20


def negotiate(fmt: str | None, accept: str | None) -> str:
    """The format asked by ``?format=`` (first) or the Accept header; JSON when neither says."""
    if fmt is not None:
        if fmt not in MEDIA:
            raise InputError(
                f"unknown format {fmt!r}: use one of {', '.join(MEDIA)}", Where(field="format")
            )
        return fmt
    for part in (accept or "").split(","):
        found = BY_MEDIA.get(part.split(";")[0].strip().lower())
        if found:
            return found
    return "json"


def stream_table(table: pa.Table, fmt: str, tmp_dir: Path, filename: str) -> StreamingResponse:
    headers = {"Content-Disposition": f'attachment; filename="{filename}.{fmt}"'}
    if fmt == "arrow":
        return StreamingResponse(arrow_chunks(table), media_type=MEDIA[fmt], headers=headers)
    from bulle.cli.result_output import write_table

    tmp_dir.mkdir(parents=True, exist_ok=True)
    path = tmp_dir / f"{os.getpid()}-{uuid.uuid4().hex}.{'jsonl' if fmt == 'jsonl' else fmt}"
    try:
        write_table(table, path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return StreamingResponse(_file(path), media_type=MEDIA[fmt], headers=headers)


class _Drain:
    """A write-only file that hands over what was written since the last :meth:`take`."""

    closed = False

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = b"".join(self.parts)
        self.parts.clear()
        return out


def arrow_chunks(table: pa.Table) -> Iterator[bytes]:
    import pyarrow as pa

    drain = _Drain()
    with pa.ipc.new_stream(pa.PythonFile(drain, mode="w"), table.schema) as writer:
        for batch in table.to_batches(max_chunksize=65_536):
            writer.write_batch(batch)
            yield drain.take()
    yield drain.take()


def _file(path: Path) -> Iterator[bytes]:
    try:
        with open(path, "rb") as f:
            while chunk := f.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
