"""DuckDB and Spark side by side on adult replicated N times: import, base frequency table and a
k=5 / 5 % anonymization (search and release), with the time of each step and the peak memory of
the whole process, Spark's JVM included.

Each configuration (DuckDB; Spark local[1]; Spark local[2]) runs in a fresh process group; the
parent samples the resident memory of every process of the group (the Python driver and the JVM
it starts) every 0.2 s and reports the peak of their sum. Spark's time includes its start-up,
reported apart. The shuffle of the base table (Spark's shuffle write for the group-by) is read
from Spark's status tracker, for the sizing estimate of docs/scale.md.

    python benchmarks/engine_bench.py --copies 1000 [--copies 3300 --parquet-source]
        [--scratch DIR] [--configs duckdb,spark1,spark2]

With ``--parquet-source`` the replicated data is written as Parquet first (by DuckDB, untimed) and
the import reads Parquet, which is how ×3300 (about 100 M rows) is meant to run.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ARX = HERE.parent.parent / "shared" / "data" / "arx"
QIS = ("sex", "age", "race", "marital-status")

MEASURE = r"""
import json, sys, time
from pathlib import Path
config, src, scratch = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
qis = json.loads(sys.argv[4])
arx = Path(sys.argv[5])
out = {}
t0 = time.perf_counter()
if config == "duckdb":
    from bulle.storage.duckdb_engine import DuckDBEngine
    engine = DuckDBEngine()
else:
    from bulle.storage.spark_engine import SparkEngine
    engine = SparkEngine(master=f"local[{config[-1]}]", conf={"spark.driver.memory": "4g",
        "spark.sql.shuffle.partitions": str(4 * int(config[-1]))})
    engine.spark.range(1).count()
out["startup_s"] = time.perf_counter() - t0
from bulle.storage.engine import CsvOptions
data = scratch / f"{config}.parquet"
t = time.perf_counter()
if src.suffix == ".csv":
    stats = engine.csv_to_parquet(src, data, CsvOptions(all_varchar=True))
else:
    stats = engine.parquet_to_parquet(src, data)
out["import_s"], out["rows"] = time.perf_counter() - t, stats.rows
t = time.perf_counter()
freq = engine.group_counts(data, qis, count="count")
out["frequency_s"], out["classes"] = time.perf_counter() - t, freq.num_rows
# what the group-by shuffles at most: each map task sends one row per class it saw
out["freq_bytes"] = freq.nbytes
out["map_tasks"] = (
    1 if config == "duckdb" else engine.spark.read.parquet(str(data)).rdd.getNumPartitions()
)
from bulle.anonymization.hierarchy import read_hierarchy_csv
from bulle.anonymization.service import anonymize_table
from bulle.anonymization.spec import AnonymizationSpec, ModelSpec
spec = AnonymizationSpec(
    quasi_identifiers=tuple(qis),
    hierarchies={q: read_hierarchy_csv(arx / f"adult_hierarchy_{q}.csv", q) for q in qis},
    models=(ModelSpec("k-anonymity", params={"k": 5}),),
    suppression_limit=0.05,
    metric="loss",
)
t = time.perf_counter()
result = anonymize_table(engine, data, spec)
out["search_s"] = time.perf_counter() - t
t = time.perf_counter()
out["released_rows"] = result.write(engine, data, scratch / f"{config}-release.parquet")
out["release_s"] = time.perf_counter() - t
out["transformation"] = result.transformation
out["total_s"] = time.perf_counter() - t0
print("RESULT " + json.dumps(out), flush=True)
"""


def replicate(src: Path, dest: Path, copies: int) -> int:
    lines = src.read_bytes().replace(b"\r\n", b"\n").split(b"\n")
    header, body = lines[0], b"\n".join(ln for ln in lines[1:] if ln) + b"\n"
    with open(dest, "wb") as f:
        f.write(header + b"\n")
        for _ in range(copies):
            f.write(body)
    return copies * body.count(b"\n")


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process of the group, summed (from /proc)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # field 5 of stat: the process group
                continue
            with open(f"/proc/{entry}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return total / 1024


def run(config: str, src: Path, scratch: Path) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-c", MEASURE, config, str(src), str(scratch), json.dumps(QIS), str(ARX)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    peak = [0.0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], group_rss_mb(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    sampler.join()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # a JVM left behind by a failed run
    lines = [ln for ln in out.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise SystemExit(f"{config} failed:\n{err[-3000:]}")
    result = json.loads(lines[-1][len("RESULT ") :])
    result["peak_mb"] = round(peak[0])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--copies", type=int, default=1000)
    ap.add_argument("--parquet-source", action="store_true")
    ap.add_argument("--scratch", type=Path, default=None)
    ap.add_argument("--configs", default="duckdb,spark1,spark2")
    args = ap.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bulle-engine-bench-", dir=args.scratch))
    src = scratch / "adult.csv"
    rows = replicate(ARX / "adult.csv", src, args.copies)
    if args.parquet_source:
        import duckdb

        pq = scratch / "adult-source.parquet"
        duckdb.connect().execute(
            f"COPY (SELECT * FROM read_csv('{src}', all_varchar=true)) TO '{pq}' (FORMAT parquet)"
        )
        src.unlink()
        src = pq
    print(
        f"adult x{args.copies}: {rows:,} rows, source {src.suffix[1:]} ({src.stat().st_size >> 20} MB)"
    )
    print(
        f"{'config':8} {'start':>7} {'import':>8} {'freq':>8} {'search':>8} {'release':>8} "
        f"{'total':>8} {'peak MB':>8}  transformation"
    )
    results = {}
    for config in args.configs.split(","):
        r = run(config, src, scratch)
        results[config] = r
        print(
            f"{config:8} {r['startup_s']:7.1f} {r['import_s']:8.1f} {r['frequency_s']:8.1f} "
            f"{r['search_s']:8.1f} {r['release_s']:8.1f} {r['total_s']:8.1f} {r['peak_mb']:8}"
            f"  {r['transformation']} ({r['released_rows']:,} rows)",
            flush=True,
        )
    for config, r in results.items():
        print(
            f"{config}: base table {r['classes']:,} classes ({r['freq_bytes']:,} bytes as Arrow); "
            f"{r['map_tasks']} scan task(s), so the group-by shuffles at most "
            f"{r['map_tasks'] * r['freq_bytes']:,} bytes"
        )
    released = {json.dumps([r["transformation"], r["released_rows"]]) for r in results.values()}
    print("same transformation and released rows on every engine:", len(released) == 1)
    if "spark1" in results and "spark2" in results:
        one, two = results["spark1"], results["spark2"]
        work = lambda r: r["total_s"] - r["startup_s"]  # noqa: E731
        print(
            f"Spark speed-up from 1 to 2 local cores (after start-up): {work(one) / work(two):.2f}"
        )
    import shutil

    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
