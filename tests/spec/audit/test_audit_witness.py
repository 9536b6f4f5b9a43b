"""Witnesses follow legitimate key rotations and nothing else, never cost an audit event when they
are unreachable, and check every checkpoint, not only the last."""

from __future__ import annotations

import json
import logging

import pytest
from tests.spec.audit.audit_tamper import encode, lines, write
from tests.spec.audit.test_audit_witness_tampering import last_head, resign, set_head, verdict

from bulle.audit.events import DatasetRead
from bulle.audit.keys import generate_signing_key, load_workspace_key
from bulle.audit.witness import (
    REGISTRY_FILE,
    ROTATIONS_FILE,
    add_witness,
    rotate_audit_key,
    witness_status,
)
from bulle.audit.witness_format import CHECKPOINTS_FILE, decode_record, make_record
from bulle.domain.actor import Actor
from bulle.errors import ConflictError, InputError
from bulle.workspace import Workspace

CUSTODIAN = Actor("carol", "custodian")


def read(ws: Workspace, i: int) -> None:
    ws.emit(
        DatasetRead(actor=Actor("alice", "analyst"), target=f"patients@{i}", details={"rows": i})
    )


@pytest.fixture
def witnessed(tmp_path):
    root, witness = tmp_path / "ws", tmp_path / "witness"
    ws = Workspace.init(root, CUSTODIAN)
    add_witness(ws, witness, CUSTODIAN)
    for i in range(3):
        read(ws, i)
    ws.close()
    return root, witness


def records(witness):
    return [decode_record(line) for line in (witness / CHECKPOINTS_FILE).read_bytes().splitlines()]


def test_every_append_batch_writes_one_signed_checkpoint_of_the_head(witnessed):
    root, witness = witnessed
    recs = records(witness)
    entries = lines(root / "audit" / "log.jsonl")
    assert [r.seq for r in recs] == [2, 3, 4, 5]  # the witness.add event, then each read
    assert recs[-1].hash == json.loads(entries[-1])["hash"]
    assert all(r.type == "checkpoint" for r in recs)


def test_a_rotation_is_followed_by_the_witness(witnessed):
    root, witness = witnessed
    with Workspace.open(root, CUSTODIAN) as ws:
        rotate_audit_key(ws, CUSTODIAN)
        read(ws, 9)
    code, report = verdict(root, witness)
    assert code == 0, report.reason
    assert len(report.witnesses[0]["keys"]) == 2
    assert [r.type for r in records(witness)][-3:] == ["rotation", "checkpoint", "checkpoint"]
    assert verdict(root, None)[0] == 0  # and the workspace's own keys still verify it


def test_a_rotation_missed_while_unreachable_is_handed_over_later(witnessed, caplog):
    root, witness = witnessed
    away = witness.with_name("unmounted")
    witness.rename(away)
    with Workspace.open(root, CUSTODIAN) as ws, caplog.at_level(logging.WARNING, "bulle.audit"):
        rotate_audit_key(ws, CUSTODIAN)  # appends succeed although the witness is unreachable
        read(ws, 10)
        status = witness_status(ws)
    assert "is behind" in caplog.text
    assert status[0]["reachable"] is False and status[0]["error"]["since_seq"] == 6
    away.rename(witness)
    code, report = verdict(root, witness)
    assert code == 0 and report.witnesses[0]["status"] == "behind"
    assert report.witnesses[0]["unwitnessed"] == {"first": 6, "last": 7}
    with Workspace.open(root, CUSTODIAN) as ws:
        read(ws, 11)
        assert witness_status(ws)[0]["error"] is None
    code, report = verdict(root, witness)
    assert code == 0 and report.witnesses[0]["status"] == "ok", report.reason
    assert len(report.witnesses[0]["keys"]) == 2


def test_a_rotation_record_signed_by_a_key_the_witness_does_not_trust_is_refused(witnessed):
    root, witness = witnessed
    intruder = generate_signing_key()
    last = records(witness)[-1]
    forged = make_record(
        intruder,
        last.log,
        last.seq,
        last.hash,
        last.at,
        new_key=generate_signing_key().public_key(),
    )
    with open(witness / CHECKPOINTS_FILE, "ab") as f:
        f.write(forged.encode())
    code, report = verdict(root, witness)
    assert code == 6 and report.witnesses[0]["status"] == "other_key"


@pytest.mark.parametrize("where", ["witness", "workspace"])
def test_a_forged_rotation_with_the_stolen_old_key_still_diverges(witnessed, where):
    """Someone who can read the key vouches with it for a new key (in the witness, or in the
    workspace's rotation records) and re-signs the whole log: the checkpoints no longer match."""
    root, witness = witnessed
    old, new = load_workspace_key(root / "keys"), generate_signing_key()
    last = records(witness)[-1]
    target = witness / CHECKPOINTS_FILE if where == "witness" else root / "keys" / ROTATIONS_FILE
    with open(target, "ab") as f:
        f.write(make_record(old, last.log, last.seq, last.hash, last.at, new.public_key()).encode())
    log = root / "audit" / "log.jsonl"
    entries = resign(lines(log), 1, new)
    write(log, entries)
    set_head(root, last_head(entries))
    code, report = verdict(root, witness)
    assert code == 6 and report.witnesses[0]["status"] == "diverged"


def test_a_checkpoint_appended_for_a_rewritten_log_does_not_hide_the_earlier_ones(witnessed):
    root, witness = witnessed
    key = load_workspace_key(root / "keys")
    log = root / "audit" / "log.jsonl"
    entries = lines(log)
    e = json.loads(entries[3])
    e["event"]["details"] = {"rows": 999}
    entries[3] = encode(e, key=key)
    entries = resign(entries, 3, key)
    write(log, entries)
    set_head(root, last_head(entries))
    seq, h = last_head(entries)
    with open(witness / CHECKPOINTS_FILE, "ab") as f:
        f.write(
            make_record(key, records(witness)[-1].log, seq, h, "2026-12-07T00:00:00+00:00").encode()
        )
    code, report = verdict(root, witness)
    assert code == 6 and report.witnesses[0]["status"] == "diverged"
    assert report.first_bad == 3


def test_a_torn_last_checkpoint_is_ignored_and_the_next_one_starts_a_new_line(witnessed):
    root, witness = witnessed
    with open(witness / CHECKPOINTS_FILE, "ab") as f:
        f.write(b'{"at":"2026-12')
    assert verdict(root, witness)[0] == 0
    with Workspace.open(root, CUSTODIAN) as ws:
        read(ws, 20)
    code, report = verdict(root, witness)
    assert code == 0 and report.witnesses[0]["status"] == "ok"
    assert report.witnesses[0]["damaged_lines"] == [5]


def test_a_witness_must_be_outside_the_workspace_and_of_this_log(witnessed, tmp_path):
    root, witness = witnessed
    with Workspace.open(root, CUSTODIAN) as ws:
        with pytest.raises(InputError, match="inside the workspace"):
            add_witness(ws, root / "audit" / "w", CUSTODIAN)
        with pytest.raises(ConflictError, match="already a witness"):
            add_witness(ws, witness, CUSTODIAN)
    other = Workspace.init(tmp_path / "other", CUSTODIAN)
    with other, pytest.raises(ConflictError, match="another audit log"):
        add_witness(other, witness, CUSTODIAN)


def test_a_witness_unregistered_behind_the_dpo_s_back_shows_as_behind(witnessed):
    root, witness = witnessed
    (root / "audit" / REGISTRY_FILE).unlink()
    with Workspace.open(root, CUSTODIAN) as ws:
        read(ws, 30)
    code, report = verdict(root, witness)
    assert code == 0 and report.witnesses[0]["status"] == "behind"
    with Workspace.open(root, CUSTODIAN) as ws:  # re-attaching keeps the original pin
        out = add_witness(ws, witness, CUSTODIAN)
    assert out["reattached"] is True
    assert verdict(root, witness)[1].witnesses[0]["status"] == "ok"


def test_a_torn_rotation_record_does_not_swallow_the_next_one(witnessed):
    root, witness = witnessed
    with open(root / "keys" / ROTATIONS_FILE, "ab") as f:
        f.write(b'{"at":"2026')
    away = witness.with_name("unmounted")
    witness.rename(away)
    with Workspace.open(root, CUSTODIAN) as ws:
        rotate_audit_key(ws, CUSTODIAN)
    away.rename(witness)
    with Workspace.open(root, CUSTODIAN) as ws:
        read(ws, 40)  # the witness is handed the rotation it missed
    code, report = verdict(root, witness)
    assert code == 0 and report.witnesses[0]["status"] == "ok", report.reason


def test_the_python_api_verifies_after_a_rotation_and_against_a_witness(tmp_path):
    import bulle

    with bulle.init_workspace(tmp_path / "ws", user="carol") as ws:
        ws.add_audit_witness(tmp_path / "w")
        ws.rotate_audit_key()
        assert ws.verify_audit_log()["ok"]  # both keys: the old one signed the first events
        report = ws.verify_audit_log(witnesses=[tmp_path / "w"])
        assert report["ok"] and report["witnesses"][0]["status"] == "ok"


def test_a_rotation_by_another_process_is_picked_up_before_the_next_append(witnessed):
    """Two open workspaces (two processes' logs, each with its own file and lock): after one rotates
    the key, the other signs with the new key, not the superseded one."""
    root, witness = witnessed
    with Workspace.open(root, CUSTODIAN) as server, Workspace.open(root, CUSTODIAN) as cli:
        read(server, 50)
        rotate_audit_key(cli, CUSTODIAN)
        read(server, 51)
    code, report = verdict(root, witness)
    assert code == 0, report.reason
    assert verdict(root, None)[0] == 0
