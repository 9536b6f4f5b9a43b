"""A log may span several signing keys (a rotation, an import into a workspace with new keys):
each entry names its key, and the log verifies given the set of trusted public keys."""

from __future__ import annotations

import json
import shutil

from tests.spec.audit.audit_tamper import N, event, forge, lines, write

from bulle.audit.events import WorkspaceImported
from bulle.audit.heads import FileHeadStore
from bulle.audit.keys import (
    KeyRing,
    ensure_workspace_key,
    key_id,
    load_public_key,
    rotate_workspace_key,
    trust_public_key,
    workspace_key_ring,
    write_public_key,
)
from bulle.audit.log import AuditLog
from bulle.domain.actor import Actor


def test_a_log_signed_by_two_keys_verifies_with_both(env, other_key):
    log = AuditLog.open(env.path, other_key, env.heads)
    log.append_many(event(i) for i in range(N + 1, N + 6))
    report = log.verify(KeyRing([env.key, other_key]))
    assert report.ok, report.reason
    assert report.keys == [
        {"key": key_id(env.key), "first": 1, "last": N},
        {"key": key_id(other_key), "first": N + 1, "last": N + 5},
    ]


def test_each_key_alone_leaves_the_other_keys_events_unproven(env, other_key):
    AuditLog.open(env.path, other_key, env.heads).append_many(event(i) for i in range(3))
    assert env.verify(keys=KeyRing([other_key])).first_bad == 1
    assert env.verify(keys=KeyRing([env.key])).first_bad == N + 1


def test_a_superseded_key_may_not_sign_again(env, other_key):
    AuditLog.open(env.path, other_key, env.heads).append_many(event(i) for i in range(2))
    AuditLog.open(env.path, env.key, env.heads).append(event(99))
    report = env.verify(keys=KeyRing([env.key, other_key]))
    assert report.first_bad == N + 3
    assert "superseded" in report.reason


def test_an_insertion_signed_by_an_old_trusted_key_is_still_caught(env, other_key):
    AuditLog.open(env.path, other_key, env.heads).append_many(event(i) for i in range(4))
    entries = lines(env.path)
    prev = json.loads(entries[N + 2])["hash"]
    entries.insert(N + 3, forge(env.key, N + 3, prev, {"kind": "dataset.export"}))
    write(env.path, entries)
    report = env.verify(keys=KeyRing([env.key, other_key]))
    assert report.first_bad == N + 3


def test_workspace_key_rotation_keeps_the_old_public_key_trusted(tmp_path):
    keys = tmp_path / "keys"
    first = ensure_workspace_key(keys)
    heads = FileHeadStore(tmp_path / "head.json")
    log = AuditLog.create(tmp_path / "audit.jsonl", first, "ws-1", heads)
    log.append_many(event(i) for i in range(3))
    second = rotate_workspace_key(keys)
    assert key_id(second) != key_id(first)
    AuditLog.open(log.path, second, heads).append_many(event(i) for i in range(3))
    ring = workspace_key_ring(keys)
    assert set(ring) == {key_id(first), key_id(second)}
    report = AuditLog.open(log.path, None, heads).verify(ring)
    assert report.ok, report.reason
    assert [run["key"] for run in report.keys] == [key_id(first), key_id(second)]


def test_an_import_with_new_keys_keeps_the_old_log_verifiable_with_the_exported_key(tmp_path, env):
    """What a workspace export and import-workspace without --include-keys do to the log."""
    export = tmp_path / "export"
    export.mkdir()
    shutil.copy(env.path, export / "audit.jsonl")
    write_public_key(export / "audit-public-key.pem", env.key.public_key())
    exported_head = env.heads.get()

    new_keys = tmp_path / "new" / "keys"
    new_key = ensure_workspace_key(new_keys)
    old_public = load_public_key(export / "audit-public-key.pem")
    trust_public_key(new_keys, old_public)
    shutil.copy(export / "audit.jsonl", tmp_path / "new" / "audit.jsonl")
    heads = FileHeadStore(tmp_path / "new" / "head.json")
    log = AuditLog.adopt(
        tmp_path / "new" / "audit.jsonl",
        new_key,
        heads,
        workspace_key_ring(new_keys),
        expected_head=exported_head,
    )
    log.append(
        WorkspaceImported(
            actor=Actor("bob", "custodian"),
            target="ws-0001",
            details={"carried_events": exported_head[0]},
        )
    )

    report = log.verify(workspace_key_ring(new_keys))
    assert report.ok, report.reason
    assert report.entries == N + 1
    assert [r["key"] for r in report.keys] == [key_id(env.key), key_id(new_key)]
    # and the exported part alone still verifies with the exported public key
    assert env.verify(keys=old_public).ok
