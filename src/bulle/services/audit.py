"""Audit log use cases: verify, read, hand out the public key, witnesses, key rotation.

Two forms. On files handed over by someone else (``--log FILE --public-key FILE``) nothing is
trusted from a workspace: that is the point of a signed log, and whoever holds the files checks
them, without a workspace or an actor. On a workspace, the log says who did what to personal data,
so who reads it is decided like any other access (:func:`bulle.governance.access.can_view_audit_log`:
the DPO and custodians, not analysts), and each reading or verification leaves its own event
(``audit.read``: which range, how many events; ``audit.verify``: the verdict).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bulle.audit import events as ev
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


def verify_log_file(
    log_path: str | Path,
    *,
    public_keys: tuple[str, ...] = (),
    head: str | None = None,
    witnesses: tuple[str, ...] = (),
    quick: bool = False,
    workers: int | None = None,
) -> VerifyReport:
    """A log file checked against the public keys given, or only the key its witnesses pinned."""
    from bulle.audit.heads import parse_head
    from bulle.audit.keys import KeyRing
    from bulle.audit.verify import verify_log

    expected = parse_head(head) if head else None
    if witnesses:
        from bulle.audit.witness_verify import verify_with_witnesses

        return verify_with_witnesses(
            str(log_path), witnesses, expected_head=expected, quick=quick, workers=workers
        )
    ring = KeyRing.from_files(public_keys)
    return verify_log(str(log_path), ring, expected_head=expected, quick=quick, workers=workers)


def verify_workspace_log(
    ws: Workspace,
    *,
    witnesses: Iterable[str | Path] = (),
    quick: bool = False,
    workers: int | None = None,
) -> VerifyReport:
    """Verify the workspace's log against its keys, head and ``witnesses``, for the DPO or a
    custodian; ``audit.verify`` records the verdict. A broken log is reported as it is found (the
    caller raises): the event is added when the log still takes one, after the check, so it never
    changes what was checked."""
    from bulle.audit.keys import workspace_key_ring
    from bulle.audit.witness import ROTATIONS_FILE

    access.can_view_audit_log(ws.actor).require()
    alog = _workspace_log(ws)
    report = alog.verify(
        workspace_key_ring(ws.keys_dir),
        quick=quick,
        workers=workers,
        witnesses=tuple(witnesses),
        rotations=ws.keys_dir / ROTATIONS_FILE,
    )
    event = ev.AuditVerified(
        actor=ws.actor,
        target="audit",
        details={
            "ok": report.ok,
            "mode": report.mode,
            "entries": report.entries,
            "first_bad": report.first_bad,
            "head_checked": report.head_checked,
            "signatures_checked": report.signatures_checked,
            "witnesses": len(report.witnesses),
            "keys": len(report.keys),
        },
    )
    if report.ok:
        ws.emit(event)
    else:
        with suppress(IntegrityError):  # a broken log may refuse a new event: the caller raises
            ws.emit(event)
    from bulle.services import alerts

    with suppress(IntegrityError):  # the delivery's record, like the verdict, may be refused
        alerts.audit_failed(ws, report)
    return report


def read_log_file(
    log_path: str | Path, *, from_seq: int | None = None, limit: int = 50, kind: str | None = None
) -> AuditEntries:
    """Events of a log file (not verified)."""
    from bulle.audit.log import AuditLog

    entries = _select(AuditLog.open(str(log_path)), from_seq, limit, kind)
    return AuditEntries(str(log_path), len(entries), [e.to_dict() for e in entries])


def read_workspace_log(
    ws: Workspace, *, from_seq: int | None = None, limit: int = 50, kind: str | None = None
) -> AuditEntries:
    """Events of the workspace's log (not verified), for the DPO or a custodian; ``audit.read``
    records the range read."""
    access.can_view_audit_log(ws.actor).require()
    alog = _workspace_log(ws)
    entries = _select(alog, from_seq, limit, kind)
    total = alog.head()[0]
    ws.emit(
        ev.AuditRead(
            actor=ws.actor,
            target="audit",
            details={
                "first_seq": entries[0].seq if entries else None,
                "last_seq": entries[-1].seq if entries else None,
                "entries": len(entries),
                "total": total,
                "kinds": sorted({str(e.event.get("kind")) for e in entries}),
                "limit": limit or None,
            },
        )
    )
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
    """The events shown: from ``from_seq`` on, or the most recent ones; ``limit`` 0 is no limit."""
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
