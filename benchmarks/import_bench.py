"""Import throughput: `bulle import` of adult replicated to N rows, next to plain DuckDB.

The physical reference is DuckDB's own `read_csv` -> Parquet on the same file, in the same run.
Each side runs in a fresh process; we report wall time, rows/s and the process's peak resident
memory (ru_maxrss). Bulle's figure includes everything a user waits for: sniffing, the copy,
hashing the version, profiling and classifying its columns, the catalog and the audit log.

    python benchmarks/import_bench.py --rows 10000000 [--scratch DIR] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "data" / "arx" / "adult.csv"

MEASURE = r"""
import json, resource, sys, time
t0 = time.perf_counter()
mode, args = sys.argv[1], sys.argv[2:]
if mode == "bulle":
    from bulle.cli.main import main
    try:
        main(args)
    except SystemExit as e:
        if e.code:
            raise
else:
    import duckdb
    src, dest = args
    duckdb.connect().execute(f"COPY (SELECT * FROM read_csv('{src}')) TO '{dest}' (FORMAT parquet)")
print(json.dumps({"seconds": time.perf_counter() - t0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}), file=sys.stderr)
"""


def replicate(src: Path, dest: Path, rows: int) -> int:
    lines = src.read_bytes().replace(b"\r\n", b"\n").split(b"\n")
    header, body = lines[0], [ln for ln in lines[1:] if ln]
    block = b"\n".join(body) + b"\n"
    written = 0
    with open(dest, "wb") as f:
        f.write(header + b"\n")
        while written + len(body) <= rows:
            f.write(block)
            written += len(body)
        rest = rows - written
        if rest:
            f.write(b"\n".join(body[:rest]) + b"\n")
            written += rest
    return written


def run(mode: str, *args: str) -> dict:
    p = subprocess.run([sys.executable, "-c", MEASURE, mode, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"{mode} failed:\n{p.stderr}")
    return json.loads(p.stderr.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument(
        "--scratch",
        type=Path,
        default=None,
        help="where to write the big CSV (default: a temp dir)",
    )
    ap.add_argument("--repeat", type=int, default=1)
    opts = ap.parse_args()
    if not ADULT.exists():
        raise SystemExit(f"needs {ADULT} (the shared ARX data beside the repository)")
    scratch = Path(tempfile.mkdtemp(prefix="bulle-import-bench-", dir=opts.scratch))
    try:
        csv = scratch / "adult_big.csv"
        n = replicate(ADULT, csv, opts.rows)
        size_mb = csv.stat().st_size / 1e6
        print(f"adult replicated to {n:,} rows: {size_mb:,.0f} MB CSV; {os.cpu_count()} cores")
        print(f"{'run':<28}{'seconds':>10}{'rows/s':>14}{'peak MB':>10}")
        results: dict[str, list[dict]] = {"duckdb read_csv -> parquet": [], "bulle import": []}
        for i in range(opts.repeat):
            out = scratch / f"plain{i}.parquet"
            results["duckdb read_csv -> parquet"].append(run("duckdb", str(csv), str(out)))
            out.unlink()
            ws = scratch / f"ws{i}"
            subprocess.run(
                [sys.executable, "-m", "bulle", "init", str(ws)], check=True, capture_output=True
            )
            results["bulle import"].append(
                run(
                    "bulle",
                    "--workspace",
                    str(ws),
                    "import",
                    str(csv),
                    "--dataset",
                    "adult",
                    "--json",
                )
            )
            shutil.rmtree(ws)
        for name, rs in results.items():
            best = min(rs, key=lambda r: r["seconds"])
            print(
                f"{name:<28}{best['seconds']:>10.2f}{n / best['seconds']:>14,.0f}{max(r['peak_mb'] for r in rs):>10,.0f}"
            )
        ratio = min(r["seconds"] for r in results["bulle import"]) / min(
            r["seconds"] for r in results["duckdb read_csv -> parquet"]
        )
        print(f"bulle / duckdb time ratio: {ratio:.2f} (goal <= 1.5)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
