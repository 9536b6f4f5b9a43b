"""Online backup of a live workspace: time, how long writers wait, next to an offline `cp -a`.

A workspace holds ARX's adult imported ``--versions`` times. A writer process imports a small
table in a loop (its per-import latency noted) while `bulle backup` runs, then the backup is
restored. Printed side by side, in the same run: the backup's wall time and the time it held the
workspace lock (what a writer can wait for), the writer's commits and slowest import during the
backup next to its slowest before it, the restore's wall time, and the reference: `cp -a` of the
same folder, which is only a consistent copy when nothing writes (the service stopped).

    python benchmarks/backup_bench.py [--versions 10] [--rows N] [--scratch DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "data" / "arx" / "adult.csv"

WRITER = r"""
import sys, time
from pathlib import Path
from bulle.domain.actor import Actor, Role
from bulle.services.vault import import_table
from bulle.store import Store
root, csv, out, stop = sys.argv[1:5]
actor = Actor("writer", Role.CUSTODIAN)
store = Store.open(root, recover=True, actor=actor)
with open(out, "a") as f:
    while not Path(stop).exists():
        t0 = time.time()
        import_table(store.session(actor), Path(csv), "w")
        f.write(f"{t0} {time.time() - t0}\n")
        f.flush()
store.close()
"""


def replicate(src: Path, dest: Path, rows: int) -> None:
    lines = [ln for ln in src.read_bytes().replace(b"\r\n", b"\n").split(b"\n") if ln]
    header, body = lines[0], lines[1:]
    with open(dest, "wb") as f:
        f.write(header + b"\n")
        for i in range(rows):
            f.write(body[i % len(body)] + b"\n")


def latencies(path: Path, start: float, end: float) -> list[float]:
    rows = [tuple(map(float, ln.split())) for ln in path.read_text().splitlines() if ln]
    return [d for t0, d in rows if start <= t0 + d and t0 <= end]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--versions", type=int, default=10)
    ap.add_argument("--rows", type=int, default=0, help="adult replicated to N rows (0: as is)")
    ap.add_argument("--scratch", type=Path, default=None)
    args = ap.parse_args()
    os.environ.setdefault("BULLE_CUSTODIAN_PASSPHRASE", "benchmark passphrase, not a secret")
    from bulle.domain.actor import Actor, Role
    from bulle.services.backup import backup_workspace, restore_workspace
    from bulle.services.vault import import_table
    from bulle.workspace import Workspace

    scratch = Path(tempfile.mkdtemp(dir=args.scratch))
    try:
        alice = Actor("alice", Role.CUSTODIAN)
        root = scratch / "ws"
        source = ADULT
        if args.rows:
            source = scratch / "adult.csv"
            replicate(ADULT, source, args.rows)
        with Workspace.init(root, alice) as ws:
            for _ in range(args.versions):
                import_table(ws, source, "adult")
        small = scratch / "small.csv"
        small.write_text("code;ville\n" + "".join(f"{i};v{i % 7}\n" for i in range(100)))
        size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())

        t0 = time.perf_counter()
        subprocess.run(["cp", "-a", str(root), str(scratch / "cp")], check=True)
        cp_s = time.perf_counter() - t0

        log, stop = scratch / "writer.log", scratch / "stop"
        script = scratch / "writer.py"
        script.write_text(WRITER)
        writer = subprocess.Popen(
            [sys.executable, str(script), str(root), str(small), str(log), str(stop)]
        )
        while not log.exists() or len(log.read_text().splitlines()) < 3:
            time.sleep(0.05)
        quiet_from = time.time()
        time.sleep(3)
        b0 = time.time()
        with Workspace.open(root, alice) as ws:
            done = backup_workspace(ws, scratch / "backup")
        b1 = time.time()
        time.sleep(1)
        stop.touch()
        writer.wait()
        before = latencies(log, quiet_from, b0)
        during = latencies(log, b0, b1)

        t0 = time.perf_counter()
        restored = restore_workspace(scratch / "backup", scratch / "restored", alice)
        restore_s = time.perf_counter() - t0

        rows = args.rows or "30162"
        print(f"workspace: {args.versions} versions of adult ({rows} rows), {size / 1e6:.1f} MB")
        print(f"{'':34}{'bulle backup (live)':>22}{'cp -a (offline)':>18}")
        print(f"{'wall time (s)':34}{b1 - b0:>22.3f}{cp_s:>18.3f}")
        print(f"{'workspace lock held (s)':34}{done.lock_held_s:>22.3f}{'all (stopped)':>18}")
        print(f"{'writer imports during the copy':34}{len(during):>22}{'0':>18}")
        print(f"{'writer slowest import before (s)':34}{max(before, default=0):>22.3f}")
        print(f"{'writer slowest import during (s)':34}{max(during, default=0):>22.3f}")
        print(
            f"backup: {done.files} files, {done.bytes / 1e6:.1f} MB, audit head {done.audit_head_seq}"
        )
        print(f"restore: {restore_s:.3f} s, {restored.versions} versions, chain verified")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
