"""One store, many sessions: what a server does with one workspace and a thread per request.

Sessions of different actors import, read and read the audit log at once on one ``Store``; after
that the log's chain verifies, every event names the actor that caused it, every version is
authored by its importer, and version numbers of one dataset are never handed out twice.
Recovery (a scan of every file) runs only when asked.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pyarrow as pa
import pytest

from bulle.domain.actor import Actor, Role
from bulle.services import audit, settings, vault
from bulle.store import Store
from bulle.workspace import Workspace

WORKERS = 8
ROUNDS = 3


@pytest.fixture
def store(tmp_path):
    Store.init(tmp_path / "ws", Actor("alice", Role.CUSTODIAN)).close()
    s = Store.open(tmp_path / "ws", recover=True)
    yield s
    s.close()


def _table(n: int, tag: str) -> pa.Table:
    return pa.table({"id": [f"{tag}-{i}" for i in range(n)], "age": list(range(n))})


def test_concurrent_sessions_keep_their_own_actor_and_one_chain(store):
    barrier = threading.Barrier(WORKERS)

    def work(k: int) -> str:
        if k % 4 == 3:  # a DPO reading the log while the others write
            ws = store.session(Actor(f"dpo{k}", Role.DPO))
            barrier.wait()
            for _ in range(ROUNDS):
                audit.read_workspace_log(ws, limit=5)
            return ws.actor.name
        ws = store.session(Actor(f"user{k}", Role.CUSTODIAN))
        barrier.wait()
        for r in range(ROUNDS):
            vault.import_table(ws, _table(20 + k, f"{k}-{r}"), f"own{k}")
            vault.import_table(ws, _table(5, f"s{k}-{r}"), "shared")  # one dataset, many writers
            vault.read_table(ws, f"own{k}", limit=3)
        return ws.actor.name

    with ThreadPoolExecutor(WORKERS) as pool:
        names = list(pool.map(work, range(WORKERS)))
    assert len(set(names)) == WORKERS

    report = audit.verify_workspace_log(store.session(Actor("dpo", Role.DPO)))
    assert report.ok, report
    events = [e.event for e in store.audit_log.read()]
    writers = [k for k in range(WORKERS) if k % 4 != 3]
    for k in writers:
        mine = [e for e in events if e["target"].startswith(f"own{k}@")]
        assert {e["actor"]["name"] for e in mine} == {f"user{k}"}
        kinds = [e["kind"] for e in mine]
        assert kinds.count("dataset.import") == kinds.count("dataset.read") == ROUNDS
    reads = [e for e in events if e["kind"] == "audit.read"]
    assert sorted({e["actor"]["name"] for e in reads}) == sorted(
        f"dpo{k}" for k in range(WORKERS) if k % 4 == 3
    )
    assert len(reads) == ROUNDS * (WORKERS - len(writers))

    catalog = store.catalog
    shared = catalog.versions("shared")
    assert [v.number for v in shared] == list(range(1, ROUNDS * len(writers) + 1))
    imports = {e["target"]: e["actor"]["name"] for e in events if e["kind"] == "dataset.import"}
    for v in shared:  # the version's author is the actor its import event names
        assert v.created_by["name"] == imports[v.ref]
        assert store.path_of(v).exists()
    for k in writers:
        assert {v.created_by["name"] for v in catalog.versions(f"own{k}")} == {f"user{k}"}


def test_each_thread_gets_its_own_catalog_connection(store):
    seen = []
    together = threading.Barrier(3)

    def grab() -> None:
        together.wait()  # all alive at once: none of their connections has been reclaimed
        seen.append(store.catalog.con)
        assert store.catalog is store.catalog  # stable within a thread
        together.wait()

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(c) for c in [*seen, store.catalog.con]}) == 4


def test_a_transaction_in_one_thread_is_invisible_to_the_others(store):
    """A connection shared between threads would let a request read another's uncommitted,
    possibly rolled back, catalog rows."""
    opened, looked = threading.Event(), threading.Event()
    seen: list[str | None] = []

    def writer() -> None:
        with pytest.raises(RuntimeError), store.write_lock(), store.catalog.transaction():
            store.catalog.set_meta("probe", "uncommitted")
            opened.set()
            looked.wait(30)
            raise RuntimeError("rolled back")

    t = threading.Thread(target=writer)
    t.start()
    assert opened.wait(30)
    seen.append(store.catalog.get_meta("probe"))
    looked.set()
    t.join()
    assert seen == [None]
    assert store.catalog.get_meta("probe") is None


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def _leftovers(root):
    tmp = root / "data" / ".tmp" / f"{_dead_pid()}-leftover.parquet"
    tmp.write_bytes(b"half written")
    orphan = root / "data" / "patients" / "v9-deadbeef.parquet"
    orphan.parent.mkdir(parents=True, exist_ok=True)
    orphan.write_bytes(b"renamed but never recorded")
    return tmp, orphan


def test_recovery_runs_only_when_asked(tmp_path):
    alice = Actor("alice", Role.CUSTODIAN)
    Store.init(tmp_path / "ws", alice).close()
    tmp, orphan = _leftovers(tmp_path / "ws")

    with Store.open(tmp_path / "ws") as s:  # a plain open (and any session) leaves them alone
        with s.session(alice) as ws:
            vault.import_table(ws, _table(3, "a"), "other")
        assert tmp.exists() and orphan.exists()
        removed = s.recover()
    assert sorted(removed) == sorted(str(p.relative_to(tmp_path / "ws")) for p in (tmp, orphan))
    assert not tmp.exists() and not orphan.exists()

    tmp, orphan = _leftovers(tmp_path / "ws")
    with Store.open(tmp_path / "ws", recover=True):
        assert not tmp.exists() and not orphan.exists()

    tmp, orphan = _leftovers(tmp_path / "ws")
    with Workspace.open(tmp_path / "ws", alice):  # the local one-shot path still recovers
        assert not tmp.exists() and not orphan.exists()


def test_a_live_writers_temp_file_survives_recovery(store):
    ws = store.session(Actor("alice", Role.CUSTODIAN))
    mine = ws.temp_path()
    mine.write_bytes(b"import in progress in this process")
    store.recover()
    assert mine.exists()


def test_closing_a_session_leaves_the_store_open(store):
    with store.session(Actor("alice", Role.CUSTODIAN)) as ws:
        vault.import_table(ws, _table(3, "a"), "patients")
    with store.session(Actor("bob", Role.CUSTODIAN)) as ws:
        assert vault.read_table(ws, "patients").num_rows == 3


def test_a_setting_changed_elsewhere_reaches_the_next_session(store, tmp_path):
    name = "anonymize.risk_threshold"
    before = store.settings[name]
    with Workspace.open(tmp_path / "ws", Actor("alice", Role.CUSTODIAN)) as other:
        settings.set_setting(other, name, "0.125")
    assert before != 0.125
    assert store.settings[name] == before  # the store has not looked yet
    assert store.session(Actor("bob", Role.CUSTODIAN)).settings[name] == 0.125
