"""A workspace on the Spark engine survives a killed job: the driver process (and with it Spark's
JVM) is killed with SIGKILL while Spark writes a version's parts, or after Spark finished but
before the commit. Either way the next open leaves no half-written version: no catalog row, no
directory under data/, nothing under data/.tmp, and the same import then succeeds."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.spark

# The child imports a CSV into the Spark workspace. With KILLED_JOB_STOP=commit it stops where
# the workspace would commit (Spark's write finished), writes a marker and waits to be killed.
# Only this script reads the variable: Bulle has no test hook.
CHILD = """
import os, sys, time
from pathlib import Path
from bulle.domain.actor import Actor, Role
from bulle.services import vault
from bulle.store import Store
from bulle.workspace import Workspace

marker = Path(os.environ["KILLED_JOB_MARKER"])
if os.environ.get("KILLED_JOB_STOP") == "commit":
    def stop(self, tmp_file, **kwargs):
        marker.write_text(str(tmp_file))
        while True:
            time.sleep(60)
    Store.commit_version = stop
with Workspace.open(sys.argv[1], Actor("alice", Role.CUSTODIAN)) as ws:
    vault.import_table(ws, Path(sys.argv[2]), "big")
"""


def _big_csv(path: Path, adult: Path, copies: int) -> Path:
    lines = adult.read_text().splitlines(keepends=True)
    with open(path, "w") as f:
        f.write(lines[0])
        for _ in range(copies):
            f.writelines(lines[1:])
    return path


def _start(ws: Path, csv: Path, marker: Path, stop: str | None) -> subprocess.Popen:
    env = {
        **os.environ,
        "KILLED_JOB_MARKER": str(marker),
        **({"KILLED_JOB_STOP": stop} if stop else {}),
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(ws), str(csv)],
        env=env,
        start_new_session=True,  # its own group: the JVM it starts is killed with it
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(condition, proc: subprocess.Popen, timeout: float = 600) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, "the import ended before the kill point"
        assert time.monotonic() < end, "the kill point was never reached"
        time.sleep(0.05)


@pytest.mark.parametrize("stop", ["writing", "commit"])
def test_killed_spark_job_leaves_no_half_written_version(tmp_path, arx_data, bulle, stop):
    ws = tmp_path / "ws"
    assert bulle("init", ws, "--engine", "spark", "--spark-master", "local[2]").code == 0
    csv = _big_csv(tmp_path / "big.csv", arx_data / "adult.csv", 10)
    marker = tmp_path / "marker"
    proc = _start(ws, csv, marker, None if stop == "writing" else "commit")
    tmp = ws / "data" / ".tmp"
    try:
        if stop == "writing":  # Spark's tasks are writing parts: its attempt folder exists
            _wait(lambda: any((p / "_temporary").is_dir() for p in tmp.glob("*.parquet")), proc)
        else:
            _wait(marker.exists, proc)
            written = Path(marker.read_text())
            assert written.is_dir() and any(written.glob("part-*")), "Spark wrote the parts"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert any(tmp.iterdir()), "the killed job left its temporary directory"

    listed = bulle("-w", ws, "datasets", "--json")  # opens with recovery, never starts Spark
    assert listed.code == 0, listed.err
    assert "big" not in listed.out
    assert not (ws / "data" / "big").exists() or not any((ws / "data" / "big").iterdir())
    assert not any(tmp.iterdir()), "recovery removed the dead job's parts"

    again = bulle("-w", ws, "import", csv, "--dataset", "big", "--json")
    assert again.code == 0, again.err
    out = json.loads(again.out)
    assert out["ref"] == "big@1"
    assert out["rows"] == 10 * (len((arx_data / "adult.csv").read_text().splitlines()) - 1)
    assert (ws / out["path"]).is_dir()
