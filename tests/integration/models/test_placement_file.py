"""The placement file: each person's reference and shard computed once, what the keyed hashes
give, private, rebuilt when missing or made with another key, and left by a withdrawn person."""

from __future__ import annotations

import stat

import pyarrow.parquet as pq
from tests.integration.models.test_consent_and_serving import withdraw

from bulle.learning.sharding import model_key, placement
from bulle.services import forgetting, model_training, models
from bulle.services.model_placement import CACHE_FILE


def read(ws):
    path = ws.root / "models" / "people-outcome" / CACHE_FILE
    t = pq.read_table(path)
    values = t.column("value").to_pylist()
    refs = [r.decode() for r in t.column("ref").to_pylist()]
    return path, dict(
        zip(values, zip(refs, t.column("shard").to_pylist(), strict=True), strict=True)
    )


def test_the_file_holds_what_the_keyed_hashes_give_and_is_private(world):
    model_training.train(world, "study", "people", "outcome", shards=4)
    path, people = read(world)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = model_key(world.keys_dir)
    share = float(world.settings["model.held_out_share"])
    assert set(people) == {f"P{i}" for i in range(300)}
    for s in ("P0", "P17", "P299"):
        assert people[s] == placement(key, s, 4, models.SEED, share)
    manifest = models.mstore(world).manifest("people-outcome", 1)
    assert {r: p for r, p in people.values()} == manifest


def test_a_withdrawn_person_leaves_the_file_and_a_missing_file_is_rebuilt(world):
    model_training.train(world, "study", "people", "outcome", shards=4)
    withdraw(world, "P11")  # forgets at once (the default)
    path, people = read(world)
    assert "P11" not in people and len(people) == 299
    path.unlink()
    before = models.mstore(world).version("people-outcome")
    [done] = forgetting.forget(world, ["P12"], "people-outcome")
    assert forgetting.verify_forget(world, done.receipt).identical
    _, again = read(world)
    assert "P12" in again and "P11" not in again  # rebuilt from the data the purpose sees
    after = models.mstore(world).version("people-outcome")
    assert after["version"] == before["version"] + 1


def test_a_file_made_with_another_key_is_ignored(world):
    model_training.train(world, "study", "people", "outcome", shards=4)
    path, _ = read(world)
    t = pq.read_table(path)
    pq.write_table(t.replace_schema_metadata({"tag": "0" * 32 + ":4:20210519:0.2"}), path)
    [done] = forgetting.forget(world, ["P12"], "people-outcome")
    assert forgetting.verify_forget(world, done.receipt).identical
    assert pq.read_table(path).schema.metadata[b"tag"] != ("0" * 32 + ":4:20210519:0.2").encode()
