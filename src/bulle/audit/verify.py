"""Verification of an audit log: finds and names the first bad event.

Every check asks one question about one position ``p`` (1-based; 0 names the header): is the
line at ``p`` an intact entry (well formed, its hash matches its content, signed by a trusted key)
and is it event ``p``, following event ``p-1``? The first position where the answer is no is
reported, so an edit names the edited event, a deletion the first missing number, an insertion or
a reordering the first misplaced one, and a cut tail (found against the head kept outside the log)
the first event cut off.

Ed25519 verification dominates the cost (about 150 µs per entry on one core; parsing and hashing
are about 10 µs), so a large log is cut into byte ranges checked by worker processes, and the
ranges are stitched back together here. ``quick`` mode checks every hash and link but only the
last signature of each run of one key: the hash chain carries that signature's authority back to
the start of the run, so any change of content is still found (and located exactly, by checking
every signature of a range whose final signature fails); what quick mode cannot see is a garbled
signature on an entry whose content is intact.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bulle.audit.format import FormatError, Header, decode_entry, decode_header, signed_message
from bulle.audit.heads import Head
from bulle.audit.keys import KeyRing
from bulle.errors import IntegrityError, NotFoundError, Where

MAX_HEADER_BYTES = 64 * 1024
INLINE_CHUNK_BYTES = 4 << 20
PARALLEL_MIN_BYTES = (
    8 << 20
)  # below ~25,000 entries starting worker processes costs more than it saves


@dataclass
class VerifyReport:
    """What verification found. ``first_bad`` is an event number (0: the header), or None."""

    ok: bool
    path: str
    entries: int
    first_bad: int | None = None
    reason: str | None = None
    workspace_id: str | None = None
    last: Head | None = None
    expected_head: Head | None = None
    head_checked: bool = False
    mode: str = "full"
    signatures_checked: int = 0
    keys: list[dict[str, Any]] = field(default_factory=list)
    witnesses: list[dict[str, Any]] = field(default_factory=list)

    @property
    def line(self) -> int | None:
        """Line of the file holding the first bad event (the header is line 1)."""
        return None if self.first_bad is None else self.first_bad + 1

    def message(self) -> str:
        if self.ok:
            if self.head_checked:
                head = "checked against the recorded chain head"
            elif self.witnesses:
                head = "no chain head given"
            else:
                head = "NOT checked against a chain head kept outside the log: a cut tail would go unseen"
            events = "1 event" if self.entries == 1 else f"{self.entries} events"
            text = f"audit log intact: {events}, {head}"
            for w in self.witnesses:
                text += f"; {w['message']}"
            return text
        if self.first_bad is None:
            return f"audit log not verified: {self.reason}"
        where = "the header" if self.first_bad == 0 else f"event {self.first_bad}"
        return f"audit log broken at {where}: {self.reason}"

    def raise_if_broken(self) -> None:
        if not self.ok:
            raise IntegrityError(self.message(), Where(file=self.path, line=self.line))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "path": self.path,
            "entries": self.entries,
            "first_bad": self.first_bad,
            "reason": self.reason,
            "workspace_id": self.workspace_id,
            "last": None if self.last is None else {"seq": self.last[0], "hash": self.last[1]},
            "expected_head": None
            if self.expected_head is None
            else {"seq": self.expected_head[0], "hash": self.expected_head[1]},
            "head_checked": self.head_checked,
            "mode": self.mode,
            "signatures_checked": self.signatures_checked,
            "keys": self.keys,
            "witnesses": self.witnesses,
        }


class Broken(Exception):
    def __init__(self, position: int, reason: str) -> None:
        super().__init__(reason)
        self.position = position
        self.reason = reason


def verify_log(
    path: str | Path,
    keys: KeyRing | Iterable[Any] | Any,
    *,
    expected_head: Head | None = None,
    expected_workspace_id: str | None = None,
    quick: bool = False,
    workers: int | None = None,
    parallel_min_bytes: int = PARALLEL_MIN_BYTES,
    chunk_bytes: int | None = None,
    upto: int | None = None,
    head_required: bool = False,
) -> VerifyReport:
    """Check the log at ``path`` against trusted ``keys`` and, if given, the external head.

    ``upto`` limits the check to the file's first bytes: the size seen together with the head,
    so that entries appended meanwhile by another process are not taken for tampering.
    ``head_required``: the log is known to have a head kept outside it (a workspace's), so a
    missing one means it was deleted, and the log is not intact.
    """
    path = Path(path)
    ring = KeyRing.of(keys)
    report = VerifyReport(
        ok=False,
        path=str(path),
        entries=0,
        expected_head=expected_head,
        head_checked=expected_head is not None,
        mode="quick" if quick else "full",
    )
    try:
        size = path.stat().st_size if upto is None else upto
    except FileNotFoundError:
        raise NotFoundError("audit log not found", Where(file=str(path))) from None
    try:
        header, header_end = read_header(path)
    except Broken as b:
        report.first_bad, report.reason = b.position, b.reason
        return report
    report.workspace_id = header.workspace_id
    try:
        if expected_workspace_id is not None and header.workspace_id != expected_workspace_id:
            raise Broken(
                0,
                f"the log belongs to workspace {header.workspace_id!r}, "
                f"not {expected_workspace_id!r}",
            )
        results = _check_ranges(
            path, header_end, size, ring, quick, workers, parallel_min_bytes, chunk_bytes
        )
        _stitch(results, header, report)
        if expected_head is not None:
            _check_head(report, expected_head)
    except Broken as b:
        report.first_bad, report.reason = b.position, b.reason
        return report
    if expected_head is None and head_required:
        report.reason = (
            "no chain head is recorded outside the log (it was deleted): a cut or "
            "rewritten tail cannot be ruled out"
        )
        return report
    report.ok = True
    return report


def read_header(path: Path) -> tuple[Header, int]:
    with open(path, "rb") as f:
        first = f.readline(MAX_HEADER_BYTES)
    if not first:
        raise Broken(0, "the file is empty: the header line is missing")
    if not first.endswith(b"\n"):
        raise Broken(0, "the header line is incomplete")
    try:
        return decode_header(first[:-1]), len(first)
    except FormatError as exc:
        raise Broken(0, str(exc)) from None


def _check_ranges(
    path: Path,
    start: int,
    size: int,
    ring: KeyRing,
    quick: bool,
    workers: int | None,
    parallel_min_bytes: int,
    chunk_bytes: int | None,
) -> list[dict[str, Any]]:
    body = size - start
    workers = workers or _cpu_count()
    raw = ring.raw()
    if workers <= 1 or not _can_spawn() or body < max(parallel_min_bytes, 1):
        step = chunk_bytes or INLINE_CHUNK_BYTES
        bounds = _bounds(start, size, step)
        return [check_range(str(path), a, b, size, raw, quick) for a, b in bounds]
    step = chunk_bytes or max(1 << 20, body // (workers * 8) + 1)
    bounds = _bounds(start, size, step)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: the calling process may run DuckDB threads, which must not be forked
    with ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("spawn")
    ) as ex:
        futures = [ex.submit(check_range, str(path), a, b, size, raw, quick) for a, b in bounds]
        return [f.result() for f in futures]


def _bounds(start: int, size: int, step: int) -> list[tuple[int, int]]:
    out = []
    a = start
    while a < size:
        out.append((a, min(size, a + step)))
        a += step
    return out


def _can_spawn() -> bool:
    """Spawned workers re-import the main script: impossible when it came from stdin or ``-c``."""
    main_file = getattr(sys.modules.get("__main__"), "__file__", None)
    return main_file is None or os.path.exists(main_file)


def _cpu_count() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


# -- one byte range (runs in a worker process) ------------------------------------------------------

_KEY_CACHE: dict[bytes, Any] = {}


def _public(raw: bytes) -> Any:
    key = _KEY_CACHE.get(raw)
    if key is None:
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        key = _KEY_CACHE[raw] = Ed25519PublicKey.from_public_bytes(raw)
    return key


def _line_start_at_or_after(f: Any, pos: int, size: int) -> int:
    """The first line start at or after ``pos`` (``pos`` > 0 lies past the header)."""
    if pos >= size:
        return size
    f.seek(pos - 1)
    while True:
        block = f.read(1 << 16)
        if not block:
            return size
        i = block.find(b"\n")
        if i >= 0:
            return f.tell() - len(block) + i + 1


def check_range(
    path: str, start: int, end: int, size: int, raw_keys: dict[str, bytes], quick: bool
) -> dict[str, Any]:
    """Check the lines that begin in [start, end) on their own; the caller links the ranges.

    Returns the number of lines, the first line's (seq, prev), the last hash, the runs of
    signing keys, and the first local problem as (index, kind, detail).
    """
    from cryptography.exceptions import InvalidSignature

    with open(path, "rb") as f:
        a = _line_start_at_or_after(f, start, size)
        b = _line_start_at_or_after(f, end, size) if end < size else size
        f.seek(a)
        data = f.read(b - a) if b > a else b""
    lines = data.split(b"\n") if data else []
    partial = bool(data) and not data.endswith(b"\n")  # only at the end of the file
    if data and not partial:
        lines.pop()
    result: dict[str, Any] = {
        "count": len(lines),
        "first": None,
        "last_hash": None,
        "runs": [],
        "bad": None,
        "signatures": 0,
    }
    parsed: list[tuple[int, str, str, str]] = []  # seq, hash, key id, sig
    bad: tuple[int, str, Any] | None = None
    prev_seq, prev_hash = None, None
    for i, line in enumerate(lines):
        if not line:
            bad = (i, "format", "the line is empty")
            break
        try:
            entry, computed = decode_entry(line)
        except FormatError as exc:
            cut = partial and i == len(lines) - 1
            bad = (
                i,
                "format",
                f"the line {exc}"
                + (" (the last line is incomplete: an interrupted write or a cut)" if cut else ""),
            )
            break
        if computed != entry["hash"]:
            bad = (i, "hash", "its content no longer matches its hash (the entry was modified)")
            break
        kid = entry["key"]
        if kid not in raw_keys:
            bad = (i, "key", f"it is signed by key {kid}, which is not among the trusted keys")
            break
        seq = entry["seq"]
        if prev_seq is None:
            result["first"] = (seq, entry["prev"])
        else:
            if seq != prev_seq + 1:
                bad = (i, "seq", seq)
                break
            if entry["prev"] != prev_hash:
                bad = (i, "prev", None)
                break
        parsed.append((seq, entry["hash"], kid, entry["sig"]))
        prev_seq, prev_hash = seq, entry["hash"]

    def sig_ok(j: int) -> bool:
        _, h, kid, sig = parsed[j]
        result["signatures"] += 1
        try:
            _public(raw_keys[kid]).verify(bytes.fromhex(sig), signed_message(h))
        except InvalidSignature:
            return False
        return True

    n = len(parsed)
    if quick:
        ends = [j for j in range(n) if j == n - 1 or parsed[j + 1][2] != parsed[j][2]]
        failed = next((j for j in ends if not sig_ok(j)), None)
        if failed is not None:  # locate the first bad signature of the range exactly
            first = next(j for j in range(failed + 1) if j == failed or not sig_ok(j))
            bad = (first, "sig", None)
            n = first
    else:
        first = next((j for j in range(n) if not sig_ok(j)), None)
        if first is not None:
            bad = (first, "sig", None)
            n = first
    runs: list[list[Any]] = []
    for j in range(n):
        kid = parsed[j][2]
        if runs and runs[-1][0] == kid:
            runs[-1][2] = j
        else:
            runs.append([kid, j, j])
    result["runs"] = runs
    result["bad"] = bad
    if n:
        result["last_hash"] = parsed[n - 1][1]
    return result


# -- stitching the ranges -----------------------------------------------------------------------


def _stitch(results: list[dict[str, Any]], header: Header, report: VerifyReport) -> None:
    base = 0
    prev_hash = header.genesis
    current: str | None = None
    retired: set[str] = set()
    report.entries = sum(r["count"] for r in results)
    for r in results:
        report.signatures_checked += r["signatures"]
    for r in results:
        if r["count"] == 0:
            continue
        bad = r["bad"]
        if bad is not None and bad[0] == 0:
            raise Broken(base + 1, _reason(base + 1, bad))
        seq, prev = r["first"]
        p = base + 1
        if seq != p:
            raise Broken(p, _reason(p, (0, "seq", seq)))
        if prev != prev_hash:
            if p == 1:
                raise Broken(0, "the header was altered: event 1 no longer follows from it")
            raise Broken(p, _reason(p, (0, "prev", None)))
        for kid, a, b in r["runs"]:
            if kid != current:
                if kid in retired:
                    raise Broken(
                        base + a + 1,
                        f"it is signed by key {kid} again after that key was superseded",
                    )
                if current is not None:
                    retired.add(current)
                current = kid
                report.keys.append({"key": kid, "first": base + a + 1, "last": base + b + 1})
            else:
                report.keys[-1]["last"] = base + b + 1
        if bad is not None:
            raise Broken(base + bad[0] + 1, _reason(base + bad[0] + 1, bad))
        prev_hash = r["last_hash"]
        base += r["count"]
    report.last = (base, prev_hash)


def _reason(p: int, bad: tuple[int, str, Any]) -> str:
    _, kind, detail = bad
    if kind == "seq":
        if detail > p:
            return f"event {p} is missing: event {detail} stands in its place (deleted or reordered events)"
        return f"event {detail} appears where event {p} belongs (inserted, replayed or reordered events)"
    if kind == "prev":
        return f"it does not follow event {p - 1} (its previous-hash link is broken: inserted, deleted or reordered events)"
    if kind == "sig":
        return "its signature is not valid for its hash and key"
    return str(detail)


def _check_head(report: VerifyReport, head: Head) -> None:
    n, last_hash = report.last or (0, "")
    hs, hh = head
    if hs > n:
        cut = f"event {n + 1}" if hs == n + 1 else f"events {n + 1} to {hs}"
        raise Broken(
            n + 1,
            f"the log ends at event {n} but the chain head kept outside the log "
            f"is event {hs}: {cut} were cut off",
        )
    if hs < n:
        raise Broken(
            hs + 1,
            f"the log goes on after the chain head kept outside the log "
            f"(event {hs}): events {hs + 1} to {n} were added behind its back",
        )
    if hh != last_hash and n == 0:
        raise Broken(0, "the header does not match the chain head kept outside the log")
    if hh != last_hash:
        raise Broken(n, f"event {n} is not the one recorded as the chain head outside the log")
