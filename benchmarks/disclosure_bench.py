"""Disclosure checks on a 10,000-cell table (goal: under 100 ms), next to ACRO 1.0.2's time for the
same checks on the same table, both measured in this run.

The table is a 100 x 100 crosstab of 200,000 generated records (keys uniform on 0..99, values
log-normal with a few dominant contributors), once as counts (rules threshold, zeros,
differencing) and once as sums (threshold, nk-rule, p-ratio). ACRO runs in its own environment
(``make acro-venv``) in a subprocess on the same records, generated there from the same seed.

For each side three times are printed, the median of ``--repeat`` runs:

* *checks*: the rules judging the evidence (Bulle's ``run_checks``; ACRO's
  ``run_checks_for_analysis``);
* *evidence*: collecting what the checks need from the records (Bulle builds it with the table in
  ``crosstab``; ACRO's ``get_evidence_forall_analyses`` recomputes interim tables);
* *whole call*: ``crosstab`` from the records to the checked table;
* *report* (Bulle): the results turned into what reviewers see, flagged cells labelled.

    python benchmarks/disclosure_bench.py [--repeat N] [--rows N] [--no-acro]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACRO_PYTHON = HERE.parent / ".venv-acro" / "bin" / "python"
SEED = 20261207


def records(n: int):
    import numpy as np

    rng = np.random.default_rng(SEED)
    a = rng.integers(0, 100, n)
    b = rng.integers(0, 100, n)
    v = rng.lognormal(3, 1, n)
    v[rng.random(n) < 0.001] *= 1000
    return a, b, v


ACRO_SCRIPT = r"""
import json, logging, statistics, sys, time, warnings
warnings.simplefilter("ignore"); logging.disable(logging.CRITICAL)
import numpy as np, pandas as pd
import acro
n, repeat, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(seed)
a = rng.integers(0, 100, n); b = rng.integers(0, 100, n); v = rng.lognormal(3, 1, n)
v[rng.random(n) < 0.001] *= 1000
df = pd.DataFrame({"a": a, "b": b, "v": v})
out = {}
for label, kwargs in (("count", {}), ("sum", {"values": df.v, "aggfunc": "sum"})):
    runs = {"checks": [], "evidence": [], "whole": []}
    for _ in range(repeat):
        session = acro.ACRO(suppress=False)
        sdc = session.sdc_checks
        spent = {"checks": 0.0, "evidence": 0.0}
        run, collect = sdc.run_checks_for_analysis, sdc.get_evidence_forall_analyses
        def timed(fn, key):
            def inner(*args):
                t0 = time.perf_counter(); r = fn(*args); spent[key] += time.perf_counter() - t0
                return r
            return inner
        sdc.run_checks_for_analysis = timed(run, "checks")
        sdc.get_evidence_forall_analyses = timed(collect, "evidence")
        t0 = time.perf_counter()
        session.crosstab(df.a, df.b, **kwargs)
        runs["whole"].append(time.perf_counter() - t0)
        runs["checks"].append(spent["checks"]); runs["evidence"].append(spent["evidence"])
    out[label] = {k: statistics.median(x) for k, x in runs.items()}
print(json.dumps(out))
"""


def bulle(n: int, repeat: int) -> dict:
    import pandas as pd

    from bulle.disclosure.status import run_checks
    from bulle.disclosure.tables import crosstab
    from bulle.settings import defaults

    a, b, v = records(n)
    df = pd.DataFrame({"a": a, "b": b, "v": v})
    params = defaults()
    out = {}
    for label, kwargs in (("count", {}), ("sum", {"values": df.v, "aggfunc": "sum"})):
        runs: dict[str, list[float]] = {"checks": [], "evidence": [], "whole": [], "report": []}
        for _ in range(repeat):
            t0 = time.perf_counter()
            _table, ev = crosstab(df.a, df.b, **kwargs)
            t1 = time.perf_counter()
            results = run_checks(ev, params)
            t2 = time.perf_counter()
            report = [r.to_dict() for r in results]
            t3 = time.perf_counter()
            runs["evidence"].append(t1 - t0)  # table and evidence: one call
            runs["checks"].append(t2 - t1)
            runs["whole"].append(t2 - t0)
            runs["report"].append(t3 - t2)
        out[label + "_flagged"] = sum(len(r["cells"]) for r in report)
        assert ev.n_cells == 10_000, ev.n_cells
        out[label] = {k: statistics.median(x) for k, x in runs.items()}
        out[label]["verdicts"] = {r.rule: r.outcome for r in results}
    return out


def acro(n: int, repeat: int) -> dict | None:
    if not ACRO_PYTHON.exists():
        print(f"ACRO: {ACRO_PYTHON} is missing (make acro-venv)", file=sys.stderr)
        return None
    env = {"PATH": os.environ.get("PATH", ""), "OMP_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [str(ACRO_PYTHON), "-c", ACRO_SCRIPT, str(n), str(repeat), str(SEED)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--no-acro", action="store_true")
    args = ap.parse_args()
    mine = bulle(args.rows, args.repeat)
    theirs = None if args.no_acro else acro(args.rows, args.repeat)
    print(f"10,000-cell crosstab of {args.rows:,} records; median of {args.repeat} runs (ms)")
    print(f"{'table':<7}{'':<10}{'Bulle':>10}{'ACRO 1.0.2':>12}")
    for label in ("count", "sum"):
        for part in ("checks", "evidence", "whole"):
            ours = f"{mine[label][part] * 1000:.1f}"
            other = "-" if theirs is None else f"{theirs[label][part] * 1000:.1f}"
            print(f"{label:<7}{part:<10}{ours:>10}{other:>12}")
        print(
            f"{'':<7}{'report':<10}{mine[label]['report'] * 1000:>10.1f}{'-':>12}"
            f"  (the results as reviewers get them, {mine[label + '_flagged']} flagged cells)"
        )
        print(f"{'':<7}verdicts: {mine[label]['verdicts']}")
    goal = max(mine[label]["checks"] for label in ("count", "sum")) * 1000
    print(f"checks goal (< 100 ms on a 10,000-cell table): {goal:.1f} ms")


if __name__ == "__main__":
    main()
