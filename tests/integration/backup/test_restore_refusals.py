"""A backup is hostile input: every crafted change is refused and nothing is left at the target."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, BulleError, ConflictError
from bulle.services.backup import backup_workspace, restore_workspace
from bulle.services.vault import import_table
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
PATIENTS = Path(__file__).resolve().parents[3] / "src" / "bulle" / "data" / "patients_fr.csv"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("bk")
    with Workspace.init(base / "ws", ALICE) as ws:
        import_table(ws, PATIENTS, "base")
        backup_workspace(ws, base / "backup")
    return base / "backup"


def _keys(backup: Path) -> Path:
    """The source workspace's key folder (each test's backup is a copy of the module's)."""
    return Path((backup.parent / "source").read_text())


@pytest.fixture
def backup(pristine, tmp_path) -> Path:
    copy = tmp_path / "backup"
    shutil.copytree(pristine, copy, symlinks=True)
    (tmp_path / "source").write_text(str(pristine.parent / "ws" / "keys"))
    return copy


def _relist(backup: Path, rel: str) -> None:
    """Make the manifest agree with a file changed on purpose (an attacker can do it too)."""
    m = json.loads((backup / "manifest.json").read_text())
    data = (backup / rel).read_bytes()
    for f in m["files"]:
        if f["path"] == rel:
            f["sha256"], f["size"] = hashlib.sha256(data).hexdigest(), len(data)
    _sign(backup, m)


def _sign(backup: Path, m: dict, key=None) -> None:
    """Write the manifest and sign it with the workspace's own key: what someone holding the
    key could do, so the checks after the signature are tested on their own."""
    from bulle.audit.keys import load_workspace_key
    from bulle.exchange.backup import SIGNATURE, signature_line

    raw = json.dumps(m).encode()
    (backup / "manifest.json").write_bytes(raw)
    key = key or load_workspace_key(_keys(backup))
    (backup / SIGNATURE).write_bytes(signature_line(key, raw))


def _refused(backup: Path, tmp_path: Path, match: str) -> BulleError:
    with pytest.raises(BulleError, match=match) as err:
        restore_workspace(backup, tmp_path / "new", ALICE)
    assert not (tmp_path / "new").exists()
    assert not any(p.name.startswith("new.tmp-") for p in tmp_path.iterdir())
    return err.value


def test_untouched_backup_restores(backup, tmp_path):
    assert restore_workspace(backup, tmp_path / "new", ALICE).versions == 1


def test_changed_file_refused(backup, tmp_path):
    (p,) = (backup / "data" / "base").iterdir()
    p.write_bytes(p.read_bytes()[:-10] + b"0123456789")
    _refused(backup, tmp_path, "does not hold what its manifest lists")


def test_unlisted_file_refused(backup, tmp_path):
    (backup / "data" / "extra.parquet").write_bytes(b"x")
    _refused(backup, tmp_path, "does not hold what its manifest lists")


def test_symlink_refused(backup, tmp_path):
    (p,) = (backup / "data" / "base").iterdir()
    target = tmp_path / "elsewhere"
    target.write_bytes(p.read_bytes())
    p.unlink()
    os.symlink(target, p)
    _refused(backup, tmp_path, "does not hold what its manifest lists")


@pytest.mark.parametrize("rel", ["../escape.parquet", "/etc/passwd", "data/.tmp/x", "secret.txt"])
def test_bad_manifest_path_refused(backup, tmp_path, rel):
    m = json.loads((backup / "manifest.json").read_text())
    m["files"].append({"path": rel, "sha256": "0" * 64, "size": 1})
    (backup / "manifest.json").write_text(json.dumps(m))
    err = _refused(backup, tmp_path, "malformed backup manifest")
    assert err.problems


def test_keys_listed_without_the_flag_refused(backup, tmp_path):
    m = json.loads((backup / "manifest.json").read_text())
    m["files"].append({"path": "keys/audit-ed25519.key", "sha256": "0" * 64, "size": 1})
    (backup / "manifest.json").write_text(json.dumps(m))
    _refused(backup, tmp_path, "malformed backup manifest")


def test_catalog_with_a_trigger_refused(backup, tmp_path):
    con = sqlite3.connect(backup / "catalog.sqlite")
    con.execute("CREATE TRIGGER t AFTER INSERT ON meta BEGIN DELETE FROM meta; END")
    con.commit()
    con.close()
    _relist(backup, "catalog.sqlite")
    err = _refused(backup, tmp_path, "not Bulle's schema")
    assert err.exit_code == 6 and any(p.where.field == "t" for p in err.problems)


def test_version_hash_mismatch_refused(backup, tmp_path):
    con = sqlite3.connect(backup / "catalog.sqlite")
    con.execute("UPDATE versions SET content_hash = 'sha256:' || printf('%064d', 0)")
    con.commit()
    con.close()
    _relist(backup, "catalog.sqlite")
    _refused(backup, tmp_path, "do not match its catalog")


def test_cut_audit_log_refused(backup, tmp_path):
    log = backup / "audit" / "log.jsonl"
    log.write_bytes(b"".join(log.read_bytes().splitlines(keepends=True)[:-1]))
    _relist(backup, "audit/log.jsonl")
    _refused(backup, tmp_path, "audit log does not verify")


def test_only_a_custodian_restores_and_never_over_a_workspace(backup, tmp_path):
    with pytest.raises(AccessDenied):
        restore_workspace(backup, tmp_path / "new", Actor("bob", Role.ANALYST))
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(ConflictError):
        restore_workspace(backup, tmp_path / "full", ALICE)


def test_a_backup_larger_than_the_free_space_is_refused_before_reading_it(backup, tmp_path):
    import shutil as sh

    from bulle.errors import ResourceLimit

    m = json.loads((backup / "manifest.json").read_text())
    m["files"][0]["size"] = sh.disk_usage(tmp_path).free + 1
    (backup / "manifest.json").write_text(json.dumps(m))
    with pytest.raises(ResourceLimit, match="free"):
        restore_workspace(backup, tmp_path / "new", ALICE)
    assert not (tmp_path / "new").exists()


def test_exit_codes_say_what_failed(backup, tmp_path):
    """Tampered stored state is an integrity failure (6); a malformed manifest is bad input (2)."""
    (p,) = (backup / "data" / "base").iterdir()
    p.write_bytes(b"not parquet")
    assert _refused(backup, tmp_path, "does not hold").exit_code == 6
    m = json.loads((backup / "manifest.json").read_text())
    m["files"][0]["sha256"] = "XYZ"
    (backup / "manifest.json").write_text(json.dumps(m))
    assert _refused(backup, tmp_path, "malformed").exit_code == 2


def test_an_edited_manifest_is_refused_by_its_signature(backup, tmp_path):
    m = json.loads((backup / "manifest.json").read_text())
    m["created_at"] = "2020-01-01T00:00:00.000000+00:00"
    (backup / "manifest.json").write_text(json.dumps(m))
    err = _refused(backup, tmp_path, "the manifest was modified")
    assert err.exit_code == 6
    (backup / "manifest.sig").unlink()
    _refused(backup, tmp_path, "manifest.sig is missing")


def test_a_trusted_public_key_tells_the_workspaces_backup_from_a_crafted_one(backup, tmp_path):
    from bulle.audit.keys import PUBLIC_KEY_FILE, generate_signing_key, write_public_key

    real = _keys(backup) / PUBLIC_KEY_FILE
    other = tmp_path / "other.pub"
    write_public_key(other, generate_signing_key().public_key())
    with pytest.raises(BulleError, match="not by a key you trust"):
        restore_workspace(backup, tmp_path / "new", ALICE, trusted_keys=(other,))
    assert not (tmp_path / "new").exists()
    # someone re-signs the backup with a key of their own, and ships its public half in it
    forged = generate_signing_key()
    pub = backup / "keys-public" / "audit-ed25519.pub"
    pub.unlink()
    write_public_key(pub, forged.public_key())
    m = json.loads((backup / "manifest.json").read_text())
    data = pub.read_bytes()
    for f in m["files"]:
        if f["path"] == "keys-public/audit-ed25519.pub":
            f["sha256"], f["size"] = hashlib.sha256(data).hexdigest(), len(data)
    _sign(backup, m, forged)
    with pytest.raises(BulleError, match="not by a key you trust"):
        restore_workspace(backup, tmp_path / "new", ALICE, trusted_keys=(real,))
    assert not (tmp_path / "new").exists()


def test_the_workspaces_own_key_accepts_its_backup(backup, tmp_path):
    from bulle.audit.keys import PUBLIC_KEY_FILE

    real = _keys(backup) / PUBLIC_KEY_FILE
    assert restore_workspace(backup, tmp_path / "new", ALICE, trusted_keys=(real,)).versions == 1
