"""Whatever goes wrong with a witness, the append has succeeded: the event is in the log, the head
has moved, and the failure is recorded and logged, never raised."""

from __future__ import annotations

import json
import logging

import pytest

from bulle.audit.heads import FileHeadStore
from bulle.audit.keys import generate_signing_key
from bulle.audit.log import AuditLog
from bulle.audit.witness import CheckpointWriter, WitnessRegistry
from bulle.audit.witness_format import CHECKPOINTS_FILE, WITNESS_FILE, WitnessInfo, decode_record

EVENT = {"kind": "dataset.read", "actor": {"name": "a", "role": "analyst"}, "details": {}}


@pytest.fixture
def setup(tmp_path):
    key = generate_signing_key()
    heads = FileHeadStore(tmp_path / "head.json")
    log = AuditLog.create(tmp_path / "audit.jsonl", key, "ws-1", heads)
    witness = tmp_path / "w"
    witness.mkdir()
    info = WitnessInfo(
        workspace_id="ws-1",
        log=log.genesis,
        public_key=key.public_key(),
        added_at="2026-12-07T00:00:00+00:00",
    )
    (witness / WITNESS_FILE).write_bytes(info.encode())
    (witness / CHECKPOINTS_FILE).write_bytes(b"")
    registry = WitnessRegistry(tmp_path / "witnesses.json")
    registry.save([{"path": str(witness), "fingerprint": info.fingerprint, "error": None}])
    log.after_commit = CheckpointWriter(registry, log.genesis, tmp_path / "rotations.jsonl")
    return log, heads, witness, registry


def test_a_checkpoint_holds_the_head_after_the_batch(setup):
    log, heads, witness, _ = setup
    log.append_many([EVENT, EVENT, EVENT])
    [rec] = [decode_record(x) for x in (witness / CHECKPOINTS_FILE).read_bytes().splitlines()]
    assert (rec.seq, rec.hash) == heads.get() == (3, log.head()[1])
    assert rec.signed_by(log.public_key)


@pytest.mark.parametrize(
    "breakage", ["checkpoints is a directory", "witness of another log", "witness.json gone"]
)
def test_a_broken_witness_never_costs_the_event(setup, breakage, caplog):
    log, heads, witness, registry = setup
    if breakage == "checkpoints is a directory":
        (witness / CHECKPOINTS_FILE).unlink()
        (witness / CHECKPOINTS_FILE).mkdir()
    elif breakage == "witness of another log":
        info = json.loads((witness / WITNESS_FILE).read_text())
        other = generate_signing_key()
        (witness / WITNESS_FILE).write_bytes(
            WitnessInfo(
                workspace_id="x",
                log="ab" * 32,
                public_key=other.public_key(),
                added_at=info["added_at"],
            ).encode()
        )
    else:
        (witness / WITNESS_FILE).unlink()
    with caplog.at_level(logging.WARNING, "bulle.audit.witness"):
        entry = log.append(EVENT)
        log.append(EVENT)
    assert entry.seq == 1 and heads.get()[0] == 2 and log.verify().ok
    assert "did not take the checkpoint" in caplog.text
    [w] = registry.load()
    assert w["error"]["since_seq"] == 1  # the first failure is kept


def test_an_unreadable_registry_is_logged_and_the_append_stands(setup, caplog):
    log, heads, _, registry = setup
    registry.path.write_text("{not json")
    with caplog.at_level(logging.WARNING, "bulle.audit.witness"):
        log.append(EVENT)
    assert heads.get()[0] == 1 and "witnesses not written" in caplog.text
