"""Forgetting is exact: after forgetting a person, the model is byte for byte the one trained
from scratch without them, and only their shard changed.

The from-scratch model is trained in the same workspace (same model key) on a second dataset
holding everyone but that person, read by a second project of the same purpose. If anything in
training depended on the person outside their shard (a placement by row number, a vocabulary or a
scaler fitted on all rows), the other shards would differ and these tests would fail.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from tests.integration.models.world import NOW, make_world, people_csv

from bulle.learning.sharding import HELD_OUT, model_key, place
from bulle.services import forgetting, model_training, models
from bulle.services import governance as gov
from bulle.services.vault import import_table

N = 150


def a_trained_person(ws, shards: int, rng: random.Random) -> int:
    """A person in a training shard (not held out) with one row (``people_csv`` gives every fifth
    person two): their forget must change predictions. Shards this small hold too few rows for a
    tree to split, so each shard predicts its share of positives; a person with a positive and a
    negative row taken from a shard whose share is one half would leave it, and the predictions,
    exactly as they were."""
    key = model_key(ws.keys_dir)
    share = float(ws.settings["model.held_out_share"])
    while True:
        i = rng.randrange(N)
        if i % 5 and place(key, f"P{i}", shards, models.SEED, share) != HELD_OUT:
            return i


def from_scratch_without(ws, tmp_path, i: int | set[int], shards: int, algorithm: str) -> dict:
    src = tmp_path / "without.csv"
    src.write_text(people_csv(N, skip=frozenset(i if isinstance(i, set) else {i})))
    import_table(ws, src, "without")
    gov.set_dataset_purpose(ws, "without", "care")
    gov.create_project(
        ws,
        "study2",
        "research",
        {"without": ["id_patient", "age", "job", "dose", "outcome"]},
        [("bob", "analyst")],
        NOW.replace(year=NOW.year - 1),
        NOW.replace(year=NOW.year + 1),
        kind="import",
    )
    gov.approve_project(ws, "study2", allow_raw=True)
    model_training.train(
        ws, "study2", "without", "outcome", algorithm=algorithm, shards=shards, name="scratch"
    )
    return models.mstore(ws).version("scratch")


@pytest.mark.parametrize(
    ("shards", "algorithm", "seed"),
    [(1, "lightgbm", 1), (3, "lightgbm", 2), (8, "lightgbm", 3), (4, "logistic", 4)],
)
def test_forgotten_model_is_the_model_trained_without_the_person(tmp_path, shards, algorithm, seed):
    ws = make_world(tmp_path / "ws", people_csv(N), N)
    try:
        model_training.train(ws, "study", "people", "outcome", algorithm=algorithm, shards=shards)
        st = models.mstore(ws)
        before = st.version("people-outcome")
        p_before = np.asarray(models.predict(ws, "people-outcome").predictions)
        i = a_trained_person(ws, shards, random.Random(seed))

        [done] = forgetting.forget(ws, [f"P{i}"], "people-outcome")

        after = st.version("people-outcome")
        assert after["version"] == before["version"] + 1 and done.shard is not None
        assert done.shards_retrained == [done.shard] and done.full_retrain == (shards == 1)
        changed = [
            s
            for s, (a, b) in enumerate(
                zip(
                    before["lineage"]["shard_hashes"], after["lineage"]["shard_hashes"], strict=True
                )
            )
            if a != b
        ]
        assert changed == [done.shard]  # untouched shards keep their hashes
        scratch = from_scratch_without(ws, tmp_path, i, shards, algorithm)
        assert scratch["lineage"]["shard_hashes"] == after["lineage"]["shard_hashes"]
        for a, b in zip(
            st.shards("people-outcome", after["version"]),
            st.shards("scratch", scratch["version"]),
            strict=True,
        ):
            assert (ws.root / a["path"]).read_bytes() == (ws.root / b["path"]).read_bytes()
        p_after = np.asarray(models.predict(ws, "people-outcome").predictions)
        assert len(p_after) == len(p_before) and not np.array_equal(p_before, p_after)
        assert forgetting.verify_forget(ws, done.receipt).identical
    finally:
        ws.close()


def test_old_shard_state_is_destroyed_and_the_old_version_not_served(world):
    model_training.train(world, "study", "people", "outcome", shards=4)
    st = models.mstore(world)
    old = st.shards("people-outcome", 1)
    i = a_trained_person(world, 4, random.Random(9))
    [done] = forgetting.forget(world, [f"P{i}"], "people-outcome")
    gone = old[done.shard]
    assert not (world.root / gone["path"]).exists()
    assert all((world.root / s["path"]).exists() for s in old if s["shard"] != done.shard)
    receipt = forgetting.receipt(world, done.receipt)["body"]
    assert receipt["destroyed"] == [gone["hash"]]
    assert receipt["old_model_hash"] != receipt["new_model_hash"]
    from bulle.errors import WithheldError

    with pytest.raises(WithheldError, match="replaces it"):
        models.served(world, "people-outcome@1")
    assert st.version("people-outcome", 1)["status"] == "forgotten"


def test_a_batch_touching_most_shards_retrains_everything(world):
    model_training.train(world, "study", "people", "outcome", shards=2)
    [done] = forgetting.forget(world, [f"P{i}" for i in range(40)], "people-outcome")
    assert done.full_retrain and done.shards_retrained == [0, 1]


def test_a_tampered_shard_fails_verification(world):
    model_training.train(world, "study", "people", "outcome", shards=3)
    i = a_trained_person(world, 3, random.Random(5))
    [done] = forgetting.forget(world, [f"P{i}"], "people-outcome")
    st = models.mstore(world)
    row = st.shards("people-outcome", 2)[done.shard]
    world.catalog.con.execute(
        "UPDATE model_shards SET hash=? WHERE model=? AND version=2 AND shard=?",
        ("0" * 64, "people-outcome", done.shard),
    )
    assert not forgetting.verify_forget(world, done.receipt).identical
    world.catalog.con.execute(
        "UPDATE model_shards SET hash=? WHERE model=? AND version=2 AND shard=?",
        (row["hash"], "people-outcome", done.shard),
    )
    assert forgetting.verify_forget(world, done.receipt).identical


def test_several_people_forgotten_one_after_another(tmp_path):
    """Three forgets in a row (three receipts, each verified) give the model trained without
    the three people."""
    ws = make_world(tmp_path / "ws", people_csv(N), N)
    try:
        model_training.train(ws, "study", "people", "outcome", shards=5)
        rng = random.Random(11)
        gone: set[int] = set()
        while len(gone) < 3:
            gone.add(a_trained_person(ws, 5, rng))
        receipts = [forgetting.forget(ws, [f"P{i}"], "people-outcome")[0] for i in sorted(gone)]
        assert all(forgetting.verify_forget(ws, r.receipt).identical for r in receipts)
        after = models.mstore(ws).version("people-outcome")
        assert after["version"] == 4
        scratch = from_scratch_without(ws, tmp_path, gone, 5, "lightgbm")
        assert scratch["lineage"]["shard_hashes"] == after["lineage"]["shard_hashes"]
    finally:
        ws.close()


def test_a_stored_path_outside_the_model_folder_is_refused(world):
    from bulle.errors import IntegrityError

    model_training.train(world, "study", "people", "outcome", shards=2)
    world.catalog.con.execute(
        "UPDATE model_shards SET path='models/people-outcome/../../keys/model.key' WHERE shard=0"
    )
    with pytest.raises(IntegrityError, match="not a model state path"):
        models.predict(world, "people-outcome")


def test_the_auc_after_a_forget_is_the_auc_of_all_shards_predicting(world):
    """The forget updates the stored held-out average by the retrained shards only: the figure
    equals every shard predicting the held-out rows again."""
    from bulle.learning import sisa
    from bulle.learning.encoding import Encoding
    from bulle.learning.learners import learner
    from bulle.services.model_data import placed_rows, read_rows

    model_training.train(world, "study", "people", "outcome", shards=4)
    rng, gone = random.Random(1), set()
    while len(gone) < 2:
        gone.add(a_trained_person(world, 4, rng))
    for i in sorted(gone):
        forgetting.forget(world, [f"P{i}"], "people-outcome")
    v = models.mstore(world).version("people-outcome")
    spec = v["spec"]
    pr = read_rows(world, "study", spec["dataset"])
    rows, _ = placed_rows(world, pr, Encoding.from_dict(spec["encoding"]), spec)
    manifest = models.mstore(world).manifest("people-outcome", v["version"])
    held = sisa.shard_of_rows(rows, manifest) == HELD_OUT
    states = [models.read_state(world, s) for s in models.mstore(world).shards("people-outcome", 3)]
    p = sisa.predict(learner("lightgbm"), states, rows.num[held], rows.cat[held])
    assert v["metrics"]["auc"] == pytest.approx(sisa.auc(rows.y[held], p), abs=1e-9)
    files = sorted(p.name for p in (world.root / "models" / "people-outcome").glob("held-out-*"))
    assert files == ["held-out-v3.npz"]
