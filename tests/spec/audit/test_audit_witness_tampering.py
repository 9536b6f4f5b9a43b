"""What someone running as the workspace's owner can do to its audit log, with and without a
witness outside the workspace.

The catalog's chain head and the signing key sit beside the log. Each tampering below is run on a
real workspace, once verified as `bulle audit verify` does (workspace keys, catalog head) and once
as `bulle audit verify --witness DIR` does (only the key the witness pinned, and its checkpoints).
The verdicts are the ones docs/audit-log.md promises: without a witness a missing head and a
deleted log are caught, a rewrite consistent with the head and the key is not; with a witness,
every one is caught.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from tests.spec.audit.audit_tamper import encode, lines, write

from bulle.audit.events import DatasetRead
from bulle.audit.keys import (
    PUBLIC_KEY_FILE,
    SIGNING_KEY_FILE,
    TRUSTED_DIR,
    generate_signing_key,
    key_id,
    load_workspace_key,
    workspace_key_ring,
    write_private_key,
    write_public_key,
)
from bulle.domain.actor import Actor
from bulle.errors import BulleError
from bulle.workspace import Workspace

CUSTODIAN = Actor("carol", "custodian")
EVENTS = 5


@pytest.fixture(params=["without witness", "with witness"])
def case(request, tmp_path):
    """A workspace with a few events; with a witness in a directory outside it, or not."""
    root = tmp_path / "ws"
    ws = Workspace.init(root, CUSTODIAN)
    witness = None
    if request.param == "with witness":
        from bulle.audit.witness import add_witness

        witness = tmp_path / "dpo-witness"
        add_witness(ws, witness, CUSTODIAN)
    for i in range(EVENTS):
        ws.emit(
            DatasetRead(
                actor=Actor("alice", "analyst"),
                target=f"patients@{i}",
                details={"project": "cohort", "rows": i},
            )
        )
    ws.close()
    return root, witness


def verdict(root: Path, witness: Path | None):
    """(exit code, report or None) of `bulle [--workspace root] audit verify [--witness DIR]`."""
    try:
        ws = Workspace.open(root, CUSTODIAN)
    except BulleError as exc:
        return exc.exit_code, None
    try:
        kw = (
            {"witnesses": [witness], "rotations": root / "keys" / "audit-rotations.jsonl"}
            if witness is not None
            else {}
        )
        report = ws.audit_log.verify(workspace_key_ring(ws.keys_dir), **kw)
    except BulleError as exc:
        return exc.exit_code, None
    finally:
        ws.close()
    return (0 if report.ok else 6), report


def log_path(root: Path) -> Path:
    return root / "audit" / "log.jsonl"


def set_head(root: Path, head: tuple[int, str] | None) -> None:
    con = sqlite3.connect(root / "catalog.sqlite")
    with con:
        if head is None:
            con.execute("DELETE FROM meta WHERE key='audit_head'")
        else:
            con.execute("UPDATE meta SET value=? WHERE key='audit_head'", (f"{head[0]}:{head[1]}",))
    con.close()


def last_head(entries: list[bytes]) -> tuple[int, str]:
    e = json.loads(entries[-1])
    return e["seq"], e["hash"]


def resign(entries: list[bytes], start: int, key) -> list[bytes]:
    """Recompute every hash and link from ``start`` on, signing with ``key``: a valid chain."""
    out = list(entries)
    for i in range(start, len(out)):
        e = json.loads(out[i])
        e["prev"] = json.loads(out[i - 1])["hash"] if i > 1 else e["prev"]
        e["key"] = key_id(key)
        out[i] = encode(e, key=key)
    return out


def test_untouched_workspace_log_verifies(case):
    code, report = verdict(*case)
    assert code == 0, report.reason
    assert report.head_checked


def test_a_deleted_head_is_a_failure(case):
    """(a) The head row deleted from the catalog: the log can no longer be checked for a cut."""
    root, witness = case
    set_head(root, None)
    code, report = verdict(root, witness)
    assert code == 6
    assert "no chain head" in report.reason


def test_a_cut_tail_with_the_head_moved_back(case):
    """(b) Cut the last entries and move the catalog's head back: only a witness sees it."""
    root, witness = case
    entries = lines(log_path(root))[:-2]
    write(log_path(root), entries)
    set_head(root, last_head(entries))
    code, report = verdict(root, witness)
    if witness is None:
        assert code == 0  # documented limit: the head and the log agree
    else:
        n = len(entries) - 1
        assert code == 6 and report.first_bad == n + 1
        assert report.witnesses[0]["status"] == "log_behind"
        assert "cut" in report.reason


def test_a_cut_tail_with_the_head_deleted(case):
    """(c) Both: cut the tail and delete the head."""
    root, witness = case
    write(log_path(root), lines(log_path(root))[:-2])
    set_head(root, None)
    code, report = verdict(root, witness)
    assert code == 6
    if witness is not None:
        assert report.witnesses[0]["status"] == "log_behind"


def test_an_edit_re_signed_with_the_workspace_key(case):
    """(d) Edit entry 3 and re-sign it and every later entry with the workspace's own key."""
    root, witness = case
    entries = lines(log_path(root))
    e = json.loads(entries[3])
    e["event"]["details"] = {"project": "another", "rows": 0}
    entries[3] = encode(e, key=load_workspace_key(root / "keys"))
    entries = resign(entries, 3, load_workspace_key(root / "keys"))
    write(log_path(root), entries)
    set_head(root, last_head(entries))
    code, report = verdict(root, witness)
    if witness is None:
        assert code == 0  # documented limit: the key sits beside the log
    else:
        assert code == 6
        assert report.witnesses[0]["status"] == "diverged"
        assert report.first_bad <= 3 and "rewritten" in report.reason


def test_a_replaced_key_pair_and_everything_re_signed(case):
    """(e) Replace the key pair (and drop the trusted old keys), re-sign the whole log."""
    root, witness = case
    keys = root / "keys"
    new = generate_signing_key()
    write_private_key(keys / SIGNING_KEY_FILE, new, replace=True)
    write_public_key(keys / PUBLIC_KEY_FILE, new.public_key())
    shutil.rmtree(keys / TRUSTED_DIR, ignore_errors=True)
    entries = resign(lines(log_path(root)), 1, new)
    write(log_path(root), entries)
    set_head(root, last_head(entries))
    code, report = verdict(root, witness)
    if witness is None:
        assert code == 0  # documented limit: the workspace's keys are the workspace's word
    else:
        assert code == 6 and report.first_bad == 1
        assert "pinned by the witness" in report.reason


@pytest.mark.parametrize("case", ["with witness"], indirect=True)
def test_a_replaced_key_pair_cannot_feed_the_witness(case):
    """(e) continued: the next append reaches the witness signed by a key it never pinned."""
    root, witness = case
    keys = root / "keys"
    new = generate_signing_key()
    write_private_key(keys / SIGNING_KEY_FILE, new, replace=True)
    write_public_key(keys / PUBLIC_KEY_FILE, new.public_key())
    entries = resign(lines(log_path(root)), 1, new)
    write(log_path(root), entries)
    set_head(root, last_head(entries))
    with Workspace.open(root, CUSTODIAN) as ws:
        ws.emit(DatasetRead(actor=Actor("alice", "analyst"), target="patients@9", details={}))
    code, report = verdict(root, witness)
    assert code == 6
    assert report.witnesses[0]["status"] == "other_key"
    assert "key pair was replaced" in report.witnesses[0]["reason"]


def test_a_deleted_log_is_an_integrity_failure(case):
    root, witness = case
    log_path(root).unlink()
    code, _ = verdict(root, witness)
    assert code == 6


@pytest.mark.parametrize("case", ["with witness"], indirect=True)
def test_a_deleted_log_against_its_witness_alone(case):
    """The stand-alone form (`--log FILE --witness DIR`): the witness knows a log existed."""
    root, witness = case
    from bulle.audit.witness_verify import verify_with_witnesses

    log_path(root).unlink()
    with pytest.raises(BulleError) as exc:
        verify_with_witnesses(log_path(root), [witness])
    assert exc.value.exit_code == 6 and "missing" in str(exc.value)


def test_a_log_replaced_by_a_new_one_signed_with_the_workspace_key(case, tmp_path):
    """A fresh log (new header) with plausible events, signed with the workspace's key, and the
    catalog head set to its end."""
    from bulle.audit.heads import MemoryHeadStore
    from bulle.audit.log import AuditLog

    root, witness = case
    heads = MemoryHeadStore()
    fresh = AuditLog.create(
        tmp_path / "fresh.jsonl",
        load_workspace_key(root / "keys"),
        json.loads(lines(log_path(root))[0])["workspace_id"],
        heads,
    )
    fresh.append_many(
        DatasetRead(actor=Actor("alice", "analyst"), target=f"patients@{i}", details={})
        for i in range(8)
    )
    fresh.close()
    shutil.move(tmp_path / "fresh.jsonl", log_path(root))
    set_head(root, heads.get())
    code, report = verdict(root, witness)
    if witness is None:
        assert code == 0  # documented limit
    else:
        assert code == 6 and report.first_bad == 0
        assert report.witnesses[0]["status"] == "other_log"
