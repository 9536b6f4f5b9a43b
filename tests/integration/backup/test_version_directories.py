"""A version stored as a directory of Parquet parts (what the Spark engine writes) is backed up
part by part and restored whole; a part added, removed or changed in the backup, even with a
manifest re-signed by someone holding the key, no longer gives the catalog's content hash and the
restore is refused. No Spark here: the parts are written with pyarrow, as Spark's would be."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bulle.audit.keys import load_workspace_key
from bulle.domain.actor import Actor, Role
from bulle.domain.datasets import VersionKind
from bulle.errors import IntegrityError
from bulle.exchange.backup import SIGNATURE, signature_line
from bulle.fsutil import sha256_file
from bulle.services.backup import backup_workspace, restore_workspace
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("bkdir")
    with Workspace.init(base / "ws", ALICE) as ws:
        tmp = ws.temp_path()
        tmp.mkdir()
        for i in range(3):
            pq.write_table(pa.table({"x": [i, i + 10]}), tmp / f"part-{i:05d}.parquet")
        ws.commit_version(
            tmp,
            dataset="d",
            kind=VersionKind.IMPORT,
            parents=[],
            operation={"name": "import"},
            row_count=6,
            schema=[{"name": "x", "type": "BIGINT"}],
        )
        backup_workspace(ws, base / "backup")
    return base / "backup"


@pytest.fixture
def backup(pristine, tmp_path) -> Path:
    copy = tmp_path / "backup"
    shutil.copytree(pristine, copy, symlinks=True)
    return copy


def _version_dir(folder: Path) -> Path:
    (d,) = (folder / "data" / "d").iterdir()
    return d


def _resign(backup: Path, keys: Path) -> None:
    """List the backup's data files as they now are and sign the manifest with the workspace's
    own key: the strongest forger, so only the catalog's content hash can catch the change."""
    m = json.loads((backup / "manifest.json").read_text())
    m["files"] = [f for f in m["files"] if not f["path"].startswith("data/")]
    for p in sorted((backup / "data").rglob("*")):
        if p.is_file():
            data = p.read_bytes()
            rel = p.relative_to(backup).as_posix()
            m["files"].append(
                {"path": rel, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            )
    raw = json.dumps(m).encode()
    (backup / "manifest.json").write_bytes(raw)
    key = load_workspace_key(keys)
    (backup / SIGNATURE).write_bytes(signature_line(key, raw))


def test_a_version_directory_is_backed_up_and_restored_whole(pristine, tmp_path):
    parts = sorted(p.name for p in _version_dir(pristine).iterdir())
    assert parts == [f"part-{i:05d}.parquet" for i in range(3)]
    res = restore_workspace(pristine, tmp_path / "new", ALICE)
    assert res.versions == 3  # the parts of the one version
    with Workspace.open(tmp_path / "new", ALICE) as ws:
        (v,) = ws.catalog.versions("d")
        assert sha256_file(ws.path_of(v)) == v.content_hash
        assert pq.read_table(ws.path_of(v)).num_rows == 6


@pytest.mark.parametrize("change", ["added", "removed", "changed"])
def test_a_part_changed_in_the_backup_is_refused(pristine, backup, tmp_path, change):
    d = _version_dir(backup)
    if change == "added":
        pq.write_table(pa.table({"x": [99]}), d / "part-00009.parquet")
    elif change == "removed":
        (d / "part-00001.parquet").unlink()
    else:
        pq.write_table(pa.table({"x": [7, 17]}), d / "part-00000.parquet")
    _resign(backup, pristine.parent / "ws" / "keys")
    with pytest.raises(IntegrityError, match="do not match its catalog"):
        restore_workspace(backup, tmp_path / "new", ALICE)
    assert not (tmp_path / "new").exists()
