"""Opening a workspace: keys others may read are refused; anything else open to others is repaired
and recorded in the audit log."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from bulle.domain.actor import Actor, Role
from bulle.errors import IntegrityError
from bulle.services.pseudonymization import pseudonymize, reidentify
from bulle.services.vault import import_table, read_table, set_roles
from bulle.workspace import Workspace

ALICE = Actor("alice", Role.CUSTODIAN)


@pytest.fixture
def made(tmp_path):
    root = tmp_path / "ws"
    with Workspace.init(root, ALICE) as ws:
        src = tmp_path / "t.csv"
        src.write_text("id_patient,nom\nP1,Dupont\nP2,Martin\n")
        import_table(ws, src, "t")
    return root


def _mode(p) -> int:
    return stat.S_IMODE(os.stat(p).st_mode)


@pytest.mark.parametrize("key", ["pseudonym", "custodian.key", "audit-ed25519.key"])
def test_a_key_others_can_read_is_refused(made, key):
    path = (
        next((made / "keys").glob("pseudonym-*.key")) if key == "pseudonym" else made / "keys" / key
    )
    os.chmod(path, 0o644)
    with pytest.raises(IntegrityError) as err:
        Workspace.open(made, ALICE)
    text = str(err.value)
    assert f"chmod 600 {path}" in text and "0644" in text
    assert _mode(path) == 0o644  # refused, not silently repaired: the custodian decides


def test_every_key_problem_is_reported_at_once(made):
    os.chmod(made / "keys", 0o755)
    os.chmod(made / "keys" / "custodian.key", 0o640)
    os.chmod(made / "keys" / "audit-ed25519.key", 0o606)  # writable by others is refused too
    with pytest.raises(IntegrityError) as err:
        Workspace.open(made, ALICE)
    assert len(err.value.problems) == 3
    assert f"chmod 700 {made / 'keys'}" in str(err.value)


def test_a_key_loaded_later_is_checked_too(made):
    ws = Workspace.open(made, ALICE)
    try:
        set_roles(ws, "t", confirm_all=True)
        out = pseudonymize(ws, "t", reid_table=True)
        tok = read_table(ws, out.ref).to_pylist()[0]["nom"]
        os.chmod(made / "keys" / "custodian.key", 0o644)
        with pytest.raises(IntegrityError, match="chmod 600"):
            reidentify(ws, out.ref, [tok])
        os.chmod(next((made / "keys").glob("pseudonym-*.key")), 0o604)
        with pytest.raises(IntegrityError, match="chmod 600"):
            pseudonymize(ws, "t@1")
    finally:
        ws.close()


def test_data_open_to_others_is_repaired_and_audited(made):
    data = next((made / "data" / "t").glob("*.parquet"))
    os.chmod(made, 0o755)
    os.chmod(made / "data", 0o777)
    os.chmod(data, 0o644)
    os.chmod(made / "catalog.sqlite", 0o664)
    os.chmod(made / "keys" / "custodian.pub", 0o644)  # a public key: repaired, not refused
    with Workspace.open(made, ALICE) as ws:
        assert _mode(made) == 0o700 and _mode(made / "data") == 0o700
        assert _mode(data) == 0o600 and _mode(made / "catalog.sqlite") == 0o600
        assert _mode(made / "keys" / "custodian.pub") == 0o600
        events = [
            e for e in ws.audit_log.read() if e.event["kind"] == "workspace.permissions_repaired"
        ]
    assert len(events) == 1
    details = events[0].event["details"]
    assert details["paths"] == 5
    assert set(details["examples"]) == {
        ".",
        "data",
        str(data.relative_to(made)),
        "catalog.sqlite",
        "keys/custodian.pub",
    }
    with Workspace.open(made, ALICE) as ws:  # nothing left to repair: no second event
        kinds = [e.event["kind"] for e in ws.audit_log.read()]
    assert kinds.count("workspace.permissions_repaired") == 1


def test_cli_refuses_with_exit_6_and_the_fix(made):
    path = made / "keys" / "custodian.key"
    os.chmod(path, 0o644)
    done = subprocess.run(
        [sys.executable, "-m", "bulle", "--workspace", str(made), "datasets", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 6
    error = json.loads(done.stderr)["error"]
    assert error["code"] == "integrity"
    assert any(f"chmod 600 {path}" in p["message"] for p in error["problems"])


def test_the_umask_is_private_while_open_and_given_back(made):
    old = os.umask(0o022)
    try:
        outer = Workspace.open(made, ALICE)
        inner = Workspace.open(made, Actor("bob", Role.ANALYST))
        assert os.umask(0o077) == 0o077
        inner.close()
        assert os.umask(0o077) == 0o077  # the outer workspace still holds it
        outer.close()
        assert os.umask(0o022) == 0o022
        os.chmod(made / "keys" / "custodian.key", 0o644)
        with pytest.raises(IntegrityError):
            Workspace.open(made, ALICE)
        assert os.umask(0o022) == 0o022  # a refused open holds nothing
    finally:
        os.umask(old)
