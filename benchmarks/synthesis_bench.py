"""Synthesizers on adult: `bulle synthesize --input adult.csv ... --json`, one process per method.

For each method the script runs Bulle's stand-alone command in a fresh process (as a user waits
for it: interpreter start and imports included) and prints:

* seconds: the whole process (wall), and inside it the synthesizer's own fit + sample and the two
  reports, from the command's ``timings``; CPU seconds (user + system) too, as wall times on a
  shared machine vary with its load;
* peak memory: the process's peak resident set (``wait4``'s ru_maxrss);
* utility: train-on-synthetic AUC for ``salary-class`` next to train-on-real (the reference
  measured in the same run, on the same control records), mean 2-way TVD;
* privacy: the three risks (singling out, linkability, inference) with their 95 % intervals, and
  the exact-copy rate next to the natural rate.

The reference figures quoted for other tools (synthpop's CART, an avatar prototype, TabularARGN,
PrivBayes) were not measured here (those tools are not installed): they are printed as quoted,
marked so. anonymeter's figures for the same attacks come from
``benchmarks/synthesis_privacy_bench.py``, which builds anonymeter its own environment.

    python benchmarks/synthesis_bench.py [--methods avatar cart mst dummy] [--seed N]
        [--attacks N] [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "data" / "arx" / "adult.csv"
OUT = HERE / "out" / "synthesis"
QUOTED = {  # reference figures for adult on this kind of machine, quoted; not measured by this script
    "synthpop CART": "2.9 s, AUC 0.883, 2-way TVD 0.017",
    "avatar prototype (k=5)": "3.5 s, AUC 0.883, 2-way TVD 0.037",
    "TabularARGN (CPU)": "283 s, AUC 0.884, 2-way TVD 0.043",
    "PrivBayes ε=1": "55 s, AUC 0.854",
    "train-on-real": "AUC 0.891",
}


def run(method: str, seed: int, attacks: int | None) -> dict:
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"{method}-{seed}.csv"
    cmd = [sys.executable, "-m", "bulle", "synthesize", "--input", str(ADULT), "--delimiter", ";"]
    cmd += ["--method", method, "--seed", str(seed), "--target", "salary-class"]
    cmd += ["--output", str(out), "--json"]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    if attacks:
        env["BULLE_SETTING_SYNTHESIS_PRIVACY_ATTACKS"] = str(attacks)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    stdout, stderr = proc.stdout.read(), proc.stderr.read()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{method}: exit {proc.returncode}: {stderr.decode()[-2000:]}")
    result = json.loads(stdout)
    result["_wall"] = wall
    result["_cpu"] = usage.ru_utime + usage.ru_stime
    result["_rss_mb"] = usage.ru_maxrss / 1024
    return result


def row(method: str, r: dict) -> str:
    t, u, p = r["timings"], r["utility"], r["privacy"]
    risks = "  ".join(
        f"{p[k]['risk']:.3f} [{p[k]['ci'][0]:.3f}, {p[k]['ci'][1]:.3f}]"
        for k in ("singling_out", "linkability", "inference")
    )
    return (
        f"{method:<7} {r['_wall']:6.1f} {r['_cpu']:6.1f} {t['fit'] + t['sample']:6.2f} "
        f"{t['privacy'] + t['utility']:6.1f} {r['_rss_mb']:7.0f} "
        f"{u['auc_synthetic']:.3f}/{u['auc_real']:.3f} {u['tvd_2way']:.4f} "
        f"{p['exact_copies']:.3f}/{p['exact_copies_natural']:.3f}  {risks}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--methods", nargs="+", default=["avatar", "cart", "mst", "dummy"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--attacks", type=int, default=None, help="attacks per kind (default: setting)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per method (the fastest is shown)")
    args = ap.parse_args()
    if not ADULT.exists():
        print(f"{ADULT} is missing", file=sys.stderr)
        return 2
    print(f"adult: {ADULT}; seed {args.seed}; one process per run; OMP_NUM_THREADS=1")
    print(
        "method   wall s  cpu s synth s report s peak MB AUC syn/real TVD2   copies/nat  "
        "singling out           linkability            inference"
    )
    results = {}
    for method in args.methods:
        runs = [run(method, args.seed, args.attacks) for _ in range(args.repeat)]
        best = min(runs, key=lambda r: r["_wall"])
        results[method] = best
        print(row(method, best), flush=True)
    print("\nQuoted reference figures (other tools, not measured in this run):")
    for name, figures in QUOTED.items():
        print(f"  {name}: {figures}")
    (OUT / f"results-{args.seed}.json").write_text(json.dumps(results, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
