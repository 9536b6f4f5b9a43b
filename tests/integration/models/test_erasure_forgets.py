"""An erasure forgets the person in every model holding them and lists the receipts."""

from __future__ import annotations

import pytest

from bulle.services import forgetting, model_training, models
from bulle.services.model_data import keys_of
from bulle.services.subject_rights import erase_subject


def test_erasure_triggers_the_forget_and_its_receipt(world):
    model_training.train(world, "study", "people", "outcome", shards=4)
    model_training.train(
        world, "study", "people", "outcome", shards=2, name="other", algorithm="logistic"
    )
    key = keys_of(world, ["P21"])["P21"]
    out = erase_subject(world, "P21")
    assert len(out.model_receipts) == 2
    st = models.mstore(world)
    for name in ("people-outcome", "other"):
        v = st.version(name)
        assert v["version"] == 2 and key not in st.manifest(name, 2)
        assert v["lineage"]["data_hashes"] != st.version(name, 1)["lineage"]["data_hashes"]
    for r in out.model_receipts:
        body = forgetting.receipt(world, r)["body"]
        assert body["cause"] == out.receipt_id
        assert body["subjects"] == [out.subject]
        assert forgetting.verify_forget(world, r).identical
    stored = world.catalog.con.execute(
        "SELECT summary_json FROM erasures WHERE receipt_id=?", (out.receipt_id,)
    ).fetchone()[0]
    assert all(r in stored for r in out.model_receipts)
    assert models.predict(world, "people-outcome").rows > 0


def test_forget_without_a_model_forgets_in_every_model_holding_the_person(world):
    model_training.train(world, "study", "people", "outcome", shards=2)
    model_training.train(world, "study", "people", "outcome", shards=3, name="other")
    done = forgetting.forget(world, ["P4"])
    assert sorted(r.model for r in done) == ["other@2", "people-outcome@2"]
    assert forgetting.forget(world, ["P5"], "other")[0].model == "other@3"
    assert models.mstore(world).version("people-outcome")["version"] == 2


@pytest.mark.parametrize("first", ["P8", "P9"])  # P9: the same shard, whose old state is gone
def test_a_forget_that_lost_a_race_refuses_instead_of_branching(world, monkeypatch, first):
    from bulle.domain.actor import Actor, Role
    from bulle.errors import ConflictError
    from bulle.learning import sisa
    from bulle.workspace import Workspace

    model_training.train(world, "study", "people", "outcome", shards=3)
    other = Workspace.open(world.root, Actor("alice", Role.CUSTODIAN))
    real = sisa.train_shards
    raced = []

    def meanwhile(*args, **kwargs):
        if not raced:  # another process forgets someone while this forget trains
            raced.append(True)
            forgetting.forget(other, [first, "P8"], "people-outcome")
        return real(*args, **kwargs)

    monkeypatch.setattr(forgetting.sisa, "train_shards", meanwhile)
    try:
        with pytest.raises(ConflictError, match="run the forget again"):
            forgetting.forget(world, ["P9"], "people-outcome")
    finally:
        other.close()
    monkeypatch.setattr(forgetting.sisa, "train_shards", real)
    assert [v["version"] for v in models.mstore(world).versions("people-outcome")] == [1, 2]
    assert forgetting.forget(world, ["P10"], "people-outcome")[0].model == "people-outcome@3"
