"""Against a witness, any rewrite re-signed with the log's own key, any cut tail and any re-keying is
caught, and the first bad event is the rewritten one (a checkpoint per append: per event here)."""

from __future__ import annotations

import json
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.spec.audit.audit_tamper import encode

from bulle.audit.heads import MemoryHeadStore
from bulle.audit.keys import generate_signing_key, key_id
from bulle.audit.log import AuditLog
from bulle.audit.witness import CheckpointWriter, WitnessRegistry
from bulle.audit.witness_format import CHECKPOINTS_FILE, WITNESS_FILE, WitnessInfo
from bulle.audit.witness_verify import verify_with_witnesses

SIZE = 20


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    key = generate_signing_key()
    folder = tmp_path_factory.mktemp("witness-prop")
    log = AuditLog.create(folder / "base.jsonl", key, "ws-prop", MemoryHeadStore())
    witness = folder / "witness"
    witness.mkdir()
    info = WitnessInfo(
        workspace_id="ws-prop",
        log=log.genesis,
        public_key=key.public_key(),
        added_at="2026-01-01T00:00:00+00:00",
    )
    (witness / WITNESS_FILE).write_bytes(info.encode())
    (witness / CHECKPOINTS_FILE).write_bytes(b"")
    registry = WitnessRegistry(folder / "witnesses.json")
    registry.save([{"path": str(witness), "fingerprint": info.fingerprint, "error": None}])
    log.after_commit = CheckpointWriter(registry, log.genesis, folder / "rotations.jsonl")
    for i in range(SIZE):
        log.append(
            {
                "kind": "dataset.read",
                "actor": {"name": f"u{i % 3}", "role": "analyst"},
                "at": f"2026-01-01T00:00:{i:02d}.000000+00:00",
                "target": f"t@{i}",
                "details": {"i": i},
            }
        )
    return folder, key, log.path.read_bytes().split(b"\n")[:-1], witness


def check(base, lines: list[bytes]):
    folder, _, _, witness = base
    path = folder / "case.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return verify_with_witnesses(path, [witness], workers=1)


def resign(lines: list[bytes], start: int, key) -> list[bytes]:
    out = list(lines)
    for i in range(start, len(out)):
        e = json.loads(out[i])
        if i > 1:
            e["prev"] = json.loads(out[i - 1])["hash"]
        e["key"] = key_id(key)
        out[i] = encode(e, key=key)
    return out


def test_the_untouched_log_matches_its_witness(base):
    report = check(base, base[2])
    assert report.ok and report.witnesses[0]["checkpoints"] == SIZE


@settings(max_examples=30, deadline=None)
@given(k=st.integers(1, SIZE), rows=st.integers(-5, 10**6))
def test_any_rewrite_re_signed_with_the_log_key_is_named(base, k, rows):
    _, key, lines, _ = base
    e = json.loads(lines[k])
    e["event"]["details"] = {"i": rows, "edited": True}
    report = check(base, resign([*lines[:k], encode(e, key=key), *lines[k + 1 :]], k, key))
    assert not report.ok and report.first_bad == k
    assert report.witnesses[0]["status"] == "diverged"


@settings(max_examples=20, deadline=None)
@given(cut=st.integers(1, SIZE))
def test_any_cut_tail_is_named(base, cut):
    lines = base[2]
    report = check(base, lines[: len(lines) - cut])
    n = SIZE - cut
    assert not report.ok and report.first_bad == n + 1
    assert report.witnesses[0]["status"] == "log_behind"


@settings(max_examples=10, deadline=None)
@given(start=st.integers(1, SIZE))
def test_any_re_keying_is_caught(base, start):
    lines = base[2]
    report = check(base, resign(lines, start, generate_signing_key()))
    assert not report.ok and report.first_bad == start


def test_a_witness_json_with_a_swapped_key_is_refused(base, tmp_path):
    witness = base[3]
    copy = tmp_path / "w"
    shutil.copytree(witness, copy)
    info = json.loads((copy / WITNESS_FILE).read_text())
    info["public_key"] = "00" * 31 + "01"
    (copy / WITNESS_FILE).write_text(json.dumps(info))
    from bulle.errors import IntegrityError

    with pytest.raises(IntegrityError, match="fingerprint does not match"):
        verify_with_witnesses(base[0] / "base.jsonl", [copy])
