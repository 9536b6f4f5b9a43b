"""Keys leave only with --include-keys; without them the new workspace gets new ones."""

from __future__ import annotations

import json
import stat

import pytest

from bulle.audit.keys import key_id, load_workspace_key
from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied
from bulle.services.exchange import import_workspace
from bulle.services.pseudonymization import pseudonymize, reidentify
from bulle.services.vault import read_table
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
TOKENIZED = ("id_patient", "nom", "NIR")


def _tokens(ws, ref):
    rows = read_table(ws, ref, columns=list(TOKENIZED)).to_pylist()
    return [tuple(r[c] for c in TOKENIZED) for r in rows]


def test_no_secret_leaves_without_the_flag(source, exported):
    manifest = json.loads((exported / "manifest.json").read_text())
    assert not (exported / "keys").exists()
    assert all(f["kind"] != "secret-key" for f in manifest["files"])
    assert manifest["keys"]["included"] is False
    secrets = [
        p.read_bytes().strip()
        for p in (source / "keys").iterdir()
        if p.is_file() and (p.suffix == ".key")
    ]
    assert len(secrets) >= 3  # pseudonym, custodian, audit signing key
    blob = b"".join(p.read_bytes() for p in exported.rglob("*") if p.is_file())
    for s in secrets:
        assert s not in blob


def test_without_keys_new_keys_new_tokens_old_log_still_verifies(source, exported, tmp_path):
    result = import_workspace(exported, tmp_path / "new", ALICE)
    assert result.keys["restored"] is False
    assert any("re-identification" in n for n in result.notes)
    assert result.reid_tables == 1
    with Workspace.open(source, ALICE) as a, Workspace.open(tmp_path / "new", ALICE) as b:
        assert b.keys.current_pseudonym_key_id() != a.keys.current_pseudonym_key_id()
        assert key_id(load_workspace_key(b.keys_dir)) != key_id(load_workspace_key(a.keys_dir))
        # the exported pseudonymized version is carried over as is ...
        assert _tokens(b, "patients@2") == _tokens(a, "patients@2")
        # ... but pseudonymizing again uses the new key: other tokens
        again = pseudonymize(b, "patients@1").ref
        assert set(_tokens(b, again)).isdisjoint(_tokens(a, "patients@2"))
        token = _tokens(a, "patients@2")[0][1]
        with pytest.raises(AccessDenied):  # encrypted to the old custodian key
            reidentify(b, "patients@2", [token])
        # the custodian who kept the old private key can still read it
        found = reidentify(b, "patients@2", [token], custodian_key=a.keys_dir / "custodian.key")
        assert found.tokens[token] == reidentify(a, "patients@2", [token]).tokens[token]


def test_with_keys_everything_restored(source, exported_with_keys, tmp_path):
    manifest = json.loads((exported_with_keys / "manifest.json").read_text())
    assert manifest["contains_secret_keys"] is True and "SECRET KEYS" in manifest["warning"]
    assert list(manifest)[:4] == [
        "format",
        "format_version",
        "contains_secret_keys",
        "warning",
    ]  # loud, on top
    for p in (exported_with_keys / "keys").rglob("*"):
        assert stat.S_IMODE(p.stat().st_mode) == (0o700 if p.is_dir() else 0o600), p
    result = import_workspace(exported_with_keys, tmp_path / "new", ALICE)
    assert result.keys["restored"] is True
    with Workspace.open(source, ALICE) as a, Workspace.open(tmp_path / "new", ALICE) as b:
        assert b.keys.current_pseudonym_key_id() == a.keys.current_pseudonym_key_id()
        assert key_id(load_workspace_key(b.keys_dir)) == key_id(load_workspace_key(a.keys_dir))
        again = pseudonymize(b, "patients@1").ref
        assert _tokens(b, again) == _tokens(a, "patients@2")  # the same tokens as before the move
        token = _tokens(a, "patients@2")[0][1]
        assert (
            reidentify(b, "patients@2", [token]).tokens[token]
            == reidentify(a, "patients@2", [token]).tokens[token]
        )
        report = b.audit_log.verify()
        assert report.ok and len(report.keys) == 1  # one key signed it all, the import included
    for p in (tmp_path / "new" / "keys").rglob("*"):
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p
