"""A backup taken while another process keeps importing is a consistent prefix of its work."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bulle.domain.actor import Actor, Role
from bulle.services.audit import verify_workspace_log
from bulle.services.backup import backup_workspace, restore_workspace
from bulle.services.vault import import_table, read_table
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
PATIENTS = Path(__file__).resolve().parents[3] / "src" / "bulle" / "data" / "patients_fr.csv"
WRITER = Path(__file__).with_name("writer.py")


def _committed(progress: Path) -> list[int]:
    if not progress.exists():
        return []
    return [int(x) for x in progress.read_text().split()]


def _sha(path: Path) -> str:
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def live(tmp_path):
    """A workspace and a process importing into it in a loop until the test stops it."""
    root = tmp_path / "ws"
    with Workspace.init(root, ALICE) as ws:
        import_table(ws, PATIENTS, "base")
    progress, stop = tmp_path / "progress", tmp_path / "stop"
    small = tmp_path / "small.csv"
    small.write_text("code;ville;montant\n" + "".join(f"{i};v{i % 7};{i * 3}\n" for i in range(50)))
    errors = tmp_path / "writer.err"
    with open(errors, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, str(WRITER), str(root), str(small), str(progress), str(stop)],
            stderr=err,
        )
    deadline = time.time() + 60
    while len(_committed(progress)) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    assert len(_committed(progress)) >= 2, errors.read_text()
    yield root, progress, stop, proc, errors
    stop.touch()
    proc.wait(timeout=120)


def test_backup_under_concurrent_imports_is_a_consistent_prefix(live, tmp_path):
    root, progress, stop, proc, errors = live
    before = len(_committed(progress))
    with Workspace.open(root, ALICE) as ws:
        done = backup_workspace(ws, tmp_path / "backup")
    after = len(_committed(progress))
    deadline = time.time() + 60  # the writer was never stopped: it commits again after
    while len(_committed(progress)) <= after and time.time() < deadline:
        time.sleep(0.05)
    stop.touch()
    assert proc.wait(timeout=120) == 0, errors.read_text()
    final = _committed(progress)
    assert len(final) > after

    restored = tmp_path / "restored"
    result = restore_workspace(tmp_path / "backup", restored, ALICE)
    assert result.carried_events == done.audit_head_seq
    with Workspace.open(restored, ALICE) as rws, Workspace.open(root, ALICE) as sws:
        numbers = [v.number for v in rws.catalog.versions("w")]
        # a prefix of the writer's work: versions 1..k, with every commit seen before it started
        assert numbers == list(range(1, len(numbers) + 1))
        assert before <= len(numbers) <= len(final)
        for v in rws.catalog.versions():  # every catalog version has its file, hash intact
            assert (restored / v.path).is_file()
            assert _sha(restored / v.path) == v.content_hash
            src = sws.catalog.resolve(v.ref)
            assert src.content_hash == v.content_hash
        assert verify_workspace_log(rws).ok
        last = f"w@{numbers[-1]}"
        assert read_table(rws, last).equals(read_table(sws, last))
        assert read_table(rws, "base@1").equals(read_table(sws, "base@1"))
    # the backup's log is byte for byte the source log's beginning
    backed = (tmp_path / "backup" / "audit" / "log.jsonl").read_bytes()
    assert (root / "audit" / "log.jsonl").read_bytes().startswith(backed)
    assert len(backed.splitlines()) == done.audit_head_seq + 1  # header + events up to the head


def test_backup_is_recorded_and_restore_keeps_keys_when_asked(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root, ALICE) as ws:
        import_table(ws, PATIENTS, "base")
        done = backup_workspace(ws, tmp_path / "b", include_keys=True)
        events = [e.event for e in ws.audit_log.read()]
    assert events[-1]["kind"] == "workspace.backup"
    assert events[-1]["details"]["manifest_sha256"] == done.manifest_sha256
    res = restore_workspace(tmp_path / "b", tmp_path / "r", ALICE)
    assert res.keys_restored
    for name in ("pseudonym.current", "audit-ed25519.key", "custodian.key"):
        assert (tmp_path / "r" / "keys" / name).read_bytes() == (root / "keys" / name).read_bytes()
    with Workspace.open(tmp_path / "r", ALICE) as rws:
        kinds = [e.event["kind"] for e in rws.audit_log.read()]
        assert kinds[-2:] == ["workspace.restore", "audit.verify"]
        assert rws.id == done.workspace_id


def test_backup_without_keys_holds_no_secret(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root, ALICE) as ws:
        import_table(ws, PATIENTS, "base")
        backup_workspace(ws, tmp_path / "b")
    secrets = {p.read_bytes() for p in (root / "keys").iterdir() if p.suffix == ".key"}
    for p in (tmp_path / "b").rglob("*"):
        if p.is_file():
            assert not any(s in p.read_bytes() for s in secrets), p
    assert not (tmp_path / "b" / "keys").exists()


def test_python_api_backup_and_restore(tmp_path):
    import bulle

    with bulle.init_workspace(tmp_path / "ws", user="alice") as ws:
        ws.import_table(PATIENTS, dataset="base")
        done = ws.backup(tmp_path / "b")
    assert done["versions"] == 1 and done["lock_held_s"] >= 0
    res = bulle.restore_workspace(tmp_path / "b", tmp_path / "r", user="alice")
    assert res["carried_events"] == done["audit_head_seq"]
    with bulle.open_workspace(tmp_path / "r", user="alice") as rws:
        assert [d["name"] for d in rws.datasets()] == ["base"]
