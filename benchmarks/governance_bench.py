"""Governance costs: audit append/verify rates, and a purpose- and consent-filtered read.

    .venv/bin/python benchmarks/governance_bench.py [--replicas 100] [--events 1000000]

1. The audit log: append and verify rates over ``--events`` events (``benchmarks/audit_bench.py``
   does the work; appends are batched: one write, one fdatasync and one head update per batch).
2. A read for a consent-based project of adult replicated ``--replicas`` times (100: 3 M rows),
   with a subject id shared by 3 rows (1 M people), every person consenting and 10 % of them
   withdrawn, next to the plain unfiltered read of the same version in the same run. Both return
   the same columns as an Arrow table. The filtered read is the whole service call: access
   decision, consent snapshot, the engine query (fold + semi join), the recorded read and its audit
   event. The first filtered read after consents change also builds the consent snapshot: it is
   reported separately ("cold").
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "data" / "arx" / "adult.csv"


def build(folder: Path, replicas: int):
    import duckdb

    from bulle.domain.actor import Actor, Role
    from bulle.services import governance as gov
    from bulle.services.vault import import_table, set_roles
    from bulle.workspace import Workspace

    big = folder / "adult_people.parquet"
    con = duckdb.connect()
    con.execute(f"""COPY (SELECT 'S' || ((row_number() OVER () - 1) // 3)::VARCHAR AS subject_id, a.*
                    FROM read_csv('{ADULT}') a, range({replicas}) r) TO '{big}' (FORMAT parquet)""")
    ws = Workspace.init(folder / "ws", Actor("alice", Role.CUSTODIAN))
    t = time.perf_counter()
    v = import_table(ws, big, "adult")
    set_roles(ws, "adult", {"subject_id": "subject_id"}, confirm_all=True)
    print(f"import + subject index of {v.row_count:,} rows: {time.perf_counter() - t:.1f} s")
    subjects = con.execute(
        f"SELECT count(DISTINCT subject_id) FROM read_parquet('{big}')"
    ).fetchone()[0]
    gov.declare_purpose(
        ws,
        "census",
        "Census statistics",
        "public_task",
        special_categories=True,
        art9_condition="research_statistics",
        compatible_with=["study"],
    )
    gov.declare_purpose(
        ws,
        "study",
        "Income study",
        "consent",
        special_categories=True,
        art9_condition="explicit_consent",
    )
    gov.set_dataset_purpose(ws, "adult", "census")
    now = dt.datetime.now(dt.UTC)
    consents = folder / "consents.csv"
    with open(consents, "w") as f:
        f.write("subject_id,purpose,status,at\n")
        given = (now - dt.timedelta(days=2)).isoformat()
        withdrawn = (now - dt.timedelta(days=1)).isoformat()
        for i in range(subjects):
            f.write(f"S{i},study,given,{given}\n")
        for i in range(0, subjects, 10):
            f.write(f"S{i},study,withdrawn,{withdrawn}\n")
    t = time.perf_counter()
    n = gov.record_choices(ws, gov.read_choices_csv(consents))["recorded"]
    print(f"recording {n:,} consent events: {time.perf_counter() - t:.1f} s")
    columns = [c["name"] for c in v.schema]
    gov.create_project(
        ws,
        "income",
        "study",
        {v.ref: columns},
        [("bob", "analyst")],
        now - dt.timedelta(days=3),
        now + dt.timedelta(days=30),
    )
    gov.approve_project(ws, "income", allow_raw=True)  # the benchmark reads the imported table
    return ws, v, subjects


def read_bench(replicas: int, repeat: int) -> None:
    from bulle.domain.actor import Actor, Role
    from bulle.services import governance as gov
    from bulle.workspace import Workspace

    folder = Path(tempfile.mkdtemp(prefix="bulle-gov-bench-"))
    try:
        ws, v, subjects = build(folder, replicas)
        analyst = Workspace.open(ws.root, Actor("bob", Role.ANALYST))
        t = time.perf_counter()
        cold = gov.read_for_project(analyst, "income", "adult")
        cold_s = time.perf_counter() - t
        plain, filtered = [], []
        for _ in range(repeat):
            t = time.perf_counter()
            p = ws.engine.read_table(ws.path_of(v))
            plain.append(time.perf_counter() - t)
            t = time.perf_counter()
            f = gov.read_for_project(analyst, "income", "adult")
            filtered.append(time.perf_counter() - t)
        print(f"\nadult x{replicas}: {v.row_count:,} rows, {subjects:,} people, 10% withdrawn")
        print(f"{'read':<44}{'median s':>10}{'rows':>12}")
        print(
            f"{'plain unfiltered read (engine.read_table)':<44}{statistics.median(plain):>10.3f}{p.num_rows:>12,}"
        )
        print(
            f"{'filtered read for the project (warm)':<44}{statistics.median(filtered):>10.3f}{f.num_rows:>12,}"
        )
        print(
            f"{'filtered read, first after consent changes':<44}{cold_s:>10.3f}{cold.num_rows:>12,}"
        )
        ratio = statistics.median(filtered) / statistics.median(plain)
        print(f"filtered / plain: {ratio:.2f} (goal <= 1.3)")
        analyst.close()
        ws.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--replicas", type=int, default=100)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--skip-audit", action="store_true")
    opts = ap.parse_args()
    if not ADULT.exists():
        raise SystemExit(f"needs {ADULT}")
    if not opts.skip_audit:
        sys.path.insert(0, str(HERE))
        import audit_bench

        print("== audit log ==")
        audit_bench.main(["--events", str(opts.events)])
    print("\n== purpose- and consent-filtered read ==")
    read_bench(opts.replicas, opts.repeat)


if __name__ == "__main__":
    main()
