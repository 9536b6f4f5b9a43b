"""What happens between the snapshot and the copy cannot change the backup.

The interleaving is forced: the workspace changes right when the backup starts copying data
files, after it released the workspace lock. An erasure-style rewrite deletes the version's
original file, and new events are appended to the log; the backup must still hold exactly what
its catalog snapshot names (the pinned bytes) and a log that ends at the snapshot's head.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from bulle.domain.actor import Actor, Role
from bulle.exchange import backup as bk
from bulle.services.backup import backup_workspace, restore_workspace
from bulle.services.vault import import_table, read_table
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
PATIENTS = Path(__file__).resolve().parents[3] / "src" / "bulle" / "data" / "patients_fr.csv"


def test_files_rewritten_and_events_appended_after_the_snapshot(tmp_path, monkeypatch):
    root = tmp_path / "ws"
    ws = Workspace.init(root, ALICE)
    try:
        v = import_table(ws, PATIENTS, "base")
        before = read_table(ws, "base@1")
        old_path, old_hash = root / v.path, v.content_hash
        real_copy = bk._copy
        changed = []

        def copy_after_a_change(src: Path, dest: Path, rel: str):
            if rel.startswith("data/") and not changed:
                assert not ws.store._lock_fd, "the copy runs outside the workspace lock"
                tmp = ws.temp_path()
                shutil.copyfile(old_path, tmp)
                ws.rewrite_version(v, tmp, v.row_count, {"reason": "test"})
                read_table(ws, "base@1")  # and a few events after the snapshot's head
                changed.append(rel)
            return real_copy(src, dest, rel)

        monkeypatch.setattr(bk, "_copy", copy_after_a_change)
        done = backup_workspace(ws, tmp_path / "backup")
        assert changed and not old_path.exists()  # the original is gone from the workspace
        head = ws.audit_log.head()[0]
        assert head > done.audit_head_seq + 1  # events appended meanwhile (and the backup's own)
    finally:
        ws.close()
    res = restore_workspace(tmp_path / "backup", tmp_path / "restored", ALICE)
    assert res.carried_events == done.audit_head_seq
    with Workspace.open(tmp_path / "restored", ALICE) as rws:
        (rv,) = rws.catalog.versions("base")
        assert rv.content_hash == old_hash and rv.tombstones == []  # the snapshot's state
        assert read_table(rws, "base@1").equals(before)
