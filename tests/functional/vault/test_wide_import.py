"""Wide tables import in memory linear in their columns: thousands of columns are normal in health data.

The CLI import runs in a child process under an address-space limit of 1 GiB. glibc reserves
64 MiB of address space (not memory) per thread arena, so the child runs with two arenas: the
limit then measures what Bulle and its engines actually allocate.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys

LIMIT = 1 << 30


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


def _wide_csv(path, columns: int, rows: int = 3) -> None:
    with open(path, "w") as f:
        f.write(",".join(f"mesure_{i}" for i in range(columns)) + "\n")
        for r in range(rows):
            f.write(",".join(str(r * i) if i % 2 else f"v{r}_{i}" for i in range(columns)) + "\n")


def _import(tmp_path, columns: int) -> subprocess.CompletedProcess:
    env = {**os.environ, "BULLE_USER": "tester", "MALLOC_ARENA_MAX": "2"}
    ws = tmp_path / "ws"
    subprocess.run(
        [sys.executable, "-m", "bulle", "init", str(ws)], env=env, check=True, capture_output=True
    )
    src = tmp_path / "wide.csv"
    _wide_csv(src, columns)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bulle",
            "--workspace",
            str(ws),
            "import",
            str(src),
            "--json",
            "--dataset",
            "wide",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_limit_address_space,
    )


def _check(proc: subprocess.CompletedProcess, columns: int) -> None:
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["rows"] == 3
    assert len(out["columns"]) == columns
    types = {c["type"] for c in out["columns"]}
    assert types == {"VARCHAR", "BIGINT"}
    assert len(out["roles"]) == columns  # profiled and classified, not skipped


def test_10000_columns_import_within_1_gib(tmp_path):
    proc = _import(tmp_path, 10_000)
    _check(proc, 10_000)
