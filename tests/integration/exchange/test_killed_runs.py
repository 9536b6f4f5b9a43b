"""An export killed with SIGKILL leaves its temporary folder (a full copy of the data); the next
export or import into the same parent removes it, and nothing that is not such a leftover."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from bulle.domain.actor import Actor, Role
from bulle.services.exchange import export_workspace, import_workspace
from bulle.services.vault import import_table
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
MARKER = ".bulle-partial"  # Bulle's marker in its temporary folders (bulle.exchange.stale)

# A real export in its own process, held still once its first data file is copied, so the SIGKILL
# lands while the temporary folder holds data (the hold is the only thing added to Bulle's code).
CHILD = textwrap.dedent("""
    import sys, time
    from bulle.domain.actor import Actor, Role
    from bulle.exchange import manifest as mf
    from bulle.services.exchange import export_workspace
    from bulle.workspace import Workspace

    copy = mf.copy_hashed
    def held(src, dst, mode=0o644):
        out = copy(src, dst, mode)
        print("copied", dst, flush=True)
        time.sleep(120)
        return out
    mf.copy_hashed = held
    with Workspace.open(sys.argv[1], Actor("alice", Role.CUSTODIAN)) as ws:
        export_workspace(ws, sys.argv[2])
""")


@pytest.fixture
def ws(tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("id;ville\n1;Lyon\n2;Paris\n")
    with Workspace.init(tmp_path / "ws", ALICE) as w:
        import_table(w, csv, "t")
    return tmp_path / "ws"


def _kill_an_export(ws, out):
    p = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ws), str(out)], stdout=subprocess.PIPE, text=True
    )
    try:
        line = p.stdout.readline()
        assert line.startswith("copied"), line
    finally:
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        p.stdout.close()
    assert p.returncode == -signal.SIGKILL
    left = out.with_name(f"{out.name}.tmp-{p.pid}")
    return left


def test_the_next_export_removes_what_a_killed_export_left(ws, tmp_path):
    exports = tmp_path / "exports"
    left = _kill_an_export(ws, exports / "monday")
    assert left.is_dir() and any(
        p.suffix == ".parquet" for p in left.rglob("*")
    )  # a copy of the data
    assert not (exports / "monday").exists()

    # what must survive: not Bulle's marker, a live process, another host, a file, a symlink
    lookalike = exports / "mine.tmp-99999999"
    lookalike.mkdir()
    (lookalike / "notes.txt").write_text("not Bulle's")
    live = exports / f"live.tmp-{os.getpid()}"
    live.mkdir()
    (live / MARKER).write_text(json.dumps({"host": os.uname().nodename, "pid": os.getpid()}))
    other_host = exports / "nfs.tmp-99999998"
    other_host.mkdir()
    (other_host / MARKER).write_text(json.dumps({"host": "another-machine", "pid": 99999998}))
    (exports / "file.tmp-99999997").write_text("a file")
    os.symlink(left, exports / "link.tmp-99999996")

    with Workspace.open(ws, ALICE) as w:
        export_workspace(w, exports / "tuesday")
    assert not left.exists()
    assert sorted(p.name for p in exports.iterdir()) == sorted(
        [
            "tuesday",
            "mine.tmp-99999999",
            live.name,
            "nfs.tmp-99999998",
            "file.tmp-99999997",
            "link.tmp-99999996",
        ]
    )
    assert (lookalike / "notes.txt").read_text() == "not Bulle's"
    assert not (exports / "tuesday" / MARKER).exists()  # a finished export carries no marker


def test_an_import_into_the_same_parent_removes_it_too(ws, tmp_path):
    exports = tmp_path / "exports"
    left = _kill_an_export(ws, exports / "monday")
    with Workspace.open(ws, ALICE) as w:
        export_workspace(w, tmp_path / "elsewhere")  # another parent: the leftover stays
    assert left.is_dir()
    import_workspace(tmp_path / "elsewhere", exports / "rebuilt", ALICE)
    assert not left.exists() and not (exports / "rebuilt" / MARKER).exists()
