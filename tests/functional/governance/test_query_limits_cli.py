"""`bulle query` within its limits: the timeout is checked and enforced, results stream.

The memory tests run the real command in a child process and read its peak resident memory
from the kernel (``wait4``): a result of about 5 GB must stop at the result budget with exit
code 8 while the process stays far below the size of the result.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from bulle.governance.limits import DEFAULT_RESULT_BYTES, MAX_TIMEOUT_S

ANALYST = ("--user", "bob", "--role", "analyst")
HUGE = "SELECT repeat('x', 1000) AS s FROM range(5000000)"  # about 5 GB of text
# Python, DuckDB and pyarrow loaded take about 200 MB; a streamed result adds about one batch.
RSS_BOUND = DEFAULT_RESULT_BYTES + 256 * 1024 * 1024


# A child forked from a large process inherits that process's peak in its own ``ru_maxrss`` (the
# kernel keeps it across exec), so the command is started by a small Python process and the peak
# is read there, for the command alone.
MEASURE = """import os, subprocess, sys
p = subprocess.Popen([sys.executable, '-m', 'bulle', *sys.argv[2:]])
_, status, usage = os.wait4(p.pid, 0)
with open(sys.argv[1], 'w') as f:
    f.write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _run_measured(tmp_path, *args: str) -> tuple[int, str, str, int]:
    """Run ``bulle ARGS``; return the exit code, stdout, stderr and its peak RSS in bytes."""
    env = {**os.environ, "BULLE_USER": "bob"}
    rss_file = tmp_path / "rss.txt"
    p = subprocess.run(
        [sys.executable, "-c", MEASURE, str(rss_file), *args],
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )
    rss = int(rss_file.read_text()) * 1024  # ru_maxrss is in KiB
    rss_file.unlink()
    return p.returncode, p.stdout, p.stderr, rss


@pytest.mark.parametrize("bad", ["inf", "1e308", "nan", "0", str(MAX_TIMEOUT_S + 1)])
def test_a_timeout_outside_the_range_is_refused_naming_the_option_and_the_ceiling(
    bulle, project_ws, bad
):
    run = bulle(
        "-w",
        project_ws,
        *ANALYST,
        "query",
        "--project",
        "p",
        "SELECT 1",
        "--timeout",
        bad,
        "--json",
    )
    assert run.code == 2, run.err
    assert "Traceback" not in run.err
    error = run.error()
    assert error["code"] == "bad_input" and error["where"] == {"field": "--timeout"}
    assert f"at most {MAX_TIMEOUT_S:g}" in error["message"]


def test_a_query_that_would_run_for_minutes_is_stopped_at_the_timeout(bulle, project_ws):
    sql = "SELECT count(*) FROM range(1000000) a, range(1000000) b WHERE a.range + b.range = -1"
    start = time.monotonic()
    run = bulle(
        "-w", project_ws, *ANALYST, "query", "--project", "p", sql, "--timeout", "2", "--json"
    )
    elapsed = time.monotonic() - start
    assert run.code == 8, run.err
    assert run.error()["code"] == "resource_limit" and "2 s limit" in run.error()["message"]
    assert elapsed < 60  # start-up included; the query alone would take many minutes


def test_a_huge_result_stops_at_the_budget_without_filling_the_memory(project_ws, tmp_path):
    code, out, err, rss = _run_measured(
        tmp_path, "-w", str(project_ws), *ANALYST, "query", "--project", "p", HUGE, "--json"
    )
    assert rss < RSS_BOUND, f"peak RSS {rss / 2**20:.0f} MiB"
    assert code == 8, err
    error = json.loads(err)["error"]
    assert error["code"] == "resource_limit" and "result budget" in error["message"]
    assert out == ""


def test_a_streamed_output_stopped_by_the_budget_leaves_no_file(project_ws, tmp_path):
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    code, _, err, rss = _run_measured(
        tmp_path,
        "-w",
        str(project_ws),
        *ANALYST,
        "query",
        "--project",
        "p",
        HUGE,
        "--output",
        str(out_dir / "all.parquet"),
    )
    assert rss < RSS_BOUND, f"peak RSS {rss / 2**20:.0f} MiB"
    assert code == 8, err
    assert "result budget" in err and "Traceback" not in err
    assert list(out_dir.iterdir()) == []  # neither the file nor its temporary


def test_a_result_within_the_limits_is_written_whole(bulle, project_ws, tmp_path):
    target = tmp_path / "n.jsonl"
    run = bulle(
        "-w",
        project_ws,
        *ANALYST,
        "query",
        "--project",
        "p",
        "SELECT range AS n FROM range(20000)",
        "--output",
        target,
        "--json",
    )
    assert run.code == 0, run.err
    assert run.json()["rows"] == 20000
    lines = target.read_text().splitlines()
    assert len(lines) == 20000 and json.loads(lines[-1]) == {"n": 19999}
    shown = bulle(
        "-w",
        project_ws,
        *ANALYST,
        "query",
        "--project",
        "p",
        "SELECT range AS n FROM range(20000)",
        "--json",
    ).json()
    assert (
        shown["rows"] == 20000 and len(shown["data"]) == 1000
    )  # shown rows are kept, the rest counted
