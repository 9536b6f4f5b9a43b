"""Audit log throughput: append and verify rates (events/s) over 1,000,000 events.

    .venv/bin/python benchmarks/audit_bench.py [--events 1000000] [--batch 1000] [--workers N]
    .venv/bin/python benchmarks/audit_bench.py --witnesses-only [--single 2000]

The witness figures: what writing a signed checkpoint to each witness costs per append batch (one
read of the witness's tail, one signature, one write and one fsync per witness), with zero, one
and two witnesses on the same disk, and what verifying against a witness costs (one more
signature per checkpoint).

How appends are made durable: each batch (``append_many``) is written with one ``write`` on a file
opened O_APPEND under an exclusive ``flock``, then ``fdatasync``-ed once, and only then is the
chain head (kept outside the log, here a JSON file replaced atomically with its own fsync) moved.
A single ``append`` is a batch of one. The reference figures are the bare Ed25519 sign and verify
rates of this machine (OpenSSL through the ``cryptography`` package): signing every entry bounds
the append rate, and checking every signature bounds the full verify rate.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bulle.audit.heads import FileHeadStore
from bulle.audit.keys import generate_signing_key
from bulle.audit.log import AuditLog
from bulle.audit.verify import verify_log

KINDS = ("dataset.read", "dataset.import", "consent.change", "project.approve", "dataset.export")


def events(start: int, count: int):
    """Realistic events: names, counts and hashes, no row values."""
    for i in range(start, start + count):
        yield {
            "kind": KINDS[i % len(KINDS)],
            "at": f"2026-11-22T10:{(i // 60_000) % 60:02d}:{(i // 1000) % 60:02d}.{i % 1_000_000:06d}+00:00",
            "actor": {"name": f"analyst{i % 37}", "role": "analyst"},
            "target": f"patients@{i % 50}",
            "details": {
                "project": "cohort-2026",
                "rows": (i * 7919) % 100_000,
                "columns": 12,
                "content_hash": "sha256:" + hashlib.sha256(str(i % 97).encode()).hexdigest(),
            },
        }


def bare_crypto(n: int = 20_000) -> tuple[float, float]:
    key = generate_signing_key()
    pub = key.public_key()
    msgs = [hashlib.sha256(str(i).encode()).digest() for i in range(n)]
    t = time.perf_counter()
    sigs = [key.sign(m) for m in msgs]
    sign_rate = n / (time.perf_counter() - t)
    t = time.perf_counter()
    for m, s in zip(msgs, sigs, strict=True):
        pub.verify(s, m)
    return sign_rate, n / (time.perf_counter() - t)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument(
        "--batch", type=int, default=1000, help="events per append_many (one fdatasync each)"
    )
    ap.add_argument(
        "--single", type=int, default=2000, help="events appended one by one (one fdatasync each)"
    )
    ap.add_argument(
        "--single-core-sample",
        type=int,
        default=100_000,
        help="events verified by one process for the per-core figure",
    )
    ap.add_argument(
        "--workers", type=int, default=None, help="verifying processes (default: one per CPU)"
    )
    ap.add_argument(
        "--dir", type=Path, default=None, help="where to write the logs (default: a temp dir)"
    )
    ap.add_argument(
        "--witnesses-only",
        action="store_true",
        help="only measure the cost of writing checkpoints to witnesses",
    )
    args = ap.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="bulle-audit-bench-", dir=args.dir))
    try:
        if args.witnesses_only:
            return witness_cost(args, folder)
        result = run(args, folder)
        result["witnesses"] = witness_cost(args, folder / "witnesses")
        return result
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path) -> dict:
    key = generate_signing_key()
    workers = args.workers or len(os.sched_getaffinity(0))
    print(
        f"audit log benchmark: {args.events:,} events, batches of {args.batch}, "
        f"{workers} verifying process(es), {folder}"
    )
    sign_rate, verify_rate = bare_crypto()
    print(
        f"reference: bare Ed25519 on this machine: sign {sign_rate:,.0f}/s, verify {verify_rate:,.0f}/s per core"
    )

    heads = FileHeadStore(folder / "head.json")
    log = AuditLog.create(folder / "audit.jsonl", key, "bench", heads)
    t = time.perf_counter()
    done = 0
    while done < args.events:
        n = min(args.batch, args.events - done)
        log.append_many(events(done, n))
        done += n
    append_s = time.perf_counter() - t
    size = log.path.stat().st_size
    print(
        f"append (batched, fdatasync per {args.batch}): {args.events / append_s:,.0f} events/s "
        f"({append_s:.1f} s; {size / 1e6:,.0f} MB, {size / args.events:.0f} bytes/event)"
    )

    single = AuditLog.create(
        folder / "single.jsonl", key, "bench-single", FileHeadStore(folder / "single-head.json")
    )
    t = time.perf_counter()
    for e in events(0, args.single):
        single.append(e)
    single_s = time.perf_counter() - t
    print(
        f"append (one by one, fdatasync + head update each): {args.single / single_s:,.0f} events/s "
        f"over {args.single:,} events"
    )

    t = time.perf_counter()
    full = log.verify(key.public_key(), workers=workers)
    full_s = time.perf_counter() - t
    assert full.ok, full.message()
    print(
        f"verify (every signature, {workers} process(es)): {full.entries / full_s:,.0f} events/s ({full_s:.1f} s)"
    )

    t = time.perf_counter()
    quick = log.verify(key.public_key(), workers=workers, quick=True)
    quick_s = time.perf_counter() - t
    assert quick.ok, quick.message()
    print(
        f"verify --quick (every hash and link, last signature of each key run): "
        f"{quick.entries / quick_s:,.0f} events/s ({quick_s:.1f} s)"
    )

    sample = min(args.single_core_sample, args.events)
    upto = _offset_after(log.path, sample)
    t = time.perf_counter()
    one = verify_log(log.path, key.public_key(), workers=1, upto=upto)
    one_s = time.perf_counter() - t
    assert one.ok and one.entries == sample, one.message()
    print(
        f"verify (every signature, 1 process, first {sample:,} events): {sample / one_s:,.0f} events/s"
    )

    result = {
        "events": args.events,
        "batch": args.batch,
        "workers": workers,
        "bytes_per_event": round(size / args.events),
        "append_per_s": round(args.events / append_s),
        "append_single_per_s": round(args.single / single_s),
        "verify_full_per_s": round(full.entries / full_s),
        "verify_quick_per_s": round(quick.entries / quick_s),
        "verify_full_one_process_per_s": round(sample / one_s),
        "bare_sign_per_s": round(sign_rate),
        "bare_verify_per_s": round(verify_rate),
        "durability": f"one write + fdatasync per batch of {args.batch} under flock, then the external head moves",
    }
    print(f"durability: {result['durability']}")
    print(json.dumps(result))
    return result


def _witnessed_log(folder: Path, key, witnesses: int) -> AuditLog:
    """A log whose every durable batch writes a checkpoint to ``witnesses`` witness directories."""
    from bulle.audit.witness import CheckpointWriter, WitnessRegistry
    from bulle.audit.witness_format import CHECKPOINTS_FILE, WITNESS_FILE, WitnessInfo

    folder.mkdir(parents=True)
    log = AuditLog.create(folder / "audit.jsonl", key, "bench", FileHeadStore(folder / "head.json"))
    registry = WitnessRegistry(folder / "witnesses.json")
    entries = []
    for i in range(witnesses):
        w = folder / f"witness-{i}"
        w.mkdir()
        info = WitnessInfo(
            workspace_id="bench",
            log=log.genesis,
            public_key=key.public_key(),
            added_at="2026-12-07T00:00:00+00:00",
        )
        (w / WITNESS_FILE).write_bytes(info.encode())
        (w / CHECKPOINTS_FILE).write_bytes(b"")
        entries.append({"path": str(w), "fingerprint": info.fingerprint, "error": None})
    registry.save(entries)
    log.after_commit = CheckpointWriter(registry, log.genesis, folder / "rotations.jsonl")
    return log


def witness_cost(args: argparse.Namespace, folder: Path) -> dict:
    """Append rates with 0, 1 and 2 witnesses: one by one, and in batches of 100."""
    from bulle.audit.witness_verify import verify_with_witnesses

    key = generate_signing_key()
    n = args.single
    out: dict = {"events": n}
    print(f"witness checkpoints: {n:,} events appended one by one, then in batches of 100")
    for w in (0, 1, 2):
        log = _witnessed_log(folder / f"single-{w}", key, w)
        t = time.perf_counter()
        for e in events(0, n):
            log.append(e)
        single_s = time.perf_counter() - t
        blog = _witnessed_log(folder / f"batch-{w}", key, w)
        t = time.perf_counter()
        for start in range(0, n, 100):
            blog.append_many(events(start, min(100, n - start)))
        batch_s = time.perf_counter() - t
        out[f"single_us_per_batch_{w}"] = round(single_s / n * 1e6)
        out[f"batch100_us_per_batch_{w}"] = round(batch_s / (n / 100) * 1e6)
        print(
            f"  {w} witness(es): one by one {n / single_s:,.0f} events/s "
            f"({single_s / n * 1e6:,.0f} µs per batch of 1); batches of 100 {n / batch_s:,.0f} "
            f"events/s ({batch_s / (n / 100) * 1e3:,.1f} ms per batch)"
        )
        if w:
            t = time.perf_counter()
            report = verify_with_witnesses(
                log.path, [folder / f"single-{w}" / "witness-0"], workers=1
            )
            verify_s = time.perf_counter() - t
            assert report.ok, report.message()
            t = time.perf_counter()
            assert verify_log(log.path, key.public_key(), workers=1).ok
            plain_s = time.perf_counter() - t
            out[f"verify_with_witness_s_{w}"] = round(verify_s, 3)
            print(
                f"    verify against one witness ({n:,} checkpoints): {verify_s:.2f} s, "
                f"without: {plain_s:.2f} s"
            )
    for w in (1, 2):
        out[f"single_extra_us_{w}"] = out[f"single_us_per_batch_{w}"] - out["single_us_per_batch_0"]
    print(json.dumps(out))
    return out


def _offset_after(path: Path, entries: int) -> int:
    """Byte offset just after the header and ``entries`` entry lines."""
    with open(path, "rb") as f:
        for _ in range(entries + 1):
            f.readline()
        return f.tell()


if __name__ == "__main__":  # the guard matters: verification spawns worker processes
    sys.stdout.reconfigure(line_buffering=True)
    main(sys.argv[1:])
