"""`bulle audit verify|log|public-key` stand-alone, on files handed over by someone else."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from tests.spec.audit.audit_tamper import N

from bulle.audit.keys import ensure_workspace_key, key_id, public_key_hex, write_public_key


def bulle(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "bulle", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def files(env, tmp_path):
    pub = tmp_path / "audit.pub"
    write_public_key(pub, env.key.public_key())
    seq, h = env.heads.get()
    return env, str(env.path), str(pub), f"{seq}:{h}"


def test_verify_exits_0_on_an_intact_log(files):
    _, log, pub, head = files
    r = bulle("audit", "verify", "--log", log, "--public-key", pub, "--head", head, "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["ok"] and out["entries"] == N and out["head_checked"] and out["first_bad"] is None


def test_verify_accepts_a_raw_hex_public_key(files, tmp_path):
    env, log, _, head = files
    hex_file = tmp_path / "audit.hex"
    hex_file.write_text(public_key_hex(env.key.public_key()) + "\n")
    r = bulle("audit", "verify", "--log", log, "--public-key", str(hex_file), "--head", head)
    assert r.returncode == 0, r.stderr
    assert "audit log intact: 10 events" in r.stdout


def test_verify_without_a_head_warns_that_a_cut_goes_unseen(files):
    _, log, pub, _ = files
    r = bulle("audit", "verify", "--log", log, "--public-key", pub)
    assert r.returncode == 0
    assert "cut tail would go unseen" in r.stderr


def test_verify_exits_6_naming_the_first_bad_event(files):
    env, log, pub, head = files
    entries = env.lines()
    del entries[7]
    env.write(entries)
    r = bulle("audit", "verify", "--log", log, "--public-key", pub, "--head", head)
    assert r.returncode == 6
    assert "event 7" in r.stderr and "line 8" in r.stderr


def test_verify_json_failure_gives_the_report_and_the_error(files):
    env, log, pub, head = files
    env.write(env.lines()[:5])
    r = bulle("audit", "verify", "--log", log, "--public-key", pub, "--head", head, "--json")
    assert r.returncode == 6
    assert json.loads(r.stdout)["first_bad"] == 5
    err = json.loads(r.stderr)["error"]
    assert err["code"] == "integrity" and "event 5" in err["message"]
    assert err["where"]["line"] == 6


def test_verify_quick_mode(files):
    _, log, pub, head = files
    r = bulle(
        "audit", "verify", "--log", log, "--public-key", pub, "--head", head, "--quick", "--json"
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["mode"] == "quick" and out["signatures_checked"] == 1


def test_verify_needs_a_public_key_with_a_log_file(files):
    _, log, _, _ = files
    r = bulle("audit", "verify", "--log", log, "--json")
    assert r.returncode == 2
    assert "--public-key" in json.loads(r.stderr)["error"]["message"]


def test_a_malformed_head_is_bad_input(files):
    _, log, pub, _ = files
    r = bulle("audit", "verify", "--log", log, "--public-key", pub, "--head", "ten:abc")
    assert r.returncode == 2 and "SEQ:HASH" in r.stderr


def test_log_shows_the_most_recent_events(files):
    _, log, _, _ = files
    r = bulle("audit", "log", "--log", log, "--limit", "3", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert [e["seq"] for e in out["entries"]] == [N - 2, N - 1, N]
    assert out["entries"][0]["event"]["kind"] == "dataset.read"


def test_log_from_a_number_and_by_kind(files):
    _, log, _, _ = files
    r = bulle("audit", "log", "--log", log, "--from", "4", "--limit", "2", "--kind", "dataset.read")
    assert r.returncode == 0, r.stderr
    rows = r.stdout.splitlines()
    assert len(rows) == 2 and rows[0].split()[0] == "4"
    assert "alice(analyst)" in rows[0]


def test_public_key_from_a_key_folder(tmp_path):
    key = ensure_workspace_key(tmp_path / "keys")
    r = bulle("audit", "public-key", "--keys-dir", str(tmp_path / "keys"), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)["current"]
    assert out["key_id"] == key_id(key)
    assert out["hex"] == public_key_hex(key.public_key())
    assert out["pem"].startswith("-----BEGIN PUBLIC KEY-----")
    r = bulle("audit", "public-key", "--keys-dir", str(tmp_path / "keys"), "--format", "hex")
    assert r.stdout.split()[0] == public_key_hex(key.public_key())
