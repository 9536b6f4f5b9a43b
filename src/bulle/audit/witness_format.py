"""The audit witness's file format, version 1 (described for humans in docs/audit-log.md).

A witness is a directory outside the workspace (a mount of another machine, the DPO's copy). It
holds two files:

* ``witness.json``: written once, when the witness is added. It pins the workspace's public
  key at that moment, so a verifier trusts that key and never one the workspace or an export
  carries;
* ``checkpoints.jsonl``: append-only JSON Lines, one signed record per append batch of the log
  (``checkpoint``: the chain head then) and one per key rotation (``rotation``: the old key
  vouches for the new one, so the witness can follow a legitimate rotation and nothing else).

Everything that decides which bytes are signed lives here.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bulle.audit.format import canonical_json
from bulle.audit.keys import raw_public, verify_signature
from bulle.errors import IntegrityError, Where

WITNESS_FORMAT = "bulle.audit-witness"
WITNESS_VERSION = 1
WITNESS_FILE = "witness.json"
CHECKPOINTS_FILE = "checkpoints.jsonl"
SIG_CONTEXT = b"bulle.audit-witness.v1\x00"  # these signatures mean nothing in the log or elsewhere
WITNESS_FIELDS = frozenset(
    ("format", "version", "workspace_id", "log", "public_key", "fingerprint", "added_at")
)
CHECKPOINT_FIELDS = frozenset(("type", "log", "seq", "hash", "at", "key", "sig"))
ROTATION_FIELDS = CHECKPOINT_FIELDS | {"new_key"}

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_HEX128 = re.compile(r"[0-9a-f]{128}\Z")


def fingerprint(public_key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """SHA-256 (hex) of the raw 32-byte public key; its first 16 digits are the log's key id."""
    if isinstance(public_key, Ed25519PrivateKey):
        public_key = public_key.public_key()
    return hashlib.sha256(raw_public(public_key)).hexdigest()


@dataclass(frozen=True)
class WitnessInfo:
    """The content of ``witness.json``."""

    workspace_id: str
    log: str  # the genesis of the log this witness follows
    public_key: Ed25519PublicKey
    added_at: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def encode(self) -> bytes:
        return (
            json.dumps(
                {
                    "format": WITNESS_FORMAT,
                    "version": WITNESS_VERSION,
                    "workspace_id": self.workspace_id,
                    "log": self.log,
                    "public_key": raw_public(self.public_key).hex(),
                    "fingerprint": self.fingerprint,
                    "added_at": self.added_at,
                },
                indent=2,
            ).encode()
            + b"\n"
        )


def decode_witness(data: bytes, where: Where) -> WitnessInfo:
    """Read ``witness.json``; anything unexpected is an integrity failure of the witness."""
    try:
        obj = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise IntegrityError("the witness file is not valid JSON", where) from None
    if not isinstance(obj, dict) or obj.get("format") != WITNESS_FORMAT:
        raise IntegrityError("not a Bulle audit witness file", where)
    if obj.get("version") != WITNESS_VERSION:
        raise IntegrityError(
            f"unsupported audit witness version {obj.get('version')!r}: this Bulle "
            f"reads version {WITNESS_VERSION}",
            where,
        )
    if set(obj) != WITNESS_FIELDS:
        raise IntegrityError(
            f"the witness file has fields {sorted(obj)}, expected {sorted(WITNESS_FIELDS)}", where
        )
    pub, fp, log = obj["public_key"], obj["fingerprint"], obj["log"]
    if not all(isinstance(v, str) and _HEX64.match(v) for v in (pub, fp, log)):
        raise IntegrityError(
            "the witness file's public_key, fingerprint and log must be 64 lowercase hex digits",
            where,
        )
    if not isinstance(obj["workspace_id"], str) or not isinstance(obj["added_at"], str):
        raise IntegrityError("the witness file's workspace_id and added_at must be strings", where)
    key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(pub))
    info = WitnessInfo(
        workspace_id=obj["workspace_id"], log=log, public_key=key, added_at=obj["added_at"]
    )
    if info.fingerprint != fp:
        raise IntegrityError("the witness file's fingerprint does not match its public key", where)
    return info


@dataclass(frozen=True)
class Record:
    """One line of ``checkpoints.jsonl``: a checkpoint, or a rotation vouched for by the old key."""

    type: str  # "checkpoint" or "rotation"
    log: str
    seq: int
    hash: str
    at: str
    key: str  # fingerprint of the signing key
    sig: str
    new_key: Ed25519PublicKey | None = None  # rotation only

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.type,
            "log": self.log,
            "seq": self.seq,
            "hash": self.hash,
            "at": self.at,
            "key": self.key,
        }
        if self.new_key is not None:
            out["new_key"] = raw_public(self.new_key).hex()
        return out

    def encode(self) -> bytes:
        return canonical_json({**self.body(), "sig": self.sig}) + b"\n"

    def signed_by(self, public_key: Ed25519PublicKey) -> bool:
        return self.key == fingerprint(public_key) and verify_signature(
            public_key, bytes.fromhex(self.sig), signed_message(self.body())
        )

    @property
    def next_key(self) -> str:
        """Fingerprint of the key that signs what follows this record."""
        return fingerprint(self.new_key) if self.new_key is not None else self.key


def signed_message(body: dict[str, Any]) -> bytes:
    return SIG_CONTEXT + canonical_json(body)


def make_record(
    signing_key: Ed25519PrivateKey,
    log: str,
    seq: int,
    hash: str,
    at: str,
    new_key: Ed25519PublicKey | None = None,
) -> Record:
    unsigned = Record(
        type="rotation" if new_key is not None else "checkpoint",
        log=log,
        seq=seq,
        hash=hash,
        at=at,
        key=fingerprint(signing_key),
        sig="",
        new_key=new_key,
    )
    sig = signing_key.sign(signed_message(unsigned.body())).hex()
    return replace(unsigned, sig=sig)


class RecordError(ValueError):
    """A line of ``checkpoints.jsonl`` does not follow the format."""


def decode_record(line: bytes) -> Record:
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise RecordError("not valid JSON") from None
    if not isinstance(obj, dict):
        raise RecordError("not a JSON object")
    kind = obj.get("type")
    expected = {"checkpoint": CHECKPOINT_FIELDS, "rotation": ROTATION_FIELDS}.get(kind)
    if expected is None:
        raise RecordError(f"unknown record type {kind!r}")
    if set(obj) != expected:
        raise RecordError(f"has fields {sorted(obj)}, expected {sorted(expected)}")
    seq = obj["seq"]
    if type(seq) is not int or seq < 0:
        raise RecordError("its seq is not a non-negative integer")
    for name in ("log", "hash", "key") + (("new_key",) if kind == "rotation" else ()):
        if not (isinstance(obj[name], str) and _HEX64.match(obj[name])):
            raise RecordError(f"its {name} is not 64 lowercase hex digits")
    if not (isinstance(obj["sig"], str) and _HEX128.match(obj["sig"])):
        raise RecordError("its sig is not 128 lowercase hex digits")
    if not isinstance(obj["at"], str):
        raise RecordError("its at is not a string")
    new_key = (
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(obj["new_key"]))
        if kind == "rotation"
        else None
    )
    return Record(
        type=kind,
        log=obj["log"],
        seq=seq,
        hash=obj["hash"],
        at=obj["at"],
        key=obj["key"],
        sig=obj["sig"],
        new_key=new_key,
    )
