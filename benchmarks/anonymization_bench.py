"""Optimal anonymization: `bulle anonymize ... --json` next to ARX 3.9.2 on the same cases.

Every case runs the stand-alone command in a fresh process; the time is the whole process as a
user waits for it (interpreter start included), the memory is the process's peak resident set
(``wait4``'s ru_maxrss); the CPU time (user + system) is printed too, as wall times on a shared
machine vary with its load. ARX's figures (whole process with JVM start; ARX's own ``anonymize()`` in
brackets) were measured with ARX's default metric (Loss, geometric mean, gs-factor 0.5) on the
same kind of machine; the goal is at most half of ARX's whole-process time.

    python benchmarks/anonymization_bench.py [--big] [--only NAME ...] [--scratch DIR]

The replicated tables are generated once under benchmarks/out/ (git-ignored) or --scratch.
``--big`` adds adult replicated 1000 times (30 M rows, about 2.5 GB of CSV).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARX = HERE.parent.parent / "shared" / "data" / "arx"
ADULT_COLUMNS = ["sex", "age", "race", "marital-status", "education", "native-country", "workclass",
                 "occupation", "salary-class"]
FARS_COLUMNS = ["iage", "irace", "ideathmon", "ideathday", "isex", "ihispanic", "istatenum", "iinjury"]

# name, data, extra arguments, ARX whole-process seconds, ARX anonymize() seconds
CASES = [
    ("adult k=5 supp 0%", "adult", ["--k", "5", "--suppression", "0"], 2.31, 0.23),
    ("adult k=5 supp 5%", "adult", ["--k", "5", "--suppression", "0.05"], 3.68, 1.76),
    ("adult 5% distinct 3-diversity (occupation)", "adult",
     ["--sensitive", "occupation", "--l-diversity", "distinct:3", "--suppression", "0.05"], 4.93, 1.46),
    ("adult 5% k=5 t=0.2 equal (occupation)", "adult",
     ["--sensitive", "occupation", "--k", "5", "--t-closeness", "equal:0.2", "--suppression", "0.05"],
     6.46, 3.43),
    ("fars_int k=5 supp 5%", "fars", ["--k", "5", "--suppression", "0.05"], 10.0, 5.6),
    ("adult x40 (1.2 M rows) k=200 supp 5%", "adult40", ["--k", "200", "--suppression", "0.05"], 5.72, 1.79),
]
BIG = ("adult x1000 (30 M rows) k=5 supp 5%", "adult1000", ["--k", "5", "--suppression", "0.05"], None, None)


def replicate(src: Path, dest: Path, times: int) -> Path:
    if dest.exists():
        return dest
    lines = src.read_bytes().replace(b"\r\n", b"\n").split(b"\n")
    header, body = lines[0], b"\n".join(ln for ln in lines[1:] if ln) + b"\n"
    tmp = dest.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        f.write(header + b"\n")
        for _ in range(times):
            f.write(body)
    os.replace(tmp, dest)
    return dest


def inputs(data: str, scratch: Path) -> tuple[Path, list[str]]:
    if data == "fars":
        return ARX / "fars_int.csv", [f"{c}={ARX / f'fars_int_hierarchy_{c}.csv'}" for c in FARS_COLUMNS]
    hier = [f"{c}={ARX / f'adult_hierarchy_{c}.csv'}" for c in ADULT_COLUMNS]
    if data == "adult":
        return ARX / "adult.csv", hier
    times = int(data.removeprefix("adult"))
    return replicate(ARX / "adult.csv", scratch / f"adult_x{times}.csv", times), hier


def spawn_measured(data: str, extra: list[str], scratch: Path) -> dict:
    """Run one case in a child whose own peak memory we can read (wait4 on its pid)."""
    path, hierarchies = inputs(data, scratch)
    args = [sys.executable, "-m", "bulle", "anonymize", "--input", str(path)]
    for h in hierarchies:
        args += ["--hierarchy", h]
    args += [*extra, "--metric", "loss", "--json"]
    t0 = time.perf_counter()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.execv(sys.executable, args)
    os.close(out_w)
    os.close(err_w)
    with os.fdopen(out_r, "rb") as fo, os.fdopen(err_r, "rb") as fe:
        out, err = fo.read(), fe.read()
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        return {"error": err.decode(errors="replace").strip()[-400:], "wall": seconds}
    payload = json.loads(out)
    payload["wall"] = seconds
    payload["peak_mb"] = usage.ru_maxrss / 1024
    payload["cpu"] = usage.ru_utime + usage.ru_stime
    return payload


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also run adult x1000 (30 M rows)")
    parser.add_argument("--only", nargs="*", help="substrings of case names to run")
    parser.add_argument("--scratch", type=Path, default=HERE / "out")
    args = parser.parse_args()
    if not ARX.is_dir():
        sys.exit(f"ARX data not found at {ARX}")
    args.scratch.mkdir(parents=True, exist_ok=True)
    cases = CASES + ([BIG] if args.big else [])
    if args.only:
        cases = [c for c in cases if any(o in c[0] for o in args.only)]
    print(f"{'case':44} {'bulle s':>8} {'cpu s':>6} {'ARX s':>12} {'ratio':>6} {'peak MB':>8}  "
          "loss / transformation")
    for name, data, extra, arx_total, arx_core in cases:
        r = spawn_measured(data, extra, args.scratch)
        if "error" in r:
            print(f"{name:44} {r['wall']:8.2f}  ERROR {r['error']}")
            continue
        arx = f"{arx_total:.2f} ({arx_core:.2f})" if arx_total else "-"
        ratio = f"{r['wall'] / arx_total:.2f}" if arx_total else "-"
        levels = ",".join(str(v) for v in (r["transformation"] or {}).values())
        print(f"{name:44} {r['wall']:8.2f} {r['cpu']:6.2f} {arx:>12} {ratio:>6} {r['peak_mb']:8.0f}  "
              f"{r['information_loss']} [{levels}] suppressed={r['suppressed_records']} "
              f"checked={r['transformations_checked']}/{r['transformations']}", flush=True)


if __name__ == "__main__":
    main()
