"""`bulle export` and `bulle import-workspace` as a user runs them, in subprocesses."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

PATIENTS = Path(__file__).resolve().parents[3] / "src" / "bulle" / "data" / "patients_fr.csv"


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> Path:
    """One workspace built through the CLI, copied by each test (the commands are slow to repeat)."""
    ws = tmp_path_factory.mktemp("cli") / "ws"
    env = {**os.environ, "BULLE_USER": "tester"}
    for args in (
        ("init", ws),
        ("-w", ws, "import", PATIENTS, "--dataset", "patients"),
        ("-w", ws, "roles", "patients", "--confirm"),
        ("-w", ws, "pseudonymize", "patients", "--reid-table"),
    ):
        p = subprocess.run(
            [sys.executable, "-m", "bulle", *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert p.returncode == 0, p.stderr
    return ws


@pytest.fixture
def ws(prepared, tmp_path) -> Path:
    shutil.copytree(prepared, tmp_path / "ws")
    return tmp_path / "ws"


def test_round_trip_through_the_cli(bulle, ws, tmp_path):
    out = bulle("-w", ws, "export", tmp_path / "out", "--json")
    assert out.code == 0, out.err
    exp = out.json()
    assert exp["contains_secret_keys"] is False and exp["warning"] is None
    assert exp["versions"] == 2 and exp["artefacts"] == 1
    assert set(exp) >= {
        "export",
        "workspace_id",
        "manifest_sha256",
        "files",
        "bytes",
        "catalog_tables",
        "audit_events",
        "audit_key",
    }

    imp = bulle("import-workspace", tmp_path / "out", tmp_path / "new", "--json")  # no --workspace
    assert imp.code == 0, imp.err
    got = imp.json()
    assert got["id"] == exp["workspace_id"] and got["manifest_sha256"] == exp["manifest_sha256"]
    assert got["audit"]["events"] == exp["audit_events"] + 1
    assert got["keys"]["restored"] is False and got["notes"]

    verify = bulle("-w", tmp_path / "new", "audit", "verify", "--json")
    assert verify.code == 0, verify.err
    assert verify.json()["ok"] is True and verify.json()["entries"] == got["audit"]["events"]

    a = bulle("-w", ws, "versions", "patients", "--json").json()
    b = bulle("-w", tmp_path / "new", "versions", "patients", "--json").json()
    assert a == b

    last = bulle(
        "-w",
        tmp_path / "new",
        "audit",
        "log",
        "--limit",
        "1",
        "--kind",
        "workspace.import",
        "--json",
    ).json()["entries"][0]
    assert last["event"]["kind"] == "workspace.import"
    assert last["event"]["details"]["manifest_sha256"] == exp["manifest_sha256"]


def test_text_output_and_loud_keys_warning(bulle, ws, tmp_path):
    plain = bulle("-w", ws, "export", tmp_path / "out")
    assert plain.code == 0 and "Keys were not exported" in plain.out
    loud = bulle("-w", ws, "export", tmp_path / "outk", "--include-keys")
    assert loud.code == 0 and "WARNING" in loud.out and "SECRET KEYS" in loud.out
    manifest = json.loads((tmp_path / "outk" / "manifest.json").read_text())
    assert manifest["contains_secret_keys"] is True
    imp = bulle("import-workspace", tmp_path / "outk", tmp_path / "new")
    assert imp.code == 0 and "keys restored" in imp.out
    assert bulle("-w", tmp_path / "new", "audit", "verify").code == 0


def test_errors_exit_codes_and_json(bulle, ws, tmp_path):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "x").write_text("x")
    r = bulle("-w", ws, "export", busy, "--json")
    assert r.code == 4 and r.error()["code"] == "conflict"

    r = bulle("--role", "analyst", "-w", ws, "export", tmp_path / "o", "--json")
    assert r.code == 5 and r.error()["code"] == "access_denied"

    r = bulle("import-workspace", tmp_path, tmp_path / "n", "--json")
    assert r.code == 3 and "manifest.json" in r.error()["message"]

    assert bulle("-w", ws, "export", tmp_path / "out").code == 0
    rel = next(
        f["path"]
        for f in json.loads((tmp_path / "out" / "manifest.json").read_text())["files"]
        if f["kind"] == "dataset-version"
    )
    data = bytearray((tmp_path / "out" / rel).read_bytes())
    data[-20] ^= 0x01
    (tmp_path / "out" / rel).write_bytes(bytes(data))
    r = bulle("import-workspace", tmp_path / "out", tmp_path / "new", "--json")
    assert r.code == 6 and r.error()["code"] == "integrity" and r.error()["where"]["file"] == rel
    assert not (tmp_path / "new").exists()
    r = bulle("import-workspace", tmp_path / "out", tmp_path / "new")
    assert r.code == 6 and rel in r.err and "Traceback" not in r.err
