"""A form upload (``multipart/form-data``) streamed straight into the workspace's private
temporary folder: the file part goes to disk as it arrives (never to the system's ``/tmp``, never
whole in memory), under a name the server chooses; the other fields are small text, bounded.

The server's body limit (``server.upload_max_bytes`` for paths ending in ``/import``) cuts a
too-large upload off before it is all read; the caller removes the folder whatever happens.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool

from bulle.errors import BulleError, InputError, Where

FIELD_MAX = 64 * 1024  # a text field of an upload form (a dataset name, a delimiter)


@dataclass
class Upload:
    folder: Path
    fields: dict[str, str] = field(default_factory=dict)
    file: Path | None = None
    file_bytes: int = 0
    client_name: str = ""  # shown back to its sender in messages, never used as a path

    @contextmanager
    def as_sent(self) -> Iterator[None]:
        """A problem found in the file names it as its sender knows it, not by the server's
        private path (which says nothing to them and need not be told)."""
        try:
            yield
        except BulleError as exc:
            shown = self.client_name or "the uploaded file"
            if self.file is not None:
                exc.where = _renamed(exc.where, str(self.file), shown)
                for problem in getattr(exc, "problems", None) or []:
                    problem.where = _renamed(problem.where, str(self.file), shown)
                exc.message = exc.message.replace(str(self.file), shown)
            raise


def _renamed(where: Where | None, private: str, shown: str) -> Where | None:
    if where is None or where.file != private:
        return where
    return dataclasses.replace(where, file=shown)


def new_folder(root: Path) -> Path:
    """A private folder under ``data/.tmp`` (the pid marks it alive for ``recover``)."""
    from bulle.fsutil import private_dirs

    folder = root / "data" / ".tmp" / f"{os.getpid()}-{uuid.uuid4().hex}"
    private_dirs(folder, root)
    return folder


async def receive(request: Request, root: Path, file_field: str, suffix: str) -> Upload:
    """Parse the request's multipart body; the part named ``file_field`` becomes ``upload{suffix}``."""
    from python_multipart.multipart import MultipartParser, parse_options_header

    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if ctype != b"multipart/form-data" or not boundary:
        raise InputError("the form must be sent as multipart/form-data", Where(field="file"))
    upload = Upload(new_folder(root))
    state: dict[str, Any] = {"name": None, "header": b"", "value": b"", "headers": {}, "out": None}
    text: dict[str, bytearray] = {}

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["header"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        state["value"] += data[start:end]

    def on_header_end() -> None:
        state["headers"][state["header"].lower()] = state["value"]
        state["header"], state["value"] = b"", b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(state["headers"].get(b"content-disposition", b""))
        name = disposition.get(b"name", b"").decode("utf-8", "replace")
        state["name"] = name
        if name == file_field and upload.file is None:
            sent = disposition.get(b"filename", b"").decode("utf-8", "replace")
            upload.client_name = sent.replace("\\", "/").rsplit("/", 1)[-1][:200]
            upload.file = upload.folder / f"upload{suffix}"  # the client's file name is never used
            fd = os.open(upload.file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            state["out"] = os.fdopen(fd, "wb")
        else:
            text.setdefault(name, bytearray())

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["out"] is not None:
            state["out"].write(data[start:end])
            upload.file_bytes += end - start
        else:
            buf = text[state["name"]]
            buf += data[start:end]
            if len(buf) > FIELD_MAX:
                raise InputError("a form field is too long", Where(field=state["name"]))

    def on_part_end() -> None:
        if state["out"] is not None:
            state["out"].flush()
            os.fsync(state["out"].fileno())
            state["out"].close()
            state["out"] = None
        state["headers"] = {}

    parser = MultipartParser(
        boundary,
        {
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(parser.write, chunk)
        parser.finalize()
    finally:
        if state["out"] is not None:
            state["out"].close()
    upload.fields = {k: bytes(v).decode("utf-8", "replace") for k, v in text.items()}
    if upload.file is None or upload.file_bytes == 0:
        raise InputError(
            "choose a file to upload: none was sent, or it was empty", Where(field=file_field)
        )
    return upload
