"""`bulle --workspace DIR audit ...` on a workspace whose services log through the hook."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from bulle.audit.events import DatasetRead
from bulle.audit.keys import key_id, load_workspace_key
from bulle.domain.actor import Actor
from bulle.workspace import Workspace


def bulle(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bulle", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def ws_dir(tmp_path):
    root = tmp_path / "ws"
    ws = Workspace.init(root, Actor("carol", "custodian"))
    for i in range(5):
        ws.emit(
            DatasetRead(
                actor=Actor("alice", "analyst"),
                target=f"patients@{i}",
                details={"project": "cohort", "rows": i},
            )
        )
    log_path = ws.audit_log.path
    ws.close()
    return root, log_path


def test_an_intact_workspace_log_verifies(ws_dir):
    root, _ = ws_dir
    r = bulle("--workspace", str(root), "audit", "verify", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] and out["head_checked"] and out["entries"] >= 6


def test_a_cut_workspace_log_fails_naming_the_first_event_cut_off(ws_dir):
    root, log_path = ws_dir
    lines = log_path.read_bytes().split(b"\n")[:-1]
    n = len(lines) - 1
    log_path.write_bytes(b"\n".join(lines[:-2]) + b"\n")
    r = bulle("--workspace", str(root), "audit", "verify")
    assert r.returncode == 6
    assert f"event {n - 1}" in r.stderr and "cut off" in r.stderr


def test_an_edited_workspace_log_fails_naming_the_edited_event(ws_dir):
    root, log_path = ws_dir
    text = log_path.read_text().replace('"rows":3', '"rows":4')
    log_path.write_text(text)
    r = bulle("--workspace", str(root), "audit", "verify", "--json")
    assert r.returncode == 6
    report = json.loads(r.stdout)
    edited = next(
        i for i, line in enumerate(text.splitlines()) if '"rows":4,' in line or '"rows":4}' in line
    )
    assert report["first_bad"] == edited


def test_workspace_log_and_public_key(ws_dir):
    root, _ = ws_dir
    r = bulle("--workspace", str(root), "audit", "log", "--kind", "dataset.read", "--json")
    assert r.returncode == 0, r.stderr
    assert [e["event"]["target"] for e in json.loads(r.stdout)["entries"]] == [
        f"patients@{i}" for i in range(5)
    ]
    r = bulle("--workspace", str(root), "audit", "public-key", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["current"]["key_id"] == key_id(load_workspace_key(root / "keys"))


def test_the_stand_alone_form_checks_a_workspace_log_with_its_exported_key(ws_dir, tmp_path):
    root, log_path = ws_dir
    pem = bulle("--workspace", str(root), "audit", "public-key").stdout
    (tmp_path / "ws.pub").write_text(pem)
    r = bulle("audit", "verify", "--log", str(log_path), "--public-key", str(tmp_path / "ws.pub"))
    assert r.returncode == 0, r.stderr
