"""The audit on adult: it blocks a deliberately over-fitted LightGBM and releases a regularised one.

The fast variant runs on a seeded sample of 4,000 records (about 3 s); the full table is slow.
Both use 16 shadow models, the settings' minimum, and the gate's default thresholds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bulle.learning.audit import MembershipAudit, membership_audit, release_decision
from bulle.settings import defaults

BASE = {
    "objective": "binary",
    "num_threads": 1,
    "deterministic": True,
    "force_row_wise": True,
    "verbose": -1,
}
OVERFIT = {  # every record may get a leaf of its own, no shrinkage toward the category mean
    "min_data_in_leaf": 1,
    "min_data_per_group": 1,
    "cat_smooth": 0,
    "cat_l2": 0,
    "lambda_l2": 0,
}
REGULARISED = {"num_leaves": 15, "min_data_in_leaf": 100, "lambda_l2": 10}


def lightgbm_fit(params: dict, rounds: int):
    import lightgbm

    def fit(X: pd.DataFrame, y: np.ndarray, seed: int):
        booster = lightgbm.train(
            {**BASE, **params, "seed": seed}, lightgbm.Dataset(X, y), num_boost_round=rounds
        )
        return booster.predict

    return fit


def adult(arx_data, rows: int | None) -> tuple[pd.DataFrame, np.ndarray]:
    df = pd.read_csv(arx_data / "adult.csv", sep=";")
    if rows is not None:
        df = df.sample(n=rows, random_state=1).reset_index(drop=True)
    y = (df.pop("salary-class") == ">50K").to_numpy().astype(int)
    for column in df.columns:
        if column != "age":  # vocabularies from the whole table: the schema, not the sample
            df[column] = pd.Categorical(df[column])
    return df, y


def check_separates(X, y, leaves: int, over_rounds: int):
    reference = lightgbm_fit(REGULARISED, 100)
    over = membership_audit(
        X,
        y,
        fit=lightgbm_fit({**OVERFIT, "num_leaves": leaves}, over_rounds),
        reference_fit=reference,
        n_shadows=16,
        seed=0,
    )
    blocked = release_decision(over, defaults())
    assert not blocked.released, over.to_dict()
    assert over.target.figures.point(0.001).ci[0] > 0.01 and over.tpr_at_1pct_fpr > 0.05
    assert any("reference" in w for w in blocked.warnings)  # it leaks more than the reference
    assert over.target.accuracy_members > over.target.accuracy_non_members + 0.05

    # the reference went through the same shadows' rows, members and seeds: its own audit
    regular = MembershipAudit(len(y), 16, 0, over.members, over.reference, None)
    released = release_decision(regular, defaults())
    assert released.released, (released.reasons, over.to_dict()["reference"])
    assert over.auc > regular.auc


def test_the_audit_blocks_an_overfitted_lightgbm_and_releases_a_regularised_one_on_a_sample(
    arx_data,
):
    X, y = adult(arx_data, 4000)
    check_separates(X, y, leaves=64, over_rounds=100)


@pytest.mark.slow
def test_the_audit_blocks_an_overfitted_lightgbm_and_releases_a_regularised_one_on_adult(arx_data):
    X, y = adult(arx_data, None)
    check_separates(X, y, leaves=256, over_rounds=200)


def test_lightgbm_audits_are_identical_for_a_seed(arx_data):
    X, y = adult(arx_data, 2000)
    fit = lightgbm_fit(REGULARISED, 30)
    a = membership_audit(X, y, fit=fit, reference_fit=None, n_shadows=16, seed=7)
    b = membership_audit(X, y, fit=fit, reference_fit=None, n_shadows=16, seed=7)
    assert np.array_equal(a.target.scores, b.target.scores) and a.to_dict() == b.to_dict()
