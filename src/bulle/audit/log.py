"""The tamper-evident audit log: append-only, hash-chained, every entry signed.

Why each piece is there:

* the hash chain (each entry names the hash of the one before) makes editing, removing, inserting
  or reordering an entry visible at the first place it happened;
* the Ed25519 signature makes a rewritten chain visible too: recomputing hashes needs the private
  key, which never leaves the workspace's key folder;
* the chain head stored *outside* the log (a ``HeadStore``, the catalog in a workspace) makes a
  cut tail visible, which no chain can show by itself;
* ``fdatasync`` before the head moves means the head never points past what is on disk, and an
  exclusive ``flock`` around each append or batch keeps two processes from interleaving lines.

The log is the sink the workspace plugs into its ``AuditHook`` (``write(event)``).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bulle.audit.events import AuditEvent
from bulle.audit.format import (
    Entry,
    FormatError,
    Header,
    decode_entry,
    encode_body,
    encode_line,
    entry_from,
    sha256_hex,
    signed_message,
)
from bulle.audit.heads import Head, HeadStore
from bulle.audit.keys import KeyRing, key_id, verify_signature
from bulle.audit.verify import Broken, VerifyReport, read_header, verify_log
from bulle.errors import ConflictError, InputError, IntegrityError, NotFoundError, Where
from bulle.fsutil import fsync_dir

FLUSH_BYTES = (
    1 << 20
)  # a long batch is written in pieces of about this size, synced once at its end
_FROM_STORE = object()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


class AuditLog:
    """One log file. Build it with ``create``, ``open`` or ``adopt``, not the constructor."""

    def __init__(
        self,
        path: Path,
        header: Header,
        signing_key: Ed25519PrivateKey | None,
        head_store: HeadStore | None,
    ) -> None:
        self.path = path
        self.header = header
        self._key = signing_key
        self._kid = key_id(signing_key) if signing_key is not None else None
        self._heads = head_store
        self._tlock = threading.RLock()
        self._fd: int | None = None
        self._depth = 0
        self._pending: list[bytes] = []
        self._pending_bytes = 0
        self._flushes = 0
        self._dirty = False
        self._last: Head | None = None  # last entry as of self._size, valid while we hold the lock
        self._size: int | None = None
        # called with (head, signing key) after each durable batch, under the lock: witnesses
        self.after_commit: Callable[[Head, Ed25519PrivateKey], None] | None = None
        # called under the lock before each batch: the current signing key if it changed on disk
        self.key_source: Callable[[], Ed25519PrivateKey | None] | None = None

    # -- building ------------------------------------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: str | Path,
        signing_key: Ed25519PrivateKey | None,
        workspace_id: str,
        head_store: HeadStore | None = None,
        *,
        created_at: str | None = None,
    ) -> AuditLog:
        """Write a new log holding only its header; refuses to replace an existing file."""
        path = Path(path)
        if not workspace_id:
            raise InputError("an audit log needs the id of its workspace")
        header = Header(workspace_id=workspace_id, created_at=created_at or _now())
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, header.encode())
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # unlike rename, never replaces an existing log
        except FileExistsError:
            raise ConflictError("an audit log already exists here", Where(file=str(path))) from None
        finally:
            tmp.unlink(missing_ok=True)
        fsync_dir(path.parent)
        if head_store is not None:
            head_store.set(0, header.genesis)
        return cls(path, header, signing_key, head_store)

    @classmethod
    def open(
        cls,
        path: str | Path,
        signing_key: Ed25519PrivateKey | None = None,
        head_store: HeadStore | None = None,
    ) -> AuditLog:
        """Open an existing log; without a signing key it can be read and verified, not appended."""
        path = Path(path)
        if not path.exists():
            raise NotFoundError("audit log not found", Where(file=str(path)))
        try:
            header, _ = read_header(path)
        except Broken as b:
            raise IntegrityError(
                f"unreadable audit log header: {b.reason}", Where(file=str(path), line=1)
            ) from None
        return cls(path, header, signing_key, head_store)

    @classmethod
    def adopt(
        cls,
        path: str | Path,
        signing_key: Ed25519PrivateKey | None,
        head_store: HeadStore,
        keys: Any,
        expected_head: Head | None = None,
    ) -> AuditLog:
        """Take over a log that came from elsewhere (an export): verify it, then record its head.

        This is the only way to give an existing log a head store; ``expected_head`` is the head
        the export recorded, so a log cut in transit is refused.
        """
        report = verify_log(path, keys, expected_head=expected_head)
        report.raise_if_broken()
        assert report.last is not None
        head_store.set(*report.last)
        return cls.open(path, signing_key, head_store)

    # -- facts ------------------------------------------------------------------------------------------
    @property
    def workspace_id(self) -> str:
        return self.header.workspace_id

    @property
    def genesis(self) -> str:
        return self.header.genesis

    @property
    def key_id(self) -> str | None:
        return self._kid

    @property
    def public_key(self) -> Ed25519PublicKey | None:
        return None if self._key is None else self._key.public_key()

    @property
    def writable(self) -> bool:
        return self._key is not None

    @property
    def signing_key(self) -> Ed25519PrivateKey | None:
        return self._key

    def synced_head(self) -> Head:
        """Inside a batch: the (seq, hash) the next entry follows."""
        if not self._depth or self._last is None:
            raise ConflictError("the synced head is known only inside a batch")
        return self._last

    def use_signing_key(self, key: Ed25519PrivateKey) -> None:
        """Inside a batch: sign what follows with ``key`` (a rotation, see audit.witness)."""
        with self._tlock:
            if not self._depth:
                raise ConflictError("the signing key changes only inside a batch")
            self._key, self._kid = key, key_id(key)

    def head(self) -> Head:
        """(seq, hash) of the last complete entry on disk, (0, genesis) for an empty log."""
        size = self.path.stat().st_size
        lines, _, with_header = _tail_lines(self.path, size, 1)
        if not lines or (with_header and len(lines) == 1):
            return 0, self.genesis
        return self._parse(lines[-1], None)[:2]  # type: ignore[return-value]

    # -- appending ------------------------------------------------------------------------------------
    def append(self, event: AuditEvent | dict[str, Any]) -> Entry:
        """Append one event, durably (fdatasync, then the head moves) before returning."""
        with self.batch():
            return self._add(event)

    def append_many(self, events: Iterable[AuditEvent | dict[str, Any]]) -> list[Entry]:
        """Append events as one batch: one lock, one fdatasync, one head update.

        If one event is refused (not plain JSON, too large) none of them is appended, unless the
        batch was so large that part of it had already been written.
        """
        with self.batch():
            mark = (len(self._pending), self._pending_bytes, self._last, self._flushes)
            try:
                return [self._add(e) for e in events]
            except BaseException:
                if self._flushes == mark[3]:
                    del self._pending[mark[0] :]
                    self._pending_bytes, self._last = mark[1], mark[2]
                raise

    def write(self, event: AuditEvent) -> None:
        """The ``AuditSink`` protocol: the workspace's hook calls this for every event."""
        self.append(event)

    @contextmanager
    def batch(self) -> Iterator[AuditLog]:
        """Group appends: they are durable together when the outermost batch ends.

        The exclusive lock is held for the whole batch, so keep batches short; entries appended
        inside are returned at once but survive a crash only once the batch has ended.
        """
        with self._tlock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            fd = self._writer()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                if self.key_source is not None:  # another process may have rotated the key
                    key = self.key_source()
                    if key is not None:
                        self._key, self._kid = key, key_id(key)
                self._sync_tail(fd)
                self._depth = 1
                try:
                    yield self
                finally:
                    self._depth = 0
                    self._commit(fd)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _writer(self) -> int:
        if self._key is None:
            raise ConflictError(
                "this audit log was opened without a signing key: it is read-only",
                Where(file=str(self.path)),
            )
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        return self._fd

    def _add(self, event: AuditEvent | dict[str, Any]) -> Entry:
        assert self._key is not None and self._kid is not None
        if self._last is None:
            raise IntegrityError(
                "a write to the audit log failed in this batch: end the batch and start a new one",
                Where(file=str(self.path)),
            )
        ev = event.to_dict() if isinstance(event, AuditEvent) else event
        seq, prev = self._last[0] + 1, self._last[1]
        body = encode_body(seq, ev, prev, self._kid)
        h = sha256_hex(body)
        sig = self._key.sign(signed_message(h))
        self._pending.append(encode_line(body, h, sig))
        self._pending_bytes += len(self._pending[-1])
        self._last, self._dirty = (seq, h), True
        if self._pending_bytes >= FLUSH_BYTES:
            self._flush(self._writer())
        return Entry(seq=seq, event=ev, prev=prev, hash=h, key_id=self._kid, sig=sig.hex())

    def _flush(self, fd: int) -> None:
        if not self._pending:
            return
        data = memoryview(b"".join(self._pending))
        total = len(data)
        self._flushes += 1
        self._pending, self._pending_bytes = [], 0
        try:
            while data:
                data = data[os.write(fd, data) :]
        except BaseException:
            self._size = self._last = None  # re-read the tail under the lock next time
            self._dirty = False
            raise
        assert self._size is not None
        self._size += total

    def _commit(self, fd: int) -> None:
        self._flush(fd)
        if self._dirty:
            os.fdatasync(fd)
            self._dirty = False
            if self._heads is not None and self._last is not None:
                self._heads.set(*self._last)
            if self.after_commit is not None and self._last is not None and self._key is not None:
                self.after_commit(self._last, self._key)  # never raises: the event is durable

    def _sync_tail(self, fd: int) -> None:
        """Under the lock: find where the chain ends, and refuse to extend a damaged one.

        Another process may have appended since our last batch, a crash may have left an
        incomplete last line (never acknowledged: removed) or entries past the recorded head
        (written but the head not moved: checked and rolled forward), and an attacker may have
        cut the tail (refused: appending would paper over the cut).
        """
        size = os.fstat(fd).st_size
        stored = self._heads.get() if self._heads is not None else None
        if (
            self._size == size
            and self._last is not None
            and (self._heads is None or stored == self._last)
        ):
            return
        lines, frag_start, with_header = _tail_lines(self.path, size, 1)
        if not lines:
            raise IntegrityError("the audit log has lost its header", Where(file=str(self.path)))
        last: Head = (
            (0, self.genesis)
            if with_header and len(lines) == 1
            else self._parse(lines[-1], None)[:2]
        )  # type: ignore[assignment]
        if frag_start < size:
            last, size = self._repair_fragment(fd, frag_start, size, last, stored)
        if self._heads is not None:
            if stored is None:
                if last[0] != 0:
                    raise IntegrityError(
                        f"no chain head is recorded outside the log for its {last[0]} events: "
                        "verify the log and adopt it before appending",
                        Where(file=str(self.path)),
                    )
                self._heads.set(*last)
            elif last != stored:
                if last[0] <= stored[0]:
                    raise IntegrityError(
                        f"the log ends at event {last[0]} but its chain head is event {stored[0]}: "
                        "it was cut or rewritten (run `bulle audit verify`); nothing appended",
                        Where(file=str(self.path)),
                    )
                self._roll_forward(size, stored, last)
        self._size, self._last = size, last

    def _repair_fragment(
        self, fd: int, frag_start: int, size: int, last: Head, stored: Head | None
    ) -> tuple[Head, int]:
        with open(self.path, "rb") as f:
            f.seek(frag_start)
            frag = f.read(size - frag_start)
        try:
            data, computed = decode_entry(frag)
            whole = computed == data["hash"] and (data["seq"], data["hash"]) == stored
        except FormatError:
            whole = False
        if whole:  # the entry is complete and acknowledged, only its newline is missing
            os.write(fd, b"\n")
            os.fdatasync(fd)
            return (data["seq"], data["hash"]), size + 1
        if stored is not None and stored[0] > last[0]:
            raise IntegrityError(
                f"the last line of the log is damaged and its chain head is event "
                f"{stored[0]}: run `bulle audit verify`",
                Where(file=str(self.path)),
            )
        os.ftruncate(fd, frag_start)  # an interrupted append that was never acknowledged
        os.fdatasync(fd)
        return last, frag_start

    def _roll_forward(self, size: int, stored: Head, last: Head) -> None:
        """Accept entries a crashed writer made durable before it could move the head."""
        assert self._key is not None and self._heads is not None
        n = last[0] - stored[0]
        lines, _, with_header = _tail_lines(self.path, size, n)
        if with_header or len(lines) != n:
            raise IntegrityError(
                "the log is shorter than its chain head says", Where(file=str(self.path))
            )
        public = self._key.public_key()
        prev_seq, prev_hash = stored
        for line in lines:
            seq, h, data = self._parse(line, None)
            ok = (
                seq == prev_seq + 1
                and data["prev"] == prev_hash
                and data["key"] == self._kid
                and verify_signature(public, bytes.fromhex(data["sig"]), signed_message(h))
            )
            if not ok:
                raise IntegrityError(
                    f"event {seq} after the recorded chain head (event {stored[0]}) does not continue "
                    "the chain: run `bulle audit verify`",
                    Where(file=str(self.path)),
                )
            prev_seq, prev_hash = seq, h
        self._heads.set(*last)

    def _parse(self, line: bytes, where_line: int | None) -> tuple[int, str, dict[str, Any]]:
        try:
            data, computed = decode_entry(line)
        except FormatError as exc:
            raise IntegrityError(
                f"unreadable audit log entry: the line {exc}",
                Where(file=str(self.path), line=where_line),
            ) from None
        if computed != data["hash"]:
            raise IntegrityError(
                "an audit log entry does not match its hash: run `bulle audit verify`",
                Where(file=str(self.path), line=where_line),
            )
        return data["seq"], data["hash"], data

    # -- reading ----------------------------------------------------------------------------------------
    def read(self, from_seq: int = 1, to_seq: int | None = None) -> Iterator[Entry]:
        """Entries in file order, without verifying them (use ``verify`` for that).

        An incomplete last line (an append in progress or interrupted) is not returned.
        """
        with open(self.path, "rb") as f:
            f.readline()
            for number, line in enumerate(f, start=1):
                if number < from_seq:
                    continue
                if to_seq is not None and number > to_seq:
                    break
                if not line.endswith(b"\n"):
                    break
                try:
                    data, _ = decode_entry(line[:-1])
                except FormatError as exc:
                    raise IntegrityError(
                        f"unreadable audit log entry: the line {exc}",
                        Where(file=str(self.path), line=number + 1),
                    ) from None
                yield entry_from(data)

    def tail(self, n: int) -> list[Entry]:
        """The last ``n`` complete entries, read from the end of the file."""
        if n <= 0:
            return []
        lines, _, with_header = _tail_lines(self.path, self.path.stat().st_size, n)
        if with_header:
            lines = lines[1:]
        out = []
        for line in lines:
            try:
                data, _ = decode_entry(line)
            except FormatError as exc:
                raise IntegrityError(
                    f"unreadable audit log entry: the line {exc}", Where(file=str(self.path))
                ) from None
            out.append(entry_from(data))
        return out

    # -- verifying --------------------------------------------------------------------------------------
    def verify(
        self,
        keys: Any = None,
        expected_head: Any = _FROM_STORE,
        *,
        quick: bool = False,
        workers: int | None = None,
        expected_workspace_id: str | None = None,
        witnesses: Sequence[str | Path] = (),
        rotations: Path | None = None,
    ) -> VerifyReport:
        """Verify the log against trusted ``keys`` (default: this log's own key) and its head.

        ``expected_head`` defaults to the head store's, and then a missing head is a failure (it
        was deleted); the file and the head are read together under a shared lock, so appends by
        other processes cannot make them disagree. With ``witnesses``, ``keys`` is ignored: the
        keys are the ones the witnesses pinned or saw rotated to (``audit.witness_verify``), and
        ``rotations`` the workspace's rotation records that a witness may have missed.
        """
        required = expected_head is _FROM_STORE and self._heads is not None
        if witnesses:
            from bulle.audit.witness_verify import verify_with_witnesses

            size, head = self._locked_snapshot(expected_head)
            return verify_with_witnesses(
                self.path,
                witnesses,
                expected_head=head,
                quick=quick,
                workers=workers,
                upto=size,
                head_required=required,
                rotations=rotations,
            )
        if keys is None:
            if self._key is None:
                raise InputError("give the public keys to verify this audit log with")
            keys = KeyRing([self._key.public_key()])
        size, head = self._locked_snapshot(expected_head)
        return verify_log(
            self.path,
            keys,
            expected_head=head,
            quick=quick,
            workers=workers,
            expected_workspace_id=expected_workspace_id,
            upto=size,
            head_required=required,
        )

    def _locked_snapshot(self, expected_head: Any) -> tuple[int, Head | None]:
        with self._tlock:
            if self._depth:  # inside our own batch: make it durable first, we hold the lock
                fd = self._writer()
                self._commit(fd)
                return self._snapshot(expected_head)
            try:
                rfd = os.open(self.path, os.O_RDONLY | os.O_CLOEXEC)
            except FileNotFoundError:
                raise IntegrityError(
                    "the audit log is missing: it was deleted", Where(file=str(self.path))
                ) from None
            try:
                fcntl.flock(rfd, fcntl.LOCK_SH)
                return self._snapshot(expected_head)
            finally:
                os.close(rfd)

    def _snapshot(self, expected_head: Any) -> tuple[int, Head | None]:
        size = self.path.stat().st_size
        if expected_head is _FROM_STORE:
            return size, self._heads.get() if self._heads is not None else None
        return size, expected_head

    # -- closing ------------------------------------------------------------------------------------------
    def close(self) -> None:
        with self._tlock:
            if self._depth:
                raise ConflictError("cannot close the audit log inside a batch")
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            self._size = self._last = None

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AuditLog({str(self.path)!r}, workspace={self.workspace_id!r}, key={self._kid!r})"


def _tail_lines(path: Path, size: int, k: int) -> tuple[list[bytes], int, bool]:
    """The last ``k`` complete lines of a file (without newlines), reading from its end.

    Returns the lines, the offset where an incomplete last line starts (``size`` if none), and
    whether the lines begin with the file's first line (the header).
    """
    with open(path, "rb") as f:
        pos, buf, block = size, b"", 1 << 16
        while pos > 0:
            step = min(block, pos)
            pos -= step
            f.seek(pos)
            buf = f.read(step) + buf
            last_nl = buf.rfind(b"\n")
            if last_nl >= 0 and buf.count(b"\n", 0, last_nl) >= k:
                break
            block = min(block * 2, 8 << 20)
    last_nl = buf.rfind(b"\n")
    if last_nl < 0:
        return [], pos, pos == 0
    parts = buf[:last_nl].split(b"\n")
    with_header = pos == 0 and len(parts) <= k
    return parts[-k:], pos + last_nl + 1, with_header
