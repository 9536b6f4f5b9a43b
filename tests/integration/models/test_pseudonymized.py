"""A model trained on a pseudonymized version places people by their subject id as the subject
index holds it (tokens mapped back), and a key rotation moves nobody."""

from __future__ import annotations

import random

from tests.integration.models.world import NOW

from bulle.services import forgetting, model_training, models
from bulle.services import governance as gov
from bulle.services.model_data import keys_of
from bulle.services.pseudonymization import pseudonymize, rotate_key
from bulle.services.vault import set_roles


def test_tokens_are_mapped_back_and_rotation_keeps_the_shards(world):
    set_roles(world, "people@1", confirm_all=True)
    pseudonymize(world, "people@1")
    gov.create_project(
        world,
        "tokens",
        "research",
        {"people": ["id_patient", "age", "job", "dose", "outcome"]},
        [("bob", "analyst")],
        NOW.replace(year=NOW.year - 1),
        NOW.replace(year=NOW.year + 1),
        kind="pseudonymize",
    )
    gov.approve_project(world, "tokens")
    r = model_training.train(world, "tokens", "people", "outcome", shards=3, name="tok")
    st = models.mstore(world)
    manifest = st.manifest("tok", 1)
    raw = keys_of(world, [f"P{i}" for i in range(300)])
    assert set(manifest) == set(raw.values()) and r.subjects + r.held_out == 300
    before = dict(manifest)
    rotate_key(world)
    assert keys_of(world, ["P1"]) == {"P1": raw["P1"]}  # the model key did not change
    rng = random.Random(3)
    i = next(i for i in iter(lambda: rng.randrange(300), None) if before[raw[f"P{i}"]] >= 0)
    [done] = forgetting.forget(world, [f"P{i}"], "tok")
    assert done.shard == before[raw[f"P{i}"]]
    assert forgetting.verify_forget(world, done.receipt).identical
