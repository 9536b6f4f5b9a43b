"""A large log is checked in byte ranges by worker processes and stitched back together: the
result must be the one a single pass gives, whatever the ranges' boundaries."""

from __future__ import annotations

import json

import pytest

from bulle.audit.heads import MemoryHeadStore
from bulle.audit.keys import generate_signing_key
from bulle.audit.log import AuditLog
from bulle.audit.verify import verify_log

N = 160


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    key = generate_signing_key()
    path = tmp_path_factory.mktemp("par") / "audit.jsonl"
    heads = MemoryHeadStore()
    log = AuditLog.create(path, key, "ws-par", heads)
    log.append_many(
        {"kind": "dataset.read", "details": {"i": i, "pad": "x" * (i % 17)}} for i in range(N)
    )
    return path, key, heads.get(), path.read_bytes()


def entries_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")[:-1]


def check(path, key, head, **kw):
    return verify_log(path, key.public_key(), expected_head=head, **kw)


@pytest.mark.parametrize("chunk", [50, 97, 1000, 5000])
def test_ranges_of_any_size_give_the_single_pass_result(built, tmp_path, chunk):
    _, key, head, data = built
    for victim in (1, 57, 100, N - 1):
        lines = entries_of(data)
        lines[victim], lines[victim + 1] = lines[victim + 1], lines[victim]
        p = tmp_path / f"swap{victim}.jsonl"
        p.write_bytes(b"\n".join(lines) + b"\n")
        single = check(p, key, head, workers=1)
        ranged = check(p, key, head, workers=1, chunk_bytes=chunk)
        assert single.first_bad == ranged.first_bad == victim
        assert single.reason == ranged.reason


def test_worker_processes_agree_with_a_single_pass(built, tmp_path):
    path, key, head, data = built
    intact = check(path, key, head, workers=2, parallel_min_bytes=0, chunk_bytes=2500)
    single = check(path, key, head, workers=1)
    assert intact.ok and intact.to_dict() == single.to_dict()

    lines = entries_of(data)
    e = json.loads(lines[130])
    e["event"]["details"]["i"] = -1
    lines[130] = json.dumps(e).encode()
    del lines[90]
    p = tmp_path / "tampered.jsonl"
    p.write_bytes(b"\n".join(lines) + b"\n")
    report = check(p, key, head, workers=2, parallel_min_bytes=0, chunk_bytes=2500)
    assert (report.ok, report.first_bad) == (False, 90)
    quick = check(p, key, head, workers=2, parallel_min_bytes=0, chunk_bytes=2500, quick=True)
    assert quick.first_bad == 90
