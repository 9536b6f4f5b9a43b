"""The `bulle model` forms independent checks use, and `subject erase` forgetting in models."""

from __future__ import annotations

import json

import pytest
from tests.integration.models.world import make_world, people_csv


@pytest.mark.slow  # about 40 s: a dozen bulle processes
def test_train_forget_verify_and_erase_through_the_cli(tmp_path, bulle):
    make_world(tmp_path / "ws", people_csv(200), 200).close()
    ws = str(tmp_path / "ws")
    trained = bulle(
        "-w", ws, "model", "train", "--project", "study", "--dataset", "people",
        "--target", "outcome", "--feature", "age", "--feature", "job", "--feature", "dose",
        "--shards", "4", "--name", "risk", "--json",
    )  # fmt: skip
    assert trained.code == 0, trained.err
    assert trained.json()["model"] == "risk@1" and 0.5 < trained.json()["auc"] <= 1

    forgot = bulle("-w", ws, "model", "forget", "--model", "risk", "--subject", "P2", "--json")
    assert forgot.code == 0, forgot.err
    f = forgot.json()
    assert f["model"] == "risk@2" and f["receipt"].startswith("unlearn-")
    assert f["shard"] is None or 0 <= f["shard"] < 4
    verified = bulle("-w", ws, "model", "verify-forget", f["receipt"], "--json")
    assert verified.code == 0 and verified.json()["identical"] is True

    again = bulle("-w", ws, "model", "forget", "--model", "risk", "--subject", "P2", "--json")
    assert again.code == 3 and "holds none" in again.error()["message"]

    erased = bulle("-w", ws, "subject", "erase", "P7", "--yes", "--json")
    assert erased.code == 0, erased.err
    [receipt] = erased.json()["model_receipts"]
    check = bulle("-w", ws, "model", "verify-forget", receipt, "--json")
    assert check.code == 0 and check.json()["identical"] is True

    listed = bulle("-w", ws, "model", "list", "--json").json()["models"]
    assert [v["status"] for v in listed[0]["versions"]] == ["forgotten", "forgotten", "active"]
    log = (tmp_path / "ws" / "audit" / "log.jsonl").read_text()
    kinds = [json.loads(line)["event"]["kind"] for line in log.splitlines() if '"event"' in line]
    assert kinds.count("model.forget") == 2 and "model.train" in kinds
    assert "P7" not in log and "P2" not in log

    card = bulle("-w", ws, "model", "card", "risk", "--html", tmp_path / "card.html", "--json")
    assert card.code == 0 and len(card.json()["forget_history"]) == 2
    assert "Model card: risk@3" in (tmp_path / "card.html").read_text()
    blocked = bulle("-w", ws, "model", "export", "risk", "--output", tmp_path / "out", "--json")
    assert blocked.code == 7 and "membership audit" in blocked.error()["message"]


@pytest.mark.slow
def test_bad_requests_name_the_problem(tmp_path, bulle):
    make_world(tmp_path / "ws", people_csv(40), 40).close()
    ws = str(tmp_path / "ws")
    base = ("-w", ws, "model", "train", "--project", "study", "--dataset", "people", "--json")
    r = bulle(*base, "--target", "nope")
    assert r.code == 2 and "nope" in r.error()["message"]
    r = bulle(*base, "--target", "outcome", "--feature", "id_patient")
    assert r.code == 2 and "may not be features" in r.error()["message"]
    r = bulle(*base, "--target", "job")
    assert r.code == 2 and "binary target" in r.error()["message"]
    r = bulle(*base, "--target", "outcome", "--algorithm", "magic")
    assert r.code == 2
    r = bulle("-w", ws, "model", "verify-forget", "unlearn-00", "--json")
    assert r.code == 3
