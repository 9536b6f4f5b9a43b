"""The custodian's private key (it opens every re-identification table) is not usable at rest in
the workspace: sealed under a passphrase, or written outside the workspace."""

from __future__ import annotations

import base64
import json
import os
import stat
import subprocess
import sys

import pytest
from cryptography.hazmat.primitives import serialization

from bulle.domain.actor import Actor, Role
from bulle.errors import AccessDenied, InputError, IntegrityError
from bulle.services.pseudonymization import pseudonymize, reidentify
from bulle.services.vault import import_table, read_table, set_roles
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)
ENV = "BULLE_CUSTODIAN_PASSPHRASE"
CSV = "id_patient,nom\nP1,Dupont\nP2,Martin\n"


def _token(ws, tmp_path):
    src = tmp_path / "t.csv"
    src.write_text(CSV)
    import_table(ws, src, "t")
    set_roles(ws, "t", confirm_all=True)
    out = pseudonymize(ws, "t", reid_table=True)
    return out.ref, read_table(ws, out.ref).to_pylist()[1]["nom"]


def test_the_key_at_rest_needs_the_passphrase(tmp_path, monkeypatch):
    passphrase = os.environ[ENV]  # set for every test (tests/conftest.py); init seals with it
    ws = Workspace.init(tmp_path / "ws", ALICE)
    try:
        ref, tok = _token(ws, tmp_path)
        data = (ws.keys_dir / "custodian.key").read_bytes()
        with pytest.raises((ValueError, TypeError)):  # not a usable PEM key without a passphrase
            serialization.load_pem_private_key(data, password=None)
        monkeypatch.delenv(ENV)
        with pytest.raises(AccessDenied, match="sealed with a passphrase"):
            ws.keys.custodian_private_key()
        with pytest.raises(AccessDenied, match="sealed with a passphrase"):
            reidentify(ws, ref, [tok])
        with pytest.raises(AccessDenied, match="wrong passphrase"):
            reidentify(ws, ref, [tok], passphrase=b"not the passphrase at all")
        assert reidentify(ws, ref, [tok], passphrase=passphrase.encode()).tokens[tok] == {
            "nom": "Martin"
        }
        # the raw private key is nowhere in the file
        raw = ws.keys.custodian_private_key(passphrase=passphrase.encode()).private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        assert (
            raw.hex().encode() not in data and base64.b64encode(raw) not in data and raw not in data
        )
    finally:
        ws.close()


def test_a_sealed_key_whose_parameters_were_changed_does_not_open(tmp_path):
    with Workspace.init(tmp_path / "ws", ALICE) as ws:
        path = ws.keys_dir / "custodian.key"
        doc = json.loads(path.read_bytes())
        doc["kdf"]["log2_n"] = doc["kdf"]["log2_n"] + 1  # authenticated: the file no longer opens
        path.write_text(json.dumps(doc))
        with pytest.raises(AccessDenied):
            ws.keys.custodian_private_key()


def test_init_without_protection_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv(ENV)
    with pytest.raises(InputError, match="--custodian-key-out"):
        Workspace.init(tmp_path / "ws", ALICE)
    assert not (tmp_path / "ws").exists()  # refused before anything was made
    monkeypatch.setenv(ENV, "short")
    with pytest.raises(InputError, match="too short"):
        Workspace.init(tmp_path / "ws", ALICE)
    assert not (tmp_path / "ws").exists()


def test_the_key_can_live_outside_the_workspace(tmp_path, monkeypatch):
    from bulle.vault.custodian_key import CustodianKeySetup

    monkeypatch.delenv(ENV)
    out = tmp_path / "offline" / "custodian.key"
    out.parent.mkdir()
    with pytest.raises(InputError, match="outside the workspace"):
        Workspace.init(
            tmp_path / "ws", ALICE, custodian=CustodianKeySetup(key_out=tmp_path / "ws" / "k.key")
        )
    ws = Workspace.init(tmp_path / "ws", ALICE, custodian=CustodianKeySetup(key_out=out))
    try:
        assert not (ws.keys_dir / "custodian.key").exists()
        assert stat.S_IMODE(out.stat().st_mode) == 0o600
        ref, tok = _token(ws, tmp_path)
        with pytest.raises(Exception, match="--custodian-key FILE"):
            reidentify(ws, ref, [tok])
        assert reidentify(ws, ref, [tok], custodian_key=out).tokens[tok] == {"nom": "Martin"}
        os.chmod(out, 0o644)
        with pytest.raises(IntegrityError, match=f"chmod 600 {out}"):
            reidentify(ws, ref, [tok], custodian_key=out)
    finally:
        ws.close()


def test_an_unsealed_key_inside_the_workspace_is_refused(tmp_path):
    """A workspace made by an older Bulle: its PEM key must be moved out before it is used."""
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

    with Workspace.init(tmp_path / "ws", ALICE) as ws:
        ref, tok = _token(ws, tmp_path)
        old = X25519PrivateKey.generate()
        path = ws.keys_dir / "custodian.key"
        path.write_bytes(
            old.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        with pytest.raises(IntegrityError, match="unsealed in the workspace"):
            reidentify(ws, ref, [tok])
        moved = tmp_path / "moved.key"
        path.rename(moved)
        with pytest.raises(AccessDenied):  # another key than the table's: refused by the cipher
            reidentify(ws, ref, [tok], custodian_key=moved)


def test_cli_passphrase_from_a_private_file_never_logged(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != ENV}
    secret = "correct horse battery staple 42"
    pf = tmp_path / "passphrase"
    pf.write_text(secret + "\n")
    os.chmod(pf, 0o644)
    root = tmp_path / "ws"

    def bulle(*args):
        return subprocess.run(
            [sys.executable, "-m", "bulle", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    refused = bulle("init", str(root), "--custodian-passphrase-file", str(pf), "--json")
    assert refused.returncode == 2 and f"chmod 600 {pf}" in refused.stderr and not root.exists()
    os.chmod(pf, 0o600)
    made = bulle("init", str(root), "--custodian-passphrase-file", str(pf), "--json")
    assert made.returncode == 0, made.stderr
    assert b'"format": "bulle-custodian-key"' in (root / "keys" / "custodian.key").read_bytes()
    src = tmp_path / "t.csv"
    src.write_text(CSV)
    assert bulle("--workspace", str(root), "import", str(src), "--dataset", "t").returncode == 0
    bulle("--workspace", str(root), "roles", "t", "--confirm")
    done = bulle("--workspace", str(root), "pseudonymize", "t", "--reid-table", "--json")
    ref = json.loads(done.stdout)["ref"]
    shown = json.loads(bulle("--workspace", str(root), "show", ref, "--json").stdout)
    tok = shown["rows"][0]["nom"]
    without = bulle("--workspace", str(root), "reidentify", ref, tok, "--json")
    assert without.returncode == 5 and "--custodian-passphrase-file" in without.stderr
    found = bulle(
        "--workspace",
        str(root),
        "reidentify",
        ref,
        tok,
        "--custodian-passphrase-file",
        str(pf),
        "--json",
    )
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["tokens"][tok] == {"nom": "Dupont"}
    for p in root.rglob("*"):
        if p.is_file():
            assert secret.encode() not in p.read_bytes(), p
