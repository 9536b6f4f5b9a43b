"""`bulle audit log` and `audit verify` on a workspace are for the DPO and custodians (exit 5 otherwise);
the stand-alone `--log FILE` form reads a file its caller already holds and checks no role."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("readers") / "ws"
    r = subprocess.run(
        [sys.executable, "-m", "bulle", "init", str(root)], capture_output=True, text=True
    )
    assert r.returncode == 0, r.stderr
    return root


@pytest.mark.parametrize("role", ["analyst", "subject"])
@pytest.mark.parametrize("command", [["log"], ["verify"]])
def test_refused_to_other_roles(bulle, ws, role, command):
    r = bulle("--workspace", ws, "--role", role, "audit", *command, "--json")
    assert r.code == 5, r.err
    err = r.error()
    assert (
        err["code"] == "access_denied"
        and "the audit log is read by the dpo and custodians" in err["message"]
    )


@pytest.mark.parametrize("role", ["dpo", "custodian"])
def test_the_dpo_and_custodians_read_and_verify(bulle, ws, role):
    r = bulle("--workspace", ws, "--role", role, "audit", "log", "--json")
    assert r.code == 0, r.err
    assert r.json()["count"] >= 1
    assert bulle("--workspace", ws, "--role", role, "audit", "verify", "--json").code == 0


def test_a_log_file_is_read_without_a_role_check(bulle, ws):
    r = bulle("--role", "analyst", "audit", "log", "--log", ws / "audit" / "log.jsonl", "--json")
    assert r.code == 0, r.err
    assert r.json()["entries"][0]["event"]["kind"] == "workspace.init"
