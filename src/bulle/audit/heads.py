"""Where the chain head lives outside the log.

A hash chain alone cannot show that its tail was cut: a shorter chain is still a valid chain. So
every durable append also records the last entry's (seq, hash) somewhere else (the workspace
catalog), and verification compares the log's end with it. A ``HeadStore`` is that somewhere.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from bulle.errors import InputError, IntegrityError, Where

Head = tuple[int, str]
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")


class HeadStore(Protocol):
    """Keeps the (seq, hash) of the last durable entry. ``set`` must itself be durable."""

    def get(self) -> Head | None: ...

    def set(self, seq: int, hash: str) -> None: ...


class MemoryHeadStore:
    """A head kept in memory: for a log whose head lives in another object of the same process."""

    def __init__(self, head: Head | None = None) -> None:
        self._head = head

    def get(self) -> Head | None:
        return self._head

    def set(self, seq: int, hash: str) -> None:
        self._head = (seq, hash)


class FileHeadStore:
    """A head kept in a small JSON file, replaced atomically: for stand-alone logs and tests."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def get(self) -> Head | None:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return None
        return parse_head_json(text, Where(file=str(self.path)))

    def set(self, seq: int, hash: str) -> None:
        data = json.dumps({"seq": seq, "hash": hash}).encode() + b"\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
            dfd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def parse_head_json(text: str, where: Where | None = None) -> Head:
    try:
        data = json.loads(text)
        seq, h = data["seq"], data["hash"]
    except (ValueError, KeyError, TypeError):
        raise IntegrityError("unreadable audit chain head", where) from None
    if type(seq) is not int or seq < 0 or not (isinstance(h, str) and _HEX64.match(h)):
        raise IntegrityError("unreadable audit chain head", where)
    return seq, h


def parse_head(text: str) -> Head:
    """Read a head written as ``SEQ:HASH`` (the CLI's ``--head``)."""
    seq_s, sep, h = text.strip().partition(":")
    if not sep or not seq_s.isdigit() or not _HEX64.match(h.lower()):
        raise InputError(
            f"a chain head is written SEQ:HASH (64 hex digits), not {text!r}", Where(field="head")
        )
    return int(seq_s), h.lower()
