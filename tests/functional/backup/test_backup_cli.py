"""`bulle backup` / `bulle restore` / `bulle alerts test` from the command line."""

from __future__ import annotations

from pathlib import Path

PATIENTS = Path(__file__).resolve().parents[3] / "src" / "bulle" / "data" / "patients_fr.csv"


def test_backup_and_restore_cli(bulle, tmp_path):
    ws, b, r = tmp_path / "ws", tmp_path / "b", tmp_path / "r"
    assert bulle("init", ws).code == 0
    assert bulle("-w", ws, "import", PATIENTS, "--dataset", "p").code == 0
    done = bulle("-w", ws, "backup", b, "--json")
    assert done.code == 0, done.err
    assert done.json()["versions"] == 1 and not done.json()["contains_secret_keys"]
    again = bulle("-w", ws, "backup", b, "--json")
    assert again.code == 4 and again.error()["code"] == "conflict"
    pem = bulle("-w", ws, "audit", "public-key")
    assert pem.code == 0
    (tmp_path / "ws.pub").write_text(pem.out)
    res = bulle("restore", b, r, "--public-key", tmp_path / "ws.pub", "--json")
    assert res.code == 0, res.err
    assert res.json()["carried_events"] == done.json()["audit_head_seq"]
    listed = bulle("-w", r, "datasets", "--json")
    assert listed.code == 0 and "p" in listed.out
    assert bulle("-w", r, "audit", "verify", "--json").code == 0
    missing = bulle("restore", tmp_path / "nothing", tmp_path / "r2", "--json")
    assert missing.code == 3


def test_alerts_test_without_channel(bulle, tmp_path):
    assert bulle("init", tmp_path / "ws").code == 0
    run = bulle("-w", tmp_path / "ws", "alerts", "test", "--json")
    assert run.code == 2 and "alerts.smtp_host" in run.error()["message"]
