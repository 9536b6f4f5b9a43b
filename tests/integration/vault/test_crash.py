"""An import killed with SIGKILL half-way leaves no version behind and the workspace still opens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from bulle.domain.actor import Actor, Role
from bulle.workspace import Workspace


def test_sigkill_during_import(tmp_path):
    ws_dir = tmp_path / "ws"
    actor = Actor("alice", Role.CUSTODIAN)
    Workspace.init(ws_dir, actor).close()
    big = tmp_path / "big.csv"
    with open(big, "w") as f:
        f.write("id;nom;ville\n")
        row = "".join(f"{i};nom{i % 997};ville{i % 101}\n" for i in range(100_000))
        for _ in range(40):  # 4 M rows: long enough to be killed half-way
            f.write(row)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bulle",
            "--workspace",
            str(ws_dir),
            "import",
            str(big),
            "--dataset",
            "big",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    tmp_dir = ws_dir / "data" / ".tmp"
    deadline = time.time() + 60
    while time.time() < deadline and not any(p.suffix == ".parquet" for p in tmp_dir.iterdir()):
        time.sleep(0.02)
    assert proc.poll() is None, "the import finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    ws = Workspace.open(ws_dir, actor)  # recovers
    try:
        assert ws.catalog.versions() == []
        leftovers = [p for p in (ws_dir / "data").rglob("*") if p.is_file()]
        assert leftovers == []
    finally:
        ws.close()
