"""Verification of an audit log against witnesses kept outside the workspace.

The trusted keys come from the witness, never from the workspace or an export: the key pinned in
``witness.json`` when the witness was added, then each key a rotation record signed by the key
trusted so far vouches for. A checkpoint signed by any other key is a failure (a replaced key
pair). Then the log is verified with those keys, and every checkpoint is compared with the log:

* a checkpoint past the log's end: the log is behind its witness (a cut tail, a deleted head);
* a checkpoint whose hash is not the hash of the log's entry at that number: the log diverges
  (an entry rewritten and the rest re-signed, with the workspace's key or another one);
* the log going on past the witness's last checkpoint: the witness is behind (it was unreachable,
  or unregistered). Not a failure of the log, but those events are not vouched for.

Every checkpoint is compared, not only the last: someone who can append to a witness but not
rewrite it cannot make an old checkpoint agree with a rewritten log.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bulle.audit.format import TAIL_LEN
from bulle.audit.heads import Head
from bulle.audit.keys import KeyRing
from bulle.audit.verify import VerifyReport, verify_log
from bulle.audit.witness import iter_checkpoints, read_info
from bulle.audit.witness_format import (
    CHECKPOINTS_FILE,
    WITNESS_FILE,
    Record,
    WitnessInfo,
    fingerprint,
)
from bulle.errors import IntegrityError, NotFoundError, Where

_HASH_AT = TAIL_LEN - len(b',"hash":"')  # where the hash starts, counted from the line's end


@dataclass
class WitnessCheck:
    """What one witness says about the log."""

    path: str
    info: WitnessInfo
    trusted: int = 0  # records signed by the key chain, up to line ``upto_line``
    upto_line: int = 0
    last: Record | None = None
    keys: list[Ed25519PublicKey] = field(default_factory=list)
    damaged: list[int] = field(default_factory=list)
    handed_over: int = 0  # rotations followed from the workspace's records, not yet in the witness
    status: str = "ok"  # ok, behind, log_behind, diverged, other_key, other_log, unchecked
    reason: str | None = None
    first_bad: int | None = None
    unwitnessed: tuple[int, int] | None = None

    @property
    def failed(self) -> bool:
        return self.status not in ("ok", "behind")

    def message(self) -> str:
        if self.status == "ok":
            last = self.last.seq if self.last is not None else 0
            return f"matches witness {self.path} (checkpoints up to event {last})"
        if self.status == "behind":
            assert self.unwitnessed is not None
            a, b = self.unwitnessed
            span = f"event {a}: it is" if a == b else f"events {a} to {b}: they are"
            return (
                f"witness {self.path} has not seen {span} not vouched for by it (it was "
                "unreachable or not registered when written)"
            )
        return f"witness {self.path}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        last = self.last
        return {
            "path": self.path,
            "status": self.status,
            "reason": self.reason,
            "message": self.message(),
            "workspace_id": self.info.workspace_id,
            "pinned": self.info.fingerprint,
            "pinned_at": self.info.added_at,
            "keys": [fingerprint(k) for k in self.keys],
            "checkpoints": self.trusted,
            "last": None if last is None else {"seq": last.seq, "hash": last.hash, "at": last.at},
            "unwitnessed": None
            if self.unwitnessed is None
            else {"first": self.unwitnessed[0], "last": self.unwitnessed[1]},
            "damaged_lines": self.damaged,
            "rotations_not_yet_witnessed": self.handed_over,
        }


def read_witness(directory: str | Path, rotations: Sequence[Record] = ()) -> WitnessCheck:
    """Read a witness and follow its key chain from the pinned key; stop at a foreign signature.

    ``rotations`` are the workspace's rotation records: a witness that was unreachable during a
    rotation has not received its record yet. One is followed only when it is signed by the last
    key the witness trusts, so it vouches for nothing that key could not sign itself.
    """
    directory = Path(directory)
    if not (directory / WITNESS_FILE).is_file():
        raise NotFoundError(
            "not a Bulle audit witness (no witness.json)", Where(file=str(directory))
        )
    info = read_info(directory)
    if not (directory / CHECKPOINTS_FILE).is_file():
        raise IntegrityError(
            "the witness has lost its checkpoints file",
            Where(file=str(directory / CHECKPOINTS_FILE)),
        )
    check = WitnessCheck(path=str(directory), info=info, keys=[info.public_key])
    current = info.public_key
    for number, rec in iter_checkpoints(directory):
        if isinstance(rec, str):
            check.damaged.append(number)  # claims nothing; reported, not trusted
            continue
        if rec.log != info.log:
            check.status, check.reason = (
                "other_log",
                (f"checkpoint line {number} belongs to another audit log"),
            )
            break
        if not rec.signed_by(current):
            check.status = "other_key"
            check.reason = (
                f"checkpoint line {number} (event {rec.seq}) is signed by key "
                f"{rec.key[:16]}, not by key {fingerprint(current)[:16]} that the "
                "witness pinned or saw rotated to: the key pair was replaced"
            )
            break
        check.trusted, check.upto_line, check.last = check.trusted + 1, number, rec
        if rec.new_key is not None:
            current = rec.new_key
            check.keys.append(current)
    if check.status == "ok":
        known = {fingerprint(k) for k in check.keys}
        for rec in rotations:  # in the order they were made
            if (
                rec.log == info.log
                and rec.new_key is not None
                and rec.signed_by(current)
                and rec.next_key not in known
            ):
                current = rec.new_key
                check.keys.append(current)
                check.handed_over += 1
                known.add(rec.next_key)
    return check


def verify_with_witnesses(
    log_path: str | Path,
    witnesses: Sequence[str | Path],
    *,
    expected_head: Head | None = None,
    head_required: bool = False,
    quick: bool = False,
    workers: int | None = None,
    upto: int | None = None,
    rotations: Path | None = None,
) -> VerifyReport:
    """Verify ``log_path`` trusting only the witnesses' keys, then compare it with each witness.

    ``rotations``: the workspace's ``keys/audit-rotations.jsonl``, for witnesses that missed one.
    """
    from bulle.audit.witness import read_rotations

    handed = read_rotations(rotations) if rotations is not None else []
    checks = [read_witness(w, handed) for w in witnesses]
    log_path = Path(log_path)
    if not log_path.exists():
        seen = max((c.last.seq for c in checks if c.last is not None), default=0)
        raise IntegrityError(
            f"the audit log is missing (deleted): its witness recorded {seen} events",
            Where(file=str(log_path)),
        )
    ring = KeyRing(k for c in checks for k in c.keys)
    report = verify_log(
        log_path,
        ring,
        expected_head=expected_head,
        quick=quick,
        workers=workers,
        upto=upto,
        head_required=head_required,
    )
    if not report.ok and report.reason and "not among the trusted keys" in report.reason:
        report.reason += " (neither pinned by the witness nor vouched for by a rotation it holds)"
    genesis = _genesis(log_path)
    for c in checks:
        _compare(c, genesis, report, log_path)
    report.witnesses = [c.to_dict() for c in checks]
    failed = next((c for c in checks if c.failed), None)
    if report.ok and failed is not None:
        report.ok, report.first_bad = False, failed.first_bad
        report.reason = failed.message()
    return report


def _genesis(path: Path) -> str | None:
    from bulle.audit.verify import Broken, read_header

    try:
        return read_header(path)[0].genesis
    except Broken:
        return None


class _LogCursor:
    """Reads entry hashes by number from a log whose chain was verified (line ``s`` is event
    ``s``), moving forward as a witness's records do: memory stays constant."""

    def __init__(self, path: Path, genesis: str) -> None:
        self.path, self.genesis = path, genesis
        self._f: Any = None
        self._seq = 0
        self._hash = genesis

    def hash_at(self, seq: int) -> str | None:
        if seq == 0:
            return self.genesis
        if self._f is None or seq < self._seq:  # records out of order: start again
            self.close()
            self._f = open(self.path, "rb")  # noqa: SIM115 - closed by close()
            self._f.readline()
            self._seq = 0
        while self._seq < seq:
            line = self._f.readline()
            if not line.endswith(b"\n"):
                return None
            self._seq += 1
            self._hash = _entry_hash(line[:-1])
        return self._hash

    def close(self) -> None:
        if self._f is not None:
            self._f.close()
            self._f = None


def _entry_hash(line: bytes) -> str:
    if len(line) > TAIL_LEN and line[-TAIL_LEN:-_HASH_AT] == b',"hash":"':
        return line[-_HASH_AT : -_HASH_AT + 64].decode("ascii", "replace")
    return json.loads(line)["hash"]


def _compare(c: WitnessCheck, genesis: str | None, report: VerifyReport, log_path: Path) -> None:
    if c.status != "ok":
        return
    if genesis is not None and genesis != c.info.log:
        c.status, c.first_bad = "other_log", 0
        c.reason = (
            "the log is not the one this witness was added for: its header (workspace id "
            "and creation time) was replaced"
        )
        return
    if report.last is None:
        c.status, c.reason = "unchecked", "the log is broken before it can be compared"
        return
    n = report.last[0]
    cursor = _LogCursor(log_path, c.info.log)
    matched = 0  # the highest event number a record matched
    try:
        for number, rec in iter_checkpoints(Path(c.path)):
            if number > c.upto_line:
                break
            if isinstance(rec, str):
                continue
            if rec.seq > n:
                c.status, c.first_bad = "log_behind", n + 1
                c.reason = (
                    f"the log ends at event {n} but the witness recorded event {rec.seq} "
                    f"at {rec.at} (checkpoint line {number}): the log was cut"
                )
                return
            if cursor.hash_at(rec.seq) != rec.hash:
                lo = min(matched, rec.seq - 1) + 1 if rec.seq else 0
                c.status, c.first_bad = "diverged", lo
                span = f"event {rec.seq}" if lo == rec.seq else f"events {lo} to {rec.seq}"
                c.reason = (
                    f"the log diverges from the witness: event {rec.seq} is not the one it "
                    f"recorded at {rec.at} (checkpoint line {number}): {span} were "
                    "rewritten"
                )
                return
            matched = max(matched, rec.seq)
    finally:
        cursor.close()
    if matched < n:
        c.status, c.unwitnessed = "behind", (matched + 1, n)
