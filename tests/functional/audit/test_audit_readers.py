"""Who reads the audit log is decided like any other access (the DPO and custodians, not an
analyst), and reading or verifying it is itself recorded (`audit.read`, `audit.verify`), in the
Python API and in the CLI (docs/audit-log.md "Who may read it")."""

from __future__ import annotations

import pytest

from bulle import api
from bulle.audit.log import AuditLog
from bulle.errors import AccessDenied


@pytest.fixture
def root(tmp_path):
    api.init_workspace(
        tmp_path / "ws", user="carol", custodian_key_out=tmp_path / "custodian.pem"
    ).close()
    return tmp_path / "ws"


def _events(root):
    return [e.event for e in AuditLog.open(root / "audit" / "log.jsonl").read()]


@pytest.mark.parametrize("call", ["verify_audit_log", "audit_log"])
def test_an_analyst_is_refused_the_log_with_the_reason(root, call):
    before = _events(root)
    with api.open_workspace(root, user="bob", role="analyst") as ws:
        method = getattr(ws, call, None)
        assert method is not None, f"the Python API has no {call}"
        with pytest.raises(AccessDenied, match="read by the dpo and custodians, not by a analyst"):
            method()
    assert _events(root) == before  # refused before anything was read


def test_verifying_records_the_verdict(root):
    with api.open_workspace(root, user="dora", role="dpo") as ws:
        report = ws.verify_audit_log()
    assert report["ok"] is True
    last = _events(root)[-1]
    assert last["kind"] == "audit.verify" and last["actor"] == {"name": "dora", "role": "dpo"}
    assert last["details"]["ok"] is True and last["details"]["entries"] == report["entries"]
    assert last["details"]["mode"] == "full" and last["details"]["first_bad"] is None


def test_reading_records_the_range_read(root):
    with api.open_workspace(root, user="carol") as ws:
        ws.verify_audit_log()
        entries = ws.audit_log(from_seq=1, limit=1)
    assert [e["seq"] for e in entries] == [1]
    last = _events(root)[-1]
    assert last["kind"] == "audit.read" and last["actor"]["role"] == "custodian"
    assert {
        k: last["details"][k] for k in ("first_seq", "last_seq", "entries", "total", "limit")
    } == {"first_seq": 1, "last_seq": 1, "entries": 1, "total": 2, "limit": 1}


@pytest.mark.parametrize("command", [["audit", "log"], ["audit", "verify"]])
def test_the_cli_refuses_an_analyst_and_records_a_dpo(bulle, root, command):
    r = bulle("--workspace", root, "--user", "bob", "--role", "analyst", *command, "--json")
    assert r.code == AccessDenied.exit_code, r.err
    assert r.error()["code"] == "access_denied" and "not by a analyst" in r.error()["message"]
    r = bulle("--workspace", root, "--user", "dora", "--role", "dpo", *command, "--json")
    assert r.code == 0, r.err
    last = _events(root)[-1]
    assert last["kind"] == ("audit.read" if command[1] == "log" else "audit.verify")
    assert last["actor"] == {"name": "dora", "role": "dpo"}
