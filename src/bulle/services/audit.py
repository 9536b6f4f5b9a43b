"""Reading and verifying a workspace's audit log: checked, and recorded in the log itself.

The log says who did what to personal data, so who reads it is decided like any other access
(:func:`bulle.governance.access.can_view_audit_log`: the DPO and custodians, not analysts), and
each reading or verification leaves its own event (``audit.read``: which range, how many events;
``audit.verify``: the verdict). A log handed over as files (``bulle audit verify --log``) is
checked by whoever holds them, without a workspace: that path needs no actor.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

from bulle.audit import events as ev
from bulle.errors import IntegrityError
from bulle.governance import access
from bulle.workspace import Workspace


def workspace_log(ws: Workspace) -> Any:
    from bulle.audit.log import AuditLog

    alog = getattr(ws, "audit_log", None)
    if not isinstance(alog, AuditLog):
        raise IntegrityError("this workspace has no tamper-evident audit log")
    return alog


def select(alog: Any, from_seq: int | None, limit: int, kind: str | None) -> list[Any]:
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


def read_log(ws: Workspace, *, from_seq: int | None = None, limit: int = 50,
             kind: str | None = None) -> list[Any]:
    """Events of the workspace's log, for the DPO or a custodian (``audit.read`` records the range)."""
    access.can_view_audit_log(ws.actor).require()
    alog = workspace_log(ws)
    entries = select(alog, from_seq, limit, kind)
    total = alog.head()[0]
    ws.emit(ev.AuditRead(actor=ws.actor, target="audit", details={
        "first_seq": entries[0].seq if entries else None, "last_seq": entries[-1].seq if entries else None,
        "entries": len(entries), "total": total, "kinds": sorted({str(e.event.get("kind")) for e in entries}),
        "limit": limit or None}))
    return entries


def verify_log(ws: Workspace, *, witnesses: Iterable[str | Path] = (), quick: bool = False,
               workers: int | None = None) -> Any:
    """Verify the workspace's log against its keys, head and ``witnesses``; ``audit.verify`` records
    the verdict. A broken log is reported as it is found (the caller raises): the event is added
    when the log still takes one, after the check, so it never changes what was checked."""
    from bulle.audit.keys import workspace_key_ring
    from bulle.audit.witness import ROTATIONS_FILE

    access.can_view_audit_log(ws.actor).require()
    alog = workspace_log(ws)
    report = alog.verify(workspace_key_ring(ws.keys_dir), quick=quick, workers=workers,
                         witnesses=tuple(witnesses), rotations=ws.keys_dir / ROTATIONS_FILE)
    event = ev.AuditVerified(actor=ws.actor, target="audit", details={
        "ok": report.ok, "mode": report.mode, "entries": report.entries, "first_bad": report.first_bad,
        "head_checked": report.head_checked, "signatures_checked": report.signatures_checked,
        "witnesses": len(report.witnesses), "keys": len(report.keys)})
    if report.ok:
        ws.emit(event)
    else:
        with suppress(IntegrityError):  # a broken log may refuse a new event: the caller raises
            ws.emit(event)
    return report
