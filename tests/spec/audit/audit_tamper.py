"""The tools an attacker would use on an audit log (editing its JSON lines), and a test log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bulle.audit.events import DatasetRead
from bulle.audit.format import canonical_json, encode_line, sha256_hex, signed_message
from bulle.audit.heads import FileHeadStore
from bulle.audit.keys import key_id
from bulle.audit.log import AuditLog
from bulle.audit.verify import verify_log
from bulle.domain.actor import Actor

N = 10


def event(i: int) -> DatasetRead:
    return DatasetRead(
        actor=Actor("alice", "analyst"),
        target=f"patients@{i}",
        details={"project": "cohort-2026", "rows": 100 + i},
    )


def lines(path: Path) -> list[bytes]:
    """Header at index 0, entry i at index i (newlines removed)."""
    return path.read_bytes().split(b"\n")[:-1]


def write(path: Path, new_lines: list[bytes], final_newline: bool = True) -> None:
    path.write_bytes(b"\n".join(new_lines) + (b"\n" if final_newline else b""))


def encode(entry: dict, *, key=None, rehash: bool = False) -> bytes:
    """An entry line as Bulle writes it; ``rehash`` recomputes the hash, ``key`` re-signs."""
    body = canonical_json({k: entry[k] for k in ("event", "key", "prev", "seq")})
    h = sha256_hex(body) if rehash or key is not None else entry["hash"]
    sig = key.sign(signed_message(h)) if key is not None else bytes.fromhex(entry["sig"])
    return encode_line(body, h, sig)[:-1]


def forge(key, seq: int, prev: str, ev: dict) -> bytes:
    """A well-formed entry signed correctly by ``key``."""
    return encode({"event": ev, "key": key_id(key), "prev": prev, "seq": seq}, key=key)


def rechain(entries: list[bytes], start: int) -> list[bytes]:
    """What an attacker without the key can do: fix every hash and link from ``start`` on."""
    out = list(entries)
    for i in range(start, len(out)):
        e = json.loads(out[i])
        if i > 1:
            e["prev"] = json.loads(out[i - 1])["hash"]
        e["seq"] = i
        out[i] = encode(e, rehash=True)
    return out


@dataclass
class Env:
    path: Path
    heads: FileHeadStore
    key: object
    log: AuditLog

    def verify(self, keys=None, **kw):
        """Verify as `bulle audit verify` does: trusted keys plus the head kept outside the log."""
        kw.setdefault("expected_head", self.heads.get())
        return verify_log(self.path, keys if keys is not None else self.key.public_key(), **kw)

    def lines(self) -> list[bytes]:
        return lines(self.path)

    def write(self, new_lines: list[bytes], final_newline: bool = True) -> None:
        write(self.path, new_lines, final_newline)

    def entry(self, i: int) -> dict:
        return json.loads(self.lines()[i])
