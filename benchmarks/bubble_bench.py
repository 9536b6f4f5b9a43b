"""The analysis bubble's costs: sandbox start-up, a job on adult end to end, and the checks.

1. Start-up: the job interpreter running ``pass`` bare, then inside the sandbox (prlimit, setpriv,
   bubblewrap's namespaces and mounts, output collection), median of ``--repeat`` runs each; the
   difference is what confinement costs a job (goal: under 50 ms).
2. A job on adult (30,162 rows) end to end through the service: project view materialised as
   Parquet, the job run (pandas import, two crosstabs and a pivot table), outputs taken in and
   checked; its phases as the job records them.
3. The disclosure checks on a 10,000-cell table, next to ACRO's time for the same checks:
   ``benchmarks/disclosure_bench.py`` (run with ``--with-checks``).

    python benchmarks/bubble_bench.py [--repeat 20] [--with-checks]
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "data" / "arx" / "adult.csv"
JOB = """
from bulle.job import read, crosstab, pivot_table
df = read("adult")
crosstab(df["sex"], df["marital-status"], name="sex_by_marital")
crosstab(df["education"], df["salary-class"], name="education_by_salary")
pivot_table(df, index="marital-status", values="age", aggfunc="mean", name="age_by_marital")
"""


def startup(repeat: int) -> None:
    from bulle import settings
    from bulle.sandbox import SandboxLimits, make_folders, probe, remove
    from bulle.sandbox.folders import hand_over
    from bulle.sandbox.runner import run_argv

    host = probe(settings.defaults())
    bare, boxed = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run([host.python, "-c", "pass"], check=True)
        bare.append(time.perf_counter() - t)
        folders = make_folders(host, "bench")
        (folders.code / "main.py").write_text("pass\n")
        hand_over(host, folders)
        dest = Path(tempfile.mkdtemp())
        t = time.perf_counter()
        result = run_argv(host, folders, SandboxLimits(), ["python", "/job/main.py"], dest)
        boxed.append(time.perf_counter() - t)
        remove(folders)
        assert result.state == "succeeded", result.reason
    b, s = statistics.median(bare), statistics.median(boxed)
    print(
        f"start-up, median of {repeat}: bare python -c pass {b * 1000:.1f} ms | "
        f"in the sandbox {s * 1000:.1f} ms | overhead {(s - b) * 1000:.1f} ms (goal < 50 ms)"
    )


def adult_job() -> None:
    from bulle.domain.actor import Actor, Role
    from bulle.services import governance as gov
    from bulle.services.job_outputs import list_outputs
    from bulle.services.jobs import submit_job
    from bulle.services.vault import import_table
    from bulle.workspace import Workspace

    if not ADULT.is_file():
        print(f"adult job: skipped, {ADULT} is not here")
        return
    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as d:
        root = Path(d) / "ws"
        ws = Workspace.init(root, Actor("alice", Role.CUSTODIAN))
        try:
            lines = ADULT.read_text().splitlines()
            with_ids = ["patient_id;" + lines[0]] + [
                f"P{i:06d};{x}" for i, x in enumerate(lines[1:])
            ]
            (Path(d) / "adult.csv").write_text("\n".join(with_ids) + "\n")
            import_table(ws, Path(d) / "adult.csv", "adult")
            gov.declare_purpose(ws, "research", "Recherche", "public_task")
            gov.set_dataset_purpose(ws, "adult", "research")
            cols = ["patient_id", "sex", "age", "marital-status", "education", "salary-class"]
            gov.create_project(
                ws,
                "p",
                "research",
                {"adult@1": cols},
                [("bob", "analyst")],
                now - dt.timedelta(days=1),
                now + dt.timedelta(days=1),
            )
            gov.approve_project(ws, "p", allow_raw=True)
        finally:
            ws.close()
        (Path(d) / "job.py").write_text(JOB)
        ws = Workspace.open(root, Actor("bob", Role.ANALYST))
        try:
            t = time.perf_counter()
            job = submit_job(ws, "p", Path(d) / "job.py")
            total = time.perf_counter() - t
            outs = list_outputs(ws, job.id)
        finally:
            ws.close()
    print(
        f"adult job end to end: {total:.2f} s wall ({job.state.value}); in the sandbox "
        f"{job.usage['wall_seconds']:.2f} s wall, {job.usage['cpu_seconds']:.2f} s CPU, "
        f"{job.usage['max_rss_bytes'] / 1e6:.0f} MB peak; outputs: "
        + ", ".join(f"{o.name}={o.status.value}" for o in outs)
    )


def main() -> None:
    import os

    os.environ.setdefault("BULLE_CUSTODIAN_PASSPHRASE", "benchmark passphrase, not a secret")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--with-checks", action="store_true")
    args = parser.parse_args()
    startup(args.repeat)
    adult_job()
    if args.with_checks:
        subprocess.run([sys.executable, str(HERE / "disclosure_bench.py")], check=False)


if __name__ == "__main__":
    main()
