"""`bulle model subject ID`: the dpo's answer about one person in the models (exit 5 for others)."""

from __future__ import annotations

from tests.integration.models.world import make_world, people_csv

from bulle.services import model_release, model_training


def test_the_dpo_reads_a_subject_in_the_models_through_the_cli(tmp_path, bulle):
    ws = make_world(tmp_path / "ws", people_csv(120), 120)
    try:
        model_training.train(ws, "study", "people", "outcome", shards=2)
        model_release.audit(ws, "people-outcome", shadows=4)
    finally:
        ws.close()
    w = ("-w", str(tmp_path / "ws"))
    r = bulle(*w, "--role", "dpo", "--user", "dora", "model", "subject", "P3", "--json")
    assert r.code == 0, r.err
    [m] = r.json()["models"]
    assert m["model"] == "people-outcome@1" and m["used"] is True
    assert m["audit"] is not None and len(m["audit"]["records"]) >= 1
    assert "P3" not in r.json()["subject"]
    refused = bulle(*w, "model", "subject", "P3", "--json")  # a custodian
    assert refused.code == 5 and "dpo" in refused.error()["message"]
