"""The audit log's on-disk format, version 1 (described for humans in docs/audit-log.md).

Everything that decides which bytes are hashed and signed lives here, so that the writer, the
verifier and any third-party reimplementation agree on one definition. Changing anything in this
module changes the format: bump ``FORMAT_VERSION`` and keep reading version 1.

A log is a UTF-8 JSON Lines file. Line 1 is the header; every further line is one entry::

    {"created_at":"...","format":"bulle.audit-log","version":1,"workspace_id":"...","genesis":"<hex>"}
    {"event":{...},"key":"<key id>","prev":"<hex>","seq":1,"hash":"<hex>","sig":"<hex>"}

An entry's *body* is the canonical JSON of its first four fields (sorted keys, no spaces, UTF-8);
``hash`` is SHA-256 of the body and ``sig`` the Ed25519 signature of ``SIG_CONTEXT + hash``.
The writer emits the body bytes verbatim followed by ``hash`` and ``sig``, so a verifier can cut
the body out of the line (a fixed-length tail) instead of re-encoding it.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from bulle.errors import InputError, Where

FORMAT_NAME = "bulle.audit-log"
FORMAT_VERSION = 1
SIG_CONTEXT = (
    b"bulle.audit-log.v1\x00"  # domain separation: these signatures mean nothing elsewhere
)
MAX_EVENT_BYTES = 64 * 1024  # an event is names, counts and hashes; more smells of row values
BODY_FIELDS = ("event", "key", "prev", "seq")
ENTRY_FIELDS = frozenset((*BODY_FIELDS, "hash", "sig"))
HEADER_FIELDS = frozenset(("created_at", "format", "version", "workspace_id", "genesis"))

_HASH_HEX = 64
_SIG_HEX = 128
_TAIL_OPEN = b',"hash":"'
_TAIL_MID = b'","sig":"'
_TAIL_CLOSE = b'"}'
TAIL_LEN = len(_TAIL_OPEN) + _HASH_HEX + len(_TAIL_MID) + _SIG_HEX + len(_TAIL_CLOSE)
_HEX64 = re.compile(r"[0-9a-f]{64}\Z")
_HEX128 = re.compile(r"[0-9a-f]{128}\Z")
_HEX256 = re.compile(r"[0-9a-f]{256}\Z")


_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(value: Any) -> bytes:
    """The one encoding that is hashed: sorted keys, no spaces, UTF-8, no NaN or infinities."""
    return _CANONICAL.encode(value).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def signed_message(entry_hash: str) -> bytes:
    return SIG_CONTEXT + bytes.fromhex(entry_hash)


# -- header ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Header:
    workspace_id: str
    created_at: str
    version: int = FORMAT_VERSION

    def body(self) -> dict[str, Any]:
        return {
            "created_at": self.created_at,
            "format": FORMAT_NAME,
            "version": self.version,
            "workspace_id": self.workspace_id,
        }

    @property
    def genesis(self) -> str:
        """The ``prev`` of entry 1: binds the chain to this workspace id and creation time."""
        return sha256_hex(canonical_json(self.body()))

    def encode(self) -> bytes:
        return canonical_json(self.body())[:-1] + b',"genesis":"' + self.genesis.encode() + b'"}\n'


class FormatError(ValueError):
    """A line does not follow the format; the verifier turns it into a numbered finding."""


def decode_header(line: bytes) -> Header:
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise FormatError("the header line is not valid JSON") from None
    if not isinstance(data, dict):
        raise FormatError("the header line is not a JSON object")
    if data.get("format") != FORMAT_NAME:
        raise FormatError(f"not a Bulle audit log (format {data.get('format')!r})")
    if data.get("version") != FORMAT_VERSION:
        raise FormatError(
            f"unsupported audit log format version {data.get('version')!r}: "
            f"this Bulle reads version {FORMAT_VERSION}"
        )
    if set(data) != HEADER_FIELDS:
        raise FormatError(f"the header has fields {sorted(data)}, expected {sorted(HEADER_FIELDS)}")
    if not isinstance(data["workspace_id"], str) or not isinstance(data["created_at"], str):
        raise FormatError("the header's workspace_id and created_at must be strings")
    header = Header(workspace_id=data["workspace_id"], created_at=data["created_at"])
    if data["genesis"] != header.genesis:
        raise FormatError("the header's genesis does not match its content (header altered)")
    return header


# -- entries --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One entry of the log. ``key_id`` names the key that signed it (see bulle.audit.keys)."""

    seq: int
    event: dict[str, Any]
    prev: str
    hash: str
    key_id: str
    sig: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "event": self.event,
            "prev": self.prev,
            "key": self.key_id,
            "hash": self.hash,
            "sig": self.sig,
        }


def encode_body(seq: int, event: dict[str, Any], prev: str, key_id: str) -> bytes:
    """Canonical body bytes of an entry; refuses events that are not plain, small JSON."""
    if not isinstance(event, dict):
        raise InputError(f"an audit event must be a JSON object, not {type(event).__name__}")
    if not isinstance(event.get("kind"), str) or not event["kind"]:
        raise InputError("an audit event needs a non-empty string 'kind'", Where(field="kind"))
    try:
        body = canonical_json({"event": event, "key": key_id, "prev": prev, "seq": seq})
    except UnicodeEncodeError:  # a lone surrogate: no UTF-8 encoding exists
        raise InputError(
            f"audit event {event['kind']!r} holds a string that is not valid Unicode",
            Where(field="details"),
        ) from None
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"audit event {event['kind']!r} is not plain JSON: {exc}", Where(field="details")
        ) from None
    if len(body) > MAX_EVENT_BYTES:
        raise InputError(
            f"audit event {event['kind']!r} is {len(body)} bytes, above the {MAX_EVENT_BYTES}-byte "
            "limit: events hold names, counts and hashes, never row values",
            Where(field="details"),
        )
    return body


def encode_line(body: bytes, entry_hash: str, sig: bytes) -> bytes:
    return (
        body[:-1]
        + _TAIL_OPEN
        + entry_hash.encode()
        + _TAIL_MID
        + sig.hex().encode()
        + _TAIL_CLOSE
        + b"\n"
    )


def decode_entry(line: bytes) -> tuple[dict[str, Any], str]:
    """Parse one entry line (without its newline) and return it with its recomputed hash.

    The fast path hashes the body bytes cut from the line, which equal the canonical encoding
    whenever Bulle wrote the line; a line re-encoded by some other tool (same content, other
    bytes) falls back to re-encoding, so the hash is always the hash of the canonical body.
    """
    try:
        data = json.loads(line.decode("utf-8"))  # str: skips json's encoding detection
    except (ValueError, UnicodeDecodeError):
        raise FormatError("not valid JSON") from None
    if type(data) is not dict:
        raise FormatError("not a JSON object")
    if data.keys() != ENTRY_FIELDS:
        raise FormatError(f"has fields {sorted(data)}, expected {sorted(ENTRY_FIELDS)}")
    seq, h, sig, prev = data["seq"], data["hash"], data["sig"], data["prev"]
    if type(seq) is not int or seq < 1:
        raise FormatError("its seq is not a positive integer")
    if not (
        type(h) is str
        and type(prev) is str
        and type(sig) is str
        and len(h) == 64
        and len(prev) == 64
        and _HEX256.match(h + prev + sig)
    ):  # one regex for the three: verification is hot
        for name, value, pattern, n in (
            ("hash", h, _HEX64, 64),
            ("prev", prev, _HEX64, 64),
            ("sig", sig, _HEX128, 128),
        ):
            if not (isinstance(value, str) and pattern.match(value)):
                raise FormatError(f"its {name} is not {n} lowercase hex digits")
    if type(data["key"]) is not str or type(data["event"]) is not dict:
        raise FormatError("its key must be a string and its event an object")
    if len(line) > TAIL_LEN and line[-TAIL_LEN : -TAIL_LEN + len(_TAIL_OPEN)] == _TAIL_OPEN:
        computed = sha256_hex(line[:-TAIL_LEN] + b"}")
        if computed == h:
            return data, computed
    try:
        computed = sha256_hex(canonical_json({k: data[k] for k in BODY_FIELDS}))
    except (TypeError, ValueError, UnicodeEncodeError):
        raise FormatError("its body cannot be encoded canonically") from None
    return data, computed


def entry_from(data: dict[str, Any]) -> Entry:
    return Entry(
        seq=data["seq"],
        event=data["event"],
        prev=data["prev"],
        hash=data["hash"],
        key_id=data["key"],
        sig=data["sig"],
    )
