"""Any single edit, deletion, swap or move on a random log is detected at the right event."""

from __future__ import annotations

import json

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from tests.spec.audit.audit_tamper import encode

from bulle.audit.heads import MemoryHeadStore
from bulle.audit.keys import generate_signing_key
from bulle.audit.log import AuditLog
from bulle.audit.verify import verify_log

SIZE = 30
MODES = {
    "full": {"workers": 1},
    "quick": {"workers": 1, "quick": True},
    "ranges": {"workers": 1, "chunk_bytes": 300},
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    key = generate_signing_key()
    folder = tmp_path_factory.mktemp("audit-prop")
    log = AuditLog.create(folder / "base.jsonl", key, "ws-prop", MemoryHeadStore())
    log.append_many(
        {
            "kind": ("dataset.read", "consent.change", "project.approve")[i % 3],
            "actor": {"name": f"user{i % 4}", "role": "analyst"},
            "at": f"2026-01-01T00:00:{i:02d}.000000+00:00",
            "target": f"t@{i}",
            "details": {"i": i, "note": "é" * (i % 5)},
        }
        for i in range(SIZE)
    )
    lines = log.path.read_bytes().split(b"\n")[:-1]
    heads = [(0, log.genesis)] + [(i, json.loads(lines[i])["hash"]) for i in range(1, SIZE + 1)]
    return folder, key, lines, heads


def run(base, lines: list[bytes], n: int, mode: str):
    folder, key, _, heads = base
    path = folder / "case.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return verify_log(path, key.public_key(), expected_head=heads[n], **MODES[mode])


hex64 = st.binary(min_size=32, max_size=32).map(bytes.hex)
FIELDS = {
    "details": st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
    "actor": st.fixed_dictionaries(
        {"name": st.text(min_size=1, max_size=8), "role": st.just("analyst")}
    ),
    "kind": st.text(min_size=1, max_size=12),
    "at": st.text(max_size=30),
    "target": st.one_of(st.none(), st.text(max_size=10)),
    "seq": st.integers(min_value=1, max_value=10**6),
    "prev": hex64,
    "key": st.binary(min_size=8, max_size=8).map(bytes.hex),
    "hash": hex64,
    "sig": st.binary(min_size=64, max_size=64).map(bytes.hex),
}
modes = st.sampled_from(sorted(MODES))


@given(data=st.data(), n=st.integers(1, SIZE), mode=modes, field=st.sampled_from(sorted(FIELDS)))
def test_any_edit_of_one_field_names_the_edited_event(base, data, n, mode, field):
    assume(not (mode == "quick" and field == "sig"))  # quick mode's documented limit
    lines = base[2][: n + 1]
    i = data.draw(st.integers(1, n), label="edited event")
    e = json.loads(lines[i])
    value = data.draw(FIELDS[field], label="new value")
    where = e if field in ("seq", "prev", "key", "hash", "sig") else e["event"]
    assume(where[field] != value)
    where[field] = value
    lines = [*lines[:i], encode(e), *lines[i + 1 :]]
    report = run(base, lines, n, mode)
    assert (report.ok, report.first_bad) == (False, i), report.reason


@given(data=st.data(), n=st.integers(1, SIZE), mode=modes)
def test_any_deletion_names_the_missing_event(base, data, n, mode):
    lines = list(base[2][: n + 1])
    i = data.draw(st.integers(1, n), label="deleted event")
    del lines[i]
    report = run(base, lines, n, mode)
    assert (report.ok, report.first_bad) == (False, i), report.reason


@given(data=st.data(), n=st.integers(2, SIZE), mode=modes)
def test_any_swap_names_the_first_of_the_two(base, data, n, mode):
    lines = list(base[2][: n + 1])
    i = data.draw(st.integers(1, n - 1), label="first")
    j = data.draw(st.integers(i + 1, n), label="second")
    lines[i], lines[j] = lines[j], lines[i]
    report = run(base, lines, n, mode)
    assert (report.ok, report.first_bad) == (False, i), report.reason


@given(data=st.data(), n=st.integers(2, SIZE), mode=modes)
def test_any_move_names_the_first_event_out_of_place(base, data, n, mode):
    lines = list(base[2][: n + 1])
    i = data.draw(st.integers(1, n), label="from")
    j = data.draw(st.integers(1, n), label="to")
    assume(i != j)
    lines.insert(j, lines.pop(i))
    report = run(base, lines, n, mode)
    assert (report.ok, report.first_bad) == (False, min(i, j)), report.reason


@given(n=st.integers(0, SIZE), cut=st.integers(1, SIZE), mode=modes)
def test_any_cut_tail_names_the_first_event_cut_off(base, n, cut, mode):
    assume(cut <= n)
    lines = list(base[2][: n + 1 - cut])
    report = run(base, lines, n, mode)
    assert (report.ok, report.first_bad) == (False, n - cut + 1), report.reason


@given(n=st.integers(0, SIZE), mode=modes)
def test_every_prefix_with_its_own_head_is_intact(base, n, mode):
    report = run(base, list(base[2][: n + 1]), n, mode)
    assert report.ok and report.entries == n
