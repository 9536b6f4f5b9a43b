"""Audit log use cases: verify, read, hand out the public key, witnesses, key rotation.

Two forms. On files handed over by someone else (``--log FILE --public-key FILE``) nothing is
trusted from a workspace: that is the point of a signed log. On a workspace, the log is the
workspace's own and its readers are checked by ``governance.access.can_view_audit_log`` (the DPO
and custodians: the log names who read what, which an analyst is not to survey).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.errors import IntegrityError
from bulle.governance import access
from bulle.services.results import Result

if TYPE_CHECKING:
    from bulle.audit.log import AuditLog
    from bulle.audit.verify import VerifyReport
    from bulle.domain.actor import Actor
    from bulle.workspace import Workspace


@dataclass(frozen=True)
class AuditEntries(Result):
    path: str
    count: int
    entries: list[dict[str, Any]]


@dataclass(frozen=True)
class PublicKey(Result):
    key_id: str
    hex: str
    pem: str


@dataclass(frozen=True)
class PublicKeys(Result):
    current: PublicKey
    trusted: list[PublicKey] | None


def verify_log_file(log_path: str | Path, *, public_keys: tuple[str, ...] = (), head: str | None = None,
                    witnesses: tuple[str, ...] = (), quick: bool = False,
                    workers: int | None = None) -> VerifyReport:
    """A log file checked against the public keys given, or only the key its witnesses pinned."""
    from bulle.audit.heads import parse_head
    from bulle.audit.keys import KeyRing
    from bulle.audit.verify import verify_log

    expected = parse_head(head) if head else None
    if witnesses:
        from bulle.audit.witness_verify import verify_with_witnesses

        return verify_with_witnesses(str(log_path), witnesses, expected_head=expected, quick=quick,
                                     workers=workers)
    ring = KeyRing.from_files(public_keys)
    return verify_log(str(log_path), ring, expected_head=expected, quick=quick, workers=workers)


def verify_workspace_log(ws: Workspace, *, witnesses: tuple[str | Path, ...] = (), quick: bool = False,
                         workers: int | None = None) -> VerifyReport:
    """The workspace's log against its own keys and catalog head (and the witnesses given)."""
    from bulle.audit.keys import workspace_key_ring
    from bulle.audit.witness import ROTATIONS_FILE

    access.can_view_audit_log(ws.actor).require()
    ring = workspace_key_ring(ws.keys_dir)
    return _workspace_log(ws).verify(ring, quick=quick, workers=workers, witnesses=witnesses,
                                     rotations=ws.keys_dir / ROTATIONS_FILE)


def read_log_file(log_path: str | Path, *, from_seq: int | None = None, limit: int = 50,
                  kind: str | None = None) -> AuditEntries:
    """Events of a log file (not verified)."""
    from bulle.audit.log import AuditLog

    entries = _select(AuditLog.open(str(log_path)), from_seq, limit, kind)
    return AuditEntries(str(log_path), len(entries), [e.to_dict() for e in entries])


def read_workspace_log(ws: Workspace, *, from_seq: int | None = None, limit: int = 50,
                       kind: str | None = None) -> AuditEntries:
    """Events of the workspace's log (not verified); for the DPO and custodians."""
    access.can_view_audit_log(ws.actor).require()
    alog = _workspace_log(ws)
    entries = _select(alog, from_seq, limit, kind)
    return AuditEntries(str(alog.path), len(entries), [e.to_dict() for e in entries])


def public_keys(keys_dir: str | Path, *, show_all: bool = False) -> PublicKeys:
    """The key that checks the log now, and with ``show_all`` every key it may still name."""
    from bulle.audit.keys import workspace_key_ring, workspace_public_key

    current = workspace_public_key(keys_dir)
    ring = workspace_key_ring(keys_dir)
    return PublicKeys(_key(current), [_key(ring.get(kid)) for kid in ring] if show_all else None)


def add_witness(ws: Workspace, path: str | Path, actor: Actor) -> dict[str, Any]:
    from bulle.audit.witness import add_witness as add

    return add(ws, path, actor)


def witness_status(ws: Workspace) -> list[dict[str, Any]]:
    from bulle.audit.witness import witness_status as status

    return status(ws)


def rotate_audit_key(ws: Workspace, actor: Actor) -> dict[str, Any]:
    from bulle.audit.witness import rotate_audit_key as rotate

    return rotate(ws, actor)


def _workspace_log(ws: Workspace) -> AuditLog:
    from bulle.audit.log import AuditLog

    alog = getattr(ws, "audit_log", None)
    if not isinstance(alog, AuditLog):
        raise IntegrityError("this workspace has no tamper-evident audit log")
    return alog


def _select(alog: AuditLog, from_seq: int | None, limit: int, kind: str | None) -> list[Any]:
    if from_seq is None and kind is None:
        return alog.tail(limit) if limit else list(alog.read())
    matching = (e for e in alog.read(from_seq or 1) if kind is None or e.event.get("kind") == kind)
    if from_seq is None:  # the most recent matching events
        return list(deque(matching, maxlen=limit or None))
    out = []
    for e in matching:
        if limit and len(out) >= limit:
            break
        out.append(e)
    return out


def _key(key: Any) -> PublicKey:
    from bulle.audit.keys import key_id, public_key_hex, public_key_pem

    return PublicKey(key_id(key), public_key_hex(key), public_key_pem(key))
