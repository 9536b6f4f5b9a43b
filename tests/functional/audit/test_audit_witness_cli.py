"""`bulle audit witness add|list`, `audit verify --witness` and `audit rotate-key` in subprocesses:
JSON output and exit codes (docs/cli.md, docs/audit-log.md)."""

from __future__ import annotations

import json

import pytest


@pytest.fixture
def ws(tmp_path, bulle):
    root = tmp_path / "ws"
    r = bulle("init", root)
    assert r.code == 0, r.err
    return root


def verify(bulle, root, *args):
    return bulle("--workspace", root, "audit", "verify", "--json", *args)


def test_witness_add_pins_the_key_and_writes_a_checkpoint(bulle, ws, tmp_path):
    w = tmp_path / "dpo"
    r = bulle("--workspace", ws, "audit", "witness", "add", w, "--json")
    assert r.code == 0, r.err
    out = r.json()
    key = bulle("--workspace", ws, "audit", "public-key", "--format", "hex", "--json").json()
    assert out["fingerprint"].startswith(key["current"]["key_id"])
    assert out["reattached"] is False and out["head"]["seq"] == 2
    info = json.loads((w / "witness.json").read_text())
    assert info["public_key"] == key["current"]["hex"] and info["fingerprint"] == out["fingerprint"]
    checkpoint = json.loads((w / "checkpoints.jsonl").read_text().splitlines()[-1])
    assert (checkpoint["seq"], checkpoint["hash"]) == (2, out["head"]["hash"])

    r = bulle("--workspace", ws, "audit", "witness", "list", "--json")
    assert r.code == 0, r.err
    [item] = r.json()["witnesses"]
    assert item["reachable"] and item["behind"] == 0 and item["error"] is None


def test_witness_add_refuses_a_directory_inside_the_workspace_or_twice(bulle, ws, tmp_path):
    r = bulle("--workspace", ws, "audit", "witness", "add", ws / "audit" / "w", "--json")
    assert r.code == 2 and "inside the workspace" in r.error()["message"]
    assert bulle("--workspace", ws, "audit", "witness", "add", tmp_path / "w").code == 0
    r = bulle("--workspace", ws, "audit", "witness", "add", tmp_path / "w", "--json")
    assert r.code == 4 and r.error()["code"] == "conflict"


def test_verify_with_a_witness_reports_it_in_json(bulle, ws, tmp_path):
    w = tmp_path / "dpo"
    bulle("--workspace", ws, "audit", "witness", "add", w)
    r = verify(bulle, ws, "--witness", w)
    assert r.code == 0, r.err
    out = r.json()
    assert out["ok"] and out["head_checked"]
    [wr] = out["witnesses"]
    assert wr["status"] == "ok" and wr["checkpoints"] == 1 and wr["last"]["seq"] == 2
    assert wr["pinned"] == wr["keys"][0]


def test_verify_with_a_witness_fails_on_a_cut_log_with_its_head_moved_back(bulle, ws, tmp_path):
    import sqlite3

    w = tmp_path / "dpo"
    bulle("--workspace", ws, "audit", "witness", "add", w)
    log = ws / "audit" / "log.jsonl"
    kept = log.read_bytes().split(b"\n")[:-2]  # drop the last event
    log.write_bytes(b"\n".join(kept) + b"\n")
    last = json.loads(kept[-1])
    con = sqlite3.connect(ws / "catalog.sqlite")
    with con:
        con.execute(
            "UPDATE meta SET value=? WHERE key='audit_head'", (f"{last['seq']}:{last['hash']}",)
        )
    con.close()
    r = verify(bulle, ws, "--witness", w)
    assert r.code == 6
    out = r.json()
    assert out["ok"] is False and out["first_bad"] == 2
    assert out["witnesses"][0]["status"] == "log_behind"
    assert r.error()["code"] == "integrity" and "cut" in r.error()["message"]
    assert verify(bulle, ws).code == 0  # the catalog alone cannot see it


def test_a_deleted_log_exits_6(bulle, ws, tmp_path):
    w = tmp_path / "dpo"
    bulle("--workspace", ws, "audit", "witness", "add", w)
    (ws / "audit" / "log.jsonl").unlink()
    r = verify(bulle, ws)
    assert r.code == 6 and "deleted" in r.error()["message"]
    r = bulle("audit", "verify", "--log", ws / "audit" / "log.jsonl", "--witness", w, "--json")
    assert r.code == 6 and "missing" in r.error()["message"]


def test_a_deleted_head_exits_6(bulle, ws):
    import sqlite3

    con = sqlite3.connect(ws / "catalog.sqlite")
    with con:
        con.execute("DELETE FROM meta WHERE key='audit_head'")
    con.close()
    r = verify(bulle, ws)
    assert r.code == 6
    assert r.json()["ok"] is False and "no chain head" in r.error()["message"]


def test_stand_alone_verify_trusts_the_witness_and_rotations(bulle, ws, tmp_path):
    w = tmp_path / "dpo"
    bulle("--workspace", ws, "audit", "witness", "add", w)
    r = bulle("--workspace", ws, "audit", "rotate-key", "--json")
    assert r.code == 0, r.err
    rot = r.json()
    assert rot["old_key"] != rot["new_key"] and rot["at_seq"] == 2
    r = bulle("audit", "verify", "--log", ws / "audit" / "log.jsonl", "--witness", w, "--json")
    assert r.code == 0, r.err
    out = r.json()
    assert [k["key"] for k in out["keys"]] == [rot["old_key"], rot["new_key"]]
    assert out["witnesses"][0]["keys"][1].startswith(rot["new_key"])


def test_verify_witness_usage_errors(bulle, ws, tmp_path):
    (tmp_path / "empty").mkdir()
    r = verify(bulle, ws, "--witness", tmp_path / "empty")
    assert r.code == 3 and "not a Bulle audit witness" in r.error()["message"]
    pub = tmp_path / "k.pub"
    pub.write_text(bulle("--workspace", ws, "audit", "public-key").out)
    r = bulle(
        "audit",
        "verify",
        "--log",
        ws / "audit" / "log.jsonl",
        "--public-key",
        pub,
        "--witness",
        tmp_path / "empty",
        "--json",
    )
    assert r.code == 2 and "exclude each other" in r.error()["message"]
