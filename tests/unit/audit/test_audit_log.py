"""Appending, reading and recovering the audit log."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bulle.audit.events import ConsentChanged, DatasetRead
from bulle.audit.heads import FileHeadStore, MemoryHeadStore
from bulle.audit.hook import AuditHook
from bulle.audit.keys import generate_signing_key, key_id, write_private_key
from bulle.audit.log import AuditLog
from bulle.domain.actor import Actor
from bulle.errors import ConflictError, InputError, IntegrityError, NotFoundError

ALICE = Actor("alice", "analyst")


def ev(i: int) -> dict:
    return {
        "kind": "dataset.read",
        "actor": ALICE.to_dict(),
        "target": f"t@{i}",
        "details": {"i": i},
    }


@pytest.fixture(scope="module")
def key():
    return generate_signing_key()


@pytest.fixture
def heads(tmp_path) -> FileHeadStore:
    return FileHeadStore(tmp_path / "head.json")


@pytest.fixture
def log(tmp_path, key, heads) -> AuditLog:
    with AuditLog.create(tmp_path / "audit.jsonl", key, "ws-1", heads) as alog:
        yield alog


def test_create_writes_a_header_and_records_the_genesis_as_head(log, heads):
    assert heads.get() == (0, log.genesis) == log.head()
    assert log.verify().ok
    header = json.loads(log.path.read_text().splitlines()[0])
    assert header["format"] == "bulle.audit-log" and header["version"] == 1
    assert header["workspace_id"] == "ws-1"


def test_create_never_replaces_a_log(log, key):
    with pytest.raises(ConflictError):
        AuditLog.create(log.path, key, "ws-2")


def test_open_names_a_missing_or_unreadable_log(tmp_path):
    with pytest.raises(NotFoundError):
        AuditLog.open(tmp_path / "none.jsonl")
    (tmp_path / "x.jsonl").write_text('{"hello": 1}\n')
    with pytest.raises(IntegrityError, match="header"):
        AuditLog.open(tmp_path / "x.jsonl")


def test_appends_are_numbered_chained_and_move_the_head(log, heads, key):
    first = log.append(DatasetRead(actor=ALICE, target="patients@3", details={"rows": 10}))
    second = log.append(ev(2))
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev == log.genesis and second.prev == first.hash
    assert first.key_id == second.key_id == key_id(key)
    assert first.event["kind"] == "dataset.read" and first.event["actor"] == ALICE.to_dict()
    assert heads.get() == (2, second.hash) == log.head()


def test_the_log_is_the_hooks_sink(log):
    hook = AuditHook([log])
    hook.emit(
        ConsentChanged(actor=Actor("dpo1", "dpo"), target="subject:42", details={"events": 1})
    )
    [entry] = list(log.read())
    assert entry.event["kind"] == "consent.change" and entry.event["details"] == {"events": 1}


def test_read_and_tail(log):
    log.append_many(ev(i) for i in range(1, 21))
    assert [e.seq for e in log.read(from_seq=18)] == [18, 19, 20]
    assert [e.seq for e in log.read(5, 7)] == [5, 6, 7]
    assert [e.seq for e in log.tail(3)] == [18, 19, 20]
    assert [e.seq for e in log.tail(50)] == list(range(1, 21))
    assert log.tail(0) == []


def test_read_skips_an_incomplete_last_line(log):
    log.append_many(ev(i) for i in range(3))
    with open(log.path, "ab") as f:
        f.write(b'{"event":{"kind"')
    assert [e.seq for e in log.read()] == [1, 2, 3]
    assert [e.seq for e in log.tail(5)] == [1, 2, 3]


def test_a_log_opened_without_a_key_is_read_only(log):
    log.append(ev(1))
    reader = AuditLog.open(log.path)
    assert not reader.writable
    with pytest.raises(ConflictError, match="read-only"):
        reader.append(ev(2))
    with pytest.raises(InputError, match="public keys"):
        reader.verify()


def test_a_batch_is_durable_at_its_end(log, heads):
    with log.batch():
        entries = [log.append(ev(i)) for i in range(5)]
        with log.batch():  # nested batches join the outer one
            entries.append(log.append(ev(5)))
        assert heads.get() == (0, log.genesis)  # not yet durable: the head has not moved
    assert heads.get() == (6, entries[-1].hash)
    assert log.verify().ok


def test_events_of_a_failed_batch_are_still_recorded(log, heads):
    with pytest.raises(RuntimeError), log.batch():
        log.append(ev(1))
        raise RuntimeError("the operation failed after its event")
    assert heads.get()[0] == 1 and log.verify().ok


def test_append_many_appends_nothing_if_one_event_is_refused(log, heads):
    log.append(ev(0))
    with pytest.raises(InputError):
        log.append_many([ev(1), {"kind": "x", "details": {"bad": object()}}, ev(3)])
    assert heads.get()[0] == 1 and [e.seq for e in log.read()] == [1]
    assert log.append(ev(4)).seq == 2
    assert log.verify().ok


def test_verify_inside_a_batch_sees_the_batch(log):
    with log.batch():
        log.append_many(ev(i) for i in range(3))
        report = log.verify()
    assert report.ok and report.entries == 3


# -- recovery --------------------------------------------------------------------------------------


def test_an_interrupted_append_is_removed_by_the_next_writer(log, key, heads):
    log.append_many(ev(i) for i in range(3))
    log.close()
    with open(log.path, "ab") as f:
        f.write(b'{"event":{"kind":"dataset.re')  # the crash happened mid-line
    assert not log.verify().ok
    again = AuditLog.open(log.path, key, heads)
    assert again.append(ev(3)).seq == 4
    report = again.verify()
    assert report.ok and report.entries == 4


class CrashingHeadStore(FileHeadStore):
    """A catalog that dies after the log was synced but before it recorded the head."""

    def set(self, seq: int, hash: str) -> None:
        raise OSError("catalog unavailable")


def test_entries_written_before_a_crash_are_rolled_forward(log, key, heads):
    log.append_many(ev(i) for i in range(3))
    log.close()
    crashing = AuditLog.open(log.path, key, CrashingHeadStore(heads.path))
    with pytest.raises(OSError):
        crashing.append_many(ev(i) for i in range(3, 6))
    crashing.close()
    assert heads.get()[0] == 3
    assert log.verify().first_bad == 4  # durable entries beyond the recorded head
    again = AuditLog.open(log.path, key, heads)
    assert again.append(ev(6)).seq == 7
    assert again.verify().ok


def test_entries_beyond_the_head_by_another_key_are_not_rolled_forward(log, key, heads):
    log.append(ev(0))
    log.close()
    intruder = AuditLog.open(log.path, generate_signing_key(), MemoryHeadStore(heads.get()))
    intruder.append(ev(1))
    with pytest.raises(IntegrityError, match="does not continue the chain"):
        AuditLog.open(log.path, key, heads).append(ev(2))


def test_a_cut_log_is_never_extended(log, key, heads):
    log.append_many(ev(i) for i in range(5))
    log.close()
    data = log.path.read_bytes().split(b"\n")
    log.path.write_bytes(b"\n".join(data[:4]) + b"\n")
    before = log.path.read_bytes()
    with pytest.raises(IntegrityError, match="cut or rewritten"):
        AuditLog.open(log.path, key, heads).append(ev(9))
    assert log.path.read_bytes() == before and heads.get()[0] == 5


def test_a_damaged_last_line_under_the_head_is_not_repaired_away(log, key, heads):
    log.append_many(ev(i) for i in range(3))
    log.close()
    data = log.path.read_bytes()
    log.path.write_bytes(data[:-40])
    with pytest.raises(IntegrityError, match="damaged"):
        AuditLog.open(log.path, key, heads).append(ev(9))


def test_a_last_entry_missing_only_its_newline_gets_it_back(log, key, heads):
    log.append_many(ev(i) for i in range(3))
    log.close()
    log.path.write_bytes(log.path.read_bytes()[:-1])
    again = AuditLog.open(log.path, key, heads)
    assert again.append(ev(3)).seq == 4
    assert again.verify().ok


def test_a_log_without_its_external_head_must_be_adopted(log, key, tmp_path):
    log.append_many(ev(i) for i in range(3))
    exported = log.head()
    fresh = FileHeadStore(tmp_path / "other-head.json")
    with pytest.raises(IntegrityError, match="adopt"):
        AuditLog.open(log.path, key, fresh).append(ev(3))
    with pytest.raises(IntegrityError, match="cut off"):
        AuditLog.adopt(log.path, key, fresh, key.public_key(), expected_head=(5, exported[1]))
    adopted = AuditLog.adopt(log.path, key, fresh, key.public_key(), expected_head=exported)
    assert fresh.get() == exported
    assert adopted.append(ev(3)).seq == 4


# -- concurrency -----------------------------------------------------------------------------------

WRITER = """
import sys
from bulle.audit.heads import FileHeadStore
from bulle.audit.keys import load_private_key
from bulle.audit.log import AuditLog
log = AuditLog.open(sys.argv[1], load_private_key(sys.argv[2]), FileHeadStore(sys.argv[3]))
for i in range(int(sys.argv[5])):
    log.append({"kind": "dataset.read", "details": {"writer": sys.argv[4], "i": i}})
"""


def test_two_processes_appending_never_interleave(log, key, heads, tmp_path: Path):
    key_file = tmp_path / "k.pem"
    write_private_key(key_file, key)
    log.close()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WRITER,
                str(log.path),
                str(key_file),
                str(heads.path),
                name,
                "60",
            ]
        )
        for name in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    reader = AuditLog.open(log.path, head_store=heads)
    report = reader.verify(key.public_key())
    assert report.ok, report.reason
    assert report.entries == 120
    for name in ("a", "b"):
        mine = [
            e.event["details"]["i"] for e in reader.read() if e.event["details"]["writer"] == name
        ]
        assert mine == list(range(60))


def test_threads_sharing_one_log(log):
    def work(t: int) -> None:
        for i in range(25):
            log.append(ev(t * 100 + i))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = log.verify()
    assert report.ok and report.entries == 100
