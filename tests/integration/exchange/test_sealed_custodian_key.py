"""Moving a workspace keeps the custodian's key sealed, and a rebuilt workspace is private."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, InputError
from bulle.services.exchange import export_workspace, import_workspace
from bulle.services.pseudonymization import pseudonymize, reidentify
from bulle.services.vault import import_table, read_table, set_roles
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
ENV = "BULLE_CUSTODIAN_PASSPHRASE"


@pytest.fixture
def source(tmp_path):
    root = tmp_path / "src"
    src = tmp_path / "t.csv"
    src.write_text("id_patient,nom\nP1,Dupont\nP2,Martin\n")
    with Workspace.init(root, ALICE) as ws:
        import_table(ws, src, "t")
        set_roles(ws, "t", confirm_all=True)
        out = pseudonymize(ws, "t", reid_table=True)
        token = read_table(ws, out.ref).to_pylist()[0]["nom"]
    return root, token


def _private(root: Path) -> None:
    for p in [root, *root.rglob("*")]:
        assert stat.S_IMODE(p.stat().st_mode) & 0o077 == 0, p


def test_exported_key_stays_sealed_and_opens_with_the_passphrase(source, tmp_path, monkeypatch):
    root, token = source
    old = os.umask(0o022)
    try:
        with Workspace.open(root, ALICE) as ws:
            export_workspace(ws, tmp_path / "export", include_keys=True)
        assert (
            b"bulle-custodian-key" in (tmp_path / "export" / "keys" / "custodian.key").read_bytes()
        )
        import_workspace(tmp_path / "export", tmp_path / "new", ALICE)
    finally:
        os.umask(old)
    _private(tmp_path / "new")
    passphrase = os.environ[ENV].encode()
    monkeypatch.delenv(ENV)
    with Workspace.open(tmp_path / "new", ALICE) as ws:
        with pytest.raises(AccessDenied, match="passphrase"):
            reidentify(ws, "t@2", [token])
        assert reidentify(ws, "t@2", [token], passphrase=passphrase).tokens[token] == {
            "nom": "Dupont"
        }


def test_an_import_that_makes_a_new_key_protects_it_too(source, tmp_path, monkeypatch):
    from bulle.vault.custodian_key import CustodianKeySetup

    root, _ = source
    with Workspace.open(root, ALICE) as ws:
        export_workspace(ws, tmp_path / "export")
    monkeypatch.delenv(ENV)
    with pytest.raises(InputError, match="--custodian-key-out"):
        import_workspace(tmp_path / "export", tmp_path / "new", ALICE)
    assert not (tmp_path / "new").exists() and not list(tmp_path.glob("new.tmp-*"))
    out = tmp_path / "custodian.key"
    import_workspace(tmp_path / "export", tmp_path / "new", ALICE, CustodianKeySetup(key_out=out))
    assert not (tmp_path / "new" / "keys" / "custodian.key").exists()
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    _private(tmp_path / "new")
