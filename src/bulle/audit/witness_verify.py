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
from bulle.audit.witness import checkpoints_of
from bulle.audit.witness_format import WITNESS_FILE, Record, WitnessInfo, fingerprint
from bulle.errors import IntegrityError, NotFoundError, Where

_HASH_AT = TAIL_LEN - len(b',"hash":"')  # where the hash starts, counted from the line's end


@dataclass
class WitnessCheck:
    """What one witness says about the log."""

    path: str
    info: WitnessInfo
    records: list[tuple[int, Record]] = field(default_factory=list)  # line, record: trusted ones
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
            last = self.records[-1][1].seq if self.records else 0
            return f"matches witness {self.path} (checkpoints up to event {last})"
        if self.status == "behind":
            assert self.unwitnessed is not None
            a, b = self.unwitnessed
            span = f"event {a}" if a == b else f"events {a} to {b}"
            return (f"witness {self.path} has not seen {span}: they are not vouched for by it "
                    "(it was unreachable or not registered when they were written)")
        return f"witness {self.path}: {self.reason}"

    def to_dict(self) -> dict[str, Any]:
        last = self.records[-1][1] if self.records else None
        return {
            "path": self.path, "status": self.status, "reason": self.reason,
            "message": self.message(), "workspace_id": self.info.workspace_id,
            "pinned": self.info.fingerprint, "pinned_at": self.info.added_at,
            "keys": [fingerprint(k) for k in self.keys], "checkpoints": len(self.records),
            "last": None if last is None else {"seq": last.seq, "hash": last.hash, "at": last.at},
            "unwitnessed": None if self.unwitnessed is None else
            {"first": self.unwitnessed[0], "last": self.unwitnessed[1]},
            "damaged_lines": self.damaged, "rotations_not_yet_witnessed": self.handed_over,
        }


def read_witness(directory: str | Path, rotations: Sequence[Record] = ()) -> WitnessCheck:
    """Read a witness and follow its key chain from the pinned key; stop at a foreign signature.

    ``rotations`` are the workspace's rotation records: a witness that was unreachable during a
    rotation has not received its record yet. One is followed only when it is signed by the last
    key the witness trusts, so it vouches for nothing that key could not sign itself.
    """
    directory = Path(directory)
    if not (directory / WITNESS_FILE).is_file():
        raise NotFoundError("not a Bulle audit witness (no witness.json)", Where(file=str(directory)))
    try:
        info, lines = checkpoints_of(directory)
    except FileNotFoundError as exc:
        raise IntegrityError("the witness has lost its checkpoints file",
                             Where(file=str(exc.filename))) from None
    check = WitnessCheck(path=str(directory), info=info, keys=[info.public_key])
    current = info.public_key
    for number, rec in lines:
        if isinstance(rec, str):
            check.damaged.append(number)  # claims nothing; reported, not trusted
            continue
        if rec.log != info.log:
            check.status, check.reason = "other_log", (
                f"checkpoint line {number} belongs to another audit log")
            break
        if not rec.signed_by(current):
            check.status = "other_key"
            check.reason = (f"checkpoint line {number} (event {rec.seq}) is signed by key "
                            f"{rec.key[:16]}, not by key {fingerprint(current)[:16]} that the "
                            "witness pinned or saw rotated to: the key pair was replaced")
            break
        check.records.append((number, rec))
        if rec.new_key is not None:
            current = rec.new_key
            check.keys.append(current)
    if check.status == "ok":
        known = {fingerprint(k) for k in check.keys}
        for rec in rotations:  # in the order they were made
            if rec.log == info.log and rec.new_key is not None and rec.signed_by(current) \
                    and rec.next_key not in known:
                current = rec.new_key
                check.keys.append(current)
                check.handed_over += 1
                known.add(rec.next_key)
    return check


def verify_with_witnesses(log_path: str | Path, witnesses: Sequence[str | Path], *,
                          expected_head: Head | None = None, head_required: bool = False,
                          quick: bool = False, workers: int | None = None,
                          upto: int | None = None, rotations: Path | None = None) -> VerifyReport:
    """Verify ``log_path`` trusting only the witnesses' keys, then compare it with each witness.

    ``rotations``: the workspace's ``keys/audit-rotations.jsonl``, for witnesses that missed one.
    """
    from bulle.audit.witness import read_rotations

    handed = read_rotations(rotations) if rotations is not None else []
    checks = [read_witness(w, handed) for w in witnesses]
    log_path = Path(log_path)
    if not log_path.exists():
        seen = max((c.records[-1][1].seq for c in checks if c.records), default=0)
        raise IntegrityError(f"the audit log is missing (deleted): its witness recorded {seen} "
                             "events", Where(file=str(log_path)))
    ring = KeyRing(k for c in checks for k in c.keys)
    report = verify_log(log_path, ring, expected_head=expected_head, quick=quick, workers=workers,
                        upto=upto, head_required=head_required)
    if not report.ok and report.reason and "not among the trusted keys" in report.reason:
        report.reason += " (neither pinned by the witness nor vouched for by a rotation it holds)"
    genesis = _genesis(log_path)
    hashes = _hashes_at(log_path, {r.seq for c in checks for _, r in c.records}, report, upto)
    for c in checks:
        _compare(c, genesis, report, hashes)
    report.witnesses = [c.to_dict() for c in checks]
    failed = next((c for c in checks if c.failed), None)
    if report.ok and failed is not None:
        report.ok, report.first_bad = False, failed.first_bad
        report.reason = failed.message()
    return report


def _genesis(path: Path) -> str | None:
    from bulle.audit.verify import _Broken, read_header

    try:
        return read_header(path)[0].genesis
    except _Broken:
        return None


def _hashes_at(path: Path, wanted: set[int], report: VerifyReport, upto: int | None
               ) -> dict[int, str]:
    """The log's entry hash at each wanted number, for numbers the chain check vouched for."""
    n = report.last[0] if report.last is not None else 0
    wanted = {s for s in wanted if 0 < s <= n}
    out: dict[int, str] = {}
    if not wanted:
        return out
    top = max(wanted)
    with open(path, "rb") as f:
        f.readline()
        for seq, line in enumerate(f, start=1):
            if seq > top:
                break
            if seq in wanted:
                line = line.rstrip(b"\n")
                h = line[-_HASH_AT:-_HASH_AT + 64] if len(line) > TAIL_LEN else b""
                out[seq] = h.decode("ascii", "replace") if line[-TAIL_LEN:-_HASH_AT] == \
                    b',"hash":"' else json.loads(line)["hash"]
    return out


def _compare(c: WitnessCheck, genesis: str | None, report: VerifyReport,
             hashes: dict[int, str]) -> None:
    if c.status != "ok":
        return
    if genesis is not None and genesis != c.info.log:
        c.status, c.first_bad = "other_log", 0
        c.reason = ("the log is not the one this witness was added for: its header (workspace id "
                    "and creation time) was replaced")
        return
    if report.last is None:
        c.status, c.reason = "unchecked", "the log is broken before it can be compared"
        return
    n, last_hash = report.last
    hashes = {**hashes, 0: c.info.log, n: last_hash}
    matched = [0]
    for number, rec in c.records:
        if rec.seq > n:
            c.status, c.first_bad = "log_behind", n + 1
            c.reason = (f"the log ends at event {n} but the witness recorded event {rec.seq} at "
                        f"{rec.at} (checkpoint line {number}): the log was cut")
            return
        if hashes.get(rec.seq) != rec.hash:
            lo = max(s for s in matched if s < rec.seq) + 1 if rec.seq else 0
            c.status, c.first_bad = "diverged", lo
            span = f"event {rec.seq}" if lo == rec.seq else f"events {lo} to {rec.seq}"
            c.reason = (f"the log diverges from the witness: event {rec.seq} is not the one it "
                        f"recorded at {rec.at} (checkpoint line {number}): {span} were rewritten")
            return
        matched.append(rec.seq)
    last_seen = max(matched)
    if last_seen < n:
        c.status, c.unwitnessed = "behind", (last_seen + 1, n)
