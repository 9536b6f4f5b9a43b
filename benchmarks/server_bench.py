"""`bulle serve` under concurrent clients: requests per second, latency percentiles, errors, and
the audit chain verified afterwards; the HTTP path next to the same service call in-process.

    .venv/bin/python benchmarks/server_bench.py [--clients 1,10,50] [--seconds 10]

A workspace holding ARX's adult (30,162 rows) is served by a real ``bulle serve`` process on
127.0.0.1 (uvicorn, one process). Each client is a thread with its own HTTP connection doing a
realistic mix, chosen at random with these weights:

* 25 % list the datasets (custodian),
* 15 % preview 20 rows (custodian),
* 25 % read adult for a project, 100 rows shown (analyst; consent and purpose checked, recorded),
* 25 % analyst SQL aggregate (``GROUP BY education``) over the project's view,
* 10 % record a consent event (custodian).

Every read and write is audited, so the log grows with each request; it is verified through the
API at the end (the verdict is printed). The reference figure is the same service call made
in-process on one thread (no HTTP, no authentication, no JSON), measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ADULT = HERE.parent.parent / "shared" / "data" / "arx" / "adult.csv"
PASSWORD = "benchmark password, long enough"
MIX = [("datasets", 25), ("preview", 15), ("read", 25), ("sql", 25), ("consent", 10)]
SQL = "SELECT education, count(*) AS n FROM adult GROUP BY education ORDER BY n DESC"


def build(root: Path) -> tuple[str, str]:
    import duckdb

    from bulle.domain.actor import Actor, Role
    from bulle.services import governance as gov
    from bulle.services.accounts import create_user
    from bulle.services.tokens import create_token
    from bulle.services.vault import import_table, set_roles
    from bulle.workspace import Workspace

    people = root.parent / "adult_people.parquet"  # adult with a person id: consents apply
    con = duckdb.connect()
    try:
        con.execute(
            f"COPY (SELECT 'S' || row_number() OVER () AS person_id, * FROM "
            f"read_csv('{ADULT}', delim=';', header=true)) TO '{people}' (FORMAT parquet)"
        )
    finally:
        con.close()
    now = dt.datetime.now(dt.UTC)
    ws = Workspace.init(root, Actor("bench", Role.CUSTODIAN))
    try:
        import_table(ws, people, "adult")
        set_roles(ws, "adult", {"person_id": "subject_id"}, confirm_all=True)
        gov.declare_purpose(ws, "stats", "Statistiques", "public_task")
        gov.set_dataset_purpose(ws, "adult", "stats")
        columns = ["person_id", "age", "sex", "education", "occupation", "salary-class"]
        gov.create_project(
            ws, "study", "stats", {"adult@1": columns}, [("bob", "analyst")],
            now - dt.timedelta(days=1), now + dt.timedelta(days=30),
        )  # fmt: skip
        gov.approve_project(ws, "study", allow_raw=True, row_access="view")
        create_user(ws, "alice", ["custodian"], PASSWORD)
        create_user(ws, "bob", ["analyst"], PASSWORD)
        return create_token(ws, "alice").token, create_token(ws, "bob").token
    finally:
        ws.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(client, op: str, rng: random.Random):
    if op == "datasets":
        return client["custodian"].get("/api/v1/datasets")
    if op == "preview":
        return client["custodian"].get("/api/v1/datasets/adult/preview", params={"limit": 20})
    if op == "read":
        return client["analyst"].get(
            "/api/v1/projects/study/datasets/adult/rows", params={"limit": 100}
        )
    if op == "sql":
        return client["analyst"].post("/api/v1/projects/study/query", json={"sql": SQL})
    status = rng.choice(["given", "withdrawn", "objected"])
    choice = {"subject_id": f"S{rng.randrange(1, 30_163)}", "purpose": "stats", "status": status}
    return client["custodian"].post("/api/v1/consents", json={"choices": [choice]})


def run_level(url, tokens, clients: int, seconds: float) -> dict:
    import httpx

    ops = [op for op, w in MIX for _ in range(w)]
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        pair = {
            role: httpx.Client(base_url=url, headers={"Authorization": f"Bearer {t}"}, timeout=120)
            for role, t in tokens.items()
        }
        mine, bad = [], []
        try:
            while time.perf_counter() < stop:
                op = rng.choice(ops)
                t0 = time.perf_counter()
                try:
                    r = request(pair, op, rng)
                    ok = r.status_code < 400
                    if not ok:
                        bad.append(f"{op}: {r.status_code} {r.text[:120]}")
                except httpx.HTTPError as exc:
                    bad.append(f"{op}: {exc!r}")
                mine.append(time.perf_counter() - t0)
        finally:
            for c in pair.values():
                c.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {
        "clients": clients,
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50_ms": q[49] * 1000,
        "p95_ms": q[94] * 1000,
        "p99_ms": q[98] * 1000,
        "errors": len(errors),
        "first_errors": errors[:3],
    }


def in_process(root: Path, repeats: int = 30) -> dict[str, float]:
    """Median ms of the same service calls, in-process, one thread (the reference)."""
    from bulle.domain.actor import Actor, Role
    from bulle.domain.consents import Objection
    from bulle.services import governance as gov
    from bulle.services.vault import list_datasets, read_table
    from bulle.store import Store

    store = Store.open(root)
    alice, bob = Actor("alice", Role.CUSTODIAN), Actor("bob", Role.ANALYST)
    calls = {
        "datasets": lambda: list_datasets(store.session(alice)),
        "preview": lambda: read_table(store.session(alice), "adult", limit=20),
        "read": lambda: gov.read_served(store.session(bob), "study", "adult", delivery="show"),
        "sql": lambda: gov.query_for_project(store.session(bob), "study", SQL),
        "consent": lambda: gov.record_choices(
            store.session(alice), [Objection("S1", "stats", dt.datetime.now(dt.UTC), "bench")]
        ),
    }
    out = {}
    try:
        for name, call in calls.items():
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                call()
                times.append(time.perf_counter() - t0)
            out[name] = statistics.median(times) * 1000
    finally:
        store.close()
    return out


def http_single(url, tokens, repeats: int = 30) -> dict[str, float]:
    import httpx

    clients = {
        role: httpx.Client(base_url=url, headers={"Authorization": f"Bearer {t}"}, timeout=120)
        for role, t in tokens.items()
    }
    rng = random.Random(1)
    out = {}
    try:
        for op, _ in MIX:
            times = []
            for _ in range(repeats):
                t0 = time.perf_counter()
                r = request(clients, op, rng)
                times.append(time.perf_counter() - t0)
                assert r.status_code < 400, r.text
            out[op] = statistics.median(times) * 1000
    finally:
        for c in clients.values():
            c.close()
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clients", default="1,10,50", help="client counts, comma-separated")
    ap.add_argument("--seconds", type=float, default=10.0, help="seconds per client count")
    args = ap.parse_args()
    if not ADULT.is_file():
        print(f"adult.csv not found at {ADULT}", file=sys.stderr)
        return 2
    os.environ.setdefault("BULLE_CUSTODIAN_PASSPHRASE", "benchmark custodian passphrase")
    os.environ["BULLE_SETTING_AUTH_TOTP_ROLES"] = ""  # tokens only: no sign-in in this mix
    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        custodian, analyst = build(root)
        tokens = {"custodian": custodian, "analyst": analyst}
        port = free_port()
        log_path = Path(tmp) / "server.log"
        log = open(log_path, "wb")  # noqa: SIM115 - closed with the server
        server = subprocess.Popen(
            [sys.executable, "-m", "bulle", "-w", str(root), "serve", "--port", str(port)],
            stderr=log,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if httpx.get(f"{url}/health").status_code == 200:
                        break
                except httpx.TransportError:
                    time.sleep(0.1)
            print(f"bulle serve on {url}, adult 30,162 rows; mix {MIX}")
            print(f"{'clients':>7} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} "
                  f"{'p99 ms':>8} {'errors':>6}")  # fmt: skip
            for n in [int(c) for c in args.clients.split(",")]:
                r = run_level(url, tokens, n, args.seconds)
                print(f"{r['clients']:>7} {r['requests']:>9} {r['rps']:>8.1f} {r['p50_ms']:>8.1f} "
                      f"{r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['errors']:>6}")  # fmt: skip
                for e in r["first_errors"]:
                    print(f"        error: {e}")
            single = http_single(url, tokens)
            verdict = httpx.post(
                f"{url}/api/v1/audit/verify",
                headers={"Authorization": f"Bearer {custodian}"},
                timeout=600,
            ).json()
            print(
                f"audit chain after the run: ok={verdict.get('ok')} entries={verdict.get('entries')}"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
            log.close()
            if os.environ.get("BULLE_BENCH_SERVER_LOG"):
                sys.stderr.write(log_path.read_text()[-6000:])
        local = in_process(root)
        print(
            f"\n{'operation':>10} {'HTTP ms (1 client, median)':>28} {'in-process ms (median)':>24}"
        )
        for op, _ in MIX:
            print(f"{op:>10} {single[op]:>28.2f} {local[op]:>24.2f}")
        print(json.dumps({"http_median_ms": single, "in_process_median_ms": local}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
