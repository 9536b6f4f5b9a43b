"""A backup killed with SIGKILL half-way leaves no backup, and what it left is cleaned up."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from bulle.domain.actor import Actor, Role
from bulle.services.backup import backup_workspace
from bulle.services.vault import import_table
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)


@pytest.mark.slow
def test_sigkill_during_backup(tmp_path):
    root = tmp_path / "ws"
    big = tmp_path / "big.csv"
    with open(big, "w") as f:
        f.write("id;ville;montant\n")
        f.writelines(f"{i};ville{i % 101};{i * 7 % 1000}\n" for i in range(400_000))
    with Workspace.init(root, ALICE) as ws:
        import_table(ws, big, "big")
        import_table(ws, big, "big")
    dest = tmp_path / "backup"
    # Stopped (SIGSTOP) the moment its pinned links appear, so the pins are looked at while the
    # backup holds them, then killed: a backup that got past its copy before it was stopped is
    # thrown away and started again (the copy of two small versions takes milliseconds).
    for _ in range(10):
        proc, tmp, pins = _stopped_while_pinning(root, dest)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        if pins:
            break
        shutil.rmtree(dest, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    assert not dest.exists()  # never a half-written backup under its name
    assert pins  # killed while copying: its pinned links are still there
    with Workspace.open(root, ALICE) as ws:  # recovery removes the dead backup's pinned links
        assert not any(p.exists() for p in pins)
        done = backup_workspace(ws, dest)  # and the next backup removes its temporary folder
    assert not tmp.exists()
    assert done.versions == 2


def _stopped_while_pinning(root, dest):
    """Start `bulle backup`, stop it as soon as its pinned links exist; (process, its temporary
    folder, the pins seen while it was stopped)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bulle", "-w", str(root), "backup", str(dest)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "BULLE_USER": "alice"},
    )
    tmp = dest.with_name(f"backup.tmp-{proc.pid}")
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if _pins(root):
            os.kill(proc.pid, signal.SIGSTOP)
            break
        time.sleep(0.001)
    assert proc.poll() is None, "the backup finished before it could be stopped"
    return proc, tmp, _pins(root)


def _pins(root):
    return [p for p in (root / "data" / ".tmp").iterdir() if "-backup-" in p.name]
