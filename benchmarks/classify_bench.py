"""Cost of profiling and role suggestion, with the values read by the French text recognizers.

On adult (ARX's 30,162 rows), on the bundled French patients table, and on the same patients
table with its column names replaced by ``c1`` ... ``c13`` (every column then classified by its
values). The reference is the profiling SQL itself, which every import pays anyway. The first
suggestion in a process also builds the recognizers (importing Presidio); later ones do not.

    python benchmarks/classify_bench.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "data" / "arx" / "adult.csv"
PATIENTS = HERE.parent / "src" / "bulle" / "data" / "patients_fr.csv"


def opaque_copy(src: Path, dest: Path) -> Path:
    with open(src, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    with open(dest, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"c{i + 1}" for i in range(len(rows[0]))])
        w.writerows(rows[1:])
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from bulle.storage.duckdb_engine import DuckDBEngine
    from bulle.storage.engine import CsvOptions
    from bulle.vault.classify import suggest_roles

    engine = DuckDBEngine()
    with tempfile.TemporaryDirectory(prefix="bulle-classify-") as tmp:
        tables = [
            ("patients_fr.csv (named columns)", PATIENTS),
            ("patients_fr.csv (c1..c13)", opaque_copy(PATIENTS, Path(tmp) / "opaque.csv")),
        ]
        if ADULT.is_file():
            tables.insert(0, ("adult.csv", ADULT))
        print(
            f"{'table':<34}{'rows':>8}{'profile SQL s':>15}{'suggest 1st s':>15}{'suggest s':>11}"
        )
        for label, path in tables:
            parquet = Path(tmp) / f"{path.stem}.parquet"
            stats = engine.csv_to_parquet(path, parquet, CsvOptions())
            sql, first, later = [], None, []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                profile = engine.profile(parquet)
                t1 = time.perf_counter()
                roles = suggest_roles(profile)
                t2 = time.perf_counter()
                sql.append(t1 - t0)
                if first is None:
                    first = t2 - t1
                else:
                    later.append(t2 - t1)
            print(
                f"{label:<34}{stats.rows:>8,}{min(sql):>15.3f}{first:>15.3f}"
                f"{min(later or [first]):>11.4f}"
            )
            print("    " + ", ".join(f"{r.column}={r.role.value}" for r in roles))


if __name__ == "__main__":
    main()
