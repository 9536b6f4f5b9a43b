"""A model leaves the project only after its membership audit released it; the export is the
shards in LightGBM's own text format, which reproduce the model's predictions."""

from __future__ import annotations

import json

import numpy as np
import pytest
from tests.integration.models.world import make_world, people_csv

from bulle.errors import WithheldError
from bulle.learning.encoding import Encoding
from bulle.services import model_release, model_training, models
from bulle.services.model_data import read_rows

REGULARISED = {"num_leaves": 4, "min_data_in_leaf": 50, "lambda_l2": 50.0, "num_boost_round": 30}
OVERFIT = {"num_leaves": 128, "min_data_in_leaf": 1, "num_boost_round": 300}


@pytest.fixture
def world(tmp_path):
    """1,000 people (1,200 rows), and a fixed model key: the key decides who is held out and the
    rows' canonical order, hence the audit's draw; fixed, the audit's figures are the same in
    every run (the gate's verdict on a small model must not depend on a random key)."""
    from bulle.fsutil import write_secret
    from bulle.learning.sharding import KEY_FILE

    ws = make_world(tmp_path / "ws", people_csv(1000), 1000)
    write_secret(ws.keys_dir / KEY_FILE, ("5a" * 32).encode())
    yield ws
    ws.close()


def test_audit_then_export_in_the_open_format(world, tmp_path):
    # the audit's shadows are single models (docs/models.md): on small data LightGBM's defaults
    # memorise, so the model released here is a regularised one
    model_training.train(world, "study", "people", "outcome", shards=3, params=REGULARISED)
    with pytest.raises(WithheldError, match="membership audit"):
        model_release.export(world, "people-outcome", tmp_path / "early")
    audit = model_release.audit(world, "people-outcome", shadows=16)
    assert 0 <= audit.auc <= 1 and audit.reference["auc"] is not None
    assert (world.root / "models" / "people-outcome" / "audit-v1.html").exists()
    card = model_release.card(world, "people-outcome")
    assert card["audit"]["released"] == audit.released
    if not audit.released:
        pytest.fail(f"a regularised small model was blocked: {audit.reasons}")
    out = model_release.export(world, "people-outcome", tmp_path / "out")
    import lightgbm as lgb

    spec = json.loads((tmp_path / "out" / "model.json").read_text())
    assert spec["format"] == "lightgbm-text" and len(spec["shards"]) == 3
    pr = read_rows(world, "study", "people")
    num, cat = Encoding.from_dict(spec["encoding"]).encode(pr.table)
    X = np.hstack([num, np.where(cat < 0, np.nan, cat).astype(float)])
    boosters = [lgb.Booster(model_file=str(tmp_path / "out" / f)) for f in spec["shards"]]
    mean = np.mean([b.predict(X) for b in boosters], axis=0)
    served = np.asarray(models.predict(world, "people-outcome").predictions)
    assert np.allclose(mean, served) and out["files"][-1] == "model.json"


def test_the_audit_blocks_an_over_fitted_model_and_releases_a_regularised_one(world):
    """Single-model shadows still tell the two pipelines apart (and rank them)."""
    model_training.train(world, "study", "people", "outcome", shards=3, params=OVERFIT, name="over")
    model_training.train(world, "study", "people", "outcome", shards=3, params=REGULARISED)
    over = model_release.audit(world, "over", shadows=16)
    regular = model_release.audit(world, "people-outcome", shadows=16)
    assert not over.released and regular.released, (over.reasons, regular.reasons)
    assert over.auc > regular.auc and over.tpr_at_1pct_fpr > regular.tpr_at_1pct_fpr
    assert models.mstore(world).audit("over", 1)["report"]["shadow_shards"] == 1
