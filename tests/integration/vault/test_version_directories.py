"""A version stored as a directory of Parquet parts (what the Spark engine writes) is committed by
the same rename as a file, owner-only, hashed over its parts, and kept whole by recovery; a version
directory renamed in but never recorded (a crash between the rename and the catalog) is removed.
No Spark here: the parts are written with pyarrow, as Spark's would be."""

from __future__ import annotations

import os
import stat

import pyarrow as pa
import pyarrow.parquet as pq

from bulle.domain.actor import Actor, Role
from bulle.domain.datasets import VersionKind
from bulle.fsutil import sha256_file
from bulle.store import Store
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)


def _parts(tmp, n: int = 3):
    tmp.mkdir()
    for i in range(n):
        pq.write_table(pa.table({"x": [i, i + 10]}), tmp / f"part-{i:05d}.parquet")
    return tmp


def test_directory_version_committed_hashed_and_kept_by_recovery(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root, ALICE) as ws:
        tmp = _parts(ws.temp_path())
        expected_hash = sha256_file(tmp)
        v = ws.commit_version(
            tmp,
            dataset="d",
            kind=VersionKind.IMPORT,
            parents=[],
            operation={"name": "import"},
            row_count=ws.engine.row_count(tmp),
            schema=[{"name": "x", "type": "BIGINT"}],
        )
        final = ws.path_of(v)
        assert not tmp.exists() and final.is_dir()
        assert v.row_count == 6 and v.content_hash == expected_hash
        assert stat.S_IMODE(final.stat().st_mode) == 0o700
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in final.iterdir())
        orphan = _parts(root / "data" / "d" / "v9-deadbeef.parquet", 1)  # renamed, never recorded

    with Store.open(root, recover=True):
        assert sorted(p.name for p in final.iterdir()) == [
            f"part-{i:05d}.parquet" for i in range(3)
        ]
        assert sha256_file(final) == v.content_hash
        assert not orphan.exists()
        assert pq.read_table(final).num_rows == 6


def test_a_part_changed_changes_the_hash(tmp_path):
    d = _parts(tmp_path / "v")
    before = sha256_file(d)
    os.rename(d / "part-00002.parquet", d / "part-00003.parquet")
    assert sha256_file(d) != before
