"""Optimal anonymization: `bulle anonymize ... --json` next to ARX 3.9.2, both run in this script.

Every case runs Bulle's stand-alone command and then ARX 3.9.2 (``../shared/tools/arx``, a
measuring instrument only: nothing in Bulle uses it) on the same files, each in a fresh process.
Times are whole processes as a user waits for them (interpreter or JVM start included); memory is
each process's peak resident set (``wait4``'s ru_maxrss); CPU time (user + system) is printed too,
as wall times on a shared machine vary with its load. ARX's own ``anonymize()`` time is in
brackets. Both use ARX's default metric (Loss, geometric mean, gs-factor 0.5), and the script says
whether they found the same transformation and loss. ARX's driver supports k-anonymity,
suppression and equal-distance t-closeness; a case it cannot run prints ``-`` in its columns.

    python benchmarks/anonymization_bench.py [--big] [--only NAME ...] [--repeat N] [--no-arx]

The replicated tables are generated once under benchmarks/out/ (git-ignored) or --scratch.
``--big`` adds adult replicated 400 times (12 M rows, k=2000, with ARX) and 1000 times (30 M
rows, Bulle only: ARX is not run on it, to bound the script's time).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
ARX = SHARED / "data" / "arx"
ARX_TOOL = SHARED / "tools" / "arx" / "arx-anonymize"
ADULT_COLUMNS = [
    "sex",
    "age",
    "race",
    "marital-status",
    "education",
    "native-country",
    "workclass",
    "occupation",
    "salary-class",
]
FARS_COLUMNS = [
    "iage",
    "irace",
    "ideathmon",
    "ideathday",
    "isex",
    "ihispanic",
    "istatenum",
    "iinjury",
]

# name, data, model: k, suppression, sensitive, t (equal distance), l (distinct)
CASES = [
    ("adult k=5 supp 0%", "adult", {"k": 5, "suppression": 0}),
    ("adult k=5 supp 5%", "adult", {"k": 5, "suppression": 0.05}),
    (
        "adult 5% distinct 3-diversity (occupation)",
        "adult",
        {"sensitive": "occupation", "l": 3, "suppression": 0.05},
    ),
    (
        "adult 5% k=5 t=0.2 equal (occupation)",
        "adult",
        {"sensitive": "occupation", "k": 5, "t": 0.2, "suppression": 0.05},
    ),
    ("fars_int k=5 supp 5%", "fars", {"k": 5, "suppression": 0.05}),
    ("adult x40 (1.2 M rows) k=200 supp 5%", "adult40", {"k": 200, "suppression": 0.05}),
]
BIG = [
    ("adult x400 (12 M rows) k=2000 supp 5%", "adult400", {"k": 2000, "suppression": 0.05}),
    (
        "adult x1000 (30 M rows) k=5 supp 5%",
        "adult1000",
        {"k": 5, "suppression": 0.05, "no_arx": True},
    ),
]


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
        return ARX / "fars_int.csv", [
            f"{c}={ARX / f'fars_int_hierarchy_{c}.csv'}" for c in FARS_COLUMNS
        ]
    hier = [f"{c}={ARX / f'adult_hierarchy_{c}.csv'}" for c in ADULT_COLUMNS]
    if data == "adult":
        return ARX / "adult.csv", hier
    times = int(data.removeprefix("adult"))
    return replicate(ARX / "adult.csv", scratch / f"adult_x{times}.csv", times), hier


def _case_args(data: str, model: dict, scratch: Path, spellings: dict[str, str]) -> list[str]:
    """Input, hierarchies and the model's options, in one tool's spellings (``{"t": "--t-equal"}``)."""
    path, hierarchies = inputs(data, scratch)
    args = ["--input", str(path)]
    for h in hierarchies:
        args += ["--hierarchy", h]
    for key in ("sensitive", "k", "l", "t"):
        if key in model:
            args += [spellings.get(key, f"--{key}"), str(model[key])]
    return [*args, "--suppression", str(model["suppression"])]


def bulle_argv(data: str, model: dict, scratch: Path) -> list[str]:
    model = {
        **model,
        **({"l": f"distinct:{model['l']}"} if "l" in model else {}),
        **({"t": f"equal:{model['t']}"} if "t" in model else {}),
    }
    args = _case_args(data, model, scratch, {"l": "--l-diversity", "t": "--t-closeness"})
    return [sys.executable, "-m", "bulle", "anonymize", *args, "--metric", "loss", "--json"]


def arx_argv(data: str, model: dict, scratch: Path) -> list[str] | None:
    """ARX's driver command for the same case, or None where the driver cannot express it."""
    if "l" in model or model.get("no_arx") or not ARX_TOOL.exists():
        return None
    return [str(ARX_TOOL), *_case_args(data, model, scratch, {"t": "--t-equal"})]


def measured(argv: list[str], env: dict | None = None) -> dict:
    """Run one process; its output as JSON plus wall, CPU and peak memory (wait4 on its pid)."""
    t0 = time.perf_counter()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.dup2(out_w, 1)
        os.dup2(err_w, 2)
        os.execve(argv[0], argv, env or os.environ)
    os.close(out_w)
    os.close(err_w)
    with os.fdopen(out_r, "rb") as fo, os.fdopen(err_r, "rb") as fe:
        out, err = fo.read(), fe.read()
    _, status, usage = os.wait4(pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        return {"error": err.decode(errors="replace").strip()[-400:], "wall": seconds}
    payload = json.loads(out.decode().strip().splitlines()[-1])
    payload["wall"] = seconds
    payload["peak_mb"] = usage.ru_maxrss / 1024
    payload["cpu"] = usage.ru_utime + usage.ru_stime
    return payload


def arx_env(data: str) -> dict:
    heap = {"adult40": "-Xmx8g", "adult400": "-Xmx16g"}.get(data, "")
    return {**os.environ, "JAVA_OPTS": heap} if heap else dict(os.environ)


def same_result(bulle: dict, arx: dict) -> str:
    if "transformation" not in arx:
        return "ARX found no solution" if arx.get("anonymous") is False else "?"
    same_t = dict(bulle.get("transformation") or {}) == {
        k: v for k, v in arx["transformation"].items() if k in (bulle.get("transformation") or {})
    }
    same_loss = abs(
        float(bulle["information_loss"]) - float(arx["information_loss"])
    ) <= 1e-9 * max(1.0, abs(float(arx["information_loss"])))
    return (
        "same optimum"
        if same_t and same_loss
        else (f"DIFFERENT: ARX {arx['transformation']} loss {arx['information_loss']}")
    )


def median_run(argv: list[str], repeat: int, env: dict | None = None) -> dict:
    runs = [measured(argv, env) for _ in range(repeat)]
    bad = [r for r in runs if "error" in r]
    if bad:
        return bad[0]
    best = dict(runs[0])
    for key in ("wall", "cpu", "peak_mb"):
        best[key] = statistics.median(r[key] for r in runs)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="also run adult x400 and x1000")
    parser.add_argument("--only", nargs="*", help="substrings of case names to run")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool and case (median)")
    parser.add_argument("--no-arx", action="store_true", help="Bulle only")
    parser.add_argument("--scratch", type=Path, default=HERE / "out")
    args = parser.parse_args()
    if not ARX.is_dir():
        sys.exit(f"ARX data not found at {ARX}")
    if not ARX_TOOL.exists() and not args.no_arx:
        print(f"ARX 3.9.2 not found at {ARX_TOOL}: Bulle's figures only", file=sys.stderr)
    args.scratch.mkdir(parents=True, exist_ok=True)
    cases = CASES + (BIG if args.big else [])
    if args.only:
        cases = [c for c in cases if any(o in c[0] for o in args.only)]
    print(
        f"{'case':44} {'bulle s':>8} {'cpu s':>6} {'MB':>6} {'ARX s':>14} {'cpu s':>6} {'MB':>6} "
        f"{'ratio':>6}  result"
    )
    for name, data, model in cases:
        r = median_run(bulle_argv(data, model, args.scratch), args.repeat)
        if "error" in r:
            print(f"{name:44} {r['wall']:8.2f}  ERROR {r['error']}", flush=True)
            continue
        argv = None if args.no_arx else arx_argv(data, model, args.scratch)
        a = median_run(argv, args.repeat, arx_env(data)) if argv else None
        levels = ",".join(str(v) for v in (r["transformation"] or {}).values())
        mine = f"{name:44} {r['wall']:8.2f} {r['cpu']:6.2f} {r['peak_mb']:6.0f}"
        detail = (
            f"loss {r['information_loss']} [{levels}] suppressed={r['suppressed_records']} "
            f"checked={r['transformations_checked']}/{r['transformations']}"
        )
        if a is None:
            print(f"{mine} {'-':>14} {'-':>6} {'-':>6} {'-':>6}  {detail}", flush=True)
        elif "error" in a:
            print(f"{mine}  ARX ERROR {a['error']}", flush=True)
        else:
            arx = f"{a['wall']:.2f} ({a['anonymize_ms'] / 1000:.2f})"
            print(
                f"{mine} {arx:>14} {a['cpu']:6.2f} {a['peak_mb']:6.0f} {r['wall'] / a['wall']:6.2f}  "
                f"{detail}; {same_result(r, a)}",
                flush=True,
            )


if __name__ == "__main__":
    main()
