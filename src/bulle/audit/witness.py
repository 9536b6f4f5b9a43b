"""Witnesses: copies of the chain head kept outside the workspace, signed, append-only.

The catalog's chain head and the signing key live beside the log they protect, so anyone with the
workspace owner's uid can cut the log and move the head back, or rewrite entries and re-sign them
(even with a new key pair). A witness is a directory elsewhere (a mount of another machine, the
DPO's copy) that the workspace only ever appends to: after every durable append batch, under the
log's lock, a signed checkpoint of the head goes to every registered witness. The witness pinned
the public key when it was added, and follows a key rotation only through a record signed by the
key it already trusts, so a verifier needs nothing from the workspace to know which key to trust.

A witness that cannot be written never costs an audit event: the append has already succeeded
locally when checkpoints are written. The failure is recorded in the registry (and logged on
stderr); the witness is then behind, which ``audit verify --witness`` reports, and the next
successful batch catches it up (a checkpoint always carries the current head).

Which witnesses a workspace writes to is kept in ``audit/witnesses.json`` (not exported: a
witness belongs to one workspace, and an imported registry would make Bulle write wherever a
hostile export says). Rotation records are kept in ``keys/audit-rotations.jsonl`` so a witness
that missed a rotation is handed it before the next checkpoint.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bulle.audit.heads import Head
from bulle.audit.witness_format import (
    CHECKPOINTS_FILE,
    WITNESS_FILE,
    Record,
    RecordError,
    WitnessInfo,
    decode_record,
    decode_witness,
    fingerprint,
    make_record,
)
from bulle.errors import BulleError, ConflictError, InputError, IntegrityError, Where
from bulle.fsutil import atomic_write_bytes

if TYPE_CHECKING:
    from bulle.domain.actor import Actor
    from bulle.store import Store
    from bulle.workspace import Workspace

REGISTRY_FILE = "witnesses.json"  # in the workspace's audit/ folder
REGISTRY_FORMAT = "bulle.audit-witnesses"
ROTATIONS_FILE = "audit-rotations.jsonl"  # in the workspace's keys/ folder
TAIL_BYTES = 8192  # a record is about 400 bytes: the last complete one is in this tail

log = logging.getLogger("bulle.audit.witness")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class WitnessWriteError(Exception):
    """A witness could not take a checkpoint; the append itself has succeeded."""


# -- the registry -------------------------------------------------------------------------------------


class WitnessRegistry:
    """``audit/witnesses.json``: the witnesses this workspace writes to, and their last failure."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._entries: list[dict[str, Any]] = []

    def load(self) -> list[dict[str, Any]]:
        """The registered witnesses, re-read only when the file changed (one stat per batch)."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._entries = None, []
            return []
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        if stamp != self._stamp:
            self._entries = self._read()
            self._stamp = stamp
        return self._entries

    def _read(self) -> list[dict[str, Any]]:
        where = Where(file=str(self.path))
        try:
            obj = json.loads(self.path.read_bytes())
        except (ValueError, UnicodeDecodeError):
            raise IntegrityError("the witness registry is not valid JSON", where) from None
        entries = obj.get("witnesses") if isinstance(obj, dict) else None
        if (
            not isinstance(obj, dict)
            or obj.get("format") != REGISTRY_FORMAT
            or not isinstance(entries, list)
            or not all(isinstance(e, dict) and isinstance(e.get("path"), str) for e in entries)
        ):
            raise IntegrityError("unreadable witness registry", where)
        return entries

    def save(self, entries: list[dict[str, Any]]) -> None:
        data = (
            json.dumps(
                {"format": REGISTRY_FORMAT, "version": 1, "witnesses": entries}, indent=2
            ).encode()
            + b"\n"
        )
        atomic_write_bytes(self.path, data, 0o600)
        self._stamp = None

    def find(self, path: Path) -> dict[str, Any] | None:
        return next((e for e in self.load() if e["path"] == str(path)), None)

    def set_error(self, path: str, error: dict[str, Any] | None) -> None:
        entries = [dict(e) for e in self.load()]
        for e in entries:
            if e["path"] == path:
                e["error"] = error
        self.save(entries)


# -- reading a witness ----------------------------------------------------------------------------------


def read_info(directory: Path) -> WitnessInfo:
    path = directory / WITNESS_FILE
    return decode_witness(path.read_bytes(), Where(file=str(path)))


def last_record(tail: bytes) -> Record | None:
    """The last complete record in the tail of ``checkpoints.jsonl`` (None if none or unreadable)."""
    end = tail.rfind(b"\n")
    if end < 0:
        return None
    line = tail[:end].rsplit(b"\n", 1)[-1]
    try:
        return decode_record(line)
    except RecordError:
        return None


# -- writing checkpoints --------------------------------------------------------------------------------


class CheckpointWriter:
    """Called by the log after each durable batch, under the log's lock (``AuditLog.after_commit``)."""

    def __init__(self, registry: WitnessRegistry, genesis: str, rotations: Path) -> None:
        self.registry = registry
        self.genesis = genesis
        self.rotations = rotations
        self._infos: dict[str, WitnessInfo] = {}

    def __call__(self, head: Head, key: Ed25519PrivateKey) -> None:
        try:
            entries = self.registry.load()
        except (OSError, BulleError) as exc:
            log.warning("audit witnesses not written: %s", exc)
            return
        for entry in entries:
            try:
                self.write_one(Path(entry["path"]), head, key)
            except (OSError, ValueError, BulleError, WitnessWriteError) as exc:
                self._failed(entry, head, exc)
            else:
                if entry.get("error") is not None:
                    self._record(entry["path"], None)

    def write_one(self, directory: Path, head: Head, key: Ed25519PrivateKey) -> None:
        info = self._info(directory)
        if info.log != self.genesis:
            raise WitnessWriteError("it is the witness of another audit log")
        fd = os.open(directory / CHECKPOINTS_FILE, os.O_RDWR | os.O_APPEND | os.O_CLOEXEC)
        try:
            size = os.fstat(fd).st_size
            n = min(size, TAIL_BYTES)
            tail = os.pread(fd, n, size - n) if n else b""
            out = [] if not tail or tail.endswith(b"\n") else [b"\n"]
            last = last_record(tail)
            current = info.fingerprint if size == 0 else (last.next_key if last else None)
            mine = fingerprint(key)
            if current is not None and current != mine:
                out += [r.encode() for r in self._rotations(current, mine)]
            out.append(make_record(key, self.genesis, head[0], head[1], _now()).encode())
            data = memoryview(b"".join(out))
            while data:
                data = data[os.write(fd, data) :]
            os.fsync(fd)
        finally:
            os.close(fd)

    def _info(self, directory: Path) -> WitnessInfo:
        info = self._infos.get(str(directory))
        if info is None:
            info = self._infos[str(directory)] = read_info(directory)
        return info

    def _rotations(self, start: str, goal: str) -> list[Record]:
        """The rotation records leading from key ``start`` to key ``goal`` (empty if none do)."""
        by_old: dict[str, list[Record]] = {}
        for r in read_rotations(self.rotations):
            by_old.setdefault(r.key, []).append(r)

        def walk(fp: str, seen: frozenset[str]) -> list[Record] | None:
            if fp == goal:
                return []
            for r in by_old.get(fp, []):
                if r.next_key not in seen:
                    rest = walk(r.next_key, seen | {r.next_key})
                    if rest is not None:
                        return [r, *rest]
            return None

        return walk(start, frozenset({start})) or []

    def _failed(self, entry: dict[str, Any], head: Head, exc: BaseException) -> None:
        message = f"{type(exc).__name__}: {exc}" if isinstance(exc, OSError) else str(exc)
        log.warning(
            "audit witness %s did not take the checkpoint of event %d (%s): the event is "
            "logged locally and the witness is behind",
            entry["path"],
            head[0],
            message,
        )
        if entry.get("error") is None:  # record the first failure; later ones only log
            self._record(entry["path"], {"message": message, "at": _now(), "since_seq": head[0]})

    def _record(self, path: str, error: dict[str, Any] | None) -> None:
        try:
            self.registry.set_error(path, error)
        except (OSError, BulleError) as exc:
            log.warning("the witness registry could not be updated: %s", exc)


def read_rotations(path: Path) -> list[Record]:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return []
    out = []
    for line in data.splitlines():
        try:
            out.append(decode_record(line))
        except RecordError:
            continue  # a torn line: the record it was is simply not offered to witnesses
    return out


# -- the workspace operations ----------------------------------------------------------------------------


def registry_of(ws: Workspace | Store) -> WitnessRegistry:
    return WitnessRegistry(ws.audit_dir / REGISTRY_FILE)


def writer_for(ws: Workspace | Store, genesis: str) -> CheckpointWriter:
    return CheckpointWriter(registry_of(ws), genesis, ws.keys_dir / ROTATIONS_FILE)


def add_witness(ws: Workspace, directory: str | Path, actor: Actor) -> dict[str, Any]:
    """Register a witness directory, pinning the current public key; write its first checkpoint."""
    from bulle.audit.events import AuditWitnessAdded
    from bulle.audit.keys import load_workspace_key

    path = Path(directory).absolute()
    root = ws.root.resolve()
    if path.resolve() == root or root in path.resolve().parents:
        raise InputError(
            "a witness inside the workspace protects nothing: give a directory on "
            "another machine or disk",
            Where(file=str(path)),
        )
    if path.exists() and not path.is_dir():
        raise InputError("a witness is a directory", Where(file=str(path)))
    alog = ws.audit_log
    key = load_workspace_key(ws.keys_dir)
    registry = registry_of(ws)
    with ws.write_lock():
        if registry.find(path) is not None:
            raise ConflictError(
                "this directory is already a witness of this workspace", Where(file=str(path))
            )
        path.mkdir(parents=True, exist_ok=True)
        info_path, cp_path = path / WITNESS_FILE, path / CHECKPOINTS_FILE
        reattached = info_path.exists()
        if reattached:
            info = read_info(path)
            if info.log != alog.genesis:
                raise ConflictError(
                    f"this directory is the witness of another audit log (workspace "
                    f"{info.workspace_id})",
                    Where(file=str(info_path)),
                )
        else:
            if cp_path.exists():
                raise ConflictError(
                    "this directory holds checkpoints but no witness.json", Where(file=str(cp_path))
                )
            info = WitnessInfo(
                workspace_id=ws.id, log=alog.genesis, public_key=key.public_key(), added_at=_now()
            )
            atomic_write_bytes(info_path, info.encode(), 0o644)
            fd = os.open(cp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            os.fsync(fd)
            os.close(fd)
        entries = [dict(e) for e in registry.load()]
        entries.append(
            {"path": str(path), "fingerprint": info.fingerprint, "added_at": _now(), "error": None}
        )
        registry.save(entries)
    ws.emit(
        AuditWitnessAdded(
            actor=actor,
            target=str(path),
            details={"fingerprint": info.fingerprint, "reattached": reattached},
        )
    )
    return {
        "path": str(path),
        "workspace_id": info.workspace_id,
        "log": info.log,
        "fingerprint": info.fingerprint,
        "pinned_at": info.added_at,
        "reattached": reattached,
        "head": {"seq": alog.head()[0], "hash": alog.head()[1]},
    }


def witness_status(ws: Workspace) -> list[dict[str, Any]]:
    """Each registered witness: reachable or not, its last checkpoint, its last recorded failure."""
    out = []
    head = ws.audit_log.head()
    for e in registry_of(ws).load():
        item: dict[str, Any] = {
            "path": e["path"],
            "fingerprint": e.get("fingerprint"),
            "added_at": e.get("added_at"),
            "error": e.get("error"),
            "reachable": False,
            "last_checkpoint": None,
            "behind": None,
        }
        try:
            with open(Path(e["path"]) / CHECKPOINTS_FILE, "rb") as f:
                size = f.seek(0, os.SEEK_END)
                f.seek(max(0, size - TAIL_BYTES))
                last = last_record(f.read())
            item["reachable"] = True
        except OSError:
            last = None
        if last is not None:
            item["last_checkpoint"] = {"seq": last.seq, "hash": last.hash, "at": last.at}
            item["behind"] = max(0, head[0] - last.seq)
        out.append(item)
    return out


def rotate_audit_key(ws: Workspace, actor: Actor) -> dict[str, Any]:
    """Rotate the signing key so that witnesses can follow: the old key signs the new one.

    Under the log's lock: the rotation record (signed by the old key, naming the new public key
    and the head) is written to ``keys/audit-rotations.jsonl`` first, then the key files are
    replaced, then the rotation event is appended with the new key; that batch hands every
    witness the rotation record before its checkpoint.
    """
    from bulle.audit.events import AuditKeyRotated
    from bulle.audit.keys import generate_signing_key, key_id, rotate_workspace_key

    alog = ws.audit_log
    with ws.write_lock(), alog.batch():
        old = alog.signing_key
        assert old is not None
        seq, h = alog.synced_head()
        new = generate_signing_key()
        record = make_record(old, alog.genesis, seq, h, _now(), new_key=new.public_key())
        path = ws.keys_dir / ROTATIONS_FILE
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            size = os.fstat(fd).st_size
            torn = size > 0 and os.pread(fd, 1, size - 1) != b"\n"
            os.write(fd, (b"\n" if torn else b"") + record.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        rotate_workspace_key(ws.keys_dir, new)
        alog.use_signing_key(new)
        ws.emit(
            AuditKeyRotated(
                actor=actor,
                target="audit",
                details={"old_key": key_id(old), "new_key": key_id(new), "at_seq": seq},
            )
        )
    return {
        "old_key": key_id(old),
        "new_key": key_id(new),
        "at_seq": seq,
        "old_fingerprint": fingerprint(old),
        "new_fingerprint": fingerprint(new),
    }


def iter_checkpoints(directory: Path) -> Iterator[tuple[int, Record | str]]:
    """Every line of checkpoints.jsonl (1-based line numbers), decoded, read as a stream.

    A line that does not decode is yielded as its error message; an incomplete last line (a
    write in progress or torn) is left out.
    """
    with open(directory / CHECKPOINTS_FILE, "rb") as f:
        for number, line in enumerate(f, start=1):
            if not line.endswith(b"\n"):
                return
            try:
                yield number, decode_record(line[:-1])
            except RecordError as exc:
                yield number, str(exc)
